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
from .options import random_weights, rank_probabilities, weighted_scores
from .roots import find_root
from .values import Accrued, accrue, price_index
from .workforce import WorkforceProjection, project_workforce, staff_needed

__version__ = "0.1.0"

# The children-in-care model, the examples and SSDA903 ingest are imported on
# first use, so that `import carecast` stays quick and light.
_LAZY = {
    "care": ("carecast.care", None),
    "ssda903": ("carecast.ssda903", None),
    "taxonomy": ("carecast.taxonomy", None),
    "examples": ("carecast.examples", None),
    "scenario_file": ("carecast.scenario_file", None),
    "cluster": ("carecast.cluster", None),
    "CareParameters": ("carecast.care", "CareParameters"),
    "CareResult": ("carecast.care", "CareResult"),
    "Scenario": ("carecast.care", "Scenario"),
    "EdgeOfCare": ("carecast.care", "EdgeOfCare"),
    "ReunificationSupport": ("carecast.care", "ReunificationSupport"),
    "InHouseFostering": ("carecast.care", "InHouseFostering"),
    "ResidentialStepDown": ("carecast.care", "ResidentialStepDown"),
    "run": ("carecast.care", "run"),
    "compare": ("carecast.care", "compare"),
    "break_even": ("carecast.care", "break_even"),
    "load_example": ("carecast.examples", "load_example"),
    "list_examples": ("carecast.examples", "list_examples"),
    "load_scenario_file": ("carecast.scenario_file", "load_scenario_file"),
    "save_scenario_file": ("carecast.scenario_file", "save_scenario_file"),
    "PLACEMENTS": ("carecast.taxonomy", "PLACEMENTS"),
    "EXIT_GROUPS": ("carecast.taxonomy", "EXIT_GROUPS"),
    "Taxonomy": ("carecast.taxonomy", "Taxonomy"),
    "DEFAULT_TAXONOMY": ("carecast.taxonomy", "DEFAULT_TAXONOMY"),
    "read_returns": ("carecast.ssda903", "read_returns"),
    "Returns": ("carecast.ssda903", "Returns"),
    "ValidationReport": ("carecast.ssda903", "ValidationReport"),
    "ValidationError": ("carecast.ssda903", "ValidationError"),
    "calibrate": ("carecast.ssda903", "calibrate"),
    "Calibration": ("carecast.ssda903", "Calibration"),
    "backtest": ("carecast.ssda903", "backtest"),
    "BacktestResult": ("carecast.ssda903", "BacktestResult"),
    "generate_returns": ("carecast.ssda903", "generate_returns"),
    "sample_returns_path": ("carecast.ssda903", "sample_returns_path"),
}


def __getattr__(name):
    try:
        module_name, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'carecast' has no attribute {name!r}") from None
    import importlib

    module = importlib.import_module(module_name)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))

__all__ = sorted(set(_LAZY) - {"care", "ssda903", "taxonomy", "examples", "scenario_file",
                               "cluster"}) + [
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
    "random_weights",
    "rank_probabilities",
    "roi",
    "simulate",
    "staff_needed",
    "step_discount_factors",
    "weighted_scores",
]
