"""The children-in-care model, checked by hand and by conservation laws.

Expected values come from closed-form hand calculations (written out in each
test), from an independent continuous-time solution of the same model (a
Runge-Kutta integration of the generator, written here), or from
conservation of people.
"""

import datetime as dt
import math

import numpy as np
import pytest

from carecast.care import CareParameters
from carecast.care.calendar import WEEKS_PER_YEAR
from carecast.care.model import run
from carecast.care.scenarios import Scenario
from carecast.care.statespace import build_state_space
from carecast.care.taxonomy import EXIT_GROUPS

HOME = EXIT_GROUPS.index("returned_home")
AT18 = EXIT_GROUPS.index("left_care_at_18")
ADOPTED = EXIT_GROUPS.index("adopted")


def small(age_bands=(0.0,), placements=("foster", "home"), tic=(0.0,), **fields):
    return CareParameters.empty(age_bands=age_bands, placements=placements, time_in_care_bands=tic,
                                start_date=dt.date(2012, 3, 31), price_year="2011-12", **fields)


def test_single_band_exits_and_ageing_out_by_hand():
    # one band 0-18 (width 18): ageing out at 1/18 a year, independent of a 0.5 exit hazard
    p = small()
    p.stock[0, 0, 0] = 100.0
    p.exit_rates[0, 0, 0, HOME] = 0.5
    r = run(p, years=2, step="year")
    expected_in_care = [100.0, 100 * math.exp(-0.5 - 1 / 18), 100 * math.exp(-2 * (0.5 + 1 / 18))]
    np.testing.assert_allclose(r.children_in_care(), expected_in_care, rtol=1e-12)
    exits = r.event_counts()["exits"]
    # exits win over the ageing clock: returned home in year 1 = 100 (1 - e^-0.5)
    assert exits[0, HOME].sum() == pytest.approx(100 * (1 - math.exp(-0.5)), rel=1e-12)
    # left care at 18: stayed (e^-0.5) and the clock ticked (1 - e^-1/18)
    assert exits[0, AT18].sum() == pytest.approx(100 * math.exp(-0.5) * (1 - math.exp(-1 / 18)), rel=1e-12)


def test_exact_ageing_with_single_years_and_yearly_steps():
    p = small(age_bands=tuple(range(18)))
    p.stock[17, 0, 0] = 10.0
    p.stock[16, 1, 0] = 4.0
    r = run(p, years=9, step="year")
    assert r.space.exact_ageing
    occ = r.in_care_occupancy()
    assert occ[1].sum() == pytest.approx(4.0) and occ[1, 17, 1, 0] == pytest.approx(4.0)
    assert occ[2].sum() == 0.0                       # nobody in care past 18
    exits = r.event_counts()["exits"]
    assert exits[0, AT18].sum() == pytest.approx(10.0)
    assert exits[1, AT18].sum() == pytest.approx(4.0)
    # the care-leaver chain: the ten who left at 18 are 25+ seven years later
    labels = r.space.labels
    over25 = labels.index("care leaver: now 25+")
    assert r.projection.occupancy[7, over25] == pytest.approx(0.0)
    assert r.projection.occupancy[8, over25] == pytest.approx(10.0)
    assert r.projection.occupancy[9, over25] == pytest.approx(14.0)


def test_entrants_live_half_a_step_by_hand():
    p = small()
    p.entries_per_year[0, 0] = 120.0                  # 10 a month
    p.exit_rates[0, 0, 0, HOME] = 0.6
    r = run(p, years=1 / 12, step="month")
    d = 1 / 12
    # 10 arrive during the month; over half a month some leave: exits win, then the ageing clock
    in_care = 10 * math.exp(-0.6 * d / 2) * math.exp(-(1 / 18) * d / 2)
    assert r.children_in_care()[1] == pytest.approx(in_care, rel=1e-12)
    assert r.event_counts()["exits"][0, HOME].sum() == pytest.approx(10 * (1 - math.exp(-0.6 * d / 2)), rel=1e-12)
    assert r.event_counts()["entries"].sum() == pytest.approx(10.0)


