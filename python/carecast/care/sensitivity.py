"""Which inputs decide the answer: one-way sensitivity (tornado) and a global ranking from a PSA.

* :func:`tornado`: each uncertain input in turn at its 5th and 95th
  percentile (``ppf(0.05)``, ``ppf(0.95)`` of its distribution), every other
  input at its base value (the parameters and scenario as given), two model
  runs per input (four with a scenario). The bars are sorted by swing.
* :func:`sensitivity_ranking`: from the draws of a :func:`carecast.care.psa`
  run, the partial rank correlation coefficient (PRCC) of each input with an
  output (default), or the standardised rank regression coefficient (SRRC).
  Both work on ranks, so they catch any monotone effect, not only linear
  ones; PRCC measures each input's effect with the others held fixed (it is
  not a share of variance, and does not add up), SRRC is a share-like
  coefficient whose squares sum to the rank regression's R^2 for independent
  inputs. The rank R^2 is reported: when it is low, the effects are not
  monotone and neither coefficient tells the whole story.
* :func:`sobol`: variance-based first-order and total indices from a
  Saltelli design (``samples * (inputs + 2)`` runs, batched), with bootstrap
  intervals: the share of the output's variance each input explains alone,
  and with its interactions. For independent inputs only.

Decisions
---------
* Ties get average ranks. Inputs constant over the draws (a :class:`Fixed`
  distribution) are reported with a NaN coefficient and the note
  ``"constant"``. A :class:`Dirichlet` input enters as one column per share;
  in the tornado it is not varied (a mix has no 5th / 95th percentile) and
  is listed as such.
* With stochastic replicates the input rows are repeated for each replicate
  of their draw, so chance is part of the unexplained remainder.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from carecast.care.parameters import CareParameters
from carecast.care.scenarios import Scenario
from carecast.care.tables import Table
from carecast.care.uncertainty import Uncertain, Uncertainty

__all__ = ["tornado", "Tornado", "sensitivity_ranking", "rank", "OUTPUTS", "sobol", "SobolResult", "sobol_estimates"]

#: Named outputs: a function of (baseline result, scenario result or None) -> float.
OUTPUTS: dict[str, Callable[[Any, Any], float]] = {}


def _present_value(base: Any, scen: Any) -> float:
    return float(base.present_value())


def _net_present_value(base: Any, scen: Any) -> float:
    from carecast.care.compare import compare

    if scen is None:
        raise ValueError("output 'net_present_value' needs a scenario")
    return float(compare(base, scen).present_values()["net_present_value"])


OUTPUTS["present_value"] = _present_value
OUTPUTS["net_present_value"] = _net_present_value


@dataclass
class Tornado:
    """One-way sensitivity: the output with each input at its low and high percentile.

    ``rows`` are sorted by ``swing = |output_high - output_low|``, largest
    first; ``base_output`` is the output with every input at base.
    """

    output: str
    base_output: float
    names: list[str]
    low_values: np.ndarray
    high_values: np.ndarray
    output_low: np.ndarray
    output_high: np.ndarray
    low: float
    high: float
    not_varied: list[str]

    @property
    def swing(self) -> np.ndarray:
        return np.abs(self.output_high - self.output_low)

    def table(self) -> Table:
        return Table({"input": np.array(self.names, dtype=object), "value_low": self.low_values,
                      "value_high": self.high_values, "output_low": self.output_low,
                      "output_high": self.output_high, "swing": self.swing},
                     title=f"one-way sensitivity of {self.output} (inputs at their {self.low:.0%} and "
                           f"{self.high:.0%} percentiles, others at base)")

    def summary(self) -> str:
        lines = [f"One-way sensitivity of {self.output}: base {self.base_output:,.6g}; each input at its "
                 f"{self.low:.0%} and {self.high:.0%} percentiles, the others at base."]
        for i, name in enumerate(self.names):
            lines.append(f"  {name}: {self.output_low[i]:,.6g} to {self.output_high[i]:,.6g} "
                         f"(swing {self.swing[i]:,.6g})")
        if self.not_varied:
            lines.append("Not varied (no percentiles): " + ", ".join(self.not_varied))
        return "\n".join(lines)

    def plot(self, ax: Any = None) -> Any:
        """Horizontal bars around the base output (matplotlib, imported here); returns the axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(8, 0.5 * len(self.names) + 1.5))
        y = np.arange(len(self.names))[::-1]
        ax.barh(y, self.output_low - self.base_output, left=self.base_output, color="tab:blue",
                label=f"input at {self.low:.0%} percentile")
        ax.barh(y, self.output_high - self.base_output, left=self.base_output, color="tab:orange",
                label=f"input at {self.high:.0%} percentile")
        ax.axvline(self.base_output, color="black", linewidth=0.8)
        ax.set_yticks(y)
        ax.set_yticklabels(self.names)
        ax.set_xlabel(self.output)
        ax.set_title(f"One-way sensitivity of {self.output}")
        ax.legend(fontsize="small")
        return ax


