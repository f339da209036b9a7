"""``carecast run --draws N``: the whole-model PSA from the command line (issue 11, part "CLI/report").

Expected values come from outside the code under test: probabilities are
recomputed from the per-draw CSV, a draw's present values by running the
model with that draw's inputs, the rate uncertainty's counts from the
published DfE totals, and the chance runs' starting stock from the file.
"""

import csv
import os
import subprocess
import sys

import numpy as np
import pytest

from carecast.cli import _budget, _financial_year, main
from council_files import MINIMAL  # tests/ is on sys.path via conftest

#: MINIMAL with an edge-of-care scenario and an [uncertain] table: a unit cost with a source, a rate
#: without one (an assumption), the scale factor of the fewer_entries scenario and the effect of the
#: edge-of-care intervention.
PSA_FILE = MINIMAL.replace("[scenarios.fewer_entries]", """[scenarios.edge_of_care]
description = "edge-of-care support for 20 families a year"
interventions = [ { type = "edge_of_care", start_year = 0.0, ramp_years = 0.5, families_per_year = 20.0, \
share_would_enter = 0.5, effect = 0.3, cost_per_family = 2000.0 } ]

[scenarios.fewer_entries]""") + """
[uncertain.weekly_cost.home]
distribution = "lognormal"
median = 3000
p95 = 4000
source = "Testshire budget book 2016-17"

[uncertain.exit_rates."...,foster,returned_home"]
distribution = "gamma"
events = 40
exposure = 150

[uncertain.scenario.scale.entries_per_year]
distribution = "uniform"
low = 0.85
high = 0.95

[uncertain.intervention.edge_of_care.effect]
distribution = "beta"
mean = 0.3
sd = 0.08
"""

FAST = ("--no-charts", "--no-html")