def test_moves_by_hand():
    p = small()
    p.stock[0, 0, 0] = 100.0
    p.move_rates[0, 0, 0, 1] = 0.3
    r = run(p, years=1, step="year")
    stay_in_band = math.exp(-1 / 18)
    by_place = r.children_by_placement()[1]
    assert by_place[1] == pytest.approx(100 * (1 - math.exp(-0.3)) * stay_in_band, rel=1e-12)
    assert by_place[0] == pytest.approx(100 * math.exp(-0.3) * stay_in_band, rel=1e-12)
    assert r.event_counts()["moves"][0, 0, 1] == pytest.approx(100 * (1 - math.exp(-0.3)) * stay_in_band)


def test_costs_by_hand_cash_real_discounted():
    # 10 children, no exits, GBP 700 a week; one yearly step from 31 March 2012
    p = small(weekly_cost=[700.0, 0.0], cost_inflation=0.10, general_inflation=0.04, discount_rate=0.035)
    p.stock[0, 0, 0] = 10.0
    r = run(p, years=1, step="year")
    end = 10 * math.exp(-1 / 18)
    occupancy = (10 + end) / 2                        # trapezoid
    # prices of 2011-12 are those of 1 Oct 2011; the step's middle (1 Oct 2012) is one year later
    cash = 700 * 365.25 / 7 * occupancy * 1.10
    real = cash / 1.04
    discounted = real / 1.035 ** 0.5                  # mid-step discounting
    table = r.costs("total")
    assert list(table["financial_year"]) == ["2012-13"]
    assert table["cash"][0] == pytest.approx(cash, rel=1e-12)
    assert table["real"][0] == pytest.approx(real, rel=1e-12)
    assert table["discounted"][0] == pytest.approx(discounted, rel=1e-12)
    assert r.present_value() == pytest.approx(discounted, rel=1e-12)


def test_event_costs_by_hand():
    p = small(entry_cost=1000.0, proceedings_cost=20000.0, proceedings_share=0.5,
              exit_costs=[0.0, 5000.0, 0.0, 0.0, 0.0], discount_rate=0.0)
    p.stock[0, 0, 0] = 50.0
    p.entries_per_year[0, 0] = 12.0
    p.exit_rates[0, 0, 0, ADOPTED] = 0.2
    r = run(p, years=1, step="year")
    costs = r.costs("component")
    entry = costs.where(component="entering care")["cash"][0]
    proceedings = costs.where(component="care proceedings")["cash"][0]
    adoption = costs.where(component="exit: adopted")["cash"][0]
    assert entry == pytest.approx(12 * 1000.0)
    assert proceedings == pytest.approx(12 * 0.5 * 20000.0)
    adopted = 50 * (1 - math.exp(-0.2)) + 12 * (1 - math.exp(-0.2 / 2))   # stock, and entrants' half year
    assert adoption == pytest.approx(adopted * 5000.0, rel=1e-12)


def test_financial_years_split_weekly_steps():
    p = small(weekly_cost=[100.0, 0.0], discount_rate=0.0)
    p.stock[0, 0, 0] = 1.0
    p.exit_rates[...] = 0.0
    r = run(p, years=2.1, step="week")               # 110 weeks from 31 March 2012
    table = r.costs("total")
    assert list(table["financial_year"]) == ["2012-13", "2013-14", "2014-15"]
    np.testing.assert_allclose(table["share_of_year"], [1.0, 1.0, 110 * 7 / 365.25 - 2], rtol=1e-9)
    # total cost is split between years, none lost
    assert table["cash"].sum() == pytest.approx(r.step_costs().cash.sum(), rel=1e-12)


