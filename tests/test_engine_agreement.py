"""carecast's C engine against an independent NumPy implementation.

Expected values come from ``reference_engine`` (written from DESIGN.md, not
from the C code) and from conservation of people: every step,
``sum(x[t+1]) == sum(x[t]) + sum(inflow[t])`` to rounding, and occupancy
never goes negative.  Thousands of random models are drawn from seeded
generators; each block of models has its own seed so a failure can be
replayed alone.
"""
import math

import numpy as np
import pytest

import carecast
import reference_engine as ref
from conftest import assert_close

DTS = (1.0, 1.0 / 12.0, 1.0 / 52.0, 1.0 / 365.25)
RTOL = 1e-12


def random_probabilities(rng, src, n_states):
    """Per-step probabilities whose per-state sums are <= 1, some exactly 1.

    A state whose flows share a total of exactly 1 gets its split from
    w / w.sum(), whose floating-point sum may land an ulp above 1: the
    contract accepts that (slack 1e-12) and scales it back to 1.
    """
    n_flows = src.shape[0]
    weights = rng.gamma(0.7, size=n_flows) + 1e-3
    per_state = np.bincount(src, weights=weights, minlength=n_states)
    share = weights / per_state[src]
    kind_of_total = rng.integers(0, 4, size=n_states)
    total = np.where(kind_of_total == 0, 1.0,             # everyone leaves
                     np.where(kind_of_total == 1, 0.0,    # nobody leaves
                              rng.uniform(0, 1, size=n_states)))
    return share * total[src]


def random_rates(rng, n_flows):
    """Hazards per year: mostly O(1), some zero, some very large or small."""
    rates = rng.lognormal(-1.0, 1.5, size=n_flows)
    pick = rng.uniform(size=n_flows)
    rates[pick < 0.1] = 0.0
    rates[(pick >= 0.1) & (pick < 0.13)] *= 1e4
    rates[(pick >= 0.13) & (pick < 0.16)] *= 1e-9
    return rates


def random_model(rng):
    """A random model: keyword arguments for carecast.project."""
    n_states = int(rng.integers(1, 31))
    n_flows = int(rng.integers(0, 81))
    # Absorbing states are ordinary states with no outgoing flows.
    n_absorbing = int(rng.integers(0, n_states))
    absorbing = rng.permutation(n_states)[:n_absorbing]
    leaving = np.setdiff1d(np.arange(n_states), absorbing)
    if leaving.size == 0 or n_states == 1:
        n_flows = 0
    src = rng.choice(leaving, size=n_flows) if n_flows else np.zeros(0, np.int64)
    # Destinations differ from the source (self-loops are tested apart).
    dst = (src + rng.integers(1, max(n_states, 2), size=n_flows)) % n_states
    dt = float(rng.choice(DTS))
    steps = int(rng.integers(0, 40)) if dt >= 1 / 52 else int(rng.integers(0, 120))
    kind = "rate" if rng.uniform() < 0.5 else "prob"
    time_varying = rng.uniform() < 0.4
    if kind == "rate":
        value = (np.array([random_rates(rng, n_flows) for _ in range(steps)]).reshape(steps, n_flows)
                 if time_varying else random_rates(rng, n_flows))
    else:
        value = (np.array([random_probabilities(rng, src, n_states) for _ in range(steps)]).reshape(steps, n_flows)
                 if time_varying else random_probabilities(rng, src, n_states))
    scale = 10.0 ** rng.integers(-2, 6)
    x0 = rng.uniform(0, scale, size=n_states) * (rng.uniform(size=n_states) < 0.8)
    inflow_kind = rng.integers(0, 3)
    inflow = None
    if inflow_kind == 1:
        inflow = rng.uniform(0, scale / 10, size=n_states)
    elif inflow_kind == 2:
        inflow = rng.uniform(0, scale / 10, size=(steps, n_states))
    advance = None
    if rng.uniform() < 0.3:
        advance = np.where(rng.uniform(size=n_states) < 0.4, -1,
                           rng.integers(0, n_states, size=n_states))
    return dict(x0=x0, src=src.astype(np.int64), dst=dst.astype(np.int64), value=value,
                steps=steps, dt=dt, kind=kind, inflow=inflow, advance=advance)


