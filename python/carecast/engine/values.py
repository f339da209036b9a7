"""Values accrued per step: costs, life-years, anything per person.

A value stream has a unit value per person-year in each state
(``per_year``), optionally a value per person moved by each flow
(``per_flow``, e.g. the cost of court proceedings on entry) and per arrival
(``per_arrival``), and optionally a price index per step.

The occupancy during step ``t`` is ``x[t]`` ("start"), ``x[t+1]`` ("end"),
``(x[t] + x[t+1]) / 2`` ("trapezoid", the default) or
``w[t, 0] * x[t] + w[t, 1] * x[t+1]`` for user weights (some published
models use their own integration weights, e.g. Simpson's rule).  The
step's occupancy value is ``price * per_year * dt * occupancy``.

Arrivals of step ``t`` are added at its end (they are in ``x[t+1]``): under
the trapezoid rule they carry half a step of value in the step they arrive.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from carecast import _core
from carecast.engine._checks import check_count, check_memory, real_number
from carecast.engine.discounting import timing_fraction

__all__ = ["Accrued", "accrue", "price_index"]


@dataclass(frozen=True)
class Accrued:
    """Values accrued in each step.

    Attributes
    ----------
    by_state : ndarray, shape (steps, S)
        Occupancy value of each state.
    by_flow : ndarray, shape (steps, F)
        Value of the people moved by each flow.
    by_arrival : ndarray, shape (steps, S)
        Value of arrivals into each state.
    total : ndarray, shape (steps,)
        The sum of the three in each step.
    dt : float
        Step length in years.
    """

    by_state: np.ndarray
    by_flow: np.ndarray
    by_arrival: np.ndarray
    total: np.ndarray
    dt: float


def accrue(result, per_year: ArrayLike | None = None, *,
           per_flow: ArrayLike | None = None,
           per_arrival: ArrayLike | None = None,
           occupancy="trapezoid",
           price_index: ArrayLike | None = None) -> Accrued:
    """Value accrued per step by a projection.

    Parameters
    ----------
    result : Projection
        From :func:`carecast.project` (one replicate: ``occupancy`` 2-D).
    per_year : array_like, shape (S,) or (steps, S), optional
        Value per person-year in each state (e.g. weekly cost * 52.1775).
    per_flow : array_like, shape (F,) or (steps, F), optional
        Value per person moved by each flow.
    per_arrival : array_like, shape (S,) or (steps, S), optional
        Value per arrival in each state.
    occupancy : {"trapezoid", "start", "end"} or array_like (steps, 2)
        How occupancy during a step is measured; an array gives the weights
        of ``x[t]`` and ``x[t+1]``.
    price_index : array_like, shape (steps,), optional
        Multiplier per step (see :func:`price_index`).

    Returns
    -------
    Accrued

    Raises
    ------
    ValueError
        Non-finite inputs, shapes that do not match the projection, or a
        value that overflows (e.g. 1e300 a year for 1e10 people) although
        every input is finite: the message names the value stream and step.

    Examples
    --------
    One child in care all year at £1,000 a week (52 weeks a year, an
    assumption of the example):

    >>> import carecast
    >>> r = carecast.project([1.0], [], [], [], 2)
    >>> carecast.accrue(r, [52 * 1000.0]).total
    array([52000., 52000.])
    """
    occ = getattr(result, "occupancy", None)
    if occ is None or not hasattr(result, "moved") or not hasattr(result, "inflow"):
        raise TypeError("result must be a Projection (with occupancy, moved and inflow)")
    if np.ndim(occ) != 2:
        raise ValueError(
            "result must hold one projection (occupancy 2-D); for a batch, accrue each replicate"
        )
    if isinstance(occupancy, str):
        rule, weights = occupancy, None
    elif occupancy is None or isinstance(occupancy, (bool, np.bool_)):
        raise TypeError(f"occupancy must be 'start', 'end', 'trapezoid' or an array of weights, "
                        f"got {occupancy!r}")
    else:
        rule, weights = "weights", occupancy
    by_state, by_flow, by_arrival, total = _core.accrue(
        occ, result.moved, result.inflow, float(result.dt), per_year, per_flow, per_arrival,
        rule, weights, price_index,
    )
    return Accrued(by_state, by_flow, by_arrival, total, float(result.dt))


def price_index(steps: int, *, dt: float = 1.0, annual_rate: float,
                years_from_base: float = 0.0, timing="mid") -> np.ndarray:
    """A price index per step from an annual inflation rate.

    ``(1 + annual_rate) ** (years_from_base + (t + c) * dt)``, where
    ``years_from_base`` is the start of step 0 in years after the price
    base date (negative when the prices are of a later year), and ``c`` is 0,
    0.5 or 1 for "start", "mid" (default) or "end".  Placement prices often
    rise faster than general inflation: use one index per value stream.

    Examples
    --------
    An index that would overflow (e.g. 50% a year for 2,000 years) is
    refused with a ValueError naming the first step that does; one that
    underflows to 0 is the correctly rounded result and is returned.

    Prices of 2022-23 rising 2% a year, for the three years from April 2024:

    >>> import carecast
    >>> carecast.price_index(3, annual_rate=0.02, years_from_base=2, timing="start").round(4)
    array([1.0404, 1.0612, 1.0824])
    """
    steps = check_count("steps", steps, 0)
    check_memory([("the price index (steps)", 8.0 * steps)], f"ask for fewer steps (steps = {steps})")
    return _core.price_index(steps, real_number("dt", dt, finite=False), timing_fraction(timing),
                             real_number("years_from_base", years_from_base, finite=False),
                             real_number("annual_rate", annual_rate, finite=False))
