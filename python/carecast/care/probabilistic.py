"""Probabilistic sensitivity analysis of the care model in one call: :func:`psa`.

``psa(parameters, uncertain, years=5, draws=1000, seed=1)`` draws every
uncertain input (:mod:`carecast.care.uncertainty`), runs the model for each
draw (baseline, and a scenario if given), and keeps summaries, not raw runs:

* per step, children in care by placement and in total: any quantile, from a
  streaming log-bucket sketch (below);
* per financial year, costs in cash, real and discounted terms: per-draw
  totals, so quantiles and probabilities are exact;
* per draw, the present value of costs (real, discounted, as
  :meth:`CareResult.present_value`), and against a scenario the net present
  value of the saving and the payback (as :meth:`Comparison.present_values`);
* the drawn inputs, for :mod:`carecast.care.sensitivity`.

A council's scenario, a fan chart and the chance of overspending, in one call::

    result = carecast.care.psa(parameters, uncertainty, years=5, draws=2000, seed=1,
                               scenario=edge_of_care)
    result.plot_fan()                                   # baseline and scenario fans
    result.prob_cost_exceeds(42e6, "2025-26")           # P(cash cost in 2025-26 > £42m)
    result.prob_saving_at_least(1e6, "2026-27")         # P(net saving that year >= £1m)
    print(result.summary())                             # method, inputs, intervals

Memory
------
Draws run in chunks of ``chunk`` (default 64). Each chunk is one
:func:`carecast.care.run_batch` call per arm with ``full_occupancy=False``:
the engine keeps, as each replicate runs, only the sums that children,
events and costs need (children by placement, post-exit states and, where
one-off costs need them, exits by group and moves; see
:class:`carecast.care.model.SumsLayout`), about ``chunk x steps x (P + E)``
numbers, never the ``chunk x steps x states`` occupancy. Each chunk is
reduced to per-draw values and per-step children where it ran. In memory
at once: the engine's values of the chunks in flight (at most twice the
threads; ``chunk x flows`` probabilities each: 11 MB for the 858-state
sample calibration), O(steps x placements x buckets) for the per-step
sketches and O(draws x (inputs + financial years)) for per-draw values
(16 bytes a draw and year), so a 100,000-draw PSA needs a few tens of MB
more than a 1,000-draw one. Raw per-step replicates are kept only with
``keep="raw"``.

Threads: chunks run side by side on ``threads`` worker threads (one engine
thread each; the engine and NumPy's large operations release the GIL), at
most twice as many chunks in flight, while this thread adds the finished
ones in draw order, so the bits do not depend on the threads.
``threads=1`` runs everything on the calling thread.

How per-step quantiles are computed
-----------------------------------
Each value ``x > 1e-6`` goes into bucket ``ceil(log(x) / log(g))`` with
``g = (1 + a) / (1 - a)`` and ``a = relative_accuracy`` (default 1e-3); values
at or below 1e-6 (a millionth of a child) go into a zero bucket. A bucket is represented by
``2 g^k / (g + 1)``, within a relative ``a`` of every value in it. The
quantile at ``q`` interpolates linearly between the order statistics of rank
``floor(h)`` and ``ceil(h)``, ``h = q (n - 1)``, as ``numpy.quantile`` does, so
the result is within ``a`` (relative) plus 1e-6 (absolute) of
``numpy.quantile`` of the raw values. Bucket counts are integers, so the sketch
-- and every quantile from it -- is the same bit for bit whatever the chunk
size. With ``keep="raw"`` per-step quantiles are computed exactly with
``numpy.quantile`` instead. Why a sketch: exact per-step quantiles need every
draw's trajectory (``draws x steps x placements`` numbers, 0.5 GB for 1e5
monthly draws over 5 years); the sketch needs a few MB whatever the draws:
its counts (int32) span, for each series, the buckets between the smallest
and largest value seen, so its size is at most ``series x ln(largest / 1e-6)
/ (2 a) x 4`` bytes (about 4 MB for each ten-fold range of values over 61
dates x 10 series) and does not grow with the number of draws.

Runs
----
Every chunk of draws is one batched engine call per arm, also when the
scenario changes with each draw (``intervention.*`` or ``scenario.scale.*``
inputs: one scenario per draw, see :func:`carecast.care.run_batch`) and when
``stochastic=True``. Then each draw is run ``replicates_per_draw`` times by
:func:`carecast.simulate` (whole children, Poisson entries, binomial exits);
replicate ``j`` of draw ``r`` uses stream ``r * replicates_per_draw + j`` of
one seed derived from ``seed``, for baseline and scenario alike (common
random numbers), so the bits do not depend on chunking or threads. In
stochastic runs exits and moves (and so their one-off costs) are those
drawn; entries, and the events of entrants within their arrival step, are
their expected numbers, as the engine draws arrivals per state rather than
per entrant: one-off entry and proceedings costs are at their expected
value.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from carecast import engine
from carecast.care.calendar import financial_year_label, financial_year_weights, step_dates
from carecast.care.parameters import CareParameters
from carecast.care.scenarios import Scenario
from carecast.care.tables import Table
from carecast.care.uncertainty import Draws, Uncertain, Uncertainty
from carecast.progress import progress_bar

__all__ = ["psa", "PSAResult", "QuantileSketch", "BASES", "progress_bar"]

#: Cost bases kept per financial year.
BASES = ("cash", "real", "discounted")
_ZERO = 1e-6


class QuantileSketch:
    """Streaming quantiles of many series with a fixed relative accuracy (see the module notes).

    Parameters
    ----------
    shape : tuple of int
        Shape of one observation (e.g. ``(steps + 1, placements)``).
    relative_accuracy : float
        ``a`` in (0, 0.5): every quantile is within ``a`` (relative) plus 1e-6
        (absolute) of the exact one.

    Examples
    --------
    >>> s = QuantileSketch((1,), 0.001)
    >>> s.add(np.arange(1.0, 101.0)[:, None])
    >>> exact = np.quantile(np.arange(1.0, 101.0), 0.9)
    >>> bool(abs(s.quantile(0.9)[0] - exact) <= 0.001 * exact)
    True
    """

    def __init__(self, shape: tuple[int, ...], relative_accuracy: float = 1e-3):
        if not 0 < relative_accuracy < 0.5:
            raise ValueError(f"relative_accuracy must be in (0, 0.5), got {relative_accuracy!r}")
        self.shape = tuple(int(s) for s in shape)
        self.size = int(np.prod(self.shape))
        self.relative_accuracy = float(relative_accuracy)
        self._log_gamma = math.log((1 + relative_accuracy) / (1 - relative_accuracy))
        self.count = 0
        self.zeros = np.zeros(self.size, dtype=np.int64)
        # int32 bucket counts: at most 2**31 - 1 values per bucket
        self.low: np.ndarray | None = None           # lowest bucket key of each series
        self.counts = np.zeros((self.size, 0), dtype=np.int32)

    @property
    def nbytes(self) -> int:
        return int(self.counts.nbytes + self.zeros.nbytes)

    def add(self, values: np.ndarray) -> None:
        """Add observations ``(n, *shape)``; values must be finite and >= 0."""
        v = np.asarray(values, dtype=np.float64).reshape(-1, self.size)
        if v.size == 0:
            return
        if not np.all(np.isfinite(v)) or np.any(v < 0):
            raise ValueError("QuantileSketch takes finite values >= 0")
        n = v.shape[0]
        if self.count + n > np.iinfo(np.int32).max:
            raise ValueError("QuantileSketch holds at most 2**31 - 1 values")
        positive = v > _ZERO
        self.zeros += (~positive).sum(axis=0)
        keys = np.zeros(v.shape, dtype=np.int64)
        keys[positive] = np.ceil(np.log(v[positive]) / self._log_gamma).astype(np.int64)
        big = np.iinfo(np.int64).max
        lo = np.where(positive, keys, big).min(axis=0)
        hi = np.where(positive, keys, -big).max(axis=0)
        seen = positive.any(axis=0)
        if seen.any():
            if self.low is None:
                self.low = np.where(seen, lo, 0)
                width = int((hi - self.low)[seen].max()) + 1
                self.counts = np.zeros((self.size, width), dtype=np.int32)
            else:
                old_width = self.counts.shape[1]
                had = self.counts.sum(axis=1) > 0
                old_hi = self.low + old_width - 1
                new_low = np.where(seen & had, np.minimum(self.low, lo), np.where(seen, lo, self.low))
                new_hi = np.where(seen & had, np.maximum(old_hi, hi), np.where(seen, hi, old_hi))
                width = max(int((new_hi - new_low).max()) + 1, 1)
                if width != old_width or np.any(new_low != self.low):
                    grown = np.zeros((self.size, width), dtype=np.int32)
                    if old_width:
                        shift = (self.low - new_low)[:, None] + np.arange(old_width)
                        keep = had[:, None] & (shift >= 0) & (shift < width)
                        rows = np.broadcast_to(np.arange(self.size)[:, None], shift.shape)
                        grown[rows[keep], shift[keep]] = self.counts[keep]
                    self.counts, self.low = grown, new_low
            width = self.counts.shape[1]
            series = np.broadcast_to(np.arange(self.size), v.shape)[positive]
            flat = series * width + (keys[positive] - self.low[series])
            added = np.bincount(flat, minlength=self.size * width).reshape(self.size, width)
            self.counts += added.astype(np.int32)
        self.count += n

    def quantile(self, q: float | Sequence[float]) -> np.ndarray:
        """Quantiles at ``q``: shape ``(*shape)`` for a number, ``(len(q), *shape)`` for a sequence."""
        qs = np.atleast_1d(np.asarray(q, dtype=np.float64))
        if np.any(~np.isfinite(qs)) or np.any((qs < 0) | (qs > 1)):
            raise ValueError(f"q must be probabilities in [0, 1], got {q!r}")
        if self.count == 0:
            raise ValueError("the sketch is empty")
        gamma = math.exp(self._log_gamma)
        width = self.counts.shape[1]
        cum = np.cumsum(np.column_stack([self.zeros, self.counts.astype(np.int64)]), axis=1)  # (size, 1 + width)
        low = self.low if self.low is not None else np.zeros(self.size, dtype=np.int64)
        out = np.empty((qs.size, self.size))

        def value_of_rank(rank: int) -> np.ndarray:
            b = (cum > rank).argmax(axis=1)
            key = low + (b - 1)
            rep = 2.0 * np.exp(key * self._log_gamma) / (gamma + 1.0)
            return np.where(b == 0, 0.0, rep) if width else np.zeros(self.size)

        for i, qq in enumerate(qs):
            h = qq * (self.count - 1)
            lo_rank, hi_rank = int(math.floor(h)), int(math.ceil(h))
            vlo = value_of_rank(lo_rank)
            vhi = vlo if hi_rank == lo_rank else value_of_rank(hi_rank)
            out[i] = vlo + (h - lo_rank) * (vhi - vlo)
        shaped = out.reshape((qs.size,) + self.shape)
        return shaped[0] if np.ndim(q) == 0 else shaped


@dataclass
class ArmSummary:
    """Summaries of one arm (baseline or scenario) over all draws.

    ``annual[basis]`` is ``(rows, financial years)``: total cost in each
    financial year per draw (and replicate); ``present_value`` is ``(rows,)``;
    ``children`` is the sketch of children in care ``(steps + 1, P + 1)`` (the
    last column the total); ``raw`` holds per-step arrays with ``keep="raw"``.
    """

    name: str
    annual: dict[str, np.ndarray]
    present_value: np.ndarray
    children: QuantileSketch
    raw: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class PSAResult:
    """The outcome of :func:`psa`: summaries for baseline and scenario, per-draw values, inputs.

    Attributes
    ----------
    baseline, scenario : ArmSummary (scenario may be None)
    net_present_value, payback_years : ndarray (rows,) or None
        Per draw (and replicate), against the baseline: net present value of
        the saving (gross saving minus programme costs, real, discounted) and
        years to payback (``inf`` if not within the run).
    inputs : Draws
        The drawn values of each uncertain input (``draws`` rows).
    financial_years : list of str
    share_of_year : ndarray
        Share of each financial year the run covers (1 = whole).
    dates : ndarray of datetime64[D]
        Dates of the per-step rows.
    placements : tuple of str
    """

    parameters: CareParameters
    uncertainty: Uncertainty
    baseline: ArmSummary
    scenario: ArmSummary | None
    net_present_value: np.ndarray | None
    payback_years: np.ndarray | None
    inputs: Draws
    financial_years: list[str]
    share_of_year: np.ndarray
    dates: np.ndarray
    placements: tuple[str, ...]
    draws: int
    replicates_per_draw: int
    stochastic: bool
    years: float
    step: Any
    scenario_object: Scenario | None
    keep: str
    runner: str
    seconds: float = 0.0

    def __repr__(self) -> str:
        scen = f" against {self.scenario_object.name!r}" if self.scenario_object is not None else ""
        return (f"<PSAResult {self.parameters.name!r}{scen}: {self.draws} draws x {self.replicates_per_draw}, "
                f"{len(self.uncertainty)} uncertain inputs, {self.years:g} years, keep={self.keep!r}>")

    # ---------------------------------------------------------------- access
    @property
    def rows(self) -> int:
        """Runs summarised per arm: ``draws * replicates_per_draw``."""
        return self.draws * self.replicates_per_draw

    def _arm(self, arm: str) -> ArmSummary:
        if arm == "baseline":
            return self.baseline
        if arm == "scenario":
            if self.scenario is None:
                raise ValueError("arm='scenario' needs a PSA run with a scenario")
            return self.scenario
        raise ValueError(f"arm must be 'baseline' or 'scenario', got {arm!r}")

    def _year(self, year: str, *, whole: bool = True) -> int:
        if year not in self.financial_years:
            raise ValueError(f"year {year!r} is not in the run (financial years: {', '.join(self.financial_years)})")
        k = self.financial_years.index(year)
        if whole and self.share_of_year[k] < 1 - 1e-9:
            raise ValueError(f"the run covers only {self.share_of_year[k]:.0%} of {year}; a probability about a "
                             f"year's cost needs the whole year (lengthen the run)")
        return k

    def _basis(self, basis: str) -> str:
        if basis not in BASES:
            raise ValueError(f"basis must be one of {', '.join(BASES)}, got {basis!r}")
        return basis

    def _placement(self, placement: str | None) -> int:
        if placement is None:
            return len(self.placements)
        if placement not in self.placements:
            raise ValueError(f"placement {placement!r} is not in the model (has {', '.join(self.placements)})")
        return self.placements.index(placement)

    @property
    def quantile_method(self) -> str:
        if self.keep == "raw":
            return "per-step quantiles exact (numpy.quantile, linear) from the kept raw runs"
        a = self.baseline.children.relative_accuracy
        return (f"per-step quantiles from a log-bucket sketch, within {a:.1%} (relative) of exact; "
                f"financial-year costs and probabilities exact from per-draw totals")

    def children_quantiles(self, q: float | Sequence[float] = (0.05, 0.5, 0.95), *,
                           placement: str | None = None, arm: str = "baseline") -> np.ndarray:
        """Quantiles of children in care at each date (``placement=None``: all placements).

        Shape ``(steps + 1,)`` for one ``q``, ``(len(q), steps + 1)`` for several.
        """
        a = self._arm(arm)
        j = self._placement(placement)
        if self.keep == "raw":
            by = a.raw["children_by_placement"]
            series = by.sum(axis=2) if placement is None else by[:, :, j]
            return np.quantile(series, q, axis=0)
        out = a.children.quantile(q)
        return out[..., j]

    def cost_quantiles(self, q: Sequence[float] = (0.05, 0.25, 0.5, 0.75, 0.95), *, basis: str = "cash",
                       arm: str = "baseline") -> Table:
        """Cost by financial year: mean and quantiles over draws (exact), in ``basis`` terms."""
        a = self._arm(arm)
        values = a.annual[self._basis(basis)]
        qs = np.quantile(values, q, axis=0)
        cols: dict[str, Any] = {"financial_year": np.array(self.financial_years), "mean": values.mean(axis=0)}
        for qq, row in zip(q, qs):
            cols[f"q{qq * 100:g}"] = row
        cols["share_of_year"] = self.share_of_year
        unit = "GBP" if basis == "cash" else f"GBP, {self.parameters.price_year} prices" + (
            ", discounted" if basis == "discounted" else "")
        return Table(cols, title=f"{arm} cost by financial year ({basis}), {self.rows} runs",
                     units={k: unit for k in cols if k not in ("financial_year", "share_of_year")})

    # ---------------------------------------------------------------- answers
    def prob_cost_exceeds(self, budget: float, year: str, *, basis: str = "cash", arm: str = "baseline") -> float:
        """Share of draws whose total cost in financial year ``year`` is above ``budget``.

        ``year`` is written ``"2025-26"`` and must be covered whole by the run.
        """
        budget = _number("budget", budget)
        k = self._year(year)
        return float(np.mean(self._arm(arm).annual[self._basis(basis)][:, k] > budget))

    def saving(self, *, basis: str = "real") -> np.ndarray:
        """Net saving per draw and financial year ``(rows, years)``: baseline cost minus scenario cost
        (the scenario's including its programme costs)."""
        if self.scenario is None:
            raise ValueError("savings need a PSA run with a scenario")
        b = self._basis(basis)
        return self.baseline.annual[b] - self.scenario.annual[b]

    def prob_saving_at_least(self, target: float, by_year: str, *, basis: str = "real",
                             cumulative: bool = False) -> float:
        """Probability that the net saving reaches ``target`` in financial year ``by_year``.

        ``cumulative=True``: the saving summed over the financial years from
        the start up to and including ``by_year`` reaches ``target`` (the first
        year may be partly covered).
        """
        target = _number("target", target, low=None)
        k = self._year(by_year, whole=not cumulative)
        s = self.saving(basis=basis)
        value = s[:, : k + 1].sum(axis=1) if cumulative else s[:, k]
        return float(np.mean(value >= target))

    def prob_scenario_cheaper(self, *, year: str | None = None, basis: str = "discounted") -> float:
        """Probability that the scenario costs less than the baseline: over the whole run
        (``year=None``, present values, the net present value of the saving > 0) or in one financial year."""
        if self.scenario is None or self.net_present_value is None:
            raise ValueError("prob_scenario_cheaper needs a PSA run with a scenario")
        if year is None:
            return float(np.mean(self.net_present_value > 0))
        k = self._year(year)
        return float(np.mean(self.saving(basis=basis)[:, k] > 0))

    def prob_payback_within(self, years: float) -> float:
        """Probability that the scenario pays back within ``years``."""
        if self.payback_years is None:
            raise ValueError("payback needs a PSA run with a scenario")
        return float(np.mean(self.payback_years <= _number("years", years)))

    def break_even_effect_per_draw(self, *, intervention: int = 0, field: str = "effect", low: float = 0.0,
                                   high: float = 1.0, draws: int | None = None, progress: bool = True,
                                   xtol: float = 1e-6, chunk: int = 64) -> np.ndarray:
        """For each draw, the value of one intervention field at which the NPV of the saving is zero.

        The field's own drawn value (if uncertain) is replaced by the search;
        every other input keeps its draw. A draw where the NPV has the same
        sign at both ends of ``[low, high]`` gives NaN (no break-even in
        range), counted in a warning. Runs ``draws`` of the PSA's draws
        (default all), deterministic runs only.

        How: every draw of a chunk is solved at once, each evaluation one
        batched run of the chunk's scenarios (:func:`carecast.care.run_batch`
        with one scenario per draw) against the chunk's baseline run once.
        The search keeps a bracket per draw and steps by the Illinois variant
        of regula falsi, falling back to bisection when a step fails to halve
        the bracket, and, as Brent's method does, steps ``xtol`` past the
        last point when it has stopped moving, so the bracket closes from
        both sides; it stops when each bracket is narrower than ``2 xtol``
        and returns the root interpolated in it, so within ``2 xtol`` of the
        true one (:func:`carecast.care.break_even`, Brent's method, is
        within ``xtol``). About 6 to 12 batched runs a chunk for a smooth NPV.
        """
        import dataclasses
        import warnings

        if self.scenario_object is None:
            raise ValueError("break_even_effect_per_draw needs a PSA run with a scenario")
        if self.stochastic:
            raise ValueError("break_even_effect_per_draw needs a deterministic PSA (stochastic=False)")
        items = self.scenario_object.interventions
        if not (isinstance(intervention, int) and 0 <= intervention < len(items)):
            raise ValueError(f"intervention must index the scenario's interventions (0..{len(items) - 1}), "
                             f"got {intervention!r}")
        if field not in {f.name for f in dataclasses.fields(items[intervention])}:
            raise ValueError(f"{type(items[intervention]).__name__} has no field {field!r}")
        n = self.draws if draws is None else int(draws)
        if not 1 <= n <= self.draws:
            raise ValueError(f"draws must be in 1..{self.draws}, got {draws!r}")
        low, high = _number("low", low), _number("high", high)
        if not low < high:
            raise ValueError(f"low must be below high, got {low!r} and {high!r}")
        xtol = _number("xtol", xtol, low=0.0)
        chunk = _check_int("chunk", chunk, 1)
        job = _ChunkJob(parameters=self.parameters, scenario=self.scenario_object, uncertainty=self.uncertainty,
                        inputs=self.inputs, seed=self.inputs.seed, years=self.years, step=self.step, threads=None,
                        stochastic=False, replicates=1, weights=np.zeros((0, 0)), keep="summary")
        out = np.full(n, np.nan)
        with progress_bar(n, "break-even per draw", enabled=progress) as bar:
            for lo in range(0, n, chunk):
                hi = min(n, lo + chunk)
                out[lo:hi] = self._break_even_chunk(job, lo, hi, intervention, field, low, high, xtol)
                bar.advance(hi - lo)
        missing = int(np.isnan(out).sum())
        if missing:
            warnings.warn(f"{missing} of {n} draws have no break-even {field} in [{low:g}, {high:g}] "
                          f"(NaN in the result)", stacklevel=2)
        return out

    def _break_even_chunk(self, job: _ChunkJob, lo: int, hi: int, intervention: int, field: str, low: float,
                          high: float, xtol: float) -> np.ndarray:
        """The break-even of draws lo .. hi - 1, all at once (see :meth:`break_even_effect_per_draw`)."""
        import dataclasses

        from carecast.care.compare import batch_net_values
        from carecast.care.model import run_batch

        params, scens = job.prepare(lo, hi)
        scens = list(scens) if isinstance(scens, list) else [scens] * len(params)
        base_batch = run_batch(params, years=self.years, step=self.step, full_occupancy=False)
        base = base_batch.step_costs()
        rate = self.parameters.discount_rate
        schedule = engine.GREEN_BOOK if rate is None else rate

        def npv(x: np.ndarray) -> np.ndarray:
            at = []
            for s, value in zip(scens, x):
                changed = list(s.interventions)
                changed[intervention] = dataclasses.replace(changed[intervention], **{field: float(value)})
                at.append(Scenario(s.name, s.description, dict(s.set), dict(s.scale), changed))
            scen = run_batch(params, years=self.years, step=self.step, scenario=at, full_occupancy=False,
                             _same_rates=base_batch)
            return batch_net_values(base, scen.step_costs(), scen.dt, schedule)["net_present_value"]

        m = len(params)
        a, b = np.full(m, low), np.full(m, high)
        fa, fb = npv(a), npv(b)
        root = np.full(m, np.nan)
        root[fa == 0] = low
        root[(fb == 0) & (fa != 0)] = high
        active = (np.sign(fa) * np.sign(fb) < 0)
        last = np.full(m, np.nan)
        side = np.zeros(m, dtype=np.int64)        # which end was kept last (Illinois): -1 a, +1 b
        width = b - a
        for _ in range(200):
            if not active.any():
                break
            # Illinois step, bisection where the last two steps did not halve the bracket
            with np.errstate(invalid="ignore", divide="ignore"):
                x = (a * fb - b * fa) / (fb - fa)
            slow = (b - a) > 0.5 * width
            x = np.where(slow | ~np.isfinite(x) | (x <= a) | (x >= b), 0.5 * (a + b), x)
            # stalled: step xtol past the last point towards the far end, to close the bracket
            stalled = np.abs(x - last) < xtol
            toward_b = (b - x) > (x - a)
            x = np.where(stalled, np.clip(np.where(toward_b, x + xtol, x - xtol), a, b), x)
            x = np.where(active, x, 0.5 * (a + b))
            width = np.where(slow, b - a, width)
            fx = np.where(active, npv(x), 0.0)
            left = active & (np.sign(fx) == np.sign(fa))      # root in (x, b]
            right = active & ~left
            fb = np.where(left & (side == 1), 0.5 * fb, fb)  # Illinois: halve the end kept twice
            fa = np.where(right & (side == -1), 0.5 * fa, fa)
            a, fa = np.where(left, x, a), np.where(left, fx, fa)
            b, fb = np.where(right, x, b), np.where(right, fx, fb)
            side = np.where(left, 1, np.where(right, -1, side))
            exact = active & (fx == 0)
            root[exact] = x[exact]
            last = np.where(active, x, last)
            done = active & ~exact & ((b - a) <= 2 * xtol)
            with np.errstate(invalid="ignore", divide="ignore"):
                interpolated = (a * fb - b * fa) / (fb - fa)
            root[done] = np.where(np.isfinite(interpolated) & (interpolated >= a) & (interpolated <= b),
                                  interpolated, 0.5 * (a + b))[done]
            active &= ~(exact | done)
        if active.any():
            root[active] = 0.5 * (a + b)[active]
        return root

    # ---------------------------------------------------------------- fans
    def fan(self, *, placement: str | None = None, arm: str = "baseline",
            levels: Sequence[float] = (0.5, 0.8, 0.9)) -> dict[str, Any]:
        """Fan chart data: dates, median and central intervals of children in care.

        Returns ``{"dates", "median", "bands": {level: (low, high)}, "method", "label"}``.
        """
        for lv in levels:
            if not 0 < lv < 1:
                raise ValueError(f"levels must be in (0, 1), got {lv!r}")
        qs = [0.5] + [x for lv in levels for x in (0.5 - lv / 2, 0.5 + lv / 2)]
        values = self.children_quantiles(qs, placement=placement, arm=arm)
        bands = {float(lv): (values[1 + 2 * i], values[2 + 2 * i]) for i, lv in enumerate(levels)}
        label = "children in care" + (f" ({placement})" if placement else "")
        return {"dates": self.dates, "median": values[0], "bands": bands, "method": self.quantile_method,
                "label": label, "arm": arm}

    def plot_fan(self, ax: Any = None, *, placement: str | None = None, arm: str = "both",
                 levels: Sequence[float] = (0.5, 0.8, 0.9)) -> Any:
        """Draw the fan chart with matplotlib (imported here); returns the axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(8, 4.5))
        arms = (["baseline"] + (["scenario"] if self.scenario is not None else [])) if arm == "both" else [arm]
        colours = {"baseline": "tab:blue", "scenario": "tab:orange"}
        for name in arms:
            data = self.fan(placement=placement, arm=name, levels=levels)
            dates = data["dates"].astype("datetime64[D]").astype(object)
            for lv in sorted(data["bands"], reverse=True):
                lo, hi = data["bands"][lv]
                ax.fill_between(dates, lo, hi, color=colours[name], alpha=0.12 + 0.1 * (1 - lv), linewidth=0,
                                label=f"{name}: {lv:.0%} interval")
            label = name if name == "baseline" else (self.scenario_object.name if self.scenario_object else name)
            ax.plot(dates, data["median"], color=colours[name], label=f"{label}: median")
        ax.set_ylabel(data["label"])
        ax.set_title(f"{self.parameters.name}: {data['label']}, {self.rows:,} runs")
        ax.legend(fontsize="small")
        ax.figure.autofmt_xdate()
        return ax

    # ---------------------------------------------------------------- text
    def summary(self) -> str:
        """Plain text: method, inputs, children at the end, costs per year, and the scenario's odds."""
        from carecast.care.report import money

        lines = [f"Probabilistic sensitivity analysis: {self.parameters.name}, {self.draws:,} draws"
                 + (f" x {self.replicates_per_draw} stochastic replicates" if self.stochastic else "")
                 + f", seed {self.inputs.seed}, {self.years:g} years ({self.runner}, {self.seconds:.1f} s)."]
        lines.append("Method: inputs drawn from the distributions below; each draw run through the model; "
                     + self.quantile_method + ".")
        lines.append("Uncertain inputs:")
        lines += [f"  {line}" for line in self.uncertainty.describe()]
        end = self.children_quantiles((0.05, 0.5, 0.95))[:, -1]
        lines.append(f"Children in care at {self.dates[-1]}: median {end[1]:,.0f} (90% interval "
                     f"{end[0]:,.0f} to {end[2]:,.0f}).")
        t = self.cost_quantiles((0.05, 0.5, 0.95), basis="cash")
        lines.append("Cost by financial year (cash): median (90% interval)")
        for fy, med, lo, hi, share in zip(t["financial_year"], t["q50"], t["q5"], t["q95"], t["share_of_year"]):
            part = "" if share >= 1 - 1e-9 else f"  [{share:.0%} of the year]"
            lines.append(f"  {fy}: {money(med)} ({money(lo)} to {money(hi)}){part}")
        pv = np.quantile(self.baseline.present_value, (0.05, 0.5, 0.95))
        lines.append(f"Present value of costs (real, discounted): median {money(pv[1])} "
                     f"({money(pv[0])} to {money(pv[2])}).")
        if self.scenario is not None and self.net_present_value is not None and self.payback_years is not None:
            npv = np.quantile(self.net_present_value, (0.05, 0.5, 0.95))
            name = self.scenario_object.name if self.scenario_object else "scenario"
            lines.append(f"{name} against baseline: net present value of saving median {money(npv[1])} "
                         f"({money(npv[0])} to {money(npv[2])}); P(scenario cheaper) "
                         f"{self.prob_scenario_cheaper():.0%}; P(payback within the run) "
                         f"{np.mean(np.isfinite(self.payback_years)):.0%}.")
        lines.append(f"Probabilities are shares of {self.rows:,} runs (standard error up to "
                     f"{0.5 / math.sqrt(self.rows):.1%}).")
        return "\n".join(lines)


def _number(name: str, value: Any, *, low: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, got {value!r}")
    v = float(value)
    if not math.isfinite(v) or (low is not None and v < low):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return v


# -------------------------------------------------------------------- runs
@dataclass
class _ArmChunk:
    """One arm of one chunk reduced to what the summaries keep (computed where the chunk ran)."""

    annual: dict[str, np.ndarray]            # basis -> (rows, financial years)
    present_value: np.ndarray                # (rows,)
    children: np.ndarray                     # (rows, steps + 1, P + 1), clipped at 0
    raw: dict[str, np.ndarray]               # keep="raw": children_by_placement, step_cost_<basis>


@dataclass
class _ChunkSummary:
    arms: dict[str, _ArmChunk]
    npv: np.ndarray | None
    payback: np.ndarray | None


def _arm_chunk(name: str, batch: Any, weights: np.ndarray, keep: str) -> _ArmChunk:
    """Reduce a chunk of runs (a :class:`~carecast.care.model.CareBatch`, replicate-major) to per-run values."""
    c = batch.step_costs()
    totals = {"cash": c.cash.sum(axis=-1)}                              # (R, steps)
    totals["real"] = totals["cash"] * c.to_real
    totals["discounted"] = totals["real"] * c.discount
    # einsum's own loop: each draw's sums in one order, whatever the chunk (BLAS blocks by size)
    annual = {b: np.einsum("rs,sf->rf", totals[b], weights) for b in BASES}
    placement = batch.children_by_placement()                         # (R, steps + 1, P)
    by = np.concatenate([placement, placement.sum(axis=-1, keepdims=True)], axis=-1)
    if by.min() < -1e-9:
        raise ValueError(f"{name}: the model gave a negative number of children ({by.min():.3g})")
    raw: dict[str, np.ndarray] = {}
    if keep == "raw":
        raw = {"children_by_placement": placement, **{f"step_cost_{b}": totals[b] for b in BASES}}
    # rounding below zero (>= -1e-9) counts as 0; present values as CareResult.present_value, to 1e-12
    return _ArmChunk(annual, batch.present_values(), np.maximum(by, 0.0), raw)


@dataclass
class _ChunkJob:
    """Everything a chunk of draws needs, picklable, so that a chunk runs the same anywhere."""

    parameters: CareParameters
    scenario: Scenario | None
    uncertainty: Uncertainty
    inputs: Draws
    seed: int
    years: float
    step: Any
    threads: int | None
    stochastic: bool
    replicates: int
    weights: np.ndarray
    keep: str

    @property
    def draw_dependent_scenario(self) -> bool:
        return self.scenario is not None and any(i.on_scenario for i in self.uncertainty.inputs)

    def prepare(self, lo: int, hi: int) -> tuple[list[CareParameters], Any]:
        """The parameters (and scenarios) of draws lo .. hi - 1 (:meth:`Uncertainty.apply_many`: the
        same bits as applying each draw's values in turn)."""
        from carecast.care.uncertainty import DrawError

        try:
            params, scens = self.uncertainty.apply_many(self.parameters, self.scenario, self.inputs, lo, hi)
        except DrawError as err:
            raise ValueError(f"draw {err.draw} (seed {self.seed}): {err.reason}; the input's distribution reaches "
                             f"values the model cannot take") from None
        return params, (scens if self.draw_dependent_scenario else self.scenario)

    def run(self, lo: int, hi: int, prepared: tuple[list[CareParameters], Any] | None = None) -> _ChunkSummary:
        """Run draws lo .. hi - 1 (baseline, and scenario if any) and reduce them."""
        from carecast.care.compare import batch_net_values

        params, scens = prepared if prepared is not None else self.prepare(lo, hi)
        runs = dict(years=self.years, step=self.step, threads=self.threads, stochastic=self.stochastic,
                    replicates=self.replicates, chance_seed=self.inputs.chance_seed, first_draw=lo)
        base = _chunk_runs(params, None, **runs)
        arms = {"baseline": _arm_chunk("baseline", base, self.weights, self.keep)}
        if self.scenario is None:
            return _ChunkSummary(arms, None, None)
        scen = _chunk_runs(params, scens, beside=base, **runs)
        arms["scenario"] = _arm_chunk("scenario", scen, self.weights, self.keep)
        rate = self.parameters.discount_rate
        net = batch_net_values(base.step_costs(), scen.step_costs(), base.dt,
                               engine.GREEN_BOOK if rate is None else rate)
        return _ChunkSummary(arms, net["net_present_value"], net["payback_years"])


def _run_on(executor: Any, job: _ChunkJob, starts: list[int], draws: int, chunk: int, reduce: Any,
            bar: Any) -> None:
    """Chunks on an executor, at most twice its workers in flight, reduced in draw order."""
    if not callable(getattr(executor, "submit", None)):
        raise TypeError(f"executor must have a submit(fn, *args) method (a concurrent.futures.Executor or a "
                        f"Dask Client), got {type(executor).__name__}")
    if job.threads is None:
        job.threads = 1
    from carecast.engine.cluster import executor_slots

    window = 2 * max(1, executor_slots(executor))
    futures: dict[int, Any] = {}
    try:
        next_start = 0
        for lo in starts:
            while next_start < len(starts) and len(futures) < window:
                a = starts[next_start]
                futures[a] = executor.submit(job.run, a, min(draws, a + chunk))
                next_start += 1
            reduce(lo, futures.pop(lo).result())
            bar.advance(min(draws, lo + chunk) - lo)
    except BaseException:
        for f in futures.values():
            f.cancel()
        raise


def _chunk_runs(parameters: list[CareParameters], scenarios: Any, *, years: float, step: Any,
                threads: int | None, stochastic: bool, replicates: int, chance_seed: int, first_draw: int,
                beside: Any = None) -> Any:
    """One arm of one chunk of draws: one :func:`carecast.care.run_batch` call, sums only."""
    from carecast.care.model import run_batch

    return run_batch(parameters, years=years, step=step, scenario=scenarios, threads=threads,
                     stochastic=stochastic, seed=chance_seed if stochastic else None,
                     replicates_per_draw=replicates, full_occupancy=False,
                     first_replicate=first_draw * replicates if stochastic else 0, _same_rates=beside)


_RUNNER = "batched engine calls (run_batch), sums computed in C"


def checked_uncertainty(parameters: CareParameters, uncertain: Uncertainty | Sequence[Uncertain],
                        scenario: Scenario | None) -> Uncertainty:
    """The :class:`Uncertainty` of ``uncertain``, checked against the parameters and scenario (for
    :func:`psa` and :func:`carecast.care.sensitivity.sobol`)."""
    if not isinstance(parameters, CareParameters):
        raise TypeError(f"parameters must be CareParameters, got {type(parameters).__name__}")
    uncertainty = uncertain if isinstance(uncertain, Uncertainty) else Uncertainty(list(uncertain))
    if scenario is not None and not isinstance(scenario, Scenario):
        raise TypeError(f"scenario must be a Scenario, got {type(scenario).__name__}")
    if any(item.on_scenario for item in uncertainty.inputs) and scenario is None:
        raise ValueError("intervention.* and scenario.scale.* inputs need a scenario")
    uncertainty.check(parameters, scenario)
    return uncertainty


def _check_int(name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if value < low:
        raise ValueError(f"{name} must be >= {low}, got {value!r}")
    return int(value)


def psa(parameters: CareParameters, uncertain: Uncertainty | Sequence[Uncertain], *, years: float = 5.0,
        draws: int = 1000, seed: int, scenario: Scenario | None = None, step: str | float = "month",
        threads: int | None = None, stochastic: bool = False, replicates_per_draw: int = 1,
        chunk: int = 64, keep: str = "summary", relative_accuracy: float = 1e-3,
        progress: bool = True, executor: Any = None) -> PSAResult:
    """Probabilistic sensitivity analysis of a council's model (and a scenario) in one call.

    Parameters
    ----------
    parameters : CareParameters
        The base parameters (uncertain inputs replace or scale parts of them).
    uncertain : Uncertainty or sequence of Uncertain
        What is uncertain and how (see :mod:`carecast.care.uncertainty`).
    years, step
        As in :func:`carecast.care.run`.
    draws : int
        Number of parameter draws.
    seed : int
        Seed of every draw (inputs and, if stochastic, chance): same seed, same bits.
    scenario : Scenario, optional
        Run against the baseline for each draw; ``intervention.*`` inputs change its interventions.
    threads : int, optional
        CPUs to use (default: all usable): chunks of draws run side by side on
        that many worker threads, one engine thread each, and are added in
        draw order; ``threads=1`` runs everything on the calling thread. The
        bits do not depend on it.
    stochastic : bool
        Add chance (whole children; :func:`carecast.simulate`) to each draw.
    replicates_per_draw : int
        Stochastic replicates per draw (``stochastic=True`` only).
    chunk : int
        Draws per batched engine call, and per update of the sketches
        (memory, not results, depends on it; see the module notes).
    keep : {"summary", "raw"}
        ``"raw"`` also keeps per-step children by placement and costs of every run.
    relative_accuracy : float
        Of the per-step quantile sketch.
    progress : bool
        Draw a progress bar on stderr when the run takes more than two seconds.
    executor : optional
        Run the chunks elsewhere: a :class:`concurrent.futures.Executor`
        (e.g. a ``ProcessPoolExecutor``) or a Dask ``distributed.Client``,
        anything with ``submit(fn, *args)`` returning futures with
        ``result()``. Each task draws its chunk's inputs from the seed, runs
        it and reduces it to per-draw values and per-step children there;
        only those (``chunk x (financial years + steps x placements)``
        numbers) come back, and are added in draw order, so the result has
        the same bits as a local run. At most twice the executor's workers
        are in flight at a time. ``threads`` is then each task's engine
        threads (default 1: one a task, no oversubscription).

    Examples
    --------
    >>> from carecast.care import CareParameters
    >>> from carecast.care.uncertainty import Uncertain, LogNormal
    >>> p = CareParameters.empty(age_bands=(0,), placements=("foster", "home"))
    >>> p.stock[0, 0, 0] = 100.0
    >>> p.exit_rates[..., 0] = 0.3
    >>> p.weekly_cost[:] = [500.0, 0.0]
    >>> cost = Uncertain("weekly_cost", "foster", LogNormal.from_percentile(500.0, 0.95, 700.0))
    >>> r = psa(p, [cost], years=2, draws=200, seed=1, progress=False)
    >>> median = r.children_quantiles(0.5)[-1]     # no uncertainty in children: run's 49.1098
    >>> bool(abs(median - 49.1098) <= 1e-3 * 49.1098)  # the sketch's stated accuracy
    True
    >>> 0.0 < r.prob_cost_exceeds(1.5e6, "2024-25") < 1.0
    True
    """
    import time

    from carecast.care.model import step_length

    started = time.monotonic()
    uncertainty = checked_uncertainty(parameters, uncertain, scenario)
    draws = _check_int("draws", draws, 1)
    chunk = _check_int("chunk", chunk, 1)
    replicates = _check_int("replicates_per_draw", replicates_per_draw, 1)
    if replicates > 1 and not stochastic:
        raise ValueError("replicates_per_draw > 1 needs stochastic=True (deterministic replicates are identical)")
    if keep not in ("summary", "raw"):
        raise ValueError(f"keep must be 'summary' or 'raw', got {keep!r}")
    if threads is not None:
        threads = _check_int("threads", threads, 1)
    seed = _check_int("seed", seed, 0)
    dt = step_length(step)
    if isinstance(years, bool) or not isinstance(years, (int, float, np.integer, np.floating)) \
            or not np.isfinite(years) or not 0 < years <= 200:
        raise ValueError(f"years must be a number in (0, 200], got {years!r}")
    steps = max(1, int(round(float(years) / dt)))
    fy, weights, covered = financial_year_weights(parameters.start_date, steps, dt)
    P = len(parameters.placements)

    inputs = uncertainty.draw(draws, seed)
    rows = draws * replicates
    arms = {"baseline": _Accumulator("baseline", rows, steps, P, len(fy), relative_accuracy, keep)}
    if scenario is not None:
        arms["scenario"] = _Accumulator(scenario.name, rows, steps, P, len(fy), relative_accuracy, keep)
    npv = np.zeros(rows) if scenario is not None else None
    payback = np.zeros(rows) if scenario is not None else None
    job = _ChunkJob(parameters=parameters, scenario=scenario, uncertainty=uncertainty, inputs=inputs, seed=seed,
                    years=float(years), step=step, threads=threads, stochastic=bool(stochastic),
                    replicates=replicates, weights=weights, keep=keep)

    def reduce(lo: int, chunk_summary: _ChunkSummary) -> None:
        """Add one chunk to the summaries, chunk after chunk in draw order (so the bits do not
        depend on the overlap or the executor)."""
        first_row = lo * replicates
        for name, arm in chunk_summary.arms.items():
            arms[name].add(arm, first_row)
        if chunk_summary.npv is not None:
            assert npv is not None and payback is not None and chunk_summary.payback is not None
            npv[first_row:first_row + chunk_summary.npv.size] = chunk_summary.npv
            payback[first_row:first_row + chunk_summary.payback.size] = chunk_summary.payback

    starts = list(range(0, draws, chunk))
    with progress_bar(draws, "PSA draws", enabled=progress) as bar:
        if executor is not None:
            _run_on(executor, job, starts, draws, chunk, reduce, bar)
        else:
            from carecast.engine.projection import default_threads

            workers = default_threads() if threads is None else threads
            if workers == 1 or len(starts) == 1:
                for lo in starts:
                    hi = min(draws, lo + chunk)
                    reduce(lo, job.run(lo, hi))
                    bar.advance(hi - lo)
            else:
                # chunks run side by side on worker threads, one engine thread each (the engine and
                # NumPy's large operations release the GIL); this thread adds them in draw order
                from concurrent.futures import ThreadPoolExecutor

                job.threads = 1
                with ThreadPoolExecutor(max_workers=min(workers, len(starts)),
                                        thread_name_prefix="carecast-psa") as pool:
                    _run_on(pool, job, starts, draws, chunk, reduce, bar)
    for acc in arms.values():
        acc.flush()

    dates = step_dates(parameters.start_date, steps, dt)
    return PSAResult(parameters=parameters, uncertainty=uncertainty, baseline=arms["baseline"].summary(),
                     scenario=arms["scenario"].summary() if scenario is not None else None,
                     net_present_value=npv, payback_years=payback, inputs=inputs,
                     financial_years=[financial_year_label(y) for y in fy], share_of_year=covered,
                     dates=dates, placements=tuple(parameters.placements), draws=draws,
                     replicates_per_draw=replicates, stochastic=bool(stochastic), years=float(years), step=step,
                     scenario_object=scenario, keep=keep, runner=_RUNNER,
                     seconds=time.monotonic() - started)


class _Accumulator:
    """Reduces one arm's runs chunk by chunk."""

    def __init__(self, name: str, rows: int, steps: int, placements: int, fyears: int,
                 relative_accuracy: float, keep: str):
        self.name = name
        self.annual = {b: np.zeros((rows, fyears)) for b in BASES}
        self.present_value = np.zeros(rows)
        self.children = QuantileSketch((steps + 1, placements + 1), relative_accuracy)
        self._pending: list[np.ndarray] = []
        self.raw: dict[str, np.ndarray] = {}
        if keep == "raw":
            self.raw = {"children_by_placement": np.zeros((rows, steps + 1, placements)),
                        **{f"step_cost_{b}": np.zeros((rows, steps)) for b in BASES}}

    def add(self, arm: _ArmChunk, first_row: int) -> None:
        """Add one chunk's values at rows first_row onwards; its children are added to the sketch
        when the buffer holds a few chunks (the sketch is the same whatever the grouping)."""
        rows = slice(first_row, first_row + arm.present_value.size)
        for b in BASES:
            self.annual[b][rows] = arm.annual[b]
        self.present_value[rows] = arm.present_value
        self._pending.append(arm.children)
        if arm.raw:
            for name, values in arm.raw.items():
                self.raw[name][rows] = values
        if sum(p.shape[0] for p in self._pending) >= 256:
            self.flush()

    def flush(self) -> None:
        """Add the buffered children of the chunk to the sketch."""
        if self._pending:
            self.children.add(np.concatenate(self._pending))
            self._pending = []

    def summary(self) -> ArmSummary:
        return ArmSummary(self.name, self.annual, self.present_value, self.children, self.raw)
