"""Benchmark: read, validate and summarise 1,000,000 SSDA903 episode rows.

Not a timed test: run it by hand and read the figures.

    python tests/benchmarks/bench_ssda903.py [--rows 1000000] [--keep DIR]

It generates synthetic returns (carecast.ssda903.generate_returns) into a
temporary folder until the episode files hold at least ``--rows`` rows, then
times, separately and in total:

* read + validate + de-duplicate + stitch (``read_returns``),
* summarise one reference year (stock at both ends, entries, exits, moves,
  exposure by single year of age x placement x 5 time-in-care bands),
* calibrate over four years.

Target (issue 4): read, validated and summarised in under 30 s on the 2-core
build machine.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def main() -> None:
    from carecast.ssda903 import calibrate, example_parameters, generate_returns, read_returns, summarise

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--keep", help="write the synthetic returns here instead of a temporary folder")
    args = ap.parse_args()

    # the example model gives about 4,050 episode rows per unit of scale over five returns
    scale = max(args.rows / 4000.0, 0.01)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        generate_returns(folder, example_parameters(scale=scale), first_year=2017, last_year=2021, seed=7)
        t_gen = time.perf_counter() - t0
        rows = sum(sum(1 for _ in open(p)) - 1 for p in folder.glob("*-episodes.csv"))
        size = sum(p.stat().st_size for p in folder.glob("*.csv")) / 1e6

        t0, c0 = time.perf_counter(), time.process_time()
        returns = read_returns(folder)
        t_read, c_read = time.perf_counter() - t0, time.process_time() - c0

        t0, c0 = time.perf_counter(), time.process_time()
        summary = summarise(returns, "2019-03-31", "2020-03-31",
                            time_in_care_bands=(0, 0.25, 0.5, 1, 2))
        t_sum, c_sum = time.perf_counter() - t0, time.process_time() - c0

        t0 = time.perf_counter()
        calibrate(returns, "2017-03-31", "2021-03-31")
        t_cal = time.perf_counter() - t0

    print(f"episode rows read        {rows:>12,d}  ({size:.0f} MB of CSV incl. headers)")
    print(f"episodes used            {returns.n_episodes:>12,d}  children {returns.n_children:,d}")
    print(f"problems                 errors {returns.report.n_errors}, warnings "
          f"{returns.report.n_warnings}, notes {returns.report.n_notes}")
    print(f"children in care 31/3/20 {summary.stock_end.sum():>12,.0f}")
    print(f"generate (not timed)     {t_gen:>10.2f} s")
    print(f"read + validate          {t_read:>10.2f} s wall  {c_read:>7.2f} s CPU")
    print(f"summarise one year       {t_sum:>10.2f} s wall  {c_sum:>7.2f} s CPU")
    print(f"read+validate+summarise  {t_read + t_sum:>10.2f} s wall  {c_read + c_sum:>7.2f} s CPU"
          "   (target < 30 s)")
    print(f"calibrate four years     {t_cal:>10.2f} s")


if __name__ == "__main__":
    main()
