"""run_batch(full_occupancy=False): children, events and costs from sums computed in C as the
replicates run equal those of the full occupancy (the independent path: NumPy sums and einsums over
the full occupancy); batches of per-draw scenarios equal a loop of run(); stochastic batches
get drawn exits and moves."""

import numpy as np
import pytest

import carecast
from carecast.care import CareParameters, EdgeOfCare, Scenario, run, run_batch
from carecast.care.examples import load_example


def _sample():
    returns = carecast.read_returns(carecast.sample_returns_path())
    p = carecast.calibrate(returns, "2018-04-01", "2020-03-31").parameters
    costs = load_example("norfolk-2017").parameters
    # one-off costs on every kind of event, so that events enter the costs
    return p.replace(weekly_cost=costs.weekly_cost.copy(), price_year=costs.price_year,
                     cost_sources=dict(costs.cost_sources), move_cost=500.0, entry_cost=1000.0,
                     exit_costs=np.arange(1.0, 1.0 + len(p.exit_groups)) * 100, care_leaver_weekly_cost=200.0)


@pytest.fixture(scope="module")
def sample():
    return _sample()


def _edge(effect=0.25):
    return Scenario("edge", interventions=[EdgeOfCare(families_per_year=40, share_would_enter=0.5, effect=effect,
                                                      cost_per_family=3000.0)])


@pytest.mark.parametrize("step", ["month", "year", "week"])
@pytest.mark.parametrize("with_scenario", [False, True])
def test_sums_equal_the_full_occupancy(sample, step, with_scenario):
    draws = [sample, sample.replace(exit_rates=sample.exit_rates * 0.9),
             sample.replace(entries_per_year=sample.entries_per_year * 1.2)]
    scenario = _edge() if with_scenario else None
    full = run_batch(draws, years=3, step=step, scenario=scenario, keep_moved=False)
    sums = run_batch(draws, years=3, step=step, scenario=scenario, full_occupancy=False)
    assert sums.sums is not None and sums.projection.occupancy is None
    # step "year" has exact ageing here: leaving care at 18 comes from the last band's sums
    assert sums.space.exact_ageing == (step == "year")
    np.testing.assert_allclose(sums.children_by_placement(), full.children_by_placement(), rtol=1e-12, atol=1e-9)
    for name in ("entries", "exits", "moves"):
        np.testing.assert_allclose(sums.event_totals()[name], full.event_totals()[name], rtol=1e-12, atol=1e-9)
    a, b = sums.step_costs(), full.step_costs()
    assert a.components == b.components
    np.testing.assert_allclose(a.cash, b.cash, rtol=1e-12, atol=1e-6)
    np.testing.assert_allclose(sums.present_values(), full.present_values(), rtol=1e-12)
    # against run() of each draw, computed with NumPy over its own full occupancy
    for r, p in enumerate(draws):
        one = run(p, years=3, step=step, scenario=scenario)
        np.testing.assert_allclose(sums.present_values()[r], one.present_value(), rtol=1e-12)
        totals = one.costs(by="total")["cash"]
        from carecast.care.calendar import financial_year_weights
        _, weights, _ = financial_year_weights(p.start_date, one.steps, one.dt)
        np.testing.assert_allclose(weights.T @ a.cash[r].sum(axis=1), totals, rtol=1e-12)
    with pytest.raises(ValueError, match="needs the full occupancy"):
        sums.in_care_occupancy()
    with pytest.raises(ValueError, match="needs the full occupancy"):
        sums.result(0)


