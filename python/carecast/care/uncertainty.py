"""Parameter uncertainty as data: distributions, declarations, a Gaussian copula, seeded draws.

A probabilistic sensitivity analysis (PSA) needs to say, for each input a
council is unsure of, how unsure: a distribution. This module holds

* distributions, each with ``sample(n, rng)`` (exact NumPy samplers) and,
  where a copula needs it, ``ppf(u)`` (the inverse CDF):

  - :class:`Gamma` for rates, e.g. :meth:`Gamma.from_counts` from events and
    exposure (the posterior of a Poisson rate under a Gamma prior);
  - :class:`GammaArray` for a whole array of such rates, e.g. a calibration's
    posteriors (:meth:`Uncertainty.from_calibration`), drawn chunk by chunk;
  - :class:`Beta` for shares, from counts or a mean and standard deviation;
  - :class:`Dirichlet` for mixes (shares that sum to one; no ``ppf``);
  - :class:`LogNormal` for unit costs and effect sizes, from a median and a
    percentile or from a range;
  - :class:`Uniform`, :class:`Triangular` for user-given ranges;
  - :class:`Samples` for a user's own sample (e.g. a calibration's draws);
  - :class:`Fixed`, a point mass (the deterministic run as a PSA of one value).

* :class:`Uncertain`, a declaration that one labelled position of a
  :class:`~carecast.care.parameters.CareParameters` field (or a field of one of
  a scenario's interventions) follows a distribution, e.g.
  ``Uncertain("weekly_cost", "agency_foster", LogNormal.from_percentile(1000, 0.95, 1400))``;

* :class:`Uncertainty`, a set of declarations with an optional correlation
  matrix between them (a Gaussian copula), that draws all inputs reproducibly
  from a seed and applies draw ``r`` to parameters and a scenario.

Decisions (where the design is silent)
--------------------------------------
* Reproducibility: ``numpy.random.SeedSequence(seed).spawn(len(inputs) + 2)``
  gives one generator per input in declaration order, one for the copula's
  normal scores and one for the chance (stochastic) simulation. All inputs are
  drawn before any model run (``draws x inputs`` numbers), so the values of draw
  ``r`` do not depend on chunking, threads or executor; appending an input does
  not change the draws of those declared before it.
* Inputs named in a correlation are drawn through the copula
  (``x = ppf(Phi(z))`` with ``z`` correlated standard normals); the others
  with their own sampler. A :class:`Dirichlet` cannot be correlated.
* Correlation matrices must be symmetric, have a unit diagonal and be
  positive semi-definite (smallest eigenvalue >= -1e-10); a semi-definite
  matrix is factorised by its eigen-decomposition, not Cholesky.
* Labelled positions: strings name placements or exit groups; numbers on the
  age and time-in-care axes are band lower bounds in years (not indices);
  ``...`` and ``slice(None)`` select whole axes. Around ``...`` entries find
  their axis by kind (names on placement / exit-group axes, numbers on age /
  time-in-care), so ``exit_rates[..., "residential", "returned_home"]`` means
  every age and time in care of that placement and exit group (NumPy would
  put ``"residential"`` on the time-in-care axis). Without ``...`` entries
  are positional. ``how="set"`` puts the drawn
  value at every selected element, ``how="scale"`` multiplies them by it, and
  ``how="share"`` (for a :class:`Dirichlet`) keeps the total over the last
  selected axis and splits it by the drawn shares.
* Inverse CDFs are computed here (SciPy is not a dependency): the normal by
  Acklam's rational approximation refined by a Halley step on ``math.erfc``
  (absolute error about 1e-15). Gamma and Beta by Newton steps on the
  logarithm of the smaller tail (``P`` below the median, ``Q`` above, so
  the upper tail keeps its relative accuracy), taken in ``log x`` inside a
  bracket (bisection when a step leaves it); a quantile below the smallest
  positive double is 0. The tails come from the series and continued
  fractions of the incomplete gamma and beta functions (as in Numerical
  Recipes) and, for Gamma from shape 100 within ``|eta| <= 1`` (probabilities
  above about 1e-23), from Temme's uniform asymptotic expansion (DLMF 8.12),
  whose coefficients are computed once in exact rationals. Tested against
  mpmath over probabilities 1e-10..1 - 1e-10: Gamma to 2e-15 relative from
  shape 100 (to 1e8) and 5e-14 x max(1, 1/shape) below (from 0.01); Beta to
  5e-14 x max(1, 1/a, (a + b)/1000). Time for 10,000 probabilities: a few
  milliseconds for any Gamma shape from 100 (published counts give shapes of
  1e5-1e7, where the series need O(sqrt(shape)) terms: seconds before),
  0.1 s for Beta(1e5, 2e5) (the continued fraction still needs
  O(sqrt(max(a, b))) terms).
* :meth:`Uncertainty.apply_many` builds a chunk of draws at once; it is the
  draw-by-draw :meth:`Uncertainty.apply` bit for bit (see its contract).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from carecast import checks
from carecast.care.parameters import CareParameters

__all__ = ["Distribution", "Gamma", "GammaArray", "Beta", "Dirichlet", "LogNormal", "Uniform", "Triangular", "Samples",
           "Fixed", "Uncertain", "Uncertainty", "Draws", "DrawError", "uncertainty_from_table", "normal_cdf", "normal_ppf"]


# ------------------------------------------------------------------ special functions
_erfc = np.frompyfunc(math.erfc, 1, 1)


def normal_cdf(z: Any) -> np.ndarray:
    """Standard normal CDF, ``0.5 * erfc(-z / sqrt(2))``, element by element."""
    z = np.asarray(z, dtype=np.float64)
    return 0.5 * np.asarray(_erfc(np.atleast_1d(-z / math.sqrt(2.0))), dtype=np.float64).reshape(z.shape)


def normal_ppf(u: Any) -> np.ndarray:
    """Standard normal inverse CDF (Acklam's approximation plus one Halley step, for ``u`` above about 5e-300)."""
    u = np.asarray(u, dtype=np.float64)
    a = (-3.969683028665376e01, 2.209460984245205e02, -2.759285104469687e02, 1.383577518672690e02,
         -3.066479806614716e01, 2.506628277459239e00)
    b = (-5.447609879822406e01, 1.615858368580409e02, -1.556989798598866e02, 6.680131188771972e01,
         -1.328068155288572e01)
    c = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e00, -2.549732539343734e00,
         4.374664141464968e00, 2.938163982698783e00)
    d = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00, 3.754408661907416e00)
    x = np.full(u.shape, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        lo, hi = u < 0.02425, u > 1 - 0.02425
        mid = ~lo & ~hi & (u > 0) & (u < 1)
        q = u[mid] - 0.5
        r = q * q
        x[mid] = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q / \
                 (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
        for mask, sign in ((lo & (u > 0), 1.0), (hi & (u < 1), -1.0)):
            qq = np.sqrt(-2 * np.log(np.where(sign > 0, u[mask], 1 - u[mask])))
            x[mask] = sign * (((((c[0] * qq + c[1]) * qq + c[2]) * qq + c[3]) * qq + c[4]) * qq + c[5]) / \
                      ((((d[0] * qq + d[1]) * qq + d[2]) * qq + d[3]) * qq + 1)
        # below |x| = 37 (u about 5e-300) the step's exp(x**2 / 2) would overflow; there u itself is
        # a subnormal number with few significant bits, and Acklam's value (relative error 1.2e-9) stands
        finite = np.isfinite(x) & (np.abs(x) < 37.0)
        e = normal_cdf(x[finite]) - u[finite]
        w = e * math.sqrt(2 * math.pi) * np.exp(x[finite] ** 2 / 2)
        x[finite] = x[finite] - w / (1 + x[finite] * w / 2)
    x[u == 0] = -np.inf
    x[u == 1] = np.inf
    return x


def _iterate(update, state: list[np.ndarray], limit: int = 5000) -> None:
    """Run ``update(state, active) -> converged`` on the unconverged elements only, at most ``limit`` times."""
    active = np.arange(state[0].shape[0])
    for i in range(1, limit + 1):
        sub = [s[active] for s in state]
        converged = update(sub, i)
        for s, v in zip(state, sub):
            s[active] = v
        active = active[~converged]
        if active.size == 0:
            return


def _gamma_series(a: float, x: np.ndarray) -> np.ndarray:
    """``sum_n x**n / (a (a+1) ... (a+n))``, so that ``P(a, x) = x**a e**-x / Gamma(a) * sum`` (for ``x < a + 1``)."""
    term = np.full(x.shape, 1.0 / a)
    total = term.copy()
    ap = np.full(x.shape, float(a))

    def step_series(st: list[np.ndarray], i: int) -> np.ndarray:
        xx, tt, tot, aa = st
        aa += 1
        tt *= xx / aa
        tot += tt
        return np.abs(tt) < np.abs(tot) * 1e-16

    state = [x.copy(), term, total, ap]
    _iterate(step_series, state)
    return state[2]


def _gamma_fraction(a: float, x: np.ndarray) -> np.ndarray:
    """Lentz's continued fraction ``h`` with ``Q(a, x) = x**a e**-x / Gamma(a) * h`` (for ``x >= a + 1``)."""
    tiny = 1e-300
    b = x + 1 - a
    c = np.full(x.shape, 1 / tiny)
    d = 1 / b
    h = d.copy()

    def step_cf(st: list[np.ndarray], i: int) -> np.ndarray:
        bb, cc, dd, hh = st
        an = -i * (i - a)
        bb += 2
        dd[:] = an * dd + bb
        dd[np.abs(dd) < tiny] = tiny
        cc[:] = bb + an / cc
        cc[np.abs(cc) < tiny] = tiny
        dd[:] = 1 / dd
        delta = dd * cc
        hh *= delta
        return np.abs(delta - 1) < 4e-16

    state = [b, c, d, h]
    _iterate(step_cf, state)
    return state[3]


def _gammainc(a: float, x: np.ndarray) -> np.ndarray:
    """Regularised lower incomplete gamma ``P(a, x)`` for scalar ``a > 0`` and ``x >= 0``."""
    x = np.asarray(x, dtype=np.float64)
    shape = x.shape
    x = x.ravel()
    out = np.zeros(x.shape)
    pos = x > 0
    lga = math.lgamma(a)
    series = pos & (x < a + 1)
    if series.any():
        xs = x[series]
        out[series] = _gamma_series(a, xs) * np.exp(-xs + a * np.log(xs) - lga)
    frac = pos & ~series
    if frac.any():
        xs = x[frac]
        out[frac] = 1 - np.exp(-xs + a * np.log(xs) - lga) * _gamma_fraction(a, xs)
    return out.reshape(shape)


#: log of the smallest positive double (5e-324): a quantile whose bracket ends below it is returned as 0.
_LOG_TINY = math.log(5e-324)


def _gamma_log_tails(a: float, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(log P, log Q, log(x * density))`` of Gamma(a, 1) at ``x > 0`` (series / continued fraction).

    In logarithms so that each tail keeps its relative accuracy (``Q`` from
    the fraction, not ``1 - P``) and a tiny ``P`` does not underflow.
    """
    with np.errstate(divide="ignore"):
        log_front = a * np.log(x) - x - math.lgamma(a)
    log_p, log_q = np.empty(x.shape), np.empty(x.shape)
    series = x < a + 1
    with np.errstate(divide="ignore"):
        if series.any():
            log_p[series] = log_front[series] + np.log(_gamma_series(a, x[series]))
            log_q[series] = np.log(-np.expm1(log_p[series]))
        frac = ~series
        if frac.any():
            log_q[frac] = log_front[frac] + np.log(_gamma_fraction(a, x[frac]))
            log_p[frac] = np.log(-np.expm1(log_q[frac]))
    return log_p, log_q, log_front


def _gamma_quantiles(a: float, u: np.ndarray, *, temme: bool) -> np.ndarray:
    """Gamma(a, 1) quantiles of ``u`` in (0, 1): Temme's expansion (``temme``) or the series / fraction.

    Newton steps on the logarithm of the smaller tail (``log P - log u`` for
    ``u <= 1/2``, ``log Q - log(1 - u)`` above, ``1 - u`` exact there) taken
    in ``w = log x`` (``x <- x exp(-step)``, so ``x`` keeps its own
    precision), from the Wilson-Hilferty value, inside a bracket in ``w``
    (bisection when a step leaves it). The bracket starts at
    ``x**a / Gamma(a + 1) = u`` (``P(a, x)`` never exceeds ``x**a / Gamma(a + 1)``,
    so the quantile is not below it) and ``a + 60 sqrt(a) + 800``. A
    quantile below half the smallest positive double is returned as 0.
    """
    tails = _temme_log_tails if temme else _gamma_log_tails
    shape = u.shape
    uu = u.ravel().astype(np.float64)
    below = uu <= 0.5
    log_target = np.where(below, np.log(uu), np.log(1.0 - uu))
    low = np.maximum((np.log(uu) + math.lgamma(a + 1)) / a, -746.0)
    high = np.full(uu.shape, math.log(a + 60 * math.sqrt(a) + 800))
    z = normal_ppf(uu)
    guess = a * (1 - 1 / (9 * a) + z / (3 * math.sqrt(a))) ** 3      # Wilson-Hilferty
    with np.errstate(divide="ignore", invalid="ignore"):
        w0 = np.where(np.isfinite(guess) & (guess > 0), np.log(guess), low)
    x = np.exp(np.clip(w0, np.maximum(low, -745.0), high))

    def step(st: list[np.ndarray], i: int) -> np.ndarray:
        xx, target, lo, hi, side = st
        w = np.log(xx)
        log_p, log_q, log_xd = tails(a, xx)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            gap = np.where(side, log_p - target, target - log_q)         # increasing in w
            slope = np.exp(log_xd - np.where(side, log_p, log_q))        # d gap / d w
            delta = gap / slope
            new = xx * np.exp(-delta)
        lo[:] = np.where(gap < 0, w, lo)
        hi[:] = np.where(gap > 0, w, hi)
        # a step out of the bracket is replaced by bisection, unless it is a last correction
        # (|step| < 1e-12) that only rounding puts on the bracket's edge
        bad = ~np.isfinite(new) | ((~(w - delta > lo) | ~(w - delta < hi)) & ~(np.abs(delta) < 1e-12))
        new = np.where(bad, np.exp(np.maximum(0.5 * (lo + hi), -745.0)), new)
        # Newton converges quadratically: after a step below 1e-13 the error is the tails' own rounding
        # (waiting for a step below one ulp can loop for ever on that rounding)
        done = ((np.abs(delta) < 1e-13) & ~bad) | (gap == 0) | (hi - lo <= 4e-16 * np.maximum(1.0, np.abs(w))) \
            | (hi < _LOG_TINY + 1e-9)
        xx[:] = np.where(gap == 0, xx, new)
        return done

    state = [x, log_target, low.copy(), high, below]
    _iterate(step, state, limit=400)
    out = np.where(state[3] < _LOG_TINY + 1e-9, 0.0, state[0])    # below the smallest double: 0
    return out.reshape(shape)


def _betacf(a: float, b: float, x: np.ndarray) -> np.ndarray:
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1, a - 1
    c = np.ones(x.shape)
    d = 1 - qab * x / qap
    d = np.where(np.abs(d) < tiny, tiny, d)
    d = 1 / d
    h = d.copy()

    def clamp(v: np.ndarray) -> np.ndarray:
        return np.where(np.abs(v) < tiny, tiny, v)

    def step(st: list[np.ndarray], m: int) -> np.ndarray:
        xx, cc, dd, hh = st
        m2 = 2 * m
        aa = m * (b - m) * xx / ((qam + m2) * (a + m2))
        dd[:] = 1 / clamp(1 + aa * dd)
        cc[:] = clamp(1 + aa / cc)
        hh *= dd * cc
        aa = -(a + m) * (qab + m) * xx / ((a + m2) * (qap + m2))
        dd[:] = 1 / clamp(1 + aa * dd)
        cc[:] = clamp(1 + aa / cc)
        delta = dd * cc
        hh *= delta
        return np.abs(delta - 1) < 4e-16

    state = [x.copy(), c, d, h]
    _iterate(step, state)
    return state[3]


def _betainc(a: float, b: float, x: np.ndarray) -> np.ndarray:
    """Regularised incomplete beta ``I_x(a, b)`` for scalar ``a, b > 0``."""
    x = np.clip(np.asarray(x, dtype=np.float64), 0.0, 1.0)
    shape = x.shape
    x = x.ravel()
    out = np.where(x >= 1, 1.0, 0.0)
    inside = (x > 0) & (x < 1)
    if not inside.any():
        return out.reshape(shape)
    xs = x[inside]
    lbeta = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
    front = np.exp(lbeta + a * np.log(xs) + b * np.log1p(-xs))
    direct = xs < (a + 1) / (a + b + 2)
    res = np.empty(xs.shape)
    if direct.any():
        res[direct] = front[direct] * _betacf(a, b, xs[direct]) / a
    if (~direct).any():
        res[~direct] = 1 - front[~direct] * _betacf(b, a, 1 - xs[~direct]) / b
    out[inside] = res
    return out.reshape(shape)


def _beta_log_lower(a: float, b: float, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(log I_x(a, b), log(x * density))`` at ``x = exp(w)``, ``w <= 0`` (continued fractions)."""
    x = np.exp(w)
    log_b = math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_rest = np.log1p(-x)
        log_front = a * w + b * log_rest - log_b            # log(x**a (1 - x)**b / B(a, b))
        log_i = np.empty(w.shape)
        direct = x < (a + 1) / (a + b + 2)
        if direct.any():
            log_i[direct] = log_front[direct] + np.log(_betacf(a, b, x[direct])) - math.log(a)
        other = ~direct
        if other.any():
            upper = np.exp(log_front[other] + np.log(_betacf(b, a, 1 - x[other])) - math.log(b))
            log_i[other] = np.log1p(-upper)
        return log_i, log_front - log_rest


def _beta_ppf_lower(a: float, b: float, u: np.ndarray) -> np.ndarray:
    """Beta(a, b) quantiles of ``u`` in (0, 1/2]: Newton steps in ``w = log x`` on ``log I_x(a, b) - log u``
    (``x <- x exp(-step)``), from Abramowitz & Stegun 26.5.22 (``a, b > 1``) or ``x**a / (a B(a, b)) = u``,
    inside a bracket ``[-745, 0]`` in ``w`` (bisection when a step leaves it); a quantile below half the
    smallest double is 0."""
    if u.size == 0:
        return np.zeros(0)
    log_u = np.log(u)
    log_b = math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)
    small = (log_u + math.log(a) + log_b) / a               # I_x is about x**a / (a B(a, b)) near 0
    w = np.minimum(small, math.log(a / (a + b)))
    if a > 1 and b > 1:                                       # Abramowitz & Stegun 26.5.22
        y = -normal_ppf(u)
        lam = (y * y - 3) / 6
        h = 2 / (1 / (2 * a - 1) + 1 / (2 * b - 1))
        v = y * np.sqrt(h + lam) / h - (1 / (2 * b - 1) - 1 / (2 * a - 1)) * (lam + 5 / 6 - 2 / (3 * h))
        with np.errstate(over="ignore"):
            w = np.where(np.isfinite(v), -np.log1p(b / a * np.exp(2 * v)), w)
    x = np.exp(np.clip(w, -745.0, -1e-300))

    def step(st: list[np.ndarray], i: int) -> np.ndarray:
        xx, target, lo, hi = st
        ww = np.log(xx)
        log_i, log_slope = _beta_log_lower(a, b, ww)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            gap = log_i - target
            delta = gap / np.exp(log_slope - log_i)
            new = xx * np.exp(-delta)
        lo[:] = np.where(gap < 0, ww, lo)
        hi[:] = np.where(gap > 0, ww, hi)
        bad = ~np.isfinite(new) | ((~(ww - delta > lo) | ~(ww - delta < hi)) & ~(np.abs(delta) < 1e-12)) | (new >= 1)
        new = np.where(bad, np.exp(np.maximum(0.5 * (lo + hi), -745.0)), new)
        done = ((np.abs(delta) < 1e-13) & ~bad) | (gap == 0) | (hi - lo <= 4e-16 * np.maximum(1.0, np.abs(ww))) \
            | (hi < _LOG_TINY + 1e-9)
        xx[:] = np.where(gap == 0, xx, new)
        return done

    state = [x, log_u, np.full(u.shape, -746.0), np.zeros(u.shape)]
    _iterate(step, state, limit=400)
    return np.where(state[3] < _LOG_TINY + 1e-9, 0.0, state[0])


#: Shapes from which Gamma's CDF and inverse CDF use Temme's uniform asymptotic expansion.
_TEMME_SHAPE = 100.0


@functools.lru_cache(maxsize=1)
def _temme_coefficients(terms: int = 10, powers: int = 30) -> tuple[np.ndarray, np.ndarray]:
    """Power-series coefficients ``c[k, n]`` of Temme's ``c_k(eta)`` and Stirling's ``g_k``, exactly in rationals.

    With ``lambda = x / a`` and ``eta**2 / 2 = lambda - 1 - log(lambda)``
    (``eta`` of the sign of ``lambda - 1``), DLMF 8.12.3-8.12.8 give
    ``Q(a, x) = erfc(eta sqrt(a/2)) / 2 + R`` and ``P = erfc(-eta sqrt(a/2)) / 2 - R``,
    ``R ~ exp(-a eta**2 / 2) / sqrt(2 pi a) * sum_k c_k(eta) a**-k``, with
    ``c_0 = 1/(lambda - 1) - 1/eta`` and ``c_k = c_{k-1}'(eta) / eta + (-1)**k g_k / (lambda - 1)``.
    The series of ``lambda - 1`` in ``eta`` follows from ``t t' = eta (1 + t)``
    (``t = lambda - 1``); each ``g_k`` is the number that cancels the pole of
    ``c_k`` at ``eta = 0``, which makes them the coefficients of Stirling's
    series ``Gamma(a) ~ sqrt(2 pi / a) (a / e)**a sum_k g_k a**-k`` (1, 1/12,
    1/288, -139/51840, ...; a test checks them). Computed once, in about 10 ms.
    The series converge for ``|eta| < 2 sqrt(pi)``.
    """
    from fractions import Fraction

    m_max = powers + 2 * terms + 2
    t = [Fraction(0), Fraction(1)]
    for m in range(2, m_max + 1):
        cross = sum(((m + 1 - i) * t[i] * t[m + 1 - i] for i in range(2, m)), Fraction(0))
        t.append((t[m - 1] - cross) / (m + 1))
    ratio = [t[n + 1] for n in range(m_max)]          # t / eta = 1 + eta/3 + eta**2/36 + ...
    inverse = [Fraction(1)]                           # eta / t
    for n in range(1, m_max):
        inverse.append(-sum((ratio[j] * inverse[n - j] for j in range(1, n + 1)), Fraction(0)))
    c = [inverse[n + 1] for n in range(m_max - 1)]   # c_0 = (eta/t - 1) / eta
    rows, g = [c], [Fraction(1)]
    for k in range(1, terms):
        prev = rows[-1]
        g_k = (-1) ** (k + 1) * prev[1]
        g.append(g_k)
        rows.append([(m + 2) * prev[m + 2] + (-1) ** k * g_k * inverse[m + 1] for m in range(len(prev) - 2)])
    table = np.array([[float(v) for v in row[:powers]] for row in rows])
    return table, np.array([float(v) for v in g])


def _half_eta_squared(t: np.ndarray) -> np.ndarray:
    """``t - log(1 + t)`` (``= eta**2 / 2`` for ``t = lambda - 1``), by its series where it would cancel."""
    out = np.empty(t.shape)
    small = np.abs(t) < 0.2
    ts = t[small]
    acc = np.zeros(ts.shape)
    for k in range(28, 1, -1):                      # sum_{k>=2} (-t)**k / k; 0.2**28 / 28 < 1e-21
        acc = acc * -ts + 1.0 / k
    out[small] = acc * ts * ts
    big = ~small
    with np.errstate(divide="ignore"):
        out[big] = t[big] - np.log1p(t[big])
    return out


def _temme_pq(a: float, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(P(a, x), Q(a, x), density)`` of Gamma(a, 1) for scalar ``a >= _TEMME_SHAPE`` and ``x > 0``.

    Temme's expansion (see :func:`_temme_coefficients`); the terms kept are
    those with ``a**-k * max|c_k| > 1e-18``. The density is written in the
    same variables, ``exp(-a eta**2 / 2) sqrt(a / (2 pi)) / (x Gamma*(a))``,
    so that no ``a log x`` (about 2e9 for a = 1e8) has to cancel.
    """
    table, g = _temme_coefficients()
    t = (x - a) / a
    half = _half_eta_squared(t)
    eta = np.sign(t) * np.sqrt(2.0 * half)
    y = eta * math.sqrt(a / 2.0)
    lower = 0.5 * np.asarray(_erfc(np.atleast_1d(-y)), dtype=np.float64).reshape(y.shape)
    upper = 0.5 * np.asarray(_erfc(np.atleast_1d(y)), dtype=np.float64).reshape(y.shape)
    total = np.zeros(x.shape)
    for k in range(table.shape[0] - 1, -1, -1):
        if a ** -k * np.abs(table[k]).max() < 1e-18:
            continue
        row = np.zeros(x.shape)
        for coef in table[k, ::-1]:
            row = row * eta + coef
        total += row * a ** -k
    far = np.abs(eta) > 0.5                          # c_0 in closed form where it does not cancel
    if far.any():
        with np.errstate(divide="ignore", invalid="ignore"):
            exact0 = 1.0 / t[far] - 1.0 / eta[far]
        series0 = np.zeros(exact0.shape)
        for coef in table[0, ::-1]:
            series0 = series0 * eta[far] + coef
        total[far] += exact0 - series0
    with np.errstate(under="ignore"):
        weight = np.exp(-a * half)
    r = weight / math.sqrt(2 * math.pi * a) * total
    gamma_star = float(np.polyval(g[::-1], 1.0 / a))
    with np.errstate(divide="ignore", under="ignore"):
        density = weight * math.sqrt(a / (2 * math.pi)) / (x * gamma_star)
    return np.clip(lower - r, 0.0, 1.0), np.clip(upper + r, 0.0, 1.0), density


def _temme_log_tails(a: float, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_gamma_log_tails` by Temme's expansion (``a >= _TEMME_SHAPE``)."""
    p, q, density = _temme_pq(a, x)
    with np.errstate(divide="ignore"):
        return np.log(p), np.log(q), np.log(density * x)


def _check_u(u: Any) -> np.ndarray:
    u = np.asarray(u, dtype=np.float64)
    if np.any(~np.isfinite(u)) or np.any((u < 0) | (u > 1)):
        raise ValueError("u must hold probabilities in [0, 1]")
    return u


def _positive(owner: str, name: str, value: Any, *, allow_zero: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{owner}: {name} must be a number, got {value!r}")
    v = float(value)
    if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        raise ValueError(f"{owner}: {name} must be finite and {'>= 0' if allow_zero else '> 0'}, got {value!r}")
    return v


def _finite(owner: str, name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{owner}: {name} must be a number, got {value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{owner}: {name} must be finite, got {value!r}")
    return v


def _check_n(n: Any) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"n must be a non-negative integer, got {n!r}")
    return int(n)


# ------------------------------------------------------------------ distributions
class Distribution:
    """Base class: ``sample(n, rng)``, ``ppf(u)``, ``mean``, ``describe()``.

    ``size`` is 1 for a scalar distribution (samples of shape ``(n,)``) and
    ``k`` for a vector one (samples ``(n, k)``).
    """

    size: int = 1

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def ppf(self, u: Any) -> np.ndarray:
        raise TypeError(f"{type(self).__name__} has no inverse CDF, so it cannot be correlated")

    @property
    def mean(self) -> Any:
        raise NotImplementedError

    def describe(self) -> str:
        fields = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in dataclasses.fields(self)  # type: ignore[arg-type]
                           if f.name != "source")
        source = getattr(self, "source", "")
        return f"{type(self).__name__}({fields})" + (f" [source: {source}]" if source else " [assumption]")


@dataclass(frozen=True)
class Fixed(Distribution):
    """A point mass at ``value``: every draw is ``value``."""

    value: float
    source: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", _finite("Fixed", "value", self.value))

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return np.full(_check_n(n), self.value)

    def ppf(self, u: Any) -> np.ndarray:
        return np.full(_check_u(u).shape, self.value)

    @property
    def mean(self) -> float:
        return self.value


@dataclass(frozen=True)
class Gamma(Distribution):
    """Gamma with ``shape`` and ``rate`` (mean ``shape / rate``), for hazards per year.

    Examples
    --------
    40 returns home in 200 child-years in care, with a vague Gamma(0.5, 0) prior:

    >>> g = Gamma.from_counts(events=40, exposure=200.0)
    >>> g.shape, g.rate, round(g.mean, 4)
    (40.5, 200.0, 0.2025)
    """

    shape: float
    rate: float
    source: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "shape", _positive("Gamma", "shape", self.shape))
        object.__setattr__(self, "rate", _positive("Gamma", "rate", self.rate))

    @classmethod
    def from_counts(cls, events: float, exposure: float, *, prior_shape: float = 0.5,
                    prior_rate: float = 0.0, source: str = "") -> Gamma:
        """Posterior of a Poisson rate: ``Gamma(events + prior_shape, exposure + prior_rate)``.

        ``exposure`` is in years at risk (child-years); the default prior is
        Jeffreys' (shape 1/2, rate 0), so zero events still give a proper
        distribution.
        """
        events = _positive("Gamma.from_counts", "events", events, allow_zero=True)
        exposure = _positive("Gamma.from_counts", "exposure", exposure)
        return cls(events + _positive("Gamma.from_counts", "prior_shape", prior_shape),
                   exposure + _positive("Gamma.from_counts", "prior_rate", prior_rate, allow_zero=True),
                   source)

    @classmethod
    def from_mean_sd(cls, mean: float, sd: float, *, source: str = "") -> Gamma:
        """Gamma with the given mean and standard deviation (shape ``(mean/sd)^2``)."""
        mean = _positive("Gamma.from_mean_sd", "mean", mean)
        sd = _positive("Gamma.from_mean_sd", "sd", sd)
        return cls((mean / sd) ** 2, mean / sd ** 2, source)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return rng.gamma(self.shape, 1.0 / self.rate, size=_check_n(n))

    def cdf(self, x: Any) -> np.ndarray:
        y = np.maximum(np.asarray(x, dtype=np.float64), 0.0) * self.rate
        if self.shape < _TEMME_SHAPE:
            return _gammainc(self.shape, y)
        shape = y.shape
        y = y.ravel()
        out = np.where(y == np.inf, 1.0, 0.0)
        pos = (y > 0) & (y < np.inf)
        near = np.zeros(y.shape, dtype=bool)
        near[pos] = _half_eta_squared((y[pos] - self.shape) / self.shape) <= 0.5      # |eta| <= 1
        out[near] = _temme_pq(self.shape, y[near])[0]
        out[pos & ~near] = _gammainc(self.shape, y[pos & ~near])
        return out.reshape(shape)

    def ppf(self, u: Any) -> np.ndarray:
        """Inverse CDF (``u`` in [0, 1]); Temme's expansion for ``shape >= 100``, see the module notes."""
        u = _check_u(u)
        if self.shape < _TEMME_SHAPE:
            return self._ppf_general(u)
        inside = (u > 0) & (u < 1)
        x = np.where(u == 0, 0.0, np.inf)
        uu = u[inside]
        # Temme's series are kept to 1e-15 for |eta| up to about 1; a quantile beyond (|z| > sqrt(shape),
        # u below 1e-23 from shape 100) is found with the series / fraction, which converge fast there
        far = np.abs(normal_ppf(uu)) > math.sqrt(self.shape)
        out = np.empty(uu.shape)
        out[~far] = _gamma_quantiles(self.shape, uu[~far], temme=True)
        out[far] = _gamma_quantiles(self.shape, uu[far], temme=False)
        x[inside] = out
        return x / self.rate

    def _ppf_general(self, u: Any) -> np.ndarray:
        """Inverse CDF by the series / continued fraction (any shape; slow for large ones)."""
        u = _check_u(u)
        inside = (u > 0) & (u < 1)
        x = np.where(u == 0, 0.0, np.inf)
        x[inside] = _gamma_quantiles(self.shape, u[inside], temme=False)
        return x / self.rate

    @property
    def mean(self) -> float:
        return self.shape / self.rate


@dataclass(frozen=True)
class Beta(Distribution):
    """Beta(``a``, ``b``) for shares in [0, 1].

    Examples
    --------
    >>> Beta.from_counts(successes=30, trials=100)     # uniform prior Beta(1, 1)
    Beta(a=31.0, b=71.0, source='')
    >>> b = Beta.from_mean_sd(0.3, 0.1)
    >>> round(b.a, 6), round(b.b, 6)
    (6.0, 14.0)
    """

    a: float
    b: float
    source: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "a", _positive("Beta", "a", self.a))
        object.__setattr__(self, "b", _positive("Beta", "b", self.b))

    @classmethod
    def from_counts(cls, successes: float, trials: float, *, prior: tuple[float, float] = (1.0, 1.0),
                    source: str = "") -> Beta:
        """Posterior of a share: ``Beta(successes + prior[0], trials - successes + prior[1])``."""
        s = _positive("Beta.from_counts", "successes", successes, allow_zero=True)
        t = _positive("Beta.from_counts", "trials", trials, allow_zero=True)
        if s > t:
            raise ValueError(f"Beta.from_counts: successes ({s:g}) must not exceed trials ({t:g})")
        return cls(s + prior[0], t - s + prior[1], source)

    @classmethod
    def from_mean_sd(cls, mean: float, sd: float, *, source: str = "") -> Beta:
        """Beta with the given mean and standard deviation (method of moments)."""
        m = _positive("Beta.from_mean_sd", "mean", mean)
        s = _positive("Beta.from_mean_sd", "sd", sd)
        if not m < 1:
            raise ValueError(f"Beta.from_mean_sd: mean must be in (0, 1), got {mean!r}")
        if not s * s < m * (1 - m):
            raise ValueError(f"Beta.from_mean_sd: sd must be below sqrt(mean (1 - mean)) = "
                             f"{math.sqrt(m * (1 - m)):.4g}, got {sd!r}")
        k = m * (1 - m) / (s * s) - 1
        return cls(m * k, (1 - m) * k, source)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return rng.beta(self.a, self.b, size=_check_n(n))

    def cdf(self, x: Any) -> np.ndarray:
        return _betainc(self.a, self.b, np.asarray(x, dtype=np.float64))

    def ppf(self, u: Any) -> np.ndarray:
        """Inverse CDF (``u`` in [0, 1]): the lower tail solved directly, the upper one as ``1 - `` the
        lower-tail quantile of Beta(b, a) at ``1 - u`` (exact there), so each keeps its relative accuracy."""
        u = _check_u(u)
        inside = (u > 0) & (u < 1)
        x = np.where(u == 0, 0.0, 1.0)
        uu = u[inside]
        low = uu <= 0.5
        out = np.empty(uu.shape)
        out[low] = _beta_ppf_lower(self.a, self.b, uu[low])
        out[~low] = 1.0 - _beta_ppf_lower(self.b, self.a, 1.0 - uu[~low])
        x[inside] = out
        return x

    @property
    def mean(self) -> float:
        return self.a / (self.a + self.b)


@dataclass(frozen=True)
class Dirichlet(Distribution):
    """Dirichlet(``alpha``) for a mix of shares summing to one (e.g. first placements).

    Examples
    --------
    >>> d = Dirichlet.from_counts([30, 50, 20])       # prior 1 per category
    >>> d.alpha, d.size
    ((31.0, 51.0, 21.0), 3)
    """

    alpha: tuple[float, ...]
    source: str = ""

    def __post_init__(self) -> None:
        try:
            alpha = tuple(float(v) for v in self.alpha)
        except (TypeError, ValueError):
            raise TypeError(f"Dirichlet: alpha must be a sequence of numbers, got {self.alpha!r}") from None
        if len(alpha) < 2:
            raise ValueError("Dirichlet: alpha needs at least two categories")
        for i, v in enumerate(alpha):
            if not (math.isfinite(v) and v > 0):
                raise ValueError(f"Dirichlet: alpha[{i}] must be finite and > 0, got {v!r}")
        object.__setattr__(self, "alpha", alpha)

    @classmethod
    def from_counts(cls, counts: Sequence[float], *, prior: float = 1.0, source: str = "") -> Dirichlet:
        """Posterior of a mix: ``Dirichlet(counts + prior)``."""
        values = []
        for i, c in enumerate(counts):
            values.append(_positive("Dirichlet.from_counts", f"counts[{i}]", c, allow_zero=True) + prior)
        return cls(tuple(values), source)

    @property
    def size(self) -> int:  # type: ignore[override]
        return len(self.alpha)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return rng.dirichlet(self.alpha, size=_check_n(n))

    @property
    def mean(self) -> np.ndarray:
        a = np.array(self.alpha)
        return a / a.sum()


@dataclass(frozen=True, eq=False)
class GammaArray(Distribution):
    """Independent Gamma(``shape[i]``, ``rate[i]``) for every element of an array of rates.

    The posteriors of a calibration (:class:`carecast.ssda903.GammaRates`,
    from event counts and child-years) as one input: a draw is a whole
    array. Elements with ``shape == 0`` or ``rate == 0`` draw 0; the others
    are floored at 1e-12 a year (a Gamma with a tiny shape can underflow),
    as :meth:`Calibration.sample_parameters` does. A draw of the whole array
    is not stored for every draw at once (``draws x elements`` numbers); the
    PSA draws it chunk by chunk from the input's own stream and keeps, per
    draw, its level ``sum(draw) / sum(mean)`` for the sensitivity ranking.
    No ``ppf``: it cannot be correlated.

    Examples
    --------
    >>> g = GammaArray.from_counts(events=[[4, 0], [10, 2]], exposure=[[20.0, 5.0], [50.0, 10.0]])
    >>> g.mean.round(3).tolist()
    [[0.225, 0.1], [0.21, 0.25]]
    """

    shape: Any
    rate: Any
    source: str = ""

    def __post_init__(self) -> None:
        try:
            a = np.array(self.shape, dtype=np.float64)
            b = np.array(self.rate, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError("GammaArray: shape and rate must be arrays of numbers") from None
        if a.shape != b.shape:
            raise ValueError(f"GammaArray: shape has shape {a.shape} but rate has {b.shape}")
        for name, arr in (("shape", a), ("rate", b)):
            bad = np.argwhere(~np.isfinite(arr) | (arr < 0))
            if bad.size:
                raise ValueError(f"GammaArray: {name}{list(bad[0])} must be finite and >= 0")
        a.flags.writeable = False
        b.flags.writeable = False
        object.__setattr__(self, "shape", a)
        object.__setattr__(self, "rate", b)

    @classmethod
    def from_counts(cls, events: Any, exposure: Any, *, prior_shape: float = 0.5, prior_rate: float = 0.0,
                    source: str = "") -> GammaArray:
        """Elementwise ``Gamma(events + prior_shape, exposure + prior_rate)`` (exposure in child-years)."""
        e = np.asarray(events, dtype=np.float64)
        x = np.broadcast_to(np.asarray(exposure, dtype=np.float64), e.shape)
        if np.any(e < 0) or np.any(x < 0) or not (np.all(np.isfinite(e)) and np.all(np.isfinite(x))):
            raise ValueError("GammaArray.from_counts: events and exposure must be finite and >= 0")
        return cls(e + prior_shape, x + prior_rate, source)

    @classmethod
    def from_posterior(cls, posterior: Any, *, source: str = "") -> GammaArray:
        """From a calibration's :class:`~carecast.ssda903.calibration.GammaRates` (``.shape``, ``.rate``)."""
        return cls(np.asarray(posterior.shape), np.asarray(posterior.rate), source)

    @property
    def size(self) -> int:  # type: ignore[override]
        return int(np.prod(self.shape.shape))

    @property
    def array_shape(self) -> tuple[int, ...]:
        return tuple(self.shape.shape)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        n = _check_n(n)
        live = (self.shape > 0) & (self.rate > 0)
        scale = np.divide(1.0, self.rate, out=np.zeros_like(self.rate), where=live)
        a = np.where(live, self.shape, 1.0)          # placeholder shape where the element draws 0
        out = rng.gamma(np.broadcast_to(a, (n,) + a.shape), np.broadcast_to(scale, (n,) + a.shape))
        return np.where(live, np.maximum(out, 1e-12), 0.0)

    @property
    def mean(self) -> np.ndarray:
        return np.divide(self.shape, self.rate, out=np.zeros_like(self.shape), where=self.rate > 0)

    def describe(self) -> str:
        source = f" [source: {self.source}]" if self.source else " [assumption]"
        return (f"GammaArray({'x'.join(map(str, self.array_shape))} independent rates, "
                f"total mean {self.mean.sum():.4g})" + source)


@dataclass(frozen=True)
class LogNormal(Distribution):
    """Lognormal with ``median`` and log-scale ``sigma`` (for unit costs and effect sizes).

    Examples
    --------
    A weekly cost with median £1,000 and 95th percentile £1,400:

    >>> d = LogNormal.from_percentile(1000.0, 0.95, 1400.0)
    >>> round(float(d.ppf(0.95)), 6)
    1400.0
    >>> d = LogNormal.from_range(800.0, 1250.0, level=0.9)   # a 90% range
    >>> round(d.median, 6), round(float(d.ppf(0.05)), 6)
    (1000.0, 800.0)
    """

    median: float
    sigma: float
    source: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "median", _positive("LogNormal", "median", self.median))
        object.__setattr__(self, "sigma", _positive("LogNormal", "sigma", self.sigma, allow_zero=True))

    @classmethod
    def from_percentile(cls, median: float, q: float, value: float, *, source: str = "") -> LogNormal:
        """Median and the value at probability ``q`` (e.g. ``q=0.95``)."""
        median = _positive("LogNormal.from_percentile", "median", median)
        value = _positive("LogNormal.from_percentile", "value", value)
        q = _finite("LogNormal.from_percentile", "q", q)
        if not 0 < q < 1 or q == 0.5:
            raise ValueError(f"LogNormal.from_percentile: q must be in (0, 1) and not 0.5, got {q!r}")
        sigma = math.log(value / median) / float(normal_ppf(q))
        if sigma < 0:
            raise ValueError(f"LogNormal.from_percentile: the value at q={q:g} ({value:g}) is on the wrong "
                             f"side of the median ({median:g})")
        return cls(median, sigma, source)

    @classmethod
    def from_range(cls, low: float, high: float, *, level: float = 0.9, source: str = "") -> LogNormal:
        """The central ``level`` interval is ``[low, high]`` (median ``sqrt(low * high)``)."""
        low = _positive("LogNormal.from_range", "low", low)
        high = _positive("LogNormal.from_range", "high", high)
        level = _finite("LogNormal.from_range", "level", level)
        if not low <= high:
            raise ValueError(f"LogNormal.from_range: low ({low:g}) must not exceed high ({high:g})")
        if not 0 < level < 1:
            raise ValueError(f"LogNormal.from_range: level must be in (0, 1), got {level!r}")
        z = float(normal_ppf(0.5 + level / 2))
        return cls(math.sqrt(low * high), math.log(high / low) / (2 * z), source)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return self.median * np.exp(self.sigma * rng.standard_normal(_check_n(n)))

    def ppf(self, u: Any) -> np.ndarray:
        u = _check_u(u)
        if self.sigma == 0:
            return np.full(u.shape, self.median)
        with np.errstate(over="ignore"):
            return self.median * np.exp(self.sigma * normal_ppf(u))

    @property
    def mean(self) -> float:
        return self.median * math.exp(self.sigma ** 2 / 2)


@dataclass(frozen=True)
class Uniform(Distribution):
    """Uniform on ``[low, high]`` (``low == high`` is a point mass)."""

    low: float
    high: float
    source: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "low", _finite("Uniform", "low", self.low))
        object.__setattr__(self, "high", _finite("Uniform", "high", self.high))
        if not self.low <= self.high:
            raise ValueError(f"Uniform: low ({self.low:g}) must not exceed high ({self.high:g})")

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return self.ppf(rng.random(_check_n(n)))

    def ppf(self, u: Any) -> np.ndarray:
        return self.low + (self.high - self.low) * _check_u(u)

    @property
    def mean(self) -> float:
        return 0.5 * (self.low + self.high)


@dataclass(frozen=True)
class Triangular(Distribution):
    """Triangular on ``[low, high]`` with peak at ``mode``."""

    low: float
    mode: float
    high: float
    source: str = ""

    def __post_init__(self) -> None:
        for name in ("low", "mode", "high"):
            object.__setattr__(self, name, _finite("Triangular", name, getattr(self, name)))
        if not self.low <= self.mode <= self.high:
            raise ValueError(f"Triangular: need low <= mode <= high, got {self.low:g}, {self.mode:g}, {self.high:g}")

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return self.ppf(rng.random(_check_n(n)))

    def ppf(self, u: Any) -> np.ndarray:
        u = _check_u(u)
        lo, c, hi = self.low, self.mode, self.high
        if hi == lo:
            return np.full(u.shape, lo)
        f = (c - lo) / (hi - lo)
        left = lo + np.sqrt(u * (hi - lo) * (c - lo))
        right = hi - np.sqrt((1 - u) * (hi - lo) * (hi - c))
        return np.where(u < f, left, right)

    @property
    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3


@dataclass(frozen=True)
class Samples(Distribution):
    """A user's own sample: draws are taken from it with replacement.

    ``ppf`` is the empirical inverse CDF (``numpy.quantile(..., method="inverted_cdf")``).
    """

    values: tuple[float, ...]
    source: str = ""

    def __post_init__(self) -> None:
        try:
            arr = np.asarray(self.values, dtype=np.float64).ravel()
        except (TypeError, ValueError):
            raise TypeError("Samples: values must be numbers") from None
        if arr.size == 0:
            raise ValueError("Samples: values must not be empty")
        bad = np.flatnonzero(~np.isfinite(arr))
        if bad.size:
            raise ValueError(f"Samples: values[{bad[0]}] is not finite")
        object.__setattr__(self, "values", tuple(arr.tolist()))

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        arr = np.asarray(self.values)
        return arr[rng.integers(0, arr.size, size=_check_n(n))]

    def ppf(self, u: Any) -> np.ndarray:
        u = _check_u(u)
        return np.quantile(np.asarray(self.values), u, method="inverted_cdf")

    @property
    def mean(self) -> float:
        return float(np.mean(self.values))

    def describe(self) -> str:
        source = f" [source: {self.source}]" if self.source else " [assumption]"
        return f"Samples({len(self.values)} values, mean {self.mean:.4g})" + source


# ------------------------------------------------------------------ declarations
_AXES = {
    "stock": ("age", "placement", "time_in_care"),
    "entries_per_year": ("age", "placement"),
    "exit_rates": ("age", "placement", "time_in_care", "exit_group"),
    "move_rates": ("age", "placement", "time_in_care", "placement"),
    "weekly_cost": ("placement",),
    "exit_costs": ("exit_group",),
}
_SCALARS = ("entry_cost", "proceedings_cost", "proceedings_share", "move_cost", "care_leaver_weekly_cost",
            "sgo_allowance_weekly", "sgo_allowance_share", "adoption_allowance_weekly",
            "adoption_allowance_share", "cost_inflation", "general_inflation", "discount_rate")
_HOW = ("set", "scale", "share")


def _labels(parameters: CareParameters, axis: str) -> tuple:
    return {"age": parameters.age_bands, "placement": parameters.placements,
            "time_in_care": parameters.time_in_care_bands, "exit_group": parameters.exit_groups}[axis]


@dataclass(frozen=True)
class Uncertain:
    """One uncertain input: a labelled position of a field and its distribution.

    Parameters
    ----------
    field : str
        A :class:`CareParameters` field (``weekly_cost``, ``exit_rates``,
        ``entry_cost``, ...), ``"intervention.<name>"`` for a field of an
        intervention of the scenario given to the PSA (e.g.
        ``"intervention.effect"``), or ``"scenario.scale.<field>"`` for one of
        the scenario's scale factors (e.g. ``"scenario.scale.entries_per_year"``
        for a scenario that cuts entries by an uncertain share).
    where : str, number, slice, Ellipsis, int or tuple of them
        The labelled position: for arrays, one entry per axis (``...`` fills
        the rest), placements and exit groups by name, ages and times in care
        by band lower bound; ``()`` for scalar fields. For interventions, the
        index of the intervention in the scenario's list or its ``type``
        (``"edge_of_care"``, when only one has it).
    distribution : Distribution
    how : {"set", "scale", "share"}
        ``set`` puts the drawn value at every selected element; ``scale``
        multiplies them; ``share`` (Dirichlet) splits the selection's total
        over its last axis by the drawn shares.
    name : str, optional
        Label in output and in correlations (default ``field[where]``).

    Examples
    --------
    >>> u = Uncertain("exit_rates", (..., "residential", "returned_home"), Gamma(40.5, 200.0))
    >>> u.name
    "exit_rates[..., 'residential', 'returned_home']"
    """

    field: str
    where: Any = ()
    distribution: Distribution | None = None
    how: str = "set"
    name: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.field, str):
            raise TypeError(f"Uncertain: field must be a string, got {self.field!r}")
        if self.field.startswith("intervention."):
            if not self.field[len("intervention."):]:
                raise ValueError("Uncertain: field 'intervention.' needs the intervention field's name")
        elif self.field.startswith("scenario.scale."):
            from carecast.care.scenarios import SCALABLE_FIELDS
            target = self.field[len("scenario.scale."):]
            if target not in SCALABLE_FIELDS:
                raise ValueError(f"Uncertain: {self.field!r} names {target!r}, which a scenario cannot scale "
                                 f"(scalable: {', '.join(SCALABLE_FIELDS)})")
            if self.where not in ((), None):
                raise ValueError(f"Uncertain({self.field!r}): a scenario's scale factor is one number; where must be ()")
        elif self.field not in _AXES and self.field not in _SCALARS:
            raise ValueError(f"Uncertain: field {self.field!r} is not an uncertain-able CareParameters field "
                             f"(arrays: {', '.join(_AXES)}; numbers: {', '.join(_SCALARS)}; "
                             f"or 'intervention.<field>', 'scenario.scale.<field>')")
        if not isinstance(self.distribution, Distribution):
            raise TypeError(f"Uncertain({self.field!r}): distribution must be a Distribution, "
                            f"got {self.distribution!r}")
        if self.how not in _HOW:
            raise ValueError(f"Uncertain({self.field!r}): how must be one of {', '.join(_HOW)}, got {self.how!r}")
        if (self.how == "share") != isinstance(self.distribution, Dirichlet):
            raise ValueError(f"Uncertain({self.field!r}): how='share' goes with a vector distribution "
                             f"(Dirichlet) and only with one")
        if isinstance(self.distribution, GammaArray) and (self.field in _SCALARS or self.on_scenario):
            raise ValueError(f"Uncertain({self.field!r}): a GammaArray needs an array field")
        if not self.name:
            object.__setattr__(self, "name", f"{self.field}{_where_text(self.where)}")

    @property
    def is_intervention(self) -> bool:
        return self.field.startswith("intervention.")

    @property
    def on_scenario(self) -> bool:
        """Whether this input changes the scenario (an intervention field or a scale factor)."""
        return self.is_intervention or self.field.startswith("scenario.scale.")

    def index(self, parameters: CareParameters) -> tuple:
        """The NumPy index of ``where`` in ``parameters`` (raises ValueError naming the label)."""
        if self.field in _SCALARS:
            if self.where not in ((), None):
                raise ValueError(f"Uncertain({self.name!r}): {self.field} is a number; where must be ()")
            return ()
        axes = _AXES[self.field]
        value = getattr(parameters, self.field)
        if self.field == "entries_per_year" and value.ndim == 3:
            axes = ("year",) + axes
        where = self.where if isinstance(self.where, tuple) else (self.where,)
        if sum(w is Ellipsis for w in where) > 1:
            raise ValueError(f"Uncertain({self.name!r}): at most one ... in where")
        if Ellipsis in where:
            k = where.index(Ellipsis)
            where = self._fill(axes, list(where[:k]), list(where[k + 1:]))
        if len(where) > len(axes):
            raise ValueError(f"Uncertain({self.name!r}): where has {len(where)} entries; {self.field} has "
                             f"{len(axes)} axes ({', '.join(axes)})")
        where = where + (slice(None),) * (len(axes) - len(where))
        out: list[Any] = []
        for axis, w in zip(axes, where):
            if isinstance(w, slice):
                out.append(w)
            elif axis == "year":
                if isinstance(w, bool) or not isinstance(w, (int, np.integer)) or not 0 <= w < value.shape[0]:
                    raise ValueError(f"Uncertain({self.name!r}): year must be an index in 0..{value.shape[0] - 1}")
                out.append(int(w))
            else:
                labels = _labels(parameters, axis)
                if isinstance(w, str) != (axis in ("placement", "exit_group")) or isinstance(w, bool):
                    kind = "a name" if axis in ("placement", "exit_group") else "a band lower bound in years"
                    raise ValueError(f"Uncertain({self.name!r}): the {axis} axis takes {kind}, got {w!r}")
                matches = [i for i, lab in enumerate(labels) if lab == w]
                if not matches:
                    raise ValueError(f"Uncertain({self.name!r}): {axis} {w!r} is not in the model "
                                     f"(has {', '.join(map(str, labels))})")
                out.append(matches[0])
        return tuple(out)

    def _fill(self, axes: tuple[str, ...], before: list, after: list) -> tuple:
        """Expand ``...``: entries before it take axes from the left, entries after it from the
        right, each skipping (selecting whole) axes that do not take its kind (names go to placement
        and exit-group axes, numbers to the others), so ``(..., "residential", "returned_home")``
        selects every age and time in care of one placement and exit group."""
        def accepts(axis: str, w: Any) -> bool:
            if isinstance(w, slice):
                return True
            return isinstance(w, str) == (axis in ("placement", "exit_group"))

        chosen: list[Any] = [slice(None)] * len(axes)
        i = 0
        for w in before:
            while i < len(axes) and not accepts(axes[i], w):
                i += 1
            if i == len(axes):
                raise ValueError(f"Uncertain({self.name!r}): no axis of {self.field} ({', '.join(axes)}) "
                                 f"left for {w!r}")
            chosen[i] = w
            i += 1
        j = len(axes) - 1
        for w in reversed(after):
            while j >= i and not accepts(axes[j], w):
                j -= 1
            if j < i:
                raise ValueError(f"Uncertain({self.name!r}): no axis of {self.field} ({', '.join(axes)}) "
                                 f"left for {w!r}")
            chosen[j] = w
            j -= 1
        return tuple(chosen)

    def check(self, parameters: CareParameters, scenario: Any = None) -> None:
        """Raise ValueError if this declaration does not fit ``parameters`` (and ``scenario``)."""
        if self.is_intervention:
            self._intervention(scenario)
            return
        if self.on_scenario:
            if scenario is None:
                raise ValueError(f"Uncertain({self.name!r}): needs a scenario")
            return
        idx = self.index(parameters)
        if self.field in _SCALARS:
            if self.field == "discount_rate" and parameters.discount_rate is None and self.how == "scale":
                raise ValueError(f"Uncertain({self.name!r}): cannot scale the Green Book schedule; use how='set'")
            return
        block = getattr(parameters, self.field)[idx]
        if isinstance(self.distribution, GammaArray):
            if np.shape(block) != self.distribution.array_shape:
                raise ValueError(f"Uncertain({self.name!r}): the selection has shape {np.shape(block)}; the "
                                 f"GammaArray has {self.distribution.array_shape}")
        elif self.distribution is not None and self.distribution.size > 1:
            if np.ndim(block) == 0 or np.shape(block)[-1] != self.distribution.size:
                raise ValueError(f"Uncertain({self.name!r}): the selection's last axis has "
                                 f"{np.shape(block)[-1] if np.ndim(block) else 0} elements; the distribution "
                                 f"has {self.distribution.size}")
        elif np.size(block) == 0:
            raise ValueError(f"Uncertain({self.name!r}): the position selects nothing")

    def _intervention(self, scenario: Any) -> tuple[int, str]:
        name = self.field[len("intervention."):]
        items = list(getattr(scenario, "interventions", []) or [])
        if not items:
            raise ValueError(f"Uncertain({self.name!r}): needs a scenario with interventions")
        w = self.where
        if isinstance(w, str):
            found = [i for i, item in enumerate(items) if item.type == w]
            if len(found) != 1:
                raise ValueError(f"Uncertain({self.name!r}): the scenario has {len(found)} interventions of "
                                 f"type {w!r}; give the index instead")
            k = found[0]
        elif isinstance(w, (int, np.integer)) and not isinstance(w, bool) and 0 <= w < len(items):
            k = int(w)
        else:
            raise ValueError(f"Uncertain({self.name!r}): where must be an intervention type or an index in "
                             f"0..{len(items) - 1}, got {w!r}")
        if name not in {f.name for f in dataclasses.fields(items[k])}:
            raise ValueError(f"Uncertain({self.name!r}): {type(items[k]).__name__} has no field {name!r}")
        return k, name

    def apply(self, value: Any, parameters: CareParameters, changes: dict[str, Any]) -> None:
        """Apply one drawn ``value`` to ``changes`` (field -> new value), starting from ``parameters``."""
        current = changes.get(self.field, getattr(parameters, self.field))
        if self.field in _SCALARS:
            if self.how == "set" or current is None:
                changes[self.field] = float(value)
            else:
                changes[self.field] = float(current) * float(value)
            return
        arr = np.array(current, dtype=np.float64, copy=True)
        idx = self.index(parameters)
        if self.how == "set":
            arr[idx] = value
        elif self.how == "scale":
            arr[idx] = arr[idx] * value
        else:
            block = arr[idx]
            arr[idx] = block.sum(axis=-1, keepdims=True) * np.asarray(value)
        changes[self.field] = arr


