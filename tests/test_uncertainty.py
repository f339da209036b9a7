"""Distributions, declarations and the copula of carecast.care.uncertainty.

Exact CDFs here are computed independently of the module: densities written
out from their formulas (with math.lgamma) and integrated numerically
(composite Simpson on a fine grid), or closed forms (math.erfc, triangles).
"""

import math

import numpy as np
import pytest

from carecast import checks
from carecast.care.model import run
from carecast.care.parameters import CareParameters
from carecast.care.uncertainty import (
    Beta,
    Dirichlet,
    Fixed,
    Gamma,
    LogNormal,
    Samples,
    Triangular,
    Uncertain,
    Uncertainty,
    Uniform,
    normal_cdf,
    normal_ppf,
    uncertainty_from_table,
)


# ---------------------------------------------------------------- independent CDFs
def simpson_cdf(pdf, lower, points):
    """CDF at sorted ``points`` by composite Simpson from ``lower`` on a fine grid."""
    out = []
    for x in points:
        n = 4000
        grid = np.linspace(lower, x, 2 * n + 1)
        y = pdf(grid)
        h = (x - lower) / (2 * n)
        out.append(h / 3 * (y[0] + y[-1] + 4 * y[1:-1:2].sum() + 2 * y[2:-1:2].sum()))
    return np.array(out)


def gamma_pdf(shape, rate):
    lg = math.lgamma(shape)
    return lambda x: np.exp(shape * math.log(rate) + (shape - 1) * np.log(np.maximum(x, 1e-300)) - rate * x - lg)


def beta_pdf(a, b):
    lb = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
    return lambda x: np.exp(lb + (a - 1) * np.log(np.clip(x, 1e-300, 1)) + (b - 1) * np.log(np.clip(1 - x, 1e-300, 1)))


def lognormal_cdf(median, sigma, x):
    return np.array([0.5 * math.erfc(-math.log(v / median) / (sigma * math.sqrt(2))) for v in x])


def chi2_critical(k, z=3.719):
    """Wilson-Hilferty approximation of the chi-square quantile (z = 3.719: p = 1e-4)."""
    return k * (1 - 2 / (9 * k) + z * math.sqrt(2 / (9 * k))) ** 3


def chi_square(samples, edges, cdf_at_edges):
    counts, _ = np.histogram(samples, bins=np.concatenate(([-np.inf], edges, [np.inf])))
    probs = np.diff(np.concatenate(([0.0], cdf_at_edges, [1.0])))
    expected = probs * samples.size
    assert expected.min() > 5
    return float(((counts - expected) ** 2 / expected).sum()), len(counts) - 1


# ---------------------------------------------------------------- normal
def test_normal_ppf_against_erfc():
    u = np.array([1e-12, 1e-6, 0.01, 0.02425, 0.2, 0.5, 0.8, 0.97575, 0.999, 1 - 1e-9])
    z = normal_ppf(u)
    back = np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in z])
    assert np.allclose(back, u, rtol=1e-13, atol=0)
    assert normal_ppf(0.5) == 0.0
    assert np.isinf(normal_ppf(0.0)) and normal_ppf(0.0) < 0 and normal_ppf(1.0) > 0
    assert float(normal_ppf(0.975)) == pytest.approx(1.959963984540054, abs=1e-14)   # published value
    assert float(normal_cdf(1.0)) == pytest.approx(0.8413447460685429, abs=1e-15)


# ---------------------------------------------------------------- samplers: chi-square and moments
@pytest.mark.parametrize("dist, pdf, lower, upper", [
    (Gamma(2.5, 4.0), gamma_pdf(2.5, 4.0), 0.0, 2.5),
    (Gamma.from_counts(40, 200.0), gamma_pdf(40.5, 200.0), 0.0, 0.45),
    (Beta(2.0, 5.0), beta_pdf(2.0, 5.0), 0.0, 1.0),
    (Beta.from_mean_sd(0.3, 0.1), beta_pdf(6.0, 14.0), 0.0, 1.0),
])
def test_sampler_chi_square_and_ppf_against_integrated_pdf(dist, pdf, lower, upper):
    rng = np.random.default_rng(20260101)
    x = dist.sample(20000, rng)
    edges = np.quantile(x, np.linspace(0.05, 0.95, 19))      # data-driven edges, exact probabilities
    stat, dof = chi_square(x, edges, simpson_cdf(pdf, lower, edges))
    assert stat < chi2_critical(dof)
    u = np.array([0.01, 0.1, 0.5, 0.9, 0.99])
    assert np.allclose(simpson_cdf(pdf, lower, dist.ppf(u)), u, atol=1e-9)


