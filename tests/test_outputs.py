"""Outputs with context (issue 12 part 1): names, rounding, labels, README.txt, the fan, the size check.

Expected values come from hand calculation (a model with no exits and no
entries), conservation (costs by financial year add up to the costs by step;
children by placement add up to children by age), or laws of large numbers
(the mean of stochastic draws approaches the deterministic projection).
"""

import csv
import datetime
import io
import math
import os

import numpy as np
import pytest

from carecast.care import CareParameters, Scenario, run
from carecast.care.examples import load_example
from carecast.care.outputs import build_report, check_size, context, write_outputs
from carecast.care.outputs.labels import band_labels
from carecast.care.outputs.report import MAX_DRAWS, _whole, simulate_fan
from carecast.care.outputs.write import csv_text


def read(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def still_model(discount_rate=0.0):
    """100 children in foster care aged 10-17, nobody enters or leaves in a year (ageing out aside)."""
    p = CareParameters.empty(age_bands=(0, 10), placements=("foster", "home"))
    p = p.replace(start_date=datetime.date(2023, 3, 31), price_year="2023-24", name="Stillshire",
                  weekly_cost=np.array([700.0, 3000.0]), discount_rate=discount_rate)
    p.stock[0, 0, 0] = 100.0           # under 10: no one ages out within a year
    return p


def test_column_names_carry_unit_and_basis_and_hand_figures():
    p = still_model(discount_rate=0.035)
    result = run(p, years=1, step="year")
    t = context.cost_by_year_table(result)
    assert list(t.columns) == ["financial_year", "share_of_year_in_run", "cost_cash_gbp", "cost_real_gbp_2023_24",
                               "cost_discounted_gbp_2023_24_to_2023_03_31"]
    # by hand: 100 children x GBP 700 a week x 365.25/7 weeks, no inflation; one whole financial year
    assert t.columns["financial_year"] == ["2023-24"] and t.columns["share_of_year_in_run"] == [1.0]
    assert t.columns["cost_cash_gbp"] == [round(100 * 700 * 365.25 / 7)]
    assert t.columns["cost_real_gbp_2023_24"] == [round(100 * 700 * 365.25 / 7)]
    # discounted mid-year at 3.5%
    assert t.columns["cost_discounted_gbp_2023_24_to_2023_03_31"] == [round(100 * 700 * 365.25 / 7 / 1.035 ** 0.5)]
    text = csv_text(t)
    assert text.splitlines()[1] == f"FY2023-24,1.0,3652500,3652500,{round(3652500 / 1.035 ** 0.5)}"


def test_rounding_money_to_the_pound_children_to_a_tenth_no_negative_zero():
    assert context.round_column([1.49999, -0.4, 2.5e6 + 0.6], "money") == [1, 0, 2500001]
    assert context.round_column([5.95e-16, -5.95e-16, 3.14159], "children") == [0.0, 0.0, 3.1]
    assert str(context.round_column([-1e-17], "children")[0]) == "0.0"
    assert context.round_column([float("nan")], "money") == [None]
    assert context.round_column([np.datetime64("2012-03-31")], "date") == ["2012-03-31"]


def test_band_labels_in_words_that_no_spreadsheet_reads_as_dates():
    assert band_labels((0, 1, 5, 10, 16), 18) == ["under 1", "1 to 4", "5 to 9", "10 to 15", "16 to 17"]
    assert band_labels(range(18), 18)[:3] == ["under 1", "age 1", "age 2"]
    assert band_labels((0, 0.5, 2), 18) == ["under 0.5", "0.5 to under 2", "2 to 17"]
    assert band_labels((0, 0.25, 1), None, " years") == ["under 0.25 years", "0.25 to under 1 years",
                                                          "1 years and over"]


@pytest.fixture(scope="module")
def norfolk_folder(tmp_path_factory):
    ex = load_example("norfolk-2017")
    report = build_report(ex.parameters, years=3, step="month", checks=ex.checks, model="norfolk-2017")
    out = tmp_path_factory.mktemp("outputs") / "norfolk"
    write_outputs(report, out, charts=False, html=False)
    return report, out


def test_costs_add_up_across_files_and_to_the_steps(norfolk_folder):
    report, out = norfolk_folder
    steps = report.baseline.step_costs()
    by_year = read(out / "cost_by_year.csv")
    by_component = read(out / "costs.csv")
    years = len(by_year)
    for terms, total in (("cash", steps.cash.sum()), ("real", steps.real.sum()), ("discounted", steps.discounted.sum())):
        col = [c for c in by_year[0] if c.startswith(f"cost_{terms}_gbp")][0]
        # every pound of every step lands in one financial year; rounding moves at most half a pound per row
        assert abs(sum(int(r[col]) for r in by_year) - total) <= 0.5 * years
        assert abs(sum(int(r[col]) for r in by_component) - total) <= 0.5 * len(by_component)
    for row in by_component:
        for key, value in row.items():
            if "_gbp" in key:
                assert value.lstrip("-").isdigit(), (key, value)     # money to the pound: no decimals


def test_children_add_up_and_carry_a_tenth(norfolk_folder):
    report, out = norfolk_folder
    children = read(out / "children.csv")
    wide = read(out / "children_by_placement.csv")
    start = [r for r in children if r["date"] == wide[0]["date"]]
    assert abs(sum(float(r["children"]) for r in start) - report.parameters.total_stock()) <= 0.05 * len(start)
    assert abs(float(wide[0]["total"]) - report.parameters.total_stock()) <= 0.05
    for r in children:
        assert len(r["children"].split(".")[1]) == 1
        assert not r["age_band"][0].isdigit() or " to " in r["age_band"]     # words, never '1-4'
    assert all(r["financial_year"].startswith("FY") for r in read(out / "events.csv"))


def test_readme_explains_every_file_and_column(norfolk_folder):
    _, out = norfolk_folder
    readme = (out / "README.txt").read_text(encoding="utf-8")
    files = sorted(f for f in os.listdir(out) if not f.startswith(".") and f != "README.txt")
    assert files
    for name in files:
        assert f"{name}:" in readme, name
        if name.endswith(".csv"):
            with open(out / name, newline="", encoding="utf-8") as fh:
                for column in next(csv.reader(fh)):
                    assert f"{column}:" in readme, (name, column)
    assert "2016-17 prices" in readme and "31 March 2012" in readme


def test_summary_and_checks_are_saved(norfolk_folder):
    report, out = norfolk_folder
    summary = (out / "summary.txt").read_text(encoding="utf-8")
    assert "Against published figures" in summary and "Assumptions (not from published sources)" in summary
    checks = read(out / "checks.csv")
    assert [r["description"] for r in checks] == [c.description for c in report.checks]
    for r, c in zip(checks, report.checks):
        assert float(r["published_children"]) == c.published
        assert r["source_url"].startswith("http") and r["source_url"] in r["source"]
    assert len(read(out / "sources.csv")) >= 1


def test_scenario_comparison_has_cumulative_net_position(tmp_path):
    p = still_model()
    p.entries_per_year[0, 0] = 20.0
    p.exit_rates[..., 0] = 0.2
    report = build_report(p, scenarios={"fewer": Scenario("fewer", "fewer entries", scale={"entries_per_year": 0.5})},
                          years=3, step="quarter")
    write_outputs(report, tmp_path / "out", charts=False, html=False)
    rows = read(tmp_path / "out" / "fewer" / "comparison.csv")
    net = [int(r["net_saving_real_gbp_2023_24"]) for r in rows]
    cumulative = [int(r["cumulative_net_saving_real_gbp_2023_24"]) for r in rows]
    assert all(abs(c - s) <= len(rows) for c, s in zip(cumulative, np.cumsum(net)))
    assert all(float(r["children_fewer_at_year_end"]) >= 0 for r in rows)
    scen = read(tmp_path / "out" / "scenarios.csv")
    assert [r["scenario"] for r in scen] == ["baseline", "fewer"]
    assert scen[0]["payback_years"] == "" and scen[0]["net_present_value_gbp_2023_24_to_2023_03_31"] == ""


def test_scenario_folders_never_collide(tmp_path):
    # scenario names are letters, digits, '_' and '-' (checked by Scenario); names differing only in case would
    # share a folder on Windows and macOS, so the second gets a number
    p = still_model()
    scenarios = {"Cheaper": Scenario("Cheaper", scale={"weekly_cost": 0.9}),
                 "cheaper": Scenario("cheaper", scale={"weekly_cost": 0.8})}
    report = build_report(p, scenarios=scenarios, years=1, step="quarter")
    write_outputs(report, tmp_path / "out", charts=False, html=False)
    a = read(tmp_path / "out" / "Cheaper" / "cost_by_year.csv")
    b = read(tmp_path / "out" / "cheaper_2" / "cost_by_year.csv")
    assert int(a[0]["cost_cash_gbp"]) > int(b[0]["cost_cash_gbp"])


def test_whole_children_keep_the_total():
    rng = np.random.default_rng(3)
    for _ in range(200):
        x = rng.random(rng.integers(1, 40)) * rng.choice([1, 10, 1000])
        w = _whole(x)
        assert np.all(w == np.round(w)) and np.all(np.abs(w - x) < 1.0)
        assert w.sum() == round(x.sum())


def test_fan_mean_approaches_the_projection():
    ex = load_example("norfolk-2017")
    result = run(ex.parameters, years=2, step="month")
    fan = simulate_fan(result, 400, seed=7)
    q = fan.quantiles
    assert np.all(q[5] <= q[25]) and np.all(q[25] <= q[50]) and np.all(q[50] <= q[75]) and np.all(q[75] <= q[95])
    # the starting stock was rounded to whole children (at most 0.5 a state): allow that, plus 4 standard errors
    spread = (q[95][-1] - q[5][-1]) / (2 * 1.645)
    assert abs(fan.mean[-1] - fan.projection[-1]) <= 4 * spread / math.sqrt(400) + 0.5 * result.space.in_care ** 0.5
    assert q[95][-1] > q[5][-1]                        # chance does spread the count
    again = simulate_fan(result, 400, seed=7)
    assert np.array_equal(again.mean, fan.mean)        # reproducible by seed


def test_size_check_refuses_before_allocating():
    p = load_example("england").parameters
    check_size(p, 5, "month", draws=100, available=8_000_000_000)
    with pytest.raises(MemoryError, match=r"--years 200 with --step week.*would need about"):
        check_size(p, 200, "week", runs=50, draws=0, available=1_000_000_000)
    with pytest.raises(MemoryError, match="--draws"):
        check_size(p, 5, "month", draws=MAX_DRAWS + 1)
    with pytest.raises(ValueError, match="draws"):
        check_size(p, 5, "month", draws=-3)


def test_csv_text_leaves_not_applicable_empty():
    t = context.OutputTable("x", "x", "x")
    t.add("financial_year", ["2020-21", "2021-22"], "fy", "fy")
    t.add("payback_years", [float("inf"), 2.345], "years", "years", empty_ok=True)
    assert csv_text(t) == "financial_year,payback_years\r\nFY2020-21,\r\nFY2021-22,2.35\r\n"
    payback_only = csv_text(t)
    with pytest.warns(RuntimeWarning, match="'cost_cash_gbp' are not finite"):
        t.add("cost_cash_gbp", [float("nan"), 1.0], "money", "a data problem: warned, never silent")
    with pytest.raises(ValueError, match="rows"):
        t.add("bad", [1.0], "money", "too short")
    rows = list(csv.reader(io.StringIO(csv_text(t))))
    assert rows[0] == ["financial_year", "payback_years", "cost_cash_gbp"] and rows[1][2] == ""
    assert payback_only.count("\r\n") == 3
