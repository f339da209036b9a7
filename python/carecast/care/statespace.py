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

Structure once, values as arrays
--------------------------------
What depends only on the model's shape and step - the states, every flow any
parameters could use (its source, destination, kind and where its hazard is
looked up), the ``advance`` map and the clock probabilities - is a
:class:`CareStructure`, built once by :func:`care_structure` and cached by
(age bands, placements, time-in-care bands, exit groups, step, ``post_exit``).
What depends on the parameters is computed by :func:`care_values` with NumPy
array operations on index arrays precomputed in the structure (no loop over
flows), with an optional leading draw axis so that ``R`` parameter sets become
one :func:`carecast.project_batch` or :func:`carecast.simulate` call.

Flows whose probability is 0 in every step (and every draw) are left out of
the engine's arrays, as before; the flows kept are a :class:`FlowSelection`
of the structure, cached on it by which flows are kept, with the index arrays
that sum flow probabilities by what each flow is (``np.add.reduceat`` over
flows sorted once, never ``np.add.at``). Events per step are then the
occupancy at the start of each step times those sums (the engine moves
``occupancy[t, src] * value[t, f]`` by flow ``f``), which never passes over
the ``(steps, F)`` array of people moved. Structures and selections are shared
between runs, so their arrays are read-only.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from carecast.care.parameters import MAX_AGE, CareParameters
from carecast.care.taxonomy import ADOPTED, LEFT_CARE_AT_18, SGO_CAO

__all__ = ["StateSpace", "CareStructure", "FlowSelection", "CareValues", "EngineArrays", "Modifiers",
           "build_state_space", "care_structure", "care_values", "engine_arrays", "entries_per_step",
           "FLOW_EXIT", "FLOW_MOVE", "FLOW_AGE", "FLOW_TIME_IN_CARE", "FLOW_POST_EXIT_AGE",
           "CARE_LEAVER_YEARS", "LEAVER_GROUP", "CHAINED_GROUPS"]

FLOW_EXIT, FLOW_MOVE, FLOW_AGE, FLOW_TIME_IN_CARE, FLOW_POST_EXIT_AGE = range(5)
#: Care leavers are carried from 18 to this many years later (to 25).
CARE_LEAVER_YEARS = 7.0
#: The exit group children age out into (every model has it).
LEAVER_GROUP = LEFT_CARE_AT_18
#: Exit groups carried as a chain of ages to 18 with ``post_exit=True`` (allowances).
CHAINED_GROUPS = (ADOPTED, SGO_CAO)
_TOL = 1e-9
# where a flow's hazard comes from: none (staying put while clocks tick), an exit rate, a move rate
_NO_RATE, _EXIT_RATE, _MOVE_RATE = 0, 1, 2
_SELECTIONS_KEPT = 16


def _frozen(values, dtype=None) -> np.ndarray:
    arr = np.array(values, dtype=dtype)
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, eq=False)
class StateSpace:
    """Labels and indices of every state.

    Attributes
    ----------
    labels : tuple of str
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
    exit_entry : tuple of ndarray
        ``exit_entry[g][a]``: the state an exit to group ``g`` from age band
        ``a`` goes to.
    exact_ageing, exact_time_in_care : bool
        Whether ageing / time-in-care progression uses the ``advance`` map.
    dt : float
        Step in years.
    post_exit : bool
        Whether cost-bearing post-exit chains are carried.

    The arrays are read-only: one state space is shared by every run with the
    same shape and step.
    """

    labels: tuple[str, ...]
    in_care: int
    kind: np.ndarray
    group: np.ndarray
    age: np.ndarray
    placement: np.ndarray
    time_in_care: np.ndarray
    exit_entry: tuple[np.ndarray, ...]
    leaver_band_width: float
    exact_ageing: bool
    exact_time_in_care: bool
    dt: float
    post_exit: bool = True

    @property
    def size(self) -> int:
        return len(self.labels)


def _exact(widths: np.ndarray, dt: float) -> bool:
    return bool(widths.size) and bool(np.all(np.abs(widths - dt) <= _TOL * max(1.0, dt)))


def _structure_key(parameters: CareParameters, dt: float, post_exit: bool) -> tuple:
    return (parameters.age_bands, parameters.time_in_care_bands, parameters.placements,
            parameters.exit_groups, float(dt), bool(post_exit))


def build_state_space(parameters: CareParameters, dt: float, *, post_exit: bool = True) -> StateSpace:
    """Lay out the states for ``parameters`` run with step ``dt`` (years).

    Examples
    --------
    >>> p = CareParameters.empty(age_bands=(0, 10), placements=("foster", "home"))
    >>> space = build_state_space(p, 1 / 12)
    >>> space.in_care, space.exact_ageing
    (4, False)
    >>> space.labels[:2]
    ('in care: age 0-9, foster', 'in care: age 0-9, home')
    """
    return care_structure(parameters, dt, post_exit=post_exit).space


def care_structure(parameters: CareParameters, dt: float, *, post_exit: bool = True) -> CareStructure:
    """The cached structure (states, candidate flows, advance map) for ``parameters``' shape and step ``dt``.

    Only the dimensions' labels (age bands, placements, time-in-care bands,
    exit groups), ``dt`` and ``post_exit`` matter: every parameter set of that
    shape shares one structure.

    Examples
    --------
    >>> p = CareParameters.empty(age_bands=(0, 10), placements=("foster", "home"))
    >>> care_structure(p, 1 / 12) is care_structure(p.replace(name="other"), 1 / 12)
    True
    """
    if not isinstance(parameters, CareParameters):
        raise TypeError(f"parameters must be CareParameters, got {type(parameters).__name__}")
    if isinstance(dt, bool) or not isinstance(dt, (int, float, np.integer, np.floating)) \
            or not np.isfinite(dt) or not 0 < dt <= 1:
        raise ValueError(f"dt must be a step in years in (0, 1], got {dt!r}")
    return _cached_structure(*_structure_key(parameters, dt, post_exit))


