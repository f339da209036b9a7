/*
 * simulate.c - one stochastic replicate: whole people, binomial leavers,
 * multinomial split over flows, Poisson arrivals.
 */
#include <math.h>
#include <string.h>

#include "internal.h"

size_t cc__simulate_workspace(const cc_structure *m)
{
    return m->n_flows + 5 * m->n_states;
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

void cc__simulate_kernel(const cc_structure *m, size_t steps, double dt, cc_kind kind,
                         const double *value, size_t value_stride,
                         const double *inflow, size_t inflow_stride,
                         const double *x0, cc_rng *rng, double *work,
                         double *occupancy, double *moved, double *arrivals)
{
    const size_t S = m->n_states;
    const size_t F = m->n_flows;
    const int64_t *src = m->src;
    const int64_t *dst = m->dst;
    const int64_t *advance = m->advance;
    double *prob = work;
    double *leave = prob + F;
    double *before_advance = leave + S;
    double *left_to_place = before_advance + S;  /* leavers not yet given a flow */
    double *prob_to_place = left_to_place + S;   /* their probability mass */
    double *last_flow = prob_to_place + S;       /* each state's last flow, or -1 */

    for (size_t s = 0; s < S; s++) {
        last_flow[s] = -1.0;
    }
    for (size_t f = 0; f < F; f++) {
        last_flow[src[f]] = (double)f;
    }
    memcpy(occupancy, x0, S * sizeof(double));
    for (size_t t = 0; t < steps; t++) {
        const double *x = occupancy + t * S;
        double *y = occupancy + (t + 1) * S;
        double *moved_t = moved != NULL ? moved + t * F : NULL;
        if (t == 0 || value_stride != 0) {
            cc__probabilities(m, kind, dt, value + t * value_stride, prob, leave);
        }
        for (size_t s = 0; s < S; s++) {
            const double leavers = cc_rng_binomial(rng, x[s], leave[s] > 1.0 ? 1.0 : leave[s]);
            y[s] = x[s] - leavers;
            left_to_place[s] = leavers;
            prob_to_place[s] = leave[s];
        }
        /* The multinomial split as sequential binomials in flow order; the
         * state's last flow takes whoever is left, so nobody is lost to
         * rounding of the conditional probabilities. */
        for (size_t f = 0; f < F; f++) {
            const int64_t s = src[f];
            double people;
            if ((double)f == last_flow[s]) {
                people = left_to_place[s];
            } else if (left_to_place[s] > 0.0 && prob_to_place[s] > 0.0) {
                const double share = prob[f] / prob_to_place[s];
                people = cc_rng_binomial(rng, left_to_place[s], share > 1.0 ? 1.0 : share);
            } else {
                people = 0.0;
            }
            left_to_place[s] -= people;
            prob_to_place[s] -= prob[f];
            if (moved_t != NULL) {
                moved_t[f] = people;
            }
            y[dst[f]] += people;
        }
        if (advance != NULL) {
            cc__advance(S, advance, y, before_advance);
        }
        double *arrived = arrivals != NULL ? arrivals + t * S : NULL;
        if (inflow != NULL) {
            const double *expected = inflow + t * inflow_stride;
            for (size_t s = 0; s < S; s++) {
                const double people = cc_rng_poisson(rng, expected[s]);
                y[s] += people;
                if (arrived != NULL) {
                    arrived[s] = people;
                }
            }
        } else if (arrived != NULL) {
            memset(arrived, 0, S * sizeof(double));
        }
    }
}
