/*
 * random.c - the Philox4x64-10 counter-based generator and exact binomial
 * and Poisson variates in O(1) expected time.
 *
 * Every draw comes from an explicit cc_rng the caller owns; nothing here
 * keeps state between calls.  The variates are exact in distribution (no
 * normal approximations: inversion for small means, rejection against the
 * exact probabilities for large ones), so a simulation's mean converges on
 * the deterministic projection however large the counts.
 */
#include <math.h>

#include "internal.h"

/* Multipliers and Weyl constants of Philox4x64 (Salmon et al. 2011, and
 * the Random123 library). */
#define PHILOX_M0 UINT64_C(0xD2E7470EE14C6C93)
#define PHILOX_M1 UINT64_C(0xCA5A826395121157)
#define PHILOX_W0 UINT64_C(0x9E3779B97F4A7C15)
#define PHILOX_W1 UINT64_C(0xBB67AE8584CAA73B)

/* The 128-bit product a * b as (hi, lo): with the compiler's 128-bit
 * integers where there are some, else from four 32-bit products (the same
 * bits either way). */
#if defined(__SIZEOF_INT128__)
static void mulhilo64(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo)
{
    __extension__ const unsigned __int128 product = (unsigned __int128)a * b;
    *hi = (uint64_t)(product >> 64);
    *lo = (uint64_t)product;
}
#else
static void mulhilo64(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo)
{
    const uint64_t a_lo = a & 0xffffffffu, a_hi = a >> 32;
    const uint64_t b_lo = b & 0xffffffffu, b_hi = b >> 32;
    const uint64_t p0 = a_lo * b_lo;
    const uint64_t p1 = a_lo * b_hi;
    const uint64_t p2 = a_hi * b_lo;
    const uint64_t p3 = a_hi * b_hi;
    const uint64_t middle = (p0 >> 32) + (p1 & 0xffffffffu) + (p2 & 0xffffffffu);
    *lo = (middle << 32) | (p0 & 0xffffffffu);
    *hi = p3 + (p1 >> 32) + (p2 >> 32) + (middle >> 32);
}
#endif

void cc_philox4x64(const uint64_t counter[4], const uint64_t key[2], uint64_t out[4])
{
    uint64_t c0 = counter[0], c1 = counter[1], c2 = counter[2], c3 = counter[3];
    uint64_t k0 = key[0], k1 = key[1];
    for (int round = 0; round < 10; round++) {
        uint64_t hi0, lo0, hi1, lo1;
        if (round > 0) {
            k0 += PHILOX_W0;
            k1 += PHILOX_W1;
        }
        mulhilo64(PHILOX_M0, c0, &hi0, &lo0);
        mulhilo64(PHILOX_M1, c2, &hi1, &lo1);
        c0 = hi1 ^ c1 ^ k0;
        c1 = lo1;
        c2 = hi0 ^ c3 ^ k1;
        c3 = lo0;
    }
    out[0] = c0;
    out[1] = c1;
    out[2] = c2;
    out[3] = c3;
}

void cc_rng_init(cc_rng *rng, uint64_t seed, uint64_t stream)
{
    rng->key[0] = seed;
    rng->key[1] = 0;
    rng->counter[0] = 0;
    rng->counter[1] = 0;
    rng->counter[2] = stream;
    rng->counter[3] = 0;
    rng->used = 4;
}

uint64_t cc_rng_next(cc_rng *rng)
{
    if (rng->used >= 4) {
        /* 2^64 blocks a stream: the counter's first word never wraps in
         * practice, but carry into the second for completeness. */
        if (++rng->counter[0] == 0) {
            ++rng->counter[1];
        }
        cc_philox4x64(rng->counter, rng->key, rng->block);
        rng->used = 0;
    }
    return rng->block[rng->used++];
}

double cc_rng_uniform(cc_rng *rng)
{
    return (double)(cc_rng_next(rng) >> 11) * 0x1.0p-53;
}

