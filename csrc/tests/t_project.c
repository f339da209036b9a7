/*
 * t_project.c - cc_project_workspace, cc_project, cc_project_batch,
 * cc_check_flow_values and cc_check_nonnegative.
 */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carecast.h"
#include "cctest.h"

#define UNSET ((ptrdiff_t)12345)
#define SENTINEL (-777.0)

/* cc_project with a workspace of exactly cc_project_workspace(m) doubles,
 * so that ASan and valgrind catch any use beyond what the library asks for. */
static int project(const cc_structure *m, size_t steps, double dt, cc_kind kind,
                   const double *value, size_t value_stride,
                   const double *inflow, size_t inflow_stride, const double *x0,
                   double *occupancy, double *moved, double *arrivals,
                   ptrdiff_t *bad_index)
{
    size_t nwork = cc_project_workspace(m);
    double *work = malloc((nwork > 0 ? nwork : 1) * sizeof *work);
    int rc;
    if (work == NULL) return -1;
    rc = cc_project(m, steps, dt, kind, value, value_stride, inflow, inflow_stride,
                    x0, work, occupancy, moved, arrivals, bad_index);
    free(work);
    return rc;
}

/* An independent implementation of one projection, written from the
 * contract in DESIGN.md ("The engine contract") and nothing else: competing
 * risks p = v/L (1 - e^{-L dt}) (computed with expm1), flows from x[t], then
 * the advance map applied to everyone at once, then the inflow. */
static void ref_project(size_t S, size_t F, const int64_t *src, const int64_t *dst,
                        const int64_t *advance, size_t steps, double dt,
                        cc_kind kind, const double *value, size_t value_stride,
                        const double *inflow, size_t inflow_stride,
                        const double *x0, double *occ, double *moved)
{
    double L[16], p[64], y[16], z[16];
    size_t t, s, f;
    memcpy(occ, x0, S * sizeof *occ);
    for (t = 0; t < steps; t++) {
        const double *v = value + t * value_stride;
        const double *x = occ + t * S;
        double *xn = occ + (t + 1) * S;
        for (s = 0; s < S; s++) L[s] = 0.0;
        for (f = 0; f < F; f++) L[src[f]] += v[f];
        for (f = 0; f < F; f++) {
            double l = L[src[f]];
            if (kind == CC_KIND_PROB) p[f] = v[f];
            else p[f] = l > 0.0 ? v[f] / l * -expm1(-l * dt) : 0.0;
        }
        for (s = 0; s < S; s++) y[s] = x[s];
        for (f = 0; f < F; f++) {
            double mv = x[src[f]] * p[f];
            moved[t * F + f] = mv;
            y[src[f]] -= mv;
            y[dst[f]] += mv;
        }
        for (s = 0; s < S; s++) z[s] = 0.0;
        for (s = 0; s < S; s++) {
            if (advance != NULL && advance[s] >= 0) z[advance[s]] += y[s];
            else z[s] += y[s];
        }
        for (s = 0; s < S; s++)
            xn[s] = z[s] + (inflow != NULL ? inflow[t * inflow_stride + s] : 0.0);
    }
}

void t_cc_project_workspace(int *status)
{
    static const char *fn = "cc_project_workspace";
    int64_t src[3] = {0, 0, 1}, dst[3] = {1, 2, 2};
    cc_structure m3 = {3, 3, src, dst, NULL};
    cc_structure m0 = {3, 0, NULL, NULL, NULL};
    size_t w3 = cc_project_workspace(&m3);
    size_t w0 = cc_project_workspace(&m0);
    /* The size itself is the library's business; every cc_project test below
     * allocates exactly this much, so ASan/valgrind prove it is enough.
     * Here: it is finite and sane, and stable between calls. */
    vok(w3 < 1000, fn, "S=3, F=3: a small workspace", status);
    viv((long long)cc_project_workspace(&m3), (long long)w3, fn, "same answer twice", status);
    vok(w0 <= w3, fn, "fewer flows need no more workspace", status);
}

/* States: 0 in care, 1 other placement, 2 left care (absorbing). */
static void project_by_hand_prob(int *status)
{
    static const char *fn = "cc_project";
    const int64_t src[3] = {0, 0, 1}, dst[3] = {1, 2, 2};
    const cc_structure m = {3, 3, src, dst, NULL};
    const double p[3] = {0.25, 0.25, 0.5};
    const double x0[3] = {100.0, 40.0, 0.0};
    /* By hand, prob kind, dt 1:
     * step 0: moved = 100*.25 = 25, 25, 40*.5 = 20
     *         x1 = [100-50, 40+25-20, 0+25+20] = [50, 45, 45]
     * step 1: moved = 12.5, 12.5, 45*.5 = 22.5
     *         x2 = [25, 45+12.5-22.5, 45+12.5+22.5] = [25, 35, 80]
     * step 2: moved = 6.25, 6.25, 17.5
     *         x3 = [12.5, 35+6.25-17.5, 80+6.25+17.5] = [12.5, 23.75, 103.75]
     * The absorbing state 2 accumulates 0, 45, 80, 103.75; the total stays 140. */
    const double occ_ok[12] = {100, 40, 0, 50, 45, 45, 25, 35, 80, 12.5, 23.75, 103.75};
    const double moved_ok[9] = {25, 25, 20, 12.5, 12.5, 22.5, 6.25, 6.25, 17.5};
    const double zero[9] = {0};
    double occ[12], moved[9], arrivals[9];
    ptrdiff_t bad = UNSET;
    int rc;

    cct_fill(arrivals, 9, SENTINEL);
    rc = project(&m, 3, 1.0, CC_KIND_PROB, p, 0, NULL, 0, x0, occ, moved, arrivals, &bad);
    viv(rc, CC_OK, fn, "3 states by hand (prob)", status);
    viv(bad, -1, fn, "by hand (prob): bad_index -1", status);
    vvrv(occ, occ_ok, 12, 1e-15, fn, "by hand (prob) occupancy", status);
    vvrv(moved, moved_ok, 9, 1e-15, fn, "by hand (prob) moved", status);
    vvrv(arrivals, zero, 9, 0.0, fn, "no inflow: arrivals are 0", status);

    /* moved and arrivals may be NULL; occupancy is unchanged. */
    {
        double occ2[12];
        rc = project(&m, 3, 1.0, CC_KIND_PROB, p, 0, NULL, 0, x0, occ2, NULL, NULL, &bad);
        viv(rc, CC_OK, fn, "moved, arrivals NULL", status);
        vbits(occ2, occ, 12, fn, "moved, arrivals NULL: same occupancy", status);
        rc = project(&m, 3, 1.0, CC_KIND_PROB, p, 0, NULL, 0, x0, occ2, NULL, NULL, NULL);
        viv(rc, CC_OK, fn, "bad_index NULL", status);
    }
}

