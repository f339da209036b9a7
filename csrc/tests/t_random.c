/*
 * t_random.c - cc_philox4x64, cc_rng_init, cc_rng_next, cc_rng_uniform,
 * cc_rng_binomial, cc_rng_poisson and cc_simulate_batch.
 *
 * Known answers for Philox4x64-10 are the Random123 kat_vectors (Salmon,
 * Moraes, Dror and Shaw, SC11, 2011).  Distributions are checked with
 * Pearson's chi-square test against the exact probability mass functions
 * (computed here with lgamma), with a fixed seed and a critical value at
 * p = 1e-4 (Wilson and Hilferty 1931 approximation to the chi-square
 * quantile, z = 3.7190); moments with 5-sigma bounds.  Seeds are fixed, so
 * every run sees the same numbers.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carecast.h"
#include "cctest.h"

#define UNSET ((ptrdiff_t)12345)

void t_cc_philox4x64(int *status)
{
    static const char *fn = "cc_philox4x64";
    /* Random123 kat_vectors, "philox4x64 10" lines: counter, key, result. */
    static const struct {
        uint64_t ctr[4], key[2], out[4];
    } kat[3] = {
        {{0, 0, 0, 0}, {0, 0},
         {0x16554d9eca36314cULL, 0xdb20fe9d672d0fdcULL, 0xd7e772cee186176bULL,
          0x7e68b68aec7ba23bULL}},
        {{0xffffffffffffffffULL, 0xffffffffffffffffULL, 0xffffffffffffffffULL,
          0xffffffffffffffffULL},
         {0xffffffffffffffffULL, 0xffffffffffffffffULL},
         {0x87b092c3013fe90bULL, 0x438c3c67be8d0224ULL, 0x9cc7d7c69cd777b6ULL,
          0xa09caebf594f0ba0ULL}},
        {{0x243f6a8885a308d3ULL, 0x13198a2e03707344ULL, 0xa4093822299f31d0ULL,
          0x082efa98ec4e6c89ULL},
         {0x452821e638d01377ULL, 0xbe5466cf34e90c6cULL},
         {0xa528f45403e61d95ULL, 0x38c72dbd566e9788ULL, 0xa5a1610e72fd18b5ULL,
          0x57bd43b5e52b7fe6ULL}},
    };
    char label[96];
    int i, w;
    for (i = 0; i < 3; i++) {
        uint64_t out[4];
        cc_philox4x64(kat[i].ctr, kat[i].key, out);
        for (w = 0; w < 4; w++) {
            snprintf(label, sizeof label, "Random123 KAT %d word %d", i, w);
            vok(out[w] == kat[i].out[w], fn, label, status);
        }
    }
    /* out may alias counter */
    {
        uint64_t io[4];
        memcpy(io, kat[2].ctr, sizeof io);
        cc_philox4x64(io, kat[2].key, io);
        vok(memcmp(io, kat[2].out, sizeof io) == 0, fn, "in place (out == counter)", status);
    }
}

void t_cc_rng_next(int *status)
{
    static const char *fn = "cc_rng_next";
    /* Header: stream (seed, stream) is the blocks Philox(key = {seed, 0},
     * counter), four words a block, taken in order, the block number
     * n = 1, 2, 3, ... in the counter's first (128-bit: words 0 and 1) half
     * and the stream in its second: counter = {n, 0, stream, 0}.  (The
     * header's "{1, 2, 3, ... ; stream, 0, 0}" reads as {n, stream, 0, 0}
     * too; the library uses {n, 0, stream, 0}; see the report.) */
    const uint64_t seed = 20261122ULL, stream = 7ULL;
    const uint64_t key[2] = {seed, 0};
    cc_rng rng, again, other;
    char label[96];
    uint64_t b;
    int w;

    cc_rng_init(&rng, seed, stream);
    for (b = 1; b <= 3; b++) {
        const uint64_t ctr[4] = {b, 0, stream, 0};
        uint64_t out[4];
        cc_philox4x64(ctr, key, out);
        for (w = 0; w < 4; w++) {
            uint64_t got = cc_rng_next(&rng);
            snprintf(label, sizeof label, "block %d word %d is Philox({%d, 0, stream, 0}, {seed, 0})",
                     (int)b, w, (int)b);
            vok(got == out[w], fn, label, status);
        }
    }
    /* Same seed and stream, same bits; another stream, other bits. */
    cc_rng_init(&rng, seed, stream);
    cc_rng_init(&again, seed, stream);
    cc_rng_init(&other, seed, stream + 1);
    {
        int same = 1, differ = 0, k;
        for (k = 0; k < 100; k++) {
            uint64_t a = cc_rng_next(&rng), c = cc_rng_next(&again), o = cc_rng_next(&other);
            if (a != c) same = 0;
            if (a != o) differ++;
        }
        vok(same, fn, "same seed and stream: same 100 words", status);
        vok(differ >= 99, fn, "next stream: different words", status);
    }
    /* Uniform: 53 bits, in [0, 1), mean 1/2 (sd of the mean of n
     * uniforms is sqrt(1/(12 n))). */
    {
        const int n = 100000;
        double sum = 0.0, lo = 1.0, hi = 0.0;
        int whole = 1, k;
        cc_rng_init(&rng, 1, 0);
        for (k = 0; k < n; k++) {
            double u = cc_rng_uniform(&rng);
            double scaled = u * 9007199254740992.0;  /* 2^53 */
            if (scaled != floor(scaled)) whole = 0;
            if (u < lo) lo = u;
            if (u > hi) hi = u;
            sum += u;
        }
        vok(lo >= 0.0 && hi < 1.0, "cc_rng_uniform", "in [0, 1)", status);
        vok(whole, "cc_rng_uniform", "a multiple of 2^-53", status);
        vvd(sum / n, 0.5, 5.0 * sqrt(1.0 / (12.0 * n)), "cc_rng_uniform",
            "mean 1/2 within 5 sigma", status);
        vok(hi > 0.999 && lo < 0.001, "cc_rng_uniform", "covers the interval", status);
    }
}

