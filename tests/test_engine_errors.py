"""Bad input to the engine: every case gets a clear ValueError / TypeError /
MemoryError naming the argument (and, where there is one, the offending
index) - never a crash, hang, silent NaN or memory growth.  Also: inputs are
never modified; lists, float32, Fortran-order, strided and read-only arrays
and int32 indices are accepted and give identical results.
"""
import gc
import os
import subprocess
import sys
import textwrap
import time
import tracemalloc

import numpy as np
import pytest

import carecast

BAD = (ValueError, TypeError)

# A small valid model: 3 states, 3 flows, 5 annual steps.
X0 = np.array([10.0, 5.0, 0.0])
SRC = np.array([0, 1, 0])
DST = np.array([1, 2, 2])
VALUE = np.array([0.1, 0.2, 0.3])
STEPS = 5


def names(*words):
    """A regex that every word appears in the message, as a whole word, in any order."""
    return "(?s)" + "".join(rf"(?=.*\b{w}\b)" for w in words)


def project(**changes):
    args = dict(x0=X0, src=SRC, dst=DST, value=VALUE, steps=STEPS)
    args.update(changes)
    return lambda: carecast.project(**args)


def proj():
    return carecast.project(X0, SRC, DST, VALUE, STEPS, inflow=[1.0, 0.0, 0.0])


def accrue(*args, **kwargs):
    return lambda: carecast.accrue(proj(), *args, **kwargs)


def batch(**changes):
    args = dict(x0=X0, src=SRC, dst=DST, value=np.tile(VALUE, (4, 1)), steps=STEPS, replicates=4)
    args.update(changes)
    return lambda: carecast.project_batch(**args)


def x0_with(i, v):
    x = X0.copy()
    x[i] = v
    return x


def value_with(i, v):
    x = VALUE.copy()
    x[i] = v
    return x


