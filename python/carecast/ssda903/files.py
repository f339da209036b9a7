"""Read SSDA903 CSV files defensively: find them, read each one, split it into columns.

The first stages of :func:`carecast.ssda903.read_returns`: :func:`find_files`
(which files of a folder are returns), :func:`read_file` (the bytes of one
file as text, or a reported reason why not) and :func:`parse_table` (its
columns as string arrays, with the line of each row). Every problem is added
to the :class:`~carecast.ssda903.validation.ValidationReport` with the file
and line; nothing here raises for a damaged file.

Files
-----
* A folder: every ``*.csv`` whose name contains ``header`` or ``episode``
  (any case) is read; the UASC table (``uasc`` in the name) is reported as
  not used (see below); other SSDA903 tables (``missing``, ``oc2``, ...) are
  listed in ``Returns.files_ignored``.
* One file per year (the year is the first 4-digit number in the name, e.g.
  ``2017-episodes.csv``), or combined files with a ``YEAR`` column. Without
  either, the year is taken from the latest start date in the file. A YEAR
  that is not four digits between 1990 and next year is an error for that
  row only.
* Columns are matched by name, case-insensitively; episodes need ``CHILD``,
  ``DECOM``, ``PLACE``, ``DEC`` and ``REC`` (``PLACE_PROVIDER`` and ``LS``
  are used when present); headers need ``CHILD`` and ``DOB``.
* Dates: ``dd/mm/yyyy`` (DfE) or ISO ``yyyy-mm-dd``; see
  :mod:`carecast.ssda903.dates` and "Day and month order" below.

Damaged files
-------------
A file that cannot be used is a problem in the report (file, line 0 or the
line at fault), never an exception, and the rest of the folder is read:
files that are not regular files (a FIFO, a directory or a device named
like a return: never opened for reading, so never a hang), unreadable files
(permissions), binary files (a zip or Excel workbook saved with a ``.csv``
name, or mostly NUL bytes), files that are not comma-separated, files whose
first line is not a header, files lacking a required column or naming one
twice. Within a file, a line with NUL bytes, a record the CSV parser cannot
read (a quoted field over 131,072 characters, as an unterminated quote
gives) and a row with the wrong number of fields are errors for that line
only: reading resumes on the next line. Only when no header file or no
episodes file can be used at all does :func:`read_returns` raise
``ValueError`` (with those problems in its message).

Privacy: only SSDA903 column names are ever repeated from a file; a first
line that is not a header is described by its number of fields.
"""
from __future__ import annotations

import csv
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from carecast.ssda903.validation import ValidationReport

__all__ = ["EPISODE_COLUMNS", "HEADER_COLUMNS", "YEAR_COLUMNS", "Spec", "Table", "Found", "HEADER_SPEC",
           "EPISODE_SPEC", "find_files", "read_file", "parse_table"]

EPISODE_COLUMNS = ("CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC",
                   "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN")
HEADER_COLUMNS = ("CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB")
YEAR_COLUMNS = ("YEAR", "COLLECTION_YEAR")
_EPISODE_REQUIRED = ("CHILD", "DECOM", "PLACE", "DEC", "REC")
_HEADER_REQUIRED = ("CHILD", "DOB")
#: Column names of the SSDA903 tables: only these are ever repeated from a file's first line.
_KNOWN_COLUMNS = frozenset(EPISODE_COLUMNS + HEADER_COLUMNS + YEAR_COLUMNS + (
    "DUC", "LA", "REVIEW", "REVIEW_CODE", "MIS_START", "MIS_END", "MISSING", "DATE_INT", "DATE_MATCH",
    "DATE_PERM", "PREV_PERM", "LA_PERM", "IN_TOUCH", "ACTIV", "ACCOM"))
#: Files larger than this are refused unread (all England's episodes for 20 years are about 0.2 GB).
MAX_FILE_BYTES = 4_000_000_000


@dataclass(frozen=True)
class Spec:
    """What one kind of table needs: required and wanted columns, code columns, date columns."""

    table: str
    required: tuple[str, ...]
    wanted: tuple[str, ...]
    codes: tuple[str, ...]
    dates: tuple[str, ...]


HEADER_SPEC = Spec("header", _HEADER_REQUIRED, ("CHILD", "DOB") + YEAR_COLUMNS, (), ("DOB",))
EPISODE_SPEC = Spec("episodes", _EPISODE_REQUIRED,
                      ("CHILD", "DECOM", "PLACE", "PLACE_PROVIDER", "DEC", "REC", "LS") + YEAR_COLUMNS,
                      ("PLACE", "PLACE_PROVIDER", "REC", "LS"), ("DECOM", "DEC"))


