"""Model time and the calendar: step dates and financial years (April to March).

Model time starts at the end of the start date (a 31 March census counts the
children in care at midnight, so the first step begins on 1 April). Time is
measured in years; a calendar date is ``months / 12 + days / 365.25`` years
from that origin, so that monthly, quarterly and yearly steps fall exactly on
month ends and financial years begin exactly on a step boundary when the
start date is a month end. Weekly steps are seven days each.
"""

from __future__ import annotations

import calendar as _calendar
import datetime as _dt

import numpy as np

__all__ = ["origin", "years_between", "step_dates", "financial_year_label",
           "financial_year_weights", "step_length", "step_name", "DAYS_PER_YEAR", "WEEKS_PER_YEAR",
           "STEP_NAMES"]

#: Days in an average (Julian) year: model years, exposure in SSDA903 data, weeks per year.
DAYS_PER_YEAR = 365.25
#: Weeks in an average year, to turn weekly costs into costs per year.
WEEKS_PER_YEAR = DAYS_PER_YEAR / 7
#: Step names and their length in years.
STEP_NAMES: dict[str, float] = {"week": 7 / DAYS_PER_YEAR, "month": 1 / 12, "quarter": 0.25, "year": 1.0}


def step_length(step: str | float) -> float:
    """Step length in years from a name (``week``, ``month``, ``quarter``, ``year``) or a number.

    >>> step_length("quarter")
    0.25
    """
    if isinstance(step, str):
        if step not in STEP_NAMES:
            raise ValueError(f"step must be one of {', '.join(STEP_NAMES)} or a number of years, got {step!r}")
        return STEP_NAMES[step]
    if isinstance(step, bool) or not isinstance(step, (int, float, np.integer, np.floating)):
        raise TypeError(f"step must be a name or a number of years, got {type(step).__name__}")
    dt = float(step)
    if not (np.isfinite(dt) and 0 < dt <= 1):
        raise ValueError(f"step must be a number of years in (0, 1], got {step!r}")
    return dt


def step_name(dt: float) -> str:
    """``"monthly steps"`` etc. for the standard steps, else ``"steps of X years"``.

    >>> step_name(7 / 365.25), step_name(0.1)
    ('weekly steps', 'steps of 0.1 years')
    """
    for name, length in STEP_NAMES.items():
        if abs(dt - length) < 1e-12:
            return f"{name}ly steps"
    return f"steps of {dt:g} years"


def origin(start_date: _dt.date) -> _dt.date:
    """The first day of model time: the day after the start (census) date."""
    return start_date + _dt.timedelta(days=1)


def _add_months(d: _dt.date, months: int) -> _dt.date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return _dt.date(year, month, min(d.day, _calendar.monthrange(year, month)[1]))


def years_between(start: _dt.date, end: _dt.date) -> float:
    """Model years from ``start`` to ``end`` (whole months count 1/12 each).

    >>> years_between(_dt.date(2012, 4, 1), _dt.date(2013, 4, 1))
    1.0
    """
    months = (end.year - start.year) * 12 + end.month - start.month
    if _add_months(start, months) > end:
        months -= 1
    days = (end - _add_months(start, months)).days
    return months / 12 + days / DAYS_PER_YEAR


def step_dates(start_date: _dt.date, steps: int, dt: float) -> np.ndarray:
    """Dates of ``x[0] .. x[steps]``: the census date, then the end of each step.

    >>> step_dates(_dt.date(2012, 3, 31), 2, 1 / 12).tolist()
    [datetime.date(2012, 3, 31), datetime.date(2012, 4, 30), datetime.date(2012, 5, 31)]
    """
    o = origin(start_date)
    out = []
    days_per_step = dt * DAYS_PER_YEAR
    weekly_or_shorter = dt < 1 / 12 and abs(days_per_step - round(days_per_step)) < 1e-6
    for t in range(steps + 1):
        if weekly_or_shorter:
            out.append(start_date + _dt.timedelta(days=int(round(days_per_step)) * t))
            continue
        tau = t * dt
        months = int(np.floor(tau * 12 + 1e-9))
        days = int(round((tau - months / 12) * DAYS_PER_YEAR))
        out.append(_add_months(o, months) + _dt.timedelta(days=days - 1))
    return np.array(out, dtype="datetime64[D]")


def financial_year_label(year: int) -> str:
    """``2016`` -> ``"2016-17"`` (the year April 2016 to March 2017)."""
    return f"{year}-{(year + 1) % 100:02d}"


def financial_year_weights(start_date: _dt.date, steps: int, dt: float) -> tuple[list[int], np.ndarray, np.ndarray]:
    """Share of each step falling in each financial year.

    Returns
    -------
    years : list of int
        First calendar year of each financial year touched by the run.
    weights : ndarray (steps, len(years))
        ``weights[t, k]``: the share of step ``t`` in financial year ``k``
        (rows sum to 1).
    covered : ndarray (len(years),)
        Share of each financial year covered by the run (1 = whole year).
    """
    o = origin(start_date)
    first = o.year if o >= _dt.date(o.year, 4, 1) else o.year - 1
    end_tau = steps * dt
    years, bounds = [], []
    y = first
    while True:
        lo = years_between(o, _dt.date(y, 4, 1)) if _dt.date(y, 4, 1) > o else -years_between(_dt.date(y, 4, 1), o)
        hi = years_between(o, _dt.date(y + 1, 4, 1))
        if lo >= end_tau - 1e-12:
            break
        years.append(y)
        bounds.append((lo, hi))
        y += 1
    t0 = np.arange(steps) * dt
    t1 = t0 + dt
    weights = np.zeros((steps, len(years)))
    covered = np.zeros(len(years))
    for k, (lo, hi) in enumerate(bounds):
        overlap = np.clip(np.minimum(t1, hi) - np.maximum(t0, lo), 0.0, None)
        weights[:, k] = overlap / dt
        covered[k] = (min(hi, end_tau) - max(lo, 0.0)) / (hi - lo)
    weights /= weights.sum(axis=1, keepdims=True)
    return years, weights, np.clip(covered, 0.0, 1.0)
