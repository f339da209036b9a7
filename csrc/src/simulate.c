/*
 * simulate.c - one stochastic replicate: whole people, binomial leavers,
 * multinomial split over flows, Poisson arrivals.
 *
 * Work is in proportion to the people who move, not to the size of the
 * model: empty states draw nothing, and a state's multinomial split stops
 * as soon as its leavers are all placed.  The flows are visited by source
 * state through an index built once per batch (cc__group_by_source).
 */
#include <math.h>
#include <string.h>

#include "internal.h"

size_t cc__simulate_workspace(const cc_structure *m)
{
    return m->n_flows + 3 * m->n_states;
}

void cc__log_stay(size_t S, const double *leave, double *log_stay)
{
    for (size_t s = 0; s < S; s++) {
        const double p = leave[s] > 1.0 ? 1.0 : leave[s];
        log_stay[s] = p > 0.0 && p <= 0.5 ? log1p(-p) : 0.0;
    }
}

void cc__group_by_source(const cc_structure *m, size_t *start, size_t *order)
{
    const size_t S = m->n_states;
    const size_t F = m->n_flows;
    for (size_t s = 0; s <= S; s++) {
        start[s] = 0;
    }
    for (size_t f = 0; f < F; f++) {
        start[m->src[f] + 1]++;
    }
    for (size_t s = 0; s < S; s++) {
        start[s + 1] += start[s];
    }
    /* A counting sort, stable: each state's flows stay in flow order.
     * order doubles as the fill cursor through start's copy in place. */
    for (size_t f = 0; f < F; f++) {
        const size_t s = (size_t)m->src[f];
        order[start[s]++] = f;
    }
    for (size_t s = S; s > 0; s--) {
        start[s] = start[s - 1];
    }
    start[0] = 0;
}

int cc__check_whole(const double *x, size_t n, ptrdiff_t *bad_index)
{
    /* 2^53: beyond it a double no longer holds every whole number. */
    for (size_t i = 0; i < n; i++) {
        if (x[i] != floor(x[i]) || x[i] > 9007199254740992.0) {
            cc__set_bad(bad_index, (ptrdiff_t)i);
            return CC_EARG;
        }
    }
    return CC_OK;
}

int cc__simulate_kernel(const cc_structure *m, const cc__sim_shared *shared,
                        size_t steps, double dt, cc_kind kind,
                        const double *value, size_t value_stride,
                        const double *inflow, size_t inflow_stride,
                        const double *x0, cc_rng *rng, double *work,
                        double *occupancy, double *moved, double *arrivals,
                        const volatile int *cancel)
{
    const size_t S = m->n_states;
    const size_t F = m->n_flows;
    const int64_t *dst = m->dst;
    const int64_t *advance = m->advance;
    const size_t *start = shared->start;
    const size_t *order = shared->order;
    double *prob = work;
    double *leave = prob + F;
    double *before_advance = leave + S;
    double *log_stay = before_advance + S;
    const double *no_arrival = shared->no_arrival;
    if (shared->prob != NULL) {
        /* Shared and constant values: computed once for the batch. */
        memcpy(prob, shared->prob, F * sizeof(double));
        memcpy(leave, shared->leave, S * sizeof(double));
        memcpy(log_stay, shared->log_stay, S * sizeof(double));
    }

    memcpy(occupancy, x0, S * sizeof(double));
    for (size_t t = 0; t < steps; t++) {
        if (cancel != NULL && *cancel) {
            return 1;
        }
        const double *x = occupancy + t * S;
        double *y = occupancy + (t + 1) * S;
        double *moved_t = moved != NULL ? moved + t * F : NULL;
        if ((t == 0 && shared->prob == NULL) || value_stride != 0) {
            cc__probabilities(m, kind, dt, value + t * value_stride, prob, leave);
            cc__log_stay(S, leave, log_stay);
        }
        if (moved_t != NULL) {
            memset(moved_t, 0, F * sizeof(double));
        }
        /* Whole numbers below 2^53 add and subtract exactly, so y may take
         * the movers in any order. */
        memcpy(y, x, S * sizeof(double));
        for (size_t s = 0; s < S; s++) {
            if (x[s] == 0.0) {
                continue;
            }
            const double leavers =
                cc__binomial_logq(rng, x[s], leave[s] > 1.0 ? 1.0 : leave[s], log_stay[s]);
            if (leavers == 0.0) {
                continue;
            }
            y[s] -= leavers;
            /* The multinomial split as sequential binomials in flow order;
             * the state's last flow takes whoever is left, so nobody is
             * lost to rounding of the conditional probabilities. */
            double left_to_place = leavers;
            double prob_to_place = leave[s];
            const size_t last = start[s + 1] - 1;
            for (size_t k = start[s]; k <= last; k++) {
                const size_t f = order[k];
                double people;
                if (k == last) {
                    people = left_to_place;
                } else if (prob_to_place > 0.0) {
                    const double share = prob[f] / prob_to_place;
                    people = cc_rng_binomial(rng, left_to_place, share > 1.0 ? 1.0 : share);
                } else {
                    people = 0.0;
                }
                left_to_place -= people;
                prob_to_place -= prob[f];
                if (moved_t != NULL) {
                    moved_t[f] = people;
                }
                y[dst[f]] += people;
                if (left_to_place == 0.0) {
                    break;
                }
            }
        }
        if (advance != NULL) {
            cc__advance(S, advance, y, before_advance);
        }
        double *arrived = arrivals != NULL ? arrivals + t * S : NULL;
        if (inflow != NULL) {
            const double *expected = inflow + t * inflow_stride;
            const double *none = no_arrival != NULL ? no_arrival + t * inflow_stride : NULL;
            for (size_t s = 0; s < S; s++) {
                double people = 0.0;
                if (expected[s] > 0.0) {
                    people = none != NULL ? cc__poisson_p0(rng, expected[s], none[s])
                                          : cc_rng_poisson(rng, expected[s]);
                }
                y[s] += people;
                if (arrived != NULL) {
                    arrived[s] = people;
                }
            }
        } else if (arrived != NULL) {
            memset(arrived, 0, S * sizeof(double));
        }
    }
    return 0;
}
