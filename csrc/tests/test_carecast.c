/*
 * test_carecast.c - the carecast C library's own test runner.
 *
 * Usage: test_carecast [-v] [-q]
 *   -v  print a line for every check that passes as well
 *   -q  print only failures and the closing line
 * Exit status: 0 if every check passed, 1 otherwise.  The last line is
 * always "N passed, N failed" (counting checks).
 */
#include <stdio.h>
#include <string.h>

#include "carecast.h"
#include "cctest.h"

typedef void (*test_fn)(int *status);

static const struct {
    const char *name;
    test_fn run;
} tests[] = {
    {"cc_version", t_cc_version},
    {"cc_strerror", t_cc_strerror},
    {"cc_check_structure", t_cc_check_structure},
    {"cc_flow_probabilities", t_cc_flow_probabilities},
    {"cc_check_flow_values", t_cc_check_flow_values},
    {"cc_check_nonnegative", t_cc_check_nonnegative},
    {"cc_project_workspace", t_cc_project_workspace},
    {"cc_project", t_cc_project},
    {"cc_project_batch", t_cc_project_batch},
    {"cc_project_batch_ctl", t_cc_project_batch_ctl},
    {"cc_philox4x64", t_cc_philox4x64},
    {"cc_rng_init/next/uniform", t_cc_rng_next},
    {"cc_rng_binomial", t_cc_rng_binomial},
    {"cc_rng_poisson", t_cc_rng_poisson},
    {"cc_simulate_batch", t_cc_simulate_batch},
    {"cc_simulate_range", t_cc_simulate_range},
    {"cc_simulate_range_ctl", t_cc_simulate_range_ctl},
    {"cc_check_reduction", t_cc_check_reduction},
    {"cc_*_outputs", t_cc_project_batch_outputs},
    {"cc_accrue", t_cc_accrue},
    {"cc_check_schedule", t_cc_check_schedule},
    {"cc_discount_factors", t_cc_discount_factors},
    {"cc_step_discount_factors", t_cc_step_discount_factors},
    {"cc_price_index", t_cc_price_index},
    {"cc_present_value", t_cc_present_value},
    {"cc_payback", t_cc_payback},
    {"cc_brent", t_cc_brent},
    {"overflow: projections", t_overflow_project},
    {"overflow: values, prices", t_overflow_values},
    {"overflow: discounting", t_overflow_discount},
    {"published: Chancellor 1997", t_published_chancellor},
};

int main(int argc, char **argv)
{
    int quiet = 0, status = 0, i;
    size_t k;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-v") == 0) {
            cct_set_verbose(1);
        } else if (strcmp(argv[i], "-q") == 0) {
            quiet = 1;
        } else {
            fprintf(stderr, "usage: %s [-v] [-q]\n", argv[0]);
            return 2;
        }
    }

    for (k = 0; k < sizeof tests / sizeof tests[0]; k++) {
        int one = 0;
        long failed_before = cct_failed();
        tests[k].run(&one);
        if (one) status = 1;
        if (!quiet)
            printf("%-26s %s\n", tests[k].name,
                   cct_failed() == failed_before ? "ok" : "FAILED");
    }
    printf("%ld passed, %ld failed\n", cct_passed(), cct_failed());
    return status != 0 || cct_failed() != 0;
}