def describe(model):
    return (f"S={model['x0'].shape[0]} F={model['src'].shape[0]} steps={model['steps']} "
            f"dt={model['dt']:.6g} kind={model['kind']} value{np.shape(model['value'])} "
            f"inflow={None if model['inflow'] is None else np.shape(model['inflow'])} "
            f"advance={'yes' if model['advance'] is not None else 'no'}")


def check_projection(got, model):
    expected = ref.project(**model)
    steps, n_states = model["steps"], model["x0"].shape[0]
    n_flows = model["src"].shape[0]
    what = describe(model)
    assert got.occupancy.shape == (steps + 1, n_states), what
    assert got.moved.shape == (steps, n_flows), what
    assert got.inflow.shape == (steps, n_states), what
    for name in ("occupancy", "moved", "inflow"):
        arr = getattr(got, name)
        assert arr.dtype == np.float64, f"{what}: {name} dtype {arr.dtype}"
    totals = expected.occupancy.sum(axis=1)
    floor = max(1.0, float(totals.max()) if totals.size else 1.0)
    assert_close(got.occupancy, expected.occupancy, rtol=RTOL, floor=floor, what=f"occupancy {what}")
    assert_close(got.moved, expected.moved, rtol=RTOL, floor=floor, what=f"moved {what}")
    assert_close(got.inflow, expected.inflow, rtol=RTOL, floor=floor, what=f"inflow {what}")
    # Conservation of people, step by step.
    occ = got.occupancy
    lhs = occ[1:].sum(axis=1)
    rhs = occ[:-1].sum(axis=1) + got.inflow.sum(axis=1)
    assert_close(lhs, rhs, rtol=RTOL, floor=floor, what=f"conservation {what}")


@pytest.mark.parametrize("block", range(20))
def test_project_agrees_with_reference(block):
    rng = np.random.default_rng([2026, 11, block])
    for _ in range(100):
        model = random_model(rng)
        got = carecast.project(**model)
        check_projection(got, model)


@pytest.mark.parametrize("block", range(5))
def test_occupancy_is_never_negative(block):
    # Rounding in x - x * sum(p) can leave -1e-17 where a state empties
    # (probabilities summing to exactly 1, huge rates).  The engine must not
    # return that: a negative occupancy is refused as the x0 of the next
    # projection (DESIGN: "negative ... occupancy" is bad input).
    rng = np.random.default_rng([2026, 11, block])
    for _ in range(100):
        model = random_model(rng)
        occ = carecast.project(**model).occupancy
        assert np.all(occ >= 0.0), f"{describe(model)}: min occupancy {occ.min()!r}"


def test_projection_carries_its_inputs():
    rng = np.random.default_rng(7)
    model = random_model(rng)
    while model["steps"] == 0 or model["src"].size == 0:
        model = random_model(rng)
    got = carecast.project(**model)
    assert got.steps == model["steps"]
    assert got.dt == model["dt"]
    np.testing.assert_array_equal(got.src, model["src"])
    np.testing.assert_array_equal(got.dst, model["dst"])
    assert got.src.dtype == np.int64 and got.dst.dtype == np.int64


def test_absorbing_states_accumulate_and_probability_one_empties_a_state():
    # State 0 sends everyone (probability exactly 1) to absorbing state 1.
    got = carecast.project([7.0, 0.0], [0], [1], [1.0], 3, kind="prob")
    np.testing.assert_array_equal(got.occupancy, [[7, 0], [0, 7], [0, 7], [0, 7]])
    np.testing.assert_array_equal(got.moved, [[7], [0], [0]])


def test_self_loop_flow_moves_people_nowhere():
    # A flow from a state to itself is allowed by the contract: it records
    # movers but leaves occupancy unchanged.
    got = carecast.project([10.0, 0.0], [0, 0], [0, 1], [0.2, 0.3], 2, kind="prob")
    expected = ref.project(np.array([10.0, 0.0]), [0, 0], [0, 1], [0.2, 0.3], 2, kind="prob")
    assert_close(got.occupancy, expected.occupancy, what="occupancy")
    assert_close(got.moved, expected.moved, what="moved")


