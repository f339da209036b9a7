"""Read SSDA903 header and episode files into column arrays, validated and stitched.

:func:`read_returns` is the one entry point: point it at a folder of returns
(or a list of files) and it gives a :class:`Returns` - every usable episode
as NumPy column arrays, sorted by child and start date, with the periods of
care stitched together, plus a :class:`~carecast.ssda903.validation.ValidationReport`.
It works in stages: find the files, read each one defensively and parse it
into columns (:mod:`carecast.ssda903.files`); then, below, choose each
file's day/month order and parse its dates (:func:`_parse_file_dates`),
validate the header and episode rows (:func:`_header_dates_of_birth`,
:func:`_check_episodes`, :func:`_check_in_return`), de-duplicate and
resolve overlaps (:func:`_deduplicate`, :func:`_resolve_overlaps`), and
stitch periods of care (:func:`_stitch`).

Files
-----
See :mod:`carecast.ssda903.files`: a folder (every ``*.csv`` with
``header`` or ``episode`` in its name; the UASC table reported as not used;
other tables listed in ``Returns.files_ignored``), one file, or a list;
years from the file name or a ``YEAR`` column; columns matched by name. A
damaged file is a problem in the report (file, line), never an exception,
and the rest of the folder is read; only when no header file or no episodes
file can be used at all does :func:`read_returns` raise ``ValueError``.

Day and month order
-------------------
Each file's slashed dates (in all its date columns together) are read day
first, as the DfE specifies, unless the file itself says otherwise:

* dates only readable month first (``03/15/2019``) and none only readable
  day first: the file is in US order. Every slashed date in it is read month
  first, with a warning on the file that says so.
* both kinds: the file mixes orders. If the minority is at most 5% of the
  dates that tell the orders apart, they are typing errors: refused (errors,
  rows left out) and the rest read in the majority order. Above 5%, every
  date that is unambiguous is read in its only possible order and every
  date that reads validly both ways (``03/04/2019``) is refused as
  ambiguous. Either way the file carries a warning with the counts.
* neither (every day and month at most 12): the file follows the order
  found in the other files of the same returns; if no file tells, day first
  with a note that the order could not be checked.

Decisions
---------
* **The later return wins.** Returns overlap: an episode open on 1 April
  appears again in the next year's return, usually with its end date filled
  in. Episodes are matched on (CHILD, DECOM) and the one from the latest
  return is used (a "note" in the report). An episode from an earlier return
  that overlaps a *different* episode in a later return is superseded too (a
  warning): the later return is the council's corrected history. The same
  rule picks the date of birth when headers disagree (a warning).
* **Collection year.** Return ``Y`` ends on 31 March of ``Y`` or ``Y+1``,
  whichever the data say: if at most 5% of the rows of all returns start
  (or end, allowing a week) after 31 March of their return's ``Y``, every
  return ends on 31 March ``Y``; otherwise on 31 March ``Y+1`` (the sample's
  ``2017`` files run from 1 April 2017 to 31 March 2018). An episode still
  open in its latest return is *censored* at the end of that return's year:
  counted in care to that date, with no exit.
* **Dates outside their return.** A return holds the year it reports, so a
  date after it is mistyped (a DEC in 2090) or from another return. Any
  DECOM or DEC later than today, and a DECOM after the end of its return's
  collection year, is an error (the row is left out). A DEC after the end
  of its return's year but not in the future (the sample has three, each on
  the 1 April after) is repaired with a warning: the episode is read as
  still open in that return, so the child counts in care to the year end and
  the end is taken from a later return if one records it. An episode that
  ended before its return's year began belongs to an earlier return: it is
  kept, with a warning.
* **Short breaks** (legal status ``V3``/``V4``: accommodated under an agreed
  series of short-term breaks) are excluded by default, as the DfE's
  statistics do ("figures exclude children looked after under a series of
  short-term placements": DfE, *Children looked after in England including
  adoptions*, data guidance, 2023); each excluded row is a note and the
  count is ``report.rows_excluded["short_breaks"]``. ``short_breaks="keep"``
  keeps them as ordinary episodes. An episode ending ``X1`` into an excluded
  short break ends its period there, censored (a warning).
* **UASC.** The UASC table (``CHILD``, ``DOB``, ``DUC``: the date each
  unaccompanied asylum-seeking child ceased to be one) is not used: it would
  only split the counts into UASC and others, and the model does not
  separate UASC, who are counted with every other child (their episodes are
  in the episodes file like anyone's). Each such file found is a note, so
  the report says it was seen and why it was not read.
* **Periods of care.** Episodes are chained while the reason ceased is
  ``X1`` and the next episode starts on the end date. A period starts with
  its first episode (an entry to care) and ends with an exit, classified by
  the ``REC`` of its last episode through the taxonomy. A period still open,
  or ending with ``X1`` but with no episode following on that day (a
  warning), is censored: no exit is counted. Time in care is counted from
  the period's first episode in the returns: episodes of a long period that
  closed before the first collection year are not in the data, so such
  periods look younger than they are (use windows well after the first
  return when time in care matters).
* **Eighteen.** Nobody is in care at or after their 18th birthday: an
  episode running past it ends on the birthday (a warning) and the period's
  exit is ``left_care_at_18``; so is any exit on or after the day before the
  18th birthday, whatever its ``REC``. Episodes starting at 18 or over are
  errors.
* **Overlaps within one return** are errors: the later-starting episode is
  left out.
* End dates are exclusive in every count: a child whose episode ends on
  31 March is not in care on 31 March (as in the DfE's "looked after at
  31 March" figures).

Privacy: everything stays in memory; nothing is written. No message,
exception or ``repr`` holds a child's identifier or any cell of a data row
(see :mod:`carecast.ssda903.validation`).

Examples
--------
>>> from carecast.ssda903 import read_returns, sample_returns_path
>>> returns = read_returns(sample_returns_path())
>>> returns.n_children > 0 and returns.report.n_errors >= 0
True
"""
from __future__ import annotations

