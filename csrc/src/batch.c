/*
 * batch.c - many independent projections (deterministic, for a
 * probabilistic sensitivity analysis, or stochastic) on worker threads.
 *
 * Deterministic batches run in blocks of up to LANES replicates with the
 * replicate axis innermost: the block's occupancy is an (S, LANES) array,
 * so each flow's update is one loop over LANES contiguous doubles that the
 * compiler turns into vector instructions, and the flow's indices are read
 * once for the whole block.  Each lane does exactly the operations of
 * cc__project_kernel for its replicate, in the same order (floating-point
 * contraction is off under -std=c11), so the bits are those of cc_project.
 * The block's rows are transposed into the caller's (R, steps+1, S) layout
 * as each step is finished.
 *
 * Stochastic batches run replicate by replicate, each on its own random
 * stream, so the bits do not depend on threads or ranges either.
 *
 * Work is handed out one unit (a block, or a replicate) at a time from a
 * counter under a mutex, so a thread slowed by another process does not
 * hold back the others; which thread computes a unit never changes its
 * result.  The cancel flag is read before every step of every unit.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "cc_threads.h"

/* No fused multiply-adds, as in project.c (see there). */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(_MSC_VER)
#pragma fp_contract(off)
#endif

/* Replicates per block: eight SSE2, four AVX2 or two AVX-512 vectors per
 * flow update; the block's flow probabilities (LANES * F doubles, 192 KB
 * for 1,500 flows) stay in a core's L2 cache. */
#define LANES 16

/* On x86-64 Linux with GCC the block kernel is also compiled for AVX2 and
 * AVX-512 and the best the processor has is picked at load time (an ifunc);
 * elsewhere it is compiled for the baseline the compiler targets.  The
 * arithmetic is the same (multiplies and adds, no contraction into fused
 * multiply-adds under -std=c11), so the bits do not depend on the choice.
 * Not under ThreadSanitizer, whose runtime is not ready when the ifunc
 * resolver runs (the runner crashes at start-up). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) && \
    !defined(__SANITIZE_THREAD__) && !defined(CC_NO_TARGET_CLONES)
#define CC_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define CC_VECTOR_CLONES
#endif

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
    /* Reduced outputs (cc_project_batch_outputs, cc_simulate_range_outputs):
     * then occupancy, moved and arrivals are NULL. */
    const cc_reduction *state_red, *flow_red;
    double *outputs, *flow_out;
    double weight_bound; /* the larger bound of the two reductions, >= 1 */
    /* Deterministic flow outputs whose every output takes its flows in
     * rising order, with at most MAX_SLOTS terms a flow (fused_slots): each
     * flow's terms in flow_slots slots (output, weight; an unused slot adds
     * to row L, which is never read), so that each flow's people are added
     * to its outputs as the flow is applied, in the order of the CSR loop
     * and so with its bits.  Set by run_batch. */
    size_t flow_slots;
    const int64_t *flow_slot_out;   /* (F, flow_slots) */
    const double *flow_slot_weight; /* (F, flow_slots) */
    size_t threads;
    const volatile int *cancel;
    int stochastic;   /* 1: cc__simulate_kernel with stream first_stream + r of seed */
    uint64_t seed;
    uint64_t first_stream;
    /* Set by run_batch. */
    int validate;     /* 1: check data only; 0: project */
    size_t blocks;    /* deterministic: replicates split into this many blocks */
    cc__sim_shared shared; /* stochastic: what all replicates share */
    cc_mutex lock;    /* guards next_unit */
    size_t next_unit;
} batch_job;

typedef struct batch_worker {
    batch_job *job;
    size_t first;      /* validation: replicates first, first + threads, ... */
    double *work;
    size_t *gone;      /* deterministic: LANES * S places where everybody leaves */
    double *scratch;   /* stochastic, reduced: one replicate's occupancy and moved */
    int status;        /* first failure among this worker's replicates */
    size_t failed_rep;
    ptrdiff_t bad_index;
    int interrupted;
    cc_thread thread;
} batch_worker;

static int cancelled(const batch_job *j)
{
    return j->cancel != NULL && *j->cancel != 0;
}

/* The next unit of work, or (size_t)-1 when there is none left. */
static size_t take_unit(batch_job *j, size_t units)
{
    cc_mutex_lock(&j->lock);
    const size_t u = j->next_unit < units ? j->next_unit++ : (size_t)-1;
    cc_mutex_unlock(&j->lock);
    return u;
}

/* Replicates of block i: [first, first + count), the R replicates split
 * into j->blocks runs whose sizes differ by at most one. */
static void block_range(const batch_job *j, size_t i, size_t *first, size_t *count)
{
    const size_t base = j->replicates / j->blocks;
    const size_t extra = j->replicates % j->blocks;
    *first = i * base + (i < extra ? i : extra);
    *count = base + (i < extra ? 1 : 0);
}

/* Doubles in a cache line: workspaces start on a 64-byte boundary and each
 * of their lane arrays is a whole number of lines, so no row of LANES
 * doubles (two lines) straddles three.  Measured on case (b) of
 * bench_batch.py: a block kernel whose workspace began 16 bytes into a
 * line (as malloc's fresh mappings do) took 0.63 CPU-s against 0.46 on a
 * line boundary. */
#define LINE_DOUBLES 8
#define LINE_BYTES (LINE_DOUBLES * sizeof(double))

/* n rounded up to whole cache lines (n is far below SIZE_MAX: the sizes
 * are checked in run_batch). */
static size_t whole_lines(size_t n)
{
    return (n + LINE_DOUBLES - 1) / LINE_DOUBLES * LINE_DOUBLES;
}

/* Doubles of workspace for one block (see project_block). */
static size_t block_workspace(const cc_structure *m)
{
    return LANES * (m->n_flows + 4 * m->n_states) + whole_lines(m->n_flows + m->n_states);
}

