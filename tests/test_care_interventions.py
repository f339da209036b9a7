"""Interventions and scenario comparison, checked by hand on small models."""

import datetime as dt
import math

import numpy as np
import pytest

import carecast
from carecast.care import CareParameters
from carecast.care.compare import break_even, compare
from carecast.care.interventions import (
    EdgeOfCare,
    InHouseFostering,
    ResidentialStepDown,
    ReunificationSupport,
    intervention_from_dict,
)
from carecast.care.model import run
from carecast.care.scenario_file import dumps_scenario_file, loads_scenario_file
from carecast.care.scenarios import Scenario
from carecast.care.taxonomy import EXIT_GROUPS, PLACEMENTS

HOME = EXIT_GROUPS.index("returned_home")
AGENCY, INHOUSE, RESIDENTIAL = (PLACEMENTS.index(n) for n in ("agency_foster", "inhouse_foster", "residential"))


def model(**fields):
    p = CareParameters.empty(age_bands=(0.0,), start_date=dt.date(2017, 3, 31), price_year="2016-17",
                             discount_rate=0.0, **fields)
    return p


def test_edge_of_care_averts_entries_by_hand():
    p = model(weekly_cost=np.full(9, 700.0))
    p.entries_per_year[0, AGENCY] = 100.0
    edge = EdgeOfCare(families_per_year=200, share_would_enter=0.5, effect=0.2, cost_per_family=1000.0,
                      start_year=1.0)
    r = run(p, years=3, step="month", scenario=Scenario("edge", interventions=[edge]))
    per_year = r.event_counts()["entries"].reshape(3, 12, -1).sum(axis=(1, 2))
    # 200 families x 0.5 x 0.2 = 20 entries a year fewer, from year 2
    np.testing.assert_allclose(per_year, [100.0, 80.0, 80.0], rtol=1e-12)
    programme = r.costs("component").where(component="programme: edge_of_care")["cash"]
    np.testing.assert_allclose(programme, [0.0, 200_000.0, 200_000.0], rtol=1e-9)


def test_ramp_and_fade_by_hand():
    e = EdgeOfCare(start_year=1.0, ramp_years=2.0, fade_per_year=0.5, families_per_year=1)
    np.testing.assert_allclose(e.activity([0.5, 1.0, 2.0, 3.0, 5.0]), [0, 0, 0.5, 1.0, 1.0])
    np.testing.assert_allclose(e.strength([2.0, 3.0, 4.0, 5.0]), [0.5, 1.0, 0.5, 0.25])
    stop = EdgeOfCare(start_year=0.0, end_year=2.0)
    np.testing.assert_allclose(stop.activity([1.9, 2.0]), [1.0, 0.0])


def test_reunification_raises_return_home_hazard_by_hand():
    p = model()
    p.stock[0, 0, 0] = 100.0
    p.exit_rates[0, 0, 0, HOME] = 0.5
    r = run(p, years=1, step="year", scenario=Scenario("r", interventions=[ReunificationSupport(effect=0.4)]))
    assert r.event_counts()["exits"][0, HOME].sum() == pytest.approx(100 * (1 - math.exp(-0.5 * 1.4)), rel=1e-12)


def test_inhouse_fostering_shifts_entries_and_moves_by_hand():
    p = model()
    p.stock[0, AGENCY, 0] = 100.0
    p.entries_per_year[0, AGENCY] = 40.0
    item = InHouseFostering(share_of_agency_entries=0.25, share_moved_per_year=0.1, cost_per_year=50_000.0)
    r = run(p, years=1, step="year", scenario=Scenario("h", interventions=[item]))
    entries = r.event_counts()["entries"].sum(axis=(0, 1))
    assert entries[INHOUSE] == pytest.approx(10.0) and entries[AGENCY] == pytest.approx(30.0)
    # a tenth of agency placements move in a year (hazard -ln 0.9), ageing clock independent
    moves = r.event_counts()["moves"][0, AGENCY, INHOUSE]
    stock_part = 100 * 0.1 * math.exp(-1 / 18)
    entrant_part = 30 * (1 - 0.9 ** 0.5) * math.exp(-1 / 36)      # entrants' half year
    assert moves == pytest.approx(stock_part + entrant_part, rel=1e-12)


