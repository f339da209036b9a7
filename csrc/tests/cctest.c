/*
 * cctest.c - validators for the carecast C test runner (after ERFA's
 * t_erfa_c.c: print one line per failure, count every check).
 */
#include "cctest.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* The runner is single-threaded; these counters are its only state. */
static int verbose_flag = 0;
static long n_passed = 0;
static long n_failed = 0;

void cct_set_verbose(int verbose) { verbose_flag = verbose; }
long cct_passed(void) { return n_passed; }
long cct_failed(void) { return n_failed; }

static void record(int ok, const char *func, const char *test, int *status)
{
    if (ok) {
        n_passed++;
        if (verbose_flag) printf("%s passed: %s\n", func, test);
    } else {
        n_failed++;
        *status = 1;
    }
}

void vvd(double val, double valok, double dval, const char *func,
         const char *test, int *status)
{
    double err = fabs(val - valok);
    /* Written as !(err <= dval) so that a NaN result fails. */
    int ok = (err <= dval) || (val == valok);
    if (!ok)
        printf("%s failed: %s want %.17g got %.17g (error %.3g, tolerance %.3g)\n",
               func, test, valok, val, err, dval);
    record(ok, func, test, status);
}

void vvr(double val, double valok, double rel, const char *func,
         const char *test, int *status)
{
    double err = fabs(val - valok);
    double scale = valok != 0.0 ? fabs(valok) : 1.0;
    int ok = (err <= rel * scale) || (val == valok);
    if (!ok)
        printf("%s failed: %s want %.17g got %.17g (relative error %.3g, tolerance %.3g)\n",
               func, test, valok, val, err / scale, rel);
    record(ok, func, test, status);
}

void veq(double val, double valok, const char *func, const char *test,
         int *status)
{
    int ok = (val == valok);
    if (!ok)
        printf("%s failed: %s want exactly %.17g got %.17g\n", func, test,
               valok, val);
    record(ok, func, test, status);
}

void viv(long long ival, long long ivalok, const char *func,
         const char *test, int *status)
{
    int ok = (ival == ivalok);
    if (!ok)
        printf("%s failed: %s want %lld got %lld\n", func, test, ivalok, ival);
    record(ok, func, test, status);
}

void vok(int condition, const char *func, const char *test, int *status)
{
    if (!condition) printf("%s failed: %s\n", func, test);
    record(condition, func, test, status);
}

void vvrv(const double *val, const double *valok, size_t n, double rel,
          const char *func, const char *test, int *status)
{
    char label[160];
    size_t i;
    for (i = 0; i < n; i++)
        vvr(val[i], valok[i], rel, func, cct_label1(label, sizeof label, test, i),
            status);
}

void vbits(const double *val, const double *valok, size_t n,
           const char *func, const char *test, int *status)
{
    int ok = (n == 0) || memcmp(val, valok, n * sizeof *val) == 0;
    if (!ok) {
        size_t i;
        for (i = 0; i < n; i++) {
            if (memcmp(&val[i], &valok[i], sizeof *val) != 0) {
                printf("%s failed: %s not bit-identical, first at [%zu]: want %.17g got %.17g\n",
                       func, test, i, valok[i], val[i]);
                break;
            }
        }
    }
    record(ok, func, test, status);
}

const char *cct_label1(char *buf, size_t size, const char *test, size_t i)
{
    snprintf(buf, size, "%s[%zu]", test, i);
    return buf;
}

const char *cct_label2(char *buf, size_t size, const char *test, size_t i,
                       size_t j)
{
    snprintf(buf, size, "%s[%zu][%zu]", test, i, j);
    return buf;
}

void cct_fill(double *a, size_t n, double sentinel)
{
    size_t i;
    for (i = 0; i < n; i++) a[i] = sentinel;
}

double cct_uniform(cct_rng *rng)
{
    unsigned long long z = (rng->state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    /* top 53 bits -> [0, 1) */
    return (double)(z >> 11) * (1.0 / 9007199254740992.0);
}

size_t cct_below(cct_rng *rng, size_t n)
{
    size_t k = (size_t)(cct_uniform(rng) * (double)n);
    return k < n ? k : n - 1;
}