/* The lane helpers below work on rows of LANES doubles.  With GCC or
 * Clang a row is one generic vector (lowered to two AVX-512, four AVX2 or
 * eight SSE2 registers in each clone of project_block) and the helpers are
 * always inlined, so the block kernel is vectorised whatever the
 * optimisation level: at -O3 (Python's own build flags, which setuptools
 * uses) GCC 12 completely unrolls the plain 16-iteration loops before its
 * vectoriser sees them and emits one scalar multiply and add per lane,
 * which measured twice the CPU time of -O2 on case (b) of bench_batch.py.
 * The operations per lane are the same multiplies and adds either way
 * (no contraction under -std=c11), so the bits do not change. */
#if defined(__GNUC__)
typedef double cc__lanes __attribute__((vector_size(LANES * sizeof(double))));
/* Vectors are loaded and stored with memcpy (rows need not be aligned) and
 * never passed or returned by value (no ABI notes under -Wpsabi). */
#define CC_LANE_HELPER __attribute__((always_inline)) static inline

/* y[b] += x[b] * p[b] for one flow and every lane. */
CC_LANE_HELPER void add_flow(double *y, const double *x, const double *p)
{
    cc__lanes vy, vx, vp;
    memcpy(&vy, y, sizeof vy);
    memcpy(&vx, x, sizeof vx);
    memcpy(&vp, p, sizeof vp);
    vy += vx * vp;
    memcpy(y, &vy, sizeof vy);
}

/* As add_flow, also storing each lane's people moved in out. */
CC_LANE_HELPER void add_flow_kept(double *y, const double *x, const double *p, double *out)
{
    cc__lanes vy, vx, vp;
    memcpy(&vy, y, sizeof vy);
    memcpy(&vx, x, sizeof vx);
    memcpy(&vp, p, sizeof vp);
    const cc__lanes people = vx * vp;
    vy += people;
    memcpy(out, &people, sizeof people);
    memcpy(y, &vy, sizeof vy);
}

/* acc += w * people for one output's row (a fused flow output). */
CC_LANE_HELPER void add_term(double *acc, double w, const double *people)
{
    cc__lanes va, vp;
    memcpy(&va, acc, sizeof va);
    memcpy(&vp, people, sizeof vp);
    va += w * vp;
    memcpy(acc, &va, sizeof va);
}

/* y += from for one state's row (the advance map). */
CC_LANE_HELPER void add_flow_rows(double *y, const double *from)
{
    cc__lanes vy, vf;
    memcpy(&vy, y, sizeof vy);
    memcpy(&vf, from, sizeof vf);
    vy += vf;
    memcpy(y, &vy, sizeof vy);
}

/* y = x * stay for one state's row: the stayers where some leave. */
CC_LANE_HELPER void stayers(double *y, const double *x, const double *stay)
{
    cc__lanes vx, vs;
    memcpy(&vx, x, sizeof vx);
    memcpy(&vs, stay, sizeof vs);
    vx *= vs;
    memcpy(y, &vx, sizeof vx);
}

/* y += arriving for one state's row: an inflow shared by every lane. */
CC_LANE_HELPER void add_shared(double *y, double arriving)
{
    cc__lanes vy;
    memcpy(&vy, y, sizeof vy);
    vy += arriving;
    memcpy(y, &vy, sizeof vy);
}
#else
/* y[b] += x[b] * p[b] for one flow and every lane.  x and y are rows of
 * different steps' arrays, so nothing aliases. */
static void add_flow(double *restrict y, const double *restrict x, const double *restrict p)
{
    for (size_t b = 0; b < LANES; b++) {
        y[b] += x[b] * p[b];
    }
}

/* As add_flow, also storing each lane's people moved in out. */
static void add_flow_kept(double *restrict y, const double *restrict x,
                          const double *restrict p, double *restrict out)
{
    for (size_t b = 0; b < LANES; b++) {
        const double people = x[b] * p[b];
        out[b] = people;
        y[b] += people;
    }
}

/* acc += w * people for one output's row (a fused flow output). */
static void add_term(double *restrict acc, double w, const double *restrict people)
{
    for (size_t b = 0; b < LANES; b++) {
        acc[b] += w * people[b];
    }
}

/* y += from for one state's row (the advance map); the rows are distinct
 * (before and y are different arrays). */
static void add_flow_rows(double *restrict y, const double *restrict from)
{
    for (size_t b = 0; b < LANES; b++) {
        y[b] += from[b];
    }
}

/* y = x * stay for one state's row: the stayers where some leave. */
static void stayers(double *restrict y, const double *restrict x, const double *restrict stay)
{
    for (size_t b = 0; b < LANES; b++) {
        y[b] = x[b] * stay[b];
    }
}

/* y += arriving for one state's row: an inflow shared by every lane. */
static void add_shared(double *y, double arriving)
{
    for (size_t b = 0; b < LANES; b++) {
        y[b] += arriving;
    }
}
#endif

/* The block's (S, LANES) array y written out as n rows of S, row b at
 * out + b * stride: a transpose.  With GCC or Clang, 4 x 4 tiles go through
 * vector registers (four loads, eight shuffles, four stores for sixteen
 * numbers); the rest, and other compilers, one number at a time. */
#if defined(__GNUC__) && (defined(__clang__) || __GNUC__ >= 12)
typedef double cc__v4d __attribute__((vector_size(32)));