static void project_by_hand_rate(int *status)
{
    static const char *fn = "cc_project";
    /* Two competing rates 0.2 (to 1) and 0.3 (to 2) out of state 0, dt 0.5,
     * two steps, x0 = [1000, 0, 0].  With q = e^{-0.5*0.5} = e^{-0.25}:
     *   x1 = [1000 q, 400 (1-q), 600 (1-q)]
     *   x2 = [1000 q^2, 400 (1-q) + 400 q (1-q), 600 (1-q)(1+q)]
     *      = [1000 e^{-0.5}, 400 (1 - e^{-0.5}), 600 (1 - e^{-0.5})]
     *      = [606.53065971263342, 157.38773611494663, 236.08160417241995]
     * (two half-year steps of constant rates equal one year: the Markov
     * property of the exponential). */
    const int64_t src[2] = {0, 0}, dst[2] = {1, 2};
    const cc_structure m = {3, 2, src, dst, NULL};
    const double rate[2] = {0.2, 0.3};
    const double x0[3] = {1000.0, 0.0, 0.0};
    const double q = exp(-0.25);
    double occ[9], moved[4];
    int rc = project(&m, 2, 0.5, CC_KIND_RATE, rate, 0, NULL, 0, x0, occ, moved, NULL, NULL);
    viv(rc, CC_OK, fn, "competing rates by hand", status);
    vvr(occ[3], 1000.0 * q, 1e-14, fn, "rates: x1[0] = 1000 e^-0.25", status);
    vvr(occ[4], 400.0 * (1.0 - q), 1e-14, fn, "rates: x1[1] = 400 (1 - e^-0.25)", status);
    vvr(occ[5], 600.0 * (1.0 - q), 1e-14, fn, "rates: x1[2] = 600 (1 - e^-0.25)", status);
    vvr(occ[6], 606.53065971263342, 1e-14, fn, "rates: x2[0] = 1000 e^-0.5", status);
    vvr(occ[7], 157.38773611494663, 1e-14, fn, "rates: x2[1] = 400 (1 - e^-0.5)", status);
    vvr(occ[8], 236.08160417241995, 1e-14, fn, "rates: x2[2] = 600 (1 - e^-0.5)", status);
    /* e^-0.25 = 0.77880078307140487; moved[0,0] = 400 (1 - q) = 88.479686771438052 */
    vvr(moved[0], 88.479686771438052, 1e-14, fn, "rates: moved[0][0]", status);
    vvr(moved[2], 400.0 * q * (1.0 - q), 1e-14, fn, "rates: moved[1][0] = 400 q (1-q)", status);

    /* A single flow at rate ln 2 per year halves state 0 each year:
     * x0 = [80, 0] -> [40, 40] -> [20, 60]. */
    {
        const int64_t s1[1] = {0}, d1[1] = {1};
        const cc_structure m1 = {2, 1, s1, d1, NULL};
        const double r1[1] = {0.69314718055994531}; /* ln 2 */
        const double y0[2] = {80.0, 0.0};
        const double ok[6] = {80, 0, 40, 40, 20, 60};
        double o[6];
        rc = project(&m1, 2, 1.0, CC_KIND_RATE, r1, 0, NULL, 0, y0, o, NULL, NULL, NULL);
        viv(rc, CC_OK, fn, "rate ln 2", status);
        vvrv(o, ok, 6, 1e-14, fn, "rate ln 2 halves each year", status);
    }
}

static void project_time_varying(int *status)
{
    static const char *fn = "cc_project";
    /* One flow 0 -> 1, prob kind.  value rows: t0 0.5, t1 0.25 (stride F = 1).
     * inflow rows (stride S = 2): t0 [10, 0], t1 [0, 4].  x0 = [100, 0].
     * step 0: moved 50 -> [50, 50], + [10, 0] -> x1 = [60, 50]
     * step 1: moved 60*.25 = 15 -> [45, 65], + [0, 4] -> x2 = [45, 69] */
    const int64_t src[1] = {0}, dst[1] = {1};
    const cc_structure m = {2, 1, src, dst, NULL};
    const double value[2] = {0.5, 0.25};
    const double inflow[4] = {10, 0, 0, 4};
    const double x0[2] = {100, 0};
    const double occ_ok[6] = {100, 0, 60, 50, 45, 69};
    const double moved_ok[2] = {50, 15};
    double occ[6], moved[2], arrivals[4];
    int rc = project(&m, 2, 1.0, CC_KIND_PROB, value, 1, inflow, 2, x0, occ, moved,
                     arrivals, NULL);
    viv(rc, CC_OK, fn, "time-varying value and inflow", status);
    vvrv(occ, occ_ok, 6, 0.0, fn, "time-varying occupancy", status);
    vvrv(moved, moved_ok, 2, 0.0, fn, "time-varying moved", status);
    vvrv(arrivals, inflow, 4, 0.0, fn, "arrivals are the inflow rows", status);

    /* Constant inflow (stride 0) [1, 2] each step, value 0.5 each step:
     * [100, 0] -> [50+1, 50+2] = [51, 52] -> [25.5+1, 52+25.5+2] = [26.5, 79.5] */
    {
        const double inflow0[2] = {1, 2};
        const double ok[6] = {100, 0, 51, 52, 26.5, 79.5};
        const double arr_ok[4] = {1, 2, 1, 2};
        rc = project(&m, 2, 1.0, CC_KIND_PROB, value, 0, inflow0, 0, x0, occ, moved,
                     arrivals, NULL);
        viv(rc, CC_OK, fn, "constant inflow (stride 0)", status);
        vvrv(occ, ok, 6, 0.0, fn, "constant inflow occupancy", status);
        vvrv(arrivals, arr_ok, 4, 0.0, fn, "constant inflow arrivals", status);
    }
}

