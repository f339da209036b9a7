/*
 * carecast.h - the whole public API of the carecast C library.
 *
 * A cohort (compartment) engine: S states, F flows from src[f] to dst[f],
 * projected over `steps` steps of `dt` years, with values (money, life-years,
 * anything per person) accrued, priced, discounted and appraised.
 *
 * Conventions used by every function here:
 *   - Inputs are const and come first; outputs come last.  The caller
 *     allocates every array; no function here allocates, except the batch
 *     functions (cc_project_batch, cc_simulate_batch and their kin), which
 *     allocate their workspace before any kernel runs and free it before
 *     returning.
 *   - Arrays are C-contiguous, row-major.  A time-varying parameter is given
 *     with a "step stride": 0 means the same row is used for every step,
 *     otherwise row t starts at base + t * stride.  Batched parameters add a
 *     "replicate stride" in the same way.
 *   - Every function returns a cc_status.  Where an element is at fault its
 *     flat index is written to *bad_index (when bad_index is not NULL);
 *     otherwise *bad_index is set to -1.
 *   - Nothing here prints, aborts, exits or keeps global mutable state; every
 *     function is thread-safe for distinct output arrays.
 */
#ifndef CARECAST_H
#define CARECAST_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32) && defined(CC_BUILD_SHARED)
#define CC_API __declspec(dllexport)
#elif defined(__GNUC__) && defined(CC_BUILD_SHARED)
#define CC_API __attribute__((visibility("default")))
#else
#define CC_API
#endif

#define CC_VERSION_MAJOR 0
#define CC_VERSION_MINOR 1
#define CC_VERSION_PATCH 0
#define CC_VERSION_STRING "0.1.0"

/* Run-time version: CC_VERSION_MAJOR * 10000 + MINOR * 100 + PATCH. */
CC_API int cc_version(void);

/* ------------------------------------------------------------------------
 * Status codes
 * ------------------------------------------------------------------------ */
typedef enum cc_status {
    CC_OK = 0,              /* success */
    CC_ENOMEM = 1,          /* memory could not be allocated */
    CC_EARG = 2,            /* an argument is invalid (NULL pointer, unknown option) */
    CC_EDIM = 3,            /* a size is invalid: zero states, or sizes that overflow */
    CC_ENONFINITE = 4,      /* an input is NaN or infinite */
    CC_ENEGATIVE = 5,       /* a rate, probability, occupancy or inflow is negative */
    CC_EPROB = 6,           /* a probability is above one */
    CC_EPROBSUM = 7,        /* probabilities leaving one state sum above one */
    CC_EINDEX = 8,          /* a state index is out of range */
    CC_EDT = 9,             /* the step length dt is not a positive finite number */
    CC_ENOTBRACKETED = 10,  /* the root finder's end points do not bracket a root */
    CC_ENOCONVERGE = 11,    /* an iteration did not converge within its limit */
    CC_ESCHEDULE = 12,      /* a discount schedule is malformed (starts not
                               increasing from 0, or a rate <= -1) */
    CC_ECALLBACK = 13,      /* a user callback reported failure */
    CC_ETHREAD = 14,        /* a worker thread could not be started (reserved:
                               cc_project_batch falls back to the calling thread) */
    CC_EOVERFLOW = 15,      /* finite inputs whose result would overflow a double
                               (or, for projections, come close enough that the
                               sums could): see each function */
    CC_EINTERRUPTED = 16    /* the caller's cancel flag was raised: the call
                               stopped early and its outputs are incomplete */
} cc_status;

/* A static, human-readable description of a status code; never NULL.
 * Unknown codes give "unknown carecast status". */
CC_API const char *cc_strerror(int status);

/* ------------------------------------------------------------------------
 * Model structure
 * ------------------------------------------------------------------------ */
typedef struct cc_structure {
    size_t n_states;        /* S >= 1 */
    size_t n_flows;         /* F >= 0 */
    const int64_t *src;     /* (F,) source state of each flow, 0..S-1 */
    const int64_t *dst;     /* (F,) destination state of each flow, 0..S-1 */
    const int64_t *advance; /* (S,) or NULL: after the flows everyone in s
                               moves to advance[s]; -1 means stays */
} cc_structure;

