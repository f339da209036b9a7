"""Built-in examples: they start from their published figures and reproduce them.

Expected values are read in this file straight from the package's facts.json
(the published figures), not from the examples module.
"""

import datetime as dt
import json
from importlib import resources

import numpy as np
import pytest

from carecast.care.examples import DEFAULT_EXAMPLE, EXAMPLE_NAMES, fact, list_examples, load_example
from carecast.care.model import run

FACTS = {e["key"]: e for e in json.loads(resources.files("carecast").joinpath("data/facts.json").read_text())}
WEEKS = 365.25 / 7


def published(key):
    return FACTS[key]["value"]


@pytest.mark.parametrize("name, key", [("england", "eng_cla_31mar_2024"), ("birmingham-2013", "bham_cla_2013"),
                                       ("norfolk-2017", "norfolk_cla_mar2012")])
def test_starting_stock_equals_source(name, key):
    ex = load_example(name)
    assert ex.parameters.total_stock() == pytest.approx(published(key), rel=1e-9)
    assert any(key in s or FACTS[key]["source_url"] in s for s in ex.parameters.sources)


def test_birmingham_residential_equals_source():
    p = load_example("birmingham-2013").parameters
    residential = p.stock[:, p.placements.index("residential")].sum()
    assert residential == pytest.approx(published("bham_cla_residential_2013"), rel=1e-9)
    foster = sum(p.stock[:, p.placements.index(n)].sum() for n in ("kinship_foster", "inhouse_foster", "agency_foster"))
    assert foster / p.total_stock() == pytest.approx(published("bham_foster_share_2015"), rel=1e-9)


def test_england_placement_mix_and_costs_equal_sources():
    p = load_example("england").parameters
    share = p.stock.sum(axis=(0, 2)) / p.total_stock()
    total = sum(published(k) for k in FACTS if k.startswith("eng_placement_") and k.endswith("_sep2024"))
    assert share[p.placements.index("agency_foster")] == pytest.approx(
        published("eng_placement_ifa_foster_share_sep2024") / total, rel=1e-6)
    assert share[p.placements.index("residential")] == pytest.approx(
        published("eng_placement_childrens_homes_share_sep2024") / total, rel=1e-6)
    weekly = dict(zip(p.placements, p.weekly_cost))
    assert weekly["residential"] == pytest.approx(published("cost_childrens_home_place_per_year_2024") / WEEKS)
    assert weekly["agency_foster"] == published("cost_ifa_price_per_week_cma_2021")
    assert p.price_year == "2023-24"


def test_england_first_year_flows_equal_sources():
    ex = load_example("england")
    r = run(ex.parameters, years=1, step="month")
    ev = r.event_counts()
    assert ev["entries"].sum() == pytest.approx(published("eng_cla_starts_2024"), rel=1e-9)
    assert ev["exits"].sum() == pytest.approx(published("eng_cla_ceased_2024"), rel=1e-6)
    adopted = r.parameters.exit_groups.index("adopted")
    assert ev["exits"][:, adopted].sum() == pytest.approx(published("eng_cla_adopted_2024"), rel=1e-9)


def test_norfolk_reproduces_march_2017_within_2_percent():
    ex = load_example("norfolk-2017")
    r = run(ex.parameters, years=5, step="month")
    assert r.dates[60] == np.datetime64("2017-03-31")
    assert abs(r.children_in_care()[60] / published("norfolk_cla_mar2017_council") - 1) < 0.02
    # published entries are used as they are; 2012-13's (not published) is fitted
    per_year = r.event_counts()["entries"].reshape(5, 12, -1).sum(axis=(1, 2))
    expected = [ex.fitted["entries_2012_13"]] + [published(f"norfolk_cla_starts_{y}")
                                                 for y in (2014, 2015, 2016, 2017)]
    np.testing.assert_allclose(per_year, expected, rtol=1e-12)
    assert 0 < ex.fitted["entries_2012_13"] < 2 * published("norfolk_cla_starts_2014")


def test_norfolk_fit_is_a_least_squares_minimum():
    # perturbing the fitted growth rate either way makes the fit to the published counts worse
    from carecast.care.examples import _exit_rates
    ex = load_example("norfolk-2017")
    p = ex.parameters
    published_mean = p.entries_per_year[1:].mean(axis=0).sum(axis=1)
    fitted_checks = [c for c in ex.checks if "start" not in c.description]

    def sse(growth):
        q = p.replace(exit_rates=_exit_rates(p, growth, published_mean))
        r = run(q, years=5, step="month", post_exit=False)
        return sum((c.modelled(r) - c.published) ** 2 for c in fitted_checks)

    g = ex.fitted["growth_per_year"]
    assert sse(g) < sse(g + 0.005) and sse(g) < sse(g - 0.005)


def test_norfolk_costs_from_sources():
    p = load_example("norfolk-2017").parameters
    weekly = dict(zip(p.placements, p.weekly_cost))
    assert weekly["residential"] == published("cost_la_childrens_home_per_week_dfe_2016")
    # in-house and agency differ by the published yearly gap
    assert (weekly["agency_foster"] - weekly["inhouse_foster"]) * WEEKS == pytest.approx(
        published("cost_ifa_vs_la_foster_annual_difference"))
    assert p.price_year == "2016-17"


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_every_check_passes_and_everything_is_sourced(name):
    ex = load_example(name)
    r = run(ex.parameters, years=ex.years, step=ex.step)
    for check in ex.checks:
        assert abs(check.modelled(r) / check.published - 1) <= check.tolerance, check.description
    assert ex.parameters.sources and ex.parameters.assumptions
    for source in ex.parameters.sources + list(ex.parameters.cost_sources.values()):
        assert "http" in source or "facts.json" in source
    # no negative stocks, and the run is sensible: between half and double the start
    occ = r.projection.occupancy
    assert occ.min() >= 0
    assert 0.5 < r.children_in_care()[-1] / r.children_in_care()[0] < 2.0
    assert r.present_value() > 0


def test_weekly_and_monthly_agree_on_norfolk():
    p = load_example("norfolk-2017").parameters
    monthly = run(p, years=5, step="month").children_in_care()[-1]
    weekly_run = run(p, years=5, step="week")
    t = np.arange(weekly_run.steps + 1) * weekly_run.dt
    weekly = np.interp(5.0, t, weekly_run.children_in_care())
    assert abs(weekly / monthly - 1) < 0.005


def test_examples_listed_and_default():
    names = [e.name for e in list_examples()]
    assert names == list(EXAMPLE_NAMES)
    assert DEFAULT_EXAMPLE in names


def test_unknown_example_and_fact():
    with pytest.raises(ValueError, match="no example 'leeds'"):
        load_example("leeds")
    with pytest.raises(KeyError, match="no figure"):
        fact("not_a_key")
    with pytest.raises(ValueError, match="no value"):
        fact("norfolk_child_population_0_17")


def test_examples_are_independent_copies():
    a = load_example("norfolk-2017")
    a.parameters.stock[:] = 0.0
    b = load_example("norfolk-2017")
    assert b.parameters.total_stock() == pytest.approx(1015)
    assert b.parameters.start_date == dt.date(2012, 3, 31)