static void project_advance(int *status)
{
    static const char *fn = "cc_project";
    /* Ageing chain: states 0, 1, 2 are ages 0, 1, 2 (2 the oldest); state 3
     * is the exit ("left care at 18").  advance = [1, 2, 3, -1].  Each age
     * leaves to 3 with probability 0.5; 8 arrivals at age 0 every step.
     * x0 = [16, 8, 4, 0]
     * step 0: moved [8, 4, 2] -> [8, 4, 2, 14]; advance -> [0, 8, 4, 2+14];
     *         + [8, 0, 0, 0] -> x1 = [8, 8, 4, 16]   (sum 36 = 28 + 8)
     * step 1: moved [4, 4, 2] -> [4, 4, 2, 26]; advance -> [0, 4, 4, 28];
     *         + inflow -> x2 = [8, 4, 4, 28]        (sum 44 = 36 + 8) */
    const int64_t src[3] = {0, 1, 2}, dst[3] = {3, 3, 3};
    const int64_t advance[4] = {1, 2, 3, -1};
    const cc_structure m = {4, 3, src, dst, advance};
    const double p[3] = {0.5, 0.5, 0.5};
    const double inflow[4] = {8, 0, 0, 0};
    const double x0[4] = {16, 8, 4, 0};
    const double occ_ok[12] = {16, 8, 4, 0, 8, 8, 4, 16, 8, 4, 4, 28};
    const double moved_ok[6] = {8, 4, 2, 4, 4, 2};
    double occ[12], moved[6];
    int rc = project(&m, 2, 1.0, CC_KIND_PROB, p, 0, inflow, 0, x0, occ, moved, NULL, NULL);
    viv(rc, CC_OK, fn, "ageing chain", status);
    vvrv(occ, occ_ok, 12, 0.0, fn, "ageing chain occupancy", status);
    vvrv(moved, moved_ok, 6, 0.0, fn, "ageing chain moved", status);

    /* Several states into one, no flows: advance = [2, 2, -1],
     * x0 = [1, 2, 3] -> [0, 0, 6]. */
    {
        const int64_t adv[3] = {2, 2, -1};
        const cc_structure m0 = {3, 0, NULL, NULL, adv};
        const double none[1] = {0.0};
        const double y0[3] = {1, 2, 3};
        const double ok[6] = {1, 2, 3, 0, 0, 6};
        double o[6];
        rc = project(&m0, 1, 1.0, CC_KIND_RATE, none, 0, NULL, 0, y0, o, NULL, NULL, NULL);
        viv(rc, CC_OK, fn, "two states advance into one", status);
        vvrv(o, ok, 6, 0.0, fn, "two states advance into one", status);
    }
    /* The map moves everyone at once, not state by state in index order:
     * advance = [1, 2, -1], x0 = [1, 2, 3] -> [0, 1, 2+3] = [0, 1, 5]
     * (a sequential update would wrongly give [0, 0, 6]).  A state that
     * advances to itself stays. */
    {
        const int64_t adv[3] = {1, 2, -1};
        const int64_t adv_self[3] = {1, 2, 2};
        const cc_structure m0 = {3, 0, NULL, NULL, adv};
        const cc_structure ms = {3, 0, NULL, NULL, adv_self};
        const double none[1] = {0.0};
        const double y0[3] = {1, 2, 3};
        const double ok[6] = {1, 2, 3, 0, 1, 5};
        double o[6];
        rc = project(&m0, 1, 1.0, CC_KIND_RATE, none, 0, NULL, 0, y0, o, NULL, NULL, NULL);
        viv(rc, CC_OK, fn, "advance chain", status);
        vvrv(o, ok, 6, 0.0, fn, "advance is simultaneous", status);
        rc = project(&ms, 1, 1.0, CC_KIND_RATE, none, 0, NULL, 0, y0, o, NULL, NULL, NULL);
        viv(rc, CC_OK, fn, "advance to itself", status);
        vvrv(o, ok, 6, 0.0, fn, "advance[s] == s stays", status);
    }
    /* Inflow arrives after the advance: it is not aged in its own step.
     * advance = [1, -1], no flows, inflow [5, 0], x0 = [2, 0]:
     * x1 = [0 + 5, 2] = [5, 2], x2 = [5, 2 + 5] = [5, 7] */
    {
        const int64_t adv[2] = {1, -1};
        const cc_structure m0 = {2, 0, NULL, NULL, adv};
        const double none[1] = {0.0};
        const double in[2] = {5, 0};
        const double y0[2] = {2, 0};
        const double ok[6] = {2, 0, 5, 2, 5, 7};
        double o[6];
        rc = project(&m0, 2, 1.0, CC_KIND_RATE, none, 0, in, 0, y0, o, NULL, NULL, NULL);
        viv(rc, CC_OK, fn, "inflow after advance", status);
        vvrv(o, ok, 6, 0.0, fn, "inflow after advance", status);
    }
}

/* Numerical edges in a projection: everyone leaves. */
static void project_edges(int *status)
{
    static const char *fn = "cc_project";
    const int64_t src[2] = {0, 0}, dst[2] = {1, 2};
    const cc_structure m = {3, 2, src, dst, NULL};
    const double x0[3] = {7, 1, 2};
    double occ[6];
    int rc;
    /* Probabilities summing to exactly 1 (0.25 + 0.75): state 0 empties,
     * x1 = [0, 1 + 1.75, 2 + 5.25] = [0, 2.75, 7.25]. */
    {
        const double p[2] = {0.25, 0.75};
        rc = project(&m, 1, 1.0, CC_KIND_PROB, p, 0, NULL, 0, x0, occ, NULL, NULL, NULL);
        viv(rc, CC_OK, fn, "probabilities summing to 1", status);
        veq(occ[3], 0.0, fn, "sum 1: state 0 exactly empty", status);
        vvr(occ[4], 2.75, 1e-15, fn, "sum 1: x1[1] = 1 + 7/4", status);
        vvr(occ[5], 7.25, 1e-15, fn, "sum 1: x1[2] = 2 + 21/4", status);
    }
    /* Sum 1 + 1e-13 (accepted, scaled): state 0 empties, nobody is created
     * or lost: sum stays 10, x1[0] is 0 to rounding and never negative. */
    {
        const double p[2] = {0.5, 0.5 + 1e-13};
        rc = project(&m, 1, 1.0, CC_KIND_PROB, p, 0, NULL, 0, x0, occ, NULL, NULL, NULL);
        viv(rc, CC_OK, fn, "sum 1 + 1e-13", status);
        vok(occ[3] >= 0.0, fn, "sum 1 + 1e-13: x1[0] not negative", status);
        vvd(occ[3], 0.0, 1e-14, fn, "sum 1 + 1e-13: x1[0] = 0", status);
        vvr(occ[3] + occ[4] + occ[5], 10.0, 1e-15, fn, "sum 1 + 1e-13: total 10 kept", status);
    }
    /* Rates 1e300: leaving probability exactly 1, halves to each exit:
     * x1 = [0, 1 + 3.5, 2 + 3.5] = [0, 4.5, 5.5]. */
    {
        const double r[2] = {1e300, 1e300};
        rc = project(&m, 1, 1.0, CC_KIND_RATE, r, 0, NULL, 0, x0, occ, NULL, NULL, NULL);
        viv(rc, CC_OK, fn, "rates 1e300", status);
        veq(occ[3], 0.0, fn, "rates 1e300: state 0 exactly empty", status);
        vvr(occ[4], 4.5, 1e-15, fn, "rates 1e300: x1[1] = 1 + 3.5", status);
        vvr(occ[5], 5.5, 1e-15, fn, "rates 1e300: x1[2] = 2 + 3.5", status);
    }
    /* Rates 1e-300: nobody leaves to within rounding (7 (1 - 2e-300) == 7). */
    {
        const double r[2] = {1e-300, 1e-300};
        rc = project(&m, 1, 1.0, CC_KIND_RATE, r, 0, NULL, 0, x0, occ, NULL, NULL, NULL);
        viv(rc, CC_OK, fn, "rates 1e-300", status);
        veq(occ[3], 7.0, fn, "rates 1e-300: x1[0] = 7", status);
        veq(occ[4], 1.0, fn, "rates 1e-300: x1[1] = 1", status);
    }
}

static void project_threads(int *status);

