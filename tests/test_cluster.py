"""Runs split over executors give the bits of one call on one machine."""
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pytest

import carecast
from carecast import cluster


def _model():
    rng = np.random.default_rng(4)
    x0 = np.array([300.0, 120.0, 0.0, 0.0])
    src, dst = np.array([0, 0, 1, 1]), np.array([1, 2, 2, 3])
    value = np.array([0.4, 0.1, 0.3, 0.2])
    inflow = np.array([12.0, 0.0, 0.0, 0.0])
    return rng, x0, src, dst, value, inflow


def test_simulate_over_processes_equals_one_call():
    _, x0, src, dst, value, inflow = _model()
    one = carecast.simulate(x0, src, dst, value, 8, dt=0.25, inflow=inflow, replicates=23, seed=99)
    with ProcessPoolExecutor(2) as pool:
        split = cluster.simulate(pool, x0, src, dst, value, 8, dt=0.25, inflow=inflow,
                                 replicates=23, seed=99, chunk=5, threads=1)
    for name in ("occupancy", "moved", "inflow"):
        assert np.array_equal(getattr(split, name), getattr(one, name))
    assert split.seed == 99


def test_per_replicate_parameters_are_cut_into_ranges():
    rng, x0, src, dst, value, inflow = _model()
    R = 9
    values = value[None, :] * rng.uniform(0.5, 1.5, (R, value.size))
    inflows = inflow[None, :] * rng.uniform(0.5, 1.5, (R, inflow.size))
    x0s = np.repeat(x0[None, :], R, axis=0) + np.arange(R)[:, None]
    one = carecast.simulate(x0s, src, dst, values, 5, inflow=inflows, replicates=R, seed=7)
    with ThreadPoolExecutor(3) as pool:
        split = cluster.simulate(pool, x0s, src, dst, values, 5, inflow=inflows, replicates=R,
                                 seed=7, chunk=2, keep_moved=False)
        batch = cluster.project_batch_on(pool, x0s, src, dst, values, 5, inflow=inflows,
                                         replicates=R, chunk=4)
    assert np.array_equal(split.occupancy, one.occupancy) and split.moved is None
    whole = carecast.project_batch(x0s, src, dst, values, 5, inflow=inflows, replicates=R)
    assert np.array_equal(batch.occupancy, whole.occupancy)
    assert np.array_equal(batch.moved, whole.moved)


def test_dask_executor_when_installed():
    distributed = pytest.importorskip("distributed")
    _, x0, src, dst, value, inflow = _model()
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as local, distributed.Client(local) as client:
        split = cluster.simulate(client.get_executor(), x0, src, dst, value, 4, inflow=inflow,
                                 replicates=12, seed=3, chunk=3)
    one = carecast.simulate(x0, src, dst, value, 4, inflow=inflow, replicates=12, seed=3)
    assert np.array_equal(split.occupancy, one.occupancy)


@pytest.mark.parametrize("call, pattern", [
    (lambda pool: cluster.simulate(pool, [1, 0], [0], [1], [0.1], 2, replicates=4, seed=None), "seed"),
    (lambda pool: cluster.simulate(pool, [1, 0], [0], [1], [0.1], 2, replicates=4, seed=1, chunk=0),
     "chunk"),
    (lambda pool: cluster.project_batch_on(pool, [1, 0], [0], [1], [[0.1]], 2, replicates=-1), "replicates"),
])
def test_bad_arguments(call, pattern):
    with ThreadPoolExecutor(1) as pool, pytest.raises(ValueError, match=pattern):
        call(pool)
