"""The verdicts of notebooks 2 (Birmingham's £140m) and 3 (Birmingham's caseloads).

Each notebook is executed once (module fixture) and its variables read back as
JSON. The tests assert only published figures (as the sources print them), hand
calculations from them, and the direction of each verdict - never a number the
model computes, since the examples and council models may be rebuilt.
"""
from __future__ import annotations

import json
import os
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
MARK = "@@nb23-values@@"


def _execute(name: str, expressions: dict[str, str], tmp_path_factory) -> dict:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.read(str(ROOT / "notebooks" / name), as_version=4)
    fields = ", ".join(f"{k!r}: {v}" for k, v in expressions.items())
    dump = f"import json as _json\nprint({MARK!r} + _json.dumps({{{fields}}}, default=float))"
    notebook.cells.append(nbformat.v4.new_code_cell(dump))
    os.environ.setdefault("MPLBACKEND", "Agg")
    client = nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path_factory.mktemp("nb"))}})
    client.execute()
    first_code = next(c for c in notebook.cells if c.cell_type == "code")
    box = "".join(o.get("data", {}).get("text/markdown", "") for o in first_code.outputs)
    for output in notebook.cells[-1].outputs:
        text = output.get("text", "")
        if MARK in text:
            return {**json.loads(text.split(MARK, 1)[1]), "verdict_box": box}
    raise AssertionError(f"{name}: the last cell printed no values")


@pytest.fixture(scope="module")
def nb2(tmp_path_factory):
    return _execute("2_birmingham_2014_140m.ipynb", {
        "verdict": "VERDICT", "warner_3yr": "warner_3yr", "warner_2017_18": "warner_2017_18",
        "plan_71_4": "plan_71_4", "plan_94_2": "plan_94_2", "plan_94_2_by_year": "plan_94_2_by_year",
        "city": "CITY_COMPARISON", "legrand_bham": "legrand_bham", "legrand_deprived": "legrand_deprived",
        "accounts_bham": "accounts_bham", "children_approx": "children_approx",
        "children_ons_2013": "children_ons_2013",
        "cla": "{str(y): v for y, v in published_cla.items()}"}, tmp_path_factory)


def test_nb2_reproduces_the_published_figures(nb2):
    assert nb2["warner_3yr"] == 140e6 and nb2["warner_2017_18"] == 50e6      # Community Care, 12 Dec 2014
    assert nb2["plan_71_4"] == 71.4e6                                          # the same article
    assert nb2["plan_94_2"] == 94.2e6                                          # CYP Now, 2015
    assert sum(nb2["plan_94_2_by_year"].values()) == pytest.approx(27.5e6 + 32.2e6 + 34.5e6)
    assert (nb2["city"]["birmingham"], nb2["city"]["median_of_cities"]) == (576, 600)
    assert (nb2["legrand_bham"], nb2["legrand_deprived"], nb2["accounts_bham"]) == (640, 779, 607)
    # DfE children looked after at 31 March, Birmingham (SFR 36/2014, SFR 34/2015, SFR 41/2016, SFR 50/2017)
    assert [nb2["cla"][y] for y in ("2014", "2015", "2016", "2017")] == [1801, 1989, 1814, 1841]


def test_nb2_top_down_gaps_match_a_hand_calculation(nb2):
    top_down = nb2["verdict"]["top_down_gbp_a_year_2017_18"]
    pops = sorted((nb2["children_approx"], nb2["children_ons_2013"]))
    # gap per child x children x 1-2.5% a year for five years (the notebook's ranges)
    for name, gap in (("Le Grand: 20 most deprived (£779) vs £640", 779 - 640),
                      ("the council: city median £600 vs £576", 600 - 576)):
        assert gap * pops[0] * 1.01 ** 5 <= top_down[name] <= gap * pops[1] * 1.025 ** 5
    assert top_down["Le Grand: 20 most deprived (£779) vs £640"] > 5 * top_down["the council: city median £600 vs £576"]
    # 24 a child x at most 281,019 children x 1.025^5 (GBP 7.6m) is less than the GBP 9.2m of 2014-15 x 1.01^3
    after = nb2["verdict"]["top_down_after_2014_15_increase_gbp"]
    assert after["the council: city median £600 vs £576"] < 0 < after["Le Grand: 20 most deprived (£779) vs £640"]


def test_nb2_verdict_box_at_the_top_is_the_computed_verdict(nb2):
    assert nb2["verdict_box"].startswith("**Verdict.**") and nb2["verdict"]["answer"] in nb2["verdict_box"]


def test_nb2_verdict_direction(nb2):
    v = nb2["verdict"]
    for key in ("claim", "answer", "how_sure", "what_would_change_it"):
        assert v[key]
    for key in ("p_parts_reach_50m_2017_18", "p_parts_reach_140m_3yr", "p_plan_71_4m_covers_parts",
                "p_plan_94_2m_covers_parts", "p_94_2m_2017_18_covers_parts"):
        assert 0.0 <= v[key] <= 1.0
    # the parts we can cost fall short of Warner's figures: the rest of the £50m is unexplained
    assert v["need_2017_18_median_gbp"] < nb2["warner_2017_18"]
    assert v["p_parts_reach_50m_2017_18"] < 0.5 and v["p_parts_reach_140m_3yr"] < 0.5
    # a bigger plan covers the same need at least as often; £71.4m less 3 x £9.2m = £43.8m no more often
    assert v["p_plan_94_2m_covers_parts"] >= v["p_plan_71_4m_covers_parts"]
    assert v["p_plan_71_4m_covers_parts_if_it_counts_the_9_2m"] <= v["p_plan_71_4m_covers_parts"]
    assert v["need_3yr_median_gbp"] < nb2["warner_3yr"]


