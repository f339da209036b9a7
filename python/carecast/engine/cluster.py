"""Run large batches across processes or machines.

One machine runs :func:`carecast.simulate` and :func:`carecast.project_batch`
on all its cores.  When that is not enough, these functions split the
replicates into ranges, send each range to a worker through any
:class:`concurrent.futures.Executor`, and put the results back together:

- ``concurrent.futures.ProcessPoolExecutor`` - processes on this machine;
- Dask (``pip install "carecast[cluster]"``): ``client.get_executor()`` of a
  ``dask.distributed.Client`` connected to a cluster;
- anything else whose ``submit`` returns a ``concurrent.futures.Future``
  (for example ``mpi4py.futures.MPIPoolExecutor``; not tested here).

Ray is not supported: no adapter is shipped, and none is tested.

The result is **bit for bit** the result of one call on one machine,
whatever the executor, the chunking and the thread counts: a stochastic
replicate ``r`` always draws from stream ``r`` of the seed
(:func:`carecast.simulate`'s ``first_replicate``), and a deterministic
replicate depends only on its own parameters.  Only the model's arrays and
each range's parameters travel to the workers; no child-level data is
involved.

Chunking
--------
The replicates are cut into ``chunks`` contiguous ranges whose sizes differ
by at most one.  By default ``chunks = min(replicates, max(4 * slots,
ceil(full result / 256 MiB)))``, where ``slots`` is the number of tasks the
executor runs at once (see :func:`executor_slots`): four ranges per slot,
so that a slow worker holds back at most a quarter of its share, and more
when needed to keep each range's full result (occupancy, arrivals and, if
kept, moved: what a worker holds before it reduces or sends) under
:data:`RANGE_BYTES`, 256 MiB.  ``chunks=`` sets the number of
ranges, ``chunk=`` the replicates per range instead (never both); there are
never more ranges than replicates.

Threads
-------
Each range runs on ``threads`` engine threads (default **1**): the
executor's slots already give one task per core (a ``ProcessPoolExecutor``
of N processes, a Dask cluster of ``n_workers`` x ``threads_per_worker``),
and the engine's default of all the machine's cores in every task would run
cores x cores threads.  Pass ``threads=`` when each slot owns several cores
(for example one single-threaded Dask worker per machine).

Reducing on the workers
-----------------------
With ``reduce=``, each worker applies the reducer to its range's result and
sends back only that summary; the driver joins the summaries in replicate
order and, if the reducer has a ``finish`` method, finishes them (a
quantile, a mean).  A reducer maps a result of ``r`` replicates to an array
whose first axis has length ``r`` (one row per replicate), so that joining
is a concatenation and the answer is the same bits however the replicates
were cut.  Reducers provided: :class:`Select` (aggregates of occupancy per
step), :class:`Final` (aggregates at the end, one scalar each per
replicate), :class:`Quantiles` and :class:`Mean` (per-step statistics over
replicates, computed on the driver from the joined aggregates), and
:class:`PerReplicate` (any picklable function of a result).  A reducer sent
to other processes must be picklable: a module-level function or an
instance of these classes, not a lambda (refused up front for a
``ProcessPoolExecutor``; Dask pickles lambdas itself).

Memory on the driver
--------------------
Without ``reduce``: the full result (``8 * R * ((steps + 1) * S + steps *
S + steps * F)`` bytes, without the last term if ``keep_moved=False``),
refused before any work if it would not fit, plus the ranges received and
not yet copied into it (each copied and dropped as soon as it arrives).
With ``reduce``: the joined summaries (each reducer states its size) plus
the parameters sent (a per-replicate ``value`` is pickled range by range).
``tests/benchmarks/bench_cluster.py`` measures both.

>>> from concurrent.futures import ThreadPoolExecutor
>>> import numpy as np, carecast
>>> with ThreadPoolExecutor(2) as pool:
...     sim = carecast.engine.cluster.simulate(pool, [100, 0], [0], [1], [0.5], 3,
...                                     replicates=10, seed=5, chunks=3)
>>> one = carecast.simulate([100, 0], [0], [1], [0.5], 3, replicates=10, seed=5)
>>> bool(np.array_equal(sim.occupancy, one.occupancy))
True
>>> with ThreadPoolExecutor(2) as pool:
...     median = carecast.engine.cluster.simulate(
...         pool, [100, 0], [0], [1], [0.5], 3, replicates=10, seed=5,
...         reduce=carecast.engine.cluster.Quantiles(0.5, [0]))
>>> median.shape
(4, 1)
>>> bool(np.array_equal(median, np.median(one.occupancy[:, :, [0]], axis=0)))
True
"""
from __future__ import annotations