def test_lognormal_uniform_triangular_chi_square():
    rng = np.random.default_rng(7)
    d = LogNormal(1000.0, 0.3)
    x = d.sample(20000, rng)
    edges = np.linspace(600, 1600, 21)
    stat, dof = chi_square(x, edges, lognormal_cdf(1000.0, 0.3, edges))
    assert stat < chi2_critical(dof)
    t = Triangular(1.0, 2.0, 5.0)
    x = t.sample(20000, rng)
    edges = np.linspace(1.2, 4.6, 18)
    tri_cdf = np.where(edges < 2, (edges - 1) ** 2 / (4 * 1), 1 - (5 - edges) ** 2 / (4 * 3))
    stat, dof = chi_square(x, edges, tri_cdf)
    assert stat < chi2_critical(dof)
    x = Uniform(-1.0, 3.0).sample(20000, rng)
    edges = np.linspace(-0.8, 2.8, 19)
    stat, dof = chi_square(x, edges, (edges + 1) / 4)
    assert stat < chi2_critical(dof)


def test_moments():
    rng = np.random.default_rng(3)
    n = 200000
    g = Gamma(3.0, 2.0).sample(n, rng)
    assert g.mean() == pytest.approx(1.5, abs=4 * math.sqrt(0.75 / n))
    assert g.var() == pytest.approx(0.75, rel=0.02)
    b = Beta(2.0, 6.0).sample(n, rng)
    assert b.mean() == pytest.approx(0.25, abs=4 * math.sqrt(2 * 6 / (64 * 9) / n))
    ln = LogNormal(100.0, 0.5)
    assert ln.sample(n, rng).mean() == pytest.approx(100 * math.exp(0.125), rel=0.01)
    assert ln.mean == pytest.approx(100 * math.exp(0.125), rel=1e-15)
    d = Dirichlet((2.0, 3.0, 5.0)).sample(n, rng)
    assert d.shape == (n, 3) and np.allclose(d.sum(axis=1), 1.0)
    assert np.allclose(d.mean(axis=0), [0.2, 0.3, 0.5], atol=0.003)
    # a Dirichlet's first share is Beta(2, 8): chi-square against its integrated density
    edges = np.linspace(0.05, 0.45, 9)
    stat, dof = chi_square(d[:20000, 0], edges, simpson_cdf(beta_pdf(2.0, 8.0), 0.0, edges))
    assert stat < chi2_critical(dof)


def test_samples_resamples_its_values():
    s = Samples((1.0, 2.0, 2.0, 5.0))
    x = s.sample(40000, np.random.default_rng(1))
    assert set(np.unique(x)) == {1.0, 2.0, 5.0}
    assert np.mean(x == 2.0) == pytest.approx(0.5, abs=0.02)
    assert s.ppf(np.array([0.0, 0.25, 0.26, 0.75, 0.76, 1.0])).tolist() == [1.0, 1.0, 2.0, 2.0, 5.0, 5.0]


def test_constructors_from_published_style_inputs():
    d = LogNormal.from_percentile(1000.0, 0.95, 1400.0)
    assert d.sigma == pytest.approx(math.log(1.4) / 1.6448536269514722, rel=1e-13)
    d = LogNormal.from_range(800.0, 1250.0, level=0.9)
    assert d.median == pytest.approx(1000.0, rel=1e-15)
    assert float(d.ppf(0.95)) == pytest.approx(1250.0, rel=1e-13)
    g = Gamma.from_mean_sd(0.2, 0.05)
    assert g.mean == pytest.approx(0.2) and g.shape == pytest.approx(16.0)
    assert Gamma.from_counts(0, 10.0).shape == 0.5     # zero events: Jeffreys prior keeps it proper


