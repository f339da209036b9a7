"""carecast.care.sensitivity: tornado against hand calculation, PRCC/SRRC against independent formulas."""

import datetime as dt

import numpy as np
import pytest

from carecast.care import CareParameters, Scenario, run
from carecast.care.interventions import EdgeOfCare
from carecast.care.probabilistic import psa
from carecast.care.sensitivity import rank, sensitivity_ranking, tornado
from carecast.care.uncertainty import Dirichlet, Fixed, LogNormal, Uncertain, Uniform


def model():
    p = CareParameters.empty(age_bands=(0,), placements=("foster", "residential"), start_date=dt.date(2024, 3, 31))
    p.stock[0, :, 0] = [40.0, 10.0]
    p.entries_per_year[0] = [10.0, 2.0]
    p.exit_rates[..., p.exit_groups.index("returned_home")] = 0.3
    p.weekly_cost[:] = [500.0, 4000.0]
    p.entry_cost = 1000.0
    return p


def inputs():
    return [Uncertain("weekly_cost", "foster", Uniform(400.0, 600.0), name="foster"),
            Uncertain("weekly_cost", "residential", LogNormal.from_range(3000.0, 6000.0), name="residential"),
            Uncertain("entry_cost", (), Uniform(500.0, 1500.0), name="entry")]


def test_tornado_against_hand_calculation():
    p = model()
    t = tornado(p, inputs(), years=1, step="year", progress=False)
    base = run(p, years=1, step="year").present_value()
    assert t.base_output == pytest.approx(base, rel=1e-12)
    # present value is linear in each weekly cost: PV(w) = base + (w - w0) * dPV/dw
    unit = run(p.replace(weekly_cost=np.array([1.0, 0.0]), entry_cost=0.0), years=1, step="year").present_value()
    i = t.names.index("foster")
    assert t.low_values[i] == pytest.approx(410.0) and t.high_values[i] == pytest.approx(590.0)
    assert t.output_low[i] == pytest.approx(base + (410.0 - 500.0) * unit, rel=1e-12)
    assert t.output_high[i] == pytest.approx(base + (590.0 - 500.0) * unit, rel=1e-12)
    # residential children dominate: 10 children x (6000 - 3000) a week against 40 x 180
    assert t.names[0] == "residential" and list(t.swing) == sorted(t.swing, reverse=True)
    text = t.summary()
    assert "5% and 95% percentiles" in text and "residential" in text
    assert len(t.table()) == 3


def test_tornado_net_present_value_and_mixes_not_varied():
    p = model()
    scen = Scenario("edge", interventions=[EdgeOfCare(families_per_year=20, share_would_enter=0.5, effect=0.3,
                                                      cost_per_family=2000.0)])
    items = inputs() + [Uncertain("intervention.effect", 0, Uniform(0.1, 0.5), name="effect"),
                        Uncertain("stock", (0, ..., 0.0), Dirichlet((1.0, 1.0)), how="share", name="mix")]
    t = tornado(p, items, output="net_present_value", years=2, scenario=scen, progress=False)
    assert t.not_varied == ["mix"]
    i = t.names.index("effect")
    assert t.output_high[i] > t.output_low[i]          # more effect, more saving
    with pytest.raises(ValueError, match="needs a scenario"):
        tornado(p, inputs(), output="net_present_value", years=1, progress=False)
    with pytest.raises(ValueError, match="output must be one of"):
        tornado(p, inputs(), output="npv", years=1, progress=False)
    with pytest.raises(ValueError, match="0 < low < high < 1"):
        tornado(p, inputs(), years=1, low=0.5, high=0.4, progress=False)


def test_tornado_plot():
    pytest.importorskip("matplotlib")
    import matplotlib
    matplotlib.use("Agg")
    t = tornado(model(), inputs(), years=1, step="year", progress=False)
    ax = t.plot()
    assert len(ax.patches) == 6 and [x.get_text() for x in ax.get_yticklabels()][0] == t.names[0]