static void project_zero_steps(int *status)
{
    static const char *fn = "cc_project";
    const int64_t src[1] = {0}, dst[1] = {1};
    const cc_structure m = {2, 1, src, dst, NULL};
    const double p[1] = {0.5};
    const double x0[2] = {3, 4};
    double occ[4], moved[2], arrivals[2];
    ptrdiff_t bad = UNSET;
    int rc;
    cct_fill(occ, 4, SENTINEL);
    cct_fill(moved, 2, SENTINEL);
    cct_fill(arrivals, 2, SENTINEL);
    rc = project(&m, 0, 1.0, CC_KIND_PROB, p, 0, NULL, 0, x0, occ, moved, arrivals, &bad);
    viv(rc, CC_OK, fn, "steps == 0", status);
    viv(bad, -1, fn, "steps == 0: bad_index -1", status);
    veq(occ[0], 3, fn, "steps == 0: row 0 is x0 (0)", status);
    veq(occ[1], 4, fn, "steps == 0: row 0 is x0 (1)", status);
    veq(occ[2], SENTINEL, fn, "steps == 0: nothing beyond row 0 (occupancy)", status);
    veq(occ[3], SENTINEL, fn, "steps == 0: nothing beyond row 0 (occupancy 2)", status);
    veq(moved[0], SENTINEL, fn, "steps == 0: moved untouched", status);
    veq(arrivals[0], SENTINEL, fn, "steps == 0: arrivals untouched", status);
}

/* A random-ish model: conservation and agreement with ref_project. */
static void project_random(int *status)
{
    static const char *fn = "cc_project";
    enum { S = 6, F = 10, STEPS = 20 };
    cct_rng rng = {20261122ULL};
    int64_t src[F], dst[F], advance[S];
    double value[STEPS * F], inflow[STEPS * S], x0[S];
    double occ[(STEPS + 1) * S], moved[STEPS * F], arrivals[STEPS * S];
    double ref_occ[(STEPS + 1) * S], ref_moved[STEPS * F];
    double value_copy[STEPS * F], inflow_copy[STEPS * S], x0_copy[S];
    const double dt = 0.25;
    size_t i, t, s, f;
    int rc, pass;
    char label[96];

    for (f = 0; f < F; f++) {
        src[f] = (int64_t)cct_below(&rng, S);
        dst[f] = (int64_t)cct_below(&rng, S);   /* self-loops allowed */
    }
    for (i = 0; i < STEPS * F; i++) value[i] = 2.0 * cct_uniform(&rng);
    for (i = 0; i < STEPS * S; i++) inflow[i] = 10.0 * cct_uniform(&rng);
    for (s = 0; s < S; s++) x0[s] = 100.0 * cct_uniform(&rng);
    for (s = 0; s < S; s++)
        advance[s] = cct_uniform(&rng) < 0.5 ? -1 : (int64_t)cct_below(&rng, S);

    memcpy(value_copy, value, sizeof value);
    memcpy(inflow_copy, inflow, sizeof inflow);
    memcpy(x0_copy, x0, sizeof x0);
    for (pass = 0; pass < 2; pass++) {
        const int64_t *adv = pass == 0 ? NULL : advance;
        const cc_structure m = {S, F, src, dst, adv};
        const char *which = pass == 0 ? "random model" : "random model + advance";
        rc = project(&m, STEPS, dt, CC_KIND_RATE, value, F, inflow, S, x0, occ, moved,
                     arrivals, NULL);
        snprintf(label, sizeof label, "%s: status", which);
        viv(rc, CC_OK, fn, label, status);
        /* Conservation: sum x[t+1] = sum x[t] + sum inflow[t]. */
        for (t = 0; t < STEPS; t++) {
            double before = 0, after = 0, in = 0;
            for (s = 0; s < S; s++) {
                before += occ[t * S + s];
                after += occ[(t + 1) * S + s];
                in += inflow[t * S + s];
            }
            snprintf(label, sizeof label, "%s: conservation at step %zu", which, t);
            vvr(after, before + in, 1e-13, fn, label, status);
        }
        ref_project(S, F, src, dst, adv, STEPS, dt, CC_KIND_RATE, value, F, inflow, S,
                    x0, ref_occ, ref_moved);
        snprintf(label, sizeof label, "%s: occupancy vs reference", which);
        vvrv(occ, ref_occ, (STEPS + 1) * S, 1e-12, fn, label, status);
        snprintf(label, sizeof label, "%s: moved vs reference", which);
        vvrv(moved, ref_moved, STEPS * F, 1e-12, fn, label, status);
        snprintf(label, sizeof label, "%s: arrivals are the inflow", which);
        vbits(arrivals, inflow, STEPS * S, fn, label, status);
        /* Nobody is negative. */
        {
            int nonneg = 1;
            for (i = 0; i < (STEPS + 1) * S; i++) if (!(occ[i] >= 0.0)) nonneg = 0;
            snprintf(label, sizeof label, "%s: occupancy never negative", which);
            vok(nonneg, fn, label, status);
        }
    }
    vbits(value, value_copy, STEPS * F, fn, "random model: value not modified", status);
    vbits(inflow, inflow_copy, STEPS * S, fn, "random model: inflow not modified", status);
    vbits(x0, x0_copy, S, fn, "random model: x0 not modified", status);
}

/* The library is thread-safe for distinct outputs: four threads project the
 * same model at once, each must get the single-threaded answer bit for bit. */
enum { TH_S = 4, TH_F = 5, TH_STEPS = 50, TH_N = 4 };
static const int64_t th_src[TH_F] = {0, 0, 1, 2, 3};
static const int64_t th_dst[TH_F] = {1, 3, 2, 3, 0};
typedef struct thread_case {
    double occ[(TH_STEPS + 1) * TH_S];
    int rc;
} thread_case;

static void run_thread_case(thread_case *c)
{
    const cc_structure m = {TH_S, TH_F, th_src, th_dst, NULL};
    const double value[TH_F] = {0.3, 0.1, 0.2, 0.05, 0.4};
    const double inflow[TH_S] = {3, 0, 1, 0};
    const double x0[TH_S] = {40, 30, 20, 10};
    c->rc = project(&m, TH_STEPS, 1.0 / 12.0, CC_KIND_RATE, value, 0, inflow, 0, x0, c->occ,
                    NULL, NULL, NULL);
}

static void *thread_main(void *arg)
{
    run_thread_case(arg);
    return NULL;
}

static void project_threads(int *status)
{
    static const char *fn = "cc_project";
    thread_case *one = malloc(sizeof *one);
    thread_case *many = malloc(TH_N * sizeof *many);
    pthread_t ids[TH_N];
    int started[TH_N];
    size_t k;
    char label[96];
    if (one == NULL || many == NULL) {
        vok(0, fn, "threads: test could not allocate", status);
        free(one);
        free(many);
        return;
    }
    run_thread_case(one);
    viv(one->rc, CC_OK, fn, "threads: single-threaded run", status);
    for (k = 0; k < TH_N; k++)
        started[k] = pthread_create(&ids[k], NULL, thread_main, &many[k]) == 0;
    for (k = 0; k < TH_N; k++) {
        if (started[k]) pthread_join(ids[k], NULL);
        else run_thread_case(&many[k]);
    }
    for (k = 0; k < TH_N; k++) {
        snprintf(label, sizeof label, "threads: concurrent call %zu status", k);
        viv(many[k].rc, CC_OK, fn, label, status);
        snprintf(label, sizeof label, "threads: concurrent call %zu bit-identical", k);
        vbits(many[k].occ, one->occ, (TH_STEPS + 1) * TH_S, fn, label, status);
    }
    free(one);
    free(many);
}