import pickle
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from typing import Any

import numpy as np

from carecast.engine._checks import check_bool, check_count, check_threads
from carecast.engine.projection import (
    Projection,
    Simulation,
    _axes,
    _check_outputs_fit,
    _ndim,
    _shape,
    project_batch,
)
from carecast.engine.projection import simulate as _simulate
from carecast.progress import progress_bar

__all__ = ["simulate", "project_batch_on", "executor_slots", "chunk_ranges",
           "Select", "Final", "Quantiles", "Mean", "PerReplicate"]

#: Ranges per executor slot when ``chunks`` is not given.
CHUNKS_PER_SLOT = 4

#: Largest full result of one range when ``chunks`` is not given, in bytes.
RANGE_BYTES = 256 * 2**20

_QUANTILE_METHODS = ("inverted_cdf", "averaged_inverted_cdf", "closest_observation",
                     "interpolated_inverted_cdf", "hazen", "weibull", "linear",
                     "median_unbiased", "normal_unbiased", "lower", "higher", "midpoint",
                     "nearest")

# Rows of (replicate, step) pairs aggregated at a time by Select (bounds its
# temporary memory to about S x 8192 x 8 bytes).
_BLOCK_ROWS = 8192


def executor_slots(executor) -> int:
    """Tasks ``executor`` runs at once, as far as it can be read.

    - a Dask ``Client``, or its ``ClientExecutor`` (``client.get_executor()``):
      the total of ``client.nthreads()`` over its workers, at the time of the call;
    - ``ProcessPoolExecutor``/``ThreadPoolExecutor`` (and executors that
      follow them): ``_max_workers``;
    - anything else: 1 (so four ranges by default; pass ``chunks=``).
    """
    client = getattr(executor, "_client", executor)     # a ClientExecutor's client, or a Client itself
    nthreads = getattr(client, "nthreads", None)
    if callable(nthreads):
        try:
            total = sum(int(n) for n in nthreads().values())
        except Exception:  # a client that cannot answer: fall through
            total = 0
        if total > 0:
            return total
    workers = getattr(executor, "_max_workers", None)
    if isinstance(workers, int) and not isinstance(workers, bool) and workers > 0:
        return workers
    return 1


