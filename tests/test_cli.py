"""The command line end to end, in a subprocess, in a temporary folder."""

import csv
import os
import subprocess
import sys

import pytest

from carecast.care.examples import DEFAULT_EXAMPLE, EXAMPLE_NAMES
from council_files import MINIMAL  # tests/ is on sys.path via conftest


def carecast(*args, cwd, module=True):
    command = [sys.executable, "-m", "carecast", *args]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300)


def has_matplotlib():
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_run_each_example(tmp_path, name):
    out = tmp_path / "out"
    done = carecast("run", name, "--years", "3", "-o", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert "Children in care" in text and "Present value of all costs" in text
    assert "Against published figures" in text and "OUTSIDE TOLERANCE" not in text
    assert "Assumptions" in text
    for table in ("children.csv", "events.csv", "costs.csv", "cost_by_year.csv", "scenario.toml", "README.txt",
                  "summary.txt", "checks.csv", "sources.csv", "assumptions.txt", "report.html"):
        assert (out / table).exists(), table
    # issue 12: unit and basis in the column names, financial years as text, age bands as labels
    rows = read_csv(out / "cost_by_year.csv")
    assert rows[0]["financial_year"].startswith("FY") and all(int(r["cost_cash_gbp"]) > 0 for r in rows)
    assert any(c.startswith("cost_real_gbp_") for c in rows[0])
    children = read_csv(out / "children.csv")
    assert set(children[0]) == {"date", "age_band", "placement", "children"}
    assert children[0]["age_band"] in ("under 1", "age 0")
    # the printed summary is saved, with the checks and the assumptions
    saved = (out / "summary.txt").read_text(encoding="utf-8")
    assert "Against published figures" in saved and "Assumptions" in saved
    if has_matplotlib():
        for chart in ("children_by_placement.png", "entries_and_exits.png", "cost_by_year.png"):
            assert (out / chart).stat().st_size > 1000, chart
    else:
        assert "matplotlib is not installed" in text


def test_no_arguments_runs_default_example(tmp_path):
    done = carecast("--help", cwd=tmp_path)
    assert done.returncode == 0 and "run" in done.stdout and "examples" in done.stdout
    done = carecast(cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"running the default example, {DEFAULT_EXAMPLE}" in done.stdout
    assert (tmp_path / "carecast-output" / DEFAULT_EXAMPLE / "children.csv").exists()


def test_console_script_and_examples(tmp_path):
    script = os.path.join(os.path.dirname(sys.executable), "carecast")
    command = [script] if os.path.exists(script) else [sys.executable, "-m", "carecast"]
    done = subprocess.run(command + ["examples"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    for name in EXAMPLE_NAMES:
        assert name in done.stdout
    assert f"{DEFAULT_EXAMPLE} (default)" in done.stdout


def test_written_scenario_file_reproduces_the_run(tmp_path):
    first = carecast("run", "birmingham-2013", "--years", "2", "--step", "quarter", "-o", "a", "--no-charts",
                     cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    second = carecast("run", "a/scenario.toml", "-o", "b", "--no-charts", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert (tmp_path / "a" / "costs.csv").read_text() == (tmp_path / "b" / "costs.csv").read_text()
    assert (tmp_path / "a" / "children.csv").read_text() == (tmp_path / "b" / "children.csv").read_text()
    assert not (tmp_path / "b" / "cost_by_year.png").exists()


def test_file_with_scenarios(tmp_path):
    (tmp_path / "council.toml").write_text(MINIMAL)
    done = carecast("run", "council.toml", "-o", "out", "--no-charts", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "fewer_entries" in done.stdout
    rows = read_csv(tmp_path / "out" / "scenarios.csv")
    assert [r["scenario"] for r in rows] == ["baseline", "fewer_entries", "cheaper_homes"]
    assert float(rows[1]["children_at_end"]) < float(rows[0]["children_at_end"])
    assert (tmp_path / "out" / "fewer_entries" / "costs.csv").exists()


def test_bad_scenario_file_gives_located_error(tmp_path):
    (tmp_path / "bad.toml").write_text('carecast = 1\n\n[model]\nstock = 1.0\nentries_per_year = 1.0\n'
                                       'exit_rates = 0.1\nmove_rates = "none"\n')
    done = carecast("run", "bad.toml", cwd=tmp_path)
    assert done.returncode == 2
    assert "bad.toml:7: model.move_rates" in done.stderr
    assert "Traceback" not in done.stderr


def test_bad_arguments(tmp_path):
    done = carecast("run", "nowhere", cwd=tmp_path)
    assert done.returncode == 2 and "neither an example" in done.stderr
    done = carecast("run", "england", "--step", "fortnight", cwd=tmp_path)
    assert done.returncode == 2 and "--step" in done.stderr
    done = carecast("run", "england", "--years", "0", cwd=tmp_path)
    assert done.returncode == 2 and "--years" in done.stderr
    done = carecast("run", "england", "--scenario", "x", cwd=tmp_path)
    assert done.returncode == 2 and "no scenario 'x'" in done.stderr


def test_without_matplotlib_writes_csvs_and_says_so(tmp_path):
    blocker = tmp_path / "block" / "matplotlib"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('matplotlib blocked for this test')\n")
    env = dict(os.environ, PYTHONPATH=str(tmp_path / "block") + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run([sys.executable, "-m", "carecast", "run", "birmingham-2013", "--years", "1", "-o", "out"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    assert "matplotlib is not installed" in done.stdout
    assert (tmp_path / "out" / "costs.csv").exists()
    assert not (tmp_path / "out" / "cost_by_year.png").exists()
    # the report is still written, and says why it has no charts
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "matplotlib is not installed" in page and "<svg" not in page