/* Chi-square critical value at upper tail probability 1e-4, Wilson and
 * Hilferty (1931): df (1 - 2/(9 df) + z sqrt(2/(9 df)))^3, z = 3.7190. */
static double chi2_critical(double df)
{
    const double a = 2.0 / (9.0 * df);
    const double c = 1.0 - a + 3.7190 * sqrt(a);
    return df * c * c * c;
}

static double binomial_pmf(double n, double p, double k)
{
    return exp(lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1) + k * log(p) +
               (n - k) * log1p(-p));
}

/* Same signature as binomial_pmf; b is unused. */
static double poisson_pmf(double mean, double b, double k)
{
    (void)b;
    return exp(-mean + k * log(mean) - lgamma(k + 1));
}

/* Pearson chi-square of `draws` against pmf over 0..kmax: whole numbers
 * are pooled left to right into bins holding an expected count >= 20; the
 * mass beyond kmax goes to the last bin.  Returns 1 if the fit is
 * acceptable; writes the statistic and df. */
static int chi_square_fit(const double *draws, size_t n, double (*pmf)(double, double, double),
                          double a, double b, double kmax, double *stat, double *df)
{
    /* bin_of_k: bin index of each whole number 0..kmax */
    size_t K = (size_t)kmax + 1, k, i, nbins = 0;
    size_t *bin_of = malloc(K * sizeof *bin_of);
    double *expected = calloc(K, sizeof *expected);
    double *observed = calloc(K, sizeof *observed);
    double acc = 0.0, total_mass = 0.0, x2 = 0.0;
    int ok;
    if (bin_of == NULL || expected == NULL || observed == NULL) {
        free(bin_of);
        free(expected);
        free(observed);
        return 0;
    }
    for (k = 0; k < K; k++) {
        double mass = pmf(a, b, (double)k);
        total_mass += mass;
        acc += mass * (double)n;
        bin_of[k] = nbins;
        expected[nbins] += mass * (double)n;
        if (acc >= 20.0) {
            nbins++;
            acc = 0.0;
        }
    }
    if (acc > 0.0 || nbins == 0) nbins++;  /* the open last bin */
    expected[nbins - 1] += (1.0 - total_mass) * (double)n;
    for (k = 0; k < K; k++) if (bin_of[k] >= nbins) bin_of[k] = nbins - 1;
    /* A last bin that is too small joins its neighbour. */
    if (nbins > 1 && expected[nbins - 1] < 20.0) {
        expected[nbins - 2] += expected[nbins - 1];
        expected[nbins - 1] = 0.0;
        for (k = 0; k < K; k++) if (bin_of[k] == nbins - 1) bin_of[k] = nbins - 2;
        nbins--;
    }
    for (i = 0; i < n; i++) {
        double d = draws[i];
        size_t bin = d > kmax ? nbins - 1 : bin_of[(size_t)d];
        observed[bin] += 1.0;
    }
    for (i = 0; i < nbins; i++) {
        double diff = observed[i] - expected[i];
        x2 += diff * diff / expected[i];
    }
    *stat = x2;
    *df = (double)nbins - 1.0;
    ok = nbins >= 2 && x2 <= chi2_critical(*df);
    free(bin_of);
    free(expected);
    free(observed);
    return ok;
}