def test_rank_with_ties():
    assert rank([3.0, 1.0, 2.0]).tolist() == [3.0, 1.0, 2.0]
    assert rank([1.0, 1.0, 1.0]).tolist() == [2.0, 2.0, 2.0]
    assert rank(np.array([[1.0, 5.0], [2.0, 5.0], [0.0, 4.0]])).tolist() == [[2.0, 2.5], [3.0, 2.5], [1.0, 1.0]]


def prcc_by_inverse_correlation(x, y):
    """PRCC from the inverse of the rank correlation matrix (an independent route)."""
    r = np.column_stack([rank(x), rank(y)])
    c = np.linalg.inv(np.corrcoef(r, rowvar=False))
    k = x.shape[1]
    return np.array([-c[j, k] / np.sqrt(c[j, j] * c[k, k]) for j in range(k)])


def test_ranking_matches_independent_prcc_and_orders_inputs():
    p = model()
    r = psa(p, inputs() + [Uncertain("move_cost", (), Fixed(0.0), name="fixed")], years=1, step="year",
            draws=400, seed=5, progress=False)
    table = sensitivity_ranking(r)
    names, x = r.inputs.matrix()
    varies = [n != "fixed" for n in names]
    expected = prcc_by_inverse_correlation(x[:, varies], r.baseline.present_value)
    got = {n: c for n, c in zip(table["input"], table["coefficient"])}
    for n, e in zip([n for n, v in zip(names, varies) if v], expected):
        assert got[n] == pytest.approx(e, abs=1e-10)
    assert list(table["input"][:3]) == ["residential", "foster", "entry"]
    assert table["note"][-1] == "constant" and np.isnan(table["coefficient"][-1])
    assert "partial rank correlation" in table.title and "R^2" in table.title
    # SRRC: the rank regression's coefficients times sd(rank x) / sd(rank y), by numpy's lstsq here
    srrc = sensitivity_ranking(r, method="srrc")
    rx, ry = rank(x[:, varies]), rank(r.baseline.present_value)
    beta = np.linalg.lstsq(np.column_stack([np.ones(400), rx]), ry, rcond=None)[0][1:]
    by_name = {n: c for n, c in zip(srrc["input"], srrc["coefficient"])}
    for n, b, sx in zip([n for n, v in zip(names, varies) if v], beta, rx.std(axis=0)):
        assert by_name[n] == pytest.approx(b * sx / ry.std(), abs=1e-10)


def test_ranking_of_a_known_monotone_output():
    p = model()
    r = psa(p, inputs(), years=1, step="year", draws=300, seed=2, progress=False)
    y = np.exp(r.inputs.values["entry"] / 300.0)          # depends on one input only, non-linearly
    table = sensitivity_ranking(r, y)
    assert table["input"][0] == "entry" and table["coefficient"][0] == pytest.approx(1.0)
    assert np.all(np.abs(table["coefficient"][1:]) < 0.2)
    cost = sensitivity_ranking(r, ("cost", "2024-25", "real"))
    assert "cost in 2024-25 (real)" in cost.title


def test_ranking_errors():
    p = model()
    r = psa(p, inputs(), years=1, step="year", draws=8, seed=2, progress=False)
    with pytest.raises(ValueError, match="method must be"):
        sensitivity_ranking(r, method="sobol")
    with pytest.raises(ValueError, match="needs a PSA run with a scenario"):
        sensitivity_ranking(r, "net_present_value")
    with pytest.raises(ValueError, match="expected \\(8,\\)"):
        sensitivity_ranking(r, np.zeros(4))
    with pytest.raises(ValueError, match="non-finite"):
        sensitivity_ranking(r, np.array([1.0, 2.0, np.inf, 3.0, 4.0, 5.0, 6.0, 7.0]))
    small = psa(p, inputs(), years=1, step="year", draws=5, seed=2, progress=False)
    with pytest.raises(ValueError, match="too few"):
        sensitivity_ranking(small)
