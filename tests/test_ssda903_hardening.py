"""Adversarial SSDA903 inputs (issue 8): dates misread, damaged files, child data in messages, codes.

Each class of weakness has cases of our own beyond the issue's examples. Expected values are
hand-worked from the tiny returns written here (dates counted on a calendar), or come from the
same data written the DfE's way (a US-ordered copy must read exactly like the original).
Cases that could hang or crash (a FIFO, binary junk) run in a subprocess with a timeout.

How each class is now handled (details in carecast/ssda903/reader.py):

* Dates misread. Each file's day/month order is found from its own dates: month-first files
  are read month first with a warning; a few month-first dates in a day-first file are refused
  as typing errors; a genuinely mixed file refuses only dates that read both ways; a file that
  cannot tell follows the other files, or day first with a note. Dates in the future and
  starts after the return's year are errors; an end after the year is read as open (warning);
  an end before the year began is a warning. The collection year no longer moves with a stray
  date. calibrate() refuses returns with more than half the rows rejected unless force=True
  (--force); --from must be before --to; the CLI refuses ambiguous slashed dates.
* Damaged files. Non-regular files (FIFO, folder, device) are never opened for reading;
  unreadable, binary (zip, xls, NUL-filled), UTF-16, non-comma, headerless and empty files are
  problems of that file; NUL lines, unparseable records (huge or unterminated quoted fields)
  and wrong-width rows cost their own line; bad YEAR cells (2018a, 20 digits, non-ASCII digits)
  are errors for their row; the rest of the folder is read. Only a folder with no usable header
  or episodes file raises ValueError, with the problems listed.
* Child data. No message, exception or repr holds a CHILD, DOB, UPN, postcode or any cell of a
  data row: bad dates are described by their shape, codes shown only when code-like, missing
  columns list only SSDA903 column names, a headerless file is reported by its field count;
  Returns, Problem, ValidationReport and SyntheticEpisodes have reprs without child data.
* Codes. K3 (supported accommodation, 2023) is supported_living; short breaks (LS V3/V4) are
  excluded by default as in the DfE's statistics and counted in report.rows_excluded; the UASC
  table is reported as not used, and why; files without LS say short breaks cannot be told.
"""
from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from carecast.care.taxonomy import (
    DEFAULT_TAXONOMY,
    PLACE_CODES,
    PLACE_TO_PLACEMENT,
    PLACEMENTS,
    SHORT_BREAK_LEGAL_STATUSES,
)
from carecast.cli import main
from carecast.ssda903 import (
    ValidationError,
    calibrate,
    example_parameters,
    generate_returns,
    read_returns,
    sample_returns_path,
    stock,
)
from carecast.ssda903.dates import date_fields, format_date, parse_dates, to_days

EPISODE_HEADER = "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN"
HEADER_HEADER = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB"

# synthetic children whose identifiers, dates of birth, UPNs and postcodes must never be printed
SECRETS = {
    "KIDALPHA7301": ("14/07/2009", "UPNZX7301Q", "ZQ9 7XW"),
    "KIDBRAVO8412": ("23/11/2006", "UPNZX8412Q", "ZQ8 6XW"),
    "KIDCHARLIE9523": ("30/01/2012", "UPNZX9523Q", "ZQ7 5XW"),
}


def secret_values():
    out = set(SECRETS)
    for dob, upn, post in SECRETS.values():
        out |= {dob, upn, post}
    return out


def header_rows(children):
    """children: {CHILD: DOB}; other cells from SECRETS where known."""
    rows = []
    for child, dob in children.items():
        upn = SECRETS.get(child, ("", "", ""))[1]
        rows.append(f"{child},1,{dob},WBRI,{upn},,")
    return rows


def episode_row(child, decom, place="U4", provider="PR1", dec="", rec="", ls="C2"):
    post = SECRETS.get(child, ("", "", ""))[2]
    return f"{child},{decom},S,{ls},N1,{place},{provider},{dec},{rec},,{post},,"


def write(folder, name, lines, header=None):
    folder.mkdir(parents=True, exist_ok=True)
    text = "\n".join(([header] if header else []) + list(lines)) + "\n"
    (folder / name).write_text(text)
    return folder / name


def write_return(folder, year, children, episodes):
    write(folder, f"{year}-header.csv", header_rows(children), HEADER_HEADER)
    write(folder, f"{year}-episodes.csv", episodes, EPISODE_HEADER)
    return folder


def all_text(returns=None, report=None, extra=()):
    """Every message and repr a user can see."""
    parts = list(extra)
    if returns is not None:
        report = returns.report
        parts.append(repr(returns))
    if report is not None:
        parts += [report.to_text(max_lines=10_000), repr(report), str(report)]
        parts += [p.to_text() for p in report.problems] + [repr(p) for p in report.problems]
    return "\n".join(parts)