import datetime as _dt
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from carecast.care.taxonomy import (
    CONTINUATION_REC,
    DEFAULT_TAXONOMY,
    PLACE_PROVIDER_CODES,
    SHORT_BREAK_LEGAL_STATUSES,
    Taxonomy,
)
from carecast.ssda903.dates import (
    INVALID,
    MISSING,
    OPEN,
    add_years,
    age_in_years,
    date_fields,
    days_from_fields,
    describe_bad_date,
    format_date,
    from_ymd,
    to_days,
    value_shape,
    ymd,
)
from carecast.ssda903.files import (
    EPISODE_COLUMNS,
    EPISODE_SPEC,
    HEADER_COLUMNS,
    HEADER_SPEC,
    YEAR_COLUMNS,
    Found,
    Spec,
    Table,
    find_files,
    parse_table,
    read_file,
)
from carecast.ssda903.validation import ValidationError, ValidationReport

__all__ = ["Returns", "read_returns", "sample_returns_path", "EPISODE_COLUMNS", "HEADER_COLUMNS"]

_YEAR_IN_NAME = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
_FOUR_DIGITS = re.compile(r"^[0-9]{4}$")
_CODE_LIKE = re.compile(r"^[A-Z0-9]{1,4}$")
#: The earliest plausible collection year (the SSDA903 began in 1992).
_FIRST_YEAR = 1990
_MIXED_ORDER_TYPO_SHARE = 0.05
_OFFSET_TOLERANCE = 0.05


def sample_returns_path() -> Path:
    """Folder of the synthetic sample returns shipped with carecast (MIT, Social Finance)."""
    from importlib import resources
    return Path(str(resources.files("carecast") / "data" / "ssda903_sample"))


def _show_code(value: str) -> str:
    """A code cell for a message: shown if it looks like a code, else only its length.

    SSDA903 codes are one to four letters and digits; anything else in a code
    column (a shifted row's postcode or identifier) may be personal data.
    """
    value = str(value)
    if _CODE_LIKE.match(value):
        return repr(value)
    return f"a value of {len(value)} characters that is not a code (not shown)"


# ---------------------------------------------------------------- stage 4: dates and years

def _file_order(fields: list, name: str, report: ValidationReport) -> str | None:
    """Day/month order of one file's slashed dates: "dmy", "mdy", "mixed" or None (it does not tell).

    See "Day and month order" in the module notes.
    """
    day_first = sum(int(f.day_first_only().sum()) for f in fields)
    month_first = sum(int(f.month_first_only().sum()) for f in fields)
    if not month_first:
        return "dmy" if day_first else None
    if not day_first:
        report.add(name, 0, "-", "warning",
                   f"dates are month first (MM/DD/YYYY, US order): {month_first} date(s) have a day above "
                   "12 in the second place and none in the first; every slashed date in this file is "
                   "read as MM/DD/YYYY")
        return "mdy"
    total = day_first + month_first
    majority = "dmy" if day_first >= month_first else "mdy"
    minority = min(day_first, month_first)
    if minority <= _MIXED_ORDER_TYPO_SHARE * total:
        report.add(name, 0, "-", "warning",
                   f"the file mixes day/month orders: {minority} of {total} dates that tell the orders apart "
                   f"read only {'month' if majority == 'dmy' else 'day'} first: refused as typing errors; "
                   f"the rest are read {'day' if majority == 'dmy' else 'month'} first")
        return majority
    report.add(name, 0, "-", "warning",
               f"the file mixes day/month orders ({day_first} dates only readable day first, {month_first} "
               "only month first): each unambiguous date is read in its only order and every date that "
               "reads both ways (e.g. 03/04/2019) is refused as ambiguous")
    return "mixed"


def _days_in_order(f, order: str) -> np.ndarray:
    if order != "mixed":
        return days_from_fields(f, order)
    dmy = days_from_fields(f, "dmy", refuse=f.either_order())
    mdy = days_from_fields(f, "mdy")
    return np.where(f.month_first_only(), mdy, dmy)


def _parse_file_dates(tables: list[tuple[Table, Spec, str]], report: ValidationReport) -> None:
    """Stage 4a: choose each file's day/month order and parse its date columns into ``table.dates``."""
    split = [{col: date_fields(t.columns[col]) for col in spec.dates} for t, spec, _ in tables]
    orders = [_file_order(list(f.values()), name, report) for f, (_, _, name) in zip(split, tables)]
    told = [o for o in orders if o in ("dmy", "mdy")]
    default = "mdy" if told and told.count("mdy") > len(told) / 2 else "dmy"
    if not told and any(f.either_order().any() for fs in split for f in fs.values()):
        for _, _, name in tables:
            report.add(name, 0, "-", "note", "no date in these returns has a day above 12: slashed dates "
                       "are read as DD/MM/YYYY (the DfE's order), which could not be checked")
            break
    for (t, _, name), fs, order in zip(tables, split, orders):
        if order is None and default == "mdy" and any(f.either_order().any() for f in fs.values()):
            report.add(name, 0, "-", "warning", "no date in this file tells day from month: read month "
                       "first (MM/DD/YYYY) like the other files of these returns")
        t.dates = {col: _days_in_order(f, order or default) for col, f in fs.items()}
        if order == "mixed":
            t.ambiguous = {col: f.either_order() for col, f in fs.items()}


