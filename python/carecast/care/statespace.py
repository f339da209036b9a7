"""The state space of the children-in-care model and its flat engine arrays.

States
------
* **In care**: one state per (age band, placement, time-in-care band), index
  ``(a * P + p) * T + t``, first in the state vector.
* **Exits**, one per exit group. With ``post_exit=True`` three groups carry
  cost-bearing states after exit, each a chain that ages:

  - ``adopted`` and ``sgo_cao``: one state per age band (the child's age),
    then an absorbing "18 or over" state. Adoption and special guardianship
    allowances are paid in the chain until 18.
  - ``left_care_at_18``: care leavers aged 18 to 25, in one-year bands (or
    bands one step wide under exact ageing), then an absorbing "25 or over".

  Other groups (and all groups with ``post_exit=False``) are single absorbing
  states that count exits.

Flows and their probabilities per step
--------------------------------------
Real events are exits (hazards ``exit_rates``) and placement moves
(``move_rates``; a move keeps age and time in care). Ageing and time in care
are clocks. Within a step of length ``dt`` the exits of a state compete
(probability ``h / X * (1 - exp(-X dt))`` for an exit of hazard ``h`` when
the state's exit hazards total ``X``); a child who does not exit moves with
probability ``m / M * (1 - exp(-M dt))`` (move hazards total ``M``); and each
clock ticks independently with probability ``1 - exp(-dt / width)``. An exit
takes precedence over a move or a clock; a move and a clock can happen in the
same step (the child moves and ages). The engine runs these probabilities
with ``kind="prob"``. Treating moves and clocks as independent of exits,
rather than as risks competing with them, matters: a fast clock (a
three-month time-in-care band) competing with exits would hide a share of
each step's exits, biasing monthly runs against weekly ones by several per
cent. This way the exits of a state are exact whatever the step; what is
approximated is the change of rates between bands or placements within a
step, and moves are slightly under-counted (a child who would move and then
exit in the same step counts only as an exit).

Ageing and time in care: exact or fractional
--------------------------------------------
When every age band is exactly one step wide (single years with a yearly
step), ageing is exact: the engine's ``advance`` map moves everyone up one
band at the end of each step, and the last band (17) moves to
``left_care_at_18``. Otherwise ageing is a flow with hazard ``1 / width`` out
of each band: the number leaving a band per year is its occupancy over its
width, which is exact when ages are spread evenly within the band, and the
flow out of the last band is leaving care at 18. The approximation is that
time spent in a band is exponential rather than fixed, so a cohort spreads
out in age as it goes; single-year bands keep the spread small. Time-in-care
bands work the same way (exact only when every finite band is one step wide;
the last band is open-ended). Nobody is ever in care at 18 or over: there is
no in-care state past the last band.

Entries arrive during a step
----------------------------
The engine adds arrivals at the end of a step. Left alone, entrants would
escape half a step of exit risk on average, and the stock would be too high by
about ``entries_per_year * dt / 2`` (2% of a council's stock with monthly
steps). So each step's entrants are given the half step they would have lived
through: entrants to state ``s`` arrive already split by the competing-risk
probabilities of state ``s`` over ``dt / 2`` (some have exited, moved or
passed a band). These "events during arrival" are reported with the other
events. With this correction weekly and monthly steps agree to well under
0.5% on children in care.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from carecast.care.parameters import MAX_AGE, CareParameters

__all__ = ["StateSpace", "EngineArrays", "Modifiers", "build_state_space", "engine_arrays",
           "FLOW_EXIT", "FLOW_MOVE", "FLOW_AGE", "FLOW_TIME_IN_CARE", "FLOW_POST_EXIT_AGE",
           "CARE_LEAVER_YEARS"]

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