def _output_function(output: str | Callable[[Any, Any], float]) -> tuple[str, Callable[[Any, Any], float]]:
    if callable(output):
        return getattr(output, "__name__", "output"), output
    if output not in OUTPUTS:
        raise ValueError(f"output must be one of {', '.join(OUTPUTS)} or a function (baseline, scenario) -> "
                         f"float, got {output!r}")
    return output, OUTPUTS[output]


def tornado(parameters: CareParameters, uncertain: Uncertainty | Sequence[Uncertain], *,
            output: str | Callable[[Any, Any], float] = "present_value", years: float = 5.0,
            step: str | float = "month", scenario: Scenario | None = None, low: float = 0.05,
            high: float = 0.95, progress: bool = True) -> Tornado:
    """One-way sensitivity: each input at its ``low`` and ``high`` percentile, the others at base.

    Parameters
    ----------
    output : str or callable
        ``"present_value"`` (of the baseline's costs), ``"net_present_value"``
        (of the scenario's saving), or ``f(baseline_result, scenario_result)``.

    Examples
    --------
    >>> from carecast.care import CareParameters
    >>> from carecast.care.uncertainty import Uncertain, Uniform
    >>> p = CareParameters.empty(age_bands=(0,), placements=("foster", "home"))
    >>> p.stock[0, 0, 0] = 10.0
    >>> p.weekly_cost[:] = [500.0, 0.0]
    >>> t = tornado(p, [Uncertain("weekly_cost", "foster", Uniform(400.0, 600.0), name="w"),
    ...                 Uncertain("entry_cost", (), Uniform(0.0, 1.0), name="entry")], years=1, progress=False)
    >>> t.names, float(t.swing[1])                   # nobody enters care: entry cost does not matter
    (['w', 'entry'], 0.0)
    """
    from carecast.care.model import run
    from carecast.care.probabilistic import progress_bar

    uncertainty = uncertain if isinstance(uncertain, Uncertainty) else Uncertainty(list(uncertain))
    uncertainty.check(parameters, scenario)
    if not (0 < low < high < 1):
        raise ValueError(f"need 0 < low < high < 1, got low={low!r}, high={high!r}")
    name, f = _output_function(output)

    def evaluate(values: dict[str, Any]) -> float:
        p, s = uncertainty.apply(parameters, scenario, values)
        base = run(p, years=years, step=step)
        scen = run(p, years=years, step=step, scenario=s) if scenario is not None else None
        return float(f(base, scen))

    names, lows, highs, out_lo, out_hi, skipped = [], [], [], [], [], []
    varied = [item for item in uncertainty.inputs if item.distribution is not None
              and item.distribution.size == 1]
    skipped = [item.name for item in uncertainty.inputs if item not in varied]
    with progress_bar(2 * len(varied) + 1, f"tornado of {name}", enabled=progress) as bar:
        base_output = evaluate({})
        bar.advance()
        for item in varied:
            assert item.distribution is not None
            v_lo, v_hi = (float(item.distribution.ppf(low)), float(item.distribution.ppf(high)))
            names.append(item.name)
            lows.append(v_lo)
            highs.append(v_hi)
            out_lo.append(evaluate({item.name: v_lo}))
            bar.advance()
            out_hi.append(evaluate({item.name: v_hi}))
            bar.advance()
    swing = np.abs(np.array(out_hi) - np.array(out_lo))
    order = np.argsort(-swing, kind="stable")
    return Tornado(output=name, base_output=base_output, names=[names[i] for i in order],
                   low_values=np.array(lows)[order], high_values=np.array(highs)[order],
                   output_low=np.array(out_lo)[order], output_high=np.array(out_hi)[order],
                   low=float(low), high=float(high), not_varied=skipped)