static void project_errors(int *status)
{
    static const char *fn = "cc_project";
    const int64_t src[3] = {0, 0, 1}, dst[3] = {1, 2, 2};
    cc_structure m = {3, 3, src, dst, NULL};
    double value[3 * 3] = {0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1};
    double inflow[3 * 3] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    double x0[3] = {10, 10, 10};
    double occ[4 * 3], moved[3 * 3], arrivals[3 * 3];
    ptrdiff_t bad;
    int rc;
    size_t i;

#define CHECK_UNTOUCHED(what)                                                   \
    do {                                                                        \
        int untouched = 1;                                                      \
        for (i = 3; i < 12; i++) if (occ[i] != SENTINEL) untouched = 0;         \
        for (i = 0; i < 9; i++)                                                 \
            if (moved[i] != SENTINEL || arrivals[i] != SENTINEL) untouched = 0; \
        vok(untouched, fn, what ": nothing written beyond row 0", status);      \
    } while (0)
#define RESET_OUT()                      \
    do {                                 \
        cct_fill(occ, 12, SENTINEL);     \
        cct_fill(moved, 9, SENTINEL);    \
        cct_fill(arrivals, 9, SENTINEL); \
        bad = UNSET;                     \
    } while (0)

    /* x0 */
    RESET_OUT();
    x0[1] = -1.0;
    rc = project(&m, 3, 1.0, CC_KIND_RATE, value, 3, inflow, 3, x0, occ, moved, arrivals, &bad);
    viv(rc, CC_ENEGATIVE, fn, "x0[1] negative", status);
    viv(bad, 1, fn, "x0[1] negative: bad_index 1", status);
    CHECK_UNTOUCHED("x0[1] negative");
    RESET_OUT();
    x0[1] = 10.0;
    x0[2] = NAN;
    rc = project(&m, 3, 1.0, CC_KIND_RATE, value, 3, inflow, 3, x0, occ, moved, arrivals, &bad);
    viv(rc, CC_ENONFINITE, fn, "x0[2] NaN", status);
    viv(bad, 2, fn, "x0[2] NaN: bad_index 2", status);
    RESET_OUT();
    x0[2] = INFINITY;
    rc = project(&m, 3, 1.0, CC_KIND_RATE, value, 3, inflow, 3, x0, occ, moved, arrivals, &bad);
    viv(rc, CC_ENONFINITE, fn, "x0[2] inf", status);
    viv(bad, 2, fn, "x0[2] inf: bad_index 2", status);
    x0[2] = 10.0;

    /* inflow (stride S = 3): t = 1, s = 0 -> 1*3 + 0 = 3; t = 2, s = 2 -> 8 */
    RESET_OUT();
    inflow[3] = -0.5;
    rc = project(&m, 3, 1.0, CC_KIND_RATE, value, 3, inflow, 3, x0, occ, moved, arrivals, &bad);
    viv(rc, CC_ENEGATIVE, fn, "inflow[t=1][s=0] negative", status);
    viv(bad, 3, fn, "inflow[t=1][s=0] negative: bad_index t*S+s = 3", status);
    CHECK_UNTOUCHED("inflow[1][0] negative");
    inflow[3] = 1.0;
    RESET_OUT();
    inflow[8] = NAN;
    rc = project(&m, 3, 1.0, CC_KIND_RATE, value, 3, inflow, 3, x0, occ, moved, arrivals, &bad);
    viv(rc, CC_ENONFINITE, fn, "inflow[t=2][s=2] NaN", status);
    viv(bad, 8, fn, "inflow[t=2][s=2] NaN: bad_index t*S+s = 8", status);
    CHECK_UNTOUCHED("inflow[2][2] NaN");
    inflow[8] = 1.0;
    /* stride 0: the one row is row t = 0, so the index is s */
    RESET_OUT();
    inflow[1] = -2.0;
    rc = project(&m, 3, 1.0, CC_KIND_RATE, value, 3, inflow, 0, x0, occ, moved, arrivals, &bad);
    viv(rc, CC_ENEGATIVE, fn, "constant inflow[1] negative", status);
    viv(bad, 1, fn, "constant inflow[1] negative: bad_index 1", status);
    inflow[1] = 1.0;

    /* value (stride F = 3): t = 2, f = 1 -> 2*3 + 1 = 7 */
    RESET_OUT();
    value[7] = -0.1;
    rc = project(&m, 3, 1.0, CC_KIND_RATE, value, 3, inflow, 3, x0, occ, moved, arrivals, &bad);
    viv(rc, CC_ENEGATIVE, fn, "value[t=2][f=1] negative", status);
    viv(bad, 7, fn, "value[t=2][f=1] negative: bad_index t*F+f = 7", status);
    CHECK_UNTOUCHED("value[2][1] negative");
    value[7] = NAN;
    RESET_OUT();
    rc = project(&m, 3, 1.0, CC_KIND_RATE, value, 3, inflow, 3, x0, occ, moved, arrivals, &bad);
    viv(rc, CC_ENONFINITE, fn, "value[t=2][f=1] NaN", status);
    viv(bad, 7, fn, "value[t=2][f=1] NaN: bad_index 7", status);
    CHECK_UNTOUCHED("value[2][1] NaN");
    value[7] = 0.1;
    /* prob kind, t = 1: state 0's flows 0.6 + 0.6 -> EPROBSUM at t*S+s = 3 */
    RESET_OUT();
    value[3] = 0.6;
    value[4] = 0.6;
    rc = project(&m, 3, 1.0, CC_KIND_PROB, value, 3, inflow, 3, x0, occ, moved, arrivals, &bad);
    viv(rc, CC_EPROBSUM, fn, "prob sum 1.2 at t=1, state 0", status);
    viv(bad, 3, fn, "prob sum at t=1, state 0: bad_index t*S+s = 3", status);
    CHECK_UNTOUCHED("prob sum 1.2");
    value[4] = 1.5;
    RESET_OUT();
    rc = project(&m, 3, 1.0, CC_KIND_PROB, value, 3, inflow, 3, x0, occ, moved, arrivals, &bad);
    viv(rc, CC_EPROB, fn, "prob 1.5 at t=1, f=1", status);
    viv(bad, 4, fn, "prob 1.5: bad_index t*F+f = 4", status);
    value[3] = 0.1;
    value[4] = 0.1;

    /* structure, dt, kind, pointers */
    RESET_OUT();
    {
        const int64_t bad_dst[3] = {1, 3, 2};
        cc_structure mb = {3, 3, src, bad_dst, NULL};
        rc = project(&mb, 3, 1.0, CC_KIND_RATE, value, 3, inflow, 3, x0, occ, moved,
                     arrivals, &bad);
        viv(rc, CC_EINDEX, fn, "dst[1] out of range", status);
        viv(bad, 1, fn, "dst[1] out of range: bad_index 1", status);
    }
    {
        cc_structure m0 = {0, 0, NULL, NULL, NULL};
        double w[8];
        rc = cc_project(&m0, 3, 1.0, CC_KIND_RATE, value, 0, NULL, 0, x0, w, occ, NULL,
                        NULL, &bad);
        viv(rc, CC_EDIM, fn, "S == 0", status);
    }
    RESET_OUT();
    rc = project(&m, 3, 0.0, CC_KIND_RATE, value, 3, inflow, 3, x0, occ, moved, arrivals, &bad);
    viv(rc, CC_EDT, fn, "dt 0", status);
    CHECK_UNTOUCHED("dt 0");
    rc = project(&m, 3, NAN, CC_KIND_RATE, value, 3, inflow, 3, x0, occ, moved, arrivals, &bad);
    viv(rc, CC_EDT, fn, "dt NaN", status);
    rc = project(&m, 3, -0.5, CC_KIND_RATE, value, 3, inflow, 3, x0, occ, moved, arrivals, &bad);
    viv(rc, CC_EDT, fn, "dt -0.5", status);
    rc = project(&m, 3, 1.0, (cc_kind)5, value, 3, inflow, 3, x0, occ, moved, arrivals, &bad);
    viv(rc, CC_EARG, fn, "unknown kind", status);
    rc = project(&m, 3, 1.0, CC_KIND_RATE, NULL, 3, inflow, 3, x0, occ, moved, arrivals, &bad);
    viv(rc, CC_EARG, fn, "value NULL", status);
    rc = project(&m, 3, 1.0, CC_KIND_RATE, value, 3, inflow, 3, NULL, occ, moved, arrivals, &bad);
    viv(rc, CC_EARG, fn, "x0 NULL", status);
    rc = project(&m, 3, 1.0, CC_KIND_RATE, value, 3, inflow, 3, x0, NULL, moved, arrivals, &bad);
    viv(rc, CC_EARG, fn, "occupancy NULL", status);
    rc = project(NULL, 3, 1.0, CC_KIND_RATE, value, 3, inflow, 3, x0, occ, moved, arrivals, &bad);
    viv(rc, CC_EARG, fn, "m NULL", status);
    rc = cc_project(&m, 3, 1.0, CC_KIND_RATE, value, 3, inflow, 3, x0, NULL, occ, moved,
                    arrivals, &bad);
    viv(rc, CC_EARG, fn, "work NULL", status);

    /* (steps + 1) * S overflows size_t: refused before anything is projected.
     * Only constant (stride 0) rows are passed, so nothing beyond the first
     * row of any input would be read by a correct implementation. */
    RESET_OUT();
    rc = project(&m, SIZE_MAX / 2, 1.0, CC_KIND_RATE, value, 0, NULL, 0, x0, occ, NULL,
                 NULL, &bad);
    viv(rc, CC_EDIM, fn, "(steps+1)*S overflows size_t", status);
#undef CHECK_UNTOUCHED
#undef RESET_OUT
}

