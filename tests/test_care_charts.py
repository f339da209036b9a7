"""Charts read the result's arrays: their bars add up to the result's tables."""

import numpy as np
import pytest

from carecast.care import Scenario, run
from carecast.care.examples import load_example
from carecast.care.interventions import EdgeOfCare

pytest.importorskip("matplotlib")


@pytest.fixture(scope="module")
def result():
    p = load_example("norfolk-2017").parameters
    plan = Scenario("edge", interventions=[EdgeOfCare(families_per_year=200, share_would_enter=0.5, effect=0.2,
                                                      cost_per_family=2000)])
    return run(p, years=3, step="month", scenario=plan)


def bar_heights(fig):
    """Total height of the bars at each x position, by legend label."""
    ax = fig.axes[0]
    out = {}
    for container in ax.containers:
        out[container.get_label()] = np.array([bar.get_height() for bar in container])
    return out


@pytest.mark.parametrize("terms", ["cash", "real", "discounted"])
def test_cost_chart_adds_up_to_the_cost_table(result, terms):
    from carecast.care.charts import plot_costs
    bars = bar_heights(plot_costs(result, terms=terms))
    total = result.costs("total")[terms]
    np.testing.assert_allclose(sum(bars.values()), total, rtol=1e-12)
    # the programme is its own layer, read by kind (not by the component's name)
    by_component = result.costs("component")
    programme = by_component.where(component="programme: edge_of_care")[terms]
    np.testing.assert_allclose(bars["Programmes (interventions)"], programme, rtol=1e-12)


def test_entries_and_exits_chart_adds_up_to_the_events_table(result):
    from carecast.care.charts import plot_entries_exits
    bars = bar_heights(plot_entries_exits(result))
    events = result.events("financial_year")
    years = list(dict.fromkeys(events["financial_year"].tolist()))
    entries = [events["children"][(events["financial_year"] == y) & (events["event"] == "entry")].sum() for y in years]
    exits = [events["children"][(events["financial_year"] == y) & (events["event"] == "exit")].sum() for y in years]
    np.testing.assert_allclose(bars.pop("Entries"), entries, rtol=1e-12)
    np.testing.assert_allclose(sum(bars.values()), exits, rtol=1e-12)
