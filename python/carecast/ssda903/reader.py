"""Read SSDA903 header and episode files into column arrays, validated and stitched.

:func:`read_returns` is the one entry point: point it at a folder of returns
(or a list of files) and it gives a :class:`Returns` - every usable episode
as NumPy column arrays, sorted by child and start date, with the periods of
care stitched together, plus a :class:`~carecast.ssda903.validation.ValidationReport`.

Files
-----
* A folder: every ``*.csv`` whose name contains ``header`` or ``episode``
  (any case) is read; other SSDA903 tables (``uasc``, ``missing``, ``oc2``,
  ...) are listed in ``Returns.files_ignored``.
* One file per year (the year is the first 4-digit number in the name, e.g.
  ``2017-episodes.csv``), or combined files with a ``YEAR`` column. Without
  either, the year is taken from the latest start date in the file.
* Columns are matched by name, case-insensitively; episodes need ``CHILD``,
  ``DECOM``, ``PLACE``, ``DEC`` and ``REC`` (``PLACE_PROVIDER`` is used when
  present); headers need ``CHILD`` and ``DOB``.
* Dates: ``dd/mm/yyyy`` (DfE) or ISO ``yyyy-mm-dd``; see
  :mod:`carecast.ssda903.dates`.

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
  whichever the data say: for each return the first 31 March on or after its
  latest start date (or end date less a week) is found, and the median offset
  over all returns is used for every return (the sample's ``2017`` files run
  from 1 April 2017 to 31 March 2018). An episode still open in its latest
  return is *censored* at the end of that return's year: counted in care to
  that date, with no exit.
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

Privacy: everything stays in memory; nothing is written.

Examples
--------
>>> from carecast.ssda903 import read_returns, sample_returns_path
>>> returns = read_returns(sample_returns_path())
>>> returns.n_children > 0 and returns.report.n_errors >= 0
True
"""
from __future__ import annotations

import csv
import io
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
    Taxonomy,
)
from carecast.ssda903.dates import (
    INVALID,
    MISSING,
    OPEN,
    add_years,
    age_in_years,
    format_date,
    from_ymd,
    parse_dates,
    to_days,
    ymd,
)
from carecast.ssda903.validation import ValidationError, ValidationReport

__all__ = ["Returns", "read_returns", "sample_returns_path", "EPISODE_COLUMNS", "HEADER_COLUMNS"]

EPISODE_COLUMNS = ("CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC",
                   "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN")
HEADER_COLUMNS = ("CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB")
_EPISODE_REQUIRED = ("CHILD", "DECOM", "PLACE", "DEC", "REC")
_HEADER_REQUIRED = ("CHILD", "DOB")
_YEAR_COLUMNS = ("YEAR", "COLLECTION_YEAR")
_YEAR_IN_NAME = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")


def sample_returns_path() -> Path:
    """Folder of the synthetic sample returns shipped with carecast (MIT, Social Finance)."""
    from importlib import resources
    return Path(str(resources.files("carecast") / "data" / "ssda903_sample"))


@dataclass
class _Table:
    columns: dict[str, np.ndarray]
    file: np.ndarray      # index into the list of files
    line: np.ndarray      # 1-based line number in the file
    year: np.ndarray      # return year label


def _clean(values: tuple, upper: bool, strip: bool) -> tuple | list:
    """Strip (and upper-case) cells, touching only the distinct values that need it."""
    if not (upper or strip):
        return values
    distinct = set(values)
    fix = {v: (v.strip().upper() if upper else v.strip()) for v in distinct}
    if all(k == v for k, v in fix.items()):
        return values
    return [fix[v] for v in values]


