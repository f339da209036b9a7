"""What the children in a projection cost: cash, real and discounted, by step.

Conventions
-----------
* Placement costs accrue per child per week in care, converted to a year of
  ``365.25 / 7`` weeks, on the trapezoid occupancy of each step (children who
  arrive during a step carry half a step of cost in it). Post-exit costs
  (care leavers 18-25, special guardianship and adoption allowances) accrue in
  the same way on the post-exit states.
* One-off costs: ``entry_cost`` plus ``proceedings_share * proceedings_cost``
  per child entering care, ``move_cost`` per placement move, ``exit_costs`` per
  exit by group.
* Cash: unit costs are at ``price_year`` prices (the middle of that financial
  year, 1 October) and grow by ``cost_inflation`` a year to the middle of each
  step. Real: cash deflated by ``general_inflation`` back to ``price_year``
  prices. Discounted: real terms discounted to the start date at mid-step with
  ``discount_rate`` (``None`` = the Green Book schedule).

Each component carries its kind (:class:`CostKind`: placement, post-exit,
event or programme) and, where it has one, the placement or exit group it
belongs to, so that appraisal and charts select components by kind rather
than by their names. Costs are computed with NumPy on whole arrays, with an
optional leading draw axis (one :class:`StepCosts` for a batch of runs); the
trapezoid rule is that of :func:`carecast.accrue`, applied to occupancy summed
by placement first (the same figures to rounding).
"""

from __future__ import annotations

import datetime as _dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from carecast import engine
from carecast.care.calendar import WEEKS_PER_YEAR, origin, years_between
from carecast.care.parameters import CareParameters, parse_price_year
from carecast.care.statespace import LEAVER_GROUP, StateSpace
from carecast.care.taxonomy import ADOPTED, SGO_CAO

__all__ = ["CostKind", "CostComponent", "StepCosts", "step_costs", "costs_from_sums", "occupancy_sums", "events_cost",
           "cost_factors", "UNIT_COST_FIELDS", "unit_costs"]


class CostKind(str, enum.Enum):
    """What a cost component is."""

    #: Weekly cost of children in a placement.
    PLACEMENT = "placement"
    #: Weekly cost after care: care leavers 18-25, adoption and special guardianship allowances.
    POST_EXIT = "post-exit"
    #: One-off cost per event: entering care, care proceedings, a placement move, an exit.
    EVENT = "event"
    #: The cost of an intervention (a programme a year, or per move it adds).
    PROGRAMME = "programme"


@dataclass(frozen=True)
class CostComponent:
    """One column of :class:`StepCosts`.

    ``name`` is the label in tables (``"placement: agency_foster"``,
    ``"care leavers 18-25"``, ``"exit: adopted"``, ``"programme: edge_of_care"``);
    ``placement`` and ``group`` index the placement or exit group the
    component belongs to (-1 when none).
    """

    name: str
    kind: CostKind
    placement: int = -1
    group: int = -1


#: The fields of :class:`~carecast.care.parameters.CareParameters` that are unit costs and their
#: price basis, as against demand (stock, entries, hazards) and the discount rate: what a model
#: built from SSDA903 returns, which hold no costs, takes from elsewhere.
UNIT_COST_FIELDS = ("weekly_cost", "price_year", "cost_sources", "entry_cost", "proceedings_cost",
                    "proceedings_share", "move_cost", "exit_costs", "care_leaver_weekly_cost",
                    "sgo_allowance_weekly", "sgo_allowance_share", "adoption_allowance_weekly",
                    "adoption_allowance_share", "cost_inflation", "general_inflation")


def unit_costs(parameters: CareParameters) -> dict:
    """The unit costs of ``parameters`` (copies), ready for ``other.replace(**unit_costs(parameters))``.

    ``weekly_cost`` is by placement and ``exit_costs`` by exit group, so the
    other parameters need the same placements and exit groups, in the same
    order: the caller checks the names (``replace`` refuses only a different
    number of them).

    Examples
    --------
    >>> from carecast.care.parameters import CareParameters
    >>> source = CareParameters.empty(age_bands=(0,), placements=("foster",), weekly_cost=[800.0], move_cost=50.0)
    >>> target = CareParameters.empty(age_bands=(0, 10), placements=("foster",))
    >>> target.replace(**unit_costs(source)).weekly_cost.tolist()
    [800.0]
    """
    out = {}
    for name in UNIT_COST_FIELDS:
        value = getattr(parameters, name)
        out[name] = value.copy() if isinstance(value, (np.ndarray, dict)) else value
    return out