def assert_no_child_data(text):
    leaked = sorted(v for v in secret_values() if v in text)
    assert not leaked, f"child-level values in messages: {leaked}"


def kinds(report):
    return {(p.severity, p.column, p.reason) for p in report.problems}


def reasons(report, severity=None):
    return [p.reason for p in report.problems if severity is None or p.severity == severity]


# ================================================================== class 1: dates misread

def _to_us_order(text):
    """Rewrite every dd/mm/yyyy in a CSV as mm/dd/yyyy."""
    return re.sub(r"\b(\d\d)/(\d\d)/(\d{4})\b", r"\2/\1/\3", text)


def _same_episodes(a, b):
    for name in ("child", "decom", "end", "dob", "placement", "exit_group", "period", "year"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


def test_us_ordered_returns_are_read_exactly_like_the_originals(tmp_path):
    # the case: a whole folder of returns saved with month-first dates
    dfe, us = tmp_path / "dfe", tmp_path / "us"
    dfe.mkdir()
    generate_returns(dfe, example_parameters(scale=0.4), first_year=2018, last_year=2020, seed=5)
    us.mkdir()
    for p in dfe.iterdir():
        (us / p.name).write_text(_to_us_order(p.read_text()))
    a, b = read_returns(dfe), read_returns(us)
    assert a.report.n_errors == 0 and b.report.n_errors == 0
    _same_episodes(a, b)
    warned = [p for p in b.report.problems if "month first (MM/DD/YYYY" in p.reason]
    assert {p.file for p in warned} == {p.name for p in us.iterdir()}  # every file says so
    assert all(p.severity == "warning" and p.line == 0 for p in warned)
    # and the model calibrated from them is the same
    ca, cb = (calibrate(r, "2019-03-31", "2021-03-31").parameters for r in (a, b))
    np.testing.assert_array_equal(ca.stock, cb.stock)
    np.testing.assert_array_equal(ca.exit_rates, cb.exit_rates)


def test_a_file_that_cannot_tell_follows_the_other_files(tmp_path):
    # 2018: US order proven by 05/13/2018; 2019: every day and month <= 12, so it cannot tell
    write_return(tmp_path, 2018, {"A": "06/15/2010"}, [episode_row("A", "05/13/2018")])
    write_return(tmp_path, 2019, {"B": "06/06/2010"}, [episode_row("B", "05/06/2019", dec="02/03/2020",
                                                                  rec="E4A")])
    r = read_returns(tmp_path)
    assert r.report.n_errors == 0
    a, b = np.flatnonzero(r.child == "A")[0], np.flatnonzero(r.child == "B")[0]
    assert format_date(r.decom[a]) == "2018-05-13"
    assert format_date(r.decom[b]) == "2019-05-06"  # 6 May, not 5 June
    assert format_date(r.end[b]) == "2020-02-03"    # 3 February, not 2 March
    assert any("like the other files" in p.reason and p.file == "2019-episodes.csv" for p in r.report.problems)


def test_when_no_file_tells_day_first_is_assumed_and_said(tmp_path):
    write_return(tmp_path, 2018, {"A": "06/05/2010"}, [episode_row("A", "03/04/2018")])
    r = read_returns(tmp_path)
    assert format_date(r.decom[0]) == "2018-04-03"
    assert any("could not be checked" in p.reason and p.severity == "note" for p in r.report.problems)
    # a day equal to the month is the same date both ways: nothing to say
    write_return(tmp_path / "b", 2018, {"A": "01/01/2010"}, [episode_row("A", "04/04/2018")])
    assert not any("could not be checked" in x for x in reasons(read_returns(tmp_path / "b").report))


def test_a_few_month_first_dates_in_a_day_first_file_are_refused_as_typing_errors(tmp_path):
    kids = {f"C{i}": "15/06/2010" for i in range(30)}
    eps = [episode_row(f"C{i}", f"{13 + i % 15:02d}/05/2018") for i in range(29)]
    eps.append(episode_row("C29", "05/13/2018"))  # 1 of 30 month first
    write_return(tmp_path, 2018, kids, eps)
    r = read_returns(tmp_path)
    errors = [p for p in r.report.problems if p.severity == "error"]
    assert [(p.line, p.column) for p in errors] == [(31, "DECOM")]
    assert "C29" not in set(r.child) and r.n_episodes == 29
    assert any("refused as typing errors" in x for x in reasons(r.report, "warning"))


def test_a_file_mixing_both_orders_refuses_only_the_ambiguous_dates(tmp_path):
    kids = {"A": "15/06/2010", "B": "15/06/2010", "C": "15/06/2010", "D": "15/06/2010"}
    eps = [episode_row("A", "20/05/2018"),   # only day first: 20 May
           episode_row("B", "05/21/2018"),   # only month first: 21 May
           episode_row("C", "03/04/2018"),   # either: refused
           episode_row("D", "06/06/2018")]   # the same both ways: kept
    write_return(tmp_path, 2018, kids, eps)
    r = read_returns(tmp_path)
    got = {c: format_date(d) for c, d in zip(r.child, r.decom)}
    assert got == {"A": "2018-05-20", "B": "2018-05-21", "D": "2018-06-06"}
    (p,) = [p for p in r.report.problems if p.severity == "error"]
    assert (p.line, p.column) == (4, "DECOM") and p.reason.startswith("ambiguous date")
    assert any("mixes day/month orders" in x for x in reasons(r.report, "warning"))


def test_dates_outside_their_return(tmp_path):
    # return 2018 = 1 April 2018 to 31 March 2019 (the start in May 2018 says so)
    write_return(tmp_path, 2018, {"A": "15/06/2010", "B": "15/06/2010", "C": "15/06/2010", "D": "15/06/2010",
                                  "E": "15/06/2010", "F": "15/06/2010"},
                 [episode_row("A", "10/05/2018"),
                  episode_row("B", "10/05/2018", dec="01/04/2090", rec="E4A"),   # DEC in 2090
                  episode_row("C", "10/05/2021"),                                # starts two years later
                  episode_row("D", "10/05/2018", dec="01/04/2019", rec="E4A"),   # the day after the year
                  episode_row("E", "10/05/2018", dec="01/01/2019", rec="E4A"),
                  episode_row("F", "10/05/2017", dec="01/03/2018", rec="E4A")])   # ended the year before
    r = read_returns(tmp_path)
    assert r.collection_end == {2018: to_days("2019-03-31")}
    found = {(p.line, p.severity, p.reason) for p in r.report.problems}
    assert (3, "error", "date in the future (DECOM or DEC after today)") in found
    assert (4, "error", "episode starts after the end of its return's collection year") in found
    assert any(line == 5 and sev == "warning" and "read as still open" in why for line, sev, why in found)
    assert any(line == 7 and sev == "warning" and "ended before its return's collection year began" in why
               for line, sev, why in found)
    assert sorted(r.child) == ["A", "D", "E", "F"]
    d = np.flatnonzero(r.child == "D")[0]
    # D is censored at the end of the return: in care on 31 March 2019, no exit counted
    assert format_date(r.end[d]) == "2019-04-01" and r.exit_group[d] == -1
    # a later return that records the end is believed
    write_return(tmp_path, 2019, {"D": "15/06/2010"}, [episode_row("D", "10/05/2018", dec="01/04/2019",
                                                                  rec="E4A")])
    r2 = read_returns(tmp_path)
    d = np.flatnonzero(r2.child == "D")[0]
    assert format_date(r2.end[d]) == "2019-04-01" and r2.exit_group[d] == 0


def test_a_stray_future_date_does_not_move_the_collection_year(tmp_path):
    # the old reader dated each return by its latest start: one DECOM in 2090 made the return end in 2091
    rows = [episode_row(f"C{i}", f"{10 + i:02d}/01/2019") for i in range(10)]
    rows.append(episode_row("C10", "10/01/2090"))
    write_return(tmp_path, 2018, {f"C{i}": "15/06/2010" for i in range(11)}, rows)
    r = read_returns(tmp_path)
    assert r.collection_end == {2018: to_days("2019-03-31")}
    assert r.n_episodes == 10 and r.report.n_errors == 1


def test_calibration_refuses_when_most_rows_were_rejected(tmp_path):
    # 10 episodes; the header lost its DOB column's values for 7 children: 7 rows have no date of birth
    kids = {f"C{i}": ("15/06/2010" if i < 3 else "") for i in range(10)}
    write_return(tmp_path, 2018, kids, [episode_row(f"C{i}", "10/05/2018") for i in range(10)])
    r = read_returns(tmp_path)
    assert r.report.rows_rejected["episodes"] == 7 and r.report.rows_read["episodes"] == 10
    with pytest.raises(ValueError, match=r"7 of 10 episodes rows \(70%\) were left out for errors"):
        calibrate(r, "2018-03-31", "2019-03-31")
    forced = calibrate(r, "2018-03-31", "2019-03-31", force=True)
    assert forced.parameters.stock.sum() == 3
    assert any("CALIBRATED WITH force=True" in s for s in forced.parameters.sources)
    # half or fewer: calibrates as before
    kids = {f"C{i}": ("15/06/2010" if i < 5 else "") for i in range(10)}
    write_return(tmp_path / "half", 2018, kids, [episode_row(f"C{i}", "10/05/2018") for i in range(10)])
    assert calibrate(read_returns(tmp_path / "half"), "2018-03-31", "2019-03-31").parameters.stock.sum() == 5


def test_cli_calibrate_refuses_then_accepts_with_force(tmp_path, capsys):
    kids = {f"C{i}": ("15/06/2010" if i < 3 else "99/99/2010") for i in range(10)}
    write_return(tmp_path, 2018, kids, [episode_row(f"C{i}", "10/05/2018") for i in range(10)])
    args = ["ssda903", "calibrate", str(tmp_path), "--from", "2018-03-31", "--to", "2019-03-31",
            "-o", str(tmp_path / "m.toml"), "--costs-from", "none", "--age-bands", "0,5,10,16"]
    assert main(["ssda903", "summary", str(tmp_path)]) == 0
    assert "WARNING: 7 of 10 episodes rows (70%) were left out for errors" in capsys.readouterr().out
    assert main(args) == 2
    assert "were left out for errors" in capsys.readouterr().err
    assert main(args + ["--force"]) == 0
    assert "calibrated with --force" in capsys.readouterr().out
    assert "CALIBRATED WITH force=True" in (tmp_path / "m.toml").read_text()


def test_from_after_to_is_refused_clearly(capsys):
    sample = str(sample_returns_path())
    for command in ("summary", "calibrate"):
        extra = ["-o", "x.toml"] if command == "calibrate" else []
        assert main(["ssda903", command, sample, "--from", "2020-03-31", "--to", "2019-03-31"] + extra) == 2
        err = capsys.readouterr().err
        assert "--from (2020-03-31) must be before --to (2019-03-31)" in err
    assert main(["ssda903", "summary", sample, "--from", "2019-03-31", "--to", "2019-03-31"]) == 2
    assert "must be before" in capsys.readouterr().err
    for flag in ("--window", "--horizon"):
        assert main(["ssda903", "backtest", sample, flag, "-1"]) == 2
        assert f"{flag} must be a positive number of years" in capsys.readouterr().err
    # a date typed the US way round is not guessed at either
    with pytest.raises(SystemExit):
        main(["ssda903", "summary", sample, "--from", "03/04/2019", "--to", "2020-03-31"])
    assert "ambiguous date '03/04/2019'" in capsys.readouterr().err
    assert main(["ssda903", "backtest", sample, "--starts", "2019-03-31,03/04/2020"]) == 2
    assert "--starts: ambiguous date" in capsys.readouterr().err


def test_date_fields_and_orders():
    f = date_fields(np.array(["13/05/2018", "05/13/2018", "03/04/2018", "04/04/2018", "2018-05-13", ""]))
    assert list(f.day_first_only()) == [True, False, False, False, False, False]
    assert list(f.month_first_only()) == [False, True, False, False, False, False]
    assert list(f.either_order()) == [False, False, True, False, False, False]
    us = parse_dates(np.array(["05/13/2018", "2018-05-13", "3/4/2018"]), order="mdy")
    assert [format_date(d) for d in us] == ["2018-05-13", "2018-05-13", "2018-03-04"]
    with pytest.raises(ValueError, match="order must be"):
        parse_dates(np.array(["01/01/2018"]), order="ymd")


# ================================================================== class 2: damaged files

def _good_return(folder, year=2018):
    return write_return(folder, year, {"KIDALPHA7301": "14/07/2009", "KIDBRAVO8412": "23/11/2006"},
                        [episode_row("KIDALPHA7301", "10/05/2018"),
                         episode_row("KIDBRAVO8412", "11/05/2018", place="K2", provider="PR4")])


def test_binary_junk_and_nul_bytes_are_reported_and_the_rest_is_read(tmp_path):
    _good_return(tmp_path)
    rng = np.random.default_rng(3)
    (tmp_path / "2019-episodes.csv").write_bytes(rng.integers(0, 256, 5000, dtype=np.uint8).tobytes())
    write_return(tmp_path, 2020, {"KIDCHARLIE9523": "30/01/2012"},
                 [episode_row("KIDCHARLIE9523", "10/05/2020"), "KIDCHARLIE9523,11/05\x00/2020,S,C2,N1,U4,PR1"
                  ",,,,,,"])
    r = read_returns(tmp_path)
    assert sorted(r.child) == ["KIDALPHA7301", "KIDBRAVO8412", "KIDCHARLIE9523"]
    assert any(p.file == "2019-episodes.csv" and p.severity == "error" for p in r.report.problems)
    assert ("2020-episodes.csv", 3) in {(p.file, p.line) for p in r.report.problems
                                         if p.reason.startswith("damaged line")}
    assert_no_child_data(all_text(r))


def test_huge_quoted_field_and_unterminated_quotes_cost_one_line_each(tmp_path):
    kids = {"A": "15/06/2010", "B": "15/06/2010", "C": "15/06/2010", "D": "15/06/2010"}
    write(tmp_path, "2018-header.csv", header_rows(kids), HEADER_HEADER)
    write(tmp_path, "2018-episodes.csv", [
        episode_row("A", "10/05/2018"),
        'B,"' + "x" * 200_000 + '",S,C2,N1,U4,PR1,,,,,,',      # line 3: over the csv field limit
        episode_row("C", "11/05/2018"),
        'D,"12/05/2018,S,C2,N1,U4,PR1,,,,,,',                   # line 5: quote never closed
        episode_row("D", "13/05/2018")], EPISODE_HEADER)
    r = read_returns(tmp_path)
    assert sorted(r.child) == ["A", "C", "D"]
    errors = {(p.line, p.reason) for p in r.report.problems if p.severity == "error"}
    assert errors == {(3, "a quoted field runs on for more than 131,072 characters (an unterminated quote?)"),
                      (5, "a quoted field runs over more than one line (an unterminated quote?)")}
    assert r.report.rows_read["episodes"] == 5 and r.report.rows_rejected["episodes"] == 2


def test_bad_year_cells_are_refused_row_by_row(tmp_path):
    write(tmp_path, "all-header.csv", ["A,2010-06-15", "B,2010-06-15", "C,2010-06-15", "D,2010-06-15"],
          "CHILD,DOB")
    write(tmp_path, "all-episodes.csv", [
        "A,2018-05-10,U4,PR1,,,2018",
        "B,2018-05-10,U4,PR1,,,2018a",
        "C,2018-05-10,U4,PR1,,,99999999999999999999",   # overflowed int64 once
        "D,2018-05-10,U4,PR1,,,٢٠١٨"],                 # Arabic-Indic digits: isdigit() but not a year
          "CHILD,DECOM,PLACE,PLACE_PROVIDER,DEC,REC,YEAR")
    r = read_returns(tmp_path)
    assert list(r.child) == ["A"]
    bad = sorted(p.line for p in r.report.problems if p.column == "YEAR")
    assert bad == [3, 4, 5]
    assert all("not a plausible collection year" in p.reason for p in r.report.problems if p.column == "YEAR")


def test_implausible_year_in_a_file_name_is_not_used(tmp_path):
    write_return(tmp_path, 2090, {"A": "15/06/2010"}, [episode_row("A", "10/05/2018")])
    r = read_returns(tmp_path)
    assert r.collection_end == {2018: to_days("2019-03-31")}
    assert any("not a plausible collection year" in x for x in reasons(r.report, "warning"))


def test_files_that_are_not_csv(tmp_path):
    _good_return(tmp_path)
    (tmp_path / "2019-episodes.csv").write_bytes(b"PK\x03\x04" + bytes(200))           # a workbook
    (tmp_path / "2020-episodes.csv").write_text(EPISODE_HEADER.replace(",", ";") + "\n")  # semicolons
    (tmp_path / "2021-episodes.csv").mkdir()                                             # a folder
    (tmp_path / "2017-episodes.csv").write_bytes(("\ufeff" + EPISODE_HEADER + "\n").encode("utf-16"))
    (tmp_path / "2016-episodes.csv").write_text("")                                      # empty
    r = read_returns(tmp_path)
    assert r.n_episodes == 2
    by_file = {p.file: p.reason for p in r.report.problems if p.severity == "error"}
    assert "zip archive" in by_file["2019-episodes.csv"]
    assert "semicolons" in by_file["2020-episodes.csv"]
    assert "not a regular file" in by_file["2021-episodes.csv"]
    assert "empty episodes file" in by_file["2016-episodes.csv"]
    assert "2017-episodes.csv" not in by_file  # UTF-16 with a header and no rows: read, a note
    assert ("note", "-", "file is UTF-16: read as such") in kinds(r.report)


def test_unreadable_file_is_reported(tmp_path, monkeypatch):
    _good_return(tmp_path)
    write_return(tmp_path, 2019, {"A": "15/06/2010"}, [episode_row("A", "10/05/2019")])
    real_open = os.open

    def deny(path, *a, **k):
        if str(path).endswith("2019-episodes.csv"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *a, **k)
    monkeypatch.setattr(os, "open", deny)
    r = read_returns(tmp_path)
    assert r.n_episodes == 2
    assert ("2019-episodes.csv", 0, "file cannot be read: Permission denied") in \
        {(p.file, p.line, p.reason) for p in r.report.problems}


def test_no_usable_episodes_file_is_a_clear_error(tmp_path):
    write(tmp_path, "2018-header.csv", header_rows({"KIDALPHA7301": "14/07/2009"}), HEADER_HEADER)
    write(tmp_path, "2018-episodes.csv", [episode_row("KIDALPHA7301", "10/05/2018")])   # no header row
    with pytest.raises(ValueError, match="no usable episodes file") as info:
        read_returns(tmp_path)
    assert "the first line is not a header: it has 13 fields" in str(info.value)
    assert_no_child_data(str(info.value))


def _run(code, timeout=60):
    """Run Python code in a fresh interpreter: a hang or a crash fails the test, not the run."""
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=timeout)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_fifo_named_like_a_return_never_hangs(tmp_path):
    _good_return(tmp_path)
    os.mkfifo(tmp_path / "2019-episodes.csv")
    os.mkfifo(tmp_path / "lonely-episodes.csv")
    done = _run(f"""
        from carecast.ssda903 import read_returns
        r = read_returns({str(tmp_path)!r})
        print(r.n_episodes)
        print(r.report.to_text())
        try:
            read_returns({str(tmp_path / 'lonely-episodes.csv')!r})
        except ValueError as exc:
            print("refused:", exc)
        r = read_returns([{str(tmp_path / '2018-header.csv')!r}, {str(tmp_path / '2018-episodes.csv')!r},
                          {str(tmp_path / '2019-episodes.csv')!r}])
        print("list", r.n_episodes)
    """, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "2"
    assert "2019-episodes.csv:0: error: -: not a regular file (a folder, FIFO or device): skipped" in done.stdout
    assert "refused: source: not a regular file or folder" in done.stdout
    assert "list 2" in done.stdout


def test_a_folder_of_every_damage_at_once_through_the_cli(tmp_path):
    _good_return(tmp_path)
    rng = np.random.default_rng(1)
    (tmp_path / "2019-episodes.csv").write_bytes(rng.integers(0, 256, 20_000, dtype=np.uint8).tobytes())
    (tmp_path / "2019-header.csv").write_bytes(b"\x00" * 1000)
    (tmp_path / "2020-header.csv").write_text("\n".join(header_rows({"KIDCHARLIE9523": "30/01/2012"})) + "\n")
    write(tmp_path, "2020-episodes.csv", ['KIDCHARLIE9523,"' + "y" * 300_000], EPISODE_HEADER)
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "2021-episodes.csv")
    done = _run(f"""
        import sys
        from carecast.cli import main
        sys.exit(main(["ssda903", "summary", {str(tmp_path)!r}, "--problems", "50"]))
    """)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    for name in ("2019-episodes.csv", "2019-header.csv", "2020-header.csv", "2020-episodes.csv"):
        assert f"{name}:" in done.stdout
    assert_no_child_data(done.stdout + done.stderr)


