"""Drawing and applying uncertain inputs: draw by draw against a chunk at a time, and Gamma.ppf for huge shapes.

Run on demand (not collected by pytest):

    python tests/benchmarks/bench_uncertainty.py [--draws 10000] [--chunk 64] [--repeat 3]

Part 1 applies the inputs of ``tests/benchmarks/bench_psa.py`` (the sample
calibration with the ``norfolk-2017`` weekly costs; two correlated lognormal
weekly costs, a Gamma scale of the returns home, a uniform scale of entries,
and with ``--scenario`` an uncertain edge-of-care effect) to ``--draws``
draws, chunk by chunk as the PSA does, in one process, side by side:

* ``per draw``: ``values_of`` then ``apply`` for every draw (what the PSA did);
* ``apply_many``: one call per chunk.

Each chunk's parameters are dropped before the next, as in the PSA. The times
are the best of ``--repeat``; then a separate pass checks that both give the
same parameters (``np.array_equal`` on every array, ``==`` on numbers).

Part 2 times ``Gamma.ppf`` on 10,000 probabilities (1e-10 .. 1 - 1e-10) for
shapes 1e2..1e8: ``old`` is the method ``ppf`` used for every shape before
(safeguarded Newton on ``P(a, x) - u`` by the series / continued fraction,
copied below as ``old_gamma_ppf``), ``ppf`` now uses Temme's uniform
expansion from shape 100. It prints the largest relative difference between
them: the old method lost up to 5e-9 relative in the upper tail, where
``1 - P`` cancels, and from shape 1e7 it stopped short (4.5e-5 relative at
1e7, 8.7e-5 at 1e8 in a run on 2026-12-01: asked for the 0.3 quantile of
Gamma(1e7, 1) it returned 9998523.08, whose CDF is 0.320 by mpmath; ppf
gives 9998341.46, CDF 0.3000000000000). tests/test_uncertainty_fast.py
checks ppf against mpmath. The old method takes about 15 s at shape 1e8
(``--max-shape`` 1e7 by default).
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

from carecast.care.uncertainty import _iterate

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_psa import bench_inputs  # noqa: E402  (the same model and inputs as the PSA benchmark)


def _invert(cdf, pdf, u: np.ndarray, x0: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """The old solver, kept for old_gamma_ppf: ``cdf(x) = u`` by Newton steps inside a bracket."""
    shape = u.shape
    uu = u.ravel().astype(np.float64)
    x = np.clip(x0.ravel().astype(np.float64), low.ravel(), high.ravel())
    lo, hi = low.ravel().astype(np.float64).copy(), high.ravel().astype(np.float64).copy()

    def step(st: list[np.ndarray], i: int) -> np.ndarray:
        xx, target, ll, hh = st
        f = cdf(xx) - target
        ll[:] = np.where(f < 0, xx, ll)
        hh[:] = np.where(f > 0, xx, hh)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            new = xx - f / pdf(xx)
        bad = ~np.isfinite(new) | (new <= ll) | (new >= hh)
        new = np.where(bad, 0.5 * (ll + hh), new)
        done = (np.abs(new - xx) <= 1e-15 * np.abs(xx)) | (f == 0) | (hh - ll <= 1e-15 * np.abs(hh))
        xx[:] = np.where(f == 0, xx, new)
        return done

    state = [x, uu, lo, hi]
    _iterate(step, state, limit=400)
    return state[0].reshape(shape)


def old_gamma_ppf(shape: float, u: np.ndarray) -> np.ndarray:
    """Gamma(shape, 1).ppf as it was before Temme's expansion (kept here to time it)."""
    import math

    from carecast.care.uncertainty import _gammainc, normal_ppf

    a = shape
    z = normal_ppf(np.clip(u, 1e-300, 1 - 1e-16))
    guess = a * (1 - 1 / (9 * a) + z / (3 * math.sqrt(a))) ** 3
    guess = np.where(np.isfinite(guess) & (guess > 0), guess, a)
    lga = math.lgamma(a)

    def pdf(y: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return np.exp((a - 1) * np.log(y) - y - lga)

    high = np.full(u.shape, a + 60 * math.sqrt(a) + 800)
    x = _invert(lambda y: _gammainc(a, y), pdf, u, guess, np.zeros(u.shape), high)
    return np.where(u == 0, 0.0, np.where(u == 1, np.inf, x))


def per_draw(u, p, s, d, lo, hi):
    return [u.apply(p, s, u.values_of(d, r))[0] for r in range(lo, hi)]


def many(u, p, s, d, lo, hi):
    return u.apply_many(p, s, d, lo, hi)[0]


def run_all(method, u, p, s, d, chunk):
    """Every chunk in turn, each chunk's parameters dropped before the next (as the PSA does)."""
    for lo in range(0, d.draws, chunk):
        method(u, p, s, d, lo, min(d.draws, lo + chunk))


def same(u, p, s, d, chunk) -> bool:
    import dataclasses
    for lo in range(0, d.draws, chunk):
        hi = min(d.draws, lo + chunk)
        for x, y in zip(per_draw(u, p, s, d, lo, hi), many(u, p, s, d, lo, hi)):
            for f in dataclasses.fields(x):
                a, b = getattr(x, f.name), getattr(y, f.name)
                if not (np.array_equal(a, b) if isinstance(a, np.ndarray) else a == b):
                    return False
    return True


def best(fn, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=10000)
    parser.add_argument("--chunk", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scenario", action="store_true", help="add the uncertain edge-of-care effect")
    parser.add_argument("--max-shape", type=float, default=1e7, help="largest shape for Gamma.ppf (old takes long)")
    args = parser.parse_args()

    p, u, s = bench_inputs(args.scenario)
    d = u.draw(args.draws, seed=20261201)
    t_each, _ = best(lambda: run_all(per_draw, u, p, s, d, args.chunk), args.repeat)
    t_many, _ = best(lambda: run_all(many, u, p, s, d, args.chunk), args.repeat)
    print(f"apply: {args.draws} draws of the bench_psa inputs{' + edge-of-care effect' if args.scenario else ''}, "
          f"chunk {args.chunk}, best of {args.repeat}")
    print(f"  {'per draw (values_of + apply)':<34} {t_each:8.3f} s  {1e6 * t_each / args.draws:7.1f} us/draw")
    print(f"  {'apply_many':<34} {t_many:8.3f} s  {1e6 * t_many / args.draws:7.1f} us/draw")
    print(f"  ratio {t_each / t_many:.1f}x; same parameters, every field of every draw: {same(u, p, s, d, args.chunk)}")

    from carecast.care.uncertainty import Gamma
    rng = np.random.default_rng(1)
    probs = np.concatenate([rng.random(9980), np.geomspace(1e-10, 0.5, 10), 1 - np.geomspace(1e-10, 0.5, 10)])
    print(f"\nGamma(shape, 1).ppf on {probs.size} probabilities (1e-10 .. 1 - 1e-10)")
    print(f"  {'shape':>8} {'old s':>9} {'ppf s':>8} {'ratio':>7} {'max rel diff':>13}")
    for shape in (1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8):
        if shape > args.max_shape:
            break
        g = Gamma(shape, 1.0)
        t_old, old = best(lambda g=g: old_gamma_ppf(g.shape, probs), 1)
        t_new, new = best(lambda g=g: g.ppf(probs), args.repeat)
        diff = float(np.max(np.abs(new - old) / old))
        print(f"  {shape:>8.0e} {t_old:>9.3f} {t_new:>8.4f} {t_old / t_new:>6.0f}x {diff:>13.2e}")

if __name__ == "__main__":
    main()
