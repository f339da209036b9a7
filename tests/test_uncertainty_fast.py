"""Uncertainty.apply_many against the draw-by-draw path, and Gamma's inverse CDF against mpmath.

The oracle for ``apply_many`` is ``values_of`` then ``apply`` for each draw
(the path the PSA used before): every field must agree bit for bit
(``np.array_equal``; numbers ``==``), and the first refused draw must raise
the same text naming the same draw. The oracle for ``Gamma.ppf`` and
``Gamma.cdf`` is mpmath (40 digits): ``P(a, x) = x**a e**-x / Gamma(a + 1) *
1F1(1; a + 1; x)``; a quantile's relative error is measured by one Newton
correction in mpmath, ``(P(x) - u) / (x * density(x))``.
"""

import dataclasses
import math

import numpy as np
import pytest

from carecast import checks
from carecast.care.interventions import EdgeOfCare
from carecast.care.parameters import CareParameters
from carecast.care.scenarios import Scenario
from carecast.care.uncertainty import (
    Beta,
    Dirichlet,
    DrawError,
    Fixed,
    Gamma,
    GammaArray,
    LogNormal,
    Samples,
    Triangular,
    Uncertain,
    Uncertainty,
    Uniform,
    _temme_coefficients,
)

PLACES = ("foster", "agency_foster", "residential")


def model(years: int = 0) -> CareParameters:
    rng = np.random.default_rng(7)
    p = CareParameters.empty(age_bands=(0, 5, 10, 16), placements=PLACES, time_in_care_bands=(0.0, 1.0))
    a, q, t, e = p.shape
    p.stock[:] = rng.integers(0, 20, size=p.stock.shape)
    p.exit_rates[:] = rng.uniform(0.01, 0.4, size=p.exit_rates.shape)
    p.exit_rates[..., p.exit_groups.index("left_care_at_18")] = 0.0
    p.move_rates[:] = rng.uniform(0.0, 0.3, size=p.move_rates.shape)
    p.move_rates[:, np.arange(q), :, np.arange(q)] = 0.0
    entries = rng.uniform(1.0, 30.0, size=(a, q))
    p.entries_per_year = np.stack([entries * (1 + 0.1 * y) for y in range(years)]) if years else entries
    p.weekly_cost = np.array([450.0, 900.0, 4000.0])
    p.exit_costs = rng.uniform(0.0, 5000.0, size=e)
    p.entry_cost, p.move_cost, p.proceedings_cost, p.proceedings_share = 1500.0, 300.0, 20000.0, 0.4
    p.cost_inflation, p.general_inflation = 0.03, 0.02
    p.cost_sources = {"foster": "assumption for the test"}
    p.sources = ["test model"]
    p.validate()
    return p


def edge_scenario() -> Scenario:
    return Scenario("edge", scale={"entry_cost": 1.1}, interventions=[EdgeOfCare(
        families_per_year=40, share_would_enter=0.5, effect=0.25, cost_per_family=3000.0)])


def per_draw(u, p, s, d, lo, hi):
    params, scens = [], []
    for r in range(lo, hi):
        p_r, s_r = u.apply(p, s, u.values_of(d, r))
        params.append(p_r)
        scens.append(s_r)
    return params, scens


def assert_same(a: list, b: list) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b):
        for f in dataclasses.fields(x):
            u, v = getattr(x, f.name), getattr(y, f.name)
            if isinstance(u, np.ndarray):
                assert isinstance(v, np.ndarray) and u.dtype == v.dtype and u.shape == v.shape, f.name
                assert np.array_equal(u, v), f.name
            else:
                assert type(u) is type(v) and u == v, f.name


def assert_same_scenarios(a: list, b: list) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b):
        if x is None or y is None:
            assert x is None and y is None
            continue
        assert (x.name, x.description, x.set, x.scale) == (y.name, y.description, y.set, y.scale)
        assert x.interventions == y.interventions


