"""Run the children-in-care model and read its results as tidy tables.

:func:`run` takes the cached structure of the parameters' shape
(:func:`carecast.care.statespace.care_structure`), computes the engine's
values as arrays (:func:`carecast.care.statespace.care_values`), hands them to
:func:`carecast.project`, and wraps the projection in a :class:`CareResult`
with children, events and costs as :class:`~carecast.care.tables.Table`
objects. :func:`run_batch` does the same for many parameter sets of one shape
in one :func:`carecast.project_batch` (or :func:`carecast.simulate`) call.
Events and costs are computed when first asked for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from carecast import engine
from carecast.care.calendar import (
    STEP_NAMES,
    financial_year_label,
    financial_year_weights,
    step_dates,
    step_length,
)
from carecast.care.costs import CostKind, StepCosts, costs_from_sums, events_cost, occupancy_sums, step_costs
from carecast.care.interventions import modifiers_and_costs
from carecast.care.parameters import CareParameters
from carecast.care.scenarios import Scenario
from carecast.care.statespace import (
    FLOW_EXIT,
    FLOW_MOVE,
    CareStructure,
    CareValues,
    EngineArrays,
    FlowSelection,
    Modifiers,
    StateSpace,
    care_structure,
    care_values,
    entries_per_step,
)
from carecast.care.tables import Table

__all__ = ["run", "run_batch", "CareResult", "CareBatch", "BatchSums", "SumsLayout", "sums_layout",
           "step_length", "STEP_NAMES"]


def _check_years(years) -> None:
    if isinstance(years, bool) or not isinstance(years, (int, float, np.integer, np.floating)) \
            or not np.isfinite(years) or not 0 < years <= 200:
        raise ValueError(f"years must be a number in (0, 200], got {years!r}")


def _check_scenario(scenario) -> None:
    if scenario is not None and not isinstance(scenario, Scenario):
        raise TypeError(f"scenario must be a Scenario, got {type(scenario).__name__}")


def _interventions(parameters: CareParameters, scenario: Scenario | None, steps: int, dt: float
                   ) -> tuple[Modifiers | None, dict[str, np.ndarray], list]:
    if scenario is None or not scenario.interventions:
        return None, {}, []
    return modifiers_and_costs(parameters, scenario.interventions, steps, dt,
                               entries_per_step(parameters, steps, dt))


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
    _check_years(years)
    dt = step_length(step)
    steps = max(1, int(round(float(years) / dt)))
    _check_scenario(scenario)
    if scenario is not None:
        parameters = scenario.apply(parameters)
    structure = care_structure(parameters, dt, post_exit=post_exit)
    modifiers, programme_costs, per_move_costs = _interventions(parameters, scenario, steps, dt)
    values = care_values(structure, [parameters], steps, modifiers)
    arrays = values.arrays(0)
    projection = engine.project(arrays.x0, arrays.src, arrays.dst, arrays.value, steps, dt=dt,
                                kind="prob", inflow=arrays.engine_inflow, advance=arrays.advance)
    return CareResult(parameters=parameters, space=structure.space, arrays=arrays, projection=projection,
                      scenario=scenario.name if scenario is not None else "baseline",
                      programme_costs=programme_costs, per_move_costs=per_move_costs)


def _event_counts(space: StateSpace, shape: tuple[int, int, int, int], selection: FlowSelection,
                  occupancy: np.ndarray, value: np.ndarray, varying: bool, arrival_pairs: np.ndarray,
                  pair_of_step: np.ndarray, entries: np.ndarray) -> dict[str, np.ndarray]:
    """Entries, exits and moves per step, with any leading draw axis.

    The engine moves ``occupancy[t, src[f]] * value[t, f]`` by flow ``f`` in
    step ``t`` (``kind="prob"``), so the events of the children in care at a
    step's start are that occupancy times the flows' probabilities summed by
    source state and kind of event; the entrants' events within their
    arrival step are added from ``arrival_pairs``. ``value`` is as given to
    the engine: ``(..., F)``, or ``(..., steps, F)`` when ``varying``.
    """
    A, P, T, E = shape
    S_in = space.in_care
    steps = occupancy.shape[-2] - 1
    lead = occupancy.shape[:-2]
    x = occupancy[..., :-1, :S_in].reshape(lead + (steps, A, P, T))
    w = "...tk" if varying else "...k"          # the weights' step axis, if any

    def weights(name: str, width: int) -> np.ndarray:
        summed = selection.sum(name, value)
        return summed.reshape(summed.shape[:-1] + (A, P, T) + ((width,) if width else ()))

    exits = np.einsum(f"...tapu,{w[:-1]}apug->...tgap", x, weights("exit_weights", E))
    moves = np.einsum(f"...tapu,{w[:-1]}apuq->...tpq", x, weights("move_weights", P))
    exits = exits + selection.sum("entry_exits", arrival_pairs)[..., pair_of_step, :].reshape(exits.shape)
    moves = moves + selection.sum("entry_moves", arrival_pairs)[..., pair_of_step, :].reshape(moves.shape)
    if space.exact_ageing:
        # leaving care at 18 by the advance map: the last age band after the step's flows
        last = x[..., A - 1, :, :]                                                  # (..., steps, P, T)
        leaving = weights("out_weights", 0)[..., A - 1, :, :]
        arriving = weights("last_band_in_weights", P)
        after = (last.sum(axis=-1) - np.einsum(f"...tpu,{w[:-1]}pu->...tp", last, leaving)
                 + np.einsum(f"...tapu,{w[:-1]}apuq->...tq", x, arriving))
        exits[..., selection.structure.leaver_group, A - 1, :] += after
    return {"entries": entries, "exits": exits, "moves": moves}


@dataclass(frozen=True, eq=False)
class SumsLayout:
    """The sums of a run that children, events and costs need, as engine reductions.

    State outputs (``K``): children in care by placement (``P``), people in
    each exit group's post-exit states (``E``) and, under exact ageing,
    children in the last age band (1). Flow outputs (``L``): children moved
    by the exit flows of each exit group (``E``), by the moves from each
    placement to each other (``P * P``) and, under exact ageing, by the
    flows out of the last age band's states and into them (2). Every sum is
    linear in occupancy and moved, so it is computed in C as the replicates
    run (:func:`carecast.project_batch` ``outputs=``, ``flow_outputs=``) and
    the full occupancy is never stored. Each output takes its states or
    flows in rising order, which lets the engine add each flow to its output
    as it applies it (the sums, to the bit, of the CSR loop).
    """

    state: engine.Reduction
    flow: engine.Reduction | None
    shape: tuple[int, int, int, int]
    exact_ageing: bool


def sums_layout(selection: FlowSelection, *, events: bool = True) -> SumsLayout:
    """The :class:`SumsLayout` of a structure's kept flows (built once per selection);
    ``events=False`` leaves out the flow outputs (exits and moves)."""
    cache = selection.__dict__.setdefault("_sums_layouts", {})
    found = cache.get(events)
    if found is not None:
        return found
    structure = selection.structure
    space = structure.space
    A, P, T, E = structure.shape
    S, S_in = space.size, space.in_care
    key = np.full(S, -1, dtype=np.int64)
    key[:S_in] = space.placement[:S_in]
    post = space.kind == "post_exit"
    key[post] = P + space.group[post]
    state_keys = [key]
    flow_key = np.full(selection.size, -1, dtype=np.int64)
    src_in = selection.src < S_in
    src_place = np.where(src_in, space.placement[selection.src], 0)
    exits = (selection.flow_type == FLOW_EXIT) & src_in
    flow_key[exits] = selection.flow_group[exits]
    moves = selection.flow_type == FLOW_MOVE
    flow_key[moves] = E + (src_place * P + selection.flow_to_placement)[moves]
    flow_keys = [flow_key]
    K, L = P + E, E + P * P
    if space.exact_ageing:
        last = np.full(S, -1, dtype=np.int64)
        last[(np.arange(S) < S_in) & (space.age == A - 1)] = K
        state_keys.append(last)
        from_last = src_in & (space.age[selection.src] == A - 1)
        into_last = src_in & (selection.dst < S_in) & (space.age[selection.dst] == A - 1)
        flow_keys += [np.where(from_last, L, -1), np.where(into_last, L + 1, -1)]
        K, L = K + 1, L + 2

    # an element may feed several outputs (a state is also in the last band): one key set each
    layout = SumsLayout(state=engine.Reduction.from_keys(np.stack(state_keys), K),
                        flow=engine.Reduction.from_keys(np.stack(flow_keys), L) if events else None,
                        shape=(A, P, T, E), exact_ageing=bool(space.exact_ageing))
    cache[events] = layout
    return layout


@dataclass
class BatchSums:
    """A batch's sums computed by the engine (see :class:`SumsLayout`), split by meaning.

    ``by_placement`` ``(R, steps + 1, P)``, ``post_exit`` ``(R, steps + 1, E)``;
    ``exits`` ``(R, steps, E)`` by group and ``moves`` ``(R, steps, P, P)``
    moved by the flows (entrants' events within their arrival step not
    included); under exact ageing ``last_band`` ``(R, steps + 1)``,
    ``last_leaving`` and ``last_arriving`` ``(R, steps)``.
    """

    by_placement: np.ndarray
    post_exit: np.ndarray
    exits: np.ndarray | None
    moves: np.ndarray | None
    last_band: np.ndarray | None = None
    last_leaving: np.ndarray | None = None
    last_arriving: np.ndarray | None = None

    @classmethod
    def split(cls, layout: SumsLayout, outputs: np.ndarray, flow_outputs: np.ndarray | None) -> BatchSums:
        A, P, T, E = layout.shape
        out = cls(by_placement=outputs[..., :P], post_exit=outputs[..., P:P + E], exits=None, moves=None)
        if layout.exact_ageing:
            out.last_band = outputs[..., P + E]
        if flow_outputs is not None:
            R, steps = flow_outputs.shape[:2]
            out.exits = flow_outputs[..., :E]
            out.moves = flow_outputs[..., E:E + P * P].reshape(R, steps, P, P)
            if layout.exact_ageing:
                out.last_leaving = flow_outputs[..., E + P * P]
                out.last_arriving = flow_outputs[..., E + P * P + 1]
        return out


def _event_totals_from_sums(space: StateSpace, shape: tuple[int, int, int, int], selection: FlowSelection,
                            sums: BatchSums, arrival_pairs: np.ndarray, pair_of_step: np.ndarray,
                            entries: np.ndarray) -> dict[str, np.ndarray]:
    """As :func:`_event_totals` of :func:`_event_counts`, from the engine's sums instead of the occupancy."""
    if sums.exits is None or sums.moves is None:
        raise ValueError("this batch was run without event sums (events=False): it has no exits or moves")
    A, P, T, E = shape
    lead = arrival_pairs.shape[:-2]
    arrival_exits = selection.sum("entry_exits", arrival_pairs).reshape(lead + (-1, E, A * P)).sum(axis=-1)
    exits = sums.exits + arrival_exits[..., pair_of_step, :]
    moves = sums.moves + selection.sum("entry_moves", arrival_pairs)[..., pair_of_step, :].reshape(sums.moves.shape)
    if space.exact_ageing:
        assert sums.last_band is not None and sums.last_leaving is not None and sums.last_arriving is not None
        exits[..., selection.structure.leaver_group] += (
            sums.last_band[..., :-1] - sums.last_leaving + sums.last_arriving)
    return {"entries": np.asarray(entries).sum(axis=(-2, -1)), "exits": exits, "moves": moves}