def _plausible_year(text: np.ndarray) -> np.ndarray:
    """Which cells are four ASCII digits from 1990 to next year (no overflow, no Unicode digits)."""
    last = _dt.date.today().year + 1
    return np.array([bool(_FOUR_DIGITS.match(v)) and _FIRST_YEAR <= int(v) <= last for v in text.tolist()],
                    dtype=bool)


def _years_for(table: Table, name: str, report: ValidationReport) -> None:
    """Stage 4b: the return year of each row (a YEAR column, the file name, or the dates)."""
    for col in YEAR_COLUMNS:
        if col in table.columns:
            raw = np.char.strip(table.columns[col].astype(str))
            distinct, inverse = np.unique(raw, return_inverse=True)
            good = _plausible_year(distinct)
            value = np.array([int(v) if g else 0 for v, g in zip(distinct.tolist(), good)], dtype=np.int64)
            ok = good[inverse]
            for k in np.flatnonzero(~good):
                rows = np.flatnonzero(inverse == k)
                report.add_rows([name] * len(rows), table.line[rows], col, "error",
                                f"not a plausible collection year (four digits, {_FIRST_YEAR} to next year)",
                                [f"its shape is {value_shape(str(distinct[k]))!r}"] * len(rows))
            table.year = np.where(ok, value[inverse], 0).astype(np.int64)
            table.bad = ~ok if table.bad is None else (table.bad | ~ok)
            return
    m = _YEAR_IN_NAME.search(name)
    if m and _FIRST_YEAR <= int(m.group(1)) <= _dt.date.today().year + 1:
        table.year = np.full(len(table), int(m.group(1)), dtype=np.int64)
        return
    if m:
        report.add(name, 0, "-", "warning", f"the year in the file name ({m.group(1)}) is not a plausible "
                   "collection year: the year is taken from the dates instead")
    dates = table.dates.get("DECOM")
    if dates is not None:
        today = to_days(_dt.date.today())
        valid = dates[(dates != MISSING) & (dates != INVALID) & (dates <= today)]
        if len(valid):
            y, mth, _ = ymd(valid.max())
            table.year = np.full(len(table), int(y) - (1 if mth <= 3 else 0), dtype=np.int64)
            return
    table.year = np.zeros(len(table), dtype=np.int64)


def _concat(tables: list[Table], wanted: Sequence[str], dates: Sequence[str]) -> Table:
    columns = {}
    for name in wanted:
        parts = [t.columns.get(name, np.full(len(t), "", dtype="<U1")) for t in tables]
        columns[name] = np.concatenate(parts).astype(str) if parts else np.array([], str)
    parsed = {d: np.concatenate([t.dates[d] for t in tables]) if tables else np.zeros(0, np.int64)
              for d in dates}
    bad = np.concatenate([t.bad if t.bad is not None else np.zeros(len(t), bool) for t in tables]) \
        if tables else np.zeros(0, bool)
    ambiguous = {d: np.concatenate([t.ambiguous.get(d, np.zeros(len(t), bool)) for t in tables])
                 if tables else np.zeros(0, bool) for d in dates}
    return Table(columns,
                  np.concatenate([t.file for t in tables]) if tables else np.zeros(0, np.int32),
                  np.concatenate([t.line for t in tables]) if tables else np.zeros(0, np.int64),
                  np.concatenate([t.year for t in tables]) if tables else np.zeros(0, np.int64),
                  parsed, bad, ambiguous)