typedef enum cc_kind {
    CC_KIND_RATE = 0,       /* value[f] is a hazard rate per year */
    CC_KIND_PROB = 1        /* value[f] is a probability per step */
} cc_kind;

/* cc_check_structure
 * Given:    m   the structure.
 * Returned: bad_index  offending flow (src/dst) or state (advance), or -1.
 * Status:   CC_OK, CC_EARG (m or a needed array NULL), CC_EDIM (S == 0 or
 *           sizes whose products overflow size_t), CC_EINDEX (src, dst or
 *           advance out of range; advance may also be -1).
 */
CC_API int cc_check_structure(const cc_structure *m, ptrdiff_t *bad_index);

/* cc_flow_probabilities
 * Per-step probability of each flow.
 * Given:    m, kind, dt (> 0, finite), value (F,) rates or probabilities.
 * Returned: prob (F,) per-step probabilities;
 *           leave (S,) workspace, on return the total probability of leaving
 *           each state; bad_index.
 * Status:   CC_OK, CC_EDT, CC_ENONFINITE, CC_ENEGATIVE, CC_EPROB (a
 *           probability above 1), CC_EPROBSUM (prob kind: a state's outgoing
 *           probabilities sum above 1 + 1e-12; bad_index is the state).
 *           Aliasing: prob may be value.
 * Notes:    Rates: with L[s] the sum of rates leaving s,
 *           p[f] = value[f] / L[s] * -expm1(-L[s] dt), and p[f] = 0 when
 *           L[s] == 0.  A rate of +inf is refused (CC_ENONFINITE).  Very
 *           large rates give a leaving probability that rounds to exactly 1.
 *           Probabilities whose sum exceeds 1 by no more than 1e-12 are
 *           accepted and scaled down to sum to 1 (to rounding).
 */
CC_API int cc_flow_probabilities(const cc_structure *m, cc_kind kind, double dt,
                                 const double *value,
                                 double *prob, double *leave,
                                 ptrdiff_t *bad_index);

/* cc_check_flow_values
 * Validates flow values for `steps` steps without computing anything else.
 * Given:    m (checked), steps, kind, value with value_stride (0 or F),
 *           leave (S,) workspace.
 * Returned: bad_index  t * F + f of the offending value, or t * S + s for
 *           CC_EPROBSUM (state s in the first row t that fails).
 * Status:   CC_OK, CC_EARG, CC_ENONFINITE, CC_ENEGATIVE, CC_EPROB,
 *           CC_EPROBSUM.
 * Notes:    cc_project runs the same checks; callers that need to know
 *           which argument is at fault (a binding) may run this first.
 */
CC_API int cc_check_flow_values(const cc_structure *m, size_t steps, cc_kind kind,
                                const double *value, size_t value_stride,
                                double *leave, ptrdiff_t *bad_index);

/* cc_check_nonnegative
 * Given:    n values x.
 * Returned: bad_index  the first offending element.
 * Status:   CC_OK, CC_EARG (x NULL with n > 0), CC_ENONFINITE, CC_ENEGATIVE.
 */
CC_API int cc_check_nonnegative(size_t n, const double *x, ptrdiff_t *bad_index);

/* ------------------------------------------------------------------------
 * Deterministic projection
 * ------------------------------------------------------------------------ */

/* The largest total of people (x0 plus all inflow) a projection accepts:
 * 2^1019, about 5.6e306, a factor 32 below DBL_MAX so that rounding in the
 * sums of a step can never reach infinity. */
#define CC_PEOPLE_LIMIT 0x1p1019

/* Number of doubles of workspace cc_project needs for structure m. */
CC_API size_t cc_project_workspace(const cc_structure *m);

