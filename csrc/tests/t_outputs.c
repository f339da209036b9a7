/*
 * t_outputs.c - cc_check_reduction, cc_project_batch_outputs and
 * cc_simulate_range_outputs: reduced outputs against hand-computed values,
 * and bit for bit against the same sums (in the documented order) taken
 * over the full output of cc_project_batch_ctl / cc_simulate_range_ctl,
 * across thread counts and ranges; every error path.
 */
#include <stdlib.h>
#include <string.h>

#include "carecast.h"
#include "cctest.h"

/* The documented order: acc = 0, then acc += weight * x term by term. */
static void oracle(const cc_reduction *red, const double *rows, size_t n_rows, size_t width,
                   double *out)
{
    for (size_t t = 0; t < n_rows; t++) {
        for (size_t k = 0; k < red->n_outputs; k++) {
            double acc = 0.0;
            for (int64_t p = red->ptr[k]; p < red->ptr[k + 1]; p++) {
                acc += red->weight[p] * rows[t * width + (size_t)red->index[p]];
            }
            out[t * red->n_outputs + k] = acc;
        }
    }
}

void t_cc_check_reduction(int *status)
{
    static const char *fn = "cc_check_reduction";
    int64_t ptr[4] = {0, 2, 2, 3};
    int64_t index[3] = {0, 1, 1};
    double weight[3] = {2.0, -3.0, 0.25};
    cc_reduction red = {3, ptr, index, weight};
    double bound = 0.0;
    ptrdiff_t bad = 7;
    viv(cc_check_reduction(&red, 2, &bound, &bad), CC_OK, fn, "valid", status);
    viv(bad, -1, fn, "valid bad_index", status);
    /* |2| + |-3| = 5, rounded up by 2^-40 */
    veq(bound, 5.0 * (1.0 + 0x1p-40), fn, "bound", status);
    viv(cc_check_reduction(&red, 1, NULL, &bad), CC_EINDEX, fn, "index >= n", status);
    viv(bad, 1, fn, "index >= n bad_index", status);
    index[2] = -1;
    viv(cc_check_reduction(&red, 2, NULL, &bad), CC_EINDEX, fn, "index < 0", status);
    viv(bad, 2, fn, "index < 0 bad_index", status);
    index[2] = 1;
    weight[1] = NAN;
    viv(cc_check_reduction(&red, 2, NULL, &bad), CC_ENONFINITE, fn, "NaN weight", status);
    viv(bad, 1, fn, "NaN weight bad_index", status);
    weight[1] = -3.0;
    ptr[2] = 1;
    viv(cc_check_reduction(&red, 2, NULL, &bad), CC_EDIM, fn, "ptr decreasing", status);
    viv(bad, 2, fn, "ptr decreasing bad_index", status);
    ptr[2] = 2;
    ptr[0] = 1;
    viv(cc_check_reduction(&red, 2, NULL, &bad), CC_EDIM, fn, "ptr[0] != 0", status);
    viv(bad, 0, fn, "ptr[0] bad_index", status);
    ptr[0] = 0;
    viv(cc_check_reduction(NULL, 2, NULL, &bad), CC_EARG, fn, "NULL", status);
    const cc_reduction no_terms = {3, ptr, NULL, NULL};
    viv(cc_check_reduction(&no_terms, 2, NULL, &bad), CC_EARG, fn, "NULL index", status);
    const int64_t zero[1] = {0};
    const cc_reduction empty = {0, zero, NULL, NULL};
    viv(cc_check_reduction(&empty, 2, &bound, &bad), CC_OK, fn, "K = 0", status);
    veq(bound, 1.0, fn, "K = 0 bound", status);
}

/* Two replicates of 0 -> 1 with probability 1/2 and 1/4 per step from
 * x0 = (8, 0).  By hand: replicate 0 has x = (8,0), (4,4), (2,6), moved 4, 2;
 * replicate 1 has x = (8,0), (6,2), (4.5,3.5), moved 2, 1.5. */
