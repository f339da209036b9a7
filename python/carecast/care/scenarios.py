"""Named scenarios: changes to a council's parameters.

A :class:`Scenario` is a named set of changes applied to a
:class:`~carecast.care.parameters.CareParameters`: ``set`` replaces fields,
``scale`` multiplies them (arrays element by element, or by a scalar). The
baseline is the scenario with no changes. Scenarios are what a scenario file
stores under ``[scenarios.NAME]``; the file and this class accept and refuse
the same things (the file hands its tables to this class unchanged).

Changes apply from the start date for the whole run; a change that phases in
is modelled by running the parameters it implies (see the interventions in
:mod:`carecast.care.interventions` when present).

Decisions where the design is silent
------------------------------------
* **A table changes only what it names.** ``set={"weekly_cost":
  {"agency_foster": 1000.0}}`` changes the agency cost and leaves every other
  placement's cost as it was; ``scale={"exit_rates": {"adopted": 1.2}}``
  raises adoption hazards by a fifth and leaves the other exit groups alone.
  A table names positions along the field's last axis: placements for
  ``weekly_cost`` and ``entries_per_year``, exit groups for ``exit_costs``
  and ``exit_rates``, the placement moved to for ``move_rates``.
* A scenario may not change what defines the council and the basis of the
  money (dimensions, ``name``, ``start_date``, ``price_year``,
  ``discount_rate``, ``general_inflation``): a comparison against the
  baseline would then mix two councils or two price bases.
* ``baseline`` (in any case) is not a scenario name: results call the run
  without a scenario ``baseline``, and two runs of that name could not be
  told apart.
* Interventions are checked against the parameters when the scenario is
  applied (a placement or exit group they need, a share of 1 a year), so a
  scenario file reports them at load and not at the first run.
* Intervention timing (``start_year``, ``ramp_years``, ``end_year``) is at
  most :data:`MAX_YEARS` years, the longest run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from carecast import checks
from carecast.care.interventions import Intervention, intervention_from_dict, modifiers_and_costs
from carecast.care.parameters import ARRAY_FIELDS, CareParameters

__all__ = ["Scenario", "ARRAY_FIELDS", "SCALABLE_FIELDS", "FIXED_FIELDS", "NAMED_AXIS", "MAX_YEARS"]

#: Fields a scenario may multiply.
SCALABLE_FIELDS = ARRAY_FIELDS + (
    "entry_cost", "proceedings_cost", "proceedings_share", "move_cost",
    "care_leaver_weekly_cost", "sgo_allowance_weekly", "sgo_allowance_share",
    "adoption_allowance_weekly", "adoption_allowance_share")
#: Fields a scenario may not change (they define the council and the basis of its money).
FIXED_FIELDS = ("age_bands", "placements", "time_in_care_bands", "exit_groups", "name", "start_date",
                "price_year", "discount_rate", "general_inflation")
#: Array fields that take a table by name, and the parameters' list of names along their last axis.
NAMED_AXIS = {"weekly_cost": "placements", "entries_per_year": "placements", "move_rates": "placements",
              "exit_costs": "exit_groups", "exit_rates": "exit_groups"}
#: Longest time, in years, an intervention's timing may name (the longest run).
MAX_YEARS = 200.0
_TIMING = ("start_year", "ramp_years", "end_year")


@dataclass
class Scenario:
    """A named change to the parameters.

    Parameters
    ----------
    name : str
        Short identifier (letters, digits, ``_`` and ``-``; not ``baseline``).
    description : str
        What the scenario represents, shown in output.
    set : dict
        Field name to its new value (same form as in ``CareParameters``;
        arrays may be any shape that broadcasts to the field's shape, or a
        table by name that changes only the names it gives).
    scale : dict
        Field name to a multiplier: a number, an array broadcasting to the
        field's shape (e.g. ``exit_rates`` by exit group, shape ``(E,)``), or
        a table by name (names not given keep a factor of 1).
    interventions : list of Intervention
        Policies that change entries, exits and placements over time, at a
        cost (see :mod:`carecast.care.interventions`).

    Raises
    ------
    carecast.checks.FieldError
        With ``field`` such as ``set.weekly_cost`` or ``interventions[0]``.

    Examples
    --------
    >>> from carecast.care.parameters import CareParameters
    >>> base = CareParameters.empty(age_bands=(0, 10), placements=("foster", "residential"))
    >>> base.entries_per_year[:] = 10.0
    >>> float(Scenario("fewer", scale={"entries_per_year": 0.9}).apply(base).entries_per_year.sum())
    36.0
    >>> base = base.replace(weekly_cost=[600.0, 3000.0])
    >>> Scenario("dearer", set={"weekly_cost": {"residential": 3500.0}}).apply(base).weekly_cost.tolist()
    [600.0, 3500.0]
    """

    name: str
    description: str = ""
    set: dict[str, Any] = field(default_factory=dict)
    scale: dict[str, Any] = field(default_factory=dict)
    interventions: list[Intervention] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name or not all(
                c.isalnum() or c in "_-" for c in self.name):
            raise checks.FieldError("name", f"scenario name must be letters, digits, '_' or '-', got {self.name!r}")
        if self.name.lower() == "baseline":
            raise checks.FieldError("name", "'baseline' is the run without a scenario; give the scenario "
                                            "another name", context=self._context)
        self.description = checks.text("description", self.description, context=self._context)
        for sub in ("set", "scale"):
            table = getattr(self, sub)
            if not isinstance(table, Mapping):
                raise checks.FieldTypeError(sub, f"must be a table of field names, got {type(table).__name__}",
                                            context=self._context)
            setattr(self, sub, dict(table))
        known = {f.name for f in fields(CareParameters)}
        for key in self.set:
            if key not in known:
                raise checks.FieldError(f"set.{key}", "unknown field", context=self._context)
            if key in FIXED_FIELDS:
                raise checks.FieldError(f"set.{key}", "a scenario may not change this (it defines the council "
                                                      "or the basis of its money; compare would mix two)",
                                        context=self._context)
        for key in self.scale:
            if key not in SCALABLE_FIELDS:
                raise checks.FieldError(f"scale.{key}", f"cannot be scaled (scalable: {', '.join(SCALABLE_FIELDS)})",
                                        context=self._context)
        if isinstance(self.interventions, (str, Mapping)) or not isinstance(self.interventions, (list, tuple)):
            raise checks.FieldTypeError("interventions", "must be a list of interventions", context=self._context)
        self.interventions = list(self.interventions)
        for k, item in enumerate(self.interventions):
            where = f"interventions[{k}]"
            if not isinstance(item, Intervention):
                raise checks.FieldTypeError(where, f"must be an Intervention, got {type(item).__name__}",
                                            context=self._context)
            for name in _TIMING:
                value = getattr(item, name, None)
                if value is not None and value > MAX_YEARS:
                    raise checks.FieldError(f"{where}.{name}", f"must be at most {MAX_YEARS:g} years, got {value:g}",
                                            context=self._context)

    @property
    def _context(self) -> str:
        return f"scenario {self.name!r}"

    def apply(self, parameters: CareParameters, *, copy: bool = True) -> CareParameters:
        """Return new parameters with this scenario's changes (the input is not modified).

        ``copy=False``: a scenario that sets and scales nothing (interventions
        only) returns ``parameters`` itself, checked against its
        interventions, instead of a copy (for runs that only read them).
        """
        if not isinstance(parameters, CareParameters):
            raise checks.FieldTypeError("parameters", f"must be CareParameters, got {type(parameters).__name__}")
        if not copy and not self.set and not self.scale:
            self._check_interventions(parameters)
            return parameters
        changes: dict[str, Any] = {}
        for key, value in self.set.items():
            changes[key] = self._set_value(parameters, key, value)
        for key, factor in self.scale.items():
            current = changes.get(key, getattr(parameters, key))
            changes[key] = self._scaled(parameters, key, current, factor)
        try:
            applied = parameters.replace(**changes)
        except checks.FieldError as err:
            sub = "set" if err.field in self.set else "scale" if err.field in self.scale else None
            if sub is None:
                raise
            raise err.within(sub, context=self._context) from None
        self._check_interventions(applied)
        return applied

    def _named(self, parameters: CareParameters, where: str, key: str, table: Mapping[str, Any],
               start: np.ndarray, *, low: float | None) -> np.ndarray:
        """``start`` with the positions a table names along the last axis replaced by its numbers."""
        if key not in NAMED_AXIS:
            raise checks.FieldTypeError(where, f"a table by name is not accepted here (only for "
                                               f"{', '.join(NAMED_AXIS)})", context=self._context)
        names = getattr(parameters, NAMED_AXIS[key])
        out = np.array(start, dtype=np.float64)
        for name, value in table.items():
            if name not in names:
                raise checks.FieldError(where, f"unknown name {name!r} (expected one of {', '.join(names)})",
                                        context=self._context)
            out[..., names.index(name)] = checks.number(f"{where}.{name}", value, low=low, context=self._context)
        return out

    def _set_value(self, parameters: CareParameters, key: str, value: Any) -> Any:
        where = f"set.{key}"
        current = getattr(parameters, key)
        if key not in ARRAY_FIELDS:
            return value                      # checked by CareParameters, reported as set.KEY
        if isinstance(value, Mapping):
            return self._named(parameters, where, key, value, current, low=None)
        leading = "years" if key == "entries_per_year" else None
        arr = checks.array(where, value, parameters.axes(key), broadcast=True, leading=leading,
                           context=self._context)
        if arr.ndim < current.ndim:          # a (A, P) value for year-by-year entries: every year
            arr = np.broadcast_to(arr, current.shape).copy()
        return arr

    def _scaled(self, parameters: CareParameters, key: str, current: Any, factor: Any) -> Any:
        where = f"scale.{key}"
        if isinstance(current, np.ndarray):
            if isinstance(factor, Mapping):
                ones = np.ones(current.shape)
                return current * self._named(parameters, where, key, factor, ones, low=0.0)
            leading = "years" if key == "entries_per_year" else None
            arr = checks.array(where, factor, parameters.axes(key), broadcast=True, leading=leading,
                               context=self._context)
            if arr.ndim == current.ndim == 3 and arr.shape[0] not in (1, current.shape[0]):
                raise checks.FieldError(where, f"has {arr.shape[0]} years of factors for {current.shape[0]} "
                                               f"years of entries", context=self._context)
            return current * arr
        return float(current) * checks.number(where, factor, low=0.0, context=self._context)

    def _check_interventions(self, parameters: CareParameters) -> None:
        """Run each intervention's own checks against the parameters, for one step."""
        a, p = parameters.shape[:2]
        for k, item in enumerate(self.interventions):
            try:
                modifiers_and_costs(parameters, [item], 1, 1 / 12, np.zeros((1, a, p)))
            except (ValueError, TypeError) as exc:
                raise checks.FieldError(f"interventions[{k}]", str(exc), context=self._context) from None

    def to_dict(self) -> dict[str, Any]:
        """Plain data for a scenario file."""
        out: dict[str, Any] = {}
        if self.description:
            out["description"] = self.description
        if self.set:
            out["set"] = {k: _plain(v) for k, v in self.set.items()}
        if self.scale:
            out["scale"] = {k: _plain(v) for k, v in self.scale.items()}
        if self.interventions:
            out["interventions"] = [item.to_dict() for item in self.interventions]
        return out

    @classmethod
    def from_dict(cls, name: str, data: Mapping[str, Any]) -> Scenario:
        """A scenario from plain data (a scenario file's table); errors are FieldErrors."""
        context = f"scenario {name!r}"
        if not isinstance(data, Mapping):
            raise checks.FieldTypeError("scenario", "must be a table", context=context)
        for key in data:
            if key not in ("description", "set", "scale", "interventions"):
                raise checks.FieldError(key, "unknown key (expected description, set, scale, interventions)",
                                        context=context)
        items = data.get("interventions", [])
        if not isinstance(items, list):
            raise checks.FieldTypeError("interventions", "must be a list of tables", context=context)
        interventions = []
        for k, item in enumerate(items):
            where = f"interventions[{k}]"
            try:
                interventions.append(intervention_from_dict(item))
            except checks.FieldError as err:
                raise err.within(where, context=context) from None
            except (ValueError, TypeError) as exc:
                raise checks.FieldError(where, str(exc), context=context) from None
        return cls(name=name, description=data.get("description", ""),
                   set=data.get("set", {}), scale=data.get("scale", {}), interventions=interventions)


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value
