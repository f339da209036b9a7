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

__all__ = ["tornado", "Tornado", "sensitivity_ranking", "rank", "OUTPUTS"]

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
