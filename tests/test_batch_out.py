"""carecast._core.project_batch(..., out=(occupancy, moved, arrivals)): caller-given
output arrays written in place (so that a loop of batches of one size pays for
fresh pages once).  The binding's own argument: the public carecast.project_batch
does not take it (see the decision in pyext/coremodule.c, take_out).

Expected values come from carecast.project run replicate by replicate (the bits
must be identical) and from the inputs themselves (arrivals are the inflow).
"""
from __future__ import annotations

import os
import sys

import numpy as np
import pytest

import carecast
from carecast import _core

S, F, STEPS, R = 6, 9, 7, 21  # R not a multiple of the kernel's 16 lanes


@pytest.fixture(scope="module")
def model():
    rng = np.random.default_rng(11)
    src = rng.integers(0, S - 1, size=F)
    dst = (src + 1 + rng.integers(0, S - 1, size=F)) % S
    value = rng.uniform(0.05, 0.8, size=(R, F))
    x0 = rng.uniform(0.0, 50.0, size=S)
    inflow = rng.uniform(0.0, 3.0, size=(STEPS, S))
    return dict(x0=x0, src=src.astype(np.int64), dst=dst.astype(np.int64), value=value,
                inflow=inflow)


def batch(m, out, *, inflow=True, keep_moved=False, threads=2, value=None):
    return _core.project_batch(m["x0"], m["src"], m["dst"], m["value"] if value is None else value,
                               STEPS, 0.25, "rate", R, inflow=m["inflow"] if inflow else None,
                               threads=threads, value_per_replicate=True, keep_moved=keep_moved,
                               out=out)


def nan_filled(*shape):
    a = np.empty(shape)
    a.fill(np.nan)
    return a


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_out_is_written_in_place_with_the_bits_of_project(model, threads):
    occ, arr = nan_filled(R, STEPS + 1, S), nan_filled(R, STEPS, S)
    got = batch(model, (occ, None, arr), threads=threads)
    assert got[0] is occ and got[1] is None and got[2] is arr
    for r in range(R):
        one = carecast.project(model["x0"], model["src"], model["dst"], model["value"][r], STEPS,
                               dt=0.25, inflow=model["inflow"])
        assert np.array_equal(occ[r], one.occupancy), r
        assert np.array_equal(arr[r], model["inflow"]), r


def test_a_reused_out_is_overwritten_completely(model):
    occ, arr = nan_filled(R, STEPS + 1, S), nan_filled(R, STEPS, S)
    batch(model, (occ, None, arr))
    first = occ.copy()
    occ.fill(-1.0)
    arr.fill(-1.0)
    batch(model, (occ, None, arr))
    assert np.array_equal(occ, first)
    assert np.array_equal(arr, np.broadcast_to(model["inflow"], arr.shape))
    fresh = batch(model, None)
    assert np.array_equal(fresh[0], occ) and np.array_equal(fresh[2], arr)


def test_moved_out_and_arrivals_without_inflow(model):
    occ, moved, arr = nan_filled(R, STEPS + 1, S), nan_filled(R, STEPS, F), nan_filled(R, STEPS, S)
    got = batch(model, (occ, moved, arr), inflow=False, keep_moved=True)
    assert got[1] is moved
    assert np.array_equal(arr, np.zeros_like(arr))  # no inflow: arrivals are zeros, not left as NaN
    fresh = batch(model, None, inflow=False, keep_moved=True)
    assert np.array_equal(fresh[0], occ) and np.array_equal(fresh[1], moved)
    # conservation: without inflow every replicate keeps its people at every step
    assert np.allclose(occ.sum(axis=2), model["x0"].sum(), rtol=1e-12)


def test_arrivals_none_stores_none(model):
    occ = nan_filled(R, STEPS + 1, S)
    got = batch(model, (occ, None, None))
    assert got[2] is None
    assert np.array_equal(occ, batch(model, None)[0])