#: Post-exit chains: exit group, table label, and the weekly cost per child in the chain.
_POST_EXIT = ((LEAVER_GROUP, "care leavers 18-25", lambda p: p.care_leaver_weekly_cost),
              (ADOPTED, "adoption allowances", lambda p: p.adoption_allowance_weekly * p.adoption_allowance_share),
              (SGO_CAO, "SGO/CAO allowances", lambda p: p.sgo_allowance_weekly * p.sgo_allowance_share))


@dataclass
class StepCosts:
    """Costs per step by component (cash terms) and the factors to restate them.

    ``cash`` is ``(..., steps, K)`` for the components in ``parts`` (a leading
    draw axis for a batch); ``real = cash * to_real[..., None]`` and
    ``discounted = real * discount[..., None]``.
    """

    parts: tuple[CostComponent, ...]
    cash: np.ndarray
    to_real: np.ndarray
    discount: np.ndarray

    @property
    def components(self) -> list[str]:
        """The components' names, as in tables."""
        return [c.name for c in self.parts]

    @property
    def real(self) -> np.ndarray:
        return self.cash * self.to_real[..., None]

    @property
    def discounted(self) -> np.ndarray:
        return self.real * self.discount[..., None]

    def terms(self, terms: str) -> np.ndarray:
        """``cash``, ``real`` or ``discounted`` costs, ``(..., steps, K)``."""
        if terms not in ("cash", "real", "discounted"):
            raise ValueError(f"terms must be 'cash', 'real' or 'discounted', got {terms!r}")
        return getattr(self, terms)

    def is_kind(self, *kinds: CostKind) -> np.ndarray:
        """Boolean mask over the components: those of any of ``kinds``."""
        return np.array([c.kind in kinds for c in self.parts], dtype=bool)

    def by_kind(self, terms: str = "cash") -> dict[CostKind, np.ndarray]:
        """Costs per step summed by kind, ``{kind: (..., steps)}`` (every kind, zeros where none)."""
        values = self.terms(terms)
        return {kind: values[..., self.is_kind(kind)].sum(axis=-1) for kind in CostKind}


def _years_from_price_base(parameters: CareParameters) -> float:
    """Model-time origin minus the middle of the price year, in years."""
    base = _dt.date(parse_price_year(parameters.price_year), 10, 1)
    o = origin(parameters.start_date)
    return years_between(base, o) if o >= base else -years_between(o, base)