@dataclass
class Returns:
    """Validated, de-duplicated SSDA903 episodes as column arrays.

    Every array has one entry per episode, sorted by child then start date.
    Dates are int64 days since 1970-01-01 (see :mod:`carecast.ssda903.dates`).

    Attributes
    ----------
    child : ndarray of str
        CHILD identifier (personal data: kept in memory only).
    child_index : ndarray of int64
        0..n_children-1, one number per child.
    dob, decom, end : ndarray of int64
        Date of birth, episode start, and exclusive end used in every count
        (the recorded DEC, or the censoring date of an open episode, capped
        at the 18th birthday).
    dec_recorded : ndarray of bool
        Whether DEC was recorded (False = open in its latest return).
    place, provider, rec : ndarray of str
        SSDA903 codes as recorded.
    placement : ndarray of int64
        Index into ``taxonomy.placements``.
    period : ndarray of int64
        Period-of-care number (0..n_periods-1); ``period_start`` its first day.
    first_in_period, last_in_period : ndarray of bool
    exit_group : ndarray of int64
        For the last episode of a period, index into ``taxonomy.exit_groups``
        of how the period ended; -1 where the period is censored (still in
        care, or ends unobserved) and for episodes that are not last.
    birthday18 : ndarray of int64
        The child's 18th birthday.
    year, file, line : ndarray
        Return year label, index into ``files`` and line of the source row.
    files : list of str
        Files read (names only).
    files_ignored : list of str
        Other CSV files found in the folder (not needed for the model).
    collection_end : dict
        Return year label -> last day of that collection year (int days).
    data_end : int
        Exclusive end of the data: the day after the last collection year.
    report : ValidationReport
    taxonomy : Taxonomy
    """

    child: np.ndarray
    child_index: np.ndarray
    dob: np.ndarray
    decom: np.ndarray
    end: np.ndarray
    dec_recorded: np.ndarray
    place: np.ndarray
    provider: np.ndarray
    rec: np.ndarray
    placement: np.ndarray
    period: np.ndarray
    period_start: np.ndarray
    first_in_period: np.ndarray
    last_in_period: np.ndarray
    exit_group: np.ndarray
    birthday18: np.ndarray
    year: np.ndarray
    file: np.ndarray
    line: np.ndarray
    files: list[str]
    files_ignored: list[str]
    collection_end: dict[int, int]
    data_end: int
    report: ValidationReport
    taxonomy: Taxonomy = field(default_factory=lambda: DEFAULT_TAXONOMY)

    def __repr__(self) -> str:
        # never the arrays: they hold child identifiers and dates of birth
        years = sorted(self.collection_end)
        span = f"{years[0]}-{years[-1]}" if years else "none"
        return (f"<Returns: {self.n_episodes} episodes, {self.n_periods} periods of care, "
                f"{self.n_children} children; returns {span} from {len(self.files)} files; "
                f"{self.report.n_errors} errors, {self.report.n_warnings} warnings>")

    @property
    def n_episodes(self) -> int:
        return int(len(self.decom))

    @property
    def n_children(self) -> int:
        return int(self.child_index.max() + 1) if len(self.child_index) else 0

    @property
    def n_periods(self) -> int:
        return int(self.period.max() + 1) if len(self.period) else 0

    @property
    def data_start(self) -> int:
        """First day of the earliest collection year (int days).

        Episodes starting earlier are known only if the child was still in
        care then, so counts before this day are incomplete (left-truncated).
        """
        if not self.collection_end:
            return 0
        return int(add_years(np.int64(min(self.collection_end.values())), -1)) + 1

    def age_on(self, date) -> np.ndarray:
        """Completed years of age on ``date`` of each episode's child (one per episode)."""
        return age_in_years(self.dob, np.int64(to_days(date)))

    def in_care_on(self, date) -> np.ndarray:
        """Boolean mask of episodes covering ``date`` (start <= date < end)."""
        d = to_days(date)
        return (self.decom <= d) & (d < self.end)

    def to_pandas(self, *, show_ids: bool = False):
        """The episodes as a pandas DataFrame (needs pandas; in memory only).

        ``CHILD`` identifiers are replaced by ``child_index`` unless
        ``show_ids=True``. Dates are ``datetime64[D]`` (``end`` is exclusive).
        """
        import pandas as pd
        cols = {
            "child_index": self.child_index, "dob": self.dob.astype("datetime64[D]"),
            "decom": self.decom.astype("datetime64[D]"), "end": self.end.astype("datetime64[D]"),
            "dec_recorded": self.dec_recorded, "place": self.place, "provider": self.provider,
            "rec": self.rec, "placement": np.array(self.taxonomy.placements)[self.placement],
            "period": self.period, "period_start": self.period_start.astype("datetime64[D]"),
            "exit_group": np.where(self.exit_group >= 0,
                                   np.array(self.taxonomy.exit_groups + ("",))[self.exit_group], ""),
            "year": self.year,
        }
        if show_ids:
            cols = {"CHILD": self.child, **cols}
        return pd.DataFrame(cols)

    def summary_dates(self) -> str:
        """First and last day of the collection years, as text."""
        return f"{format_date(self.data_start)} to {format_date(self.data_end - 1)}"




# ---------------------------------------------------------------- stage 5: validate rows

def _bad_dates(values: np.ndarray, raw: np.ndarray, column: str, table: Table, files, child,
               report: ValidationReport, required: bool) -> np.ndarray:
    """Report invalid (and, if required, missing) dates; the mask of those rows.

    The detail says why a date is not a date, never what the cell held.
    """
    invalid = values == INVALID
    ambiguous = table.ambiguous.get(column, np.zeros(len(values), bool)) & invalid
    names = np.array(files, dtype=object)
    rows = np.flatnonzero(invalid & ~ambiguous)
    if len(rows):
        cache: dict[str, str] = {}
        details = [cache.setdefault(str(raw[i]), describe_bad_date(str(raw[i]))) for i in rows]
        report.add_rows(names[table.file[rows]], table.line[rows], column, "error", "not a valid date",
                        details, child[rows])
    rows = np.flatnonzero(ambiguous)
    report.add_rows(names[table.file[rows]], table.line[rows], column, "error",
                    "ambiguous date (valid both day first and month first) in a file that mixes the orders",
                    None, child[rows])
    if required:
        rows = np.flatnonzero(values == MISSING)
        report.add_rows(names[table.file[rows]], table.line[rows], column, "error", "date missing", None,
                        child[rows])
        return invalid | (values == MISSING)
    return invalid


def _report_rows(report: ValidationReport, mask: np.ndarray, table: Table, files, column: str,
                 severity: str, reason: str, details=None, child=None) -> None:
    rows = np.flatnonzero(mask)
    if not len(rows):
        return
    names = np.array(files, dtype=object)
    d = None if details is None else [details(i) if callable(details) else details[i] for i in rows]
    c = None if child is None else child[rows]
    report.add_rows(names[table.file[rows]], table.line[rows], column, severity, reason, d, c)


def _header_dates_of_birth(head: Table, files: list[str], report: ValidationReport
                           ) -> tuple[np.ndarray, np.ndarray, int]:
    """One date of birth per child, the latest return winning; and the header rows refused."""
    hchild = head.columns["CHILD"]
    hdob = head.dates["DOB"]
    hbad = _bad_dates(hdob, head.columns["DOB"], "DOB", head, files, hchild, report, required=True)
    no_child = hchild == ""
    _report_rows(report, no_child, head, files, "CHILD", "error", "CHILD missing")
    hbad |= no_child | head.bad
    hkeep = np.flatnonzero(~hbad)
    order = hkeep[np.lexsort((head.line[hkeep], head.file[hkeep], head.year[hkeep], hchild[hkeep]))]
    hc = hchild[order]
    last = np.ones(len(order), dtype=bool)
    last[:-1] = hc[1:] != hc[:-1]
    differs = np.zeros(len(head), dtype=bool)
    differs[order] = ~last & (hdob[order] != np.roll(hdob[order], -1))
    _report_rows(report, differs, head, files, "DOB", "warning",
                 "date of birth differs in a later return: the later one is used", child=hchild)
    return hc[last], hdob[order][last], int(hbad.sum())


