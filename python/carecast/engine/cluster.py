"""Run large batches across processes or machines.

One machine runs :func:`carecast.simulate` and :func:`carecast.project_batch`
on all its cores.  When that is not enough, these functions split the
replicates into ranges, send each range to a worker through any
:class:`concurrent.futures.Executor`, and put the results back together:

- ``concurrent.futures.ProcessPoolExecutor`` - processes on this machine;
- Dask (``pip install "carecast[cluster]"``): ``client.get_executor()`` of a
  ``dask.distributed.Client`` connected to a cluster;
- anything else with the same interface (``mpi4py.futures``, Ray's
  executor, ...).

The result is **bit for bit** the result of one call on one machine: a
stochastic replicate ``r`` always draws from stream ``r`` of the seed
(:func:`carecast.simulate`'s ``first_replicate``), and a deterministic
replicate depends only on its own parameters.  Only the model's arrays and
each range's parameters travel to the workers; no child-level data is
involved.

>>> from concurrent.futures import ThreadPoolExecutor
>>> import numpy as np, carecast
>>> with ThreadPoolExecutor(2) as pool:
...     sim = carecast.engine.cluster.simulate(pool, [100, 0], [0], [1], [0.5], 3,
...                                     replicates=10, seed=5, chunk=4)
>>> one = carecast.simulate([100, 0], [0], [1], [0.5], 3, replicates=10, seed=5)
>>> bool(np.array_equal(sim.occupancy, one.occupancy))
True
"""
from __future__ import annotations

import numpy as np

from carecast.engine._checks import check_count
from carecast.engine.projection import (
    Projection,
    Simulation,
    _axes,
    _ndim,
    _shape,
    project_batch,
)
from carecast.engine.projection import simulate as _simulate

__all__ = ["simulate", "project_batch_on"]


def _ranges(replicates: int, chunk: int | None, executor) -> list:
    replicates = check_count("replicates", replicates, 0)
    if chunk is None:
        workers = getattr(executor, "_max_workers", None) or 4
        chunk = max(1, -(-replicates // (4 * workers)))
    chunk = check_count("chunk", chunk, 1)
    return [(a, min(a + chunk, replicates)) for a in range(0, replicates, chunk)]


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


def _join(parts, name: str):
    arrays = [getattr(p, name) for p in parts]
    if any(x is None for x in arrays):
        return None
    return np.concatenate(arrays, axis=0)


def simulate(executor, x0, src, dst, value, steps, *, replicates: int, seed: int,
             chunk: int | None = None, dt: float = 1.0, kind: str = "rate", inflow=None,
             advance=None, threads: int | None = None, keep_moved: bool = True,
             value_per_replicate: bool | None = None,
             inflow_per_replicate: bool | None = None) -> Simulation:
    """:func:`carecast.simulate` with the replicates spread over an executor's workers.

    Parameters
    ----------
    executor : concurrent.futures.Executor
        Where the ranges run.
    chunk : int, optional
        Replicates per task; default about four tasks per worker.
    seed : int
        Required here: every worker must draw from the same seed.
    threads : int, optional
        Threads each worker uses (default: all the worker's cores).
    Other parameters
        As :func:`carecast.simulate` (per-replicate parameters are cut into
        their ranges before they are sent, after checking that they have
        exactly ``replicates`` rows; the replicate axes are read once, by the
        rule of :func:`carecast.simulate`, and passed on explicitly).
    """
    if seed is None:
        raise ValueError("seed: a distributed run needs an explicit seed")
    ranges = _ranges(replicates, chunk, executor)
    steps = check_count("steps", steps, 0)
    value_rows, inflow_rows = _axes(x0, src, value, inflow, replicates, steps,
                                    value_per_replicate, inflow_per_replicate)
    x0_rows = _x0_rows(x0, replicates)
    futures = [executor.submit(_simulate, _rows(x0, a, b, x0_rows), src, dst,
                               _rows(value, a, b, value_rows), steps, replicates=b - a, seed=seed,
                               dt=dt, kind=kind,
                               inflow=None if inflow is None else _rows(inflow, a, b, inflow_rows),
                               advance=advance, threads=threads, keep_moved=keep_moved,
                               first_replicate=a, value_per_replicate=value_rows,
                               inflow_per_replicate=inflow_rows)
               for a, b in ranges]
    parts = [f.result() for f in futures]
    if not parts:
        return _simulate(x0, src, dst, value, steps, replicates=0, seed=seed, dt=dt, kind=kind,
                         inflow=inflow, advance=advance, keep_moved=keep_moved,
                         value_per_replicate=value_rows, inflow_per_replicate=inflow_rows)
    return Simulation(_join(parts, "occupancy"), _join(parts, "moved"), _join(parts, "inflow"),
                      parts[0].dt, parts[0].src, parts[0].dst, int(seed))


def project_batch_on(executor, x0, src, dst, value, steps, *, replicates: int,
                     chunk: int | None = None, dt: float = 1.0, kind: str = "rate",
                     inflow=None, advance=None, threads: int | None = None,
                     keep_moved: bool = True, value_per_replicate: bool | None = None,
                     inflow_per_replicate: bool | None = None) -> Projection:
    """:func:`carecast.project_batch` with the replicates spread over an executor's workers.

    Parameters as :func:`carecast.project_batch` (the same shapes and the
    same rule for the replicate axes); per-replicate arrays must have
    exactly ``replicates`` rows.
    """
    ranges = _ranges(replicates, chunk, executor)
    steps = check_count("steps", steps, 0)
    value_rows, inflow_rows = _axes(x0, src, value, inflow, replicates, steps,
                                    value_per_replicate, inflow_per_replicate)
    x0_rows = _x0_rows(x0, replicates)
    futures = [executor.submit(project_batch, _rows(x0, a, b, x0_rows), src, dst,
                               _rows(value, a, b, value_rows), steps, replicates=b - a, dt=dt,
                               kind=kind,
                               inflow=None if inflow is None else _rows(inflow, a, b, inflow_rows),
                               advance=advance, threads=threads, keep_moved=keep_moved,
                               value_per_replicate=value_rows, inflow_per_replicate=inflow_rows)
               for a, b in ranges]
    parts = [f.result() for f in futures]
    if not parts:
        return project_batch(x0, src, dst, value, steps, replicates=0, dt=dt, kind=kind,
                             inflow=inflow, advance=advance, keep_moved=keep_moved,
                             value_per_replicate=value_rows, inflow_per_replicate=inflow_rows)
    return Projection(_join(parts, "occupancy"), _join(parts, "moved"), _join(parts, "inflow"),
                      parts[0].dt, parts[0].src, parts[0].dst)
