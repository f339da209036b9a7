/*
 * cctest.h - the carecast C test runner's validators and test routines.
 *
 * ERFA style: one t_<name>(int *status) per public routine; each check goes
 * through a validator that prints one line when it fails (and, with -v, one
 * line when it passes) and sets *status to 1.  main() prints a closing
 * "N passed, N failed" line (counting checks) and exits non-zero on failure.
 *
 * Expected values come from hand calculation (the arithmetic is in the
 * comments), closed forms (pow, exp), published constants, conservation laws
 * or an independent implementation written in the test - never from running
 * the library.
 */
#ifndef CCTEST_H
#define CCTEST_H

#include <math.h>
#include <stddef.h>

#if defined(__clang__)
/* C11's NAN and INFINITY are float constants; the tests use them as
 * doubles, which clang's -Wdouble-promotion reports at every use.  math.h
 * is included first so that it cannot redefine them later. */
#undef NAN
#undef INFINITY
#define NAN (__builtin_nan(""))
#define INFINITY (__builtin_inf())
#endif

/* Set by main from the command line. */
void cct_set_verbose(int verbose);
long cct_passed(void);
long cct_failed(void);

/* |val - valok| <= dval (absolute).  A NaN result always fails. */
void vvd(double val, double valok, double dval, const char *func,
         const char *test, int *status);

/* |val - valok| <= rel * |valok| (relative; absolute rel when valok == 0). */
void vvr(double val, double valok, double rel, const char *func,
         const char *test, int *status);

/* val == valok exactly (bit for bit, except that +0 == -0). */
void veq(double val, double valok, const char *func, const char *test,
         int *status);

/* Integer equality (status codes, indices, counts). */
void viv(long long ival, long long ivalok, const char *func,
         const char *test, int *status);

/* A condition that must hold. */
void vok(int condition, const char *func, const char *test, int *status);

/* Element-wise relative comparison of two arrays; one check per element. */
void vvrv(const double *val, const double *valok, size_t n, double rel,
          const char *func, const char *test, int *status);

/* Element-wise exact comparison of two arrays (memcmp); one check. */
void vbits(const double *val, const double *valok, size_t n,
           const char *func, const char *test, int *status);

/* A short label "test[i]" or "test[i][j]" in a caller-supplied buffer. */
const char *cct_label1(char *buf, size_t size, const char *test, size_t i);
const char *cct_label2(char *buf, size_t size, const char *test, size_t i,
                       size_t j);

/* Fill n doubles with a sentinel that no routine would compute. */
void cct_fill(double *a, size_t n, double sentinel);

/* A deterministic pseudo-random stream for the "random-ish" models:
 * SplitMix64 (Steele, Lea, Flood 2014), so the tests need no libc rand(). */
typedef struct cct_rng {
    unsigned long long state;
} cct_rng;
double cct_uniform(cct_rng *rng);              /* in [0, 1) */
size_t cct_below(cct_rng *rng, size_t n);      /* in 0..n-1 */

/* One routine each. */
void t_cc_version(int *status);
void t_cc_strerror(int *status);
void t_cc_check_structure(int *status);
void t_cc_flow_probabilities(int *status);
void t_cc_check_flow_values(int *status);
void t_cc_check_nonnegative(int *status);
void t_cc_project_workspace(int *status);
void t_cc_project(int *status);
void t_cc_project_batch(int *status);
void t_cc_project_batch_ctl(int *status);
void t_cc_accrue(int *status);
void t_cc_check_schedule(int *status);
void t_cc_discount_factors(int *status);
void t_cc_step_discount_factors(int *status);
void t_cc_price_index(int *status);
void t_cc_present_value(int *status);
void t_cc_payback(int *status);
void t_cc_brent(int *status);
void t_cc_philox4x64(int *status);
void t_cc_rng_next(int *status);
void t_cc_rng_binomial(int *status);
void t_cc_rng_poisson(int *status);
void t_cc_simulate_batch(int *status);
void t_cc_simulate_range(int *status);
void t_cc_simulate_range_ctl(int *status);
void t_cc_check_reduction(int *status);
void t_cc_project_batch_outputs(int *status);

/* Finite inputs whose results would overflow (t_overflow.c). */
void t_overflow_project(int *status);
void t_overflow_values(int *status);
void t_overflow_discount(int *status);

/* Published models reproduced through several routines together. */
void t_published_chancellor(int *status);

#endif /* CCTEST_H */
