"""Time carecast's C engine against the plain NumPy reference, side by side.

Run on demand (not collected by pytest):

    python tests/benchmarks/bench_engine.py [--repeats N] [--sets N] [--numpy-sets N]

Cases
-----
(a) 40 states, 74 flows, 730 daily steps (dt = 1/365.25), hazard rates.
(b) 160 states, 1,500 flows, 120 monthly steps, hazard rates.
(c) case (b) for 1,000 parameter sets: carecast.project in a Python loop,
    and carecast.project_batch in one call; the NumPy reference is timed on
    a subset (--numpy-sets, default 50) and scaled up, as the table says.

Each time is the best of several repeats (time.perf_counter).  Both engines
must give the same numbers (max relative difference printed) - a benchmark
of a wrong answer is worthless.
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # tests/, for reference_engine

import carecast  # noqa: E402
import reference_engine as ref  # noqa: E402


def care_like_model(rng, n_states, n_flows, dt, steps):
    """A random model shaped like a children-in-care model: most states send
    flows, a few exits absorb, hazards of order 0.05-2 per year, arrivals
    into the first quarter of the states."""
    n_exits = max(1, n_states // 10)
    live = n_states - n_exits
    src = rng.integers(0, live, size=n_flows)
    dst = (src + rng.integers(1, n_states, size=n_flows)) % n_states
    value = rng.lognormal(np.log(0.3), 1.0, size=n_flows)
    x0 = np.zeros(n_states)
    x0[:live] = rng.uniform(0, 50, size=live)
    inflow = np.zeros(n_states)
    inflow[: max(1, n_states // 4)] = rng.uniform(0, 20, size=max(1, n_states // 4)) * dt
    return dict(x0=x0, src=src, dst=dst, value=value, steps=steps, dt=dt, inflow=inflow)


def best_of(fn, repeats):
    best = float("inf")
    out = None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def per_flow_loop(x0, src, dst, value, steps, dt, inflow=None):
    """The same projection written as plain Python loops over steps and flows - the way
    spreadsheet-style and pandas-loop tools do it.  Context only: the target is set
    against the vectorised NumPy reference."""
    S, F = len(x0), len(src)
    leave = [0.0] * S
    for f in range(F):
        leave[src[f]] += value[f]
    prob = [value[f] / leave[src[f]] * -math.expm1(-leave[src[f]] * dt) if leave[src[f]] > 0 else 0.0
            for f in range(F)]
    stay = [1.0] * S
    for f in range(F):
        stay[src[f]] -= prob[f]
    x = [float(v) for v in x0]
    rows = [x]
    for _ in range(steps):
        y = [x[s] * stay[s] for s in range(S)]
        for f in range(F):
            y[dst[f]] += x[src[f]] * prob[f]
        if inflow is not None:
            for s in range(S):
                y[s] += inflow[s]
        rows.append(y)
        x = y
    return np.array(rows)


def max_rel_diff(a, b):
    a, b = np.asarray(a), np.asarray(b)
    scale = max(1.0, float(np.abs(b).max(initial=0.0)))
    return float(np.abs(a - b).max(initial=0.0)) / scale


DIFFS = []


def row(name, t_cc, t_np, diff, note=""):
    DIFFS.append(diff)
    ratio = t_np / t_cc if t_cc > 0 else float("inf")
    print(f"{name:<44} {t_cc * 1e3:>12.3f} {t_np * 1e3:>12.3f} {ratio:>9.1f}x {diff:>10.1e}  {note}")
    return ratio


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7, help="repeats per timing (best is kept)")
    parser.add_argument("--sets", type=int, default=1000, help="parameter sets in case (c)")
    parser.add_argument("--numpy-sets", type=int, default=50,
                        help="parameter sets the NumPy loop is timed on in case (c), then scaled")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                        help="threads for project_batch")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(20261122)

    print(f"carecast {getattr(carecast, '__version__', '?')}, NumPy {np.__version__}, "
          f"Python {sys.version.split()[0]}, {os.cpu_count()} CPU(s); best of {args.repeats}")
    header = f"{'case':<44} {'carecast ms':>12} {'NumPy ms':>12} {'ratio':>10} {'max diff':>10}"
    print(header)
    print("-" * len(header))
    ratios = {}

    a = care_like_model(rng, 40, 74, 1 / 365.25, 730)
    t_cc, got = best_of(lambda: carecast.project(**a), args.repeats)
    t_np, exp = best_of(lambda: ref.project(**a), args.repeats)
    ratios["a"] = row("(a) 40 states, 74 flows, 730 daily steps", t_cc, t_np,
                      max_rel_diff(got.occupancy, exp.occupancy))

    b = care_like_model(rng, 160, 1500, 1 / 12, 120)
    t_cc, got = best_of(lambda: carecast.project(**b), args.repeats)
    t_np, exp = best_of(lambda: ref.project(**b), args.repeats)
    ratios["b"] = row("(b) 160 states, 1,500 flows, 120 monthly", t_cc, t_np,
                      max_rel_diff(got.occupancy, exp.occupancy))

    # (c): parameter sets = every hazard scaled by its own log-normal factor.
    n_sets = args.sets
    values = b["value"][None, :] * rng.lognormal(0.0, 0.3, size=(n_sets, b["value"].shape[0]))
    common = {k: v for k, v in b.items() if k != "value"}
    n_np = min(args.numpy_sets, n_sets)

    def cc_loop():
        return [carecast.project(value=values[i], **common).occupancy for i in range(n_sets)]

    def np_loop():
        return [ref.project(value=values[i], **common).occupancy for i in range(n_np)]

    def cc_batch(threads):
        return carecast.project_batch(value=values, replicates=n_sets, threads=threads,
                                      **common).occupancy

    reps_c = max(1, min(args.repeats, 3))
    t_loop, occ_loop = best_of(cc_loop, reps_c)
    t_np_sub, occ_np = best_of(np_loop, reps_c)
    t_np_all = t_np_sub * n_sets / n_np
    note = f"NumPy timed on {n_np} sets, scaled x{n_sets / n_np:g}"
    diff = max(max_rel_diff(occ_loop[i], occ_np[i]) for i in range(n_np))
    ratios["c_loop"] = row(f"(c) {n_sets} sets, carecast.project loop", t_loop, t_np_all, diff, note)
    for threads in sorted({1, args.threads}):
        t_batch, occ_batch = best_of(lambda threads=threads: cc_batch(threads), reps_c)
        diff = max(max_rel_diff(occ_batch[i], occ_np[i]) for i in range(n_np))
        same = all(np.array_equal(occ_batch[i], occ_loop[i]) for i in range(n_sets))
        ratios[f"c_batch{threads}"] = row(
            f"(c) {n_sets} sets, project_batch threads={threads}", t_batch, t_np_all, diff,
            note + ("; batch == loop bit for bit" if same else "; BATCH DIFFERS FROM LOOP"))

    print()
    print("context: the same cases as plain Python loops over flows (how today's free tools work)")
    for name, case in (("(a)", a), ("(b)", b)):
        plain = dict(case, src=case["src"].tolist(), dst=case["dst"].tolist(),
                     value=case["value"].tolist(), x0=case["x0"].tolist(),
                     inflow=case["inflow"].tolist())
        t_cc, got = best_of(lambda case=case: carecast.project(**case), args.repeats)
        t_loop, occ = best_of(lambda plain=plain: per_flow_loop(**plain), max(1, min(args.repeats, 3)))
        print(f"{name} carecast {t_cc * 1e3:.3f} ms, per-flow loop {t_loop * 1e3:.1f} ms: "
              f"{t_loop / t_cc:,.0f}x (max diff {max_rel_diff(got.occupancy, occ):.1e})")

    print()
    worst = max(DIFFS)
    target = all(ratios[k] >= 50 for k in ("a", "b"))
    print(f"target carecast >= 50x NumPy on (a) and (b): {'met' if target else 'NOT met'} "
          f"((a) {ratios['a']:.0f}x, (b) {ratios['b']:.0f}x)")
    print(f"largest relative difference between the engines: {worst:.1e}")
    return 0 if worst < 1e-12 else 1


if __name__ == "__main__":
    sys.exit(main())
