/*
 * t_discount.c - cc_check_schedule, cc_discount_factors,
 * cc_step_discount_factors, cc_present_value and cc_payback.
 *
 * The Green Book schedule is HM Treasury's (The Green Book, discounting annex):
 * 3.5% for years 0-30, 3.0% to 75, 2.5% to 125, 2.0% to 200, 1.5% to 300,
 * 1.0% beyond.  Within one piece the factor is (1 + r)^-(years in piece),
 * and the pieces multiply; pow() gives that closed form directly.
 */
#include <math.h>
#include <stdio.h>

#include "carecast.h"
#include "cctest.h"

#define UNSET ((ptrdiff_t)12345)

static const double gb_starts[6] = {0, 30, 75, 125, 200, 300};
static const double gb_rates[6] = {0.035, 0.03, 0.025, 0.02, 0.015, 0.01};
static const cc_schedule green_book = {6, gb_starts, gb_rates};

static const double zero_start[1] = {0};
static const double six_percent[1] = {0.06};
static const double zero_rate[1] = {0.0};
static const cc_schedule flat6 = {1, zero_start, six_percent};
static const cc_schedule flat0 = {1, zero_start, zero_rate};

void t_cc_check_schedule(int *status)
{
    static const char *fn = "cc_check_schedule";
    double starts[3] = {0, 30, 75}, rates[3] = {0.035, 0.03, 0.025};
    cc_schedule s = {3, starts, rates};
    ptrdiff_t bad = UNSET;

    viv(cc_check_schedule(&green_book, &bad), CC_OK, fn, "Green Book", status);
    viv(bad, -1, fn, "Green Book: bad_index -1", status);
    viv(cc_check_schedule(&flat0, &bad), CC_OK, fn, "flat 0%", status);
    viv(cc_check_schedule(&s, NULL), CC_OK, fn, "bad_index NULL", status);

    starts[0] = 1.0;
    bad = UNSET;
    viv(cc_check_schedule(&s, &bad), CC_ESCHEDULE, fn, "starts[0] == 1", status);
    viv(bad, 0, fn, "starts[0] == 1: bad_index 0", status);
    starts[0] = 0.0;
    starts[2] = 30.0;
    bad = UNSET;
    viv(cc_check_schedule(&s, &bad), CC_ESCHEDULE, fn, "starts[2] == starts[1]", status);
    viv(bad, 2, fn, "repeated start: bad_index 2", status);
    starts[2] = 20.0;
    viv(cc_check_schedule(&s, &bad), CC_ESCHEDULE, fn, "starts decreasing", status);
    viv(bad, 2, fn, "decreasing start: bad_index 2", status);
    starts[2] = INFINITY;
    viv(cc_check_schedule(&s, &bad), CC_ESCHEDULE, fn, "starts[2] inf", status);
    viv(bad, 2, fn, "infinite start: bad_index 2", status);
    starts[2] = 75.0;
    rates[1] = -1.0;
    bad = UNSET;
    viv(cc_check_schedule(&s, &bad), CC_ESCHEDULE, fn, "rate -1", status);
    viv(bad, 1, fn, "rate -1: bad_index 1", status);
    rates[1] = -1.5;
    viv(cc_check_schedule(&s, &bad), CC_ESCHEDULE, fn, "rate -1.5", status);
    rates[1] = NAN;
    viv(cc_check_schedule(&s, &bad), CC_ESCHEDULE, fn, "rate NaN", status);
    viv(bad, 1, fn, "rate NaN: bad_index 1", status);
    rates[1] = -0.5;
    viv(cc_check_schedule(&s, &bad), CC_OK, fn, "rate -0.5 (> -1) allowed", status);
    rates[1] = 0.03;

    s.n = 0;
    {
        int rc = cc_check_schedule(&s, &bad);
        vok(rc == CC_ESCHEDULE || rc == CC_EARG, fn, "n == 0 refused", status);
    }
    s.n = 3;
    viv(cc_check_schedule(NULL, &bad), CC_EARG, fn, "sched NULL", status);
    s.starts = NULL;
    viv(cc_check_schedule(&s, &bad), CC_EARG, fn, "starts NULL", status);
    s.starts = starts;
    s.rates = NULL;
    viv(cc_check_schedule(&s, &bad), CC_EARG, fn, "rates NULL", status);
}

