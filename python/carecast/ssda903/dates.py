"""Vectorised date handling for SSDA903 returns.

Dates are held as ``int64`` days since 1970-01-01 (the integer behind NumPy's
``datetime64[D]``) so that every derived fact is plain integer arithmetic.
A missing date (blank cell) is ``MISSING``; a malformed or impossible date
is ``INVALID`` - both far outside any real date, so a stray comparison can
never treat them as real.

Accepted formats: the DfE's ``dd/mm/yyyy`` and ISO ``yyyy-mm-dd`` (both
fully vectorised), plus unpadded ``d/m/yyyy`` and an ISO date followed by a
time (``yyyy-mm-dd 00:00:00``, as spreadsheets export), parsed row by row.

Examples
--------
>>> import numpy as np
>>> d = parse_dates(np.array(["31/03/2018", "2018-03-31", "", "31/02/2018"]))
>>> bool(d[0] == d[1]), bool(d[2] == MISSING), bool(d[3] == INVALID)
(True, True, True)
>>> format_date(d[0])
'2018-03-31'
"""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass

import numpy as np
import numpy.typing

from carecast.care.calendar import DAYS_PER_YEAR

__all__ = ["MISSING", "INVALID", "OPEN", "parse_dates", "to_days", "format_date",
           "ymd", "from_ymd", "add_years", "age_in_years", "age_fraction", "DateFields", "date_fields",
           "days_from_fields", "describe_bad_date", "value_shape"]

#: Blank cell.
MISSING = np.int64(-(2 ** 62))
#: Malformed or impossible date.
INVALID = np.int64(-(2 ** 62) + 1)
#: End date of an episode still open: later than any real date.
OPEN = np.int64(2 ** 62)

_SLOW = re.compile(r"^\s*(?:(\d{1,2})/(\d{1,2})/(\d{4})|(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?)\s*$")


def from_ymd(year: np.typing.ArrayLike, month: np.typing.ArrayLike, day: np.typing.ArrayLike) -> np.ndarray:
    """Days since 1970-01-01 of (year, month, day) arrays (no range checks)."""
    months = (np.asarray(year, dtype=np.int64) - 1970) * 12 + np.asarray(month, dtype=np.int64) - 1
    first = months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    return first + np.asarray(day, dtype=np.int64) - 1


def ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(year, month, day) arrays of days since 1970-01-01."""
    d = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    months = d.astype("datetime64[M]")
    years = months.astype("datetime64[Y]")
    year = years.astype(np.int64) + 1970
    month = (months - years.astype("datetime64[M]")).astype(np.int64) + 1
    day = (d - months.astype("datetime64[D]")).astype(np.int64) + 1
    return year, month, day


def _days_in_month(year: np.ndarray, month: np.ndarray) -> np.ndarray:
    start = from_ymd(year, month, 1)
    nxt = from_ymd(year + (month == 12), np.where(month == 12, 1, month + 1), 1)
    return nxt - start


def _valid(year, month, day) -> np.ndarray:
    ok = (year >= 1900) & (year <= 2200) & (month >= 1) & (month <= 12) & (day >= 1)
    safe_month = np.where(ok, month, 1)
    safe_year = np.where(ok, year, 2000)
    return ok & (day <= _days_in_month(safe_year, safe_month))


@dataclass
class DateFields:
    """The numbers of each date cell, before a day/month order is chosen.

    ``kind`` is ``SLASHED`` (``a/b/yyyy``), ``ISO`` (``yyyy-mm-dd``),
    ``BLANK`` or ``UNREADABLE``; for slashed cells ``first`` and ``second``
    are ``a`` and ``b`` (day and month in the DfE's order), for ISO cells
    ``first`` is the day and ``second`` the month.
    """

    kind: np.ndarray
    first: np.ndarray
    second: np.ndarray
    year: np.ndarray

    def day_first_only(self) -> np.ndarray:
        """Slashed cells readable only day first (``first`` > 12 >= ``second``)."""
        return (self.kind == SLASHED) & (self.first > 12) & (self.second >= 1) & (self.second <= 12)

    def month_first_only(self) -> np.ndarray:
        """Slashed cells readable only month first (``second`` > 12 >= ``first``)."""
        return (self.kind == SLASHED) & (self.second > 12) & (self.first >= 1) & (self.first <= 12)

    def either_order(self) -> np.ndarray:
        """Slashed cells that are a valid date both ways round and differ (e.g. 03/04/2019)."""
        return ((self.kind == SLASHED) & (self.first >= 1) & (self.first <= 12) & (self.second >= 1)
                & (self.second <= 12) & (self.first != self.second))


#: ``DateFields.kind`` values.
UNREADABLE, BLANK, SLASHED, ISO = 0, 1, 2, 3


def date_fields(text: np.ndarray) -> DateFields:
    """Split date cells into numbers (vectorised for the padded forms; see module notes)."""
    text = np.asarray(text)
    if text.dtype.kind != "U":
        text = text.astype(str)
    flat_text = text.reshape(-1)
    size = flat_text.size
    kind = np.zeros(size, dtype=np.int8)
    first = np.zeros(size, dtype=np.int64)
    second = np.zeros(size, dtype=np.int64)
    year = np.zeros(size, dtype=np.int64)
    if size == 0:
        return DateFields(kind, first, second, year)
    fixed = np.ascontiguousarray(flat_text.astype("<U10"))
    lengths = np.char.str_len(flat_text)
    codes = fixed.view(np.uint32).reshape(size, 10).astype(np.int64)
    digit = codes - 48
    isdig = (digit >= 0) & (digit <= 9)
    ten = lengths == 10
    dmy = ten & (codes[:, 2] == 47) & (codes[:, 5] == 47) & isdig[:, [0, 1, 3, 4, 6, 7, 8, 9]].all(1)
    iso = ten & (codes[:, 4] == 45) & (codes[:, 7] == 45) & isdig[:, [0, 1, 2, 3, 5, 6, 8, 9]].all(1)
    for mask, (f0, s0, y0), k in ((dmy, (0, 3, 6), SLASHED), (iso, (8, 5, 0), ISO)):
        if not mask.any():
            continue
        g = digit[mask]
        kind[mask] = k
        first[mask] = g[:, f0] * 10 + g[:, f0 + 1]
        second[mask] = g[:, s0] * 10 + g[:, s0 + 1]
        year[mask] = g[:, y0] * 1000 + g[:, y0 + 1] * 100 + g[:, y0 + 2] * 10 + g[:, y0 + 3]
    kind[lengths == 0] = BLANK
    for i in np.flatnonzero(kind == UNREADABLE):
        cell = str(flat_text[i])
        if not cell.strip():
            kind[i] = BLANK
            continue
        m = _SLOW.match(cell)
        if not m:
            continue
        if m.group(1):
            kind[i], first[i], second[i], year[i] = SLASHED, int(m.group(1)), int(m.group(2)), int(m.group(3))
        else:
            kind[i], first[i], second[i], year[i] = ISO, int(m.group(6)), int(m.group(5)), int(m.group(4))
    shape = text.shape
    return DateFields(kind.reshape(shape), first.reshape(shape), second.reshape(shape), year.reshape(shape))


def days_from_fields(fields: DateFields, order: str = "dmy", *, refuse=None) -> np.ndarray:
    """Days of split date cells, reading slashed cells in ``order`` (``"dmy"`` or ``"mdy"``).

    ``refuse``, a boolean mask, marks cells to treat as ``INVALID`` whatever
    they read as (ambiguous dates in a file that mixes both orders).
    """
    if order not in ("dmy", "mdy"):
        raise ValueError(f"order must be 'dmy' or 'mdy', got {order!r}")
    kind = fields.kind.reshape(-1)
    slashed = kind == SLASHED
    day = fields.first.reshape(-1).copy()
    month = fields.second.reshape(-1).copy()
    if order == "mdy":
        day[slashed], month[slashed] = fields.second.reshape(-1)[slashed], fields.first.reshape(-1)[slashed]
    year = fields.year.reshape(-1)
    out = np.full(kind.shape, INVALID, dtype=np.int64)
    dated = (kind == SLASHED) | (kind == ISO)
    ok = dated & _valid(year, month, day)
    if refuse is not None:
        ok &= ~np.asarray(refuse, dtype=bool).reshape(-1)
    if ok.any():
        out[ok] = from_ymd(year[ok], month[ok], day[ok])
    out[kind == BLANK] = MISSING
    return out.reshape(fields.kind.shape)


def parse_dates(text: np.ndarray, order: str = "dmy") -> np.ndarray:
    """Parse an array of date strings into int64 days (see module notes).

    Parameters
    ----------
    text : array of str
        Cells as read from the CSV.
    order : {"dmy", "mdy"}
        How slashed dates are read: day first (the DfE's ``dd/mm/yyyy``,
        default) or month first (US ``mm/dd/yyyy``). ISO dates are read the
        same either way.

    Returns
    -------
    ndarray of int64
        Days since 1970-01-01; ``MISSING`` for blanks, ``INVALID`` otherwise
        unreadable or impossible (31 February, month 13, year before 1900).
    """
    return days_from_fields(date_fields(text), order)


def describe_bad_date(cell: str) -> str:
    """Why a cell is not a date, without repeating its value (which may be personal data).

    Examples
    --------
    >>> describe_bad_date("31/02/2018")
    'no such day or month'
    >>> describe_bad_date("2018/01/01")
    "not DD/MM/YYYY or YYYY-MM-DD (its shape is '9999/99/99')"
    """
    f = date_fields(np.array([cell]))
    if f.kind[0] in (SLASHED, ISO):
        if not 1900 <= f.year[0] <= 2200:
            return "year outside 1900-2200"
        return "no such day or month"
    return f"not DD/MM/YYYY or YYYY-MM-DD (its shape is {value_shape(cell)!r})"


def value_shape(cell: str, limit: int = 20) -> str:
    """A cell's shape: digits as 9, letters as A, other characters kept (truncated to ``limit``).

    >>> value_shape("2018a")
    '9999A'
    """
    out = "".join("9" if c.isdigit() else "A" if c.isalpha() else c if c.isprintable() else "?"
                  for c in cell[:limit])
    return out + ("..." if len(cell) > limit else "")


def to_days(value) -> int:
    """One date (``datetime.date``, ``numpy.datetime64`` or a date string) as int days.

    Raises
    ------
    ValueError
        If the value is not a readable date.

    Examples
    --------
    >>> to_days("1970-01-02"), to_days(_dt.date(1970, 1, 1))
    (1, 0)
    """
    if isinstance(value, _dt.datetime):
        value = value.date()
    if isinstance(value, _dt.date):
        return int(np.datetime64(value, "D").astype(np.int64))
    if isinstance(value, np.datetime64):
        return int(value.astype("datetime64[D]").astype(np.int64))
    if isinstance(value, str):
        d = parse_dates(np.array([value]))[0]
        if d in (MISSING, INVALID):
            raise ValueError(f"not a date (use YYYY-MM-DD or DD/MM/YYYY): {value!r}")
        return int(d)
    raise TypeError(f"expected a date, got {type(value).__name__}")


def format_date(days) -> str:
    """ISO text of int days (``""`` for missing, ``"open"`` for OPEN)."""
    days = np.int64(days)
    if days == MISSING or days == INVALID:
        return ""
    if days == OPEN:
        return "open"
    return str(days.astype("datetime64[D]"))


def to_date(days) -> _dt.date:
    """``datetime.date`` of int days."""
    return _dt.date(1970, 1, 1) + _dt.timedelta(days=int(days))


def add_years(days: np.ndarray, years) -> np.ndarray:
    """The same calendar day ``years`` later (29 February becomes 1 March).

    This is how birthdays are computed: a child born on 29 February 2008
    turns 18 on 1 March 2026.

    Examples
    --------
    >>> format_date(add_years(to_days("2008-02-29"), 18))
    '2026-03-01'
    """
    y, m, d = ymd(days)
    y = y + np.asarray(years, dtype=np.int64)
    leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
    feb29 = (m == 2) & (d == 29) & ~leap
    m = np.where(feb29, 3, m)
    d = np.where(feb29, 1, d)
    out = from_ymd(y, m, d)
    return out if np.ndim(days) or np.ndim(years) else np.int64(out)


def age_in_years(dob: np.ndarray, on: np.ndarray) -> np.ndarray:
    """Completed years of age on a date (the age a council would state).

    Examples
    --------
    >>> int(age_in_years(to_days("2000-06-15"), to_days("2018-06-14")))
    17
    >>> int(age_in_years(to_days("2000-06-15"), to_days("2018-06-15")))
    18
    """
    y1, m1, d1 = ymd(dob)
    y2, m2, d2 = ymd(on)
    before = (m2 < m1) | ((m2 == m1) & (d2 < d1))
    # 29 February birthdays fall on 1 March in non-leap years (see add_years)
    leap2 = ((y2 % 4 == 0) & (y2 % 100 != 0)) | (y2 % 400 == 0)
    feb29 = (m1 == 2) & (d1 == 29) & ~leap2 & (m2 == 2) & (d2 == 28)
    return y2 - y1 - (before | feb29)


def age_fraction(dob: np.ndarray, on: np.ndarray) -> np.ndarray:
    """Age in years as a fraction: days / 365.25 (:data:`carecast.care.calendar.DAYS_PER_YEAR`)."""
    return (np.asarray(on, dtype=np.int64) - np.asarray(dob, dtype=np.int64)) / DAYS_PER_YEAR
