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


# --- chunking by the executor's size ------------------------------------------------

def test_ranges_follow_the_executor_size_and_cover_every_replicate_once():
    with ProcessPoolExecutor(3) as pool:
        assert cluster.executor_slots(pool) == 3
    with ThreadPoolExecutor(5) as pool:
        assert cluster.executor_slots(pool) == 5
    assert cluster.executor_slots(object()) == 1
    # Default: four ranges a slot, sizes differing by at most one, never more than replicates.
    ranges = cluster.chunk_ranges(50, slots=3)
    assert len(ranges) == 12 and {b - a for a, b in ranges} == {4, 5}
    assert cluster.chunk_ranges(5, slots=8) == [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5)]
    assert cluster.chunk_ranges(0, slots=2) == []
    assert cluster.chunk_ranges(7, chunks=100) == [(i, i + 1) for i in range(7)]
    # More ranges when needed to keep each range's full result under RANGE_BYTES.
    big = cluster.chunk_ranges(1000, slots=2, bytes_per_replicate=cluster.RANGE_BYTES // 10)
    assert len(big) == 100 and all(b - a == 10 for a, b in big)
    assert len(cluster.chunk_ranges(1000, slots=2, bytes_per_replicate=1000)) == 8
    assert len(cluster.chunk_ranges(3, slots=1, bytes_per_replicate=10 * cluster.RANGE_BYTES)) == 3
    for R, chunks in [(1, 1), (10, 3), (97, 8), (1000, 7)]:
        ranges = cluster.chunk_ranges(R, chunks=chunks)
        assert ranges[0][0] == 0 and ranges[-1][1] == R and len(ranges) == min(R, chunks)
        assert all(b0 == a1 for (_, b0), (a1, _) in zip(ranges, ranges[1:]))


def test_dask_slots_are_the_total_threads_of_its_workers():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as local, distributed.Client(local) as client:
        assert cluster.executor_slots(client.get_executor()) == 4


# --- identical bits on real process executors ---------------------------------------

def _bigger_model(R=40):
    rng = np.random.default_rng(11)
    S = 6
    src = np.array([0, 0, 1, 1, 2, 3, 4, 2])
    dst = np.array([1, 5, 2, 5, 3, 4, 5, 5])
    x0 = rng.integers(20, 80, S).astype(float)
    x0[5] = 0.0
    values = rng.uniform(0.05, 0.6, (R, src.size))
    inflow = np.array([6.0, 2.0, 0.0, 0.0, 0.0, 0.0])
    return x0, src, dst, values, inflow


@pytest.mark.parametrize("chunks", [1, 3, 7, 40])
def test_process_pool_gives_the_bits_of_one_call_for_any_chunking(chunks):
    x0, src, dst, values, inflow = _bigger_model()
    one = carecast.simulate(x0, src, dst, values, 12, dt=1 / 12, inflow=inflow, replicates=40,
                            seed=2026)
    whole = carecast.project_batch(x0, src, dst, values, 12, dt=1 / 12, inflow=inflow,
                                   replicates=40)
    with ProcessPoolExecutor(2) as pool:
        split = cluster.simulate(pool, x0, src, dst, values, 12, dt=1 / 12, inflow=inflow,
                                 replicates=40, seed=2026, chunks=chunks)
        batch = cluster.project_batch_on(pool, x0, src, dst, values, 12, dt=1 / 12,
                                         inflow=inflow, replicates=40, chunks=chunks)
    for name in ("occupancy", "moved", "inflow"):
        assert np.array_equal(getattr(split, name), getattr(one, name))
        assert np.array_equal(getattr(batch, name), getattr(whole, name))


@pytest.fixture(scope="module")
def dask_processes():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as local, distributed.Client(local) as client:
        yield client


@pytest.mark.parametrize("chunks", [None, 2, 5, 40])
def test_dask_local_cluster_of_processes_gives_the_bits_of_one_call(dask_processes, chunks):
    x0, src, dst, values, inflow = _bigger_model()
    executor = dask_processes.get_executor()
    assert cluster.executor_slots(executor) == 2
    one = carecast.simulate(x0, src, dst, values, 12, dt=1 / 12, inflow=inflow, replicates=40,
                            seed=77, threads=3)
    split = cluster.simulate(executor, x0, src, dst, values, 12, dt=1 / 12, inflow=inflow,
                             replicates=40, seed=77, chunks=chunks)
    for name in ("occupancy", "moved", "inflow"):
        assert np.array_equal(getattr(split, name), getattr(one, name))
    reducer = cluster.Quantiles([0.05, 0.5, 0.95], [[1, 1, 0, 0, 0, 0], [0, 0, 1, 1, 1, 0]])
    summary = cluster.simulate(executor, x0, src, dst, values, 12, dt=1 / 12, inflow=inflow,
                               replicates=40, seed=77, chunks=chunks, reduce=reducer)
    assert np.array_equal(summary, reducer.finish(reducer(one)))


# --- reductions on the workers ------------------------------------------------------

def _people_left(result):
    """Module-level, so picklable: people who moved along flows into state 5, per replicate."""
    return result.moved[:, :, result.dst == 5].sum(axis=(1, 2))


GROUPS = np.array([[1.0, 1.0, 0.0, 0.0, 0.0, 0.0],
                   [0.0, 0.0, 0.5, 2.0, 1.0, 0.0],
                   [0.0, 0.0, 0.0, 0.0, 0.0, 1.0]])


@pytest.mark.parametrize("chunks", [1, 4, 9])
def test_reductions_equal_the_same_reductions_of_one_local_result(chunks):
    x0, src, dst, values, inflow = _bigger_model()
    one = carecast.simulate(x0, src, dst, values, 12, dt=1 / 12, inflow=inflow, replicates=40,
                            seed=5)
    reducers = [cluster.Select([4, 0, 5]), cluster.Select(GROUPS), cluster.Final(GROUPS),
                cluster.Quantiles([0.1, 0.5, 0.9], GROUPS), cluster.Quantiles(0.5, [2]),
                cluster.Mean(GROUPS), cluster.PerReplicate(_people_left)]
    with ProcessPoolExecutor(2) as pool:
        for reducer in reducers:
            got = cluster.simulate(pool, x0, src, dst, values, 12, dt=1 / 12, inflow=inflow,
                                   replicates=40, seed=5, chunks=chunks, reduce=reducer)
            local = reducer(one)
            finish = getattr(reducer, "finish", None)
            assert np.array_equal(got, finish(local) if finish else local), reducer


def test_reducers_against_independent_numpy():
    x0, src, dst, values, inflow = _bigger_model()
    one = carecast.simulate(x0, src, dst, values, 12, dt=1 / 12, inflow=inflow, replicates=40,
                            seed=5)
    occ = one.occupancy
    with ThreadPoolExecutor(2) as pool:
        run = dict(dt=1 / 12, inflow=inflow, replicates=40, seed=5, chunks=6)
        selected = cluster.simulate(pool, x0, src, dst, values, 12, reduce=cluster.Select([4, 0]),
                                    **run)
        groups = cluster.simulate(pool, x0, src, dst, values, 12, reduce=cluster.Select(GROUPS),
                                  **run)
        final = cluster.simulate(pool, x0, src, dst, values, 12, reduce=cluster.Final(GROUPS),
                                 **run)
        median = cluster.simulate(pool, x0, src, dst, values, 12,
                                  reduce=cluster.Quantiles([0.5], GROUPS), **run)
        left = cluster.simulate(pool, x0, src, dst, values, 12,
                                reduce=cluster.PerReplicate(_people_left), **run)
    assert selected.shape == (40, 13, 2)
    assert np.array_equal(selected, occ[:, :, [4, 0]])  # a selection is a copy
    expected = np.einsum("rts,ks->rtk", occ, GROUPS)
    np.testing.assert_allclose(groups, expected, rtol=1e-14, atol=0)
    np.testing.assert_allclose(final, expected[:, -1, :], rtol=1e-14, atol=0)
    np.testing.assert_allclose(median[0], np.median(expected, axis=0), rtol=1e-14, atol=0)
    # Conservation: everyone who left was in care at the start or came in.
    assert np.array_equal(left, one.moved[:, :, [1, 3, 6, 7]].sum(axis=(1, 2)))
    assert np.all(left <= x0.sum() + one.inflow.sum(axis=(1, 2)))


def test_reducer_that_reads_only_occupancy_runs_workers_without_moved():
    x0, src, dst, values, inflow = _bigger_model(6)
    seen = []

    def record(result):
        seen.append(result.moved is None)
        return result.occupancy[:, -1, :]

    with ThreadPoolExecutor(2) as pool:
        cluster.simulate(pool, x0, src, dst, values, 3, replicates=6, seed=1, chunks=2,
                         reduce=cluster.PerReplicate(record, keeps=("occupancy",)))
        cluster.simulate(pool, x0, src, dst, values, 3, replicates=6, seed=1, chunks=2,
                         reduce=record)
    assert seen == [True, True, False, False]


def test_empty_runs():
    with ThreadPoolExecutor(2) as pool:
        sim = cluster.simulate(pool, [3.0, 0.0], [0], [1], [0.2], 4, replicates=0, seed=1)
        assert sim.occupancy.shape == (0, 5, 2)
        sel = cluster.simulate(pool, [3.0, 0.0], [0], [1], [0.2], 4, replicates=0, seed=1,
                               reduce=cluster.Select([1]))
        assert sel.shape == (0, 5, 1)
        with pytest.raises(ValueError, match="Quantiles.*no replicates"):
            cluster.simulate(pool, [3.0, 0.0], [0], [1], [0.2], 4, replicates=0, seed=1,
                             reduce=cluster.Quantiles(0.5, [1]))


def _not_per_replicate(result):
    return result.occupancy.sum()


def _ragged(result):
    rows = result.occupancy.shape[0]
    return np.zeros((rows, rows))


@pytest.mark.parametrize("kwargs, error, pattern", [
    (dict(chunks=0), ValueError, "chunks must be >= 1"),
    (dict(chunks=2.0), TypeError, "chunks must be a whole number"),
    (dict(chunks=2, chunk=3), ValueError, "chunks and chunk"),
    (dict(chunk=-1), ValueError, "chunk must be >= 1"),
    (dict(reduce="mean"), TypeError, "reduce must be callable"),
    (dict(reduce=_not_per_replicate), ValueError, "reduce must return an array with one row"),
    (dict(reduce=_ragged, chunk=3), ValueError, "rows of different shapes"),
    (dict(reduce=cluster.Select([0, 7])), ValueError, "outputs: state index 7 is out of range"),
    (dict(reduce=cluster.Select(np.ones((2, 3)))), ValueError, "outputs has 3 columns"),
    (dict(threads=0), ValueError, "threads"),
])
def test_bad_chunks_and_reduce_are_named(kwargs, error, pattern):
    with ThreadPoolExecutor(2) as pool, pytest.raises(error, match=pattern):
        cluster.simulate(pool, [5.0, 0.0], [0], [1], [0.2], 3, replicates=4, seed=1, **kwargs)


def test_lambda_reducer_refused_before_sending_to_processes():
    with ProcessPoolExecutor(1) as pool, pytest.raises(TypeError, match="reduce cannot be sent"):
        cluster.simulate(pool, [5.0, 0.0], [0], [1], [0.2], 3, replicates=4, seed=1,
                         reduce=lambda r: r.occupancy)


@pytest.mark.parametrize("make, error, pattern", [
    (lambda: cluster.Select(None), TypeError, "outputs"),
    (lambda: cluster.Select([[True, False]]), TypeError, "outputs must be real"),
    (lambda: cluster.Select(np.ones((2, 2, 2))), ValueError, "outputs must be a \\(K, S\\)"),
    (lambda: cluster.Select([[1.0, np.nan]]), ValueError, "outputs\\[0, 1\\] is not finite"),
    (lambda: cluster.Quantiles(1.5, [0]), ValueError, "q must be probabilities"),
    (lambda: cluster.Quantiles("median", [0]), TypeError, "q must be probabilities"),
    (lambda: cluster.Quantiles(0.5, [0], method="mean"), ValueError, "method must be one of"),
    (lambda: cluster.PerReplicate(3), TypeError, "function must be callable"),
    (lambda: cluster.simulate(None, [1.0], [], [], [], 1, replicates=1, seed=1), TypeError,
     "executor must have a submit method"),
])
def test_bad_reducers_are_named(make, error, pattern):
    with pytest.raises(error, match=pattern):
        make()


def test_one_engine_thread_per_task_by_default(monkeypatch):
    seen = []
    real = cluster._simulate

    def spy(*args, **kwargs):
        seen.append(kwargs["threads"])
        return real(*args, **kwargs)

    monkeypatch.setattr(cluster, "_simulate", spy)
    with ThreadPoolExecutor(2) as pool:
        cluster.simulate(pool, [5.0, 0.0], [0], [1], [0.2], 3, replicates=4, seed=1)
        cluster.simulate(pool, [5.0, 0.0], [0], [1], [0.2], 3, replicates=4, seed=1, threads=2)
    assert seen == [1] * 4 + [2] * 4


def test_a_full_result_too_large_for_the_driver_is_refused_before_any_work():
    submitted = []

    class Recording(ThreadPoolExecutor):
        def submit(self, *args, **kwargs):
            submitted.append(1)
            return super().submit(*args, **kwargs)

    with Recording(2) as pool, pytest.raises(MemoryError, match="occupancy.*pass reduce="):
        cluster.simulate(pool, np.ones(160), np.zeros(10, dtype=int), np.ones(10, dtype=int),
                         np.full(10, 0.1), 120, replicates=10**9, seed=1, chunks=2)
    assert submitted == []


def test_an_executor_with_its_own_futures_is_read_in_order():
    class Done:
        def __init__(self, value):
            self.value = value

        def result(self):
            return self.value

    class Inline:  # submit runs at once and returns a future-like object, not a Future
        def submit(self, fn, *args, **kwargs):
            return Done(fn(*args, **kwargs))

    x0, src, dst, values, inflow = _bigger_model(9)
    one = carecast.simulate(x0, src, dst, values, 4, inflow=inflow, replicates=9, seed=8)
    split = cluster.simulate(Inline(), x0, src, dst, values, 4, inflow=inflow, replicates=9,
                             seed=8, chunks=4)
    assert cluster.executor_slots(Inline()) == 1
    for name in ("occupancy", "moved", "inflow"):
        assert np.array_equal(getattr(split, name), getattr(one, name))


@pytest.mark.parametrize("chunks", [1, 5])
def test_batch_reductions_equal_those_of_one_local_batch(chunks):
    x0, src, dst, values, inflow = _bigger_model()
    whole = carecast.project_batch(x0, src, dst, values, 12, dt=1 / 12, inflow=inflow,
                                   replicates=40)
    with ProcessPoolExecutor(2) as pool:
        for reducer in (cluster.Mean(GROUPS), cluster.Quantiles([0.25, 0.75], GROUPS),
                        cluster.Final([0, 5])):
            got = cluster.project_batch_on(pool, x0, src, dst, values, 12, dt=1 / 12,
                                           inflow=inflow, replicates=40, chunks=chunks,
                                           reduce=reducer)
            local = reducer(whole)
            finish = getattr(reducer, "finish", None)
            assert np.array_equal(got, finish(local) if finish else local), reducer
    # The mean of the exits' aggregate against an independent sum.
    mean = cluster.Mean(GROUPS).finish(cluster.Mean(GROUPS)(whole))
    np.testing.assert_allclose(mean[:, 2], whole.occupancy[:, :, 5].sum(axis=0) / 40,
                               rtol=1e-14)