void t_cc_discount_factors(int *status)
{
    static const char *fn = "cc_discount_factors";
    double times[8] = {0, 10, 30, 30.5, 75, 100, 350, 1000};
    double factor[8];
    ptrdiff_t bad = UNSET;
    const double a30 = pow(1.035, -30.0);
    const double a75 = a30 * pow(1.03, -45.0);
    const double a125 = a75 * pow(1.025, -50.0);
    const double a200 = a125 * pow(1.02, -75.0);
    const double a300 = a200 * pow(1.015, -100.0);
    int rc;

    rc = cc_discount_factors(8, times, &green_book, factor, &bad);
    viv(rc, CC_OK, fn, "Green Book", status);
    viv(bad, -1, fn, "Green Book: bad_index -1", status);
    veq(factor[0], 1.0, fn, "GB factor at 0 is exactly 1", status);
    vvr(factor[1], pow(1.035, -10.0), 1e-14, fn, "GB at 10 = 1.035^-10", status);
    vvr(factor[2], a30, 1e-14, fn, "GB at 30 = 1.035^-30", status);
    /* Compound-interest tables: 1.035^30 = 2.8067937 */
    vvr(factor[2], 1.0 / 2.8067937, 1e-7, fn, "GB at 30 = 1/2.8067937 (tables)", status);
    vvr(factor[3], a30 * pow(1.03, -0.5), 1e-14, fn, "GB at 30.5 = 1.035^-30 1.03^-0.5", status);
    vvr(factor[4], a75, 1e-14, fn, "GB at 75 = 1.035^-30 1.03^-45", status);
    vvr(factor[5], a75 * pow(1.025, -25.0), 1e-14, fn, "GB at 100 = ... 1.025^-25", status);
    vvr(factor[6], a300 * pow(1.01, -50.0), 1e-14, fn, "GB at 350 (all six pieces)", status);
    vvr(factor[7], a300 * pow(1.01, -700.0), 1e-13, fn, "GB at 1000", status);

    /* Zero rate: exactly 1, not a limit. */
    rc = cc_discount_factors(8, times, &flat0, factor, &bad);
    viv(rc, CC_OK, fn, "zero rate", status);
    {
        int all_one = 1, i;
        for (i = 0; i < 8; i++) if (factor[i] != 1.0) all_one = 0;
        vok(all_one, fn, "zero rate: every factor exactly 1", status);
    }
    /* Zero for 10 years, then 5%: factor(7) exactly 1, factor(12) = 1.05^-2 */
    {
        const double st[2] = {0, 10}, rt[2] = {0.0, 0.05};
        const cc_schedule s = {2, st, rt};
        const double tt[2] = {7, 12};
        double ff[2];
        rc = cc_discount_factors(2, tt, &s, ff, &bad);
        viv(rc, CC_OK, fn, "0% then 5%", status);
        veq(ff[0], 1.0, fn, "0% then 5%: exactly 1 at 7", status);
        vvr(ff[1], 1.0 / 1.1025, 1e-15, fn, "0% then 5%: 1.05^-2 at 12", status);
    }
    /* A negative rate above -1: -50% for 3 years gives 0.5^-3 = 8. */
    {
        const double rt[1] = {-0.5};
        const cc_schedule s = {1, zero_start, rt};
        const double tt[1] = {3};
        double ff[1];
        rc = cc_discount_factors(1, tt, &s, ff, &bad);
        viv(rc, CC_OK, fn, "rate -0.5", status);
        vvr(ff[0], 8.0, 1e-15, fn, "rate -0.5: factor 8 at 3 years", status);
    }
    /* factor and times may be the same array. */
    {
        double tt[3] = {0, 30, 75};
        rc = cc_discount_factors(3, tt, &green_book, tt, &bad);
        viv(rc, CC_OK, fn, "in place", status);
        veq(tt[0], 1.0, fn, "in place: 1 at 0", status);
        vvr(tt[1], a30, 1e-14, fn, "in place: at 30", status);
        vvr(tt[2], a75, 1e-14, fn, "in place: at 75", status);
    }
    /* Errors */
    times[3] = -0.5;
    bad = UNSET;
    viv(cc_discount_factors(8, times, &green_book, factor, &bad), CC_ENEGATIVE, fn,
        "time -0.5 at 3", status);
    viv(bad, 3, fn, "time -0.5: bad_index 3", status);
    times[3] = NAN;
    viv(cc_discount_factors(8, times, &green_book, factor, &bad), CC_ENONFINITE, fn,
        "time NaN at 3", status);
    viv(bad, 3, fn, "time NaN: bad_index 3", status);
    times[3] = INFINITY;
    viv(cc_discount_factors(8, times, &green_book, factor, &bad), CC_ENONFINITE, fn,
        "time inf at 3", status);
    times[3] = 30.5;
    {
        const double st[2] = {0, 0}, rt[2] = {0.03, 0.03};
        const cc_schedule s = {2, st, rt};
        viv(cc_discount_factors(8, times, &s, factor, &bad), CC_ESCHEDULE, fn,
            "malformed schedule", status);
    }
    viv(cc_discount_factors(8, NULL, &green_book, factor, &bad), CC_EARG, fn, "times NULL",
        status);
    viv(cc_discount_factors(8, times, NULL, factor, &bad), CC_EARG, fn, "sched NULL", status);
    viv(cc_discount_factors(8, times, &green_book, NULL, &bad), CC_EARG, fn, "factor NULL",
        status);
}