def random_parameters(seed, *, age_bands=(0.0, 1.0, 5.0, 10.0, 16.0), tic=(0.0, 0.25, 1.0)):
    rng = np.random.default_rng(seed)
    p = CareParameters.empty(age_bands=age_bands, time_in_care_bands=tic, start_date=dt.date(2020, 3, 31))
    A, P, T, E = p.shape
    p.stock[:] = rng.uniform(0, 20, p.stock.shape)
    p.entries_per_year[:] = rng.uniform(0, 10, p.entries_per_year.shape)
    p.exit_rates[:] = rng.uniform(0, 0.4, p.exit_rates.shape)
    p.exit_rates[..., AT18] = 0.0
    moves = rng.uniform(0, 0.2, p.move_rates.shape)
    for i in range(P):
        moves[:, i, :, i] = 0.0
    p.move_rates = moves
    p.weekly_cost = rng.uniform(0, 4000, P)
    p.validate()
    return p


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("step", ["week", "month", "quarter", "year"])
def test_people_conserved_and_never_negative(seed, step):
    p = random_parameters(seed)
    r = run(p, years=4, step=step)
    occ = r.projection.occupancy
    assert occ.min() >= 0.0
    arrivals = r.arrays.inflow.sum(axis=1)
    np.testing.assert_allclose(occ.sum(axis=1)[1:], occ[0].sum() + np.cumsum(arrivals), rtol=1e-12)
    # and the events add up: in care at the end = start + entries - exits
    ev = r.event_counts()
    in_care = r.children_in_care()
    assert in_care[-1] == pytest.approx(in_care[0] + ev["entries"].sum() - ev["exits"].sum(), rel=1e-10)


def test_nobody_in_care_past_18_fractional():
    # no exits and no entries: everyone leaves only by ageing out; the states are ages 0-17
    p = random_parameters(1)
    p.exit_rates[:] = 0.0
    p.entries_per_year[:] = 0.0
    r = run(p, years=3, step="month")
    space = r.space
    assert np.all(np.asarray(p.age_bands) < 18)
    assert np.all(space.kind[: space.in_care] == "in_care")
    ev = r.event_counts()
    left = r.children_in_care()[0] - r.children_in_care()[-1]
    assert ev["exits"][:, AT18].sum() == pytest.approx(left, rel=1e-12)
    # only the 16-17 band can age out
    assert ev["exits"][:, AT18, :4].sum() == 0.0


def continuous_reference(p, years, n=20000):
    """Independent solution: the generator of the continuous-time model, integrated by RK4.

    Ageing and time in care leave a band at rate 1/width; exits and moves at
    their hazards; entries arrive continuously into the first time-in-care band.
    """
    A, P, T, E = p.shape
    widths = p.age_band_widths()
    tw = np.diff(np.asarray(p.time_in_care_bands))
    n_states = A * P * T

    def index(a, q, t):
        return (a * P + q) * T + t

    Q = np.zeros((n_states, n_states))          # Q[i, j]: rate from j to i; exits are losses
    for a in range(A):
        for q in range(P):
            for t in range(T):
                i = index(a, q, t)
                out = p.exit_rates[a, q, t].sum() + p.move_rates[a, q, t].sum() + 1 / widths[a]
                if t + 1 < T:
                    out += 1 / tw[t]
                    Q[index(a, q, t + 1), i] += 1 / tw[t]
                Q[i, i] -= out
                for r_ in range(P):
                    Q[index(a, r_, t), i] += p.move_rates[a, q, t, r_]
                if a + 1 < A:
                    Q[index(a + 1, q, t), i] += 1 / widths[a]
    inflow = np.zeros(n_states)
    for a in range(A):
        for q in range(P):
            inflow[index(a, q, 0)] = p.entries_per_year[a, q]
    x = p.stock.ravel().copy()
    h = years / n
    f = lambda y: Q @ y + inflow  # noqa: E731
    for _ in range(n):
        k1 = f(x)
        k2 = f(x + h / 2 * k1)
        k3 = f(x + h / 2 * k2)
        k4 = f(x + h * k3)
        x = x + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return x.sum()


def test_weekly_and_monthly_agree_and_match_continuous_time():
    p = random_parameters(7)
    monthly = run(p, years=5, step="month").children_in_care()[-1]
    weekly_run = run(p, years=5, step="week")
    t = np.arange(weekly_run.steps + 1) * weekly_run.dt
    weekly = np.interp(5.0, t, weekly_run.children_in_care())   # 5 years is 260.9 weeks
    assert abs(weekly / monthly - 1) < 0.005
    reference = continuous_reference(p, 5.0, n=5000)
    assert abs(monthly / reference - 1) < 0.005
    assert abs(weekly / reference - 1) < 0.002


