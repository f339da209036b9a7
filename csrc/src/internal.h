/*
 * internal.h - private helpers shared by the carecast C sources.
 * Not part of the public API; never installed.
 */
#ifndef CARECAST_INTERNAL_H
#define CARECAST_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "carecast.h"

/* Store i in *bad_index when the caller asked for it. */
static inline void cc__set_bad(ptrdiff_t *bad_index, ptrdiff_t i)
{
    if (bad_index != NULL) {
        *bad_index = i;
    }
}

/* a * b into *out; returns 1 if it overflows size_t (or PTRDIFF_MAX, so
 * that every element index also fits the signed bad_index). */
int cc__mul_overflows(size_t a, size_t b, size_t *out);

/* Checks n values for NaN/inf (CC_ENONFINITE) and, when nonneg is set,
 * negatives (CC_ENEGATIVE); *bad_index = offset + i of the first bad one. */
int cc__check_values(const double *x, size_t n, int nonneg, size_t offset,
                     ptrdiff_t *bad_index);

/* Per-step probabilities from already validated values (no checks). */
void cc__probabilities(const cc_structure *m, cc_kind kind, double dt,
                       const double *value, double *prob, double *leave);

/* The advance map: everyone in s moves to advance[s] (-1: stays), in place
 * in x; before is S doubles of workspace. */
void cc__advance(size_t S, const int64_t *advance, double *x, double *before);

/* The projection proper, on validated inputs; work as cc_project. */
void cc__project_kernel(const cc_structure *m, size_t steps, double dt,
                        cc_kind kind, const double *value, size_t value_stride,
                        const double *inflow, size_t inflow_stride,
                        const double *x0, double *work, double *occupancy,
                        double *moved, double *arrivals);

/* All checks of cc_project that do not depend on one replicate's data. */
int cc__check_projection_shape(const cc_structure *m, size_t steps, double dt,
                               cc_kind kind, size_t value_stride,
                               size_t inflow_stride, ptrdiff_t *bad_index);

/* Checks of one replicate's data: values, inflow, x0.  bad_index is
 * relative to the replicate's own arrays. */
int cc__check_projection_data(const cc_structure *m, size_t steps, cc_kind kind,
                              const double *value, size_t value_stride,
                              const double *inflow, size_t inflow_stride,
                              const double *x0, double *leave,
                              ptrdiff_t *bad_index);

/* sum(x0) plus the inflow of every step (finite, non-negative inputs);
 * may stop early once it is above CC_PEOPLE_LIMIT, and may be +inf. */
double cc__people_total(size_t S, size_t steps, const double *x0, const double *inflow,
                        size_t inflow_stride);

/* Workspace (doubles) of one stochastic replicate. */
size_t cc__simulate_workspace(const cc_structure *m);

/* log_stay[s] = log1p(-p) with p = min(leave[s], 1) where 0 < p <= 1/2
 * (the log_q of cc__binomial_logq), else 0. */
void cc__log_stay(size_t S, const double *leave, double *log_stay);

/* The flows grouped by source state, each group in flow order: the flows
 * leaving s are order[start[s]] .. order[start[s+1] - 1].  start has S + 1
 * entries, order F; m must be valid. */
void cc__group_by_source(const cc_structure *m, size_t *start, size_t *order);

/* CC_EARG with *bad_index = i for the first x[i] that is not a whole
 * number in [0, 2^53]. */
int cc__check_whole(const double *x, size_t n, ptrdiff_t *bad_index);

/* What every replicate of a stochastic batch shares, computed once. */
typedef struct cc__sim_shared {
    const size_t *start, *order; /* cc__group_by_source */
    const double *prob, *leave;  /* the probabilities when the values are
                                    shared and constant, else NULL */
    const double *log_stay;      /* with them, log1p(-min(leave, 1)) */
    const double *no_arrival;    /* exp(-inflow), laid out as the inflow,
                                    when the inflow is shared, else NULL */
} cc__sim_shared;

/* One stochastic replicate on validated inputs; moved and arrivals may be
 * NULL (the draws are made all the same, so the path does not change).
 * Returns 1 if it stopped because *cancel was raised (checked before each
 * step), else 0. */
int cc__simulate_kernel(const cc_structure *m, const cc__sim_shared *shared,
                        size_t steps, double dt, cc_kind kind,
                        const double *value, size_t value_stride,
                        const double *inflow, size_t inflow_stride,
                        const double *x0, cc_rng *rng, double *work,
                        double *occupancy, double *moved, double *arrivals,
                        const volatile int *cancel);

/* Binomial(n, p) given log_q = log1p(-p) (used when p <= 1/2); the same
 * draws as cc_rng_binomial. */
double cc__binomial_logq(cc_rng *rng, double n, double p, double log_q);

/* Poisson(mean) given exp(-mean) (no_arrival); the same draws as
 * cc_rng_poisson. */
double cc__poisson_p0(cc_rng *rng, double mean, double p0);

/* Tolerance on probabilities leaving one state summing above one. */
#define CC__PROB_SUM_SLACK 1e-12

#endif /* CARECAST_INTERNAL_H */
