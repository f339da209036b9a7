"""The batch and simulation kernels against the previous ones and the NumPy
reference, side by side in one run.

Run on demand (not collected by pytest):

    python tests/benchmarks/bench_batch.py [--base REV] [--sets N] [--repeats N]

The previous kernels are those of git revision REV (default: the merge base
of HEAD and main), built once into a cache directory from ``git archive``
and loaded beside the installed ``carecast._core`` as ``carecast_base._core``.
Both modules take the same arguments; runs alternate (base, new, base,
new, ...) so that both see the same machine load, and the run with the best
wall time is kept, with its user and system CPU seconds and minor page
faults (getrusage): on a shared machine the user time is the steadier
figure, and the system time shows what the operating system spends
providing fresh pages for the outputs.

Cases
-----
(b) project_batch: 160 states, 1,500 flows, 120 monthly steps, --sets
    parameter sets (default 10,000), keep_moved=False, full occupancy (and
    arrivals) returned, 1 and 2 threads.  Throughput in replicate-flow-updates
    a second (sets * steps * flows / time).  Every replicate is checked bit for
    bit against the previous kernel, and a sample against carecast.project and
    the NumPy reference.
(w) the output write alone: allocating and first touching arrays of the
    shapes case (b) returns, which bounds the end-to-end time from below.
(k) the C kernel alone (bench_batch_kernel.c, compiled against both
    libraries' static builds): case (b) with the outputs preallocated and
    touched ("touched": the kernel's own speed) and freshly allocated in the
    timing ("fresh": plus the page faults of 3 GB of outputs).  Needs make and
    a C compiler; skipped on Windows.
(s) simulate on the sample calibration (carecast.calibrate on the sample
    returns, 2018-04-01 to 2020-03-31, five years monthly): milliseconds per
    replicate, 1 thread.
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.util
import io
import os
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


def git(*args: str) -> str:
    return subprocess.run(["git", "-C", ROOT, *args], check=True, capture_output=True,
                          text=True).stdout.strip()


def base_core(rev: str):
    """carecast._core as built from git revision rev (cached by commit)."""
    commit = git("rev-parse", rev)
    cache = os.path.join(tempfile.gettempdir(), f"carecast-bench-base-{commit[:12]}")
    built = [os.path.join(d, f) for d, _, fs in os.walk(os.path.join(cache, "build_lib"))
             for f in fs if f.startswith("_core.") and f.endswith((".so", ".pyd"))]
    if not built:
        os.makedirs(cache, exist_ok=True)
        archive = subprocess.run(["git", "-C", ROOT, "archive", commit], check=True,
                                 capture_output=True).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(cache)
        print(f"building carecast._core of {commit[:12]} in {cache} ...", flush=True)
        subprocess.run([sys.executable, "setup.py", "-q", "build_ext", "--build-lib",
                        os.path.join(cache, "build_lib")], cwd=cache, check=True,
                       capture_output=True)
        built = [os.path.join(d, f) for d, _, fs in os.walk(os.path.join(cache, "build_lib"))
                 for f in fs if f.startswith("_core.") and f.endswith((".so", ".pyd"))]
    spec = importlib.util.spec_from_file_location("carecast_base._core", built[0])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, commit


def _usage():
    """(user, system) CPU seconds and minor page faults of this process so far."""
    try:
        import resource
    except ImportError:  # Windows
        return time.process_time(), 0.0, 0
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime, u.ru_stime, u.ru_minflt


def timed(fn):
    """Wall, user and system seconds, page faults, and the result of fn()."""
    wall, before = time.perf_counter(), _usage()
    out = fn()
    wall, after = time.perf_counter() - wall, _usage()
    return (wall, after[0] - before[0], after[1] - before[1], after[2] - before[2]), out


def alternate(runs: dict, repeats: int):
    """Each named run's best (wall, user, system, faults), by wall time, the runs
    alternating."""
    best = {name: (float("inf"), 0.0, 0.0, 0) for name in runs}
    outs = {}
    for _ in range(repeats):
        for name, fn in runs.items():
            times, out = timed(fn)
            if times[0] < best[name][0]:
                best[name] = times
            outs[name] = out
            del out
    return best, outs


def kernel_alone(base_tree: str, args) -> None:
    """Section (k): bench_batch_kernel.c against the two static libraries."""
    cache = os.path.dirname(base_tree)  # .../carecast-bench-base-<commit>
    harness = os.path.join(HERE, "bench_batch_kernel.c")
    exes = {}
    for name, tree in (("base", cache), ("new", ROOT)):
        csrc = os.path.join(tree, "csrc")
        subprocess.run(["make", "-s", "-C", csrc, "lib"], check=True, capture_output=True)
        exe = os.path.join(cache, f"bench_batch_kernel_{name}")
        subprocess.run([os.environ.get("CC", "cc"), "-O2", "-std=c11", "-I",
                        os.path.join(csrc, "include"), harness,
                        os.path.join(csrc, "build", "libcarecast.a"), "-lm", "-pthread", "-o",
                        exe], check=True, capture_output=True)
        exes[name] = exe
    R = args.sets
    print()
    print(f"(k) the C kernel alone, case (b), {R:,} sets, best of {args.repeats} "
          f"(outputs preallocated and touched, or fresh in the timing)")
    header = (f"{'kernel':<14} {'outputs':<8} {'threads':>7} {'wall s':>8} {'user s':>7} "
              f"{'sys s':>7} {'1e9 upd/s':>10} {'per cpu-s':>10} {'vs base':>8}")
    print(header)
    print("-" * len(header))
    for mode in ("touched", "fresh"):
        for threads in (1, 2):
            got = {}
            for name in ("base", "new"):
                out = subprocess.run([exes[name], str(R), str(threads), str(args.repeats), mode],
                                     check=True, capture_output=True, text=True).stdout.split()
                got[name] = dict(zip(out[0::2], map(float, out[1::2])))
            for name in ("base", "new"):
                g = got[name]
                per_cpu = g['updates/s'] * g['wall'] / max(g['user'] + g['sys'], 1e-9)
                print(f"{name:<14} {mode:<8} {threads:>7} {g['wall']:>8.3f} {g['user']:>7.3f} "
                      f"{g['sys']:>7.3f} {g['updates/s'] / 1e9:>10.2f} {per_cpu / 1e9:>10.2f} "
                      f"{got['base']['wall'] / g['wall']:>7.2f}x")
    print("    per cpu-s: updates per second of user + system time, the speed the kernel would "
          "have\n    on cores of its own; sys: the operating system providing fresh pages")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default=None, help="git revision of the previous kernels "
                        "(default: 50d645f, the last commit before the blocked batch kernel)")
    parser.add_argument("--sets", type=int, default=10000, help="parameter sets in case (b)")
    parser.add_argument("--repeats", type=int, default=3, help="alternating runs per timing")
    parser.add_argument("--numpy-sets", type=int, default=20,
                        help="sets the NumPy reference is timed on, then scaled")
    parser.add_argument("--sim-replicates", type=int, default=100)
    args = parser.parse_args(argv)
    # default: the last commit before the blocked batch kernel (the layout commit of 2026-12-01)
    rev = args.base or "50d645f"
    base, commit = base_core(rev)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"carecast {carecast.__version__} (this tree) against {commit[:12]}; NumPy "
          f"{np.__version__}; {os.cpu_count()} CPU(s), load average {load:.1f}; "
          f"best of {args.repeats} alternating runs")

    # ---- (b) ------------------------------------------------------------
    rng = np.random.default_rng(20261122)
    care_like_model(rng, 40, 74, 1 / 365.25, 730)  # keep bench_engine's random stream
    b = care_like_model(rng, 160, 1500, 1 / 12, 120)
    R, steps, F, S = args.sets, b["steps"], len(b["src"]), len(b["x0"])
    values = b["value"][None, :] * rng.lognormal(0.0, 0.3, size=(R, F))
    src, dst = b["src"].astype(np.int64), b["dst"].astype(np.int64)
    updates = R * steps * F

    def batch(core, threads):
        if not hasattr(core, "project_batch"):    # a binding before the split: one project() for every kernel
            return lambda: core.project(b["x0"], src, dst, values, steps, b["dt"], "rate",
                                        b["inflow"], None, R, threads, None, True, False, False)[0]
        return lambda: core.project_batch(b["x0"], src, dst, values, steps, b["dt"], "rate", R,
                                          inflow=b["inflow"], threads=threads, value_per_replicate=True,
                                          keep_moved=False)[0]

    print()
    print(f"(b) project_batch, {S} states, {F:,} flows, {steps} monthly steps, {R:,} sets, "
          f"keep_moved=False; outputs {R * (steps + 1) * S * 8 / 1e9:.2f} GB occupancy + "
          f"{R * steps * S * 8 / 1e9:.2f} GB arrivals")
    header = (f"{'kernel':<26} {'threads':>7} {'wall s':>8} {'user s':>7} {'sys s':>7} "
              f"{'faults':>7} {'1e9 upd/s':>10} {'vs base':>8}")
    print(header)
    print("-" * len(header))
    results = {}
    for threads in (1, 2):
        runs = {"base": batch(base, threads), "new": batch(new_core, threads)}
        best, outs = alternate(runs, args.repeats)
        same = np.array_equal(outs["base"], outs["new"])
        del outs
        for name in ("base", "new"):
            wall, user, system, faults = best[name]
            results[(name, threads)] = wall
            ratio = best["base"][0] / wall
            print(f"{name + ' kernel':<26} {threads:>7} {wall:>8.3f} {user:>7.3f} {system:>7.3f} "
                  f"{faults:>7} {updates / wall / 1e9:>10.2f} {ratio:>7.2f}x")
        print(f"{'':<26} {'':>7} new == base bit for bit, every replicate: {same}")
    scaling = results[("new", 1)] / results[("new", 2)]
    scaling_base = results[("base", 1)] / results[("base", 2)]
    print(f"2 threads / 1 thread: new {scaling:.2f}x, base {scaling_base:.2f}x")

    # NumPy reference and carecast.project on a sample of the sets
    n_np = min(args.numpy_sets, R)
    common = dict(src=b["src"], dst=b["dst"], steps=steps, dt=b["dt"], inflow=b["inflow"],
                  x0=b["x0"])
    (wall_np, *_), ref_occ = timed(lambda: [ref.project(value=values[i], **common).occupancy
                                            for i in range(n_np)])
    new_occ = new_core.project_batch(b["x0"], src, dst, values[:n_np], steps, b["dt"], "rate", n_np,
                                     inflow=b["inflow"], threads=1, value_per_replicate=True,
                                     keep_moved=False)[0]
    same_project = all(np.array_equal(new_occ[i],
                                      carecast.project(value=values[i], **common).occupancy)
                       for i in range(n_np))
    diff = max(float(np.abs(new_occ[i] - ref_occ[i]).max() / max(1.0, np.abs(ref_occ[i]).max()))
               for i in range(n_np))
    wall_np_all = wall_np * R / n_np
    print(f"{'NumPy reference (scaled)':<26} {1:>7} {wall_np_all:>8.1f} {'':>7} {'':>7} {'':>7} "
          f"{updates / wall_np_all / 1e9:>10.3f}   (timed on {n_np} sets; max rel diff "
          f"{diff:.1e}; new == carecast.project bit for bit: {same_project})")
    del new_occ, ref_occ

    # ---- (w) ------------------------------------------------------------
    def touch():
        occ = np.empty((R, steps + 1, S))
        occ.fill(1.0)
        arr = np.zeros((R, steps, S))
        arr.fill(1.0)
        return occ.shape

    best, _ = alternate({"touch": touch}, args.repeats)
    wall, user, system, faults = best["touch"]
    print(f"(w) allocate and first-touch the outputs alone: wall {wall:.3f} s, user {user:.3f} s, "
          f"sys {system:.3f} s, {faults} page faults = {wall / results[('new', 2)]:.0%} of the "
          f"new kernel's 2-thread run")
    print("    (the system time is the kernel zeroing and mapping fresh pages for the outputs;"
          " with\n    transparent huge pages it grows when memory is fragmented)")

    # ---- (k) ------------------------------------------------------------
    if os.name == "posix":
        try:
            kernel_alone(os.path.dirname(os.path.dirname(base.__file__)), args)
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

    best, _ = alternate({"base": sim(base), "new": sim(new_core)}, max(args.repeats, 3))
    print()
    print(f"(s) simulate, sample calibration: {len(a.x0)} states, {len(a.src):,} flows, "
          f"{a.steps} monthly steps, {Rs} replicates, 1 thread")
    for name in ("base", "new"):
        wall, user, system, _ = best[name]
        print(f"{name + ' kernel':<26} {wall / Rs * 1e3:>8.3f} ms/replicate wall, "
              f"{(user + system) / Rs * 1e3:.3f} ms cpu")
    cpu = {name: best[name][1] + best[name][2] for name in best}
    print(f"speed-up per replicate: wall {best['base'][0] / best['new'][0]:.1f}x, "
          f"cpu {cpu['base'] / cpu['new']:.1f}x")
    digest = hashlib.sha256(sim(new_core)().tobytes()).hexdigest()[:16]
    print(f"new simulate occupancy sha256 {digest} (same seed, same bits on every run)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
