"""Reduced batch outputs (``outputs=`` / ``flow_outputs=`` of project_batch and
simulate): computed in C as the replicates run, equal to the same sums over the
full output of the same call.

The oracle is an independent NumPy loop in the documented order (start at 0,
add ``weight * x`` term by term); NumPy's element-wise multiply and add round
each operation as the C kernel does, so the comparison is exact.  ``W @
occupancy`` (BLAS, another order) is compared to 1e-12.
"""
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import carecast
from carecast import _core

S, F, STEPS, R = 9, 20, 12, 37


def _model(seed=5):
    rng = np.random.default_rng(seed)
    src = rng.integers(0, S - 1, F)          # the last state absorbs
    dst = rng.integers(0, S, F)
    advance = np.full(S, -1)
    advance[2] = 3
    value = rng.uniform(0, 1.5, (R, STEPS, F))
    inflow = rng.uniform(0, 4, (R, STEPS, S))
    x0 = rng.integers(0, 300, (R, S)).astype(float)
    return dict(x0=x0, src=src, dst=dst, value=value, steps=STEPS, inflow=inflow,
                advance=advance, dt=0.25)


def _dense_weights(rows, width, seed=8):
    rng = np.random.default_rng(seed)
    w = rng.normal(size=(rows, width)) * (rng.uniform(size=(rows, width)) < 0.5)
    w[0] = 1.0                 # everyone
    w[1] = 0.0                 # an empty output
    w[-1, 1] = 0.1             # not representable in binary
    return w


def _oracle_dense(w, full):
    """acc = 0; for each element in order: acc += w[k, e] * full[..., e]."""
    out = np.empty(full.shape[:-1] + (w.shape[0],))
    for k in range(w.shape[0]):
        acc = np.zeros(full.shape[:-1])
        for e in range(w.shape[1]):
            acc = acc + w[k, e] * full[..., e]
        out[..., k] = acc
    return out


def _oracle_pairs(pairs, full):
    out = np.empty(full.shape[:-1] + (len(pairs),))
    for k, (idx, wts) in enumerate(pairs):
        wts = np.broadcast_to(np.asarray(wts, dtype=float), np.shape(idx))
        acc = np.zeros(full.shape[:-1])
        for i, wt in zip(idx, wts):
            acc = acc + wt * full[..., i]
        out[..., k] = acc
    return out


