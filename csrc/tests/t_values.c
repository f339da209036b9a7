/*
 * t_values.c - cc_accrue and cc_price_index.
 */
#include <math.h>
#include <stdio.h>

#include "carecast.h"
#include "cctest.h"

#define UNSET ((ptrdiff_t)12345)

/* S = 2, F = 1 (flow 0 -> 1), 2 steps of dt = 0.5, a consistent projection:
 *   x0 = [10, 4]; step 0: 4 move 0->1 -> [6, 8], 1 arrives in 0 -> x1 = [7, 8]
 *   step 1: 4 move -> [3, 12], 2 arrive in 1 -> x2 = [3, 14] */
static const double occ[6] = {10, 4, 7, 8, 3, 14};
static const double moved[2] = {4, 4};
static const double arrivals[4] = {1, 0, 0, 2};
static const double per_year[2] = {100, 50};
static const double per_flow[1] = {30};
static const double per_arrival[2] = {1000, 500};

void t_cc_accrue(int *status)
{
    static const char *fn = "cc_accrue";
    double by_state[4], by_flow[2], by_arrival[4], total[2];
    ptrdiff_t bad;
    int rc;

    /* START: per_year * dt * x[t]:
     *   t0: [100*.5*10, 50*.5*4] = [500, 100]; t1: [100*.5*7, 50*.5*8] = [350, 200] */
    {
        const double ok[4] = {500, 100, 350, 200};
        bad = UNSET;
        rc = cc_accrue(2, 1, 2, 0.5, occ, NULL, NULL, per_year, 0, NULL, 0, NULL, 0,
                       CC_OCC_START, NULL, NULL, by_state, NULL, NULL, total, &bad);
        viv(rc, CC_OK, fn, "start rule", status);
        viv(bad, -1, fn, "start rule: bad_index -1", status);
        vvrv(by_state, ok, 4, 1e-15, fn, "start rule by_state", status);
        vvr(total[0], 600, 1e-15, fn, "start rule total[0] = 500 + 100", status);
        vvr(total[1], 550, 1e-15, fn, "start rule total[1] = 350 + 200", status);
    }
    /* END: x[t+1]: t0: [50*7, 25*8] = [350, 200]; t1: [50*3, 25*14] = [150, 350] */
    {
        const double ok[4] = {350, 200, 150, 350};
        rc = cc_accrue(2, 1, 2, 0.5, occ, NULL, NULL, per_year, 0, NULL, 0, NULL, 0,
                       CC_OCC_END, NULL, NULL, by_state, NULL, NULL, total, &bad);
        viv(rc, CC_OK, fn, "end rule", status);
        vvrv(by_state, ok, 4, 1e-15, fn, "end rule by_state", status);
        vvr(total[1], 500, 1e-15, fn, "end rule total[1] = 150 + 350", status);
    }
    /* TRAPEZOID: t0: [50*(10+7)/2, 25*(4+8)/2] = [425, 150];
     *            t1: [50*(7+3)/2, 25*(8+14)/2] = [250, 275]
     * per flow: 30 * 4 = 120 each step; per arrival: t0 [1000*1, 0],
     * t1 [0, 500*2] = [0, 1000].
     * total: t0 425 + 150 + 120 + 1000 = 1695; t1 250 + 275 + 120 + 1000 = 1645 */
    {
        const double ok_state[4] = {425, 150, 250, 275};
        const double ok_flow[2] = {120, 120};
        const double ok_arr[4] = {1000, 0, 0, 1000};
        rc = cc_accrue(2, 1, 2, 0.5, occ, moved, arrivals, per_year, 0, per_flow, 0,
                       per_arrival, 0, CC_OCC_TRAPEZOID, NULL, NULL, by_state, by_flow,
                       by_arrival, total, &bad);
        viv(rc, CC_OK, fn, "trapezoid with flows and arrivals", status);
        vvrv(by_state, ok_state, 4, 1e-15, fn, "trapezoid by_state", status);
        vvrv(by_flow, ok_flow, 2, 1e-15, fn, "per-flow by_flow", status);
        vvrv(by_arrival, ok_arr, 4, 1e-15, fn, "per-arrival by_arrival", status);
        vvr(total[0], 1695, 1e-15, fn, "trapezoid total[0] = 1695", status);
        vvr(total[1], 1645, 1e-15, fn, "trapezoid total[1] = 1645", status);

        /* NULL optional outputs: the total is the same. */
        total[0] = total[1] = -1.0;
        rc = cc_accrue(2, 1, 2, 0.5, occ, moved, arrivals, per_year, 0, per_flow, 0,
                       per_arrival, 0, CC_OCC_TRAPEZOID, NULL, NULL, NULL, NULL, NULL,
                       total, NULL);
        viv(rc, CC_OK, fn, "by_state, by_flow, by_arrival, bad_index NULL", status);
        vvr(total[0], 1695, 1e-15, fn, "NULL outputs: total[0]", status);
        vvr(total[1], 1645, 1e-15, fn, "NULL outputs: total[1]", status);
    }
    /* Arrivals carry half a step under the trapezoid rule: one arrival in a
     * state worth 52 per year, dt 1, nobody else: x = [0] -> [1].
     * Value in the step = 52 * 1 * (0 + 1)/2 = 26. */
    {
        const double o[2] = {0, 1};
        const double arr[1] = {1};
        const double py[1] = {52};
        double bs[1], tot[1];
        rc = cc_accrue(1, 0, 1, 1.0, o, NULL, arr, py, 0, NULL, 0, NULL, 0,
                       CC_OCC_TRAPEZOID, NULL, NULL, bs, NULL, NULL, tot, NULL);
        viv(rc, CC_OK, fn, "one arrival, trapezoid", status);
        vvr(tot[0], 26, 1e-15, fn, "arrival carries half a step (52/2)", status);
    }
    /* WEIGHTS w = [[0.25, 0.75], [1, 0]]:
     *   t0: [50*(0.25*10 + 0.75*7), 25*(0.25*4 + 0.75*8)] = [50*7.75, 25*7] = [387.5, 175]
     *   t1: [50*7, 25*8] = [350, 200]  (w = [1, 0] is the start rule) */
    {
        const double w[4] = {0.25, 0.75, 1.0, 0.0};
        const double ok[4] = {387.5, 175, 350, 200};
        rc = cc_accrue(2, 1, 2, 0.5, occ, NULL, NULL, per_year, 0, NULL, 0, NULL, 0,
                       CC_OCC_WEIGHTS, w, NULL, by_state, NULL, NULL, total, &bad);
        viv(rc, CC_OK, fn, "weights rule", status);
        vvrv(by_state, ok, 4, 1e-15, fn, "weights rule by_state", status);
        vvr(total[0], 562.5, 1e-15, fn, "weights rule total[0] = 387.5 + 175", status);
    }
    /* Price index [1, 1.1] (trapezoid, flows, arrivals): step 1 is 1.1 times
     * 1645 = 1809.5; by_state t1 = [275, 302.5]; by_flow t1 = 132;
     * by_arrival t1 = [0, 1100]. */
    {
        const double price[2] = {1.0, 1.1};
        rc = cc_accrue(2, 1, 2, 0.5, occ, moved, arrivals, per_year, 0, per_flow, 0,
                       per_arrival, 0, CC_OCC_TRAPEZOID, NULL, price, by_state, by_flow,
                       by_arrival, total, &bad);
        viv(rc, CC_OK, fn, "price index", status);
        vvr(total[0], 1695, 1e-15, fn, "price 1: total[0] unchanged", status);
        vvr(total[1], 1809.5, 1e-14, fn, "price 1.1: total[1] = 1.1 * 1645", status);
        vvr(by_state[2], 275, 1e-14, fn, "price 1.1: by_state[1][0] = 1.1 * 250", status);
        vvr(by_state[3], 302.5, 1e-14, fn, "price 1.1: by_state[1][1] = 1.1 * 275", status);
        vvr(by_flow[1], 132, 1e-14, fn, "price 1.1: by_flow[1] = 1.1 * 120", status);
        vvr(by_arrival[3], 1100, 1e-14, fn, "price 1.1: by_arrival[1][1] = 1.1 * 1000", status);
    }
    /* Time-varying values (stride S, F, S) and negative values (savings):
     * per_year rows [100, 50], [200, 0]; per_flow rows [30], [-10];
     * per_arrival rows [1000, 500], [0, -500].
     *   t0 as in the trapezoid case: 1695
     *   t1: state [200*.5*(7+3)/2, 0] = [500, 0]; flow -10*4 = -40;
     *       arrivals [0*0, -500*2] = [0, -1000]; total 500 - 40 - 1000 = -540 */
    {
        const double py[4] = {100, 50, 200, 0};
        const double pf[2] = {30, -10};
        const double pa[4] = {1000, 500, 0, -500};
        rc = cc_accrue(2, 1, 2, 0.5, occ, moved, arrivals, py, 2, pf, 1, pa, 2,
                       CC_OCC_TRAPEZOID, NULL, NULL, by_state, by_flow, by_arrival, total,
                       &bad);
        viv(rc, CC_OK, fn, "time-varying and negative values", status);
        vvr(total[0], 1695, 1e-15, fn, "time-varying total[0]", status);
        vvr(total[1], -540, 1e-15, fn, "time-varying total[1] = 500 - 40 - 1000", status);
        vvr(by_state[2], 500, 1e-15, fn, "time-varying by_state[1][0]", status);
        vvr(by_flow[1], -40, 1e-15, fn, "time-varying by_flow[1]", status);
    }
    /* per_year NULL: only flows and arrivals count.  t0: 120 + 1000 */
    {
        rc = cc_accrue(2, 1, 2, 0.5, occ, moved, arrivals, NULL, 0, per_flow, 0,
                       per_arrival, 0, CC_OCC_TRAPEZOID, NULL, NULL, NULL, by_flow,
                       by_arrival, total, &bad);
        viv(rc, CC_OK, fn, "per_year NULL", status);
        vvr(total[0], 1120, 1e-15, fn, "per_year NULL: total[0] = 120 + 1000", status);
        vvr(total[1], 1120, 1e-15, fn, "per_year NULL: total[1] = 120 + 1000", status);
    }

    /* Errors */
    {
        double bad_occ[6] = {10, 4, 7, NAN, 3, 14};
        double py_nan[2] = {100, INFINITY};
        double price_nan[2] = {1.0, NAN};
        double w_nan[4] = {0.5, 0.5, NAN, 0.5};
        double pf_nan[1] = {NAN};
        viv(cc_accrue(2, 1, 2, 0.5, bad_occ, NULL, NULL, per_year, 0, NULL, 0, NULL, 0,
                      CC_OCC_TRAPEZOID, NULL, NULL, by_state, NULL, NULL, total, &bad),
            CC_ENONFINITE, fn, "occupancy NaN", status);
        viv(cc_accrue(2, 1, 2, 0.5, occ, NULL, NULL, py_nan, 0, NULL, 0, NULL, 0,
                      CC_OCC_TRAPEZOID, NULL, NULL, by_state, NULL, NULL, total, &bad),
            CC_ENONFINITE, fn, "per_year inf", status);
        viv(cc_accrue(2, 1, 2, 0.5, occ, moved, NULL, per_year, 0, pf_nan, 0, NULL, 0,
                      CC_OCC_TRAPEZOID, NULL, NULL, by_state, NULL, NULL, total, &bad),
            CC_ENONFINITE, fn, "per_flow NaN", status);
        viv(cc_accrue(2, 1, 2, 0.5, occ, NULL, NULL, per_year, 0, NULL, 0, NULL, 0,
                      CC_OCC_TRAPEZOID, NULL, price_nan, by_state, NULL, NULL, total, &bad),
            CC_ENONFINITE, fn, "price_index NaN", status);
        viv(cc_accrue(2, 1, 2, 0.5, occ, NULL, NULL, per_year, 0, NULL, 0, NULL, 0,
                      CC_OCC_WEIGHTS, w_nan, NULL, by_state, NULL, NULL, total, &bad),
            CC_ENONFINITE, fn, "weights NaN", status);
        viv(cc_accrue(2, 1, 2, 0.0, occ, NULL, NULL, per_year, 0, NULL, 0, NULL, 0,
                      CC_OCC_TRAPEZOID, NULL, NULL, by_state, NULL, NULL, total, &bad),
            CC_EDT, fn, "dt 0", status);
        viv(cc_accrue(2, 1, 2, NAN, occ, NULL, NULL, per_year, 0, NULL, 0, NULL, 0,
                      CC_OCC_TRAPEZOID, NULL, NULL, by_state, NULL, NULL, total, &bad),
            CC_EDT, fn, "dt NaN", status);
        viv(cc_accrue(2, 1, 2, 0.5, occ, NULL, NULL, per_year, 0, NULL, 0, NULL, 0,
                      CC_OCC_WEIGHTS, NULL, NULL, by_state, NULL, NULL, total, &bad),
            CC_EARG, fn, "weights rule without weights", status);
        viv(cc_accrue(2, 1, 2, 0.5, occ, NULL, NULL, per_year, 0, NULL, 0, NULL, 0,
                      (cc_occupancy_rule)9, NULL, NULL, by_state, NULL, NULL, total, &bad),
            CC_EARG, fn, "unknown rule", status);
        viv(cc_accrue(2, 1, 2, 0.5, occ, NULL, NULL, per_year, 0, per_flow, 0, NULL, 0,
                      CC_OCC_TRAPEZOID, NULL, NULL, by_state, NULL, NULL, total, &bad),
            CC_EARG, fn, "per_flow without moved", status);
        viv(cc_accrue(2, 1, 2, 0.5, occ, NULL, NULL, per_year, 0, NULL, 0, per_arrival, 0,
                      CC_OCC_TRAPEZOID, NULL, NULL, by_state, NULL, NULL, total, &bad),
            CC_EARG, fn, "per_arrival without arrivals", status);
        viv(cc_accrue(2, 1, 2, 0.5, NULL, NULL, NULL, per_year, 0, NULL, 0, NULL, 0,
                      CC_OCC_TRAPEZOID, NULL, NULL, by_state, NULL, NULL, total, &bad),
            CC_EARG, fn, "occupancy NULL", status);
        viv(cc_accrue(2, 1, 2, 0.5, occ, NULL, NULL, per_year, 0, NULL, 0, NULL, 0,
                      CC_OCC_TRAPEZOID, NULL, NULL, by_state, NULL, NULL, NULL, &bad),
            CC_EARG, fn, "total NULL", status);
    }
}

