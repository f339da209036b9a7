/*
 * batch.c - many independent projections (deterministic, for a
 * probabilistic sensitivity analysis, or stochastic) on worker threads.
 *
 * Replicate r is always computed by the same code on its own arrays (and,
 * when stochastic, its own random stream), so the results are bit-identical
 * whatever the number of threads.
 */
#include <pthread.h>
#include <stdlib.h>

#include "internal.h"

typedef struct batch_job {
    const cc_structure *m;
    size_t replicates, steps;
    double dt;
    cc_kind kind;
    const double *value;
    size_t value_rep_stride, value_stride;
    const double *inflow;
    size_t inflow_rep_stride, inflow_stride;
    const double *x0;
    size_t x0_rep_stride;
    double *occupancy, *moved, *arrivals;
    size_t threads;
    int validate;   /* 1: check data only; 0: project */
    int stochastic; /* 1: cc__simulate_kernel with stream first_stream + r of seed */
    uint64_t seed;
    uint64_t first_stream;
} batch_job;

typedef struct batch_worker {
    const batch_job *job;
    size_t first;      /* replicates first, first + threads, ... */
    double *work;
    int status;        /* first failure among this worker's replicates */
    size_t failed_rep;
    ptrdiff_t bad_index;
} batch_worker;

static void *run_worker(void *arg)
{
    batch_worker *w = arg;
    const batch_job *j = w->job;
    const size_t S = j->m->n_states;
    const size_t F = j->m->n_flows;
    w->status = CC_OK;
    for (size_t r = w->first; r < j->replicates; r += j->threads) {
        const double *value = j->value ? j->value + r * j->value_rep_stride : NULL;
        const double *inflow = j->inflow ? j->inflow + r * j->inflow_rep_stride : NULL;
        const double *x0 = j->x0 + r * j->x0_rep_stride;
        if (j->validate) {
            int status = cc__check_projection_data(j->m, j->steps, j->kind, value,
                                                   j->value_stride, inflow,
                                                   j->inflow_stride, x0, w->work,
                                                   &w->bad_index);
            if (status == CC_OK && j->stochastic) {
                status = cc__check_whole(x0, S, &w->bad_index);
            }
            if (status != CC_OK) {
                w->status = status;
                w->failed_rep = r;
                return NULL;
            }
        } else if (j->stochastic) {
            cc_rng rng;
            cc_rng_init(&rng, j->seed, j->first_stream + (uint64_t)r);
            cc__simulate_kernel(j->m, j->steps, j->dt, j->kind, value, j->value_stride,
                                inflow, j->inflow_stride, x0, &rng, w->work,
                                j->occupancy + r * (j->steps + 1) * S,
                                j->moved ? j->moved + r * j->steps * F : NULL,
                                j->arrivals ? j->arrivals + r * j->steps * S : NULL);
        } else {
            cc__project_kernel(j->m, j->steps, j->dt, j->kind, value, j->value_stride,
                               inflow, j->inflow_stride, x0, w->work,
                               j->occupancy + r * (j->steps + 1) * S,
                               j->moved ? j->moved + r * j->steps * F : NULL,
                               j->arrivals ? j->arrivals + r * j->steps * S : NULL);
        }
    }
    return NULL;
}

/* Runs one phase on all workers; worker 0 runs on the calling thread. */
static int run_phase(batch_worker *workers, size_t threads, pthread_t *ids)
{
    size_t started = 1;
    int status = CC_OK;
    for (; started < threads; started++) {
        if (pthread_create(&ids[started], NULL, run_worker, &workers[started]) != 0) {
            status = CC_ETHREAD;
            break;
        }
    }
    run_worker(&workers[0]);
    for (size_t i = 1; i < started; i++) {
        pthread_join(ids[i], NULL);
    }
    if (status != CC_OK) {
        /* Replicates of workers that never started were not run. */
        for (size_t i = started; i < threads; i++) {
            run_worker(&workers[i]);
        }
    }
    return CC_OK;
}

/* Element count of one replicate's share of an array with a step stride,
 * used to place bad_index in the flattened (R, ...) array. */
static size_t per_replicate(size_t steps, size_t stride, size_t width)
{
    return stride == 0 ? width : steps * width;
}