@functools.lru_cache(maxsize=32)
def _cached_structure(age_bands: tuple[float, ...], time_in_care_bands: tuple[float, ...],
                      placements: tuple[str, ...], exit_groups: tuple[str, ...], dt: float,
                      post_exit: bool) -> CareStructure:
    space = _build_space(age_bands, time_in_care_bands, placements, exit_groups, dt, post_exit)
    key = (age_bands, time_in_care_bands, placements, exit_groups, dt, post_exit)
    return _build_structure(space, age_bands, time_in_care_bands, exit_groups, key)


def _age_widths(age_bands: Sequence[float]) -> np.ndarray:
    return np.diff(np.append(np.asarray(age_bands, dtype=float), MAX_AGE))


def _build_space(age_bands: tuple[float, ...], time_in_care_bands: tuple[float, ...],
                 placements: tuple[str, ...], exit_groups: tuple[str, ...], dt: float,
                 post_exit: bool) -> StateSpace:
    A, P, T = len(age_bands), len(placements), len(time_in_care_bands)
    widths = _age_widths(age_bands)
    tic = np.asarray(time_in_care_bands)
    exact_age = _exact(widths, dt) and abs(CARE_LEAVER_YEARS / dt - round(CARE_LEAVER_YEARS / dt)) < 1e-6
    exact_tic = T > 1 and _exact(np.diff(tic), dt)

    def age_label(a: int) -> str:
        lo, hi = age_bands[a], age_bands[a] + widths[a]
        return f"age {lo:g}" if hi - lo == 1 else f"age {lo:g}-{hi - 1:g}" if float(hi).is_integer() \
            and float(lo).is_integer() else f"age {lo:g}-{hi:g}"

    def tic_label(t: int) -> str:
        lo = tic[t]
        return f"{lo:g}y+ in care" if t == T - 1 else f"{lo:g}-{tic[t + 1]:g}y in care"

    ages = [age_label(a) for a in range(A)]
    tics = [f", {tic_label(t)}" for t in range(T)] if T > 1 else [""]
    labels = [f"in care: {ages[a]}, {placements[p]}{tics[t] if T > 1 else ''}"
              for a in range(A) for p in range(P) for t in range(T)]
    in_care = len(labels)
    grid = np.indices((A, P, T)).reshape(3, -1)
    kind: list[str] = ["in_care"] * in_care
    group, age = [-1] * in_care, list(grid[0])
    place, tband = list(grid[1]), list(grid[2])

    leaver_width = dt if exact_age else 1.0
    leaver_bands = int(round(CARE_LEAVER_YEARS / leaver_width))
    exit_entry: list[np.ndarray] = []

    def add(label: str, k: str, g: int, a: int) -> None:
        labels.append(label)
        kind.append(k)
        group.append(g)
        age.append(a)
        place.append(-1)
        tband.append(-1)

    for g, name in enumerate(exit_groups):
        first = len(labels)
        if post_exit and name in CHAINED_GROUPS:
            for a in range(A):
                add(f"exited {name}: {ages[a]}", "post_exit", g, a)
            add(f"exited {name}: now 18+", "post_exit_ended", g, -1)
            exit_entry.append(_frozen(np.arange(first, first + A)))
        elif post_exit and name == LEAVER_GROUP:
            for b in range(leaver_bands):
                lo = MAX_AGE + b * leaver_width
                add(f"care leaver: age {lo:g}-{lo + leaver_width:g}", "post_exit", g, b)
            add(f"care leaver: now {MAX_AGE + CARE_LEAVER_YEARS:g}+", "post_exit_ended", g, -1)
            exit_entry.append(_frozen(np.full(A, first)))
        else:
            add(f"exited {name}", "exited", g, -1)
            exit_entry.append(_frozen(np.full(A, first)))
    return StateSpace(labels=tuple(labels), in_care=in_care, kind=_frozen(kind), group=_frozen(group),
                      age=_frozen(age), placement=_frozen(place), time_in_care=_frozen(tband),
                      exit_entry=tuple(exit_entry), leaver_band_width=leaver_width,
                      exact_ageing=exact_age, exact_time_in_care=exact_tic, dt=float(dt),
                      post_exit=bool(post_exit))


class _SumByKey:
    """Sums along the last axis by key: ``out[..., k] = sum of x[..., take[i]] over key[i] == k``.

    The flows are sorted by key once; each call is one gather and one
    ``np.add.reduceat`` (no ``np.add.at``).
    """

    def __init__(self, take: np.ndarray, key: np.ndarray, size: int):
        take = np.asarray(take, dtype=np.int64)
        key = np.asarray(key, dtype=np.int64)
        order = np.argsort(key, kind="stable")
        self.take = take[order]
        sorted_key = key[order]
        first = np.ones(sorted_key.size, dtype=bool)
        first[1:] = sorted_key[1:] != sorted_key[:-1]
        self.starts = np.flatnonzero(first)
        self.cells = sorted_key[self.starts]
        self.size = int(size)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        out = np.zeros(x.shape[:-1] + (self.size,))
        if self.take.size:
            out[..., self.cells] = np.add.reduceat(np.take(x, self.take, axis=-1), self.starts, axis=-1)
        return out