def run(tmp_path, monkeypatch, capsys, *args):
    monkeypatch.chdir(tmp_path)
    code = main(["run", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def column(rows, name):
    return np.array([float(r[name]) if r[name] != "" else np.nan for r in rows])


@pytest.fixture
def psa_file(tmp_path):
    path = tmp_path / "testshire.toml"
    path.write_text(PSA_FILE, encoding="utf-8")
    return path


def _share(x, n):
    """The printed form of a probability (as the summary writes it), from an independent count."""
    return f"none of the {n:,} draws" if x == 0 else f"all {n:,} draws" if x == 1 else f"{x:.0%}"


def test_scenario_file_psa_end_to_end_and_budget_against_the_draws(tmp_path, monkeypatch, capsys, psa_file):
    code, out, err = run(tmp_path, monkeypatch, capsys, str(psa_file), "--draws", "40", "--seed", "3", "-o", "a",
                         *FAST)
    assert code == 0, err
    for name in ("psa_children_quantiles.csv", "psa_cost_quantiles.csv", "psa_draws.csv"):
        assert (tmp_path / "a" / name).exists()
    assert not (tmp_path / "a" / "uncertainty.csv").exists()          # the chance-only fan is not written
    draws = read_csv(tmp_path / "a" / "psa_draws.csv")
    assert len(draws) == 40
    budget_col = "baseline_cost_cash_gbp_FY2017_18"                   # the first whole financial year
    values = column(draws, budget_col)
    budget = float(np.sort(values)[25]) + 0.5                         # between two draws: no ties with rounding
    code, out, err = run(tmp_path, monkeypatch, capsys, str(psa_file), "--draws", "40", "--seed", "3", "-o", "b",
                         "--budget", repr(budget), *FAST)
    assert code == 0, err
    line = [x for x in out.splitlines() if "above the budget" in x]
    assert len(line) == 1 and "2017-18" in line[0] and f"£{budget:,.0f}" in line[0]
    for arm in ("baseline", "edge_of_care", "fewer_entries", "cheaper_homes"):
        p = float(np.mean(column(draws, f"{arm}_cost_cash_gbp_FY2017_18") > budget))
        assert f"{arm} {_share(p, 40)}" in line[0], (arm, p, line[0])
    # the same draws, the same inputs: the per-draw file does not depend on --budget
    assert (tmp_path / "a" / "psa_draws.csv").read_bytes() == (tmp_path / "b" / "psa_draws.csv").read_bytes()
    # per scenario: P(cheaper) and P(payback) from the draws' NPV and payback columns
    for arm in ("edge_of_care", "fewer_entries", "cheaper_homes"):
        npv = column(draws, f"{arm}_net_present_value_gbp_2016_17_to_2017_03_31")
        payback = column(draws, f"{arm}_payback_years")
        text = [x for x in out.splitlines() if x.strip().startswith(f"{arm} against the baseline: net present")][0]
        assert f"(net present value above 0) {_share(float(np.mean(npv > 0)), 40)};" in text
        assert f"within the run (3 years) {_share(float(np.mean(payback <= 3)), 40)}." in text
    summary = (tmp_path / "b" / "summary.txt").read_text(encoding="utf-8")
    assert line[0].strip() in summary
    assert "[source: Testshire budget book 2016-17]" in summary and "[assumption]" in summary
    readme = (tmp_path / "b" / "README.txt").read_text(encoding="utf-8")
    for name in ("psa_children_quantiles.csv", "psa_cost_quantiles.csv", "psa_draws.csv", budget_col,
                 "children_in_care_p95", "cost_real_gbp_2016_17_p50"):
        assert name in readme


def test_each_draw_is_the_model_run_with_that_draws_inputs(tmp_path, monkeypatch, capsys, psa_file):
    """Draw 0's present values recomputed by running the model with its inputs (read back from the CSV)."""
    from carecast.care.compare import compare
    from carecast.care.model import run as run_model
    from carecast.care.scenario_file import load_scenario_file

    code, _, err = run(tmp_path, monkeypatch, capsys, str(psa_file), "--draws", "5", "--seed", "11", "-o", "o", *FAST)
    assert code == 0, err
    row = read_csv(tmp_path / "o" / "psa_draws.csv")[2]
    f = load_scenario_file(psa_file)
    p = f.parameters
    exits = p.exit_rates.copy()
    exits[:, p.placements.index("foster"), :, p.exit_groups.index("returned_home")] = \
        float(row["input_exit_rates_foster_returned_home"])
    cost = p.weekly_cost.copy()
    cost[p.placements.index("home")] = float(row["input_weekly_cost_home"])
    drawn = p.replace(exit_rates=exits, weekly_cost=cost)
    base = run_model(drawn, years=3, step="quarter")
    tol = 1e-4       # inputs are written to 6 decimals
    pv = float(row["baseline_present_value_of_costs_gbp_2016_17_to_2017_03_31"])
    assert abs(pv / base.present_value() - 1) < tol
    # cheaper_homes has no uncertain input of its own: the scale factor of fewer_entries must not reach it
    cheaper = run_model(drawn, years=3, step="quarter", scenario=f.scenarios["cheaper_homes"])
    assert abs(float(row["cheaper_homes_present_value_of_costs_gbp_2016_17_to_2017_03_31"])
               / cheaper.present_value() - 1) < tol
    fewer = f.scenarios["fewer_entries"]
    from carecast.care.scenarios import Scenario
    fewer = Scenario(fewer.name, fewer.description, dict(fewer.set),
                     {**fewer.scale, "entries_per_year": float(row["input_scenario_scale_entries_per_year"])},
                     list(fewer.interventions))
    scen = run_model(drawn, years=3, step="quarter", scenario=fewer)
    npv = compare(base, scen).present_values()["net_present_value"]
    assert abs(float(row["fewer_entries_net_present_value_gbp_2016_17_to_2017_03_31"]) - npv) <= max(2.0, 1e-4 * abs(npv))


def test_one_baseline_for_every_scenario_and_scenario_inputs_where_they_fit(psa_file):
    from carecast.care.outputs import build_report
    from carecast.care.scenario_file import load_scenario_file
    f = load_scenario_file(psa_file)
    report = build_report(f.parameters, scenarios=f.scenarios, years=2, step="quarter", draws=12, seed=5,
                          uncertain=f.uncertain)
    run_ = report.psa
    pv = [r.baseline.present_value for r in run_.results.values()]
    for other in pv[1:]:
        np.testing.assert_allclose(other, pv[0], rtol=1e-12)
    assert run_.applies == {"edge_of_care": ["intervention.effect['edge_of_care']"],
                            "fewer_entries": ["scenario.scale.entries_per_year"], "cheaper_homes": []}
    names, matrix = run_.results["fewer_entries"].inputs.matrix()
    factor = matrix[:, names.index("scenario.scale.entries_per_year")]
    assert np.all((factor >= 0.85) & (factor <= 0.95)) and np.ptp(factor) > 0


def test_same_seed_same_files_byte_for_byte(tmp_path, monkeypatch, capsys, psa_file):
    args = (str(psa_file), "--scenario", "edge_of_care", "--draws", "12", "--seed", "7", "--budget", "5e6", "--chance",
            "--xlsx")
    assert run(tmp_path, monkeypatch, capsys, *args, "-o", "one")[0] == 0
    assert run(tmp_path, monkeypatch, capsys, *args, "-o", "two")[0] == 0
    one = sorted(os.path.relpath(os.path.join(d, f), tmp_path / "one") for d, _, fs in os.walk(tmp_path / "one")
                 for f in fs)
    two = sorted(os.path.relpath(os.path.join(d, f), tmp_path / "two") for d, _, fs in os.walk(tmp_path / "two")
                 for f in fs)
    assert one == two and "psa_draws.csv" in one
    for name in one:
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), name
    assert run(tmp_path, monkeypatch, capsys, *args[:-5], "8", *args[-4:-1], *FAST, "-o", "three")[0] == 0
    assert (tmp_path / "three" / "psa_draws.csv").read_bytes() != (tmp_path / "one" / "psa_draws.csv").read_bytes()


def test_chance_starts_every_draw_from_whole_children(tmp_path, monkeypatch, capsys, psa_file):
    code, out, err = run(tmp_path, monkeypatch, capsys, str(psa_file), "--draws", "20", "--chance", "-o", "c", *FAST)
    assert code == 0, err
    assert "parameter uncertainty and chance" in out
    rows = read_csv(tmp_path / "c" / "psa_children_quantiles.csv")
    first = [r for r in rows if r["date"] == "2017-03-31"]
    assert len(first) == 4                                  # baseline and three scenarios
    for r in first:                                         # the file's stock: 30 + 50 + 20 children
        assert {r[f"children_in_care_p{q:02d}"] for q in (5, 25, 50, 75, 95)} == {"100.0"}
    end = [r for r in rows if r["arm"] == "baseline"][-1]
    assert float(end["children_in_care_p05"]) < float(end["children_in_care_p95"])
    for r in rows:                                          # whole children at every date
        assert float(r["children_in_care_p50"]) * 2 == round(float(r["children_in_care_p50"]) * 2)


def test_council_psa_from_the_published_counts(tmp_path, monkeypatch, capsys):
    code, out, err = run(tmp_path, monkeypatch, capsys, "--council", "Leeds", "--from", "2019", "--years", "2",
                         "--draws", "20", "--budget", "60e6", "-o", "leeds", *FAST)
    assert code == 0, err
    assert "Uncertainty from the published counts of Leeds (DfE)" in out
    draws = read_csv(tmp_path / "leeds" / "psa_draws.csv")
    inputs = [c for c in draws[0] if c.startswith("input_")]
    assert len(inputs) == 10 and inputs[0] == "input_entry_rate_factor_age_under_1"
    p = float(np.mean(column(draws, "baseline_cost_cash_gbp_FY2019_20") > 60e6))
    assert f"budget of £60,000,000: baseline {_share(p, 20)}." in out


def test_rate_uncertainty_counts_are_the_published_ones():
    """Entries: the Gamma shapes less 1/2 add up to the DfE's published starts (Leeds, year to 31 March 2019)."""
    from carecast.councils.dataset import load_dataset
    from carecast.councils.model import council_inputs, parameter_draws, rate_uncertainty
    area = load_dataset().find("Leeds")
    u = rate_uncertainty(area, 2019)
    entries = [i for i in u.inputs if i.field == "entries_per_year"]
    exits = [i for i in u.inputs if i.field == "exit_rates"]
    assert len(entries) == len(exits) == 5
    assert all(i.how == "scale" and "[starts 2019]" in i.distribution.source for i in entries)
    published = area.value("starts", 2019).value
    assert abs(sum(i.distribution.shape - 0.5 for i in entries) - published) < 1e-6 * published
    ceased = area.value("ceased", 2019).value
    assert sum(i.distribution.shape - 0.5 for i in exits) < ceased      # less the ageing out at 18
    # the four younger bands' exits are parameter_draws' counts: same mean and spread of the factors
    _, _, exit_factor = parameter_draws(area, 2019, 20000, seed=1)
    n = council_inputs(area, 2019).exits_by_age[:4]
    for k in range(4):
        g = exits[k].distribution
        assert abs(g.shape - (n[k] + 0.5)) < 1e-6 and abs(g.rate - max(n[k], 0.5)) < 1e-6
        assert abs(exit_factor[:, k].mean() - g.shape / g.rate) < 4 * np.sqrt(g.shape) / g.rate / np.sqrt(20000)


def test_examples_declare_their_published_rate_uncertainty():
    from carecast.care.examples import EXAMPLE_NAMES, load_example
    from carecast.councils.examples import example_rate_uncertainty
    for name in EXAMPLE_NAMES:
        u = example_rate_uncertainty(name)
        u.check(load_example(name).parameters)
        assert len(u) == 10 and all("DfE" in i.distribution.source for i in u.inputs)


@pytest.mark.parametrize("text, hint", [("£42m", "write 42000000 or 42e6"), ("42,000,000", "write 42000000 or 42e6"),
                                        ("42m", "write 42000000"), ("£42000000", "write 42000000"),
                                        ("42_000_000", "write 42000000"), ("1.5bn", "write 1500000000 or 1.5e9"),
                                        ("£250k", "write 250000 or 250e3"),
                                        ("forty", "write e.g. 42000000 or 42e6"), ("-5", "positive"),
                                        ("0", "positive"), ("nan", "not a plain number"), ("inf", "not a plain")])
def test_bad_budgets_say_what_to_write(tmp_path, monkeypatch, capsys, psa_file, text, hint):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exc:
        main(["run", str(psa_file), "--draws", "5", "--budget", text])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "--budget" in err and hint in err and "Traceback" not in err
    assert not (tmp_path / "carecast-output").exists()


def test_budget_parsing():
    assert _budget("42e6") == _budget("42000000") == _budget("42000000.0") == 42e6
    assert _budget(" 4.2E7 ") == 42e6
    assert _financial_year("2026-27") == "2026-27"
    for bad, hint in (("2026/27", "write 2026-27"), ("FY2026-27", "write 2026-27"), ("2026-2027", "write 2026-27"),
                      ("2026-28", "write it as 2026-27"), ("26-27", "write it as")):
        with pytest.raises(Exception, match=hint):
            _financial_year(bad)


def test_budget_year_must_be_a_whole_year_of_the_run(tmp_path, monkeypatch, capsys, psa_file):
    monkeypatch.chdir(tmp_path)
    for year, words in (("2030-31", "not in the run"), ("2016-17", "not in the run")):
        with pytest.raises(SystemExit):
            main(["run", str(psa_file), "--draws", "5", "--budget", "1e6", "--budget-year", year])
        err = capsys.readouterr().err
        assert "--budget-year" in err and words in err and "2017-18 to 2019-20 whole" in err
    code, out, err = run(tmp_path, monkeypatch, capsys, str(psa_file), "--draws", "5", "--budget", "5e6",
                         "--budget-year", "2019-20", "-o", "y", *FAST)
    assert code == 0, err and "cash cost in 2019-20 is above" in out


def test_budget_chance_and_year_need_draws(tmp_path, monkeypatch, capsys, psa_file):
    monkeypatch.chdir(tmp_path)
    for extra in (["--budget", "5e6"], ["--chance"], ["--budget-year", "2017-18"]):
        with pytest.raises(SystemExit):
            main(["run", str(psa_file), *extra])
        assert "needs --draws" in capsys.readouterr().err


def test_no_declared_uncertainty_says_so_and_gives_the_chance_only_fan(tmp_path):
    path = tmp_path / "plain.toml"
    path.write_text(MINIMAL, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "carecast", "run", str(path), "--draws", "20", "-o", "out", *FAST],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "declares no uncertainty" in done.stderr and "chance only" in done.stderr
    assert "declares no uncertainty" in done.stdout and "chance only, rates fixed" in done.stdout
    assert (tmp_path / "out" / "uncertainty.csv").exists() and not (tmp_path / "out" / "psa_draws.csv").exists()
    for flag in (["--budget", "5e6"], ["--chance"]):
        done = subprocess.run([sys.executable, "-m", "carecast", "run", str(path), "--draws", "20", *flag, "-o", "x"],
                              cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert done.returncode == 2 and flag[0] in done.stderr and "declares no uncertainty" in done.stderr
        assert "Traceback" not in done.stderr


def test_report_and_workbook_carry_the_psa(tmp_path, monkeypatch, capsys, psa_file):
    pytest.importorskip("matplotlib")
    pytest.importorskip("openpyxl")
    code, out, err = run(tmp_path, monkeypatch, capsys, str(psa_file), "--draws", "10", "--budget", "5e6", "--xlsx",
                         "-o", "r")
    assert code == 0, err
    page = (tmp_path / "r" / "report.html").read_text(encoding="utf-8")
    section = page[page.index('id="uncertainty"'):page.index('id="checks"')]
    assert "probabilistic sensitivity analysis" in section and "<svg" in section
    assert "above the budget of £5,000,000" in section
    assert "Testshire budget book 2016-17" in section and "[assumption]" in section
    for name in ("psa_fan_edge_of_care.png", "psa_fan_fewer_entries.png", "psa_fan_cheaper_homes.png"):
        assert (tmp_path / "r" / name).exists()
    import openpyxl
    wb = openpyxl.load_workbook(tmp_path / "r" / "carecast.xlsx")
    assert {"PSA children", "PSA costs", "PSA draws", "PSA inputs"} <= set(wb.sheetnames)
    assert wb["PSA draws"].max_row == 11


def test_check_size_counts_the_psa():
    from carecast.care.examples import load_example
    from carecast.care.outputs import check_size
    from carecast.care.outputs.report import estimate_bytes, estimate_psa_bytes
    p = load_example("england").parameters
    one = estimate_psa_bytes(p, 5, "month", draws=10_000)
    three = estimate_psa_bytes(p, 5, "month", draws=10_000, calls=3, scenario=True)
    assert three > 2 * one > 0
    assert estimate_psa_bytes(p, 5, "month", draws=100_000) > estimate_bytes(p, 5, "month", draws=100_000)
    with pytest.raises(MemoryError, match=r"--draws 100,000 \(a PSA\)"):
        check_size(p, 5, "month", draws=100_000, psa=True, available=int(one))
    check_size(p, 5, "month", draws=1000, psa=True, runs=3, available=8_000_000_000)


@pytest.mark.parametrize("model", [["FILE"], ["--council", "Leeds", "--years", "2"]])
def test_scenario_toml_carries_the_uncertainty_so_a_rerun_draws_the_same(tmp_path, monkeypatch, capsys, psa_file,
                                                                       model):
    model = [str(psa_file) if m == "FILE" else m for m in model]
    code, _, err = run(tmp_path, monkeypatch, capsys, *model, "--draws", "15", "--seed", "9", "-o", "first", *FAST)
    assert code == 0, err
    text = (tmp_path / "first" / "scenario.toml").read_text(encoding="utf-8")
    assert "[uncertain." in text
    code, out, err = run(tmp_path, monkeypatch, capsys, str(tmp_path / "first" / "scenario.toml"), "--draws", "15",
                         "--seed", "9", "-o", "again", *FAST)
    assert code == 0, err
    assert "the [uncertain] table of scenario.toml" in out
    for name in ("psa_draws.csv", "psa_cost_quantiles.csv", "psa_children_quantiles.csv"):
        assert (tmp_path / "first" / name).read_bytes() == (tmp_path / "again" / name).read_bytes(), name


def test_scenario_toml_says_when_the_uncertainty_cannot_be_written_back(tmp_path, psa_file):
    """A TOML table groups inputs by field, so an interleaved declaration would read back in another order
    (other draws): it is not written, and the file and a warning say so."""
    from carecast.care.outputs import build_report, write_outputs
    from carecast.care.scenario_file import load_scenario_file
    from carecast.care.uncertainty import Gamma, Uncertain, Uncertainty, Uniform
    p = load_scenario_file(psa_file).parameters
    u = Uncertainty([Uncertain("weekly_cost", "home", Uniform(2500.0, 3500.0)),
                     Uncertain("exit_rates", (..., "foster", "returned_home"), Gamma(40.5, 150.0)),
                     Uncertain("weekly_cost", "foster", Uniform(600.0, 700.0))])
    report = build_report(p, years=1, step="quarter", draws=4, uncertain=u)
    with pytest.warns(RuntimeWarning, match="uncertain inputs are not written"):
        write_outputs(report, tmp_path / "out", charts=False, html=False)
    text = (tmp_path / "out" / "scenario.toml").read_text(encoding="utf-8")
    assert "[uncertain." not in text and "# The uncertain inputs of this run are not written here" in text


def test_sensitivity_ranks_the_inputs_that_act_and_only_those(tmp_path, monkeypatch, capsys, psa_file):
    code, out, err = run(tmp_path, monkeypatch, capsys, str(psa_file), "--draws", "60", "-o", "s", *FAST)
    assert code == 0, err
    rows = read_csv(tmp_path / "s" / "psa_sensitivity.csv")
    by = {(r["arm"], r["input"]): r for r in rows}
    # cheaper_homes fixes the home price, so its saving rises with the drawn baseline price and with nothing else
    assert float(by[("cheaper_homes", "weekly_cost['home']")]["partial_rank_correlation"]) > 0.95
    assert by[("cheaper_homes", "weekly_cost['home']")]["rank"] == "1"
    # fewer_entries saves less the larger its entry factor (fewer children kept out of care)
    assert float(by[("fewer_entries", "scenario.scale.entries_per_year")]["partial_rank_correlation"]) < -0.9
    for key, note in ((("baseline", "intervention.effect['edge_of_care']"), "does not change the baseline"),
                      (("cheaper_homes", "scenario.scale.entries_per_year"), "does not apply to this scenario")):
        assert by[key]["partial_rank_correlation"] == "" and by[key]["rank"] == "" and note in by[key]["note"]
    assert "What moves the net present value of cheaper_homes most" in out
    # too few draws to rank four inputs: no table, and no claim
    code, out, err = run(tmp_path, monkeypatch, capsys, str(psa_file), "--draws", "5", "-o", "few", *FAST)
    assert code == 0 and not (tmp_path / "few" / "psa_sensitivity.csv").exists() and "What moves" not in out


def test_an_intervention_input_may_belong_to_a_later_scenario(tmp_path):
    """The [uncertain] inputs of an intervention need fit only one of the file's scenarios, not the first."""
    from carecast.care.scenario_file import load_scenario_file

    later = PSA_FILE.replace("[scenarios.edge_of_care]", "[scenarios.a_first_one]\ndescription = \"nothing\"\n\n"
                                                          "[scenarios.edge_of_care]")
    path = tmp_path / "later.toml"
    path.write_text(later)
    f = load_scenario_file(path)
    assert list(f.scenarios)[0] == "a_first_one" and "intervention.effect['edge_of_care']" in f.uncertain.names
    # an intervention no scenario has is still refused, at its line
    path.write_text(later.replace("[uncertain.intervention.edge_of_care.effect]",
                                  "[uncertain.intervention.reunification_support.effect]"))
    with pytest.raises(Exception, match=r"later.toml:\d+: uncertain.intervention.reunification_support.effect"):
        load_scenario_file(path)