# ================================================================== class 3: child data in messages

def test_files_saved_without_their_header_row_print_no_child_data(tmp_path):
    write(tmp_path, "2018-header.csv", header_rows({c: v[0] for c, v in SECRETS.items()}))
    write(tmp_path, "2018-episodes.csv", [episode_row(c, "10/05/2018") for c in SECRETS])
    with pytest.raises(ValueError) as info:
        read_returns(tmp_path)
    text = str(info.value)
    assert "the first line is not a header: it has 13 fields" in text
    assert_no_child_data(text)
    # the header file alone without its header row, the episodes fine
    write(tmp_path, "2018-episodes.csv", [episode_row(c, "10/05/2018") for c in SECRETS], EPISODE_HEADER)
    with pytest.raises(ValueError) as info:
        read_returns(tmp_path)
    assert "the first line is not a header: it has 7 fields" in str(info.value)
    assert_no_child_data(str(info.value))


def test_missing_columns_list_only_column_names(tmp_path):
    # a header whose first line is half data: only SSDA903 column names are repeated
    write(tmp_path, "2018-header.csv", header_rows({"KIDALPHA7301": "14/07/2009"}), HEADER_HEADER)
    write(tmp_path, "2018-episodes.csv", [episode_row("KIDALPHA7301", "10/05/2018")],
          "CHILD,KIDBRAVO8412,23/11/2006,UPNZX8412Q,PLACE")
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['DECOM', 'DEC', 'REC'\]") as info:
        read_returns(tmp_path)
    assert "['CHILD', 'PLACE'] and 3 other column(s) not shown" in str(info.value)
    assert_no_child_data(str(info.value))


