/*
 * t_batch.c - cc_project_batch_ctl and cc_simulate_range_ctl: the blocked
 * batch kernel against cc_project replicate by replicate (an independent
 * route through the public API: the scalar kernel), bit for bit, across
 * block boundaries, thread counts and ranges; and the cancel flag.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carecast.h"
#include "cctest.h"

/* 37 replicates: two full blocks of 16 and a partial one, or (with more
 * threads) blocks of other sizes. */
enum { BR = 37, BS = 7, BF = 15, BSTEPS = 9 };

typedef struct batch_case {
    int64_t src[BF], dst[BF], advance[BS];
    double value[BR * BSTEPS * BF], inflow[BR * BSTEPS * BS], x0[BR * BS];
} batch_case;

static void make_case(batch_case *c, cct_rng *rng)
{
    size_t i;
    for (i = 0; i < BF; i++) {
        c->src[i] = (int64_t)cct_below(rng, BS - 1); /* the last state absorbs */
        c->dst[i] = (int64_t)cct_below(rng, BS);     /* self-loops allowed */
    }
    for (i = 0; i < BS; i++) c->advance[i] = -1;
    c->advance[1] = 2; /* everyone in 1 moves on to 2 after the flows */
    c->advance[3] = 0;
    for (i = 0; i < BR * BSTEPS * BF; i++) c->value[i] = 3.0 * cct_uniform(rng);
    /* a very large rate: everybody leaves state src[0] (leave rounds to 1) */
    for (i = 0; i < BR * BSTEPS; i++) c->value[i * BF] = 1e6;
    for (i = 0; i < BR * BSTEPS * BS; i++) c->inflow[i] = 4.0 * cct_uniform(rng);
    for (i = 0; i < BR * BS; i++) {
        const size_t people = cct_below(rng, 200);
        c->x0[i] = (double)people;
    }
    c->x0[5 * BS + 2] = 0.0;
}

void t_cc_project_batch_ctl(int *status)
{
    static const char *fn = "cc_project_batch_ctl";
    static batch_case c;
    const size_t occ_n = (size_t)BR * (BSTEPS + 1) * BS;
    const size_t moved_n = (size_t)BR * BSTEPS * BF;
    const size_t arr_n = (size_t)BR * BSTEPS * BS;
    double *want_occ = malloc(occ_n * sizeof(double));
    double *want_moved = malloc(moved_n * sizeof(double));
    double *want_arr = malloc(arr_n * sizeof(double));
    double *occ = malloc(occ_n * sizeof(double));
    double *moved = malloc(moved_n * sizeof(double));
    double *arr = malloc(arr_n * sizeof(double));
    double work[BF + 2 * BS];
    cct_rng rng = {20261201ULL};
    char label[128];
    ptrdiff_t bad;
    int rc;
    if (!want_occ || !want_moved || !want_arr || !occ || !moved || !arr) {
        vok(0, fn, "test could not allocate", status);
        goto done;
    }
    make_case(&c, &rng);
    for (int with_advance = 0; with_advance < 2; with_advance++) {
        const cc_structure m = {BS, BF, c.src, c.dst, with_advance ? c.advance : NULL};
        /* Per-replicate, per-step values and inflows; then shared ones. */
        for (int shared = 0; shared < 2; shared++) {
            const size_t vrep = shared ? 0 : BSTEPS * BF;
            const size_t irep = shared ? 0 : BSTEPS * BS;
            const size_t xrep = shared ? 0 : BS;
            for (size_t r = 0; r < BR; r++) {
                rc = cc_project(&m, BSTEPS, 0.25, CC_KIND_RATE, c.value + r * vrep, BF,
                                c.inflow + r * irep, BS, c.x0 + r * xrep, work,
                                want_occ + r * (BSTEPS + 1) * BS,
                                want_moved + r * BSTEPS * BF, want_arr + r * BSTEPS * BS,
                                NULL);
                if (rc != CC_OK) {
                    viv(rc, CC_OK, fn, "cc_project for the expected values", status);
                }
            }
            for (size_t threads = 0; threads <= 5; threads++) {
                const cc_batch_control ctl = {threads, NULL};
                cct_fill(occ, occ_n, -7.0);
                cct_fill(moved, moved_n, -7.0);
                cct_fill(arr, arr_n, -7.0);
                bad = 99;
                rc = cc_project_batch_ctl(&m, BR, BSTEPS, 0.25, CC_KIND_RATE, c.value, vrep, BF,
                                          c.inflow, irep, BS, c.x0, xrep, &ctl, occ, moved,
                                          arr, &bad);
                snprintf(label, sizeof label, "advance %d shared %d threads %zu: status",
                         with_advance, shared, threads);
                viv(rc, CC_OK, fn, label, status);
                viv(bad, -1, fn, label, status);
                snprintf(label, sizeof label,
                         "advance %d shared %d threads %zu: occupancy bits of cc_project",
                         with_advance, shared, threads);
                vbits(occ, want_occ, occ_n, fn, label, status);
                snprintf(label, sizeof label,
                         "advance %d shared %d threads %zu: moved bits of cc_project",
                         with_advance, shared, threads);
                vbits(moved, want_moved, moved_n, fn, label, status);
                snprintf(label, sizeof label,
                         "advance %d shared %d threads %zu: arrivals bits of cc_project",
                         with_advance, shared, threads);
                vbits(arr, want_arr, arr_n, fn, label, status);
            }
            /* A range of replicates (another chunking: 5 .. 5 + 20) has
             * the same bits, and moved/arrivals may be NULL. */
            {
                const cc_batch_control ctl = {2, NULL};
                const size_t r0 = 5, n = 20;
                rc = cc_project_batch_ctl(&m, n, BSTEPS, 0.25, CC_KIND_RATE,
                                          c.value + r0 * vrep, vrep, BF, c.inflow + r0 * irep,
                                          irep, BS, c.x0 + r0 * xrep, xrep, &ctl, occ, NULL,
                                          NULL, NULL);
                viv(rc, CC_OK, fn, "range 5..24, no moved or arrivals: status", status);
                vbits(occ, want_occ + r0 * (BSTEPS + 1) * BS, n * (BSTEPS + 1) * BS, fn,
                      "range 5..24: occupancy bits of cc_project", status);
            }
        }
    }
    /* control NULL: one thread, no flag. */
    {
        const cc_structure m = {BS, BF, c.src, c.dst, NULL};
        rc = cc_project_batch_ctl(&m, BR, BSTEPS, 0.25, CC_KIND_RATE, c.value, BSTEPS * BF, BF,
                                  NULL, 0, 0, c.x0, BS, NULL, occ, NULL, NULL, &bad);
        viv(rc, CC_OK, fn, "control NULL: status", status);
    }
    /* A flag raised before the call: CC_EINTERRUPTED before any kernel
     * runs (occupancy untouched); a flag that stays 0 changes nothing. */
    {
        const cc_structure m = {BS, BF, c.src, c.dst, NULL};
        volatile int stop = 1;
        const cc_batch_control ctl = {2, &stop};
        cct_fill(occ, occ_n, -7.0);
        rc = cc_project_batch_ctl(&m, BR, BSTEPS, 0.25, CC_KIND_RATE, c.value, BSTEPS * BF, BF,
                                  NULL, 0, 0, c.x0, BS, &ctl, occ, NULL, NULL, &bad);
        viv(rc, CC_EINTERRUPTED, fn, "cancel raised: CC_EINTERRUPTED", status);
        vok(occ[0] == -7.0, fn, "cancel raised: nothing written", status);
        stop = 0;
        rc = cc_project_batch_ctl(&m, BR, BSTEPS, 0.25, CC_KIND_RATE, c.value, BSTEPS * BF, BF,
                                  NULL, 0, 0, c.x0, BS, &ctl, occ, NULL, NULL, &bad);
        viv(rc, CC_OK, fn, "cancel flag 0: CC_OK", status);
        /* Errors are still errors with a control. */
        rc = cc_project_batch_ctl(&m, BR, BSTEPS, 0.0, CC_KIND_RATE, c.value, BSTEPS * BF, BF,
                                  NULL, 0, 0, c.x0, BS, &ctl, occ, NULL, NULL, &bad);
        viv(rc, CC_EDT, fn, "dt 0 with a control: CC_EDT", status);
    }
done:
    free(want_occ);
    free(want_moved);
    free(want_arr);
    free(occ);
    free(moved);
    free(arr);
}

