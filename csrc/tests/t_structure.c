/*
 * t_structure.c - cc_check_structure and cc_flow_probabilities.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "carecast.h"
#include "cctest.h"

/* A bad_index value no routine would report, to see that it is written. */
#define UNSET ((ptrdiff_t)12345)

void t_cc_check_structure(int *status)
{
    static const char *fn = "cc_check_structure";
    int64_t src[3] = {0, 1, 0}, dst[3] = {1, 2, 2};
    int64_t advance[3] = {1, 2, -1};
    cc_structure m = {3, 3, src, dst, advance};
    ptrdiff_t bad;
    int rc;

    bad = UNSET;
    rc = cc_check_structure(&m, &bad);
    viv(rc, CC_OK, fn, "valid 3-state model", status);
    viv(bad, -1, fn, "valid model: bad_index -1", status);
    viv(cc_check_structure(&m, NULL), CC_OK, fn, "bad_index may be NULL", status);

    m.advance = NULL;
    viv(cc_check_structure(&m, &bad), CC_OK, fn, "advance NULL allowed", status);
    m.advance = advance;

    /* No flows at all: src and dst are not needed. */
    {
        cc_structure none = {2, 0, NULL, NULL, NULL};
        bad = UNSET;
        viv(cc_check_structure(&none, &bad), CC_OK, fn, "F == 0, src/dst NULL", status);
        viv(bad, -1, fn, "F == 0: bad_index -1", status);
    }

    /* S == 0 */
    {
        cc_structure empty = {0, 0, NULL, NULL, NULL};
        bad = UNSET;
        viv(cc_check_structure(&empty, &bad), CC_EDIM, fn, "S == 0", status);
        viv(bad, -1, fn, "S == 0: bad_index -1", status);
    }

    viv(cc_check_structure(NULL, &bad), CC_EARG, fn, "m NULL", status);

    /* S so large that S doubles of workspace overflow size_t. */
    {
        cc_structure huge = {SIZE_MAX, 0, NULL, NULL, NULL};
        bad = UNSET;
        viv(cc_check_structure(&huge, &bad), CC_EDIM, fn, "S == SIZE_MAX", status);
        viv(bad, -1, fn, "S == SIZE_MAX: bad_index -1", status);
    }

    m.src = NULL;
    viv(cc_check_structure(&m, &bad), CC_EARG, fn, "src NULL with F > 0", status);
    m.src = src;
    m.dst = NULL;
    viv(cc_check_structure(&m, &bad), CC_EARG, fn, "dst NULL with F > 0", status);
    m.dst = dst;

    /* src out of range (== S) at flow 1 */
    src[1] = 3;
    bad = UNSET;
    viv(cc_check_structure(&m, &bad), CC_EINDEX, fn, "src[1] == S", status);
    viv(bad, 1, fn, "src[1] == S: bad_index 1", status);
    src[1] = 1;

    /* src negative at flow 2 (-1 is not "stays" for a flow) */
    src[2] = -1;
    bad = UNSET;
    viv(cc_check_structure(&m, &bad), CC_EINDEX, fn, "src[2] == -1", status);
    viv(bad, 2, fn, "src[2] == -1: bad_index 2", status);
    src[2] = 0;

    dst[0] = 7;
    bad = UNSET;
    viv(cc_check_structure(&m, &bad), CC_EINDEX, fn, "dst[0] == 7", status);
    viv(bad, 0, fn, "dst[0] == 7: bad_index 0", status);
    dst[0] = INT64_MIN;
    viv(cc_check_structure(&m, &bad), CC_EINDEX, fn, "dst[0] == INT64_MIN", status);
    viv(bad, 0, fn, "dst[0] == INT64_MIN: bad_index 0", status);
    dst[0] = 1;
    dst[2] = -5;
    viv(cc_check_structure(&m, &bad), CC_EINDEX, fn, "dst[2] == -5", status);
    viv(bad, 2, fn, "dst[2] == -5: bad_index 2", status);
    dst[2] = 2;

    /* advance: -1 allowed (state 2 above), S and -2 are not; index is the state */
    advance[1] = 3;
    bad = UNSET;
    viv(cc_check_structure(&m, &bad), CC_EINDEX, fn, "advance[1] == S", status);
    viv(bad, 1, fn, "advance[1] == S: bad_index 1", status);
    advance[1] = 2;
    advance[2] = -2;
    bad = UNSET;
    viv(cc_check_structure(&m, &bad), CC_EINDEX, fn, "advance[2] == -2", status);
    viv(bad, 2, fn, "advance[2] == -2: bad_index 2", status);
    advance[2] = -1;
    advance[0] = 0; /* a state advancing to itself is a valid index */
    viv(cc_check_structure(&m, &bad), CC_OK, fn, "advance[0] == 0 (itself)", status);
    advance[0] = 1;

    /* The whole structure is still valid after the edits were undone. */
    bad = UNSET;
    viv(cc_check_structure(&m, &bad), CC_OK, fn, "restored model valid", status);
    viv(bad, -1, fn, "restored model: bad_index -1", status);
}