/* Always inlined, so that it is compiled for each target of project_block. */
__attribute__((always_inline)) static inline void write_rows(const double *y, size_t S, size_t n, double *out, size_t stride)
{
    size_t b = 0;
    for (; b + 4 <= n; b += 4) {
        double *o0 = out + b * stride, *o1 = o0 + stride, *o2 = o1 + stride, *o3 = o2 + stride;
        size_t s = 0;
        for (; s + 4 <= S; s += 4) {
            cc__v4d r0, r1, r2, r3;
            memcpy(&r0, y + s * LANES + b, sizeof r0);
            memcpy(&r1, y + (s + 1) * LANES + b, sizeof r1);
            memcpy(&r2, y + (s + 2) * LANES + b, sizeof r2);
            memcpy(&r3, y + (s + 3) * LANES + b, sizeof r3);
            const cc__v4d t0 = __builtin_shufflevector(r0, r1, 0, 4, 2, 6);
            const cc__v4d t1 = __builtin_shufflevector(r0, r1, 1, 5, 3, 7);
            const cc__v4d t2 = __builtin_shufflevector(r2, r3, 0, 4, 2, 6);
            const cc__v4d t3 = __builtin_shufflevector(r2, r3, 1, 5, 3, 7);
            const cc__v4d c0 = __builtin_shufflevector(t0, t2, 0, 1, 4, 5);
            const cc__v4d c1 = __builtin_shufflevector(t1, t3, 0, 1, 4, 5);
            const cc__v4d c2 = __builtin_shufflevector(t0, t2, 2, 3, 6, 7);
            const cc__v4d c3 = __builtin_shufflevector(t1, t3, 2, 3, 6, 7);
            memcpy(o0 + s, &c0, sizeof c0);
            memcpy(o1 + s, &c1, sizeof c1);
            memcpy(o2 + s, &c2, sizeof c2);
            memcpy(o3 + s, &c3, sizeof c3);
        }
        for (; s < S; s++) {
            o0[s] = y[s * LANES + b];
            o1[s] = y[s * LANES + b + 1];
            o2[s] = y[s * LANES + b + 2];
            o3[s] = y[s * LANES + b + 3];
        }
    }
    for (; b < n; b++) {
        double *o = out + b * stride;
        for (size_t s = 0; s < S; s++) {
            o[s] = y[s * LANES + b];
        }
    }
}
#else
static void write_rows(const double *y, size_t S, size_t n, double *out, size_t stride)
{
    for (size_t b = 0; b < n; b++) {
        double *o = out + b * stride;
        for (size_t s = 0; s < S; s++) {
            o[s] = y[s * LANES + b];
        }
    }
}
#endif

/* Reduced outputs of lanes 0 .. n-1 from the block's (elements, LANES)
 * array y: lane b's K outputs go to out + b * stride.  Each lane's sum runs
 * in the order of cc_reduction (0, then term by term in CSR order), which
 * is also the order of reduce_one. */
__attribute__((always_inline)) static inline void reduce_rows(const cc_reduction *red,
                                                              const double *y, size_t n,
                                                              double *out, size_t stride)
{
    double acc[LANES];
    for (size_t k = 0; k < red->n_outputs; k++) {
        for (size_t b = 0; b < LANES; b++) {
            acc[b] = 0.0;
        }
        for (int64_t p = red->ptr[k]; p < red->ptr[k + 1]; p++) {
            const double w = red->weight[p];
            const double *row = y + (size_t)red->index[p] * LANES;
            for (size_t b = 0; b < LANES; b++) {
                acc[b] += w * row[b];
            }
        }
        for (size_t b = 0; b < n; b++) {
            out[b * stride + k] = acc[b];
        }
    }
}

/* The K outputs of one row x (of one replicate), into out. */
static void reduce_one(const cc_reduction *red, const double *x, double *out)
{
    for (size_t k = 0; k < red->n_outputs; k++) {
        double acc = 0.0;
        for (int64_t p = red->ptr[k]; p < red->ptr[k + 1]; p++) {
            acc += red->weight[p] * x[red->index[p]];
        }
        out[k] = acc;
    }
}

/* Lane b's probabilities of step t: cc__probabilities, then spread into
 * the block's (F, LANES) prob and (S, LANES) stay = 1 - leave, the factor
 * of those who stay as in cc__project_kernel. */
static void lane_probabilities(const batch_job *j, size_t r, size_t b, size_t t, double *prob,
                               double *stay, double *prob1, double *leave1)
{
    const cc_structure *m = j->m;
    const double *value = j->value + r * j->value_rep_stride + t * j->value_stride;
    cc__probabilities(m, j->kind, j->dt, value, prob1, leave1);
    for (size_t f = 0; f < m->n_flows; f++) {
        prob[f * LANES + b] = prob1[f];
    }
    for (size_t s = 0; s < m->n_states; s++) {
        stay[s * LANES + b] = 1.0 - leave1[s];
    }
}

/* Where everybody leaves (leave >= 1) cc__project_kernel sets the stayers
 * to exactly 0 rather than x (1 - leave): the block keeps a list of those
 * (state, lane) places, gone, and returns how many there are. */
static size_t everybody_leaves(size_t S, size_t n, const double *stay, size_t *gone)
{
    size_t count = 0;
    for (size_t s = 0; s < S; s++) {
        for (size_t b = 0; b < n; b++) {
            /* stay = 1 - leave <= 0 exactly when leave >= 1 */
            if (stay[s * LANES + b] <= 0.0) {
                gone[count++] = s * LANES + b;
            }
        }
    }
    return count;
}

/* Replicates r0 .. r0 + n - 1 (n <= LANES) as one block; work is
 * block_workspace doubles, gone LANES * S.  Returns 1 if stopped by the
 * cancel flag. */
