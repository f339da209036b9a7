"""Forecasts: nothing published after the origin changes them; the CLI; the backtest's properties."""
import csv
import io
import os

import numpy as np
import pytest

from carecast.cli import main
from carecast.councils import load_dataset
from carecast.councils.forecast import backtest, forecast, truncate_raw

HERE = os.path.dirname(os.path.abspath(__file__))
RAW = os.path.join(HERE, "data", "dfe_la")
FULL = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "data", "dfe_la"))
if not os.path.isdir(FULL):
    FULL = "/work/shared/data/dfe_la"


@pytest.mark.parametrize("origin", [2016, 2019, 2022])
def test_truncating_later_years_does_not_change_the_forecast(tmp_path, origin):
    cut = tmp_path / "cut"
    truncate_raw(RAW, cut, origin)
    part = load_dataset(str(cut))
    assert int(part.years[-1]) == origin  # the cut folder really ends at the origin
    a = forecast(load_dataset(RAW), origin, 3)
    b = forecast(part, origin, 3)
    assert a.to_csv() == b.to_csv()
    assert a.notes == b.notes


def test_a_changed_later_figure_does_not_change_the_forecast(tmp_path):
    """Tamper with every figure after 2019 in a copy: the 2019 forecast stays the same."""
    import shutil
    raw = tmp_path / "raw"
    shutil.copytree(RAW, raw)
    f = raw / "eesdash" / "cla_number_and_rate_per_10k_children.csv"
    lines = f.read_text(encoding="utf-8").splitlines(keepends=True)
    out = [lines[0]]
    for line in lines[1:]:
        cells = line.rstrip("\n").split(",")
        if cells[-2].isdigit():
            cells[-2] = str(int(cells[-2]) * 2)
        out.append(",".join(cells) + "\n")
    f.write_text("".join(out), encoding="utf-8")
    assert load_dataset(str(raw)).find("Norfolk").value("cla_31mar", 2025).value == 2 * 1069
    assert forecast(load_dataset(RAW), 2019, 3).to_csv() == forecast(load_dataset(str(raw)), 2019, 3).to_csv()


def test_forecast_rows_are_ordered_and_bracket_the_median():
    fc = forecast(load_dataset(), 2023, 2)
    assert len({r["council_code"] for r in fc.rows}) >= 150
    for r in fc.rows:
        assert 0 < r["lower80"] <= r["median"] <= r["upper80"]
        assert len(r["council_code"]) == 9 and r["council_code"].startswith("E")
    # intervals widen with the horizon
    by = {}
    for r in fc.rows:
        by.setdefault(r["council_code"], []).append((r["upper80"] - r["lower80"]) / r["median"])
    assert np.mean([v[1] > v[0] for v in by.values()]) > 0.9


def test_cli_forecast_csv(capsys):
    assert main(["councils", "forecast", "--council", "Norfolk", "--from", "2019", "--years", "3"]) == 0
    out = capsys.readouterr().out
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["year"] for r in rows] == ["2020", "2021", "2022"]
    assert set(rows[0]) >= {"council_code", "council", "year", "median", "lower80", "upper80"}
    assert rows[0]["council_code"] == "E10000020"


def test_cli_forecast_from_a_truncated_folder(tmp_path, capsys):
    cut = tmp_path / "cut"
    truncate_raw(RAW, cut, 2019)
    assert main(["councils", "forecast", "--from", "2019", "--years", "2", "--data", str(cut),
                 "--format", "table"]) == 0
    out = capsys.readouterr().out
    assert "forecast from 31 March 2019" in out and "Norfolk" in out


@pytest.mark.parametrize("argv, message", [
    (["--council", "Norfollk", "--from", "2019"], "did you mean 'Norfolk'"),
    (["--from", "2040"], "outside the published years"),
    (["--from", "1990"], "outside the published years"),
    (["--council", "BCP", "--from", "2018"], "no published children looked after at 31 March 2018"),
    (["--council", "England", "--from", "2019"], "forecasts are by council"),
    (["--from", "2019", "--years", "0"], "--years must be 1 to 10"),
    (["--council", "Bournemouth", "--from", "2019"], "abolished on 1 April 2019"),
])
def test_cli_forecast_errors(argv, message, capsys):
    assert main(["councils", "forecast"] + argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_cli_backtest_bad_origin(capsys):
    assert main(["councils", "backtest", "--origins", "2025"]) == 2
    assert "outside" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["councils", "backtest", "--origins", "20x4"])


def test_backtest_on_the_test_folder_runs(capsys):
    assert main(["councils", "backtest", "--data", RAW, "--origins", "2019-2021", "--horizons", "2"]) == 0
    out = capsys.readouterr().out
    assert "persistence" in out and "80% interval" in out


@pytest.mark.skipif(not os.path.isdir(FULL), reason="the full published folder shared/data/dfe_la is not here")
def test_backtest_over_all_councils_beats_the_trend_and_holds_its_intervals():
    """Properties, not numbers: no worse than persistence at every horizon, far better than the trend,
    and 80% intervals that hold 75-85% of outcomes."""
    result = backtest(load_dataset(FULL), range(2014, 2024), 3)
    for h in (1, 2, 3):
        assert result.mape["forecast"][h] <= result.mape["persistence"][h] * 1.01
        assert result.mape["forecast"][h] < result.mape["trend"][h]
        assert 0.75 <= result.coverage[h] <= 0.85
        assert result.n[h] > 1000