/* log(j!) - [(j + 1/2) log(j + 1) - (j + 1) + log(2 pi) / 2], the remainder
 * of Stirling's series for log Gamma(j + 1).  Whole j <= 15 from a table
 * (computed from lgamma in double precision: absolute error below 1e-15);
 * beyond, the series to the n^-7 term, n = j + 1, whose error is below the
 * next term 1 / (1188 n^9) < 1e-14. */
static double stirling_tail(double j)
{
    static const double table[16] = {
        0.08106146679532733,  0.04134069595540946,  0.027677925684997717,
        0.02079067210376584,  0.01664469118982126,  0.013876128823072875,
        0.011896709945893313, 0.010411265261973668, 0.00925546218270945,
        0.008330563433359472, 0.007573675487948961, 0.00694284010720736,
        0.006408994188003447, 0.0059513701127578145, 0.0055547335519641194,
        0.0052076559196052585};
    if (j <= 15.0) {
        return table[(int)j];
    }
    const double n = j + 1.0;
    const double n2 = n * n;
    return (1.0 / 12.0 - (1.0 / 360.0 - (1.0 / 1260.0 - 1.0 / (1680.0 * n2)) / n2) / n2) / n;
}

/* log(k!) - log(m!) for whole k, m >= 0, without the cancellation of two
 * large log-factorials: (k + 1/2) log1p(d / (m + 1)) + d log(m + 1) - d +
 * the difference of the Stirling remainders, d = k - m (the absolute error
 * grows like |d| 1e-15, not like k log k 1e-16). */
static double log_factorial_ratio(double k, double m)
{
    const double d = k - m;
    return (k + 0.5) * log1p(d / (m + 1.0)) + d * log(m + 1.0) - d + stirling_tail(k) -
           stirling_tail(m);
}

/* Below these means the draws are by inversion (O(mean) work, exact);
 * above, by transformed rejection (O(1) work). */
#define BINOMIAL_INVERSION_MEAN 10.0
#define POISSON_INVERSION_MEAN 10.0

/* Binomial by sequential inversion (Kachitvichyanukul and Schmeiser's BINV),
 * for n p <= BINOMIAL_INVERSION_MEAN and p <= 1/2, given log_q =
 * log1p(-p).  (1 - p)^n comes through log1p: with p below the rounding of
 * 1 - p (n huge, p tiny) pow(1 - p, n) would be exactly 1 and every draw 0. */
static double binomial_inversion(cc_rng *rng, double n, double p, double log_q)
{
    const double q = 1.0 - p;
    const double s = p / q;
    const double a = (n + 1.0) * s;
    const double first = exp(n * log_q);
    for (;;) {
        double r = first;
        double u = cc_rng_uniform(rng);
        double x = 0.0;
        while (u > r) {
            u -= r;
            x += 1.0;
            if (x > n) {
                break; /* rounding left mass unassigned: draw again */
            }
            r *= a / x - s;
        }
        if (x <= n) {
            return x;
        }
    }
}

/* Binomial by transformed rejection with squeeze: algorithm BTRS of
 * Hormann (1993), "The generation of binomial random variates", Journal of
 * Statistical Computation and Simulation 46, 101-110, for n p >= 10 and
 * p <= 1/2.  Two uniforms a try; about 80% of tries are accepted by the
 * box test without a logarithm.  The acceptance test compares with the
 * exact log probability ratio log f(k) / f(m) (m the mode), written so that
 * no large log-factorials cancel; the distribution is exact up to the
 * rounding of that test. */
static double binomial_btrs(cc_rng *rng, double n, double p)
{
    const double q = 1.0 - p;
    const double spq = sqrt(n * p * q);
    const double b = 1.15 + 2.53 * spq;
    const double a = -0.0873 + 0.0248 * b + 0.01 * p;
    const double c = n * p + 0.5;
    const double v_r = 0.92 - 4.2 / b;
    const double alpha = (2.83 + 5.1 / b) * spq;
    const double log_r = log(p) - log1p(-p);
    const double m = floor((n + 1.0) * p);
    for (;;) {
        const double u = cc_rng_uniform(rng) - 0.5;
        double v = cc_rng_uniform(rng);
        const double us = 0.5 - fabs(u);
        const double k = floor((2.0 * a / us + b) * u + c);
        if (!(k >= 0.0) || k > n) {
            continue; /* also us == 0, where k is -inf or NaN */
        }
        if (us >= 0.07 && v <= v_r) {
            return k;
        }
        v = log(v * alpha / (a / (us * us) + b));
        /* log f(k) - log f(m) = (k - m) log(p / q) - log(k! / m!)
         *                       - log((n - k)! / (n - m)!) */
        const double log_ratio = (k - m) * log_r - log_factorial_ratio(k, m) -
                                 log_factorial_ratio(n - k, n - m);
        if (v <= log_ratio) {
            return k;
        }
    }
}