/* Draws, whole-number and range checks, moments, chi-square. */
static void check_binomial(double n, double p, size_t draws, uint64_t seed, int chi2,
                           int *status)
{
    static const char *fn = "cc_rng_binomial";
    double *x = malloc(draws * sizeof *x);
    double mean = 0.0, var = 0.0, sd;
    int whole = 1, in_range = 1;
    size_t i;
    char label[128];
    cc_rng rng;
    if (x == NULL) {
        vok(0, fn, "test could not allocate", status);
        return;
    }
    cc_rng_init(&rng, seed, 3);
    for (i = 0; i < draws; i++) {
        x[i] = cc_rng_binomial(&rng, n, p);
        if (x[i] != floor(x[i])) whole = 0;
        if (!(x[i] >= 0.0 && x[i] <= n)) in_range = 0;
        mean += x[i];
    }
    mean /= (double)draws;
    for (i = 0; i < draws; i++) var += (x[i] - mean) * (x[i] - mean);
    var /= (double)(draws - 1);
    sd = sqrt(n * p * (1.0 - p));
    snprintf(label, sizeof label, "B(%g, %g): whole numbers", n, p);
    vok(whole, fn, label, status);
    snprintf(label, sizeof label, "B(%g, %g): in 0..n", n, p);
    vok(in_range, fn, label, status);
    snprintf(label, sizeof label, "B(%g, %g): mean np within 5 sigma", n, p);
    vvd(mean, n * p, 5.0 * sd / sqrt((double)draws) + 1e-9 * n * p, fn, label, status);
    /* The sample variance has relative sd about sqrt(2 / draws) (plus the
     * excess-kurtosis term, small here). */
    snprintf(label, sizeof label, "B(%g, %g): variance np(1-p)", n, p);
    vvr(var, sd * sd, 6.0 * sqrt(2.0 / (double)draws), fn, label, status);
    if (chi2) {
        double stat = 0, df = 0;
        double kmax = n < 1e6 ? n : n * p + 12.0 * sd;
        int ok = chi_square_fit(x, draws, binomial_pmf, n, p, kmax, &stat, &df);
        snprintf(label, sizeof label, "B(%g, %g): chi-square %.1f on %.0f df below %.1f", n, p,
                 stat, df, chi2_critical(df));
        vok(ok, fn, label, status);
    }
    free(x);
}

static void check_poisson(double mean_ok, size_t draws, uint64_t seed, int chi2, int *status)
{
    static const char *fn = "cc_rng_poisson";
    double *x = malloc(draws * sizeof *x);
    double mean = 0.0, var = 0.0, kmax;
    int whole = 1, in_range = 1;
    size_t i;
    char label[128];
    cc_rng rng;
    if (x == NULL) {
        vok(0, fn, "test could not allocate", status);
        return;
    }
    cc_rng_init(&rng, seed, 5);
    for (i = 0; i < draws; i++) {
        x[i] = cc_rng_poisson(&rng, mean_ok);
        if (x[i] != floor(x[i])) whole = 0;
        if (!(x[i] >= 0.0)) in_range = 0;
        mean += x[i];
    }
    mean /= (double)draws;
    for (i = 0; i < draws; i++) var += (x[i] - mean) * (x[i] - mean);
    var /= (double)(draws - 1);
    snprintf(label, sizeof label, "P(%g): whole numbers", mean_ok);
    vok(whole, fn, label, status);
    snprintf(label, sizeof label, "P(%g): not negative", mean_ok);
    vok(in_range, fn, label, status);
    snprintf(label, sizeof label, "P(%g): mean within 5 sigma", mean_ok);
    vvd(mean, mean_ok, 5.0 * sqrt(mean_ok / (double)draws), fn, label, status);
    snprintf(label, sizeof label, "P(%g): variance equals the mean", mean_ok);
    vvr(var, mean_ok, 6.0 * sqrt(2.0 / (double)draws + 1.0 / (mean_ok * (double)draws)), fn,
        label, status);
    if (chi2) {
        double stat = 0, df = 0;
        int ok;
        kmax = floor(mean_ok + 12.0 * sqrt(mean_ok) + 20.0);
        ok = chi_square_fit(x, draws, poisson_pmf, mean_ok, 0.0, kmax, &stat, &df);
        snprintf(label, sizeof label, "P(%g): chi-square %.1f on %.0f df below %.1f", mean_ok,
                 stat, df, chi2_critical(df));
        vok(ok, fn, label, status);
    }
    free(x);
}

void t_cc_rng_binomial(int *status)
{
    static const char *fn = "cc_rng_binomial";
    cc_rng rng;
    cc_rng_init(&rng, 99, 0);
    /* Exact edges */
    veq(cc_rng_binomial(&rng, 10, 0.0), 0.0, fn, "B(10, 0) = 0", status);
    veq(cc_rng_binomial(&rng, 10, 1.0), 10.0, fn, "B(10, 1) = 10", status);
    veq(cc_rng_binomial(&rng, 0, 0.5), 0.0, fn, "B(0, 0.5) = 0", status);
    veq(cc_rng_binomial(&rng, 1e15, 1.0), 1e15, fn, "B(1e15, 1) = 1e15", status);
    /* Invalid arguments give 0 */
    veq(cc_rng_binomial(&rng, 2.5, 0.5), 0.0, fn, "n 2.5 (not whole) gives 0", status);
    veq(cc_rng_binomial(&rng, -1, 0.5), 0.0, fn, "n -1 gives 0", status);
    veq(cc_rng_binomial(&rng, NAN, 0.5), 0.0, fn, "n NaN gives 0", status);
    veq(cc_rng_binomial(&rng, INFINITY, 0.5), 0.0, fn, "n inf gives 0", status);
    veq(cc_rng_binomial(&rng, 10, 1.5), 0.0, fn, "p 1.5 gives 0", status);
    veq(cc_rng_binomial(&rng, 10, -0.1), 0.0, fn, "p -0.1 gives 0", status);
    veq(cc_rng_binomial(&rng, 10, NAN), 0.0, fn, "p NaN gives 0", status);
    /* Distributions: small n (inversion) to large n (splitting). */
    check_binomial(5, 0.3, 200000, 11, 1, status);
    check_binomial(20, 0.05, 200000, 12, 1, status);
    check_binomial(50, 0.97, 200000, 13, 1, status);
    check_binomial(1000, 0.5, 20000, 14, 1, status);
    check_binomial(100000, 0.01, 20000, 15, 1, status);
    check_binomial(1e9, 1e-7, 20000, 16, 1, status);
    check_binomial(1e12, 0.25, 2000, 17, 0, status);
    /* A probability below half an ulp of 1 (1 - p rounds to 1) with a
     * large n: B(1e15, 2e-17) has mean n p = 0.02, so about 2% of draws
     * are not 0; the mean of 200000 draws is 0.02 within 5 standard errors
     * (sd of the mean sqrt(0.02 / 200000) = 3.2e-4). */
    {
        const size_t draws = 200000;
        double sum = 0.0;
        size_t i;
        cc_rng_init(&rng, 18, 3);
        for (i = 0; i < draws; i++) sum += cc_rng_binomial(&rng, 1e15, 2e-17);
        vvd(sum / (double)draws, 0.02, 5.0 * sqrt(0.02 / (double)draws), fn,
            "B(1e15, 2e-17): mean n p = 0.02 (1 - p rounds to 1)", status);
    }
}