@pytest.mark.parametrize("call, match", [
    (lambda: Gamma(0.0, 1.0), "Gamma: shape"),
    (lambda: Gamma.from_counts(-1, 10), "events"),
    (lambda: Beta.from_counts(5, 3), "successes"),
    (lambda: Beta.from_mean_sd(0.5, 0.6), "sd must be below"),
    (lambda: LogNormal.from_percentile(1000, 0.95, 900), "wrong side"),
    (lambda: LogNormal.from_percentile(1000, 0.5, 900), "q must be"),
    (lambda: Uniform(2, 1), "low"),
    (lambda: Triangular(1, 5, 3), "low <= mode <= high"),
    (lambda: Dirichlet((1.0,)), "at least two"),
    (lambda: Dirichlet((1.0, -2.0)), r"alpha\[1\]"),
    (lambda: Samples(()), "empty"),
    (lambda: Samples((1.0, float("nan"))), r"values\[1\]"),
    (lambda: Fixed(float("inf")), "Fixed: value"),
    (lambda: Gamma(1.0, 1.0).ppf([0.5, 1.5]), "probabilities"),
])
def test_distribution_errors(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


# ---------------------------------------------------------------- copula and seeds
def _scalar_inputs():
    return [Uncertain("entry_cost", (), LogNormal(1000.0, 0.4), name="a"),
            Uncertain("move_cost", (), LogNormal(50.0, 0.2), name="b"),
            Uncertain("proceedings_cost", (), Uniform(0.0, 1.0), name="c"),
            Uncertain("proceedings_share", (), Uniform(0.0, 1.0), name="d")]


def test_copula_recovers_correlation():
    u = Uncertainty(_scalar_inputs(), correlation={("a", "b"): 0.7, ("c", "d"): -0.5})
    d = u.draw(40000, seed=11)
    # lognormal marginals: the logs are the copula's normal scores, so their correlation is rho
    r = np.corrcoef(np.log(d.values["a"]), np.log(d.values["b"]))[0, 1]
    assert r == pytest.approx(0.7, abs=4 * (1 - 0.49) / math.sqrt(40000))
    # uniform marginals: Pearson = Spearman = (6 / pi) asin(rho / 2) for a Gaussian copula
    r = np.corrcoef(d.values["c"], d.values["d"])[0, 1]
    assert r == pytest.approx(6 / math.pi * math.asin(-0.25), abs=0.015)
    # the marginals are kept
    assert np.median(d.values["a"]) == pytest.approx(1000.0, rel=0.01)
    assert abs(np.corrcoef(d.values["a"], d.values["c"])[0, 1]) < 0.02


def test_semi_definite_matrix_is_accepted_and_invalid_ones_refused():
    inputs = _scalar_inputs()[:3]
    m = np.array([[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 1.0]])      # PSD, singular
    d = Uncertainty(inputs, correlation=m, correlated=["a", "b", "c"]).draw(100, seed=1)
    assert np.allclose(np.log(d.values["a"] / 1000.0) / 0.4, np.log(d.values["b"] / 50.0) / 0.2)
    bad = np.array([[1.0, 0.9, -0.9], [0.9, 1.0, 0.9], [-0.9, 0.9, 1.0]])
    with pytest.raises(ValueError, match="not positive semi-definite"):
        Uncertainty(inputs, correlation=bad, correlated=["a", "b", "c"])
    with pytest.raises(ValueError, match="symmetric"):
        Uncertainty(inputs, correlation=[[1, 0.2], [0.3, 1]], correlated=["a", "b"])
    with pytest.raises(ValueError, match="diagonal"):
        Uncertainty(inputs, correlation=[[2, 0.2], [0.2, 1]], correlated=["a", "b"])
    with pytest.raises(ValueError, match="outside"):
        Uncertainty(inputs, correlation={("a", "b"): 1.5})
    with pytest.raises(ValueError, match="unknown input 'z'"):
        Uncertainty(inputs, correlation={("a", "z"): 0.5})
    mix = [Uncertain("weekly_cost", (), Dirichlet((1.0, 2.0)), how="share", name="mix")] + inputs
    with pytest.raises(ValueError, match="cannot be correlated"):
        Uncertainty(mix, correlation={("mix", "a"): 0.5})


def test_draws_reproducible_and_stable_when_inputs_are_appended():
    inputs = _scalar_inputs()
    d1 = Uncertainty(inputs[:2]).draw(500, seed=5)
    d2 = Uncertainty(inputs[:2]).draw(500, seed=5)
    d3 = Uncertainty(inputs).draw(500, seed=5)
    for name in ("a", "b"):
        assert np.array_equal(d1.values[name], d2.values[name])
        assert np.array_equal(d1.values[name], d3.values[name])
    assert not np.array_equal(d1.values["a"], Uncertainty(inputs[:2]).draw(500, seed=6).values["a"])
    # drawing fewer draws gives a prefix of the same stream (numpy samplers are sequential)
    assert np.array_equal(Uncertainty(inputs[:2]).draw(100, seed=5).values["a"], d1.values["a"][:100])


# ---------------------------------------------------------------- declarations
def params():
    p = CareParameters.empty(age_bands=(0, 10), placements=("agency_foster", "residential"),
                             time_in_care_bands=(0.0, 1.0))
    p.stock[:] = 5.0
    p.exit_rates[...] = 0.2
    p.weekly_cost[:] = [900.0, 4000.0]
    return p


def test_labelled_positions_apply():
    p = params()
    u = Uncertainty([
        Uncertain("weekly_cost", "agency_foster", Fixed(1000.0)),
        Uncertain("exit_rates", (..., "residential", "returned_home"), Fixed(0.5), name="res_home"),
        Uncertain("exit_rates", (10, "agency_foster", 1.0, "adopted"), Fixed(2.0), how="scale", name="old"),
        Uncertain("entry_cost", (), Fixed(123.0)),
        Uncertain("stock", (0, ...), Dirichlet((1.0, 3.0)), how="share", name="mix"),
    ])
    u.check(p)
    values = {"weekly_cost['agency_foster']": 1000.0, "res_home": 0.5, "old": 2.0, "entry_cost": 123.0,
              "mix": np.array([0.25, 0.75])}
    q, _ = u.apply(p, None, values)
    assert q.weekly_cost.tolist() == [1000.0, 4000.0]
    ir, ih, ia = 1, p.exit_groups.index("returned_home"), p.exit_groups.index("adopted")
    assert np.all(q.exit_rates[:, ir, :, ih] == 0.5)
    assert q.exit_rates[1, 0, 1, ia] == pytest.approx(0.4) and q.exit_rates[0, 0, 1, ia] == 0.2
    assert q.entry_cost == 123.0
    # stock of age band 0: each (placement) row over time-in-care keeps its total, split 1:3
    assert q.stock[0].tolist() == [[2.5, 7.5], [2.5, 7.5]]
    assert p.weekly_cost.tolist() == [900.0, 4000.0]          # input not modified


@pytest.mark.parametrize("item, match", [
    (Uncertain("weekly_cost", "kinship", Fixed(1.0)), "placement 'kinship' is not in the model"),
    (Uncertain("exit_rates", (0, 2, 0, "returned_home"), Fixed(1.0)), "placement axis takes a name"),
    (Uncertain("exit_rates", (..., 2, "returned_home"), Fixed(1.0)), "time_in_care 2 is not in the model"),
    (Uncertain("exit_rates", (5.0, ...), Fixed(1.0)), "age 5.0 is not in the model"),
    (Uncertain("weekly_cost", ("agency_foster", "x"), Fixed(1.0)), "where has 2 entries"),
    (Uncertain("entry_cost", "x", Fixed(1.0)), "where must be"),
    (Uncertain("stock", (0, "residential"), Dirichlet((1.0, 1.0, 1.0)), how="share"), "has 3"),
    (Uncertain("intervention.effect", 0, Fixed(0.1)), "needs a scenario"),
])
def test_position_errors(item, match):
    with pytest.raises(ValueError, match=match):
        item.check(params())


def test_declaration_errors():
    with pytest.raises(ValueError, match="field 'weekly_costs'"):
        Uncertain("weekly_costs", "x", Fixed(1.0))
    with pytest.raises(TypeError, match="distribution must be"):
        Uncertain("entry_cost", (), 3.0)
    with pytest.raises(ValueError, match="how='share'"):
        Uncertain("weekly_cost", (), Fixed(1.0), how="share")
    with pytest.raises(ValueError, match="distinct names"):
        Uncertainty([Uncertain("entry_cost", (), Fixed(1.0)), Uncertain("entry_cost", (), Fixed(2.0))])


def test_drawn_value_outside_a_fields_range_is_refused():
    u = Uncertainty([Uncertain("proceedings_share", (), Fixed(1.5))])
    with pytest.raises(ValueError, match="proceedings_share: must be <= 1"):
        u.apply(params(), None, {"proceedings_share": 1.5})


# ---------------------------------------------------------------- scenario-file tables
def test_table_parses_every_form():
    table = {
        "weekly_cost": {"agency_foster": {"distribution": "lognormal", "median": 1000, "p95": 1400,
                                          "source": "PSSRU 2023"},
                        "residential": {"distribution": "triangular", "low": 3000, "mode": 4000, "high": 6000}},
        "exit_rates": {"...,residential,returned_home": {"distribution": "gamma", "events": 40, "exposure": 200}},
        "entry_cost": {"distribution": "uniform", "low": 1500, "high": 2500},
        "stock": {"0,...": {"distribution": "dirichlet", "counts": [10, 30]}},
        "intervention": {"edge_of_care": {"effect": {"distribution": "beta", "mean": 0.2, "sd": 0.05}}},
        "correlation": [{"between": ["weekly_cost['agency_foster']", "weekly_cost['residential']"], "rho": 0.6}],
    }
    u = uncertainty_from_table(table)
    assert u.names == ["weekly_cost['agency_foster']", "weekly_cost['residential']",
                       "exit_rates[..., 'residential', 'returned_home']", "entry_cost", "stock[0.0, ...]",
                       "intervention.effect['edge_of_care']"]
    assert u.inputs[0].distribution.source == "PSSRU 2023"
    assert u.inputs[2].distribution == Gamma(40.5, 200.0)
    assert u.inputs[4].how == "share"
    assert u.correlation[0, 1] == 0.6
    u.inputs[2].check(params())
    assert "[assumption]" in u.describe()[1] and "PSSRU 2023" in u.describe()[0]


@pytest.mark.parametrize("table, match", [
    ({"weekly_cost": {"agency_foster": {"distribution": "lognormal", "median": 1000}}},
     r"uncertain\.weekly_cost\.agency_foster: a lognormal distribution needs median and exactly one"),
    ({"weekly_cost": {"agency_foster": {"distribution": "lognorm", "median": 1000}}},
     r"uncertain\.weekly_cost\.agency_foster\.distribution: must be one of"),
    ({"entry_cost": {"distribution": "uniform", "low": 1}}, r"uncertain\.entry_cost: a uniform distribution needs high"),
    ({"entry_cost": {"distribution": "uniform", "low": 1, "high": 2, "mode": 3}}, r"unknown keys \['mode'\]"),
    ({"entry_cost": {"distribution": "uniform", "low": 3, "high": 2}}, r"uncertain\.entry_cost: Uniform: low"),
    ({"entry_cost": {"distribution": "beta", "mean": 0.5}}, r"uncertain\.entry_cost: a beta distribution needs"),
    ({"nonsense": {"distribution": "fixed", "value": 1}}, r"uncertain\.nonsense: .*field 'nonsense'"),
    ({"correlation": [{"between": ["a"], "rho": 0.3}]}, r"uncertain\.correlation\[0\]\.between"),
    ({"entry_cost": {"distribution": "fixed", "value": "x"}}, r"uncertain\.entry_cost: Fixed: value must be a number"),
    ({"weekly_cost": {"agency_foster": 3}}, r"uncertain\.weekly_cost\.agency_foster: must be a table"),
])
def test_table_errors_name_the_field(table, match):
    with pytest.raises(checks.FieldError, match=match) as caught:
        uncertainty_from_table(table)
    assert caught.value.field.startswith("uncertain.")     # the table path, for FILE:LINE in scenario files


# ---------------------------------------------------------------- arrays of rates (calibration posteriors)
def test_gamma_array_moments_zeros_and_chunked_draws():
    from carecast.care.uncertainty import GammaArray

    g = GammaArray.from_counts([[4.0, 0.0], [10.0, 2.0]], [[20.0, 5.0], [50.0, 10.0]])
    x = g.sample(50000, np.random.default_rng(2))
    assert x.shape == (50000, 2, 2)
    assert np.allclose(x.mean(axis=0), g.mean, rtol=0.02)
    assert np.allclose(x.var(axis=0), g.shape / g.rate ** 2, rtol=0.05)
    z = GammaArray(np.array([0.0, 2.0]), np.array([1.0, 0.0])).sample(10, np.random.default_rng(1))
    assert np.all(z == 0.0)
    u = Uncertainty([Uncertain("weekly_cost", (), GammaArray([2.0, 3.0], [0.01, 0.02]), name="costs")])
    a = u.draw(30, seed=4)
    b = u.draw(30, seed=4)
    whole = a.arrays("costs", 0, 30)
    parts = np.concatenate([b.arrays("costs", lo, min(30, lo + 7)) for lo in range(0, 30, 7)])
    assert np.array_equal(whole, parts)
    assert np.array_equal(b.arrays("costs", 3, 5), whole[3:5])        # going back restarts the stream
    assert np.allclose(a.values["costs"], whole.sum(axis=1) / 350.0)   # level: sum(draw) / (2/0.01 + 3/0.02)
    with pytest.raises(ValueError, match="GammaArray has \\(2,\\)"):
        Uncertain("exit_costs", (), GammaArray([1.0, 1.0], [1.0, 1.0])).check(params())
    with pytest.raises(ValueError, match="cannot be correlated"):
        Uncertainty([Uncertain("weekly_cost", (), GammaArray([2.0, 3.0], [1.0, 1.0]), name="g"),
                     Uncertain("entry_cost", (), Fixed(1.0), name="e")], correlation={("g", "e"): 0.2})


def test_from_calibration_draws_like_the_calibration():
    import carecast
    from carecast.care.probabilistic import psa

    cal = carecast.calibrate(carecast.read_returns(carecast.sample_returns_path()), "2018-04-01", "2020-03-31")
    u = Uncertainty.from_calibration(cal, extra=[Uncertain("weekly_cost", "residential", Fixed(3000.0))])
    assert u.names == ["exit_rates", "move_rates", "entries_per_year", "weekly_cost['residential']"]
    assert "SSDA903 calibration" in u.describe()[0]
    r = psa(cal.parameters, u, years=0.5, draws=10, seed=3, step="quarter", chunk=4, keep="raw", progress=False)
    d = r.inputs
    exits = d.arrays("exit_rates", 0, 10)
    # the drawn arrays are centred on the posterior means, and left_care_at_18 stays 0
    g = cal.parameters.exit_groups.index("left_care_at_18")
    assert np.all(exits[..., g] == 0.0)
    mean = cal.exit_rates.mean()
    mean[..., g] = 0.0
    assert exits.mean(axis=0).sum() == pytest.approx(mean.sum(), rel=0.1)
    assert np.all(np.isfinite(d.values["exit_rates"])) and d.values["exit_rates"].std() > 0
    # draw 7 of the PSA is the run of exactly those arrays
    q = cal.parameters.replace(exit_rates=exits[7], move_rates=d.arrays("move_rates", 7, 8)[0],
                               entries_per_year=d.arrays("entries_per_year", 7, 8)[0],
                               weekly_cost=np.where(np.arange(9) == 3, 3000.0, cal.parameters.weekly_cost))
    expected = run(q, years=0.5, step="quarter").children_by_placement()
    assert np.allclose(r.baseline.raw["children_by_placement"][7], expected, rtol=1e-12, atol=1e-12)
