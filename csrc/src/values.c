/*
 * values.c - values accrued per step (costs, life-years, anything per
 * person) and price indices.
 */
#include <math.h>
#include <string.h>

#include "internal.h"

int cc_accrue(size_t S, size_t F, size_t steps, double dt,
              const double *occupancy, const double *moved,
              const double *arrivals,
              const double *per_year, size_t per_year_stride,
              const double *per_flow, size_t per_flow_stride,
              const double *per_arrival, size_t per_arrival_stride,
              cc_occupancy_rule rule, const double *weights,
              const double *price_index,
              double *by_state, double *by_flow, double *by_arrival,
              double *total, ptrdiff_t *bad_index)
{
    cc__set_bad(bad_index, -1);
    size_t n;
    if (S == 0 || steps >= (size_t)PTRDIFF_MAX || cc__mul_overflows(steps + 1, S, &n) ||
        cc__mul_overflows(steps, F, &n)) {
        return CC_EDIM;
    }
    if (!(dt > 0.0) || !isfinite(dt)) {
        return CC_EDT;
    }
    if (occupancy == NULL || total == NULL ||
        (per_flow != NULL && F > 0 && moved == NULL) ||
        (per_arrival != NULL && arrivals == NULL) ||
        (rule == CC_OCC_WEIGHTS && weights == NULL) ||
        (rule != CC_OCC_START && rule != CC_OCC_END && rule != CC_OCC_TRAPEZOID &&
         rule != CC_OCC_WEIGHTS) ||
        (per_year_stride != 0 && per_year_stride != S) ||
        (per_flow_stride != 0 && per_flow_stride != F) ||
        (per_arrival_stride != 0 && per_arrival_stride != S)) {
        return CC_EARG;
    }
    /* Every input is checked before any output is written. */
    int status = cc__check_values(occupancy, (steps + 1) * S, 0, 0, bad_index);
    if (status == CC_OK && per_year != NULL) {
        status = cc__check_values(per_year, per_year_stride ? steps * S : S, 0, 0, bad_index);
    }
    if (status == CC_OK && per_flow != NULL) {
        status = cc__check_values(moved, steps * F, 0, 0, bad_index);
        if (status == CC_OK) {
            status = cc__check_values(per_flow, per_flow_stride ? steps * F : F, 0, 0,
                                      bad_index);
        }
    }
    if (status == CC_OK && per_arrival != NULL) {
        status = cc__check_values(arrivals, steps * S, 0, 0, bad_index);
        if (status == CC_OK) {
            status = cc__check_values(per_arrival, per_arrival_stride ? steps * S : S, 0,
                                      0, bad_index);
        }
    }
    if (status == CC_OK && rule == CC_OCC_WEIGHTS) {
        status = cc__check_values(weights, 2 * steps, 0, 0, bad_index);
    }
    if (status == CC_OK && price_index != NULL) {
        status = cc__check_values(price_index, steps, 0, 0, bad_index);
    }
    if (status != CC_OK) {
        return status;
    }

    for (size_t t = 0; t < steps; t++) {
        const double price = price_index != NULL ? price_index[t] : 1.0;
        const double *x = occupancy + t * S;
        const double *x_next = x + S;
        double w_start, w_end;
        switch (rule) {
        case CC_OCC_START: w_start = 1.0; w_end = 0.0; break;
        case CC_OCC_END: w_start = 0.0; w_end = 1.0; break;
        case CC_OCC_WEIGHTS: w_start = weights[2 * t]; w_end = weights[2 * t + 1]; break;
        case CC_OCC_TRAPEZOID:
        default: w_start = 0.5; w_end = 0.5; break;
        }
        double sum = 0.0;
        if (per_year != NULL) {
            const double *unit = per_year + t * per_year_stride;
            for (size_t s = 0; s < S; s++) {
                const double v = price * unit[s] * dt * (w_start * x[s] + w_end * x_next[s]);
                sum += v;
                if (by_state != NULL) {
                    by_state[t * S + s] = v;
                }
            }
        } else if (by_state != NULL) {
            memset(by_state + t * S, 0, S * sizeof(double));
        }
        if (per_flow != NULL) {
            const double *unit = per_flow + t * per_flow_stride;
            for (size_t f = 0; f < F; f++) {
                const double v = price * unit[f] * moved[t * F + f];
                sum += v;
                if (by_flow != NULL) {
                    by_flow[t * F + f] = v;
                }
            }
        } else if (by_flow != NULL && F > 0) {
            memset(by_flow + t * F, 0, F * sizeof(double));
        }
        if (per_arrival != NULL) {
            const double *unit = per_arrival + t * per_arrival_stride;
            for (size_t s = 0; s < S; s++) {
                const double v = price * unit[s] * arrivals[t * S + s];
                sum += v;
                if (by_arrival != NULL) {
                    by_arrival[t * S + s] = v;
                }
            }
        } else if (by_arrival != NULL) {
            memset(by_arrival + t * S, 0, S * sizeof(double));
        }
        total[t] = sum;
        /* Finite inputs can still multiply or add up past DBL_MAX (a unit
         * value of 1e300 for 1e10 people): one non-finite term makes the
         * sum non-finite too, so the total alone tells. */
        if (!isfinite(sum)) {
            cc__set_bad(bad_index, (ptrdiff_t)t);
            return CC_EOVERFLOW;
        }
    }
    return CC_OK;
}

int cc_price_index(size_t steps, double dt, double timing, double offset_years,
                   double annual_rate, double *index, ptrdiff_t *bad_index)
{
    cc__set_bad(bad_index, -1);
    if (steps > 0 && index == NULL) {
        return CC_EARG;
    }
    if (!(dt > 0.0) || !isfinite(dt)) {
        return CC_EDT;
    }
    if (!(timing >= 0.0 && timing <= 1.0)) {
        return CC_EARG;
    }
    if (!isfinite(offset_years) || !isfinite(annual_rate)) {
        return CC_ENONFINITE;
    }
    if (!(annual_rate > -1.0)) {
        return CC_ESCHEDULE;
    }
    /* The index is monotone in t, so if any step overflows, step 0 does
     * (a falling index from a negative offset) or the last step does (a
     * rising one); the first step that does is then found by bisection.
     * Checked before anything is written. */
    if (steps > 0) {
        const double base = 1.0 + annual_rate;
        if (!isfinite(pow(base, offset_years + timing * dt))) {
            cc__set_bad(bad_index, 0);
            return CC_EOVERFLOW;
        }
        if (!isfinite(pow(base, offset_years + ((double)(steps - 1) + timing) * dt))) {
            size_t good = 0, bad = steps - 1; /* index[good] finite, index[bad] not */
            while (bad - good > 1) {
                const size_t mid = good + (bad - good) / 2;
                if (isfinite(pow(base, offset_years + ((double)mid + timing) * dt))) {
                    good = mid;
                } else {
                    bad = mid;
                }
            }
            cc__set_bad(bad_index, (ptrdiff_t)bad);
            return CC_EOVERFLOW;
        }
    }
    for (size_t t = 0; t < steps; t++) {
        const double years = offset_years + ((double)t + timing) * dt;
        index[t] = pow(1.0 + annual_rate, years);
    }
    return CC_OK;
}