def test_rate_kind_is_competing_risks_with_expm1():
    # Two hazards 0.3 and 0.1 per year leave state 0; over dt = 1/12 the
    # leaving probability is -expm1(-0.4/12), split 3:1.
    got = carecast.project([1000.0, 0.0, 0.0], [0, 0], [1, 2], [0.3, 0.1], 1, dt=1 / 12)
    leave = -math.expm1(-0.4 / 12)
    assert_close(got.moved[0], [1000 * 0.75 * leave, 1000 * 0.25 * leave], what="moved")
    # Tiny rates: expm1 keeps full precision where 1 - exp(-x) would not.
    tiny = carecast.project([1.0, 0.0], [0], [1], [1e-12], 1, dt=1 / 365.25)
    assert_close(tiny.moved[0, 0], -math.expm1(-1e-12 / 365.25), rtol=1e-14, floor=0.0,
                 what="tiny rate")
    # A huge rate empties the state (probability rounds to exactly 1).
    huge = carecast.project([5.0, 0.0], [0], [1], [1e6], 1)
    assert huge.occupancy[1, 0] == 0.0 and huge.occupancy[1, 1] == 5.0


def test_advance_map_ages_everyone_one_state_per_step():
    # Ages 0..3, ageing every step; age 3 stays (-1).  Inflow arrives at age 0
    # after ageing, so it is in x[t+1][0].
    got = carecast.project([1.0, 2.0, 3.0, 4.0], np.zeros(0, np.int64), np.zeros(0, np.int64),
                           np.zeros(0), 2, advance=[1, 2, 3, -1], inflow=[5.0, 0, 0, 0])
    np.testing.assert_array_equal(got.occupancy, [[1, 2, 3, 4], [5, 1, 2, 7], [5, 5, 1, 9]])


# --- values -------------------------------------------------------------

def random_accrual_args(rng, proj):
    steps, n_states = proj.occupancy.shape[0] - 1, proj.occupancy.shape[1]
    n_flows = proj.moved.shape[1]
    kwargs = {}
    per_year = None
    choice = rng.integers(0, 3)
    if choice == 1:
        per_year = rng.normal(1000, 800, size=n_states)
    elif choice == 2:
        per_year = rng.normal(1000, 800, size=(steps, n_states))
    if rng.uniform() < 0.6:
        kwargs["per_flow"] = (rng.normal(50, 100, size=n_flows) if rng.uniform() < 0.5
                              else rng.normal(50, 100, size=(steps, n_flows)))
    if rng.uniform() < 0.5:
        kwargs["per_arrival"] = (rng.normal(20, 30, size=n_states) if rng.uniform() < 0.5
                                 else rng.normal(20, 30, size=(steps, n_states)))
    rule = rng.integers(0, 4)
    kwargs["occupancy"] = (["start", "end", "trapezoid"][rule] if rule < 3
                           else rng.uniform(0, 1, size=(steps, 2)))
    if rng.uniform() < 0.5:
        kwargs["price_index"] = rng.uniform(0.5, 2.0, size=steps)
    return per_year, kwargs


@pytest.mark.parametrize("block", range(5))
def test_accrue_agrees_with_reference(block):
    rng = np.random.default_rng([7, block])
    for _ in range(100):
        model = random_model(rng)
        proj = carecast.project(**model)
        per_year, kwargs = random_accrual_args(rng, proj)
        got = carecast.accrue(proj, per_year, **kwargs)
        exp = ref.accrue(proj, per_year, **kwargs)
        what = f"{describe(model)} rule={kwargs['occupancy'] if isinstance(kwargs['occupancy'], str) else 'weights'}"
        scale = max(1.0, float(np.abs(exp.by_state).max(initial=0)),
                    float(np.abs(exp.by_flow).max(initial=0)),
                    float(np.abs(exp.by_arrival).max(initial=0)))
        for name in ("by_state", "by_flow", "by_arrival", "total"):
            assert_close(getattr(got, name), getattr(exp, name), rtol=RTOL,
                         floor=scale * (exp.by_state.shape[1] + exp.by_flow.shape[1] + 1),
                         what=f"{name} {what}")