/* cc_project
 * Given:    m       the structure (checked here).
 *           steps   number of steps (may be 0).
 *           dt      step length in years, > 0 and finite.
 *           kind    CC_KIND_RATE or CC_KIND_PROB.
 *           value   flow values; row t at value + t * value_stride,
 *                   value_stride 0 (constant) or F (time-varying).
 *           inflow  expected arrivals per state, or NULL for none; row t at
 *                   inflow + t * inflow_stride, stride 0 or S.
 *           x0      (S,) occupancy at the start of step 0.
 *           work    cc_project_workspace(m) doubles.
 * Returned: occupancy  ((steps+1) * S); row 0 is a copy of x0.
 *           moved      (steps * F) people moved by each flow in each step;
 *                      may be NULL.
 *           arrivals   (steps * S) the inflow applied in each step; may be
 *                      NULL.
 *           bad_index  offending element: for value, t * F + f; for inflow,
 *                      t * S + s; for x0, s.
 * Status:   those of cc_check_structure and cc_flow_probabilities, and
 *           CC_ENONFINITE / CC_ENEGATIVE for x0 or inflow; CC_EOVERFLOW
 *           (bad_index -1: no one element is at fault) when the people in
 *           the model, sum(x0) plus every step's sum(inflow), exceed
 *           CC_PEOPLE_LIMIT.  By conservation every occupancy and every moved
 *           count is a part of that total, so below the limit nothing can
 *           overflow.
 * Notes:    One step: (1) moved[t,f] = x[t][src f] * p[f], taken from src and
 *           added to dst; (2) if advance is given, everyone in s moves to
 *           advance[s] unless it is -1; (3) the inflow is added.
 *           Every input is validated before anything is written to the
 *           outputs beyond row 0 of occupancy.  Outputs must not overlap
 *           inputs.
 */
CC_API int cc_project(const cc_structure *m, size_t steps, double dt, cc_kind kind,
                      const double *value, size_t value_stride,
                      const double *inflow, size_t inflow_stride,
                      const double *x0,
                      double *work,
                      double *occupancy, double *moved, double *arrivals,
                      ptrdiff_t *bad_index);

/* cc_project_batch
 * R independent projections (a probabilistic sensitivity analysis) on up to
 * `threads` threads (0 means 1; never more than R).  Replicate r reads
 * value + r * value_rep_stride (+ t * value_stride), inflow and x0 likewise
 * (a replicate stride of 0 shares one array between replicates), and
 * writes occupancy + r * (steps+1) * S, moved + r * steps * F,
 * arrivals + r * steps * S.
 * Status:   as cc_project for the first failing replicate in order, with
 *           bad_index = r * (elements per replicate of the offending array)
 *           + index within the replicate (for CC_EPROBSUM the elements are
 *           rows * S; for CC_EOVERFLOW bad_index is not meaningful: the
 *           caller finds the replicate whose total is too large); CC_ENOMEM.  A thread that cannot be started is not
 *           an error: its replicates run on the calling thread.
 *           Results are bit-identical whatever the number of threads.
 * Notes:    all replicates are validated before any is projected, so an
 *           error leaves no partly projected output beyond row 0.
 *           cc_project_batch_ctl (below) with {threads, NULL}: the same
 *           kernel, blocks of replicates with the bits of cc_project.
 */
CC_API int cc_project_batch(const cc_structure *m, size_t replicates, size_t steps,
                            double dt, cc_kind kind,
                            const double *value, size_t value_rep_stride,
                            size_t value_stride,
                            const double *inflow, size_t inflow_rep_stride,
                            size_t inflow_stride,
                            const double *x0, size_t x0_rep_stride,
                            size_t threads,
                            double *occupancy, double *moved, double *arrivals,
                            ptrdiff_t *bad_index);

/* How a batch call runs: its threads and a way to stop it early.
 *   threads  worker threads (0 means 1; never more than there is work for).
 *   cancel   NULL, or a flag the caller may raise (set non-zero) from
 *            another thread or a signal handler while the call runs.  The
 *            batch functions read it before every step of every block of
 *            replicates and return CC_EINTERRUPTED soon after it is raised
 *            (within one step's work on each thread); everything they
 *            allocated is freed.  A flag raised before the call makes it
 *            return CC_EINTERRUPTED before any kernel runs.  The library only
 *            reads the flag. */
typedef struct cc_batch_control {
    size_t threads;
    const volatile int *cancel;
} cc_batch_control;

/* cc_project_batch_ctl
 * cc_project_batch with its threads and a cancel flag in *control (NULL:
 * one thread, no flag).
 * Status:   as cc_project_batch, and CC_EINTERRUPTED when the flag was
 *           raised: then occupancy, moved and arrivals are incomplete
 *           (which replicates and steps were written is unspecified).
 * Notes:    The replicates are projected in blocks, up to 16 at a time with
 *           the replicate axis innermost, and each block's rows are written
 *           into the caller's (R, steps+1, S) layout as they are computed.
 *           Each replicate is computed by the same operations in the same
 *           order as cc_project, so its results are bit-identical to
 *           cc_project's whatever the block, thread count or range.
 */