def test_deterministic_dense_equals_full_path_bit_for_bit():
    m = _model()
    w = _dense_weights(5, S)
    v = _dense_weights(3, F, seed=9)
    full = carecast.project_batch(**m, replicates=R, threads=1)
    red = carecast.project_batch(**m, replicates=R, threads=1, outputs=w, flow_outputs=v)
    assert isinstance(red, carecast.BatchOutputs)
    assert red.occupancy is None and red.moved is None and red.inflow is None
    assert red.outputs.shape == (R, STEPS + 1, 5)
    assert red.flow_outputs.shape == (R, STEPS, 3)
    assert red.steps == STEPS and red.seed is None
    np.testing.assert_array_equal(red.outputs, _oracle_dense(w, full.occupancy))
    np.testing.assert_array_equal(red.flow_outputs, _oracle_dense(v, full.moved))
    # BLAS order: to rounding
    np.testing.assert_allclose(red.outputs, full.occupancy @ w.T, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(red.flow_outputs, full.moved @ v.T, rtol=1e-12, atol=1e-9)
    # conservation: output 0 is everybody
    people = m["x0"].sum(axis=1)[:, None] + np.concatenate(
        [np.zeros((R, 1)), np.cumsum(m["inflow"].sum(axis=2), axis=1)], axis=1)
    np.testing.assert_allclose(red.outputs[:, :, 0], people, rtol=1e-12)
    assert (red.outputs[:, :, 1] == 0).all()


def test_pairs_in_the_order_given_with_repeats_and_scalar_weights():
    m = _model(6)
    pairs = [([0, 1, 2], 1.0), ([8, 3, 3, 0], [0.1, -2.5, 0.7, 3.0]), (np.array([5]), [1e-3]),
             ([], [])]
    full = carecast.project_batch(**m, replicates=R, threads=2)
    red = carecast.project_batch(**m, replicates=R, threads=2, outputs=pairs,
                                 flow_outputs=[(list(range(F)), 1.0)])
    np.testing.assert_array_equal(red.outputs, _oracle_pairs(pairs, full.occupancy))
    np.testing.assert_array_equal(red.flow_outputs[..., 0],
                                  _oracle_pairs([(list(range(F)), 1.0)], full.moved)[..., 0])
    assert (red.outputs[..., 3] == 0).all()


def test_flow_outputs_alone():
    m = _model(7)
    red = carecast.project_batch(**m, replicates=R, flow_outputs=[([0, 4], 1.0)])
    assert red.outputs is None and red.flow_outputs.shape == (R, STEPS, 1)
    full = carecast.project_batch(**m, replicates=R)
    np.testing.assert_array_equal(red.flow_outputs[..., 0],
                                  full.moved[..., 0] + full.moved[..., 4])
    assert red.steps == STEPS


@pytest.mark.parametrize("seed", [None, 123])
def test_bit_identical_across_thread_counts(seed):
    m = _model(10)
    w = _dense_weights(4, S, seed=3)
    v = _dense_weights(3, F, seed=4)
    run = carecast.project_batch if seed is None else carecast.simulate
    extra = {} if seed is None else {"seed": seed}
    if seed is not None:
        m["inflow"] = m["inflow"][0]       # shared inflow: the shortcut path
    results = [run(**m, replicates=R, threads=t, outputs=w, flow_outputs=v, **extra)
               for t in (1, 2, 3, 5)]
    for r in results[1:]:
        assert r.outputs.tobytes() == results[0].outputs.tobytes()
        assert r.flow_outputs.tobytes() == results[0].flow_outputs.tobytes()


def test_stochastic_equals_reduction_of_full_simulate():
    m = _model(11)
    w = _dense_weights(5, S, seed=12)
    v = _dense_weights(2, F, seed=13)
    full = carecast.simulate(**m, replicates=R, seed=2026, threads=2)
    red = carecast.simulate(**m, replicates=R, seed=2026, threads=2, outputs=w, flow_outputs=v)
    assert red.seed == 2026 and red.occupancy is None
    np.testing.assert_array_equal(red.outputs, _oracle_dense(w, full.occupancy))
    np.testing.assert_array_equal(red.flow_outputs, _oracle_dense(v, full.moved))
    # whole people: the count of everybody is a whole number
    assert (red.outputs[..., 0] == np.floor(red.outputs[..., 0])).all()
    # a range of the same run: replicates 10..19
    part = dict(m, x0=m["x0"][10:20], value=m["value"][10:20], inflow=m["inflow"][10:20])
    rng_part = carecast.simulate(**part, replicates=10, seed=2026, first_replicate=10,
                                 outputs=w)
    np.testing.assert_array_equal(rng_part.outputs, red.outputs[10:20])


def test_shared_constant_values_and_layouts():
    """Shared (F,) values, float32 and Fortran-order weights, a list of lists."""
    m = _model(14)
    m["value"] = m["value"][0, 0]
    w = np.asfortranarray(_dense_weights(3, S, seed=1).astype(np.float32))
    full = carecast.project_batch(**m, replicates=R)
    red = carecast.project_batch(**m, replicates=R, outputs=w)
    np.testing.assert_array_equal(red.outputs, _oracle_dense(w.astype(float), full.occupancy))
    red2 = carecast.project_batch(**m, replicates=R, outputs=w.astype(float).tolist())
    np.testing.assert_array_equal(red2.outputs, red.outputs)


def test_inputs_not_modified():
    m = _model(15)
    w = _dense_weights(3, S)
    before = w.copy()
    pairs = [(np.array([1, 2]), np.array([0.5, 0.25]))]
    carecast.project_batch(**m, replicates=R, outputs=w)
    carecast.simulate(**m, replicates=R, seed=1, outputs=pairs)
    np.testing.assert_array_equal(w, before)
    np.testing.assert_array_equal(pairs[0][0], [1, 2])
    np.testing.assert_array_equal(pairs[0][1], [0.5, 0.25])


def test_zero_replicates_and_zero_steps():
    x0 = np.array([5.0, 0.0])
    red = carecast.project_batch(x0, [0], [1], [0.5], 0, replicates=3, outputs=[([0, 1], 1.0)],
                                 flow_outputs=[([0], 1.0)])
    assert red.outputs.shape == (3, 1, 1) and red.flow_outputs.shape == (3, 0, 1)
    assert (red.outputs == 5.0).all()
    red = carecast.project_batch(x0, [0], [1], [0.5], 4, replicates=0, outputs=[([0], 1.0)])
    assert red.outputs.shape == (0, 5, 1)


def test_hand_computed():
    # 0 -> 1 with probability 1/2 a step from (8, 0): x = (8,0), (4,4), (2,6)
    red = carecast.project_batch([8.0, 0.0], [0], [1], [0.5], 2, replicates=1, kind="prob",
                                 outputs=[([1], 2.0), ([0, 1], [-0.5, 1.0])],
                                 flow_outputs=[([0], 3.0)])
    np.testing.assert_array_equal(red.outputs[0], [[0.0, -4.0], [8.0, 2.0], [12.0, 5.0]])
    np.testing.assert_array_equal(red.flow_outputs[0, :, 0], [12.0, 6.0])


# ---- errors -------------------------------------------------------------

def _small():
    return dict(x0=[10.0, 0.0, 0.0], src=[0, 1], dst=[1, 2], value=[0.3, 0.2], steps=3,
                replicates=2)


def test_error_dense_wrong_shape():
    with pytest.raises(ValueError, match=r"outputs has shape \(2, 4\); expected \(K, S\)"):
        carecast.project_batch(**_small(), outputs=np.ones((2, 4)))
    with pytest.raises(ValueError, match=r"flow_outputs has shape \(3,\)"):
        carecast.project_batch(**_small(), flow_outputs=np.ones(3))


def test_error_dense_not_finite():
    w = np.ones((2, 3))
    w[1, 2] = np.nan
    with pytest.raises(ValueError, match=r"outputs\[1, 2\] = nan is not finite"):
        carecast.project_batch(**_small(), outputs=w)


def test_error_dense_wrong_dtype():
    with pytest.raises(TypeError, match="outputs must be real weights"):
        carecast.project_batch(**_small(), outputs=np.ones((2, 3), dtype=bool))


def test_error_index_out_of_range():
    with pytest.raises(ValueError, match=r"outputs index\[2\] = 3 is not a state index \(0 .. 2\)"):
        carecast.project_batch(**_small(), outputs=[([0, 1], 1.0), ([3], 1.0)])
    with pytest.raises(ValueError,
                       match=r"flow_outputs index\[0\] = -1 is not a flow index \(0 .. 1\)"):
        carecast.simulate(**_small(), seed=1, flow_outputs=[([-1], 1.0)])


def test_error_pair_weight_not_finite_or_bad():
    with pytest.raises(ValueError, match=r"outputs weight\[1\] = inf is not finite"):
        carecast.project_batch(**_small(), outputs=[([0, 1], [1.0, np.inf])])
    with pytest.raises(ValueError, match=r"outputs\[0\]: 2 indices but weights of shape \(3,\)"):
        carecast.project_batch(**_small(), outputs=[([0, 1], [1.0, 2.0, 3.0])])
    with pytest.raises(TypeError, match=r"outputs\[0\] weights must be real numbers"):
        carecast.project_batch(**_small(), outputs=[([0, 1], True)])
    with pytest.raises(TypeError, match=r"outputs\[0\] indices must be a 1-D array of integer"):
        carecast.project_batch(**_small(), outputs=[([0.0, 1.0], 1.0)])
    with pytest.raises(TypeError, match=r"outputs\[1\] must be a pair"):
        carecast.project_batch(**_small(), outputs=[([0], 1.0), ([0], 1.0, 2.0)])


def test_error_weights_times_people_overflow():
    small = _small()
    small["x0"] = [1e300, 0.0, 0.0]
    with pytest.raises(ValueError, match="outputs: the weights of one output sum .* scale the"):
        carecast.project_batch(**small, outputs=[([0], 1e10)])
    with pytest.raises(ValueError, match="flow_outputs: the weights"):
        carecast.project_batch(**small, flow_outputs=[([0], -1e10)])
    # the same people with unit weights are fine
    red = carecast.project_batch(**small, outputs=[([0, 1, 2], 1.0)])
    np.testing.assert_allclose(red.outputs[..., 0], 1e300, rtol=1e-12)


def test_error_data_still_named():
    small = _small()
    small["value"] = [0.3, -0.2]
    with pytest.raises(ValueError, match=r"value\[1\] = -0.2 is negative"):
        carecast.project_batch(**small, outputs=[([0], 1.0)])
    small = _small()
    small["x0"] = [10.5, 0.0, 0.0]
    with pytest.raises(ValueError, match="not a whole number"):
        carecast.simulate(**small, seed=1, outputs=[([0], 1.0)])


def test_error_memory_checked_before_allocating():
    with pytest.raises(MemoryError, match=r"outputs \(replicates x \(steps \+ 1\) x K\)"):
        carecast.project_batch([1.0, 0.0], [0], [1], [0.1], 100, replicates=10**12,
                               outputs=np.ones((50, 2)))


def test_binding_csr_errors():
    args = (np.array([1.0, 0.0]), np.array([0]), np.array([1]), np.array([0.1]), 2, 1.0,
            "rate", 1)
    with pytest.raises(ValueError, match=r"outputs ptr\[0\] = 1: ptr must start at 0"):
        _core.project_batch(*args, outputs=([1, 1], [0], [1.0]))
    with pytest.raises(ValueError, match=r"outputs ptr\[2\] = 0: ptr must start at 0 and never"):
        _core.project_batch(*args, outputs=([0, 1, 0], [0], [1.0]))
    with pytest.raises(ValueError, match=r"outputs ptr\[-1\] = 5 but index and weight have 1"):
        _core.project_batch(*args, outputs=([0, 5], [0], [1.0]))
    with pytest.raises(ValueError, match="flow_outputs index and weight must have the same"):
        _core.simulate(*args, 1, flow_outputs=([0, 1], [0], [1.0, 2.0]))
    with pytest.raises(TypeError, match=r"outputs must be a tuple \(ptr, index, weight\)"):
        _core.project_batch(*args, outputs=[[0, 1], [0], [1.0]])
    with pytest.raises(ValueError, match="outputs ptr must have K"):
        _core.project_batch(*args, outputs=(np.zeros(0, np.int64), [0], [1.0]))
    occ, flows = _core.project_batch(*args, outputs=([0, 1], [0], [2.0]))
    assert flows is None
    np.testing.assert_allclose(occ[0, :, 0], 2.0 * np.exp(-0.1 * np.arange(3)), rtol=1e-15)


# ---- Ctrl-C (the binding's interruptible batch_call, as tests/test_interrupt.py) ----

_CHILD = """
import sys
import numpy as np
import carecast
rng = np.random.default_rng(1)
S, F = 4, 50000
src, dst = rng.integers(0, S, F), rng.integers(0, S, F)
x0 = np.full(S, 1e7)
value = rng.uniform(0.0, 1e-4, F)
print("started", flush=True)
if sys.argv[1] == "batch":
    carecast.project_batch(x0, src, dst, np.tile(value, (64, 1)), 20000, replicates=64,
                           threads=2, outputs=[([0, 1], 1.0)], flow_outputs=[([0], 1.0)])
else:
    carecast.simulate(x0, src, dst, value, 20000, replicates=4, seed=3, threads=2,
                      outputs=[([0, 1], 1.0)], flow_outputs=[([0], 1.0)])
print("finished", flush=True)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child is POSIX-only")
@pytest.mark.parametrize("kind", ["batch", "simulate"])
def test_sigint_stops_a_reduced_batch(kind):
    child = subprocess.Popen([sys.executable, "-c", _CHILD, kind], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "started"
        time.sleep(1.0)
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=20.0)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        pytest.fail(f"{kind}: still running 20 s after SIGINT")
    assert "finished" not in out
    assert child.returncode != 0 and "KeyboardInterrupt" in err


@pytest.mark.parametrize("outputs_per_flow", [1, 4, 5])
def test_rising_flow_outputs_summed_as_flows_apply_give_the_same_bits(outputs_per_flow):
    """Flow outputs that take their flows in rising order, with up to four per flow, are summed
    as each flow is applied (the fused path); five per flow or another order use the gather path.
    Both give the bits of the documented loop over the full moved."""
    m = _model(seed=11)
    rng = np.random.default_rng(outputs_per_flow)
    L = 7
    keys = np.stack([rng.permutation(L)[:outputs_per_flow] for _ in range(F)])   # (F, outputs_per_flow)
    weights = rng.normal(size=keys.shape)
    pairs = []
    for k in range(L):
        f, j = np.nonzero(keys == k)
        pairs.append((f, weights[f, j]))                   # rising flows within each output
    reduction = carecast.Reduction(np.cumsum([0] + [len(p[0]) for p in pairs]),
                                   np.concatenate([p[0] for p in pairs]), np.concatenate([p[1] for p in pairs]))
    full = carecast.project_batch(**m, replicates=R, threads=2)
    oracle = _oracle_pairs(pairs, full.moved)
    for spec in (pairs, reduction):
        red = carecast.project_batch(**m, replicates=R, threads=2, flow_outputs=spec)
        np.testing.assert_array_equal(red.flow_outputs, oracle)
    # the same outputs with one output's flows in falling order: the gather path, the same sums
    # in that order
    backwards = [(idx[::-1], w[::-1]) if k == 0 else (idx, w) for k, (idx, w) in enumerate(pairs)]
    red = carecast.project_batch(**m, replicates=R, threads=2, flow_outputs=backwards)
    np.testing.assert_array_equal(red.flow_outputs, _oracle_pairs(backwards, full.moved))


def test_reduction_from_keys_and_checks():
    r = carecast.Reduction.from_keys([2, -1, 0, 2], 3, weights=[1.0, 5.0, 2.0, 3.0])
    assert r.ptr.tolist() == [0, 1, 1, 3] and r.index.tolist() == [2, 0, 3] and r.weight.tolist() == [2.0, 1.0, 3.0]
    assert not r.index.flags.writeable
    with pytest.raises(ValueError, match="keys must be -1 or in 0..2"):
        carecast.Reduction.from_keys([3], 3)
    with pytest.raises(ValueError, match="Reduction needs ptr"):
        carecast.Reduction([0, 2], [0], [1.0])
    m = _small()
    with pytest.raises(ValueError, match="flow_outputs refers to F index 5"):
        carecast.project_batch(**m, flow_outputs=carecast.Reduction([0, 1], [5], [1.0]))
