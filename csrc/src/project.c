/*
 * project.c - model structure checks, per-step flow probabilities and the
 * deterministic projection.
 */
#include <math.h>
#include <string.h>

#include "internal.h"

/* The batch kernel (batch.c) must give the bits of this one: neither may
 * fuse a multiply and an add.  GCC does not under -std=c11; Clang and MSVC
 * are told so here (GCC rejects the standard pragma as unknown). */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(_MSC_VER)
#pragma fp_contract(off)
#endif

/* Scale applied to rates whose per-state sum overflows a double (two rates
 * near DBL_MAX).  2^-600 brings any sum of up to 2^60 finite doubles back
 * into range; the rates of such a state that are small enough to underflow
 * would have a probability that rounds to zero anyway. */
#define CC__OVERFLOW_SCALE 0x1p-600

int cc_check_structure(const cc_structure *m, ptrdiff_t *bad_index)
{
    cc__set_bad(bad_index, -1);
    if (m == NULL) {
        return CC_EARG;
    }
    const size_t S = m->n_states;
    const size_t F = m->n_flows;
    size_t unused;
    if (S == 0 || cc__mul_overflows(S, 4, &unused) || cc__mul_overflows(F, 4, &unused)) {
        return CC_EDIM;
    }
    if (F > 0 && (m->src == NULL || m->dst == NULL)) {
        return CC_EARG;
    }
    for (size_t f = 0; f < F; f++) {
        if (m->src[f] < 0 || (uint64_t)m->src[f] >= S || m->dst[f] < 0 ||
            (uint64_t)m->dst[f] >= S) {
            cc__set_bad(bad_index, (ptrdiff_t)f);
            return CC_EINDEX;
        }
    }
    if (m->advance != NULL) {
        for (size_t s = 0; s < S; s++) {
            if (m->advance[s] < -1 || (m->advance[s] >= 0 && (uint64_t)m->advance[s] >= S)) {
                cc__set_bad(bad_index, (ptrdiff_t)s);
                return CC_EINDEX;
            }
        }
    }
    return CC_OK;
}

int cc_check_nonnegative(size_t n, const double *x, ptrdiff_t *bad_index)
{
    cc__set_bad(bad_index, -1);
    if (n > 0 && x == NULL) {
        return CC_EARG;
    }
    return cc__check_values(x, n, 1, 0, bad_index);
}

/* One row of flow values. */
static int check_flow_row(const cc_structure *m, cc_kind kind, const double *value,
                          size_t row, double *leave, ptrdiff_t *bad_index)
{
    const size_t F = m->n_flows;
    const size_t offset = row * F;
    int status = cc__check_values(value, F, 1, offset, bad_index);
    if (status != CC_OK || kind != CC_KIND_PROB) {
        return status;
    }
    for (size_t s = 0; s < m->n_states; s++) {
        leave[s] = 0.0;
    }
    for (size_t f = 0; f < F; f++) {
        if (value[f] > 1.0) {
            cc__set_bad(bad_index, (ptrdiff_t)(offset + f));
            return CC_EPROB;
        }
        leave[m->src[f]] += value[f];
    }
    for (size_t s = 0; s < m->n_states; s++) {
        if (leave[s] > 1.0 + CC__PROB_SUM_SLACK) {
            cc__set_bad(bad_index, (ptrdiff_t)(row * m->n_states + s));
            return CC_EPROBSUM;
        }
    }
    return CC_OK;
}

int cc_check_flow_values(const cc_structure *m, size_t steps, cc_kind kind,
                         const double *value, size_t value_stride,
                         double *leave, ptrdiff_t *bad_index)
{
    cc__set_bad(bad_index, -1);
    if (m == NULL || (kind != CC_KIND_RATE && kind != CC_KIND_PROB) ||
        (m->n_flows > 0 && value == NULL) || (kind == CC_KIND_PROB && leave == NULL) ||
        (value_stride != 0 && value_stride != m->n_flows)) {
        return CC_EARG;
    }
    const size_t rows = value_stride == 0 ? (steps > 0 ? 1 : 0) : steps;
    for (size_t t = 0; t < rows; t++) {
        int status = check_flow_row(m, kind, value + t * value_stride, t, leave,
                                    bad_index);
        if (status != CC_OK) {
            return status;
        }
    }
    return CC_OK;
}