CASES = {
    "numbers set and scale": lambda p: [
        Uncertain("entry_cost", (), Uniform(1000.0, 2000.0)),
        Uncertain("move_cost", (), LogNormal.from_percentile(300.0, 0.95, 450.0), how="scale"),
        Uncertain("proceedings_share", (), Beta.from_mean_sd(0.4, 0.05)),
        Uncertain("discount_rate", (), Uniform(0.01, 0.05)),               # base None: set
        Uncertain("cost_inflation", (), Triangular(0.5, 1.0, 1.2), how="scale"),
        Uncertain("entry_cost", (), Samples((0.9, 1.0, 1.1)), how="scale", name="entry again"),
        Uncertain("general_inflation", (), Fixed(0.025))],
    "arrays set and scale": lambda p: [
        Uncertain("weekly_cost", "residential", LogNormal.from_percentile(4000.0, 0.95, 5500.0)),
        Uncertain("exit_rates", (..., "foster", "returned_home"), Gamma.from_mean_sd(1.0, 0.2), how="scale"),
        Uncertain("entries_per_year", (), Uniform(0.8, 1.2), how="scale"),
        Uncertain("move_rates", (5.0, "foster", slice(None), "residential"), Gamma(4.0, 20.0)),
        Uncertain("stock", (..., "residential", 1.0), Uniform(0.5, 1.5), how="scale"),
        Uncertain("exit_costs", "adopted", Uniform(1000.0, 9000.0)),
        Uncertain("exit_rates", (10.0, slice(None), 0.0, "adopted"), Uniform(0.0, 0.1), name="late adoption")],
    "mixes (share), before and after other changes": lambda p: [
        Uncertain("entries_per_year", (0.0,), Dirichlet.from_counts([30, 10, 5]), how="share", name="mix 0"),
        Uncertain("entries_per_year", (), Uniform(0.8, 1.2), how="scale", name="entries x"),
        Uncertain("entries_per_year", (5.0,), Dirichlet.from_counts([20, 20, 5]), how="share", name="mix 5"),
        Uncertain("entries_per_year", (0.0,), Dirichlet((2.0, 3.0, 4.0)), how="share", name="mix 0 again"),
        Uncertain("weekly_cost", (), Dirichlet((5.0, 3.0, 1.0)), how="share", name="cost split")],
    "array distributions": lambda p: [
        Uncertain("exit_rates", (), GammaArray(np.full(p.exit_rates.shape, 40.0), np.full(p.exit_rates.shape, 200.0)),
                  name="exit posterior"),
        Uncertain("move_rates", (..., "residential", slice(None)),
                  GammaArray(np.full((4, 2, 3), 9.0), np.full((4, 2, 3), 9.0)), how="scale", name="moves x")],
    "correlated": lambda p: [
        Uncertain("weekly_cost", "agency_foster", LogNormal.from_percentile(900.0, 0.95, 1200.0), name="ifa"),
        Uncertain("weekly_cost", "residential", LogNormal.from_percentile(4000.0, 0.95, 5500.0), name="home"),
        Uncertain("exit_rates", (..., "returned_home"), Gamma.from_mean_sd(1.0, 0.15), how="scale", name="home x"),
        Uncertain("proceedings_share", (), Beta(40.0, 60.0), name="share")],
}
CORRELATION = {("ifa", "home"): 0.6, ("home", "home x"): -0.3, ("ifa", "share"): 0.2}


@pytest.mark.parametrize("case", sorted(CASES))
def test_apply_many_equals_the_draw_by_draw_path(case):
    p = model()
    u = Uncertainty(CASES[case](p), CORRELATION if case == "correlated" else None)
    u.check(p)
    d = u.draw(150, seed=11)
    for lo, hi in ((0, 150), (0, 1), (17, 80), (149, 150)):
        fast, fast_scen = u.apply_many(p, None, d, lo, hi)
        slow, slow_scen = per_draw(u, p, None, d, lo, hi)
        assert_same(fast, slow)
        assert fast_scen == slow_scen == [None] * (hi - lo)


def test_apply_many_with_year_by_year_entries():
    p = model(years=3)
    u = Uncertainty([Uncertain("entries_per_year", (1, 5.0), Uniform(0.5, 1.5), how="scale"),
                     Uncertain("entries_per_year", (2,), Dirichlet((1.0, 2.0, 3.0)), how="share", name="mix")])
    d = u.draw(40, seed=3)
    assert_same(u.apply_many(p, None, d, 0, 40)[0], per_draw(u, p, None, d, 0, 40)[0])