CC_VECTOR_CLONES
static int project_block(const batch_job *j, size_t r0, size_t n, double *work, size_t *gone)
{
    const cc_structure *m = j->m;
    const size_t S = m->n_states;
    const size_t F = m->n_flows;
    const size_t steps = j->steps;
    const int64_t *src = m->src;
    const int64_t *dst = m->dst;
    const int64_t *advance = m->advance;
    double *prob = work;                 /* (F, LANES) */
    double *stay = prob + F * LANES;     /* (S, LANES) 1 - leave */
    double *x = stay + S * LANES;        /* (S, LANES) occupancy at step t */
    double *y = x + S * LANES;           /* (S, LANES) occupancy at step t + 1 */
    double *before = y + S * LANES;      /* (S, LANES) workspace of the advance map */
    double *prob1 = before + S * LANES;  /* (F,) one lane's probabilities */
    double *leave1 = prob1 + F;          /* (S,) */
    double *moved_block = prob1 + whole_lines(F + S); /* (F, LANES) with flow outputs */
    const size_t occ_rep = (steps + 1) * S;
    const size_t K = j->state_red != NULL ? j->state_red->n_outputs : 0;
    const size_t L = j->flow_red != NULL ? j->flow_red->n_outputs : 0;
    size_t n_gone = 0;

    /* Unused lanes (n < LANES) hold zeros throughout and are never written
     * out. */
    memset(work, 0, LANES * (F + 3 * S) * sizeof(double));
    for (size_t b = 0; b < n; b++) {
        const double *x0 = j->x0 + (r0 + b) * j->x0_rep_stride;
        if (j->occupancy != NULL) {
            memcpy(j->occupancy + (r0 + b) * occ_rep, x0, S * sizeof(double));
        }
        for (size_t s = 0; s < S; s++) {
            x[s * LANES + b] = x0[s];
        }
    }
    if (K > 0) {
        reduce_rows(j->state_red, x, n, j->outputs + r0 * (steps + 1) * K, (steps + 1) * K);
    }
    for (size_t t = 0; t < steps; t++) {
        if (cancelled(j)) {
            return 1;
        }
        if (t == 0 || j->value_stride != 0) {
            if (j->value_rep_stride == 0) {
                /* Shared values: one lane's probabilities serve all. */
                lane_probabilities(j, r0, 0, t, prob, stay, prob1, leave1);
                for (size_t f = 0; f < F; f++) {
                    for (size_t b = 1; b < n; b++) {
                        prob[f * LANES + b] = prob1[f];
                    }
                }
                for (size_t s = 0; s < S; s++) {
                    for (size_t b = 1; b < n; b++) {
                        stay[s * LANES + b] = stay[s * LANES];
                    }
                }
            } else {
                for (size_t b = 0; b < n; b++) {
                    lane_probabilities(j, r0 + b, b, t, prob, stay, prob1, leave1);
                }
            }
            n_gone = everybody_leaves(S, n, stay, gone);
        }
        /* Those who stay, then those who move: x (1 - sum p) + sum moved,
         * flow by flow in flow order as in cc__project_kernel. */
        for (size_t s = 0; s < S; s++) {
            stayers(y + s * LANES, x + s * LANES, stay + s * LANES);
        }
        for (size_t i = 0; i < n_gone; i++) {
            y[gone[i]] = 0.0;
        }
        if (j->moved != NULL) {
            double people[LANES];
            double *moved_t = j->moved + t * F;
            const size_t moved_rep = steps * F;
            for (size_t f = 0; f < F; f++) {
                add_flow_kept(y + (size_t)dst[f] * LANES, x + (size_t)src[f] * LANES,
                              prob + f * LANES, people);
                for (size_t b = 0; b < n; b++) {
                    moved_t[(r0 + b) * moved_rep + f] = people[b];
                }
            }
        } else if (L > 0 && j->flow_slot_out != NULL) {
            /* moved_block holds the L outputs' sums (L + 1, LANES; row L
             * takes the unused slots), added to as each flow is applied:
             * output k's terms in rising flow order, from 0, as reduce_rows
             * takes them. */
            double *acc = moved_block;
            const size_t M = j->flow_slots;
            memset(acc, 0, (L + 1) * LANES * sizeof(double));
            for (size_t f = 0; f < F; f++) {
                double people[LANES];
                add_flow_kept(y + (size_t)dst[f] * LANES, x + (size_t)src[f] * LANES,
                              prob + f * LANES, people);
                for (size_t q = 0; q < M; q++) {
                    add_term(acc + (size_t)j->flow_slot_out[f * M + q] * LANES,
                             j->flow_slot_weight[f * M + q], people);
                }
            }
            double *out = j->flow_out + (r0 * steps + t) * L;
            for (size_t b = 0; b < n; b++) {
                for (size_t k = 0; k < L; k++) {
                    out[b * steps * L + k] = acc[k * LANES + b];
                }
            }
        } else if (L > 0) {
            for (size_t f = 0; f < F; f++) {
                add_flow_kept(y + (size_t)dst[f] * LANES, x + (size_t)src[f] * LANES,
                              prob + f * LANES, moved_block + f * LANES);
            }
            reduce_rows(j->flow_red, moved_block, n, j->flow_out + (r0 * steps + t) * L,
                        steps * L);
        } else {
            for (size_t f = 0; f < F; f++) {
                add_flow(y + (size_t)dst[f] * LANES, x + (size_t)src[f] * LANES,
                         prob + f * LANES);
            }
        }
        if (advance != NULL) {
            memcpy(before, y, S * LANES * sizeof(double));
            for (size_t s = 0; s < S; s++) {
                if (advance[s] >= 0) {
                    memset(y + s * LANES, 0, LANES * sizeof(double));
                }
            }
            for (size_t s = 0; s < S; s++) {
                if (advance[s] >= 0) {
                    add_flow_rows(y + (size_t)advance[s] * LANES, before + s * LANES);
                }
            }
        }
        if (j->inflow != NULL && j->inflow_rep_stride == 0) {
            const double *arriving = j->inflow + t * j->inflow_stride;
            for (size_t s = 0; s < S; s++) {
                add_shared(y + s * LANES, arriving[s]);
            }
        } else if (j->inflow != NULL) {
            for (size_t b = 0; b < n; b++) {
                const double *arriving =
                    j->inflow + (r0 + b) * j->inflow_rep_stride + t * j->inflow_stride;
                for (size_t s = 0; s < S; s++) {
                    y[s * LANES + b] += arriving[s];
                }
            }
        }
        if (j->arrivals != NULL) {
            for (size_t b = 0; b < n; b++) {
                double *arrived = j->arrivals + ((r0 + b) * steps + t) * S;
                if (j->inflow != NULL) {
                    memcpy(arrived,
                           j->inflow + (r0 + b) * j->inflow_rep_stride + t * j->inflow_stride,
                           S * sizeof(double));
                } else {
                    memset(arrived, 0, S * sizeof(double));
                }
            }
        }
        if (j->occupancy != NULL) {
            write_rows(y, S, n, j->occupancy + r0 * occ_rep + (t + 1) * S, occ_rep);
        } else if (K > 0) {
            reduce_rows(j->state_red, y, n, j->outputs + (r0 * (steps + 1) + t + 1) * K,
                        (steps + 1) * K);
        }
        double *swap = x;
        x = y;
        y = swap;
    }
    return 0;
}

/* The checks of replicate r's data, in the order x0, inflow, values, then
 * (stochastic) whole x0, as cc_project makes them.  An array shared by
 * every replicate (replicate stride 0) is checked with replicate 0 only:
 * the first failing replicate is the same either way. */