static void hand_case(int *status)
{
    static const char *fn = "cc_project_batch_outputs";
    const int64_t src[1] = {0}, dst[1] = {1};
    const cc_structure m = {2, 1, src, dst, NULL};
    const double value[2] = {0.5, 0.25};
    const double x0[2] = {8.0, 0.0};
    /* out0 = x0 + x1; out1 = 2 x1 - 0.5 x0; out2 = nothing */
    const int64_t ptr[4] = {0, 2, 4, 4};
    const int64_t index[4] = {0, 1, 1, 0};
    const double weight[4] = {1.0, 1.0, 2.0, -0.5};
    const cc_reduction red = {3, ptr, index, weight};
    const int64_t fptr[2] = {0, 1};
    const int64_t findex[1] = {0};
    const double fweight[1] = {3.0};
    const cc_reduction fred = {1, fptr, findex, fweight};
    const double want[2 * 3 * 3] = {8, -4, 0, 8, 6, 0, 8, 11, 0,
                                    8, -4, 0, 8, 1, 0, 8, 4.75, 0};
    const double want_flow[2 * 2] = {12, 6, 6, 4.5};
    double out[18], flow_out[4];
    ptrdiff_t bad = 0;
    for (size_t threads = 1; threads <= 2; threads++) {
        const cc_batch_control control = {threads, NULL};
        cct_fill(out, 18, -777.0);
        cct_fill(flow_out, 4, -777.0);
        viv(cc_project_batch_outputs(&m, 2, 2, 1.0, CC_KIND_PROB, value, 1, 0, NULL, 0, 0, x0,
                                     0, &red, &fred, &control, out, flow_out, &bad),
            CC_OK, fn, "hand case", status);
        vbits(out, want, 18, fn, "hand case outputs", status);
        vbits(flow_out, want_flow, 4, fn, "hand case flow outputs", status);
    }
    /* Only flow outputs; only state outputs. */
    cct_fill(flow_out, 4, -777.0);
    viv(cc_project_batch_outputs(&m, 2, 2, 1.0, CC_KIND_PROB, value, 1, 0, NULL, 0, 0, x0, 0,
                                 NULL, &fred, NULL, NULL, flow_out, &bad),
        CC_OK, fn, "flow only", status);
    vbits(flow_out, want_flow, 4, fn, "flow only outputs", status);
    cct_fill(out, 18, -777.0);
    viv(cc_project_batch_outputs(&m, 2, 2, 1.0, CC_KIND_PROB, value, 1, 0, NULL, 0, 0, x0, 0,
                                 &red, NULL, NULL, out, NULL, &bad),
        CC_OK, fn, "state only", status);
    vbits(out, want, 18, fn, "state only outputs", status);

    /* Errors. */
    viv(cc_project_batch_outputs(&m, 2, 2, 1.0, CC_KIND_PROB, value, 1, 0, NULL, 0, 0, x0, 0,
                                 NULL, NULL, NULL, out, flow_out, &bad),
        CC_EARG, fn, "no reduction", status);
    viv(cc_project_batch_outputs(&m, 2, 2, 1.0, CC_KIND_PROB, value, 1, 0, NULL, 0, 0, x0, 0,
                                 &red, NULL, NULL, NULL, NULL, &bad),
        CC_EARG, fn, "outputs NULL", status);
    viv(cc_project_batch_outputs(&m, 2, 2, 1.0, CC_KIND_PROB, value, 1, 0, NULL, 0, 0, x0, 0,
                                 &red, &fred, NULL, out, NULL, &bad),
        CC_EARG, fn, "flow_out NULL", status);
    /* The flow reduction refers to flows: index 1 is out of range for F = 1. */
    const int64_t bad_findex[1] = {1};
    const cc_reduction bad_fred = {1, fptr, bad_findex, fweight};
    viv(cc_project_batch_outputs(&m, 2, 2, 1.0, CC_KIND_PROB, value, 1, 0, NULL, 0, 0, x0, 0,
                                 &red, &bad_fred, NULL, out, flow_out, &bad),
        CC_EINDEX, fn, "flow index", status);
    viv(bad, 0, fn, "flow index bad_index", status);
    /* Data errors still come through, with bad_index as cc_project_batch. */
    const double bad_value[2] = {0.5, 1.5};
    viv(cc_project_batch_outputs(&m, 2, 2, 1.0, CC_KIND_PROB, bad_value, 1, 0, NULL, 0, 0, x0,
                                 0, &red, NULL, NULL, out, NULL, &bad),
        CC_EPROB, fn, "probability above 1", status);
    viv(bad, 1, fn, "probability bad_index", status);
    /* 1e300 people are accepted by cc_project, but a weight of 1e10 on them
     * could overflow: refused. */
    const double many[2] = {1e300, 0.0};
    const double heavy_weight[4] = {1.0, 1.0, 1e10, -0.5};
    const cc_reduction heavy = {3, ptr, index, heavy_weight};
    viv(cc_project_batch_outputs(&m, 2, 2, 1.0, CC_KIND_PROB, value, 1, 0, NULL, 0, 0, many,
                                 0, &heavy, NULL, NULL, out, NULL, &bad),
        CC_EOVERFLOW, fn, "weights times people overflow", status);
    viv(cc_project_batch_outputs(&m, 2, 2, 1.0, CC_KIND_PROB, value, 1, 0, NULL, 0, 0, many,
                                 0, &red, NULL, NULL, out, NULL, &bad),
        CC_OK, fn, "1e300 people, unit weights", status);
    const volatile int raised = 1;
    const cc_batch_control stop = {2, &raised};
    viv(cc_project_batch_outputs(&m, 2, 2, 1.0, CC_KIND_PROB, value, 1, 0, NULL, 0, 0, x0, 0,
                                 &red, NULL, &stop, out, NULL, &bad),
        CC_EINTERRUPTED, fn, "cancel raised", status);
    viv(cc_simulate_range_outputs(&m, 2, 2, 1.0, CC_KIND_PROB, value, 1, 0, NULL, 0, 0, x0, 0,
                                  1, 0, &red, NULL, &stop, out, NULL, &bad),
        CC_EINTERRUPTED, "cc_simulate_range_outputs", "cancel raised", status);
    const double half[2] = {7.5, 0.0};
    viv(cc_simulate_range_outputs(&m, 2, 2, 1.0, CC_KIND_PROB, value, 1, 0, NULL, 0, 0, half,
                                  0, 1, 0, &red, NULL, NULL, out, NULL, &bad),
        CC_EARG, "cc_simulate_range_outputs", "x0 not whole", status);
    viv(bad, 0, "cc_simulate_range_outputs", "x0 not whole bad_index", status);
}