def test_apply_many_with_interventions_and_scenario_scales():
    p, s = model(), edge_scenario()
    u = Uncertainty([
        Uncertain("weekly_cost", "residential", LogNormal.from_percentile(4000.0, 0.95, 5500.0), name="home"),
        Uncertain("intervention.effect", 0, Beta.from_mean_sd(0.25, 0.05), name="effect"),
        Uncertain("intervention.cost_per_family", "edge_of_care", Uniform(0.8, 1.2), how="scale", name="cost x"),
        Uncertain("scenario.scale.entry_cost", (), Uniform(1.0, 1.2), name="entry factor"),
        Uncertain("scenario.scale.move_cost", (), Uniform(0.9, 1.1), how="scale", name="move factor")],
        correlation={("home", "effect"): 0.4})
    u.check(p, s)
    d = u.draw(60, seed=5)
    fast, fast_scen = u.apply_many(p, s, d, 0, 60)
    slow, slow_scen = per_draw(u, p, s, d, 0, 60)
    assert_same(fast, slow)
    assert_same_scenarios(fast_scen, slow_scen)
    assert len({id(x) for x in fast_scen}) == 60           # a scenario per draw
    effects = [x.interventions[0].effect for x in fast_scen]
    assert effects == [float(v) for v in d.values["effect"]]


def test_scenario_only_inputs_keep_the_parameters_and_fixed_scenarios_are_shared():
    p, s = model(), edge_scenario()
    u = Uncertainty([Uncertain("intervention.effect", 0, Uniform(0.1, 0.3))])
    d = u.draw(10, seed=1)
    params, scens = u.apply_many(p, s, d, 2, 9)
    assert all(x is p for x in params)
    assert_same_scenarios(scens, per_draw(u, p, s, d, 2, 9)[1])
    u = Uncertainty([Uncertain("entry_cost", (), Uniform(1.0, 2.0))])
    params, scens = u.apply_many(p, s, u.draw(10, seed=1), 0, 10)
    assert all(x is s for x in scens)                      # runners tell a shared scenario by identity


@pytest.mark.parametrize("chunk", [1, 7, 64, 200])
def test_chunk_boundaries_do_not_change_bits(chunk):
    p = model()
    items = [item for case in ("array distributions", "arrays set and scale",
                               "mixes (share), before and after other changes") for item in CASES[case](p)]
    u = Uncertainty(items)
    d = u.draw(200, seed=99)
    whole = u.apply_many(p, None, d, 0, 200)[0]
    pieces = []
    for lo in range(0, 200, chunk):
        pieces += u.apply_many(p, None, d, lo, min(200, lo + chunk))[0]
    assert_same(pieces, whole)
    backwards = []                                          # the array stream restarts when asked to go back
    for lo in reversed(range(0, 200, chunk)):
        backwards = u.apply_many(p, None, d, lo, min(200, lo + chunk))[0] + backwards
    assert_same(backwards, whole)


def test_arrays_given_by_the_caller_are_used():
    p = model()
    u = Uncertainty(CASES["array distributions"](p))
    d = u.draw(30, seed=2)
    arrays = {name: d.arrays(name, 10, 30) for name in d.streams}
    assert_same(u.apply_many(p, None, d, 10, 30, arrays)[0], per_draw(u, p, None, d, 10, 30)[0])
    with pytest.raises(ValueError, match=r"arrays\['exit posterior'\] has \(20,\) draws, expected 5"):
        u.apply_many(p, None, d, 0, 5, arrays)


def test_inputs_are_not_modified_and_shared_arrays_are_read_only():
    p = model()
    before = {f: getattr(p, f).copy() for f in ("stock", "exit_rates", "weekly_cost", "entries_per_year")}
    u = Uncertainty(CASES["arrays set and scale"](p)[:1])            # changes weekly_cost only
    params, _ = u.apply_many(p, None, u.draw(5, seed=1), 0, 5)
    for f, v in before.items():
        assert np.array_equal(getattr(p, f), v)
    assert params[0].stock is params[1].stock and params[0].stock is not p.stock
    with pytest.raises(ValueError, match="read-only"):
        params[0].stock[0, 0, 0] = 1.0
    params[0].weekly_cost[0] = 1.0                                  # a changed field is the draw's own
    assert params[1].weekly_cost[0] == 450.0
    params[0].sources.append("x")
    assert params[1].sources == ["test model"]
    copy = params[0].replace()
    copy.stock[0, 0, 0] = 1.0                                       # replace() gives writable copies


def first_refused(u, p, s, d, lo, hi):
    for r in range(lo, hi):
        try:
            u.apply(p, s, u.values_of(d, r))
        except ValueError as err:
            return r, str(err)
    raise AssertionError("no draw refused")