static int validate_replicate(const batch_job *j, size_t r, double *leave,
                              ptrdiff_t *bad_index)
{
    const cc_structure *m = j->m;
    const size_t S = m->n_states;
    const double *x0 = j->x0 + r * j->x0_rep_stride;
    int status;
    if (r == 0 || j->x0_rep_stride != 0) {
        status = cc__check_values(x0, S, 1, 0, bad_index);
        if (status != CC_OK) {
            return status;
        }
    }
    if (j->inflow != NULL && (r == 0 || j->inflow_rep_stride != 0)) {
        const size_t rows = j->inflow_stride == 0 ? 1 : j->steps;
        status = cc__check_values(j->inflow + r * j->inflow_rep_stride, rows * S, 1, 0,
                                  bad_index);
        if (status != CC_OK) {
            return status;
        }
    }
    if (r == 0 || j->value_rep_stride != 0) {
        const double *value = j->value ? j->value + r * j->value_rep_stride : NULL;
        status = cc_check_flow_values(m, j->steps, j->kind, value, j->value_stride, leave,
                                      bad_index);
        if (status != CC_OK) {
            return status;
        }
    }
    /* The same overflow guard as cc_project (see cc__people_total): by
     * conservation every count is a part of this total. */
    if (r == 0 || j->x0_rep_stride != 0 || (j->inflow != NULL && j->inflow_rep_stride != 0)) {
        const double *inflow = j->inflow ? j->inflow + r * j->inflow_rep_stride : NULL;
        /* With reduced outputs each term |weight * x| is at most bound *
         * total, and so is each output's running sum (to rounding). */
        const double total = cc__people_total(S, j->steps, x0, inflow, j->inflow_stride);
        if (!(total * j->weight_bound <= CC_PEOPLE_LIMIT)) {
            cc__set_bad(bad_index, -1);
            return CC_EOVERFLOW;
        }
    }
    if (j->stochastic && (r == 0 || j->x0_rep_stride != 0)) {
        return cc__check_whole(x0, S, bad_index);
    }
    return CC_OK;
}

static void run_worker(void *arg)
{
    batch_worker *w = arg;
    batch_job *j = w->job;
    const size_t S = j->m->n_states;
    const size_t F = j->m->n_flows;
    w->status = CC_OK;
    if (j->validate) {
        for (size_t r = w->first; r < j->replicates; r += j->threads) {
            if (cancelled(j)) {
                w->interrupted = 1;
                return;
            }
            int status = validate_replicate(j, r, w->work, &w->bad_index);
            if (status != CC_OK) {
                w->status = status;
                w->failed_rep = r;
                return;
            }
        }
        return;
    }
    if (!j->stochastic) {
        for (size_t i; (i = take_unit(j, j->blocks)) != (size_t)-1;) {
            size_t r0, n;
            block_range(j, i, &r0, &n);
            if (project_block(j, r0, n, w->work, w->gone)) {
                w->interrupted = 1;
                return;
            }
        }
        return;
    }
    const size_t K = j->state_red != NULL ? j->state_red->n_outputs : 0;
    const size_t L = j->flow_red != NULL ? j->flow_red->n_outputs : 0;
    for (size_t r; (r = take_unit(j, j->replicates)) != (size_t)-1;) {
        const double *value = j->value ? j->value + r * j->value_rep_stride : NULL;
        const double *inflow = j->inflow ? j->inflow + r * j->inflow_rep_stride : NULL;
        const double *x0 = j->x0 + r * j->x0_rep_stride;
        const int reduced = j->occupancy == NULL;
        double *occupancy = reduced ? w->scratch : j->occupancy + r * (j->steps + 1) * S;
        double *moved = reduced ? (L > 0 ? w->scratch + (j->steps + 1) * S : NULL)
                                : (j->moved ? j->moved + r * j->steps * F : NULL);
        cc_rng rng;
        cc_rng_init(&rng, j->seed, j->first_stream + (uint64_t)r);
        if (cc__simulate_kernel(j->m, &j->shared, j->steps, j->dt,
                                j->kind, value, j->value_stride, inflow, j->inflow_stride,
                                x0, &rng, w->work, occupancy, moved,
                                j->arrivals ? j->arrivals + r * j->steps * S : NULL,
                                j->cancel)) {
            w->interrupted = 1;
            return;
        }
        for (size_t t = 0; K > 0 && t <= j->steps; t++) {
            reduce_one(j->state_red, occupancy + t * S, j->outputs + (r * (j->steps + 1) + t) * K);
        }
        for (size_t t = 0; L > 0 && t < j->steps; t++) {
            reduce_one(j->flow_red, moved + t * F, j->flow_out + (r * j->steps + t) * L);
        }
    }
}

/* Runs one phase on all workers; worker 0 runs on the calling thread.
 * Returns 1 if any worker was interrupted. */
static int run_phase(batch_worker *workers, size_t threads)
{
    size_t started = 1;
    workers[0].job->next_unit = 0;
    for (; started < threads; started++) {
        if (cc_thread_start(&workers[started].thread, run_worker, &workers[started]) != 0) {
            break;
        }
    }
    run_worker(&workers[0]);
    for (size_t i = 1; i < started; i++) {
        cc_thread_join(&workers[i].thread);
    }
    /* Validation hands replicates out by worker number: the share of a
     * worker that could not be started runs here.  (The projection hands
     * out units from the shared counter, so they are all taken already.) */
    for (size_t i = started; i < threads; i++) {
        run_worker(&workers[i]);
    }
    int interrupted = 0;
    for (size_t i = 0; i < threads; i++) {
        interrupted |= workers[i].interrupted;
    }
    return interrupted;
}

/* Element count of one replicate's share of an array with a step stride,
 * used to place bad_index in the flattened (R, ...) array. */
static size_t per_replicate(size_t steps, size_t stride, size_t width)
{
    return stride == 0 ? width : steps * width;
}

/* Most terms a flow may have for the fused flow outputs. */
#define MAX_SLOTS 4

