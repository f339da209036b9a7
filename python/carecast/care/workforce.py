"""Social-worker workforce: caseloads, staff needed, turnover, recruitment,
agency cover, and what it costs.

The model, per step of ``dt`` years, for a series of cases (children
allocated to a social worker, e.g. children in care from a projection, or
those plus children in need and on protection plans):

- staff needed: ``cases / target_caseload`` full-time equivalents (FTE);
- permanent staff leave at ``turnover`` a year (a hazard, so
  ``1 - exp(-turnover * dt)`` of them leave in a step);
- the council hires permanent staff to close the gap between staff needed at
  the end of the step and those who stayed, at most ``hires_per_year * dt``
  in a step (a recruitment constraint); staff above need are not made
  redundant, they leave by turnover;
- a share ``agency_cover`` of the posts still vacant is covered by agency
  social workers, who cost ``agency_premium`` a year more than a permanent
  FTE;
- cost per step is ``dt`` times the average FTE over the step (trapezoid)
  times the annual cost of a permanent FTE (``salary * (1 + oncost_rate)``),
  plus the agency premium on agency FTE.

The caseload actually carried is ``cases / (permanent + agency)``: what a
council claiming "caseloads of 15" must staff, and what it pays while it
cannot recruit.  All money is in the salary's price year.

Example: 600 cases, a caseload of 20 wanted, 25 social workers in post:

>>> import carecast
>>> w = carecast.project_workforce([600, 600, 600], target_caseload=20, permanent=25,
...                                turnover=0.0, hires_per_year=2.0, agency_cover=1.0,
...                                salary=35_000, oncost_rate=0.0, agency_premium=6_000)
>>> w.needed
array([30., 30., 30.])
>>> w.permanent
array([25., 27., 29.])
>>> w.agency
array([5., 3., 1.])
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from carecast import checks

__all__ = ["WorkforceProjection", "project_workforce", "staff_needed"]


def _nonnegative(name: str, value, allow_inf: bool = False) -> float:
    if allow_inf and checks.is_number(value) and value == math.inf:
        return math.inf
    return checks.number(name, value, low=0.0)


def staff_needed(cases: ArrayLike, target_caseload: float) -> np.ndarray:
    """Full-time social workers needed to hold ``cases`` at ``target_caseload`` each.

    >>> import carecast
    >>> carecast.staff_needed([290, 435], 14.5)
    array([20., 30.])
    """
    caseload = checks.number("target_caseload", target_caseload, low=0.0, low_open=True)
    return checks.values("cases", cases, low=0.0) / caseload


@dataclass(frozen=True)
class WorkforceProjection:
    """Social workers over time (each array has one entry per time point,
    ``steps + 1``, except ``cost`` which has one per step).

    Attributes
    ----------
    needed, permanent, agency, vacancies : ndarray
        FTE needed at the target caseload, permanent FTE in post, agency FTE,
        and posts unfilled by either.
    caseload : ndarray
        Cases per FTE (permanent + agency) actually carried; ``inf`` where
        there are cases and no staff.
    leavers, hires : ndarray, shape (steps,)
        Permanent FTE leaving and hired in each step.
    cost : ndarray, shape (steps,)
        Staff cost in each step (salary price year).
    dt : float
    """

    needed: np.ndarray
    permanent: np.ndarray
    agency: np.ndarray
    vacancies: np.ndarray
    caseload: np.ndarray
    leavers: np.ndarray
    hires: np.ndarray
    cost: np.ndarray
    dt: float


def project_workforce(cases: ArrayLike, *, target_caseload: float, permanent: float,
                      turnover: float, hires_per_year: float, agency_cover: float,
                      salary: float, oncost_rate: float, agency_premium: float,
                      dt: float = 1.0) -> WorkforceProjection:
    """Project the social-worker workforce a series of cases needs.

    Parameters
    ----------
    cases : array_like, shape (steps + 1,)
        Cases at each time point (e.g. ``children_in_care()`` of a model run).
    target_caseload : float
        Cases per FTE the council aims for.
    permanent : float
        Permanent FTE in post at the start.
    turnover : float
        Leaving rate of permanent staff per year (e.g. 0.159, England 2023,
        DfE children's social work workforce).
    hires_per_year : float
        Most permanent FTE that can be recruited in a year (``inf`` for no
        limit).
    agency_cover : float or array_like, shape (steps + 1,)
        Share of vacant posts covered by agency staff, in [0, 1]; an array
        gives it at each time point (e.g. agency cover brought in over some
        months).
    salary, oncost_rate : float
        Annual salary of a permanent FTE and employer on-costs as a share of
        it (national insurance, pension).
    agency_premium : float
        Extra annual cost of an agency FTE over a permanent one.
    dt : float
        Years between time points.

    Returns
    -------
    WorkforceProjection
    """
    needed = staff_needed(checks.series("cases", cases, low=0.0), target_caseload)
    permanent0 = _nonnegative("permanent", permanent)
    turnover = _nonnegative("turnover", turnover)
    hires_per_year = _nonnegative("hires_per_year", hires_per_year, allow_inf=True)
    if np.ndim(agency_cover) == 0:
        agency_cover = _nonnegative("agency_cover", agency_cover)
    cover = np.asarray(agency_cover, dtype=float)
    if cover.ndim > 1 or (cover.ndim == 1 and cover.shape != needed.shape):
        raise ValueError(f"agency_cover must be a number or one value per time point "
                         f"{needed.shape}, got shape {cover.shape}")
    bad = ~np.isfinite(cover) | (cover < 0) | (cover > 1)
    if bad.any():
        where = int(np.flatnonzero(np.atleast_1d(bad))[0])
        raise ValueError(f"agency_cover must be a share in [0, 1], got {np.atleast_1d(cover)[where]}"
                         + (f" at [{where}]" if cover.ndim else ""))
    salary = _nonnegative("salary", salary)
    oncost_rate = _nonnegative("oncost_rate", oncost_rate)
    agency_premium = _nonnegative("agency_premium", agency_premium)
    dt = checks.number("dt", dt, low=0.0, low_open=True)

    steps = needed.size - 1
    staff = np.empty(steps + 1)
    leavers = np.empty(steps)
    hires = np.empty(steps)
    staff[0] = permanent0
    leave_share = -math.expm1(-turnover * dt)
    hire_limit = hires_per_year * dt
    for t in range(steps):
        leavers[t] = staff[t] * leave_share
        stayed = staff[t] - leavers[t]
        hires[t] = min(max(needed[t + 1] - stayed, 0.0), hire_limit)
        staff[t + 1] = stayed + hires[t]
    vacant = np.maximum(needed - staff, 0.0)
    agency = cover * vacant
    vacancies = vacant - agency
    in_post = staff + agency
    with np.errstate(divide="ignore", invalid="ignore"):
        caseload = np.where(in_post > 0, needed * target_caseload / np.where(in_post > 0, in_post, 1),
                            np.where(needed > 0, np.inf, 0.0))
    annual_permanent = salary * (1.0 + oncost_rate)
    average = lambda x: (x[:-1] + x[1:]) / 2.0  # noqa: E731 - trapezoid over each step
    cost = dt * (average(staff) * annual_permanent
                 + average(agency) * (annual_permanent + agency_premium))
    return WorkforceProjection(needed=needed, permanent=staff, agency=agency,
                               vacancies=vacancies, caseload=caseload, leavers=leavers,
                               hires=hires, cost=cost, dt=dt)