@dataclass(frozen=True, eq=False)
class CareStructure:
    """Everything about a care model that does not depend on its parameters' values.

    Built by :func:`care_structure` (cached). The candidate flows are every
    flow any parameters of this shape could use, in the engine's order
    (by source state; for an in-care state its exits by group, then for each
    destination placement the combinations of clocks that fire); those
    whose probability is 0 in a run are dropped by :meth:`select`.

    Attributes
    ----------
    space : StateSpace
    src, dst : ndarray of int64 (F,)
    flow_type, flow_group, flow_to_placement : ndarray of int64 (F,)
        ``FLOW_*`` kind, exit group of exits (-1 otherwise), destination
        placement of moves (-1 otherwise).
    rate_kind, rate_index : ndarray of int64 (F,)
        Whether the flow's hazard is an exit rate, a move rate or none, and
        its position in ``concatenate([exit_rates.ravel(), move_rates.ravel(), [0]])``.
    clock : ndarray (2, F)
        Probability of the flow's clock outcome (ageing and time in care
        ticking or not) over ``dt`` (row 0) and ``dt / 2`` (row 1); 1 for
        exit-rate flows, which no clock accompanies.
    advance : ndarray of int64 (S,) or None
        The engine's advance map under exact ageing or time in care.
    entry_states : ndarray of int64 (A * P,)
        State ``(a, p, first time-in-care band)`` where entrants aged ``a``
        placed in ``p`` arrive.
    entry_slot : ndarray of int64 (S,)
        ``a * P + p`` for those states, -1 for the others.
    shape : tuple
        ``(A, P, T, E)``.
    leaver_group : int
        Index of ``left_care_at_18`` among the exit groups.
    key : tuple
        What the structure is cached by: the four dimensions' labels, ``dt``
        and ``post_exit``.
    exit_flows, move_flows, clock_flows : ndarray of int64
        The candidate flows whose hazard is an exit rate, a move rate, or
        none (a clock alone, or ageing in a post-exit chain).
    """

    space: StateSpace
    src: np.ndarray
    dst: np.ndarray
    flow_type: np.ndarray
    flow_group: np.ndarray
    flow_to_placement: np.ndarray
    rate_kind: np.ndarray
    rate_index: np.ndarray
    clock: np.ndarray
    advance: np.ndarray | None
    entry_states: np.ndarray
    entry_slot: np.ndarray
    shape: tuple[int, int, int, int]
    leaver_group: int
    key: tuple
    exit_flows: np.ndarray
    move_flows: np.ndarray
    clock_flows: np.ndarray
    _selections: OrderedDict = field(default_factory=OrderedDict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def size(self) -> int:
        """Number of candidate flows."""
        return int(self.src.size)

    def __reduce__(self):
        # pickled as its key: unpickling finds (or builds) the cached structure
        return (_cached_structure, self.key)

    def select(self, keep: np.ndarray) -> FlowSelection:
        """The flows with ``keep`` true, with their event sums (cached by ``keep``)."""
        keep = np.asarray(keep, dtype=bool)
        key = np.packbits(keep).tobytes()
        with self._lock:                     # runs in threads may share a structure
            found = self._selections.get(key)
            if found is None:
                found = FlowSelection(self, np.flatnonzero(keep))
                self._selections[key] = found
                while len(self._selections) > _SELECTIONS_KEPT:
                    self._selections.popitem(last=False)
            else:
                self._selections.move_to_end(key)
        return found


def _in_care_flows(space: StateSpace, shape: tuple[int, int, int, int], leaver: int,
                   tic_on: np.ndarray) -> dict[str, np.ndarray]:
    """Every candidate flow out of an in-care state, in the engine's order.

    Per state ``(a, p, t)``: its exits by group, then for each placement ``q``
    and each combination of the ageing and time-in-care clocks (not firing,
    firing) a flow - a move when ``q != p``, otherwise a clock alone (the
    combination where nothing happens is no flow). Ageing out of the last
    band is an exit to ``left_care_at_18``.
    """
    A, P, T, E = shape
    idx = np.arange(space.in_care).reshape(A, P, T)
    entry = np.stack(space.exit_entry)                           # (E, A)
    n_exit_rates = A * P * T * E
    zero_rate = n_exit_rates + A * P * T * P
    exits = {
        "src": np.broadcast_to(idx[..., None], (A, P, T, E)),
        "dst": np.broadcast_to(entry.T[:, None, None, :], (A, P, T, E)),
        "type": np.full((A, P, T, E), FLOW_EXIT),
        "group": np.broadcast_to(np.arange(E), (A, P, T, E)),
        "to": np.full((A, P, T, E), -1),
        "rate_kind": np.full((A, P, T, E), _EXIT_RATE),
        "rate_index": np.arange(n_exit_rates).reshape(A, P, T, E),
        "age_fire": np.zeros((A, P, T, E), dtype=bool),
        "tic_fire": np.zeros((A, P, T, E), dtype=bool),
        "valid": np.ones((A, P, T, E), dtype=bool),
    }
    # a move to q (or none, q == p) with each combination of clocks: (A, P, T, P, 2, 2)
    shape6 = (A, P, T, P, 2, 2)
    a, p, t = (x[..., None, None, None] for x in np.meshgrid(np.arange(A), np.arange(P), np.arange(T),
                                                             indexing="ij"))
    q = np.arange(P)[None, None, None, :, None, None]
    age_fires = np.array([False, True])[:, None]
    tic_fires = np.array([False, True])[None, :]
    moving = q != p
    valid = (~age_fires | (not space.exact_ageing)) & (~tic_fires | tic_on[t]) & (moving | age_fires | tic_fires)
    ages_out = age_fires & (a + 1 == A)
    inside = idx[np.minimum(a + age_fires, A - 1), q, np.minimum(t + tic_fires, T - 1)]
    kind = np.where(ages_out, FLOW_EXIT, np.where(moving, FLOW_MOVE, np.where(age_fires, FLOW_AGE,
                                                                              FLOW_TIME_IN_CARE)))
    moves = {
        "src": idx[..., None, None, None],
        "dst": np.where(ages_out, entry[leaver][a], inside),
        "type": kind,
        "group": np.where(ages_out, leaver, -1),
        "to": np.where(moving & ~ages_out, q, -1),
        "rate_kind": np.where(moving, _MOVE_RATE, _NO_RATE),
        "rate_index": np.where(moving, n_exit_rates + idx[..., None, None, None] * P + q, zero_rate),
        "age_fire": age_fires,
        "tic_fire": tic_fires,
        "valid": valid,
    }
    flows = {k: np.concatenate([exits[k].reshape(A, P, T, E),
                                np.broadcast_to(moves[k], shape6).reshape(A, P, T, P * 4)], axis=3).ravel()
             for k in exits}
    keep = flows.pop("valid")
    return {k: v[keep] for k, v in flows.items()}


def _advance_map(space: StateSpace, shape: tuple[int, int, int, int], leaver: int) -> np.ndarray | None:
    """Where everyone in care moves at the end of a step under exact ageing or time in care."""
    if not (space.exact_ageing or space.exact_time_in_care):
        return None
    A, P, T, _ = shape
    idx = np.arange(space.in_care).reshape(A, P, T)
    a, p, t = np.meshgrid(np.arange(A), np.arange(P), np.arange(T), indexing="ij")
    a2 = a + 1 if space.exact_ageing else a
    t2 = np.minimum(t + 1, T - 1) if space.exact_time_in_care else t
    advance = np.full(space.size, -1, dtype=np.int64)
    advance[: space.in_care] = np.where(a2 < A, idx[np.minimum(a2, A - 1), p, t2],
                                        space.exit_entry[leaver][a]).ravel()
    return advance


def _post_exit_chains(space: StateSpace, widths: np.ndarray, leaver: int, zero_rate: int,
                      advance: np.ndarray | None, age_clock: np.ndarray) -> dict[str, np.ndarray] | None:
    """The post-exit chains age like children in care: by the advance map, or by ageing flows.

    Sets ``advance`` (exact ageing) or ``age_clock`` (otherwise) for the chain
    states, and returns the ageing flows (None under exact ageing or without chains).
    """
    src, dst, group = [], [], []
    for g in range(len(space.exit_entry)):
        chain = np.flatnonzero((space.group == g) & (space.kind == "post_exit"))
        if chain.size == 0:
            continue
        ended = np.flatnonzero((space.group == g) & (space.kind == "post_exit_ended"))[0]
        nxt = np.append(chain[1:], ended)
        if space.exact_ageing:
            assert advance is not None
            advance[chain] = nxt
            continue
        age_clock[chain] = 1.0 / (np.full(chain.size, space.leaver_band_width) if g == leaver else widths)
        src.append(chain)
        dst.append(nxt)
        group.append(np.full(chain.size, g))
    if not src:
        return None
    n = sum(c.size for c in src)
    return {"src": np.concatenate(src), "dst": np.concatenate(dst), "type": np.full(n, FLOW_POST_EXIT_AGE),
            "group": np.concatenate(group), "to": np.full(n, -1), "rate_kind": np.full(n, _NO_RATE),
            "rate_index": np.full(n, zero_rate), "age_fire": np.ones(n, dtype=bool),
            "tic_fire": np.zeros(n, dtype=bool)}


def _build_structure(space: StateSpace, age_bands: tuple[float, ...], time_in_care_bands: tuple[float, ...],
                     exit_groups: tuple[str, ...], key: tuple) -> CareStructure:
    A, T, E = len(age_bands), len(time_in_care_bands), len(exit_groups)
    P = space.in_care // (A * T)
    shape = (A, P, T, E)
    S, S_in = space.size, space.in_care
    widths = _age_widths(age_bands)
    leaver = exit_groups.index(LEAVER_GROUP)
    # the clocks: ageing (unless exact) and time in care (every band but the last, unless exact)
    tic_on = np.zeros(T, dtype=bool)
    tic_rate = np.zeros(T)
    if T > 1 and not space.exact_time_in_care:
        tic_on[: T - 1] = True
        tic_rate[: T - 1] = 1.0 / np.diff(np.asarray(time_in_care_bands, dtype=float))
    age_clock = np.zeros(S)
    tic_clock = np.zeros(S)
    if not space.exact_ageing:
        age_clock[:S_in] = np.repeat(1.0 / widths, P * T)
    tic_clock[:S_in] = np.tile(tic_rate, A * P)

    flows = _in_care_flows(space, shape, leaver, tic_on)
    advance = _advance_map(space, shape, leaver)
    post = _post_exit_chains(space, widths, leaver, A * P * T * (E + P), advance, age_clock)
    if post is not None:
        flows = {k: np.concatenate([flows[k], post[k]]) for k in flows}

    src = flows["src"].astype(np.int64)
    rate_kind = flows["rate_kind"].astype(np.int64)
    # each flow's clock outcome over a step and over half a step (exit-rate flows have none)
    clock = np.ones((2, src.size))
    for row, delta in enumerate((space.dt, space.dt / 2)):
        age = np.where(flows["age_fire"], -np.expm1(-age_clock[src] * delta), np.exp(-age_clock[src] * delta))
        tic = np.where(flows["tic_fire"], -np.expm1(-tic_clock[src] * delta), np.exp(-tic_clock[src] * delta))
        clock[row] = np.where(rate_kind != _EXIT_RATE, age * tic, 1.0)
    entry_states = np.arange(S_in).reshape(A, P, T)[:, :, 0].ravel()
    entry_slot = np.full(S, -1, dtype=np.int64)
    entry_slot[entry_states] = np.arange(A * P)
    return CareStructure(
        space=space, src=_frozen(src), dst=_frozen(flows["dst"], np.int64),
        flow_type=_frozen(flows["type"], np.int64), flow_group=_frozen(flows["group"], np.int64),
        flow_to_placement=_frozen(flows["to"], np.int64), rate_kind=_frozen(rate_kind),
        rate_index=_frozen(flows["rate_index"], np.int64), clock=_frozen(clock),
        advance=None if advance is None else _frozen(advance),
        entry_states=_frozen(entry_states, np.int64), entry_slot=_frozen(entry_slot),
        shape=shape, leaver_group=leaver, key=key,
        exit_flows=_frozen(np.flatnonzero(rate_kind == _EXIT_RATE)),
        move_flows=_frozen(np.flatnonzero(rate_kind == _MOVE_RATE)),
        clock_flows=_frozen(np.flatnonzero(rate_kind == _NO_RATE)))


class FlowSelection:
    """The flows of a structure kept for a run (those with a probability above 0), and their event sums.

    Attributes
    ----------
    flows : ndarray of int64
        Positions of the kept flows among the structure's candidates.
    src, dst, flow_type, flow_group, flow_to_placement : ndarray of int64
        The kept flows' arrays (read-only).
    entry_flows : ndarray of int64
        Positions, among the kept flows, of those leaving a state entrants
        arrive in (taken by entrants within their arrival step).
    """

    def __init__(self, structure: CareStructure, flows: np.ndarray):
        self.structure = structure
        self.flows = _frozen(flows, np.int64)
        s = structure
        self.src, self.dst = _frozen(s.src[flows]), _frozen(s.dst[flows])
        self.flow_type, self.flow_group = _frozen(s.flow_type[flows]), _frozen(s.flow_group[flows])
        self.flow_to_placement = _frozen(s.flow_to_placement[flows])
        slot = s.entry_slot[self.src]
        self.entry_flows = _frozen(np.flatnonzero(slot >= 0))
        self.entry_flow_slot = _frozen(slot[self.entry_flows])
        self._sums: dict[str, _SumByKey] = {}

    @property
    def size(self) -> int:
        return int(self.flows.size)

    def __reduce__(self):
        keep = np.zeros(self.structure.size, dtype=bool)
        keep[self.flows] = True
        return (CareStructure.select, (self.structure, keep))

    def _sum(self, name: str) -> _SumByKey:
        found = self._sums.get(name)
        if found is None:
            found = self._sums[name] = self._build_sum(name)
        return found

    def _build_sum(self, name: str) -> _SumByKey:
        space = self.structure.space
        A, P, T, E = self.structure.shape
        S_in = space.in_care
        src_in = self.src < S_in
        src_age = np.where(src_in, space.age[self.src], 0)
        src_place = np.where(src_in, space.placement[self.src], 0)
        exits = (self.flow_type == FLOW_EXIT) & src_in
        moves = self.flow_type == FLOW_MOVE
        exit_key = (self.flow_group * A + src_age) * P + src_place
        move_key = src_place * P + self.flow_to_placement
        entry = np.zeros(self.size, dtype=bool)
        entry[self.entry_flows] = True
        # probabilities per source state, summed by what the flow is: moved = occupancy x probability,
        # so events per step are occupancy (steps, S) times these (S, K) - no pass over (steps, F)
        if name == "exit_weights":          # (source state, exit group)
            take = np.flatnonzero(exits)
            return _SumByKey(take, self.src[take] * E + self.flow_group[take], S_in * E)
        if name == "move_weights":          # (source state, placement moved to)
            take = np.flatnonzero(moves)
            return _SumByKey(take, self.src[take] * P + self.flow_to_placement[take], S_in * P)
        if name == "out_weights":           # source state: the probability of leaving it
            take = np.flatnonzero(src_in)
            return _SumByKey(take, self.src[take], S_in)
        if name == "last_band_in_weights":  # (source state, placement in the last age band arrived in)
            last_band = (A - 1) * P * T
            take = np.flatnonzero(src_in & (self.dst >= last_band) & (self.dst < S_in))
            return _SumByKey(take, self.src[take] * P + space.placement[self.dst[take]], S_in * P)
        # the same over the entry flows only (arrays of shape (..., entry_flows))
        if name == "entry_exits":
            take = np.flatnonzero(exits[self.entry_flows])
            return _SumByKey(take, exit_key[self.entry_flows][take], E * A * P)
        if name == "entry_moves":
            take = np.flatnonzero(moves[self.entry_flows])
            return _SumByKey(take, move_key[self.entry_flows][take], P * P)
        if name == "entry_out":
            return _SumByKey(np.arange(self.entry_flows.size), self.src[self.entry_flows], space.size)
        if name == "entry_in":
            return _SumByKey(np.arange(self.entry_flows.size), self.dst[self.entry_flows], space.size)
        raise KeyError(name)

    def sum(self, name: str, values: np.ndarray) -> np.ndarray:
        """One of the precomputed sums by name (see the source for the list)."""
        return self._sum(name)(values)


@dataclass
class Modifiers:
    """Changes to the parameters step by step (what interventions do).

    All optional; ``steps`` is the leading axis of each array (after a draw
    axis, for :func:`care_values` with several parameter sets).

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


def _check_steps(steps) -> int:
    if not isinstance(steps, (int, np.integer)) or isinstance(steps, bool) or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    return int(steps)


def _year_rows(entries_per_year: np.ndarray, steps: int, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """Entries per step as rows (R, rows, A, P) and the row of each step.

    Year ``y`` of a year-by-year ``entries_per_year`` covers ``[y, y + 1)``
    years from the start; a step takes the year its midpoint falls in (the
    last year carries on).
    """
    if entries_per_year.ndim == 3:                          # (R, A, P): the same every year
        return entries_per_year[:, None] * dt, np.zeros(steps, dtype=np.int64)
    year_of_step = np.minimum(np.floor((np.arange(steps) + 0.5) * dt).astype(np.int64),
                              entries_per_year.shape[1] - 1)
    return entries_per_year * dt, year_of_step


def entries_per_step(parameters: CareParameters, steps: int, dt: float) -> np.ndarray:
    """Children entering care in each step before any intervention: (steps, A, P).

    >>> p = CareParameters.empty(age_bands=(0,), placements=("foster",))
    >>> p.entries_per_year[0, 0] = 12.0
    >>> entries_per_step(p, 2, 1 / 12).tolist()
    [[[1.0]], [[1.0]]]
    """
    rows, row_of_step = _year_rows(parameters.entries_per_year[None], _check_steps(steps), float(dt))
    return rows[0][row_of_step]


def _leading(modifier, R: int, shape: tuple[int, ...], name: str) -> np.ndarray | None:
    """A modifier as (R, steps, ...) with its other axes as given (1 where it broadcasts).

    ``shape`` is the full shape for one draw, ``(steps, ...)``; the modifier
    may be any array broadcasting to it, or carry a leading draw axis
    ``(R, steps, ...)``.
    """
    if modifier is None:
        return None
    arr = np.asarray(modifier, dtype=np.float64)
    given = arr.shape
    if arr.ndim == len(shape) + 1:
        if arr.shape[0] not in (1, R):
            raise ValueError(f"modifiers.{name} has shape {given}: its draw axis must be {R}")
    elif arr.ndim > len(shape):
        raise ValueError(f"modifiers.{name} has shape {given}, which does not broadcast to {shape}")
    else:
        arr = arr.reshape((1,) * (len(shape) + 1 - arr.ndim) + arr.shape)
    try:
        np.broadcast_shapes(arr.shape[1:], shape)
    except ValueError:
        raise ValueError(f"modifiers.{name} has shape {given}, which does not broadcast to {shape}") from None
    return np.broadcast_to(arr, (R,) + shape[:1] + arr.shape[2:])


def flow_probabilities(structure: CareStructure, exit_rates: np.ndarray, move_rates: np.ndarray, *,
                       half: bool = False, flows: np.ndarray | None = None) -> np.ndarray:
    """Probability per step of each candidate flow (see the module notes), for any leading axes.

    Parameters
    ----------
    exit_rates, move_rates : arrays (..., A, P, T, E) and (..., A, P, T, P)
        Hazards per year.
    half : bool
        Over half a step (entrants' arrival) instead of a whole step.
    flows : array of int, optional
        Only these candidate flows (default all): the result is (..., len(flows)).
    """
    s = structure
    space = s.space
    lead = np.broadcast_shapes(exit_rates.shape[:-4], move_rates.shape[:-4])
    exit_rates = np.broadcast_to(exit_rates, lead + exit_rates.shape[-4:])
    move_rates = np.broadcast_to(move_rates, lead + move_rates.shape[-4:])
    delta = space.dt / 2 if half else space.dt
    S, S_in = space.size, space.in_care
    n = int(np.prod(lead, dtype=np.int64))
    exit_flat = exit_rates.reshape(n, -1)
    move_flat = move_rates.reshape(n, -1)
    # the rates of every flow's hazard and a 1 for flows without one; per state the chance of
    # no exit, of an exit per unit of exit hazard, and the same for moves
    rates = np.empty((n, exit_flat.shape[1] + move_flat.shape[1] + 1))
    rates[:, : exit_flat.shape[1]] = exit_flat
    rates[:, exit_flat.shape[1]:-1] = move_flat
    rates[:, -1] = 1.0
    shares = np.zeros((n, 3 * S))                 # exit share, move share of stayers, stay: by state
    exit_total = exit_rates.sum(axis=-1).reshape(n, S_in)
    move_total = move_rates.sum(axis=-1).reshape(n, S_in)
    stays = np.ones((n, S))
    stays[:, :S_in] = np.exp(-exit_total * delta)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares[:, :S_in] = np.where(exit_total > 0, -np.expm1(-exit_total * delta) / exit_total, 0.0)
        move_share = np.where(move_total > 0, -np.expm1(-move_total * delta) / move_total, 0.0)
    shares[:, S:S + S_in] = stays[:, :S_in] * move_share
    shares[:, 2 * S:] = stays
    shares[:, 2 * S:2 * S + S_in] *= np.exp(-move_total * delta)
    # each flow: its rate x its share x its clock (1 for exits): one gather of each, no scatter
    rate_at, share_at, clock = _probability_gathers(s, half)
    if flows is not None:
        flows = np.asarray(flows, dtype=np.int64)
        rate_at, share_at, clock = rate_at[flows], share_at[flows], clock[flows]
    out = np.take(rates, rate_at, axis=1)
    out *= np.take(shares, share_at, axis=1)
    out *= clock
    return out.reshape(lead + (rate_at.size,))


def _possible_flows(s: CareStructure, exit_rates: np.ndarray, move_rates: np.ndarray) -> np.ndarray:
    """The candidate flows whose hazard is above 0 in some draw and row (all flows without one):
    those kept for a run. A flow's probability is its hazard times a share and a clock that are
    above 0 (the shares underflow to 0 only for hazards beyond any real one, and a kept flow of
    probability 0 moves nobody), so this is the set of flows of probability above 0, found from
    the A P T (E + P) hazards rather than from every flow's probability."""
    rate_at, _, clock = _probability_gathers(s, False)
    n_exit, n_move = int(np.prod(exit_rates.shape[-4:])), int(np.prod(move_rates.shape[-4:]))
    positive = np.concatenate([(exit_rates > 0).reshape(-1, n_exit).any(axis=0),
                               (move_rates > 0).reshape(-1, n_move).any(axis=0), [True]])
    return positive[rate_at] & (clock > 0)


def _probability_gathers(s: CareStructure, half: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For :func:`flow_probabilities`: each candidate flow's place in the rates (exit and move
    hazards, then a 1), in the shares (exit share, move share, stay, each by state) and its clock."""
    cache = s.__dict__.setdefault("_probability_gathers", {})
    found = cache.get(half)
    if found is None:
        S = s.space.size
        kind = s.rate_kind
        A, P, T, E = s.shape
        n_rates = A * P * T * (E + P)               # the exit and move hazards; the 1 comes after them
        rate_at = np.where(kind == _NO_RATE, n_rates, s.rate_index)
        share_at = s.src + np.select([kind == _EXIT_RATE, kind == _MOVE_RATE], [0, S], 2 * S)
        clock = np.where(kind == _EXIT_RATE, 1.0, s.clock[1 if half else 0])
        found = cache[half] = (_frozen(rate_at, np.int64), _frozen(share_at, np.int64), _frozen(clock))
    return found


@dataclass(eq=False)
class CareValues:
    """The engine's values for ``R`` parameter sets sharing one structure (from :func:`care_values`).

    Values that repeat from step to step are stored once: ``value_rows``
    with ``value_row_of_step``, and the entrants' inflow and arrival events
    by distinct (entries row, value row) pair, with ``pair_of_step``.

    Attributes
    ----------
    selection : FlowSelection
        The flows kept (probability above 0 in some step of some draw).
    x0 : ndarray (R, S)
    value_rows : ndarray (R, N, F)
        Probabilities per step of the kept flows.
    value_row_of_step : ndarray (steps,)
    inflow_pairs : ndarray (R, K, S)
        Arrivals per step (entrants already split over their half step).
    arrival_pairs : ndarray (R, K, len(selection.entry_flows))
        Flows taken by entrants within their arrival step.
    pair_of_step : ndarray (steps,)
    entries : ndarray (R, steps, A, P)
        Children entering care in each step.
    """

    structure: CareStructure
    selection: FlowSelection
    x0: np.ndarray
    value_rows: np.ndarray
    value_row_of_step: np.ndarray
    inflow_pairs: np.ndarray
    arrival_pairs: np.ndarray
    pair_of_step: np.ndarray
    entries: np.ndarray
    steps: int
    # what the flow probabilities were computed from, so that a run of the same rates can reuse them
    _rates: tuple = field(default=(), repr=False)
    _half: np.ndarray | None = field(default=None, repr=False)

    @property
    def draws(self) -> int:
        return int(self.x0.shape[0])

    def engine_value(self, draw: int | None = None) -> np.ndarray:
        """``value`` for the engine: (F,) or (steps, F) for one draw, (R, F) or (R, steps, F) for all."""
        rows = self.value_rows if draw is None else self.value_rows[draw]
        if self.value_rows.shape[1] == 1:
            return rows[..., 0, :]
        return rows[..., self.value_row_of_step, :]

    def engine_inflow(self, draw: int | None = None) -> np.ndarray:
        """``inflow`` for the engine: (S,) or (steps, S) for one draw, (R, S) or (R, steps, S) for all."""
        pairs = self.inflow_pairs if draw is None else self.inflow_pairs[draw]
        if self.inflow_pairs.shape[1] == 1:
            return pairs[..., 0, :]
        return pairs[..., self.pair_of_step, :]

    def engine_x0(self, draw: int | None = None) -> np.ndarray:
        return self.x0 if draw is None else self.x0[draw]

    def arrays(self, draw: int = 0) -> EngineArrays:
        """The flat arrays of one draw."""
        sel, space = self.selection, self.structure.space
        steps = self.steps
        inflow = self.engine_inflow(draw)
        value = self.engine_value(draw)
        return EngineArrays(
            x0=self.x0[draw], src=sel.src, dst=sel.dst, value=value,
            inflow=np.broadcast_to(inflow, (steps, space.size)), advance=self.structure.advance,
            flow_type=sel.flow_type, flow_group=sel.flow_group, flow_to_placement=sel.flow_to_placement,
            entries=self.entries[draw], steps=steps, dt=space.dt, selection=sel,
            arrival_pairs=self.arrival_pairs[draw], pair_of_step=self.pair_of_step, engine_inflow=inflow)


@dataclass(eq=False)
class EngineArrays:
    """Flat arrays for :func:`carecast.project` plus what each flow means.

    ``flow_type`` is one of the ``FLOW_*`` constants; ``flow_group`` the exit
    group of exit flows (-1 otherwise); ``flow_to_placement`` the destination
    placement of moves (-1 otherwise). ``arrival_events`` is ``(steps, F)``:
    flows taken by entrants within their arrival step (see the module notes),
    built on demand from the compact ``arrival_pairs``. ``entries`` is
    ``(steps, A, P)``: children entering care in each step. ``inflow`` is
    ``(steps, S)`` (a read-only view when it repeats); ``engine_inflow`` is
    what the engine is given, ``(S,)`` when every step's arrivals are the same.
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
    entries: np.ndarray
    steps: int
    dt: float
    selection: FlowSelection
    arrival_pairs: np.ndarray
    pair_of_step: np.ndarray
    engine_inflow: np.ndarray

    @property
    def arrival_events(self) -> np.ndarray:
        """Flows taken by entrants within their arrival step, ``(steps, F)``."""
        out = np.zeros((self.steps, self.src.size))
        out[:, self.selection.entry_flows] = self.arrival_pairs[self.pair_of_step]
        return out


def _stack(parameters: Sequence[CareParameters], name: str) -> np.ndarray:
    first = getattr(parameters[0], name)
    if all(getattr(p, name) is first for p in parameters):
        return np.broadcast_to(first, (len(parameters),) + first.shape)
    return np.stack([getattr(p, name) for p in parameters])


def _step_rows(arrays: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Rows of step-by-step arrays ``(R, steps, ...)``: a step equal to the one before it (in every
    array and draw) shares its row. Returns each row's first step and the row of each step."""
    steps = arrays[0].shape[1]
    new = np.zeros(steps, dtype=bool)
    new[0] = True
    for a in arrays:
        new[1:] |= np.any(a[:, 1:] != a[:, :-1], axis=tuple(i for i in range(a.ndim) if i != 1))
    return np.flatnonzero(new), np.cumsum(new) - 1


def care_values(structure: CareStructure, parameters: Sequence[CareParameters], steps: int,
                modifiers: Modifiers | None = None, *, same_rates: CareValues | None = None) -> CareValues:
    """The engine's values for one or more parameter sets of the structure's shape.

    Parameters
    ----------
    structure : CareStructure
        From :func:`care_structure` for these parameters' shape and step.
    parameters : sequence of CareParameters
        ``R`` parameter sets of the same shape (checked by the caller:
        :func:`carecast.care.run_batch` names the first that differs).
    steps : int
    modifiers : Modifiers, optional
        Step-by-step changes, each array ``(steps, ...)`` (the same for every
        draw) or ``(R, steps, ...)``.
    same_rates : CareValues, optional
        Values computed before for parameters whose ``exit_rates`` and
        ``move_rates`` are the very same arrays (``is``), with no step-by-step
        change of them here or there: their flow probabilities are reused
        (a scenario that changes only entries, run beside its baseline).
        Anything else is computed afresh.

    Returns
    -------
    CareValues

    Examples
    --------
    >>> p = CareParameters.empty(age_bands=(0,), placements=("foster", "home"))
    >>> p.stock[0, 0, 0] = 10.0
    >>> p.exit_rates[0, 0, 0, 0] = 0.5      # foster: returned home at 0.5 a year
    >>> v = care_values(care_structure(p, 1.0, post_exit=False), [p], 2)

    Foster: returned home ``1 - exp(-0.5)``; aged out (no exit, and the 1/18
    clock ticks) ``exp(-0.5) (1 - exp(-1/18))``; home: aged out ``1 - exp(-1/18)``:

    >>> v.engine_value(0).round(4).tolist()
    [0.3935, 0.0328, 0.054]
    """
    steps = _check_steps(steps)
    A, P, T, E = structure.shape
    R = len(parameters)
    mods = modifiers or Modifiers()
    exit_rates = _stack(parameters, "exit_rates")          # (R, A, P, T, E)
    move_rates = _stack(parameters, "move_rates")
    exit_factor = _leading(mods.exit_factor, R, (steps, A, P, T, E), "exit_factor")
    extra_moves = _leading(mods.extra_moves, R, (steps, A, P, T, P), "extra_moves")
    if exit_factor is None and extra_moves is None:
        ex_rows, mv_rows = exit_rates[:, None], move_rates[:, None]
        value_row_of_step = np.zeros(steps, dtype=np.int64)
    else:
        # runs of steps whose modifiers are equal share one row of values
        first, value_row_of_step = _step_rows([m.reshape(R, steps, -1) for m in (exit_factor, extra_moves)
                                               if m is not None])
        ex_rows = exit_rates[:, None] if exit_factor is None else exit_rates[:, None] * exit_factor[:, first]
        mv_rows = move_rates[:, None]
        if extra_moves is not None:
            mv_rows = (mv_rows + extra_moves[:, first]) * (1.0 - np.eye(P))[:, None, :]
        if np.any(ex_rows < 0) or np.any(mv_rows < 0) or not (
                np.all(np.isfinite(ex_rows)) and np.all(np.isfinite(mv_rows))):
            raise ValueError("modifiers make a hazard negative or non-finite")
    rates = tuple((p.exit_rates, p.move_rates) for p in parameters) \
        if exit_factor is None and extra_moves is None else ()
    if same_rates is not None and rates and same_rates.structure is structure and len(same_rates._rates) == R \
            and same_rates._half is not None \
            and all(a is c and b is d for (a, b), (c, d) in zip(rates, same_rates._rates)):
        # the very same hazard arrays and no step-by-step change: the same probabilities
        selection, value_rows, half = same_rates.selection, same_rates.value_rows, same_rates._half
    else:
        selection = structure.select(_possible_flows(structure, ex_rows, mv_rows))
        value_rows = flow_probabilities(structure, ex_rows, mv_rows, flows=selection.flows)      # (R, N, F)
        half = flow_probabilities(structure, ex_rows, mv_rows, half=True,
                                  flows=selection.flows[selection.entry_flows])   # (R, N, Fe)

    entries_rows, entries_row_of_step = _year_rows(_stack(parameters, "entries_per_year"), steps,
                                                   structure.space.dt)
    if mods.entries_factor is not None or mods.entries_shift is not None:
        entries = entries_rows[:, entries_row_of_step]
        if mods.entries_factor is not None:
            entries = entries * _leading(mods.entries_factor, R, (steps, A, P), "entries_factor")
        shift = _leading(mods.entries_shift, R, (steps, P, P), "entries_shift")
        if shift is not None:
            entries = np.einsum("rtap,rtpq->rtaq", entries, shift)
        if np.any(entries < 0) or not np.all(np.isfinite(entries)):
            raise ValueError("modifiers make entries negative or non-finite")
        # runs of steps whose entries are equal in every draw share one row (an intervention at full effect)
        first_step, entries_row_of_step = _step_rows([entries.reshape(R, steps, -1)])
        entries_rows = entries[:, first_step]
    # entrants live through half a step: they arrive already split by the
    # probabilities of their first state over dt / 2 (one split per distinct pair of rows)
    pair_code = entries_row_of_step * value_rows.shape[1] + value_row_of_step
    codes, pair_of_step = np.unique(pair_code, return_inverse=True)
    pair_entries = entries_rows[:, codes // value_rows.shape[1]].reshape(R, codes.size, A * P)
    pair_half = half[:, codes % value_rows.shape[1]]
    arrival_pairs = pair_entries[..., selection.entry_flow_slot] * pair_half
    inflow_pairs = np.zeros((R, codes.size, structure.space.size))
    inflow_pairs[..., structure.entry_states] = pair_entries
    inflow_pairs -= selection.sum("entry_out", arrival_pairs)
    inflow_pairs += selection.sum("entry_in", arrival_pairs)
    np.maximum(inflow_pairs, 0.0, out=inflow_pairs)   # rounding only: each state's split sums to its arrivals

    stock = _stack(parameters, "stock")
    x0 = np.zeros((R, structure.space.size))
    x0[:, : structure.space.in_care] = stock.reshape(R, -1)
    entries = np.broadcast_to(entries_rows[:, entries_row_of_step], (R, steps, A, P))
    return CareValues(structure=structure, selection=selection, x0=x0, value_rows=value_rows,
                      value_row_of_step=value_row_of_step, inflow_pairs=inflow_pairs,
                      arrival_pairs=arrival_pairs, pair_of_step=pair_of_step.reshape(steps),
                      entries=entries, steps=steps, _rates=rates, _half=half)


def engine_arrays(parameters: CareParameters, space: StateSpace, steps: int,
                  modifiers: Modifiers | None = None) -> EngineArrays:
    """Translate parameters into the flat arrays the engine runs (``kind="prob"``).

    Flows that are zero in every step are left out. With ``modifiers`` the
    flow probabilities and the entries vary by step. See the module notes for
    the per-step probabilities, ageing and entrants' half step.
    """
    steps = _check_steps(steps)
    structure = care_structure(parameters, space.dt, post_exit=space.post_exit)
    return care_values(structure, [parameters], steps, modifiers).arrays(0)
