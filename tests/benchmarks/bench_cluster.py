"""Driver memory and time of cluster runs with and without worker-side reduction.

Run on demand (not collected by pytest):

    python tests/benchmarks/bench_cluster.py [--replicates 20000] [--workers 2]
        [--engine simulate|batch] [--executor process|dask] [--chunks N]

The model: 160 states, 1,500 flows, 120 monthly steps (bench_engine's
``care_like_model``, whole numbers of people for ``simulate``; ``batch``
gives every replicate its own lognormal-perturbed rates).  The summary
wanted: per-step 5th, 50th and 95th percentiles of four aggregates of
occupancy (states grouped by index modulo 4).

Two runs on the same executor, side by side:

(full)    no reduction, ``keep_moved=False``: the driver gathers occupancy
          and arrivals for every replicate, then takes the quantiles;
(reduce)  ``reduce=cluster.Quantiles(...)``: each worker sends back only its
          range's (r, steps + 1, 4) aggregates; the driver takes the quantiles.

Reported for each: wall seconds, the driver's peak of traced allocations
(``tracemalloc``, which sees NumPy's array buffers and the received pickles)
and the driver's peak resident set after the run (``ru_maxrss``, which only
grows: the reduced run goes first).  The two quantile arrays are checked to
be identical bits.  The workers are started and warmed before timing.
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import tracemalloc
from concurrent.futures import ProcessPoolExecutor

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from bench_engine import care_like_model  # noqa: E402

from carecast import cluster  # noqa: E402
from carecast.engine._checks import format_bytes  # noqa: E402


def maxrss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def measured(fn):
    tracemalloc.start()
    tracemalloc.reset_peak()
    start = time.perf_counter()
    out = fn()
    wall = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return out, wall, peak


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--engine", choices=("simulate", "batch"), default="simulate")
    parser.add_argument("--executor", choices=("process", "dask"), default="process")
    parser.add_argument("--chunks", type=int, default=None)
    args = parser.parse_args(argv)

    rng = np.random.default_rng(20261201)
    m = care_like_model(rng, 160, 1500, 1 / 12, 120)
    S, F, steps, R = len(m["x0"]), len(m["src"]), m["steps"], args.replicates
    outputs = np.zeros((4, S))
    outputs[np.arange(S) % 4, np.arange(S)] = 1.0
    reducer = cluster.Quantiles([0.05, 0.5, 0.95], outputs)
    if args.engine == "simulate":
        x0, value = np.round(m["x0"]), m["value"]
        extra: dict = dict(seed=12)
        run_fn = cluster.simulate
    else:
        x0 = m["x0"]
        value = m["value"][None, :] * rng.lognormal(0.0, 0.3, size=(R, F))
        extra = {}
        run_fn = cluster.project_batch_on

    def run(executor, reduce, replicates=R, values=value):
        return run_fn(executor, x0, m["src"], m["dst"], values, steps, dt=m["dt"],
                      inflow=m["inflow"], replicates=replicates, reduce=reduce,
                      keep_moved=False, chunks=args.chunks, **extra)

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{args.engine}: {S} states, {F:,} flows, {steps} monthly steps, {R:,} replicates; "
          f"{args.workers} {args.executor} workers x 1 engine thread; "
          f"{os.cpu_count()} CPU(s), load average {load:.1f}")
    full_bytes = 8 * R * ((steps + 1) * S + steps * S)
    reduced_bytes = 8 * R * (steps + 1) * outputs.shape[0]
    print(f"result sizes: full occupancy + arrivals {format_bytes(full_bytes)}; "
          f"reduced aggregates {format_bytes(reduced_bytes)}")

    if args.executor == "dask":
        import distributed
        local = distributed.LocalCluster(n_workers=args.workers, threads_per_worker=1,
                                         processes=True, dashboard_address=None)
        client = distributed.Client(local)
        executor = client.get_executor()
    else:
        executor = ProcessPoolExecutor(args.workers)
    try:
        warm = value[: 2 * args.workers] if value.ndim == 2 else value
        run(executor, None, replicates=2 * args.workers, values=warm)
        ranges = cluster.chunk_ranges(R, chunks=args.chunks, slots=cluster.executor_slots(executor),
                                      bytes_per_replicate=8 * (2 * steps + 1) * S)
        print(f"ranges: {len(ranges)} of up to {max(b - a for a, b in ranges):,} replicates")
        print(f"{'run':<8} {'wall s':>8} {'driver traced peak':>19} {'driver maxrss':>14}")
        reduced, wall, peak = measured(lambda: run(executor, reducer))
        print(f"{'reduce':<8} {wall:8.1f} {format_bytes(peak):>19} "
              f"{format_bytes(maxrss_bytes()):>14}", flush=True)
        try:
            (full, wall, peak) = measured(
                lambda: reducer.finish(reducer(run(executor, None))))
        except MemoryError as exc:
            print(f"{'full':<8} refused: {exc}")
            return
        print(f"{'full':<8} {wall:8.1f} {format_bytes(peak):>19} "
              f"{format_bytes(maxrss_bytes()):>14}")
        print(f"same bits: {bool(np.array_equal(full, reduced))}")
    finally:
        executor.shutdown()
        if args.executor == "dask":
            client.close()
            local.close()


if __name__ == "__main__":
    main()