def _where_text(where: Any) -> str:
    if where in ((), None):
        return ""
    items = where if isinstance(where, tuple) else (where,)
    return "[" + ", ".join("..." if w is Ellipsis else ":" if w == slice(None) else repr(w) for w in items) + "]"


@dataclass
class Draws:
    """Drawn values: ``values[name]`` is ``(draws,)`` or ``(draws, k)``, in declaration order.

    For a :class:`GammaArray` input, ``values[name]`` is its level per draw
    (``sum(draw) / sum(mean)``, filled as the arrays are drawn) and
    :meth:`arrays` draws the arrays themselves for a range of draws.
    """

    names: list[str]
    values: dict[str, np.ndarray]
    seed: int
    chance_seed: int
    streams: dict[str, tuple[Any, GammaArray]] = dataclasses.field(default_factory=dict, repr=False)
    _cursor: dict[str, tuple[int, np.random.Generator]] = dataclasses.field(default_factory=dict, repr=False)

    @property
    def draws(self) -> int:
        return int(next(iter(self.values.values())).shape[0]) if self.values else 0

    def arrays(self, name: str, lo: int, hi: int) -> np.ndarray:
        """Draws ``lo..hi-1`` of array input ``name``, ``(hi - lo, *shape)``: the same numbers whatever
        the ranges asked for (the input's stream is read in order, restarted when asked to go back)."""
        child, dist = self.streams[name]
        at, rng = self._cursor.get(name, (0, None))
        if rng is None or lo < at:
            at, rng = 0, np.random.default_rng(child)
        while at < lo:                                # skip forward in blocks
            step = min(lo - at, 256)
            dist.sample(step, rng)
            at += step
        out = dist.sample(hi - lo, rng)
        self._cursor[name] = (hi, rng)
        total = float(dist.mean.sum())
        self.values[name][lo:hi] = out.reshape(hi - lo, -1).sum(axis=1) / total if total > 0 else 1.0
        return out

    def matrix(self) -> tuple[list[str], np.ndarray]:
        """Scalar inputs as columns ``(draws, n_inputs)``; vector inputs one column per share;
        array inputs one column (their level)."""
        names, cols = [], []
        for name in self.names:
            v = self.values[name]
            if v.ndim == 1:
                names.append(name)
                cols.append(v)
            else:
                for j in range(v.shape[1]):
                    names.append(f"{name}[{j}]")
                    cols.append(v[:, j])
        return names, (np.column_stack(cols) if cols else np.zeros((self.draws, 0)))


