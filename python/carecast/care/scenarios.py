"""Named scenarios: changes to a council's parameters.

A :class:`Scenario` is a named set of changes applied to a
:class:`~carecast.care.parameters.CareParameters`: ``set`` replaces fields,
``scale`` multiplies them (arrays element by element, or by a scalar). The
baseline is the scenario with no changes. Scenarios are what a scenario file
stores under ``[scenarios.NAME]``.

Changes apply from the start date for the whole run; a change that phases in
is modelled by running the parameters it implies (see the interventions in
:mod:`carecast.care.interventions` when present).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from carecast.care.interventions import Intervention, intervention_from_dict
from carecast.care.parameters import CareParameters

__all__ = ["Scenario", "ARRAY_FIELDS", "SCALABLE_FIELDS"]

#: Fields holding arrays (their dimension order is documented on CareParameters).
ARRAY_FIELDS = ("stock", "entries_per_year", "exit_rates", "move_rates", "weekly_cost", "exit_costs")
#: Fields a scenario may multiply.
SCALABLE_FIELDS = ARRAY_FIELDS + (
    "entry_cost", "proceedings_cost", "proceedings_share", "move_cost",
    "care_leaver_weekly_cost", "sgo_allowance_weekly", "sgo_allowance_share",
    "adoption_allowance_weekly", "adoption_allowance_share")


@dataclass
class Scenario:
    """A named change to the parameters.

    Parameters
    ----------
    name : str
        Short identifier (letters, digits, ``_`` and ``-``).
    description : str
        What the scenario represents, shown in output.
    set : dict
        Field name to its new value (same form as in ``CareParameters``;
        arrays may be any shape that broadcasts to the field's shape).
    scale : dict
        Field name to a multiplier: a number, or an array broadcasting to the
        field's shape (e.g. ``exit_rates`` by exit group, shape ``(E,)``).
    interventions : list of Intervention
        Policies that change entries, exits and placements over time, at a
        cost (see :mod:`carecast.care.interventions`).

    Examples
    --------
    >>> from carecast.care.parameters import CareParameters
    >>> base = CareParameters.empty(age_bands=(0, 10), placements=("foster", "residential"))
    >>> base.entries_per_year[:] = 10.0
    >>> float(Scenario("fewer", scale={"entries_per_year": 0.9}).apply(base).entries_per_year.sum())
    36.0
    """

    name: str
    description: str = ""
    set: dict[str, Any] = field(default_factory=dict)
    scale: dict[str, Any] = field(default_factory=dict)
    interventions: list[Intervention] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.interventions = list(self.interventions)
        for item in self.interventions:
            if not isinstance(item, Intervention):
                raise TypeError(f"scenario {self.name!r}: interventions must be Intervention objects, got {item!r}")
        if not isinstance(self.name, str) or not self.name or not all(
                c.isalnum() or c in "_-" for c in self.name):
            raise ValueError(f"scenario name must be letters, digits, '_' or '-', got {self.name!r}")
        known = {f.name for f in fields(CareParameters)}
        for key in self.set:
            if key not in known:
                raise ValueError(f"scenario {self.name!r}: set names unknown field {key!r}")
        for key in self.scale:
            if key not in SCALABLE_FIELDS:
                raise ValueError(f"scenario {self.name!r}: scale names {key!r}, which cannot be "
                                 f"scaled (scalable: {', '.join(SCALABLE_FIELDS)})")

    def apply(self, parameters: CareParameters) -> CareParameters:
        """Return new parameters with this scenario's changes (the input is not modified)."""
        changes: dict[str, Any] = {}
        for key, value in self.set.items():
            changes[key] = _broadcast(self.name, key, value, getattr(parameters, key))
        for key, factor in self.scale.items():
            current = changes.get(key, getattr(parameters, key))
            try:
                factor_arr = np.asarray(factor, dtype=np.float64)
            except (TypeError, ValueError):
                raise TypeError(f"scenario {self.name!r}: scale.{key} must be a number or array") from None
            if np.any(~np.isfinite(factor_arr)) or np.any(factor_arr < 0):
                raise ValueError(f"scenario {self.name!r}: scale.{key} must be finite and >= 0")
            if isinstance(current, np.ndarray):
                try:
                    changes[key] = current * np.broadcast_to(factor_arr, current.shape)
                except ValueError:
                    raise ValueError(f"scenario {self.name!r}: scale.{key} has shape {factor_arr.shape}, "
                                     f"which does not broadcast to {current.shape}") from None
            else:
                if factor_arr.ndim:
                    raise ValueError(f"scenario {self.name!r}: scale.{key} must be a number")
                changes[key] = float(current) * float(factor_arr)
        return parameters.replace(**changes)

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
        unknown = set(data) - {"description", "set", "scale", "interventions"}
        if unknown:
            raise ValueError(f"scenario {name!r}: unknown keys {sorted(unknown)} "
                             f"(expected description, set, scale, interventions)")
        items = data.get("interventions", [])
        if not isinstance(items, list):
            raise ValueError(f"scenario {name!r}: interventions must be a list of tables")
        return cls(name=name, description=str(data.get("description", "")),
                   set=dict(data.get("set", {})), scale=dict(data.get("scale", {})),
                   interventions=[intervention_from_dict(item) for item in items])


def _broadcast(name: str, key: str, value: Any, current: Any) -> Any:
    if isinstance(current, np.ndarray) and key != "entries_per_year":
        try:
            arr = np.asarray(value, dtype=np.float64)
            return np.broadcast_to(arr, current.shape).copy()
        except (TypeError, ValueError):
            raise ValueError(f"scenario {name!r}: set.{key} has shape {np.shape(value)}, which does "
                             f"not broadcast to {current.shape}") from None
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value
