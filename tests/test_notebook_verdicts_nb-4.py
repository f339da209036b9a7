"""Notebook 4 (Norfolk's £12m invest-to-save plan): published figures and the verdict's direction.

The notebook is executed once (module fixture) and its ``VERDICT`` dict read
back as JSON. Expected values are published figures (the Community Care
article of September 2017, the DfE's Norfolk series) or directions that
follow from how the inputs enter the model (a higher risk of entering care
averts more entries; optimism bias raises costs), never numbers copied from
the notebook's own output.
"""
from __future__ import annotations

import json
import os
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "4_norfolk_invest_to_save.ipynb"


@pytest.fixture(scope="module")
def verdict(tmp_path_factory):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.read(str(NOTEBOOK), as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(
        "import json as _json\nprint('VERDICT-JSON' + _json.dumps(VERDICT, default=float))"))
    os.environ.setdefault("MPLBACKEND", "Agg")
    client = nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path_factory.mktemp("nb4"))}})
    client.execute()
    text = "".join(o.get("text", "") for o in notebook.cells[-1].outputs if o.get("output_type") == "stream")
    line = next(t for t in text.splitlines() if t.startswith("VERDICT-JSON"))
    return json.loads(line[len("VERDICT-JSON"):])


def test_reproduces_the_articles_figures(verdict):
    # Community Care, Sept 2017: "approximately 1015 in March 2012 to 1107 in March 17", £12m over four years.
    published = verdict["published"]
    assert published["cla_mar2012_council"] == 1015
    assert published["cla_mar2017_council"] == 1107
    assert published["invest"] == 12_000_000
    assert verdict["demand_claim"] == 5_000_000


def test_reproduces_the_dfe_series(verdict):
    # DfE, children looked after in England (31 March), Norfolk, as published in the releases the
    # council dataset keeps: 1,012 (2012), 1,106 (2017), 1,089 (2022), 1,069 (2025); starts 472 (2017), 334 (2022).
    cla, starts = verdict["published"]["dfe_cla"], verdict["published"]["dfe_starts"]
    assert (cla["2012"], cla["2017"], cla["2022"], cla["2025"]) == (1012, 1106, 1089, 1069)
    assert (starts["2017"], starts["2022"]) == (472, 334)
    assert "2018" not in cla          # no 31 March 2018 count in the dataset: not invented


def test_the_old_corner_pays_and_the_sceptical_case_does_not(verdict):
    # The issue: the old PSA held the deciding inputs at the favourable corner; varying them
    # (risk 10%, gap £5k, optimism bias, 30% benefit shortfall) turns the NPV negative.
    assert verdict["old_corner_npv"] > 0
    assert verdict["sceptical_npv"] < 0
    corners = verdict["corner_npv"]
    old = corners["old notebook's corner"]
    for name, value in corners.items():
        if name != "old notebook's corner":
            assert value < old, name   # every sceptical change lowers the NPV
    assert corners["sceptical: all four"] == min(corners.values())


def test_payback_is_no_longer_near_certain(verdict):
    assert verdict["draws"] >= 1000
    assert 0.0 <= verdict["p_payback_4y"] <= verdict["p_payback_10y"] <= 1.0
    assert verdict["p_payback_4y"] < 0.5       # the old notebook: 98% within four years
    assert verdict["npv_p05"] < verdict["npv_median"] < verdict["npv_p95"]
    assert verdict["npv_p05"] < 0              # the interval reaches a loss


def test_sensitivity_signs_follow_the_model(verdict):
    srrc = verdict["srrc"]
    assert srrc["risk"] > 0                    # riskier families: more entries averted per family
    assert srrc["gap"] > 0                     # a larger agency premium: more saved per child moved
    assert srrc["cost_per_family"] < 0         # fewer families for the same budget
    assert srrc["optimism_bias"] < 0 and srrc["benefit_shortfall"] < 0
    assert all(-1.0 <= v <= 1.0 for v in srrc.values())
    assert 0.5 < verdict["srrc_r2"] <= 1.0     # the rank-linear summary explains most of the variance
    top = sorted(srrc, key=lambda k: -abs(srrc[k]))[:3]
    assert verdict["deciding_inputs"] == top


def test_break_even_risk_is_consistent_with_the_middle_case(verdict):
    # The NPV rises with the risk, so the middle case loses money exactly when its risk is below break-even.
    risk, break_even = verdict["middle_risk"], verdict["break_even_risk"]
    assert 0.0 < break_even < 1.0
    assert (verdict["middle_npv"] < 0) == (risk < break_even)


def test_demand_claim_cash_exceeds_real(verdict):
    # With positive inflation the cash rise exceeds the real rise (2016-17 prices), in the central case and in
    # the share of draws that reach +£5m.
    rise = verdict["demand_rise_central"]
    assert rise["cash"] > rise["real"]
    p = verdict["p_demand_claim"]
    assert p["cash, placements"] >= p["real, placements"]
    assert p["cash, scaled to s251"] >= p["real, scaled to s251"]


def test_afterwards_starts_fell_relative_to_england(verdict):
    # Published: Norfolk's starts as a share of England's, 2014-15 to 2016-17 against 2019-20 to 2021-22
    # (DfE): (421 + 375 + 472) / (31,070 + 32,050 + 32,810) against (342 + 310 + 334) / (31,020 + 28,480 + 31,010).
    expected = 1 - ((342 + 310 + 334) / (31_020 + 28_480 + 31_010)) / ((421 + 375 + 472) / (31_070 + 32_050 + 32_810))
    assert verdict["relative_fall_in_starts"] == pytest.approx(expected, rel=1e-12)
    assert verdict["averted_credited"] > verdict["averted_middle"]
    assert verdict["credited_npv"] > verdict["middle_npv"]


def test_srrc_matches_an_independent_computation(verdict):
    # The notebook regresses standardised ranks by least squares; here the same coefficients come from the
    # rank correlation matrix (beta = R_xx^-1 r_xy), with ranks by double argsort (continuous draws: no ties).
    np = pytest.importorskip("numpy")
    names = list(verdict["psa_inputs"])
    x = np.array([verdict["psa_inputs"][k] for k in names])
    y = np.array(verdict["psa_npv"])
    assert x.shape == (len(names), verdict["draws"]) and y.shape == (verdict["draws"],)
    ranks = np.argsort(np.argsort(np.vstack([x, y]), axis=1), axis=1).astype(float)
    corr = np.corrcoef(ranks)
    beta = np.linalg.solve(corr[:-1, :-1], corr[:-1, -1])
    for name, b in zip(names, beta):
        assert verdict["srrc"][name] == pytest.approx(b, abs=1e-9), name
    assert verdict["srrc_r2"] == pytest.approx(float(beta @ corr[:-1, -1]), abs=1e-9)