def test_no_message_or_repr_holds_child_data(tmp_path, capsys):
    kids = {c: v[0] for c, v in SECRETS.items()}
    kids["KIDCHARLIE9523"] = "30/02/2012"                                        # impossible DOB
    write_return(tmp_path, 2018, kids, [
        episode_row("KIDALPHA7301", "10/05/2018", place="ZQ9 7XW"),               # shifted: postcode as PLACE
        episode_row("KIDALPHA7301", "10/06/2018", dec="01/06/2018", rec="E4A"),    # ends before it starts
        episode_row("KIDBRAVO8412", "23/11/2006"),                                 # a DOB where DECOM goes
        episode_row("KIDBRAVO8412", "2018/05/10", rec="UPNZX8412Q"),               # bad date, UPN as REC
        episode_row("KIDBRAVO8412", "01/06/2018", provider="UPNZX8412Q", rec="E4A"),
        episode_row("KIDCHARLIE9523", "10/05/2018")])
    r = read_returns(tmp_path)
    assert r.report.n_errors >= 5
    with pytest.raises(ValidationError) as info:
        read_returns(tmp_path, strict=True)
    text = all_text(r, extra=[str(info.value)])
    assert_no_child_data(text)
    assert "its shape is '9999/99/99'" in text
    assert "a value of 7 characters that is not a code (not shown)" in text
    assert "it ends 9 day(s) before it starts" in text
    # the children are still there for those who ask
    assert "KIDALPHA7301" in r.report.to_text(show_ids=True)
    # the CLI prints none of it
    assert main(["ssda903", "summary", str(tmp_path), "--problems", "100"]) == 0
    out = capsys.readouterr()
    assert_no_child_data(out.out + out.err)