def test_event_sums_only_when_costs_need_them(sample):
    no_event_costs = sample.replace(move_cost=0.0, entry_cost=0.0, exit_costs=np.zeros(len(sample.exit_groups)))
    lean = run_batch([no_event_costs] * 2, years=1, full_occupancy=False)
    assert lean.sums.exits is None and lean.projection.flow_outputs is None
    with pytest.raises(ValueError, match="without event sums"):
        lean.event_totals()
    full = run_batch([no_event_costs] * 2, years=1, keep_moved=False)
    np.testing.assert_allclose(lean.step_costs().cash, full.step_costs().cash, rtol=1e-12, atol=1e-9)
    # the cost of moves is exactly zero either way: 0 x a count
    k = lean.step_costs().components.index("placement moves")
    assert np.all(lean.step_costs().cash[..., k] == 0)
    # events=True gives them anyway; a move cost in one draw asks for them by default
    assert run_batch([no_event_costs], years=1, full_occupancy=False, events=True).sums.exits is not None
    some = [no_event_costs, no_event_costs.replace(move_cost=10.0)]
    assert run_batch(some, years=1, full_occupancy=False).sums.moves is not None
    with pytest.raises(ValueError, match="need their counts"):
        run_batch(some, years=1, full_occupancy=False, events=False).step_costs()


def test_one_scenario_per_draw_equals_a_loop_of_runs(sample):
    effects = [0.1, 0.25, 0.4]
    scenarios = [_edge(e) for e in effects]
    batch = run_batch([sample] * 3, years=2, scenario=scenarios, full_occupancy=False)
    for r, s in enumerate(scenarios):
        one = run(sample, years=2, scenario=s)
        np.testing.assert_allclose(batch.present_values()[r], one.present_value(), rtol=1e-12)
        np.testing.assert_allclose(batch.children_by_placement()[r], one.children_by_placement(), rtol=1e-12)
    assert len(set(np.round(batch.present_values(), 2))) == 3
    with pytest.raises(ValueError, match="holds 2 scenarios for 3"):
        run_batch([sample] * 3, years=1, scenario=scenarios[:2])
    other = Scenario("other", interventions=[])
    with pytest.raises(ValueError, match="same interventions in the same order"):
        run_batch([sample] * 2, years=1, scenario=[scenarios[0], other])


def test_stochastic_sums_draw_exits_and_moves():
    p = CareParameters.empty(age_bands=(0, 10), placements=("foster", "home"))
    p.stock[:, :, 0] = [[40.0, 10.0], [30.0, 20.0]]
    p.entries_per_year[:] = 6.0
    p.exit_rates[..., 0] = 0.4
    p.move_rates[:, 0, :, 1] = 0.3
    p = p.replace(move_cost=100.0, exit_costs=np.ones(len(p.exit_groups)) * 50.0, weekly_cost=[500.0, 900.0])
    b = run_batch([p], years=2, stochastic=True, seed=7, replicates_per_draw=400, full_occupancy=False)
    ev = b.event_totals()
    # the engine's sums of drawn exits and moves are whole numbers of children (the totals add the
    # entrants' expected events within their arrival step, which need not be)
    assert np.allclose(b.sums.exits, np.round(b.sums.exits))
    assert np.allclose(b.sums.moves, np.round(b.sums.moves))
    # and their mean is the expected count (a conservation check against the deterministic run)
    det = run_batch([p], years=2, full_occupancy=False, events=True)
    mean, sd = ev["exits"].sum(axis=(1, 2)).mean(), ev["exits"].sum(axis=(1, 2)).std()
    assert abs(mean - det.event_totals()["exits"].sum()) < 4 * sd / np.sqrt(400)
    # the same seed and stream range gives the same bits, cut into two batches or not
    first = run_batch([p], years=2, stochastic=True, seed=7, replicates_per_draw=150, full_occupancy=False)
    rest = run_batch([p], years=2, stochastic=True, seed=7, replicates_per_draw=250, full_occupancy=False,
                     first_replicate=150)
    np.testing.assert_array_equal(np.concatenate([first.present_values(), rest.present_values()]),
                                  b.present_values())
    with pytest.raises(ValueError, match="needs stochastic=True"):
        run_batch([p], years=1, first_replicate=3)
