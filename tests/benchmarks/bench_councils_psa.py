"""Every English council x 1,000 parameter draws (issue 11's benchmark; target under 2 minutes on 2 cores).

For each council with a published stock at 31 March 2023, its care model from the published
figures (:func:`carecast.councils.model.parameter_draws`: entries and exit hazards by age drawn
from Gamma posteriors of the published counts), 1,000 draws in one
:func:`carecast.care.run_batch` call (moves not kept), three years monthly, and the median and
80% interval of children in care at the end. Prints the total time, the time per council and the
peak resident memory.

    python tests/benchmarks/bench_councils_psa.py [--draws 1000] [--years 3] [--threads N]
"""
from __future__ import annotations

import argparse
import resource
import time

import numpy as np

from carecast.care.model import run_batch
from carecast.councils.dataset import load_dataset
from carecast.councils.model import parameter_draws


def council_draws(area, year: int, draws: int, seed: int):
    """The council's parameters for each draw: entries and exit hazards by age scaled by the drawn factors."""
    p, entry, exit_ = parameter_draws(area, year, draws, seed)
    out = []
    for r in range(draws):
        # entries (..., A, P) and exit hazards (A, P, T, E) scaled along the age axis
        out.append(p.replace(entries_per_year=p.entries_per_year * entry[r][:, None],
                             exit_rates=p.exit_rates * exit_[r][:, None, None, None]))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--years", type=float, default=3.0)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--year", type=int, default=2023)
    args = ap.parse_args()
    data = load_dataset()
    t0 = time.perf_counter()
    build = runs = 0.0
    done, skipped, rows = 0, 0, []
    for i, area in enumerate(data.councils(current_only=True)):
        a = time.perf_counter()
        try:
            params = council_draws(area, args.year, args.draws, seed=i)
        except ValueError:
            skipped += 1
            continue
        b = time.perf_counter()
        batch = run_batch(params, years=args.years, step="month", threads=args.threads, keep_moved=False,
                          post_exit=False)
        end = batch.children_in_care()[:, -1]
        rows.append((area.name, *np.percentile(end, [10, 50, 90])))
        c = time.perf_counter()
        build += b - a
        runs += c - b
        done += 1
    total = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{done} councils x {args.draws:,} draws, {args.years:g} years monthly ({skipped} without a "
          f"{args.year} stock skipped)")
    print(f"total {total:.1f} s (target 120 s): drawing parameters {build:.1f} s, run_batch {runs:.1f} s; "
          f"{total / max(done, 1) * 1e3:.0f} ms a council; peak RSS {peak:.0f} MB")
    for name, lo, mid, hi in rows[:3]:
        print(f"  e.g. {name}: children in care at the end, median {mid:,.0f} (80%: {lo:,.0f}-{hi:,.0f})")
    return 0 if total < 120 else 1


if __name__ == "__main__":
    raise SystemExit(main())
