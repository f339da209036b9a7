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

Each type knows its fields' bounds (``Intervention.bounds()``, checked on
construction) and how it changes a run (:meth:`Intervention.apply`, which
adds its step-by-step changes to an :class:`Effects`); a new type needs no
change elsewhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar

import numpy as np

from carecast import checks
from carecast.care.parameters import CareParameters
from carecast.care.statespace import Modifiers
from carecast.care.taxonomy import AGENCY_FOSTER, INHOUSE_FOSTER, RESIDENTIAL, RETURNED_HOME

__all__ = ["Intervention", "EdgeOfCare", "ReunificationSupport", "InHouseFostering", "ResidentialStepDown",
           "Bounds", "Effects", "intervention_from_dict", "modifiers_and_costs", "INTERVENTION_TYPES"]


@dataclass(frozen=True)
class Bounds:
    """The values a numeric field may take: ``low <= value <= high`` (``< high`` when ``high_open``).

    >>> Bounds(high=1.0, high_open=True).describe()
    '>= 0.0 and below 1.0'
    """

    low: float = 0.0
    high: float | None = None
    high_open: bool = False
    optional: bool = False

    def describe(self) -> str:
        text = f">= {self.low}"
        if self.high is not None:
            text += f" and below {self.high}" if self.high_open else f" and <= {self.high}"
        return text

    def check(self, owner: str, name: str, value: Any) -> None:
        """Raise a :class:`carecast.checks.FieldError` naming ``owner.name`` unless ``value`` is within the bounds."""
        if value is None and self.optional:
            return
        checks.number(name, value, low=self.low, high=self.high, high_open=self.high_open, context=owner)


#: A share of children or families: 0 to 1.
SHARE = Bounds(high=1.0)
#: A share of children a year turned into a hazard (``-log(1 - share)``): below 1.
SHARE_PER_YEAR = Bounds(high=1.0, high_open=True)
#: A count, a cost or a time: 0 or more.
AMOUNT = Bounds()


@dataclass
class Effects:
    """What interventions do to a run, step by step, as they are applied in turn.

    Attributes
    ----------
    parameters : CareParameters
    steps : int
    dt : float
    base_entries : ndarray (steps, A, P)
        Entries per step without interventions.
    mid : ndarray (steps,)
        Middle of each step, years from the start.
    entries_factor, entries_shift, exit_factor, extra_moves : ndarray
        As in :class:`~carecast.care.statespace.Modifiers` (identity until changed).
    costs : dict
        Programme component name to its cost a year in each step.
    per_move : list
        ``(from, to, cost, extra_share, label)`` per-move costs.
    """

    parameters: CareParameters
    steps: int
    dt: float
    base_entries: np.ndarray
    mid: np.ndarray
    entries_factor: np.ndarray
    entries_shift: np.ndarray
    exit_factor: np.ndarray
    extra_moves: np.ndarray
    costs: dict[str, np.ndarray] = field(default_factory=dict)
    per_move: list = field(default_factory=list)
    used: set[str] = field(default_factory=set)

    @classmethod
    def identity(cls, parameters: CareParameters, steps: int, dt: float, base_entries: np.ndarray) -> Effects:
        A, P, T, E = parameters.shape
        return cls(parameters=parameters, steps=steps, dt=dt, base_entries=base_entries,
                   mid=(np.arange(steps) + 0.5) * dt, entries_factor=np.ones((steps, A, P)),
                   entries_shift=np.broadcast_to(np.eye(P), (steps, P, P)).copy(),
                   exit_factor=np.ones((steps, 1, 1, 1, E)), extra_moves=np.zeros((steps, 1, P, 1, P)))

    def placement(self, name: str, owner: str) -> int:
        """Index of placement ``name``, or a ValueError saying which intervention needs it."""
        if name not in self.parameters.placements:
            raise ValueError(f"{owner} needs placement {name!r}, which the model does not have")
        return self.parameters.placements.index(name)

    def exit_group(self, name: str, owner: str) -> int:
        if name not in self.parameters.exit_groups:
            raise ValueError(f"{owner} needs the exit group {name!r}")
        return self.parameters.exit_groups.index(name)

    def modifiers(self) -> Modifiers:
        return Modifiers(entries_factor=self.entries_factor if "entries" in self.used else None,
                         entries_shift=self.entries_shift if "shift" in self.used else None,
                         exit_factor=self.exit_factor if "exit" in self.used else None,
                         extra_moves=self.extra_moves if "moves" in self.used else None)