void t_cc_project(int *status)
{
    project_by_hand_prob(status);
    project_by_hand_rate(status);
    project_time_varying(status);
    project_advance(status);
    project_edges(status);
    project_zero_steps(status);
    project_threads(status);
    project_random(status);
    project_errors(status);
}

/* Batch: R = 3 replicates of a 3-state model with time-varying values and
 * inflows, compared with three separate cc_project calls (an independent
 * route through the public API), and across thread counts bit for bit. */
void t_cc_project_batch(int *status)
{
    static const char *fn = "cc_project_batch";
    enum { R = 3, S = 3, F = 3, STEPS = 4 };
    const int64_t src[F] = {0, 0, 1}, dst[F] = {1, 2, 2};
    const cc_structure m = {S, F, src, dst, NULL};
    double value[R * STEPS * F], inflow[R * STEPS * S], x0[R * S];
    double occ[R * (STEPS + 1) * S], moved[R * STEPS * F], arrivals[R * STEPS * S];
    double occ1[R * (STEPS + 1) * S], moved1[R * STEPS * F], arrivals1[R * STEPS * S];
    double sep_occ[R * (STEPS + 1) * S], sep_moved[R * STEPS * F];
    cct_rng rng = {7ULL};
    const size_t threads[5] = {1, 0, 2, 4, 8};
    ptrdiff_t bad;
    size_t i, r, k;
    int rc;
    char label[96];

    for (i = 0; i < R * STEPS * F; i++) value[i] = 0.05 + 0.9 * cct_uniform(&rng);
    for (i = 0; i < R * STEPS * S; i++) inflow[i] = 5.0 * cct_uniform(&rng);
    for (i = 0; i < R * S; i++) x0[i] = 50.0 + 50.0 * cct_uniform(&rng);

    for (r = 0; r < R; r++) {
        rc = project(&m, STEPS, 0.5, CC_KIND_RATE, value + r * STEPS * F, F,
                     inflow + r * STEPS * S, S, x0 + r * S,
                     sep_occ + r * (STEPS + 1) * S, sep_moved + r * STEPS * F, NULL, NULL);
        viv(rc, CC_OK, fn, "separate cc_project call", status);
    }

    for (k = 0; k < 5; k++) {
        cct_fill(occ, R * (STEPS + 1) * S, SENTINEL);
        bad = UNSET;
        rc = cc_project_batch(&m, R, STEPS, 0.5, CC_KIND_RATE, value, STEPS * F, F,
                              inflow, STEPS * S, S, x0, S, threads[k], occ, moved,
                              arrivals, &bad);
        snprintf(label, sizeof label, "threads %zu: status", threads[k]);
        viv(rc, CC_OK, fn, label, status);
        snprintf(label, sizeof label, "threads %zu: bad_index", threads[k]);
        viv(bad, -1, fn, label, status);
        if (k == 0) {
            vvrv(occ, sep_occ, R * (STEPS + 1) * S, 1e-15, fn,
                 "threads 1: occupancy == 3 cc_project calls", status);
            vvrv(moved, sep_moved, R * STEPS * F, 1e-15, fn,
                 "threads 1: moved == 3 cc_project calls", status);
            vbits(arrivals, inflow, R * STEPS * S, fn, "threads 1: arrivals are the inflow",
                  status);
            memcpy(occ1, occ, sizeof occ);
            memcpy(moved1, moved, sizeof moved);
            memcpy(arrivals1, arrivals, sizeof arrivals);
        } else {
            snprintf(label, sizeof label, "threads %zu: occupancy bit-identical to 1", threads[k]);
            vbits(occ, occ1, R * (STEPS + 1) * S, fn, label, status);
            snprintf(label, sizeof label, "threads %zu: moved bit-identical to 1", threads[k]);
            vbits(moved, moved1, R * STEPS * F, fn, label, status);
            snprintf(label, sizeof label, "threads %zu: arrivals bit-identical", threads[k]);
            vbits(arrivals, arrivals1, R * STEPS * S, fn, label, status);
        }
    }

    /* moved and arrivals NULL */
    rc = cc_project_batch(&m, R, STEPS, 0.5, CC_KIND_RATE, value, STEPS * F, F, inflow,
                          STEPS * S, S, x0, S, 2, occ, NULL, NULL, NULL);
    viv(rc, CC_OK, fn, "moved, arrivals, bad_index NULL", status);
    vbits(occ, occ1, R * (STEPS + 1) * S, fn, "moved, arrivals NULL: same occupancy", status);

    /* Replicate stride 0: all replicates share replicate 0's arrays, so
     * every replicate equals the separate projection of replicate 0. */
    rc = cc_project_batch(&m, R, STEPS, 0.5, CC_KIND_RATE, value, 0, F, inflow, 0, S,
                          x0, 0, 2, occ, moved, NULL, &bad);
    viv(rc, CC_OK, fn, "replicate stride 0", status);
    for (r = 0; r < R; r++) {
        snprintf(label, sizeof label, "shared arrays: replicate %zu == replicate 0 alone", r);
        vvrv(occ + r * (STEPS + 1) * S, sep_occ, (STEPS + 1) * S, 1e-15, fn, label, status);
    }
    /* Constant rows (step stride 0) within replicates: replicate r uses
     * value row r * F for every step; compare with cc_project stride 0. */
    {
        double one[(STEPS + 1) * S];
        rc = cc_project_batch(&m, R, STEPS, 0.5, CC_KIND_RATE, value, F, 0, NULL, 0, 0,
                              x0, S, 1, occ, NULL, NULL, &bad);
        viv(rc, CC_OK, fn, "step stride 0, no inflow", status);
        for (r = 0; r < R; r++) {
            rc = project(&m, STEPS, 0.5, CC_KIND_RATE, value + r * F, 0, NULL, 0,
                         x0 + r * S, one, NULL, NULL, NULL);
            snprintf(label, sizeof label, "step stride 0: replicate %zu", r);
            vvrv(occ + r * (STEPS + 1) * S, one, (STEPS + 1) * S, 1e-15, fn, label, status);
        }
    }

    /* Errors in replicate 2: bad_index carries the replicate offset, and no
     * replicate is projected beyond row 0. */
#define UNTOUCHED_BEYOND_ROW0(what)                                                \
    do {                                                                           \
        int untouched = 1;                                                         \
        size_t rr, jj;                                                             \
        for (rr = 0; rr < R; rr++)                                                 \
            for (jj = S; jj < (STEPS + 1) * S; jj++)                               \
                if (occ[rr * (STEPS + 1) * S + jj] != SENTINEL) untouched = 0;     \
        vok(untouched, fn, what ": no replicate projected beyond row 0", status); \
    } while (0)
    {
        double saved = x0[2 * S + 1];
        x0[2 * S + 1] = -3.0;
        cct_fill(occ, R * (STEPS + 1) * S, SENTINEL);
        bad = UNSET;
        rc = cc_project_batch(&m, R, STEPS, 0.5, CC_KIND_RATE, value, STEPS * F, F,
                              inflow, STEPS * S, S, x0, S, 2, occ, moved, arrivals, &bad);
        viv(rc, CC_ENEGATIVE, fn, "x0 of replicate 2, state 1 negative", status);
        viv(bad, 2 * S + 1, fn, "x0 r=2 s=1: bad_index r*S+s = 7", status);
        UNTOUCHED_BEYOND_ROW0("x0 r=2 negative");
        x0[2 * S + 1] = saved;
    }
    {
        /* value of replicate 2, step 1, flow 0: 2*(STEPS*F) + 1*F + 0 = 27 */
        size_t at = 2 * STEPS * F + 1 * F + 0;
        double saved = value[at];
        value[at] = NAN;
        cct_fill(occ, R * (STEPS + 1) * S, SENTINEL);
        bad = UNSET;
        rc = cc_project_batch(&m, R, STEPS, 0.5, CC_KIND_RATE, value, STEPS * F, F,
                              inflow, STEPS * S, S, x0, S, 4, occ, moved, arrivals, &bad);
        viv(rc, CC_ENONFINITE, fn, "value r=2 t=1 f=0 NaN", status);
        viv(bad, (long long)at, fn, "value r=2 t=1 f=0: bad_index 27", status);
        UNTOUCHED_BEYOND_ROW0("value r=2 NaN");
        value[at] = saved;
    }
    {
        /* inflow of replicate 2, step 3, state 2: 2*(STEPS*S) + 3*S + 2 = 35 */
        size_t at = 2 * STEPS * S + 3 * S + 2;
        double saved = inflow[at];
        inflow[at] = -1.0;
        cct_fill(occ, R * (STEPS + 1) * S, SENTINEL);
        bad = UNSET;
        rc = cc_project_batch(&m, R, STEPS, 0.5, CC_KIND_RATE, value, STEPS * F, F,
                              inflow, STEPS * S, S, x0, S, 1, occ, moved, arrivals, &bad);
        viv(rc, CC_ENEGATIVE, fn, "inflow r=2 t=3 s=2 negative", status);
        viv(bad, (long long)at, fn, "inflow r=2 t=3 s=2: bad_index 35", status);
        UNTOUCHED_BEYOND_ROW0("inflow r=2 negative");
        inflow[at] = saved;
    }
    {
        /* prob kind, replicate 2, step 2: state 0's flows sum to 1.5.
         * Elements per replicate for EPROBSUM are STEPS * S rows:
         * 2*(STEPS*S) + 2*S + 0 = 30 */
        double pv[R * STEPS * F];
        for (i = 0; i < R * STEPS * F; i++) pv[i] = 0.25;
        pv[2 * STEPS * F + 2 * F + 0] = 0.75;
        pv[2 * STEPS * F + 2 * F + 1] = 0.75;
        bad = UNSET;
        rc = cc_project_batch(&m, R, STEPS, 1.0, CC_KIND_PROB, pv, STEPS * F, F, NULL, 0, 0,
                              x0, S, 2, occ, NULL, NULL, &bad);
        viv(rc, CC_EPROBSUM, fn, "prob sum 1.5 in r=2 t=2 s=0", status);
        viv(bad, 2 * STEPS * S + 2 * S + 0, fn, "prob sum r=2 t=2 s=0: bad_index 30", status);
    }
    {
        /* Constant rows per replicate (value_stride 0): a replicate holds F
         * values, so NaN in replicate 2, flow 1 is at 2*F + 1 = 7. */
        double saved = value[2 * F + 1];
        value[2 * F + 1] = NAN;
        bad = UNSET;
        rc = cc_project_batch(&m, R, STEPS, 0.5, CC_KIND_RATE, value, F, 0, NULL, 0, 0,
                              x0, S, 2, occ, NULL, NULL, &bad);
        viv(rc, CC_ENONFINITE, fn, "constant rows: value r=2 f=1 NaN", status);
        viv(bad, 2 * F + 1, fn, "constant rows: bad_index r*F+f = 7", status);
        value[2 * F + 1] = saved;
    }
    {
        /* Constant rows, prob kind: one row per replicate, so EPROBSUM in
         * replicate 1, state 0 is at 1*S + 0 = 3. */
        double pv[R * F] = {0.25, 0.25, 0.25, 0.5, 0.75, 0.25, 0.25, 0.25, 0.25};
        bad = UNSET;
        rc = cc_project_batch(&m, R, STEPS, 1.0, CC_KIND_PROB, pv, F, 0, NULL, 0, 0,
                              x0, S, 2, occ, NULL, NULL, &bad);
        viv(rc, CC_EPROBSUM, fn, "constant rows: prob sum 1.25 in r=1 s=0", status);
        viv(bad, 1 * S + 0, fn, "constant rows: prob sum bad_index r*S+s = 3", status);
    }
#undef UNTOUCHED_BEYOND_ROW0
    rc = cc_project_batch(&m, R, STEPS, 0.0, CC_KIND_RATE, value, STEPS * F, F, NULL, 0, 0,
                          x0, S, 1, occ, NULL, NULL, &bad);
    viv(rc, CC_EDT, fn, "dt 0", status);
    rc = cc_project_batch(NULL, R, STEPS, 1.0, CC_KIND_RATE, value, STEPS * F, F, NULL, 0, 0,
                          x0, S, 1, occ, NULL, NULL, &bad);
    viv(rc, CC_EARG, fn, "m NULL", status);
    rc = cc_project_batch(&m, R, STEPS, 1.0, CC_KIND_RATE, value, STEPS * F, F, NULL, 0, 0,
                          x0, S, 1, NULL, NULL, NULL, &bad);
    viv(rc, CC_EARG, fn, "occupancy NULL", status);
    /* R * (steps+1) * S overflows size_t */
    rc = cc_project_batch(&m, SIZE_MAX / 4, STEPS, 1.0, CC_KIND_RATE, value, 0, 0, NULL, 0,
                          0, x0, 0, 1, occ, NULL, NULL, &bad);
    viv(rc, CC_EDIM, fn, "R*(steps+1)*S overflows size_t", status);
    /* Allocation failure: the library offers no allocator hook (carecast.h
     * has none), so CC_ENOMEM cannot be provoked from a test. */
}