@pytest.fixture(scope="module")
def nb3(tmp_path_factory):
    return _execute("3_birmingham_caseloads.ipynb", {
        "verdict": "VERDICT", "caseload_nov_2013": "caseload_nov_2013", "caseload_sep_2015": "caseload_sep_2015",
        "referrals_ratio": "referrals_ratio", "assessments_ratio": "assessments_ratio",
        "permanent_jan_2015": "permanent_jan_2015", "establishment": "ESTABLISHMENT",
        "turnover": "[turnover_2014, turnover_2015]", "extra_2014_15": "extra_2014_15",
        "cp_vacancies": "[CP_VACANCIES_NOV_2013, CP_UNCOVERED_NOV_2013]",
        "vacancy_rate_dec_2013": "VACANCY_RATE_DEC_2013",
        "cin": "{str(y): v for y, v in cin.items()}", "cin_starts": "{str(y): v for y, v in cin_starts.items()}",
        "workforce_2017": "{m: s.get(2017) for m, s in workforce.items()}",
        "permanent_path_jan_2015": "float(np.median(with_posts['permanent'][:, JAN_2015]))",
        "without_2015": "without_posts['caseload'][:, SEP_2015].tolist()[:50]",
        "with_2015": "with_posts['caseload'][:, SEP_2015].tolist()[:50]"}, tmp_path_factory)


def test_nb3_reproduces_the_published_figures(nb3):
    assert nb3["caseload_nov_2013"] == 29                        # Community Care, 11 Nov 2013
    assert nb3["referrals_ratio"] == 0.5 and nb3["assessments_ratio"] == pytest.approx(2 / 3, abs=1e-3)
    assert nb3["caseload_sep_2015"] == 18                        # The Chamberlain Files, 2015
    assert (nb3["permanent_jan_2015"], nb3["establishment"]) == (354, 503)   # CYP Now, Jan 2015
    assert nb3["turnover"] == [0.27, 0.20]
    assert nb3["cp_vacancies"] == [108, 42] and nb3["vacancy_rate_dec_2013"] == 0.25
    assert nb3["extra_2014_15"] == 9.2e6
    # DfE Characteristics of children in need (b1 table), Birmingham, at 31 March and starts in the year
    assert [nb3["cin"][y] for y in ("2013", "2014", "2015")] == [11379, 9123, 9676]
    assert [nb3["cin_starts"][y] for y in ("2014", "2015")] == [8196, 10665]
    # DfE children's social work workforce indicators 2017-2025, Birmingham, 30 September 2017
    w = nb3["workforce_2017"]
    assert (w["sw_fte"], w["sw_case_holders_fte"], w["sw_cases"], w["sw_caseload"]) == (647.1, 396, 5824, 14.7)
    assert (w["sw_turnover_rate"], w["sw_agency_fte"], w["sw_vacancy_rate"]) == (9.7, 130.5, 25.8)


def test_nb3_starting_point_is_the_hand_calculation(nb3):
    v = nb3["verdict"]
    # 503 posts, 25% vacant, 66 of 108 vacancies covered by agency staff: 377.25 + 77.0 FTE
    staff = 0.75 * 503 + (66 / 108) * 0.25 * 503
    assert v["staff_nov_2013_fte"] == pytest.approx(staff, rel=1e-12)
    assert v["fte_needed_at_15_nov_2013"] == pytest.approx(29 * staff / 15, rel=1e-12)
    # the 2014 recruitment is fitted so that the permanent staff are the published 354 in January 2015
    assert nb3["permanent_path_jan_2015"] == pytest.approx(354, rel=1e-9)


def test_nb3_verdict_box_at_the_top_is_the_computed_verdict(nb3):
    assert nb3["verdict_box"].startswith("**Verdict.**") and nb3["verdict"]["answer"] in nb3["verdict_box"]


def test_nb3_verdict_direction(nb3):
    v = nb3["verdict"]
    for key in ("claim", "answer", "how_sure", "what_would_change_it"):
        assert v[key]
    # caseloads fall from 29 in every draw, and fall further with the posts the £9.2m could buy
    assert all(c < 29 for c in nb3["with_2015"]) and all(c < 29 for c in nb3["without_2015"])
    assert all(a <= b + 1e-9 for a, b in zip(nb3["with_2015"], nb3["without_2015"]))
    assert v["caseload_sep_2015_median"] < v["caseload_sep_2015_median_without_new_posts"]
    lo, hi = v["caseload_sep_2015_interval"]
    assert v["published_18_inside_interval"] == (lo <= 18 <= hi)
    assert 0.0 <= v["p_within_one_of_18_without_new_posts"] <= 1.0 and 0.0 <= v["p_within_one_of_18"] <= 1.0
    assert 0.0 <= v["funded_for_15_p_16_by_sep_2015"] <= 1.0 and 0.0 <= v["funded_for_15_p_15_by_sep_2017"] <= 1.0
    # the posts that would bring the median to 18 are more than none: without new posts it stays above 18
    assert v["caseload_sep_2015_median_without_new_posts"] > 18 and v["new_posts_for_median_18"] > 0
    # a caseload of 15 needs more staff than the model has in post in September 2015
    assert v["extra_fte_for_15_sep_2015_median"] > 0