void cc__probabilities(const cc_structure *m, cc_kind kind, double dt,
                       const double *value, double *prob, double *leave)
{
    const size_t S = m->n_states;
    const size_t F = m->n_flows;
    const int64_t *src = m->src;
    int overflowed = 0;

    for (size_t s = 0; s < S; s++) {
        leave[s] = 0.0;
    }
    for (size_t f = 0; f < F; f++) {
        leave[src[f]] += value[f];
    }
    /* Turn each state's total into the factor that maps a flow's value to
     * its probability: 1 / total for probabilities summing just above one,
     * -expm1(-L dt) / L for rates (0 when nothing leaves). */
    for (size_t s = 0; s < S; s++) {
        const double total = leave[s];
        if (kind == CC_KIND_PROB) {
            leave[s] = total > 1.0 ? 1.0 / total : 1.0;
        } else if (total > 0.0 && isfinite(total)) {
            leave[s] = -expm1(-total * dt) / total;
        } else if (total > 0.0) {
            overflowed = 1;
            leave[s] = -0.0; /* marks the state for the rescaled pass below */
        } else {
            leave[s] = 0.0;
        }
    }
    if (overflowed) {
        /* Rescaled totals, accumulated as negative numbers so that the sign
         * keeps marking the state. */
        for (size_t s = 0; s < S; s++) {
            if (signbit(leave[s])) {
                leave[s] = -0x1p-1022;
            }
        }
        for (size_t f = 0; f < F; f++) {
            if (signbit(leave[src[f]])) {
                leave[src[f]] -= value[f] * CC__OVERFLOW_SCALE;
            }
        }
        for (size_t s = 0; s < S; s++) {
            if (signbit(leave[s])) {
                const double scaled_total = -leave[s];
                const double q = -expm1(-(scaled_total * dt) / CC__OVERFLOW_SCALE);
                leave[s] = -(q / scaled_total);
            }
        }
    }
    for (size_t f = 0; f < F; f++) {
        const double factor = leave[src[f]];
        prob[f] = signbit(factor) ? value[f] * CC__OVERFLOW_SCALE * -factor
                                  : value[f] * factor;
    }
    for (size_t s = 0; s < S; s++) {
        leave[s] = 0.0;
    }
    for (size_t f = 0; f < F; f++) {
        leave[src[f]] += prob[f];
    }
}

int cc_flow_probabilities(const cc_structure *m, cc_kind kind, double dt,
                          const double *value, double *prob, double *leave,
                          ptrdiff_t *bad_index)
{
    int status = cc_check_structure(m, bad_index);
    if (status != CC_OK) {
        return status;
    }
    if (!(dt > 0.0) || !isfinite(dt)) {
        return CC_EDT;
    }
    if (leave == NULL || (m->n_flows > 0 && prob == NULL)) {
        return CC_EARG;
    }
    status = cc_check_flow_values(m, 1, kind, value, 0, leave, bad_index);
    if (status != CC_OK) {
        return status;
    }
    cc__probabilities(m, kind, dt, value, prob, leave);
    return CC_OK;
}

size_t cc_project_workspace(const cc_structure *m)
{
    if (m == NULL) {
        return 0;
    }
    return m->n_flows + 2 * m->n_states;
}

int cc__check_projection_shape(const cc_structure *m, size_t steps, double dt,
                               cc_kind kind, size_t value_stride,
                               size_t inflow_stride, ptrdiff_t *bad_index)
{
    int status = cc_check_structure(m, bad_index);
    if (status != CC_OK) {
        return status;
    }
    if (!(dt > 0.0) || !isfinite(dt)) {
        return CC_EDT;
    }
    if ((kind != CC_KIND_RATE && kind != CC_KIND_PROB) ||
        (value_stride != 0 && value_stride != m->n_flows) ||
        (inflow_stride != 0 && inflow_stride != m->n_states)) {
        return CC_EARG;
    }
    size_t n;
    if (steps >= (size_t)PTRDIFF_MAX || cc__mul_overflows(steps + 1, m->n_states, &n) ||
        cc__mul_overflows(steps, m->n_flows, &n)) {
        return CC_EDIM;
    }
    return CC_OK;
}

int cc__check_projection_data(const cc_structure *m, size_t steps, cc_kind kind,
                              const double *value, size_t value_stride,
                              const double *inflow, size_t inflow_stride,
                              const double *x0, double *leave,
                              ptrdiff_t *bad_index)
{
    const size_t S = m->n_states;
    if (x0 == NULL) {
        return CC_EARG;
    }
    int status = cc__check_values(x0, S, 1, 0, bad_index);
    if (status != CC_OK) {
        return status;
    }
    if (inflow != NULL) {
        const size_t rows = inflow_stride == 0 ? 1 : steps;
        status = cc__check_values(inflow, rows * S, 1, 0, bad_index);
        if (status != CC_OK) {
            return status;
        }
    }
    status = cc_check_flow_values(m, steps, kind, value, value_stride, leave, bad_index);
    if (status != CC_OK) {
        return status;
    }
    if (!(cc__people_total(S, steps, x0, inflow, inflow_stride) <= CC_PEOPLE_LIMIT)) {
        cc__set_bad(bad_index, -1);
        return CC_EOVERFLOW;
    }
    return CC_OK;
}

