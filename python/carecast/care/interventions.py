"""Interventions: policies that change entries, exits and placements over time, at a cost.

Each intervention starts ``start_year`` years after the start date, ramps up
linearly over ``ramp_years`` to full activity, runs until ``end_year`` (or the
end of the run), and its effect may fade by ``fade_per_year`` (a proportional
fall a year once fully ramped up) while its cost does not. Programme costs are
cash at the parameters' ``price_year`` prices, uprated like placement costs.

* :class:`EdgeOfCare`: families reached a year, the share who would otherwise
  have had a child enter care, and the effect (the share of those entries
  prevented): entries averted a year = families x share x children per family
  x effect. Cost per family reached.
* :class:`ReunificationSupport`: raises the hazard of returning home by
  ``effect`` (0.2 = 20% higher). Cost a year.
* :class:`InHouseFostering`: recruiting in-house foster carers instead of
  using agencies: a share of entrants who would have gone to agency foster
  care go in-house, and a share of children in agency placements move
  in-house each year. Cost a year (recruitment and support).
* :class:`ResidentialStepDown`: a share of children in residential care move
  to foster care each year. Cost per move.

Interventions are listed on a :class:`~carecast.care.scenarios.Scenario` and
saved in scenario files as ``interventions = [{ type = "edge_of_care", ... }]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any, ClassVar

import numpy as np

from carecast import checks
from carecast.care.parameters import CareParameters
from carecast.care.statespace import Modifiers

__all__ = ["Intervention", "EdgeOfCare", "ReunificationSupport", "InHouseFostering", "ResidentialStepDown",
           "intervention_from_dict", "modifiers_and_costs", "INTERVENTION_TYPES"]


def _check_number(owner: str, name: str, value: Any, *, low: float = 0.0, high: float | None = None,
                  allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    checks.number(name, value, low=low, high=high, context=owner)


@dataclass
class Intervention:
    """Timing shared by all interventions (years from the start date)."""

    type: ClassVar[str] = ""
    start_year: float = 0.0
    ramp_years: float = 0.0
    end_year: float | None = None
    fade_per_year: float = 0.0

    def __post_init__(self) -> None:
        name = type(self).__name__
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "end_year":
                _check_number(name, f.name, value, allow_none=True)
            elif f.name in ("fade_per_year", "effect", "share_would_enter", "share_of_agency_entries",
                            "share_moved_per_year", "share_per_year"):
                _check_number(name, f.name, value, high=1.0 if f.name != "effect" or self.type != "reunification"
                              else None)
            elif f.name in ("to_placement",):
                checks.text(f.name, value, empty=False, context=name)
            else:
                _check_number(name, f.name, value)
        if self.end_year is not None and self.end_year <= self.start_year:
            raise checks.FieldError("end_year", "must be after start_year", context=name)

    def activity(self, times: np.ndarray) -> np.ndarray:
        """Share of full activity at each time (years from the start)."""
        t = np.asarray(times, dtype=float)
        if self.ramp_years > 0:
            level = np.clip((t - self.start_year) / self.ramp_years, 0.0, 1.0)
        else:
            level = (t >= self.start_year).astype(float)
        if self.end_year is not None:
            level = np.where(t >= self.end_year, 0.0, level)
        return level

    def strength(self, times: np.ndarray) -> np.ndarray:
        """Share of the full effect at each time: activity, faded after ramp-up."""
        t = np.asarray(times, dtype=float)
        since = np.maximum(0.0, t - self.start_year - self.ramp_years)
        return self.activity(t) * (1.0 - self.fade_per_year) ** since

    def to_dict(self) -> dict[str, Any]:
        out = {"type": self.type}
        out.update({k: v for k, v in asdict(self).items() if v is not None})
        return out


@dataclass
class EdgeOfCare(Intervention):
    """Edge-of-care work with families, preventing some entries to care.

    Examples
    --------
    >>> e = EdgeOfCare(families_per_year=200, share_would_enter=0.5, effect=0.2, cost_per_family=5000)
    >>> e.entries_averted_per_year()
    20.0
    """

    type: ClassVar[str] = "edge_of_care"
    families_per_year: float = 0.0
    share_would_enter: float = 0.0
    effect: float = 0.0
    cost_per_family: float = 0.0
    children_per_family: float = 1.0

    def entries_averted_per_year(self) -> float:
        """At full activity and before any fade."""
        return self.families_per_year * self.share_would_enter * self.children_per_family * self.effect


@dataclass
class ReunificationSupport(Intervention):
    """Support that raises the hazard of returning home by ``effect`` (relative)."""

    type: ClassVar[str] = "reunification"
    effect: float = 0.0
    cost_per_year: float = 0.0


@dataclass
class InHouseFostering(Intervention):
    """In-house foster carers instead of agency placements."""

    type: ClassVar[str] = "inhouse_fostering"
    share_of_agency_entries: float = 0.0
    share_moved_per_year: float = 0.0
    cost_per_year: float = 0.0


@dataclass
class ResidentialStepDown(Intervention):
    """Children in residential care stepping down to foster care."""

    type: ClassVar[str] = "residential_step_down"
    share_per_year: float = 0.0
    to_placement: str = "inhouse_foster"
    cost_per_move: float = 0.0


INTERVENTION_TYPES: dict[str, type[Intervention]] = {
    cls.type: cls for cls in (EdgeOfCare, ReunificationSupport, InHouseFostering, ResidentialStepDown)}


def intervention_from_dict(data: Mapping[str, Any]) -> Intervention:
    """Build an intervention from ``{"type": ..., field: value, ...}``."""
    if not isinstance(data, Mapping) or "type" not in data:
        raise ValueError(f"an intervention needs a 'type' (one of {', '.join(INTERVENTION_TYPES)})")
    kind = data["type"]
    if kind not in INTERVENTION_TYPES:
        raise ValueError(f"unknown intervention type {kind!r} (one of {', '.join(INTERVENTION_TYPES)})")
    cls = INTERVENTION_TYPES[kind]
    known = {f.name for f in fields(cls)}
    unknown = set(data) - known - {"type"}
    if unknown:
        raise ValueError(f"intervention {kind!r}: unknown keys {sorted(unknown)} (known: {', '.join(sorted(known))})")
    return cls(**{k: v for k, v in data.items() if k != "type"})


def _placement(parameters: CareParameters, name: str, owner: str) -> int:
    if name not in parameters.placements:
        raise ValueError(f"{owner} needs placement {name!r}, which the model does not have")
    return parameters.placements.index(name)


def modifiers_and_costs(parameters: CareParameters, interventions: list[Intervention], steps: int, dt: float,
                        base_entries: np.ndarray) -> tuple[Modifiers, dict[str, np.ndarray], list]:
    """Turn interventions into step-by-step modifiers and programme costs.

    Parameters
    ----------
    base_entries : array (steps, A, P)
        Entries per step without interventions (to turn entries averted into a factor).

    Returns
    -------
    modifiers : Modifiers
    costs_per_year : dict of component name to array (steps,)
        Programme cost rate (pounds a year, at ``price_year`` prices) in each step.
    per_move_costs : list of (from_placement, to_placement, cost, extra_share (steps,))
        One-off costs per move that the result counts from its events.
    """
    A, P, T, E = parameters.shape
    mid = (np.arange(steps) + 0.5) * dt
    entries_factor = np.ones((steps, A, P))
    shift = np.broadcast_to(np.eye(P), (steps, P, P)).copy()
    exit_factor = np.ones((steps, 1, 1, 1, E))
    extra_moves = np.zeros((steps, 1, P, 1, P))
    costs: dict[str, np.ndarray] = {}
    per_move: list = []
    used = {"entries": False, "shift": False, "exit": False, "moves": False}
    for k, item in enumerate(interventions):
        label = f"programme: {item.type}" + (f" #{k + 1}" if sum(i.type == item.type for i in interventions) > 1 else "")
        strength, activity = item.strength(mid), item.activity(mid)
        if isinstance(item, EdgeOfCare):
            per_step = base_entries.sum(axis=(1, 2))
            averted = item.entries_averted_per_year() * strength * dt
            with np.errstate(invalid="ignore", divide="ignore"):
                factor = np.where(per_step > 0, np.clip(1.0 - averted / per_step, 0.0, 1.0), 1.0)
            entries_factor *= factor[:, None, None]
            costs[label] = item.families_per_year * item.cost_per_family * activity
            used["entries"] = True
        elif isinstance(item, ReunificationSupport):
            g = parameters.exit_groups.index("returned_home") if "returned_home" in parameters.exit_groups else None
            if g is None:
                raise ValueError("ReunificationSupport needs the exit group 'returned_home'")
            exit_factor[:, 0, 0, 0, g] *= 1.0 + item.effect * strength
            costs[label] = item.cost_per_year * activity
            used["exit"] = True
        elif isinstance(item, InHouseFostering):
            agency = _placement(parameters, "agency_foster", "InHouseFostering")
            inhouse = _placement(parameters, "inhouse_foster", "InHouseFostering")
            take = item.share_of_agency_entries * strength * shift[:, agency, agency]
            shift[:, agency, agency] -= take           # rows keep summing to 1
            shift[:, agency, inhouse] += take
            if item.share_moved_per_year >= 1.0:
                raise ValueError("InHouseFostering.share_moved_per_year must be below 1")
            extra_moves[:, 0, agency, 0, inhouse] += -np.log1p(-item.share_moved_per_year) * strength
            costs[label] = item.cost_per_year * activity
            used["shift"] = used["moves"] = True
        elif isinstance(item, ResidentialStepDown):
            residential = _placement(parameters, "residential", "ResidentialStepDown")
            target = _placement(parameters, item.to_placement, "ResidentialStepDown")
            if item.share_per_year >= 1.0:
                raise ValueError("ResidentialStepDown.share_per_year must be below 1")
            hazard = -np.log1p(-item.share_per_year) * strength
            extra_moves[:, 0, residential, 0, target] += hazard
            base = parameters.move_rates[:, residential, :, target].mean()
            with np.errstate(invalid="ignore", divide="ignore"):
                extra_share = np.where(hazard > 0, hazard / (hazard + base), 0.0)
            per_move.append((residential, target, item.cost_per_move, extra_share, label))
            used["moves"] = True
        else:
            raise TypeError(f"not an intervention: {item!r}")
    modifiers = Modifiers(entries_factor=entries_factor if used["entries"] else None,
                          entries_shift=shift if used["shift"] else None,
                          exit_factor=exit_factor if used["exit"] else None,
                          extra_moves=extra_moves if used["moves"] else None)
    return modifiers, costs, per_move
