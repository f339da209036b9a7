"""Everything one run produces, gathered for the writers (CSV folder, workbook, HTML report).

:func:`build_report` runs the baseline, each scenario, the comparisons and,
with ``draws``, stochastic replicates for an uncertainty fan; the result, a
:class:`RunReport`, is what :func:`carecast.care.outputs.write_outputs`,
:func:`~carecast.care.outputs.workbook.write_workbook` and
:func:`~carecast.care.outputs.html.html_report` read. They use only the
public API of :class:`~carecast.care.model.CareResult` and
:class:`~carecast.care.compare.Comparison`.

Uncertainty (decisions): the fan is of the baseline's children in care and
carries chance only (who enters and who leaves: Poisson entries, binomial
exits and moves, :func:`carecast.simulate`) around fixed rates, not the
uncertainty of the rates themselves; the text says so wherever the fan is
shown. The simulation needs whole children, so the starting stock is rounded
state by state by largest remainders, which keeps the total (rounded) and
moves no child by more than one.

Before anything large is allocated, :func:`check_size` estimates the memory a
run needs and refuses one that would not fit (``MemoryError`` with the
estimate), so that huge ``--years`` or ``--draws`` end in a clear message.
"""

from __future__ import annotations

import datetime as _dt
import logging
import math
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from carecast import engine

__all__ = ["RunReport", "ScenarioRun", "Uncertainty", "build_report", "check_size", "estimate_psa_bytes", "MAX_DRAWS",
           "simulate_fan"]

log = logging.getLogger("carecast.outputs")

#: Most stochastic draws a run may ask for (about a minute per 10,000 on a laptop for a council model).
MAX_DRAWS = 100_000
_CHUNK = 250           # replicates simulated at a time: memory stays bounded whatever the draws


@dataclass
class ScenarioRun:
    """A named scenario, its run and its comparison with the baseline."""

    name: str
    description: str
    result: Any
    comparison: Any


@dataclass
class Uncertainty:
    """Children in care by date over stochastic draws (see the module notes)."""

    dates: np.ndarray
    projection: np.ndarray
    mean: np.ndarray
    quantiles: dict[int, np.ndarray]
    draws: int
    seed: int
    description: str
    note: str = ""


@dataclass
class RunReport:
    """The baseline, scenarios, checks and optional uncertainty of one run, with what was run.

    Attributes
    ----------
    name : str
        The model's name as shown in titles (never a file path).
    model : str
        What was run: an example name or the scenario file's name.
    baseline : CareResult
    scenarios : list of ScenarioRun
    checks : list of carecast.care.examples.Check
    uncertainty : Uncertainty or None
        The chance-only fan (``draws`` without declared uncertainty).
    psa : PSARun or None
        The whole-model PSA (``draws`` with declared uncertainty;
        :mod:`carecast.care.outputs.psa`).
    uncertain : Uncertainty or None
        The model's declared uncertainty, with or without draws (written to
        ``scenario.toml``).
    years : float
    step : str
    created : str
        Date of the run (ISO 8601).
    version : str
        carecast version.
    """

    name: str
    model: str
    baseline: Any
    scenarios: list[ScenarioRun] = field(default_factory=list)
    checks: list = field(default_factory=list)
    uncertainty: Uncertainty | None = None
    psa: Any = None
    uncertain: Any = None
    years: float = 5.0
    step: str = "month"
    created: str = ""
    version: str = ""

    @property
    def parameters(self):
        return self.baseline.parameters

    def html(self) -> str:
        """The self-contained HTML report (see :mod:`carecast.care.outputs.html`)."""
        from carecast.care.outputs.html import html_report
        return html_report(self)

    def _repr_html_(self) -> str:
        """In a notebook: the same report, in a frame of its own (its styles cannot touch the notebook's)."""
        import html as _html
        return (f'<iframe title="carecast report: {_html.escape(self.name)}" style="width:100%;height:40rem;'
                f'border:1px solid #bbb" sandbox srcdoc="{_html.escape(self.html(), quote=True)}"></iframe>')

    def summary(self, *, show_assumptions: bool = True) -> str:
        """The printed summary: baseline, checks, uncertainty, each scenario against the baseline, then the assumptions."""
        from carecast.care.report import money, summary_text
        text = [summary_text(self.baseline, title=f"carecast: {self.name} (baseline)", checks=self.checks,
                             show_assumptions=False)]
        if self.uncertainty is not None:
            u = self.uncertainty
            text.append(f"\nUncertainty ({u.draws} draws, seed {u.seed}; chance only, rates fixed): children in care "
                        f"on {str(u.dates[-1])}: {u.quantiles[50][-1]:,.0f} (90% of draws between "
                        f"{u.quantiles[5][-1]:,.0f} and {u.quantiles[95][-1]:,.0f}).")
            if u.note:
                text.append(u.note)
        if self.psa is not None:
            from carecast.care.outputs.psa import psa_summary_text
            text.append("\n" + psa_summary_text(self.psa))
        if self.scenarios:
            base_pv = self.baseline.present_value()
            text.append("\nScenarios (children in care at the end; present value of costs; saving against baseline)")
            text.append(f"  {'baseline':<24}{float(self.baseline.children_in_care()[-1]):>10,.0f}  "
                        f"{money(base_pv):>12}  {money(0):>12}")
            for s in self.scenarios:
                pv = s.result.present_value()
                text.append(f"  {s.name:<24}{float(s.result.children_in_care()[-1]):>10,.0f}  {money(pv):>12}  "
                            f"{money(base_pv - pv):>12}")
            for s in self.scenarios:
                text.append("\n" + s.comparison.summary())
        assumptions = self.parameters.assumptions
        if show_assumptions and assumptions:
            text += ["", "Assumptions (not from published sources):"] + [f"  - {a}" for a in assumptions]
        return "\n".join(text)


