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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import overload

import numpy as np
from numpy.typing import ArrayLike

from carecast import _core
from carecast.engine._checks import (
    MAX_THREADS,
    check_bool,
    check_count,
    check_memory,
    check_threads,
    unmask,
)

__all__ = ["MAX_THREADS", "BatchOutputs", "Projection", "Simulation", "project", "project_batch",
           "simulate", "default_threads"]

@dataclass(frozen=True, eq=False)
class Reduction:
    """Reduced outputs as compressed rows, built once and passed to many calls.

    Output ``k`` is ``sum_p weight[p] * x[index[p]]`` over ``p`` in
    ``ptr[k] .. ptr[k + 1] - 1``, in that order (the same sums, bit for bit,
    as the tuple form ``[(index[ptr[k]:ptr[k + 1]], weight[ptr[k]:ptr[k + 1]]), ...]``).
    A caller that runs many batches with the same outputs (a PSA in chunks)
    builds this once instead of having a list of tuples read on every call.
    The arrays are copied and made read-only; the engine checks the indices
    against the model and the weights (finite) on every call.

    Examples
    --------
    People in states 0 and 2, and in state 1 twice over:

    >>> r = Reduction.from_keys([0, 1, 0], 2, weights=[1.0, 2.0, 1.0])
    >>> r.n_outputs, r.ptr.tolist(), r.index.tolist(), r.weight.tolist()
    (2, [0, 2, 3], [0, 2, 1], [1.0, 1.0, 2.0])
    """

    ptr: np.ndarray
    index: np.ndarray
    weight: np.ndarray

    def __post_init__(self) -> None:
        ptr = np.array(self.ptr, dtype=np.int64)
        index = np.array(self.index, dtype=np.int64)
        weight = np.array(self.weight, dtype=np.float64)
        if ptr.ndim != 1 or ptr.size < 1 or ptr[0] != 0 or np.any(np.diff(ptr) < 0) \
                or index.ndim != 1 or weight.shape != index.shape or ptr[-1] != index.size:
            raise ValueError("Reduction needs ptr (K + 1,) rising from 0 to len(index), and index and weight "
                             "of the same length")
        for name, arr in (("ptr", ptr), ("index", index), ("weight", weight)):
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)

    @property
    def n_outputs(self) -> int:
        return int(self.ptr.size) - 1

    @classmethod
    def from_keys(cls, keys: ArrayLike, n_outputs: int, weights: ArrayLike | None = None) -> Reduction:
        """Element ``e`` goes into output ``keys[e]`` (``-1``: none) with ``weights[e]`` (default 1);
        each output takes its elements in rising order. ``keys`` of shape ``(m, E)`` gives ``m``
        sets of keys over the same ``E`` elements, so that an element may go into ``m`` outputs."""
        k2 = np.atleast_2d(np.asarray(keys, dtype=np.int64))
        n = int(n_outputs)
        if k2.size and (k2.min() < -1 or k2.max() >= n):
            raise ValueError(f"keys must be -1 or in 0..{n - 1}")
        w2 = np.ones(k2.shape) if weights is None else np.broadcast_to(np.asarray(weights, dtype=np.float64),
                                                                         k2.shape)
        k, w = k2.ravel(), w2.ravel()
        elements = np.tile(np.arange(k2.shape[1]), k2.shape[0])
        take = np.flatnonzero(k >= 0)
        order = take[np.lexsort((elements[take], k[take]))]         # by output, then element
        ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(k[take], minlength=n), out=ptr[1:])
        return cls(ptr, elements[order], w[order])


#: Reduced outputs: a dense ``(K, W)`` weight matrix (an ndarray or a list of
#: lists), a sequence of ``K`` tuples ``(indices, weights)``, or a
#: :class:`Reduction` built once for many calls; see :func:`project_batch`.
OutputsLike = ArrayLike | Sequence[tuple] | Reduction


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