def rank(values: Any) -> np.ndarray:
    """Ranks 1..n along axis 0, ties sharing their average rank.

    >>> rank([10.0, 30.0, 20.0, 30.0]).tolist()
    [1.0, 3.5, 2.0, 3.5]
    """
    x = np.asarray(values, dtype=np.float64)
    if x.ndim == 1:
        return _rank1(x)
    return np.column_stack([_rank1(x[:, j]) for j in range(x.shape[1])])


def _rank1(x: np.ndarray) -> np.ndarray:
    order = np.argsort(x, kind="stable")
    sorted_x = x[order]
    ranks = np.empty(x.size)
    start = np.flatnonzero(np.concatenate(([True], sorted_x[1:] != sorted_x[:-1])))
    ends = np.append(start[1:], x.size)
    avg = (start + ends + 1) / 2.0                   # average of ranks start+1 .. end
    ranks[order] = np.repeat(avg, ends - start)
    return ranks


def _output_values(result: Any, output: Any) -> tuple[str, np.ndarray]:
    if isinstance(output, str):
        if output == "present_value":
            return output, result.baseline.present_value
        if output == "net_present_value":
            if result.net_present_value is None:
                raise ValueError("output 'net_present_value' needs a PSA run with a scenario")
            return output, result.net_present_value
        raise ValueError(f"output must be 'present_value', 'net_present_value', ('cost', year, basis) or an "
                         f"array of one value per run, got {output!r}")
    if isinstance(output, tuple) and len(output) in (2, 3) and output[0] == "cost":
        basis = output[2] if len(output) == 3 else "cash"
        k = result._year(output[1])
        return f"cost in {output[1]} ({basis})", result.baseline.annual[result._basis(basis)][:, k]
    values = np.asarray(output, dtype=np.float64)
    if values.shape != (result.rows,):
        raise ValueError(f"output array has shape {values.shape}, expected ({result.rows},): one value per run")
    return "output", values


def sensitivity_ranking(result: Any, output: Any = "present_value", *, method: str = "prcc") -> Table:
    """Rank the uncertain inputs of a PSA by their influence on an output.

    Parameters
    ----------
    result : PSAResult
    output : str, tuple or array
        ``"present_value"`` (baseline), ``"net_present_value"`` (scenario),
        ``("cost", "2025-26", basis)``, or one value per run.
    method : {"prcc", "srrc"}
        Partial rank correlation coefficients, or standardised rank
        regression coefficients (see the module notes).

    Returns
    -------
    Table
        ``input``, ``coefficient``, ``abs_coefficient``, ``rank`` (1 = most
        influential), ``note``, sorted by influence; its title carries the
        method and the rank regression's R^2.
    """
    if method not in ("prcc", "srrc"):
        raise ValueError(f"method must be 'prcc' or 'srrc', got {method!r}")
    label, y = _output_values(result, output)
    names, x = result.inputs.matrix()
    if result.replicates_per_draw > 1:
        x = np.repeat(x, result.replicates_per_draw, axis=0)
    if x.shape[0] < x.shape[1] + 3:
        raise ValueError(f"{x.shape[0]} runs are too few to rank {x.shape[1]} inputs (need at least inputs + 3)")
    if not np.all(np.isfinite(y)):
        raise ValueError(f"the output {label!r} has non-finite values (e.g. payback 'never'); rank a finite output")
    varies = np.ptp(x, axis=0) > 0
    coefficient = np.full(len(names), np.nan)
    notes = ["" if v else "constant" for v in varies]
    rx = rank(x[:, varies])
    ry = rank(y)
    r2 = float("nan")
    if np.ptp(y) == 0:
        notes = [n or "output constant" for n in notes]
    elif rx.shape[1]:
        design = np.column_stack([np.ones(rx.shape[0]), rx])
        coef, *_ = np.linalg.lstsq(design, ry, rcond=None)
        fitted = design @ coef
        r2 = float(1 - ((ry - fitted) ** 2).sum() / ((ry - ry.mean()) ** 2).sum())
        cols = np.flatnonzero(varies)
        if method == "srrc":
            coefficient[cols] = coef[1:] * rx.std(axis=0) / ry.std()
        else:
            for j, col in enumerate(cols):
                others = np.column_stack([np.ones(rx.shape[0]), np.delete(rx, j, axis=1)])
                res_x = rx[:, j] - others @ np.linalg.lstsq(others, rx[:, j], rcond=None)[0]
                res_y = ry - others @ np.linalg.lstsq(others, ry, rcond=None)[0]
                denom = np.sqrt((res_x ** 2).sum() * (res_y ** 2).sum())
                coefficient[col] = (res_x * res_y).sum() / denom if denom > 0 else np.nan
    magnitude = np.where(np.isnan(coefficient), -1.0, np.abs(coefficient))
    order = np.argsort(-magnitude, kind="stable")
    ranks = np.empty(len(names))
    ranks[order] = np.arange(1, len(names) + 1)
    title = (f"{'partial rank correlation' if method == 'prcc' else 'standardised rank regression'} of "
             f"{label} with each input, {result.rows} runs; rank regression R^2 = {r2:.3f}")
    return Table({"input": np.array(names, dtype=object)[order], "coefficient": coefficient[order],
                  "abs_coefficient": np.abs(coefficient[order]), "rank": ranks[order].astype(int),
                  "note": np.array(notes, dtype=object)[order]}, title=title)