CASES = [
    # x0
    ("x0 2-D", project(x0=[[10.0, 5.0, 0.0]]), BAD, names("x0")),
    ("x0 complex", project(x0=X0.astype(complex)), BAD, names("x0")),
    ("x0 strings", project(x0=["a", "b", "c"]), BAD, names("x0")),
    ("x0 object", project(x0=np.array([1.0, None, 2.0], dtype=object)), BAD, names("x0")),
    ("x0 NaN at 2", project(x0=x0_with(2, np.nan)), ValueError, names("x0", "2")),
    ("x0 inf", project(x0=x0_with(1, np.inf)), ValueError, names("x0")),
    ("x0 negative at 2", project(x0=x0_with(2, -1.0)), ValueError, names("x0", "2")),
    ("x0 no states", project(x0=np.zeros(0), src=np.zeros(0, int), dst=np.zeros(0, int), value=np.zeros(0)),
     ValueError, "(?i)x0|state"),
    ("x0 None", project(x0=None), BAD, names("x0")),
    # src / dst
    ("src non-integral floats", project(src=[0.5, 1.0, 0.0]), BAD, names("src")),
    ("src out of range at 1", project(src=[0, 3, 0]), ValueError, names("src", "1")),
    ("src negative at 2", project(src=[0, 1, -1]), ValueError, names("src", "2")),
    ("dst out of range at 2", project(dst=[1, 2, 7]), ValueError, names("dst", "2")),
    ("dst wrong length", project(dst=[1, 2]), ValueError, names("dst")),
    ("src 2-D", project(src=[[0, 1, 0]]), ValueError, names("src")),
    ("src strings", project(src=["0", "1", "0"]), BAD, names("src")),
    ("src complex", project(src=np.array([0, 1, 0], dtype=complex)), BAD, names("src")),
    ("src huge int", project(src=np.array([0, 2**62, 0])), ValueError, names("src", "1")),
    # value
    ("value wrong length", project(value=[0.1, 0.2]), ValueError, names("value")),
    ("value wrong steps", project(value=np.full((STEPS + 1, 3), 0.1)), ValueError, names("value")),
    ("value 3-D", project(value=np.full((STEPS, 3, 1), 0.1)), ValueError, names("value")),
    ("value NaN at 1", project(value=value_with(1, np.nan)), ValueError, names("value", "1")),
    ("value inf rate", project(value=value_with(2, np.inf)), ValueError, names("value", "2")),
    ("value negative rate at 2", project(value=value_with(2, -0.1)), ValueError, names("value", "2")),
    ("value complex", project(value=VALUE.astype(complex)), BAD, names("value")),
    ("value strings", project(value=["0.1", "x", "0.3"]), BAD, names("value")),
    ("prob above 1 at 1", project(value=[0.1, 1.5, 0.3], kind="prob"), ValueError, names("value", "1")),
    ("prob negative", project(value=[0.1, -0.2, 0.3], kind="prob"), ValueError, names("value")),
    # State 0 sends 0.7 to 1 and 0.6 to 2: the sum 1.3 is above 1.
    ("prob sum above 1", project(value=[0.7, 0.2, 0.6], kind="prob"), ValueError, names("value")),
    ("prob sum 1 + 1e-9", project(value=[0.5, 0.2, 0.5 + 1e-9], kind="prob"), ValueError, names("value")),
    # inflow
    ("inflow wrong length", project(inflow=[1.0, 2.0]), ValueError, names("inflow")),
    ("inflow wrong steps", project(inflow=np.ones((STEPS + 1, 3))), ValueError, names("inflow")),
    ("inflow NaN at 2", project(inflow=[0.0, 1.0, np.nan]), ValueError, names("inflow", "2")),
    ("inflow negative", project(inflow=[0.0, -1.0, 0.0]), ValueError, names("inflow")),
    ("inflow inf", project(inflow=[np.inf, 1.0, 0.0]), ValueError, names("inflow")),
    ("inflow complex", project(inflow=np.ones(3, complex)), BAD, names("inflow")),
    # advance
    ("advance out of range at 1", project(advance=[1, 5, -1]), ValueError, names("advance", "1")),
    ("advance -2 at 0", project(advance=[-2, 2, -1]), ValueError, names("advance", "0")),
    ("advance wrong length", project(advance=[1, 2]), ValueError, names("advance")),
    ("advance non-integral", project(advance=[1.5, 2.0, -1.0]), BAD, names("advance")),
    # dt, steps, kind
    ("dt zero", project(dt=0.0), ValueError, names("dt")),
    ("dt negative", project(dt=-1.0), ValueError, names("dt")),
    ("dt NaN", project(dt=float("nan")), ValueError, names("dt")),
    ("dt inf", project(dt=float("inf")), ValueError, names("dt")),
    ("dt string", project(dt="1"), TypeError, names("dt")),
    ("steps negative", project(steps=-1), ValueError, names("steps")),
    ("steps non-integer", project(steps=2.5), BAD, names("steps")),
    ("steps string", project(steps="5"), TypeError, names("steps")),
    # Sizes too large to allocate: DESIGN asks for an error naming the argument.
    ("steps 10**15", project(steps=10**15), (MemoryError, ValueError), names("steps")),
    ("steps * S overflows", project(steps=2**62), (MemoryError, ValueError), names("steps")),
    ("steps beyond int64", project(steps=2**70), (MemoryError, ValueError, OverflowError), names("steps")),
    ("kind unknown", project(kind="rates"), ValueError, names("kind")),
    ("kind None", project(kind=None), BAD, names("kind")),
    # accrue
    ("occupancy unknown", accrue([1.0, 2.0, 3.0], occupancy="middle"), ValueError, names("occupancy")),
    ("occupancy weights shape", accrue([1.0, 2.0, 3.0], occupancy=np.ones((STEPS, 3))), ValueError, names("occupancy")),
    ("occupancy weights NaN", accrue([1.0, 2.0, 3.0], occupancy=np.full((STEPS, 2), np.nan)), ValueError, names("occupancy")),
    ("per_year wrong length", accrue([1.0, 2.0]), ValueError, names("per_year")),
    ("per_year NaN at 1", accrue([1.0, np.nan, 3.0]), ValueError, names("per_year", "1")),
    ("per_year complex", accrue(np.ones(3, complex)), BAD, names("per_year")),
    ("per_flow wrong length", accrue(per_flow=[1.0]), ValueError, names("per_flow")),
    ("per_arrival inf", accrue(per_arrival=[np.inf, 0.0, 0.0]), ValueError, names("per_arrival")),
    ("price_index wrong length", accrue([1.0, 2.0, 3.0], price_index=np.ones(STEPS + 2)), ValueError, names("price_index")),
    ("price_index NaN", accrue([1.0, 2.0, 3.0], price_index=np.full(STEPS, np.nan)), ValueError, names("price_index")),
    ("accrue result not a projection", lambda: carecast.accrue({"occupancy": 1}, [1.0]), BAD, names("result")),
    # discounting
    ("timing unknown", lambda: carecast.present_value(np.ones(3), dt=1.0, timing="middle"), ValueError, names("timing")),
    # A 1-D series is reported with its 1-D index.
    ("values NaN at 1", lambda: carecast.present_value(np.array([1.0, np.nan]), dt=1.0), ValueError, r"values\[1\]"),
    ("timing above 1", lambda: carecast.present_value(np.ones(3), dt=1.0, timing=1.5), ValueError, names("timing")),
    ("schedule bool", lambda: carecast.discount_factors(np.ones(2), True), TypeError, names("schedule")),
    ("present_value dt 0", lambda: carecast.present_value(np.ones(3), dt=0.0), ValueError, names("dt")),
    ("schedule start not 0", lambda: carecast.DiscountSchedule([1.0, 30.0], [0.035, 0.03]), ValueError, names("starts")),
    ("schedule not increasing at 2", lambda: carecast.DiscountSchedule([0.0, 30.0, 30.0], [0.035, 0.03, 0.02]),
     ValueError, names("starts", "2")),
    ("schedule rate -1 at 1", lambda: carecast.DiscountSchedule([0.0, 30.0], [0.035, -1.0]), ValueError, names("rates", "1")),
    ("schedule lengths differ", lambda: carecast.DiscountSchedule([0.0, 30.0], [0.035]), ValueError, "starts|rates"),
    ("schedule NaN rate", lambda: carecast.DiscountSchedule([0.0], [np.nan]), ValueError, names("rates")),
    ("schedule empty", lambda: carecast.DiscountSchedule([], []), ValueError, "starts|rates"),
    ("schedule string", lambda: carecast.discount_factors(np.ones(2), "green"), BAD, names("schedule")),
    ("flat rate below -1", lambda: carecast.discount_factors(np.ones(2), -1.5), ValueError, "schedule|rate"),
    ("times negative at 1", lambda: carecast.discount_factors(np.array([1.0, -2.0])), ValueError, names("times", "1")),
    ("times NaN", lambda: carecast.discount_factors(np.array([np.nan])), ValueError, names("times")),
    ("price_index rate -1", lambda: carecast.price_index(3, annual_rate=-1.0), ValueError, names("annual_rate")),
    ("price_index steps -1", lambda: carecast.price_index(-1, annual_rate=0.02), ValueError, names("steps")),
    ("payback NaN at 1", lambda: carecast.payback(np.array([-1.0, np.nan])), ValueError, r"net_benefit\[1\]"),
    ("payback 2-D", lambda: carecast.payback(np.ones((2, 3))), ValueError, names("net_benefit")),
    ("npv length mismatch", lambda: carecast.npv(np.ones(3), np.ones(4)), ValueError, "benefits|costs"),
    # batches
    ("replicates 0", batch(replicates=0), ValueError, names("replicates")),
    ("replicates negative", batch(replicates=-3), ValueError, names("replicates")),
    ("batch value wrong R", batch(value=np.tile(VALUE, (3, 1))), ValueError, names("value")),
    ("batch x0 wrong R", batch(x0=np.tile(X0, (5, 1))), ValueError, names("x0")),
    ("batch value negative", batch(value=np.tile(value_with(1, -1.0), (4, 1))), ValueError, names("value")),
    ("batch threads negative", batch(threads=-1), ValueError, names("threads")),
    # root finding
    ("find_root f not callable", lambda: carecast.find_root(3.0, 0.0, 1.0), TypeError, names("f")),
    ("find_root a == b", lambda: carecast.find_root(lambda x: x, 1.0, 1.0), ValueError, "\\ba\\b|\\bb\\b|bracket"),
    ("find_root a NaN", lambda: carecast.find_root(lambda x: x, float("nan"), 1.0), ValueError, "\\ba\\b|bracket"),
    ("find_root xtol negative", lambda: carecast.find_root(lambda x: x, -1.0, 1.0, xtol=-1.0), ValueError, names("xtol")),
    ("find_root maxiter 0", lambda: carecast.find_root(lambda x: x, -1.0, 1.0, maxiter=0), ValueError, names("maxiter")),
]