void t_cc_check_flow_values(int *status)
{
    static const char *fn = "cc_check_flow_values";
    const int64_t src[3] = {0, 0, 1}, dst[3] = {1, 2, 2};
    const cc_structure m = {3, 3, src, dst, NULL};
    double value[2 * 3] = {0.25, 0.5, 1.0, 0.25, 0.75, 0.5};
    double leave[3];
    ptrdiff_t bad = UNSET;
    int rc;

    rc = cc_check_flow_values(&m, 2, CC_KIND_PROB, value, 3, leave, &bad);
    viv(rc, CC_OK, fn, "valid probabilities (sum exactly 1 at t=1)", status);
    viv(bad, -1, fn, "valid: bad_index -1", status);
    rc = cc_check_flow_values(&m, 2, CC_KIND_RATE, value, 3, leave, &bad);
    viv(rc, CC_OK, fn, "valid rates", status);
    rc = cc_check_flow_values(&m, 0, CC_KIND_PROB, value, 3, leave, &bad);
    viv(rc, CC_OK, fn, "steps 0", status);

    /* Row t = 1, state 0: 0.25 + 0.8 = 1.05 -> EPROBSUM at t*S+s = 3 */
    value[4] = 0.8;
    bad = UNSET;
    rc = cc_check_flow_values(&m, 2, CC_KIND_PROB, value, 3, leave, &bad);
    viv(rc, CC_EPROBSUM, fn, "sum 1.05 at t=1, s=0", status);
    viv(bad, 3, fn, "sum 1.05 at t=1, s=0: bad_index t*S+s = 3", status);
    /* The same value as a rate is fine. */
    viv(cc_check_flow_values(&m, 2, CC_KIND_RATE, value, 3, leave, &bad), CC_OK, fn,
        "rates may exceed 1", status);
    /* Only row 0 is read with stride 0. */
    viv(cc_check_flow_values(&m, 2, CC_KIND_PROB, value, 0, leave, &bad), CC_OK, fn,
        "stride 0 reads row 0 only", status);
    value[4] = 0.75;

    value[5] = 1.25;
    bad = UNSET;
    rc = cc_check_flow_values(&m, 2, CC_KIND_PROB, value, 3, leave, &bad);
    viv(rc, CC_EPROB, fn, "p 1.25 at t=1, f=2", status);
    viv(bad, 5, fn, "p 1.25 at t=1, f=2: bad_index t*F+f = 5", status);
    value[5] = -0.25;
    rc = cc_check_flow_values(&m, 2, CC_KIND_RATE, value, 3, leave, &bad);
    viv(rc, CC_ENEGATIVE, fn, "rate -0.25 at t=1, f=2", status);
    viv(bad, 5, fn, "rate -0.25: bad_index 5", status);
    value[5] = INFINITY;
    rc = cc_check_flow_values(&m, 2, CC_KIND_RATE, value, 3, leave, &bad);
    viv(rc, CC_ENONFINITE, fn, "rate inf at t=1, f=2", status);
    viv(bad, 5, fn, "rate inf: bad_index 5", status);
    value[5] = 0.5;
    viv(cc_check_flow_values(&m, 2, CC_KIND_RATE, NULL, 3, leave, &bad), CC_EARG, fn,
        "value NULL", status);
    viv(cc_check_flow_values(&m, 2, (cc_kind)9, value, 3, leave, &bad), CC_EARG, fn,
        "unknown kind", status);
}

