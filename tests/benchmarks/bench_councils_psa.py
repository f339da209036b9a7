"""Every English council x 1,000 draws, a whole-model PSA each (issue 11's benchmark; target under 2 minutes
on 2 cores).

For each council with a published stock at 31 March 2023: its care model from the published figures
(:func:`carecast.councils.model.council_parameters`) and the uncertainty of its rates from the published
counts (:func:`carecast.councils.model.rate_uncertainty`: entries and exit hazards by age, Gamma posteriors
of the counts), run through :func:`carecast.care.psa` with 1,000 draws, three years monthly: summaries only
(children by placement per step, costs by financial year, present values). Prints the total time, the
process's CPU time and load, the time per council and the peak resident memory, and for a few councils the
median and 80% interval of children in care at the end and of the cost of the first whole financial year.

    python tests/benchmarks/bench_councils_psa.py [--draws 1000] [--years 3] [--threads N] [--year 2023]
"""
from __future__ import annotations

import argparse
import os
import resource
import time

import numpy as np

from carecast.care.probabilistic import psa
from carecast.councils.dataset import load_dataset
from carecast.councils.model import CouncilModelError, council_parameters, rate_uncertainty


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--years", type=float, default=3.0)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--year", type=int, default=2023)
    args = ap.parse_args()
    data = load_dataset()
    t0, cpu0 = time.perf_counter(), time.process_time()
    build = runs = 0.0
    done, skipped, rows = 0, 0, []
    for i, area in enumerate(data.councils(current_only=True)):
        a = time.perf_counter()
        try:
            p = council_parameters(area, args.year)
            u = rate_uncertainty(area, args.year)
        except (ValueError, CouncilModelError):
            skipped += 1
            continue
        b = time.perf_counter()
        r = psa(p, u, years=args.years, draws=args.draws, seed=i, threads=args.threads, progress=False)
        end = r.children_quantiles((0.1, 0.5, 0.9))[:, -1]
        whole = [k for k, share in enumerate(r.share_of_year) if share >= 1 - 1e-9]
        cost = np.quantile(r.baseline.annual["cash"][:, whole[0]], (0.1, 0.5, 0.9)) if whole else [np.nan] * 3
        rows.append((area.name, end, r.financial_years[whole[0]] if whole else "-", cost))
        c = time.perf_counter()
        build += b - a
        runs += c - b
        done += 1
    total, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{done} councils x {args.draws:,} draws, {args.years:g} years monthly, a PSA each ({skipped} without a "
          f"{args.year} stock skipped)")
    print(f"total {total:.1f} s (target 120 s), CPU {cpu:.1f} s, load {os.getloadavg()[0]:.1f}: building models "
          f"{build:.1f} s, psa {runs:.1f} s; {total / max(done, 1) * 1e3:.0f} ms a council; peak RSS {peak:.0f} MB")
    for name, end, year, cost in rows[:3]:
        print(f"  e.g. {name}: children in care at the end, median {end[1]:,.0f} (80%: {end[0]:,.0f}-{end[2]:,.0f}); "
              f"cash cost {year} median £{cost[1] / 1e6:,.1f}m (80%: £{cost[0] / 1e6:,.1f}m-£{cost[2] / 1e6:,.1f}m)")
    return 0 if total < 120 else 1


if __name__ == "__main__":
    raise SystemExit(main())