@pytest.mark.parametrize("call, error, pattern", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_refused_with_a_clear_message(call, error, pattern):
    start = time.perf_counter()
    with pytest.raises(error, match=pattern):
        call()
    # Refusing must be quick, also for absurd sizes (no allocation attempt
    # that swaps, no loop over 10**15 steps).
    assert time.perf_counter() - start < 2.0


def test_at_least_thirty_cases():
    assert len(CASES) >= 30


NASTY = textwrap.dedent("""
    import numpy as np, carecast
    x0, src, dst, v = np.array([1.0, 2.0]), np.array([0]), np.array([1]), np.array([0.1])
    calls = [
        lambda: carecast.project(x0, src, dst, v, 10**15),
        lambda: carecast.project(x0, src, dst, v, 2**62),
        lambda: carecast.project(np.ones(10**6), np.zeros(1, np.int64), np.ones(1, np.int64), v, 2**40),
        lambda: carecast.project(np.array([1.0, None], dtype=object), src, dst, v, 3),
        lambda: carecast.project(x0, np.array([2**63 - 1]), dst, v, 3),
        lambda: carecast.project(x0, np.array([-2**63]), dst, v, 3),
        lambda: carecast.project(x0, src, dst, v, 3, advance=np.array([2**40, -1])),
        lambda: carecast.project_batch(x0, src, dst, np.full((3, 1), 0.1), 5, replicates=2**62),
        lambda: carecast.project_batch(x0, src, dst, np.ones((3, 1)) * 0.1, 5, replicates=3, threads=10**9),
        lambda: carecast.accrue(carecast.project(x0, src, dst, v, 3), np.ones(2), occupancy=np.ones((3, 2, 1))),
        lambda: carecast.find_root(lambda x: "not a number", 0.0, 1.0),
        lambda: carecast.find_root(lambda x: [x], 0.0, 1.0),
        lambda: carecast.discount_factors(np.ones(5), carecast.DiscountSchedule([0.0], [1e308])),
        lambda: carecast.price_index(10**15, annual_rate=0.02),
    ]
    for i, call in enumerate(calls):
        try:
            call()
        except (ValueError, TypeError, MemoryError, OverflowError, carecast.CarecastError) as exc:
            print(i, "refused", type(exc).__name__)
        else:
            print(i, "accepted")
    print("SURVIVED")
""")


def test_nastiest_inputs_do_not_crash_the_interpreter():
    out = subprocess.run([sys.executable, "-c", NASTY], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, f"interpreter died (code {out.returncode}):\n{out.stdout}\n{out.stderr}"
    assert "SURVIVED" in out.stdout
    lines = [line for line in out.stdout.splitlines() if line[:1].isdigit()]
    # Every call but the harmless flat-rate and threads ones must be refused.
    accepted = {int(line.split()[0]) for line in lines if line.endswith("accepted")}
    assert accepted <= {8, 12}, out.stdout


# --- inputs are never modified ---------------------------------------------

def model_arrays():
    rng = np.random.default_rng(42)
    n_states, n_flows, steps = 6, 10, 12
    return dict(
        x0=rng.uniform(0, 100, n_states),
        src=rng.integers(0, n_states - 1, n_flows),
        dst=rng.integers(0, n_states, n_flows),
        value=rng.uniform(0, 0.5, (steps, n_flows)),
        steps=steps,
        inflow=rng.uniform(0, 5, (steps, n_states)),
        advance=np.array([1, 2, -1, 4, -1, -1]),
    )


def test_inputs_are_never_modified_and_read_only_arrays_work():
    args = model_arrays()
    for v in args.values():
        if isinstance(v, np.ndarray):
            v.setflags(write=False)
    copies = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in args.items()}
    res = carecast.project(**args)
    steps = args["steps"]
    per_year = np.linspace(1, 2, 6)
    per_flow = np.linspace(3, 4, 10)
    weights = np.full((steps, 2), 0.5)
    price = np.linspace(1, 1.2, steps)
    extra = [per_year, per_flow, weights, price]
    for a in extra:
        a.setflags(write=False)
    extra_copies = [a.copy() for a in extra]
    carecast.accrue(res, per_year, per_flow=per_flow, per_arrival=per_year, occupancy=weights,
                    price_index=price)
    series = np.linspace(-5, 5, steps)
    series.setflags(write=False)
    carecast.present_value(series, dt=1.0)
    carecast.discounted_cumulative(series, dt=1.0)
    carecast.cumulative(series)
    carecast.payback(series)
    carecast.npv(series, series[::-1])
    times = np.linspace(0, 100, 7)
    times.setflags(write=False)
    carecast.discount_factors(times)
    batch_value = np.stack([args["value"]] * 3)
    batch_value.setflags(write=False)
    carecast.project_batch(args["x0"], args["src"], args["dst"], batch_value, steps, replicates=3)
    for k, v in copies.items():
        if isinstance(v, np.ndarray):
            np.testing.assert_array_equal(args[k], v, err_msg=k)
    for a, c in zip(extra, extra_copies):
        np.testing.assert_array_equal(a, c)
    np.testing.assert_array_equal(series, np.linspace(-5, 5, steps))
    np.testing.assert_array_equal(times, np.linspace(0, 100, 7))
    # The outputs are fresh, writable arrays that share no memory with inputs.
    assert res.occupancy.flags.writeable
    assert not np.shares_memory(res.inflow, args["inflow"])


# --- layouts and dtypes give identical results ---------------------------

def same_projection(a, b):
    for name in ("occupancy", "moved", "inflow"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


def test_lists_float32_fortran_strided_and_int32_are_accepted():
    args = model_arrays()
    base = carecast.project(**args)
    # Lists.
    as_lists = {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in args.items()}
    same_projection(carecast.project(**as_lists), base)
    # int32 (and uint8) indices.
    same_projection(carecast.project(**{**args, "src": args["src"].astype(np.int32),
                                        "dst": args["dst"].astype(np.int32),
                                        "advance": args["advance"].astype(np.int32)}), base)
    same_projection(carecast.project(**{**args, "src": args["src"].astype(np.uint8),
                                        "dst": args["dst"].astype(np.uint8)}), base)
    # Fortran order.
    same_projection(carecast.project(**{**args, "value": np.asfortranarray(args["value"]),
                                        "inflow": np.asfortranarray(args["inflow"])}), base)
    # Strided views of bigger arrays.
    big_value = np.zeros((args["steps"] * 2, args["value"].shape[1] * 3))
    big_value[::2, ::3] = args["value"]
    big_x0 = np.zeros(args["x0"].shape[0] * 2)
    big_x0[::2] = args["x0"]
    big_src = np.zeros(args["src"].shape[0] * 2, np.int64)
    big_src[1::2] = args["src"]
    strided = {**args, "value": big_value[::2, ::3], "x0": big_x0[::2], "src": big_src[1::2],
               "inflow": args["inflow"].T.copy().T}
    assert not strided["value"].flags.c_contiguous and not strided["x0"].flags.c_contiguous
    same_projection(carecast.project(**strided), base)
    # Reversed (negative stride).
    rev = args["x0"][::-1].copy()[::-1]
    same_projection(carecast.project(**{**args, "x0": rev}), base)
    # float32: exactly representable values give the same numbers as their
    # float64 conversion.
    v32 = args["value"].astype(np.float32)
    x32 = args["x0"].astype(np.float32)
    same_projection(carecast.project(**{**args, "value": v32, "x0": x32}),
                    carecast.project(**{**args, "value": v32.astype(np.float64),
                                        "x0": x32.astype(np.float64)}))
    # Integer occupancy and Python scalars for dt.
    ints = {**args, "x0": np.array([1, 2, 3, 4, 5, 6]), "dt": 1}
    same_projection(carecast.project(**ints), carecast.project(**{**ints, "x0": np.arange(1.0, 7.0), "dt": 1.0}))


def test_accrue_and_present_value_accept_layouts():
    args = model_arrays()
    res = carecast.project(**args)
    steps = args["steps"]
    per_year = np.arange(steps * 6, dtype=np.float64).reshape(steps, 6)
    base = carecast.accrue(res, per_year, occupancy="trapezoid")
    for variant in (np.asfortranarray(per_year), per_year.astype(np.float32), per_year.tolist(),
                    np.repeat(per_year, 2, axis=1)[:, ::2]):
        got = carecast.accrue(res, variant)
        np.testing.assert_array_equal(got.total, base.total)
        np.testing.assert_array_equal(got.by_state, base.by_state)
    series = np.linspace(-3, 7, 40)
    pv = carecast.present_value(series, dt=0.25)
    assert carecast.present_value(series.tolist(), dt=0.25) == pv
    assert carecast.present_value(np.repeat(series, 3)[::3], dt=0.25) == pv
    assert np.float64(carecast.present_value(series.astype(np.float32), dt=0.25)) == \
        np.float64(carecast.present_value(series.astype(np.float32).astype(np.float64), dt=0.25))


# --- no reference leaks, no memory growth -----------------------------------

def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc (Linux)")
def test_no_reference_leaks_or_memory_growth():
    x0 = np.array([10.0, 5.0, 0.0])
    src, dst = np.array([0, 1, 0]), np.array([1, 2, 2])
    value = np.array([0.1, 0.2, 0.3])
    bad_value = np.array([0.1, -0.2, 0.3])
    inflow = np.array([1.0, 0.0, 0.0])
    per_year = np.array([1.0, 2.0, 3.0])
    series = np.linspace(-1, 1, 8)
    inputs = [x0, src, dst, value, bad_value, inflow, per_year, series]

    batch_value = np.stack([value, value])
    complex_x0 = x0.astype(complex)
    inputs += [batch_value, complex_x0]

    def one_round():
        res = carecast.project(x0, src, dst, value, 8, inflow=inflow)
        carecast.accrue(res, per_year)
        carecast.present_value(series, dt=1.0)
        carecast.project_batch(x0, src, dst, batch_value, 4, replicates=2, threads=1)
        try:  # an error found in C
            carecast.project(x0, src, dst, bad_value, 8)
        except ValueError:
            pass
        try:  # an error found while converting
            carecast.project(complex_x0, src, dst, value, 8)
        except TypeError:
            pass

    for _ in range(2000):  # warm up caches and lazy imports
        one_round()
    gc.collect()
    counts = [sys.getrefcount(a) for a in inputs]
    rss0 = rss_bytes()
    start = time.perf_counter()
    rounds = 0
    # Six calls a round: 100,002 calls in all.
    while rounds < 16_667 and time.perf_counter() - start < 8.0:
        one_round()
        rounds += 1
    gc.collect()
    assert [sys.getrefcount(a) for a in inputs] == counts
    growth = rss_bytes() - rss0
    # 100,000 calls leaking even 64 bytes each would be 6.4 MB.
    assert growth < 4 * 2**20, f"RSS grew {growth / 2**20:.1f} MiB over {rounds} rounds"
    assert rounds == 16_667, f"only {rounds} rounds (of 6 calls) in 8 s"

    tracemalloc.start()
    for _ in range(500):
        one_round()
    snap0 = tracemalloc.take_snapshot()
    for _ in range(3_000):
        one_round()
    gc.collect()
    snap1 = tracemalloc.take_snapshot()
    tracemalloc.stop()
    grown = sum(s.size_diff for s in snap1.compare_to(snap0, "filename") if s.size_diff > 0)
    assert grown < 256 * 2**10, f"Python allocations grew {grown} bytes over 3,000 rounds"
