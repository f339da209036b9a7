/*
 * oom_test.c - every allocation the library makes fails in turn.
 *
 * Linked with -Wl,--wrap=malloc,--wrap=calloc so that, as in Lua's test
 * build, an allocator that fails on demand reaches every out-of-memory path:
 * the batch runners must then return CC_ENOMEM, write nothing beyond what
 * their contract allows, and leak nothing (run under valgrind by
 * `make valgrind`).  Prints `N passed, N failed`; exit status = failures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carecast.h"

void *__real_malloc(size_t size);
void *__real_calloc(size_t count, size_t size);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t count, size_t size);

/* -1: never fail; otherwise the number of allocations still allowed. */
static long allowed = -1;
static long made = 0;

void *__wrap_malloc(size_t size)
{
    made++;
    if (allowed == 0) {
        return NULL;
    }
    if (allowed > 0) {
        allowed--;
    }
    return __real_malloc(size);
}

void *__wrap_calloc(size_t count, size_t size)
{
    made++;
    if (allowed == 0) {
        return NULL;
    }
    if (allowed > 0) {
        allowed--;
    }
    return __real_calloc(count, size);
}

static int passed = 0, failed = 0;

static void check(int ok, const char *what, long k)
{
    if (ok) {
        passed++;
    } else {
        failed++;
        printf("oom: %s (allocation %ld failing)\n", what, k);
    }
}

int main(void)
{
    /* Two states, one flow at a rate of 0.5 a year; two replicates. */
    const int64_t src[] = {0}, dst[] = {1};
    const cc_structure m = {2, 1, src, dst, NULL};
    const double value[] = {0.5, 0.5};
    const double x0[] = {10.0, 0.0};
    double occupancy[2 * 2 * 2], moved[2 * 1], arrivals[2 * 1 * 2];
    ptrdiff_t bad;

    /* How many allocations does a batch make when none fail? */
    allowed = -1;
    made = 0;
    int status = cc_project_batch(&m, 2, 1, 1.0, CC_KIND_RATE, value, 1, 0, NULL, 0, 0, x0, 0, 2,
                                  occupancy, moved, arrivals, &bad);
    check(status == CC_OK, "batch without failures succeeds", -1);
    const long total = made;
    check(total >= 1, "a batch allocates its workspace", -1);

    for (long k = 0; k < total; k++) {
        allowed = k;
        status = cc_project_batch(&m, 2, 1, 1.0, CC_KIND_RATE, value, 1, 0, NULL, 0, 0, x0, 0, 2,
                                  occupancy, moved, arrivals, &bad);
        check(status == CC_ENOMEM, "cc_project_batch reports CC_ENOMEM", k);
        allowed = k;
        status = cc_simulate_batch(&m, 2, 1, 1.0, CC_KIND_RATE, value, 1, 0, NULL, 0, 0, x0, 0,
                                   7, 2, occupancy, moved, arrivals, &bad);
        check(status == CC_ENOMEM, "cc_simulate_batch reports CC_ENOMEM", k);
    }
    allowed = -1;

    /* Reduced outputs: the stochastic path allocates one more array (each
     * thread's replicate path), so it is counted on its own. */
    const int64_t ptr[] = {0, 2}, index[] = {0, 1}, fptr[] = {0, 1}, findex[] = {0};
    const double weight[] = {1.0, 2.0}, fweight[] = {3.0};
    const cc_reduction red = {1, ptr, index, weight}, fred = {1, fptr, findex, fweight};
    const cc_batch_control two = {2, NULL};
    double outputs[2 * 2], flow_out[2 * 1];
    for (int stochastic = 0; stochastic <= 1; stochastic++) {
        allowed = -1;
        made = 0;
        status = stochastic ? cc_simulate_range_outputs(&m, 2, 1, 1.0, CC_KIND_RATE, value, 1, 0,
                                                        NULL, 0, 0, x0, 0, 7, 0, &red, &fred,
                                                        &two, outputs, flow_out, &bad)
                            : cc_project_batch_outputs(&m, 2, 1, 1.0, CC_KIND_RATE, value, 1, 0,
                                                       NULL, 0, 0, x0, 0, &red, &fred, &two,
                                                       outputs, flow_out, &bad);
        check(status == CC_OK, "reduced batch without failures succeeds", -1);
        const long reduced_total = made;
        for (long k = 0; k < reduced_total; k++) {
            allowed = k;
            status = stochastic
                         ? cc_simulate_range_outputs(&m, 2, 1, 1.0, CC_KIND_RATE, value, 1, 0,
                                                     NULL, 0, 0, x0, 0, 7, 0, &red, &fred, &two,
                                                     outputs, flow_out, &bad)
                         : cc_project_batch_outputs(&m, 2, 1, 1.0, CC_KIND_RATE, value, 1, 0,
                                                    NULL, 0, 0, x0, 0, &red, &fred, &two,
                                                    outputs, flow_out, &bad);
            check(status == CC_ENOMEM, stochastic ? "cc_simulate_range_outputs reports CC_ENOMEM"
                                                  : "cc_project_batch_outputs reports CC_ENOMEM",
                  k);
        }
    }
    allowed = -1;

    /* Nothing else in the library allocates: a projection, values and
     * discounting make no allocation at all. */
    made = 0;
    double work[1 + 2 * 2];
    double occ1[2 * 2], moved1[1], arr1[2], total1[1];
    status = cc_project(&m, 1, 1.0, CC_KIND_RATE, value, 0, NULL, 0, x0, work, occ1, moved1, arr1,
                        &bad);
    check(status == CC_OK, "cc_project succeeds", -1);
    const double per_year[] = {1.0, 0.0};
    status = cc_accrue(2, 1, 1, 1.0, occ1, moved1, arr1, per_year, 0, NULL, 0, NULL, 0,
                       CC_OCC_TRAPEZOID, NULL, NULL, NULL, NULL, NULL, total1, &bad);
    check(status == CC_OK, "cc_accrue succeeds", -1);
    check(made == 0, "cc_project and cc_accrue allocate nothing", -1);

    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
