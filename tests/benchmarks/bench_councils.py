"""Timings of the council dataset: build from raw, ``carecast run --council``, forecast all councils.

    python tests/benchmarks/bench_councils.py [--raw /work/shared/data/dfe_la] [--repeats 3]

Targets (issue 9): building the dataset from the raw folder under 20 s;
``carecast run --council X`` under 1 s; a forecast of all councils with
intervals under 2 minutes on 2 cores. Each case is timed best of
``--repeats`` in one run; the command-line case is a fresh process each time
(interpreter start-up included), as a user sees it.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time


def best(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    default_raw = os.path.normpath(os.path.join(here, "..", "..", "..", "..", "shared", "data", "dfe_la"))
    if not os.path.isdir(default_raw):
        default_raw = "/work/shared/data/dfe_la"
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--raw", default=default_raw, help="the full published folder")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    if not os.path.isdir(args.raw):
        print(f"no raw folder at {args.raw}: pass --raw", file=sys.stderr)
        return 2

    from carecast.care import run
    from carecast.councils import build_dataset, load_dataset, write_dataset
    from carecast.councils.dataset import CouncilData
    from carecast.councils.forecast import backtest, forecast, truncate_raw

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "councils.json.gz")

        def build():
            raw, _ = build_dataset(args.raw)
            write_dataset(raw, out)
        rows.append(("build the dataset from raw (all files) and write it", best(build, args.repeats), 20.0))

        def load():
            from carecast.councils.dataset import _load_file
            _load_file.cache_clear()
            load_dataset(out)
        rows.append(("load the packaged dataset", best(load, args.repeats), None))

        data = load_dataset()
        leeds = data.find("Leeds")
        rows.append(("Leeds 2019: parameters + 5-year monthly run (in process)",
                     best(lambda: run(leeds.parameters(2019), years=5, step="month"), args.repeats), None))
        cmd = [sys.executable, "-m", "carecast", "run", "--council", "Leeds", "--from", "2019", "-o",
               os.path.join(tmp, "leeds"), "--no-charts", "--no-html", "--quiet"]
        rows.append(("carecast run --council Leeds --from 2019 --no-charts --no-html (new process)",
                     best(lambda: subprocess.run(cmd, check=True, capture_output=True), args.repeats), 1.0))
        # context: the default run also draws the charts of the HTML report (matplotlib's import and SVGs)
        full = cmd[:-3] + ["--quiet"]
        rows.append(("  the same with the HTML report and PNG charts (the default)",
                     best(lambda: subprocess.run(full, check=True, capture_output=True), args.repeats), None))

        cut = os.path.join(tmp, "cut2019")
        truncate_raw(args.raw, cut, 2019)

        def forecast_all():
            raw, _ = build_dataset(cut)
            forecast(CouncilData(raw), 2019, 3)
        rows.append(("forecast all councils with 80% intervals from a raw folder cut at 2019 (build + fit)",
                     best(forecast_all, args.repeats), 120.0))
        rows.append(("forecast all councils from the packaged dataset",
                     best(lambda: forecast(data, 2023, 3), args.repeats), 120.0))
        rows.append(("backtest: all councils, origins 2014-2023, 3 horizons",
                     best(lambda: backtest(data, range(2014, 2024), 3), args.repeats), None))

        def models_all():
            for a in data.councils(current_only=True):
                try:
                    p = a.parameters(2023)
                except ValueError:
                    continue
                run(p, years=3, step="month", post_exit=False)
        rows.append(("care model of every council at 2023, 3-year monthly run", best(models_all, 1), None))

    print(f"{'case':<88}{'seconds':>9}{'target':>9}")
    ok = True
    for name, t, target in rows:
        flag = "" if target is None else ("  ok" if t < target else "  MISSED")
        ok &= target is None or t < target
        print(f"{name:<88}{t:>9.3f}{'' if target is None else f'{target:>9.0f}'}{flag}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
