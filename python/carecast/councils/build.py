"""Build the council dataset from the DfE's published files (the layout of ``shared/data/dfe_la``).

:func:`build_dataset` reads a folder of published CSV files and returns the
dataset as a plain dictionary (written by :func:`write_dataset` as gzipped
JSON). Every value keeps the release (file) it came from; suppressed cells
stay missing with their code (``c``, ``x``, ``z``, ...), never zero.

Decisions where the files are silent
------------------------------------
* **Areas** are keyed by the DfE's old three-digit LA code, which is stable
  when only the nine-character ONS code changes (Gateshead 2013, Northumberland
  2013, Buckinghamshire 2020, North Yorkshire and Somerset 2023); the area is
  then listed under its newest nine-character code with the older ones kept.
  Councils created or abolished by a boundary change are separate areas with
  the change recorded on both sides (:data:`~carecast.councils.measures.BOUNDARY_CHANGES`).
* **Year** of a 2010-2017 file is its folder's name, not the year in a column
  name (``2015/SFR34_ADM2015.csv`` heads its total ``CLA_started2014``).
* **Overlapping releases** (2021-2023 stock in two files, 2018-2022 ceased in
  two files): the value from the release *nearer the time* (the one whose
  last year is earlier) is kept, so that a forecast from a year uses what
  was published closest to it; a later release's different value is counted
  as a revision in the build report.
* **Sub-categories summed** into one harmonised measure (e.g. two kinds of
  adoption before 2018): if any part is suppressed the sum is missing with
  that part's code.
* A cell that is neither a number nor a known code, a missing required
  column and an unreadable file raise :class:`BuildError` naming the file,
  line and column. Spreadsheet debris (``#VALUE!``, trailing empty columns)
  is survived: ``#VALUE!`` is kept as missing with its meaning and counted.
"""
from __future__ import annotations

import csv
import datetime as _dt
import gzip
import json
import os
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from carecast.councils.measures import (
    BOUNDARY_CHANGES,
    CEASED_REASONS,
    CODE_SUCCESSORS,
    MEASURE_INDEX,
    MEASURES,
    MISSING_CODES,
    REGION_CODES,
)

__all__ = ["BuildError", "BuildReport", "build_dataset", "write_dataset", "DATASET_FORMAT", "DATASET_VERSION",
           "LICENCE"]

DATASET_FORMAT = "carecast.councils"
DATASET_VERSION = 1
LICENCE = ("Contains public sector information licensed under the Open Government Licence v3.0 "
           "(Department for Education, Office for National Statistics; Crown copyright).")

_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_NUMBER_COMMAS = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")
_YEAR_SUFFIX = re.compile(r"_?(19|20)\d\d$")


class BuildError(ValueError):
    """A published file is missing, unreadable or malformed; ``file``, ``line`` and ``column`` say where."""

    def __init__(self, file: str, message: str, line: int | None = None, column: str | None = None):
        self.file, self.line, self.column = file, line, column
        where = file + (f":{line}" if line is not None else "") + (f": column {column!r}" if column else "")
        super().__init__(f"{where}: {message}")


@dataclass
class BuildReport:
    """What the builder read, kept, and had to survive."""

    files: list[str] = field(default_factory=list)
    values: int = 0
    missing: Counter = field(default_factory=Counter)
    revisions: int = 0
    revision_examples: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [f"read {len(self.files)} files; {self.values:,} values kept"]
        if self.missing:
            lines.append("missing cells by code: " + ", ".join(
                f"{code or 'blank'} {n:,} ({MISSING_CODES[code]})" for code, n in self.missing.most_common()))
        if self.revisions:
            lines.append(f"{self.revisions:,} values revised in a later release (the earlier release kept), "
                         "e.g. " + "; ".join(self.revision_examples[:3]))
        lines += self.notes
        return "\n".join(lines)


# --- one cell -------------------------------------------------------------------------------------------

def parse_cell(text: str, file: str, line: int, column: str) -> tuple[float | None, str | None]:
    """``(value, None)`` for a number, ``(None, code)`` for a suppression code; BuildError otherwise.

    >>> parse_cell(" 1,234 ", "f.csv", 2, "n")
    (1234.0, None)
    >>> parse_cell("c", "f.csv", 2, "n")
    (None, 'c')
    """
    t = text.strip()
    if _NUMBER.match(t):
        return float(t), None
    if _NUMBER_COMMAS.match(t):
        return float(t.replace(",", "")), None
    if t in MISSING_CODES:
        return None, t
    if t.lower() in MISSING_CODES:
        return None, t.lower()
    raise BuildError(file, f"{t!r} is neither a number nor a known suppression code "
                           f"({', '.join(repr(c) for c in MISSING_CODES if c)})", line, column)


# --- reading a CSV ----------------------------------------------------------------------------------------