void t_cc_step_discount_factors(int *status)
{
    static const char *fn = "cc_step_discount_factors";
    double factor[40];
    char label[96];
    ptrdiff_t bad = UNSET;
    size_t t;
    int rc;

    /* Flat 6%, dt 1, end of step: 1/1.06^(t+1) */
    rc = cc_step_discount_factors(5, 1.0, CC_TIMING_END, &flat6, factor, &bad);
    viv(rc, CC_OK, fn, "flat 6%, end", status);
    viv(bad, -1, fn, "flat 6%: bad_index -1", status);
    vvr(factor[0], 1.0 / 1.06, 1e-15, fn, "6% end: 1/1.06", status);
    vvr(factor[1], 1.0 / 1.1236, 1e-15, fn, "6% end: 1/1.06^2 = 1/1.1236", status);
    for (t = 0; t < 5; t++)
        vvr(factor[t], 1.0 / pow(1.06, (double)(t + 1)), 1e-14, fn,
            cct_label1(label, sizeof label, "6% end: 1/1.06^(t+1)", t), status);

    /* Green Book, dt 1, start: 1/1.035^t up to 30, then 1.035^-30 1.03^-(t-30) */
    rc = cc_step_discount_factors(40, 1.0, CC_TIMING_START, &green_book, factor, &bad);
    viv(rc, CC_OK, fn, "Green Book, start", status);
    veq(factor[0], 1.0, fn, "GB start: step 0 exactly 1", status);
    for (t = 0; t < 40; t++) {
        double want = t <= 30 ? 1.0 / pow(1.035, (double)t)
                              : pow(1.035, -30.0) * pow(1.03, -(double)(t - 30));
        vvr(factor[t], want, 1e-14, fn,
            cct_label1(label, sizeof label, "GB start: 1/1.035^t", t), status);
    }

    /* Green Book, dt 1, mid: tau = t + 0.5 */
    rc = cc_step_discount_factors(31, 1.0, CC_TIMING_MID, &green_book, factor, &bad);
    viv(rc, CC_OK, fn, "Green Book, mid", status);
    vvr(factor[0], 1.0 / sqrt(1.035), 1e-15, fn, "GB mid: 1.035^-0.5", status);
    vvr(factor[29], pow(1.035, -29.5), 1e-14, fn, "GB mid: 1.035^-29.5", status);
    vvr(factor[30], pow(1.035, -30.0) * pow(1.03, -0.5), 1e-14, fn,
        "GB mid: 1.035^-30 1.03^-0.5 (straddles 30)", status);

    /* Quarterly, mid: tau = (t + 0.5) / 4: t = 3 -> 0.875 */
    rc = cc_step_discount_factors(8, 0.25, CC_TIMING_MID, &green_book, factor, &bad);
    viv(rc, CC_OK, fn, "GB quarterly mid", status);
    vvr(factor[3], pow(1.035, -0.875), 1e-15, fn, "GB quarterly mid: 1.035^-0.875", status);
    /* Arbitrary timing c = 0.25, dt 2, 6%: tau = (t + .25) * 2 -> t=1: 2.5 */
    rc = cc_step_discount_factors(2, 2.0, 0.25, &flat6, factor, &bad);
    viv(rc, CC_OK, fn, "timing 0.25", status);
    vvr(factor[1], pow(1.06, -2.5), 1e-15, fn, "timing 0.25, dt 2: 1.06^-2.5", status);

    rc = cc_step_discount_factors(5, 1.0, CC_TIMING_MID, &flat0, factor, &bad);
    viv(rc, CC_OK, fn, "zero rate", status);
    veq(factor[4], 1.0, fn, "zero rate: exactly 1", status);

    viv(cc_step_discount_factors(5, 1.0, 1.5, &flat6, factor, &bad), CC_EARG, fn,
        "timing 1.5", status);
    viv(cc_step_discount_factors(5, 1.0, -0.1, &flat6, factor, &bad), CC_EARG, fn,
        "timing -0.1", status);
    viv(cc_step_discount_factors(5, 1.0, NAN, &flat6, factor, &bad), CC_EARG, fn,
        "timing NaN", status);
    viv(cc_step_discount_factors(5, 0.0, 0.5, &flat6, factor, &bad), CC_EDT, fn, "dt 0",
        status);
    viv(cc_step_discount_factors(5, INFINITY, 0.5, &flat6, factor, &bad), CC_EDT, fn,
        "dt inf", status);
    {
        const double st[1] = {5}, rt[1] = {0.03};
        const cc_schedule s = {1, st, rt};
        viv(cc_step_discount_factors(5, 1.0, 0.5, &s, factor, &bad), CC_ESCHEDULE, fn,
            "starts[0] != 0", status);
    }
}