def _available_memory() -> int | None:
    """Bytes of memory available now: Linux's MemAvailable (free memory plus the page cache it can
    reclaim), else free pages (most Unix), else None."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def estimate_bytes(parameters, years: float, step, *, runs: int = 1, draws: int = 0) -> int:
    """A generous estimate of the peak memory of ``runs`` projections and ``draws`` replicates, in bytes.

    Per projection: occupancy, inflow and costs by state (steps x states) and
    flow values and counts (steps x flows), each float64, counted three
    times over for temporaries. Flows are bounded by states x (exit groups +
    placements). Draws are simulated in chunks of 250, and each draw keeps
    one total per date.
    """
    from carecast.care.model import step_length
    dt = step_length(step)
    steps = max(1, int(round(float(years) / dt)))
    A, P, T, E = parameters.shape
    states = A * P * T + E * (A + 1) + 64          # in care, exits and post-exit chains (an upper bound)
    flows = A * P * T * (E + P + 1)
    per_run = 8 * (steps + 1) * (4 * states + 3 * flows) * 3
    sims = 0
    if draws:
        sims = 8 * min(draws, _CHUNK) * (steps + 1) * states * 2 + 8 * draws * (steps + 1)
    return int(per_run * max(runs, 1) + sims)


def estimate_psa_bytes(parameters, years: float, step, *, draws: int, calls: int = 1, scenario: bool = False,
                       chance: bool = False, inputs: int = 0) -> int:
    """A generous estimate of the peak memory of ``calls`` :func:`carecast.care.psa` calls of ``draws`` draws.

    Per call: the engine runs of one chunk of 64 draws for each arm in
    flight (a batched call holds its chunk; with chance, one run with its
    moves and its simulated replicate per draw instead), the children of a
    chunk buffered for the sketches, the per-step quantile sketches at their
    stated bound (``series x ln(largest / 1e-6) / (2 x 1e-3)`` int32 counts,
    the largest taken as ten times the starting stock), and per draw three
    cost bases by financial year, present values, net present value,
    payback and the drawn inputs (float64), and the raw per-step values when
    they are kept for exact quantiles
    (:data:`carecast.care.outputs.psa.RAW_LIMIT_BYTES`). The results of
    every call are kept (the report reads them); the engine runs of one call
    at a time.
    """
    from carecast.care.model import step_length
    dt = step_length(step)
    steps = max(1, int(round(float(years) / dt)))
    A, P, T, E = parameters.shape
    states = A * P * T + E * (A + 1) + 64
    flows = A * P * T * (E + P + 1)
    per_run = 8 * (steps + 1) * (4 * states + 3 * flows) * 3
    arms = 2 if scenario else 1
    engine = per_run * (2 if chance else 64) * arms
    pending = 8 * 64 * (steps + 1) * (P + 1) * arms
    largest = max(10.0 * float(np.sum(parameters.stock)), 1.0)
    buckets = math.log(largest / 1e-6) / (2 * 1e-3) + 2
    sketch = 4 * (steps + 1) * (P + 1) * buckets * arms
    fyears = int(math.ceil(float(years))) + 2
    per_draw = 8 * draws * (3 * fyears * arms + arms + 2 + max(inputs, 1))
    from carecast.care.outputs.psa import RAW_LIMIT_BYTES, raw_bytes
    raw = raw_bytes(parameters, years, step, draws=draws, calls=calls, scenario=scenario)
    kept = raw if raw <= RAW_LIMIT_BYTES else 0
    return int(engine + pending + (sketch + per_draw) * max(calls, 1) + kept)


def _size(n: float) -> str:
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if n >= scale:
            return f"{n / scale:,.1f} {unit}"
    return f"{n / 1e3:,.0f} kB"


def check_size(parameters, years: float, step, *, runs: int = 1, draws: int = 0,
               available: int | None = None, psa: bool = False, chance: bool = False, inputs: int = 0) -> None:
    """Refuse, before allocating, a run that would not fit in memory (``MemoryError`` naming the arguments).

    ``available`` defaults to the memory available now; where that is not
    known, 8 GB is assumed. A run may use up to half of it. With
    ``psa=True`` the draws are a whole-model PSA (:func:`estimate_psa_bytes`:
    one call per scenario, ``runs - 1`` of them, or one for the baseline
    alone; ``chance`` and ``inputs`` as there) instead of chance-only
    replicates.
    """
    if isinstance(draws, bool) or not isinstance(draws, (int, np.integer)) or draws < 0:
        raise ValueError(f"draws must be a whole number >= 0, got {draws!r}")
    if draws > MAX_DRAWS:
        raise MemoryError(f"--draws {draws:,} is more than the {MAX_DRAWS:,} carecast runs at once "
                          "(the percentiles of a fan settle long before that)")
    if psa and draws:
        need = estimate_bytes(parameters, years, step, runs=runs) + estimate_psa_bytes(
            parameters, years, step, draws=int(draws), calls=max(runs - 1, 1), scenario=runs > 1, chance=chance,
            inputs=inputs)
    else:
        need = estimate_bytes(parameters, years, step, runs=runs, draws=int(draws))
    have = available if available is not None else (_available_memory() or 8_000_000_000)
    if need > have / 2:
        raise MemoryError(f"--years {years:g} with --step {step}" + (f" and --draws {draws:,}" if draws else "")
                          + (" (a PSA)" if psa and draws else "")
                          + f" would need about {_size(need)} of memory, more than half of the {_size(have)} "
                          "available. Use fewer years, a longer step or fewer draws")


def _whole(x0: np.ndarray) -> np.ndarray:
    """Round to whole numbers by largest remainders, keeping the rounded total."""
    x = np.asarray(x0, dtype=float)
    base = np.floor(x)
    short = int(round(x.sum() - base.sum()))
    if short > 0:
        order = np.argsort(-(x - base), kind="stable")
        base[order[:short]] += 1
    return base


def simulate_fan(result, draws: int, seed: int = 0, *, threads: int | None = None) -> Uncertainty:
    """Children in care over ``draws`` stochastic replicates of a run (chance only, see the module notes)."""
    if isinstance(draws, bool) or not isinstance(draws, (int, np.integer)) or draws < 2:
        raise ValueError(f"draws must be a whole number >= 2, got {draws!r}")
    a = result.arrays
    in_care = result.space.in_care
    x0 = _whole(a.x0)
    totals = np.empty((draws, result.steps + 1))
    first = 0
    while first < draws:
        n = min(_CHUNK, draws - first)
        if n == a.steps and n > 1:
            # per-step values of shape (steps, .) would be ambiguous with per-replicate ones when
            # replicates == steps; a chunk one smaller avoids that without copying the arrays per replicate
            n -= 1
        sim = engine.simulate(x0, a.src, a.dst, a.value, a.steps, dt=a.dt, kind="prob", inflow=a.inflow,
                              advance=a.advance, replicates=n, seed=seed, first_replicate=first,
                              threads=threads, keep_moved=False)
        totals[first:first + n] = np.asarray(sim.occupancy)[:, :, :in_care].sum(axis=2)
        log.info("simulated %d of %d draws", first + n, draws)
        first += n
    quantiles = {q: np.percentile(totals, q, axis=0) for q in (5, 25, 50, 75, 95)}
    return Uncertainty(dates=result.dates, projection=result.children_in_care(), mean=totals.mean(axis=0),
                       quantiles=quantiles, draws=int(draws), seed=int(seed),
                       description=f"Chance only: {draws} stochastic runs of the baseline with whole children "
                                   "(Poisson entries, binomial exits and moves) at the model's rates; the rates "
                                   "themselves are held fixed, so the true uncertainty is wider.")


def build_report(parameters, *, scenarios=None, years: float = 5.0, step="month", checks=None, name: str | None = None,
                 model: str = "", draws: int = 0, seed: int = 0, uncertain=None, uncertainty_origin: str = "",
                 chance: bool = False, budgets=(), budget_year: str | None = None, no_uncertainty_note: str = "",
                 progress=None) -> RunReport:
    """Run the baseline, each scenario and (with ``draws``) the PSA or the chance-only fan; gather them.

    Parameters
    ----------
    parameters : CareParameters
    scenarios : dict of str to Scenario, optional
    years, step
        As for :func:`carecast.care.run`.
    checks : list of Check, optional
        Published figures to set the baseline against.
    name : str, optional
        Name shown in titles (default ``parameters.name``); replaces ``parameters.name``.
    model : str
        What was run (an example name or file name), for the record.
    draws, seed
        Draws (0: none) and their seed. With ``uncertain`` (one input or
        more) the draws are a whole-model PSA
        (:func:`carecast.care.outputs.psa.run_psa`: the baseline alone, or
        each scenario against it); without, a chance-only fan of the
        baseline (:func:`simulate_fan`).
    uncertain : Uncertainty, optional
        The model's declared uncertainty.
    uncertainty_origin : str
        Where it comes from, in words (for the text).
    chance : bool
        Add chance (whole children) to each PSA draw.
    budgets, budget_year
        Cash budgets (pounds) for one whole financial year (``"2026-27"``;
        default: the first whole financial year of the run); they need
        ``uncertain`` and ``draws``.
    no_uncertainty_note : str
        With a chance-only fan: why there is no PSA, for the text.
    progress : Progress, optional
        Advanced once per run.

    Examples
    --------
    >>> from carecast.care.examples import load_example
    >>> ex = load_example("norfolk-2017")
    >>> report = build_report(ex.parameters, years=2, checks=ex.checks)
    >>> report.name, len(report.scenarios)
    ('Norfolk (E10000020) from 31 March 2012', 0)
    """
    from carecast import __version__
    from carecast.care.compare import compare
    from carecast.care.model import run

    scenarios = dict(scenarios or {})
    if name is not None:
        name = str(name).strip()
        if not name:
            raise ValueError("name must not be empty")
        parameters = parameters.replace(name=name)
    declared = uncertain is not None and len(uncertain) > 0
    if (chance or budgets) and not (draws and declared):
        raise ValueError(("chance" if chance else "budgets") + " need draws and declared uncertainty (uncertain=)")
    check_size(parameters, years, step, runs=1 + len(scenarios), draws=draws, psa=declared, chance=chance,
               inputs=len(uncertain) if declared else 0)

    def tick(what: str) -> None:
        log.info("%s done", what)
        if progress is not None:
            progress.advance(what=what)

    baseline = run(parameters, years=years, step=step)
    tick("baseline")
    runs = []
    for scen_name, scenario in scenarios.items():
        result = run(parameters, years=years, step=step, scenario=scenario)
        runs.append(ScenarioRun(scen_name, scenario.description, result, compare(baseline, result)))
        tick(f"scenario {scen_name}")
    uncertainty, psa_run = None, None
    if draws and declared:
        from carecast.care.outputs.psa import run_psa
        psa_run = run_psa(parameters, uncertain, scenarios=scenarios, years=years, step=step, draws=draws, seed=seed,
                          chance=chance, budgets=budgets, budget_year=budget_year, origin=uncertainty_origin,
                          tick=tick)
    elif draws:
        uncertainty = simulate_fan(baseline, draws, seed)
        uncertainty.note = no_uncertainty_note
        tick(f"{draws} draws")
    return RunReport(name=parameters.name, model=model, baseline=baseline, scenarios=runs, checks=list(checks or []),
                     uncertainty=uncertainty, psa=psa_run, uncertain=uncertain if declared else None,
                     years=float(years), step=str(step),
                     created=_dt.date.today().isoformat(), version=__version__)