def test_weekly_and_monthly_costs_agree():
    p = random_parameters(3)
    pv_month = run(p, years=5, step="month").present_value()
    pv_week_run = run(p, years=5, step="week")
    # compare over the same period: the weekly run is 261 weeks = 5.0027 years, drop the part week
    costs = pv_week_run.step_costs().discounted.sum(axis=1)
    extra = pv_week_run.steps * pv_week_run.dt - 5.0
    pv_week = costs.sum() - costs[-1] * extra / pv_week_run.dt
    assert abs(pv_week / pv_month - 1) < 0.005


def test_time_in_care_bands_do_not_change_totals_when_rates_are_equal():
    # bands only relabel children when hazards do not depend on time in care
    base = random_parameters(2, tic=(0.0,))
    banded = CareParameters.empty(age_bands=base.age_bands, time_in_care_bands=(0.0, 0.25, 0.5, 1.0, 2.0),
                                  start_date=base.start_date)
    banded.stock[:, :, 0] = base.stock[:, :, 0]
    banded.entries_per_year[:] = base.entries_per_year
    banded.exit_rates[:] = base.exit_rates[:, :, :1, :]
    banded.move_rates[:] = base.move_rates[:, :, :1, :]
    banded.validate()
    for step in ("month", "quarter"):
        a = run(base, years=3, step=step).children_by_placement()
        b = run(banded, years=3, step=step).children_by_placement()
        np.testing.assert_allclose(a, b, rtol=1e-10)


def test_scenario_scales_entries():
    p = random_parameters(4)
    base = run(p, years=3, step="month")
    fewer = run(p, years=3, step="month", scenario=Scenario("fewer", scale={"entries_per_year": 0.0}))
    assert fewer.scenario == "fewer"
    assert fewer.event_counts()["entries"].sum() == 0.0
    assert fewer.children_in_care()[-1] < base.children_in_care()[-1]


def test_year_by_year_entries():
    p = small()
    p.entries_per_year = np.array([[[12.0, 0.0]], [[24.0, 0.0]]])       # (Y=2, A=1, P=2)
    p.validate()
    r = run(p, years=3, step="month")
    per_year = r.event_counts()["entries"].reshape(3, 12, 1, 2).sum(axis=(1, 2, 3))
    np.testing.assert_allclose(per_year, [12.0, 24.0, 24.0])


def test_tables_are_tidy_and_consistent():
    p = random_parameters(5)
    r = run(p, years=2, step="quarter")
    children = r.children()
    assert children.columns == ["date", "age", "placement", "children"]
    assert len(children) == (r.steps + 1) * len(p.age_bands) * len(p.placements)
    first = children.where(date=np.datetime64("2020-03-31"))
    assert first["children"].sum() == pytest.approx(p.total_stock())
    events = r.events("financial_year")
    entries = events.where(event="entry")["children"].sum()
    assert entries == pytest.approx(p.entries_per_year.sum() * 2)
    costs = r.costs("component")
    assert costs["cash"].sum() == pytest.approx(r.step_costs().cash.sum())
    assert set(costs.columns) >= {"financial_year", "component", "cash", "real", "discounted"}
    frame = r.costs("total").to_pandas() if _has_pandas() else None
    if frame is not None:
        assert list(frame.columns) == ["financial_year", "cash", "real", "discounted", "share_of_year"]


def _has_pandas():
    try:
        import pandas  # noqa: F401
    except ImportError:
        return False
    return True


def test_state_space_layout():
    p = random_parameters(0)
    space = build_state_space(p, 1 / 12)
    A, P, T, E = p.shape
    assert space.in_care == A * P * T
    assert not space.exact_ageing
    assert space.labels[0].startswith("in care: age 0")
    assert (space.kind == "post_exit_ended").sum() == 3
    without = build_state_space(p, 1 / 12, post_exit=False)
    assert without.size == A * P * T + E


@pytest.mark.parametrize("kwargs, match", [
    (dict(years=0), "years"), (dict(years=-1), "years"), (dict(years=float("nan")), "years"),
    (dict(step="fortnight"), "step"), (dict(step=2.0), "step"), (dict(step=True), "step"),
])
def test_run_rejects_bad_arguments(kwargs, match):
    p = small()
    with pytest.raises((ValueError, TypeError), match=match):
        run(p, **kwargs)


