"""The batch kernel end to end with the full occupancy returned: where the time goes.

Run on demand (not collected by pytest):

    python tests/benchmarks/bench_batch.py [--sets N] [--repeats N] [--idle S] [--base REV]

Case (b): 160 states, 1,500 flows, 120 monthly steps, --sets parameter sets
(default 10,000), keep_moved=False, full occupancy (and arrivals) returned;
throughput in replicate-flow-updates a second (sets * steps * flows / wall).
Every run's user and system CPU seconds and minor/major page faults come from
getrusage; the load average is printed before and after.

(b) end to end, one ``carecast._core.project_batch`` call, at 1 and 2 threads,
    runs alternating (1, 2, 1, 2, ...; each output mode in turn), --repeats
    runs each, median and best:
      fresh         the binding allocates the outputs, as carecast.project_batch
                    does: 1.55 GB of new pages for the occupancy; the shared
                    inflow's arrivals are one read-only copy viewed R times;
      fresh, arrivals x R
                    out= on fresh private mappings (default pages) for the
                    occupancy and for R copies of the arrivals (1.54 GB more):
                    what the binding wrote before it stored them once;
      reused out=   out= given the same two arrays every run, faulted in once
                    before the timing: the kernel and its writes, no faults.
    Every run's occupancy is checked bit for bit against the first run's, and
    every 50th replicate against carecast.project (and a few against the NumPy
    reference, timed and scaled).
(w) the first touch of fresh memory of the outputs' size alone (one thread,
    NumPy fill), with the system's default pages and with MADV_HUGEPAGE, each
    after --idle seconds without allocating (memory idle for a few seconds is
    what a call in real use meets).
(k) the C kernel alone (bench_batch_kernel.c against this tree's static
    library, outputs preallocated and touched), 1 and 2 threads alternating:
    the speed the kernel has with no Python and no page faults.
(s) simulate on the sample calibration, ms per replicate, 1 thread.

--base REV also builds ``carecast._core`` of git revision REV into a cache
directory (from ``git archive``) and times its (b) "fresh" runs and (s)
beside this tree's, checking its occupancy bit for bit too.
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.util
import io
import mmap
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.dirname(HERE))  # tests/, for reference_engine
sys.path.insert(0, HERE)

from bench_engine import care_like_model  # noqa: E402

import carecast  # noqa: E402
import reference_engine as ref  # noqa: E402
from carecast import _core as new_core  # noqa: E402

TARGET = 3e9  # replicate-flow-updates a second, end to end (issue 11, item 3)


def git(*args: str) -> str:
    return subprocess.run(["git", "-C", ROOT, *args], check=True, capture_output=True,
                          text=True).stdout.strip()


def base_core(rev: str):
    """carecast._core as built from git revision rev (cached by commit)."""
    commit = git("rev-parse", rev)
    cache = os.path.join(tempfile.gettempdir(), f"carecast-bench-base-{commit[:12]}")

    def built():
        return [os.path.join(d, f) for d, _, fs in os.walk(os.path.join(cache, "build_lib"))
                for f in fs if f.startswith("_core.") and f.endswith((".so", ".pyd"))]

    if not built():
        os.makedirs(cache, exist_ok=True)
        archive = subprocess.run(["git", "-C", ROOT, "archive", commit], check=True,
                                 capture_output=True).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(cache)
        print(f"building carecast._core of {commit[:12]} in {cache} ...", flush=True)
        subprocess.run([sys.executable, "setup.py", "-q", "build_ext", "--build-lib",
                        os.path.join(cache, "build_lib")], cwd=cache, check=True,
                       capture_output=True)
    spec = importlib.util.spec_from_file_location("carecast_base._core", built()[0])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, commit


def usage():
    """(user s, system s, minor faults, major faults) of this process so far."""
    try:
        import resource
    except ImportError:  # Windows
        return time.process_time(), 0.0, 0, 0
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime, u.ru_stime, u.ru_minflt, u.ru_majflt


def timed(fn):
    """((wall, user, sys, minor faults, major faults), fn())."""
    before, wall = usage(), time.perf_counter()
    out = fn()
    wall, after = time.perf_counter() - wall, usage()
    return (wall,) + tuple(a - b for a, b in zip(after, before)), out


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"


def thp_settings() -> str:
    out = []
    for name in ("enabled", "defrag"):
        try:
            with open(f"/sys/kernel/mm/transparent_hugepage/{name}") as fh:
                out.append(f"{name}={fh.read().split('[')[1].split(']')[0]}")
        except (OSError, IndexError):
            pass
    return ", ".join(out) or "n/a"


def fresh_array(shape, advice=None):
    """A float64 array on a new private anonymous mapping (no page touched yet),
    optionally madvise'd; unmapped when the array is freed."""
    n = int(np.prod(shape)) * 8
    m = mmap.mmap(-1, max(n, 1), flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    if advice is not None:
        m.madvise(advice)
    return np.frombuffer(m, dtype=np.float64, count=int(np.prod(shape))).reshape(shape)


def med(xs):
    return statistics.median(xs)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", type=int, default=10000, help="parameter sets in case (b)")
    parser.add_argument("--repeats", type=int, default=5,
                        help="runs of each (mode, threads) in (b), alternating")
    parser.add_argument("--idle", type=float, default=5.0,
                        help="seconds without allocating before each run of (w)")
    parser.add_argument("--numpy-sets", type=int, default=5,
                        help="sets the NumPy reference is timed on, then scaled")
    parser.add_argument("--sim-replicates", type=int, default=100)
    parser.add_argument("--base", default=None,
                        help="also time the binding of this git revision (e.g. 50d645f)")
    args = parser.parse_args(argv)
    base = base_commit = None
    if args.base:
        base, base_commit = base_core(args.base)
    print(f"carecast {carecast.__version__} (this tree); NumPy {np.__version__}; "
          f"{os.cpu_count()} CPU(s); transparent huge pages {thp_settings()}; "
          f"load average {load()}")

    # ---- (b) ------------------------------------------------------------
    rng = np.random.default_rng(20261122)
    care_like_model(rng, 40, 74, 1 / 365.25, 730)  # keep bench_engine's random stream
    b = care_like_model(rng, 160, 1500, 1 / 12, 120)
    R, steps, F, S = args.sets, b["steps"], len(b["src"]), len(b["x0"])
    values = b["value"][None, :] * rng.lognormal(0.0, 0.3, size=(R, F))
    src, dst = b["src"].astype(np.int64), b["dst"].astype(np.int64)
    updates = R * steps * F
    occ_shape, arr_shape = (R, steps + 1, S), (R, steps, S)
    gb = (np.prod(occ_shape) + np.prod(arr_shape)) * 8 / 1e9

    def call(core, threads, out=None):
        kw = {} if out is None else {"out": out}
        if not hasattr(core, "project_batch"):  # a binding before the split
            return lambda: core.project(b["x0"], src, dst, values, steps, b["dt"], "rate",
                                        b["inflow"], None, R, threads, None, True, False, False)
        return lambda: core.project_batch(b["x0"], src, dst, values, steps, b["dt"], "rate", R,
                                          inflow=b["inflow"], threads=threads,
                                          value_per_replicate=True, keep_moved=False, **kw)

    reused = (np.empty(occ_shape), None, np.empty(arr_shape))
    reused[0].fill(0.0)
    reused[2].fill(0.0)
    modes = {
        "fresh": lambda t: call(new_core, t),
        "fresh, arrivals x R": lambda t: call(new_core, t, (fresh_array(occ_shape), None,
                                                            fresh_array(arr_shape))),
        "reused out=": lambda t: call(new_core, t, reused),
    }
    if base is not None:
        modes[f"base {base_commit[:7]} fresh"] = lambda t: call(base, t)
    print()
    print(f"(b) project_batch end to end, {S} states, {F:,} flows, {steps} monthly steps, "
          f"{R:,} sets, keep_moved=False; outputs {np.prod(occ_shape) * 8 / 1e9:.2f} GB "
          f"occupancy + {np.prod(arr_shape) * 8 / 1e9:.2f} GB arrivals; {args.repeats} runs "
          f"each, alternating")
    runs = {(m, t): [] for m in modes for t in (1, 2)}
    reference = None
    same = {m: True for m in modes}
    arrivals_ok = True
    for _ in range(args.repeats):
        for threads in (1, 2):
            for mode, make in modes.items():
                fn = make(threads)  # fresh mappings are made (not touched) outside the timing
                figures, out = timed(fn)
                runs[(mode, threads)].append(figures)
                occupancy = out[0]
                if reference is None:
                    reference = occupancy.copy()
                else:
                    same[mode] &= bool(np.array_equal(occupancy, reference))
                arrivals_ok &= bool(np.array_equal(out[2], np.broadcast_to(b["inflow"],
                                                                           arr_shape)))
                del out, occupancy, fn
    header = (f"{'outputs':<21} {'thr':>3} {'wall med':>8} {'best':>6} {'1e9/s med':>9} "
              f"{'best':>5} {'user':>6} {'sys':>6} {'min faults':>10} {'maj':>4} "
              f"{'sys range':>11}")
    print(header)
    print("-" * len(header))
    summary = {}
    for (mode, threads), got in runs.items():
        wall = [g[0] for g in got]
        user, system = med([g[1] for g in got]), med([g[2] for g in got])
        minflt, majflt = med([g[3] for g in got]), med([g[4] for g in got])
        syss = [g[2] for g in got]
        summary[(mode, threads)] = (med(wall), min(wall), user, system, minflt)
        print(f"{mode:<21} {threads:>3} {med(wall):>8.3f} {min(wall):>6.3f} "
              f"{updates / med(wall) / 1e9:>9.2f} {updates / min(wall) / 1e9:>5.2f} "
              f"{user:>6.3f} {system:>6.3f} {minflt:>10,.0f} {majflt:>4.0f} "
              f"{min(syss):>5.2f}-{max(syss):<5.2f}")
    print("    (user, sys, faults: medians per run; wall best and median; load average "
          f"now {load()})")
    print("    2 threads / 1 thread (median walls): "
          + ", ".join(f"{m} {summary[(m, 1)][0] / summary[(m, 2)][0]:.2f}x" for m in modes))
    print("    every run's occupancy == the first run's, bit for bit: "
          + ", ".join(f"{m}: {ok}" for m, ok in same.items())
          + f"; arrivals == inflow: {arrivals_ok}")
    user, system, faults = (summary[("fresh", 2)][2], summary[("fresh", 2)][3],
                            summary[("fresh", 2)][4])
    per_fault = system / faults * 1e6 if faults else float("nan")
    floor = (user + system) / 2
    reuse_user = summary[("reused out=", 2)][2] + summary[("reused out=", 2)][3]
    print(f"    where the limit is (2 threads, medians): fresh outputs take {user:.2f} s user + "
          f"{system:.2f} s system for {faults:,.0f} page faults ({per_fault:.2f} us of system "
          f"time per fault); on two free cores "
          f"no faster than {floor:.2f} s = {updates / floor / 1e9:.2f}e9/s.  With out= reused: "
          f"{reuse_user:.2f} CPU-s, no faster than {reuse_user / 2:.2f} s = "
          f"{updates / (reuse_user / 2) / 1e9:.2f}e9/s.  The target {TARGET / 1e9:.0f}e9/s "
          f"needs {updates / TARGET:.2f} s wall.")
    reused = None  # the buffers are freed here

    # carecast.project on every 50th replicate, the NumPy reference on a few
    common = dict(src=b["src"], dst=b["dst"], steps=steps, dt=b["dt"], inflow=b["inflow"],
                  x0=b["x0"])
    sample = range(0, R, 50)
    same_project = all(np.array_equal(reference[i],
                                      carecast.project(value=values[i], **common).occupancy)
                       for i in sample)
    n_np = min(args.numpy_sets, R)
    (wall_np, *_), ref_occ = timed(lambda: [ref.project(value=values[i], **common).occupancy
                                            for i in range(n_np)])
    diff = max(float(np.abs(reference[i] - ref_occ[i]).max() / max(1.0, np.abs(ref_occ[i]).max()))
               for i in range(n_np))
    wall_np_all = wall_np * R / n_np
    print(f"    == carecast.project bit for bit on {len(sample)} replicates (every 50th): "
          f"{same_project}; NumPy reference (scaled from {n_np} sets) {wall_np_all:.0f} s = "
          f"{updates / wall_np_all / 1e9:.3f}e9/s, max rel diff {diff:.1e}")
    del reference, ref_occ

    # ---- (w) ------------------------------------------------------------
    print()
    print(f"(w) first touch of {gb:.2f} GB of fresh private memory alone (1 thread, fill), "
          f"each after {args.idle:g} s idle")
    advices = {"default pages": None}
    if hasattr(mmap, "MADV_HUGEPAGE"):
        advices["MADV_HUGEPAGE"] = mmap.MADV_HUGEPAGE
    for _ in range(2):
        for name, advice in advices.items():
            time.sleep(args.idle)

            def touch(advice=advice):
                for shape in (occ_shape, arr_shape):
                    a = fresh_array(shape, advice)
                    a.fill(1.0)
                    del a

            (wall, user, system, minflt, _), _ = timed(touch)
            print(f"    {name:<14} wall {wall:6.3f} s, user {user:.3f} s, sys {system:.3f} s, "
                  f"{minflt:>8,} faults, {gb / wall:5.1f} GB/s")

    # ---- (k) ------------------------------------------------------------
    if os.name == "posix":
        try:
            kernel_alone(args)
        except (OSError, subprocess.CalledProcessError) as err:
            print(f"(k) skipped: {err}")

    # ---- (s) ------------------------------------------------------------
    from carecast.care.model import run
    cal = carecast.calibrate(carecast.read_returns(carecast.sample_returns_path()),
                             "2018-04-01", "2020-03-31")
    a = run(cal.parameters, years=5.0).arrays
    sim_args = (a.x0, a.src.astype(np.int64), a.dst.astype(np.int64), a.value, a.steps, a.dt,
                "prob", a.inflow, None if a.advance is None else a.advance.astype(np.int64))
    Rs = args.sim_replicates

    def sim(core):
        if not hasattr(core, "simulate"):
            return lambda: core.project(*sim_args, replicates=Rs, threads=1, seed=7,
                                        keep_moved=False)[0]
        x0, s_, d_, v, n, dt, kind, inflow, adv = sim_args
        return lambda: core.simulate(x0, s_, d_, v, n, dt, kind, Rs, 7, inflow=inflow, advance=adv,
                                     threads=1, keep_moved=False)[0]

    cores = {"this tree": new_core}
    if base is not None:
        cores[f"base {base_commit[:7]}"] = base
    got = {name: [] for name in cores}
    for _ in range(3):
        for name, core in cores.items():
            got[name].append(timed(sim(core))[0])
    print()
    print(f"(s) simulate, sample calibration: {len(a.x0)} states, {len(a.src):,} flows, "
          f"{a.steps} monthly steps, {Rs} replicates, 1 thread, median of 3")
    for name, figures in got.items():
        print(f"    {name:<16} {med([g[0] for g in figures]) / Rs * 1e3:>7.3f} ms/replicate wall, "
              f"{med([g[1] + g[2] for g in figures]) / Rs * 1e3:.3f} ms cpu")
    digest = hashlib.sha256(sim(new_core)().tobytes()).hexdigest()[:16]
    print(f"    simulate occupancy sha256 {digest} (same seed, same bits on every run)")
    print(f"load average at the end {load()}")
    return 0


def kernel_alone(args) -> None:
    """Section (k): bench_batch_kernel.c against this tree's static library."""
    csrc = os.path.join(ROOT, "csrc")
    subprocess.run(["make", "-s", "-C", csrc, "lib"], check=True, capture_output=True)
    exe = os.path.join(tempfile.gettempdir(), f"carecast_bench_batch_kernel_{os.getpid()}")
    subprocess.run([os.environ.get("CC", "cc"), "-O2", "-std=c11", "-I",
                    os.path.join(csrc, "include"), os.path.join(HERE, "bench_batch_kernel.c"),
                    os.path.join(csrc, "build", "libcarecast.a"), "-lm", "-pthread", "-o", exe],
                   check=True, capture_output=True)
    got = {1: [], 2: []}
    try:
        for _ in range(args.repeats):
            for threads in (1, 2):
                out = subprocess.run([exe, str(args.sets), str(threads), "1", "touched"],
                                     check=True, capture_output=True, text=True).stdout.split()
                got[threads].append(dict(zip(out[0::2], map(float, out[1::2]))))
    finally:
        os.remove(exe)
    print()
    print(f"(k) the C kernel alone (csrc/build/libcarecast.a, -O2), its own case (b) model, "
          f"{args.sets:,} sets, outputs preallocated and touched, {args.repeats} runs each, "
          f"alternating")
    for threads, runs in got.items():
        wall = [g["wall"] for g in runs]
        cpu = med([g["user"] + g["sys"] for g in runs])
        upd = args.sets * 120 * 1500
        print(f"    {threads} thread(s): wall median {med(wall):.3f} s (best {min(wall):.3f}), "
              f"{upd / med(wall) / 1e9:.2f}e9/s median, {upd / min(wall) / 1e9:.2f}e9/s best; "
              f"{cpu:.3f} CPU-s = {upd / cpu / 1e9:.2f}e9 per CPU-second")


if __name__ == "__main__":
    sys.exit(main())
