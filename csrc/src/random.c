/*
 * random.c - the Philox4x64-10 counter-based generator and exact binomial,
 * Poisson, gamma and beta variates.
 *
 * Every draw comes from an explicit cc_rng the caller owns; nothing here
 * keeps state between calls.  The variates are exact in distribution (no
 * normal approximations), so a simulation's mean converges on the
 * deterministic projection however large the counts.
 */
#include <math.h>

#include "internal.h"

/* Multipliers and Weyl constants of Philox4x64 (Salmon et al. 2011, and
 * the Random123 library). */
#define PHILOX_M0 UINT64_C(0xD2E7470EE14C6C93)
#define PHILOX_M1 UINT64_C(0xCA5A826395121157)
#define PHILOX_W0 UINT64_C(0x9E3779B97F4A7C15)
#define PHILOX_W1 UINT64_C(0xBB67AE8584CAA73B)

/* The 128-bit product a * b as (hi, lo), portably. */
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

/* (0, 1]: for logarithms. */
static double uniform_open(cc_rng *rng)
{
    return 1.0 - cc_rng_uniform(rng);
}

static double standard_normal(cc_rng *rng)
{
    /* Box and Muller (1958); one of the pair is used, so that each call
     * consumes a fixed number of words and no state is cached. */
    const double radius = sqrt(-2.0 * log(uniform_open(rng)));
    return radius * cos(2.0 * 3.14159265358979323846 * cc_rng_uniform(rng));
}

/* Gamma(shape, 1), shape > 0: Marsaglia and Tsang (2000), "A simple method
 * for generating gamma variables", ACM TOMS 26(3), with the shape < 1 boost
 * Gamma(a) = Gamma(a + 1) * U^(1/a). */
static double standard_gamma(cc_rng *rng, double shape)
{
    if (shape < 1.0) {
        const double boost = pow(uniform_open(rng), 1.0 / shape);
        return standard_gamma(rng, shape + 1.0) * boost;
    }
    const double d = shape - 1.0 / 3.0;
    const double c = 1.0 / sqrt(9.0 * d);
    for (;;) {
        double x, v;
        do {
            x = standard_normal(rng);
            v = 1.0 + c * x;
        } while (v <= 0.0);
        v = v * v * v;
        const double u = uniform_open(rng);
        if (u < 1.0 - 0.0331 * (x * x) * (x * x)) {
            return d * v;
        }
        if (log(u) < 0.5 * x * x + d * (1.0 - v + log(v))) {
            return d * v;
        }
    }
}

static double beta(cc_rng *rng, double a, double b)
{
    const double x = standard_gamma(rng, a);
    const double y = standard_gamma(rng, b);
    return x / (x + y);
}

/* Means up to this are drawn by inversion; exp(-30) is far from underflow. */
#define INVERSION_MEAN 30.0

/* Binomial by sequential inversion (Kachitvichyanukul and Schmeiser's BINV),
 * for n p <= INVERSION_MEAN and p <= 1/2. */
static double binomial_inversion(cc_rng *rng, double n, double p)
{
    const double q = 1.0 - p;
    const double s = p / q;
    const double a = (n + 1.0) * s;
    /* (1 - p)^n through log1p: with p below the rounding of 1 - p (n huge,
     * p tiny) pow(q, n) would be exactly 1 and every draw 0. */
    const double first = exp(n * log1p(-p));
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

double cc_rng_binomial(cc_rng *rng, double n, double p)
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
    if (n * p <= INVERSION_MEAN) {
        return binomial_inversion(rng, n, p);
    }
    /* The i-th smallest of n uniforms is Beta(i, n + 1 - i).  If it lies
     * above p, the count below p is among the i - 1 smaller ones, uniform
     * on (0, X); otherwise it is i plus the count among the n - i larger
     * ones, uniform on (X, 1).  Each split halves n. */
    const double i = floor((n + 1.0) / 2.0);
    const double x = beta(rng, i, n + 1.0 - i);
    if (x >= p) {
        return cc_rng_binomial(rng, i - 1.0, p / x);
    }
    return i + cc_rng_binomial(rng, n - i, (p - x) / (1.0 - x));
}

double cc_rng_poisson(cc_rng *rng, double mean)
{
    if (!(mean > 0.0) || !isfinite(mean)) {
        return 0.0;
    }
    if (mean <= INVERSION_MEAN) {
        const double first = exp(-mean);
        for (;;) {
            double term = first, total = first, x = 0.0;
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
    /* Arrivals of a unit-rate Poisson process on (0, mean]: the m-th comes
     * at X ~ Gamma(m).  If X < mean there are m plus Poisson(mean - X);
     * otherwise the first m - 1, uniform on (0, X), fall below mean
     * binomially. */
    const double m = floor(0.875 * mean);
    const double x = standard_gamma(rng, m);
    if (x < mean) {
        return m + cc_rng_poisson(rng, mean - x);
    }
    return cc_rng_binomial(rng, m - 1.0, mean / x);
}