double cc__binomial_logq(cc_rng *rng, double n, double p, double log_q)
{
    if (!(n > 0.0) || !(p > 0.0) || !isfinite(n) || n != floor(n) || !(p <= 1.0)) {
        return 0.0;
    }
    if (p >= 1.0) {
        return n;
    }
    if (p > 0.5) {
        return n - cc_rng_binomial(rng, n, 1.0 - p);
    }
    if (n * p < BINOMIAL_INVERSION_MEAN) {
        return binomial_inversion(rng, n, p, log_q);
    }
    return binomial_btrs(rng, n, p);
}

double cc_rng_binomial(cc_rng *rng, double n, double p)
{
    /* log1p(-p) only where inversion will use it (p <= 1/2). */
    return cc__binomial_logq(rng, n, p, p > 0.0 && p <= 0.5 ? log1p(-p) : 0.0);
}

/* Poisson by transformed rejection with squeeze: algorithm PTRS of Hormann
 * (1993), "The transformed rejection method for generating Poisson random
 * variables", Insurance: Mathematics and Economics 12, 39-45, for
 * mean >= 10, with the exact log probability written without cancelling
 * large terms (as in binomial_btrs). */
static double poisson_ptrs(cc_rng *rng, double mean)
{
    const double slam = sqrt(mean);
    const double b = 0.931 + 2.53 * slam;
    const double a = -0.059 + 0.02483 * b;
    const double log_inv_alpha = log(1.1239 + 1.1328 / (b - 3.4));
    const double v_r = 0.9277 - 3.6224 / (b - 2.0);
    const double half_log_2pi = 0.91893853320467274178;
    for (;;) {
        const double u = cc_rng_uniform(rng) - 0.5;
        const double v = cc_rng_uniform(rng);
        const double us = 0.5 - fabs(u);
        const double k = floor((2.0 * a / us + b) * u + mean + 0.43);
        if (us >= 0.07 && v <= v_r) {
            return k;
        }
        if (!(k >= 0.0) || (us < 0.013 && v > us)) {
            continue;
        }
        /* log f(k) = -mean + k log(mean) - log k!, with Stirling's form of
         * log k! and d = k + 1 - mean:
         * d - k log1p(d / mean) - log(k + 1) / 2 - log(2 pi) / 2 - tail(k). */
        const double d = k + 1.0 - mean;
        const double log_f = d - k * log1p(d / mean) - 0.5 * log(k + 1.0) - half_log_2pi -
                             stirling_tail(k);
        if (log(v) + log_inv_alpha - log(a / (us * us) + b) <= log_f) {
            return k;
        }
    }
}

double cc__poisson_p0(cc_rng *rng, double mean, double p0)
{
    if (!(mean > 0.0) || !isfinite(mean)) {
        return 0.0;
    }
    if (mean < POISSON_INVERSION_MEAN) {
        for (;;) {
            double term = p0, total = p0, x = 0.0;
            const double u = cc_rng_uniform(rng);
            while (u > total && x < 1000.0) {
                x += 1.0;
                term *= mean / x;
                total += term;
            }
            if (u <= total) {
                return x;
            }
        }
    }
    return poisson_ptrs(rng, mean);
}

double cc_rng_poisson(cc_rng *rng, double mean)
{
    const int small = mean > 0.0 && mean < POISSON_INVERSION_MEAN;
    return cc__poisson_p0(rng, mean, small ? exp(-mean) : 0.0);
}