def test_out_arrays_are_not_leaked(model):
    occ, arr = np.empty((R, STEPS + 1, S)), np.empty((R, STEPS, S))
    before = sys.getrefcount(occ), sys.getrefcount(arr)
    for _ in range(5):
        res = batch(model, (occ, None, arr))
        del res
        with pytest.raises(ValueError):
            batch(model, (occ, None, arr[:, :-1]))
    assert (sys.getrefcount(occ), sys.getrefcount(arr)) == before


def test_bad_out_is_refused_naming_the_array(model):
    occ, arr = np.empty((R, STEPS + 1, S)), np.empty((R, STEPS, S))
    cases = [
        ((occ, None), TypeError, r"out must be a tuple \(occupancy, moved, arrivals\)"),
        ([occ, None, arr], TypeError, r"out must be a tuple"),
        ((occ.tolist(), None, arr), TypeError, r"out\[0\] \(occupancy\) must be a NumPy array"),
        ((occ.astype(np.float32), None, arr), TypeError, r"out\[0\] \(occupancy\).*float64"),
        ((occ.astype(">f8"), None, arr), TypeError, r"out\[0\] \(occupancy\).*native byte order"),
        ((occ[:, :-1], None, arr), ValueError,
         r"out\[0\] \(occupancy\) must have shape \(replicates, steps \+ 1, S\) = \(21, 8, 6\)"),
        ((occ, None, arr[:-1]), ValueError, r"out\[2\] \(arrivals\) must have shape"),
        ((occ, None, np.empty((R, S, STEPS)).transpose(0, 2, 1)), ValueError,
         r"out\[2\] \(arrivals\) must be C-contiguous"),
        ((occ, np.empty((R, STEPS, F)), arr), ValueError,
         r"out\[1\] \(moved\) must be None with keep_moved=False"),
    ]
    readonly = occ.copy()
    readonly.flags.writeable = False
    cases.append(((readonly, None, arr), ValueError, r"out\[0\] \(occupancy\) is read-only"))
    for out, error, message in cases:
        with pytest.raises(error, match=message):
            batch(model, out)
    with pytest.raises(ValueError, match=r"out\[1\] \(moved\) is None but keep_moved is true"):
        batch(model, (occ, None, arr), keep_moved=True)
    with pytest.raises(ValueError, match=r"out cannot be combined with outputs"):
        _core.project_batch(model["x0"], model["src"], model["dst"], model["value"], STEPS, 0.25,
                            "rate", R, value_per_replicate=True,
                            outputs=(np.array([0, 1]), np.array([0]), np.array([1.0])),
                            out=(occ, None, arr))


def test_out_sharing_memory_is_refused(model):
    # one buffer for both outputs, and an output over an input: the kernel would
    # overwrite what it reads, so both are refused before it runs
    whole = np.empty(R * (STEPS + 1) * S + R * STEPS * S)
    occ = whole[:R * (STEPS + 1) * S].reshape(R, STEPS + 1, S)
    arr = whole[R * (STEPS + 1) * S - 1:-1].reshape(R, STEPS, S)  # overlaps occ by one number
    with pytest.raises(ValueError, match=r"out\[0\] \(occupancy\) and out\[2\] \(arrivals\) "
                                         r"share memory"):
        batch(model, (occ, None, arr))
    occ2, arr2 = np.empty((R, STEPS + 1, S)), np.empty((R, STEPS, S))
    value_inside = occ2.reshape(-1)[:R * F].reshape(R, F)  # the values stored in occupancy
    value_inside[:] = model["value"]
    with pytest.raises(ValueError, match=r"out\[0\] \(occupancy\) shares memory with the input "
                                         r"value"):
        batch(model, (occ2, None, arr2), value=value_inside)
    x0_inside = arr2[0, 0]  # a contiguous float64 view, passed as is to the kernel
    x0_inside[:] = model["x0"]
    with pytest.raises(ValueError, match=r"out\[2\] \(arrivals\) shares memory with the input "
                                         r"x0"):
        _core.project_batch(x0_inside, model["src"], model["dst"], model["value"], STEPS, 0.25,
                            "rate", R, inflow=model["inflow"], value_per_replicate=True,
                            keep_moved=False, out=(occ2, None, arr2))


# --- arrivals of an inflow every replicate shares: one read-only copy -------------