CC_API int cc_project_batch_ctl(const cc_structure *m, size_t replicates, size_t steps,
                                double dt, cc_kind kind,
                                const double *value, size_t value_rep_stride,
                                size_t value_stride,
                                const double *inflow, size_t inflow_rep_stride,
                                size_t inflow_stride,
                                const double *x0, size_t x0_rep_stride,
                                const cc_batch_control *control,
                                double *occupancy, double *moved, double *arrivals,
                                ptrdiff_t *bad_index);

/* ------------------------------------------------------------------------
 * Random numbers and stochastic simulation
 * ------------------------------------------------------------------------ */

/* A counter-based generator: Philox4x64-10 (Salmon, Moraes, Dror and Shaw,
 * "Parallel random numbers: as easy as 1, 2, 3", SC11, 2011).  Stream
 * (seed, stream) is the sequence of blocks Philox(key = {seed, 0},
 * counter = {n, 0, stream, 0}) for n = 1, 2, 3, ..., four 64-bit words a
 * block, so stream r of a seed never depends on any other stream.  The state is a
 * plain struct the caller owns: no globals. */
typedef struct cc_rng {
    uint64_t key[2];
    uint64_t counter[4];
    uint64_t block[4];
    unsigned used;          /* words of block already handed out */
} cc_rng;

/* One Philox4x64-10 block: out = Philox(counter, key).  out may alias
 * counter. */
CC_API void cc_philox4x64(const uint64_t counter[4], const uint64_t key[2], uint64_t out[4]);

/* Start stream `stream` of `seed`. */
CC_API void cc_rng_init(cc_rng *rng, uint64_t seed, uint64_t stream);

/* The next 64 random bits. */
CC_API uint64_t cc_rng_next(cc_rng *rng);

/* A uniform double in [0, 1) with 53 random bits. */
CC_API double cc_rng_uniform(cc_rng *rng);

/* Exact draws (each a whole number returned as a double):
 * Binomial(n, p) for a whole n >= 0 and p in [0, 1]; Poisson(mean) for a
 * finite mean >= 0.  Invalid arguments give 0 (callers validate first).
 * Means below 10 by inversion (binomial: Kachitvichyanukul and Schmeiser's
 * BINV, with p replaced by 1 - p above 1/2); larger ones in O(1) expected
 * time by transformed rejection with squeeze, Hormann (1993): BTRS for the
 * binomial (J. Stat. Comput. Simul. 46, 101-110) and PTRS for the Poisson
 * (Insurance: Math. Econ. 12, 39-45), accepting against the exact
 * probabilities (log-factorials by Stirling's series with a tabulated
 * remainder below 16, error < 1e-14).  The draws use exp, log, log1p and
 * sqrt only: same seed, same draws wherever the C library rounds those
 * alike (a libm that differs in a last bit, such as MinGW's x87 one against
 * glibc, can change a draw now and then, never its distribution). */
CC_API double cc_rng_binomial(cc_rng *rng, double n, double p);
CC_API double cc_rng_poisson(cc_rng *rng, double mean);

/* cc_simulate_batch
 * R stochastic replicates of the model of cc_project_batch, with whole
 * people: in each step the leavers of state s are Binomial(x[s], sum of its
 * flow probabilities), split over its flows by a multinomial draw (as
 * sequential binomials in flow order); then the advance map; then arrivals
 * Poisson(inflow).  Replicate r draws from stream r of `seed` only, so its
 * path is the same whatever the number of threads and whatever other
 * replicates run.
 * Given, Returned: as cc_project_batch, plus seed.
 * Status:   as cc_project_batch, and CC_EARG when x0 holds a number that is
 *           not whole (bad_index as for x0).
 * Notes:    occupancy, moved and arrivals hold whole numbers.  moved and
 *           arrivals may be NULL; the same draws are made, so occupancy is
 *           the same either way.  Within a step the states are visited in
 *           order; a state with nobody in it draws nothing, and its
 *           leavers are split over its flows (in flow order) until all are
 *           placed, so the work grows with the people who move rather than
 *           with the number of flows.
 */