@dataclass
class Table:
    columns: dict[str, np.ndarray]
    file: np.ndarray      # index into the list of files
    line: np.ndarray      # 1-based line number in the file (where the record starts)
    year: np.ndarray      # return year label
    dates: dict[str, np.ndarray] = field(default_factory=dict)  # parsed date columns (int days)
    bad: np.ndarray | None = None  # rows already refused (e.g. an implausible YEAR)
    ambiguous: dict[str, np.ndarray] = field(default_factory=dict)  # dates refused as ambiguous

    def __len__(self) -> int:
        return len(self.file)


# ---------------------------------------------------------------- stage 1: find the files

@dataclass
class Found:
    headers: list[Path]
    episodes: list[Path]
    uasc: list[Path]
    ignored: list[Path]


def find_files(source) -> Found:
    """The header, episodes and UASC files of ``source`` (a folder, a file or a list of files)."""
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        try:
            mode = os.stat(path).st_mode
        except FileNotFoundError:
            raise ValueError(f"source: no such file or folder: {path}") from None
        except OSError as exc:
            raise ValueError(f"source: cannot be read: {path}: {exc.strerror}") from None
        if stat.S_ISDIR(mode):
            try:
                candidates = sorted(p for p in path.iterdir() if p.suffix.lower() == ".csv")
            except OSError as exc:
                raise ValueError(f"source: cannot list the folder {path}: {exc.strerror}") from None
        elif stat.S_ISREG(mode):
            candidates = [path]
        else:
            raise ValueError(f"source: not a regular file or folder (a FIFO, socket or device): {path}")
    else:
        candidates = [Path(p) for p in source]
        for p in candidates:
            if not os.path.lexists(p):
                raise ValueError(f"source: no such file: {p}")
    headers = [p for p in candidates if "header" in p.name.lower()]
    episodes = [p for p in candidates if "episode" in p.name.lower()]
    uasc = [p for p in candidates if "uasc" in p.name.lower() and p not in headers and p not in episodes]
    ignored = [p for p in candidates if p not in headers and p not in episodes]
    if not episodes:
        raise ValueError(f"source: no episodes file (a CSV with 'episode' in its name) in {source}")
    if not headers:
        raise ValueError(f"source: no header file (a CSV with 'header' in its name) in {source}")
    return Found(headers, episodes, uasc, ignored)


# ---------------------------------------------------------------- stage 2: read one file