def cost_factors(parameters: CareParameters, steps: int, dt: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(cash price index, general price index, discount factor) per step, at mid-step."""
    p = parameters
    base_years = _years_from_price_base(p)
    price = engine.price_index(steps, dt=dt, annual_rate=p.cost_inflation, years_from_base=base_years,
                               timing="mid")
    general = engine.price_index(steps, dt=dt, annual_rate=p.general_inflation, years_from_base=base_years,
                                 timing="mid")
    schedule = engine.GREEN_BOOK if p.discount_rate is None else p.discount_rate
    discount = engine.step_discount_factors(steps, dt=dt, timing="mid", schedule=schedule)
    return price, general, discount


def _per_draw(parameters: Sequence[CareParameters], steps: int, dt: float) -> tuple[np.ndarray, ...]:
    """Price, general index and discount per draw (computed once per distinct economic assumption)."""
    found: dict[tuple, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    rows = []
    for p in parameters:
        key = (p.cost_inflation, p.general_inflation, p.discount_rate, p.price_year, p.start_date)
        if key not in found:
            found[key] = cost_factors(p, steps, dt)
        rows.append(found[key])
    return tuple(np.stack([r[i] for r in rows]) for i in range(3))


def _refuse_overflow(cash: np.ndarray, parts: Sequence[CostComponent], params: Sequence[CareParameters],
                     dt: float) -> None:
    """Finite inputs whose costs overflow a double (e.g. ``entry_cost=1e307``): a clear error, never inf/NaN."""
    bad = ~np.isfinite(cash)
    if not bad.any():
        return
    r, step, k = (int(i[0]) for i in np.nonzero(bad))
    draw = f" (draw {r})" if len(params) > 1 else ""
    raise ValueError(f"cost component {parts[k].name!r}{draw} overflows at step {step} "
                        f"(year {step * dt:.4g} of the run): the unit costs, prices or counts behind it are "
                        "too large to be real; check the parameters' units")


def events_cost(parameters: Sequence[CareParameters], per_move_costs: list | None) -> bool:
    """Whether moves or exits cost anything in any of these parameter sets (or a scenario's
    per-move costs): whether costs need the counts of moves and exits at all."""
    return bool(per_move_costs) or any(p.move_cost != 0 or np.any(np.asarray(p.exit_costs) != 0)
                                       for p in parameters)


def occupancy_sums(space: StateSpace, occupancy: np.ndarray, shape: tuple[int, int, int, int]
                   ) -> tuple[np.ndarray, np.ndarray]:
    """What costs need of an occupancy ``(..., steps + 1, S)``: children in care by placement
    ``(..., steps + 1, P)`` and people in the post-exit states of each exit group ``(..., steps + 1, E)``."""
    A, P, T, E = shape
    occ = np.asarray(occupancy)
    lead = occ.shape[:-1]
    by_placement = occ[..., : space.in_care].reshape(lead + (A, P, T)).sum(axis=(-3, -1))
    post_exit = np.zeros(lead + (E,))
    for g in range(E):
        chain = (space.kind == "post_exit") & (space.group == g)
        if chain.any():
            post_exit[..., g] = occ[..., chain].sum(axis=-1)
    return by_placement, post_exit


def step_costs(parameters: CareParameters | Sequence[CareParameters], space: StateSpace,
               occupancy: np.ndarray, events: dict[str, np.ndarray], dt: float, *,
               programme_costs: dict[str, np.ndarray] | None = None,
               per_move_costs: list | None = None) -> StepCosts:
    """Cost of each step by component, from occupancy and events.

    Parameters
    ----------
    parameters : CareParameters, or a sequence of them (one per draw)
    space : StateSpace
    occupancy : array (steps + 1, S), or (R, steps + 1, S) for a sequence of parameters
    events : dict
        ``entries`` (..., steps, A, P), ``exits`` (..., steps, E, A, P) and
        ``moves`` (..., steps, P, P) as computed by :mod:`carecast.care.model`.
    dt : float
    programme_costs : dict, optional
        Component name to its cost a year in each step, ``(steps,)`` or
        ``(R, steps)`` (interventions, at ``price_year`` prices).
    per_move_costs : list, optional
        ``(from, to, cost, extra_share, label)``: a cost per move from
        placement ``from`` to ``to``, for the share of those moves the
        intervention added (``extra_share`` per step, ``(steps,)`` or ``(R, steps)``).
    """
    first = parameters if isinstance(parameters, CareParameters) else parameters[0]
    by_placement, post_exit = occupancy_sums(space, occupancy, first.shape)
    totals = {"entries": np.asarray(events["entries"]).sum(axis=(-2, -1)),
              "exits": np.asarray(events["exits"]).sum(axis=(-2, -1)), "moves": np.asarray(events["moves"])}
    return costs_from_sums(parameters, space, by_placement, post_exit, totals, dt,
                           programme_costs=programme_costs, per_move_costs=per_move_costs)


@np.errstate(over="ignore", invalid="ignore")   # overflow is refused by _refuse_overflow, not warned
def costs_from_sums(parameters: CareParameters | Sequence[CareParameters], space: StateSpace,
                    by_placement: np.ndarray, post_exit: np.ndarray, events: dict[str, np.ndarray], dt: float, *,
                    programme_costs: dict[str, np.ndarray] | None = None,
                    per_move_costs: list | None = None) -> StepCosts:
    """As :func:`step_costs`, from the sums that costs need, however computed (from a full
    occupancy, or by the engine as the replicates run: :func:`carecast.care.run_batch` with
    ``full_occupancy=False``): children in care by placement ``(..., steps + 1, P)``, people in
    each exit group's post-exit states ``(..., steps + 1, E)`` (:func:`occupancy_sums`), and
    ``events`` as totals: ``entries`` ``(..., steps)``, ``exits`` by group ``(..., steps, E)``
    and ``moves`` ``(..., steps, P, P)``."""
    single = isinstance(parameters, CareParameters)
    params: list[CareParameters] = [parameters] if isinstance(parameters, CareParameters) else list(parameters)
    placed = np.asarray(by_placement)[None] if single else np.asarray(by_placement)
    after = np.asarray(post_exit)[None] if single else np.asarray(post_exit)
    ev = {k: (np.asarray(v)[None] if single else np.asarray(v)) for k, v in events.items()}
    R = len(params)
    steps = placed.shape[-2] - 1
    first = params[0]
    price, general, discount = _per_draw(params, steps, dt)          # (R, steps)

    parts: list[CostComponent] = []
    columns: list[np.ndarray] = []
    trapezoid = 0.5 * (placed[:, :-1] + placed[:, 1:])                                # (R, steps, P)
    weekly = np.stack([np.asarray(p.weekly_cost) for p in params])                            # (R, P)
    placement_cost = trapezoid * (weekly * WEEKS_PER_YEAR)[:, None, :] * dt * price[..., None]
    for q, placement in enumerate(first.placements):
        parts.append(CostComponent(f"placement: {placement}", CostKind.PLACEMENT, placement=q))
        columns.append(placement_cost[..., q])
    for name, label, weekly_of in _POST_EXIT:
        if name not in first.exit_groups:
            continue
        g = first.exit_groups.index(name)
        if not ((space.kind == "post_exit") & (space.group == g)).any():
            continue
        in_chain = after[..., g]
        per_year = np.array([weekly_of(p) for p in params]) * WEEKS_PER_YEAR
        parts.append(CostComponent(label, CostKind.POST_EXIT, group=g))
        columns.append(0.5 * (in_chain[:, :-1] + in_chain[:, 1:]) * per_year[:, None] * dt * price)

    def scalar(name: str) -> np.ndarray:
        return np.array([getattr(p, name) for p in params])[:, None]

    entries = ev["entries"]                                                          # (R, steps)
    # a batch run without event sums has no moves or exits: allowed only where they cost nothing
    if "moves" not in ev or "exits" not in ev:
        if events_cost(params, per_move_costs):
            raise ValueError("costs of moves and exits need their counts: run the batch with events=True")
        ev["moves"] = np.zeros(entries.shape + (len(first.placements),) * 2)
        ev["exits"] = np.zeros(entries.shape + (len(first.exit_groups),))
    parts.append(CostComponent("entering care", CostKind.EVENT))
    columns.append(entries * scalar("entry_cost") * price)
    parts.append(CostComponent("care proceedings", CostKind.EVENT))
    columns.append(entries * scalar("proceedings_share") * scalar("proceedings_cost") * price)
    parts.append(CostComponent("placement moves", CostKind.EVENT))
    columns.append(ev["moves"].sum(axis=(-2, -1)) * scalar("move_cost") * price)
    exits = ev["exits"]                                                              # (R, steps, E)
    exit_costs = np.stack([np.asarray(p.exit_costs) for p in params])                          # (R, E)
    for g, name in enumerate(first.exit_groups):
        parts.append(CostComponent(f"exit: {name}", CostKind.EVENT, group=g))
        columns.append(exits[..., g] * exit_costs[:, g, None] * price)
    for name, per_year_cost in (programme_costs or {}).items():
        parts.append(CostComponent(name, CostKind.PROGRAMME))
        columns.append(np.broadcast_to(per_year_cost, (R, steps)) * dt * price)
    for origin_p, target, cost, extra_share, label in (per_move_costs or []):
        parts.append(CostComponent(f"{label}: moves", CostKind.PROGRAMME))
        columns.append(ev["moves"][..., origin_p, target] * extra_share * cost * price)
    cash = np.stack(columns, axis=-1)
    _refuse_overflow(cash, parts, params, dt)
    to_real = 1.0 / general
    if single:
        return StepCosts(parts=tuple(parts), cash=cash[0], to_real=to_real[0], discount=discount[0])
    return StepCosts(parts=tuple(parts), cash=cash, to_real=to_real, discount=discount)
