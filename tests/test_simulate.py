"""Stochastic simulation: the generator, its streams, the exactness of the
draws, and agreement in expectation with the deterministic projection.

Independent checks used here:
- the Philox4x64-10 blocks are compared with NumPy's own implementation
  (numpy.random.Philox, which returns the block of counter + 1 first);
- the expectation of the stochastic model is the deterministic projection
  (both are linear in the occupancy), so replicate means must agree with
  carecast.project within a few standard errors;
- binomial and Poisson draws are compared with their exact distributions
  (probabilities from math.lgamma) by a chi-square test.
"""
import math

import numpy as np
import pytest

import carecast
from carecast import _core


def test_philox_blocks_match_numpy():
    rng = np.random.default_rng(2024)
    for _ in range(200):
        counter = [int(c) for c in rng.integers(0, 2**64 - 2, 4, dtype=np.uint64)]
        key = [int(k) for k in rng.integers(0, 2**64 - 1, 2, dtype=np.uint64)]
        reference = np.random.Philox(counter=np.array(counter, dtype=np.uint64),
                                     key=np.array(key, dtype=np.uint64))
        expected = [int(x) for x in reference.random_raw(4)]
        ours = _core.philox4x64((counter[0] + 1, counter[1], counter[2], counter[3]), tuple(key))
        assert list(ours) == expected


def _model(rng, kind="rate"):
    S = int(rng.integers(2, 7))
    F = int(rng.integers(1, 10))
    src = rng.integers(0, S - 1, F)  # the last state absorbs
    dst = rng.integers(0, S, F)
    if kind == "rate":
        value = rng.uniform(0, 1.5, F)
    else:
        value = rng.uniform(0, 1, F)
        sums = np.bincount(src, value, minlength=S)
        value = value / np.maximum(sums[src], 1.0) * 0.9
    x0 = rng.integers(0, 400, S).astype(float)
    inflow = rng.uniform(0, 40, S)
    return x0, src, dst, value, inflow


@pytest.mark.parametrize("kind", ["rate", "prob"])
def test_mean_of_replicates_is_the_deterministic_projection(kind):
    rng = np.random.default_rng(11 if kind == "rate" else 12)
    R = 4000
    for trial in range(6):
        x0, src, dst, value, inflow = _model(rng, kind)
        advance = None
        if trial % 2:
            advance = np.full(len(x0), -1)
            advance[0] = 1  # everyone in state 0 moves on each step
        steps = 6
        det = carecast.project(x0, src, dst, value, steps, dt=0.5, kind=kind, inflow=inflow,
                               advance=advance)
        sim = carecast.simulate(x0, src, dst, value, steps, dt=0.5, kind=kind, inflow=inflow,
                                advance=advance, replicates=R, seed=trial)
        mean = sim.occupancy.mean(axis=0)
        se = sim.occupancy.std(axis=0, ddof=1) / math.sqrt(R)
        z = np.abs(mean - det.occupancy) / np.maximum(se, 1e-12)
        assert z.max() < 5.0, (trial, z.max())
        moved_se = sim.moved.std(axis=0, ddof=1) / math.sqrt(R)
        zm = np.abs(sim.moved.mean(axis=0) - det.moved) / np.maximum(moved_se, 1e-12)
        assert zm.max() < 5.0


def test_people_are_whole_and_conserved_in_every_step():
    rng = np.random.default_rng(5)
    x0, src, dst, value, inflow = _model(rng)
    sim = carecast.simulate(x0, src, dst, value, 12, dt=1 / 12, inflow=inflow, replicates=300,
                            seed=9)
    for arr in (sim.occupancy, sim.moved, sim.inflow):
        assert np.array_equal(arr, np.floor(arr)) and arr.min() >= 0
    totals = sim.occupancy.sum(axis=2)
    assert np.array_equal(totals[:, 1:], totals[:, :-1] + sim.inflow.sum(axis=2))
    # what leaves a state by its flows is what the flows carry
    out = np.zeros((300, 12, len(x0)))
    np.add.at(out, (slice(None), slice(None), src), sim.moved)
    assert (out <= sim.occupancy[:, :-1, :]).all()