@dataclass
class _Episodes:
    """Episode rows with their parsed values and what the checks found."""

    table: Table
    child: np.ndarray
    decom: np.ndarray
    dec: np.ndarray
    has_dec: np.ndarray
    place: np.ndarray
    provider: np.ndarray
    rec: np.ndarray
    dob: np.ndarray
    bday18: np.ndarray
    bad: np.ndarray        # errors: left out
    excluded: np.ndarray   # short breaks: left out by design


def _short_breaks(epi: Table, files, etables_without_ls: list[str], report: ValidationReport,
                  short_breaks: str) -> np.ndarray:
    """Rows under an agreed series of short breaks (LS V3/V4), excluded unless ``short_breaks="keep"``."""
    if short_breaks == "keep":
        return np.zeros(len(epi), dtype=bool)
    for name in etables_without_ls:
        report.add(name, 1, "LS", "note", "no LS (legal status) column: short-break episodes (V3/V4) "
                   "cannot be told apart and are counted like any other")
    ls = epi.columns["LS"]
    excluded = np.isin(ls, np.array(sorted(SHORT_BREAK_LEGAL_STATUSES), dtype=str))
    _report_rows(report, excluded, epi, files, "LS", "note",
                 "short-break episode (legal status V3/V4): excluded, as in the DfE's statistics",
                 child=epi.columns["CHILD"])
    return excluded


def _check_episodes(epi: Table, files: list[str], header_child: np.ndarray, header_dob: np.ndarray,
                    taxonomy: Taxonomy, excluded: np.ndarray, report: ValidationReport) -> _Episodes:
    """Row checks: dates, codes, a date of birth, age at the start (errors leave the row out)."""
    child = epi.columns["CHILD"]
    place, provider, rec = epi.columns["PLACE"], epi.columns["PLACE_PROVIDER"], epi.columns["REC"]
    decom, dec = epi.dates["DECOM"], epi.dates["DEC"]
    n = len(child)
    keep = ~excluded
    # rows already excluded are not checked (nor reported): their dates are masked as valid or blank
    bad = _bad_dates(np.where(keep, decom, 0), epi.columns["DECOM"], "DECOM", epi, files, child, report,
                     required=True)
    bad |= _bad_dates(np.where(keep, dec, MISSING), epi.columns["DEC"], "DEC", epi, files, child, report,
                      required=False)
    no_child = keep & (child == "")
    _report_rows(report, no_child, epi, files, "CHILD", "error", "CHILD missing")
    bad |= no_child | (epi.bad & keep)
    has_dec = (dec != MISSING) & (dec != INVALID)
    backwards = keep & ~bad & has_dec & (dec < decom)
    def gap(i):
        return f"it ends {int(decom[i] - dec[i])} day(s) before it starts"
    _report_rows(report, backwards, epi, files, "DEC", "error", "episode ends before it starts", gap, child)
    bad |= backwards
    def shown_place(i):
        return _show_code(place[i])
    unknown_place = keep & ~np.isin(place, np.array(list(taxonomy.place_map), dtype=str))
    _report_rows(report, unknown_place, epi, files, "PLACE", "error", "unknown placement type code",
                 shown_place, child)
    bad |= unknown_place
    rec_known = np.isin(rec, np.array(list(taxonomy.rec_map) + [CONTINUATION_REC], dtype=str))
    bad_rec = keep & has_dec & ~rec_known
    _report_rows(report, bad_rec & (rec == ""), epi, files, "REC", "error",
                 "reason episode ceased missing for an episode with an end date", child=child)
    def shown_rec(i):
        return _show_code(rec[i])
    _report_rows(report, bad_rec & (rec != ""), epi, files, "REC", "error",
                 "unknown reason episode ceased code", shown_rec, child)
    bad |= bad_rec
    # date of birth from the header
    pos = np.searchsorted(header_child, child)
    pos_c = np.minimum(pos, max(len(header_child) - 1, 0))
    has_dob = (header_child[pos_c] == child) if len(header_child) else np.zeros(n, dtype=bool)
    dob = np.where(has_dob, header_dob[pos_c] if len(header_child) else MISSING, MISSING)
    _report_rows(report, keep & ~has_dob & ~no_child, epi, files, "CHILD", "error",
                 "no date of birth: child not in any header file (or its DOB is unusable)", child=child)
    bad |= keep & ~has_dob
    bday18 = add_years(np.where(has_dob, dob, 0), np.full(n, 18))
    before_birth = keep & has_dob & ~bad & (decom < dob)
    _report_rows(report, before_birth, epi, files, "DECOM", "error", "episode starts before the date of birth",
                 child=child)
    bad |= before_birth
    adult = keep & has_dob & ~bad & (decom >= bday18)
    _report_rows(report, adult, epi, files, "DECOM", "error", "episode starts at age 18 or over", child=child)
    bad |= adult
    return _Episodes(epi, child, decom, dec, has_dec, place, provider, rec, dob, bday18, bad & keep, excluded)