void t_cc_simulate_range_ctl(int *status)
{
    static const char *fn = "cc_simulate_range_ctl";
    static batch_case c;
    const size_t occ_n = (size_t)BR * (BSTEPS + 1) * BS;
    double *want = malloc(occ_n * sizeof(double));
    double *occ = malloc(occ_n * sizeof(double));
    cct_rng rng = {77ULL};
    char label[96];
    int rc;
    if (!want || !occ) {
        vok(0, fn, "test could not allocate", status);
        goto done;
    }
    make_case(&c, &rng);
    {
        const cc_structure m = {BS, BF, c.src, c.dst, c.advance};
        rc = cc_simulate_range(&m, BR, BSTEPS, 0.25, CC_KIND_RATE, c.value, BSTEPS * BF, BF,
                               c.inflow, BSTEPS * BS, BS, c.x0, BS, 5, 100, 1, want, NULL, NULL,
                               NULL);
        viv(rc, CC_OK, fn, "cc_simulate_range: status", status);
        for (size_t threads = 0; threads <= 4; threads++) {
            const cc_batch_control ctl = {threads, NULL};
            rc = cc_simulate_range_ctl(&m, BR, BSTEPS, 0.25, CC_KIND_RATE, c.value, BSTEPS * BF,
                                       BF, c.inflow, BSTEPS * BS, BS, c.x0, BS, 5, 100, &ctl,
                                       occ, NULL, NULL, NULL);
            snprintf(label, sizeof label, "threads %zu: bits of cc_simulate_range", threads);
            viv(rc, CC_OK, fn, label, status);
            vbits(occ, want, occ_n, fn, label, status);
        }
        /* Replicates 110..129 of the run as a range of their own. */
        rc = cc_simulate_range_ctl(&m, 20, BSTEPS, 0.25, CC_KIND_RATE, c.value + 10 * BSTEPS * BF,
                                   BSTEPS * BF, BF, c.inflow + 10 * BSTEPS * BS, BSTEPS * BS, BS,
                                   c.x0 + 10 * BS, BS, 5, 110, NULL, occ, NULL, NULL, NULL);
        viv(rc, CC_OK, fn, "range 110..129: status", status);
        vbits(occ, want + 10 * (BSTEPS + 1) * BS, 20 * (BSTEPS + 1) * BS, fn,
              "range 110..129: bits of the whole run", status);
        {
            volatile int stop = 1;
            const cc_batch_control ctl = {3, &stop};
            rc = cc_simulate_range_ctl(&m, BR, BSTEPS, 0.25, CC_KIND_RATE, c.value, BSTEPS * BF,
                                       BF, c.inflow, BSTEPS * BS, BS, c.x0, BS, 5, 100, &ctl,
                                       occ, NULL, NULL, NULL);
            viv(rc, CC_EINTERRUPTED, fn, "cancel raised: CC_EINTERRUPTED", status);
        }
    }
done:
    free(want);
    free(occ);
}