def test_trapezoid_gives_arrivals_half_a_step_of_value():
    # Nobody present at the start; 12 arrive during step 0.  Under the
    # trapezoid rule they carry half a step: 12 * 1000/yr * 1 yr * 0.5.
    proj = carecast.project([0.0], np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), 1,
                            inflow=[12.0])
    assert carecast.accrue(proj, [1000.0]).total[0] == pytest.approx(6000.0, rel=1e-15)
    assert carecast.accrue(proj, [1000.0], occupancy="start").total[0] == 0.0
    assert carecast.accrue(proj, [1000.0], occupancy="end").total[0] == pytest.approx(12000.0, rel=1e-15)


@pytest.mark.parametrize("timing", ["start", "mid", "end"])
def test_price_index_agrees_with_reference(timing):
    rng = np.random.default_rng(11)
    for _ in range(50):
        steps = int(rng.integers(0, 200))
        dt = float(rng.choice(DTS))
        rate = float(rng.uniform(-0.05, 0.12))
        base = float(rng.uniform(-5, 5))
        got = carecast.price_index(steps, dt=dt, annual_rate=rate, years_from_base=base, timing=timing)
        exp = ref.price_index(steps, dt=dt, annual_rate=rate, years_from_base=base, timing=timing)
        assert_close(got, exp, rtol=1e-13, floor=0.0, what=f"price_index dt={dt} rate={rate}")


# --- discounting and appraisal -------------------------------------------

def random_schedule(rng):
    """(carecast schedule, reference schedule) pair."""
    choice = rng.integers(0, 4)
    if choice == 0:
        return carecast.GREEN_BOOK, None
    if choice == 1:
        rate = float(rng.choice([0.0, 0.035, 0.06, rng.uniform(-0.02, 0.15)]))
        return rate, rate
    n = int(rng.integers(1, 6))
    starts = np.concatenate([[0.0], np.sort(rng.uniform(0.1, 60, size=n - 1))])
    starts = np.unique(starts)
    rates = rng.uniform(-0.03, 0.12, size=starts.size)
    return carecast.DiscountSchedule(starts, rates), (starts, rates)


def test_discount_factors_agree_with_reference():
    rng = np.random.default_rng(3)
    for _ in range(300):
        schedule, ref_schedule = random_schedule(rng)
        times = rng.uniform(0, 400, size=int(rng.integers(0, 50)))
        got = carecast.discount_factors(times, schedule)
        exp = ref.discount_factors(times, ref_schedule)
        assert_close(got, exp, rtol=1e-12, floor=0.0, what=f"discount factors {ref_schedule}")


@pytest.mark.parametrize("timing", ["start", "mid", "end"])
def test_present_value_and_cumulative_agree_with_reference(timing):
    rng = np.random.default_rng(["start", "mid", "end"].index(timing))
    for _ in range(200):
        schedule, ref_schedule = random_schedule(rng)
        steps = int(rng.integers(1, 400))
        dt = float(rng.choice(DTS))
        values = rng.normal(100, 300, size=steps)
        scale = float(np.abs(values).sum())
        what = f"steps={steps} dt={dt} schedule={ref_schedule}"
        got = carecast.present_value(values, dt=dt, timing=timing, schedule=schedule)
        exp = ref.present_value(values, dt=dt, timing=timing, schedule=ref_schedule)
        assert_close(got, exp, rtol=1e-12, floor=scale, what=f"pv {what}")
        assert_close(carecast.step_discount_factors(steps, dt=dt, timing=timing, schedule=schedule),
                     ref.step_discount_factors(steps, dt=dt, timing=timing, schedule=ref_schedule),
                     rtol=1e-12, floor=0.0, what=f"step factors {what}")
        assert_close(carecast.cumulative(values), ref.cumulative(values), rtol=1e-12,
                     floor=scale, what=f"cumulative {what}")
        assert_close(carecast.discounted_cumulative(values, dt=dt, timing=timing, schedule=schedule),
                     ref.discounted_cumulative(values, dt=dt, timing=timing, schedule=ref_schedule),
                     rtol=1e-12, floor=scale, what=f"discounted cumulative {what}")
        # A stack of series gives one present value per series.
        stack = rng.normal(0, 100, size=(3, 2, steps))
        got = np.asarray(carecast.present_value(stack, dt=dt, timing=timing, schedule=schedule))
        assert got.shape == (3, 2), what
        assert_close(got, ref.present_value(stack, dt=dt, timing=timing, schedule=ref_schedule),
                     rtol=1e-12, floor=float(np.abs(stack).sum()), what=f"stacked pv {what}")