/* The slots a flow needs (its most terms, at least 1) if every output of
 * red takes its flows in rising order (ties allowed) and no flow has more
 * than MAX_SLOTS terms, else 0.  In rising order, adding each flow's
 * people to its outputs as the flows are applied sums every output in its
 * CSR order. */
static size_t fused_slots(const cc_reduction *red, size_t n_flows)
{
    size_t *count = calloc(n_flows + 1, sizeof *count);
    size_t most = 1;
    if (count == NULL) {
        return 0;
    }
    for (size_t k = 0; k < red->n_outputs && most <= MAX_SLOTS; k++) {
        for (int64_t q = red->ptr[k]; q < red->ptr[k + 1]; q++) {
            if (q > red->ptr[k] && red->index[q] < red->index[q - 1]) {
                most = MAX_SLOTS + 1;
                break;
            }
            const size_t c = ++count[red->index[q]];
            most = c > most ? c : most;
        }
    }
    free(count);
    return most <= MAX_SLOTS ? most : 0;
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
    const int reduced = job->state_red != NULL || job->flow_red != NULL;
    const size_t K = job->state_red != NULL ? job->state_red->n_outputs : 0;
    const size_t L = job->flow_red != NULL ? job->flow_red->n_outputs : 0;
    if (job->weight_bound < 1.0) {
        job->weight_bound = 1.0;
    }
    if (job->x0 == NULL || (job->occupancy == NULL && !reduced) ||
        (m->n_flows > 0 && job->value == NULL) || (K > 0 && job->outputs == NULL) ||
        (L > 0 && job->flow_out == NULL)) {
        return CC_EARG;
    }
    size_t n;
    if (cc__mul_overflows(reduced ? 1 : job->replicates, (steps + 1) * m->n_states, &n) ||
        cc__mul_overflows(reduced ? 1 : job->replicates, steps * m->n_flows + 1, &n) ||
        cc__mul_overflows(LANES, 2 * m->n_flows + 4 * m->n_states + 1, &n) ||
        cc__mul_overflows(steps + 1, K + 1, &n) ||
        cc__mul_overflows(job->replicates, n, &n) ||
        cc__mul_overflows(steps + 1, L + 1, &n) ||
        cc__mul_overflows(job->replicates, n, &n)) {
        return CC_EDIM;
    }
    if (cancelled(job)) {
        return CC_EINTERRUPTED;
    }
    if (job->replicates == 0) {
        return CC_OK;
    }
    size_t threads = job->threads == 0 ? 1 : job->threads;
    if (threads > job->replicates) {
        threads = job->replicates;
    }
    job->threads = threads;
    /* At least one block per thread, so that small batches use them all. */
    job->blocks = (job->replicates + LANES - 1) / LANES;
    if (job->blocks < threads) {
        job->blocks = threads;
    }
    size_t work_size = job->stochastic ? cc__simulate_workspace(m) : block_workspace(m);
    if (work_size < m->n_states) {
        work_size = m->n_states; /* validation's leave */
    }
    /* Reduced outputs: the block's moved (deterministic), or one
     * replicate's whole path (stochastic).  No overflow: (steps + 1) * S and
     * steps * F fit (checked above), and so does their sum with the rest in
     * the check below. */
    size_t scratch_size = 0;
    int64_t *slot_out = NULL;
    double *slot_weight = NULL;
    const size_t slots = reduced && !job->stochastic && L > 0 ? fused_slots(job->flow_red, m->n_flows)
                                                              : 0;
    if (slots > 0) {
        /* The terms by flow, in CSR order within each flow (a stable
         * counting sort by index); unused slots point at row L. */
        const cc_reduction *red = job->flow_red;
        const size_t F = m->n_flows;
        slot_out = malloc((F * slots + 1) * sizeof *slot_out);
        slot_weight = malloc((F * slots + 1) * sizeof *slot_weight);
        size_t *used = calloc(F + 1, sizeof *used);
        if (slot_out == NULL || slot_weight == NULL || used == NULL) {
            free(slot_out);
            free(slot_weight);
            free(used);
            return CC_ENOMEM;
        }
        for (size_t i = 0; i < F * slots; i++) {
            slot_out[i] = (int64_t)L;
            slot_weight[i] = 0.0;
        }
        for (size_t k = 0; k < L; k++) {
            for (int64_t q = red->ptr[k]; q < red->ptr[k + 1]; q++) {
                const size_t f = (size_t)red->index[q];
                slot_out[f * slots + used[f]] = (int64_t)k;
                slot_weight[f * slots + used[f]] = red->weight[q];
                used[f]++;
            }
        }
        free(used);
        job->flow_slots = slots;
        job->flow_slot_out = slot_out;
        job->flow_slot_weight = slot_weight;
        work_size += LANES * (L + 1 > m->n_flows ? L + 1 : m->n_flows);
    } else if (reduced && !job->stochastic && L > 0) {
        work_size += LANES * m->n_flows;
    } else if (reduced && job->stochastic) {
        scratch_size = (steps + 1) * m->n_states + (L > 0 ? steps * m->n_flows : 0);
        if (cc__mul_overflows(threads, scratch_size + 1, &n)) {
            return CC_EDIM;
        }
    }
    work_size = whole_lines(work_size); /* each worker's share starts on a line */
    if (cc__mul_overflows(threads, work_size + LINE_DOUBLES, &n) ||
        cc__mul_overflows(threads, LANES * m->n_states + m->n_flows + 1, &n)) {
        free(slot_out);
        free(slot_weight);
        return CC_EDIM;
    }
    batch_worker *workers = calloc(threads, sizeof *workers);
    /* One line more than needed, so that work can start on a line. */
    double *work_block = malloc((threads * work_size + LINE_DOUBLES) * sizeof(double));
    double *work = work_block == NULL ? NULL
                                      : (double *)(((uintptr_t)work_block + LINE_BYTES - 1) & ~(uintptr_t)(LINE_BYTES - 1));
    double *scratch = scratch_size > 0 ? malloc(threads * scratch_size * sizeof(double)) : NULL;
    /* Stochastic: the flows grouped by source; deterministic: each
     * worker's list of places where everybody leaves. */
    const size_t group_size = job->stochastic ? m->n_states + 1 + m->n_flows
                                              : threads * LANES * m->n_states;
    size_t *groups = malloc(group_size * sizeof *groups);
    /* Stochastic: probabilities of shared constant values (F + 2 S) and
     * exp(-inflow) of a shared inflow (rows * S), computed once. */
    const int shared_prob = job->stochastic && job->value_rep_stride == 0 &&
                            job->value_stride == 0;
    const size_t inflow_rows = job->inflow_stride == 0 ? 1 : steps;
    const int shared_inflow = job->stochastic && job->inflow != NULL &&
                              job->inflow_rep_stride == 0;
    /* No overflow: (steps + 1) * S was checked above. */
    const size_t shared_size = (shared_prob ? m->n_flows + 2 * m->n_states : 0) +
                               (shared_inflow ? inflow_rows * m->n_states : 0) + 1;
    double *shared = malloc(shared_size * sizeof *shared);
    if (workers == NULL || work == NULL || groups == NULL || shared == NULL ||
        (scratch_size > 0 && scratch == NULL) || cc_mutex_init(&job->lock) != 0) {
        free(slot_out);
        free(slot_weight);
        free(workers);
        free(work_block);
        free(scratch);
        free(groups);
        free(shared);
        return CC_ENOMEM;
    }
    if (job->stochastic) {
        cc__group_by_source(m, groups, groups + m->n_states + 1);
        job->shared.start = groups;
        job->shared.order = groups + m->n_states + 1;
    }
    job->validate = 1;
    for (size_t i = 0; i < threads; i++) {
        workers[i].job = job;
        workers[i].first = i;
        workers[i].work = work + i * work_size;
        workers[i].gone = job->stochastic ? NULL : groups + i * LANES * m->n_states;
        workers[i].scratch = scratch != NULL ? scratch + i * scratch_size : NULL;
        workers[i].bad_index = -1;
    }
    int interrupted = run_phase(workers, threads);
    /* Report the failing replicate with the lowest number, so that the
     * answer does not depend on the thread count. */
    size_t worst = threads;
    for (size_t i = 0; i < threads; i++) {
        if (workers[i].status != CC_OK &&
            (worst == threads || workers[i].failed_rep < workers[worst].failed_rep)) {
            worst = i;
        }
    }
    if (interrupted) {
        status = CC_EINTERRUPTED;
    } else if (worst < threads) {
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
    } else {
        /* The data are valid: what the replicates share can be computed. */
        double *next = shared;
        if (shared_prob) {
            cc__probabilities(m, job->kind, job->dt, job->value, next, next + m->n_flows);
            cc__log_stay(m->n_states, next + m->n_flows, next + m->n_flows + m->n_states);
            job->shared.prob = next;
            job->shared.leave = next + m->n_flows;
            job->shared.log_stay = next + m->n_flows + m->n_states;
            next += m->n_flows + 2 * m->n_states;
        }
        if (shared_inflow) {
            for (size_t i = 0; i < inflow_rows * m->n_states; i++) {
                next[i] = exp(-job->inflow[i]);
            }
            job->shared.no_arrival = next;
        }
        job->validate = 0;
        status = run_phase(workers, threads) ? CC_EINTERRUPTED : CC_OK;
    }
    cc_mutex_destroy(&job->lock);
    job->flow_slot_out = NULL;
    job->flow_slot_weight = NULL;
    free(slot_out);
    free(slot_weight);
    free(workers);
    free(work_block);
    free(scratch);
    free(groups);
    free(shared);
    return status;
}

