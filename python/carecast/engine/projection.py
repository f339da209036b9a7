"""The cohort engine: deterministic projection of people between states.

A model has ``S`` states and ``F`` flows; flow ``f`` moves people from
``src[f]`` to ``dst[f]``.  States with no outgoing flows are absorbing: they
accumulate (exits such as "returned home" or "adopted").  Time runs in
``steps`` steps of ``dt`` years.  ``x[t]`` is the occupancy at the start of
step ``t``; ``x[0]`` is given.

One step, in this order:

1. ``moved[t, f] = x[t][src[f]] * p[f]``, taken from ``src[f]`` and added to
   ``dst[f]``;
2. if an ``advance`` map is given, everyone in state ``s`` moves to
   ``advance[s]`` (``-1`` = stays): exact ageing when one age unit is one
   step;
3. the inflow (expected arrivals) of step ``t`` is added.

With ``kind="rate"`` each value is a hazard rate per year and flows leaving
one state compete: with ``L`` the sum of the rates leaving ``s``,
``p[f] = value[f] / L * (1 - exp(-L * dt))``.  With ``kind="prob"`` each value
is a probability per step; those leaving one state must sum to at most 1
(sums above 1 by no more than 1e-12, which arise from rounding, are scaled
back to 1).

The projection conserves people: ``x[t+1].sum() == x[t].sum() +
inflow[t].sum()`` to rounding.  The work is done in C with the GIL released.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from carecast import _core

__all__ = ["Projection", "Simulation", "project", "project_batch", "simulate", "default_threads"]


@dataclass(frozen=True)
class Projection:
    """The result of :func:`project` or :func:`project_batch`.

    Attributes
    ----------
    occupancy : ndarray, shape (steps + 1, S) or (R, steps + 1, S)
        People in each state at the start of each step (row ``steps`` is the
        end of the horizon).
    moved : ndarray, shape (steps, F) or (R, steps, F), or None
        People moved by each flow in each step (``None`` for batches run
        with ``keep_moved=False``).
    inflow : ndarray, shape (steps, S) or (R, steps, S)
        Arrivals added in each step (they are in ``occupancy[t + 1]``).
    dt : float
        Step length in years.
    src, dst : ndarray of int64, shape (F,)
        The flows' source and destination states.
    """

    occupancy: np.ndarray
    moved: np.ndarray | None
    inflow: np.ndarray
    dt: float
    src: np.ndarray
    dst: np.ndarray

    @property
    def steps(self) -> int:
        """Number of steps projected."""
        return int(self.occupancy.shape[-2]) - 1

    @property
    def times(self) -> np.ndarray:
        """Time in years at the start of each step and at the end: ``(steps + 1,)``."""
        return np.arange(self.steps + 1, dtype=np.float64) * self.dt


def default_threads() -> int:
    """Threads used by batch runs when none are asked for: the usable CPUs."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _check_int(name: str, value, minimum: int) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    value = int(value)
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if value > sys.maxsize:
        raise ValueError(f"{name} = {value} is too large (at most {sys.maxsize})")
    return value


def _check_dt(dt) -> float:
    if isinstance(dt, (bool, np.bool_)) or not isinstance(dt, (int, float, np.integer, np.floating)):
        raise TypeError(f"dt must be a number of years, got {type(dt).__name__}")
    return float(dt)


def _check_kind(kind) -> str:
    if not isinstance(kind, str):
        raise TypeError(f"kind must be 'rate' or 'prob', got {type(kind).__name__}")
    return kind


def _index_array(name: str, values) -> np.ndarray:
    """Index arrays as int64; floats are refused rather than truncated."""
    arr = np.asarray(values)
    if arr.dtype.kind not in "iu":
        if arr.size == 0 and arr.dtype.kind == "f":
            return np.zeros(arr.shape, dtype=np.int64)
        raise TypeError(f"{name} must be integers (state indices), got dtype {arr.dtype}")
    return np.ascontiguousarray(arr, dtype=np.int64)


def _run(x0, src, dst, value, steps, dt, kind, inflow, advance, *, replicates=-1, threads=None,
         seed=None, value_per_replicate=False, inflow_per_replicate=False,
         keep_moved=True, first_replicate=0) -> Projection:
    """Checks the scalar arguments and calls the engine (which checks the arrays)."""
    steps = _check_int("steps", steps, 0)
    if replicates >= 0:
        threads = default_threads() if threads is None else _check_int("threads", threads, 1)
    else:
        threads = 1
    src, dst = _index_array("src", src), _index_array("dst", dst)
    occupancy, moved, arrivals = _core.project(
        x0, src, dst, value, steps, _check_dt(dt), _check_kind(kind), inflow,
        None if advance is None else _index_array("advance", advance),
        replicates, threads, seed, value_per_replicate, inflow_per_replicate, bool(keep_moved),
        first_replicate,
    )
    return Projection(occupancy, moved, arrivals, float(dt), src, dst)