def test_payback_agrees_with_reference():
    rng = np.random.default_rng(5)
    for _ in range(300):
        schedule, ref_schedule = random_schedule(rng)
        steps = int(rng.integers(1, 60))
        dt = float(rng.choice((1.0, 0.25, 1 / 12)))
        timing = str(rng.choice(["start", "mid", "end"]))
        # Invest first (negative), then returns that may or may not pay back.
        invest = int(rng.integers(1, steps + 1))
        net = np.concatenate([-rng.uniform(10, 100, size=invest),
                              rng.uniform(0, 60, size=steps - invest)])
        got = carecast.payback(net, dt=dt, timing=timing, schedule=schedule)
        exp = ref.payback(net, dt=dt, timing=timing, schedule=ref_schedule)
        what = f"net={net.tolist()} dt={dt} timing={timing} schedule={ref_schedule}"
        if math.isinf(exp):
            assert got == math.inf, what
        else:
            assert got == pytest.approx(exp, rel=1e-11, abs=1e-11), what
    # Never negative: payback at time 0.
    assert carecast.payback(np.array([0.0, 5.0, 1.0])) == 0.0


def test_npv_bcr_roi_agree_with_reference():
    rng = np.random.default_rng(9)
    for _ in range(200):
        schedule, ref_schedule = random_schedule(rng)
        steps = int(rng.integers(1, 80))
        dt = float(rng.choice(DTS))
        timing = str(rng.choice(["start", "mid", "end"]))
        benefits = rng.uniform(0, 100, size=steps)
        costs = rng.uniform(1, 100, size=steps)
        kw = dict(dt=dt, timing=timing)
        what = f"steps={steps} dt={dt} timing={timing} schedule={ref_schedule}"
        scale = float(benefits.sum() + costs.sum())
        assert_close(carecast.npv(benefits, costs, schedule=schedule, **kw),
                     ref.npv(benefits, costs, schedule=ref_schedule, **kw),
                     rtol=1e-12, floor=scale, what=f"npv {what}")
        assert_close(carecast.benefit_cost_ratio(benefits, costs, schedule=schedule, **kw),
                     ref.benefit_cost_ratio(benefits, costs, schedule=ref_schedule, **kw),
                     rtol=1e-12, floor=1.0, what=f"bcr {what}")
        assert_close(carecast.roi(benefits, costs, schedule=schedule, **kw),
                     ref.roi(benefits, costs, schedule=ref_schedule, **kw),
                     rtol=1e-12, floor=1.0, what=f"roi {what}")


# --- batches ------------------------------------------------------------

@pytest.mark.parametrize("block", range(4))
def test_project_batch_equals_a_loop_of_project(block):
    rng = np.random.default_rng([99, block])
    for _ in range(30):
        model = random_model(rng)
        steps, n_states = model["steps"], model["x0"].shape[0]
        n_flows = model["src"].shape[0]
        replicates = int(rng.integers(1, 7))
        # Replicate r scales every value by its own factor (probabilities
        # only downwards, so that they stay valid).
        factors = rng.uniform(0.3, 1.0, size=replicates)
        base = np.asarray(model["value"], dtype=np.float64)
        if base.ndim == 1 and rng.uniform() < 0.5:
            base = np.tile(base, (steps, 1))          # (steps, F): time-varying form
        values = factors.reshape((replicates,) + (1,) * base.ndim) * base
        x0_batched = rng.uniform() < 0.5
        x0 = (model["x0"][None, :] * rng.uniform(0.5, 2, size=(replicates, 1))
              if x0_batched else model["x0"])
        # Batch inflow is (S,) shared, (R, S) or (R, steps, S): a time-varying
        # inflow always carries the replicate axis.
        inflow = model["inflow"]
        inflow_batched = inflow is not None and (inflow.ndim == 2 or rng.uniform() < 0.5)
        if inflow_batched:
            inflow = rng.uniform(0, 2, size=(replicates,) + (1,) * inflow.ndim) * inflow
        threads = [None, 1, 2][int(rng.integers(0, 3))]
        # The replicate axes are given: a 2-D array with replicates == steps
        # rows is ambiguous, and refused unless the call says which it is.
        batch = carecast.project_batch(x0, model["src"], model["dst"], values, steps,
                                       replicates=replicates, dt=model["dt"], kind=model["kind"],
                                       inflow=inflow, advance=model["advance"], threads=threads,
                                       value_per_replicate=True,
                                       inflow_per_replicate=bool(inflow_batched))
        what = f"{describe(model)} R={replicates} threads={threads} value{values.shape}"
        assert batch.occupancy.shape == (replicates, steps + 1, n_states), what
        assert batch.moved.shape == (replicates, steps, n_flows), what
        assert batch.inflow.shape == (replicates, steps, n_states), what
        for r in range(replicates):
            one = carecast.project(x0[r] if x0_batched else x0, model["src"], model["dst"],
                                   values[r], steps, dt=model["dt"], kind=model["kind"],
                                   inflow=inflow[r] if inflow_batched else inflow,
                                   advance=model["advance"])
            # Same kernel, same inputs: the same bits whatever the threads.
            np.testing.assert_array_equal(batch.occupancy[r], one.occupancy, err_msg=what)
            np.testing.assert_array_equal(batch.moved[r], one.moved, err_msg=what)
            np.testing.assert_array_equal(batch.inflow[r], one.inflow, err_msg=what)


