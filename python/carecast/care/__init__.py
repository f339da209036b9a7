"""The children-in-care model: parameters, state space, runs, results and costs.

Modules
-------
parameters
    :class:`CareParameters`, the contract between the model and calibration.
"""

from carecast.care.parameters import CareParameters

__all__ = ["CareParameters"]