# -------------------------------------------------------------------- Sobol indices
def sobol_estimates(f_a: Any, f_b: Any, f_ab: Any) -> tuple[np.ndarray, np.ndarray]:
    """First-order and total Sobol indices from the runs of a Saltelli design.

    ``f_a`` and ``f_b`` are the output on two independent samples ``A`` and
    ``B`` of the inputs ``(N,)``; ``f_ab[i]`` on ``A`` with input ``i``'s
    column taken from ``B`` ``(k, N)``. First order by Saltelli et al.
    (2010), ``S_i = mean((f_B - m) (f_ABi - f_A)) / V`` with ``m`` the pooled
    mean (centring keeps the expectation and cuts the noise); total by Jansen (1999),
    ``ST_i = mean((f_A - f_ABi)^2) / (2 V)``; ``V`` the variance of ``f_A``
    and ``f_B`` pooled.

    Examples
    --------
    ``y = x1 + 2 x2`` with independent uniforms: ``S = ST = (1, 4) / 5``.

    >>> rng = np.random.default_rng(1)
    >>> a, b = rng.uniform(size=(2, 20000, 2))
    >>> f = lambda x: x[:, 0] + 2 * x[:, 1]
    >>> ab = [np.where(np.arange(2) == i, b, a) for i in range(2)]
    >>> s, st = sobol_estimates(f(a), f(b), np.stack([f(x) for x in ab]))
    >>> np.round(s, 1).tolist(), np.round(st, 1).tolist()
    ([0.2, 0.8], [0.2, 0.8])
    """
    fa, fb, fab = (np.asarray(x, dtype=np.float64) for x in (f_a, f_b, f_ab))
    pooled = np.concatenate([fa, fb])
    variance = np.var(pooled)
    if not variance > 0:
        nan = np.full(fab.shape[0], np.nan)
        return nan, nan.copy()
    # f_B centred: the same expectation (f_ABi - f_A has mean 0), far less noise when the output's
    # mean is large against its spread (a present value of millions varying by a few per cent)
    first = np.mean((fb - pooled.mean()) * (fab - fa), axis=-1) / variance
    total = 0.5 * np.mean((fa - fab) ** 2, axis=-1) / variance
    return first, total