def project(
    x0: ArrayLike,
    src: ArrayLike,
    dst: ArrayLike,
    value: ArrayLike,
    steps: int,
    *,
    dt: float = 1.0,
    kind: str = "rate",
    inflow: ArrayLike | None = None,
    advance: ArrayLike | None = None,
) -> Projection:
    """Project occupancy deterministically.

    Parameters
    ----------
    x0 : array_like, shape (S,)
        People in each state at the start.
    src, dst : array_like of int, shape (F,)
        Source and destination state of each flow.
    value : array_like, shape (F,) or (steps, F)
        Hazard rate per year (``kind="rate"``) or probability per step
        (``kind="prob"``) of each flow, constant or per step.
    steps : int
        Number of steps (0 allowed).
    dt : float, default 1.0
        Step length in years (1/12 monthly, 1/52 weekly, 1/365.25 daily).
    kind : {"rate", "prob"}
    inflow : array_like, shape (S,) or (steps, S), optional
        Expected arrivals in each state in each step, added at the end of
        the step.
    advance : array_like of int, shape (S,), optional
        After the flows, everyone in ``s`` moves to ``advance[s]``; ``-1``
        means stays.

    Returns
    -------
    Projection
        ``.occupancy`` (steps + 1, S), ``.moved`` (steps, F), ``.inflow``
        (steps, S), all float64.

    Raises
    ------
    ValueError, TypeError
        Bad shapes, dtypes, indices out of range, negative or non-finite
        values, probabilities above 1; the message names the argument and
        the offending index.  Inputs are never modified.

    Examples
    --------
    Two children in care, each leaving at a rate of 0.5 a year:

    >>> import carecast
    >>> r = carecast.project([2.0, 0.0], [0], [1], [0.5], 2)
    >>> r.occupancy[:, 0].round(4)
    array([2.    , 1.2131, 0.7358])
    """
    return _run(x0, src, dst, value, steps, dt, kind, inflow, advance)


def project_batch(
    x0: ArrayLike,
    src: ArrayLike,
    dst: ArrayLike,
    value: ArrayLike,
    steps: int,
    *,
    replicates: int,
    dt: float = 1.0,
    kind: str = "rate",
    inflow: ArrayLike | None = None,
    advance: ArrayLike | None = None,
    threads: int | None = None,
    keep_moved: bool = True,
) -> Projection:
    """Run many deterministic projections at once (probabilistic sensitivity analysis).

    Each replicate has its own parameters; the replicates run on ``threads``
    threads in C with the GIL released.  Results are bit-identical whatever
    the number of threads.

    Parameters
    ----------
    x0 : array_like, shape (S,) or (R, S)
        Shared or per-replicate starting occupancy.
    src, dst, steps, dt, kind, advance
        As in :func:`project` (the structure is shared).
    value : array_like, shape (R, F) or (R, steps, F)
        Flow values of each replicate, constant or per step.
    replicates : int
        ``R``, the number of replicates.
    inflow : array_like, shape (S,), (R, S) or (R, steps, S), optional
        Shared, per-replicate, or per-replicate-and-step arrivals.  (To share
        a per-step inflow, pass ``np.broadcast_to(inflow, (R, steps, S))``.)
    threads : int, optional
        Worker threads; default: the usable CPUs.
    keep_moved : bool, default True
        ``False`` does not store the people moved by each flow (``.moved``
        is then ``None``): for large analyses where only occupancy is
        needed, it saves ``R * steps * F`` doubles.

    Returns
    -------
    Projection
        Arrays with a leading replicate axis: ``.occupancy`` (R, steps + 1, S),
        ``.moved`` (R, steps, F), ``.inflow`` (R, steps, S).

    Examples
    --------
    >>> import numpy as np, carecast
    >>> rates = np.array([[0.1], [0.2], [0.3]])
    >>> r = carecast.project_batch([100.0, 0.0], [0], [1], rates, 1, replicates=3)
    >>> r.occupancy[:, 1, 0].round(2)
    array([90.48, 81.87, 74.08])
    """
    return _run(x0, src, dst, value, steps, dt, kind, inflow, advance,
                replicates=_check_int("replicates", replicates, 0), threads=threads,
                value_per_replicate=True,
                inflow_per_replicate=inflow is not None and np.ndim(inflow) >= 2,
                keep_moved=keep_moved)