def test_run_rejects_non_parameters():
    with pytest.raises(TypeError, match="parameters"):
        run({"stock": 1})


def test_inputs_not_modified():
    p = random_parameters(6)
    before = {k: getattr(p, k).copy() for k in ("stock", "entries_per_year", "exit_rates", "move_rates")}
    run(p, years=1, step="month", scenario=Scenario("s", scale={"exit_rates": 2.0}))
    for k, v in before.items():
        np.testing.assert_array_equal(getattr(p, k), v)


def test_weekly_cost_year_convention():
    assert WEEKS_PER_YEAR == pytest.approx(365.25 / 7)


def test_exact_time_in_care_bands_quarterly():
    # bands a quarter wide with quarterly steps: progression by the advance map, exactly
    p = small(tic=(0.0, 0.25, 0.5))
    p.stock[0, 0, 0] = 8.0
    p.entries_per_year[0, 0] = 4.0                     # one a quarter
    r = run(p, years=1, step="quarter")
    assert r.space.exact_time_in_care and not r.space.exact_ageing
    occ = r.in_care_occupancy()[:, 0, 0, :]            # (dates, T)
    stay = math.exp(-0.25 / 18)                        # the ageing clock still runs
    half = math.exp(-0.125 / 18)                       # entrants' half quarter
    np.testing.assert_allclose(occ[1], [half, 8 * stay, 0.0], rtol=1e-12)
    np.testing.assert_allclose(occ[2], [half, half * stay, 8 * stay ** 2], rtol=1e-12)
    np.testing.assert_allclose(occ[3], [half, half * stay, half * stay ** 2 + 8 * stay ** 3], rtol=1e-12)



def test_rates_that_underflow_in_a_step_do_not_break_the_engine_arrays():
    # Raw Gamma draws from a calibration have cells whose rates are so small that a flow's
    # probability underflows to 0 in every step; such flows are dropped, and the half-step
    # probabilities used for entrants must be dropped the same way (they were once computed
    # after the filtering, which failed to broadcast for 18 of these 20 draws).
    import copy

    import numpy as np

    from carecast.care.statespace import build_state_space, engine_arrays
    from carecast.ssda903 import calibrate, sample_returns_path

    calibration = calibrate(sample_returns_path(), "2018-04-01", "2020-03-31")
    exits = calibration.exit_rates.sample(20, 1)
    moves = calibration.move_rates.sample(20, 2)
    leaving_at_18 = list(calibration.parameters.exit_groups).index("left_care_at_18")
    for i in range(20):
        p = copy.deepcopy(calibration.parameters)
        p.exit_rates, p.move_rates = exits[i], moves[i]
        p.exit_rates[..., leaving_at_18] = 0.0
        arrays = engine_arrays(p, build_state_space(p, 1 / 12), 12)
        assert np.isfinite(arrays.value).all() and np.isfinite(arrays.inflow).all()


def test_every_parameter_field_is_demand_or_unit_cost():
    # a new cost field must join UNIT_COST_FIELDS, or `calibrate --costs-from` would leave it at zero
    import dataclasses

    from carecast.care.costs import UNIT_COST_FIELDS, unit_costs
    demand_and_labels = {"stock", "entries_per_year", "exit_rates", "move_rates", "age_bands", "placements",
                         "time_in_care_bands", "exit_groups", "start_date", "name", "discount_rate", "sources",
                         "assumptions"}
    fields = {f.name for f in dataclasses.fields(CareParameters)}
    assert fields == demand_and_labels | set(UNIT_COST_FIELDS)
    assert not demand_and_labels & set(UNIT_COST_FIELDS)
    source = small(weekly_cost=[700.0, 10.0], care_leaver_weekly_cost=250.0, sgo_allowance_share=0.5)
    copied = small(age_bands=(0.0, 10.0)).replace(**unit_costs(source))
    assert copied.care_leaver_weekly_cost == 250.0 and copied.weekly_cost.tolist() == [700.0, 10.0]
    copied.weekly_cost[0] = 1.0
    assert source.weekly_cost[0] == 700.0                    # copies, not views