/* 37 replicates (two blocks of 16 and a partial one), 7 states, 15 flows,
 * 9 steps, an advance map, per-replicate inflow and values. */
enum { OR = 37, OS = 7, OF = 15, OSTEPS = 9, OK_ = 5, OL = 3 };

void t_cc_project_batch_outputs(int *status)
{
    static const char *fn = "cc_project_batch_outputs";
    static int64_t src[OF], dst[OF], advance[OS];
    static double value[OR * OSTEPS * OF], inflow[OR * OSTEPS * OS], x0[OR * OS];
    static double occ[OR * (OSTEPS + 1) * OS], moved[OR * OSTEPS * OF], arr[OR * OSTEPS * OS];
    static double want[OR * (OSTEPS + 1) * OK_], want_flow[OR * OSTEPS * OL];
    static double out[OR * (OSTEPS + 1) * OK_], flow_out[OR * OSTEPS * OL];
    cct_rng rng = {20261202ULL};
    ptrdiff_t bad;
    char label[128];
    hand_case(status);
    for (size_t i = 0; i < OF; i++) {
        src[i] = (int64_t)cct_below(&rng, OS - 1);
        dst[i] = (int64_t)cct_below(&rng, OS);
    }
    for (size_t i = 0; i < OS; i++) advance[i] = -1;
    advance[1] = 2;
    for (size_t i = 0; i < OR * OSTEPS * OF; i++) value[i] = 2.0 * cct_uniform(&rng);
    for (size_t i = 0; i < OR * OSTEPS * OS; i++) inflow[i] = 3.0 * cct_uniform(&rng);
    for (size_t i = 0; i < OR * OS; i++) {
        const size_t people = cct_below(&rng, 300);
        x0[i] = (double)people;
    }
    /* Outputs with repeated states, signs, an empty output and a
     * non-representable weight (0.1). */
    const int64_t ptr[OK_ + 1] = {0, 3, 3, 7, 8, 12};
    const int64_t index[12] = {0, 1, 2, 6, 5, 4, 6, 3, 0, 1, 2, 3};
    const double weight[12] = {1, 1, 1, 0.1, -2.5, 3.0, 0.1, 1e-3, 0.7, 0.7, 0.7, -0.7};
    const cc_reduction red = {OK_, ptr, index, weight};
    const int64_t fptr[OL + 1] = {0, 5, 6, 15};
    const int64_t findex[15] = {0, 1, 2, 3, 4, 14, 0, 1, 2, 3, 4, 5, 6, 7, 14};
    const double fweight[15] = {1, 1, 1, 1, 1, 0.3, 2, 2, 2, 2, 2, 2, 2, 2, -1};
    const cc_reduction fred = {OL, fptr, findex, fweight};
    /* Each output of fred takes its flows in rising order with at most
     * four outputs a flow, so the deterministic kernel adds each flow to its
     * outputs as it applies it; the same outputs with the last one's flows
     * in falling order take the other path (moved kept per block, then
     * summed).  Both must give the oracle's bits. */
    const int64_t findex_falling[15] = {0, 1, 2, 3, 4, 14, 0, 14, 7, 6, 5, 4, 3, 2, 1};
    const double fweight_falling[15] = {1, 1, 1, 1, 1, 0.3, 2, -1, 2, 2, 2, 2, 2, 2, 2};
    const cc_reduction fred_falling = {OL, fptr, findex_falling, fweight_falling};
    static double want_falling[OR * OSTEPS * OL];
    const cc_structure m = {OS, OF, src, dst, advance};

    for (int stochastic = 0; stochastic <= 1; stochastic++) {
        const char *name = stochastic ? "cc_simulate_range_outputs" : fn;
        const cc_batch_control one = {1, NULL};
        int full;
        if (stochastic) {
            full = cc_simulate_range_ctl(&m, OR, OSTEPS, 0.5, CC_KIND_RATE, value, OSTEPS * OF, OF,
                                         inflow, OSTEPS * OS, OS, x0, OS, 99, 5, &one, occ,
                                         moved, arr, &bad);
        } else {
            full = cc_project_batch_ctl(&m, OR, OSTEPS, 0.5, CC_KIND_RATE, value, OSTEPS * OF, OF,
                                        inflow, OSTEPS * OS, OS, x0, OS, &one, occ, moved, arr,
                                        &bad);
        }
        viv(full, CC_OK, name, "full path", status);
        oracle(&red, occ, OR * (OSTEPS + 1), OS, want);
        oracle(&fred, moved, OR * OSTEPS, OF, want_flow);
        for (size_t threads = 1; threads <= 4; threads++) {
            const cc_batch_control control = {threads, NULL};
            cct_fill(out, OR * (OSTEPS + 1) * OK_, -777.0);
            cct_fill(flow_out, OR * OSTEPS * OL, -777.0);
            int got;
            if (stochastic) {
                got = cc_simulate_range_outputs(&m, OR, OSTEPS, 0.5, CC_KIND_RATE, value,
                                                OSTEPS * OF, OF, inflow, OSTEPS * OS, OS, x0,
                                                OS, 99, 5, &red, &fred, &control, out,
                                                flow_out, &bad);
            } else {
                got = cc_project_batch_outputs(&m, OR, OSTEPS, 0.5, CC_KIND_RATE, value,
                                               OSTEPS * OF, OF, inflow, OSTEPS * OS, OS, x0,
                                               OS, &red, &fred, &control, out, flow_out, &bad);
            }
            viv(got, CC_OK, name, cct_label1(label, sizeof label, "threads", threads), status);
            vbits(out, want, OR * (OSTEPS + 1) * OK_, name,
                  cct_label1(label, sizeof label, "outputs = oracle, threads", threads), status);
            vbits(flow_out, want_flow, OR * OSTEPS * OL, name,
                  cct_label1(label, sizeof label, "flow outputs = oracle, threads", threads),
                  status);
            if (!stochastic) {
                oracle(&fred_falling, moved, OR * OSTEPS, OF, want_falling);
                cct_fill(flow_out, OR * OSTEPS * OL, -777.0);
                got = cc_project_batch_outputs(&m, OR, OSTEPS, 0.5, CC_KIND_RATE, value,
                                               OSTEPS * OF, OF, inflow, OSTEPS * OS, OS, x0,
                                               OS, NULL, &fred_falling, &control, NULL, flow_out,
                                               &bad);
                viv(got, CC_OK, name, "falling order", status);
                vbits(flow_out, want_falling, OR * OSTEPS * OL, name,
                      cct_label1(label, sizeof label, "falling flow outputs = oracle, threads",
                                 threads),
                      status);
            }
        }
        /* Shared constant values and shared inflow (the kernels' shortcuts). */
        if (stochastic) {
            full = cc_simulate_range_ctl(&m, OR, OSTEPS, 0.5, CC_KIND_RATE, value, 0, 0, inflow,
                                         0, 0, x0, OS, 3, 0, &one, occ, NULL, arr, &bad);
        } else {
            full = cc_project_batch_ctl(&m, OR, OSTEPS, 0.5, CC_KIND_RATE, value, 0, 0, inflow,
                                        0, 0, x0, OS, &one, occ, NULL, arr, &bad);
        }
        viv(full, CC_OK, name, "full path, shared", status);
        oracle(&red, occ, OR * (OSTEPS + 1), OS, want);
        const cc_batch_control three = {3, NULL};
        cct_fill(out, OR * (OSTEPS + 1) * OK_, -777.0);
        if (stochastic) {
            full = cc_simulate_range_outputs(&m, OR, OSTEPS, 0.5, CC_KIND_RATE, value, 0, 0,
                                             inflow, 0, 0, x0, OS, 3, 0, &red, NULL, &three,
                                             out, NULL, &bad);
        } else {
            full = cc_project_batch_outputs(&m, OR, OSTEPS, 0.5, CC_KIND_RATE, value, 0, 0,
                                            inflow, 0, 0, x0, OS, &red, NULL, &three, out, NULL,
                                            &bad);
        }
        viv(full, CC_OK, name, "shared", status);
        vbits(out, want, OR * (OSTEPS + 1) * OK_, name, "shared: outputs = oracle", status);
    }
    /* A range of a stochastic run: replicates 10 .. 19 of the run above. */
    const cc_batch_control two = {2, NULL};
    viv(cc_simulate_range_outputs(&m, 10, OSTEPS, 0.5, CC_KIND_RATE, value, 0, 0, inflow, 0, 0,
                                  x0 + 10 * OS, OS, 3, 10, &red, NULL, &two, out, NULL, &bad),
        CC_OK, "cc_simulate_range_outputs", "range", status);
    vbits(out, want + 10 * (OSTEPS + 1) * OK_, 10 * (OSTEPS + 1) * OK_,
          "cc_simulate_range_outputs", "range = the same replicates of one run", status);
}