@pytest.mark.filterwarnings("ignore:overflow encountered in exp")      # LogNormal(., 400) draws inf on purpose
@pytest.mark.parametrize("items, field, text", [
    (lambda p: [Uncertain("weekly_cost", "residential", Uniform(-2000.0, 6000.0))],
     "weekly_cost", r"weekly_cost\[residential\]: is negative"),
    (lambda p: [Uncertain("proceedings_share", (), Uniform(0.5, 3.0), how="scale")],
     "proceedings_share", "proceedings_share: must be <= 1"),
    (lambda p: [Uncertain("entry_cost", (), LogNormal(1.0, 400.0))], "entry_cost", "entry_cost: must be finite"),
    (lambda p: [Uncertain("exit_rates", (..., "adopted"), LogNormal(0.1, 400.0))], "exit_rates",
     r"exit_rates\[.*adopted\]: must be finite"),
    (lambda p: [Uncertain("move_rates", (..., "foster", "foster"), Uniform(0.0, 0.2))], "move_rates",
     "must be 0 on the diagonal"),
    (lambda p: [Uncertain("discount_rate", (), Uniform(0.5, 1.5))], "discount_rate", "discount_rate: must be <= 1"),
])
def test_refused_draws_raise_the_draw_by_draw_error_naming_the_draw(items, field, text):
    p = model()
    u = Uncertainty([Uncertain("move_cost", (), Uniform(100.0, 200.0))] + items(p))
    d = u.draw(400, seed=4)
    for lo, hi in ((0, 400), (37, 400)):
        r, message = first_refused(u, p, None, d, lo, hi)
        with pytest.raises(DrawError, match=text) as info:
            u.apply_many(p, None, d, lo, hi)
        err = info.value
        assert (err.draw, err.field, err.reason) == (r, field, message)
        assert str(err) == f"draw {r}: {message}"
        assert message.startswith("a drawn value is not valid for the parameters: ")


def test_refused_intervention_and_scenario_values_name_the_draw():
    p, s = model(), edge_scenario()
    u = Uncertainty([Uncertain("entry_cost", (), Uniform(1000.0, 2000.0)),
                     Uncertain("intervention.effect", 0, Uniform(0.5, 1.5))])
    d = u.draw(50, seed=8)
    r, message = first_refused(u, p, s, d, 0, 50)
    with pytest.raises(DrawError, match=f"draw {r}: a drawn value is not valid for the intervention") as info:
        u.apply_many(p, s, d, 0, 50)
    assert info.value.reason == message
    u = Uncertainty([Uncertain("scenario.scale.proceedings_share", (), Uniform(1.0, 4.0))])
    d = u.draw(50, seed=8)
    r, message = first_refused(u, p, s, d, 0, 50)
    with pytest.raises(DrawError, match=f"draw {r}: a drawn value is not valid for the scenario") as info:
        u.apply_many(p, s, d, 0, 50)
    assert info.value.reason == message


def test_parameters_changed_in_place_are_still_refused():
    p = model()
    u = Uncertainty([Uncertain("entry_cost", (), Uniform(1000.0, 2000.0))])
    d = u.draw(20, seed=1)
    p.stock[0, 0, 0] = -1.0                        # after validation: replace() would refuse it
    with pytest.raises(DrawError, match=r"draw 5: .*stock\[age 0-4, foster, in care 0-12 months\]: is negative"):
        u.apply_many(p, None, d, 5, 20)


def test_apply_many_argument_errors():
    p = model()
    u = Uncertainty([Uncertain("entry_cost", (), Uniform(1000.0, 2000.0))])
    d = u.draw(20, seed=1)
    assert u.apply_many(p, None, d, 4, 4) == ([], [])
    with pytest.raises(ValueError, match=r"need 0 <= lo <= hi <= 20 \(the draws\), got lo=5, hi=21"):
        u.apply_many(p, None, d, 5, 21)
    with pytest.raises(TypeError, match="lo must be an integer"):
        u.apply_many(p, None, d, 1.0, 3)


