/*
 * bench_batch_kernel.c - cc_project_batch alone, on case (b) of
 * bench_engine.py's shape (160 states, 1,500 flows, 120 monthly steps, R
 * parameter sets, no moved output), with its outputs either preallocated and
 * touched before the clock starts ("touched": the kernel alone) or freshly
 * allocated inside the timing ("fresh": the kernel plus the page faults of
 * its outputs, as a Python call pays them).
 *
 * Built and run by bench_batch.py against this tree's library and the
 * previous one (only cc_project_batch, which both have, is called):
 *
 *     cc -O2 -std=c11 -I<csrc>/include bench_batch_kernel.c <csrc>/build/libcarecast.a -lm -pthread
 *     ./a.out R THREADS REPEATS touched|fresh
 *
 * Prints one line: best wall, user and system seconds (by wall) and the
 * replicate-flow-updates a second.  POSIX only (getrusage).
 */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "carecast.h"

enum { S = 160, F = 1500, STEPS = 120 };

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void usage(double *user, double *sys)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    *user = (double)u.ru_utime.tv_sec + 1e-6 * (double)u.ru_utime.tv_usec;
    *sys = (double)u.ru_stime.tv_sec + 1e-6 * (double)u.ru_stime.tv_usec;
}

/* A linear congruential stream: the numbers only need to be plausible. */
static unsigned long long state = 20261122ULL;
static double uniform(void)
{
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(state >> 11) * 0x1.0p-53;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: %s R THREADS REPEATS touched|fresh\n", argv[0]);
        return 2;
    }
    const size_t R = (size_t)atol(argv[1]), threads = (size_t)atol(argv[2]);
    const int repeats = atoi(argv[3]);
    const int fresh = strcmp(argv[4], "fresh") == 0;
    static int64_t src[F], dst[F];
    double x0[S], inflow[S];
    for (size_t f = 0; f < F; f++) {
        src[f] = (int64_t)(uniform() * 144);
        dst[f] = (src[f] + 1 + (int64_t)(uniform() * 159)) % S;
    }
    for (size_t s = 0; s < S; s++) {
        x0[s] = s < 144 ? 50.0 * uniform() : 0.0;
        inflow[s] = s < 40 ? 20.0 * uniform() / 12.0 : 0.0;
    }
    const cc_structure m = {S, F, src, dst, NULL};
    double *value = malloc(R * F * sizeof(double));
    const size_t occ_n = R * (STEPS + 1) * S, arr_n = R * STEPS * S;
    double *occ = fresh ? NULL : malloc(occ_n * sizeof(double));
    double *arr = fresh ? NULL : malloc(arr_n * sizeof(double));
    if (value == NULL || (!fresh && (occ == NULL || arr == NULL))) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    for (size_t i = 0; i < R * F; i++) value[i] = 0.05 + 2.0 * uniform() * uniform();
    if (!fresh) {
        memset(occ, 0, occ_n * sizeof(double));
        memset(arr, 0, arr_n * sizeof(double));
    }
    double best[3] = {1e300, 0, 0};
    for (int k = 0; k < repeats; k++) {
        double u0, s0, u1, s1;
        usage(&u0, &s0);
        const double t0 = now();
        if (fresh) {
            occ = malloc(occ_n * sizeof(double));
            arr = calloc(arr_n, sizeof(double)); /* as the binding allocates them */
            if (occ == NULL || arr == NULL) {
                fprintf(stderr, "out of memory\n");
                return 1;
            }
        }
        const int rc = cc_project_batch(&m, R, STEPS, 1.0 / 12.0, CC_KIND_RATE, value, F, 0,
                                        inflow, 0, 0, x0, 0, threads, occ, NULL, arr, NULL);
        const double wall = now() - t0;
        usage(&u1, &s1);
        if (rc != CC_OK) {
            fprintf(stderr, "cc_project_batch: %s\n", cc_strerror(rc));
            return 1;
        }
        if (fresh) {
            free(occ);
            free(arr);
        }
        if (wall < best[0]) {
            best[0] = wall;
            best[1] = u1 - u0;
            best[2] = s1 - s0;
        }
    }
    printf("wall %.4f user %.4f sys %.4f updates/s %.4g\n", best[0], best[1], best[2],
           (double)R * STEPS * F / best[0]);
    free(value);
    if (!fresh) {
        free(occ);
        free(arr);
    }
    return 0;
}
