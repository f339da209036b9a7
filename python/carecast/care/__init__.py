"""The children-in-care model: parameters, state space, runs, results, costs and scenarios.

One band of ages 0-17 (so children age out at 1/18 a year), 100 children,
returning home at a hazard of 0.3 a year: after a year 100 exp(-0.3 - 1/18)
are still in care.

>>> from carecast.care import CareParameters, run
>>> p = CareParameters.empty(age_bands=(0,), placements=("foster", "home"))
>>> p.stock[0, 0, 0] = 100.0
>>> p.exit_rates[..., 0] = 0.3
>>> round(float(run(p, years=1, step="year").children_in_care()[-1]), 2)
70.08

Modules
-------
parameters
    :class:`CareParameters`, the contract between the model and calibration.
statespace
    States (age x placement x time in care, exits, post-exit) and engine arrays.
model
    :func:`run` and :class:`CareResult` (tidy tables of children, events, costs);
    :func:`run_batch` and :class:`CareBatch` (many parameter draws in one engine call).
costs, calendar, tables, report
    Cash / real / discounted costs, financial years, tables, text summaries.
scenarios, interventions, compare
    Named scenarios, policies over time, and scenario-versus-baseline appraisal.
"""

from carecast.care.compare import Comparison, break_even, compare
from carecast.care.interventions import (
           EdgeOfCare,
           InHouseFostering,
           ResidentialStepDown,
           ReunificationSupport,
)
from carecast.care.model import CareBatch, CareResult, run, run_batch
from carecast.care.parameters import CareParameters
from carecast.care.probabilistic import PSAResult, psa
from carecast.care.scenarios import Scenario
from carecast.care.tables import Table

__all__ = ["CareBatch", "CareParameters", "CareResult", "Comparison", "EdgeOfCare", "InHouseFostering",
           "PSAResult", "ResidentialStepDown", "ReunificationSupport", "Scenario", "Table", "break_even", "compare",
           "psa", "run", "run_batch"]