def test_replace_many_checks_each_changed_field():
    p = model()
    n = 4
    costs = np.tile(p.weekly_cost, (n, 1))
    costs[1, 2] = np.nan
    costs[2, 0] = -0.5
    share = np.array([0.1, 0.2, 0.3, 1.5])
    moves = np.tile(p.move_rates, (n, 1, 1, 1, 1))
    moves[0, 1, 2, 0, 2] = 0.1                     # a diagonal
    out = p._replace_many({"weekly_cost": costs, "proceedings_share": share}, n)
    assert [x is None for x in out] == [False, True, True, True]
    assert out[0].proceedings_share == 0.1 and type(out[0].proceedings_share) is float
    out = p._replace_many({"move_rates": moves}, n)
    assert [x is None for x in out] == [True, False, False, False]
    with pytest.raises(ValueError, match="not an array or number field"):
        p._replace_many({"name": np.zeros(n)}, n)
    with pytest.raises(ValueError, match=r"has shape \(4, 2\), expected \(4, 3\)"):
        p._replace_many({"weekly_cost": np.zeros((n, 2))}, n)
    with pytest.raises(checks.FieldError, match=r"weekly_cost\[residential\]: must be finite"):
        p.replace(weekly_cost=costs[1])             # the public path still refuses what the chunk check flagged


# ---------------------------------------------------------------- Gamma's inverse CDF
def test_temme_coefficients_match_published_values():
    table, g = _temme_coefficients()
    stirling = [1, 1 / 12, 1 / 288, -139 / 51840, -571 / 2488320, 163879 / 209018880,
                5246819 / 75246796800, -534703531 / 902961561600]       # DLMF 5.11.4
    np.testing.assert_allclose(g[:8], stirling, rtol=1e-15)
    np.testing.assert_allclose(table[0, :5], [-1 / 3, 1 / 12, -2 / 135, 1 / 864, 1 / 2835], rtol=1e-15)  # DLMF 8.12.9
    np.testing.assert_allclose(table[1, :2], [-1 / 540, -1 / 288], rtol=1e-15)
    np.testing.assert_allclose(table[2, 0], 25 / 6048, rtol=1e-15)


SHAPES = [0.01, 0.1, 0.5, 1.0, 3.0, 30.0, 99.9, 100.0, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8]
PROBS = np.concatenate([np.geomspace(1e-10, 0.5, 7), 1 - np.geomspace(1e-10, 0.5, 7)[::-1][1:]])


@pytest.mark.parametrize("shape", SHAPES)
def test_gamma_ppf_against_mpmath(shape):
    """Relative error at most 5e-14 * max(1, 1/shape) for shapes 0.01..1e8 and probabilities 1e-10..1 - 1e-10
    (2e-15 from shape 100, Temme's expansion).

    The quantile's condition number grows like 1/shape in the lower tail
    (``x`` is about ``(u Gamma(shape + 1))**(1/shape)``), hence the factor. A
    quantile below the smallest positive double (shape 0.01, small
    probabilities) must come back as 0.
    """
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    rate = 2.5
    x = Gamma(shape, rate).ppf(PROBS) * rate
    a = mpmath.mpf(shape)

    def lower(y):
        front = mpmath.exp(a * mpmath.log(y) - y - mpmath.loggamma(a + 1))
        return front * mpmath.hyp1f1(1, a + 1, y, maxterms=10 ** 7), front * a / y

    tolerance = 2e-15 if shape >= 100 else 5e-14 * max(1.0, 1.0 / shape)
    for u, xi in zip(PROBS, x):
        if xi == 0:
            assert lower(mpmath.mpf(5e-324))[0] >= u, (shape, u)      # the true quantile underflows
            continue
        y = mpmath.mpf(float(xi))
        p, density = lower(y)
        error = float(abs((p - mpmath.mpf(float(u))) / (density * y)))
        assert error <= tolerance, (shape, u, error)


def test_gamma_cdf_large_shapes_against_mpmath():
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    for shape in (100.0, 2e3, 5e6):
        g = Gamma(shape, 1.0)
        xs = shape + np.array([-6.0, -1.0, 0.0, 0.5, 3.0, 7.0]) * math.sqrt(shape)
        got = g.cdf(xs)
        for xi, pi in zip(xs, got):
            a, y = mpmath.mpf(shape), mpmath.mpf(float(xi))
            ref = mpmath.exp(a * mpmath.log(y) - y - mpmath.loggamma(a + 1)) * mpmath.hyp1f1(1, a + 1, y, maxterms=10 ** 7)
            assert abs(pi - float(ref)) <= 1e-15 + 1e-14 * float(ref), (shape, xi)
    assert Gamma(1e6, 1.0).cdf(np.inf) == 1.0 and Gamma(1e6, 1.0).cdf(0.0) == 0.0