void t_cc_rng_poisson(int *status)
{
    static const char *fn = "cc_rng_poisson";
    cc_rng rng;
    cc_rng_init(&rng, 98, 0);
    veq(cc_rng_poisson(&rng, 0.0), 0.0, fn, "P(0) = 0", status);
    veq(cc_rng_poisson(&rng, -1.0), 0.0, fn, "mean -1 gives 0", status);
    veq(cc_rng_poisson(&rng, NAN), 0.0, fn, "mean NaN gives 0", status);
    veq(cc_rng_poisson(&rng, INFINITY), 0.0, fn, "mean inf gives 0", status);
    check_poisson(0.5, 200000, 21, 1, status);
    check_poisson(3.5, 200000, 22, 1, status);
    check_poisson(40, 100000, 23, 1, status);
    check_poisson(1000, 20000, 24, 1, status);
    check_poisson(12345.6, 20000, 25, 1, status);
    check_poisson(1e9, 2000, 26, 0, status);
}

/* ---- cc_simulate_batch --------------------------------------------------- */

enum { SIM_S = 3, SIM_F = 3, SIM_STEPS = 5, SIM_R = 400 };
static const int64_t sim_src[SIM_F] = {0, 0, 1};
static const int64_t sim_dst[SIM_F] = {1, 2, 2};

typedef struct sim_out {
    double occ[SIM_R * (SIM_STEPS + 1) * SIM_S];
    double moved[SIM_R * SIM_STEPS * SIM_F];
    double arrivals[SIM_R * SIM_STEPS * SIM_S];
} sim_out;

/* Exact bookkeeping of one replicate without advance: whole numbers, no
 * state drained below zero, per-state balance and conservation exact. */
static int sim_books_balance(const double *occ, const double *moved, const double *arrivals,
                             size_t steps)
{
    size_t t, s, f;
    for (t = 0; t <= steps; t++)
        for (s = 0; s < SIM_S; s++) {
            double v = occ[t * SIM_S + s];
            if (v != floor(v) || v < 0.0) return 0;
        }
    for (t = 0; t < steps; t++) {
        double y[SIM_S], out[SIM_S] = {0};
        for (s = 0; s < SIM_S; s++) y[s] = occ[t * SIM_S + s];
        for (f = 0; f < SIM_F; f++) {
            double mv = moved[t * SIM_F + f];
            if (mv != floor(mv) || mv < 0.0) return 0;
            out[sim_src[f]] += mv;
            y[sim_src[f]] -= mv;
            y[sim_dst[f]] += mv;
        }
        for (s = 0; s < SIM_S; s++) {
            double a = arrivals[t * SIM_S + s];
            if (a != floor(a) || a < 0.0) return 0;
            if (out[s] > occ[t * SIM_S + s]) return 0;
            if (y[s] + a != occ[(t + 1) * SIM_S + s]) return 0;
        }
    }
    return 1;
}