void t_cc_price_index(int *status)
{
    static const char *fn = "cc_price_index";
    double index[4];
    int rc;

    /* 2% a year, dt 1, start timing, base at step 0:
     * [1.02^0, 1.02^1, 1.02^2] = [1, 1.02, 1.0404] */
    rc = cc_price_index(3, 1.0, CC_TIMING_START, 0.0, 0.02, index, NULL);
    viv(rc, CC_OK, fn, "2%, start", status);
    veq(index[0], 1.0, fn, "2%, start: index[0] exactly 1", status);
    vvr(index[1], 1.02, 1e-15, fn, "2%, start: 1.02", status);
    vvr(index[2], 1.0404, 1e-15, fn, "2%, start: 1.02^2 = 1.0404", status);
    /* mid: 1.02^0.5, 1.02^1.5, 1.02^2.5 (1.02^0.5 = 1.0099504938362078) */
    rc = cc_price_index(3, 1.0, CC_TIMING_MID, 0.0, 0.02, index, NULL);
    viv(rc, CC_OK, fn, "2%, mid", status);
    vvr(index[0], 1.0099504938362078, 1e-15, fn, "2%, mid: sqrt(1.02)", status);
    vvr(index[1], 1.02 * 1.0099504938362078, 1e-15, fn, "2%, mid: 1.02^1.5", status);
    vvr(index[2], pow(1.02, 2.5), 1e-15, fn, "2%, mid: 1.02^2.5", status);
    /* Negative offset: the price base is 2 years after step 0 starts.
     * dt 0.5, end timing: exponents -2 + (t+1)/2 = -1.5, -1, -0.5, 0 */
    rc = cc_price_index(4, 0.5, CC_TIMING_END, -2.0, 0.02, index, NULL);
    viv(rc, CC_OK, fn, "negative offset", status);
    vvr(index[0], pow(1.02, -1.5), 1e-15, fn, "offset -2: 1.02^-1.5", status);
    vvr(index[1], 1.0 / 1.02, 1e-15, fn, "offset -2: 1.02^-1", status);
    vvr(index[2], 1.0 / 1.0099504938362078, 1e-15, fn, "offset -2: 1.02^-0.5", status);
    vvr(index[3], 1.0, 1e-15, fn, "offset -2: base year gives 1", status);
    /* Rate 0: exactly 1 everywhere. */
    rc = cc_price_index(4, 0.25, CC_TIMING_MID, 7.5, 0.0, index, NULL);
    viv(rc, CC_OK, fn, "rate 0", status);
    veq(index[0], 1.0, fn, "rate 0: exactly 1 (0)", status);
    veq(index[3], 1.0, fn, "rate 0: exactly 1 (3)", status);
    /* Deflation is allowed: -50% a year, start, dt 1: [1, 0.5, 0.25] */
    rc = cc_price_index(3, 1.0, CC_TIMING_START, 0.0, -0.5, index, NULL);
    viv(rc, CC_OK, fn, "rate -0.5", status);
    vvr(index[2], 0.25, 1e-15, fn, "rate -0.5: 0.5^2", status);

    viv(cc_price_index(3, 1.0, CC_TIMING_START, 0.0, -1.0, index, NULL), CC_ESCHEDULE, fn,
        "rate -1", status);
    viv(cc_price_index(3, 1.0, CC_TIMING_START, 0.0, -2.0, index, NULL), CC_ESCHEDULE, fn,
        "rate -2", status);
    viv(cc_price_index(3, 1.0, CC_TIMING_START, 0.0, NAN, index, NULL), CC_ENONFINITE, fn,
        "rate NaN", status);
    viv(cc_price_index(3, 1.0, CC_TIMING_START, INFINITY, 0.02, index, NULL), CC_ENONFINITE, fn,
        "offset inf", status);
    viv(cc_price_index(3, 0.0, CC_TIMING_START, 0.0, 0.02, index, NULL), CC_EDT, fn, "dt 0", status);
    viv(cc_price_index(3, 1.0, 1.5, 0.0, 0.02, index, NULL), CC_EARG, fn, "timing 1.5", status);
    viv(cc_price_index(3, 1.0, -0.5, 0.0, 0.02, index, NULL), CC_EARG, fn, "timing -0.5", status);
    viv(cc_price_index(3, 1.0, NAN, 0.0, 0.02, index, NULL), CC_EARG, fn, "timing NaN", status);
    viv(cc_price_index(3, 1.0, CC_TIMING_START, 0.0, 0.02, NULL, NULL), CC_EARG, fn, "index NULL",
        status);
}
