"""Adversarial cases for the engine, by class of weakness (issue 8).

Each class is tried across every public engine function that has the
weakness, not just the example that found it: finite inputs that overflow,
ambiguous replicate axes, masked arrays, booleans and strings as numbers,
``None`` arguments, empty series, outputs aliasing inputs, allocations too
large for the machine, runaway thread counts, and root-finder callbacks that
return non-numbers.  Calls that could crash the interpreter run in a
subprocess.  Expected numbers are hand-computed (in the comments).
"""
import re
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import carecast
from carecast.engine import _checks, cluster

X0 = np.array([10.0, 5.0, 0.0])
SRC = np.array([0, 1, 0])
DST = np.array([1, 2, 2])
VALUE = np.array([0.1, 0.2, 0.3])


def names(*words):
    return "(?s)" + "".join(rf"(?=.*\b{w}\b)" for w in words)


# --- finite inputs whose results overflow ------------------------------------

OVERFLOW = [
    ("project 1e308 stock and inflow",
     lambda: carecast.project([1e308, 0.0], [0], [1], [0.5], 2, inflow=[1e308, 0.0]),
     names("x0", "inflow")),
    ("project constant inflow 1e300 for 1e7 steps",
     lambda: carecast.project([0.0], [], [], [], 10**7, inflow=[1e300]), names("inflow")),
    ("project_batch replicate 1 overflows",
     lambda: carecast.project_batch([[1.0, 0.0], [1e308, 1e308]], [0], [1], [0.5], 1,
                                    replicates=2),
     names("x0", "replicate", "1")),
    ("simulate beyond whole-number range",
     lambda: carecast.simulate([2.0**51, 0.0], [0], [1], [0.5], 1, replicates=1, seed=1),
     names("x0", "simulate")),
    ("simulate expected inflow beyond 2**50",
     lambda: carecast.simulate([0.0], [], [], [], 10, inflow=[2.0**48], replicates=1, seed=1),
     names("inflow")),
    ("accrue 1e300 a year for 1e10 people",
     lambda: carecast.accrue(carecast.project([1e10], [], [], [], 1), [1e300]),
     names("per_year", "step", "0")),
    ("accrue two finite values summing past DBL_MAX",
     lambda: carecast.accrue(carecast.project([1.0, 1.0], [], [], [], 1), [1e308, 1e308]),
     names("total", "step")),
    ("accrue per_flow overflow",
     lambda: carecast.accrue(carecast.project([1e10, 0.0], [0], [1], [5.0], 1), None,
                             per_flow=[1e300]),
     names("per_flow")),
    # 1.5 ** t passes DBL_MAX (1.797e308) at t = 1751: log(1.797e308) / log(1.5) = 1750.6.
    ("price_index 2,000 years at 50%",
     lambda: carecast.price_index(2000, annual_rate=0.5, timing="start"),
     names("annual_rate", "step", "1751")),
    # 100 ** 155 = 1e310: a rate of -99% over 155 years.
    ("discount_factors rate -99% over 155 years",
     lambda: carecast.discount_factors([1.0, 155.0], -0.99), names("times", "1")),
    ("step_discount_factors rate -99% over 200 steps",
     lambda: carecast.step_discount_factors(200, timing="start", schedule=-0.99),
     names("steps", "155")),
    ("present_value 1e308 + 1e308",
     lambda: carecast.present_value([1e308, 1e308], dt=1.0, schedule=0), names("values", "1")),
    ("npv overflow names values",
     lambda: carecast.npv([1e308, 1e308], [0.0, 0.0], schedule=0), names("benefits", "1")),
    ("payback cumulative -2e308",
     lambda: carecast.payback([-1e308, -1e308], schedule=0), names("net_benefit", "1")),
]