def chunk_ranges(replicates: int, *, chunks: int | None = None, chunk: int | None = None,
                 slots: int = 1, bytes_per_replicate: int = 0) -> list[tuple[int, int]]:
    """The ``(first, stop)`` replicate ranges a run is cut into (module docstring, Chunking).

    ``bytes_per_replicate`` (the size of one replicate's full result) raises
    the default number of ranges so that each range's result stays under
    :data:`RANGE_BYTES`.

    >>> chunk_ranges(10, chunks=3)
    [(0, 4), (4, 7), (7, 10)]
    >>> chunk_ranges(10, chunk=4)
    [(0, 4), (4, 8), (8, 10)]
    >>> chunk_ranges(3, slots=8)
    [(0, 1), (1, 2), (2, 3)]
    """
    replicates = check_count("replicates", replicates, 0)
    if chunks is not None and chunk is not None:
        raise ValueError("chunks and chunk: give the number of ranges (chunks) or the "
                         "replicates per range (chunk), not both")
    if chunk is not None:
        chunk = check_count("chunk", chunk, 1)
        return [(a, min(a + chunk, replicates)) for a in range(0, replicates, chunk)]
    if chunks is None:
        chunks = CHUNKS_PER_SLOT * check_count("slots", slots, 1)
        per_range = max(1, RANGE_BYTES // max(1, bytes_per_replicate))
        chunks = max(chunks, -(-replicates // per_range))
    else:
        chunks = check_count("chunks", chunks, 1)
    chunks = min(chunks, replicates)
    if chunks == 0:
        return []
    size, extra = divmod(replicates, chunks)
    starts = [i * size + min(i, extra) for i in range(chunks + 1)]
    return list(zip(starts[:-1], starts[1:]))


# --- reducers -------------------------------------------------------------------

def _weights(outputs, n_states: int | None = None) -> np.ndarray:
    """``outputs`` as a (K, S) float64 weight matrix: a list of state indices
    becomes one row per index (that state alone)."""
    if outputs is None:
        raise TypeError("outputs must be a (K, S) weight matrix or a list of state indices, "
                        "got None")
    arr = np.asarray(outputs)
    if arr.dtype.kind in "iu" and arr.ndim == 1:
        if n_states is None:
            return arr.astype(np.int64)  # resolved when S is known
        if arr.size and (arr.min() < 0 or arr.max() >= n_states):
            bad = int(arr[(arr < 0) | (arr >= n_states)][0])
            raise ValueError(f"outputs: state index {bad} is out of range for {n_states} states")
        w = np.zeros((arr.size, n_states))
        w[np.arange(arr.size), arr] = 1.0
        return w
    if arr.dtype.kind not in "iuf" or arr.dtype.kind == "b":
        raise TypeError(f"outputs must be real weights or integer state indices, got dtype "
                        f"{arr.dtype}")
    if arr.ndim != 2:
        raise ValueError(f"outputs must be a (K, S) weight matrix or a 1-D list of state "
                         f"indices, got shape {arr.shape}")
    arr = np.array(arr, dtype=np.float64)
    if not np.isfinite(arr).all():
        k, s = np.argwhere(~np.isfinite(arr))[0]
        raise ValueError(f"outputs[{k}, {s}] is not finite")
    if n_states is not None and arr.shape[1] != n_states:
        raise ValueError(f"outputs has {arr.shape[1]} columns but the model has {n_states} "
                         f"states")
    return arr


def aggregate(occupancy, outputs) -> np.ndarray:
    """``occupancy`` (..., S) weighted by ``outputs`` (K, S): (..., K).

    Each output element is ``sum_s w[k, s] * x[s]`` added in increasing
    ``s`` over the nonzero weights, one elementwise NumPy operation at a
    time, so that it depends only on its own row: the same bits whatever
    the number of replicates alongside (a BLAS product does not promise
    that).  A weight of exactly 1 on one state copies that state.
    """
    occupancy = np.asarray(occupancy, dtype=np.float64)
    w = _weights(outputs, occupancy.shape[-1])
    lead = occupancy.shape[:-1]
    flat = occupancy.reshape(-1, occupancy.shape[-1])
    out = np.zeros((flat.shape[0], w.shape[0]))
    nonzero = [np.flatnonzero(row) for row in w]
    tmp = np.empty(min(_BLOCK_ROWS, flat.shape[0]))
    for a in range(0, flat.shape[0], _BLOCK_ROWS):
        block = np.ascontiguousarray(flat[a:a + _BLOCK_ROWS].T)  # (S, n): contiguous rows
        n = block.shape[1]
        for k, states in enumerate(nonzero):
            acc = np.zeros(n)
            for s in states:
                np.multiply(block[s], w[k, s], out=tmp[:n])
                acc += tmp[:n]
            out[a:a + n, k] = acc
    return out.reshape(lead + (w.shape[0],))


class Select:
    """Aggregates of occupancy at every step, per replicate: (r, steps + 1, K).

    ``outputs`` is a (K, S) weight matrix (row k: how much each state counts
    in output k; e.g. ones on the states of one placement type) or a list of
    K state indices.  Memory: ``8 * R * (steps + 1) * K`` bytes on the
    driver for R replicates (against ``8 * R * (steps + 1) * S`` for the
    occupancy alone, plus moved and inflow); each worker holds its range's
    full result while it reduces it.
    """

    keeps = ("occupancy",)

    def __init__(self, outputs):
        self.outputs = _weights(outputs)

    def check(self, n_states: int) -> None:
        """Refuse, on the driver, outputs that do not fit a model of ``n_states`` states."""
        _weights(self.outputs, n_states)

    def __call__(self, result) -> np.ndarray:
        return aggregate(result.occupancy, self.outputs)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(K={len(self.outputs)})"


class Final(Select):
    """Aggregates of occupancy at the last step: one scalar per output and
    replicate, (r, K).  Memory on the driver: ``8 * R * K`` bytes."""

    def __call__(self, result) -> np.ndarray:
        return aggregate(result.occupancy[..., -1, :], self.outputs)


class Quantiles(Select):
    """Exact per-step quantiles over all replicates of :class:`Select`'s
    aggregates: (len(q), steps + 1, K).

    The workers send the aggregates (``8 * R * (steps + 1) * K`` bytes on
    the driver); the driver takes ``numpy.quantile(..., method=method)``
    over the joined replicates, so the quantiles are exact and do not
    depend on the chunking (no streaming approximation).
    """

    def __init__(self, q, outputs, *, method: str = "linear"):
        super().__init__(outputs)
        try:
            q = np.asarray(q, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"q must be probabilities between 0 and 1, got {q!r}") from None
        if q.ndim > 1 or not np.all((q >= 0) & (q <= 1)):
            raise ValueError(f"q must be probabilities between 0 and 1 (a number or a 1-D "
                             f"list), got {q.tolist()}")
        if method not in _QUANTILE_METHODS:
            raise ValueError(f"method must be one of {', '.join(_QUANTILE_METHODS)} "
                             f"(numpy.quantile), got {method!r}")
        self.q, self.method = q, method

    def finish(self, joined: np.ndarray) -> np.ndarray:
        if joined.shape[0] == 0:
            raise ValueError("Quantiles: no replicates to take quantiles of")
        method: Any = self.method
        return np.quantile(joined, self.q, axis=0, method=method)


class Mean(Select):
    """Per-step mean over all replicates of :class:`Select`'s aggregates:
    (steps + 1, K); memory on the driver as :class:`Select` (the mean is
    taken on the driver, over the joined aggregates, so it is the same bits
    whatever the chunking)."""

    def finish(self, joined: np.ndarray) -> np.ndarray:
        if joined.shape[0] == 0:
            raise ValueError("Mean: no replicates to average")
        return joined.mean(axis=0)


class PerReplicate:
    """Any function of a range's result giving one row per replicate.

    ``function(result)`` must return an array whose first axis has length
    ``result.occupancy.shape[0]`` (e.g. ``result.moved[:, :, flows].sum(1)``
    for people moved along some flows); it must be picklable (a module-level
    function) to reach other processes.  ``keeps`` names the result's
    fields it reads: without ``"moved"`` the workers run with
    ``keep_moved=False`` (unless asked otherwise).  Memory on the driver:
    the joined rows.
    """

    def __init__(self, function, keeps=("occupancy", "moved", "inflow")):
        if not callable(function):
            raise TypeError(f"function must be callable, got {type(function).__name__}")
        self.function, self.keeps = function, tuple(keeps)

    def __call__(self, result):
        return self.function(result)

    def __repr__(self) -> str:
        return f"PerReplicate({getattr(self.function, '__name__', 'function')})"


def _check_reduce(reduce, executor) -> None:
    if reduce is None:
        return
    if not callable(reduce):
        raise TypeError(f"reduce must be callable (a function of a range's result, or a "
                        f"reducer such as cluster.Select), got {type(reduce).__name__}")
    if isinstance(executor, ProcessPoolExecutor):
        try:
            pickle.dumps(reduce)
        except Exception as exc:
            raise TypeError(f"reduce cannot be sent to worker processes ({exc}); use a "
                            f"module-level function or a cluster reducer, not a lambda or a "
                            f"local function") from None


def _keep_moved(keep_moved, reduce) -> bool:
    if keep_moved is not None:
        return check_bool("keep_moved", keep_moved)
    keeps = getattr(reduce, "keeps", None) if reduce is not None else None
    return True if keeps is None else "moved" in keeps


def _reduced(part, reduce, rows: int):
    """The reducer's summary of one range, checked to have one row per replicate."""
    summary = np.asarray(reduce(part))
    if summary.ndim == 0 or summary.shape[0] != rows:
        raise ValueError(f"reduce must return an array with one row per replicate "
                         f"(first axis {rows} for this range), got shape {summary.shape}")
    return summary


def _run_simulate(reduce, *args, **kwargs):
    part = _simulate(*args, **kwargs)
    return part if reduce is None else _reduced(part, reduce, kwargs["replicates"])


def _run_batch(reduce, *args, **kwargs):
    part = project_batch(*args, **kwargs)
    return part if reduce is None else _reduced(part, reduce, kwargs["replicates"])


def _x0_rows(x0, replicates: int) -> bool:
    """Whether x0 is per replicate; its rows must then be exactly ``replicates``
    (a range of a longer array would silently drop the rest)."""
    if _ndim("x0", x0) != 2:
        return False
    rows = _shape("x0", x0)[0]
    if rows != replicates:
        raise ValueError(f"x0 has {rows} rows but replicates is {replicates}")
    return True


def _rows(arr, a: int, b: int, per_replicate: bool):
    return np.asarray(arr)[a:b] if per_replicate else arr


_FIELDS = ("occupancy", "moved", "inflow")


def _arrivals(futures: list, ranges=None, bar=None):
    """``(index, result)`` of each future as it finishes, each released once read.

    Futures that are ``concurrent.futures.Future`` (process and thread
    pools, Dask's executor) are read as they complete; others in order.  A
    Future keeps its result until it is dropped, so it is emptied once read
    (the driver would otherwise hold every range to the end).  On an error
    the ranges not yet started are cancelled and the error raised.
    """
    where = {id(f): i for i, f in enumerate(futures)}
    pending = list(futures)
    futures.clear()
    in_order = not all(isinstance(f, Future) for f in pending)
    for future in (list(pending) if in_order else as_completed(pending)):
        i = where[id(future)]
        try:
            result = future.result()
        except BaseException:
            for other in pending:
                if other is not None:
                    other.cancel()
            raise
        pending[i] = None
        if isinstance(future, Future):
            future._result = None
        del future
        if bar is not None and ranges is not None:
            bar.advance(ranges[i][1] - ranges[i][0])
        yield i, result
        del result


def _gather(futures: list, ranges, replicates: int, bar=None) -> tuple[dict, Any]:
    """The full arrays, filled range by range as the results arrive.

    Each range's result is copied into arrays allocated once, each range to
    its own rows (so the order of arrival does not change the bits): the
    driver holds the full result plus the ranges received but not yet
    copied, not every range and then their concatenation.
    """
    out: dict = {}
    first = None
    for i, part in _arrivals(futures, ranges, bar):
        a, b = ranges[i]
        if first is None:
            first = (part.dt, part.src, part.dst)
            for name in _FIELDS:
                arr = getattr(part, name)
                out[name] = None if arr is None else np.empty((replicates,) + arr.shape[1:])
        for name in _FIELDS:
            if out[name] is not None:
                out[name][a:b] = getattr(part, name)
        del part
    return out, first


def _summaries(futures: list, ranges, replicates: int, reduce, bar=None):
    """The reducer's rows of every range, in replicate order, finished."""
    joined = None
    for i, summary in _arrivals(futures, ranges, bar):
        a, b = ranges[i]
        if joined is None:
            joined = np.empty((replicates,) + summary.shape[1:], dtype=summary.dtype)
        elif summary.shape[1:] != joined.shape[1:] or summary.dtype != joined.dtype:
            raise ValueError(f"reduce returned rows of different shapes or types in different "
                             f"ranges: {joined.shape[1:]} {joined.dtype} and "
                             f"{summary.shape[1:]} {summary.dtype}")
        joined[a:b] = summary
        del summary
    return _finished(joined, reduce)


def _collect(futures: list, ranges, replicates: int, reduce, progress: bool, make):
    """The reducer's summary, or the full result built by ``make(arrays, dt, src, dst)``, with a
    progress bar of the ranges as they come back."""
    with progress_bar(replicates, "cluster replicates", enabled=progress, delay=2.0) as bar:
        if reduce is not None:
            return _summaries(futures, ranges, replicates, reduce, bar)
        out, first = _gather(futures, ranges, replicates, bar)
    return make(out, *first)


def _finished(joined, reduce):
    finish = getattr(reduce, "finish", None)
    return finish(joined) if callable(finish) else joined


def _prepare(executor, x0, src, value, inflow, steps, replicates, chunks, chunk, reduce,
             keep_moved, threads, value_per_replicate, inflow_per_replicate):
    if not callable(getattr(executor, "submit", None)):
        raise TypeError(f"executor must have a submit method (a concurrent.futures.Executor), "
                        f"got {type(executor).__name__}")
    _check_reduce(reduce, executor)
    steps = check_count("steps", steps, 0)
    keep_moved = _keep_moved(keep_moved, reduce)
    try:
        n_states, n_flows = (_shape("x0", x0)[-1] if _ndim("x0", x0) else 0), len(src)
    except (TypeError, IndexError):
        n_states = n_flows = 0  # the engine reports malformed arguments
    per_replicate = 8 * ((steps + 1) * n_states + steps * n_states
                         + (steps * n_flows if keep_moved else 0))
    ranges = chunk_ranges(replicates, chunks=chunks, chunk=chunk,
                          slots=executor_slots(executor), bytes_per_replicate=per_replicate)
    value_rows, inflow_rows = _axes(x0, src, value, inflow, replicates, steps,
                                    value_per_replicate, inflow_per_replicate)
    x0_rows = _x0_rows(x0, replicates)
    check = getattr(reduce, "check", None)
    if callable(check) and _ndim("x0", x0) in (1, 2):
        check(_shape("x0", x0)[-1])
    if reduce is None:  # the driver holds the whole result
        try:
            _check_outputs_fit(x0, src, steps, replicates, keep_moved)
        except MemoryError as exc:
            raise MemoryError(f"{exc}; or pass reduce= (e.g. cluster.Select, "
                              f"cluster.Quantiles) so that only summaries come back") from None
    threads = 1 if threads is None else check_threads(threads)
    return ranges, steps, value_rows, inflow_rows, x0_rows, keep_moved, threads


def simulate(executor, x0, src, dst, value, steps, *, replicates: int, seed: int,
             chunks: int | None = None, chunk: int | None = None, reduce=None,
             dt: float = 1.0, kind: str = "rate", inflow=None, advance=None,
             threads: int | None = None, keep_moved: bool | None = None,
             value_per_replicate: bool | None = None,
             inflow_per_replicate: bool | None = None, progress: bool = True):
    """:func:`carecast.simulate` with the replicates spread over an executor's workers.

    Parameters
    ----------
    executor : concurrent.futures.Executor
        Where the ranges run.
    seed : int
        Required here: every worker must draw from the same seed.
    chunks, chunk : int, optional
        Number of ranges, or replicates per range (not both); default
        ``min(replicates, 4 * executor_slots(executor))`` ranges.
    reduce : callable, optional
        Applied to each range's result on the worker (module docstring,
        Reducing on the workers); the call then returns the joined (and
        finished) summary instead of a :class:`Simulation`.
    threads : int, optional
        Engine threads in each task; default 1 (module docstring, Threads).
    progress : bool
        A progress bar on stderr (tqdm's when installed) of the replicates
        whose ranges have come back, once the run has taken two seconds.
    keep_moved : bool, optional
        Default True, or, with a reducer that says what it reads
        (``keeps``), whether it reads ``moved``.
    Other parameters
        As :func:`carecast.simulate` (per-replicate parameters are cut into
        their ranges before they are sent, after checking that they have
        exactly ``replicates`` rows; the replicate axes are read once, by the
        rule of :func:`carecast.simulate`, and passed on explicitly).

    Returns
    -------
    Simulation, or the reducer's summary
    """
    if seed is None:
        raise ValueError("seed: a distributed run needs an explicit seed")
    ranges, steps, value_rows, inflow_rows, x0_rows, keep_moved, threads = _prepare(
        executor, x0, src, value, inflow, steps, replicates, chunks, chunk, reduce, keep_moved,
        threads, value_per_replicate, inflow_per_replicate)
    futures = [executor.submit(_run_simulate, reduce, _rows(x0, a, b, x0_rows), src, dst,
                               _rows(value, a, b, value_rows), steps, replicates=b - a, seed=seed,
                               dt=dt, kind=kind,
                               inflow=None if inflow is None else _rows(inflow, a, b, inflow_rows),
                               advance=advance, threads=threads, keep_moved=keep_moved,
                               first_replicate=a, value_per_replicate=value_rows,
                               inflow_per_replicate=inflow_rows)
               for a, b in ranges]
    if futures:
        return _collect(futures, ranges, replicates, reduce, progress,
                        lambda out, dt_, src_, dst_: Simulation(out["occupancy"], out["moved"], out["inflow"],
                                                                dt_, src_, dst_, int(seed)))
    empty = _simulate(x0, src, dst, value, steps, replicates=0, seed=seed, dt=dt, kind=kind,
                      inflow=inflow, advance=advance, keep_moved=keep_moved,
                      value_per_replicate=value_rows, inflow_per_replicate=inflow_rows)
    return empty if reduce is None else _finished(_reduced(empty, reduce, 0), reduce)


def project_batch_on(executor, x0, src, dst, value, steps, *, replicates: int,
                     chunks: int | None = None, chunk: int | None = None, reduce=None,
                     dt: float = 1.0, kind: str = "rate", inflow=None, advance=None,
                     threads: int | None = None, keep_moved: bool | None = None,
                     value_per_replicate: bool | None = None,
                     inflow_per_replicate: bool | None = None, progress: bool = True):
    """:func:`carecast.project_batch` with the replicates spread over an executor's workers.

    Parameters as :func:`carecast.project_batch` (the same shapes and the
    same rule for the replicate axes; per-replicate arrays must have
    exactly ``replicates`` rows), and ``chunks``, ``chunk``, ``reduce``,
    ``threads`` and ``keep_moved`` as :func:`simulate`.

    Returns
    -------
    Projection, or the reducer's summary
    """
    ranges, steps, value_rows, inflow_rows, x0_rows, keep_moved, threads = _prepare(
        executor, x0, src, value, inflow, steps, replicates, chunks, chunk, reduce, keep_moved,
        threads, value_per_replicate, inflow_per_replicate)
    futures = [executor.submit(_run_batch, reduce, _rows(x0, a, b, x0_rows), src, dst,
                               _rows(value, a, b, value_rows), steps, replicates=b - a, dt=dt,
                               kind=kind,
                               inflow=None if inflow is None else _rows(inflow, a, b, inflow_rows),
                               advance=advance, threads=threads, keep_moved=keep_moved,
                               value_per_replicate=value_rows, inflow_per_replicate=inflow_rows)
               for a, b in ranges]
    if futures:
        return _collect(futures, ranges, replicates, reduce, progress,
                        lambda out, dt_, src_, dst_: Projection(out["occupancy"], out["moved"], out["inflow"],
                                                                dt_, src_, dst_))
    empty = project_batch(x0, src, dst, value, steps, replicates=0, dt=dt, kind=kind,
                          inflow=inflow, advance=advance, keep_moved=keep_moved,
                          value_per_replicate=value_rows, inflow_per_replicate=inflow_rows)
    return empty if reduce is None else _finished(_reduced(empty, reduce, 0), reduce)