def _read_simple(text: str, path: Path, file_index: int, required: Sequence[str], wanted: Sequence[str],
                 codes: Sequence[str]) -> _Table | None:
    """Fast path for the common file: no quotes, no blank lines, every row as wide as the header.

    Returns None when the file is not like that (the general path then reads it).
    """
    if "\r" in text:
        text = text.replace("\r\n", "\n")  # Windows line ends, as most returns have
    if '"' in text or "\r" in text or not text.endswith("\n"):
        return None
    lines = text.split("\n")
    lines.pop()  # after the final newline
    if not lines:
        return None
    names = [h.strip().upper() for h in lines[0].split(",")]
    width = len(names)
    if any(c not in names for c in required) or not all(n for n in names):
        return None
    if any(count != width - 1 for count in map(str.count, lines, [","] * len(lines))):
        return None
    n = len(lines) - 1
    flat = ",".join(lines[1:]).split(",") if n else []
    padded = any(x in text for x in (", ", " ,", "\n ", " \n", "\t")) or text.startswith(" ")
    columns = {}
    for i, name in enumerate(names):
        if name in wanted:
            columns[name] = np.array(_clean(flat[i::width], name in codes, padded), dtype=str) if n \
                else np.array([], dtype=str)
    return _Table(columns, np.full(n, file_index, dtype=np.int32), np.arange(2, n + 2, dtype=np.int64),
                  np.zeros(n, dtype=np.int64))


def _read_csv(path: Path, file_index: int, required: Sequence[str], wanted: Sequence[str],
              codes: Sequence[str], report: ValidationReport, table: str) -> _Table | None:
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            text = fh.read()
    except UnicodeDecodeError:
        # spreadsheets on Windows save CSV as Windows-1252; codes and dates are ASCII either way
        with open(path, newline="", encoding="cp1252", errors="replace") as fh:
            text = fh.read()
        report.add(path.name, 1, "-", "note", "file is not UTF-8: read as Windows-1252")
    fast = _read_simple(text, path, file_index, required, wanted, codes)
    if fast is not None:
        return fast
    if '"' not in text:
        # no quoting at all: splitting on newlines and commas is exact, and twice as fast
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        lines_text = text.split("\n")
        if lines_text and lines_text[-1] == "":
            lines_text.pop()
        rows = [line.split(",") if line else [] for line in lines_text]
        header = rows.pop(0) if rows else None
    else:
        reader = csv.reader(io.StringIO(text))
        header = next(reader, None)
        rows = list(reader)
    if header is None:
        report.add(path.name, 1, "-", "error", f"empty {table} file")
        return None
    names = [h.strip().upper() for h in header]
    missing = [c for c in required if c not in names]
    if missing:
        raise ValueError(f"{path}: {table} file lacks column(s) {missing}; it has {names}")
    width = len(names)
    physical = text.count("\n") + (0 if text.endswith("\n") else 1)
    if physical == len(rows) + 1:
        # every record is one physical line: line numbers follow from positions
        lines = np.arange(2, len(rows) + 2, dtype=np.int64)
    else:
        # quoted line breaks: re-read to get each record's last line number
        reader = csv.reader(io.StringIO(text))
        next(reader)
        lines = np.array([reader.line_num for _ in reader], dtype=np.int64)
    lengths = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
    wrong = np.flatnonzero(lengths != width)
    if len(wrong):
        blank = [k for k in wrong if not any(cell.strip() for cell in rows[k])]
        bad = np.setdiff1d(wrong, np.array(blank, dtype=np.int64))
        report.add_rows([path.name] * len(bad), lines[bad], "-", "error", "wrong number of fields",
                        [f"{lengths[k]} fields, the header has {width}" for k in bad])
        ok = np.ones(len(rows), dtype=bool)
        ok[wrong] = False
        rows = [r for r, good in zip(rows, ok) if good]
        lines = lines[ok]
    n = len(rows)
    columns = {}
    # spaces next to a delimiter are the only way a cell can be padded; skip the work otherwise
    padded = any(x in text for x in (", ", " ,", "\n ", " \n", " \r", "\t", '" ', ' "')) \
        or text.startswith(" ")
    if n:
        cols = list(zip(*rows))
        for i, name in enumerate(names):
            if name in wanted:
                columns[name] = np.array(_clean(cols[i], name in codes, padded), dtype=str)
    else:
        columns = {name: np.array([], dtype=str) for name in names if name in wanted}
    return _Table(columns, np.full(n, file_index, dtype=np.int32), lines, np.zeros(n, dtype=np.int64))


