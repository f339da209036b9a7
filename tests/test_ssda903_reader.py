"""SSDA903 reader and validation: formats, de-duplication, stitching, every data problem.

Expected values are worked out by hand from the tiny returns written in each
test (dates and ages counted on a calendar).
"""
from __future__ import annotations

import csv
import datetime as dt

import numpy as np
import pytest

from carecast.care.taxonomy import DEFAULT_TAXONOMY, EXIT_GROUPS, PLACEMENTS
from carecast.ssda903 import ValidationError, read_returns, sample_returns_path, stock
from carecast.ssda903.dates import INVALID, MISSING, add_years, age_in_years, format_date, parse_dates, to_days

EPISODE_HEADER = ["CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC",
                  "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN"]


def write_return(folder, year, children, episodes, *, name=None):
    """children: [(CHILD, DOB)], episodes: [(CHILD, DECOM, PLACE, PROVIDER, DEC, REC)]."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"{year}-header.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"])
        for child, dob in children:
            w.writerow([child, "1", dob, "WBRI", "", "", ""])
    with open(folder / (name or f"{year}-episodes.csv"), "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(EPISODE_HEADER)
        for child, decom, place, provider, dec, rec in episodes:
            w.writerow([child, decom, "S", "C2", "N1", place, provider, dec, rec, "", "", "", ""])


# ------------------------------------------------------------------ dates

def test_dates_both_formats_and_bad_values():
    d = parse_dates(np.array(["31/03/2018", "2018-03-31", "1/4/2018", "2018-04-01 00:00:00", "",
                              "31/02/2018", "2018-13-01", "yesterday", "29/02/2020", "29/02/2019"]))
    assert d[0] == d[1] == (dt.date(2018, 3, 31) - dt.date(1970, 1, 1)).days
    assert d[2] == d[3] == d[0] + 1
    assert d[4] == MISSING
    assert list(d[5:8]) == [INVALID] * 3
    assert format_date(d[8]) == "2020-02-29"
    assert d[9] == INVALID


def test_age_on_a_date_and_leap_day_birthdays():
    dob = to_days("2008-02-29")
    assert age_in_years(dob, to_days("2026-02-28")) == 17
    assert age_in_years(dob, to_days("2026-03-01")) == 18
    assert format_date(add_years(dob, 18)) == "2026-03-01"
    assert age_in_years(to_days("2000-06-15"), to_days("2018-06-14")) == 17
    # against the standard library for many random pairs
    rng = np.random.default_rng(1)
    births = rng.integers(to_days("1995-01-01"), to_days("2015-01-01"), 500)
    ons = births + rng.integers(0, 20 * 365, 500)
    base = dt.date(1970, 1, 1)
    for b, o in zip(births, ons):
        bd, od = base + dt.timedelta(int(b)), base + dt.timedelta(int(o))
        expected = od.year - bd.year - ((od.month, od.day) < (bd.month, bd.day))
        assert age_in_years(b, o) == expected


# ------------------------------------------------------------------ reading

def test_reads_sample_from_the_installed_package():
    r = read_returns(sample_returns_path())
    assert r.n_children > 500
    assert sorted(r.collection_end) == [2017, 2018, 2019, 2020, 2021]
    # the sample's "2017" return runs from 1 April 2017 to 31 March 2018
    assert format_date(r.collection_end[2017]) == "2018-03-31"
    assert r.report.rows_read["episodes"] == 3737  # lines in the five episode files minus headers
    assert "2017-uasc.csv" in r.files_ignored
    # the quirk: nobody under five, falling numbers
    totals = [stock(r, f"{y}-03-31").sum() for y in (2018, 2019, 2020, 2021)]
    assert totals == sorted(totals, reverse=True)
    assert stock(r, "2018-03-31")[:5].sum() == 0


def test_combined_file_with_year_column_equals_one_file_per_year(tmp_path):
    per_year = tmp_path / "per_year"
    write_return(per_year, 2018, [("A", "15/06/2010")],
                 [("A", "10/01/2018", "U4", "PR1", "", "")])
    write_return(per_year, 2019, [("A", "15/06/2010")],
                 [("A", "10/01/2018", "U4", "PR1", "01/05/2019", "E4A")])
    combined = tmp_path / "combined"
    combined.mkdir()
    with open(combined / "all-episodes.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(EPISODE_HEADER + ["YEAR"])
        w.writerow(["A", "2018-01-10", "S", "C2", "N1", "U4", "PR1", "", "", "", "", "", "", "2018"])
        w.writerow(["A", "2018-01-10", "S", "C2", "N1", "U4", "PR1", "2019-05-01", "E4A", "", "", "", "",
                    "2019"])
    with open(combined / "all-header.csv", "w", newline="") as fh:
        fh.write("CHILD,DOB\nA,2010-06-15\n")
    a, b = read_returns(per_year), read_returns(combined)
    for r in (a, b):
        assert r.n_episodes == 1
        assert format_date(r.end[0]) == "2019-05-01"
        assert r.exit_group[0] == EXIT_GROUPS.index("returned_home")
        assert r.report.n_notes == 1  # the 2018 copy, superseded by the later return


def test_later_return_wins_and_open_episodes_are_censored(tmp_path):
    write_return(tmp_path, 2017, [("A", "15/06/2010"), ("B", "01/01/2008")],
                 [("A", "10/01/2018", "U4", "PR1", "", ""),
                  ("B", "01/02/2018", "K2", "PR4", "", "")])
    write_return(tmp_path, 2018, [("A", "15/06/2010")],
                 [("A", "10/01/2018", "U4", "PR4", "01/05/2018", "E11")])
    r = read_returns(tmp_path)
    a = np.flatnonzero(r.child == "A")[0]
    b = np.flatnonzero(r.child == "B")[0]
    # the 2018 return's version (agency provider, ended) is used
    assert PLACEMENTS[r.placement[a]] == "agency_foster"
    assert r.exit_group[a] == EXIT_GROUPS.index("adopted")
    # B vanishes after the 2017 return (1 April 2017 - 31 March 2018): censored, no exit
    assert format_date(r.end[b]) == "2018-04-01"
    assert r.exit_group[b] == -1
    assert stock(r, "2018-03-31").sum() == 2 and stock(r, "2018-04-01").sum() == 1


def test_x1_continuations_are_stitched_into_periods(tmp_path):
    write_return(tmp_path, 2018, [("A", "15/06/2010")],
                 [("A", "10/01/2018", "U4", "PR1", "01/05/2018", "X1"),
                  ("A", "01/05/2018", "K2", "PR4", "01/02/2019", "E4A"),
                  ("A", "01/03/2019", "U1", "PR1", "", "")])
    r = read_returns(tmp_path)
    assert r.n_periods == 2
    assert list(r.period) == [0, 0, 1]
    assert list(r.first_in_period) == [True, False, True]
    assert format_date(r.period_start[1]) == "2018-01-10"
    assert list(r.exit_group) == [-1, EXIT_GROUPS.index("returned_home"), -1]


def test_eighteenth_birthday_ends_care(tmp_path):
    write_return(tmp_path, 2018, [("A", "01/09/2000"), ("B", "01/09/2000")],
                 [("A", "01/01/2017", "H5", "PR4", "", ""),                # open past 18
                  ("B", "01/01/2017", "U4", "PR1", "01/09/2018", "E8")])  # left on birthday
    r = read_returns(tmp_path)
    assert all(format_date(e) == "2018-09-01" for e in r.end)
    assert list(r.exit_group) == [EXIT_GROUPS.index("left_care_at_18")] * 2
    counts = r.report.counts()
    assert counts[("warning", "DEC", "in care past the 18th birthday: the episode ends on the birthday")] == 1


def test_foster_provider_decides_inhouse_or_agency(tmp_path):
    eps = [(c, "01/01/2018", "U6", prov, "", "") for c, prov in
           (("A", "PR1"), ("B", "PR2"), ("C", "PR3"), ("D", "PR4"), ("E", "PR5"), ("F", ""))]
    eps.append(("G", "01/01/2018", "K2", "PR9", "", ""))
    write_return(tmp_path, 2018, [(c, "01/01/2010") for c in "ABCDEFG"], eps)
    r = read_returns(tmp_path)
    got = [PLACEMENTS[p] for p in r.placement]
    assert got == ["inhouse_foster"] * 3 + ["agency_foster"] * 2 + ["inhouse_foster", "residential"]
    reasons = sorted(p.reason for p in r.report.problems)
    assert reasons == ["foster placement without a usable provider: counted as inhouse_foster",
                       "unknown placement provider code (not needed for this placement type: row kept)"]


# ------------------------------------------------------------------ validation

def _bad_returns(tmp_path):
    write_return(tmp_path, 2018,
                 [("A", "01/01/2010"), ("B", "01/01/2010"), ("C", "01/01/2010"), ("D", "01/01/2010"),
                  ("E", "01/01/2010"), ("F", ""), ("H", "01/01/1995"), ("I", "01/01/2010"),
                  ("J", "01/01/2010")],
                 [("A", "31/02/2018", "U4", "PR1", "", ""),            # line 2 impossible date
                  ("B", "01/05/2018", "U4", "PR1", "01/04/2018", "E8"),  # 3 ends before start
                  ("C", "01/01/2018", "U4", "PR1", "01/06/2018", "E8"),  # 4 ok
                  ("C", "01/03/2018", "K2", "PR4", "", ""),             # 5 overlaps line 4
                  ("D", "01/01/2018", "Q9", "PR1", "", ""),             # 6 unknown PLACE
                  ("E", "01/01/2018", "U4", "PR1", "01/02/2018", "E99"),  # 7 unknown REC
                  ("F", "01/01/2018", "U4", "PR1", "", ""),             # 8 missing DOB
                  ("G", "01/01/2018", "U4", "PR1", "", ""),             # 9 not in header
                  ("H", "01/01/2018", "U4", "PR1", "", ""),             # 10 starts at 23
                  ("I", "2018/01/01", "U4", "PR1", "", ""),             # 11 malformed date
                  ("J", "01/01/2018", "U4", "PR1", "01/02/2018", "")])   # 12 no REC
    return tmp_path


def test_lenient_mode_reports_every_problem_with_file_line_and_reason(tmp_path):
    r = read_returns(_bad_returns(tmp_path))
    errors = {(p.line, p.column, p.reason) for p in r.report.problems if p.severity == "error"}
    assert errors == {
        (2, "DECOM", "not a valid date"),
        (3, "DEC", "episode ends before it starts"),
        (5, "DECOM", "overlaps an earlier episode of the same child"),
        (6, "PLACE", "unknown placement type code"),
        (7, "REC", "unknown reason episode ceased code"),
        (7, "DOB", "date missing"),           # line 7 of the header file
        (8, "CHILD", "no date of birth: child not in any header file (or its DOB is unusable)"),
        (9, "CHILD", "no date of birth: child not in any header file (or its DOB is unusable)"),
        (10, "DECOM", "episode starts at age 18 or over"),
        (11, "DECOM", "not a valid date"),
        (12, "REC", "reason episode ceased missing for an episode with an end date"),
    }
    assert all(p.file in ("2018-episodes.csv", "2018-header.csv") for p in r.report.problems)
    # only the good row of C is used; nothing else, and nothing dropped without a problem
    assert list(r.child) == ["C"]
    assert r.report.rows_read["episodes"] == 11 and r.report.rows_used["episodes"] == 1


def test_strict_mode_refuses_with_the_report(tmp_path):
    with pytest.raises(ValidationError, match="refused in strict mode: 11 error") as info:
        read_returns(_bad_returns(tmp_path), strict=True)
    assert info.value.report.n_errors == 11


def test_report_shows_counts_not_child_ids_unless_asked(tmp_path):
    write_return(tmp_path, 2018, [("SECRET42", "01/01/2010")],
                 [("SECRET42", "01/01/2018", "Q9", "PR1", "", "")])
    r = read_returns(tmp_path)
    assert "SECRET42" not in r.report.to_text()
    assert "SECRET42" in r.report.to_text(show_ids=True)


def test_wrong_number_of_fields_is_reported(tmp_path):
    write_return(tmp_path, 2018, [("A", "01/01/2010")], [("A", "01/01/2018", "U4", "PR1", "", "")])
    with open(tmp_path / "2018-episodes.csv", "a") as fh:
        fh.write("A,02/02/2018,S\n\n")
    r = read_returns(tmp_path)
    (p,) = r.report.problems
    assert (p.line, p.reason) == (3, "wrong number of fields")


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="no such file or folder"):
        read_returns(tmp_path / "nope")
    (tmp_path / "x-episodes.csv").write_text("CHILD,DECOM\n")
    (tmp_path / "x-header.csv").write_text("CHILD,DOB\n")
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['PLACE', 'DEC', 'REC'\]"):
        read_returns(tmp_path)
    with pytest.raises(TypeError, match="taxonomy"):
        read_returns(sample_returns_path(), taxonomy="default")


def test_taxonomy_maps_are_complete_and_overridable():
    t = DEFAULT_TAXONOMY
    for code in ("A3", "A4", "A5", "A6", "H5", "K1", "K2", "P1", "P2", "P3", "R1", "R2", "R3", "R5",
                 "S1", "T0", "T1", "T2", "T3", "T4", "U1", "U2", "U3", "U4", "U5", "U6", "Z1"):
        assert t.placement_of(code, "PR1") in PLACEMENTS
    for code in ("E11", "E12", "E13", "E14", "E15", "E16", "E17", "E2", "E3", "E4A", "E4B", "E41",
                 "E45", "E46", "E47", "E48", "E5", "E6", "E7", "E8", "E9"):
        assert t.exit_group_of(code) in EXIT_GROUPS
    with pytest.raises(ValueError, match="X1 is a continuation"):
        t.exit_group_of("X1")
    custom = t.with_overrides(place={"S1": "other"}, rec={"E13": "other"})
    assert custom.placement_of("S1") == "other" and custom.exit_group_of("E13") == "other"
    assert t.placement_of("S1") == "residential"
    with pytest.raises(ValueError, match="not one of placements"):
        t.with_overrides(place={"S1": "boarding_school"})


def test_quoted_and_crlf_files_read_like_plain_ones(tmp_path):
    plain, fancy = tmp_path / "plain", tmp_path / "fancy"
    write_return(plain, 2018, [("A", "15/06/2010"), ("B", "01/01/2009")],
                 [("A", "10/01/2018", "U4", "PR1", "01/05/2018", "X1"),
                  ("A", "01/05/2018", "K2", "PR4", "", ""),
                  ("B", "01/02/2018", "U1", "PR1", "01/03/2019", "E45")])
    fancy.mkdir()
    for name in ("2018-header.csv", "2018-episodes.csv"):
        rows = list(csv.reader(open(plain / name)))
        with open(fancy / name, "w", newline="") as fh:
            # Excel-style: every cell quoted, CRLF line ends, lower-case codes, padded cells
            w = csv.writer(fh, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
            w.writerow(rows[0])
            w.writerows([[f" {c.lower()} " if c[:1] in "UKPXE" and len(c) <= 3 else c for c in r]
                         for r in rows[1:]])
    a, b = read_returns(plain), read_returns(fancy)
    for field in ("decom", "end", "placement", "exit_group", "period"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    assert b.report.n_errors == 0


def test_list_of_files_inferred_years_and_windows_encoding(tmp_path):
    write_return(tmp_path, 2018, [("A", "15/06/2010")], [("A", "10/01/2019", "U4", "PR1", "", "")])
    files = sorted(tmp_path.iterdir())
    by_list = read_returns(files)
    renamed = tmp_path / "renamed"
    renamed.mkdir()
    (renamed / "episodes.csv").write_bytes((tmp_path / "2018-episodes.csv").read_bytes())
    # a header saved by a Windows spreadsheet: Windows-1252, not UTF-8
    (renamed / "header.csv").write_bytes("CHILD,DOB,ETHNIC\nA,15/06/2010,Caf\xe9\n".encode("cp1252"))
    inferred = read_returns(renamed)
    assert by_list.collection_end == {2018: to_days("2019-03-31")}
    # no year in the names: the return is dated by its latest start (10/01/2019 -> 2018-19)
    assert inferred.collection_end == {2018: to_days("2019-03-31")}
    assert ("note", "-", "file is not UTF-8: read as Windows-1252") in inferred.report.counts()
    assert inferred.n_episodes == by_list.n_episodes == 1