/* The fields every batch entry point sets the same way; the caller adds its outputs. */
static batch_job new_job(const cc_structure *m, size_t replicates, size_t steps, double dt,
                         cc_kind kind, const double *value, size_t value_rep_stride,
                         size_t value_stride, const double *inflow, size_t inflow_rep_stride,
                         size_t inflow_stride, const double *x0, size_t x0_rep_stride,
                         const cc_batch_control *control)
{
    batch_job job;
    memset(&job, 0, sizeof job);
    job.m = m;
    job.replicates = replicates;
    job.steps = steps;
    job.dt = dt;
    job.kind = kind;
    job.value = value;
    job.value_rep_stride = value_rep_stride;
    job.value_stride = value_stride;
    job.inflow = inflow;
    job.inflow_rep_stride = inflow_rep_stride;
    job.inflow_stride = inflow_stride;
    job.x0 = x0;
    job.x0_rep_stride = x0_rep_stride;
    job.threads = control != NULL ? control->threads : 1;
    job.cancel = control != NULL ? control->cancel : NULL;
    return job;
}

int cc_project_batch_ctl(const cc_structure *m, size_t replicates, size_t steps,
                         double dt, cc_kind kind,
                         const double *value, size_t value_rep_stride,
                         size_t value_stride,
                         const double *inflow, size_t inflow_rep_stride,
                         size_t inflow_stride,
                         const double *x0, size_t x0_rep_stride,
                         const cc_batch_control *control,
                         double *occupancy, double *moved, double *arrivals,
                         ptrdiff_t *bad_index)
{
    batch_job job = new_job(m, replicates, steps, dt, kind, value, value_rep_stride, value_stride,
                            inflow, inflow_rep_stride, inflow_stride, x0, x0_rep_stride, control);
    job.occupancy = occupancy;
    job.moved = moved;
    job.arrivals = arrivals;
    return run_batch(&job, bad_index);
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
    const cc_batch_control control = {threads, NULL};
    return cc_project_batch_ctl(m, replicates, steps, dt, kind, value, value_rep_stride,
                                value_stride, inflow, inflow_rep_stride, inflow_stride, x0,
                                x0_rep_stride, &control, occupancy, moved, arrivals,
                                bad_index);
}

