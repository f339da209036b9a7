# ruff: noqa: E702, I001  (the previous code, kept verbatim)
"""The previous care-model array builder, kept verbatim as a slow test oracle.

This is ``carecast.care.statespace`` as it stood at commit 50d645f (before the
structure/values split): ``build_state_space`` and ``engine_arrays`` with a
Python loop over flows and ``np.add.at``. It was written independently of the
vectorised builder that replaced it, so the tests compare the two on every
example, on the sample calibration and on random models (see
``tests/test_care_arrays.py``). Not used by the package.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from carecast.care.parameters import MAX_AGE, CareParameters


FLOW_EXIT, FLOW_MOVE, FLOW_AGE, FLOW_TIME_IN_CARE, FLOW_POST_EXIT_AGE = range(5)
#: Care leavers are carried from 18 to this many years later (to 25).
CARE_LEAVER_YEARS = 7.0
_CHAINED_GROUPS = ("adopted", "sgo_cao")
_TOL = 1e-9


@dataclass
class StateSpace:
    """Labels and indices of every state.

    Attributes
    ----------
    labels : list of str
        One readable label per state.
    in_care : int
        Number of in-care states ``A * P * T`` (they come first).
    kind : ndarray of str
        ``"in_care"``, ``"exited"``, ``"post_exit"`` (cost-bearing chain state)
        or ``"post_exit_ended"`` (18+ after permanence, 25+ for care leavers).
    group : ndarray of int
        Exit group index for exit states, -1 in care.
    age : ndarray of int
        Age band index (in care and in the permanence chains), care-leaver band
        in that chain, -1 otherwise.
    placement, time_in_care : ndarray of int
        Indices for in-care states, -1 otherwise.
    exit_entry : list of ndarray
        ``exit_entry[g][a]``: the state an exit to group ``g`` from age band
        ``a`` goes to.
    exact_ageing, exact_time_in_care : bool
        Whether ageing / time-in-care progression uses the ``advance`` map.
    dt : float
        Step in years.
    """

    labels: list[str]
    in_care: int
    kind: np.ndarray
    group: np.ndarray
    age: np.ndarray
    placement: np.ndarray
    time_in_care: np.ndarray
    exit_entry: list[np.ndarray]
    leaver_band_width: float
    exact_ageing: bool
    exact_time_in_care: bool
    dt: float

    @property
    def size(self) -> int:
        return len(self.labels)


@dataclass
class EngineArrays:
    """Flat arrays for :func:`carecast.project` plus what each flow means.

    ``flow_type`` is one of the ``FLOW_*`` constants; ``flow_group`` the exit
    group of exit flows (-1 otherwise); ``flow_to_placement`` the destination
    placement of moves (-1 otherwise). ``arrival_events`` is ``(steps, F)``:
    flows taken by entrants within their arrival step (see the module notes).
    ``entries`` is ``(steps, A, P)``: children entering care in each step.
    """

    x0: np.ndarray
    src: np.ndarray
    dst: np.ndarray
    value: np.ndarray
    inflow: np.ndarray
    advance: np.ndarray | None
    flow_type: np.ndarray
    flow_group: np.ndarray
    flow_to_placement: np.ndarray
    arrival_events: np.ndarray
    entries: np.ndarray
    steps: int
    dt: float


def _exact(widths: np.ndarray, dt: float) -> bool:
    return bool(widths.size) and bool(np.all(np.abs(widths - dt) <= _TOL * max(1.0, dt)))


def build_state_space(parameters: CareParameters, dt: float, *, post_exit: bool = True) -> StateSpace:
    """Lay out the states for ``parameters`` run with step ``dt`` (years).

    Examples
    --------
    >>> p = CareParameters.empty(age_bands=(0, 10), placements=("foster", "home"))
    >>> space = build_state_space(p, 1 / 12)
    >>> space.in_care, space.exact_ageing
    (4, False)
    >>> space.labels[:2]
    ['in care: age 0-9, foster', 'in care: age 0-9, home']
    """
    if not isinstance(parameters, CareParameters):
        raise TypeError(f"parameters must be CareParameters, got {type(parameters).__name__}")
    A, P, T, E = parameters.shape
    widths = parameters.age_band_widths()
    tic = np.asarray(parameters.time_in_care_bands)
    exact_age = _exact(widths, dt) and abs(CARE_LEAVER_YEARS / dt - round(CARE_LEAVER_YEARS / dt)) < 1e-6
    exact_tic = T > 1 and _exact(np.diff(tic), dt)
    labels: list[str] = []
    kind, group, age, place, tband = [], [], [], [], []

    def age_label(a: int) -> str:
        lo, hi = parameters.age_bands[a], parameters.age_bands[a] + widths[a]
        return f"age {lo:g}" if hi - lo == 1 else f"age {lo:g}-{hi - 1:g}" if float(hi).is_integer() \
            and float(lo).is_integer() else f"age {lo:g}-{hi:g}"

    def tic_label(t: int) -> str:
        lo = tic[t]
        return f"{lo:g}y+ in care" if t == T - 1 else f"{lo:g}-{tic[t + 1]:g}y in care"

    for a in range(A):
        for p in range(P):
            for t in range(T):
                label = f"in care: {age_label(a)}, {parameters.placements[p]}"
                if T > 1:
                    label += f", {tic_label(t)}"
                labels.append(label)
                kind.append("in_care"); group.append(-1); age.append(a); place.append(p); tband.append(t)
    in_care = len(labels)

    leaver_width = dt if exact_age else 1.0
    leaver_bands = int(round(CARE_LEAVER_YEARS / leaver_width))
    exit_entry: list[np.ndarray] = []
    for g, name in enumerate(parameters.exit_groups):
        first = len(labels)
        if post_exit and name in _CHAINED_GROUPS:
            for a in range(A):
                labels.append(f"exited {name}: {age_label(a)}")
                kind.append("post_exit"); group.append(g); age.append(a); place.append(-1); tband.append(-1)
            labels.append(f"exited {name}: now 18+")
            kind.append("post_exit_ended"); group.append(g); age.append(-1); place.append(-1); tband.append(-1)
            exit_entry.append(np.arange(first, first + A))
        elif post_exit and name == "left_care_at_18":
            for b in range(leaver_bands):
                lo = MAX_AGE + b * leaver_width
                labels.append(f"care leaver: age {lo:g}-{lo + leaver_width:g}")
                kind.append("post_exit"); group.append(g); age.append(b); place.append(-1); tband.append(-1)
            labels.append(f"care leaver: now {MAX_AGE + CARE_LEAVER_YEARS:g}+")
            kind.append("post_exit_ended"); group.append(g); age.append(-1); place.append(-1); tband.append(-1)
            exit_entry.append(np.full(A, first))
        else:
            labels.append(f"exited {name}")
            kind.append("exited"); group.append(g); age.append(-1); place.append(-1); tband.append(-1)
            exit_entry.append(np.full(A, first))
    return StateSpace(labels=labels, in_care=in_care, kind=np.array(kind), group=np.array(group),
                      age=np.array(age), placement=np.array(place), time_in_care=np.array(tband),
                      exit_entry=exit_entry, leaver_band_width=leaver_width,
                      exact_ageing=exact_age, exact_time_in_care=exact_tic, dt=float(dt))


@dataclass
class Modifiers:
    """Changes to the parameters step by step (what interventions do).

    All optional; ``steps`` is the leading axis of each array.

    Attributes
    ----------
    entries_factor : array (steps, A, P)
        Multiplies entries.
    entries_shift : array (steps, P, P)
        ``entries_shift[t, p, q]``: share of entrants whose first placement
        would have been ``p`` placed in ``q`` instead (rows sum to 1).
    exit_factor : array broadcasting to (steps, A, P, T, E)
        Multiplies exit hazards.
    extra_moves : array broadcasting to (steps, A, P, T, P)
        Added to move hazards (diagonal ignored).
    """

    entries_factor: np.ndarray | None = None
    entries_shift: np.ndarray | None = None
    exit_factor: np.ndarray | None = None
    extra_moves: np.ndarray | None = None


def engine_arrays(parameters: CareParameters, space: StateSpace, steps: int,
                  modifiers: Modifiers | None = None) -> EngineArrays:
    """Translate parameters into the flat arrays the engine runs (``kind="prob"``).

    Flows that are zero in every step are left out. With ``modifiers`` the
    flow probabilities and the entries vary by step. See the module notes for
    the per-step probabilities, ageing and entrants' half step.
    """
    if not isinstance(steps, (int, np.integer)) or isinstance(steps, bool) or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    A, P, T, E = parameters.shape
    dt = space.dt
    widths = parameters.age_band_widths()
    tic_widths = np.diff(np.asarray(parameters.time_in_care_bands))
    S = space.size
    idx = np.arange(A * P * T).reshape(A, P, T)
    leaver_group = parameters.exit_groups.index("left_care_at_18")
    mods = modifiers or Modifiers()
    varying = mods.exit_factor is not None or mods.extra_moves is not None

    # hazards by step: (steps or 1, A, P, T, E) and (steps or 1, A, P, T, P)
    exit_rates = parameters.exit_rates[None]
    if mods.exit_factor is not None:
        exit_rates = exit_rates * np.broadcast_to(mods.exit_factor, (steps, A, P, T, E))
    move_rates = parameters.move_rates[None]
    if mods.extra_moves is not None:
        move_rates = move_rates + np.broadcast_to(mods.extra_moves, (steps, A, P, T, P))
        move_rates = move_rates * (1.0 - np.eye(P))[None, None, :, None, :]
    if varying:
        exit_rates = np.broadcast_to(exit_rates, (steps, A, P, T, E))
        move_rates = np.broadcast_to(move_rates, (steps, A, P, T, P))
    else:
        exit_rates, move_rates = exit_rates[:1], move_rates[:1]
    if np.any(exit_rates < 0) or np.any(move_rates < 0) or not (
            np.all(np.isfinite(exit_rates)) and np.all(np.isfinite(move_rates))):
        raise ValueError("modifiers make a hazard negative or non-finite")
    exit_any = exit_rates.max(axis=0) > 0
    move_any = move_rates.max(axis=0) > 0

    age_clock = np.zeros(S)
    tic_clock = np.zeros(S)
    # per flow: source, destination, what it is, and where its hazard is looked up
    src, dst, age_fires, tic_fires, clocks = [], [], [], [], []
    ftype, fgroup, fto, rate_kind, rate_at = [], [], [], [], []
    NONE, EXIT, MOVE = 0, 1, 2

    def add(s, d, kind_of_rate, at, a_fire, t_fire, with_clocks, kind, g=-1, q=-1):
        src.append(s); dst.append(d); rate_kind.append(kind_of_rate); rate_at.append(at)
        age_fires.append(a_fire); tic_fires.append(t_fire); clocks.append(with_clocks)
        ftype.append(kind); fgroup.append(g); fto.append(q)

    for a in range(A):
        for p in range(P):
            for t in range(T):
                s = int(idx[a, p, t])
                age_on = not space.exact_ageing
                tic_on = T > 1 and not space.exact_time_in_care and t + 1 < T
                age_clock[s] = 1.0 / widths[a] if age_on else 0.0
                tic_clock[s] = 1.0 / tic_widths[t] if tic_on else 0.0
                for g in range(E):
                    if exit_any[a, p, t, g]:   # an exit wins over any clock in the same step
                        add(s, int(space.exit_entry[g][a]), EXIT, (a, p, t, g), False, False, False, FLOW_EXIT, g)
                # a move or no event, combined with whichever clocks fire
                for q in range(P):
                    if q != p and not move_any[a, p, t, q]:
                        continue
                    kind_of_rate = MOVE if q != p else NONE
                    for a_fire in ((False, True) if age_on else (False,)):
                        for t_fire in ((False, True) if tic_on else (False,)):
                            if q == p and not a_fire and not t_fire:
                                continue            # nothing happens: stays
                            if a_fire and a + 1 == A:    # aged out of the last band: left care at 18
                                add(s, int(space.exit_entry[leaver_group][a]), kind_of_rate, (a, p, t, q),
                                    a_fire, t_fire, True, FLOW_EXIT, leaver_group)
                                continue
                            d = int(idx[a + a_fire, q, t + t_fire])
                            kind = FLOW_MOVE if q != p else (FLOW_AGE if a_fire else FLOW_TIME_IN_CARE)
                            add(s, d, kind_of_rate, (a, p, t, q), a_fire, t_fire, True, kind,
                                q=q if q != p else -1)
    advance = None
    if space.exact_ageing or space.exact_time_in_care:
        advance = np.full(S, -1, dtype=np.int64)
        for a in range(A):
            for p in range(P):
                for t in range(T):
                    a2 = a + 1 if space.exact_ageing else a
                    t2 = min(t + 1, T - 1) if space.exact_time_in_care else t
                    if a2 < A:
                        advance[idx[a, p, t]] = idx[a2, p, t2]
                    else:
                        advance[idx[a, p, t]] = space.exit_entry[leaver_group][a]
    # the post-exit chains age like children in care
    for g in range(E):
        chain = np.flatnonzero((space.group == g) & (space.kind == "post_exit"))
        if chain.size == 0:
            continue
        ended = int(np.flatnonzero((space.group == g) & (space.kind == "post_exit_ended"))[0])
        band_widths = (np.full(chain.size, space.leaver_band_width) if g == leaver_group else widths)
        for i, s in enumerate(chain):
            nxt = int(chain[i + 1]) if i + 1 < chain.size else ended
            if space.exact_ageing:
                advance[s] = nxt
            else:
                age_clock[s] = 1.0 / band_widths[i]
                add(int(s), nxt, NONE, None, True, False, True, FLOW_POST_EXIT_AGE, g)

    F = len(src)
    src_a = np.array(src, dtype=np.int64).reshape(F)
    dst_a = np.array(dst, dtype=np.int64).reshape(F)
    a_fire = np.array(age_fires, dtype=bool).reshape(F)
    t_fire = np.array(tic_fires, dtype=bool).reshape(F)
    with_clocks = np.array(clocks, dtype=bool).reshape(F)
    kinds = np.array(rate_kind, dtype=np.int64).reshape(F)
    at = np.array([x if x is not None else (0, 0, 0, 0) for x in rate_at], dtype=np.int64).reshape(F, 4)

    # hazards per (step, flow) and per (step, state)
    n_rows = exit_rates.shape[0]
    rates = np.zeros((n_rows, F))
    is_exit_rate = kinds == EXIT
    is_move_rate = kinds == MOVE
    rates[:, is_exit_rate] = exit_rates[:, at[is_exit_rate, 0], at[is_exit_rate, 1], at[is_exit_rate, 2],
                                        at[is_exit_rate, 3]]
    rates[:, is_move_rate] = move_rates[:, at[is_move_rate, 0], at[is_move_rate, 1], at[is_move_rate, 2],
                                        at[is_move_rate, 3]]
    exit_hazard = np.zeros((n_rows, S))
    move_hazard = np.zeros((n_rows, S))
    exit_hazard[:, : space.in_care] = exit_rates.sum(axis=4).reshape(n_rows, -1)
    move_hazard[:, : space.in_care] = move_rates.sum(axis=4).reshape(n_rows, -1)

    def probabilities(delta: float) -> np.ndarray:
        HX, HM = exit_hazard[:, src_a], move_hazard[:, src_a]
        stays = np.exp(-HX * delta)
        with np.errstate(invalid="ignore", divide="ignore"):
            exit_p = np.where(HX > 0, rates / HX, 0.0) * -np.expm1(-HX * delta)
            move_p = stays * np.where(HM > 0, rates / HM, 0.0) * -np.expm1(-HM * delta)
        event = np.where(is_exit_rate & ~with_clocks, exit_p,
                         np.where(is_move_rate, move_p, stays * np.exp(-HM * delta)))
        age = np.where(a_fire, -np.expm1(-age_clock[src_a] * delta), np.exp(-age_clock[src_a] * delta))
        tic = np.where(t_fire, -np.expm1(-tic_clock[src_a] * delta), np.exp(-tic_clock[src_a] * delta))
        return np.where(with_clocks, event * age * tic, event)

    value = probabilities(dt)
    half = probabilities(dt / 2)  # before the flows are filtered: it reads every flow's rates
    keep = value.max(axis=0) > 0
    src_a, dst_a, value, half = src_a[keep], dst_a[keep], value[:, keep], half[:, keep]
    flow_type = np.array(ftype, dtype=np.int64).reshape(F)[keep]
    flow_group = np.array(fgroup, dtype=np.int64).reshape(F)[keep]
    flow_to = np.array(fto, dtype=np.int64).reshape(F)[keep]
    if not varying:
        value = value[0]

    # entries by step: year y of entries_per_year covers [y, y+1) years from the start;
    # a step takes the year its midpoint falls in
    entries_year = parameters.entries_per_year
    if entries_year.ndim == 2:
        per_step = np.broadcast_to(entries_year * dt, (steps, A, P))
    else:
        year_of_step = np.minimum(np.floor((np.arange(steps) + 0.5) * dt).astype(int),
                                  entries_year.shape[0] - 1)
        per_step = entries_year[year_of_step] * dt
    entries = np.array(per_step, dtype=np.float64)
    if mods.entries_factor is not None:
        entries = entries * np.broadcast_to(mods.entries_factor, (steps, A, P))
    if mods.entries_shift is not None:
        entries = np.einsum("tap,tpq->taq", entries, np.broadcast_to(mods.entries_shift, (steps, P, P)))
    if np.any(entries < 0) or not np.all(np.isfinite(entries)):
        raise ValueError("modifiers make entries negative or non-finite")

    # entrants live through half a step: they arrive already split by the
    # probabilities of their first state over dt / 2
    arrivals = np.zeros((steps, S))
    arrivals[:, idx[:, :, 0].ravel()] = entries.reshape(steps, A * P)
    arrival_events = arrivals[:, src_a] * (half if varying else half[0])      # (steps, F)
    inflow = arrivals.copy()
    np.subtract.at(inflow.T, src_a, arrival_events.T)
    np.add.at(inflow.T, dst_a, arrival_events.T)
    inflow = np.maximum(inflow, 0.0)                  # rounding only: each state's split sums to its arrivals

    x0 = np.zeros(S)
    x0[: A * P * T] = parameters.stock.ravel()
    return EngineArrays(x0=x0, src=src_a, dst=dst_a, value=value, inflow=inflow, advance=advance,
                        flow_type=flow_type, flow_group=flow_group, flow_to_placement=flow_to,
                        arrival_events=arrival_events, entries=entries, steps=int(steps), dt=dt)


# ---------------------------------------------------------------------------
# The previous event counts (carecast.care.model.CareResult.event_counts at
# 50d645f, a loop over flows) and step costs (carecast.care.costs.step_costs
# at 50d645f, with engine.accrue), as functions of the arrays above.

def event_counts(parameters: CareParameters, space: StateSpace, arr: EngineArrays, projection):
    A, P, T, E = parameters.shape
    steps = arr.steps
    moved = np.asarray(projection.moved) + arr.arrival_events
    src = arr.src
    in_src = src < space.in_care
    src_age = np.where(in_src, space.age[src], -1)
    src_place = np.where(in_src, space.placement[src], -1)
    exits = np.zeros((steps, E, A, P))
    for f in np.flatnonzero((arr.flow_type == FLOW_EXIT) & in_src):
        exits[:, arr.flow_group[f], src_age[f], src_place[f]] += moved[:, f]
    moves = np.zeros((steps, P, P))
    for f in np.flatnonzero(arr.flow_type == FLOW_MOVE):
        moves[:, src_place[f], arr.flow_to_placement[f]] += moved[:, f]
    if space.exact_ageing:
        occ = np.asarray(projection.occupancy)
        after = occ[:-1].copy()
        np.subtract.at(after.T, src, np.asarray(projection.moved).T)
        np.add.at(after.T, arr.dst, np.asarray(projection.moved).T)
        last = after[:, : space.in_care].reshape(steps, A, P, T)[:, A - 1].sum(axis=2)
        exits[:, parameters.exit_groups.index("left_care_at_18"), A - 1, :] += last
    return {"entries": arr.entries, "exits": exits, "moves": moves}


def step_costs(parameters: CareParameters, space: StateSpace, arrays: EngineArrays, projection, events,
               *, programme_costs=None, per_move_costs=None):
    """(components, cash, to_real, discount) as the previous code computed them."""
    import datetime as _dt

    from carecast import engine
    from carecast.care.calendar import origin, years_between
    from carecast.care.parameters import parse_price_year

    weeks_per_year = 365.25 / 7
    steps, dt = arrays.steps, arrays.dt
    p = parameters
    base = _dt.date(parse_price_year(p.price_year), 10, 1)
    o = origin(p.start_date)
    base_years = years_between(base, o) if o >= base else -years_between(o, base)
    price = engine.price_index(steps, dt=dt, annual_rate=p.cost_inflation,
                               years_from_base=base_years, timing="mid")
    general = engine.price_index(steps, dt=dt, annual_rate=p.general_inflation,
                                 years_from_base=base_years, timing="mid")
    schedule = engine.GREEN_BOOK if p.discount_rate is None else p.discount_rate
    discount = engine.step_discount_factors(steps, dt=dt, timing="mid", schedule=schedule)
    S = space.size
    per_year = np.zeros(S)
    in_care = slice(0, space.in_care)
    per_year[in_care] = p.weekly_cost[space.placement[in_care]] * weeks_per_year
    post_weekly = {"left_care_at_18": p.care_leaver_weekly_cost,
                   "adopted": p.adoption_allowance_weekly * p.adoption_allowance_share,
                   "sgo_cao": p.sgo_allowance_weekly * p.sgo_allowance_share}
    post_components = []
    for name, weekly in post_weekly.items():
        if name in p.exit_groups:
            g = p.exit_groups.index(name)
            chain = (space.kind == "post_exit") & (space.group == g)
            if chain.any():
                per_year[chain] = weekly * weeks_per_year
                post_components.append((name, chain))
    by_state = engine.accrue(projection, per_year, price_index=price).by_state
    components, columns = [], []
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
    exits = events["exits"].sum(axis=(2, 3))
    for g, name in enumerate(p.exit_groups):
        components.append(f"exit: {name}")
        columns.append(exits[:, g] * p.exit_costs[g] * price)
    for name, per_year_cost in (programme_costs or {}).items():
        components.append(name)
        columns.append(np.asarray(per_year_cost) * dt * price)
    for origin_p, target, cost, extra_share, label in (per_move_costs or []):
        components.append(f"{label}: moves")
        columns.append(events["moves"][:, origin_p, target] * extra_share * cost * price)
    return components, np.column_stack(columns), 1.0 / general, discount


# ---------------------------------------------------------------------------
# The previous interventions -> modifiers translation
# (carecast.care.interventions.modifiers_and_costs at 50d645f), on the
# intervention classes of the package.

from carecast.care.interventions import (  # noqa: E402
    EdgeOfCare,
    InHouseFostering,
    ResidentialStepDown,
    ReunificationSupport,
)

Intervention = object


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
