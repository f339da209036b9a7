"""Appraisal: cumulative series, payback, net present value, benefit-cost
ratio and return on investment.

Benefits and costs are per-step series (e.g. ``Accrued.total`` of a
baseline minus a scenario).  All discounting follows
:mod:`carecast.engine.discounting`: ``schedule=0`` gives undiscounted figures.
"""
from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from carecast import _core
from carecast.engine._checks import real_array, real_number
from carecast.engine.discounting import (
    GREEN_BOOK,
    Schedule,
    _pv_and_cumulative,
    _series,
)

__all__ = ["cumulative", "payback", "npv", "benefit_cost_ratio", "roi"]


def cumulative(values: ArrayLike) -> np.ndarray:
    """Running (undiscounted) total of a per-step series along its last axis.

    Examples
    --------
    >>> import carecast
    >>> carecast.cumulative([-100, 60, 60])
    array([-100.,  -40.,   20.])
    """
    arr = real_array("values", values)
    if arr.ndim == 0:
        raise ValueError("values must be a series with one value per step, got a scalar")
    return np.cumsum(arr.astype(np.float64), axis=-1)


def payback(net_benefit: ArrayLike, *, dt: float = 1.0, timing="mid",
            schedule: Schedule = GREEN_BOOK) -> float:
    """Years until the cumulative discounted net benefit first reaches zero.

    The net benefit of each step is discounted (at ``(t + c) * dt``) and
    taken to accrue evenly within the step, so the crossing is interpolated
    within the step.  Payback is the first time the cumulative reaches >= 0
    after having been negative; ``0.0`` if it is never negative; ``math.inf``
    if it is still negative at the end of the horizon (look at a longer
    horizon before concluding that a scheme never pays back).  An empty
    series is refused (it has no payback, not one of 0 years).

    Examples
    --------
    Spend 100 in the first year, save 60 in each of the next two
    (undiscounted): the cumulative is -100, -40, +20 at the ends of years
    1-3, so it crosses zero 40/60 of the way through year 3:

    >>> import carecast
    >>> round(carecast.payback([-100, 60, 60], schedule=0), 4)
    2.6667
    """
    arr = _series(net_benefit, "net_benefit")
    if arr.ndim != 1:
        raise ValueError(f"net_benefit must be 1-D (one value per step), got {arr.ndim}-D")
    if arr.shape[0] == 0:
        # "Never negative, so 0 years" would be vacuously true and read as
        # "pays back at once" in a report: refuse instead.
        raise ValueError("net_benefit is empty: payback needs at least one step")
    dt = real_number("dt", dt, finite=False)
    _, cum = _pv_and_cumulative(arr, dt, timing, schedule, "net_benefit")
    discounted_steps = np.diff(cum, prepend=0.0)
    years = _core.payback(discounted_steps, dt)
    return math.inf if math.isinf(years) else years


def _pvs(benefits, costs, dt, timing, schedule):
    benefits = _series(benefits, "benefits")
    costs = _series(costs, "costs")
    if benefits.shape != costs.shape:
        raise ValueError(
            f"benefits and costs must have the same shape (one value per step), "
            f"got {benefits.shape} and {costs.shape}"
        )
    b, _ = _pv_and_cumulative(benefits, dt, timing, schedule, "benefits")
    c, _ = _pv_and_cumulative(costs, dt, timing, schedule, "costs")
    return (float(b), float(c)) if b.ndim == 0 else (b, c)


def npv(benefits: ArrayLike, costs: ArrayLike, *, dt: float = 1.0, timing="mid",
        schedule: Schedule = GREEN_BOOK):
    """Net present value: PV(benefits) - PV(costs).

    Examples
    --------
    >>> import carecast
    >>> carecast.npv([0, 110], [100, 0], schedule=0.1, timing="start")
    0.0
    """
    b, c = _pvs(benefits, costs, dt, timing, schedule)
    return b - c


def benefit_cost_ratio(benefits: ArrayLike, costs: ArrayLike, *, dt: float = 1.0,
                       timing="mid", schedule: Schedule = GREEN_BOOK):
    """PV(benefits) / PV(costs); raises ValueError when PV(costs) is 0.

    Examples
    --------
    >>> import carecast
    >>> carecast.benefit_cost_ratio([0, 300], [100, 0], schedule=0)
    3.0
    """
    b, c = _pvs(benefits, costs, dt, timing, schedule)
    if np.any(np.asarray(c) == 0):
        raise ValueError("costs: the present value of costs is 0, so the ratio is undefined")
    return b / c


def roi(benefits: ArrayLike, costs: ArrayLike, *, dt: float = 1.0, timing="mid",
        schedule: Schedule = GREEN_BOOK):
    """Return on investment: (PV(benefits) - PV(costs)) / PV(costs).

    Examples
    --------
    >>> import carecast
    >>> carecast.roi([0, 300], [100, 0], schedule=0)
    2.0
    """
    b, c = _pvs(benefits, costs, dt, timing, schedule)
    if np.any(np.asarray(c) == 0):
        raise ValueError("costs: the present value of costs is 0, so the return is undefined")
    return (b - c) / c
