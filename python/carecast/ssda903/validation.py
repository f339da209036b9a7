"""Data problems found while reading SSDA903 returns, and the report a user reads.

Every row the reader leaves out, and every value it had to change, is one
:class:`Problem` with the file, line (1 = the CSV header line; 0 = the file
as a whole, e.g. a file that cannot be opened), column (``-`` when no one
column is at fault) and reason. Nothing is dropped silently.

Severity
--------
``"error"``
    The row cannot be used: malformed or impossible date, episode ending
    before it starts, overlapping episodes for one child, unknown code, no
    date of birth, episode starting at 18 or over. In lenient mode the row
    is left out; in strict mode reading stops with :class:`ValidationError`
    (which carries the whole report).
``"warning"``
    The row is kept with a stated repair (for example an episode running
    past the 18th birthday ends on the birthday, a reason given for an
    open episode is ignored, a foster placement without a provider is
    counted as in-house, an unknown provider code on a placement type that
    does not need one is ignored, an episode from an earlier return is
    superseded by a different one in a later return). Warnings never stop
    strict mode.
``"note"``
    Bookkeeping the user may want to audit but which is normal in returns:
    an episode repeated in a later return (the later return wins).

Privacy: the report prints counts, files and line numbers, never CHILD
identifiers unless asked (``show_ids=True``). Details never repeat a cell
of a data row either: a bad date is described ("no such day or month", or
its shape such as ``'9999/99/99'``), an unknown code is shown only when it
looks like a code (one to four letters and digits), and a file whose
first line is not a header is reported by its number of fields. ``repr``
of a :class:`Problem` leaves the child out.

Examples
--------
>>> r = ValidationReport()
>>> r.add("2019-episodes.csv", 12, "DECOM", "error", "not a valid date", "'31/02/2019'", child="123")
>>> r.n_errors
1
>>> print(r.to_text())  # doctest: +NORMALIZE_WHITESPACE
SSDA903 data problems: 1 error, 0 warnings, 0 notes
  error        1  DECOM: not a valid date
  first problems (file:line):
    2019-episodes.csv:12: error: DECOM: not a valid date: '31/02/2019'
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Problem", "ValidationReport", "ValidationError"]


@dataclass(frozen=True)
class Problem:
    """One problem with one row of one file."""

    file: str
    line: int
    column: str
    severity: str
    reason: str
    detail: str = ""
    child: str = field(default="", repr=False)

    def to_text(self, show_ids: bool = False) -> str:
        who = f" (child {self.child})" if show_ids and self.child else ""
        detail = f": {self.detail}" if self.detail else ""
        return f"{self.file}:{self.line}: {self.severity}: {self.column}: {self.reason}{detail}{who}"


class ValidationReport:
    """All problems found in a set of returns.

    Problems are stored in blocks of rows sharing a kind (severity, column,
    reason), so that a million routine notes cost little; :attr:`problems`
    lists them one by one.

    Attributes
    ----------
    rows_read : dict
        Data rows per table (``"episodes"``, ``"header"``) in the files
        found, including rows that could not be parsed and the rows of files
        that were refused as a whole.
    rows_rejected : dict
        Rows left out for an error (the ``error`` problems, counted once per
        row).
    rows_excluded : dict
        Rows left out by design, not for an error (``"short_breaks"``:
        episodes under an agreed series of short breaks, legal status V3 or
        V4).
    rows_used : dict
        Rows used after validation, exclusions and de-duplication.
    """

    def __init__(self) -> None:
        self._blocks: list[tuple[str, str, str, np.ndarray, np.ndarray, list, list]] = []
        self.rows_read: dict[str, int] = {}
        self.rows_rejected: dict[str, int] = {}
        self.rows_excluded: dict[str, int] = {}
        self.rows_used: dict[str, int] = {}

    def rejected_share(self, table: str = "episodes") -> float:
        """Share of a table's rows left out for errors (0 when nothing was read)."""
        read = self.rows_read.get(table, 0)
        return self.rows_rejected.get(table, 0) / read if read else 0.0

    def add(self, file: str, line: int, column: str, severity: str, reason: str,
            detail: str = "", child: str = "") -> None:
        """Record one problem (``reason`` is the kind, ``detail`` the specifics)."""
        self.add_rows([file], [line], column, severity, reason, [detail], [child])

    def add_rows(self, files, lines, column: str, severity: str, reason: str,
                 details=None, children=None) -> None:
        """Record one kind of problem for many rows at once (arrays or lists of equal length)."""
        if severity not in ("error", "warning", "note"):
            raise ValueError(f"severity must be 'error', 'warning' or 'note', got {severity!r}")
        files = np.asarray(files, dtype=object)
        n = len(files)
        if n == 0:
            return
        lines = np.asarray(lines, dtype=np.int64)
        details = [""] * n if details is None else list(details)
        children = [""] * n if children is None else list(children)
        if not (len(lines) == len(details) == len(children) == n):
            raise ValueError("files, lines, details and children must have the same length")
        self._blocks.append((severity, column, reason, files, lines, details, children))

    @property
    def problems(self) -> list[Problem]:
        """Every problem, one :class:`Problem` per row, in the order found."""
        return [Problem(str(f), int(l), col, sev, reason, str(d), str(c))
                for sev, col, reason, fs, ls, ds, cs in self._blocks
                for f, l, d, c in zip(fs, ls, ds, cs)]

    def _count(self, severity: str) -> int:
        return sum(len(b[3]) for b in self._blocks if b[0] == severity)

    @property
    def n_errors(self) -> int:
        return self._count("error")

    @property
    def n_warnings(self) -> int:
        return self._count("warning")

    @property
    def n_notes(self) -> int:
        return self._count("note")

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"] if self.n_errors else []

    def counts(self) -> dict[tuple[str, str, str], int]:
        """Problems counted by (severity, column, reason)."""
        out: Counter = Counter()
        for sev, col, reason, fs, *_ in self._blocks:
            out[(sev, col, reason)] += len(fs)
        return dict(out)

    def to_text(self, *, show_ids: bool = False, max_lines: int = 20) -> str:
        """A readable report: counts by kind, then the first ``max_lines`` problems.

        Child identifiers are shown only with ``show_ids=True``.
        """
        head = (f"SSDA903 data problems: {self.n_errors} error{'s' * (self.n_errors != 1)}, "
                f"{self.n_warnings} warning{'s' * (self.n_warnings != 1)}, "
                f"{self.n_notes} note{'s' * (self.n_notes != 1)}")
        lines = [head]
        order = {"error": 0, "warning": 1, "note": 2}
        for (sev, col, reason), n in sorted(self.counts().items(),
                                             key=lambda kv: (order[kv[0][0]], -kv[1])):
            lines.append(f"  {sev:<8} {n:>5}  {col}: {reason}")
        shown: list[Problem] = []
        for sev, col, reason, fs, ls, ds, cs in sorted(self._blocks, key=lambda b: order[b[0]]):
            if sev == "note" or len(shown) >= max_lines:
                continue
            for f, l, d, c in zip(fs, ls, ds, cs):
                if len(shown) >= max_lines:
                    break
                shown.append(Problem(str(f), int(l), col, sev, reason, str(d), str(c)))
        if shown:
            lines.append("  first problems (file:line):")
            lines += ["    " + p.to_text(show_ids) for p in shown]
        if self.rows_read:
            parts = [("rows read", self.rows_read), ("left out for errors", self.rows_rejected),
                     ("excluded", self.rows_excluded), ("rows used", self.rows_used)]
            lines.append("  " + "; ".join(f"{label}: " + ", ".join(f"{k} {v}" for k, v in d.items())
                                          for label, d in parts if d))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        return (f"<ValidationReport: {self.n_errors} errors, {self.n_warnings} warnings, "
                f"{self.n_notes} notes>")


class ValidationError(ValueError):
    """Raised in strict mode when the returns contain errors; ``.report`` has them all."""

    def __init__(self, report: ValidationReport):
        self.report = report
        first = report.errors[0].to_text() if report.errors else ""
        super().__init__(f"SSDA903 returns refused in strict mode: {report.n_errors} error(s); "
                         f"first: {first}\n{report.to_text()}")