CC_API int cc_simulate_batch(const cc_structure *m, size_t replicates, size_t steps,
                             double dt, cc_kind kind,
                             const double *value, size_t value_rep_stride,
                             size_t value_stride,
                             const double *inflow, size_t inflow_rep_stride,
                             size_t inflow_stride,
                             const double *x0, size_t x0_rep_stride,
                             uint64_t seed, size_t threads,
                             double *occupancy, double *moved, double *arrivals,
                             ptrdiff_t *bad_index);

/* cc_simulate_range
 * As cc_simulate_batch, but replicate r of this call draws from stream
 * first_replicate + r: the replicates first_replicate ..
 * first_replicate + replicates - 1 of a larger run, so that a run split
 * into ranges (across processes or machines) gives the same bits as one
 * call.  cc_simulate_batch is cc_simulate_range with first_replicate 0.
 */
CC_API int cc_simulate_range(const cc_structure *m, size_t replicates, size_t steps,
                             double dt, cc_kind kind,
                             const double *value, size_t value_rep_stride,
                             size_t value_stride,
                             const double *inflow, size_t inflow_rep_stride,
                             size_t inflow_stride,
                             const double *x0, size_t x0_rep_stride,
                             uint64_t seed, uint64_t first_replicate, size_t threads,
                             double *occupancy, double *moved, double *arrivals,
                             ptrdiff_t *bad_index);

/* cc_simulate_range_ctl
 * cc_simulate_range with its threads and a cancel flag in *control (NULL:
 * one thread, no flag).
 * Status:   as cc_simulate_range, and CC_EINTERRUPTED when the flag was
 *           raised (outputs incomplete, as for cc_project_batch_ctl).
 */
CC_API int cc_simulate_range_ctl(const cc_structure *m, size_t replicates, size_t steps,
                                 double dt, cc_kind kind,
                                 const double *value, size_t value_rep_stride,
                                 size_t value_stride,
                                 const double *inflow, size_t inflow_rep_stride,
                                 size_t inflow_stride,
                                 const double *x0, size_t x0_rep_stride,
                                 uint64_t seed, uint64_t first_replicate,
                                 const cc_batch_control *control,
                                 double *occupancy, double *moved, double *arrivals,
                                 ptrdiff_t *bad_index);

/* ------------------------------------------------------------------------
 * Batch outputs reduced as the replicates run
 * ------------------------------------------------------------------------ */

/* K outputs, each a weighted sum over the elements (states, or flows) of
 * one step, as a compressed sparse row matrix: output k is
 *     sum over p = ptr[k] .. ptr[k+1] - 1 of weight[p] * x[index[p]].
 *   n_outputs  K >= 0.
 *   ptr        (K + 1,) ptr[0] == 0, non-decreasing.
 *   index      (ptr[K],) element indices 0 .. n - 1; an index may repeat
 *              (its terms are added in turn); may be NULL when ptr[K] == 0.
 *   weight     (ptr[K],) finite, of any sign; may be NULL when ptr[K] == 0.
 * Summation order (every reduced output, deterministic or stochastic):
 *     acc = 0.0; for p = ptr[k] .. ptr[k+1] - 1: acc = acc + weight[p] * x[index[p]]
 * with each product rounded before the add (no fused multiply-add), so an
 * output equals bit for bit that loop run over the full occupancy (or
 * moved) of cc_project_batch / cc_simulate_range.  An output with no terms
 * is 0. */
typedef struct cc_reduction {
    size_t n_outputs;
    const int64_t *ptr;
    const int64_t *index;
    const double *weight;
} cc_reduction;

/* cc_check_reduction
 * Given:    red  the outputs; n_elements  the number of states (or flows)
 *                its indices refer to.
 * Returned: bad_index  for CC_EDIM the entry k of ptr at fault; for
 *                      CC_EINDEX and CC_ENONFINITE the position p in index
 *                      or weight; else -1.
 *           bound (may be NULL)  the largest over outputs of the sum of
 *                      |weight|, rounded up to at least 1 (used by the
 *                      batch functions' overflow guard); +inf if it
 *                      overflows.
 * Status:   CC_OK; CC_EARG (red or ptr NULL, or index / weight NULL with
 *           ptr[K] > 0); CC_EDIM (ptr[0] != 0, ptr decreasing, or K + 1
 *           overflows); CC_EINDEX (an index outside 0 .. n_elements - 1);
 *           CC_ENONFINITE (a weight NaN or infinite).
 */