void t_cc_check_nonnegative(int *status)
{
    static const char *fn = "cc_check_nonnegative";
    double x[4] = {0.0, 1.0, 1e300, 5e-324};
    ptrdiff_t bad = UNSET;
    viv(cc_check_nonnegative(4, x, &bad), CC_OK, fn, "0, 1, 1e300, smallest subnormal", status);
    viv(bad, -1, fn, "valid: bad_index -1", status);
    viv(cc_check_nonnegative(0, NULL, &bad), CC_OK, fn, "n 0, x NULL", status);
    viv(cc_check_nonnegative(2, NULL, &bad), CC_EARG, fn, "n 2, x NULL", status);
    x[2] = -1e-300;
    viv(cc_check_nonnegative(4, x, &bad), CC_ENEGATIVE, fn, "-1e-300 at 2", status);
    viv(bad, 2, fn, "-1e-300 at 2: bad_index", status);
    x[2] = NAN;
    viv(cc_check_nonnegative(4, x, &bad), CC_ENONFINITE, fn, "NaN at 2", status);
    viv(bad, 2, fn, "NaN at 2: bad_index", status);
    x[2] = 1.0;
    x[3] = INFINITY;
    viv(cc_check_nonnegative(4, x, &bad), CC_ENONFINITE, fn, "inf at 3", status);
    viv(bad, 3, fn, "inf at 3: bad_index", status);
    x[3] = -0.0;
    viv(cc_check_nonnegative(4, x, &bad), CC_OK, fn, "-0.0 is not negative", status);
    /* The first offending element is reported. */
    x[1] = -1.0;
    x[3] = NAN;
    viv(cc_check_nonnegative(4, x, &bad), CC_ENEGATIVE, fn, "first offender wins", status);
    viv(bad, 1, fn, "first offender: bad_index 1", status);
}