@dataclass
class SobolResult:
    """Sobol indices of a care model output (from :func:`sobol`)."""

    inputs: list[str]
    first_order: np.ndarray
    total: np.ndarray
    first_order_interval: np.ndarray      # (k, 2): bootstrap interval
    total_interval: np.ndarray
    output: str
    base_samples: int
    runs: int
    variance: float
    level: float

    def table(self) -> Table:
        """One row per input, sorted by total index: ``first_order``, ``total`` and their intervals."""
        order = np.argsort(-np.nan_to_num(self.total, nan=-1.0), kind="stable")
        lo, hi = f"{(1 - self.level) / 2:.3g}", f"{(1 + self.level) / 2:.3g}"
        return Table({"input": np.array(self.inputs, dtype=object)[order],
                      "first_order": self.first_order[order], f"first_order_q{lo}": self.first_order_interval[order, 0],
                      f"first_order_q{hi}": self.first_order_interval[order, 1], "total": self.total[order],
                      f"total_q{lo}": self.total_interval[order, 0], f"total_q{hi}": self.total_interval[order, 1],
                      "rank": np.arange(1, len(order) + 1)},
                     title=f"Sobol indices of {self.output}: {self.base_samples:,} base samples, {self.runs:,} runs "
                           f"(Saltelli first order, Jansen total; {self.level:.0%} bootstrap intervals)")

    def __repr__(self) -> str:
        return (f"<SobolResult of {self.output}: {len(self.inputs)} inputs, {self.base_samples} base samples, "
                f"{self.runs} runs>")