def _event_totals(events: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """What costs need of the events: entries per step, exits by group, moves by placements."""
    return {"entries": events["entries"].sum(axis=(-2, -1)), "exits": events["exits"].sum(axis=(-2, -1)),
            "moves": events["moves"]}


_STOCHASTIC_EVENTS = ("events and costs of a stochastic run are not available: its exits and moves are "
                      "drawn (not occupancy times probability), and arrivals are drawn per state, so who "
                      "entered where and the events of entrants within their arrival step are not known "
                      "(use stochastic=False for them)")


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
    stochastic : bool
        Whether the projection is one stochastic replicate (whole children);
        its events and costs are then refused (see :func:`run_batch`).
    """

    parameters: CareParameters
    space: StateSpace
    arrays: EngineArrays
    projection: Any
    scenario: str = "baseline"
    programme_costs: dict[str, np.ndarray] = field(default_factory=dict)
    per_move_costs: list = field(default_factory=list)
    stochastic: bool = False
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
        if self._events is None:
            if self.stochastic:
                raise ValueError(_STOCHASTIC_EVENTS)
            arr = self.arrays
            self._events = _event_counts(self.space, self.parameters.shape, arr.selection,
                                         np.asarray(self.projection.occupancy), arr.value, arr.value.ndim == 2,
                                         arr.arrival_pairs, arr.pair_of_step, arr.entries)
        return self._events

    # ---------------------------------------------------------------- costs
    def step_costs(self) -> StepCosts:
        """Costs per step by component, each with its kind (see :mod:`carecast.care.costs`)."""
        if self._costs is None:
            self._costs = step_costs(self.parameters, self.space, np.asarray(self.projection.occupancy),
                                     self.event_counts(), self.dt, programme_costs=self.programme_costs,
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
            for column, item in ((key_name, keys[k]), ("event", event), ("placement", placement),
                                 ("detail", detail), ("children", float(value))):
                rows[column].append(item)

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


# -------------------------------------------------------------------- batches
def _check_same_shape(parameters: Sequence[CareParameters]) -> None:
    """Refuse parameter sets that cannot share one structure, naming the first that differs."""
    first = parameters[0]
    for i, p in enumerate(parameters):
        if not isinstance(p, CareParameters):
            raise TypeError(f"parameters[{i}] must be CareParameters, got {type(p).__name__}")
        if i == 0:
            continue
        for name in ("age_bands", "placements", "time_in_care_bands", "exit_groups"):
            if getattr(p, name) != getattr(first, name):
                raise ValueError(f"parameters[{i}] differs from parameters[0] in {name}: a batch needs "
                                 f"parameter sets of the same shape")
        if p.entries_per_year.shape != first.entries_per_year.shape:
            raise ValueError(f"parameters[{i}] differs from parameters[0] in the shape of entries_per_year "
                             f"({p.entries_per_year.shape} against {first.entries_per_year.shape})")
        if p.start_date != first.start_date:
            raise ValueError(f"parameters[{i}] differs from parameters[0] in start_date")


def _stack_interventions(parameters: Sequence[CareParameters], scenarios: Sequence[Scenario] | None, steps: int,
                         dt: float) -> tuple[Modifiers | None, dict[str, np.ndarray], list]:
    """Interventions' modifiers and costs for each draw, stacked on a leading draw axis."""
    if scenarios is None:
        return None, {}, []
    per_draw = [_interventions(p, s, steps, dt) for p, s in zip(parameters, scenarios)]
    if per_draw[0][0] is None:
        return None, {}, []
    mods = [m for m, _, _ in per_draw]

    def stacked(name: str) -> np.ndarray | None:
        first = getattr(mods[0], name)
        if first is None:
            return None
        arrays = [getattr(m, name) for m in mods]
        if any(a is None or np.shape(a) != np.shape(first) for a in arrays):
            raise ValueError(f"the scenarios of the batch change {name} differently (one per draw must "
                             f"have the same shape of effect): run them in separate batches")
        return np.stack(arrays)

    modifiers = Modifiers(entries_factor=stacked("entries_factor"), entries_shift=stacked("entries_shift"),
                          exit_factor=stacked("exit_factor"), extra_moves=stacked("extra_moves"))
    names = list(per_draw[0][1])
    if any(list(costs) != names for _, costs, _ in per_draw):
        raise ValueError("the scenarios of the batch have different programme costs: run them in separate batches")
    programme = {name: np.stack([costs[name] for _, costs, _ in per_draw]) for name in names}
    if any(len(moves) != len(per_draw[0][2]) for _, _, moves in per_draw):
        raise ValueError("the scenarios of the batch add different moves: run them in separate batches")
    # the cost per move may be drawn too: one per draw, (R, 1) against the moves' (R, steps)
    per_move = [(o, t, np.array([float(moves[k][2]) for _, _, moves in per_draw])[:, None],
                 np.stack([moves[k][3] for _, _, moves in per_draw]), label)
                for k, (o, t, _, _, label) in enumerate(per_draw[0][2])]
    return modifiers, programme, per_move


def _per_replicate(arr: np.ndarray, repeats: int) -> np.ndarray:
    """A per-draw engine argument (R, ...) as one row per replicate (passed with ``*_per_replicate=True``)."""
    return np.repeat(arr, repeats, axis=0) if repeats > 1 else arr


def run_batch(parameters: Sequence[CareParameters], *, years: float, step: str | float = "month",
              scenario: Scenario | Sequence[Scenario] | None = None, threads: int | None = None,
              stochastic: bool = False, seed: int | None = None, replicates_per_draw: int = 1,
              post_exit: bool = True, keep_moved: bool = True, full_occupancy: bool = True,
              events: bool | None = None, first_replicate: int = 0,
              _same_rates: CareBatch | None = None) -> CareBatch:
    """Run many parameter sets of one shape in one engine call (probabilistic sensitivity analysis).

    Every parameter set shares the structure of the first (states, flows,
    advance map); their values are computed as arrays with a leading draw
    axis and run by one :func:`carecast.project_batch` call, or with
    ``stochastic=True`` one :func:`carecast.simulate` call.

    Parameters
    ----------
    parameters : sequence of CareParameters
        ``R`` draws of the same shape: the same age bands, placements,
        time-in-care bands, exit groups, start date and shape of
        ``entries_per_year`` (refused otherwise, naming the first index that
        differs). Stocks, rates and unit costs may all differ.
    years, step, post_exit
        As in :func:`run`.
    scenario : Scenario or sequence of Scenario, optional
        Applied to each draw; a sequence gives one scenario per draw (a PSA
        whose intervention fields are uncertain). The scenarios of a batch
        must have the same interventions, of the same types in the same
        order (their fields may differ), so that their effects stack.
    threads : int, optional
        Engine threads (default: the usable CPUs); results do not depend on it.
    stochastic : bool
        Whole children moved by chance (:func:`carecast.simulate`) instead of
        expected numbers. Stocks must then be whole numbers. Events and costs
        are refused for stochastic runs (entrants are drawn per state, so who
        entered where is not known); children in care are available.
    seed : int, optional
        Seed of a stochastic batch; replicate ``i`` uses stream ``i`` of it
        (see :func:`carecast.simulate`). Default: a fresh seed, kept in
        ``.projection.seed``.
    replicates_per_draw : int
        Stochastic replicates of each draw (replicate ``i`` is of draw
        ``i // replicates_per_draw``); must be 1 unless ``stochastic``.
    keep_moved : bool
        ``False`` does not keep the people moved by each flow
        (``projection.moved`` is None), which saves ``R * steps * F`` doubles;
        events and costs are computed from occupancy and the flows'
        probabilities, so they are the same either way.
    full_occupancy : bool
        ``False`` keeps no occupancy at all: the engine sums, as each
        replicate runs, what children, events and costs need (children by
        placement, post-exit states, exits and moves by kind; see
        :class:`SumsLayout`), so memory is ``R * steps * (2 P + 2 E + P^2)``
        numbers at most instead of ``R * steps * S``, and the time of writing
        the occupancy is saved. Children by placement, events, costs and
        present values are then as with ``True`` (to rounding: the sums are
        taken in another order); the occupancy by age and time in care, and
        :meth:`CareBatch.result`, are refused. For a stochastic batch the
        exits and moves are then those drawn, while entries and the events of
        entrants within their arrival step are their expected numbers (the
        engine draws arrivals per state, not per entrant); so its costs are
        available, with one-off entry costs at their expected value.
    events : bool, optional
        With ``full_occupancy=False``: whether the engine also sums exits
        and moves (about half as much engine time again for the 858-state
        sample calibration).
        Default: when the costs need them, i.e. when any draw has a move or
        exit cost or the scenario costs moves. Without them
        :meth:`CareBatch.event_totals` is refused and the cost of moves and
        exits is zero, exactly, as their unit costs are.
    first_replicate : int
        Stochastic runs: the stream of replicate 0 (replicate ``i`` uses
        stream ``first_replicate + i`` of ``seed``), so that a long run cut
        into batches gives the same bits as one batch.

    Returns
    -------
    CareBatch
        ``.result(r)`` is draw ``r`` as a :class:`CareResult`: the same
        children, events and costs as ``run(parameters[r], ...)`` (to
        rounding). Its flows are those of the whole batch, so where draws
        differ in which hazards are zero it has flows of probability 0 that
        ``run`` would leave out.

    Examples
    --------
    Three draws of the hazard of returning home, ``h``; one band of ages 0-17,
    so children also age out at 1/18 a year: after a year ``100 exp(-h - 1/18)``
    are in care. Each draw's result is that of :func:`run`:

    >>> import numpy as np
    >>> from carecast.care import CareParameters, run, run_batch
    >>> base = CareParameters.empty(age_bands=(0,), placements=("foster", "home"))
    >>> base.stock[0, 0, 0] = 100.0
    >>> draws = [base.replace(exit_rates=np.full(base.exit_rates.shape, h) * [1, 0, 0, 0, 0])
    ...          for h in (0.2, 0.3, 0.4)]
    >>> batch = run_batch(draws, years=1, step="year")
    >>> batch.children_in_care()[:, -1].round(2)
    array([77.45, 70.08, 63.41])
    >>> bool(np.allclose(batch.result(1).children_in_care(), run(draws[1], years=1, step="year")
    ...                  .children_in_care(), rtol=1e-12))
    True
    """
    if isinstance(parameters, CareParameters):
        raise TypeError("parameters must be a sequence of CareParameters (use run for one)")
    params = list(parameters)
    if not params:
        raise ValueError("parameters must hold at least one CareParameters")
    _check_same_shape(params)
    _check_years(years)
    dt = step_length(step)
    steps = max(1, int(round(float(years) / dt)))
    scenarios = _batch_scenarios(scenario, len(params))
    if isinstance(replicates_per_draw, bool) or not isinstance(replicates_per_draw, (int, np.integer)) \
            or replicates_per_draw < 1:
        raise ValueError(f"replicates_per_draw must be a whole number >= 1, got {replicates_per_draw!r}")
    if replicates_per_draw != 1 and not stochastic:
        raise ValueError("replicates_per_draw above 1 needs stochastic=True (deterministic runs of one draw "
                         "are identical)")
    if isinstance(first_replicate, bool) or not isinstance(first_replicate, (int, np.integer)) \
            or first_replicate < 0:
        raise ValueError(f"first_replicate must be a whole number >= 0, got {first_replicate!r}")
    if first_replicate and not stochastic:
        raise ValueError("first_replicate numbers stochastic replicates: it needs stochastic=True")
    if scenarios is not None:
        params = [s.apply(p, copy=False) for s, p in zip(scenarios, params)]      # read only here
    if stochastic:
        for i, p in enumerate(params):
            fraction = p.stock != np.round(p.stock)
            if fraction.any():
                a, q, t = (int(k) for k in np.argwhere(fraction)[0])
                after = " (after the scenario)" if scenarios is not None else ""
                raise ValueError(f"stochastic=True moves whole children: parameters[{i}].stock[{a}, {q}, {t}] "
                                 f"= {p.stock[a, q, t]}{after} is not a whole number")
    structure = care_structure(params[0], dt, post_exit=post_exit)
    modifiers, programme_costs, per_move_costs = _stack_interventions(params, scenarios, steps, dt)
    # a scenario run beside its baseline on the same hazard arrays reuses the baseline's probabilities
    values = care_values(structure, params, steps, modifiers,
                         same_rates=None if _same_rates is None else _same_rates.values)
    R = len(params)
    k = int(replicates_per_draw)
    x0 = values.engine_x0()
    if np.all(x0 == x0[0]):
        x0 = x0[0]
    value, inflow = values.engine_value(), values.engine_inflow()
    sel = values.selection
    if events is None:
        events = events_cost(params, per_move_costs)
    layout = None if full_occupancy else sums_layout(sel, events=bool(events))
    reduced: dict[str, Any] = {}
    if layout is not None:
        reduced["outputs"] = layout.state
        if layout.flow is not None:
            reduced["flow_outputs"] = layout.flow
    projection: Any
    if stochastic:
        replicates = R * k
        if x0.ndim == 2:
            x0 = np.repeat(x0, k, axis=0)
        projection = engine.simulate(x0, sel.src, sel.dst, _per_replicate(value, k), steps,
                                     replicates=replicates, seed=seed, dt=dt, kind="prob",
                                     inflow=_per_replicate(inflow, k), advance=structure.advance,
                                     threads=threads, keep_moved=keep_moved, first_replicate=int(first_replicate),
                                     value_per_replicate=True, inflow_per_replicate=True, **reduced)
    else:
        # values always carry the draw axis: say so, so that R == steps is never ambiguous
        projection = engine.project_batch(x0, sel.src, sel.dst, value, steps, replicates=R, dt=dt, kind="prob",
                                          inflow=inflow, advance=structure.advance, threads=threads,
                                          keep_moved=keep_moved, value_per_replicate=True,
                                          inflow_per_replicate=True, **reduced)
    sums = None if layout is None else BatchSums.split(layout, projection.outputs, projection.flow_outputs)
    names = {s.name for s in scenarios} if scenarios is not None else {"baseline"}
    return CareBatch(parameters=params, structure=structure, values=values, projection=projection,
                     scenario=names.pop() if len(names) == 1 else "several", stochastic=bool(stochastic),
                     replicates_per_draw=k, programme_costs=programme_costs, per_move_costs=per_move_costs,
                     sums=sums)


def _batch_scenarios(scenario: Scenario | Sequence[Scenario] | None, R: int) -> list[Scenario] | None:
    """One scenario per draw (or None), checked: the same interventions' types in the same order."""
    if scenario is None:
        return None
    if isinstance(scenario, Scenario):
        return [scenario] * R
    if isinstance(scenario, (str, bytes)) or not isinstance(scenario, Sequence):
        raise TypeError(f"scenario must be a Scenario or a sequence of them, got {type(scenario).__name__}")
    out = list(scenario)
    if len(out) != R:
        raise ValueError(f"scenario holds {len(out)} scenarios for {R} parameter sets: give one per draw")
    first = out[0]
    for i, s in enumerate(out):
        _check_scenario(s)
        if s is None:
            raise TypeError(f"scenario[{i}] must be a Scenario, got None")
        kinds = [type(item).__name__ for item in s.interventions]
        if kinds != [type(item).__name__ for item in first.interventions]:
            raise ValueError(f"scenario[{i}] has interventions {kinds}, scenario[0] "
                             f"{[type(item).__name__ for item in first.interventions]}: the scenarios of a batch "
                             f"must have the same interventions in the same order")
    return out


@dataclass(eq=False)
class CareBatch:
    """Runs of many parameter sets of one shape (from :func:`run_batch`).

    Arrays carry a leading replicate axis: one replicate per draw for
    deterministic runs, ``replicates_per_draw`` per draw for stochastic ones
    (replicate ``i`` is of draw ``i // replicates_per_draw``).

    Attributes
    ----------
    parameters : list of CareParameters
        The draws run (after any scenario).
    structure : CareStructure
        The shared states and flows (``.space`` for labels).
    values : CareValues
        The engine's values for every draw.
    projection : Projection, Simulation or BatchOutputs
        The engine's result: ``occupancy`` ``(replicates, steps + 1, S)``, or
        with ``full_occupancy=False`` the engine's sums only.
    sums : BatchSums or None
        With ``full_occupancy=False``: the sums split by meaning.
    """

    parameters: list[CareParameters]
    structure: CareStructure
    values: CareValues
    projection: Any
    scenario: str = "baseline"
    stochastic: bool = False
    replicates_per_draw: int = 1
    programme_costs: dict[str, np.ndarray] = field(default_factory=dict)
    per_move_costs: list = field(default_factory=list)
    sums: BatchSums | None = None
    _events: dict[str, np.ndarray] | None = field(default=None, repr=False)
    _totals: dict[str, np.ndarray] | None = field(default=None, repr=False)
    _costs: StepCosts | None = field(default=None, repr=False)

    @property
    def space(self) -> StateSpace:
        return self.structure.space

    @property
    def draws(self) -> int:
        return len(self.parameters)

    @property
    def replicates(self) -> int:
        return self.draws * self.replicates_per_draw

    @property
    def dt(self) -> float:
        return self.space.dt

    @property
    def steps(self) -> int:
        return self.values.steps

    @property
    def dates(self) -> np.ndarray:
        """Dates of ``occupancy[:, 0..steps]``, ``datetime64[D]``."""
        return step_dates(self.parameters[0].start_date, self.steps, self.dt)

    def _full(self, what: str) -> np.ndarray:
        if self.sums is not None:
            raise ValueError(f"{what} needs the full occupancy: this batch was run with full_occupancy=False, "
                             "which keeps children by placement, events and costs only")
        return np.asarray(self.projection.occupancy)

    def in_care_occupancy(self) -> np.ndarray:
        """Children in care, ``(replicates, steps + 1, A, P, T)``."""
        A, P, T, _ = self.structure.shape
        occ = self._full("in_care_occupancy")[..., : self.space.in_care]
        return occ.reshape(self.replicates, self.steps + 1, A, P, T)

    def children_in_care(self) -> np.ndarray:
        """Total children in care, ``(replicates, steps + 1)``."""
        return self.children_by_placement().sum(axis=-1)

    def children_by_placement(self) -> np.ndarray:
        """Children in care by placement, ``(replicates, steps + 1, P)``."""
        if self.sums is not None:
            return self.sums.by_placement
        return self.in_care_occupancy().sum(axis=(2, 4))

    def _entrants(self) -> tuple[np.ndarray, np.ndarray]:
        """Entries and the entrants' arrival-step events per replicate (draw values repeated)."""
        v, k = self.values, self.replicates_per_draw
        return _per_replicate(np.asarray(v.entries), k), _per_replicate(v.arrival_pairs, k)

    def event_counts(self) -> dict[str, np.ndarray]:
        """Entries ``(R, steps, A, P)``, exits ``(R, steps, E, A, P)``, moves ``(R, steps, P, P)`` per draw.

        Needs the full occupancy (a batch run with ``full_occupancy=False``
        has :meth:`event_totals` only).
        """
        if self._events is None:
            self._full("event_counts")
            if self.stochastic:
                raise ValueError(_STOCHASTIC_EVENTS)
            v = self.values
            self._events = _event_counts(self.space, self.structure.shape, v.selection,
                                         np.asarray(self.projection.occupancy), v.engine_value(),
                                         v.value_rows.shape[1] > 1, v.arrival_pairs, v.pair_of_step, v.entries)
        return self._events

    def event_totals(self) -> dict[str, np.ndarray]:
        """Per replicate and step: ``entries`` ``(R, steps)``, ``exits`` by exit group ``(R, steps, E)``
        and ``moves`` ``(R, steps, P, P)`` (what costs need).

        A stochastic batch has them only when run with ``full_occupancy=False``:
        exits and moves drawn; entries and entrants' events within their
        arrival step at their expected numbers (see :func:`run_batch`).
        """
        if self._totals is None:
            if self.sums is not None:
                self._totals = self._sums_totals(need_events=True)
            else:
                self._totals = _event_totals(self.event_counts())
        return self._totals

    def _sums_totals(self, need_events: bool) -> dict[str, np.ndarray]:
        v, k = self.values, self.replicates_per_draw
        assert self.sums is not None
        if self.sums.exits is None and not need_events:       # run without event sums: entries only
            return {"entries": _per_replicate(np.asarray(v.entries), k).sum(axis=(-2, -1))}
        return _event_totals_from_sums(self.space, self.structure.shape, v.selection, self.sums,
                                       _per_replicate(v.arrival_pairs, k), v.pair_of_step,
                                       _per_replicate(np.asarray(v.entries), k))

    def _replicate_parameters(self) -> list[CareParameters]:
        k = self.replicates_per_draw
        return [p for p in self.parameters for _ in range(k)]

    def step_costs(self) -> StepCosts:
        """Costs per replicate, step and component: ``cash`` ``(R, steps, K)``, with each component's kind."""
        if self._costs is None:
            k = self.replicates_per_draw
            programme = {name: _per_replicate(np.asarray(cost), k) for name, cost in self.programme_costs.items()}
            per_move = [(o, t, _per_replicate(cost, k) if np.ndim(cost) else cost, _per_replicate(share, k), label)
                        for o, t, cost, share, label in self.per_move_costs]
            if self.sums is not None:
                by_placement, post_exit = self.sums.by_placement, self.sums.post_exit
                totals = self._totals if self._totals is not None else self._sums_totals(need_events=False)
            else:
                by_placement, post_exit = occupancy_sums(self.space, self._full("step_costs"), self.structure.shape)
                totals = self.event_totals()
            self._costs = costs_from_sums(self._replicate_parameters(), self.space, by_placement, post_exit,
                                          totals, self.dt, programme_costs=programme, per_move_costs=per_move)
        return self._costs

    def costs_by_kind(self, terms: str = "cash") -> dict[CostKind, np.ndarray]:
        """Costs per draw and step by kind (placement, post-exit, event, programme): ``{kind: (R, steps)}``."""
        return self.step_costs().by_kind(terms)

    def present_values(self) -> np.ndarray:
        """Present value of all costs of each replicate (real terms, discounted mid-step), ``(R,)``."""
        return self.step_costs().discounted.sum(axis=(1, 2))

    def result(self, replicate: int) -> CareResult:
        """An ordinary :class:`CareResult` for one replicate (for deterministic runs, draw ``replicate``)."""
        self._full("result()")
        if isinstance(replicate, bool) or not isinstance(replicate, (int, np.integer)) \
                or not 0 <= replicate < self.replicates:
            raise IndexError(f"replicate must be in 0..{self.replicates - 1}, got {replicate!r}")
        i = int(replicate)
        draw = i // self.replicates_per_draw
        arrays = self.values.arrays(draw)
        pr = self.projection
        projection = engine.Projection(pr.occupancy[i], None if pr.moved is None else pr.moved[i],
                                       pr.inflow[i], pr.dt, pr.src, pr.dst)
        programme = {name: cost[draw] for name, cost in self.programme_costs.items()}
        per_move = [(o, t, float(cost[draw, 0]) if np.ndim(cost) else cost, share[draw], label)
                    for o, t, cost, share, label in self.per_move_costs]
        return CareResult(parameters=self.parameters[draw], space=self.space, arrays=arrays,
                          projection=projection, scenario=self.scenario, programme_costs=programme,
                          per_move_costs=per_move, stochastic=self.stochastic)