/* Three states, flows 0->1, 0->2 (competing) and 1->2; state 2 absorbing. */
static const int64_t fp_src[3] = {0, 0, 1};
static const int64_t fp_dst[3] = {1, 2, 2};

void t_cc_flow_probabilities(int *status)
{
    static const char *fn = "cc_flow_probabilities";
    cc_structure m = {3, 3, fp_src, fp_dst, NULL};
    double prob[4], leave[4];
    ptrdiff_t bad;
    int rc;

    /* Competing risks by hand: rates 0.2 and 0.3 leave state 0, so
     * L0 = 0.5 and with dt = 1
     *   P(leave 0) = 1 - e^-0.5 = 1 - 0.60653065971263342 = 0.39346934028736658
     *   p0 = 0.2/0.5 * 0.39346934028736658 = 0.15738773611494663
     *   p1 = 0.3/0.5 * 0.39346934028736658 = 0.23608160417241995
     * state 1: L1 = 0.1, p2 = 1 - e^-0.1 = 1 - 0.90483741803595957
     *                                    = 0.095162581964040431
     * state 2 has no outgoing flow: leave = 0 exactly. */
    {
        double rate[3] = {0.2, 0.3, 0.1};
        bad = UNSET;
        rc = cc_flow_probabilities(&m, CC_KIND_RATE, 1.0, rate, prob, leave, &bad);
        viv(rc, CC_OK, fn, "rates 0.2, 0.3 | 0.1, dt 1", status);
        viv(bad, -1, fn, "rates: bad_index -1", status);
        vvr(prob[0], 0.15738773611494663, 1e-15, fn, "p 0->1 (0.2 of L=0.5)", status);
        vvr(prob[1], 0.23608160417241995, 1e-15, fn, "p 0->2 (0.3 of L=0.5)", status);
        vvr(prob[2], 0.095162581964040431, 1e-15, fn, "p 1->2 (0.1)", status);
        vvr(prob[0], 0.4 * -expm1(-0.5), 1e-15, fn, "p 0->1 closed form", status);
        vvr(leave[0], 0.39346934028736658, 1e-15, fn, "leave state 0", status);
        vvr(leave[1], 0.095162581964040431, 1e-15, fn, "leave state 1", status);
        veq(leave[2], 0.0, fn, "leave absorbing state 2 is exactly 0", status);
        vvr(prob[0] + prob[1], leave[0], 1e-15, fn, "p0 + p1 == leave[0]", status);
    }

    /* dt = 0.25: L0 dt = 0.125, p0 = 0.4 (1 - e^-0.125), e^-0.125 = 0.88249690258459546 */
    {
        double rate[3] = {0.2, 0.3, 0.1};
        rc = cc_flow_probabilities(&m, CC_KIND_RATE, 0.25, rate, prob, leave, &bad);
        viv(rc, CC_OK, fn, "rates, dt 0.25", status);
        vvr(prob[0], 0.4 * (1.0 - 0.88249690258459546), 1e-14, fn, "p 0->1, dt 0.25", status);
        vvr(prob[1], 0.6 * (1.0 - 0.88249690258459546), 1e-14, fn, "p 0->2, dt 0.25", status);
    }

    /* prob and value may be the same array */
    {
        double v[3] = {0.2, 0.3, 0.1};
        rc = cc_flow_probabilities(&m, CC_KIND_RATE, 1.0, v, v, leave, &bad);
        viv(rc, CC_OK, fn, "in place (prob == value)", status);
        vvr(v[0], 0.15738773611494663, 1e-15, fn, "in place p 0->1", status);
        vvr(v[1], 0.23608160417241995, 1e-15, fn, "in place p 0->2", status);
        vvr(v[2], 0.095162581964040431, 1e-15, fn, "in place p 1->2", status);
    }

    /* All rates out of a state zero: L = 0 gives p = 0, not 0/0. */
    {
        double rate[3] = {0.0, 0.0, 0.7};
        rc = cc_flow_probabilities(&m, CC_KIND_RATE, 1.0, rate, prob, leave, &bad);
        viv(rc, CC_OK, fn, "zero rates", status);
        veq(prob[0], 0.0, fn, "zero rate -> p exactly 0 (not NaN)", status);
        veq(prob[1], 0.0, fn, "zero rate -> p exactly 0 (second)", status);
        veq(leave[0], 0.0, fn, "zero rates -> leave exactly 0", status);
    }

    /* Very small rates: 1e-300 and 2e-300 from state 0: L dt = 3e-300,
     * -expm1(-3e-300) = 3e-300, so p0 = 1e-300, p1 = 2e-300 (no underflow
     * to 0, no NaN). */
    {
        double rate[3] = {1e-300, 2e-300, 1e-300};
        rc = cc_flow_probabilities(&m, CC_KIND_RATE, 1.0, rate, prob, leave, &bad);
        viv(rc, CC_OK, fn, "rates 1e-300", status);
        vvr(prob[0], 1e-300, 1e-14, fn, "p for rate 1e-300", status);
        vvr(prob[1], 2e-300, 1e-14, fn, "p for rate 2e-300", status);
        vvr(prob[2], 1e-300, 1e-14, fn, "p for lone rate 1e-300", status);
        vvr(leave[0], 3e-300, 1e-14, fn, "leave for 3e-300", status);
    }

    /* Very large rates: 1e300 + 1e300 -> L = 2e300, -expm1(-2e300) = 1, so
     * leaving is exactly 1 and each flow takes exactly half. */
    {
        double rate[3] = {1e300, 1e300, 1e300};
        rc = cc_flow_probabilities(&m, CC_KIND_RATE, 1.0, rate, prob, leave, &bad);
        viv(rc, CC_OK, fn, "rates 1e300", status);
        veq(leave[0], 1.0, fn, "rates 1e300: leave exactly 1", status);
        veq(leave[1], 1.0, fn, "rate 1e300 alone: leave exactly 1", status);
        veq(prob[0], 0.5, fn, "rates 1e300: p 0->1 exactly 0.5", status);
        veq(prob[1], 0.5, fn, "rates 1e300: p 0->2 exactly 0.5", status);
        veq(prob[2], 1.0, fn, "rate 1e300 alone: p exactly 1", status);
    }

    /* Largest finite rates: 1e308 + 1e308 overflows to inf when summed; the
     * answer is still p = 0.5 each and leave = 1 (a state that everyone
     * leaves must not become a state that no one leaves). */
    {
        double rate[3] = {1e308, 1e308, 0.0};
        rc = cc_flow_probabilities(&m, CC_KIND_RATE, 1.0, rate, prob, leave, &bad);
        viv(rc, CC_OK, fn, "rates 1e308 (sum overflows)", status);
        vvr(prob[0], 0.5, 1e-15, fn, "rates 1e308: p 0->1 = 0.5", status);
        vvr(prob[1], 0.5, 1e-15, fn, "rates 1e308: p 0->2 = 0.5", status);
        vvr(leave[0], 1.0, 1e-15, fn, "rates 1e308: leave = 1", status);
    }

    /* A large rate times a large dt: L dt overflows to inf, expm1(-inf) = -1. */
    {
        double rate[3] = {1e300, 0.0, 0.0};
        rc = cc_flow_probabilities(&m, CC_KIND_RATE, 1e100, rate, prob, leave, &bad);
        viv(rc, CC_OK, fn, "rate 1e300, dt 1e100", status);
        veq(prob[0], 1.0, fn, "rate 1e300 dt 1e100: p exactly 1", status);
        veq(prob[1], 0.0, fn, "rate 1e300 dt 1e100: competing zero rate p 0", status);
    }

    /* Probability kind: values pass through, leave = sums. */
    {
        double p[3] = {0.125, 0.25, 0.5};
        bad = UNSET;
        rc = cc_flow_probabilities(&m, CC_KIND_PROB, 1.0, p, prob, leave, &bad);
        viv(rc, CC_OK, fn, "prob kind", status);
        viv(bad, -1, fn, "prob kind: bad_index -1", status);
        veq(prob[0], 0.125, fn, "prob kind p0", status);
        veq(prob[1], 0.25, fn, "prob kind p1", status);
        veq(prob[2], 0.5, fn, "prob kind p2", status);
        veq(leave[0], 0.375, fn, "prob kind leave 0 = 0.125 + 0.25", status);
        veq(leave[1], 0.5, fn, "prob kind leave 1", status);
        veq(leave[2], 0.0, fn, "prob kind leave 2", status);
        /* prob does not depend on dt */
        rc = cc_flow_probabilities(&m, CC_KIND_PROB, 0.01, p, prob, leave, &bad);
        viv(rc, CC_OK, fn, "prob kind, dt 0.01", status);
        veq(prob[1], 0.25, fn, "prob kind ignores dt", status);
    }

    /* Probabilities summing to exactly 1 (0.25 + 0.75), and a lone p = 1. */
    {
        double p[3] = {0.25, 0.75, 1.0};
        rc = cc_flow_probabilities(&m, CC_KIND_PROB, 1.0, p, prob, leave, &bad);
        viv(rc, CC_OK, fn, "probabilities summing to exactly 1", status);
        veq(prob[0], 0.25, fn, "sum 1: p0 unchanged", status);
        veq(prob[1], 0.75, fn, "sum 1: p1 unchanged", status);
        veq(prob[2], 1.0, fn, "p exactly 1 accepted", status);
        veq(leave[0], 1.0, fn, "sum 1: leave exactly 1", status);
        veq(leave[1], 1.0, fn, "p 1: leave exactly 1", status);
    }

    /* Sum 1 + 1e-13 (within 1e-12): accepted and scaled to sum to 1. */
    {
        double p[3] = {0.5, 0.5 + 1e-13, 0.0};
        rc = cc_flow_probabilities(&m, CC_KIND_PROB, 1.0, p, prob, leave, &bad);
        viv(rc, CC_OK, fn, "sum 1 + 1e-13 accepted", status);
        vvd(prob[0] + prob[1], 1.0, 2.3e-16, fn, "sum 1 + 1e-13: scaled sum is 1", status);
        vok(prob[0] + prob[1] <= 1.0, fn, "sum 1 + 1e-13: scaled sum not above 1", status);
        vvd(leave[0], 1.0, 2.3e-16, fn, "sum 1 + 1e-13: leave 1", status);
        vok(leave[0] <= 1.0, fn, "sum 1 + 1e-13: leave not above 1", status);
        /* scaled by 1/(1 + 1e-13): 0.5 / (1 + 1e-13) = 0.49999999999995 */
        vvd(prob[0], 0.49999999999995, 2e-16, fn, "sum 1 + 1e-13: p0 scaled", status);
        vvd(prob[1], 0.50000000000005, 2e-16, fn, "sum 1 + 1e-13: p1 scaled", status);
    }

    /* Sum 1 + 1e-9 at state 2 of a 4-state model: CC_EPROBSUM, bad_index is
     * the state (2), not a flow (0 or 1). */
    {
        int64_t s4[3] = {2, 2, 0}, d4[3] = {0, 3, 1};
        cc_structure m4 = {4, 3, s4, d4, NULL};
        double p[3] = {0.6, 0.4 + 1e-9, 0.1};
        bad = UNSET;
        rc = cc_flow_probabilities(&m4, CC_KIND_PROB, 1.0, p, prob, leave, &bad);
        viv(rc, CC_EPROBSUM, fn, "sum 1 + 1e-9 refused", status);
        viv(bad, 2, fn, "sum 1 + 1e-9: bad_index is the state (2)", status);
        p[1] = 0.5;  /* 1.1 */
        rc = cc_flow_probabilities(&m4, CC_KIND_PROB, 1.0, p, prob, leave, &bad);
        viv(rc, CC_EPROBSUM, fn, "sum 1.1 refused", status);
        viv(bad, 2, fn, "sum 1.1: bad_index 2", status);
    }

    /* A single probability above 1: CC_EPROB at that flow. */
    {
        double p[3] = {0.0, 0.0, 1.5};
        bad = UNSET;
        rc = cc_flow_probabilities(&m, CC_KIND_PROB, 1.0, p, prob, leave, &bad);
        viv(rc, CC_EPROB, fn, "p = 1.5", status);
        viv(bad, 2, fn, "p = 1.5: bad_index 2", status);
    }

    /* Negative, NaN, infinite values, both kinds. */
    {
        double v[3] = {0.1, -0.1, 0.1};
        int kinds[2] = {CC_KIND_RATE, CC_KIND_PROB};
        int k;
        for (k = 0; k < 2; k++) {
            cc_kind kind = (cc_kind)kinds[k];
            const char *kn = k == 0 ? "rate" : "prob";
            char label[96];
            v[0] = 0.1; v[1] = -0.1; v[2] = 0.1;
            bad = UNSET;
            rc = cc_flow_probabilities(&m, kind, 1.0, v, prob, leave, &bad);
            snprintf(label, sizeof label, "%s -0.1 at flow 1: CC_ENEGATIVE", kn);
            viv(rc, CC_ENEGATIVE, fn, label, status);
            snprintf(label, sizeof label, "%s -0.1 at flow 1: bad_index", kn);
            viv(bad, 1, fn, label, status);

            v[1] = 0.1; v[2] = NAN;
            bad = UNSET;
            rc = cc_flow_probabilities(&m, kind, 1.0, v, prob, leave, &bad);
            snprintf(label, sizeof label, "%s NaN at flow 2: CC_ENONFINITE", kn);
            viv(rc, CC_ENONFINITE, fn, label, status);
            snprintf(label, sizeof label, "%s NaN at flow 2: bad_index", kn);
            viv(bad, 2, fn, label, status);

            v[2] = 0.1; v[0] = INFINITY;
            bad = UNSET;
            rc = cc_flow_probabilities(&m, kind, 1.0, v, prob, leave, &bad);
            snprintf(label, sizeof label, "%s +inf at flow 0: CC_ENONFINITE", kn);
            viv(rc, CC_ENONFINITE, fn, label, status);
            snprintf(label, sizeof label, "%s +inf at flow 0: bad_index", kn);
            viv(bad, 0, fn, label, status);

            /* -inf is both negative and non-finite: either code will do. */
            v[0] = -INFINITY;
            bad = UNSET;
            rc = cc_flow_probabilities(&m, kind, 1.0, v, prob, leave, &bad);
            snprintf(label, sizeof label, "%s -inf refused", kn);
            vok(rc == CC_ENONFINITE || rc == CC_ENEGATIVE, fn, label, status);
            snprintf(label, sizeof label, "%s -inf at flow 0: bad_index", kn);
            viv(bad, 0, fn, label, status);
        }
    }

    /* dt must be positive and finite, for both kinds. */
    {
        double v[3] = {0.1, 0.1, 0.1};
        viv(cc_flow_probabilities(&m, CC_KIND_RATE, 0.0, v, prob, leave, &bad),
            CC_EDT, fn, "dt 0", status);
        viv(cc_flow_probabilities(&m, CC_KIND_RATE, -1.0, v, prob, leave, &bad),
            CC_EDT, fn, "dt -1", status);
        viv(cc_flow_probabilities(&m, CC_KIND_RATE, NAN, v, prob, leave, &bad),
            CC_EDT, fn, "dt NaN", status);
        viv(cc_flow_probabilities(&m, CC_KIND_RATE, INFINITY, v, prob, leave, &bad),
            CC_EDT, fn, "dt inf", status);
        viv(cc_flow_probabilities(&m, CC_KIND_PROB, 0.0, v, prob, leave, &bad),
            CC_EDT, fn, "prob kind, dt 0", status);
        viv(cc_flow_probabilities(&m, CC_KIND_PROB, NAN, v, prob, leave, &bad),
            CC_EDT, fn, "prob kind, dt NaN", status);
    }

    /* Arguments */
    {
        double v[3] = {0.1, 0.1, 0.1};
        viv(cc_flow_probabilities(&m, (cc_kind)7, 1.0, v, prob, leave, &bad),
            CC_EARG, fn, "unknown kind", status);
        viv(cc_flow_probabilities(NULL, CC_KIND_RATE, 1.0, v, prob, leave, &bad),
            CC_EARG, fn, "m NULL", status);
        viv(cc_flow_probabilities(&m, CC_KIND_RATE, 1.0, NULL, prob, leave, &bad),
            CC_EARG, fn, "value NULL", status);
        viv(cc_flow_probabilities(&m, CC_KIND_RATE, 1.0, v, NULL, leave, &bad),
            CC_EARG, fn, "prob NULL", status);
        viv(cc_flow_probabilities(&m, CC_KIND_RATE, 1.0, v, prob, NULL, &bad),
            CC_EARG, fn, "leave NULL", status);
        m.src = NULL;
        viv(cc_flow_probabilities(&m, CC_KIND_RATE, 1.0, v, prob, leave, &bad),
            CC_EARG, fn, "structure checked (src NULL)", status);
        m.src = fp_src;
    }

    /* No flows at all: every state keeps everyone. */
    {
        cc_structure none = {3, 0, fp_src, fp_dst, NULL};
        double v[1] = {0.0};
        cct_fill(leave, 3, -1.0);
        rc = cc_flow_probabilities(&none, CC_KIND_RATE, 1.0, v, prob, leave, &bad);
        viv(rc, CC_OK, fn, "F == 0", status);
        veq(leave[0], 0.0, fn, "F == 0: leave[0] 0", status);
        veq(leave[2], 0.0, fn, "F == 0: leave[2] 0", status);
    }
}
