"""A plain NumPy implementation of the carecast engine contract.

This module is the test oracle and the benchmark baseline.  It is written
from the contract in DESIGN.md ("The engine contract"), not from the C code,
in the way a competent NumPy user would write it: vectorised within a step
(``np.bincount`` over flows), a Python loop over steps.  It does no input
validation beyond what it needs to compute; the tests check carecast's
validation separately.

Every function returns float64 arrays (or floats) and never modifies its
inputs.

Examples
--------
>>> import numpy as np
>>> res = project(np.array([100.0, 0.0]), [0], [1], [0.5], 2, kind="prob")
>>> res.occupancy.tolist()
[[100.0, 0.0], [50.0, 50.0], [25.0, 75.0]]
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

GREEN_BOOK_STARTS = (0.0, 30.0, 75.0, 125.0, 200.0, 300.0)
GREEN_BOOK_RATES = (0.035, 0.030, 0.025, 0.020, 0.015, 0.010)

TIMING = {"start": 0.0, "mid": 0.5, "end": 1.0}

# Probabilities leaving a state may exceed one by this much (rounding in the
# caller's arithmetic); they are then scaled to sum to exactly one.
PROB_SUM_SLACK = 1e-12


@dataclass
class Projection:
    """Result of :func:`project`: occupancy (steps+1, S), moved (steps, F),
    inflow (steps, S), and dt."""

    occupancy: np.ndarray
    moved: np.ndarray
    inflow: np.ndarray
    dt: float


@dataclass
class Accrued:
    """Result of :func:`accrue`."""

    by_state: np.ndarray
    by_flow: np.ndarray
    by_arrival: np.ndarray
    total: np.ndarray


def _rows(arr, steps, width, name):
    """Broadcast a (width,) or (steps, width) parameter to (steps, width)."""
    a = np.asarray(arr, dtype=np.float64)
    if a.ndim == 1:
        if a.shape[0] != width:
            raise ValueError(f"{name}: expected length {width}, got {a.shape[0]}")
        return np.broadcast_to(a, (steps, width))
    if a.shape != (steps, width):
        raise ValueError(f"{name}: expected shape {(steps, width)}, got {a.shape}")
    return a


def flow_probabilities(value, src, n_states, dt, kind="rate"):
    """Per-step probability of each flow for one step's values.

    Rates (competing risks): with ``L[s]`` the total rate leaving ``s``,
    ``p[f] = value[f] / L[src[f]] * -expm1(-L[src[f]] * dt)``, 0 when L is 0.
    Probabilities: used as given; a state's outgoing probabilities that sum
    above one by at most ``PROB_SUM_SLACK`` are scaled to sum to exactly one.
    """
    value = np.asarray(value, dtype=np.float64)
    src = np.asarray(src, dtype=np.int64)
    leave = np.bincount(src, weights=value, minlength=n_states)
    if kind == "rate":
        total = leave[src]
        with np.errstate(divide="ignore", invalid="ignore"):
            p = np.where(total > 0, value / total * -np.expm1(-total * dt), 0.0)
        return p
    if kind == "prob":
        if np.any(leave > 1.0 + PROB_SUM_SLACK):
            raise ValueError("value: probabilities leaving a state sum above 1")
        scale = np.where(leave > 1.0, 1.0 / np.where(leave > 1.0, leave, 1.0), 1.0)
        return value * scale[src]
    raise ValueError(f"kind: unknown kind {kind!r}")


def project(x0, src, dst, value, steps, *, dt=1.0, kind="rate", inflow=None,
            advance=None):
    """Deterministic cohort projection, one step at a time.

    One step: (1) ``moved[t, f] = x[t][src[f]] * p[f]`` taken from src and
    added to dst; (2) the advance map moves everyone in ``s`` to
    ``advance[s]`` (``-1`` = stays); (3) ``inflow[t]`` is added.
    """
    x = np.array(x0, dtype=np.float64)
    n_states = x.shape[0]
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    n_flows = src.shape[0]
    values = _rows(value, steps, n_flows, "value")
    if inflow is None:
        arrivals = np.zeros((steps, n_states))
    else:
        arrivals = np.array(_rows(inflow, steps, n_states, "inflow"))
    target = None
    if advance is not None:
        advance = np.asarray(advance, dtype=np.int64)
        target = np.where(advance < 0, np.arange(n_states), advance)

    occupancy = np.empty((steps + 1, n_states))
    moved = np.empty((steps, n_flows))
    occupancy[0] = x
    constant = np.ndim(value) == 1
    if constant:
        p_const = flow_probabilities(values[0] if steps else np.asarray(value, float),
                                     src, n_states, dt, kind)
    for t in range(steps):
        p = p_const if constant else flow_probabilities(values[t], src, n_states, dt, kind)
        m = x[src] * p
        x = (x - np.bincount(src, weights=m, minlength=n_states)
             + np.bincount(dst, weights=m, minlength=n_states))
        if target is not None:
            x = np.bincount(target, weights=x, minlength=n_states)
        x = x + arrivals[t]
        moved[t] = m
        occupancy[t + 1] = x
    return Projection(occupancy, moved, arrivals, float(dt))


def occupancy_weights(rule, steps):
    """(steps, 2) weights on x[t] and x[t+1] for an occupancy rule."""
    if isinstance(rule, str):
        w = {"start": (1.0, 0.0), "end": (0.0, 1.0), "trapezoid": (0.5, 0.5)}[rule]
        return np.tile(np.array(w), (steps, 1))
    w = np.asarray(rule, dtype=np.float64)
    if w.shape != (steps, 2):
        raise ValueError(f"occupancy: expected shape {(steps, 2)}")
    return w


def accrue(result, per_year=None, *, per_flow=None, per_arrival=None,
           occupancy="trapezoid", price_index=None):
    """Values accrued in each step of a projection.

    ``by_state[t, s] = price[t] * per_year[t, s] * dt * occ[t, s]`` with
    ``occ`` = ``w[t, 0] * x[t] + w[t, 1] * x[t+1]`` under the rule;
    ``by_flow = price * per_flow * moved``;
    ``by_arrival = price * per_arrival * inflow``; ``total`` sums all three.
    """
    x = np.asarray(result.occupancy, dtype=np.float64)
    steps, n_states = x.shape[0] - 1, x.shape[1]
    moved = np.asarray(result.moved, dtype=np.float64)
    arrivals = np.asarray(result.inflow, dtype=np.float64)
    n_flows = moved.shape[1]
    price = np.ones(steps) if price_index is None else np.asarray(price_index, float)
    w = occupancy_weights(occupancy, steps)
    occ = w[:, :1] * x[:-1] + w[:, 1:] * x[1:]
    by_state = np.zeros((steps, n_states))
    by_flow = np.zeros((steps, n_flows))
    by_arrival = np.zeros((steps, n_states))
    if per_year is not None:
        by_state = price[:, None] * _rows(per_year, steps, n_states, "per_year") * result.dt * occ
    if per_flow is not None:
        by_flow = price[:, None] * _rows(per_flow, steps, n_flows, "per_flow") * moved
    if per_arrival is not None:
        by_arrival = price[:, None] * _rows(per_arrival, steps, n_states, "per_arrival") * arrivals
    total = by_state.sum(axis=1) + by_flow.sum(axis=1) + by_arrival.sum(axis=1)
    return Accrued(by_state, by_flow, by_arrival, total)


def price_index(steps, *, dt=1.0, annual_rate, years_from_base=0.0, timing="mid"):
    """``(1 + annual_rate) ** (years_from_base + (t + c) * dt)``."""
    c = TIMING[timing]
    t = np.arange(steps, dtype=np.float64)
    return (1.0 + annual_rate) ** (years_from_base + (t + c) * dt)


def _schedule(schedule):
    """(starts, rates) arrays from a float (flat rate) or a (starts, rates) pair."""
    if schedule is None:
        return np.array(GREEN_BOOK_STARTS), np.array(GREEN_BOOK_RATES)
    if np.isscalar(schedule):
        return np.array([0.0]), np.array([float(schedule)])
    starts, rates = schedule
    return np.asarray(starts, dtype=np.float64), np.asarray(rates, dtype=np.float64)


def discount_factors(times, schedule=None):
    """``exp(-integral_0^t ln(1 + r(u)) du)`` for a piecewise-constant schedule.

    ``schedule`` is None (Green Book), a float (flat rate) or (starts, rates).
    """
    starts, rates = _schedule(schedule)
    times = np.asarray(times, dtype=np.float64)
    ends = np.append(starts[1:], np.inf)
    log_growth = np.log1p(rates)
    # Years of each piece lived through by time t, summed with each piece's
    # log growth: the integral of ln(1 + r(u)) from 0 to t.
    overlap = np.clip(times[..., None] - starts, 0.0, ends - starts)
    exponent = (overlap * log_growth).sum(axis=-1)
    return np.exp(-exponent)


def step_discount_factors(steps, *, dt=1.0, timing="mid", schedule=None):
    """Discount factor of each step, at ``tau = (t + c) * dt``."""
    c = TIMING[timing] if isinstance(timing, str) else float(timing)
    return discount_factors((np.arange(steps) + c) * dt, schedule)


def present_value(values, *, dt, timing="mid", schedule=None):
    """Sum over the last axis of values times their step discount factors."""
    values = np.asarray(values, dtype=np.float64)
    return (values * step_discount_factors(values.shape[-1], dt=dt, timing=timing,
                                           schedule=schedule)).sum(axis=-1)


def cumulative(values):
    """Running sum over the last axis."""
    return np.cumsum(np.asarray(values, dtype=np.float64), axis=-1)


def discounted_cumulative(values, *, dt, timing="mid", schedule=None):
    """Running sum over the last axis of discounted values."""
    values = np.asarray(values, dtype=np.float64)
    f = step_discount_factors(values.shape[-1], dt=dt, timing=timing, schedule=schedule)
    return np.cumsum(values * f, axis=-1)


def payback_years(net, dt=1.0):
    """First time the cumulative of per-step ``net`` (accruing evenly within
    each step) reaches >= 0 after having been negative; 0.0 if never
    negative; inf if still negative at the end."""
    net = np.asarray(net, dtype=np.float64)
    before = 0.0
    been_negative = False
    for t, v in enumerate(net):
        after = before + v
        if before < 0.0 <= after:
            return (t + (-before) / (after - before)) * dt
        if after < 0.0:
            been_negative = True
        before = after
    return math.inf if been_negative else 0.0


def payback(net_benefit, *, dt=1.0, timing="mid", schedule=None):
    """Payback on the discounted per-step net benefit."""
    net = np.asarray(net_benefit, dtype=np.float64)
    f = step_discount_factors(net.shape[0], dt=dt, timing=timing, schedule=schedule)
    return payback_years(net * f, dt)


def npv(benefits, costs, *, dt=1.0, timing="mid", schedule=None):
    """PV(benefits) - PV(costs)."""
    return (present_value(benefits, dt=dt, timing=timing, schedule=schedule)
            - present_value(costs, dt=dt, timing=timing, schedule=schedule))


def benefit_cost_ratio(benefits, costs, *, dt=1.0, timing="mid", schedule=None):
    """PV(benefits) / PV(costs)."""
    return (present_value(benefits, dt=dt, timing=timing, schedule=schedule)
            / present_value(costs, dt=dt, timing=timing, schedule=schedule))


def roi(benefits, costs, *, dt=1.0, timing="mid", schedule=None):
    """(PV(benefits) - PV(costs)) / PV(costs)."""
    pv_c = present_value(costs, dt=dt, timing=timing, schedule=schedule)
    pv_b = present_value(benefits, dt=dt, timing=timing, schedule=schedule)
    return (pv_b - pv_c) / pv_c