def test_sample_reprs_hold_no_child_ids():
    r = read_returns(sample_returns_path())
    ids = set(r.child.tolist())
    # the sample's identifiers are short numbers, as line numbers are: check every field but the line
    for p in r.report.problems:
        where_not = re.sub(r"\S+\.csv:\d+", "", p.detail)  # "FILE:LINE" of the other row
        words = set(" ".join((p.file, p.column, p.reason, where_not)).replace(",", " ").replace(":", " ")
                    .replace("'", " ").split())
        assert not words & ids, p
        assert not p.child or p.child not in repr(p)
    text = repr(r)
    assert text.startswith(f"<Returns: {r.n_episodes} episodes, {r.n_periods} periods")
    assert len(text) < 200 and "array" not in text
    assert repr(r.report).startswith(f"<ValidationReport: {r.report.n_errors} errors")


# ================================================================== class 4: SSDA903 codes

def test_every_place_code_has_a_placement_and_k3_is_supported_accommodation():
    assert set(PLACE_CODES) == set(PLACE_TO_PLACEMENT)
    for code in PLACE_CODES:
        assert DEFAULT_TAXONOMY.placement_of(code, "PR1") in PLACEMENTS
    assert DEFAULT_TAXONOMY.placement_of("K3") == "supported_living"
    assert DEFAULT_TAXONOMY.placement_of("K1") == "secure"
    assert DEFAULT_TAXONOMY.placement_of("K2") == "residential"
    assert DEFAULT_TAXONOMY.placement_of("H5") == "supported_living"