def _read_csv(path: str, rel: str) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """(header, rows with line numbers); BuildError for a missing, unreadable or empty file."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            text = fh.read()
    except FileNotFoundError:
        raise BuildError(rel, "file not found") from None
    except UnicodeDecodeError:
        try:
            with open(path, encoding="cp1252", newline="") as fh:
                text = fh.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise BuildError(rel, f"cannot read: {exc}") from None
    except OSError as exc:
        raise BuildError(rel, f"cannot read: {exc.strerror}") from None
    try:
        rows = list(csv.reader(text.splitlines()))
    except csv.Error as exc:
        raise BuildError(rel, f"not a readable CSV file: {exc}") from None
    if not rows or not any(c.strip() for c in rows[0]):
        raise BuildError(rel, "empty file (no header line)", 1)
    header = [c.strip() for c in rows[0]]

    def gen() -> Iterator[tuple[int, list[str]]]:
        for i, row in enumerate(rows[1:], start=2):
            if not any(c.strip() for c in row):
                continue
            # trailing empty columns (spreadsheet debris) are cut; a row longer than its header with
            # something in the extra cells is malformed
            if len(row) > len(header) and any(c.strip() for c in row[len(header):]):
                extra = next(j for j in range(len(header), len(row)) if row[j].strip())
                raise BuildError(rel, f"row has a value in column {extra + 1} beyond the {len(header)} "
                                      f"columns of the header", i, f"#{extra + 1}")
            yield i, row + [""] * (len(header) - len(row))
    return header, gen()


def _norm(column: str) -> str:
    c = column.strip().lower().replace("-", "_").replace(" ", "")
    return _YEAR_SUFFIX.sub("", c)


# --- the builder -------------------------------------------------------------------------------------------

@dataclass
class _Area:
    key: str
    level: str  # "local authority", "region", "national"
    old_code: str | None = None
    codes: dict[str, int] = field(default_factory=dict)  # nine-character code -> last year seen
    names: dict[str, int] = field(default_factory=dict)
    region_code: str | None = None
    region_name: str | None = None
    first_year: int | None = None
    last_year: int | None = None

    def seen(self, year: int, code: str | None, name: str | None) -> None:
        if code:
            self.codes[code] = max(year, self.codes.get(code, year))
        if name:
            self.names[name] = max(year, self.names.get(name, year))


class _Builder:
    def __init__(self, raw_dir: str):
        self.raw_dir = raw_dir
        self.report = BuildReport()
        self.areas: dict[str, _Area] = {}
        self.releases: list[dict[str, Any]] = []
        # (area key, measure, year) -> (value, code, release index)
        self.values: dict[tuple[str, str, int], tuple[float | None, str | None, int]] = {}
        self.neighbours: dict[str, tuple[list[str], str]] = {}

    # releases -------------------------------------------------------------------------------------------
    def release(self, rel: str, title: str, years: tuple[int, int]) -> int:
        self.releases.append({"file": rel, "title": title, "years": list(years)})
        self.report.files.append(rel)
        return len(self.releases) - 1

    # areas ----------------------------------------------------------------------------------------------
    def area(self, level: str, year: int, *, old_code: str = "", new_code: str = "", name: str = "",
             region_code: str = "", region_name: str = "", file: str = "", line: int = 0) -> _Area:
        level_l = level.strip().lower()
        name = " ".join(name.split())
        if level_l in ("national", "country"):
            key, lev = "E92000001", "national"
            name = "England"
        elif level_l in ("regional", "region", "gor"):
            code = new_code.strip() or REGION_CODES.get(name.lower(), "")
            # the 2011-2017 files give Inner and Outer London London's code: go by the name
            if name.lower() in ("inner london", "outer london"):
                code = REGION_CODES[name.lower()]
            if not code:
                raise BuildError(file, f"unknown region {name!r}", line, "geog_n")
            key, lev = code, "region"
            name = name.title().replace("And The", "and The").replace(" Of ", " of ")
        elif level_l in ("local authority", "la"):
            old = old_code.strip()
            if re.match(r"^\d{3}( / \d{3})+$", old):
                # a service run jointly by councils (the workforce of Kingston and Richmond, of North and
                # West Northamptonshire) is published once for them all: its own area, noted on each member
                key, lev = old, "joint service"
                a = self.areas.get(key) or self.areas.setdefault(key, _Area(key=key, level=lev, old_code=old))
                a.seen(year, new_code.strip(), name)
                a.region_code, a.region_name = region_code.strip(), region_name.strip()
                return a
            if not re.match(r"^\d{3}$", old):
                raise BuildError(file, f"local authority code {old!r} is not a three-digit DfE code", line,
                                 "old_la_code")
            key, lev = old, "local authority"
        else:
            raise BuildError(file, f"unknown geographic level {level!r}", line, "geographic_level")
        found = self.areas.get(key)
        if found is None:
            found = self.areas[key] = _Area(key=key, level=lev, old_code=key if lev == "local authority" else None)
        a = found
        a.seen(year, new_code.strip() or (key if lev != "local authority" else None), name)
        if region_code.strip() and lev == "local authority":
            # London boroughs are filed under Inner or Outer London: their region is London
            rc, rn = region_code.strip(), region_name.strip()
            a.region_code, a.region_name = ("E12000007", "London") if rc.startswith("E13") else (rc, rn)
        return a

    # values ---------------------------------------------------------------------------------------------
    def put(self, area: _Area, measure: str, year: int, value: float | None, code: str | None,
            release: int) -> None:
        if measure not in MEASURE_INDEX:
            raise KeyError(measure)
        k = (area.key, measure, year)
        old = self.values.get(k)
        if old is not None:
            old_end = self.releases[old[2]]["years"][1]
            new_end = self.releases[release]["years"][1]
            keep_old = old_end <= new_end
            if (old[0], old[1]) != (value, code):
                self.report.revisions += 1
                if len(self.report.revision_examples) < 5:
                    self.report.revision_examples.append(
                        f"{measure} {year} {area.key}: {old[0] if old[1] is None else old[1]} "
                        f"({self.releases[old[2]]['file']}) then {value if code is None else code} "
                        f"({self.releases[release]['file']})")
            if keep_old:
                return
        self.values[k] = (value, code, release)
        if value is not None:
            area.first_year = year if area.first_year is None else min(area.first_year, year)
            area.last_year = year if area.last_year is None else max(area.last_year, year)

    # readers --------------------------------------------------------------------------------------------
    def wide(self, rel: str, year: int, title: str, columns: dict[str, str | tuple[str, ...]],
             derived: dict[str, tuple[str, ...]] | None = None, required: tuple[str, ...] = ()) -> None:
        """A 2010-2017 file: one row per area, one column per measure (normalised names)."""
        header, rows = _read_csv(os.path.join(self.raw_dir, rel), rel)
        norm = [_norm(h) for h in header]
        rows = iter(list(rows))
        if any(n.startswith("marplace_") for n in norm):
            rows_l = list(rows)
            norm = _fix_2010_placement_order(norm, rows_l, rel, self.report)
            rows = iter(rows_l)
        pos = {n: i for i, n in enumerate(norm) if n}
        for req in ("geog_l", "geog_c", "geog_n") + required:
            if req not in pos:
                raise BuildError(rel, f"required column {req!r} is missing (header: {', '.join(header)})", 1, req)
        release = self.release(rel, title, (year, year))
        # measure -> positions of the columns summed into it
        plan: dict[str, list[int]] = {}
        for col, measure in columns.items():
            if col in pos:
                for m in ([measure] if isinstance(measure, str) else measure):
                    plan.setdefault(m, []).append(pos[col])
        for measure, parts in (derived or {}).items():
            if measure not in plan and all(p in plan for p in parts):
                plan[measure] = [i for p in parts for i in plan[p]]
        for line, row in rows:
            level = row[pos["geog_l"]]
            new_code = row[pos["new_geog_code"]] if "new_geog_code" in pos else ""
            if not level.strip():
                # 2017 CLA: the Isles of Scilly row has no level; an LA's codes say what it is
                if re.match(r"^E0[6-9]|^E10", new_code.strip()) and re.match(r"^\d{3}$", row[pos["geog_c"]].strip()):
                    level = "LA"
                    self.report.notes.append(f"{rel}:{line}: no geographic level; read as a local authority "
                                             f"from its codes")
                else:
                    raise BuildError(rel, "empty geographic level", line, header[pos["geog_l"]])
            area = self.area(level, year, old_code=row[pos["geog_c"]], new_code=new_code,
                             name=row[pos["geog_n"]], file=rel, line=line)
            for measure, idxs in plan.items():
                total, code = 0.0, None
                for i in idxs:
                    v, c = parse_cell(row[i], rel, line, header[i])
                    if c is not None:
                        self.report.missing[c] += 1
                        code = code or c
                    else:
                        total += v  # type: ignore[operator]
                self.put(area, measure, year, None if code else total, code, release)
                self.report.values += 1

    def tidy(self, rel: str, title: str, mapping: dict[tuple[str, str], str], *, group_col: str = "cla_group",
             char_col: str = "characteristic", number_col: str = "number", population_measure: str | None = None,
             max_year: int | None = None) -> None:
        """A tidy EES file: one row per area, year and characteristic."""
        header, rows = _read_csv(os.path.join(self.raw_dir, rel), rel)
        pos = {h: i for i, h in enumerate(header) if h}
        # the LA columns are needed only by LA rows (the England time series has none): checked per row
        need = ["time_period", "geographic_level", number_col]
        need += [c for c in (group_col, char_col) if c]
        for req in need:
            if req not in pos:
                raise BuildError(rel, f"required column {req!r} is missing", 1, req)
        rows_l = list(rows)
        years = [self._year(r[pos["time_period"]], rel, ln) for ln, r in rows_l]
        release = self.release(rel, title, (min(years), max(years)) if years else (0, 0))
        for (line, row), year in zip(rows_l, years):
            key = (row[pos[group_col]].strip() if group_col else "", row[pos[char_col]].strip() if char_col else "")
            measure = mapping.get(key)
            if measure is None:
                continue
            area = self._row_area(row, pos, year, rel, line)
            v, c = parse_cell(row[pos[number_col]], rel, line, number_col)
            if c is not None:
                self.report.missing[c] += 1
            self.put(area, measure, year, v, c, release)
            self.report.values += 1
            if population_measure and "population_estimate" in pos:
                v, c = parse_cell(row[pos["population_estimate"]], rel, line, "population_estimate")
                self.put(area, population_measure, year, v, c, release)

    def columns(self, rel: str, title: str, mapping: dict[str, str]) -> None:
        """A tidy EES file with one row per area and year and one column per measure."""
        header, rows = _read_csv(os.path.join(self.raw_dir, rel), rel)
        pos = {h: i for i, h in enumerate(header) if h}
        for req in ("time_period", "geographic_level", "old_la_code", "new_la_code", "la_name", *mapping):
            if req not in pos:
                raise BuildError(rel, f"required column {req!r} is missing", 1, req)
        rows_l = list(rows)
        years = [self._year(r[pos["time_period"]], rel, ln) for ln, r in rows_l]
        release = self.release(rel, title, (min(years), max(years)) if years else (0, 0))
        for (line, row), year in zip(rows_l, years):
            area = self._row_area(row, pos, year, rel, line)
            for col, measure in mapping.items():
                v, c = parse_cell(row[pos[col]], rel, line, col)
                if c is not None:
                    self.report.missing[c] += 1
                self.put(area, measure, year, v, c, release)
                self.report.values += 1

    def _row_area(self, row: list[str], pos: dict[str, int], year: int, rel: str, line: int) -> _Area:
        def get(col: str) -> str:
            return row[pos[col]] if col in pos else ""
        level = get("geographic_level")
        name = get("la_name") if level.strip().lower() == "local authority" else get("region_name")
        return self.area(level, year, old_code=get("old_la_code"),
                         new_code=get("new_la_code") if level.strip().lower() == "local authority"
                         else get("region_code"),
                         name=name, region_code=get("region_code"), region_name=get("region_name"),
                         file=rel, line=line)

    @staticmethod
    def _year(text: str, rel: str, line: int) -> int:
        t = text.strip()
        if re.match(r"^\d{4}$", t):
            return int(t)
        if re.match(r"^\d{6}$", t):  # "202223": the financial year ending March 2023
            return int(t[:4]) + 1
        raise BuildError(rel, f"time_period {t!r} is not a year", line, "time_period")

    def statistical_neighbours(self, rel: str, title: str, code_col: str, sn_cols: list[str]) -> None:
        header, rows = _read_csv(os.path.join(self.raw_dir, rel), rel)
        pos = {h: i for i, h in enumerate(header) if h}
        for req in [code_col] + sn_cols:
            if req not in pos:
                raise BuildError(rel, f"required column {req!r} is missing", 1, req)
        self.release(rel, title, (0, 0))
        for line, row in rows:
            code = row[pos[code_col]].strip()
            if not code:
                continue
            if not re.match(r"^\d{3}$", code):
                raise BuildError(rel, f"LA code {code!r} is not a three-digit DfE code", line, code_col)
            neigh = [row[pos[c]].strip() for c in sn_cols if row[pos[c]].strip()]
            for c in neigh:
                if not re.match(r"^\d{3}$", c):
                    raise BuildError(rel, f"neighbour code {c!r} is not a three-digit DfE code", line)
            if code not in self.neighbours or self.neighbours[code][1] != "2025":
                self.neighbours[code] = (neigh, title)


def _fix_2010_placement_order(norm: list[str], rows: list[tuple[int, list[str]]], rel: str,
                              report: BuildReport) -> list[str]:
    """The 2010 stock file heads its placement columns Q1, Q2, A3, ... but fills them in alphabetical order
    of the codes (A3, A4, ..., Z1): England's 39,900 children in "other foster care" (Q2) sit under the
    header R2. Foster care is the largest placement in every year, so the labelling under which Q2 is
    England's largest placement column is the right one; the columns are relabelled when it is the
    alphabetical one (and the report says so)."""
    idx = [i for i, n in enumerate(norm) if n.startswith("marplace_")]
    as_headed = [norm[i] for i in idx]
    alphabetical = sorted(as_headed)
    if as_headed == alphabetical:
        return norm
    gl = norm.index("geog_l") if "geog_l" in norm else None
    england = next((r for _, r in rows if gl is not None and r[gl].strip().lower() in ("national", "country")),
                   None)
    if england is None:
        return norm

    def value(i: int) -> float:
        t = england[i].strip()
        return float(t) if _NUMBER.match(t) else -1.0
    largest = max(idx, key=value)
    if alphabetical[idx.index(largest)] == "marplace_q2" and as_headed[idx.index(largest)] != "marplace_q2":
        out = list(norm)
        for i, name in zip(idx, alphabetical):
            out[i] = name
        report.notes.append(f"{rel}: placement columns are filled in alphabetical order of their codes, not "
                            f"in the order of their headers; read in alphabetical order (England's largest "
                            f"placement is then other foster care, Q2)")
        return out
    return norm


# --- the files, kind by kind -----------------------------------------------------------------------------

_AGE = {"u1": "under1", "1to4": "1to4", "5to9": "5to9", "10to15": "10to15", "16over": "16over"}

_CLA_COLUMNS: dict[str, str | tuple[str, ...]] = {
    "cla_mar": "cla_31mar", "martotal": "cla_31mar", "cla": "cla_during_year",
    "cla_male": "cla_31mar_male", "cla_female": "cla_31mar_female", "cla_uasc": "cla_31mar_uasc",
    **{f"cla_{k}": f"cla_31mar_age_{v}" for k, v in _AGE.items()},
    "cla_fost": "cla_31mar_placement_foster", "cla_adopt": "cla_31mar_placement_placed_for_adoption",
    "cla_parent": "cla_31mar_placement_with_parents", "cla_ocom": "cla_31mar_placement_other_community",
    "cla_secure": "cla_31mar_placement_secure_homes_hostels", "cla_ores": "cla_31mar_placement_other_residential",
    "cla_rsch": "cla_31mar_placement_residential_school", "cla_miss": "cla_31mar_placement_missing",
    "cla_othpl": "cla_31mar_placement_other",
    "cla_ico": "cla_31mar_legal_interim_care_order", "cla_fco": "cla_31mar_legal_full_care_order",
    "cla_frad": "cla_31mar_legal_freed_for_adoption", "cla_placeo": "cla_31mar_legal_placement_order",
    "cla_s20": "cla_31mar_legal_section20", "cla_yjls": "cla_31mar_legal_youth_justice",
    "cla_cpg": "cla_31mar_legal_child_protection",
    "cla_ownp": "cla_31mar_provider_own", "cla_othla": "cla_31mar_provider_other_la",
    "cla_othpp": "cla_31mar_provider_other_public", "cla_priv": "cla_31mar_provider_private",
    "cla_vol": "cla_31mar_provider_voluntary", "cla_par": "cla_31mar_provider_parent",
    "cla_nrep": "cla_31mar_provider_not_reported",
    # 2010: SSDA903 placement codes, summed into the later releases' groups
    **{f"marplace_{c}": "cla_31mar_placement_foster" for c in ("q1", "q2")},
    **{f"marplace_{c}": "cla_31mar_placement_placed_for_adoption" for c in ("a3", "a4", "a5", "a6")},
    "marplace_p1": "cla_31mar_placement_with_parents",
    **{f"marplace_{c}": "cla_31mar_placement_other_community" for c in ("p2", "p3")},
    **{f"marplace_{c}": "cla_31mar_placement_secure_homes_hostels" for c in ("k1", "k2", "h5")},
    **{f"marplace_{c}": "cla_31mar_placement_other_residential" for c in ("r1", "r2", "r3", "r5")},
    "marplace_s1": "cla_31mar_placement_residential_school",
    **{f"marplace_{c}": "cla_31mar_placement_missing" for c in ("m1", "m2", "m3")},
    "marplace_z1": "cla_31mar_placement_other",
}

_ADM_COLUMNS: dict[str, str | tuple[str, ...]] = {
    "cla_started": "starts", "starttotal": "starts", "scla_male": "starts_male", "scla_female": "starts_female",
    **{f"scla_{k}": f"starts_age_{v}" for k, v in _AGE.items()},
}

_REASON_PARTS: dict[str, tuple[str, ...]] = {
    "adopted": ("cla_ceaadop", "cla_ceaadop1", "cla_ceaadop2", "cea_adop1", "cea_adop2", "ceasedadoptunop",
                "ceasedadoptdisp"),
    "died": ("cla_ceadied", "cea_died", "ceaseddied"),
    "taken_other_la": ("cla_ceataken", "cea_taken", "ceasedanotherla"),
    "returned_home": ("cla_ceapar", "cla_ceaparplan", "cla_ceaparnplan", "cea_parplan", "cea_parnplan",
                      "ceasedhome"),
    "no_parental_responsibility": ("cla_ceanopar", "cea_nopar"),
    "residence_cao": ("cla_cearog", "cea_cao", "ceasedresord"),
    "sgo": ("cla_ceaspecg", "cla_ceaspecg1", "cla_ceaspecg2", "cea_sgo1", "cea_sgo2", "ceasedspeguaform",
            "ceasedspecguaoth"),
    "independent_living": ("cla_ceaindliv", "cla_ceaindliv1", "cla_ceaindliv2", "cea_indliv1", "cea_indliv2",
                           "ceasedindsup", "ceasedindnosup"),
    "adult_care": ("cla_cea_tran_res", "cea_residential", "ceasedaducare"),
    "custody": ("cla_cea_sen_cust", "cea_custody", "ceasedcust"),
    "remand_ended": ("cla_cearemend", "cea_remend"),
    "age_assessment": ("cla_ceaageassmt", "cea_ageassmt"),
    "abroad": ("cla_ceaabroad", "cea_abroad"),
    "other": ("cla_cea_othrea", "cea_other", "ceasedother"),
}


def _cea_columns(header_norm: set[str]) -> tuple[dict[str, str | tuple[str, ...]], dict[str, tuple[str, ...]]]:
    derived: dict[str, tuple[str, ...]]
    cols: dict[str, str | tuple[str, ...]] = {
        "cla_cease": "ceased", "ceasedtotal": "ceased", "cla_ceamal": "ceased_male", "cla_ceafe": "ceased_female",
        "cla_cea1": "ceased_age_under1", "cla_cea14": "ceased_age_1to4", "cla_cea59": "ceased_age_5to9",
        "cla_cea1015": "ceased_age_10to15",
        "cea_u1": "ceased_age_under1", "cea_1to4": "ceased_age_1to4", "cea_5to9": "ceased_age_5to9",
        "cea_10to15": "ceased_age_10to15", "cea_16": "ceased_age_16", "cea_17": "ceased_age_17",
        "cea_18over": "ceased_age_18over",
    }
    cols.update({"cea_male": "ceased_male", "cea_female": "ceased_female"})
    # CLA_cea16 is "16 and over" until 2015 and "16" once CLA_cea17 appears (2016)
    if "cla_cea17" in header_norm:
        cols.update({"cla_cea16": "ceased_age_16", "cla_cea17": "ceased_age_17", "cla_cea18": "ceased_age_18over"})
    else:
        cols["cla_cea16"] = "ceased_age_16over"
    for reason, parts in _REASON_PARTS.items():
        for p in parts:
            cols[p] = f"ceased_reason_{reason}"
    derived = {"ceased_age_16over": ("ceased_age_16", "ceased_age_17", "ceased_age_18over")}
    return cols, derived


_TIDY_STARTS = {("Age group", "Total"): "starts", ("Age group", "Under 1 year"): "starts_age_under1",
                ("Age group", "1 to 4 years"): "starts_age_1to4", ("Age group", "5 to 9 years"): "starts_age_5to9",
                ("Age group", "10 to 15 years"): "starts_age_10to15",
                ("Age group", "16 years and over"): "starts_age_16over",
                ("Gender", "Male"): "starts_male", ("Gender", "Female"): "starts_female"}

_TIDY_REASONS = {
    "Adopted": "adopted", "Died": "died", "Care taken by another local authority": "taken_other_la",
    "Returned home to live with parents or other person with parental responsibility which was part of the "
    "care planning process": "returned_home",
    "Returned home to live with parents or other person with parental responsibility which was not part of "
    "the care planning process": "returned_home",
    "Left care to live with parents, relatives or other person with no parental responsibility":
        "no_parental_responsibility",
    "Residence order or child arrangement order granted": "residence_cao", "Special guardianship orders": "sgo",
    "Moved into independent living (with supportive accommodation)": "independent_living",
    "Moved into independent living (with no formalised support)": "independent_living",
    "Aged 18 (or over) and remained with current carers": "stayed_with_carers_18",
    "Transferred to residential care funded by adult social services": "adult_care",
    "Sentenced to custody": "custody", "Accommodation on remand ended": "remand_ended",
    "Age assessment determined child aged 18 or over": "age_assessment", "Child moved abroad": "abroad",
    "Care ceased for any other reason": "other",
}

_TIDY_CEASED_AGES = {"Total": "ceased", "Under 1 year": "ceased_age_under1", "1 to 4 years": "ceased_age_1to4",
                     "5 to 9 years": "ceased_age_5to9", "10 to 15 years": "ceased_age_10to15",
                     "16 years": "ceased_age_16", "17 years": "ceased_age_17",
                     "18 years and over": "ceased_age_18over"}

_CLA_TITLE = "DfE, Children looked after in England including adoptions, year ending 31 March {year} ({kind})"


def _tidy_ceased(b: _Builder, rel: str, title: str) -> None:
    """Tidy ceased files: reasons with two published rows (planned/unplanned return) are summed."""
    header, rows = _read_csv(os.path.join(b.raw_dir, rel), rel)
    pos = {h: i for i, h in enumerate(header) if h}
    for req in ("time_period", "geographic_level", "old_la_code", "new_la_code", "la_name", "cla_group",
                "characteristic", "number"):
        if req not in pos:
            raise BuildError(rel, f"required column {req!r} is missing", 1, req)
    rows_l = list(rows)
    years = [b._year(r[pos["time_period"]], rel, ln) for ln, r in rows_l]
    release = b.release(rel, title, (min(years), max(years)) if years else (0, 0))
    sums: dict[tuple[str, str, int], tuple[float, str | None]] = {}
    area_of: dict[str, _Area] = {}
    for (line, row), year in zip(rows_l, years):
        group, char = row[pos["cla_group"]].strip(), row[pos["characteristic"]].strip()
        if group == "Age on ceasing" and char in _TIDY_CEASED_AGES:
            measure = _TIDY_CEASED_AGES[char]
        elif group == "Reason episode ceased" and char in _TIDY_REASONS:
            measure = "ceased_reason_" + _TIDY_REASONS[char]
        elif group == "Gender" and char in ("Male", "Female"):
            measure = "ceased_" + char.lower()
        else:
            continue
        area = b._row_area(row, pos, year, rel, line)
        area_of[area.key] = area
        v, c = parse_cell(row[pos["number"]], rel, line, "number")
        if c is not None:
            b.report.missing[c] += 1
        k = (area.key, measure, year)
        total, code = sums.get(k, (0.0, None))
        sums[k] = (total + (v or 0.0), code or c)
    for (key, measure, year), (total, code) in sums.items():
        b.put(area_of[key], measure, year, None if code else total, code, release)
        b.report.values += 1
    # 16 and over from its single years
    for (key, measure, year) in list(sums):
        if measure == "ceased_age_16":
            parts = [sums.get((key, f"ceased_age_{a}", year)) for a in ("16", "17", "18over")]
            if all(p is not None for p in parts):
                code = next((p[1] for p in parts if p and p[1]), None)
                b.put(area_of[key], "ceased_age_16over", year,
                      None if code else sum(p[0] for p in parts if p), code, release)


def build_dataset(raw_dir: str | os.PathLike[str]) -> tuple[dict[str, Any], BuildReport]:
    """Read the published files under ``raw_dir`` and return ``(dataset, report)``.

    ``raw_dir`` has the layout of ``shared/data/dfe_la`` (``cla_2010_2017/YEAR/``,
    ``cla_2018_2022/``, ``eesdash/``). Files of a kind may be absent (a folder
    truncated at a year is the point of the no-look-ahead backtest); a present
    file must be readable and well formed. At least one file giving children
    looked after at 31 March is required.

    Raises
    ------
    BuildError
        Naming the file, line and column of the first problem.
    """
    raw = os.fspath(raw_dir)
    if not os.path.isdir(raw):
        raise BuildError(raw, "not a folder of published files")
    b = _Builder(raw)
    _read_cla_2010_2017(b)
    _read_cla_tidy(b)
    _read_eesdash(b)
    _read_ro3(b)
    if not any(m == "cla_31mar" for (_, m, _) in b.values):
        raise BuildError(raw, "no file giving children looked after at 31 March was found (expected "
                              "cla_2010_2017/YEAR/*CLA*.csv, cla_2018_2022/cla_number_and_rate_per_10k_children_"
                              "2019_2023.csv or eesdash/cla_number_and_rate_per_10k_children.csv)")
    return _assemble(b), b.report


def _find(folder: str, pattern: str) -> list[str]:
    if not os.path.isdir(folder):
        return []
    rx = re.compile(pattern, re.IGNORECASE)
    return sorted(f for f in os.listdir(folder) if rx.search(f) and f.lower().endswith(".csv"))


def _read_cla_2010_2017(b: _Builder) -> None:
    base = os.path.join(b.raw_dir, "cla_2010_2017")
    if not os.path.isdir(base):
        return
    for folder in sorted(os.listdir(base)):
        path = os.path.join(base, folder)
        if not os.path.isdir(path):
            continue
        if not re.match(r"^20(0\d|1\d)$", folder):
            raise BuildError(f"cla_2010_2017/{folder}", "folder name is not a year (expected 2010 ... 2017)")
        year = int(folder)
        files = {
            "CLA": _find(path, r"(^|_)CLA\d{0,4}\.csv$|_March\.csv$"),
            "ADM": _find(path, r"ADM\d{0,4}\.csv$|_Started\.csv$"),
            "CEA": _find(path, r"CEA\d{0,4}\.csv$|_Ceased\.csv$"),
        }
        for kind, names in files.items():
            if len(names) > 1:
                raise BuildError(f"cla_2010_2017/{folder}", f"more than one {kind} file: {', '.join(names)}")
            if not names:
                continue
            rel = f"cla_2010_2017/{folder}/{names[0]}"
            what = {"CLA": "looked after at 31 March", "ADM": "started", "CEA": "ceased"}[kind]
            title = _CLA_TITLE.format(year=year, kind=what)
            if kind == "CLA":
                b.wide(rel, year, title, _CLA_COLUMNS, required=())
                if year == 2010:
                    _population_2010(b, rel)
            elif kind == "ADM":
                b.wide(rel, year, title, _ADM_COLUMNS)
            else:
                header, _ = _read_csv(os.path.join(b.raw_dir, rel), rel)
                cols, derived = _cea_columns({_norm(h) for h in header})
                b.wide(rel, year, title, cols, derived)
        if files["CLA"] and not any(k[1] == "cla_31mar" and k[2] == year for k in b.values):
            raise BuildError(f"cla_2010_2017/{folder}/{files['CLA'][0]}",
                             "no column of children looked after at 31 March (CLA_MarYYYY or MarTotal_YYYY)", 1)


def _population_2010(b: _Builder, rel: str) -> None:
    """The 2010 stock file carries the mid-2009 ONS child population (rounded to 100)."""
    header, rows = _read_csv(os.path.join(b.raw_dir, rel), rel)
    norm = [_norm(h) for h in header]
    if "mid2009pop0_17" not in norm:
        return
    i = norm.index("mid2009pop0_17")
    gl, gc, gn = norm.index("geog_l"), norm.index("geog_c"), norm.index("geog_n")
    release = len(b.releases) - 1
    for line, row in rows:
        area = b.area(row[gl], 2010, old_code=row[gc], name=row[gn], file=rel, line=line)
        v, c = parse_cell(row[i], rel, line, header[i])
        b.put(area, "population_0_17", 2009, v, c, release)


def _read_cla_tidy(b: _Builder) -> None:
    d = "cla_2018_2022"
    rel_title = "DfE, Children looked after in England including adoptions, reporting years {a} to {b} ({kind})"
    f = os.path.join(b.raw_dir, d, "la_cla_who_started_to_be_looked_after.csv")
    if os.path.exists(f):
        b.tidy(f"{d}/la_cla_who_started_to_be_looked_after.csv",
               rel_title.format(a=2018, b=2022, kind="started to be looked after"), _TIDY_STARTS)
    for name, (y0, y1) in (("la_children_who_ceased_during_year.csv", (2018, 2022)),
                           ("la_children_who_ceased_during_the_year_2019_2023.csv", (2019, 2023))):
        if os.path.exists(os.path.join(b.raw_dir, d, name)):
            _tidy_ceased(b, f"{d}/{name}", rel_title.format(a=y0, b=y1, kind="ceased to be looked after"))
    name = "cla_number_and_rate_per_10k_children_2019_2023.csv"
    if os.path.exists(os.path.join(b.raw_dir, d, name)):
        b.tidy(f"{d}/{name}", rel_title.format(a=2019, b=2023, kind="numbers and rates per 10,000"),
               {("", "Children looked after at 31 March each year"): "cla_31mar",
                ("", "Children starting to be looked after each year"): "starts",
                ("", "Children ceasing to be looked after each year"): "ceased"},
               group_col="", char_col="population_count", population_measure="population_0_17_dfe")
    name = "cla_time_series_1994_2023.csv"
    if os.path.exists(os.path.join(b.raw_dir, d, name)):
        b.tidy(f"{d}/{name}", rel_title.format(a=1994, b=2023, kind="England time series"),
               {("", "Children looked after at 31 March"): "cla_31mar",
                ("", "Children starting to be looked after during the year"): "starts",
                ("", "Children ceasing to be looked after during the year"): "ceased"},
               group_col="", char_col="population_count")


def _read_eesdash(b: _Builder) -> None:
    d = "eesdash"

    def has(name: str) -> bool:
        return os.path.exists(os.path.join(b.raw_dir, d, name))

    name = "cla_number_and_rate_per_10k_children.csv"
    if has(name):
        b.tidy(f"{d}/{name}", "DfE, Children looked after in England including adoptions, reporting years "
                              "2021 to 2025 (numbers and rates per 10,000)",
               {("", "Children looked after on 31 March each year"): "cla_31mar",
                ("", "Children starting to be looked after each year"): "starts",
                ("", "Children ceasing to be looked after each year"): "ceased"},
               group_col="", char_col="population_type", number_col="children_count",
               population_measure="population_0_17_dfe")
    name = "ons_mid-year_population_estimates_2012_to_2024.csv"
    if has(name):
        b.columns(f"{d}/{name}", "ONS mid-year population estimates, children aged 0 to 17, mid-2012 to "
                                 "mid-2024 (via DfE Explore Education Statistics)",
                  {"population_estimate": "population_0_17"})
    name = "b1_children_in_need_2013_to_2025.csv"
    if has(name):
        b.columns(f"{d}/{name}", "DfE, Children in need, reporting years 2013 to 2025 (table B1)",
                  {"At31_episodes": "cin_31mar", "Started_child": "cin_starts", "Anypoint_child": "cin_during_year"})
    name = "d5_cpps_at31march_by_duration_2013_to_2025.csv"
    if has(name):
        b.columns(f"{d}/{name}", "DfE, Children in need, reporting years 2013 to 2025 (table D5, child "
                                 "protection plans at 31 March)", {"CPP_At31": "cpp_31mar"})
    name = "csww_indicators_2017_to_2025.csv"
    if has(name):
        b.columns(f"{d}/{name}", "DfE, Children's social work workforce, reporting years 2017 to 2025 "
                                 "(at 30 September)",
                  {"inpost_fte": "sw_fte", "inpost_headcount": "sw_headcount", "starters_fte": "sw_starters_fte",
                   "leavers_fte": "sw_leavers_fte", "turnover_rate_fte": "sw_turnover_rate",
                   "agency_fte": "sw_agency_fte", "agency_rate_fte": "sw_agency_rate",
                   "vacancy_fte": "sw_vacancy_fte", "vacancy_rate_fte": "sw_vacancy_rate",
                   "case_holders_fte": "sw_case_holders_fte", "cases": "sw_cases", "caseload_fte": "sw_caseload",
                   "absence_rate_fte": "sw_absence_rate"})
    name = "sn_model_2025_wide.csv"
    if has(name):
        b.statistical_neighbours(f"{d}/{name}", "2025", "old_la_code", [f"SN_{i}" for i in range(1, 11)])
    name = "New_Statistical_Neighbour_Groupings_April_2021.csv"
    if has(name):
        # columns SN1..SN10 each followed by an unnamed-alike 'SNP' closeness column
        header, _ = _read_csv(os.path.join(b.raw_dir, d, name), f"{d}/{name}")
        b.statistical_neighbours(f"{d}/{name}", "2021", "LA number", [f"SN{i}" for i in range(1, 11)])


#: Published column labels (RO3) of the spend lines, by measure.
_RO3_COLUMNS = {
    "spend_csc_net": "TOTAL CHILDREN SOCIAL CARE - Net Current Expenditure (C7 = C3 - C6)",
    "spend_csc_gross": "TOTAL CHILDREN SOCIAL CARE - Total Expenditure (C3 = C1 + C2)",
    "spend_cla_net": "Children's social care - Children Looked After - Net Current Expenditure (C7 = C3 - C6)",
    "spend_cla_residential_net": "Children's social care - Children Looked After of which residential care - "
                                 "Net Current Expenditure (C7 = C3 - C6)",
    "spend_cla_fostering_net": "Children's social care - Children Looked After of which fostering services - "
                               "Net Current Expenditure (C7 = C3 - C6)",
    "spend_safeguarding_net": "Children's social care: Safeguarding children and young people\u2019s services - "
                              "Net Current Expenditure (C7 = C3 - C6)",
    "spend_family_support_net": "Children's social care - Family Support Services - Net Current Expenditure "
                                "(C7 = C3 - C6)",
    "spend_csc_agency_staff": "TOTAL CHILDREN SOCIAL CARE - Children's Social Care - agency staff cost "
                              "memorandum item",
}
#: RO3 classes of councils with children's social care (unitary, metropolitan, London, county) and England.
_RO3_CLASSES = {"UA", "MD", "LB", "SC", "Eng"}


def _ods_rows(path: str, rel: str, table_prefix: str) -> tuple[str, list[list[str]]]:
    """(table name, rows of cell texts) of the first table whose name starts with ``table_prefix``."""
    import xml.etree.ElementTree as ET
    import zipfile
    t = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
    x = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
    o = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
    try:
        zf = zipfile.ZipFile(path)
        stream = zf.open("content.xml")
    except FileNotFoundError:
        raise BuildError(rel, "file not found") from None
    except (OSError, KeyError, zipfile.BadZipFile) as exc:
        raise BuildError(rel, f"not a readable ODS spreadsheet: {exc}") from None
    rows: list[list[str]] = []
    name, inside, done = "", False, False
    try:
        for event, el in ET.iterparse(stream, events=("start", "end")):
            if event == "start" and el.tag == t + "table" and not done:
                name = el.get(t + "name") or ""
                inside = name.startswith(table_prefix)
            elif event == "end" and el.tag == t + "table-row" and inside:
                row: list[str] = []
                for cell in el:
                    if cell.tag not in (t + "table-cell", t + "covered-table-cell"):
                        continue
                    repeat = min(int(cell.get(t + "number-columns-repeated", "1")), 1024)
                    value = cell.get(o + "value")
                    if value is None:
                        value = "".join("".join(p.itertext()) for p in cell.findall(x + "p"))
                    row.extend([value] * repeat)
                rows.append(row)
                el.clear()
            elif event == "end" and el.tag == t + "table":
                if inside:
                    done, inside = True, False
                el.clear()
    except ET.ParseError as exc:
        raise BuildError(rel, f"not a readable ODS spreadsheet: {exc}") from None
    if not done:
        raise BuildError(rel, f"no sheet named {table_prefix}...")
    return name, rows


def _read_ro3(b: _Builder) -> None:
    """Children's social care spend by council from the MHCLG revenue outturn (RO3), as published (GBP thousand)."""
    d = os.path.join(b.raw_dir, "eesdash")
    if not os.path.isdir(d):
        return
    for f in sorted(os.listdir(d)):
        if not re.match(r"^RO3_.*\.ods$", f):
            continue
        rel = f"eesdash/{f}"
        table, rows = _ods_rows(os.path.join(d, f), rel, "RO3_LA_Data_")
        m = re.search(r"(\d{4})(\d{2})$", table)
        if not m or (int(m.group(1)) + 1) % 100 != int(m.group(2)):
            raise BuildError(rel, f"sheet {table!r} does not end in a financial year like 202425")
        year = int(m.group(1)) + 1
        head = next((i for i, r in enumerate(rows) if r and r[0].strip() == "E-code"), None)
        if head is None:
            raise BuildError(rel, f"sheet {table}: no header row starting 'E-code'")
        header = [h.strip() for h in rows[head]]
        pos = {h: i for i, h in enumerate(header) if h}
        for req in ("ONS Code", "Local authority", "Class", *_RO3_COLUMNS.values()):
            if req not in pos:
                raise BuildError(rel, f"sheet {table}: required column {req!r} is missing", head + 1, req)
        release = b.release(rel, f"MHCLG, Local authority revenue expenditure and financing: revenue outturn "
                                 f"{year - 1}-{year % 100:02d}, social care (RO3)", (year, year))
        by_code: dict[str, _Area] = {}
        for a in b.areas.values():
            for c in a.codes:
                by_code[c] = a
        successors_of = {new: old for old, new in CODE_SUCCESSORS.items()}
        unmatched = []
        for line, row in enumerate(rows[head + 1:], start=head + 2):
            row = row + [""] * (len(header) - len(row))
            cls = row[pos["Class"]].strip()
            if cls not in _RO3_CLASSES:
                continue
            code = row[pos["ONS Code"]].strip()
            if cls != "Eng" and not re.match(r"^E\d{8}$", code):
                continue  # a class subtotal row ("Unitary Authorities (E06)")
            area = (b.areas.get("E92000001") if cls == "Eng" else
                    by_code.get(code) or by_code.get(CODE_SUCCESSORS.get(code, "")) or
                    by_code.get(successors_of.get(code, "")))
            if area is None:
                unmatched.append(f"{row[pos['Local authority']].strip()} ({code})")
                continue
            for measure, col in _RO3_COLUMNS.items():
                text = row[pos[col]].strip()
                if re.match(r"^\[note \d+\]$", text):
                    text = "[note]"
                value, missing = parse_cell(text, rel, line, col)
                if missing is not None:
                    b.report.missing[missing] += 1
                b.put(area, measure, year, value, missing, release)
                b.report.values += 1
        if unmatched:
            b.report.notes.append(f"{rel}: spend rows for authorities not in the children-looked-after tables "
                                  f"left out: {', '.join(unmatched)}")


