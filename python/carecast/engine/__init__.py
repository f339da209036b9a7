"""The engine layer: projection, simulation, values, discounting, appraisal and roots.

Everything here works on arrays of states and flows and knows nothing of
children or care; the children-in-care model (:mod:`carecast.care`) and the
data readers (:mod:`carecast.ssda903`) are built on it.

Modules
-------
projection
    :func:`project`, :func:`project_batch` and :func:`simulate` (the C kernels).
values, discounting, appraisal
    Values per person and per flow, price indices, discounting, present value,
    payback, NPV, benefit-cost ratio and return on investment.
roots
    :func:`find_root` (Brent's method in C).
labelled
    :class:`CohortModel`, named states and flows over the same kernels.
cluster
    The same replicates spread over any ``concurrent.futures`` executor.
options
    Weighted scores and rank probabilities of options under random weights.
"""
from carecast.engine.appraisal import benefit_cost_ratio, cumulative, npv, payback, roi
from carecast.engine.discounting import (
    GREEN_BOOK,
    DiscountSchedule,
    discount_factors,
    discounted_cumulative,
    present_value,
    step_discount_factors,
)
from carecast.engine.labelled import CohortModel, LabelledProjection
from carecast.engine.options import random_weights, rank_probabilities, weighted_scores
from carecast.engine.projection import (
    BatchOutputs,
    Projection,
    Reduction,
    Simulation,
    project,
    project_batch,
    simulate,
)
from carecast.engine.roots import find_root
from carecast.engine.values import Accrued, accrue, price_index

__all__ = ["Accrued", "BatchOutputs", "Reduction", "CohortModel", "DiscountSchedule", "GREEN_BOOK", "LabelledProjection",
           "Projection", "Simulation", "accrue", "benefit_cost_ratio", "cumulative",
           "discount_factors", "discounted_cumulative", "find_root", "npv", "payback",
           "present_value", "price_index", "project", "project_batch", "random_weights",
           "rank_probabilities", "roi", "simulate", "step_discount_factors", "weighted_scores"]