def test_gamma_ppf_edges_and_round_trip():
    for shape in (0.3, 50.0, 1e5):
        g = Gamma(shape, 4.0)
        x = g.ppf([0.0, 1.0, 0.25])
        assert x[0] == 0.0 and x[1] == np.inf
        assert abs(float(g.cdf(x[2])) - 0.25) < 1e-14
        assert np.ndim(g.ppf(0.5)) == 0
    with pytest.raises(ValueError, match="probabilities"):
        Gamma(1e5, 1.0).ppf([0.5, 1.5])


@pytest.mark.parametrize("a, b", [(0.05, 0.5), (0.5, 0.05), (0.01, 0.01), (0.5, 0.5), (2.0, 5.0), (30.0, 70.0),
                                  (300.0, 100.0), (1e3, 3e3)])
def test_beta_ppf_against_mpmath(a, b):
    """Relative error at most 5e-14 * max(1, 1/a, (a + b)/1000) over probabilities 1e-10..1 - 1e-10.

    The upper tail is solved as the lower tail of Beta(b, a), so it no longer
    loses 1e-9 to 1e-8 relative. The 1/a is the quantile's condition number
    near 0; the (a + b)/1000 is the rounding of ``a log x + b log(1 - x)``
    (about 2e3 for a + b = 4e3) in the density's prefactor. A quantile in the
    subnormal range must be one (or 0), one within half an ulp of 1 must be 1.
    """
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    x = Beta(a, b).ppf(PROBS)
    for u, xi in zip(PROBS, x):
        if xi < 2.3e-308:                                             # subnormal: no relative accuracy
            assert mpmath.betainc(a, b, 0, mpmath.mpf(2.3e-308), regularized=True) >= u
            continue
        if xi == 1:
            assert mpmath.betainc(a, b, 1 - mpmath.mpf(2) ** -54, 1, regularized=True) >= 1 - mpmath.mpf(float(u))
            continue
        y = mpmath.mpf(float(xi))
        error = (mpmath.betainc(a, b, 0, y, regularized=True) - mpmath.mpf(float(u))) / (
            y ** a * (1 - y) ** (b - 1) / mpmath.beta(a, b))
        assert abs(float(error)) <= 5e-14 * max(1.0, 1.0 / a, (a + b) / 1000), (a, b, u, float(error))


def test_model_runs_on_apply_many_parameters_as_on_the_draw_by_draw_ones():
    """The engine takes the shared read-only arrays and the chunk views: the same results, bit for bit."""
    from carecast.care.model import run, run_batch

    p, s = model(), edge_scenario()
    u = Uncertainty(CASES["arrays set and scale"](p) + [Uncertain("intervention.effect", 0, Uniform(0.1, 0.3))])
    d = u.draw(6, seed=21)
    fast, fast_scen = u.apply_many(p, s, d, 0, 6)
    slow, slow_scen = per_draw(u, p, s, d, 0, 6)
    a = run_batch(fast, years=2, step="quarter")
    b = run_batch(slow, years=2, step="quarter")
    assert np.array_equal(a.in_care_occupancy(), b.in_care_occupancy())
    assert np.array_equal(a.present_values(), b.present_values())
    one_fast, one_slow = run(fast[3], years=2, scenario=fast_scen[3]), run(slow[3], years=2, scenario=slow_scen[3])
    assert np.array_equal(one_fast.children_in_care(), one_slow.children_in_care())
    assert one_fast.present_value() == one_slow.present_value()


