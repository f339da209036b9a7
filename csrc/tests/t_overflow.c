/*
 * t_overflow.c - finite inputs whose results would overflow a double are
 * refused with CC_EOVERFLOW (and the offending step or element), in every
 * routine that multiplies or sums user numbers: projection (single, batch,
 * stochastic), accrual, price index, discount factors, present value,
 * payback.  Each case also checks that the largest input just inside the
 * limit is still accepted, so that the check is not simply "refuse big
 * numbers".
 */
#include <float.h>
#include <math.h>

#include "carecast.h"
#include "cctest.h"

#define UNSET ((ptrdiff_t)12345)

void t_overflow_project(int *status)
{
    static const char *fn = "cc_project (overflow)";
    static const int64_t src[1] = {0}, dst[1] = {1};
    const cc_structure m = {2, 1, src, dst, NULL};
    const double value[1] = {0.5};
    double work[4], occ[3 * 2], moved[2], arrivals[2 * 2], big_x0[2], inflow[2];
    ptrdiff_t bad = UNSET;

    /* 1e308 people and an inflow of 1e308 a step: the second step would
     * hold 2e308 > DBL_MAX (about 1.797e308). */
    big_x0[0] = 1e308; big_x0[1] = 0.0;
    inflow[0] = 1e308; inflow[1] = 0.0;
    viv(cc_project(&m, 2, 1.0, CC_KIND_RATE, value, 0, inflow, 0, big_x0, work, occ, moved,
                   arrivals, &bad), CC_EOVERFLOW, fn, "1e308 stock and inflow", status);
    viv(bad, -1, fn, "1e308 stock and inflow: no single element at fault", status);
    /* Stock alone beyond the limit (two states of 3e306: 6e306 > 2^1019). */
    big_x0[0] = 3e306; big_x0[1] = 3e306;
    viv(cc_project(&m, 1, 1.0, CC_KIND_RATE, value, 0, NULL, 0, big_x0, work, occ, moved,
                   arrivals, &bad), CC_EOVERFLOW, fn, "x0 total 6e306 above 2^1019", status);
    /* Constant inflow times many steps: 1e300 a step for 10^7 steps = 1e307. */
    big_x0[0] = 0.0; big_x0[1] = 0.0;
    inflow[0] = 1e300; inflow[1] = 0.0;
    {
        double one_occ[2];
        viv(cc_project(&m, 10000000, 1.0, CC_KIND_RATE, value, 0, inflow, 0, big_x0, work,
                       one_occ, NULL, NULL, &bad), CC_EOVERFLOW, fn,
            "constant inflow 1e300 over 1e7 steps", status);
    }
    /* Just inside: 2^1018 people and, in one step, 2^1017 + 2^1017 arrivals:
     * a total of exactly 2^1019 is accepted and conserved. */
    big_x0[0] = 0x1p1018; big_x0[1] = 0.0;
    inflow[0] = 0x1p1017; inflow[1] = 0x1p1017;
    viv(cc_project(&m, 1, 1.0, CC_KIND_RATE, value, 0, inflow, 0, big_x0, work, occ, moved,
                   arrivals, &bad), CC_OK, fn, "total exactly 2^1019 accepted", status);
    vok(isfinite(occ[2]) && isfinite(occ[3]), fn, "total 2^1019: finite occupancy", status);
    vvr(occ[2] + occ[3], 0x1p1019, 1e-15, fn, "total 2^1019: people conserved", status);
    /* Batches see the same check (through the shared validation). */
    {
        double x0s[4] = {1.0, 0.0, 1e308, 1e308};
        double bocc[2 * 2 * 2];
        viv(cc_project_batch(&m, 2, 1, 1.0, CC_KIND_RATE, value, 0, 0, NULL, 0, 0, x0s, 2, 2,
                             bocc, NULL, NULL, &bad), CC_EOVERFLOW, fn,
            "batch: replicate 1 holds 2e308 people", status);
        viv(cc_simulate_batch(&m, 2, 1, 1.0, CC_KIND_RATE, value, 0, 0, NULL, 0, 0, x0s, 2, 7,
                              1, bocc, NULL, NULL, &bad), CC_EOVERFLOW, fn,
            "simulate: replicate 1 holds 2e308 people", status);
    }
}