def _collection_years(ep: _Episodes, report: ValidationReport) -> dict[int, int]:
    """Last day of each return's collection year (see "Collection year" in the module notes)."""
    ok = ~ep.bad & ~ep.excluded
    year = ep.table.year
    years = np.unique(year[ok])
    if not len(years):
        return {}
    end0 = from_ymd(year, np.full(len(year), 3), np.full(len(year), 31))
    late = ok & ((ep.decom > end0) | (ep.has_dec & (ep.dec - 7 > end0)))
    offset = 0 if late.sum() <= _OFFSET_TOLERANCE * ok.sum() else 1
    return {int(y): int(from_ymd(np.array([y + offset]), np.array([3]), np.array([31]))[0]) for y in years}


def _check_in_return(ep: _Episodes, collection_end: dict[int, int], files: list[str],
                     report: ValidationReport) -> None:
    """Dates outside the row's return (see "Dates outside their return" in the module notes).

    A DECOM or DEC after today, or a DECOM after the end of the return's
    collection year, is an error (the row is left out). A DEC after the end
    of the return's year (but not after today) is repaired: the episode is
    read as still open in that return, so it is censored at the year end
    unless a later return records how it ended (a warning).
    """
    ok = ~ep.bad & ~ep.excluded
    if not ok.any():
        return
    year = ep.table.year
    uniq = np.unique(year)
    ends = np.array([collection_end.get(int(y), OPEN) for y in uniq], dtype=np.int64)
    end = ends[np.searchsorted(uniq, year)]
    today = to_days(_dt.date.today())
    future = ok & ((ep.decom > today) | (ep.has_dec & (ep.dec > today)))
    _report_rows(report, future, ep.table, files, "DECOM", "error",
                 "date in the future (DECOM or DEC after today)", child=ep.child)
    ok &= ~future
    late_start = ok & (ep.decom > end)
    late_end = ok & ~late_start & ep.has_dec & (ep.dec > end)

    def detail(i):
        return f"the return ends {format_date(end[i])}"
    _report_rows(report, late_start, ep.table, files, "DECOM", "error",
                 "episode starts after the end of its return's collection year", detail, ep.child)
    _report_rows(report, late_end, ep.table, files, "DEC", "warning",
                 "episode ends after the end of its return's collection year: read as still open in this "
                 "return (censored at its end unless a later return records the end)", detail, ep.child)
    year_start = add_years(end, -1) + 1
    early_end = ok & ~late_start & ~late_end & ep.has_dec & (ep.dec < year_start)

    def began(i):
        return f"the return begins {format_date(year_start[i])}"
    _report_rows(report, early_end, ep.table, files, "DEC", "warning",
                 "episode ended before its return's collection year began (it belongs to an earlier "
                 "return): kept", began, ep.child)
    ep.bad |= future | late_start
    ep.has_dec[late_end] = False
    ep.rec[late_end] = ""


# ---------------------------------------------------------------- stage 6: de-duplicate and resolve overlaps

def _deduplicate(ep: _Episodes, files: list[str], report: ValidationReport) -> np.ndarray:
    """Rows kept after matching episodes on (CHILD, DECOM): the later return (then line) wins."""
    epi, child, decom = ep.table, ep.child, ep.decom
    keep = np.flatnonzero(~ep.bad & ~ep.excluded)
    order = keep[np.lexsort((epi.line[keep], epi.file[keep], epi.year[keep], decom[keep], child[keep]))]
    same_next = np.zeros(len(order), dtype=bool)
    if len(order) > 1:
        same_next[:-1] = (child[order][1:] == child[order][:-1]) & (decom[order][1:] == decom[order][:-1])
    first_of_pair = np.flatnonzero(same_next)
    i_rows, j_rows = order[first_of_pair], order[first_of_pair + 1]
    other_year = epi.year[i_rows] != epi.year[j_rows]
    identical = ((ep.place[i_rows] == ep.place[j_rows]) & (ep.provider[i_rows] == ep.provider[j_rows])
                 & (ep.dec[i_rows] == ep.dec[j_rows]) & (ep.rec[i_rows] == ep.rec[j_rows]))
    file_names = np.array(files, dtype=object)
    for mask, column, severity, reason in (
            (other_year, "-", "note", "episode repeated in a later return: the later return is used"),
            (~other_year & identical, "-", "note", "duplicate row"),
            (~other_year & ~identical, "DECOM", "warning",
             "another episode starts the same day in the same return: the later line is used")):
        i, j = i_rows[mask], j_rows[mask]
        report.add_rows(file_names[epi.file[i]], epi.line[i], column, severity, reason,
                        [f"{f}:{l}" for f, l in zip(file_names[epi.file[j]], epi.line[j])], child[i])
    return order[~same_next]


def _resolve_overlaps(ep: _Episodes, rows: np.ndarray, files: list[str], report: ValidationReport
                      ) -> tuple[np.ndarray, int]:
    """Rows kept once overlapping episodes of one child are resolved; and the rows refused as errors."""
    epi, child = ep.table, ep.child
    end_or_open = np.where(ep.has_dec, ep.dec, OPEN)
    refused = 0
    while True:
        c, s, e = child[rows], ep.decom[rows], end_or_open[rows]
        clash = np.zeros(len(rows), dtype=bool)
        if len(rows) > 1:
            clash[1:] = (c[1:] == c[:-1]) & (s[1:] < e[:-1])
        ks = np.flatnonzero(clash)
        if not len(ks):
            return rows, refused
        drop = np.zeros(len(rows), dtype=bool)
        taken = np.zeros(len(rows), dtype=bool)
        for k in ks:
            if taken[k - 1] or taken[k]:
                continue  # resolve pairs one at a time; the next pass sees the rest
            i, j = rows[k - 1], rows[k]
            if epi.year[i] < epi.year[j]:
                loser, winner, sev, why = k - 1, j, "warning", "superseded by a different episode in a later return"
            elif epi.year[i] > epi.year[j]:
                loser, winner, sev, why = k, i, "warning", "superseded by a different episode in a later return"
            else:
                loser, winner, sev, why = k, i, "error", "overlaps an earlier episode of the same child"
                refused += 1
            drop[loser] = True
            taken[k - 1] = taken[k] = True
            li = rows[loser]
            report.add(files[epi.file[li]], int(epi.line[li]), "DECOM", sev, why,
                       f"{files[epi.file[winner]]}:{epi.line[winner]}", child[li])
        rows = rows[~drop]


