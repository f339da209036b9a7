"""Data problems found while reading SSDA903 returns, and the report a user reads.

Every row the reader leaves out, and every value it had to change, is one
:class:`Problem` with the file, line (1 = the CSV header line), column and
reason. Nothing is dropped silently.

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
    counted as in-house). Warnings never stop strict mode.
``"note"``
    Bookkeeping the user may want to audit but which is normal in returns:
    an episode repeated in a later return (the later return wins).

Privacy: the report prints counts, files and line numbers, never CHILD
identifiers unless asked (``show_ids=True``).

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
    child: str = ""

    def to_text(self, show_ids: bool = False) -> str:
        who = f" (child {self.child})" if show_ids and self.child else ""
        detail = f": {self.detail}" if self.detail else ""
        return f"{self.file}:{self.line}: {self.severity}: {self.column}: {self.reason}{detail}{who}"


@dataclass
class ValidationReport:
    """All problems found in a set of returns.

    Attributes
    ----------
    problems : list of Problem
    rows_read : dict
        Rows read per table (``"episodes"``, ``"header"``).
    rows_used : dict
        Rows used after validation and de-duplication.
    """

    problems: list[Problem] = field(default_factory=list)
    rows_read: dict[str, int] = field(default_factory=dict)
    rows_used: dict[str, int] = field(default_factory=dict)

    def add(self, file: str, line: int, column: str, severity: str, reason: str,
            detail: str = "", child: str = "") -> None:
        """Record one problem (``reason`` is the kind, ``detail`` the specifics)."""
        if severity not in ("error", "warning", "note"):
            raise ValueError(f"severity must be 'error', 'warning' or 'note', got {severity!r}")
        self.problems.append(Problem(str(file), int(line), column, severity, reason, str(detail),
                                     str(child)))

    def _count(self, severity: str) -> int:
        return sum(1 for p in self.problems if p.severity == severity)

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
        return [p for p in self.problems if p.severity == "error"]

    def counts(self) -> dict[tuple[str, str, str], int]:
        """Problems counted by (severity, column, reason)."""
        return dict(Counter((p.severity, p.column, p.reason) for p in self.problems))

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
        shown = [p for p in self.problems if p.severity != "note"][:max_lines]
        if shown:
            lines.append("  first problems (file:line):")
            lines += ["    " + p.to_text(show_ids) for p in shown]
        if self.rows_read:
            lines.append("  rows read: " + ", ".join(f"{k} {v}" for k, v in self.rows_read.items())
                         + "; rows used: " + ", ".join(f"{k} {v}" for k, v in self.rows_used.items()))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()


class ValidationError(ValueError):
    """Raised in strict mode when the returns contain errors; ``.report`` has them all."""

    def __init__(self, report: ValidationReport):
        self.report = report
        first = report.errors[0].to_text() if report.errors else ""
        super().__init__(f"SSDA903 returns refused in strict mode: {report.n_errors} error(s); "
                         f"first: {first}\n{report.to_text()}")