@pytest.mark.parametrize("code, placement", [("K1", "secure"), ("K2", "residential"),
                                             ("K3", "supported_living"), ("H5", "supported_living")])
def test_k_codes_are_read_into_their_placement(tmp_path, code, placement):
    write_return(tmp_path, 2023, {"A": "15/06/2006"}, [episode_row("A", "10/05/2023", place=code, provider="PR4")])
    r = read_returns(tmp_path)
    assert r.report.n_errors == 0
    assert [PLACEMENTS[p] for p in r.placement] == [placement]


@pytest.mark.parametrize("status", sorted(SHORT_BREAK_LEGAL_STATUSES))
def test_short_breaks_are_excluded_and_counted(tmp_path, status):
    write_return(tmp_path, 2018, {"A": "15/06/2010", "B": "15/06/2010"},
                 [episode_row("A", "10/05/2018", ls=status, dec="12/05/2018", rec="E4A"),
                  episode_row("A", "10/06/2018", ls=status),
                  episode_row("B", "10/05/2018", ls="C2")])
    r = read_returns(tmp_path)
    assert list(r.child) == ["B"]
    assert r.report.rows_excluded == {"short_breaks": 2}
    notes = [p for p in r.report.problems if p.column == "LS"]
    assert [(p.line, p.severity) for p in notes] == [(2, "note"), (3, "note")]
    assert stock(r, "2018-06-30").sum() == 1
    kept = read_returns(tmp_path, short_breaks="keep")
    assert sorted(kept.child) == ["A", "A", "B"] and kept.report.rows_excluded == {}
    assert stock(kept, "2018-06-30").sum() == 2
    with pytest.raises(ValueError, match="short_breaks must be"):
        read_returns(tmp_path, short_breaks="drop")