@pytest.mark.parametrize("call, pattern", [c[1:] for c in OVERFLOW], ids=[c[0] for c in OVERFLOW])
def test_finite_inputs_that_overflow_are_refused(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()


def test_largest_inputs_inside_the_limits_still_work():
    # 2^1018 people and 2^1018 arrivals in one step: exactly the limit 2^1019,
    # accepted and conserved.
    r = carecast.project([2.0**1018, 0.0], [0], [1], [0.5], 1, inflow=[2.0**1017, 2.0**1017])
    assert np.isfinite(r.occupancy).all()
    assert r.occupancy[1].sum() == pytest.approx(2.0**1019, rel=1e-15)
    # 1.5 ** 1750 = 1.43e308 is finite.
    index = carecast.price_index(1751, annual_rate=0.5, timing="start")
    assert index[-1] == pytest.approx(1.5**1750, rel=1e-12)
    # Falling prices underflow to exactly 0: the correctly rounded answer.
    assert carecast.price_index(1, annual_rate=0.5, years_from_base=-2000, timing="start")[0] == 0
    # 1e308 - 1e308 is 0, not an overflow.
    assert carecast.present_value([1e308, -1e308], dt=1.0, timing="start", schedule=0) == 0.0
    # simulate up to 2**50 people.
    sim = carecast.simulate([2.0**49, 0.0], [0], [1], [0.0], 1, replicates=1, seed=1)
    assert sim.occupancy[0, 1, 0] == 2.0**49


def test_root_finder_with_huge_function_values():
    # f(-1) = -1e308, f(1) = 1e308: the secant through them overflows
    # (2e308), so the search must fall back to bisection, not step to NaN.
    root = carecast.find_root(lambda x: 1e308 * x, -1.0, 1.0)
    assert abs(root) < 1e-12


# --- the replicate axis of value and inflow -----------------------------------

def test_batch_inflow_of_shape_steps_by_states_is_never_read_as_replicates():
    # steps == replicates == 3: a (3, S) inflow could be either.
    inflow = np.array([[1.0, 0.0], [2.0, 0.0], [3.0, 0.0]])
    values = np.array([[0.1], [0.2], [0.3]])
    for run in (
        lambda **kw: carecast.project_batch([10.0, 0.0], [0], [1], values, 3, replicates=3,
                                            inflow=inflow, value_per_replicate=True, **kw),
        lambda **kw: carecast.simulate([10, 0], [0], [1], values, 3, replicates=3, seed=1,
                                       inflow=inflow, value_per_replicate=True, **kw),
    ):
        with pytest.raises(ValueError, match=names("inflow", "ambiguous", "inflow_per_replicate")):
            run()
        per_step = run(inflow_per_replicate=False)
        assert per_step.occupancy.shape == (3, 4, 2)
        per_rep = run(inflow_per_replicate=True)
        assert per_rep.occupancy.shape == (3, 4, 2)
    # Deterministic check of both readings against a loop of project.
    shared = carecast.project_batch([10.0, 0.0], [0], [1], values, 3, replicates=3, inflow=inflow,
                                    value_per_replicate=True, inflow_per_replicate=False)
    rows = carecast.project_batch([10.0, 0.0], [0], [1], values, 3, replicates=3, inflow=inflow,
                                  value_per_replicate=True, inflow_per_replicate=True)
    for r in range(3):
        one = carecast.project([10.0, 0.0], [0], [1], values[r], 3, inflow=inflow)
        assert np.array_equal(shared.occupancy[r], one.occupancy)
        one = carecast.project([10.0, 0.0], [0], [1], values[r], 3, inflow=inflow[r])
        assert np.array_equal(rows.occupancy[r], one.occupancy)


def test_batch_value_axis_follows_the_same_rule():
    values = np.array([[0.1], [0.2]])
    # steps == replicates == 2.
    with pytest.raises(ValueError, match=names("value", "ambiguous")):
        carecast.project_batch([10.0, 0.0], [0], [1], values, 2, replicates=2)
    with pytest.raises(ValueError, match=names("value", "ambiguous")):
        carecast.simulate([10, 0], [0], [1], values, 2, replicates=2, seed=3)
    # Per step, shared: both replicates identical and equal to project.
    shared = carecast.project_batch([10.0, 0.0], [0], [1], values, 2, replicates=2,
                                    value_per_replicate=False)
    one = carecast.project([10.0, 0.0], [0], [1], values, 2)
    assert np.array_equal(shared.occupancy[0], one.occupancy)
    assert np.array_equal(shared.occupancy[1], one.occupancy)
    # A shape that matches neither reading names all four.
    with pytest.raises(ValueError, match=names("value", "replicates", "steps")):
        carecast.project_batch([10.0, 0.0], [0], [1], np.ones((5, 1)) * 0.1, 2, replicates=3)
    # A flag that contradicts the shape.
    with pytest.raises(ValueError, match=names("value", "value_per_replicate")):
        carecast.project_batch([10.0, 0.0], [0], [1], [0.1], 2, replicates=3,
                               value_per_replicate=True)
    with pytest.raises(TypeError, match=names("value_per_replicate")):
        carecast.project_batch([10.0, 0.0], [0], [1], values, 2, replicates=2,
                               value_per_replicate="yes")


def test_cluster_refuses_arrays_with_more_rows_than_replicates():
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(2) as pool:
        with pytest.raises(ValueError, match=names("value")):
            cluster.project_batch_on(pool, [10.0, 0.0], [0], [1], np.full((12, 1), 0.1), 3,
                                     replicates=10, chunk=4)
        with pytest.raises(ValueError, match=names("x0", "rows", "replicates")):
            cluster.simulate(pool, np.ones((12, 2)), [0], [1], [0.1], 3, replicates=10, seed=1,
                             chunk=4)
        with pytest.raises(ValueError, match=names("inflow")):
            cluster.simulate(pool, [1, 0], [0], [1], [0.1], 3, replicates=10, seed=1,
                             inflow=np.ones((12, 2)), chunk=4)
        # Ambiguous (steps == replicates == 4) unless told; told, it matches one call.
        inflow = np.arange(8.0).reshape(4, 2)
        with pytest.raises(ValueError, match=names("inflow", "ambiguous")):
            cluster.simulate(pool, [5, 0], [0], [1], [0.2], 4, replicates=4, seed=2,
                             inflow=inflow, chunk=3)
        split = cluster.simulate(pool, [5, 0], [0], [1], [0.2], 4, replicates=4, seed=2,
                                 inflow=inflow, chunk=3, inflow_per_replicate=True)
    one = carecast.simulate([5, 0], [0], [1], [0.2], 4, replicates=4, seed=2, inflow=inflow,
                            inflow_per_replicate=True)
    assert np.array_equal(split.occupancy, one.occupancy)


# --- masked arrays -------------------------------------------------------------

MASKED = np.ma.array([10.0, 5.0, 0.0], mask=[False, True, False])

MASKED_CASES = [
    ("project x0", lambda: carecast.project(MASKED, SRC, DST, VALUE, 2), "x0"),
    ("project value", lambda: carecast.project(X0, SRC, DST, np.ma.array(VALUE, mask=[1, 0, 0]), 2),
     "value"),
    ("project inflow", lambda: carecast.project(X0, SRC, DST, VALUE, 2, inflow=MASKED), "inflow"),
    ("project src", lambda: carecast.project(X0, np.ma.array(SRC, mask=[0, 1, 0]), DST, VALUE, 2),
     "src"),
    ("accrue per_year",
     lambda: carecast.accrue(carecast.project(X0, SRC, DST, VALUE, 2), MASKED), "per_year"),
    ("present_value values", lambda: carecast.present_value(MASKED, dt=1.0), "values"),
    ("discount_factors times", lambda: carecast.discount_factors(MASKED), "times"),
    ("payback", lambda: carecast.payback(np.ma.array([-1.0, 2.0], mask=[0, 1])), "net_benefit"),
    ("cumulative", lambda: carecast.cumulative(MASKED), "values"),
    ("weighted_scores", lambda: carecast.weighted_scores(np.ma.array([[1.0, 2.0]], mask=[[0, 1]]),
                                                         [0.5, 0.5]), "scores"),
]


@pytest.mark.parametrize("call, name", [c[1:] for c in MASKED_CASES],
                         ids=[c[0] for c in MASKED_CASES])
def test_masked_entries_are_refused(call, name):
    with pytest.raises(ValueError, match=names(name, "masked")):
        call()


def test_masked_arrays_without_masked_entries_are_read_as_their_data():
    x0 = np.ma.array(X0, mask=False)
    a = carecast.project(x0, SRC, DST, VALUE, 3)
    b = carecast.project(X0, SRC, DST, VALUE, 3)
    assert np.array_equal(a.occupancy, b.occupancy)
    assert carecast.present_value(np.ma.array([1.0, 2.0]), dt=1.0) == \
        carecast.present_value([1.0, 2.0], dt=1.0)


# --- wrong types: booleans, strings, None ----------------------------------------

TYPES = [
    ("bool rates", lambda: carecast.project(X0, SRC, DST, [True, False, True], 2), "value"),
    ("bool x0", lambda: carecast.project([True, False, False], SRC, DST, VALUE, 2), "x0"),
    ("bool inflow", lambda: carecast.project(X0, SRC, DST, VALUE, 2, inflow=[True] * 3), "inflow"),
    ("bool per_year",
     lambda: carecast.accrue(carecast.project(X0, SRC, DST, VALUE, 2), [True] * 3), "per_year"),
    ("bool times", lambda: carecast.discount_factors([True, False]), "times"),
    ("bool values", lambda: carecast.present_value([True, False], dt=1.0), "values"),
    ("bool scores", lambda: carecast.weighted_scores([[True, False]], [0.5, 0.5]), "scores"),
    ("string schedule starts", lambda: carecast.DiscountSchedule(["0", "10"], [0.03, 0.02]),
     "starts"),
    ("dt '1' project", lambda: carecast.project(X0, SRC, DST, VALUE, 2, dt="1"), "dt"),
    ("dt '1' present_value", lambda: carecast.present_value([1.0], dt="1"), "dt"),
    ("dt '1' price_index", lambda: carecast.price_index(2, dt="1", annual_rate=0.02), "dt"),
    ("annual_rate '0.02'", lambda: carecast.price_index(2, annual_rate="0.02"), "annual_rate"),
    ("annual_rate True", lambda: carecast.price_index(2, annual_rate=True), "annual_rate"),
    ("years_from_base None",
     lambda: carecast.price_index(2, annual_rate=0.02, years_from_base=None), "years_from_base"),
    ("find_root a '0'", lambda: carecast.find_root(lambda x: x, "-1", 1.0), "a"),
    ("find_root xtol None", lambda: carecast.find_root(lambda x: x, -1.0, 1.0, xtol=None), "xtol"),
    ("find_root maxiter 2.0", lambda: carecast.find_root(lambda x: x, -1.0, 1.0, maxiter=2.0),
     "maxiter"),
    ("keep_moved 'no'", lambda: carecast.project_batch(X0, SRC, DST, np.tile(VALUE, (2, 1)), 3,
                                                       replicates=2, keep_moved="no"),
     "keep_moved"),
    ("draws 1.5", lambda: carecast.random_weights(1.5, 2), "draws"),
    ("criteria '2'", lambda: carecast.random_weights(3, "2"), "criteria"),
    ("concentration '1'", lambda: carecast.random_weights(3, 2, concentration="1"),
     "concentration"),
    ("flat schedule '0.03'", lambda: carecast.present_value([1.0], dt=1.0, schedule="0.03"),
     "schedule"),
    ("schedule source 3", lambda: carecast.DiscountSchedule([0.0], [0.03], 3), "source"),
    ("rate_at year '5'", lambda: carecast.GREEN_BOOK.rate_at("5"), "year"),
    ("add_flow value '0.3'", lambda: carecast.CohortModel(["a", "b"]).add_flow("a", "b", "0.3"),
     "value"),
    ("add_flow value True", lambda: carecast.CohortModel(["a", "b"]).add_flow("a", "b", True),
     "value"),
    ("CohortModel.project values bool",
     lambda: carecast.CohortModel(["a", "b"]).project({"a": 1.0}, 2, values=np.array([True])),
     "values"),
]


@pytest.mark.parametrize("call, name", [c[1:] for c in TYPES], ids=[c[0] for c in TYPES])
def test_wrong_types_are_refused_naming_the_argument(call, name):
    with pytest.raises(TypeError, match=names(name)):
        call()


DT_NONE = [
    ("project", lambda: carecast.project(X0, SRC, DST, VALUE, 2, dt=None)),
    ("project_batch", lambda: carecast.project_batch(X0, SRC, DST, np.tile(VALUE, (2, 1)), 3,
                                                     replicates=2, dt=None)),
    ("simulate", lambda: carecast.simulate([1, 0], [0], [1], [0.1], 2, replicates=2, seed=1,
                                           dt=None)),
    ("present_value", lambda: carecast.present_value([1.0], dt=None)),
    ("discounted_cumulative", lambda: carecast.discounted_cumulative([1.0], dt=None)),
    ("step_discount_factors", lambda: carecast.step_discount_factors(2, dt=None)),
    ("price_index", lambda: carecast.price_index(2, dt=None, annual_rate=0.02)),
    ("payback", lambda: carecast.payback([-1.0, 2.0], dt=None)),
    ("npv", lambda: carecast.npv([1.0], [1.0], dt=None)),
    ("roi", lambda: carecast.roi([1.0], [1.0], dt=None)),
]


@pytest.mark.parametrize("call", [c[1] for c in DT_NONE], ids=[c[0] for c in DT_NONE])
def test_dt_none_is_named(call):
    with pytest.raises(TypeError, match=names("dt")):
        call()


@pytest.mark.parametrize("result", ["x", None, [1.0, 2.0], True, 1j, object()])
def test_root_finder_callbacks_returning_non_numbers_are_named(result):
    with pytest.raises(TypeError, match=r"f\(-1\.0\) returned .* not a real number|f\(-1\.0\)"):
        carecast.find_root(lambda x: result, -1.0, 1.0)


def test_root_finder_callback_returning_nan_gives_the_x():
    with pytest.raises(ValueError, match=r"f\(1\.0\) = nan is not finite"):
        carecast.find_root(lambda x: -1.0 if x < 0 else float("nan"), -1.0, 1.0)
    # numpy scalars are numbers.
    assert carecast.find_root(lambda x: np.float32(x - 0.25), 0.0, 1.0) == pytest.approx(0.25)


@pytest.mark.parametrize("concentration", [0, 0.0, -1.0, float("nan"), float("inf")])
def test_random_weights_refuses_concentrations_that_give_zeros_or_nan(concentration):
    for around in (None, [0.5, 0.5]):
        with pytest.raises(ValueError, match=names("concentration")):
            carecast.random_weights(4, 2, around=around, concentration=concentration)


def test_random_weights_sum_to_one():
    w = carecast.random_weights(100, 3, concentration=0.05, rng=np.random.default_rng(1))
    assert np.allclose(w.sum(axis=1), 1.0)
    assert np.isfinite(w).all()


# --- empty series ----------------------------------------------------------------

def test_empty_series_have_exact_sums_or_are_refused():
    assert carecast.present_value([], dt=1.0) == 0.0
    assert carecast.present_value(np.zeros((3, 0)), dt=1.0).tolist() == [0.0, 0.0, 0.0]
    assert carecast.present_value(np.zeros((0, 4)), dt=1.0).shape == (0,)
    assert carecast.discounted_cumulative([], dt=1.0).shape == (0,)
    assert carecast.cumulative([]).shape == (0,)
    assert carecast.npv([], [], schedule=0) == 0.0
    with pytest.raises(ValueError, match=names("net_benefit", "empty")):
        carecast.payback([])
    with pytest.raises(ValueError, match=names("costs")):
        carecast.benefit_cost_ratio([], [])
    # A projection of 0 steps: accrued values are empty, and their present value 0.
    acc = carecast.accrue(carecast.project(X0, SRC, DST, VALUE, 0), [1.0, 2.0, 3.0])
    assert acc.total.shape == (0,)
    assert carecast.present_value(acc.total, dt=1.0) == 0.0


# --- outputs never alias inputs -------------------------------------------------

def test_results_never_share_memory_with_inputs():
    src = SRC.astype(np.int64)
    dst = DST.astype(np.int64)
    x0, value, inflow = X0.copy(), VALUE.copy(), np.ones(3)
    inputs = [x0, src, dst, value, inflow]
    results = [carecast.project(x0, src, dst, value, 3, inflow=inflow),
               carecast.project_batch(x0, src, dst, np.tile(value, (2, 1)), 3, replicates=2,
                                      inflow=inflow),
               carecast.simulate([10, 5, 0], src, dst, value, 3, replicates=2, seed=1,
                                 inflow=inflow)]
    for r in results:
        for out in (r.occupancy, r.moved, r.inflow, r.src, r.dst):
            for arr in inputs:
                assert not np.shares_memory(out, arr)
    before = results[0].src.copy()
    src[0] = 2
    assert np.array_equal(results[0].src, before)
    times = np.array([0.0, 1.0, 2.0])
    assert not np.shares_memory(carecast.discount_factors(times), times)
    values = np.array([1.0, 2.0])
    assert not np.shares_memory(carecast.discounted_cumulative(values, dt=1.0), values)
    assert not np.shares_memory(carecast.cumulative(values), values)
    w = np.array([0.5, 0.5])
    assert not np.shares_memory(carecast.weighted_scores([[1.0, 2.0]], w), w)


# --- sizes too large to allocate, threads ----------------------------------------

def test_outputs_larger_than_memory_are_refused_in_readable_units():
    # 10**6 states for 2**20 steps: occupancy alone needs 8 * 2**20 * 10**6 bytes = 7.6 TiB.
    start = time.perf_counter()
    with pytest.raises(MemoryError, match=r"TiB for occupancy .*steps"):
        carecast.project(np.ones(10**6), [0], [1], [0.1], 2**20)
    # moved is (R x steps x F): 8 * 4000 * 1000 * 300 bytes = 8.7 GiB ... times 100 here.
    with pytest.raises(MemoryError, match=r"(?s)(?=.*moved \(replicates x steps x F\))"
                                          r"(?=.*keep_moved=False)(?=.*iB)"):
        carecast.project_batch(np.ones(300), np.zeros(30000, np.int64), np.ones(30000, np.int64),
                               np.full(30000, 0.01), 10000, replicates=4000)
    with pytest.raises(MemoryError, match=names("steps")):
        carecast.step_discount_factors(10**15)
    with pytest.raises(MemoryError, match=names("steps")):
        carecast.price_index(10**15, annual_rate=0.0)
    with pytest.raises(MemoryError, match=names("draws")):
        carecast.random_weights(10**13, 10)
    assert time.perf_counter() - start < 5.0


def test_format_bytes():
    assert _checks.format_bytes(512) == "512 bytes"
    assert _checks.format_bytes(1536) == "1.5 KiB"
    assert _checks.format_bytes(8 * 1.0e12) == "7.3 TiB"


def test_threads_are_capped():
    assert _checks.check_threads(20000) == _checks.MAX_THREADS == 256
    assert _checks.check_threads(3) == 3
    start = time.perf_counter()
    r = carecast.project_batch(X0, SRC, DST, np.tile(VALUE, (300, 1)), 2, replicates=300,
                               threads=20000)
    one = carecast.project(X0, SRC, DST, VALUE, 2)
    assert np.array_equal(r.occupancy[299], one.occupancy)
    assert time.perf_counter() - start < 5.0


NASTY = textwrap.dedent("""
    import numpy as np, carecast
    calls = [
        lambda: carecast.project([1e308, 1e308], [0], [1], [1e308], 5, inflow=[1e308, 1e308]),
        lambda: carecast.project_batch(np.full((2, 2), 1e308), [0], [1], [0.5], 3, replicates=2,
                                       threads=20000),
        lambda: carecast.simulate([1, 0], [0], [1], [0.5], 3, replicates=2, seed=1,
                                  inflow=[1e308, 1e308], threads=20000),
        lambda: carecast.simulate(np.full((3, 2), 2.0**52), [0], [1], [0.5], 3, replicates=3,
                                  seed=1),
        lambda: carecast.accrue(carecast.project([1e300], [], [], [], 2), [1e300],
                                occupancy=np.full((2, 2), 1e300)),
        lambda: carecast.present_value(np.full((4, 3), 1e308), dt=1.0, schedule=-0.999999),
        lambda: carecast.price_index(10**9, annual_rate=0.5),
        lambda: carecast.find_root(lambda x: np.array([x, x]), -1.0, 1.0),
        lambda: carecast.find_root(lambda x: 1e308 * x ** 3, -1e100, 1e100),
        lambda: carecast.project(np.ma.array([1.0, 2.0], mask=[0, 1]), [0], [1], [0.1], 2),
    ]
    for i, call in enumerate(calls):
        try:
            call()
        except (ValueError, TypeError, MemoryError, carecast.CarecastError) as exc:
            print(i, "refused", type(exc).__name__, str(exc)[:60].replace("\\n", " "))
        else:
            print(i, "accepted")
    print("SURVIVED")
""")


def test_adversarial_calls_do_not_crash_the_interpreter():
    out = subprocess.run([sys.executable, "-c", NASTY], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, f"interpreter died (code {out.returncode}):\n{out.stdout}\n{out.stderr}"
    assert "SURVIVED" in out.stdout
    lines = [line for line in out.stdout.splitlines() if line[:1].isdigit()]
    accepted = {int(line.split()[0]) for line in lines if line.split()[1] == "accepted"}
    # Only the root search over huge values has an answer (0).
    assert accepted <= {8}, out.stdout


# --- every argument of every public engine function, with bad values ----------

def _good_calls():
    proj = carecast.project(X0, SRC, DST, VALUE, 3, inflow=[1.0, 0.0, 0.0])
    return {
        "project": dict(x0=X0, src=SRC, dst=DST, value=VALUE, steps=3, dt=1.0, kind="rate",
                        inflow=None, advance=None),
        "project_batch": dict(x0=X0, src=SRC, dst=DST, value=np.tile(VALUE, (2, 1)), steps=3,
                              replicates=2, dt=1.0, kind="rate", inflow=None, advance=None,
                              threads=1, keep_moved=True, value_per_replicate=None,
                              inflow_per_replicate=None),
        "simulate": dict(x0=[10, 5, 0], src=SRC, dst=DST, value=VALUE, steps=3, replicates=2,
                         seed=1, dt=1.0, kind="rate", inflow=None, advance=None, threads=1,
                         keep_moved=True, first_replicate=0, value_per_replicate=None,
                         inflow_per_replicate=None),
        "accrue": dict(result=proj, per_year=[1.0, 2.0, 3.0], per_flow=None, per_arrival=None,
                       occupancy="trapezoid", price_index=None),
        "price_index": dict(steps=3, dt=1.0, annual_rate=0.02, years_from_base=0.0, timing="mid"),
        "discount_factors": dict(times=[0.0, 1.0], schedule=carecast.GREEN_BOOK),
        "step_discount_factors": dict(steps=3, dt=1.0, timing="mid", schedule=carecast.GREEN_BOOK),
        "present_value": dict(values=[1.0, 2.0], dt=1.0, timing="mid", schedule=carecast.GREEN_BOOK),
        "discounted_cumulative": dict(values=[1.0, 2.0], dt=1.0, timing="mid",
                                      schedule=carecast.GREEN_BOOK),
        "cumulative": dict(values=[1.0, 2.0]),
        "payback": dict(net_benefit=[-1.0, 2.0], dt=1.0, timing="mid", schedule=0.0),
        "npv": dict(benefits=[1.0, 2.0], costs=[1.0, 0.0], dt=1.0, timing="mid", schedule=0.0),
        "benefit_cost_ratio": dict(benefits=[1.0, 2.0], costs=[1.0, 0.0], dt=1.0, timing="mid",
                                   schedule=0.0),
        "roi": dict(benefits=[1.0, 2.0], costs=[1.0, 0.0], dt=1.0, timing="mid", schedule=0.0),
        "find_root": dict(f=lambda x: x, a=-1.0, b=1.0, xtol=1e-12, rtol=1e-15, maxiter=100),
        "weighted_scores": dict(scores=[[1.0, 0.0], [0.0, 1.0]], weights=[0.5, 0.5]),
        "random_weights": dict(draws=3, criteria=2, around=None, concentration=1.0, rng=1),
        "rank_probabilities": dict(scores=[[1.0, 0.0], [0.0, 1.0]], weights=[[0.5, 0.5]]),
        "DiscountSchedule": dict(starts=(0.0, 10.0), rates=(0.03, 0.02), source="x"),
    }


BAD_VALUES = {"None": None, "str": "1", "bool": True, "nan": float("nan"), "empty": [],
              "negative": -1, "dict": {}, "ragged": [[1.0], [1.0, 2.0]], "complex": 1j,
              "masked": np.ma.array([1.0, 2.0, 3.0], mask=[0, 1, 0])}

# Bad values that are in fact valid for that argument (each for a reason).
ACCEPTED = {
    ("accrue", "per_year", "None"),              # no occupancy value
    ("cumulative", "values", "empty"),           # an empty running sum
    ("discount_factors", "times", "empty"),
    ("discounted_cumulative", "values", "empty"),
    ("present_value", "values", "empty"),        # exactly 0
    ("find_root", "a", "negative"),              # any finite bracket
    ("price_index", "years_from_base", "negative"),  # prices of a later year
    ("project_batch", "threads", "None"),        # the usable CPUs
    ("simulate", "threads", "None"),
    ("simulate", "seed", "None"),                # a fresh seed, kept in .seed
    ("project_batch", "keep_moved", "bool"),     # True is a valid bool
    ("simulate", "keep_moved", "bool"),
    ("project_batch", "value_per_replicate", "bool"),  # True matches (R, F)
    ("simulate", "inflow_per_replicate", "bool"),      # no inflow: the flag is moot
    ("project_batch", "inflow_per_replicate", "bool"),
    ("random_weights", "rng", "None"),           # fresh entropy
    ("random_weights", "rng", "empty"),          # SeedSequence([]) is valid
    ("DiscountSchedule", "source", "str"),
}


def test_every_argument_of_every_engine_function_names_itself_when_bad():
    problems = []
    for name, kwargs in _good_calls().items():
        function = getattr(carecast, name)
        function(**kwargs)                      # the good call works
        for arg in kwargs:
            for label, bad in BAD_VALUES.items():
                if kwargs[arg] is None and label == "None":
                    continue
                call = dict(kwargs, **{arg: bad})
                try:
                    function(**call)
                except (ValueError, TypeError, MemoryError, KeyError) as exc:
                    if not re.search(rf"\b{arg}\b", str(exc)):
                        problems.append(f"{name}({arg}={label}) does not name {arg}: {exc}")
                except Exception as exc:  # noqa: BLE001 - any other type is a finding
                    problems.append(f"{name}({arg}={label}) raised {type(exc).__name__}: {exc}")
                else:
                    if (name, arg, label) not in ACCEPTED:
                        problems.append(f"{name}({arg}={label}) was accepted")
    assert not problems, "\n".join(problems)


# --- the binding on its own (what a caller of carecast._core meets) ------------

def test_binding_memory_message_is_readable():
    from carecast import _core
    # 2**40 steps x 10**6 states: the element count overflows; the message
    # gives sizes in binary units (the old one printed a literal "%.3g").
    with pytest.raises(MemoryError) as info:
        _core.project(np.ones(10**6), [0], [1], [0.1], 2**40, 1.0, "rate")
    text = str(info.value)
    assert "%" not in text
    assert re.search(r"\d+\.\d (KiB|MiB|GiB|TiB|PiB|EiB|ZiB) for occupancy", text), text
    assert "steps" in text
    with pytest.raises(MemoryError, match=r"(?s)(?=.*keep_moved=False)(?=.*replicates)"):
        _core.project_batch(np.ones(10**3), np.zeros(10**3, np.int64), np.ones(10**3, np.int64),
                            np.full(10**3, 0.1), 2**40, 1.0, "rate", 10**3)


def test_binding_caps_threads_and_refuses_masked_and_bool():
    from carecast import _core
    occ, _, _ = _core.project_batch(X0, SRC, DST, np.tile(VALUE, (3, 1)), 2, 1.0, "rate", 3,
                                    threads=10**9, value_per_replicate=True)
    assert np.array_equal(occ[2], carecast.project(X0, SRC, DST, VALUE, 2).occupancy)
    with pytest.raises(ValueError, match=names("x0", "masked")):
        _core.project(MASKED, SRC, DST, VALUE, 2, 1.0, "rate")
    with pytest.raises(TypeError, match=names("value")):
        _core.project(X0, SRC, DST, np.array([True, False, True]), 2, 1.0, "rate")
    with pytest.raises(TypeError, match=names("seed")):
        _core.simulate([1.0, 0.0], [0], [1], [0.1], 2, 1.0, "rate", 2, True)
