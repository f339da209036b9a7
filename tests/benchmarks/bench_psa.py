"""Time and peak memory of a whole-model PSA (carecast.care.probabilistic) on the sample calibration.

Run on demand (not collected by pytest):

    python tests/benchmarks/bench_psa.py [--draws 1000,10000,100000] [--chunk 64] [--no-scenario]
                                         [--stochastic] [--threads N] [--tracemalloc] [--raw-draws 200]

The model is ``carecast.calibrate(read_returns(sample_returns_path()),
"2018-04-01", "2020-03-31").parameters`` (the synthetic sample council), run
monthly for 5 years. The calibration has no unit costs, so the weekly costs
(and their price year and sources) are copied from the ``norfolk-2017``
example; the distributions below are assumptions of the benchmark.

Each case runs in a fresh subprocess, so that its peak resident memory
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``, which includes the interpreter
and NumPy, about 60-80 MB) is its own; ``--tracemalloc`` also reports the peak
of Python-traced allocations (NumPy buffers included), which slows the run.
The raw case (``keep="raw"``) shows what the summaries save.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time


def bench_inputs(scenario: bool):
    """The benchmark's model, uncertain inputs and scenario (also used by bench_uncertainty.py)."""
    import carecast
    from carecast.care import EdgeOfCare, Scenario
    from carecast.care.examples import load_example
    from carecast.care.uncertainty import Gamma, LogNormal, Uncertain, Uncertainty, Uniform

    returns = carecast.read_returns(carecast.sample_returns_path())
    p = carecast.calibrate(returns, "2018-04-01", "2020-03-31").parameters
    costs = load_example("norfolk-2017").parameters
    p = p.replace(weekly_cost=costs.weekly_cost.copy(), price_year=costs.price_year,
                  cost_sources=dict(costs.cost_sources))
    inputs = Uncertainty([
        Uncertain("weekly_cost", "agency_foster", LogNormal.from_percentile(835.0, 0.95, 1100.0), name="ifa cost"),
        Uncertain("weekly_cost", "residential", LogNormal.from_percentile(3000.0, 0.95, 4500.0), name="home cost"),
        Uncertain("exit_rates", (..., "returned_home"), Gamma.from_mean_sd(1.0, 0.15), how="scale",
                  name="returns home x"),
        Uncertain("entries_per_year", (), Uniform(0.85, 1.15), how="scale", name="entries x"),
    ] + ([Uncertain("intervention.effect", 0, LogNormal.from_range(0.1, 0.4), name="edge effect")]
         if scenario else []), correlation={("ifa cost", "home cost"): 0.5})
    edge = Scenario("edge", interventions=[EdgeOfCare(families_per_year=40, share_would_enter=0.5, effect=0.25,
                                                      cost_per_family=3000.0)]) if scenario else None
    return p, inputs, edge


def case(draws: int, chunk: int, scenario: bool, keep: str, trace: bool, stochastic: bool = False,
         threads: int | None = None) -> dict:
    import resource
    import tracemalloc

    from carecast.care.probabilistic import psa

    p, inputs, edge = bench_inputs(scenario)
    if trace:
        tracemalloc.start()
    start, cpu = time.perf_counter(), time.process_time()
    result = psa(p, inputs, years=5, draws=draws, seed=20261201, scenario=edge, chunk=chunk, keep=keep,
                 progress=False, stochastic=stochastic, threads=threads)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    traced = tracemalloc.get_traced_memory()[1] if trace else None
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    sketch = result.baseline.children.nbytes + (result.scenario.children.nbytes if result.scenario else 0)
    per_draw = sum(a.nbytes for a in result.baseline.annual.values()) + result.baseline.present_value.nbytes
    raw = sum(a.nbytes for a in result.baseline.raw.values())
    if result.scenario:
        per_draw += sum(a.nbytes for a in result.scenario.annual.values()) + result.scenario.present_value.nbytes
        raw += sum(a.nbytes for a in result.scenario.raw.values())
    year = result.financial_years[1]
    return {"draws": draws, "keep": keep, "seconds": seconds, "cpu": cpu, "load": os.getloadavg()[0], "rss_mb": rss_kb / 1024,
            "traced_mb": None if traced is None else traced / 2 ** 20, "sketch_mb": sketch / 2 ** 20,
            "per_draw_mb": per_draw / 2 ** 20, "raw_mb": raw / 2 ** 20, "runner": result.runner,
            "p_exceeds": result.prob_cost_exceeds(float(result.cost_quantiles((0.5,))["q50"][1]), year),
            "median_end": float(result.children_quantiles(0.5)[-1])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", default="1000,10000", help="comma-separated draw counts")
    parser.add_argument("--chunk", type=int, default=64)
    parser.add_argument("--no-scenario", action="store_true", help="baseline only (half the runs)")
    parser.add_argument("--tracemalloc", action="store_true")
    parser.add_argument("--raw-draws", type=int, default=0, help="also run keep='raw' with this many draws")
    parser.add_argument("--stochastic", action="store_true", help="add chance: whole children simulated per draw")
    parser.add_argument("--threads", type=int, default=None, help="engine threads (default: all CPUs)")
    parser.add_argument("--case", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(case(**json.loads(args.case))))
        return
    common = dict(chunk=args.chunk, scenario=not args.no_scenario, trace=args.tracemalloc,
                  stochastic=args.stochastic, threads=args.threads)
    cases = [dict(draws=int(d), keep="summary", **common) for d in args.draws.split(",")]
    if args.raw_draws:
        cases.append(dict(draws=args.raw_draws, keep="raw", **common))
    arms = "baseline only" if args.no_scenario else "baseline + edge-of-care scenario"
    chance = ", stochastic (one replicate a draw)" if args.stochastic else ""
    print(f"PSA of the sample calibration, 5 years monthly, {arms}{chance}, chunk {args.chunk}; "
          f"{os.cpu_count()} CPUs")
    print("CPU s is the process's CPU time (every thread): on a shared machine, wall time over CPU / cores "
          "is time waiting for other jobs (load = 1-minute load average at the end)")
    print(f"{'draws':>7} {'keep':>8} {'seconds':>9} {'CPU s':>7} {'load':>5} {'ms/draw':>8} {'peak RSS MB':>12} "
          f"{'traced MB':>10} {'sketch MB':>10} {'per-draw MB':>12} {'raw MB':>8}  runner")
    for c in cases:
        out = subprocess.run([sys.executable, __file__, "--case", json.dumps(c)], capture_output=True, text=True,
                             check=False)
        if out.returncode:
            print(out.stderr)
            raise SystemExit(out.returncode)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        traced = "-" if r["traced_mb"] is None else f"{r['traced_mb']:.1f}"
        print(f"{r['draws']:>7} {r['keep']:>8} {r['seconds']:>9.1f} {r['cpu']:>7.1f} {r['load']:>5.1f} "
              f"{1000 * r['seconds'] / r['draws']:>8.2f} "
              f"{r['rss_mb']:>12.1f} {traced:>10} {r['sketch_mb']:>10.2f} {r['per_draw_mb']:>12.2f} "
              f"{r['raw_mb']:>8.2f}  {r['runner']}")
        print(f"        (check: median children at the end {r['median_end']:.1f}; P(cost > median) in year 2 "
              f"{r['p_exceeds']:.3f})")


if __name__ == "__main__":
    main()
