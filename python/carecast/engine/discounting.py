"""Discounting: rate schedules, discount factors and present values.

A value that falls at time ``tau`` years is worth
``exp(-integral_0^tau ln(1 + r(u)) du)`` of its face value today, for a
piecewise-constant annual rate schedule ``r``.  Within one piece this is the
familiar ``(1 + r) ** -tau``.  The value of step ``t`` (steps of ``dt``
years) falls at ``tau = (t + c) * dt``, with ``c`` = 0 ("start"), 0.5 ("mid",
the default: values accrue through the step) or 1 ("end").

The default schedule is HM Treasury's Green Book (2022, Annex A6 "Discount
rates", table 8): 3.5% for years 0-30, 3.0% for 31-75, 2.5% for 76-125, 2.0%
for 126-200, 1.5% for 201-300 and 1.0% beyond.  With ``dt=1`` and "start"
timing it gives exactly ``1 / 1.035 ** t`` for the first 30 years.

Wherever a ``schedule`` is accepted, a plain number is a flat annual rate and
``0`` means no discounting (every factor is exactly 1).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from carecast import _core
from carecast.engine._checks import check_count, check_memory, real_array, real_number

__all__ = [
    "DiscountSchedule",
    "GREEN_BOOK",
    "discount_factors",
    "step_discount_factors",
    "present_value",
    "discounted_cumulative",
    "timing_fraction",
]


@dataclass(frozen=True)
class DiscountSchedule:
    """A piecewise-constant annual discount rate.

    Parameters
    ----------
    starts : tuple of float
        Years from which each rate applies; ``starts[0]`` must be 0 and the
        starts must increase.
    rates : tuple of float
        Annual rates (0.035 for 3.5%), each above -1.
    source : str
        Where the schedule comes from.

    Examples
    --------
    >>> import carecast
    >>> carecast.DiscountSchedule((0, 10), (0.05, 0.03)).rate_at(12)
    0.03
    """

    starts: tuple[float, ...]
    rates: tuple[float, ...]
    source: str = ""

    def __post_init__(self):
        starts = tuple(float(s) for s in np.atleast_1d(real_array("schedule starts", self.starts)))
        rates = tuple(float(r) for r in np.atleast_1d(real_array("schedule rates", self.rates)))
        if not isinstance(self.source, str):
            raise TypeError(f"schedule source must be a string, got {type(self.source).__name__}")
        if len(starts) == 0 or len(starts) != len(rates):
            raise ValueError("schedule: starts and rates must be non-empty and of the same length")
        if starts[0] != 0.0:
            raise ValueError(f"schedule: starts[0] must be 0, got {starts[0]}")
        for i in range(1, len(starts)):
            if not starts[i] > starts[i - 1] or not np.isfinite(starts[i]):
                raise ValueError(
                    f"schedule: starts[{i}] = {starts[i]} must be finite and above "
                    f"starts[{i - 1}] = {starts[i - 1]}"
                )
        for i, rate in enumerate(rates):
            if not np.isfinite(rate) or rate <= -1.0:
                raise ValueError(f"schedule: rates[{i}] = {rate} must be finite and above -1")
        object.__setattr__(self, "starts", starts)
        object.__setattr__(self, "rates", rates)

    @classmethod
    def flat(cls, rate: float) -> DiscountSchedule:
        """One rate for ever (``0`` for no discounting)."""
        return cls((0.0,), (real_number("schedule", rate),), source="flat rate")

    def rate_at(self, year: float) -> float:
        """The annual rate in force at ``year``."""
        year = real_number("year", year)
        i = int(np.searchsorted(self.starts, year, side="right")) - 1
        return self.rates[max(i, 0)]


GREEN_BOOK = DiscountSchedule(
    (0.0, 30.0, 75.0, 125.0, 200.0, 300.0),
    (0.035, 0.030, 0.025, 0.020, 0.015, 0.010),
    source="HM Treasury, The Green Book (2022), Annex A6, table 8: "
    "standard social time preference rate by year",
)

Schedule = DiscountSchedule | float | int

_TIMINGS = {"start": 0.0, "mid": 0.5, "end": 1.0}


def _schedule(schedule) -> DiscountSchedule:
    if isinstance(schedule, DiscountSchedule):
        return schedule
    if isinstance(schedule, (bool, np.bool_)):
        raise TypeError("schedule must be a DiscountSchedule or a number, got bool")
    if isinstance(schedule, (int, float, np.integer, np.floating)):
        return DiscountSchedule.flat(float(schedule))
    raise TypeError(
        f"schedule must be a DiscountSchedule or a flat annual rate, got {type(schedule).__name__}"
    )


def timing_fraction(timing) -> float:
    """``c`` in ``tau = (t + c) * dt`` for "start", "mid", "end" or a number in [0, 1]."""
    if isinstance(timing, str):
        try:
            return _TIMINGS[timing]
        except KeyError:
            raise ValueError(
                f"timing must be 'start', 'mid', 'end' or a fraction in [0, 1], got {timing!r}"
            ) from None
    if isinstance(timing, (int, float, np.integer, np.floating)) and not isinstance(timing, bool):
        return float(timing)
    raise TypeError(f"timing must be 'start', 'mid', 'end' or a number, got {type(timing).__name__}")


def discount_factors(times: ArrayLike, schedule: Schedule = GREEN_BOOK) -> np.ndarray:
    """Discount factors at times in years.

    Parameters
    ----------
    times : array_like
        Years from the base date (>= 0), any shape.
    schedule : DiscountSchedule or float, default GREEN_BOOK

    Returns
    -------
    ndarray
        ``exp(-integral_0^t ln(1 + r(u)) du)``, the shape of ``times``.

    Examples
    --------
    >>> import carecast
    >>> carecast.discount_factors([0, 1, 31]).round(6)
    array([1.      , 0.966184, 0.345901])
    """
    s = _schedule(schedule)
    arr = real_array("times", times)
    flat = np.ascontiguousarray(arr, dtype=np.float64).reshape(-1)
    out = _core.discount_factors(flat, s.starts, s.rates)
    return out.reshape(arr.shape) if arr.ndim else out.reshape(()).item() * np.float64(1)


def step_discount_factors(steps: int, *, dt: float = 1.0, timing="mid",
                          schedule: Schedule = GREEN_BOOK) -> np.ndarray:
    """Discount factor of each step's value, at ``(t + c) * dt`` years.

    Examples
    --------
    >>> import carecast
    >>> carecast.step_discount_factors(3, timing="start").round(6)
    array([1.      , 0.966184, 0.933511])
    """
    s = _schedule(schedule)
    steps = check_count("steps", steps, 0)
    check_memory([("the discount factors (steps)", 8.0 * steps)],
                 f"ask for fewer steps (steps = {steps})")
    return _core.step_discount_factors(steps, real_number("dt", dt, finite=False),
                                       timing_fraction(timing), s.starts, s.rates)


def _series(values, name: str = "values") -> np.ndarray:
    """A per-step series as a float64 array, checked: real, at least 1-D, finite.

    An empty series (no steps) is returned as it is: its present value is
    exactly 0 and its cumulative empty; functions for which no steps has no
    meaning (payback) refuse it themselves.
    """
    arr = real_array(name, values)
    if arr.ndim == 0:
        raise ValueError(f"{name} must be a series with one value per step, got a scalar")
    bad = ~np.isfinite(arr)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        index = ", ".join(str(i) for i in where)
        raise ValueError(f"{name}[{index}] = {arr[where]} is not finite")
    return arr


def _pv_and_cumulative(values, dt, timing, schedule, name="values"):
    arr = _series(values, name)
    s = _schedule(schedule)
    dt = real_number("dt", dt, finite=False)
    # (series, steps) with the series counted from the shape, not with -1:
    # an empty series has no size to infer it from.
    series = int(np.prod(arr.shape[:-1], dtype=np.int64))
    flat = np.ascontiguousarray(arr, dtype=np.float64).reshape(series, arr.shape[-1])
    try:
        pv, cum = _core.present_value(flat, dt, timing_fraction(timing), s.starts, s.rates)
    except ValueError as exc:  # the binding names the series "values"
        text = str(exc)
        if name != "values" and text.startswith("values:"):
            raise ValueError(name + text[len("values"):]) from None
        raise
    return pv.reshape(arr.shape[:-1]), cum.reshape(arr.shape)


def present_value(values: ArrayLike, *, dt: float, timing="mid",
                  schedule: Schedule = GREEN_BOOK):
    """Present value of a series of per-step values.

    Parameters
    ----------
    values : array_like, shape (..., steps)
        Value accrued in each step (e.g. ``Accrued.total``); leading axes
        (replicates, scenarios) are kept.
    dt : float
        Step length in years.
    timing : {"start", "mid", "end"} or float, default "mid"
        Where in its step each value falls.
    schedule : DiscountSchedule or float, default GREEN_BOOK

    Returns
    -------
    float or ndarray
        ``sum_t values[t] * factor((t + c) * dt)``; shape ``values.shape[:-1]``.
        An empty series has a present value of exactly 0.

    Raises
    ------
    ValueError
        Non-finite values, or a sum that overflows although every value is
        finite (the message names the step).

    Examples
    --------
    £100 a year for three years, discounted at 3.5% at the end of each year:

    >>> import carecast
    >>> round(carecast.present_value([100, 100, 100], dt=1, timing="end"), 2)
    280.16
    """
    pv, _ = _pv_and_cumulative(values, dt, timing, schedule)
    return float(pv) if pv.ndim == 0 else pv


def discounted_cumulative(values: ArrayLike, *, dt: float, timing="mid",
                          schedule: Schedule = GREEN_BOOK) -> np.ndarray:
    """Running sum of discounted per-step values, the shape of ``values``.

    Examples
    --------
    >>> import carecast
    >>> carecast.discounted_cumulative([100, 100], dt=1, timing="end", schedule=0.0)
    array([100., 200.])
    """
    _, cum = _pv_and_cumulative(values, dt, timing, schedule)
    return cum