def _concat(tables: list[_Table], wanted: Sequence[str]) -> _Table:
    columns = {}
    for name in wanted:
        parts = [t.columns.get(name, np.full(len(t.file), "", dtype="<U1")) for t in tables]
        columns[name] = np.concatenate(parts).astype(str) if parts else np.array([], str)
    return _Table(columns,
                  np.concatenate([t.file for t in tables]) if tables else np.zeros(0, np.int32),
                  np.concatenate([t.line for t in tables]) if tables else np.zeros(0, np.int64),
                  np.concatenate([t.year for t in tables]) if tables else np.zeros(0, np.int64))


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


def _find_files(source) -> tuple[list[Path], list[Path], list[Path]]:
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if path.is_dir():
            candidates = sorted(p for p in path.iterdir() if p.suffix.lower() == ".csv")
        elif path.is_file():
            candidates = [path]
        else:
            raise ValueError(f"source: no such file or folder: {path}")
    else:
        candidates = [Path(p) for p in source]
        for p in candidates:
            if not p.is_file():
                raise ValueError(f"source: no such file: {p}")
    headers = [p for p in candidates if "header" in p.name.lower()]
    episodes = [p for p in candidates if "episode" in p.name.lower()]
    ignored = [p for p in candidates if p not in headers and p not in episodes]
    if not episodes:
        raise ValueError(f"source: no episodes file (a CSV with 'episode' in its name) in {source}")
    if not headers:
        raise ValueError(f"source: no header file (a CSV with 'header' in its name) in {source}")
    return headers, episodes, ignored


def _years_for(table: _Table, path: Path, fallback_dates: np.ndarray | None) -> np.ndarray:
    for col in _YEAR_COLUMNS:
        if col in table.columns:
            raw = np.char.strip(table.columns[col].astype(str))
            ok = np.char.isdigit(raw)
            if not ok.all():
                bad = int(np.flatnonzero(~ok)[0])
                raise ValueError(f"{path}:{table.line[bad]}: {col} must be a year, got {raw[bad]!r}")
            return raw.astype(np.int64)
    m = _YEAR_IN_NAME.search(path.name)
    if m:
        return np.full(len(table.file), int(m.group(1)), dtype=np.int64)
    if fallback_dates is not None:
        valid = fallback_dates[(fallback_dates != MISSING) & (fallback_dates != INVALID)]
        if len(valid):
            y, mth, _ = ymd(valid.max())
            return np.full(len(table.file), int(y) - (1 if mth <= 3 else 0), dtype=np.int64)
    return np.zeros(len(table.file), dtype=np.int64)


def _march31_on_or_after(days: np.ndarray) -> np.ndarray:
    y, m, d = ymd(days)
    y = np.where((m > 3) | ((m == 3) & (d > 31)), y + 1, y)
    return from_ymd(y, 3, 31)


def _bad_dates(values: np.ndarray, raw: np.ndarray, column: str, table: _Table, files, child,
               report: ValidationReport, required: bool) -> np.ndarray:
    invalid = values == INVALID
    missing = values == MISSING
    for i in np.flatnonzero(invalid):
        report.add(files[table.file[i]], table.line[i], column, "error",
                   "not a valid date", repr(str(raw[i])), child[i])
    if required:
        for i in np.flatnonzero(missing):
            report.add(files[table.file[i]], table.line[i], column, "error", "date missing", child=child[i])
        return invalid | missing
    return invalid