void t_cc_present_value(int *status)
{
    static const char *fn = "cc_present_value";
    const double values[3] = {100, 100, 100};
    double pv, cum[3];
    ptrdiff_t bad = UNSET;
    int rc;

    /* 10%, end of year: 100/1.1 + 100/1.21 + 100/1.331
     *   = 90.909090909 + 82.644628099 + 75.131480090 = 248.685199098
     * (annuity factor a(3, 10%) = 2.4868520 in published tables) */
    {
        const double st[1] = {0}, rt[1] = {0.10};
        const cc_schedule s = {1, st, rt};
        rc = cc_present_value(3, values, 1.0, CC_TIMING_END, &s, &pv, cum, &bad);
        viv(rc, CC_OK, fn, "10%, end", status);
        viv(bad, -1, fn, "10%: bad_index -1", status);
        vvr(pv, 100.0 * 2.4868520, 1e-7, fn, "10%: annuity table 2.4868520", status);
        vvr(pv, 100 / 1.1 + 100 / 1.21 + 100 / 1.331, 1e-14, fn, "10%: by hand", status);
        vvr(cum[0], 100 / 1.1, 1e-14, fn, "10%: discounted cumulative[0]", status);
        vvr(cum[1], 100 / 1.1 + 100 / 1.21, 1e-14, fn, "10%: discounted cumulative[1]", status);
        vvr(cum[2], pv, 1e-15, fn, "10%: last cumulative is the PV", status);
        rc = cc_present_value(3, values, 1.0, CC_TIMING_END, &s, &pv, NULL, NULL);
        viv(rc, CC_OK, fn, "cumulative NULL", status);
        vvr(pv, 100 / 1.1 + 100 / 1.21 + 100 / 1.331, 1e-14, fn, "cumulative NULL: pv", status);
    }
    /* Zero rate: the plain sum and plain cumulative sum, exactly. */
    rc = cc_present_value(3, values, 1.0, CC_TIMING_MID, &flat0, &pv, cum, &bad);
    viv(rc, CC_OK, fn, "zero rate", status);
    veq(pv, 300.0, fn, "zero rate: pv exactly 300", status);
    veq(cum[0], 100.0, fn, "zero rate: cumulative 100", status);
    veq(cum[1], 200.0, fn, "zero rate: cumulative 200", status);
    /* Green Book, mid, dt 1, values [1, 2] (negative values too):
     * 1 * 1.035^-0.5 + 2 * 1.035^-1.5 */
    {
        const double v[3] = {1, 2, -4};
        rc = cc_present_value(3, v, 1.0, CC_TIMING_MID, &green_book, &pv, cum, &bad);
        viv(rc, CC_OK, fn, "Green Book mid", status);
        vvr(cum[1], pow(1.035, -0.5) + 2.0 * pow(1.035, -1.5), 1e-14, fn,
            "GB mid: 1.035^-0.5 + 2 1.035^-1.5", status);
        vvr(pv, cum[1] - 4.0 * pow(1.035, -2.5), 1e-14, fn, "GB mid: negative value", status);
    }
    /* Monthly end of step at 6%: 12 payments of 1 at t = 1/12 .. 1:
     * sum 1.06^-(k/12), k = 1..12 = v (1 - v^12)/(1 - v), v = 1.06^(-1/12) */
    {
        double v12[12];
        const double v = pow(1.06, -1.0 / 12.0);
        int k;
        for (k = 0; k < 12; k++) v12[k] = 1.0;
        rc = cc_present_value(12, v12, 1.0 / 12.0, CC_TIMING_END, &flat6, &pv, NULL, &bad);
        viv(rc, CC_OK, fn, "monthly 6%", status);
        vvr(pv, v * (1.0 - pow(v, 12.0)) / (1.0 - v), 1e-13, fn,
            "monthly 6%: geometric series", status);
    }
    {
        const double v[3] = {1, INFINITY, 3};
        bad = UNSET;
        viv(cc_present_value(3, v, 1.0, 0.5, &flat6, &pv, cum, &bad), CC_ENONFINITE, fn,
            "value inf at 1", status);
        viv(bad, 1, fn, "value inf: bad_index 1", status);
    }
    viv(cc_present_value(3, values, 1.0, 0.5, &flat6, NULL, cum, &bad), CC_EARG, fn,
        "pv NULL", status);
    viv(cc_present_value(3, NULL, 1.0, 0.5, &flat6, &pv, cum, &bad), CC_EARG, fn,
        "values NULL", status);
    viv(cc_present_value(3, values, -1.0, 0.5, &flat6, &pv, cum, &bad), CC_EDT, fn, "dt -1",
        status);
    viv(cc_present_value(3, values, 1.0, 2.0, &flat6, &pv, cum, &bad), CC_EARG, fn,
        "timing 2", status);
}