# ---------------------------------------------------------------- stage 7: censor, classify, stitch

def _placements(ep: _Episodes, rows: np.ndarray, kept: Table, files: list[str], taxonomy: Taxonomy,
                report: ValidationReport) -> np.ndarray:
    """Placement type of each kept episode; U4-U6 need a provider (warnings where it is unusable)."""
    r_child, r_place, r_provider = ep.child[rows], ep.place[rows], ep.provider[rows]
    placement = taxonomy.placement_indices(r_place, r_provider)
    decided = np.array([taxonomy.place_map.get(p, "") is None for p in np.unique(r_place)])
    needs = np.isin(r_place, np.unique(r_place)[decided]) if len(rows) else np.zeros(0, bool)

    def shown_provider(i):
        return _show_code(r_provider[i])
    no_provider = needs & ~np.isin(r_provider, np.array(list(taxonomy.foster_provider_map), dtype=str))
    _report_rows(report, no_provider, kept, files, "PLACE_PROVIDER", "warning",
                 f"foster placement without a usable provider: counted as {taxonomy.unknown_provider_placement}",
                 shown_provider, r_child)
    known_provider = np.array(list(PLACE_PROVIDER_CODES), dtype=str)
    odd_provider = ~needs & (r_provider != "") & ~np.isin(r_provider, known_provider)
    _report_rows(report, odd_provider, kept, files, "PLACE_PROVIDER", "warning",
                 "unknown placement provider code (not needed for this placement type: row kept)",
                 shown_provider, r_child)
    return placement


def _periods(ep: _Episodes, rows: np.ndarray, past18: np.ndarray, kept: Table, files: list[str],
             taxonomy: Taxonomy, report: ValidationReport) -> dict:
    """Chain X1 continuations into periods of care and classify how each period ended."""
    r_child, r_decom, r_b18 = ep.child[rows], ep.decom[rows], ep.bday18[rows]
    r_has_dec, r_dec, r_rec = ep.has_dec[rows], ep.dec[rows], ep.rec[rows]
    m = len(rows)
    linked = np.zeros(m, dtype=bool)
    if m > 1:
        linked[:-1] = ((r_child[1:] == r_child[:-1]) & (r_rec[:-1] == CONTINUATION_REC)
                       & r_has_dec[:-1] & (r_dec[:-1] == r_decom[1:]) & ~past18[:-1])
    first = np.ones(m, dtype=bool)
    first[1:] = ~linked[:-1]
    last = ~linked
    period = np.cumsum(first) - 1
    period_start = r_decom[first][period] if m else np.zeros(0, np.int64)
    exit_group = np.full(m, -1, dtype=np.int64)
    at18 = taxonomy.exit_groups.index("left_care_at_18") if "left_care_at_18" in taxonomy.exit_groups else -1
    observed = last & r_has_dec & (r_rec != CONTINUATION_REC) & ~past18
    exit_group[observed] = taxonomy.exit_indices(r_rec[observed])
    aged_out = last & (past18 | (r_has_dec & (r_dec >= r_b18 - 1) & (r_rec != CONTINUATION_REC)))
    exit_group[aged_out] = at18
    gap = last & r_has_dec & (r_rec == CONTINUATION_REC) & ~past18
    _report_rows(report, gap, kept, files, "REC", "warning",
                 "X1 (continues) but no episode starts on its end date: the period is censored "
                 "there (no exit counted)", child=r_child)
    return dict(period=period.astype(np.int64), period_start=period_start, first_in_period=first,
                last_in_period=last, exit_group=exit_group)


def _stitch(ep: _Episodes, rows: np.ndarray, collection_end: dict[int, int], files: list[str],
            taxonomy: Taxonomy, report: ValidationReport) -> dict:
    """Stage 7: censoring, the 18th birthday, placements and periods of care for the rows kept."""
    epi = ep.table
    yr = epi.year[rows]
    uniq = np.unique(yr)
    censor = np.array([collection_end[int(y)] + 1 for y in uniq], dtype=np.int64)
    censor_at = censor[np.searchsorted(uniq, yr)] if len(rows) else np.zeros(0, np.int64)
    kept = Table({}, epi.file[rows], epi.line[rows], yr)
    r_child, r_b18, r_has_dec, r_rec = ep.child[rows], ep.bday18[rows], ep.has_dec[rows], ep.rec[rows]
    end = np.where(r_has_dec, ep.dec[rows], censor_at)

    def shown_rec(i):
        return _show_code(r_rec[i])
    _report_rows(report, ~r_has_dec & (r_rec != ""), kept, files, "REC", "warning",
                 "reason ceased given for an open episode (no DEC): ignored", shown_rec, r_child)
    past18 = end > r_b18
    _report_rows(report, past18, kept, files, "DEC", "warning",
                 "in care past the 18th birthday: the episode ends on the birthday", child=r_child)
    end = np.minimum(end, r_b18)
    placement = _placements(ep, rows, kept, files, taxonomy, report)
    periods = _periods(ep, rows, past18, kept, files, taxonomy, report)
    _, child_index = np.unique(r_child, return_inverse=True)
    return dict(
        child=r_child, child_index=child_index.astype(np.int64), dob=ep.dob[rows], decom=ep.decom[rows],
        end=end, dec_recorded=r_has_dec, place=ep.place[rows], provider=ep.provider[rows], rec=r_rec,
        placement=placement, birthday18=r_b18, year=yr, file=epi.file[rows], line=epi.line[rows], **periods)