@dataclass(frozen=True)
class BatchOutputs:
    """The result of :func:`project_batch` or :func:`simulate` run with
    ``outputs=`` or ``flow_outputs=``: weighted sums computed in C as the
    replicates run, without the full occupancy.

    Attributes
    ----------
    outputs : ndarray, shape (R, steps + 1, K), or None
        ``outputs[r, t, k] = sum_s W[k, s] * x[r][t][s]`` for the ``K``
        outputs over states (``None`` if only ``flow_outputs`` was asked).
    flow_outputs : ndarray, shape (R, steps, L), or None
        ``flow_outputs[r, t, l] = sum_f V[l, f] * moved[r][t][f]``.
    dt : float
        Step length in years.
    src, dst : ndarray of int64, shape (F,)
    seed : int or None
        The seed of a :func:`simulate` run; ``None`` for :func:`project_batch`.
    occupancy, moved, inflow : None
        Never stored in this mode (present so that code reading
        ``.occupancy`` finds ``None`` rather than failing obscurely).
    """

    outputs: np.ndarray | None
    flow_outputs: np.ndarray | None
    dt: float
    src: np.ndarray
    dst: np.ndarray
    seed: int | None = None
    occupancy: None = None
    moved: None = None
    inflow: None = None

    @property
    def steps(self) -> int:
        """Number of steps projected."""
        if self.outputs is not None:
            return int(self.outputs.shape[1]) - 1
        assert self.flow_outputs is not None
        return int(self.flow_outputs.shape[1])

    @property
    def times(self) -> np.ndarray:
        """Time in years at the start of each step and at the end: ``(steps + 1,)``."""
        return np.arange(self.steps + 1, dtype=np.float64) * self.dt