def test_residential_step_down_cost_per_move():
    p = model(weekly_cost=np.where(np.arange(9) == RESIDENTIAL, 4000.0, 600.0))
    p.stock[0, RESIDENTIAL, 0] = 50.0
    item = ResidentialStepDown(share_per_year=0.2, cost_per_move=3000.0)
    base = run(p, years=2, step="month")
    r = run(p, years=2, step="month", scenario=Scenario("s", interventions=[item]))
    moves = r.event_counts()["moves"][:, RESIDENTIAL, INHOUSE].sum()
    # by hand: each month a share 1 - 0.8^(1/12) moves (among those the ageing clock leaves in care)
    d, h = 1 / 12, -math.log(0.8)
    ratio = math.exp(-(h + 1 / 18) * d)
    expected = 50 * (1 - math.exp(-h * d)) * math.exp(-d / 18) * (1 - ratio ** 24) / (1 - ratio)
    assert moves == pytest.approx(expected, rel=1e-12)
    costs = r.costs("component")
    assert costs.where(component="programme: residential_step_down: moves")["cash"].sum() == \
        pytest.approx(moves * 3000.0, rel=1e-12)
    c = compare(base, r)
    assert c.gross_saving().sum() > 0
    # nobody lost: same people in care either way (moves only)
    np.testing.assert_allclose(base.children_in_care(), r.children_in_care(), rtol=1e-12)


def test_comparison_by_hand_and_with_library():
    p = model(weekly_cost=np.full(9, 1000.0))
    p.stock[0, AGENCY, 0] = 100.0
    p.entries_per_year[0, AGENCY] = 50.0
    p.exit_rates[0, :, 0, HOME] = 0.5
    scenario = Scenario("edge", interventions=[EdgeOfCare(families_per_year=100, share_would_enter=1.0,
                                                          effect=0.5, cost_per_family=2000.0)])
    base = run(p, years=4, step="month")
    scen = run(p, years=4, step="month", scenario=scenario)
    c = compare(base, scen, optimism_bias=0.2, benefit_shortfall=0.1)
    # programme: 100 families x GBP 2,000 a year, plus 20% optimism bias
    assert c.programme_cost().sum() == pytest.approx(4 * 200_000 * 1.2, rel=1e-9)
    gross = (base.step_costs().real.sum(axis=1) - scen.step_costs().real[:, :-1].sum(axis=1)) * 0.9
    np.testing.assert_allclose(c.gross_saving(), gross, rtol=1e-12)
    pv = c.present_values()
    assert pv["net_present_value"] == pytest.approx(
        carecast.npv(c.gross_saving(), c.programme_cost(), dt=1 / 12, schedule=0.0), rel=1e-12)
    assert pv["roi"] == pytest.approx(pv["net_present_value"] / pv["programme_cost"], rel=1e-12)
    table = c.table()
    assert table["children_fewer"][-1] == pytest.approx(base.children_in_care()[-1] - scen.children_in_care()[-1])
    assert "against baseline" in c.summary()


def test_break_even_effect_gives_zero_npv():
    p = model(weekly_cost=np.full(9, 1000.0))
    p.stock[0, AGENCY, 0] = 100.0
    p.entries_per_year[0, AGENCY] = 50.0
    p.exit_rates[0, :, 0, HOME] = 0.5
    scenario = Scenario("edge", interventions=[EdgeOfCare(families_per_year=100, share_would_enter=1.0,
                                                          effect=0.5, cost_per_family=5000.0)])
    effect = break_even(p, scenario, years=4, step="quarter")
    assert 0 < effect < 1
    changed = Scenario("edge", interventions=[EdgeOfCare(families_per_year=100, share_would_enter=1.0,
                                                         effect=effect, cost_per_family=5000.0)])
    c = compare(run(p, years=4, step="quarter"), run(p, years=4, step="quarter", scenario=changed))
    assert abs(c.present_values()["net_present_value"]) < 1.0
    with pytest.raises(carecast.NotBracketedError):
        break_even(p, scenario, years=4, step="quarter", low=0.0, high=0.01)


def test_interventions_round_trip_in_scenario_files():
    p = model()
    s = Scenario("plan", description="all four", interventions=[
        EdgeOfCare(families_per_year=10, share_would_enter=0.3, effect=0.2, cost_per_family=100.0, ramp_years=1),
        ReunificationSupport(effect=0.1, cost_per_year=5.0, end_year=3.0),
        InHouseFostering(share_of_agency_entries=0.2, share_moved_per_year=0.05),
        ResidentialStepDown(share_per_year=0.1, to_placement="agency_foster", cost_per_move=7.0)])
    loaded = loads_scenario_file(dumps_scenario_file(p, [s])).scenarios["plan"]
    assert loaded.interventions == s.interventions