@pytest.mark.parametrize("constant", [True, False])
def test_shared_inflow_arrivals_are_one_read_only_copy(model, constant):
    inflow = model["inflow"][0].copy() if constant else model["inflow"].copy()
    res = carecast.project_batch(model["x0"], model["src"], model["dst"], model["value"], STEPS,
                                 replicates=R, dt=0.25, inflow=inflow, threads=2,
                                 keep_moved=False)
    arrivals = res.inflow
    assert arrivals.shape == (R, STEPS, S) and arrivals.dtype == np.float64
    assert np.array_equal(arrivals, np.broadcast_to(inflow, (R, STEPS, S)))
    assert arrivals.strides[0] == 0  # stored once, not R times
    assert not arrivals.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        arrivals[0, 0, 0] = 1.0
    assert not np.shares_memory(arrivals, inflow)  # a private copy ...
    given = inflow.copy()
    inflow += 1.0  # ... so the caller changing its array later changes nothing
    assert np.array_equal(arrivals, np.broadcast_to(given, (R, STEPS, S)))
    # an ordinary array for every read: a copy is writeable and contiguous
    full = arrivals.copy()
    assert full.flags.writeable and full.flags.c_contiguous
    assert np.array_equal(full[R - 1], arrivals[R - 1])
    # the occupancy is unaffected: bits of project
    one = carecast.project(model["x0"], model["src"], model["dst"], model["value"][3], STEPS,
                           dt=0.25, inflow=given)
    assert np.array_equal(res.occupancy[3], one.occupancy)


def test_per_replicate_inflow_arrivals_are_stored_in_full(model):
    inflow = np.stack([model["inflow"] * (1 + r / R) for r in range(R)])
    res = carecast.project_batch(model["x0"], model["src"], model["dst"], model["value"], STEPS,
                                 replicates=R, dt=0.25, inflow=inflow, threads=2,
                                 keep_moved=False)
    assert res.inflow.flags.writeable and res.inflow.flags.c_contiguous
    assert np.array_equal(res.inflow, inflow)
    assert not np.shares_memory(res.inflow, inflow)


def test_shared_arrivals_are_freed_with_the_result(model):
    # the view holds the only reference to its copy: no growth over many calls
    import tracemalloc
    def once():
        res = _core.project_batch(model["x0"], model["src"], model["dst"], model["value"], STEPS,
                                  0.25, "rate", R, inflow=model["inflow"],
                                  value_per_replicate=True, keep_moved=False)
        base = res[2].base
        assert base is not None
        del res
        assert sys.getrefcount(base) == 2  # this name and the call's argument: nothing else
    for _ in range(50):
        once()
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        for _ in range(2000):  # a leak of 32 bytes a call would show
            once()
        grown = tracemalloc.get_traced_memory()[0] - start
    finally:
        tracemalloc.stop()
    assert grown < 64 * 1024, grown


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc (Linux)")
def test_large_outputs_are_returned_to_the_system_when_freed():
    # outputs beyond the buffer cache (> 64 MiB) come from the system's pages and go back to it
    # when the result is freed: the resident size falls back each time
    rng = np.random.default_rng(5)
    n_states, n_flows, steps, reps = 40, 60, 130, 2000  # occupancy 2000 x 131 x 40 doubles = 84 MB
    src = rng.integers(0, n_states - 1, n_flows)
    dst = (src + 1) % n_states
    value = rng.uniform(0.05, 0.5, size=(reps, n_flows))
    x0 = rng.uniform(0.0, 10.0, n_states)
    occupancy_bytes = reps * (steps + 1) * n_states * 8
    start = rss_bytes()
    for _ in range(3):
        res = carecast.project_batch(x0, src, dst, value, steps, replicates=reps, dt=0.1,
                                     inflow=np.ones(n_states), threads=2, keep_moved=False)
        assert rss_bytes() - start > 0.8 * occupancy_bytes  # the occupancy is really there
        assert res.inflow.strides[0] == 0
        del res
        assert rss_bytes() - start < 0.2 * occupancy_bytes, "the outputs were not freed"
