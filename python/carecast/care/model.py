"""Run the children-in-care model and read its results as tidy tables.

:func:`run` lays out the states (:mod:`carecast.care.statespace`), hands the
flat arrays to :func:`carecast.project`, and wraps the projection in a
:class:`CareResult` with children, events and costs as
:class:`~carecast.care.tables.Table` objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from carecast import engine
from carecast.care.calendar import (
    financial_year_label,
    financial_year_weights,
    step_dates,
)
from carecast.care.costs import StepCosts, step_costs
from carecast.care.interventions import modifiers_and_costs
from carecast.care.parameters import CareParameters
from carecast.care.scenarios import Scenario
from carecast.care.statespace import (
    FLOW_EXIT,
    FLOW_MOVE,
    EngineArrays,
    StateSpace,
    build_state_space,
    engine_arrays,
)
from carecast.care.tables import Table

__all__ = ["run", "CareResult", "step_length", "STEP_NAMES"]

#: Step names and their length in years.
STEP_NAMES = {"week": 7 / 365.25, "month": 1 / 12, "quarter": 0.25, "year": 1.0}


def step_length(step: str | float) -> float:
    """Step length in years from a name (``week``, ``month``, ``quarter``, ``year``) or a number.

    >>> step_length("quarter")
    0.25
    """
    if isinstance(step, str):
        if step not in STEP_NAMES:
            raise ValueError(f"step must be one of {', '.join(STEP_NAMES)} or a number of years, got {step!r}")
        return STEP_NAMES[step]
    if isinstance(step, bool) or not isinstance(step, (int, float, np.integer, np.floating)):
        raise TypeError(f"step must be a name or a number of years, got {type(step).__name__}")
    dt = float(step)
    if not (np.isfinite(dt) and 0 < dt <= 1):
        raise ValueError(f"step must be a number of years in (0, 1], got {step!r}")
    return dt


def run(parameters: CareParameters, years: float = 5.0, step: str | float = "month", *,
        scenario: Scenario | None = None, post_exit: bool = True) -> CareResult:
    """Project children in care and their costs.

    Parameters
    ----------
    parameters : CareParameters
        The council model.
    years : float
        Horizon in years from ``parameters.start_date``; the number of steps is
        ``round(years / dt)``.
    step : str or float
        ``"week"``, ``"month"`` (default), ``"quarter"``, ``"year"``, or a step
        length in years.
    scenario : Scenario, optional
        Changes applied to ``parameters`` before the run.
    post_exit : bool
        Carry care leavers (18-25) and children on special guardianship and
        adoption allowances (to 18) as cost-bearing states.

    Returns
    -------
    CareResult

    Examples
    --------
    >>> import numpy as np
    >>> from carecast.care import CareParameters
    >>> p = CareParameters.empty(age_bands=(0, 10), placements=("foster", "home"))
    >>> p.stock[:, 0, 0] = [60.0, 40.0]
    >>> p.entries_per_year[0, 0] = 30.0
    >>> p.exit_rates[..., 0] = 0.3          # returned home, 0.3 a year
    >>> result = run(p, years=2, step="month")
    >>> round(float(result.children_in_care()[0]), 1)
    100.0
    """

    if not isinstance(parameters, CareParameters):
        raise TypeError(f"parameters must be CareParameters, got {type(parameters).__name__}")
    if isinstance(years, bool) or not isinstance(years, (int, float, np.integer, np.floating)) \
            or not np.isfinite(years) or not 0 < years <= 200:
        raise ValueError(f"years must be a number in (0, 200], got {years!r}")
    dt = step_length(step)
    steps = max(1, int(round(float(years) / dt)))
    if scenario is not None:
        if not isinstance(scenario, Scenario):
            raise TypeError(f"scenario must be a Scenario, got {type(scenario).__name__}")
        parameters = scenario.apply(parameters)
    space = build_state_space(parameters, dt, post_exit=post_exit)
    arrays = engine_arrays(parameters, space, steps)
    programme_costs: dict[str, np.ndarray] = {}
    per_move_costs: list = []
    if scenario is not None and scenario.interventions:
        modifiers, programme_costs, per_move_costs = modifiers_and_costs(
            parameters, scenario.interventions, steps, dt, arrays.entries)
        arrays = engine_arrays(parameters, space, steps, modifiers)
    projection = engine.project(arrays.x0, arrays.src, arrays.dst, arrays.value, steps, dt=dt,
                                  kind="prob", inflow=arrays.inflow, advance=arrays.advance)
    return CareResult(parameters=parameters, space=space, arrays=arrays, projection=projection,
                      scenario=scenario.name if scenario is not None else "baseline",
                      programme_costs=programme_costs, per_move_costs=per_move_costs)


@dataclass
class CareResult:
    """A projection of children in care, with events and costs.

    Attributes
    ----------
    parameters : CareParameters
        The parameters run (after any scenario).
    space : StateSpace
        State labels and indices.
    arrays : EngineArrays
        The flat arrays given to the engine.
    projection
        The engine's result (``occupancy``, ``moved``, ``inflow``).
    scenario : str
        ``"baseline"`` or the scenario's name.
    """

    parameters: CareParameters
    space: StateSpace
    arrays: EngineArrays
    projection: Any
    scenario: str = "baseline"
    programme_costs: dict[str, np.ndarray] = field(default_factory=dict)
    per_move_costs: list = field(default_factory=list)
    _events: dict[str, np.ndarray] | None = field(default=None, repr=False)
    _costs: StepCosts | None = field(default=None, repr=False)

    # ---------------------------------------------------------------- basics
    @property
    def dt(self) -> float:
        return self.arrays.dt

    @property
    def steps(self) -> int:
        return self.arrays.steps

    @property
    def dates(self) -> np.ndarray:
        """Dates of ``occupancy[0..steps]`` (start date, then step ends), ``datetime64[D]``."""
        return step_dates(self.parameters.start_date, self.steps, self.dt)

    def in_care_occupancy(self) -> np.ndarray:
        """Children in care, ``(steps + 1, A, P, T)``."""
        A, P, T, _ = self.parameters.shape
        occ = self.projection.occupancy[:, : self.space.in_care]
        return occ.reshape(self.steps + 1, A, P, T)

    def children_in_care(self) -> np.ndarray:
        """Total children in care at each date, ``(steps + 1,)``."""
        return self.in_care_occupancy().sum(axis=(1, 2, 3))

    def children_by_placement(self) -> np.ndarray:
        """Children in care by placement at each date, ``(steps + 1, P)``."""
        return self.in_care_occupancy().sum(axis=(1, 3))

    # ---------------------------------------------------------------- events
    def event_counts(self) -> dict[str, np.ndarray]:
        """Events per step as arrays.

        Returns a dict with ``entries`` ``(steps, A, P)`` by age band at entry
        and first placement, ``exits`` ``(steps, E, A, P)`` by exit group, age
        band and placement left, and ``moves`` ``(steps, P, P)`` from
        placement to placement. Events of entrants within their arrival step
        are included; under exact ageing, leaving care at 18 by ageing out is
        counted from the occupancy of the last age band after the step's flows.
        """
        if self._events is not None:
            return self._events
        A, P, T, E = self.parameters.shape
        arr, space = self.arrays, self.space
        moved = np.asarray(self.projection.moved) + arr.arrival_events
        src = arr.src
        in_src = src < space.in_care
        src_age = np.where(in_src, space.age[src], -1)
        src_place = np.where(in_src, space.placement[src], -1)
        exits = np.zeros((self.steps, E, A, P))
        for f in np.flatnonzero((arr.flow_type == FLOW_EXIT) & in_src):
            exits[:, arr.flow_group[f], src_age[f], src_place[f]] += moved[:, f]
        moves = np.zeros((self.steps, P, P))
        for f in np.flatnonzero(arr.flow_type == FLOW_MOVE):
            moves[:, src_place[f], arr.flow_to_placement[f]] += moved[:, f]
        if space.exact_ageing:
            occ = np.asarray(self.projection.occupancy)
            after = occ[:-1].copy()
            np.subtract.at(after.T, src, np.asarray(self.projection.moved).T)
            np.add.at(after.T, arr.dst, np.asarray(self.projection.moved).T)
            last = after[:, : space.in_care].reshape(self.steps, A, P, T)[:, A - 1].sum(axis=2)
            exits[:, self.parameters.exit_groups.index("left_care_at_18"), A - 1, :] += last
        self._events = {"entries": arr.entries, "exits": exits, "moves": moves}
        return self._events

    # ---------------------------------------------------------------- costs
    def step_costs(self) -> StepCosts:
        """Costs per step by component (see :mod:`carecast.care.costs`)."""
        if self._costs is None:
            self._costs = step_costs(self.parameters, self.space, self.arrays, self.projection,
                                     self.event_counts(), programme_costs=self.programme_costs,
                                     per_move_costs=self.per_move_costs)
        return self._costs

    def present_value(self) -> float:
        """Present value at the start date of all costs over the run (real terms, discounted mid-step)."""
        rate = self.parameters.discount_rate
        return float(engine.present_value(self.step_costs().real.sum(axis=1), dt=self.dt, timing="mid",
                                            schedule=engine.GREEN_BOOK if rate is None else rate))

    # ---------------------------------------------------------------- tables
    def children(self, by: tuple[str, ...] = ("age", "placement")) -> Table:
        """Children in care by date and any of ``age``, ``placement``, ``time_in_care``.

        One row per date and group, column ``children``. Age is the band's
        lower bound in years; time in care is the band's lower bound.
        """
        allowed = ("age", "placement", "time_in_care")
        for b in by:
            if b not in allowed:
                raise ValueError(f"by must name columns among {allowed}, got {b!r}")
        occ = self.in_care_occupancy()                     # (D, A, P, T)
        axes = {"age": 1, "placement": 2, "time_in_care": 3}
        keep = [axes[b] for b in allowed if b in by]
        summed = occ.sum(axis=tuple(ax for ax in (1, 2, 3) if ax not in keep))
        labels = {"age": np.array(self.parameters.age_bands),
                  "placement": np.array(self.parameters.placements),
                  "time_in_care": np.array(self.parameters.time_in_care_bands)}
        grids = np.meshgrid(np.arange(self.steps + 1), *[np.arange(occ.shape[ax]) for ax in keep],
                            indexing="ij")
        columns: dict[str, Any] = {"date": self.dates[grids[0].ravel()]}
        for name, grid in zip([b for b in allowed if b in by], grids[1:]):
            columns[name] = labels[name][grid.ravel()]
        columns["children"] = summed.ravel()
        return Table(columns, title="children in care", units={"children": "children"})

    def events(self, period: str = "financial_year") -> Table:
        """Entries, exits by destination and moves, per step or per financial year.

        Columns: the period (``period_end`` date per step, or
        ``financial_year``), ``event`` (``entry``, ``exit``, ``move``),
        ``placement`` (first placement, placement left, or placement moved
        from), ``detail`` (exit group, or placement moved to) and ``children``.
        """
        ev = self.event_counts()
        P = len(self.parameters.placements)
        entries = ev["entries"].sum(axis=1)                 # (steps, P)
        exits = ev["exits"].sum(axis=2)                      # (steps, E, P)
        moves = ev["moves"]                                  # (steps, P, P)
        if period == "step":
            keys, weights = list(self.dates[1:]), np.eye(self.steps)
            key_name = "period_end"
        elif period == "financial_year":
            years, weights, _ = financial_year_weights(self.parameters.start_date, self.steps, self.dt)
            keys, key_name = [financial_year_label(y) for y in years], "financial_year"
        else:
            raise ValueError(f"period must be 'step' or 'financial_year', got {period!r}")
        ent = weights.T @ entries
        ext = np.einsum("tk,tep->kep", weights, exits)
        mov = np.einsum("tk,tpq->kpq", weights, moves)
        rows: dict[str, list] = {key_name: [], "event": [], "placement": [], "detail": [], "children": []}
        names, groups = self.parameters.placements, self.parameters.exit_groups

        def add(k: int, event: str, placement: str, detail: str, value: float) -> None:
            rows[key_name].append(keys[k]); rows["event"].append(event); rows["placement"].append(placement)
            rows["detail"].append(detail); rows["children"].append(float(value))

        for k in range(len(keys)):
            for p in range(P):
                add(k, "entry", names[p], "", ent[k, p])
            for g, group in enumerate(groups):
                for p in range(P):
                    add(k, "exit", names[p], group, ext[k, g, p])
            for p in range(P):
                for q in range(P):
                    if p != q:
                        add(k, "move", names[p], names[q], mov[k, p, q])
        columns = {k: (np.array(v, dtype="datetime64[D]") if k == "period_end" else np.array(v))
                   for k, v in rows.items()}
        return Table(columns, title="entries, exits and moves", units={"children": "children"})

    def costs(self, by: str = "component") -> Table:
        """Costs by financial year in cash, real and discounted terms.

        ``by="component"`` gives one row per financial year and component
        (each placement, post-exit costs, one-off events); ``by="total"`` one
        row per financial year. Columns ``cash``, ``real`` (``price_year``
        prices) and ``discounted`` (real, discounted to the start date), in
        pounds, and ``share_of_year`` (1 for a financial year the run covers
        whole).
        """
        c = self.step_costs()
        years, weights, covered = financial_year_weights(self.parameters.start_date, self.steps, self.dt)
        cash, real, disc = (weights.T @ c.cash, weights.T @ c.real, weights.T @ c.discounted)
        labels = [financial_year_label(y) for y in years]
        units = {"cash": "GBP", "real": f"GBP, {self.parameters.price_year} prices",
                 "discounted": f"GBP, {self.parameters.price_year} prices, discounted"}
        if by == "total":
            return Table({"financial_year": np.array(labels), "cash": cash.sum(axis=1),
                          "real": real.sum(axis=1), "discounted": disc.sum(axis=1),
                          "share_of_year": covered}, title="cost by financial year", units=units)
        if by != "component":
            raise ValueError(f"by must be 'component' or 'total', got {by!r}")
        K = len(c.components)
        return Table({"financial_year": np.repeat(labels, K),
                      "component": np.tile(np.array(c.components), len(labels)),
                      "cash": cash.ravel(), "real": real.ravel(), "discounted": disc.ravel(),
                      "share_of_year": np.repeat(covered, K)},
                     title="cost by financial year and component", units=units)

    def summary(self) -> str:
        """A plain-text summary: children now and at the end by placement, cost per year, PV."""
        from carecast.care.report import summary_text
        return summary_text(self)