/* Validates then runs every replicate of a job (see cc_project_batch). */
static int run_batch(batch_job *job, ptrdiff_t *bad_index)
{
    const cc_structure *m = job->m;
    const size_t steps = job->steps;
    int status = cc__check_projection_shape(m, steps, job->dt, job->kind, job->value_stride,
                                            job->inflow_stride, bad_index);
    if (status != CC_OK) {
        return status;
    }
    if (job->x0 == NULL || job->occupancy == NULL || (m->n_flows > 0 && job->value == NULL)) {
        return CC_EARG;
    }
    size_t n;
    if (cc__mul_overflows(job->replicates, (steps + 1) * m->n_states, &n) ||
        cc__mul_overflows(job->replicates, steps * m->n_flows + 1, &n)) {
        return CC_EDIM;
    }
    if (job->replicates == 0) {
        return CC_OK;
    }
    size_t threads = job->threads == 0 ? 1 : job->threads;
    if (threads > job->replicates) {
        threads = job->replicates;
    }
    job->threads = threads;
    const size_t work_size = job->stochastic ? cc__simulate_workspace(m) : cc_project_workspace(m);
    batch_worker *workers = calloc(threads, sizeof *workers);
    pthread_t *ids = calloc(threads, sizeof *ids);
    double *work = malloc(threads * work_size * sizeof(double));
    if (workers == NULL || ids == NULL || work == NULL) {
        free(workers);
        free(ids);
        free(work);
        return CC_ENOMEM;
    }
    job->validate = 1;
    for (size_t i = 0; i < threads; i++) {
        workers[i].job = job;
        workers[i].first = i;
        workers[i].work = work + i * work_size;
        workers[i].bad_index = -1;
    }
    status = run_phase(workers, threads, ids);
    /* Report the failing replicate with the lowest number, so that the
     * answer does not depend on the thread count. */
    size_t worst = threads;
    for (size_t i = 0; i < threads; i++) {
        if (workers[i].status != CC_OK &&
            (worst == threads || workers[i].failed_rep < workers[worst].failed_rep)) {
            worst = i;
        }
    }
    if (worst < threads) {
        const batch_worker *w = &workers[worst];
        const size_t r = w->failed_rep;
        size_t width = 0;
        status = w->status;
        if (status == CC_EPROBSUM) {
            width = per_replicate(steps, job->value_stride, m->n_states);
        } else if (w->bad_index >= 0) {
            /* Which array failed decides the replicate offset; the checks run
             * x0, then inflow, then value, then (stochastic) whole x0, as in
             * run_worker. */
            const double *x0_r = job->x0 + r * job->x0_rep_stride;
            ptrdiff_t unused;
            if (status == CC_EARG ||
                cc__check_values(x0_r, m->n_states, 1, 0, &unused) != CC_OK) {
                width = m->n_states;
            } else if (job->inflow != NULL &&
                       cc__check_values(job->inflow + r * job->inflow_rep_stride,
                                        (job->inflow_stride ? steps : 1) * m->n_states, 1, 0,
                                        &unused) != CC_OK) {
                width = per_replicate(steps, job->inflow_stride, m->n_states);
            } else {
                width = per_replicate(steps, job->value_stride, m->n_flows);
            }
        }
        cc__set_bad(bad_index, (ptrdiff_t)(r * width) + w->bad_index);
    } else if (status == CC_OK) {
        job->validate = 0;
        status = run_phase(workers, threads, ids);
    }
    free(workers);
    free(ids);
    free(work);
    return status;
}

int cc_project_batch(const cc_structure *m, size_t replicates, size_t steps,
                     double dt, cc_kind kind,
                     const double *value, size_t value_rep_stride,
                     size_t value_stride,
                     const double *inflow, size_t inflow_rep_stride,
                     size_t inflow_stride,
                     const double *x0, size_t x0_rep_stride,
                     size_t threads,
                     double *occupancy, double *moved, double *arrivals,
                     ptrdiff_t *bad_index)
{
    batch_job job = {m, replicates, steps, dt, kind, value, value_rep_stride,
                     value_stride, inflow, inflow_rep_stride, inflow_stride,
                     x0, x0_rep_stride, occupancy, moved, arrivals, threads, 1, 0, 0, 0};
    return run_batch(&job, bad_index);
}

int cc_simulate_batch(const cc_structure *m, size_t replicates, size_t steps,
                      double dt, cc_kind kind,
                      const double *value, size_t value_rep_stride,
                      size_t value_stride,
                      const double *inflow, size_t inflow_rep_stride,
                      size_t inflow_stride,
                      const double *x0, size_t x0_rep_stride,
                      uint64_t seed, size_t threads,
                      double *occupancy, double *moved, double *arrivals,
                      ptrdiff_t *bad_index)
{
    return cc_simulate_range(m, replicates, steps, dt, kind, value, value_rep_stride,
                             value_stride, inflow, inflow_rep_stride, inflow_stride, x0,
                             x0_rep_stride, seed, 0, threads, occupancy, moved, arrivals,
                             bad_index);
}

int cc_simulate_range(const cc_structure *m, size_t replicates, size_t steps,
                      double dt, cc_kind kind,
                      const double *value, size_t value_rep_stride,
                      size_t value_stride,
                      const double *inflow, size_t inflow_rep_stride,
                      size_t inflow_stride,
                      const double *x0, size_t x0_rep_stride,
                      uint64_t seed, uint64_t first_replicate, size_t threads,
                      double *occupancy, double *moved, double *arrivals,
                      ptrdiff_t *bad_index)
{
    batch_job job = {m, replicates, steps, dt, kind, value, value_rep_stride,
                     value_stride, inflow, inflow_rep_stride, inflow_stride,
                     x0, x0_rep_stride, occupancy, moved, arrivals, threads, 1, 1, seed,
                     first_replicate};
    return run_batch(&job, bad_index);
}