@pytest.mark.parametrize("data, match", [
    ({"families_per_year": 1}, "needs a 'type'"),
    ({"type": "magic"}, "unknown intervention type 'magic'"),
    ({"type": "edge_of_care", "families": 1}, "unknown keys"),
    ({"type": "edge_of_care", "effect": 1.5}, "effect: must be <= 1"),
    ({"type": "edge_of_care", "families_per_year": -1}, "families_per_year"),
    ({"type": "reunification", "start_year": 2, "end_year": 1}, "end_year: must be after"),
    ({"type": "residential_step_down", "to_placement": 3}, "to_placement"),
])
def test_bad_interventions(data, match):
    with pytest.raises((ValueError, TypeError), match=match):
        intervention_from_dict(data)


def test_intervention_errors_in_a_run():
    p = CareParameters.empty(age_bands=(0.0,), placements=("a", "b"))
    with pytest.raises(ValueError, match="needs placement 'agency_foster'"):
        run(p, years=1, scenario=Scenario("x", interventions=[InHouseFostering(share_moved_per_year=0.1)]))
    with pytest.raises(ValueError, match="share_per_year: must be < 1"):
        run(model(), years=1, scenario=Scenario("x", interventions=[ResidentialStepDown(share_per_year=1.0)]))
    with pytest.raises(TypeError, match=r"interventions\[0\]: must be an Intervention"):
        Scenario("x", interventions=[{"type": "edge_of_care"}])


def test_each_type_knows_its_bounds():
    from carecast.care.interventions import INTERVENTION_TYPES, Bounds
    for cls in INTERVENTION_TYPES.values():
        bounds = cls.bounds()
        numeric = {f.name for f in __import__("dataclasses").fields(cls) if f.name != "to_placement"}
        assert set(bounds) == numeric, cls.__name__          # every numeric field has bounds
        assert bounds["fade_per_year"] == Bounds(high=1.0)  # shared timing fields are inherited
    assert EdgeOfCare.bounds()["effect"].high == 1.0
    assert ReunificationSupport.bounds()["effect"].high is None   # a relative increase: may exceed 1
    assert ResidentialStepDown.bounds()["share_per_year"].high_open
    with pytest.raises(ValueError, match=r"InHouseFostering: share_moved_per_year: must be < 1, got 1"):
        InHouseFostering(share_moved_per_year=1.0)
    with pytest.raises(ValueError, match=r"EdgeOfCare: share_would_enter: must be <= 1, got 1.2"):
        EdgeOfCare(share_would_enter=1.2)
    with pytest.raises(TypeError, match=r"ReunificationSupport: cost_per_year: must be a number"):
        ReunificationSupport(cost_per_year="a lot")
    assert ReunificationSupport(effect=2.5).effect == 2.5


def test_a_new_intervention_type_needs_no_change_elsewhere():
    # an intervention is a type with bounds and an apply(); modifiers_and_costs just calls it
    from dataclasses import dataclass
    from typing import ClassVar

    from carecast.care.interventions import AMOUNT, Intervention

    @dataclass
    class FewerAdoptions(Intervention):
        type: ClassVar[str] = "fewer_adoptions"
        field_bounds: ClassVar[dict] = {"factor": AMOUNT}
        factor: float = 1.0

        def apply(self, effects, label):
            g = effects.exit_group("adopted", "FewerAdoptions")
            effects.exit_factor[:, 0, 0, 0, g] *= self.factor
            effects.used.add("exit")

    p = model()
    p.stock[0, 0, 0] = 100.0
    p.exit_rates[0, 0, 0, EXIT_GROUPS.index("adopted")] = 0.4
    r = run(p, years=1, step="year", scenario=Scenario("x", interventions=[FewerAdoptions(factor=0.5)]))
    assert r.children_in_care()[-1] == pytest.approx(100 * math.exp(-0.2 - 1 / 18), rel=1e-12)
    with pytest.raises(ValueError, match="FewerAdoptions: factor: must be >= 0"):
        FewerAdoptions(factor=-1.0)
