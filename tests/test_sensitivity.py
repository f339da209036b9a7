"""carecast.care.sensitivity: tornado against hand calculation, PRCC/SRRC against independent formulas."""

import datetime as dt

import numpy as np
import pytest

from carecast.care import CareParameters, Scenario, run
from carecast.care.interventions import EdgeOfCare
from carecast.care.probabilistic import psa
from carecast.care.sensitivity import rank, sensitivity_ranking, tornado
from carecast.care.uncertainty import Dirichlet, Fixed, LogNormal, Uncertain, Uncertainty, Uniform


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


# ---------------------------------------------------------------- Sobol
def test_sobol_estimators_on_the_ishigami_function():
    """The Ishigami function's indices are known in closed form (Ishigami and Homma 1990; a = 7, b = 0.1):
    V = a^2/8 + b pi^4/5 + b^2 pi^8/18 + 1/2, V1 = (1 + b pi^4/5)^2 / 2, V2 = a^2/8, V3 = 0,
    VT3 = 8 b^2 pi^8 / 225, VT1 = V1 + VT3."""
    from carecast.care.sensitivity import sobol_estimates

    a, b = 7.0, 0.1
    pi = np.pi
    v = a ** 2 / 8 + b * pi ** 4 / 5 + b ** 2 * pi ** 8 / 18 + 0.5
    v1, v2, vt3 = 0.5 * (1 + b * pi ** 4 / 5) ** 2, a ** 2 / 8, 8 * b ** 2 * pi ** 8 / 225
    exact_first = np.array([v1, v2, 0.0]) / v
    exact_total = np.array([v1 + vt3, v2, vt3]) / v

    def f(x):
        return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])

    rng = np.random.default_rng(2)
    n = 200_000
    xa, xb = rng.uniform(-pi, pi, size=(2, n, 3))
    fab = np.stack([f(np.where(np.arange(3) == i, xb, xa)) for i in range(3)])
    first, total = sobol_estimates(f(xa), f(xb), fab)
    np.testing.assert_allclose(first, exact_first, atol=0.01)
    np.testing.assert_allclose(total, exact_total, atol=0.01)


def _two_costs():
    p = CareParameters.empty(age_bands=(0,), placements=("foster", "home"))
    p.stock[0, :, 0] = [60.0, 40.0]
    p.weekly_cost[:] = [500.0, 3000.0]
    return p


def test_sobol_of_a_present_value_linear_in_two_costs():
    """The present value is linear in the weekly costs: PV = c0 + c1 w1 + c2 w2, c_i from two runs each.
    With independent uniform costs the indices are S_i = ST_i = c_i^2 var_i / sum_j c_j^2 var_j."""
    from carecast.care.sensitivity import sobol

    p = _two_costs()
    base = run(p, years=2).present_value()
    slopes = []
    for q in range(2):
        w = p.weekly_cost.copy()
        w[q] += 100.0
        slopes.append((run(p.replace(weekly_cost=w), years=2).present_value() - base) / 100.0)
    ranges = [(400.0, 600.0), (2000.0, 4000.0)]
    var = np.array([(hi - lo) ** 2 / 12 for lo, hi in ranges])
    share = np.array(slopes) ** 2 * var
    exact = share / share.sum()
    u = [Uncertain("weekly_cost", "foster", Uniform(*ranges[0]), name="foster"),
         Uncertain("weekly_cost", "home", Uniform(*ranges[1]), name="home")]
    r = sobol(p, u, samples=4000, seed=7, years=2, progress=False)
    assert r.runs == 4000 * 4
    np.testing.assert_allclose(r.first_order, exact, atol=0.03)
    np.testing.assert_allclose(r.total, exact, atol=0.01)
    assert np.all(r.total_interval[:, 0] <= r.total) and np.all(r.total <= r.total_interval[:, 1])
    t = r.table()
    assert list(t["input"]) == ["home", "foster"] and list(t["rank"]) == [1, 2]
    again = sobol(p, u, samples=4000, seed=7, years=2, progress=False)
    assert np.array_equal(again.first_order, r.first_order) and np.array_equal(again.total, r.total)


def test_sobol_refuses_correlated_inputs_and_bad_outputs():
    from carecast.care.sensitivity import sobol

    p = _two_costs()
    u = Uncertainty([Uncertain("weekly_cost", "foster", Uniform(400.0, 600.0), name="a"),
                     Uncertain("weekly_cost", "home", Uniform(2000.0, 4000.0), name="b")],
                    correlation={("a", "b"): 0.5})
    with pytest.raises(ValueError, match="independent inputs"):
        sobol(p, u, samples=100, seed=1, years=1, progress=False)
    plain = [Uncertain("weekly_cost", "foster", Uniform(400.0, 600.0))]
    with pytest.raises(ValueError, match="needs a scenario"):
        sobol(p, plain, output="net_present_value", samples=100, seed=1, years=1, progress=False)
    with pytest.raises(ValueError, match="samples must be >= 100"):
        sobol(p, plain, samples=10, seed=1, years=1, progress=False)
    with pytest.raises(ValueError, match="not in the run"):
        sobol(p, plain, output=("cost", "2040-41"), samples=100, seed=1, years=1, progress=False)