CC_API int cc_check_reduction(const cc_reduction *red, size_t n_elements, double *bound,
                              ptrdiff_t *bad_index);

/* cc_project_batch_outputs
 * cc_project_batch_ctl with reduced outputs instead of the full occupancy:
 * the full occupancy, moved and arrivals are never stored (workspace per
 * thread is that of cc_project_batch_ctl plus 16 * F doubles when
 * flow_outputs is given).
 * Given:    as cc_project_batch_ctl, and
 *           state_outputs  K outputs over the S states, or NULL;
 *           flow_outputs   L outputs over the F flows (people moved by each
 *                          flow in a step), or NULL.
 * Returned: outputs       (R * (steps+1) * K): outputs[(r (steps+1) + t) K + k]
 *                         = output k of x[r][t], t = 0 .. steps (row 0 from
 *                         x0); NULL allowed only when state_outputs is NULL
 *                         or K == 0.
 *           flow_out      (R * steps * L): flow_out[(r steps + t) L + l] =
 *                         output l of moved[r][t]; NULL allowed only when
 *                         flow_outputs is NULL or L == 0.
 *           bad_index     as cc_project_batch, or as cc_check_reduction for
 *                         the reduction at fault.
 * Status:   CC_EARG when state_outputs and flow_outputs are both NULL;
 *           those of cc_check_reduction (state_outputs is checked first,
 *           then flow_outputs, both before the data; a binding that needs
 *           to know which one failed calls cc_check_reduction itself);
 *           then as cc_project_batch_ctl.  CC_EOVERFLOW also when the people
 *           total times the bound of either reduction (see
 *           cc_check_reduction) exceeds CC_PEOPLE_LIMIT: below it no output
 *           can overflow.
 * Notes:    Bits: each output is computed in the order documented at
 *           cc_reduction from the same occupancy (moved) values as
 *           cc_project_batch_ctl, so it is identical whatever the thread
 *           count or block.  Outputs must not overlap inputs.
 */
CC_API int cc_project_batch_outputs(const cc_structure *m, size_t replicates, size_t steps,
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
                                    ptrdiff_t *bad_index);

/* cc_simulate_range_outputs
 * cc_simulate_range_ctl with reduced outputs (as cc_project_batch_outputs).
 * Each replicate draws exactly the draws of cc_simulate_range_ctl (stream
 * first_replicate + r of seed) into a per-thread workspace of
 * (steps+1) * S doubles (plus steps * F with flow_outputs), which is then
 * reduced; so outputs equal the reduction of cc_simulate_range_ctl's full
 * output bit for bit, whatever the threads or ranges.
 * Status:   as cc_project_batch_outputs, and CC_EARG for x0 not whole (as
 *           cc_simulate_range).
 */
CC_API int cc_simulate_range_outputs(const cc_structure *m, size_t replicates, size_t steps,
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
                                     ptrdiff_t *bad_index);

/* ------------------------------------------------------------------------
 * Values accrued per step
 * ------------------------------------------------------------------------ */
typedef enum cc_occupancy_rule {
    CC_OCC_START = 0,       /* x[t] */
    CC_OCC_END = 1,         /* x[t+1] */
    CC_OCC_TRAPEZOID = 2,   /* (x[t] + x[t+1]) / 2 */
    CC_OCC_WEIGHTS = 3      /* w[t,0] x[t] + w[t,1] x[t+1], weights given */
} cc_occupancy_rule;

