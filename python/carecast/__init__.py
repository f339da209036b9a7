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
from carecast._core import CarecastError, ConvergenceError, NotBracketedError
from carecast.engine import (
    GREEN_BOOK,
    Accrued,
    BatchOutputs,
    CohortModel,
    DiscountSchedule,
    LabelledProjection,
    Projection,
    Reduction,
    Simulation,
    accrue,
    benefit_cost_ratio,
    cumulative,
    discount_factors,
    discounted_cumulative,
    find_root,
    npv,
    payback,
    present_value,
    price_index,
    project,
    project_batch,
    random_weights,
    rank_probabilities,
    roi,
    simulate,
    step_discount_factors,
    weighted_scores,
)

__version__ = "0.1.0"

# The children-in-care model, the examples and SSDA903 ingest are imported on
# first use, so that `import carecast` stays quick and light.
_LAZY = {
    "care": ("carecast.care", None),
    "ssda903": ("carecast.ssda903", None),
    "councils": ("carecast.councils", None),
    "council": ("carecast.councils", "council"),
    "cluster": ("carecast.engine.cluster", None),
    "facts": ("carecast.facts", None),
    "fact": ("carecast.facts", "fact"),
    "WorkforceProjection": ("carecast.care.workforce", "WorkforceProjection"),
    "project_workforce": ("carecast.care.workforce", "project_workforce"),
    "staff_needed": ("carecast.care.workforce", "staff_needed"),
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
    "load_example": ("carecast.care.examples", "load_example"),
    "list_examples": ("carecast.care.examples", "list_examples"),
    "load_scenario_file": ("carecast.care.scenario_file", "load_scenario_file"),
    "save_scenario_file": ("carecast.care.scenario_file", "save_scenario_file"),
    "PLACEMENTS": ("carecast.care.taxonomy", "PLACEMENTS"),
    "EXIT_GROUPS": ("carecast.care.taxonomy", "EXIT_GROUPS"),
    "Taxonomy": ("carecast.care.taxonomy", "Taxonomy"),
    "DEFAULT_TAXONOMY": ("carecast.care.taxonomy", "DEFAULT_TAXONOMY"),
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

__all__ = sorted(set(_LAZY) - {"care", "ssda903", "cluster", "facts", "councils"}) + [
    "Accrued",
    "CarecastError",
    "CohortModel",
    "ConvergenceError",
    "DiscountSchedule",
    "GREEN_BOOK",
    "LabelledProjection",
    "NotBracketedError",
    "BatchOutputs", "Reduction",
    "Projection",
    "Simulation",
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
    "random_weights",
    "rank_probabilities",
    "roi",
    "simulate",
    "step_discount_factors",
    "weighted_scores",
]