class DrawError(ValueError):
    """A drawn value that the parameters, an intervention or the scenario refuse.

    ``reason`` is what is wrong (``"a drawn value is not valid for the
    parameters: exit_rates[...]: is negative (-0.1)"``); ``draw`` the index of
    the draw (``None`` from :meth:`Uncertainty.apply`, which sees one set of
    values), and ``field`` the :class:`CareParameters` field or scenario key
    at fault when the refusal names one (else ``None``). The message is
    ``reason``, prefixed with ``"draw R: "`` when ``draw`` is known.
    """

    def __init__(self, reason: str, *, draw: int | None = None, field: str | None = None):
        self.reason = reason
        self.draw = draw
        self.field = field
        super().__init__(reason if draw is None else f"draw {draw}: {reason}")

    def __reduce__(self):  # picklable across processes, with its attributes
        return (_draw_error, (self.reason, self.draw, self.field))


def _draw_error(reason: str, draw: int | None, field: str | None) -> DrawError:
    return DrawError(reason, draw=draw, field=field)


class Uncertainty:
    """Uncertain inputs, optionally correlated through a Gaussian copula.

    Parameters
    ----------
    inputs : sequence of Uncertain
    correlation : mapping or array, optional
        Either ``{(name_a, name_b): rho, ...}`` (pairs not given are 0) or a
        square matrix over the inputs it names in ``correlated`` order.
    correlated : sequence of str, optional
        With a matrix: the names of the inputs its rows refer to.

    Examples
    --------
    >>> u = Uncertainty([Uncertain("entry_cost", (), Uniform(100.0, 200.0), name="entry"),
    ...                  Uncertain("move_cost", (), Uniform(10.0, 20.0), name="move")],
    ...                 correlation={("entry", "move"): 0.8})
    >>> d = u.draw(20000, seed=1)
    >>> bool(0.75 < np.corrcoef(d.values["entry"], d.values["move"])[0, 1] < 0.85)
    True
    """

    def __init__(self, inputs: Sequence[Uncertain], correlation: Any = None,
                 correlated: Sequence[str] | None = None):
        inputs = list(inputs)
        for i, item in enumerate(inputs):
            if not isinstance(item, Uncertain):
                raise TypeError(f"uncertain[{i}] must be an Uncertain declaration, got {item!r}")
        names = [item.name for item in inputs]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"uncertain inputs must have distinct names; repeated: {dup}")
        self.inputs = inputs
        self.names = names
        self.correlated: list[str] = []
        self.correlation = np.zeros((0, 0))
        if correlation is not None:
            self.correlated, self.correlation = _correlation(names, correlation, correlated)
            for name in self.correlated:
                dist = inputs[names.index(name)].distribution
                if isinstance(dist, (Dirichlet, GammaArray)):
                    raise ValueError(f"correlation: {name!r} has a {type(dist).__name__} distribution, which "
                                     f"cannot be correlated (no inverse CDF)")
            self._factor = _psd_factor(self.correlation)

    def __len__(self) -> int:
        return len(self.inputs)

    @classmethod
    def from_calibration(cls, calibration: Any, fields: Sequence[str] = ("exit_rates", "move_rates",
                                                                         "entries_per_year"),
                         extra: Sequence[Uncertain] = (), correlation: Any = None) -> Uncertainty:
        """The calibration's Gamma posteriors (events and child-years) as :class:`GammaArray` inputs.

        ``fields`` among ``exit_rates``, ``move_rates``, ``entries_per_year``;
        ``extra`` adds other inputs (e.g. unit costs). The ``left_care_at_18``
        exits and the move diagonal stay 0 (their posteriors have shape 0).
        """
        inputs: list[Uncertain] = []
        for name in fields:
            if name not in ("exit_rates", "move_rates", "entries_per_year"):
                raise ValueError(f"fields: {name!r} has no calibration posterior "
                                 f"(exit_rates, move_rates, entries_per_year)")
            post = getattr(calibration, name)
            dist = GammaArray.from_posterior(post, source=f"SSDA903 calibration of {calibration.parameters.name}: "
                                                          f"Gamma posteriors from events and child-years")
            if name == "exit_rates" and "left_care_at_18" in calibration.parameters.exit_groups:
                g = calibration.parameters.exit_groups.index("left_care_at_18")
                shape = np.array(dist.shape)
                shape[..., g] = 0.0
                dist = GammaArray(shape, dist.rate, dist.source)
            if name == "move_rates":
                shape = np.array(dist.shape)
                p = shape.shape[1]
                shape[:, np.arange(p), :, np.arange(p)] = 0.0
                dist = GammaArray(shape, dist.rate, dist.source)
            inputs.append(Uncertain(name, (), dist, name=name))
        return cls(inputs + list(extra), correlation)

    def check(self, parameters: CareParameters, scenario: Any = None) -> None:
        for item in self.inputs:
            item.check(parameters, scenario)

    def draw(self, draws: int, seed: int) -> Draws:
        """Draw every input ``draws`` times from ``seed`` (see the module notes for the scheme)."""
        if isinstance(draws, bool) or not isinstance(draws, (int, np.integer)) or draws < 1:
            raise ValueError(f"draws must be a positive integer, got {draws!r}")
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        n = int(draws)
        children = np.random.SeedSequence(int(seed)).spawn(len(self.inputs) + 2)
        values: dict[str, np.ndarray] = {}
        streams: dict[str, tuple[Any, GammaArray]] = {}
        scores = None
        if self.correlated:
            z = np.random.default_rng(children[-2]).standard_normal((n, len(self.correlated)))
            scores = normal_cdf(z @ self._factor.T)
        for k, item in enumerate(self.inputs):
            assert item.distribution is not None
            if isinstance(item.distribution, GammaArray):
                streams[item.name] = (children[k], item.distribution)
                values[item.name] = np.full(n, np.nan)        # levels, filled as the arrays are drawn
            elif scores is not None and item.name in self.correlated:
                values[item.name] = item.distribution.ppf(scores[:, self.correlated.index(item.name)])
            else:
                values[item.name] = np.asarray(item.distribution.sample(n, np.random.default_rng(children[k])),
                                               dtype=np.float64)
        chance_seed = int(children[-1].generate_state(1, np.uint64)[0])
        return Draws(list(self.names), values, int(seed), chance_seed, streams)

    def at(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Validate a mapping of input name -> one value (for one-way sensitivity)."""
        unknown = set(values) - set(self.names)
        if unknown:
            raise ValueError(f"unknown uncertain inputs {sorted(unknown)} (declared: {', '.join(self.names)})")
        return dict(values)

    def apply(self, parameters: CareParameters, scenario: Any, values: Mapping[str, Any]) -> tuple[CareParameters, Any]:
        """Parameters and scenario with the given input values (one draw); inputs not given keep their base.

        A value the parameters, an intervention or the scenario refuse raises
        :class:`DrawError` (a ``ValueError``; its ``draw`` is ``None`` here).
        For a chunk of draws use :meth:`apply_many`, which gives the same
        results much faster.
        """
        changes: dict[str, Any] = {}
        intervention_changes: dict[int, dict[str, Any]] = {}
        scale_changes: dict[str, float] = {}
        for item in self.inputs:
            if item.name not in values:
                continue
            if item.on_scenario:
                self._scenario_item(item, values[item.name], scenario, intervention_changes, scale_changes)
            else:
                item.apply(values[item.name], parameters, changes)
        try:
            new_parameters = parameters.replace(**changes) if changes else parameters
        except (TypeError, ValueError) as err:
            raise DrawError(f"a drawn value is not valid for the parameters: {err}",
                            field=getattr(err, "field", None)) from None
        return new_parameters, self._new_scenario(scenario, intervention_changes, scale_changes, new_parameters)

    @staticmethod
    def _scenario_item(item: Uncertain, value: Any, scenario: Any, intervention_changes: dict[int, dict[str, Any]],
                       scale_changes: dict[str, float], resolved: tuple[int, str] | None = None) -> None:
        """Record one drawn value of an intervention field (``resolved``: its index and field, when looked up
        already) or a scenario's scale factor."""
        if item.is_intervention:
            k, name = resolved if resolved is not None else item._intervention(scenario)
            base = intervention_changes.get(k, {}).get(name, getattr(scenario.interventions[k], name))
            new = float(value) if item.how == "set" else float(base) * float(value)
            intervention_changes.setdefault(k, {})[name] = new
            return
        target = item.field[len("scenario.scale."):]
        base_factor = scale_changes.get(target, scenario.scale.get(target, 1.0))
        if item.how == "scale" and np.ndim(base_factor):
            raise ValueError(f"{item.name}: the scenario's scale.{target} is an array; use how='set'")
        scale_changes[target] = float(value) if item.how == "set" else float(base_factor) * float(value)

    @staticmethod
    def _new_scenario(scenario: Any, intervention_changes: dict[int, dict[str, Any]], scale_changes: dict[str, float],
                      new_parameters: CareParameters) -> Any:
        """The scenario with one draw's intervention fields and scale factors (``scenario`` itself without any)."""
        if not (intervention_changes or scale_changes):
            return scenario
        from carecast.care.scenarios import Scenario
        items = list(scenario.interventions)
        try:
            for k, fields_ in intervention_changes.items():
                items[k] = dataclasses.replace(items[k], **fields_)
        except (TypeError, ValueError) as err:
            raise DrawError(f"a drawn value is not valid for the intervention: {err}") from None
        try:
            new_scenario = Scenario(scenario.name, scenario.description, dict(scenario.set),
                                    {**scenario.scale, **scale_changes}, items)
            if scale_changes:
                new_scenario.apply(new_parameters)      # refuses a factor the parameters cannot take
        except (TypeError, ValueError) as err:
            raise DrawError(f"a drawn value is not valid for the scenario: {err}",
                            field=getattr(err, "field", None)) from None
        return new_scenario

    def apply_many(self, parameters: CareParameters, scenario: Any, draws: Draws, lo: int, hi: int,
                   arrays: Mapping[str, np.ndarray] | None = None) -> tuple[list[CareParameters], list[Any]]:
        """Parameters and scenarios of draws ``lo..hi-1`` at once: :meth:`values_of` then :meth:`apply`, faster.

        Contract
        --------
        * Returns ``(parameters_list, scenarios_list)``, each of ``hi - lo``
          items. Item ``k`` equals what ``apply(parameters, scenario,
          values_of(draws, lo + k))`` returns: every field bit for bit
          (``np.array_equal``, numbers ``==``), the same scenario. Chunking
          does not change any bit: draw ``r`` is the same whatever ``lo`` and
          ``hi`` are.
        * When no input changes the parameters, every item is ``parameters``
          itself; when no input changes the scenario, every scenario item is
          ``scenario`` itself (the same object), as :meth:`apply` returns.
        * ``arrays``: the chunk's array inputs (``{name: draws.arrays(name,
          lo, hi)}`` for the :class:`GammaArray` inputs) when the caller has
          drawn them already; without it they are drawn here, which also
          fills their levels in ``draws.values``.
        * The first draw, in order, that a field, an intervention or the
          scenario refuses raises :class:`DrawError` (a ``ValueError``) with
          ``draw`` set to its index and ``reason``/``field`` as :meth:`apply`
          gives them for that draw; message ``"draw R: <reason>"``.
        * The parameters returned are for reading: array fields that no input
          changes are one read-only array shared by the chunk (and not the
          arrays of ``parameters``, which are never modified); a changed array
          field is a view of one ``(hi - lo, ...)`` array of the chunk.
          ``replace()`` gives an independent copy.

        How: each changed field is built for the whole chunk with one NumPy
        operation per input (labelled positions resolved once), checked once
        for the chunk with :meth:`validate`'s rules, and the unchanged fields
        are validated once and shared (``CareParameters._replace_many``). A
        draw the chunk check flags goes through :meth:`apply`, which either
        raises the error naming the field and position or returns it. Inputs
        that change the scenario are applied draw by draw (an intervention is
        rebuilt and checked for each draw; with a scale factor the scenario
        is also applied once to the draw's parameters, as :meth:`apply` does),
        so they gain less.
        """
        for name, v in (("lo", lo), ("hi", hi)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
                raise TypeError(f"apply_many: {name} must be an integer, got {v!r}")
        lo, hi = int(lo), int(hi)
        if not 0 <= lo <= hi <= draws.draws:
            raise ValueError(f"apply_many: need 0 <= lo <= hi <= {draws.draws} (the draws), got lo={lo}, hi={hi}")
        n = hi - lo
        if n == 0:
            return [], []
        chunk: dict[str, np.ndarray] = {}
        for name in self.names:
            if name in draws.streams:
                block = draws.arrays(name, lo, hi) if arrays is None or name not in arrays else np.asarray(arrays[name])
                if block.shape[:1] != (n,):
                    raise ValueError(f"apply_many: arrays[{name!r}] has {block.shape[:1]} draws, expected {n}")
                chunk[name] = block
            else:
                chunk[name] = draws.values[name][lo:hi]
        on_scenario = [item for item in self.inputs if item.on_scenario]
        try:                                    # which intervention each input changes, once for the chunk
            targets = {item.name: item._intervention(scenario) for item in on_scenario if item.is_intervention}
        except (TypeError, ValueError):
            targets = {}                        # each draw asks again, and the first raises
        built: list[CareParameters | None]
        try:
            stacked = self._stack(parameters, [item for item in self.inputs if not item.on_scenario], chunk, n)
            built = list(parameters._replace_many(stacked, n)) if stacked else [parameters] * n
        except (TypeError, ValueError):
            built = [None] * n                  # the draw-by-draw path below names what is wrong
        out_parameters: list[CareParameters] = []
        out_scenarios: list[Any] = []
        for k in range(n):
            r = lo + k
            try:
                p_r = built[k]
                if p_r is None:
                    p_r, s_r = self.apply(parameters, scenario, {name: v[k] for name, v in chunk.items()})
                elif on_scenario:
                    intervention_changes: dict[int, dict[str, Any]] = {}
                    scale_changes: dict[str, float] = {}
                    for item in on_scenario:
                        self._scenario_item(item, chunk[item.name][k], scenario, intervention_changes, scale_changes,
                                            targets.get(item.name))
                    s_r = self._new_scenario(scenario, intervention_changes, scale_changes, p_r)
                else:
                    s_r = scenario
            except DrawError as err:
                raise DrawError(err.reason, draw=r, field=err.field) from None
            except (TypeError, ValueError) as err:
                raise DrawError(str(err), draw=r, field=getattr(err, "field", None)) from None
            out_parameters.append(p_r)
            out_scenarios.append(s_r)
        return out_parameters, out_scenarios

    @staticmethod
    def _stack(parameters: CareParameters, items: Sequence[Uncertain], chunk: Mapping[str, np.ndarray],
               n: int) -> dict[str, np.ndarray]:
        """The changed fields of ``n`` draws, ``(n, *shape)`` each, with the arithmetic of :meth:`Uncertain.apply`.

        Every operation is the elementwise one of the draw-by-draw path
        (assignment, one multiplication), so the bits agree; the only sum (a
        Dirichlet's ``share`` total) is taken, as there, on an array laid out
        like the draw's own copy.
        """
        stacked: dict[str, np.ndarray] = {}
        layouts: dict[str, np.ndarray] = {}
        for item in items:
            field = item.field
            value = np.asarray(chunk[item.name], dtype=np.float64)
            if field in _SCALARS:
                if value.shape != (n,):
                    raise ValueError(f"{item.name}: a number field needs one number a draw")
                current = stacked.get(field, getattr(parameters, field))
                if item.how == "set" or current is None:
                    stacked[field] = value.copy()
                elif isinstance(current, np.ndarray):
                    stacked[field] = current * value
                else:
                    stacked[field] = float(current) * value
                continue
            touched = field in stacked
            if not touched:
                first = np.array(getattr(parameters, field), dtype=np.float64, copy=True)   # as Uncertain.apply
                layouts[field] = first
                stacked[field] = np.broadcast_to(first, (n,) + first.shape).copy()
            arr, first = stacked[field], layouts[field]
            idx = item.index(parameters)
            full = (slice(None),) + idx
            block_ndim = arr[full].ndim - 1
            extra = value.ndim - 1
            if extra > block_ndim:
                raise ValueError(f"{item.name}: the drawn value has more dimensions than the selection")
            shaped = value.reshape((n,) + (1,) * (block_ndim - extra) + value.shape[1:])
            if item.how == "set":
                arr[full] = shaped
            elif item.how == "scale":
                arr[full] = arr[full] * shaped
            else:
                if not touched:
                    totals = first[idx].sum(axis=-1, keepdims=True)[None]
                else:
                    own = np.empty_like(first)          # the draw's copy has the layout of the parameters' array
                    rows = []
                    for k in range(n):
                        own[...] = arr[k]
                        rows.append(own[idx].sum(axis=-1, keepdims=True))
                    totals = np.stack(rows)
                arr[full] = totals * shaped
        return stacked

    def values_of(self, draws: Draws, r: int, arrays: Mapping[str, np.ndarray] | None = None) -> dict[str, Any]:
        """The input values of draw ``r`` (array inputs from ``arrays[name][r - first]`` when given,
        else drawn for ``r`` alone)."""
        out: dict[str, Any] = {}
        for name in self.names:
            if name in draws.streams:
                out[name] = arrays[name] if arrays is not None else draws.arrays(name, r, r + 1)[0]
            else:
                out[name] = draws.values[name][r]
        return out

    def describe(self) -> list[str]:
        lines = [f"{item.name} ({item.how}): {item.distribution.describe()}"  # type: ignore[union-attr]
                 for item in self.inputs]
        if self.correlated:
            for i, a in enumerate(self.correlated):
                for j in range(i + 1, len(self.correlated)):
                    rho = self.correlation[i, j]
                    if rho:
                        lines.append(f"correlation {a} ~ {self.correlated[j]}: {rho:g} (Gaussian copula)")
        return lines


def _correlation(names: list[str], correlation: Any, correlated: Sequence[str] | None) -> tuple[list[str], np.ndarray]:
    if isinstance(correlation, Mapping):
        order: list[str] = []
        for pair in correlation:
            if not (isinstance(pair, tuple) and len(pair) == 2):
                raise ValueError(f"correlation keys must be pairs of input names, got {pair!r}")
            for n in pair:
                if n not in names:
                    raise ValueError(f"correlation names unknown input {n!r} (declared: {', '.join(names)})")
                if n not in order:
                    order.append(n)
        order.sort(key=names.index)
        m = np.eye(len(order))
        for (a, b), rho in correlation.items():
            if a == b:
                raise ValueError(f"correlation ({a!r}, {b!r}): an input's correlation with itself is 1")
            rho = _finite("correlation", f"({a!r}, {b!r})", rho)
            i, j = order.index(a), order.index(b)
            m[i, j] = m[j, i] = rho
        return order, _check_matrix(m, order)
    if correlated is None:
        raise ValueError("a correlation matrix needs correlated=[names of its rows]")
    order = list(correlated)
    for n in order:
        if n not in names:
            raise ValueError(f"correlated names unknown input {n!r} (declared: {', '.join(names)})")
    if len(set(order)) != len(order):
        raise ValueError("correlated names an input twice")
    try:
        m = np.array(correlation, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError("correlation must be a matrix of numbers") from None
    if m.shape != (len(order), len(order)):
        raise ValueError(f"correlation has shape {m.shape}, expected {(len(order), len(order))} for correlated")
    return order, _check_matrix(m, order)


def _check_matrix(m: np.ndarray, order: list[str]) -> np.ndarray:
    if not np.all(np.isfinite(m)):
        raise ValueError("correlation must be finite")
    if not np.allclose(m, m.T, atol=0, rtol=0):
        i, j = np.argwhere(m != m.T)[0]
        raise ValueError(f"correlation must be symmetric: ({order[i]}, {order[j]}) = {m[i, j]:g} but "
                         f"({order[j]}, {order[i]}) = {m[j, i]:g}")
    if np.any(np.diag(m) != 1):
        raise ValueError("correlation must have 1 on the diagonal")
    if np.any(np.abs(m) > 1):
        i, j = np.argwhere(np.abs(m) > 1)[0]
        raise ValueError(f"correlation ({order[i]}, {order[j]}) = {m[i, j]:g} is outside [-1, 1]")
    smallest = float(np.linalg.eigvalsh(m).min())
    if smallest < -1e-10:
        raise ValueError(f"correlation is not positive semi-definite (smallest eigenvalue {smallest:.3g}): "
                         f"no set of variables can have these correlations")
    return m


def _psd_factor(m: np.ndarray) -> np.ndarray:
    """``L`` with ``L @ L.T == m`` for a positive semi-definite ``m`` (eigen-decomposition)."""
    w, v = np.linalg.eigh(m)
    return v * np.sqrt(np.clip(w, 0.0, None))


# ------------------------------------------------------------------ scenario-file tables
_DISTRIBUTIONS: dict[str, tuple[set[str], set[str]]] = {
    # name: (required keys, optional keys) besides distribution/how/name/source
    "fixed": ({"value"}, set()),
    "gamma": (set(), {"shape", "rate", "events", "exposure", "mean", "sd", "prior_shape", "prior_rate"}),
    "beta": (set(), {"a", "b", "successes", "trials", "mean", "sd"}),
    "dirichlet": (set(), {"alpha", "counts", "prior"}),
    "lognormal": ({"median"}, {"sigma", "p95", "p90", "p05", "p10", "low", "high", "level"}),
    "uniform": ({"low", "high"}, set()),
    "triangular": ({"low", "mode", "high"}, set()),
    "samples": ({"values"}, set()),
}


def _distribution_from_table(where: str, spec: Mapping[str, Any]) -> Distribution:
    kind = spec.get("distribution")
    if kind not in _DISTRIBUTIONS:
        raise checks.FieldError(f"{where}.distribution", f"must be one of {', '.join(_DISTRIBUTIONS)}, got {kind!r}")
    required, optional = _DISTRIBUTIONS[kind]
    keys = set(spec) - {"distribution", "how", "name", "source"}
    missing = required - keys
    if missing:
        raise checks.FieldError(where, f"a {kind} distribution needs {', '.join(sorted(missing))}")
    unknown = keys - required - optional
    if unknown:
        raise checks.FieldError(where, f"unknown keys {sorted(unknown)} for a {kind} distribution "
                         f"(known: {', '.join(sorted(required | optional))})")
    source = str(spec.get("source", ""))
    s = dict(spec)

    def pick(*names: str) -> bool:
        return set(names) <= keys

    try:
        if kind == "fixed":
            return Fixed(s["value"], source)
        if kind == "gamma":
            if pick("events", "exposure"):
                extra = {k: s[k] for k in ("prior_shape", "prior_rate") if k in s}
                return Gamma.from_counts(s["events"], s["exposure"], source=source, **extra)
            if pick("mean", "sd"):
                return Gamma.from_mean_sd(s["mean"], s["sd"], source=source)
            if pick("shape", "rate"):
                return Gamma(s["shape"], s["rate"], source)
            raise checks.FieldError(where, "a gamma distribution needs events and exposure, mean and sd, "
                             "or shape and rate")
        if kind == "beta":
            if pick("successes", "trials"):
                return Beta.from_counts(s["successes"], s["trials"], source=source)
            if pick("mean", "sd"):
                return Beta.from_mean_sd(s["mean"], s["sd"], source=source)
            if pick("a", "b"):
                return Beta(s["a"], s["b"], source)
            raise checks.FieldError(where, "a beta distribution needs successes and trials, mean and sd, or a and b")
        if kind == "dirichlet":
            if "counts" in s:
                return Dirichlet.from_counts(s["counts"], prior=s.get("prior", 1.0), source=source)
            if "alpha" in s:
                return Dirichlet(tuple(s["alpha"]), source)
            raise checks.FieldError(where, "a dirichlet distribution needs alpha or counts")
        if kind == "lognormal":
            given = [k for k in ("sigma", "p95", "p90", "p05", "p10") if k in s]
            if pick("low", "high"):
                raise checks.FieldError(where, "give low and high without median (the median is sqrt(low * high))")
            if len(given) != 1:
                raise checks.FieldError(where, "a lognormal distribution needs median and exactly one of sigma, "
                                 "p95, p90, p10, p05 (or low, high and level without median)")
            if given[0] == "sigma":
                return LogNormal(s["median"], s["sigma"], source)
            q = int(given[0][1:]) / 100
            return LogNormal.from_percentile(s["median"], q, s[given[0]], source=source)
        if kind == "uniform":
            return Uniform(s["low"], s["high"], source)
        if kind == "triangular":
            return Triangular(s["low"], s["mode"], s["high"], source)
        return Samples(tuple(s["values"]), source)
    except checks.FieldError:
        raise
    except (TypeError, ValueError) as err:
        raise checks.FieldError(where, str(err)) from None


def _parse_position(field: str, key: str) -> Any:
    """``"agency_foster"`` -> ``"agency_foster"``; ``"...,residential,returned_home"`` -> a tuple."""
    parts = [p.strip() for p in key.split(",")]
    out: list[Any] = []
    for p in parts:
        if p == "...":
            out.append(Ellipsis)
        elif p in (":", "*"):
            out.append(slice(None))
        else:
            try:
                out.append(float(p))
            except ValueError:
                out.append(p)
    return out[0] if len(out) == 1 else tuple(out)


def _check_against_any(item: Uncertain, parameters: CareParameters, scenario: Any) -> None:
    """``item.check`` against the scenario, or for a sequence of scenarios (a file's named ones)
    against each in turn: an input of a scenario need fit only one of them (the first error if none)."""
    if scenario is None or not isinstance(scenario, (list, tuple)):
        item.check(parameters, scenario)
        return
    if not scenario:
        item.check(parameters, None)
        return
    first: ValueError | None = None
    for candidate in scenario:
        try:
            item.check(parameters, candidate)
            return
        except ValueError as err:
            first = first or err
    assert first is not None
    raise first


def uncertainty_from_table(table: Mapping[str, Any], *, where: str = "uncertain",
                           parameters: CareParameters | None = None, scenario: Any = None) -> Uncertainty:
    """Build an :class:`Uncertainty` from a scenario file's ``[uncertain]`` table.

    Layout::

        [uncertain.weekly_cost.agency_foster]
        distribution = "lognormal"
        median = 1000
        p95 = 1400
        source = "PSSRU Unit Costs 2023"

        [uncertain.exit_rates."...,residential,returned_home"]
        distribution = "gamma"
        events = 40
        exposure = 200

        [uncertain.entry_cost]                 # a number: the spec directly
        distribution = "uniform"
        low = 1500
        high = 2500

        [uncertain.intervention.edge_of_care.effect]
        distribution = "beta"
        mean = 0.2
        sd = 0.05

        [uncertain.scenario.scale.entries_per_year]   # the scenario's factor
        distribution = "uniform"
        low = 0.85
        high = 0.95

        [[uncertain.correlation]]
        between = ["weekly_cost[agency_foster]", "weekly_cost[residential]"]
        rho = 0.6

    Positions: comma-separated labels, ``...`` or ``:`` for whole axes, numbers
    for age / time-in-care band lower bounds. Each spec may carry ``how``
    (``set``/``scale``/``share``), ``name`` and ``source``; without a source
    the distribution is reported as an assumption. Errors are
    :class:`carecast.checks.FieldError` whose ``field`` is the table path, e.g.
    ``uncertain.weekly_cost.agency_foster``; with ``parameters`` (and
    ``scenario``), each input is also checked against the model where it is
    read, so that a scenario file reports the line of the input at fault.
    ``scenario`` may be a list (a file's named scenarios): an input of an
    intervention or of a scenario's scale factors must then fit at least one.

    Examples
    --------
    >>> u = uncertainty_from_table({"weekly_cost": {"agency_foster": {
    ...     "distribution": "lognormal", "median": 1000, "p95": 1400}}})
    >>> u.names
    ["weekly_cost['agency_foster']"]
    """
    if not isinstance(table, Mapping):
        raise checks.FieldError(where, "must be a table")
    inputs: list[Uncertain] = []
    correlation: dict[tuple[str, str], float] = {}

    def spec_to_input(path: str, field: str, position: Any, spec: Mapping[str, Any]) -> None:
        dist = _distribution_from_table(path, spec)
        how = spec.get("how", "share" if isinstance(dist, Dirichlet) else "set")
        try:
            item = Uncertain(field, position, dist, how=how, name=str(spec.get("name", "")))
            if parameters is not None:      # the model's placements, exit groups, interventions
                _check_against_any(item, parameters, scenario)
        except (TypeError, ValueError) as err:
            raise checks.FieldError(path, str(err)) from None
        inputs.append(item)

    for field, body in table.items():
        path = f"{where}.{field}"
        if field == "correlation":
            if not isinstance(body, list):
                raise checks.FieldError(path, f"must be an array of tables [[{path}]]")
            for i, item in enumerate(body):
                p = f"{path}[{i}]"
                if not isinstance(item, Mapping) or set(item) != {"between", "rho"}:
                    raise checks.FieldError(p, "needs exactly 'between' (two input names) and 'rho'")
                pair = item["between"]
                if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(n, str) for n in pair)):
                    raise checks.FieldError(f"{p}.between", "must be two input names")
                rho = item["rho"]
                if isinstance(rho, bool) or not isinstance(rho, (int, float)):
                    raise checks.FieldError(f"{p}.rho", "must be a number")
                correlation[(pair[0], pair[1])] = float(rho)
            continue
        if not isinstance(body, Mapping):
            raise checks.FieldError(path, "must be a table")
        if field == "scenario":
            scale = body.get("scale")
            if set(body) != {"scale"} or not isinstance(scale, Mapping):
                raise checks.FieldError(path, "takes only a table 'scale' of scale factors "
                                 f"([{path}.scale.entries_per_year])")
            for name, spec in scale.items():
                if not isinstance(spec, Mapping):
                    raise checks.FieldError(f"{path}.scale.{name}", "must be a table")
                spec_to_input(f"{path}.scale.{name}", f"scenario.scale.{name}", (), spec)
            continue
        if field == "intervention":
            for which, fields_ in body.items():
                if not isinstance(fields_, Mapping):
                    raise checks.FieldError(f"{path}.{which}", "must be a table of intervention fields")
                position: Any = int(which) if str(which).isdigit() else which
                for name, spec in fields_.items():
                    if not isinstance(spec, Mapping):
                        raise checks.FieldError(f"{path}.{which}.{name}", "must be a table")
                    spec_to_input(f"{path}.{which}.{name}", f"intervention.{name}", position, spec)
            continue
        if "distribution" in body:
            spec_to_input(path, field, (), body)
            continue
        for key, spec in body.items():
            if not isinstance(spec, Mapping):
                raise checks.FieldError(f"{path}.{key}", "must be a table with a distribution")
            spec_to_input(f"{path}.{key}", field, _parse_position(field, str(key)), spec)
    try:
        return Uncertainty(inputs, correlation or None)
    except (TypeError, ValueError) as err:
        raise checks.FieldError(where, str(err)) from None