def _reduction(name: str, spec, width: int, width_name: str
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``outputs=`` / ``flow_outputs=`` as CSR arrays ``(ptr, index, weight)``.

    Two forms are accepted (decision: no scipy.sparse, which is not a
    dependency):

    * dense, an ndarray or a list of lists of shape ``(K, W)``: output ``k``
      takes its terms in element order, skipping zero weights (a zero term
      adds exactly nothing to a finite sum, so the bits are those of the
      dense loop ``acc = 0; for s: acc += W[k, s] * x[s]``);
    * a sequence of ``K`` tuples ``(indices, weights)``: the terms in the
      order given, ``weights`` an array of the same length or one number for
      all (``([3, 4, 5], 1.0)``: the people in states 3 to 5).  Indices may
      repeat.  A list whose items are all tuples is read this way; anything
      else as dense.

    The binding checks indices (range) and weights (finite) and names the
    entry at fault. A :class:`Reduction` is taken as it is.
    """
    if isinstance(spec, Reduction):
        if spec.index.size and int(spec.index.max()) >= width:
            raise ValueError(f"{name} refers to {width_name} index {int(spec.index.max())}; there are {width}")
        return spec.ptr, spec.index, spec.weight
    if isinstance(spec, (list, tuple)) and len(spec) > 0 and all(
            isinstance(item, tuple) for item in spec):
        ptr = [0]
        indices: list[np.ndarray] = []
        weights: list[np.ndarray] = []
        for k, item in enumerate(spec):
            if len(item) != 2:
                raise TypeError(f"{name}[{k}] must be a pair (indices, weights), got a tuple of "
                                f"{len(item)}")
            idx = unmask(f"{name}[{k}] indices", item[0])
            try:
                idx = np.atleast_1d(np.asarray(idx))
            except ValueError:
                raise TypeError(f"{name}[{k}] indices must be a 1-D array of {width_name} "
                                "indices") from None
            if idx.ndim != 1 or (idx.size and idx.dtype.kind not in "iu"):
                raise TypeError(f"{name}[{k}] indices must be a 1-D array of integer "
                                f"{width_name} indices, got dtype {idx.dtype} and shape "
                                f"{idx.shape}")
            w = unmask(f"{name}[{k}] weights", item[1])
            if isinstance(w, (bool, np.bool_)):
                raise TypeError(f"{name}[{k}] weights must be real numbers, got a boolean")
            try:
                w = np.asarray(w)
            except ValueError:
                raise TypeError(f"{name}[{k}] weights must be real numbers") from None
            if w.dtype.kind not in "iuf":
                raise TypeError(f"{name}[{k}] weights must be real numbers, got dtype {w.dtype}")
            if w.ndim == 0:
                w = np.full(idx.shape, float(w))
            if w.shape != idx.shape:
                raise ValueError(f"{name}[{k}]: {idx.size} indices but weights of shape "
                                 f"{w.shape}")
            indices.append(idx.astype(np.int64))
            weights.append(w.astype(np.float64))
            ptr.append(ptr[-1] + idx.size)
        return (np.asarray(ptr, dtype=np.int64),
                np.concatenate(indices) if indices else np.zeros(0, np.int64),
                np.concatenate(weights) if weights else np.zeros(0))
    spec = unmask(name, spec)
    try:
        dense = np.asarray(spec)
    except ValueError:
        raise TypeError(f"{name} must be a (K, {width_name}) array of weights or a list of "
                        "(indices, weights) tuples") from None
    if dense.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be real weights, got dtype {dense.dtype}")
    if dense.ndim != 2 or dense.shape[1] != width:
        raise ValueError(f"{name} has shape {dense.shape}; expected (K, {width_name}) with "
                         f"{width_name} = {width}, or a list of (indices, weights) tuples")
    dense = dense.astype(np.float64)
    bad = np.argwhere(~np.isfinite(dense))
    if bad.size:
        k, e = (int(i) for i in bad[0])
        raise ValueError(f"{name}[{k}, {e}] = {float(dense[k, e])!r} is not finite")
    rows, cols = np.nonzero(dense)  # row-major: each row's terms in element order
    ptr_arr = np.zeros(dense.shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=dense.shape[0]), out=ptr_arr[1:])
    return ptr_arr, cols.astype(np.int64), dense[rows, cols]


def _check_reduced_fit(replicates: int, steps: int, state_red, flow_red) -> None:
    """Refuse reduced outputs larger than this machine's memory."""
    parts = []
    if state_red is not None:
        parts.append(("outputs (replicates x (steps + 1) x K)",
                      8.0 * replicates * (steps + 1) * (len(state_red[0]) - 1)))
    if flow_red is not None:
        parts.append(("flow_outputs (replicates x steps x L)",
                      8.0 * replicates * steps * (len(flow_red[0]) - 1)))
    check_memory(parts, f"use fewer replicates, steps or outputs (replicates = {replicates}, "
                        f"steps = {steps})")


def default_threads() -> int:
    """Threads used by batch runs when none are asked for: the usable CPUs."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _check_int(name: str, value, minimum: int) -> int:
    return check_count(name, value, minimum)


def _check_dt(dt) -> float:
    if isinstance(dt, (bool, np.bool_)) or not isinstance(dt, (int, float, np.integer, np.floating)):
        raise TypeError(f"dt must be a number of years, got {type(dt).__name__}")
    return float(dt)


def _check_kind(kind) -> str:
    if not isinstance(kind, str):
        raise TypeError(f"kind must be 'rate' or 'prob', got {type(kind).__name__}")
    return kind


def _index_array(name: str, values) -> np.ndarray:
    """Index arrays as a new int64 array (never the caller's: results keep
    ``src`` and ``dst``); floats are refused rather than truncated."""
    values = unmask(name, values)
    try:
        arr = np.asarray(values)
    except ValueError:
        raise TypeError(f"{name} must be an array of integers (state indices)") from None
    if arr.dtype.kind not in "iu":
        if arr.size == 0 and arr.dtype.kind == "f":
            return np.zeros(arr.shape, dtype=np.int64)
        raise TypeError(f"{name} must be integers (state indices), got dtype {arr.dtype}")
    return np.array(arr, dtype=np.int64, order="C", copy=True)


def _ndim(name: str, arr) -> int:
    try:
        return int(np.ndim(arr))
    except ValueError:  # ragged nested lists
        raise TypeError(f"{name} must be an array of numbers (rows of equal length)") from None


def _shape(name: str, arr) -> tuple:
    try:
        return tuple(np.shape(arr))
    except ValueError:
        raise TypeError(f"{name} must be an array of numbers (rows of equal length)") from None


def _replicate_axis(name: str, arr, replicates: int, steps: int, width: int,
                    width_name: str, given) -> bool:
    """Whether ``arr`` (value or inflow) carries a leading replicate axis.

    The accepted shapes are ``(W,)`` shared and constant, ``(steps, W)``
    shared and per step, ``(R, W)`` per replicate and constant and
    ``(R, steps, W)``.  A 2-D array is read by its number of rows; when
    ``replicates == steps`` that cannot tell, so it is refused unless the
    caller says which (``given``, the ``<name>_per_replicate`` argument).
    The same rule holds in :func:`project_batch`, :func:`simulate` and
    :mod:`carecast.engine.cluster`.
    """
    flag = f"{name}_per_replicate"
    if given is not None:
        given = check_bool(flag, given)
    ndim = _ndim(name, arr)
    shape = _shape(name, arr)
    expected = (f"expected ({width_name},), (steps, {width_name}), (replicates, {width_name}) or "
                f"(replicates, steps, {width_name}) with replicates = {replicates}, "
                f"steps = {steps}, {width_name} = {width}")
    if ndim == 2:
        rows = shape[0]
        if given is not None:
            return given
        if rows == replicates and rows == steps:
            raise ValueError(
                f"{name} has shape {shape} and replicates == steps == {rows}, so it is "
                f"ambiguous: pass {flag}=True for ({width_name} per replicate) or {flag}=False "
                f"(per step, shared by all replicates)"
            )
        if rows == steps:
            return False
        if rows == replicates:
            return True
        raise ValueError(f"{name} has shape {shape}; {expected}")
    if ndim == 3:
        if given is False:
            raise ValueError(f"{name} has shape {shape}, which has a replicate axis, but {flag}=False")
        return True
    if given:
        raise ValueError(f"{name} has shape {shape}, which has no replicate axis, but {flag}=True; "
                         f"{expected}")
    return False


def _check_outputs_fit(x0, src, steps: int, replicates: int, keep_moved: bool) -> None:
    """Refuse outputs larger than this machine's memory before any is allocated."""
    try:
        n_states = _shape("x0", x0)[-1] if _ndim("x0", x0) else 0
        n_flows = len(src)
    except (TypeError, IndexError):
        return  # the binding reports malformed arguments
    per_run = replicates if replicates >= 0 else 1
    prefix = "replicates x " if replicates >= 0 else ""
    parts = [(f"occupancy ({prefix}(steps + 1) x S)", 8.0 * per_run * (steps + 1) * n_states),
             (f"moved ({prefix}steps x F)", 8.0 * per_run * steps * n_flows if keep_moved else 0.0),
             (f"inflow ({prefix}steps x S)", 8.0 * per_run * steps * n_states)]
    remedy = ("use keep_moved=False, fewer replicates or fewer steps" if replicates >= 0
              else "project fewer steps")
    detail = (f" (steps = {steps}, S = {n_states}, F = {n_flows}"
              + (f", replicates = {replicates})" if replicates >= 0 else ")"))
    check_memory(parts, remedy + detail)


def _run(x0, src, dst, value, steps, dt, kind, inflow, advance, *, replicates=-1, threads=None,
         seed=None, value_per_replicate=False, inflow_per_replicate=False,
         keep_moved=True, first_replicate=0) -> Projection:
    """Checks the scalar arguments and calls the engine (which checks the arrays)."""
    steps = _check_int("steps", steps, 0)
    dt = _check_dt(dt)
    kind = _check_kind(kind)
    keep_moved = check_bool("keep_moved", keep_moved)
    src, dst = _index_array("src", src), _index_array("dst", dst)
    advance = None if advance is None else _index_array("advance", advance)
    _check_outputs_fit(x0, src, steps, replicates, keep_moved)
    moved: np.ndarray | None
    if replicates < 0:
        occupancy, moved, arrivals = _core.project(x0, src, dst, value, steps, dt, kind, inflow,
                                                   advance)
    else:
        threads = default_threads() if threads is None else threads
        threads = check_threads(threads)
        batch = dict(inflow=inflow, advance=advance, threads=threads,
                     value_per_replicate=value_per_replicate,
                     inflow_per_replicate=inflow_per_replicate, keep_moved=keep_moved)
        if seed is None:
            occupancy, moved, arrivals = _core.project_batch(
                x0, src, dst, value, steps, dt, kind, replicates, **batch)
        else:
            occupancy, moved, arrivals = _core.simulate(
                x0, src, dst, value, steps, dt, kind, replicates, seed,
                first_replicate=first_replicate, **batch)
    return Projection(occupancy, moved, arrivals, dt, src, dst)


def _run_reduced(x0, src, dst, value, steps, dt, kind, inflow, advance, *, replicates, threads,
                 seed, value_per_replicate, inflow_per_replicate, keep_moved=True,
                 first_replicate=0, outputs=None, flow_outputs=None) -> BatchOutputs:
    """As :func:`_run`, with reduced outputs instead of the full ones."""
    check_bool("keep_moved", keep_moved)  # checked, though nothing full is stored
    steps = _check_int("steps", steps, 0)
    dt = _check_dt(dt)
    kind = _check_kind(kind)
    src, dst = _index_array("src", src), _index_array("dst", dst)
    advance = None if advance is None else _index_array("advance", advance)
    n_states = _shape("x0", x0)[-1] if _ndim("x0", x0) else 0
    state_red = None if outputs is None else _reduction("outputs", outputs, n_states, "S")
    flow_red = (None if flow_outputs is None
                else _reduction("flow_outputs", flow_outputs, len(src), "F"))
    _check_reduced_fit(replicates, steps, state_red, flow_red)
    threads = check_threads(default_threads() if threads is None else threads)
    batch = dict(inflow=inflow, advance=advance, threads=threads,
                 value_per_replicate=value_per_replicate,
                 inflow_per_replicate=inflow_per_replicate, outputs=state_red,
                 flow_outputs=flow_red)
    if seed is None:
        reduced, flow_reduced = _core.project_batch(
            x0, src, dst, value, steps, dt, kind, replicates, **batch)
    else:
        reduced, flow_reduced = _core.simulate(
            x0, src, dst, value, steps, dt, kind, replicates, seed,
            first_replicate=first_replicate, **batch)
    return BatchOutputs(reduced, flow_reduced, dt, src, dst, seed)


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
        Bad shapes, dtypes (booleans included), indices out of range,
        negative or non-finite values, probabilities above 1, masked arrays
        with masked entries, and a total of people (``x0`` plus all inflow)
        above 2**1019, beyond which the sums could overflow; the message
        names the argument and the offending index.  Inputs are never
        modified, and the result never shares memory with them.
    MemoryError
        The outputs would not fit in this machine's memory (checked before
        anything is allocated).

    Notes
    -----
    ``kind="rate"`` is the default (the engine contract).  A probability
    per step passed as a rate is not an error the engine can detect: 0.7 is
    a valid hazard (leaving probability ``1 - exp(-0.7) = 0.503`` a year)
    as well as a valid probability, and no rule on the numbers tells which
    was meant, so there is no warning; published cohort models usually give
    per-cycle probabilities, so pass ``kind="prob"`` for those.

    Examples
    --------
    Two children in care, each leaving at a rate of 0.5 a year:

    >>> import carecast
    >>> r = carecast.project([2.0, 0.0], [0], [1], [0.5], 2)
    >>> r.occupancy[:, 0].round(4)
    array([2.    , 1.2131, 0.7358])
    """
    return _run(x0, src, dst, value, steps, dt, kind, inflow, advance)


def _axes(x0, src, value, inflow, replicates: int, steps: int, value_per_replicate,
          inflow_per_replicate) -> tuple[bool, bool]:
    """The replicate axes of value and inflow (see :func:`_replicate_axis`)."""
    n_flows = _shape("src", src)[0] if _ndim("src", src) == 1 else -1
    n_states = _shape("x0", x0)[-1] if _ndim("x0", x0) else -1
    value_rows = _replicate_axis("value", value, replicates, steps, n_flows, "F",
                                 value_per_replicate)
    if inflow is None and inflow_per_replicate is not None:
        check_bool("inflow_per_replicate", inflow_per_replicate)
    inflow_rows = inflow is not None and _replicate_axis(
        "inflow", inflow, replicates, steps, n_states, "S", inflow_per_replicate)
    return value_rows, inflow_rows


@overload
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
    value_per_replicate: bool | None = None,
    inflow_per_replicate: bool | None = None,
    outputs: None = None,
    flow_outputs: None = None,
) -> Projection: ...


@overload
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
    value_per_replicate: bool | None = None,
    inflow_per_replicate: bool | None = None,
    outputs: OutputsLike,
    flow_outputs: OutputsLike | None = None,
) -> BatchOutputs: ...


@overload
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
    value_per_replicate: bool | None = None,
    inflow_per_replicate: bool | None = None,
    outputs: None = None,
    flow_outputs: OutputsLike,
) -> BatchOutputs: ...


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
    value_per_replicate: bool | None = None,
    inflow_per_replicate: bool | None = None,
    outputs: OutputsLike | None = None,
    flow_outputs: OutputsLike | None = None,
) -> Projection | BatchOutputs:
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
    value : array_like, shape (R, F) or (R, steps, F); or (F,) or (steps, F) shared
        Flow values of each replicate, constant or per step.
    replicates : int
        ``R``, the number of replicates.
    inflow : array_like, shape (S,), (steps, S), (R, S) or (R, steps, S), optional
        Shared or per-replicate arrivals, constant or per step.
    threads : int, optional
        Worker threads; default: the usable CPUs.  More than
        :data:`MAX_THREADS` (256) are capped.
    keep_moved : bool, default True
        ``False`` does not store the people moved by each flow (``.moved``
        is then ``None``): for large analyses where only occupancy is
        needed, it saves ``R * steps * F`` doubles.
    outputs : (K, S) array_like, list of (indices, weights) tuples, or Reduction, optional
        Reduced outputs instead of the full occupancy: ``K`` weighted sums
        over states, ``outputs[r, t, k] = sum_s W[k, s] * x[r][t][s]`` for
        ``t = 0 .. steps``, computed in C as each replicate runs, so memory
        is ``R * (steps + 1) * K`` doubles instead of ``R * (steps + 1) * S``
        (plus ``R * steps * F`` for moved).  Dense ``W``: each output's
        terms are summed in state order; tuples ``(indices, weights)``: in
        the order given (``weights`` may be one number for all, e.g.
        ``([3, 4, 5], 1.0)`` counts the people in states 3 to 5).  Each sum
        starts at 0 and adds ``weight * x`` term by term, so it equals that
        loop over the full occupancy bit for bit (``W @ occupancy`` by BLAS
        sums in another order and agrees to rounding).  A :class:`Reduction`
        gives the same sums from compressed rows built once (for many calls).
        The result is then a :class:`BatchOutputs` whose ``.occupancy`` is ``None``.
    flow_outputs : (L, F) array_like, list of (indices, weights) tuples, or Reduction, optional
        The same over the people moved by each flow in each step (events by
        kind): ``flow_outputs[r, t, l]`` for ``t = 0 .. steps - 1``.  Where
        every output takes its flows in rising order with at most four
        outputs a flow, the engine adds each flow's people to its outputs as
        it applies the flow (the same order, so the same bits) instead of
        keeping a block's moved and summing it afterwards.
    value_per_replicate, inflow_per_replicate : bool, optional
        Whether ``value`` / ``inflow`` carry a leading replicate axis.  By
        default it is read from the shape: 1-D is shared, 3-D is per
        replicate and step, and a 2-D array is ``(replicates, W)`` or
        ``(steps, W)`` by its number of rows.  When ``replicates == steps``
        a 2-D array is ambiguous and refused unless this says which.

    Returns
    -------
    Projection
        Arrays with a leading replicate axis: ``.occupancy`` (R, steps + 1, S),
        ``.moved`` (R, steps, F), ``.inflow`` (R, steps, S).  When every
        replicate shares the inflow, ``.inflow`` is a read-only view of one
        copy of it (stored once, not R times); ``.inflow.copy()`` gives a
        writeable array.

    BatchOutputs
        With ``outputs`` or ``flow_outputs``: ``.outputs`` (R, steps + 1,
        K) and ``.flow_outputs`` (R, steps, L); no full occupancy, moved or
        inflow is stored (``keep_moved`` is then irrelevant).

    Raises
    ------
    MemoryError
        The outputs would not fit in this machine's memory (checked before
        anything is allocated; the message gives each output's size).
    ValueError, TypeError
        As :func:`project`; and for ``outputs`` / ``flow_outputs`` a wrong
        shape, an index out of range or a weight that is not finite (naming
        the entry), or weights so large that weights times people could
        overflow.

    Examples
    --------
    >>> import numpy as np, carecast
    >>> rates = np.array([[0.1], [0.2], [0.3]])
    >>> r = carecast.project_batch([100.0, 0.0], [0], [1], rates, 1, replicates=3)
    >>> r.occupancy[:, 1, 0].round(2)
    array([90.48, 81.87, 74.08])

    Only the total in care (states 0 and 1 of three) for each replicate:

    >>> r = carecast.project_batch([100.0, 0.0, 0.0], [0, 1], [1, 2], [[0.1, 0.5], [0.2, 0.5]],
    ...                            1, replicates=2, outputs=[([0, 1], 1.0)])
    >>> r.occupancy is None, r.outputs.shape
    (True, (2, 2, 1))
    """
    replicates = _check_int("replicates", replicates, 0)
    steps = _check_int("steps", steps, 0)
    value_rows, inflow_rows = _axes(x0, src, value, inflow, replicates, steps,
                                    value_per_replicate, inflow_per_replicate)
    if outputs is not None or flow_outputs is not None:
        return _run_reduced(x0, src, dst, value, steps, dt, kind, inflow, advance,
                            replicates=replicates, threads=threads, seed=None,
                            value_per_replicate=value_rows, inflow_per_replicate=inflow_rows,
                            keep_moved=keep_moved, outputs=outputs, flow_outputs=flow_outputs)
    return _run(x0, src, dst, value, steps, dt, kind, inflow, advance,
                replicates=replicates, threads=threads, value_per_replicate=value_rows,
                inflow_per_replicate=inflow_rows, keep_moved=keep_moved)