void t_cc_simulate_batch(int *status)
{
    static const char *fn = "cc_simulate_batch";
    const cc_structure m = {SIM_S, SIM_F, sim_src, sim_dst, NULL};
    const double p[SIM_F] = {0.2, 0.3, 0.5};
    const double inflow[SIM_S] = {30, 0, 0};
    const double x0[SIM_S] = {1000, 200, 0};
    sim_out *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    double det[(SIM_STEPS + 1) * SIM_S];
    double work[64];
    ptrdiff_t bad;
    size_t r, t, s, k;
    int rc;
    char label[128];

    if (a == NULL || b == NULL) {
        vok(0, fn, "test could not allocate", status);
        free(a);
        free(b);
        return;
    }

    bad = UNSET;
    rc = cc_simulate_batch(&m, SIM_R, SIM_STEPS, 1.0, CC_KIND_PROB, p, 0, 0, inflow, 0, 0, x0,
                           0, 42, 1, a->occ, a->moved, a->arrivals, &bad);
    viv(rc, CC_OK, fn, "400 replicates, prob kind", status);
    viv(bad, -1, fn, "bad_index -1", status);
    {
        int balanced = 1, row0 = 1;
        for (r = 0; r < SIM_R; r++) {
            if (!sim_books_balance(a->occ + r * (SIM_STEPS + 1) * SIM_S,
                                   a->moved + r * SIM_STEPS * SIM_F,
                                   a->arrivals + r * SIM_STEPS * SIM_S, SIM_STEPS))
                balanced = 0;
            for (s = 0; s < SIM_S; s++)
                if (a->occ[r * (SIM_STEPS + 1) * SIM_S + s] != x0[s]) row0 = 0;
        }
        vok(balanced, fn, "whole people; every state's books balance exactly", status);
        vok(row0, fn, "row 0 of every replicate is x0", status);
    }

    /* Expectations: E[x[t]] is the deterministic projection (the model is
     * linear in expectation), checked within 5 standard errors estimated
     * from the replicates themselves. */
    if (cc_project_workspace(&m) <= sizeof work / sizeof work[0]) {
        rc = cc_project(&m, SIM_STEPS, 1.0, CC_KIND_PROB, p, 0, inflow, 0, x0, work, det, NULL,
                        NULL, NULL);
        viv(rc, CC_OK, fn, "deterministic reference runs", status);
        for (t = 1; t <= SIM_STEPS; t++)
            for (s = 0; s < SIM_S; s++) {
                double mean = 0.0, var = 0.0;
                for (r = 0; r < SIM_R; r++) mean += a->occ[(r * (SIM_STEPS + 1) + t) * SIM_S + s];
                mean /= SIM_R;
                for (r = 0; r < SIM_R; r++) {
                    double d = a->occ[(r * (SIM_STEPS + 1) + t) * SIM_S + s] - mean;
                    var += d * d;
                }
                var /= SIM_R - 1;
                snprintf(label, sizeof label,
                         "mean occupancy[%zu][%zu] = projection within 5 s.e.", t, s);
                vvd(mean, det[t * SIM_S + s], 5.0 * sqrt(var / SIM_R) + 1e-9, fn, label, status);
            }
    }
    /* Step 0 by hand: moved ~ multinomial(1000; 0.2, 0.3) and (200; 0.5):
     * means 200, 300, 100, variances 1000*.2*.8 = 160, 1000*.3*.7 = 210,
     * 200*.5*.5 = 50; arrivals ~ Poisson(30). */
    {
        const double mean_ok[SIM_F] = {200, 300, 100}, var_ok[SIM_F] = {160, 210, 50};
        double arr = 0.0;
        size_t f;
        for (f = 0; f < SIM_F; f++) {
            double mean = 0.0;
            for (r = 0; r < SIM_R; r++) mean += a->moved[r * SIM_STEPS * SIM_F + f];
            mean /= SIM_R;
            snprintf(label, sizeof label, "step 0 moved[%zu] mean %.0f within 5 s.e.", f,
                     mean_ok[f]);
            vvd(mean, mean_ok[f], 5.0 * sqrt(var_ok[f] / SIM_R), fn, label, status);
        }
        for (r = 0; r < SIM_R; r++) arr += a->arrivals[r * SIM_STEPS * SIM_S];
        vvd(arr / SIM_R, 30.0, 5.0 * sqrt(30.0 / SIM_R), fn, "step 0 arrivals mean 30", status);
    }

    /* Multinomial split over three flows out of one state:
     * 0 -> 1, 2, 3 with p = 0.1, 0.2, 0.3 from 1000 people, one step;
     * moved means 100, 200, 300, variances n p (1 - p) = 90, 160, 210. */
    {
        enum { R3 = 2000 };
        const int64_t s3[3] = {0, 0, 0}, d3[3] = {1, 2, 3};
        const cc_structure m3 = {4, 3, s3, d3, NULL};
        const double p3[3] = {0.1, 0.2, 0.3};
        const double y0[4] = {1000, 0, 0, 0};
        const double mean_ok[3] = {100, 200, 300}, var_ok[3] = {90, 160, 210};
        double *o = malloc(R3 * 2 * 4 * sizeof *o), *mv = malloc(R3 * 3 * sizeof *mv);
        double *arr = malloc(R3 * 4 * sizeof *arr);
        size_t f;
        if (o != NULL && mv != NULL && arr != NULL) {
            rc = cc_simulate_batch(&m3, R3, 1, 1.0, CC_KIND_PROB, p3, 0, 0, NULL, 0, 0, y0, 0, 9,
                                   2, o, mv, arr, NULL);
            viv(rc, CC_OK, fn, "three-way split", status);
            for (f = 0; f < 3 && rc == CC_OK; f++) {
                double mean = 0.0;
                for (r = 0; r < R3; r++) mean += mv[r * 3 + f];
                mean /= R3;
                snprintf(label, sizeof label, "three-way split: moved[%zu] mean %.0f within 5 s.e.",
                         f, mean_ok[f]);
                vvd(mean, mean_ok[f], 5.0 * sqrt(var_ok[f] / R3), fn, label, status);
            }
        } else {
            vok(0, fn, "three-way split: test could not allocate", status);
        }
        free(o);
        free(mv);
        free(arr);
    }

    /* Same seed, same bits, whatever the number of threads. */
    {
        const size_t threads[4] = {0, 2, 3, 4};
        for (k = 0; k < 4; k++) {
            rc = cc_simulate_batch(&m, SIM_R, SIM_STEPS, 1.0, CC_KIND_PROB, p, 0, 0, inflow, 0,
                                   0, x0, 0, 42, threads[k], b->occ, b->moved, b->arrivals,
                                   NULL);
            snprintf(label, sizeof label, "seed 42, threads %zu: same bits as 1 thread",
                     threads[k]);
            viv(rc, CC_OK, fn, label, status);
            vbits(b->occ, a->occ, SIM_R * (SIM_STEPS + 1) * SIM_S, fn, label, status);
            vbits(b->moved, a->moved, SIM_R * SIM_STEPS * SIM_F, fn, label, status);
        }
    }
    /* moved and arrivals NULL ("as cc_project_batch", where they are
     * optional): the same paths. */
    cct_fill(b->occ, SIM_R * (SIM_STEPS + 1) * SIM_S, -1.0);
    rc = cc_simulate_batch(&m, SIM_R, SIM_STEPS, 1.0, CC_KIND_PROB, p, 0, 0, inflow, 0, 0, x0,
                           0, 42, 2, b->occ, NULL, NULL, NULL);
    viv(rc, CC_OK, fn, "moved, arrivals NULL accepted (as cc_project_batch)", status);
    if (rc == CC_OK)
        vbits(b->occ, a->occ, SIM_R * (SIM_STEPS + 1) * SIM_S, fn,
              "moved, arrivals NULL: same occupancy", status);
    /* Replicate r depends on nothing but (seed, r): replicates 0..2 of a
     * 3-replicate run equal those of the 400-replicate run. */
    rc = cc_simulate_batch(&m, 3, SIM_STEPS, 1.0, CC_KIND_PROB, p, 0, 0, inflow, 0, 0, x0, 0,
                           42, 1, b->occ, b->moved, b->arrivals, NULL);
    viv(rc, CC_OK, fn, "3 replicates", status);
    vbits(b->occ, a->occ, 3 * (SIM_STEPS + 1) * SIM_S, fn,
          "replicates 0-2 do not depend on how many others run", status);
    /* Another seed, other paths. */
    rc = cc_simulate_batch(&m, 3, SIM_STEPS, 1.0, CC_KIND_PROB, p, 0, 0, inflow, 0, 0, x0, 0,
                           43, 1, b->occ, b->moved, b->arrivals, NULL);
    viv(rc, CC_OK, fn, "seed 43", status);
    vok(memcmp(b->occ, a->occ, 3 * (SIM_STEPS + 1) * SIM_S * sizeof(double)) != 0, fn,
        "seed 43 differs from seed 42", status);
    /* Replicates differ from one another. */
    vok(memcmp(a->occ, a->occ + (SIM_STEPS + 1) * SIM_S,
               (SIM_STEPS + 1) * SIM_S * sizeof(double)) != 0,
        fn, "replicate 1 differs from replicate 0", status);

    /* Degenerate draws are exact: nobody moves at p = 0, everyone at p = 1,
     * and no inflow means no arrivals.  With p = 1 for 0 -> 2 and 1 -> 2:
     * [1000, 200, 0] -> [0, 0, 1200]. */
    {
        const double p0[SIM_F] = {0, 0, 0}, p1[SIM_F] = {0, 1, 1};
        const double zero_in[SIM_S] = {0, 0, 0};
        int exact = 1;
        rc = cc_simulate_batch(&m, 2, 2, 1.0, CC_KIND_PROB, p0, 0, 0, zero_in, 0, 0, x0, 0, 7,
                               1, b->occ, b->moved, b->arrivals, NULL);
        viv(rc, CC_OK, fn, "p = 0", status);
        for (k = 0; k < 2 * 3 * SIM_S; k++)
            if (b->occ[k] != x0[k % SIM_S]) exact = 0;
        vok(exact, fn, "p = 0, no inflow: everyone stays", status);
        rc = cc_simulate_batch(&m, 1, 1, 1.0, CC_KIND_PROB, p1, 0, 0, NULL, 0, 0, x0, 0, 7, 1,
                               b->occ, b->moved, b->arrivals, NULL);
        viv(rc, CC_OK, fn, "p = 1", status);
        veq(b->occ[3], 0.0, fn, "p = 1: state 0 empty", status);
        veq(b->occ[4], 0.0, fn, "p = 1: state 1 empty", status);
        veq(b->occ[5], 1200.0, fn, "p = 1: all 1200 in state 2", status);
        veq(b->moved[1], 1000.0, fn, "p = 1: moved 0->2 = 1000", status);
        veq(b->arrivals[0], 0.0, fn, "inflow NULL: no arrivals", status);
    }
    /* Rate kind, quarterly, 10^12 people: no hang, whole numbers, and the
     * share leaving in one step is 1 - e^{-0.25 * 0.5} to within 1e-5
     * (binomial sd / n = 3.3e-7). */
    {
        const int64_t s1[1] = {0}, d1[1] = {1};
        const cc_structure m1 = {2, 1, s1, d1, NULL};
        const double rate[1] = {0.5};
        const double big[2] = {1e12, 0};
        double o[2 * 2] = {-1, -1, -1, -1}, mv[1] = {-1}, arr[2];
        rc = cc_simulate_batch(&m1, 1, 1, 0.25, CC_KIND_RATE, rate, 0, 0, NULL, 0, 0, big, 0, 5,
                               1, o, mv, arr, NULL);
        viv(rc, CC_OK, fn, "10^12 people", status);
        vok(mv[0] == floor(mv[0]), fn, "10^12 people: whole number moved", status);
        vvr(mv[0] / 1e12, -expm1(-0.125), 1e-5, fn, "10^12 people: share 1 - e^-0.125", status);
        veq(o[2] + o[3], 1e12, fn, "10^12 people: nobody lost", status);
    }
    /* Advance map with whole people: [3, 5, 7, 0], advance [1, 2, 3, -1],
     * no flows, no inflow -> [0, 3, 5, 7 + 0] exactly. */
    {
        const int64_t adv[4] = {1, 2, 3, -1};
        const cc_structure ma = {4, 0, NULL, NULL, adv};
        const double none[1] = {0};
        const double y0[4] = {3, 5, 7, 0};
        double o[8] = {-1, -1, -1, -1, -1, -1, -1, -1}, mv[1], arr[4];
        rc = cc_simulate_batch(&ma, 1, 1, 1.0, CC_KIND_RATE, none, 0, 0, NULL, 0, 0, y0, 0, 1, 1,
                               o, mv, arr, NULL);
        viv(rc, CC_OK, fn, "advance only", status);
        veq(o[4], 0.0, fn, "advance: x1[0] = 0", status);
        veq(o[5], 3.0, fn, "advance: x1[1] = 3", status);
        veq(o[6], 5.0, fn, "advance: x1[2] = 5", status);
        veq(o[7], 7.0, fn, "advance: x1[3] = 7", status);
    }

    /* Ageing chain with exits, time-varying rates and Poisson entries,
     * monthly: whole people, and sum x[t+1] = sum x[t] + sum arrivals[t]
     * exactly in every replicate and step. */
    {
        enum { AS = 5, AF = 4, AT = 24, AR = 8 };
        const int64_t as[AF] = {0, 1, 2, 3}, ad[AF] = {4, 4, 4, 4};
        const int64_t adv[AS] = {1, 2, 3, 4, -1};
        const cc_structure mc = {AS, AF, as, ad, adv};
        double rates[AT * AF], entries[AT * AS];
        const double y0[AS] = {40, 30, 20, 10, 0};
        double *o = malloc(AR * (AT + 1) * AS * sizeof *o);
        double *mv = malloc(AR * AT * AF * sizeof *mv);
        double *arr = malloc(AR * AT * AS * sizeof *arr);
        for (k = 0; k < AT * AF; k++) rates[k] = 0.1 + 0.05 * (double)(k % 7);
        for (k = 0; k < AT * AS; k++) entries[k] = k % AS == 0 ? 2.5 : 0.0;
        if (o != NULL && mv != NULL && arr != NULL) {
            int whole = 1, conserved = 1;
            rc = cc_simulate_batch(&mc, AR, AT, 1.0 / 12.0, CC_KIND_RATE, rates, 0, AF, entries,
                                   0, AS, y0, 0, 77, 2, o, mv, arr, NULL);
            viv(rc, CC_OK, fn, "ageing chain, monthly", status);
            for (r = 0; r < AR && rc == CC_OK; r++)
                for (t = 0; t < AT; t++) {
                    double before = 0.0, after = 0.0, in = 0.0;
                    for (s = 0; s < AS; s++) {
                        before += o[(r * (AT + 1) + t) * AS + s];
                        after += o[(r * (AT + 1) + t + 1) * AS + s];
                        in += arr[(r * AT + t) * AS + s];
                        if (o[(r * (AT + 1) + t + 1) * AS + s] !=
                            floor(o[(r * (AT + 1) + t + 1) * AS + s]))
                            whole = 0;
                    }
                    if (after != before + in) conserved = 0;
                }
            vok(whole, fn, "ageing chain: whole people", status);
            vok(conserved, fn, "ageing chain: people conserved exactly", status);
        } else {
            vok(0, fn, "ageing chain: test could not allocate", status);
        }
        free(o);
        free(mv);
        free(arr);
    }

    /* Errors, with the replicate offset in bad_index. */
    {
        double xr[3 * SIM_S] = {1000, 200, 0, 1000, 200, 0, 1000, 200, 0};
        double in_r[3 * SIM_S] = {30, 0, 0, 30, 0, 0, 30, 0, 0};
        xr[2 * SIM_S + 1] = 200.5;
        bad = UNSET;
        rc = cc_simulate_batch(&m, 3, SIM_STEPS, 1.0, CC_KIND_PROB, p, 0, 0, inflow, 0, 0, xr,
                               SIM_S, 42, 2, b->occ, b->moved, b->arrivals, &bad);
        viv(rc, CC_EARG, fn, "x0 200.5 (not whole) in replicate 2", status);
        viv(bad, 2 * SIM_S + 1, fn, "x0 not whole: bad_index r*S+s = 7", status);
        xr[2 * SIM_S + 1] = -1.0;
        rc = cc_simulate_batch(&m, 3, SIM_STEPS, 1.0, CC_KIND_PROB, p, 0, 0, inflow, 0, 0, xr,
                               SIM_S, 42, 2, b->occ, b->moved, b->arrivals, &bad);
        viv(rc, CC_ENEGATIVE, fn, "x0 negative in replicate 2", status);
        viv(bad, 2 * SIM_S + 1, fn, "x0 negative: bad_index 7", status);
        xr[2 * SIM_S + 1] = 200.0;
        in_r[1 * SIM_S + 2] = NAN;
        rc = cc_simulate_batch(&m, 3, SIM_STEPS, 1.0, CC_KIND_PROB, p, 0, 0, in_r, SIM_S, 0, xr,
                               SIM_S, 42, 2, b->occ, b->moved, b->arrivals, &bad);
        viv(rc, CC_ENONFINITE, fn, "inflow NaN in replicate 1", status);
        viv(bad, 1 * SIM_S + 2, fn, "inflow NaN: bad_index r*S+s = 5", status);
        {
            const double pbad[SIM_F] = {0.6, 0.6, 0.5};
            rc = cc_simulate_batch(&m, 3, SIM_STEPS, 1.0, CC_KIND_PROB, pbad, 0, 0, NULL, 0, 0,
                                   x0, 0, 42, 1, b->occ, b->moved, b->arrivals, &bad);
            viv(rc, CC_EPROBSUM, fn, "probabilities 0.6 + 0.6", status);
        }
        rc = cc_simulate_batch(&m, 3, SIM_STEPS, 0.0, CC_KIND_PROB, p, 0, 0, NULL, 0, 0, x0, 0,
                               42, 1, b->occ, b->moved, b->arrivals, &bad);
        viv(rc, CC_EDT, fn, "dt 0", status);
        rc = cc_simulate_batch(NULL, 3, SIM_STEPS, 1.0, CC_KIND_PROB, p, 0, 0, NULL, 0, 0, x0, 0,
                               42, 1, b->occ, b->moved, b->arrivals, &bad);
        viv(rc, CC_EARG, fn, "m NULL", status);
        rc = cc_simulate_batch(&m, 3, SIM_STEPS, 1.0, CC_KIND_PROB, p, 0, 0, NULL, 0, 0, x0, 0,
                               42, 1, NULL, b->moved, b->arrivals, &bad);
        viv(rc, CC_EARG, fn, "occupancy NULL", status);
    }
    free(a);
    free(b);
}