def _assemble(b: _Builder) -> dict[str, Any]:
    # current nine-character code of each area
    def current(a: _Area) -> str:
        if not a.codes:
            return a.key
        code = max(a.codes.items(), key=lambda kv: (kv[1], kv[0]))[0]
        while code in CODE_SUCCESSORS:
            code = CODE_SUCCESSORS[code]
        return code

    code_of = {key: (key if a.level == "joint service" else current(a)) for key, a in b.areas.items()}
    region_of: dict[str, tuple[str, str]] = {}
    for a in b.areas.values():
        if a.level == "local authority" and a.region_code:
            region_of[a.key] = (a.region_code, a.region_name or "")
    changes: dict[str, list[str]] = {}
    predecessors: dict[str, list[str]] = {}
    successors: dict[str, list[str]] = {}
    for ch in BOUNDARY_CHANGES:
        for old in ch.abolished:
            if old in b.areas:
                changes.setdefault(old, []).append(f"abolished 1 April {ch.year}: {ch.note}; no figures after "
                                                   f"31 March {ch.year} (flows to March {ch.year})")
                successors[old] = [code_of[c] for c in ch.created if c in b.areas]
        for new in ch.created:
            if new in b.areas:
                changes.setdefault(new, []).append(f"created 1 April {ch.year}: {ch.note}; first stock at 31 "
                                                   f"March {ch.year + 1}")
                predecessors[new] = [code_of[c] for c in ch.abolished if c in b.areas]
    areas = []
    order = sorted(b.areas.values(), key=lambda a: ({"national": 0, "region": 1, "joint service": 3}.get(a.level, 2),
                                                    code_of[a.key]))
    for a in order:
        notes = list(changes.get(a.key, []))
        codes = set(a.codes) | ({code_of[a.key]} if a.level == "local authority" else set())
        if len(codes) > 1 and a.level == "local authority":
            seq = sorted(codes, key=lambda c: a.codes.get(c, 10**6))
            notes.append("ONS code changed " + " -> ".join(seq) + " (same council, the series continues)")
        if a.level == "joint service":
            notes.append("figures published jointly for the councils " + ", ".join(a.key.split(" / ")))
        for joint in b.areas.values():
            if joint.level == "joint service" and a.key in joint.key.split(" / "):
                notes.append(f"some figures (the workforce) are published only jointly, under {joint.key!r}")
        name = max(a.names.items(), key=lambda kv: (kv[1], len(kv[0])))[0] if a.names else a.key
        neigh, model = b.neighbours.get(a.key, ([], ""))
        areas.append({
            "code": code_of[a.key], "old_code": a.old_code,
            "codes": sorted(set(a.codes) | ({code_of[a.key]} if a.level == "local authority" else set())),
            "name": name,
            "level": a.level, "region_code": region_of.get(a.key, ("", ""))[0],
            "region": region_of.get(a.key, ("", ""))[1],
            "neighbours": [code_of[n] for n in neigh if n in code_of],
            "neighbour_model": f"DfE children's services statistical neighbours ({model})" if model else "",
            "predecessors": predecessors.get(a.key, []), "successors": successors.get(a.key, []),
            "notes": notes,
        })
    data: dict[str, dict[str, list[list[Any]]]] = {}
    for (key, measure, year), (value, code, release) in sorted(b.values.items()):
        cell: Any = code if code is not None else (int(value) if value is not None and value.is_integer()
                                                    else value)
        data.setdefault(measure, {}).setdefault(code_of[key], []).append([year, cell, release])
    for m in MEASURES:
        data.setdefault(m.name, {})
    return {
        "format": DATASET_FORMAT, "version": DATASET_VERSION,
        "built": _dt.date.today().isoformat(),
        "licence": LICENCE,
        "missing_codes": MISSING_CODES,
        "measures": [{"name": m.name, "label": m.label, "unit": m.unit, "kind": m.kind} for m in MEASURES],
        "releases": b.releases,
        "areas": areas,
        "data": {m.name: data[m.name] for m in MEASURES},
        "reasons": [k for k, _ in CEASED_REASONS],
    }


def write_dataset(dataset: dict[str, Any], path: str | os.PathLike[str]) -> None:
    """Write ``dataset`` as JSON, gzipped when ``path`` ends in ``.gz`` (reproducible bytes)."""
    text = json.dumps(dataset, separators=(",", ":"), sort_keys=False)
    p = os.fspath(path)
    if p.endswith(".gz"):
        with open(p, "wb") as fb, gzip.GzipFile(fileobj=fb, mode="wb", mtime=0, filename="") as gz:
            gz.write(text.encode("utf-8"))
    else:
        with open(p, "w", encoding="utf-8") as ft:
            ft.write(text)