@dataclass(frozen=True)
class Simulation(Projection):
    """The result of :func:`simulate`: a :class:`Projection` with a leading
    replicate axis, whole numbers of people, and the seed that reproduces it."""

    seed: int = 0


@overload
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
    value_per_replicate: bool | None = None,
    inflow_per_replicate: bool | None = None,
    outputs: None = None,
    flow_outputs: None = None,
) -> Simulation: ...


@overload
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
    value_per_replicate: bool | None = None,
    inflow_per_replicate: bool | None = None,
    outputs: OutputsLike,
    flow_outputs: OutputsLike | None = None,
) -> BatchOutputs: ...


@overload
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
    value_per_replicate: bool | None = None,
    inflow_per_replicate: bool | None = None,
    outputs: None = None,
    flow_outputs: OutputsLike,
) -> BatchOutputs: ...


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
    value_per_replicate: bool | None = None,
    inflow_per_replicate: bool | None = None,
    outputs: OutputsLike | None = None,
    flow_outputs: OutputsLike | None = None,
) -> Simulation | BatchOutputs:
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
        Whole numbers of people at the start.  A replicate's people (x0 plus
        the expected inflow of every step) may not exceed 2**50, so that
        counts stay exact whole numbers.
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
        Default: the usable CPUs; more than :data:`MAX_THREADS` (256) are capped.
    keep_moved : bool, default True
        As in :func:`project_batch`; the draws, and so the occupancy, are
        the same either way.
    outputs, flow_outputs : optional
        Reduced outputs as in :func:`project_batch`: each replicate makes
        exactly the draws of the full run, so ``.outputs`` equals the same
        sums over the full ``.occupancy`` of the same seed bit for bit.
    first_replicate : int, default 0
        Number the replicates from here: replicate ``r`` of this call is
        replicate ``first_replicate + r`` of the run, with that stream.  A run
        split into ranges (see :mod:`carecast.engine.cluster`) gives the same bits
        as one call.
    value_per_replicate, inflow_per_replicate : bool, optional
        Whether ``value`` / ``inflow`` carry a leading replicate axis.  By
        default it is read from the shape: 1-D is shared, 3-D is per
        replicate and step, and a 2-D array is ``(replicates, W)`` or
        ``(steps, W)`` by its number of rows.  When ``replicates == steps``
        a 2-D array is ambiguous and refused unless this says which.

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
        entropy = np.random.SeedSequence().entropy
        assert isinstance(entropy, int)  # a fresh SeedSequence draws one int
        seed = entropy % (1 << 64)
    elif isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an integer, got {type(seed).__name__}")
    seed = int(seed)
    if not 0 <= seed < (1 << 64):
        raise ValueError(f"seed must be in [0, 2**64), got {seed}")
    if first_replicate + replicates > 1 << 64:
        raise ValueError("first_replicate + replicates must be at most 2**64, got "
                         f"{first_replicate + replicates}")
    steps = _check_int("steps", steps, 0)
    value_rows, inflow_rows = _axes(x0, src, value, inflow, replicates, steps,
                                    value_per_replicate, inflow_per_replicate)
    if outputs is not None or flow_outputs is not None:
        return _run_reduced(x0, src, dst, value, steps, dt, kind, inflow, advance,
                            replicates=replicates, threads=threads, seed=seed,
                            value_per_replicate=value_rows, inflow_per_replicate=inflow_rows,
                            keep_moved=keep_moved, first_replicate=first_replicate,
                            outputs=outputs, flow_outputs=flow_outputs)
    result = _run(x0, src, dst, value, steps, dt, kind, inflow, advance,
                  replicates=replicates, threads=threads, seed=seed,
                  value_per_replicate=value_rows, inflow_per_replicate=inflow_rows,
                  keep_moved=keep_moved, first_replicate=first_replicate)
    return Simulation(result.occupancy, result.moved, result.inflow, result.dt, result.src,
                      result.dst, seed)