def test_continuing_into_a_short_break_ends_the_period_censored(tmp_path):
    write_return(tmp_path, 2018, {"A": "15/06/2010"},
                 [episode_row("A", "10/05/2018", dec="01/07/2018", rec="X1"),
                  episode_row("A", "01/07/2018", ls="V3")])
    r = read_returns(tmp_path)
    assert r.n_episodes == 1 and r.exit_group[0] == -1 and format_date(r.end[0]) == "2018-07-01"
    assert any(p.reason.startswith("X1 (continues)") for p in r.report.problems)


def test_returns_without_legal_status_say_short_breaks_cannot_be_told(tmp_path):
    write(tmp_path, "2018-header.csv", ["A,15/06/2010"], "CHILD,DOB")
    write(tmp_path, "2018-episodes.csv", ["A,10/05/2018,U4,PR1,,"], "CHILD,DECOM,PLACE,PLACE_PROVIDER,DEC,REC")
    r = read_returns(tmp_path)
    assert r.n_episodes == 1
    assert any("no LS (legal status) column" in x for x in reasons(r.report, "note"))


def test_the_uasc_table_is_reported_as_not_used(tmp_path):
    _good_return(tmp_path)
    write(tmp_path, "2018-uasc.csv", ["KIDALPHA7301,1,14/07/2009,01/01/2019"], "CHILD,SEX,DOB,DUC")
    r = read_returns(tmp_path)
    assert "2018-uasc.csv" in r.files_ignored
    (p,) = [p for p in r.report.problems if p.file == "2018-uasc.csv"]
    assert p.severity == "note" and "UASC table not used" in p.reason
    r = read_returns(sample_returns_path())
    assert sum("UASC table not used" in x for x in reasons(r.report)) == 5