def read_returns(source: str | os.PathLike | Iterable[str | os.PathLike], *, strict: bool = False,
                 taxonomy: Taxonomy | None = None) -> Returns:
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

    Returns
    -------
    Returns

    Raises
    ------
    ValueError
        Missing folder or files, or a file without the required columns.
    ValidationError
        In strict mode, if any row has an error.
    """
    taxonomy = DEFAULT_TAXONOMY if taxonomy is None else taxonomy
    if not isinstance(taxonomy, Taxonomy):
        raise TypeError("taxonomy must be a carecast.care.taxonomy.Taxonomy")
    header_paths, episode_paths, ignored = _find_files(source)
    report = ValidationReport()
    files = [p.name for p in header_paths + episode_paths]

    htables = []
    for i, p in enumerate(header_paths):
        t = _read_csv(p, i, _HEADER_REQUIRED, ("CHILD", "DOB") + _YEAR_COLUMNS, (), report, "header")
        if t is not None:
            t.year = _years_for(t, p, None)
            htables.append(t)
    etables = []
    for j, p in enumerate(episode_paths):
        t = _read_csv(p, len(header_paths) + j, _EPISODE_REQUIRED,
                      ("CHILD", "DECOM", "PLACE", "PLACE_PROVIDER", "DEC", "REC") + _YEAR_COLUMNS,
                      ("PLACE", "PLACE_PROVIDER", "REC"), report, "episodes")
        if t is not None:
            t.year = _years_for(t, p, parse_dates(t.columns["DECOM"]))
            etables.append(t)
    head = _concat(htables, ("CHILD", "DOB"))
    epi = _concat(etables, ("CHILD", "DECOM", "PLACE", "PLACE_PROVIDER", "DEC", "REC"))
    report.rows_read = {"episodes": int(len(epi.file)), "header": int(len(head.file))}

    # ---- header: one date of birth per child, the latest return wins
    hchild = head.columns["CHILD"]
    hdob_raw = head.columns["DOB"]
    hdob = parse_dates(hdob_raw)
    hbad = _bad_dates(hdob, hdob_raw, "DOB", head, files, hchild, report, required=True)
    hbad |= hchild == ""
    for i in np.flatnonzero(hchild == ""):
        report.add(files[head.file[i]], head.line[i], "CHILD", "error", "CHILD missing")
    hkeep = np.flatnonzero(~hbad)
    order = hkeep[np.lexsort((head.line[hkeep], head.file[hkeep], head.year[hkeep], hchild[hkeep]))]
    hc = hchild[order]
    last = np.ones(len(order), dtype=bool)
    last[:-1] = hc[1:] != hc[:-1]
    differs = ~last & (hdob[order] != np.roll(hdob[order], -1))
    for k in np.flatnonzero(differs):
        i = order[k]
        report.add(files[head.file[i]], head.line[i], "DOB", "warning",
                   "date of birth differs in a later return: the later one is used", child=hchild[i])
    header_child = hc[last]
    header_dob = hdob[order][last]

    # ---- episodes: row checks
    child = epi.columns["CHILD"]
    decom_raw, dec_raw = epi.columns["DECOM"], epi.columns["DEC"]
    place = epi.columns["PLACE"]
    provider = epi.columns["PLACE_PROVIDER"]
    rec = epi.columns["REC"]
    decom = parse_dates(decom_raw)
    dec = parse_dates(dec_raw)
    n = len(child)
    where = (epi, files, child)
    bad = _bad_dates(decom, decom_raw, "DECOM", *where, report, required=True)
    bad |= _bad_dates(dec, dec_raw, "DEC", *where, report, required=False)
    no_child = child == ""
    for i in np.flatnonzero(no_child):
        report.add(files[epi.file[i]], epi.line[i], "CHILD", "error", "CHILD missing")
    bad |= no_child
    has_dec = (dec != MISSING) & (dec != INVALID)
    ok_dates = ~bad
    backwards = ok_dates & has_dec & (dec < decom)
    for i in np.flatnonzero(backwards):
        report.add(files[epi.file[i]], epi.line[i], "DEC", "error",
                   "episode ends before it starts", f"{format_date(dec[i])} < {format_date(decom[i])}",
                   child[i])
    bad |= backwards
    # unknown codes
    known_place = np.isin(place, np.array(list(taxonomy.place_map), dtype=str))
    for i in np.flatnonzero(~known_place):
        report.add(files[epi.file[i]], epi.line[i], "PLACE", "error",
                   "unknown placement type code", repr(str(place[i])), child[i])
    bad |= ~known_place
    rec_known = np.isin(rec, np.array(list(taxonomy.rec_map) + [CONTINUATION_REC], dtype=str))
    bad_rec = has_dec & ~rec_known
    for i in np.flatnonzero(bad_rec):
        if rec[i] == "":
            report.add(files[epi.file[i]], epi.line[i], "REC", "error",
                       "reason episode ceased missing for an episode with an end date", child=child[i])
        else:
            report.add(files[epi.file[i]], epi.line[i], "REC", "error",
                       "unknown reason episode ceased code", repr(str(rec[i])), child[i])
    bad |= bad_rec
    # date of birth from the header
    pos = np.searchsorted(header_child, child)
    pos_c = np.minimum(pos, max(len(header_child) - 1, 0))
    has_dob = (len(header_child) > 0) & (header_child[pos_c] == child) if len(header_child) \
        else np.zeros(n, dtype=bool)
    dob = np.where(has_dob, header_dob[pos_c] if len(header_child) else MISSING, MISSING)
    for i in np.flatnonzero(~has_dob & ~no_child):
        report.add(files[epi.file[i]], epi.line[i], "CHILD", "error",
                   "no date of birth: child not in any header file (or its DOB is unusable)",
                   child=child[i])
    bad |= ~has_dob
    safe_dob = np.where(has_dob, dob, 0)
    bday18 = add_years(safe_dob, np.full(n, 18))
    before_birth = has_dob & ~bad & (decom < dob)
    for i in np.flatnonzero(before_birth):
        report.add(files[epi.file[i]], epi.line[i], "DECOM", "error",
                   "episode starts before the date of birth", child=child[i])
    bad |= before_birth
    adult = has_dob & ~bad & (decom >= bday18)
    for i in np.flatnonzero(adult):
        report.add(files[epi.file[i]], epi.line[i], "DECOM", "error",
                   "episode starts at age 18 or over", child=child[i])
    bad |= adult

    # ---- de-duplicate (CHILD, DECOM): the later return wins
    keep = np.flatnonzero(~bad)
    order = keep[np.lexsort((epi.line[keep], epi.file[keep], epi.year[keep], decom[keep], child[keep]))]
    same_next = np.zeros(len(order), dtype=bool)
    if len(order) > 1:
        same_next[:-1] = (child[order][1:] == child[order][:-1]) & (decom[order][1:] == decom[order][:-1])
    first_of_pair = np.flatnonzero(same_next)
    i_rows, j_rows = order[first_of_pair], order[first_of_pair + 1]
    other_year = epi.year[i_rows] != epi.year[j_rows]
    identical = ((place[i_rows] == place[j_rows]) & (provider[i_rows] == provider[j_rows])
                 & (dec[i_rows] == dec[j_rows]) & (rec[i_rows] == rec[j_rows]))
    file_names = np.array(files, dtype=object)
    for mask, column, severity, reason in (
            (other_year, "-", "note", "episode repeated in a later return: the later return is used"),
            (~other_year & identical, "-", "note", "duplicate row"),
            (~other_year & ~identical, "DECOM", "warning",
             "another episode starts the same day in the same return: the later line is used")):
        i, j = i_rows[mask], j_rows[mask]
        report.add_rows(file_names[epi.file[i]], epi.line[i], column, severity, reason,
                        [f"{f}:{l}" for f, l in zip(file_names[epi.file[j]], epi.line[j])], child[i])
    rows = order[~same_next]

    # ---- overlapping episodes of one child
    for _ in range(10_000):
        c, s = child[rows], decom[rows]
        e = np.where(has_dec[rows], dec[rows], OPEN)
        clash = np.zeros(len(rows), dtype=bool)
        if len(rows) > 1:
            clash[1:] = (c[1:] == c[:-1]) & (s[1:] < e[:-1])
        ks = np.flatnonzero(clash)
        if not len(ks):
            break
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
            drop[loser] = True
            taken[k - 1] = taken[k] = True
            li = rows[loser]
            report.add(files[epi.file[li]], epi.line[li], "DECOM", sev, why,
                       f"{files[epi.file[winner]]}:{epi.line[winner]}", child[li])
        rows = rows[~drop]

    # ---- collection years and censoring
    years = np.unique(epi.year[rows]) if len(rows) else np.zeros(0, np.int64)
    collection_end: dict[int, int] = {}
    if len(years):
        # which 31 March ends return Y? Estimate it per return from its latest start date (or
        # end date, allowing a week's slack), then use the median offset from Y for every return
        latest = np.array([max(decom[rows[epi.year[rows] == y]].max(),
                               (dec[rows[(epi.year[rows] == y) & has_dec[rows]]] - 7).max(initial=0))
                           for y in years])
        end_year = ymd(_march31_on_or_after(latest))[0]
        offset = int(np.clip(np.round(np.median(end_year - years)), 0, 1))
        for y in years:
            collection_end[int(y)] = int(from_ymd(np.array([y + offset]), np.array([3]), np.array([31]))[0])
    data_end = (max(collection_end.values()) + 1) if collection_end else 0
    yr = epi.year[rows]
    censor = np.array([collection_end[int(y)] + 1 for y in np.unique(yr)], dtype=np.int64)
    censor_at = censor[np.searchsorted(np.unique(yr), yr)] if len(rows) else np.zeros(0, np.int64)

    r_child, r_decom, r_dob, r_b18 = child[rows], decom[rows], dob[rows], bday18[rows]
    r_has_dec = has_dec[rows]
    r_dec = dec[rows]
    r_rec = rec[rows]
    end = np.where(r_has_dec, r_dec, censor_at)
    open_with_rec = ~r_has_dec & (r_rec != "")
    for k in np.flatnonzero(open_with_rec):
        i = rows[k]
        report.add(files[epi.file[i]], epi.line[i], "REC", "warning",
                   "reason ceased given for an open episode (no DEC): ignored", repr(str(r_rec[k])),
                   child[i])
    past18 = end > r_b18
    for k in np.flatnonzero(past18):
        i = rows[k]
        report.add(files[epi.file[i]], epi.line[i], "DEC", "warning",
                   "in care past the 18th birthday: the episode ends on the birthday", child=child[i])
    end = np.minimum(end, r_b18)

    # ---- placements (U4-U6 need a provider)
    r_place, r_provider = place[rows], provider[rows]
    placement = taxonomy.placement_indices(r_place, r_provider)
    decided = np.array([taxonomy.place_map.get(p, "") is None for p in np.unique(r_place)])
    needs = np.isin(r_place, np.unique(r_place)[decided]) if len(rows) else np.zeros(0, bool)
    no_provider = needs & ~np.isin(r_provider, np.array(list(taxonomy.foster_provider_map), dtype=str))
    for k in np.flatnonzero(no_provider):
        i = rows[k]
        report.add(files[epi.file[i]], epi.line[i], "PLACE_PROVIDER", "warning",
                   f"foster placement without a usable provider: counted as "
                   f"{taxonomy.unknown_provider_placement}", repr(str(r_provider[k])), child[i])
    known_provider = np.array(list(PLACE_PROVIDER_CODES), dtype=str)
    odd_provider = ~needs & (r_provider != "") & ~np.isin(r_provider, known_provider)
    for k in np.flatnonzero(odd_provider):
        i = rows[k]
        report.add(files[epi.file[i]], epi.line[i], "PLACE_PROVIDER", "warning",
                   "unknown placement provider code (not needed for this placement type: row kept)",
                   repr(str(r_provider[k])), child[i])

    # ---- periods of care
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
    for k in np.flatnonzero(gap):
        i = rows[k]
        report.add(files[epi.file[i]], epi.line[i], "REC", "warning",
                   "X1 (continues) but no episode starts on its end date: the period is censored "
                   "there (no exit counted)", child=child[i])

    _, child_index = np.unique(r_child, return_inverse=True)
    report.rows_used = {"episodes": int(m), "header": int(len(header_child))}
    result = Returns(
        child=r_child, child_index=child_index.astype(np.int64), dob=r_dob, decom=r_decom, end=end,
        dec_recorded=r_has_dec, place=r_place, provider=r_provider, rec=r_rec,
        placement=placement, period=period.astype(np.int64), period_start=period_start,
        first_in_period=first, last_in_period=last, exit_group=exit_group, birthday18=r_b18,
        year=yr, file=epi.file[rows], line=epi.line[rows], files=files,
        files_ignored=[p.name for p in ignored], collection_end=collection_end,
        data_end=int(data_end), report=report, taxonomy=taxonomy)
    if strict and report.n_errors:
        raise ValidationError(report)
    return result