def test_same_seed_same_bits_whatever_the_threads_or_replicates():
    rng = np.random.default_rng(6)
    x0, src, dst, value, inflow = _model(rng)
    args = (x0, src, dst, value, 10)
    base = carecast.simulate(*args, inflow=inflow, replicates=40, seed=123, threads=1)
    for threads in (2, 3, 8):
        again = carecast.simulate(*args, inflow=inflow, replicates=40, seed=123, threads=threads)
        assert np.array_equal(base.occupancy, again.occupancy)
        assert np.array_equal(base.moved, again.moved)
    prefix = carecast.simulate(*args, inflow=inflow, replicates=7, seed=123, threads=2)
    assert np.array_equal(prefix.occupancy, base.occupancy[:7])
    other = carecast.simulate(*args, inflow=inflow, replicates=40, seed=124, threads=1)
    assert not np.array_equal(other.occupancy, base.occupancy)
    assert base.seed == 123


def test_without_moved_the_draws_and_occupancy_are_the_same():
    rng = np.random.default_rng(10)
    x0, src, dst, value, inflow = _model(rng)
    full = carecast.simulate(x0, src, dst, value, 6, inflow=inflow, replicates=30, seed=4)
    lean = carecast.simulate(x0, src, dst, value, 6, inflow=inflow, replicates=30, seed=4,
                             keep_moved=False)
    assert lean.moved is None
    assert np.array_equal(full.occupancy, lean.occupancy)
    assert np.array_equal(full.inflow, lean.inflow)
    values = np.repeat(value[None, :], 3, axis=0) * [[1.0], [0.5], [2.0]]
    batch = carecast.project_batch(x0, src, dst, values, 6, replicates=3, keep_moved=False)
    assert batch.moved is None and batch.steps == 6
    for r in range(3):
        one = carecast.project(x0, src, dst, values[r], 6)
        assert np.array_equal(batch.occupancy[r], one.occupancy)


def test_a_fresh_seed_is_recorded_and_reproduces_the_run():
    sim = carecast.simulate([50, 0], [0], [1], [0.4], 5, replicates=20)
    again = carecast.simulate([50, 0], [0], [1], [0.4], 5, replicates=20, seed=sim.seed)
    assert np.array_equal(sim.occupancy, again.occupancy)


def test_per_replicate_parameters_use_each_replicates_own_stream():
    rng = np.random.default_rng(8)
    x0, src, dst, value, inflow = _model(rng)
    R, steps = 5, 4
    values = value[None, :] * rng.uniform(0.5, 1.5, (R, len(value)))
    inflows = inflow[None, :] * rng.uniform(0.5, 1.5, (R, len(inflow)))
    x0s = np.repeat(x0[None, :], R, axis=0) + np.arange(R)[:, None]
    batch = carecast.simulate(x0s, src, dst, values, steps, inflow=inflows, replicates=R, seed=77)
    for r in range(R):
        one = carecast.simulate(x0s[r], src, dst, values[r], steps, inflow=inflows[r],
                                replicates=R, seed=77)
        assert np.array_equal(batch.occupancy[r], one.occupancy[r])
    varying = np.broadcast_to(values[:, None, :], (R, steps, len(value)))
    assert np.array_equal(
        carecast.simulate(x0s, src, dst, varying, steps, inflow=inflows, replicates=R,
                          seed=77).occupancy,
        batch.occupancy)


def _chi_square(counts, probabilities, n):
    expected = probabilities * n
    keep = expected >= 5
    lumped_obs = np.append(counts[keep], counts[~keep].sum())
    lumped_exp = np.append(expected[keep], n - expected[keep].sum())
    if lumped_exp[-1] < 5:
        lumped_obs[-2] += lumped_obs[-1]
        lumped_exp[-2] += lumped_exp[-1]
        lumped_obs, lumped_exp = lumped_obs[:-1], lumped_exp[:-1]
    stat = float(((lumped_obs - lumped_exp) ** 2 / lumped_exp).sum())
    dof = len(lumped_obs) - 1
    # Wilson-Hilferty: the 99.99th percentile of chi-square(dof)
    z = 3.719
    critical = dof * (1 - 2 / (9 * dof) + z * math.sqrt(2 / (9 * dof))) ** 3
    return stat, critical


@pytest.mark.parametrize("n,p", [(12, 0.3), (80, 0.45), (400, 0.2), (5000, 0.6)])
def test_binomial_draws_follow_the_binomial_distribution(n, p):
    # one state, one exit, kind="prob": the leavers are Binomial(n, p)
    R = 40000
    sim = carecast.simulate([n, 0], [0], [1], [p], 1, kind="prob", replicates=R, seed=n)
    draws = sim.moved[:, 0, 0].astype(int)
    k = np.arange(n + 1)
    logpmf = np.array([math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1)
                       + i * math.log(p) + (n - i) * math.log1p(-p) for i in k])
    stat, critical = _chi_square(np.bincount(draws, minlength=n + 1), np.exp(logpmf), R)
    assert stat < critical, (stat, critical)