def sobol(parameters: CareParameters, uncertain: Uncertainty | Sequence[Uncertain], *, output: Any = "present_value",
          samples: int = 1000, seed: int, scenario: Scenario | None = None, years: float = 5.0,
          step: str | float = "month", threads: int | None = None, chunk: int = 64, level: float = 0.95,
          bootstrap: int = 500, progress: bool = True) -> SobolResult:
    """Variance-based (Sobol) sensitivity of a care model output to each uncertain input.

    Each input's first-order index is the share of the output's variance it
    explains alone; its total index adds its interactions with the others.
    The design (Saltelli 2010) runs the model ``samples * (k + 2)`` times for
    ``k`` inputs: two independent samples ``A`` and ``B`` of every input,
    and ``A`` with each input in turn taken from ``B``. Intervals are
    percentile bootstrap intervals over the base samples.

    Parameters
    ----------
    parameters, uncertain, scenario, years, step, threads
        As :func:`carecast.care.psa`; every input is one factor (an array
        input or a mix is moved as a whole).
    output : str or tuple
        ``"present_value"`` (of the baseline's costs, real and discounted),
        ``"net_present_value"`` (of the scenario's saving), or
        ``("cost", "2025-26", basis)`` (the baseline's cost in a financial
        year, ``basis`` cash, real or discounted).
    samples : int
        Base samples ``N`` (at least 100): the error of each index falls as
        ``1 / sqrt(N)``; the intervals show it.
    seed : int
        Same seed, same bits (the two samples use independent streams of it).

    Raises
    ------
    ValueError
        For correlated inputs (Sobol indices are defined for independent
        inputs; use :func:`sensitivity_ranking` on a PSA instead), stochastic
        models (not offered: chance would be an input of its own), and
        outputs the runs do not give.

    Examples
    --------
    >>> from carecast.care import CareParameters
    >>> from carecast.care.uncertainty import Uniform
    >>> p = CareParameters.empty(age_bands=(0,), placements=("foster", "home"))
    >>> p.stock[0, :, 0] = [60.0, 40.0]
    >>> p.weekly_cost[:] = [500.0, 3000.0]
    >>> u = [Uncertain("weekly_cost", "foster", Uniform(400.0, 600.0)),
    ...      Uncertain("weekly_cost", "home", Uniform(2000.0, 4000.0))]
    >>> r = sobol(p, u, samples=500, seed=1, years=1, progress=False)
    >>> bool(r.total[1] > 0.9 > r.total[0])      # home costs decide the present value
    True
    """
    from carecast.care.calendar import financial_year_label, financial_year_weights
    from carecast.care.compare import batch_net_values
    from carecast.care.model import run_batch, step_length
    from carecast.care.probabilistic import _check_int, checked_uncertainty, progress_bar

    uncertainty = checked_uncertainty(parameters, uncertain, scenario)
    if uncertainty.correlated and np.any(np.abs(uncertainty.correlation - np.eye(len(uncertainty.correlated))) > 0):
        raise ValueError("Sobol indices need independent inputs, and these are correlated; rank them with "
                         "sensitivity_ranking on a psa() result instead")
    samples = _check_int("samples", samples, 100)
    chunk = _check_int("chunk", chunk, 1)
    bootstrap = _check_int("bootstrap", bootstrap, 0)
    if not 0 < float(level) < 1:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    dt = step_length(step)
    steps = max(1, int(round(float(years) / dt)))
    years_fy, fy_weights, covered = financial_year_weights(parameters.start_date, steps, dt)
    labels = [financial_year_label(y) for y in years_fy]
    if output == "net_present_value":
        if scenario is None:
            raise ValueError("output 'net_present_value' needs a scenario")
        label = "the net present value of the saving"
    elif output == "present_value":
        label = "the present value of costs"
    elif isinstance(output, tuple) and len(output) in (2, 3) and output[0] == "cost":
        basis = output[2] if len(output) == 3 else "cash"
        if basis not in ("cash", "real", "discounted"):
            raise ValueError(f"basis must be cash, real or discounted, got {basis!r}")
        if output[1] not in labels:
            raise ValueError(f"year {output[1]!r} is not in the run (financial years: {', '.join(labels)})")
        year_k = labels.index(output[1])
        if covered[year_k] < 1 - 1e-9:
            raise ValueError(f"the run covers only {covered[year_k]:.0%} of {output[1]}: lengthen the run")
        label = f"the cost in {output[1]} ({basis})"
    else:
        raise ValueError(f"output must be 'present_value', 'net_present_value' or ('cost', year, basis), "
                         f"got {output!r}")
    seeds = np.random.SeedSequence(int(_check_int("seed", seed, 0))).generate_state(2, np.uint32)
    a, b = uncertainty.draw(samples, int(seeds[0])), uncertainty.draw(samples, int(seeds[1]))
    k = len(uncertainty.names)
    rows = [(0, -1, r) for r in range(samples)] + [(1, -1, r) for r in range(samples)] + \
        [(0, i, r) for i in range(k) for r in range(samples)]
    y = np.empty(len(rows))
    rate = parameters.discount_rate
    schedule = None
    if output == "net_present_value":
        from carecast import engine
        schedule = engine.GREEN_BOOK if rate is None else rate

    def values_of(which: int, swap: int, r: int) -> dict[str, Any]:
        values = uncertainty.values_of(a if which == 0 else b, r)
        if swap >= 0:
            name = uncertainty.names[swap]
            values[name] = uncertainty.values_of(b, r)[name]
        return values

    with progress_bar(len(rows), f"Sobol runs of {label}", enabled=progress) as bar:
        for lo in range(0, len(rows), chunk):
            part = rows[lo:lo + chunk]
            params, scens = [], []
            for which, swap, r in part:
                p_r, s_r = uncertainty.apply(parameters, scenario, values_of(which, swap, r))
                params.append(p_r)
                scens.append(s_r)
            base = run_batch(params, years=years, step=step, threads=threads, full_occupancy=False)
            if output == "present_value":
                y[lo:lo + len(part)] = base.present_values()
            elif output == "net_present_value":
                alt = run_batch(params, years=years, step=step, threads=threads, full_occupancy=False, scenario=scens)
                y[lo:lo + len(part)] = batch_net_values(base.step_costs(), alt.step_costs(), base.dt,
                                                         schedule)["net_present_value"]
            else:
                c = base.step_costs()
                per_step = c.terms(basis).sum(axis=-1)
                y[lo:lo + len(part)] = np.einsum("rs,s->r", per_step, fy_weights[:, year_k])
            bar.advance(len(part))
    if not np.all(np.isfinite(y)):
        raise ValueError(f"{label} is not finite in some runs")
    f_a, f_b, f_ab = y[:samples], y[samples:2 * samples], y[2 * samples:].reshape(k, samples)
    first, total = sobol_estimates(f_a, f_b, f_ab)
    rng = np.random.default_rng(int(seeds[1]) + 1)
    lo_q, hi_q = (1 - level) / 2, (1 + level) / 2
    intervals = np.full((2, k, 2), np.nan)
    if bootstrap:
        picks = rng.integers(0, samples, size=(bootstrap, samples))
        boot = np.array([sobol_estimates(f_a[i], f_b[i], f_ab[:, i]) for i in picks])      # (bootstrap, 2, k)
        intervals = np.quantile(boot, [lo_q, hi_q], axis=0).transpose(1, 2, 0)             # (2, k, 2)
    return SobolResult(inputs=list(uncertainty.names), first_order=first, total=total,
                       first_order_interval=intervals[0], total_interval=intervals[1], output=label,
                       base_samples=samples, runs=len(rows), variance=float(np.var(np.concatenate([f_a, f_b]))),
                       level=float(level))