/* cc_accrue
 * Given:    S, F, steps, dt (> 0).
 *           occupancy ((steps+1) * S), moved (steps * F, or NULL when
 *           per_flow is NULL), arrivals (steps * S, or NULL when per_arrival
 *           is NULL) as produced by cc_project.
 *           per_year   value per person-year in each state; row t at
 *                      per_year + t * per_year_stride (0 or S); may be NULL
 *                      (no occupancy value).
 *           per_flow   value per person moved by each flow, stride 0 or F;
 *                      may be NULL.
 *           per_arrival value per arrival in each state, stride 0 or S;
 *                      may be NULL.
 *           rule, weights (steps * 2, only for CC_OCC_WEIGHTS; else NULL).
 *           price_index (steps,) multiplier per step, or NULL for 1.
 * Returned: by_state   (steps * S) occupancy value: price * per_year * dt *
 *                      occupancy-under-rule; may be NULL.
 *           by_flow    (steps * F) price * per_flow * moved; may be NULL.
 *           by_arrival (steps * S) price * per_arrival * arrivals; may be NULL.
 *           total      (steps,) the sum of all three for each step.
 * Status:   CC_OK, CC_EARG, CC_EDT, CC_ENONFINITE (any non-finite input;
 *           the inputs are checked in the order occupancy, per_year, moved,
 *           per_flow, arrivals, per_arrival, weights, price_index, and
 *           bad_index is the flat index into the first that fails);
 *           CC_EOVERFLOW when a value of step t or its total is beyond
 *           +-DBL_MAX although every input is finite (bad_index = t; the
 *           outputs of steps before t are written, the rest are not, and the
 *           caller should discard them all).
 * Notes:    Arrivals of step t are in x[t+1], so under the trapezoid rule
 *           they carry half a step of occupancy value in the step they
 *           arrive.  Values may be negative (savings, benefits).
 */
CC_API int cc_accrue(size_t S, size_t F, size_t steps, double dt,
                     const double *occupancy, const double *moved,
                     const double *arrivals,
                     const double *per_year, size_t per_year_stride,
                     const double *per_flow, size_t per_flow_stride,
                     const double *per_arrival, size_t per_arrival_stride,
                     cc_occupancy_rule rule, const double *weights,
                     const double *price_index,
                     double *by_state, double *by_flow, double *by_arrival,
                     double *total, ptrdiff_t *bad_index);

/* ------------------------------------------------------------------------
 * Prices and discounting
 * ------------------------------------------------------------------------ */

/* A piecewise-constant annual rate schedule: rates[i] applies from
 * starts[i] years (inclusive) to starts[i+1] (or for ever for the last).
 * starts[0] must be 0, starts strictly increasing and finite, rates finite
 * and > -1.  n >= 1. */
typedef struct cc_schedule {
    size_t n;
    const double *starts;
    const double *rates;
} cc_schedule;

/* Timing of a step's value within the step: tau = (t + c) * dt. */
#define CC_TIMING_START 0.0
#define CC_TIMING_MID 0.5
#define CC_TIMING_END 1.0

/* cc_check_schedule
 * Status: CC_OK, CC_EARG, CC_ESCHEDULE (bad_index = offending piece). */
CC_API int cc_check_schedule(const cc_schedule *sched, ptrdiff_t *bad_index);

/* cc_discount_factors
 * Given:    n times in years (>= 0, finite), a schedule.
 * Returned: factor (n,) = exp(-integral_0^t ln(1 + r(u)) du).
 * Status:   CC_OK, CC_EARG, CC_ESCHEDULE, CC_ENONFINITE, CC_ENEGATIVE (a
 *           negative time), CC_EOVERFLOW (the factor at times[bad_index] is
 *           beyond DBL_MAX or not a number, e.g. a rate near -1 over
 *           centuries; factors before it are written).
 * Notes:    A zero rate contributes exactly nothing (factor exactly 1 with an
 *           all-zero schedule).  Within one piece the factor is
 *           (1 + r)^-(t - start), so a flat 3.5% schedule gives exactly
 *           pow(1.035, -t) up to rounding.  factor and times may be the same
 *           array.
 */
CC_API int cc_discount_factors(size_t n, const double *times,
                               const cc_schedule *sched,
                               double *factor, ptrdiff_t *bad_index);

/* cc_step_discount_factors
 * Given:    steps, dt (> 0), timing c in [0, 1], schedule.
 * Returned: factor (steps,) discount factor at tau = (t + c) * dt.
 * Status:   CC_OK, CC_EARG (c outside [0, 1]), CC_EDT, CC_ESCHEDULE,
 *           CC_EOVERFLOW (as cc_discount_factors, bad_index the step). */