@pytest.mark.parametrize("mean", [0.7, 12.0, 29.9, 30.1, 250.0, 4000.0])
def test_poisson_arrivals_follow_the_poisson_distribution(mean):
    R = 40000
    sim = carecast.simulate([0], [], [], np.zeros(0), 1, inflow=[mean], replicates=R,
                            seed=int(mean * 10))
    draws = sim.inflow[:, 0, 0].astype(int)
    top = int(mean + 12 * math.sqrt(mean) + 20)
    k = np.arange(top + 1)
    pmf = np.exp([i * math.log(mean) - mean - math.lgamma(i + 1) for i in k])
    counts = np.bincount(np.minimum(draws, top), minlength=top + 1)
    stat, critical = _chi_square(counts, pmf, R)
    assert stat < critical, (stat, critical)


def test_huge_counts_have_binomial_mean_and_variance():
    n, rate = 1e9, 0.5
    p = -math.expm1(-rate)
    R = 20000
    sim = carecast.simulate([n, 0], [0], [1], [rate], 1, replicates=R, seed=3)
    left = sim.moved[:, 0, 0]
    sd = math.sqrt(n * p * (1 - p))
    assert abs(left.mean() - n * p) < 5 * sd / math.sqrt(R)
    assert abs(left.var(ddof=1) / sd**2 - 1) < 5 * math.sqrt(2 / R)


def test_probability_one_moves_everyone_and_zero_moves_no_one():
    sim = carecast.simulate([37, 0, 0], [0, 0], [1, 2], [1.0, 0.0], 1, kind="prob",
                            replicates=10, seed=1)
    assert (sim.occupancy[:, 1] == [0, 37, 0]).all()


@pytest.mark.parametrize("call, error, pattern", [
    (lambda: carecast.simulate([1.5, 0], [0], [1], [0.1], 2, replicates=2, seed=1),
     ValueError, r"x0\[0\] = 1.5 is not a whole number"),
    (lambda: carecast.simulate([[1, 0], [2, 0.25]], [0], [1], [0.1], 2, replicates=2, seed=1),
     ValueError, r"x0\[1, 1\]"),
    (lambda: carecast.simulate([1, 0], [0], [1], [0.1], 2, replicates=2, seed=-1),
     ValueError, "seed"),
    (lambda: carecast.simulate([1, 0], [0], [1], [0.1], 2, replicates=2, seed=2**64),
     ValueError, "seed"),
    (lambda: carecast.simulate([1, 0], [0], [1], [0.1], 2, replicates=2, seed=1.5),
     TypeError, "seed"),
    (lambda: carecast.simulate([1, 0], [0], [1], [[0.1], [0.2]], 2, replicates=2, seed=1),
     ValueError, "ambiguous"),
    (lambda: carecast.simulate([1, 0], [0], [1], [[0.1], [0.2], [0.3]], 2, replicates=4,
                               seed=1),
     ValueError, r"value has shape \(3, 1\)"),
    (lambda: carecast.simulate([1, 0], [0], [1], [0.1], 2, replicates=-1, seed=1),
     ValueError, "replicates"),
    (lambda: carecast.simulate([1, 0], [0], [1], [-0.1], 2, replicates=2, seed=1),
     ValueError, r"value\[0\] = -0.1 is negative"),
    (lambda: carecast.simulate([1, 0], [0], [1], [0.1], 2, replicates=2, seed=1,
                               inflow=[0, np.nan]),
     ValueError, r"inflow\[1\]"),
])
def test_bad_input_is_refused(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()


# ---- the O(1) draws (BTRS, PTRS) and the split by source state ----------


@pytest.mark.parametrize("n,p", [(25, 0.4), (101, 0.099), (99, 0.1), (3000, 0.02), (20, 0.5)])
def test_binomial_draws_either_side_of_the_switch_to_rejection(n, p):
    # n p = 10 is where inversion gives way to transformed rejection
    R = 40000
    sim = carecast.simulate([n, 0], [0], [1], [p], 1, kind="prob", replicates=R, seed=n + 1)
    draws = sim.moved[:, 0, 0].astype(int)
    k = np.arange(n + 1)
    logpmf = np.array([math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1)
                       + i * math.log(p) + (n - i) * math.log1p(-p) for i in k])
    stat, critical = _chi_square(np.bincount(draws, minlength=n + 1), np.exp(logpmf), R)
    assert stat < critical, (stat, critical)


