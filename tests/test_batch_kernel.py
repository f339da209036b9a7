"""The blocked batch kernel (replicates innermost, blocks of 16): every
replicate of project_batch has the bits of carecast.project on that
replicate alone (the scalar kernel, an independent route through the C
library), whatever the thread count, the number of replicates (full and
partial blocks) and the way a run is cut into calls."""
import numpy as np
import pytest

import carecast


def _model(rng, S=9, F=30, kind="rate"):
    src = rng.integers(0, S - 1, F)  # the last state absorbs
    dst = rng.integers(0, S, F)      # self-loops allowed
    if kind == "rate":
        value = rng.uniform(0, 2.0, F)
        value[0] = 1e9               # everyone leaves src[0]: the stayers are exactly 0
    else:
        value = rng.uniform(0, 1, F)
        sums = np.bincount(src, value, minlength=S)
        value = value / np.maximum(sums[src], 1.0)
        value[src == src[0]] /= value[src == src[0]].sum()  # sums to 1 (to rounding)
    return src, dst, value


def _per_replicate(R, steps, value, rng, varying):
    draws = value * rng.lognormal(0, 0.3, (R, len(value)))
    if varying:
        draws = draws[:, None, :] * rng.uniform(0.5, 1.5, (R, steps, len(value)))
    return draws


@pytest.mark.parametrize("kind", ["rate", "prob"])
@pytest.mark.parametrize("R", [1, 15, 16, 17, 37])
def test_every_replicate_has_the_bits_of_project(kind, R):
    rng = np.random.default_rng(R + (100 if kind == "prob" else 0))
    S, steps = 9, 7
    src, dst, value = _model(rng, S, kind=kind)
    if kind == "prob":
        values = np.tile(value, (R, 1))
        if R > 1:
            values[1:] *= rng.uniform(0.5, 1.0, (R - 1, len(value)))
    else:
        values = _per_replicate(R, steps, value, rng, varying=R % 2 == 1)
    x0 = rng.uniform(0, 100, (R, S))
    x0[0, 2] = 0.0
    inflows = [None, rng.uniform(0, 5, S), rng.uniform(0, 5, (R, steps, S))]
    advance = np.full(S, -1)
    advance[1], advance[4] = 2, 0
    dt = 1.0 if kind == "prob" else 0.25
    for inflow in inflows:
        for adv in (None, advance):
            expected = []
            for r in range(R):
                own_inflow = inflow if inflow is None or inflow.ndim == 1 else inflow[r]
                expected.append(carecast.project(x0[r], src, dst, values[r], steps, dt=dt,
                                                 kind=kind, inflow=own_inflow, advance=adv))
            for threads in (1, 2, 3):
                got = carecast.project_batch(x0, src, dst, values, steps, replicates=R, dt=dt,
                                             kind=kind, inflow=inflow, advance=adv,
                                             threads=threads)
                for r in range(R):
                    assert np.array_equal(got.occupancy[r], expected[r].occupancy), (threads, r)
                    assert np.array_equal(got.moved[r], expected[r].moved), (threads, r)
                    assert np.array_equal(got.inflow[r], expected[r].inflow), (threads, r)


def test_a_run_cut_into_calls_has_the_bits_of_one_call():
    rng = np.random.default_rng(7)
    S, steps, R = 12, 20, 100
    src, dst, value = _model(rng, S, F=60)
    values = _per_replicate(R, steps, value, rng, varying=True)
    x0 = rng.uniform(0, 50, S)
    inflow = rng.uniform(0, 2, (R, steps, S))
    whole = carecast.project_batch(x0, src, dst, values, steps, replicates=R, inflow=inflow,
                                   threads=2, keep_moved=False).occupancy
    for cuts in ([0, 1, 17, 33, 64, 100], [0, 50, 100], [0, 99, 100]):
        parts = [carecast.project_batch(x0, src, dst, values[a:b], steps, replicates=b - a,
                                        inflow=inflow[a:b], threads=1 + i % 2,
                                        keep_moved=False).occupancy
                 for i, (a, b) in enumerate(zip(cuts[:-1], cuts[1:]))]
        assert np.array_equal(np.concatenate(parts), whole), cuts


def test_inputs_are_not_modified_and_zero_steps_or_replicates_work():
    rng = np.random.default_rng(3)
    src, dst, value = _model(rng)
    values = _per_replicate(20, 3, value, rng, varying=False)
    x0 = rng.uniform(0, 9, 9)
    kept = values.copy(), x0.copy()
    carecast.project_batch(x0, src, dst, values, 3, replicates=20, threads=2)
    assert np.array_equal(values, kept[0]) and np.array_equal(x0, kept[1])
    none = carecast.project_batch(x0, src, dst, values[:0], 3, replicates=0)
    assert none.occupancy.shape == (0, 4, 9)
    zero = carecast.project_batch(x0, src, dst, values, 0, replicates=20, threads=2)
    assert np.array_equal(zero.occupancy[:, 0], np.tile(x0, (20, 1)))
