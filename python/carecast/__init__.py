"""carecast: project children in care, what they cost, and what a change of
policy would do to both.

The engine (C, with the GIL released) projects people between states;
values, discounting and appraisal turn projections into money.

>>> import carecast
>>> r = carecast.project([100.0, 0.0], [0], [1], [0.3], 5)
>>> cost = carecast.accrue(r, [52_000.0, 0.0])
>>> round(carecast.present_value(cost.total, dt=r.dt) / 1e6, 3)
12.712
"""
from ._core import CarecastError, ConvergenceError, NotBracketedError
from .appraisal import benefit_cost_ratio, cumulative, npv, payback, roi
from .discounting import (
    GREEN_BOOK,
    DiscountSchedule,
    discount_factors,
    discounted_cumulative,
    present_value,
    step_discount_factors,
)
from .engine import Projection, Simulation, project, project_batch, simulate
from .labelled import CohortModel, LabelledProjection
from .roots import find_root
from .values import Accrued, accrue, price_index
from .workforce import WorkforceProjection, project_workforce, staff_needed

__version__ = "0.1.0"

__all__ = [
    "Accrued",
    "CarecastError",
    "CohortModel",
    "ConvergenceError",
    "DiscountSchedule",
    "GREEN_BOOK",
    "LabelledProjection",
    "NotBracketedError",
    "Projection",
    "Simulation",
    "WorkforceProjection",
    "accrue",
    "benefit_cost_ratio",
    "cumulative",
    "discount_factors",
    "discounted_cumulative",
    "find_root",
    "npv",
    "payback",
    "present_value",
    "price_index",
    "project",
    "project_batch",
    "project_workforce",
    "roi",
    "simulate",
    "staff_needed",
    "step_discount_factors",
]