def _read_bytes(path: Path, report: ValidationReport) -> bytes | None:
    """The file's bytes, or None (reported) if it is not a readable regular file.

    The file is opened without blocking and checked with ``fstat`` before a
    byte is read, so a FIFO named like a return can never hang the read.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        if not hasattr(os, "O_NONBLOCK") and not stat.S_ISREG(os.stat(path).st_mode):
            raise IsADirectoryError  # no non-blocking open here: check before opening
        fd = os.open(path, flags)
    except IsADirectoryError:
        report.add(path.name, 0, "-", "error", "not a regular file (a folder, FIFO or device): skipped")
        return None
    except OSError as exc:
        report.add(path.name, 0, "-", "error", f"file cannot be read: {exc.strerror or type(exc).__name__}")
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            report.add(path.name, 0, "-", "error", "not a regular file (a folder, FIFO or device): skipped")
            return None
        if info.st_size > MAX_FILE_BYTES:
            report.add(path.name, 0, "-", "error", f"file is {info.st_size / 1e9:.1f} GB, larger than any SSDA903 "
                       f"return (limit {MAX_FILE_BYTES / 1e9:.0f} GB): skipped")
            return None
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return fh.read()
    except OSError as exc:
        report.add(path.name, 0, "-", "error", f"file cannot be read: {exc.strerror or type(exc).__name__}")
        return None
    finally:
        os.close(fd)


def _decode(data: bytes, name: str, report: ValidationReport) -> str | None:
    """Text of a CSV file, or None (reported) if it is not text."""
    if data[:4] == b"PK\x03\x04":
        report.add(name, 0, "-", "error", "not a CSV file: it is a zip archive (an Excel workbook?); "
                   "save it as CSV")
        return None
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        report.add(name, 0, "-", "error", "not a CSV file: it is an Excel 97-2003 workbook (.xls); save it as CSV")
        return None
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            report.add(name, 0, "-", "error", "not a text file: it starts like UTF-16 but does not decode")
            return None
        report.add(name, 0, "-", "note", "file is UTF-16: read as such")
        return text.lstrip("\ufeff")
    nul = data.count(b"\x00")
    if nul and nul > 0.1 * len(data):
        report.add(name, 0, "-", "error", f"not a text file: {nul} of its {len(data)} bytes are NUL "
                   "(binary data?)")
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # spreadsheets on Windows save CSV as Windows-1252; codes and dates are ASCII either way
        report.add(name, 0, "-", "note", "file is not UTF-8: read as Windows-1252")
        return data.decode("cp1252", errors="replace")


def read_file(path: Path, report: ValidationReport) -> str | None:
    """Stage 2: the text of one file, or None with the reason in the report."""
    data = _read_bytes(path, report)
    return None if data is None else _decode(data, path.name, report)


# ---------------------------------------------------------------- stage 3: parse one file

def _clean(values: Sequence[str], upper: bool, strip: bool) -> Sequence[str]:
    """Strip (and upper-case) cells, touching only the distinct values that need it."""
    if not (upper or strip):
        return values
    distinct = set(values)
    fix = {v: (v.strip().upper() if upper else v.strip()) for v in distinct}
    if all(k == v for k, v in fix.items()):
        return values
    return [fix[v] for v in values]


def _split_records(text: str, name: str, report: ValidationReport
                   ) -> tuple[list[str] | None, list[list[str]], np.ndarray, int]:
    """Header, data records, the line each record starts on, and the number of records refused.

    Lines with NUL bytes and records the CSV parser cannot read are reported
    (file and line) and skipped; reading resumes on the next line.
    """
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    refused = 0
    if "\x00" in text:
        damaged = [i for i, line in enumerate(lines) if "\x00" in line]
        if damaged and damaged[0] == 0:
            report.add(name, 1, "-", "error", "the first line has NUL bytes (binary data?): not a header")
            return None, [], np.zeros(0, np.int64), len(lines) - 1
        report.add_rows([name] * len(damaged), [i + 1 for i in damaged], "-", "error",
                        "damaged line: it has NUL bytes (binary data?)")
        refused += len(damaged)
        for i in damaged:
            lines[i] = ""
    if not lines:
        return [], [], np.zeros(0, np.int64), 0
    if '"' not in text:
        # no quoting at all: splitting on newlines and commas is exact, and twice as fast
        rows = [line.split(",") if line else [] for line in lines]
        return rows[0], rows[1:], np.arange(2, len(rows) + 1, dtype=np.int64), refused
    try:
        header = next(csv.reader([lines[0]]), [])
    except csv.Error:
        report.add(name, 1, "-", "error", "the first line cannot be parsed as CSV")
        return None, [], np.zeros(0, np.int64), len(lines) - 1
    body = lines[1:]
    try:
        rows = list(csv.reader(body))
        if len(rows) == len(body):  # every record on one line: line numbers follow from positions
            return header, rows, np.arange(2, len(rows) + 2, dtype=np.int64), refused
    except csv.Error:
        pass
    # quoted line breaks or a record the parser refuses: read record by record, noting where each starts
    out_rows: list[list[str]] = []
    out_lines: list[int] = []
    with_ends = [line + "\n" for line in body]
    # SSDA903 cells never hold a line break, so a record running over several lines is an
    # unterminated quote: refuse its first line and read on from the next one
    pos = 0
    while pos < len(with_ends):
        reader = csv.reader(with_ends[i] for i in range(pos, len(with_ends)))  # lazily: no copy, no skipping
        consumed = 0
        try:
            for row in reader:
                if reader.line_num - consumed > 1:
                    raise csv.Error("spans lines")
                out_rows.append(row)
                out_lines.append(pos + consumed + 2)
                consumed = reader.line_num
            break
        except csv.Error as exc:
            start = pos + consumed
            why = ("a quoted field runs on for more than 131,072 characters (an unterminated quote?)"
                   if "field limit" in str(exc) else
                   "a quoted field runs over more than one line (an unterminated quote?)"
                   if "spans lines" in str(exc) else "the line cannot be parsed as CSV")
            report.add(name, start + 2, "-", "error", why)
            refused += 1
            pos = start + 1
    return header, out_rows, np.array(out_lines, dtype=np.int64), refused


def _check_header(header: list[str] | None, spec: Spec, name: str, n_records: int,
                  report: ValidationReport) -> list[str] | None:
    """Upper-cased column names, or None (reported) if the first line is not a usable header.

    Only names of SSDA903 columns are ever repeated in a message: a file saved
    without its header row has a child's data on its first line.
    """
    if header is None:
        return None  # already reported when the records were split
    if not header or not any(cell.strip() for cell in header):
        report.add(name, 1, "-", "error", f"empty {spec.table} file" if not n_records
                   else "the first line is blank: not a header")
        return None
    names = [h.strip().upper() for h in header]
    if len(names) == 1 and (";" in header[0] or "\t" in header[0]):
        sep = "semicolons" if ";" in header[0] else "tabs"
        report.add(name, 1, "-", "error", f"file is not comma-separated (it uses {sep}): save it as CSV "
                   "with commas")
        return None
    known = [n for n in names if n in _KNOWN_COLUMNS]
    if not known:
        report.add(name, 1, "-", "error",
                   f"the first line is not a header: it has {len(names)} fields; expected a header row "
                   f"naming the columns ({', '.join(spec.required)}, ...)")
        return None
    missing = [c for c in spec.required if c not in names]
    if missing:
        others = len(names) - len(known)
        shown = f"it has {known}" + (f" and {others} other column(s) not shown" if others else "")
        report.add(name, 1, "-", "error", f"{spec.table} file lacks column(s) {missing}; {shown}")
        return None
    repeated = sorted({n for n in known if names.count(n) > 1 and n in spec.wanted})
    if repeated:
        report.add(name, 1, "-", "error", f"{spec.table} file names column(s) {repeated} more than once")
        return None
    return names


def _fast_table(text: str, spec: Spec, file_index: int) -> Table | None:
    """Fast path for the common file: no quotes, no blank lines, every row as wide as the header.

    Returns None when the file is not like that (the general path then reads it).
    """
    if "\r" in text:
        text = text.replace("\r\n", "\n")  # Windows line ends, as most returns have
    if '"' in text or "\r" in text or "\x00" in text or not text.endswith("\n"):
        return None
    lines = text.split("\n")
    lines.pop()  # after the final newline
    if len(lines) < 2:
        return None
    names = [h.strip().upper() for h in lines[0].split(",")]
    width = len(names)
    if any(c not in names for c in spec.required) or not all(n for n in names) \
            or any(names.count(n) > 1 for n in spec.wanted):
        return None
    if any(count != width - 1 for count in map(str.count, lines, [","] * len(lines))):
        return None
    if any(not line.strip(", \t") for line in lines[1:]):
        return None  # rows of bare commas (as spreadsheets export): the general path skips them
    n = len(lines) - 1
    flat = ",".join(lines[1:]).split(",")
    padded = any(x in text for x in (", ", " ,", "\n ", " \n", "\t")) or text.startswith(" ")
    columns = {}
    for i, name in enumerate(names):
        if name in spec.wanted:
            columns[name] = np.array(_clean(flat[i::width], name in spec.codes, padded), dtype=str)
    return Table(columns, np.full(n, file_index, dtype=np.int32), np.arange(2, n + 2, dtype=np.int64),
                  np.zeros(n, dtype=np.int64))


def parse_table(text: str, spec: Spec, name: str, file_index: int,
                 report: ValidationReport) -> tuple[Table | None, int, int]:
    """Stage 3: columns of one file; also its data records and how many were refused."""
    fast = _fast_table(text, spec, file_index)
    if fast is not None:
        return fast, len(fast), 0
    header, rows, lines, refused = _split_records(text, name, report)
    names = _check_header(header, spec, name, len(rows) + refused, report)
    # a row with no value in any cell (a blank line, or bare commas) holds no data: skipped, not an error
    has_data = np.fromiter((any(cell.strip() for cell in r) for r in rows), dtype=bool, count=len(rows))
    if not has_data.all():
        rows = [r for r, good in zip(rows, has_data) if good]
        lines = lines[has_data]
    if names is None:
        # a first line that is not a header is a data row too
        n_lost = len(rows) + refused + int(bool(header and any(cell.strip() for cell in header)))
        return None, n_lost, n_lost
    width = len(names)
    lengths = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
    wrong = np.flatnonzero(lengths != width)
    if len(wrong):
        report.add_rows([name] * len(wrong), lines[wrong], "-", "error", "wrong number of fields",
                        [f"{lengths[k]} fields, the header has {width}" for k in wrong])
        refused += len(wrong)
        ok = np.ones(len(rows), dtype=bool)
        ok[wrong] = False
        rows = [r for r, good in zip(rows, ok) if good]
        lines = lines[ok]
    n = len(rows)
    # spaces next to a delimiter are the only way a cell can be padded; skip the work otherwise
    padded = any(x in text for x in (", ", " ,", "\n ", " \n", " \r", "\t", '" ', ' "')) \
        or text.startswith(" ")
    if n:
        cols = list(zip(*rows))
        columns = {col: np.array(_clean(cols[i], col in spec.codes, padded), dtype=str)
                   for i, col in enumerate(names) if col in spec.wanted}
    else:
        columns = {col: np.array([], dtype=str) for col in names if col in spec.wanted}
    table = Table(columns, np.full(n, file_index, dtype=np.int32), lines, np.zeros(n, dtype=np.int64))
    return table, n + refused, refused
