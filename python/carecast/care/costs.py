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
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

import numpy as np

from carecast import engine
from carecast.care.calendar import WEEKS_PER_YEAR, origin, years_between
from carecast.care.parameters import CareParameters, parse_price_year
from carecast.care.statespace import EngineArrays, StateSpace

__all__ = ["StepCosts", "step_costs"]


@dataclass
class StepCosts:
    """Costs per step by component (cash terms) and the factors to restate them.

    ``cash`` is ``(steps, K)`` for the components named in ``components``;
    ``real = cash * to_real[:, None]`` and ``discounted = real * discount[:, None]``.
    """

    components: list[str]
    cash: np.ndarray
    to_real: np.ndarray
    discount: np.ndarray

    @property
    def real(self) -> np.ndarray:
        return self.cash * self.to_real[:, None]

    @property
    def discounted(self) -> np.ndarray:
        return self.real * self.discount[:, None]


def _years_from_price_base(parameters: CareParameters) -> float:
    """Model-time origin minus the middle of the price year, in years."""
    base = _dt.date(parse_price_year(parameters.price_year), 10, 1)
    o = origin(parameters.start_date)
    return years_between(base, o) if o >= base else -years_between(o, base)


def step_costs(parameters: CareParameters, space: StateSpace, arrays: EngineArrays,
               projection, events: dict[str, np.ndarray], *,
               programme_costs: dict[str, np.ndarray] | None = None,
               per_move_costs: list | None = None) -> StepCosts:
    """Cost of each step by component, from a projection and its events.

    ``events`` holds ``entries`` (steps, A, P), ``exits`` (steps, E, A, P) and
    ``moves`` (steps, P, P) as computed by :mod:`carecast.care.model`.
    ``programme_costs`` maps a component to its cost a year in each step
    (interventions, at ``price_year`` prices); ``per_move_costs`` lists
    ``(from, to, cost, extra_share, label)``: a cost per move from placement
    ``from`` to ``to``, for the share of those moves the intervention added.
    """

    steps, dt = arrays.steps, arrays.dt
    p = parameters
    base_years = _years_from_price_base(p)
    price = engine.price_index(steps, dt=dt, annual_rate=p.cost_inflation,
                                 years_from_base=base_years, timing="mid")
    general = engine.price_index(steps, dt=dt, annual_rate=p.general_inflation,
                                   years_from_base=base_years, timing="mid")
    schedule = engine.GREEN_BOOK if p.discount_rate is None else p.discount_rate
    discount = engine.step_discount_factors(steps, dt=dt, timing="mid", schedule=schedule)

    S = space.size
    per_year = np.zeros(S)
    in_care = slice(0, space.in_care)
    per_year[in_care] = p.weekly_cost[space.placement[in_care]] * WEEKS_PER_YEAR
    post_weekly = {"left_care_at_18": p.care_leaver_weekly_cost,
                   "adopted": p.adoption_allowance_weekly * p.adoption_allowance_share,
                   "sgo_cao": p.sgo_allowance_weekly * p.sgo_allowance_share}
    post_components = []
    for name, weekly in post_weekly.items():
        if name in p.exit_groups:
            g = p.exit_groups.index(name)
            chain = (space.kind == "post_exit") & (space.group == g)
            if chain.any():
                per_year[chain] = weekly * WEEKS_PER_YEAR
                post_components.append((name, chain))
    accrued = engine.accrue(projection, per_year, price_index=price)
    by_state = accrued.by_state

    components: list[str] = []
    columns: list[np.ndarray] = []
    for q, placement in enumerate(p.placements):
        components.append(f"placement: {placement}")
        columns.append(by_state[:, : space.in_care][:, space.placement[: space.in_care] == q].sum(axis=1))
    labels = {"left_care_at_18": "care leavers 18-25", "adopted": "adoption allowances",
              "sgo_cao": "SGO/CAO allowances"}
    for name, chain in post_components:
        components.append(labels[name])
        columns.append(by_state[:, chain].sum(axis=1))
    entries = events["entries"].sum(axis=(1, 2))
    components.append("entering care")
    columns.append(entries * p.entry_cost * price)
    components.append("care proceedings")
    columns.append(entries * p.proceedings_share * p.proceedings_cost * price)
    components.append("placement moves")
    columns.append(events["moves"].sum(axis=(1, 2)) * p.move_cost * price)
    exits = events["exits"].sum(axis=(2, 3))               # (steps, E)
    for g, name in enumerate(p.exit_groups):
        components.append(f"exit: {name}")
        columns.append(exits[:, g] * p.exit_costs[g] * price)
    for name, per_year_cost in (programme_costs or {}).items():
        components.append(name)
        columns.append(np.asarray(per_year_cost) * dt * price)
    for origin_p, target, cost, extra_share, label in (per_move_costs or []):
        components.append(f"{label}: moves")
        columns.append(events["moves"][:, origin_p, target] * extra_share * cost * price)
    cash = np.column_stack(columns)
    return StepCosts(components=components, cash=cash, to_real=1.0 / general, discount=discount)