void t_overflow_values(int *status)
{
    static const char *fn = "cc_accrue/cc_price_index (overflow)";
    /* One state, one step: 1e10 people all step at 1e300 a year. */
    const double occ[2] = {1e10, 1e10};
    const double per_year[1] = {1e300};
    double by_state[1], total[1], index[4];
    ptrdiff_t bad = UNSET;
    viv(cc_accrue(1, 0, 1, 1.0, occ, NULL, NULL, per_year, 0, NULL, 0, NULL, 0, CC_OCC_START,
                  NULL, NULL, by_state, NULL, NULL, total, &bad), CC_EOVERFLOW, fn,
        "1e300 per year times 1e10 people", status);
    viv(bad, 0, fn, "accrue: step 0 at fault", status);
    /* Two states each worth 1e308: each value is finite, the total 2e308 is not. */
    {
        const double occ2[4] = {1.0, 1.0, 1.0, 1.0};
        const double unit2[2] = {1e308, 1e308};
        double by2[2];
        viv(cc_accrue(2, 0, 1, 1.0, occ2, NULL, NULL, unit2, 0, NULL, 0, NULL, 0, CC_OCC_START,
                      NULL, NULL, by2, NULL, NULL, total, &bad), CC_EOVERFLOW, fn,
            "two finite values summing past DBL_MAX", status);
        const double unit3[2] = {1e308, -1e308};
        viv(cc_accrue(2, 0, 1, 1.0, occ2, NULL, NULL, unit3, 0, NULL, 0, NULL, 0, CC_OCC_START,
                      NULL, NULL, by2, NULL, NULL, total, &bad), CC_OK, fn,
            "1e308 - 1e308 = 0 is fine", status);
        veq(total[0], 0.0, fn, "1e308 - 1e308: total exactly 0", status);
    }
    /* A price index: 1.5^t overflows at t = 1751 (1.5^1750 = 1.4e308,
     * 1.5^1751 = 2.1e308; log(DBL_MAX)/log(1.5) = 1750.6). */
    {
        static double long_index[2000];
        viv(cc_price_index(2000, 1.0, CC_TIMING_START, 0.0, 0.5, long_index, &bad),
            CC_EOVERFLOW, fn, "1.5^t over 2,000 years", status);
        viv(bad, 1751, fn, "price index: first overflowing step 1751", status);
        viv(cc_price_index(1751, 1.0, CC_TIMING_START, 0.0, 0.5, long_index, &bad), CC_OK, fn,
            "1.5^t up to t = 1750 is finite", status);
        vvr(long_index[1750], pow(1.5, 1750.0), 1e-12, fn, "1.5^1750", status);
    }
    /* Falling prices from a base far ahead: 0.5^(-1100 + t) overflows at t = 0
     * (2^1100), finite from t = 77 (2^1023). */
    viv(cc_price_index(4, 1.0, CC_TIMING_START, -1100.0, -0.5, index, &bad), CC_EOVERFLOW, fn,
        "0.5^-1100 at step 0", status);
    viv(bad, 0, fn, "falling index: step 0 at fault", status);
    /* Underflow to 0 is the correctly rounded answer, not an error. */
    viv(cc_price_index(1, 1.0, CC_TIMING_START, -2000.0, 0.5, index, &bad), CC_OK, fn,
        "1.5^-2000 underflows to 0", status);
    veq(index[0], 0.0, fn, "1.5^-2000 is 0", status);
}

void t_overflow_discount(int *status)
{
    static const char *fn = "cc_discount/present_value/payback (overflow)";
    /* A rate of -99% a year: the factor is 100^t, beyond DBL_MAX from
     * t = 155 (100^154 = 1e308, 100^155 = 1e310). */
    const double starts[1] = {0.0}, rates[1] = {-0.99};
    const cc_schedule sched = {1, starts, rates};
    const double times[3] = {1.0, 154.0, 155.0};
    double factor[3], cum[3], pv = -1.0, years = -1.0;
    int reached = -1;
    ptrdiff_t bad = UNSET;
    viv(cc_discount_factors(3, times, &sched, factor, &bad), CC_EOVERFLOW, fn,
        "-99% over 155 years", status);
    viv(bad, 2, fn, "discount factors: time 2 at fault", status);
    vvr(factor[1], 1e308, 1e-12, fn, "-99% over 154 years: 100^154", status);
    {
        static double step_factor[200];
        viv(cc_step_discount_factors(200, 1.0, CC_TIMING_START, &sched, step_factor, &bad),
            CC_EOVERFLOW, fn, "step factors -99% over 200 steps", status);
        viv(bad, 155, fn, "step factors: step 155 at fault", status);
    }
    /* Present value: two values of 1e308 undiscounted sum to 2e308. */
    {
        const double zero[1] = {0.0};
        const cc_schedule none = {1, starts, zero};
        const double values[3] = {1e308, 1e308, -1e308};
        viv(cc_present_value(3, values, 1.0, CC_TIMING_START, &none, &pv, cum, &bad),
            CC_EOVERFLOW, fn, "pv: 1e308 + 1e308", status);
        viv(bad, 1, fn, "pv: step 1 at fault", status);
        vvr(pv, -1.0, 0.0, fn, "pv not written on overflow", status);
        const double fine[2] = {1e308, -1e308};
        viv(cc_present_value(2, fine, 1.0, CC_TIMING_START, &none, &pv, cum, &bad), CC_OK, fn,
            "pv: 1e308 - 1e308", status);
        veq(pv, 0.0, fn, "pv: 1e308 - 1e308 = 0", status);
        /* Payback: -1e308 then -1e308 is below -DBL_MAX. */
        const double net[2] = {-1e308, -1e308};
        viv(cc_payback(2, net, 1.0, &years, &reached, &bad), CC_EOVERFLOW, fn,
            "payback: cumulative -2e308", status);
        viv(bad, 1, fn, "payback: step 1 at fault", status);
        viv(reached, -1, fn, "payback: reached not written", status);
    }
}