CC_API int cc_step_discount_factors(size_t steps, double dt, double timing,
                                    const cc_schedule *sched, double *factor,
                                    ptrdiff_t *bad_index);

/* cc_price_index
 * Given:    steps, dt (> 0), timing c in [0, 1], offset_years (the time of
 *           step 0's start, in years after the price base year; may be
 *           negative), annual_rate (> -1, finite).
 * Returned: index (steps,) = (1 + annual_rate)^(offset_years + (t + c) dt);
 *           bad_index  the step whose index overflows, or -1.
 * Status:   CC_OK, CC_EARG, CC_EDT, CC_ENONFINITE, CC_ESCHEDULE (rate <= -1),
 *           CC_EOVERFLOW (the index of step bad_index is beyond DBL_MAX, e.g.
 *           2,000 years at 50%; checked before anything is written).
 * Notes:    An index that underflows to 0 (a falling price over a very long
 *           horizon) is the correctly rounded result and is not an error.
 */
CC_API int cc_price_index(size_t steps, double dt, double timing,
                          double offset_years, double annual_rate,
                          double *index, ptrdiff_t *bad_index);

/* cc_present_value
 * Given:    values (steps,) per-step values, dt, timing, schedule.
 * Returned: *pv = sum_t values[t] * factor(tau_t);
 *           discounted_cumulative (steps,) running discounted sum, or NULL.
 * Status:   as cc_step_discount_factors, plus CC_ENONFINITE for values and
 *           CC_EOVERFLOW when a discounted value or the running sum goes
 *           beyond +-DBL_MAX (bad_index the step; *pv is not written).
 */
CC_API int cc_present_value(size_t steps, const double *values, double dt,
                            double timing, const cc_schedule *sched,
                            double *pv, double *discounted_cumulative,
                            ptrdiff_t *bad_index);

/* cc_payback
 * Given:    net (steps,) per-step net benefit (already discounted if the
 *           caller wants discounted payback), dt.
 * Returned: *years  the first time at which the cumulative net benefit,
 *                   taken to accrue evenly within each step, reaches >= 0
 *                   after having been negative; 0 if it is never negative;
 *                   +inf (with *reached = 0) if it is still negative at the
 *                   end of the horizon.
 *           *reached 1 if payback is reached within the horizon, else 0.
 * Status:   CC_OK, CC_EARG, CC_EDT, CC_ENONFINITE, CC_EOVERFLOW (the
 *           cumulative net benefit goes beyond +-DBL_MAX at step bad_index;
 *           *years and *reached are not written).
 */
CC_API int cc_payback(size_t steps, const double *net, double dt,
                      double *years, int *reached, ptrdiff_t *bad_index);

/* ------------------------------------------------------------------------
 * Root finding
 * ------------------------------------------------------------------------ */

/* A scalar function: writes f(x) to *fx and returns CC_OK, or returns any
 * non-zero code to stop the search (cc_brent then returns CC_ECALLBACK). */
typedef int (*cc_scalar_fn)(double x, void *context, double *fx);

/* cc_brent
 * Brent's method (Brent 1973, "Algorithms for Minimization without
 * Derivatives", ch. 4, procedure zero).
 * Given:    f, context, bracket [a, b] (finite, a != b), xtol >= 0,
 *           rtol >= 0, not both 0: the search stops when the bracket's half
 *           width is below (xtol + rtol * |x|) / 2 (the test of SciPy's
 *           brentq); maxiter >= 1 function evaluations beyond the two end
 *           points.
 * Returned: *root, *f_root, *evaluations (all function calls made).
 * Status:   CC_OK; CC_ENOTBRACKETED if f(a) and f(b) have the same strict
 *           sign (no root is guessed); CC_ENONFINITE if f returns NaN or
 *           inf; CC_ECALLBACK if f fails; CC_ENOCONVERGE after maxiter;
 *           CC_EARG for bad tolerances or a NULL pointer.
 * Notes:    If f(a) == 0 or f(b) == 0 that end point is the root.
 */
CC_API int cc_brent(cc_scalar_fn f, void *context, double a, double b,
                    double xtol, double rtol, size_t maxiter,
                    double *root, double *f_root, size_t *evaluations);

#ifdef __cplusplus
}
#endif

#endif /* CARECAST_H */