int cc_simulate_range_ctl(const cc_structure *m, size_t replicates, size_t steps,
                          double dt, cc_kind kind,
                          const double *value, size_t value_rep_stride,
                          size_t value_stride,
                          const double *inflow, size_t inflow_rep_stride,
                          size_t inflow_stride,
                          const double *x0, size_t x0_rep_stride,
                          uint64_t seed, uint64_t first_replicate,
                          const cc_batch_control *control,
                          double *occupancy, double *moved, double *arrivals,
                          ptrdiff_t *bad_index)
{
    batch_job job = new_job(m, replicates, steps, dt, kind, value, value_rep_stride, value_stride,
                            inflow, inflow_rep_stride, inflow_stride, x0, x0_rep_stride, control);
    job.occupancy = occupancy;
    job.moved = moved;
    job.arrivals = arrivals;
    job.stochastic = 1;
    job.seed = seed;
    job.first_stream = first_replicate;
    return run_batch(&job, bad_index);
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
    const cc_batch_control control = {threads, NULL};
    return cc_simulate_range_ctl(m, replicates, steps, dt, kind, value, value_rep_stride,
                                 value_stride, inflow, inflow_rep_stride, inflow_stride, x0,
                                 x0_rep_stride, seed, first_replicate, &control, occupancy,
                                 moved, arrivals, bad_index);
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

/* Checks both reductions (state_outputs first) and records their bound. */
static int check_reductions(batch_job *job, ptrdiff_t *bad_index)
{
    double bound = 1.0, flow_bound = 1.0;
    if (job->m == NULL) {
        return CC_EARG;
    }
    if (job->state_red != NULL) {
        int status = cc_check_reduction(job->state_red, job->m->n_states, &bound, bad_index);
        if (status != CC_OK) {
            return status;
        }
    }
    if (job->flow_red != NULL) {
        int status = cc_check_reduction(job->flow_red, job->m->n_flows, &flow_bound, bad_index);
        if (status != CC_OK) {
            return status;
        }
    }
    job->weight_bound = bound > flow_bound ? bound : flow_bound;
    return CC_OK;
}

int cc_check_reduction(const cc_reduction *red, size_t n_elements, double *bound,
                       ptrdiff_t *bad_index)
{
    cc__set_bad(bad_index, -1);
    size_t n;
    if (red == NULL || red->ptr == NULL) {
        return CC_EARG;
    }
    if (red->n_outputs == (size_t)-1 || cc__mul_overflows(red->n_outputs + 1, 1, &n)) {
        return CC_EDIM;
    }
    const size_t K = red->n_outputs;
    if (red->ptr[0] != 0) {
        cc__set_bad(bad_index, 0);
        return CC_EDIM;
    }
    for (size_t k = 0; k < K; k++) {
        if (red->ptr[k + 1] < red->ptr[k]) {
            cc__set_bad(bad_index, (ptrdiff_t)(k + 1));
            return CC_EDIM;
        }
    }
    const int64_t terms = red->ptr[K];
    if (terms > 0 && (red->index == NULL || red->weight == NULL)) {
        return CC_EARG;
    }
    for (int64_t p = 0; p < terms; p++) {
        if (red->index[p] < 0 || (uint64_t)red->index[p] >= (uint64_t)n_elements) {
            cc__set_bad(bad_index, (ptrdiff_t)p);
            return CC_EINDEX;
        }
    }
    double largest = 1.0;
    for (size_t k = 0; k < K; k++) {
        double sum = 0.0;
        for (int64_t p = red->ptr[k]; p < red->ptr[k + 1]; p++) {
            if (!isfinite(red->weight[p])) {
                cc__set_bad(bad_index, (ptrdiff_t)p);
                return CC_ENONFINITE;
            }
            sum += fabs(red->weight[p]);
        }
        /* Rounded up a little so that the guard stays on the safe side of
         * the rounding in the sum above. */
        sum *= 1.0 + 0x1p-40;
        if (sum > largest) {
            largest = sum;
        }
    }
    if (bound != NULL) {
        *bound = largest;
    }
    return CC_OK;
}

/* The reduced-output entry points: at least one reduction, checked, then the batch. */
static int run_reduced(batch_job *job, const cc_reduction *state_outputs,
                       const cc_reduction *flow_outputs, double *outputs, double *flow_out,
                       ptrdiff_t *bad_index)
{
    job->state_red = state_outputs;
    job->flow_red = flow_outputs;
    job->outputs = outputs;
    job->flow_out = flow_out;
    cc__set_bad(bad_index, -1);
    if (state_outputs == NULL && flow_outputs == NULL) {
        return CC_EARG;
    }
    int status = check_reductions(job, bad_index);
    if (status != CC_OK) {
        return status;
    }
    return run_batch(job, bad_index);
}

int cc_project_batch_outputs(const cc_structure *m, size_t replicates, size_t steps,
                             double dt, cc_kind kind,
                             const double *value, size_t value_rep_stride,
                             size_t value_stride,
                             const double *inflow, size_t inflow_rep_stride,
                             size_t inflow_stride,
                             const double *x0, size_t x0_rep_stride,
                             const cc_reduction *state_outputs,
                             const cc_reduction *flow_outputs,
                             const cc_batch_control *control,
                             double *outputs, double *flow_out,
                             ptrdiff_t *bad_index)
{
    batch_job job = new_job(m, replicates, steps, dt, kind, value, value_rep_stride, value_stride,
                            inflow, inflow_rep_stride, inflow_stride, x0, x0_rep_stride, control);
    return run_reduced(&job, state_outputs, flow_outputs, outputs, flow_out, bad_index);
}

int cc_simulate_range_outputs(const cc_structure *m, size_t replicates, size_t steps,
                              double dt, cc_kind kind,
                              const double *value, size_t value_rep_stride,
                              size_t value_stride,
                              const double *inflow, size_t inflow_rep_stride,
                              size_t inflow_stride,
                              const double *x0, size_t x0_rep_stride,
                              uint64_t seed, uint64_t first_replicate,
                              const cc_reduction *state_outputs,
                              const cc_reduction *flow_outputs,
                              const cc_batch_control *control,
                              double *outputs, double *flow_out,
                              ptrdiff_t *bad_index)
{
    batch_job job = new_job(m, replicates, steps, dt, kind, value, value_rep_stride, value_stride,
                            inflow, inflow_rep_stride, inflow_stride, x0, x0_rep_stride, control);
    job.stochastic = 1;
    job.seed = seed;
    job.first_stream = first_replicate;
    return run_reduced(&job, state_outputs, flow_outputs, outputs, flow_out, bad_index);
}
