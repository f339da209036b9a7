"""What the argument checks cost: the public functions against the bare binding.

    python tests/benchmarks/bench_checks.py [--repeats N]

Times, side by side in one run, ``carecast.project`` / ``project_batch`` /
``simulate`` (Python checks: types, replicate axes, memory, threads; then the
binding, which converts and the C library validates, including the total of
people for overflow) against calling ``carecast._core`` directly with arrays
already in their final form (only the binding's and the C library's checks).
The difference is the price of the Python-level hardening.  Case (a) is a
tiny model (where fixed costs dominate), (b) 160 states, 1,500 flows, 120
monthly steps, (c) case (b) for 200 replicates.
"""
import argparse
import time

import numpy as np

import carecast
from carecast import _core


def best_of(fn, repeats):
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def model(rng, n_states, n_flows, steps):
    src = rng.integers(0, n_states - 1, n_flows).astype(np.int64)
    dst = rng.integers(0, n_states, n_flows).astype(np.int64)
    value = rng.uniform(0, 0.5, n_flows)
    x0 = rng.uniform(0, 100, n_states)
    inflow = rng.uniform(0, 5, (steps, n_states))
    return x0, src, dst, value, inflow


def time_case(label, n_states, n_flows, steps, replicates, rng, repeats):
    x0, src, dst, value, inflow = model(rng, n_states, n_flows, steps)
    if replicates == 0:
        def public():
            carecast.project(x0, src, dst, value, steps, dt=1 / 12, inflow=inflow)

        def bare():
            _core.project(x0, src, dst, value, steps, 1 / 12, "rate", inflow, None)
    else:
        values = np.tile(value, (replicates, 1))

        def public():
            carecast.project_batch(x0, src, dst, values, steps, dt=1 / 12, inflow=inflow,
                                   replicates=replicates, threads=1, inflow_per_replicate=False)

        def bare():
            _core.project_batch(x0, src, dst, values, steps, 1 / 12, "rate", replicates, inflow,
                                None, threads=1, value_per_replicate=True)
    # Interleaved, so that a change in the machine's load hits both columns.
    t_public = t_bare = float("inf")
    for _ in range(repeats):
        t_public = min(t_public, best_of(public, 1))
        t_bare = min(t_bare, best_of(bare, 1))
    print(f"{label:<44} {t_public * 1e3:>10.3f} {t_bare * 1e3:>11.3f} "
          f"{(t_public - t_bare) * 1e6:>7.0f} us")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(1)
    print(f"{'case':<44} {'public ms':>10} {'binding ms':>11} {'overhead':>9}")
    for case in [("(a) 3 states, 3 flows, 5 steps", 3, 3, 5, 0),
                 ("(b) 160 states, 1500 flows, 120 steps", 160, 1500, 120, 0),
                 ("(c) (b) x 200 replicates, project_batch", 160, 1500, 120, 200)]:
        time_case(*case, rng, args.repeats)


if __name__ == "__main__":
    main()
