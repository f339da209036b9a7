/*
 * discount.c - rate schedules, discount factors, present values and payback.
 */
#include <math.h>

#include "internal.h"

int cc_check_schedule(const cc_schedule *sched, ptrdiff_t *bad_index)
{
    cc__set_bad(bad_index, -1);
    if (sched == NULL || sched->n == 0 || sched->starts == NULL || sched->rates == NULL) {
        return CC_EARG;
    }
    for (size_t i = 0; i < sched->n; i++) {
        const double start = sched->starts[i];
        const double rate = sched->rates[i];
        if (!isfinite(start) || !isfinite(rate) || !(rate > -1.0) ||
            (i == 0 && start != 0.0) || (i > 0 && !(start > sched->starts[i - 1]))) {
            cc__set_bad(bad_index, (ptrdiff_t)i);
            return CC_ESCHEDULE;
        }
    }
    return CC_OK;
}

/* exp(-integral_0^t ln(1 + r(u)) du) as a product over the pieces the
 * interval [0, t] covers: prod_i (1 + r_i)^-(overlap_i).  Written as a
 * product of powers so that within the first piece it is exactly the
 * textbook pow(1 + r, -t), and a zero rate contributes exactly 1. */
static double discount_at(double t, const cc_schedule *sched)
{
    double factor = 1.0;
    for (size_t i = 0; i < sched->n; i++) {
        const double start = sched->starts[i];
        if (t <= start) {
            break;
        }
        const double end = i + 1 < sched->n ? sched->starts[i + 1] : HUGE_VAL;
        const double years = (t < end ? t : end) - start;
        if (sched->rates[i] != 0.0) {
            factor *= pow(1.0 + sched->rates[i], -years);
        }
    }
    return factor;
}

int cc_discount_factors(size_t n, const double *times, const cc_schedule *sched,
                        double *factor, ptrdiff_t *bad_index)
{
    int status = cc_check_schedule(sched, bad_index);
    if (status != CC_OK) {
        return status;
    }
    if (n > 0 && (times == NULL || factor == NULL)) {
        return CC_EARG;
    }
    status = cc__check_values(times, n, 1, 0, bad_index);
    if (status != CC_OK) {
        return status;
    }
    for (size_t i = 0; i < n; i++) {
        factor[i] = discount_at(times[i], sched);
        /* A rate near -1 over a long time grows without bound; a product of
         * an overflowed piece and an underflowed one is NaN. */
        if (!isfinite(factor[i])) {
            cc__set_bad(bad_index, (ptrdiff_t)i);
            return CC_EOVERFLOW;
        }
    }
    return CC_OK;
}

static int check_steps(size_t steps, double dt, double timing, const cc_schedule *sched,
                       ptrdiff_t *bad_index)
{
    int status = cc_check_schedule(sched, bad_index);
    if (status != CC_OK) {
        return status;
    }
    if (!(dt > 0.0) || !isfinite(dt)) {
        return CC_EDT;
    }
    if (!(timing >= 0.0 && timing <= 1.0)) {
        return CC_EARG;
    }
    (void)steps;
    return CC_OK;
}

int cc_step_discount_factors(size_t steps, double dt, double timing,
                             const cc_schedule *sched, double *factor,
                             ptrdiff_t *bad_index)
{
    int status = check_steps(steps, dt, timing, sched, bad_index);
    if (status != CC_OK) {
        return status;
    }
    if (steps > 0 && factor == NULL) {
        return CC_EARG;
    }
    for (size_t t = 0; t < steps; t++) {
        factor[t] = discount_at(((double)t + timing) * dt, sched);
        if (!isfinite(factor[t])) {
            cc__set_bad(bad_index, (ptrdiff_t)t);
            return CC_EOVERFLOW;
        }
    }
    return CC_OK;
}

int cc_present_value(size_t steps, const double *values, double dt, double timing,
                     const cc_schedule *sched, double *pv,
                     double *discounted_cumulative, ptrdiff_t *bad_index)
{
    int status = check_steps(steps, dt, timing, sched, bad_index);
    if (status != CC_OK) {
        return status;
    }
    if (pv == NULL || (steps > 0 && values == NULL)) {
        return CC_EARG;
    }
    status = cc__check_values(values, steps, 0, 0, bad_index);
    if (status != CC_OK) {
        return status;
    }
    double sum = 0.0;
    for (size_t t = 0; t < steps; t++) {
        sum += values[t] * discount_at(((double)t + timing) * dt, sched);
        /* Finite values and factors can still multiply or add up past
         * DBL_MAX; one non-finite term leaves the sum non-finite. */
        if (!isfinite(sum)) {
            cc__set_bad(bad_index, (ptrdiff_t)t);
            return CC_EOVERFLOW;
        }
        if (discounted_cumulative != NULL) {
            discounted_cumulative[t] = sum;
        }
    }
    *pv = sum;
    return CC_OK;
}

int cc_payback(size_t steps, const double *net, double dt, double *years,
               int *reached, ptrdiff_t *bad_index)
{
    cc__set_bad(bad_index, -1);
    if (years == NULL || reached == NULL || (steps > 0 && net == NULL)) {
        return CC_EARG;
    }
    if (!(dt > 0.0) || !isfinite(dt)) {
        return CC_EDT;
    }
    int status = cc__check_values(net, steps, 0, 0, bad_index);
    if (status != CC_OK) {
        return status;
    }
    double cumulative = 0.0;
    int was_negative = 0;
    for (size_t t = 0; t < steps; t++) {
        const double before = cumulative;
        cumulative += net[t];
        if (!isfinite(cumulative)) {
            cc__set_bad(bad_index, (ptrdiff_t)t);
            return CC_EOVERFLOW;
        }
        if (cumulative < 0.0) {
            was_negative = 1;
        } else if (was_negative) {
            /* The step's net benefit accrues evenly within the step, so the
             * cumulative crosses zero a fraction -before / net[t] into it. */
            *years = ((double)t + (-before / net[t])) * dt;
            *reached = 1;
            return CC_OK;
        }
    }
    *reached = !was_negative;
    *years = was_negative ? HUGE_VAL : 0.0;
    return CC_OK;
}