def test_sample_short_break_rows_match_the_legal_status_column():
    rows = 0
    for path in sorted(sample_returns_path().glob("*-episodes.csv")):
        with open(path) as fh:
            rows += sum(row["LS"] in ("V3", "V4") for row in csv.DictReader(fh))
    r = read_returns(sample_returns_path())
    assert r.report.rows_excluded == {"short_breaks": rows} and rows == 574


def test_a_file_too_large_to_be_a_return_is_refused_unread(tmp_path, monkeypatch):
    import carecast.ssda903.files as files
    _good_return(tmp_path)
    write_return(tmp_path, 2019, {"A": "15/06/2010"}, [episode_row("A", "10/05/2019")])
    monkeypatch.setattr(files, "MAX_FILE_BYTES", 150)
    r = read_returns(tmp_path)
    assert any("larger than any SSDA903 return" in x for x in reasons(r.report, "error"))


def test_randomly_damaged_returns_never_crash(tmp_path):
    # Seeded fuzzing: flip, insert and delete bytes, cut files short, duplicate and drop lines. Every
    # outcome must be a Returns with a report, or a ValueError naming the problem, with no child data.
    base = tmp_path / "base"
    base.mkdir()
    generate_returns(base, example_parameters(scale=0.05), first_year=2019, last_year=2020, seed=2)
    ids = set()
    for p in base.glob("*-header.csv"):
        with open(p) as fh:
            ids |= {row["CHILD"] for row in csv.DictReader(fh)}
    rng = np.random.default_rng(8)
    outcomes = {"read": 0, "refused": 0}
    for trial in range(40):
        folder = tmp_path / f"t{trial}"
        folder.mkdir()
        for p in base.iterdir():
            data = bytearray(p.read_bytes())
            for _ in range(int(rng.integers(0, 6))):
                action, at = int(rng.integers(0, 5)), int(rng.integers(0, max(len(data), 1)))
                if action == 0 and data:
                    data[at] = int(rng.integers(0, 256))
                elif action == 1:
                    data[at:at] = bytes(rng.integers(0, 256, int(rng.integers(1, 40)), dtype=np.uint8))
                elif action == 2:
                    del data[at:at + int(rng.integers(1, 200))]
                elif action == 3:
                    data = data[:at]
                else:
                    data[at:at] = b'"' if rng.random() < 0.5 else b"\x00"
            (folder / p.name).write_bytes(bytes(data))
        try:
            r = read_returns(folder)
        except ValueError as exc:
            outcomes["refused"] += 1
            text = str(exc)
        else:
            outcomes["read"] += 1
            text = all_text(r)
        where_not = re.sub(r"\S+\.csv:\d+", "", text)
        assert not set(re.split(r"[\s,:'()]+", where_not)) & ids, trial
    assert outcomes["read"] > 20  # most damage is local: the rest of the folder is read


def test_rows_of_bare_commas_are_blank_lines_not_errors(tmp_path):
    # spreadsheets export trailing empty rows as ",,,,": they hold no data and must not count as rejected
    _good_return(tmp_path)
    with open(tmp_path / "2018-episodes.csv", "a") as fh:
        fh.write(",,,,,,,,,,,,\n" * 50 + "\n , ,\n")
    r = read_returns(tmp_path)
    assert r.report.n_errors == 0 and r.n_episodes == 2
    assert r.report.rows_read["episodes"] == 2 and r.report.rows_rejected["episodes"] == 0