double cc__people_total(size_t S, size_t steps, const double *x0, const double *inflow,
                        size_t inflow_stride)
{
    /* Finite, non-negative inputs: the sum can only grow, and once it
     * passes the limit the answer is known (this also stops at +inf). */
    double total = 0.0;
    for (size_t s = 0; s < S; s++) {
        total += x0[s];
    }
    if (inflow == NULL || steps == 0) {
        return total;
    }
    if (inflow_stride == 0) {
        double per_step = 0.0;
        for (size_t s = 0; s < S; s++) {
            per_step += inflow[s];
        }
        return total + per_step * (double)steps;
    }
    for (size_t t = 0; t < steps && total <= CC_PEOPLE_LIMIT; t++) {
        const double *row = inflow + t * inflow_stride;
        for (size_t s = 0; s < S; s++) {
            total += row[s];
        }
    }
    return total;
}

void cc__advance(size_t S, const int64_t *advance, double *x, double *before)
{
    memcpy(before, x, S * sizeof(double));
    for (size_t s = 0; s < S; s++) {
        x[s] = advance[s] < 0 ? before[s] : 0.0;
    }
    for (size_t s = 0; s < S; s++) {
        if (advance[s] >= 0) {
            x[advance[s]] += before[s];
        }
    }
}

void cc__project_kernel(const cc_structure *m, size_t steps, double dt,
                        cc_kind kind, const double *value, size_t value_stride,
                        const double *inflow, size_t inflow_stride,
                        const double *x0, double *work, double *occupancy,
                        double *moved, double *arrivals)
{
    const size_t S = m->n_states;
    const size_t F = m->n_flows;
    const int64_t *src = m->src;
    const int64_t *dst = m->dst;
    const int64_t *advance = m->advance;
    double *prob = work;
    double *leave = work + F;
    double *before_advance = work + F + S;

    memcpy(occupancy, x0, S * sizeof(double));
    for (size_t t = 0; t < steps; t++) {
        const double *x = occupancy + t * S;
        double *y = occupancy + (t + 1) * S;
        if (t == 0 || value_stride != 0) {
            cc__probabilities(m, kind, dt, value + t * value_stride, prob, leave);
        }
        /* Those who stay, then those who move: x (1 - sum p) + sum moved. */
        for (size_t s = 0; s < S; s++) {
            y[s] = leave[s] >= 1.0 ? 0.0 : x[s] * (1.0 - leave[s]);
        }
        if (moved != NULL) {
            double *moved_t = moved + t * F;
            for (size_t f = 0; f < F; f++) {
                const double people = x[src[f]] * prob[f];
                moved_t[f] = people;
                y[dst[f]] += people;
            }
        } else {
            for (size_t f = 0; f < F; f++) {
                y[dst[f]] += x[src[f]] * prob[f];
            }
        }
        if (advance != NULL) {
            cc__advance(S, advance, y, before_advance);
        }
        if (inflow != NULL) {
            const double *arriving = inflow + t * inflow_stride;
            for (size_t s = 0; s < S; s++) {
                y[s] += arriving[s];
            }
            if (arrivals != NULL) {
                memcpy(arrivals + t * S, arriving, S * sizeof(double));
            }
        } else if (arrivals != NULL) {
            memset(arrivals + t * S, 0, S * sizeof(double));
        }
    }
}

int cc_project(const cc_structure *m, size_t steps, double dt, cc_kind kind,
               const double *value, size_t value_stride,
               const double *inflow, size_t inflow_stride,
               const double *x0,
               double *work,
               double *occupancy, double *moved, double *arrivals,
               ptrdiff_t *bad_index)
{
    int status = cc__check_projection_shape(m, steps, dt, kind, value_stride,
                                            inflow_stride, bad_index);
    if (status != CC_OK) {
        return status;
    }
    if (work == NULL || occupancy == NULL) {
        return CC_EARG;
    }
    status = cc__check_projection_data(m, steps, kind, value, value_stride, inflow,
                                       inflow_stride, x0, work, bad_index);
    if (status != CC_OK) {
        return status;
    }
    cc__project_kernel(m, steps, dt, kind, value, value_stride, inflow, inflow_stride,
                       x0, work, occupancy, moved, arrivals);
    return CC_OK;
}