# ---------------------------------------------------------------- the entry point

def _read_tables(found: Found, report: ValidationReport):
    """Stages 2-4 for every file: tables with parsed dates and years, file names, row counts."""
    paths = [(p, HEADER_SPEC) for p in found.headers] + [(p, EPISODE_SPEC) for p in found.episodes]
    files = [p.name for p, _ in paths]
    tables: list[tuple[Table, Spec, str]] = []
    read = {"header": 0, "episodes": 0}
    refused = {"header": 0, "episodes": 0}
    without_ls: list[str] = []
    for index, (path, spec) in enumerate(paths):
        text = read_file(path, report)
        if text is None:
            continue
        table, n_records, n_refused = parse_table(text, spec, path.name, index, report)
        read[spec.table] += n_records
        refused[spec.table] += n_refused if table is not None else n_records
        if table is None:
            continue
        if spec is EPISODE_SPEC and "LS" not in table.columns:
            without_ls.append(path.name)
        tables.append((table, spec, path.name))
    _parse_file_dates(tables, report)
    for table, _, name in tables:
        _years_for(table, name, report)
        if table.bad is None:
            table.bad = np.zeros(len(table), dtype=bool)
    for path in found.uasc:
        report.add(path.name, 0, "-", "note", "UASC table not used: it dates when each unaccompanied "
                   "asylum-seeking child ceased to be one, which would only split the counts; the model does not "
                   "separate UASC, who are counted with every other child")
    htables = [t for t, spec, _ in tables if spec is HEADER_SPEC]
    etables = [t for t, spec, _ in tables if spec is EPISODE_SPEC]
    return htables, etables, files, read, refused, without_ls


def read_returns(source: str | os.PathLike | Iterable[str | os.PathLike], *, strict: bool = False,
                 taxonomy: Taxonomy | None = None, short_breaks: str = "exclude") -> Returns:
    """Read, validate, de-duplicate and stitch SSDA903 returns.

    Parameters
    ----------
    source : path or list of paths
        A folder of returns, one CSV file, or a list of CSV files.
    strict : bool
        If True, any error refuses the data (:class:`ValidationError`, whose
        ``.report`` lists every problem). If False (default) rows with errors
        are left out and listed in ``Returns.report``.
    taxonomy : Taxonomy, optional
        Code maps (default :data:`carecast.care.taxonomy.DEFAULT_TAXONOMY`).
    short_breaks : {"exclude", "keep"}
        Episodes under an agreed series of short breaks (legal status V3,
        V4) are left out by default, as in the DfE's statistics; ``"keep"``
        counts them like any other episode.

    Returns
    -------
    Returns

    Raises
    ------
    ValueError
        Missing folder or files, or no usable header or episodes file (the
        message lists why each was refused; no child-level data).
    ValidationError
        In strict mode, if any row has an error.
    """
    taxonomy = DEFAULT_TAXONOMY if taxonomy is None else taxonomy
    if not isinstance(taxonomy, Taxonomy):
        raise TypeError("taxonomy must be a carecast.care.taxonomy.Taxonomy")
    if short_breaks not in ("exclude", "keep"):
        raise ValueError(f"short_breaks must be 'exclude' or 'keep', got {short_breaks!r}")
    report = ValidationReport()
    found = find_files(source)
    htables, etables, files, read, refused, without_ls = _read_tables(found, report)
    for tables, what in ((etables, "episodes"), (htables, "header")):
        if not tables:
            raise ValueError(f"source: no usable {what} file in {source}:\n{report.to_text()}")
    head = _concat(htables, ("CHILD", "DOB"), ("DOB",))
    epi = _concat(etables, ("CHILD", "DECOM", "PLACE", "PLACE_PROVIDER", "DEC", "REC", "LS"), ("DECOM", "DEC"))
    report.rows_read = dict(read)

    header_child, header_dob, header_refused = _header_dates_of_birth(head, files, report)
    excluded = _short_breaks(epi, files, without_ls, report, short_breaks)
    ep = _check_episodes(epi, files, header_child, header_dob, taxonomy, excluded, report)
    collection_end = _collection_years(ep, report)
    _check_in_return(ep, collection_end, files, report)
    rows = _deduplicate(ep, files, report)
    rows, overlap_refused = _resolve_overlaps(ep, rows, files, report)
    # as before: the collection years are those of the returns with an episode used
    used_years = set(np.unique(epi.year[rows]).tolist())
    collection_end = {y: d for y, d in collection_end.items() if y in used_years}
    data_end = (max(collection_end.values()) + 1) if collection_end else 0
    columns = _stitch(ep, rows, collection_end, files, taxonomy, report)

    report.rows_rejected = {"episodes": refused["episodes"] + int(ep.bad.sum()) + overlap_refused,
                            "header": refused["header"] + header_refused}
    if short_breaks == "exclude":
        report.rows_excluded = {"short_breaks": int(excluded.sum())}
    report.rows_used = {"episodes": int(len(rows)), "header": int(len(header_child))}
    result = Returns(**columns, files=files, files_ignored=[p.name for p in found.ignored],
                     collection_end=collection_end, data_end=int(data_end), report=report, taxonomy=taxonomy)
    if strict and report.n_errors:
        raise ValidationError(report)
    return result