def test_far_tails_beyond_the_stated_range_are_monotone_finite_and_quiet():
    """Probabilities down to 1e-300 (and the subnormal 5e-324): no NaN, no warning, monotone, and the tail
    probability at the quantile within 1e-12 relative of u by mpmath (Temme's expansion is not used there)."""
    import warnings

    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    probs = np.array([5e-324, 1e-300, 1e-100, 1e-30, 1e-12, 0.5, 1 - 1e-16])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for shape in (0.5, 99.0, 100.0, 1e3):
            x = Gamma(shape, 1.0).ppf(probs)
            assert np.all(np.isfinite(x)) and np.all(np.diff(x) >= 0)
            for u, xi in zip(probs[1:4], x[1:4]):
                if xi == 0:                                  # the true quantile is below 5e-324
                    assert mpmath.gammainc(shape, 0, mpmath.mpf(5e-324), regularized=True) > u
                    continue
                p = mpmath.gammainc(shape, 0, mpmath.mpf(float(xi)), regularized=True)
                assert abs(float(p / mpmath.mpf(float(u)) - 1)) < 1e-12, (shape, u)
        for a, b in ((0.5, 2.0), (5.0, 1e4), (300.0, 100.0)):
            x = Beta(a, b).ppf(probs)
            assert np.all(np.isfinite(x)) and np.all(np.diff(x) >= 0)
            for u, xi in zip(probs[1:4], x[1:4]):
                if xi == 0:
                    assert mpmath.betainc(a, b, 0, mpmath.mpf(5e-324), regularized=True) > u
                    continue
                p = mpmath.betainc(a, b, 0, mpmath.mpf(float(xi)), regularized=True)
                assert abs(float(p / mpmath.mpf(float(u)) - 1)) < 1e-12, (a, b, u)


def test_general_and_temme_methods_agree_where_both_apply():
    """Two independent methods; 1e-13 because the series / fraction's prefactor ``exp(a log x - x - lgamma(a))``
    rounds ``a log x`` (2.4e3 at shape 400) in the general one."""
    u = np.concatenate([np.geomspace(1e-10, 0.5, 20), 1 - np.geomspace(1e-10, 0.5, 20)])
    for shape in (100.0, 400.0, 3000.0):
        g = Gamma(shape, 1.0)
        np.testing.assert_allclose(g.ppf(u), g._ppf_general(u), rtol=1e-13, atol=0)


def test_stochastic_batches_take_apply_many_parameters_and_errors_pickle():
    import pickle

    from carecast.care.model import run_batch

    p = model()
    u = Uncertainty(CASES["arrays set and scale"](p)[:3])
    d = u.draw(4, seed=2)
    fast, slow = u.apply_many(p, None, d, 0, 4)[0], per_draw(u, p, None, d, 0, 4)[0]
    a = run_batch(fast, years=1, step="quarter", stochastic=True, seed=5)
    b = run_batch(slow, years=1, step="quarter", stochastic=True, seed=5)
    assert np.array_equal(a.in_care_occupancy(), b.in_care_occupancy())
    assert_same(pickle.loads(pickle.dumps(fast)), slow)
    err = pickle.loads(pickle.dumps(DrawError("a drawn value is not valid", draw=3, field="weekly_cost")))
    assert (err.draw, err.field, err.reason, str(err)) == (3, "weekly_cost", "a drawn value is not valid",
                                                          "draw 3: a drawn value is not valid")


def test_replace_many_refuses_exactly_what_replace_refuses():
    """Random chunks of changes to every field _replace_many takes, some values bad (negative, NaN, inf,
    a move to the same placement, a share above 1): copy k is None exactly when replace() raises for it."""
    from carecast.care.parameters import ARRAY_FIELDS, SCALAR_BOUNDS

    p = model()
    rng = np.random.default_rng(123)
    n = 40
    numbers = list(SCALAR_BOUNDS) + ["discount_rate"]
    outcomes = set()
    for trial in range(6):
        changes = {}
        for name in rng.choice(list(ARRAY_FIELDS) + numbers, size=4, replace=False):
            if name in ARRAY_FIELDS:
                value = np.array(np.broadcast_to(getattr(p, name), (n,) + getattr(p, name).shape))
                flat = value.reshape(n, -1)
                for k in rng.choice(n, size=6, replace=False):
                    flat[k, rng.integers(flat.shape[1])] = rng.choice([-1e-9, np.nan, np.inf, -np.inf, 2.0])
                if name == "move_rates":
                    value[rng.integers(n), 0, 1, 0, 1] = 0.01
            else:
                low, high = dict(SCALAR_BOUNDS, discount_rate=(0.0, 1.0))[name]
                value = rng.uniform(low - 0.1, (high if high is not None else 10.0) + 0.1, size=n)
                value[rng.integers(n)] = np.nan
            changes[str(name)] = value
        built = p._replace_many(changes, n)
        for k in range(n):
            try:
                p.replace(**{name: v[k] if v.ndim > 1 else float(v[k]) for name, v in changes.items()})
                refused = False
            except checks.FieldError:
                refused = True
            assert (built[k] is None) == refused, (trial, k)
            outcomes.add(refused)
    assert outcomes == {True, False}