void t_cc_payback(int *status)
{
    static const char *fn = "cc_payback";
    double years;
    int reached;
    ptrdiff_t bad = UNSET;
    int rc;

    /* net = [-100, 60, 60], dt 1, value accruing evenly within each step:
     * cumulative 0 at time 0, -100 at 1, -40 at 2, +20 at 3.  It crosses 0
     * inside step 2 (time 2 to 3), 40/60 of the way: 2 + 2/3 years.
     * (The header's "taken to accrue evenly within each step" puts the
     * crossing in the third step; reading the cumulative as point values at
     * t = 0, 1, 2 would give 1 + 40/60 instead.) */
    {
        const double net[3] = {-100, 60, 60};
        bad = UNSET;
        rc = cc_payback(3, net, 1.0, &years, &reached, &bad);
        viv(rc, CC_OK, fn, "[-100, 60, 60]", status);
        viv(bad, -1, fn, "[-100, 60, 60]: bad_index -1", status);
        vvr(years, 2.0 + 40.0 / 60.0, 1e-15, fn, "[-100, 60, 60] dt 1: 2 + 40/60", status);
        viv(reached, 1, fn, "[-100, 60, 60]: reached", status);
        rc = cc_payback(3, net, 0.5, &years, &reached, &bad);
        viv(rc, CC_OK, fn, "[-100, 60, 60] dt 0.5", status);
        vvr(years, (2.0 + 40.0 / 60.0) / 2.0, 1e-15, fn, "dt 0.5: half of that", status);
    }
    /* Reaching exactly 0 at a step end: [-100, 100] -> 0 at time 2. */
    {
        const double net[2] = {-100, 100};
        rc = cc_payback(2, net, 1.0, &years, &reached, &bad);
        viv(rc, CC_OK, fn, "[-100, 100]", status);
        vvr(years, 2.0, 1e-15, fn, "[-100, 100]: exactly 0 at 2 years", status);
        viv(reached, 1, fn, "[-100, 100]: reached", status);
    }
    /* Never negative: 0 years. */
    {
        const double net[3] = {50, -10, 20};   /* cumulative 50, 40, 60 */
        const double zeros[2] = {0, 0};
        rc = cc_payback(3, net, 1.0, &years, &reached, &bad);
        viv(rc, CC_OK, fn, "never negative", status);
        veq(years, 0.0, fn, "never negative: 0 years", status);
        viv(reached, 1, fn, "never negative: reached", status);
        rc = cc_payback(2, zeros, 1.0, &years, &reached, &bad);
        viv(rc, CC_OK, fn, "all zero", status);
        veq(years, 0.0, fn, "all zero: 0 years", status);
    }
    /* Never reached: [-100, 10, 10] ends at -80. */
    {
        const double net[3] = {-100, 10, 10};
        rc = cc_payback(3, net, 1.0, &years, &reached, &bad);
        viv(rc, CC_OK, fn, "never reached", status);
        vok(isinf(years) && years > 0, fn, "never reached: +inf", status);
        viv(reached, 0, fn, "never reached: reached 0", status);
    }
    /* Negative only later: [10, -30, 40]: cumulative 10, -20, +20; negative
     * from 1 + 1/3, back to 0 at 2 + 20/40 = 2.5 years. */
    {
        const double net[3] = {10, -30, 40};
        rc = cc_payback(3, net, 1.0, &years, &reached, &bad);
        viv(rc, CC_OK, fn, "negative later", status);
        vvr(years, 2.5, 1e-15, fn, "negative later: 2.5 years", status);
        viv(reached, 1, fn, "negative later: reached", status);
    }
    {
        const double net[3] = {-1, NAN, 3};
        bad = UNSET;
        viv(cc_payback(3, net, 1.0, &years, &reached, &bad), CC_ENONFINITE, fn, "NaN at 1",
            status);
        viv(bad, 1, fn, "NaN at 1: bad_index 1", status);
        viv(cc_payback(3, net, 0.0, &years, &reached, &bad), CC_EDT, fn, "dt 0", status);
        viv(cc_payback(3, NULL, 1.0, &years, &reached, &bad), CC_EARG, fn, "net NULL", status);
        viv(cc_payback(3, net, 1.0, NULL, &reached, &bad), CC_EARG, fn, "years NULL", status);
        viv(cc_payback(3, net, 1.0, &years, NULL, &bad), CC_EARG, fn, "reached NULL", status);
    }
}