@dataclass(frozen=True)
class Simulation(Projection):
    """The result of :func:`simulate`: a :class:`Projection` with a leading
    replicate axis, whole numbers of people, and the seed that reproduces it."""

    seed: int = 0


def _per_replicate(name: str, arr, replicates: int, steps: int, width_name: str) -> bool:
    """Whether a 2-D parameter carries the replicate axis: (R, width) or (steps, width)."""
    ndim = np.ndim(arr)
    if ndim != 2:
        return ndim == 3
    rows = np.shape(arr)[0]
    if rows == replicates and rows == steps:
        raise ValueError(
            f"{name} has shape {np.shape(arr)} and replicates == steps == {rows}, so it is "
            f"ambiguous: pass (replicates, steps, {width_name}) (np.broadcast_to helps) or "
            f"a 1-D ({width_name},) array"
        )
    return rows == replicates


def simulate(
    x0: ArrayLike,
    src: ArrayLike,
    dst: ArrayLike,
    value: ArrayLike,
    steps: int,
    *,
    replicates: int,
    seed: int | None = None,
    dt: float = 1.0,
    kind: str = "rate",
    inflow: ArrayLike | None = None,
    advance: ArrayLike | None = None,
    threads: int | None = None,
    keep_moved: bool = True,
    first_replicate: int = 0,
) -> Simulation:
    """Stochastic simulation with whole people.

    The model is that of :func:`project`; in each step the leavers of state
    ``s`` are ``Binomial(x[s], sum of its flow probabilities)``, split over
    its flows by a multinomial draw; then the ``advance`` map; then arrivals
    ``Poisson(inflow)``.  The mean over replicates converges on
    :func:`project`'s deterministic result.

    Replicate ``r`` draws only from stream ``r`` of ``seed`` (Philox4x64-10,
    a counter-based generator), so the same seed gives the same bits for
    replicate ``r`` whatever the number of threads or replicates.

    Parameters
    ----------
    x0 : array_like, shape (S,) or (replicates, S)
        Whole numbers of people at the start.
    src, dst, steps, dt, kind, advance
        As in :func:`project`.
    value : array_like, shape (F,), (steps, F), (replicates, F) or (replicates, steps, F)
        Flow values, shared or per replicate (a probabilistic sensitivity
        analysis with stochastic noise in one call).
    inflow : array_like, shape (S,), (steps, S), (replicates, S) or (replicates, steps, S), optional
        Expected arrivals per step.
    replicates : int
    seed : int in [0, 2**64), optional
        Default: a fresh seed from the operating system, kept in the result's
        ``.seed`` so the run can be repeated.
    threads : int, optional
        Default: the usable CPUs.
    keep_moved : bool, default True
        As in :func:`project_batch`; the draws, and so the occupancy, are
        the same either way.
    first_replicate : int, default 0
        Number the replicates from here: replicate ``r`` of this call is
        replicate ``first_replicate + r`` of the run, with that stream.  A run
        split into ranges (see :mod:`carecast.engine.cluster`) gives the same bits
        as one call.

    Returns
    -------
    Simulation
        ``.occupancy`` (replicates, steps + 1, S), ``.moved`` (replicates,
        steps, F), ``.inflow`` (replicates, steps, S) hold the arrivals
        actually drawn; ``.seed``.

    Examples
    --------
    >>> import carecast
    >>> sim = carecast.simulate([1000, 0], [0], [1], [0.5], 1, replicates=4000, seed=7)
    >>> mean = sim.occupancy[:, 1, 0].mean()   # expected 1000 * exp(-0.5) = 606.53
    >>> bool(abs(mean - 606.53) < 1.5)          # standard error 0.24
    True
    >>> bool((sim.occupancy.sum(axis=2) == 1000).all())   # nobody lost
    True
    """
    replicates = _check_int("replicates", replicates, 0)
    first_replicate = _check_int("first_replicate", first_replicate, 0)
    if seed is None:
        seed = int(np.random.SeedSequence().entropy) % (1 << 64)
    elif isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an integer, got {type(seed).__name__}")
    seed = int(seed)
    if not 0 <= seed < (1 << 64):
        raise ValueError(f"seed must be in [0, 2**64), got {seed}")
    steps = _check_int("steps", steps, 0)
    result = _run(x0, src, dst, value, steps, dt, kind, inflow, advance,
                  replicates=replicates, threads=threads, seed=seed,
                  value_per_replicate=_per_replicate("value", value, replicates, steps, "F"),
                  inflow_per_replicate=inflow is not None
                  and _per_replicate("inflow", inflow, replicates, steps, "S"),
                  keep_moved=keep_moved, first_replicate=first_replicate)
    return Simulation(result.occupancy, result.moved, result.inflow, result.dt, result.src,
                      result.dst, seed)