@pytest.mark.parametrize("mean", [9.9, 10.0, 10.1, 55.5])
def test_poisson_draws_either_side_of_the_switch_to_rejection(mean):
    R = 40000
    sim = carecast.simulate([0], [], [], np.zeros(0), 1, inflow=[mean], replicates=R,
                            seed=int(mean * 100))
    draws = sim.inflow[:, 0, 0].astype(int)
    top = int(mean + 12 * math.sqrt(mean) + 20)
    pmf = np.exp([i * math.log(mean) - mean - math.lgamma(i + 1) for i in range(top + 1)])
    stat, critical = _chi_square(np.bincount(np.minimum(draws, top), minlength=top + 1), pmf, R)
    assert stat < critical, (stat, critical)


def test_each_flow_of_a_multinomial_split_is_binomial():
    # 200 people, four flows out of state 0 (interleaved with a flow of state 1, so
    # that the split by source state is exercised); flow f moves Binomial(200, p_f)
    n, R = 200, 30000
    src = [0, 1, 0, 0, 0]
    dst = [1, 2, 2, 3, 4]
    p = np.array([0.05, 0.3, 0.15, 0.4, 0.1])
    sim = carecast.simulate([n, 7, 0, 0, 0], src, dst, p, 1, kind="prob", replicates=R, seed=8)
    moved = sim.moved[:, 0, :]
    assert np.all(moved[:, [0, 2, 3, 4]].sum(axis=1) <= n)
    for f in (0, 2, 3, 4):
        k = np.arange(n + 1)
        logpmf = np.array([math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1)
                           + i * math.log(p[f]) + (n - i) * math.log1p(-p[f]) for i in k])
        counts = np.bincount(moved[:, f].astype(int), minlength=n + 1)
        stat, critical = _chi_square(counts, np.exp(logpmf), R)
        assert stat < critical, (f, stat, critical)


def test_large_counts_mean_is_the_deterministic_projection():
    # tens of thousands of people a state: every draw by rejection (BTRS, PTRS)
    rng = np.random.default_rng(31)
    S, F, steps, R = 6, 14, 8, 3000
    src = rng.integers(0, S - 1, F)
    dst = rng.integers(0, S, F)
    value = rng.uniform(0.05, 1.0, F)
    x0 = rng.integers(10000, 100000, S).astype(float)
    inflow = rng.uniform(50, 5000, S)
    expected = carecast.project(x0, src, dst, value, steps, dt=0.25, inflow=inflow).occupancy
    sim = carecast.simulate(x0, src, dst, value, steps, dt=0.25, inflow=inflow, replicates=R,
                            seed=4, keep_moved=False).occupancy
    se = sim.std(axis=0, ddof=1) / math.sqrt(R)
    assert np.all(np.abs(sim.mean(axis=0) - expected) <= 5 * se + 1e-9)
    assert np.all(sim.sum(axis=2)[:, 0] == x0.sum())


def test_empty_states_and_shared_or_own_parameters_give_the_same_bits():
    # shared values and inflow are prepared once for the batch; passed per replicate
    # (the same numbers) they are prepared per replicate: the draws must agree
    rng = np.random.default_rng(5)
    S, F, steps, R = 30, 120, 12, 9
    src = rng.integers(0, S, F)
    dst = rng.integers(0, S, F)
    value = rng.uniform(0, 0.5, F)
    x0 = np.where(rng.uniform(size=S) < 0.6, 0.0, rng.integers(0, 30, S).astype(float))
    inflow = np.where(rng.uniform(size=(steps, S)) < 0.7, 0.0, rng.uniform(0, 3, (steps, S)))
    shared = carecast.simulate(x0, src, dst, value, steps, inflow=inflow, replicates=R, seed=9,
                               dt=1 / 12)
    own = carecast.simulate(np.tile(x0, (R, 1)), src, dst, np.tile(value, (R, 1)), steps,
                            inflow=np.broadcast_to(inflow, (R, steps, S)), replicates=R, seed=9,
                            dt=1 / 12)
    for name in ("occupancy", "moved", "inflow"):
        assert np.array_equal(getattr(shared, name), getattr(own, name)), name