def test_project_batch_threads_give_identical_bits():
    rng = np.random.default_rng(1234)
    n_states, n_flows, steps, replicates = 12, 30, 50, 16
    src = rng.integers(0, n_states - 1, size=n_flows)
    dst = rng.integers(0, n_states, size=n_flows)
    values = rng.uniform(0, 1, size=(replicates, n_flows))
    x0 = rng.uniform(0, 100, size=n_states)
    one = carecast.project_batch(x0, src, dst, values, steps, replicates=replicates, threads=1)
    two = carecast.project_batch(x0, src, dst, values, steps, replicates=replicates, threads=2)
    np.testing.assert_array_equal(one.occupancy, two.occupancy)
    np.testing.assert_array_equal(one.moved, two.moved)


def test_probabilities_a_rounding_above_one_are_scaled_to_exactly_one():
    # 0.6 + 0.4 + 5e-13 leaves state 0: within the 1e-12 slack of the
    # contract, so it is accepted and scaled to sum to 1; everyone leaves and
    # nobody is created or lost.
    value = np.array([0.6, 0.4 + 5e-13])
    got = carecast.project([1000.0, 0.0, 0.0], [0, 0], [1, 2], value, 2, kind="prob")
    exp = ref.project(np.array([1000.0, 0.0, 0.0]), [0, 0], [1, 2], value, 2, kind="prob")
    assert got.occupancy[1, 0] == 0.0
    assert_close(got.occupancy, exp.occupancy, floor=1000.0, what="occupancy")
    assert got.occupancy[1].sum() == pytest.approx(1000.0, rel=1e-15)


def test_recycled_output_buffers_never_show_old_numbers():
    # Outputs may come from recycled memory: a run without inflow right after
    # runs with inflow of the same shape must still report zero arrivals,
    # and results still held must not change when later runs reuse memory.
    x0, src, dst = np.array([3.0, 1.0, 0.0]), np.array([0, 1]), np.array([1, 2])
    value = np.array([0.2, 0.1])
    kept = carecast.project(x0, src, dst, value, 6, inflow=[7.0, 8.0, 9.0])
    kept_copy = {n: getattr(kept, n).copy() for n in ("occupancy", "moved", "inflow")}
    for _ in range(50):
        carecast.project(x0, src, dst, value, 6, inflow=[7.0, 8.0, 9.0])
        plain = carecast.project(x0, src, dst, value, 6)
        assert np.all(plain.inflow == 0.0)
        exp = ref.project(x0, src, dst, value, 6)
        assert_close(plain.occupancy, exp.occupancy, what="occupancy after recycling")
        batch = carecast.project_batch(x0, src, dst, np.stack([value, value]), 6, replicates=2)
        assert np.all(batch.inflow == 0.0)
    for n, v in kept_copy.items():
        np.testing.assert_array_equal(getattr(kept, n), v, err_msg=n)