@dataclass
class Intervention:
    """Timing shared by all interventions (years from the start date).

    Subclasses set ``type`` (the name in scenario files), ``field_bounds``
    (their own numeric fields' bounds) and :meth:`apply`.
    """

    type: ClassVar[str] = ""
    field_bounds: ClassVar[Mapping[str, Bounds]] = {
        "start_year": AMOUNT, "ramp_years": AMOUNT, "end_year": Bounds(optional=True), "fade_per_year": SHARE}
    start_year: float = 0.0
    ramp_years: float = 0.0
    end_year: float | None = None
    fade_per_year: float = 0.0

    @classmethod
    def bounds(cls) -> dict[str, Bounds]:
        """Every numeric field's bounds, this class's and those it inherits."""
        out: dict[str, Bounds] = {}
        for klass in reversed(cls.__mro__):
            out.update(vars(klass).get("field_bounds", {}))
        return out

    def __post_init__(self) -> None:
        name = type(self).__name__
        bounds = self.bounds()
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in bounds:
                bounds[f.name].check(name, f.name, value)
            else:
                checks.text(f.name, value, empty=False, context=name)
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

    def apply(self, effects: Effects, label: str) -> None:
        """Add this intervention's changes and programme costs (component ``label``) to ``effects``."""
        raise NotImplementedError(f"{type(self).__name__} does not say how it changes a run")

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
    field_bounds: ClassVar[Mapping[str, Bounds]] = {
        "families_per_year": AMOUNT, "share_would_enter": SHARE, "effect": SHARE, "cost_per_family": AMOUNT,
        "children_per_family": AMOUNT}
    families_per_year: float = 0.0
    share_would_enter: float = 0.0
    effect: float = 0.0
    cost_per_family: float = 0.0
    children_per_family: float = 1.0

    def entries_averted_per_year(self) -> float:
        """At full activity and before any fade."""
        return self.families_per_year * self.share_would_enter * self.children_per_family * self.effect

    def apply(self, effects: Effects, label: str) -> None:
        """Entries fall by those averted (a factor on every age and placement), never below 0."""
        per_step = effects.base_entries.sum(axis=(1, 2))
        averted = self.entries_averted_per_year() * self.strength(effects.mid) * effects.dt
        with np.errstate(invalid="ignore", divide="ignore"):
            factor = np.where(per_step > 0, np.clip(1.0 - averted / per_step, 0.0, 1.0), 1.0)
        effects.entries_factor *= factor[:, None, None]
        effects.costs[label] = self.families_per_year * self.cost_per_family * self.activity(effects.mid)
        effects.used.add("entries")


@dataclass
class ReunificationSupport(Intervention):
    """Support that raises the hazard of returning home by ``effect`` (relative)."""

    type: ClassVar[str] = "reunification"
    field_bounds: ClassVar[Mapping[str, Bounds]] = {"effect": AMOUNT, "cost_per_year": AMOUNT}
    effect: float = 0.0
    cost_per_year: float = 0.0

    def apply(self, effects: Effects, label: str) -> None:
        """The hazard of returning home is multiplied by ``1 + effect * strength``."""
        g = effects.exit_group(RETURNED_HOME, "ReunificationSupport")
        effects.exit_factor[:, 0, 0, 0, g] *= 1.0 + self.effect * self.strength(effects.mid)
        effects.costs[label] = self.cost_per_year * self.activity(effects.mid)
        effects.used.add("exit")


@dataclass
class InHouseFostering(Intervention):
    """In-house foster carers instead of agency placements."""

    type: ClassVar[str] = "inhouse_fostering"
    field_bounds: ClassVar[Mapping[str, Bounds]] = {
        "share_of_agency_entries": SHARE, "share_moved_per_year": SHARE_PER_YEAR, "cost_per_year": AMOUNT}
    share_of_agency_entries: float = 0.0
    share_moved_per_year: float = 0.0
    cost_per_year: float = 0.0

    def apply(self, effects: Effects, label: str) -> None:
        """A share of agency entrants placed in-house; agency to in-house moves at ``-log(1 - share)`` a year."""
        agency = effects.placement(AGENCY_FOSTER, "InHouseFostering")
        inhouse = effects.placement(INHOUSE_FOSTER, "InHouseFostering")
        strength = self.strength(effects.mid)
        shift = effects.entries_shift
        take = self.share_of_agency_entries * strength * shift[:, agency, agency]
        shift[:, agency, agency] -= take           # rows keep summing to 1
        shift[:, agency, inhouse] += take
        effects.extra_moves[:, 0, agency, 0, inhouse] += -np.log1p(-self.share_moved_per_year) * strength
        effects.costs[label] = self.cost_per_year * self.activity(effects.mid)
        effects.used.update(("shift", "moves"))


@dataclass
class ResidentialStepDown(Intervention):
    """Children in residential care stepping down to foster care."""

    type: ClassVar[str] = "residential_step_down"
    field_bounds: ClassVar[Mapping[str, Bounds]] = {"share_per_year": SHARE_PER_YEAR, "cost_per_move": AMOUNT}
    share_per_year: float = 0.0
    to_placement: str = INHOUSE_FOSTER
    cost_per_move: float = 0.0

    def apply(self, effects: Effects, label: str) -> None:
        """Moves from residential to ``to_placement`` at ``-log(1 - share)`` a year, costed per added move.

        The cost falls on the share of residential-to-target moves the
        intervention adds: its hazard over its hazard plus the parameters'
        mean hazard of that move.
        """
        residential = effects.placement(RESIDENTIAL, "ResidentialStepDown")
        target = effects.placement(self.to_placement, "ResidentialStepDown")
        hazard = -np.log1p(-self.share_per_year) * self.strength(effects.mid)
        effects.extra_moves[:, 0, residential, 0, target] += hazard
        base = effects.parameters.move_rates[:, residential, :, target].mean()
        with np.errstate(invalid="ignore", divide="ignore"):
            extra_share = np.where(hazard > 0, hazard / (hazard + base), 0.0)
        effects.per_move.append((residential, target, self.cost_per_move, extra_share, label))
        effects.used.add("moves")


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
    per_move_costs : list of (from_placement, to_placement, cost, extra_share (steps,), label)
        One-off costs per move that the result counts from its events.
    """
    effects = Effects.identity(parameters, steps, dt, base_entries)
    for k, item in enumerate(interventions):
        if not isinstance(item, Intervention):
            raise TypeError(f"not an intervention: {item!r}")
        repeated = sum(i.type == item.type for i in interventions) > 1
        item.apply(effects, f"programme: {item.type}" + (f" #{k + 1}" if repeated else ""))
    return effects.modifiers(), effects.costs, effects.per_move