/* ---- cc_simulate_range --------------------------------------------------- */

void t_cc_simulate_range(int *status)
{
    static const char *fn = "cc_simulate_range";
    const cc_structure m = {SIM_S, SIM_F, sim_src, sim_dst, NULL};
    const double p[SIM_F] = {0.2, 0.3, 0.5};
    const double inflow[SIM_S] = {30, 0, 0};
    const double x0[SIM_S] = {1000, 200, 0};
    const size_t per_rep = (SIM_STEPS + 1) * SIM_S;
    sim_out *whole = malloc(sizeof *whole), *part = malloc(sizeof *part);
    ptrdiff_t bad;
    int rc, same = 1;

    if (whole == NULL || part == NULL) {
        vok(0, fn, "test could not allocate", status);
        free(whole);
        free(part);
        return;
    }
    /* Replicates 0..9 in one call against 3..9 as a range: the range's
     * replicate r is the whole run's replicate 3 + r, bit for bit. */
    rc = cc_simulate_batch(&m, 10, SIM_STEPS, 1.0, CC_KIND_PROB, p, 0, 0, inflow, 0, 0, x0, 0,
                           42, 2, whole->occ, whole->moved, whole->arrivals, &bad);
    viv(rc, CC_OK, fn, "the whole run", status);
    rc = cc_simulate_range(&m, 7, SIM_STEPS, 1.0, CC_KIND_PROB, p, 0, 0, inflow, 0, 0, x0, 0, 42,
                           3, 1, part->occ, part->moved, part->arrivals, &bad);
    viv(rc, CC_OK, fn, "replicates 3..9 as a range", status);
    if (memcmp(part->occ, whole->occ + 3 * per_rep, 7 * per_rep * sizeof(double)) != 0 ||
        memcmp(part->moved, whole->moved + 3 * SIM_STEPS * SIM_F,
               7 * SIM_STEPS * SIM_F * sizeof(double)) != 0)
        same = 0;
    vok(same, fn, "a range reproduces the same replicates of the whole run", status);
    rc = cc_simulate_range(&m, 1, SIM_STEPS, 1.0, CC_KIND_PROB, p, 0, 0, inflow, 0, 0, x0, 0, 42,
                           0, 1, part->occ, part->moved, part->arrivals, &bad);
    vok(rc == CC_OK && memcmp(part->occ, whole->occ, per_rep * sizeof(double)) == 0, fn,
        "first_replicate 0 is cc_simulate_batch", status);
    free(whole);
    free(part);
}
