"""The whole-model probabilistic sensitivity analysis of a run (``carecast run --draws N``), with its tables.

:func:`run_psa` runs :func:`carecast.care.psa` for the model's declared
uncertainty: the baseline alone, or each named scenario against the
baseline (one :func:`~carecast.care.psa` call per scenario); a
:class:`PSARun` gathers the results for the writers, with the budget
probabilities, and :func:`children_quantiles_table`,
:func:`cost_quantiles_table`, :func:`draws_table` and
:func:`sensitivity_table` (which inputs move the results most, by partial
rank correlation: :func:`carecast.care.sensitivity.sensitivity_ranking`)
make its CSV tables.

Decisions (where the design is silent)
--------------------------------------
* **Every scenario against one baseline.** :func:`~carecast.care.psa` takes
  one scenario, so each scenario is its own call with the same seed. Inputs
  are drawn from one stream per input in declaration order, so every call
  draws the same values of every input, and the baseline arm is the same
  run for run in every call; the baseline reported is the first call's
  (a test checks that the calls agree).
* **Scenario inputs go where they fit.** An ``intervention.*`` input applies
  to a scenario that has that intervention (its type or index and field); a
  ``scenario.scale.<field>`` input only to a scenario that scales
  ``<field>`` (applying it to another would invent a policy it does not
  have). In the other calls (and a baseline-only run) it is replaced by a
  no-op of the same name (``entry_cost`` scaled by ``Fixed(1.0)``, which
  leaves every number as it is) so that the streams of the other inputs do
  not move. The summary says which scenario inputs apply to which scenario.
* **Chance** (``chance=True``, ``carecast run --chance``): each draw is also
  run with whole children (Poisson entries, binomial exits and moves), one
  replicate per draw. The simulation needs whole children, so the starting
  stock of the PSA runs is rounded state by state by largest remainders (as
  the chance-only fan does), which keeps the rounded total and moves no
  child by more than one; the deterministic tables keep the unrounded stock.
* **Budgets** are about cash costs of one whole financial year (the
  default, the first whole financial year of the run): the share of draws
  whose cash cost that year is above the budget, for each arm.
* **Exact per-step quantiles when they fit.** Where the raw per-step values
  of every call (children by placement and step costs, float64) take at most
  :data:`RAW_LIMIT_BYTES` (256 MB: 1,000 monthly draws over ten years of a
  nine-placement model with three scenarios take about 70 MB), they are kept
  (``keep="raw"``) and the per-step quantiles are exact; above it they come
  from the PSA's sketch, within 0.1% of exact, and the tables say which.
  Costs by financial year and every probability are exact either way.
* Probabilities are shares of the draws; their standard error is at most
  ``0.5 / sqrt(draws)``, and the text says so.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from carecast.care.outputs.context import OutputTable
from carecast.care.outputs.labels import date_tag, fy_csv, long_date, money_columns, price_tag

__all__ = ["PSARun", "run_psa", "run_financial_years", "default_budget_year", "children_quantiles_table",
           "cost_quantiles_table", "draws_table", "psa_summary_text", "probability_lines", "input_lines",
           "share_text", "uncertain_toml", "raw_bytes", "QUANTILES", "RAW_LIMIT_BYTES"]

log = logging.getLogger("carecast.outputs")

#: Quantiles of the tables (per cent).
QUANTILES = (5, 25, 50, 75, 95)


@dataclass
class PSARun:
    """A whole-model PSA of a run: the baseline and each scenario against it.

    Attributes
    ----------
    results : dict of str to PSAResult
        One result per scenario (baseline and that scenario), in run order;
        ``{"": result}`` (the baseline alone) without scenarios.
    uncertainty : Uncertainty
        The inputs as declared.
    origin : str
        Where the uncertainty comes from, in words.
    applies : dict of str to list of str
        For each scenario, the names of the scenario inputs that apply to it.
    draws, seed : int
    chance : bool
        Whether chance (whole children) was added to each draw.
    budgets : list of float
        Cash budgets (pounds) for ``budget_year``.
    budget_year : str
        A whole financial year of the run, ``"2026-27"``.
    """

    results: dict[str, Any]
    uncertainty: Any
    origin: str
    applies: dict[str, list[str]]
    draws: int
    seed: int
    chance: bool
    budgets: list[float] = field(default_factory=list)
    budget_year: str = ""

    @property
    def scenario_names(self) -> list[str]:
        return [k for k in self.results if k]

    @property
    def first(self):
        """The result whose baseline arm is reported."""
        return next(iter(self.results.values()))

    @property
    def financial_years(self) -> list[str]:
        return list(self.first.financial_years)

    def arms(self) -> list[tuple[str, Any, str]]:
        """``(arm label, result, arm)``: the baseline, then each scenario."""
        out = [("baseline", self.first, "baseline")]
        out += [(name, self.results[name], "scenario") for name in self.scenario_names]
        return out

    def prob_cost_exceeds(self, budget: float, arm_label: str = "baseline") -> float:
        """Share of draws whose cash cost in :attr:`budget_year` is above ``budget`` for one arm."""
        for label, result, arm in self.arms():
            if label == arm_label:
                return result.prob_cost_exceeds(budget, self.budget_year, basis="cash", arm=arm)
        raise ValueError(f"no arm {arm_label!r} (arms: {', '.join(a[0] for a in self.arms())})")

    @property
    def method(self) -> str:
        what = ("parameter uncertainty and chance: each draw's inputs, then whole children (Poisson entries, "
                "binomial exits and moves) at the drawn rates, from the starting stock rounded to whole children "
                "state by state (largest remainders; the total kept)" if self.chance else
                "parameter uncertainty: each draw's inputs run through the deterministic model (children as "
                "expected numbers; chance is not added)")
        return (f"Probabilistic sensitivity analysis of the whole model: {self.draws:,} draws of the "
                f"{len(self.uncertainty)} uncertain inputs (seed {self.seed}; each input is listed with its "
                "distribution and source), each run for the baseline"
                + (" and each scenario" if self.scenario_names else "") + f"; {what}. "
                + self.first.quantile_method[:1].upper() + self.first.quantile_method[1:] + ".")


def run_financial_years(parameters, years: float, step) -> tuple[list[str], np.ndarray]:
    """(financial years touched by a run, ``"2026-27"``; share of each covered by it)."""
    from carecast.care.calendar import financial_year_label, financial_year_weights
    from carecast.care.model import step_length
    dt = step_length(step)
    steps = max(1, int(round(float(years) / dt)))
    fy, _, covered = financial_year_weights(parameters.start_date, steps, dt)
    return [financial_year_label(y) for y in fy], covered


def default_budget_year(parameters, years: float, step) -> str | None:
    """The first financial year the run covers whole (None if it covers none whole)."""
    labels, covered = run_financial_years(parameters, years, step)
    whole = [lab for lab, c in zip(labels, covered) if c >= 1 - 1e-9]
    return whole[0] if whole else None


def _applies(item, parameters, scenario) -> bool:
    """Whether a scenario input (intervention or scale factor) applies to ``scenario``."""
    if scenario is None:
        return False
    if item.is_intervention:
        try:
            item.check(parameters, scenario)
        except ValueError:
            return False
        return True
    target = item.field[len("scenario.scale."):]
    return target in scenario.scale


def _adapted(uncertainty, parameters, scenario):
    """The uncertainty for one call: scenario inputs that do not apply to ``scenario`` become no-ops
    (same name, same place in the declaration order, so every other input draws the same values)."""
    from carecast.care.uncertainty import Fixed, Uncertain, Uncertainty
    inputs, applied = [], []
    for item in uncertainty.inputs:
        if item.on_scenario and not _applies(item, parameters, scenario):
            inputs.append(Uncertain("entry_cost", (), Fixed(1.0), how="scale", name=item.name))
        else:
            inputs.append(item)
            if item.on_scenario:
                applied.append(item.name)
    if not uncertainty.correlated:
        return Uncertainty(inputs), applied
    m = uncertainty.correlation
    pairs = {(a, b): float(m[i, j]) for i, a in enumerate(uncertainty.correlated)
             for j, b in enumerate(uncertainty.correlated) if i < j and m[i, j]}
    return Uncertainty(inputs, pairs or None), applied


def _whole(x0: np.ndarray) -> np.ndarray:
    """Round to whole numbers by largest remainders, keeping the rounded total."""
    x = np.asarray(x0, dtype=float)
    base = np.floor(x)
    short = int(round(x.sum() - base.sum()))
    if short > 0:
        order = np.argsort(-(x - base).ravel(), kind="stable")
        flat = base.ravel()
        flat[order[:short]] += 1
        base = flat.reshape(x.shape)
    return base


#: Largest total of raw per-step values kept for exact per-step quantiles (above it, the sketch).
RAW_LIMIT_BYTES = 256_000_000


def raw_bytes(parameters, years: float, step, *, draws: int, calls: int = 1, scenario: bool = False) -> int:
    """Bytes of the raw per-step values (children by placement, step costs in three bases) that
    ``keep="raw"`` holds over ``calls`` PSA calls of ``draws`` draws."""
    from carecast.care.model import step_length
    steps = max(1, int(round(float(years) / step_length(step))))
    arms = 2 if scenario else 1
    per_arm = 8 * int(draws) * ((steps + 1) * len(parameters.placements) + 3 * steps)
    return per_arm * arms * max(int(calls), 1)


def run_psa(parameters, uncertainty, *, scenarios=None, years: float, step, draws: int, seed: int,
            chance: bool = False, budgets=(), budget_year: str | None = None, origin: str = "",
            tick=None) -> PSARun:
    """Run :func:`carecast.care.psa` for the baseline (no scenarios) or each scenario against the baseline.

    ``tick(what)`` is called after each call. See the module notes for the decisions.
    """
    from carecast.care.probabilistic import psa
    scenarios = dict(scenarios or {})
    if isinstance(draws, bool) or not isinstance(draws, (int, np.integer)) or draws < 2:
        raise ValueError(f"draws must be a whole number >= 2, got {draws!r}")
    if uncertainty is None or not len(uncertainty):
        raise ValueError("a PSA needs at least one uncertain input")
    labels, covered = run_financial_years(parameters, years, step)
    if budget_year is None:
        budget_year = default_budget_year(parameters, years, step) or ""
    budgets = [float(b) for b in budgets]
    if budgets or budget_year:
        if budget_year not in labels:
            raise ValueError(f"budget year {budget_year!r} is not in the run (financial years: {', '.join(labels)})")
        if covered[labels.index(budget_year)] < 1 - 1e-9:
            raise ValueError(f"the run covers only {covered[labels.index(budget_year)]:.0%} of {budget_year}; a "
                             "budget is for a whole financial year")
    p = parameters.replace(stock=_whole(parameters.stock)) if chance else parameters
    raw = raw_bytes(parameters, years, step, draws=int(draws), calls=max(1, len(scenarios)),
                    scenario=bool(scenarios)) <= RAW_LIMIT_BYTES
    common = dict(years=years, step=step, draws=int(draws), seed=int(seed), stochastic=bool(chance), progress=False,
                  keep="raw" if raw else "summary")
    results: dict[str, Any] = {}
    applies: dict[str, list[str]] = {}
    if not scenarios:
        u, _ = _adapted(uncertainty, p, None)
        results[""] = psa(p, u, **common)
        if tick is not None:
            tick(f"PSA, {draws} draws")
    for name, scenario in scenarios.items():
        u, applied = _adapted(uncertainty, p, scenario)
        results[name] = psa(p, u, scenario=scenario, **common)
        applies[name] = applied
        if tick is not None:
            tick(f"PSA {name}, {draws} draws")
    return PSARun(results=results, uncertainty=uncertainty, origin=origin, applies=applies, draws=int(draws),
                  seed=int(seed), chance=bool(chance), budgets=budgets, budget_year=budget_year)


# ------------------------------------------------------------------ tables
def _column(name: str) -> str:
    """An arm or input name as part of a column name: letters, digits and ``_`` only."""
    return re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_") or "x"


def children_quantiles_table(run: PSARun) -> OutputTable:
    """Children in care by date and arm: percentiles over the draws."""
    first = run.first
    rows: dict[str | int, list] = {"date": [], "arm": [], **{q: [] for q in QUANTILES}}
    for label, result, arm in run.arms():
        values = result.children_quantiles([q / 100 for q in QUANTILES], arm=arm)
        rows["date"] += list(result.dates)
        rows["arm"] += [label] * len(result.dates)
        for i, q in enumerate(QUANTILES):
            rows[q] += list(values[i])
    t = OutputTable("psa_children_quantiles", "children in care over the PSA draws",
                    f"{run.method} One row per date and arm (the baseline, then each scenario): percentiles of "
                    f"the number of children in care over the {first.rows:,} draws.")
    t.add("date", rows["date"], "date", "date (ISO 8601)")
    t.add("arm", rows["arm"], "text", "'baseline' or the scenario's name")
    for q in QUANTILES:
        t.add(f"children_in_care_p{q:02d}", rows[q], "children",
              f"{q}th percentile over the draws of the children in care on that date (all placements); "
              + first.quantile_method.split(";")[0])
    return t


def cost_quantiles_table(run: PSARun) -> OutputTable:
    """Cost by financial year and arm, cash, real and discounted: mean and percentiles over the draws."""
    first = run.first
    p = first.parameters
    names = money_columns(p)
    bases = ("cash", "real", "discounted")
    notes = {"cash": "cash (the pounds of each year)", "real": f"real terms, {p.price_year} prices",
             "discounted": f"{p.price_year} prices, discounted to {long_date(p.start_date)}"}
    cols: dict[str, list] = {"fy": [], "share": [], "arm": []}
    stats: dict[tuple[str, str | int], list] = {(b, s): [] for b in bases for s in ("mean", *QUANTILES)}
    for label, result, arm in run.arms():
        cols["fy"] += list(result.financial_years)
        cols["share"] += list(result.share_of_year)
        cols["arm"] += [label] * len(result.financial_years)
        for b in bases:
            values = (result.baseline if arm == "baseline" else result.scenario).annual[b]
            stats[(b, "mean")] += list(values.mean(axis=0))
            qs = np.quantile(values, [q / 100 for q in QUANTILES], axis=0)
            for i, q in enumerate(QUANTILES):
                stats[(b, q)] += list(qs[i])
    t = OutputTable("psa_cost_quantiles", "cost by financial year over the PSA draws",
                    f"{run.method} One row per financial year and arm: the mean and percentiles over the "
                    f"{first.rows:,} draws of the total cost in that year (exact, from each draw's total).")
    t.add("financial_year", cols["fy"], "fy", "financial year (April to March), written FY2012-13")
    t.add("share_of_year_in_run", cols["share"], "share", "share of the financial year inside the run (1 = whole "
          "year; a part year's cost is only the part in the run)")
    t.add("arm", cols["arm"], "text", "'baseline' or the scenario's name (its cost includes its programme costs)")
    for b in bases:
        t.add(f"{names[b]}_mean", stats[(b, "mean")], "money", f"mean over the draws, {notes[b]}; to the pound")
        for q in QUANTILES:
            t.add(f"{names[b]}_p{q:02d}", stats[(b, q)], "money",
                  f"{q}th percentile over the draws, {notes[b]}; to the pound")
    return t


def _input_notes(run: PSARun) -> dict[str, str]:
    from carecast.care.uncertainty import _where_text
    notes = {}
    for item in run.uncertainty.inputs:
        what = ("the value drawn for" if item.how == "set" else "the factor multiplying" if item.how == "scale"
                else "the shares splitting")
        notes[item.name] = f"{what} {item.field}{_where_text(item.where)}: {item.distribution.describe()}"
    return notes


def _input_columns(run: PSARun) -> list[tuple[str, np.ndarray, str]]:
    """(column, values per draw, note) of every drawn input, from a call in which it applies."""
    notes = _input_notes(run)
    out = []
    for item in run.uncertainty.inputs:
        source = run.first
        if item.on_scenario:
            where = [n for n in run.scenario_names if item.name in run.applies.get(n, [])]
            if not where:
                continue                               # applies to no scenario run: no values to show
            source = run.results[where[0]]
        names, matrix = source.inputs.matrix()
        for j, name in enumerate(names):
            if name == item.name or name.startswith(item.name + "["):
                col = "input_" + _column(name)
                out.append((col, matrix[:, j], notes[item.name] + (f" (share {name[len(item.name):]})"
                                                                     if name != item.name else "")))
    return out


def draws_table(run: PSARun) -> OutputTable:
    """One row per draw: the drawn inputs, each arm's present value and budget-year cash cost, each
    scenario's net present value and payback."""
    first = run.first
    p = first.parameters
    price, to = price_tag(p.price_year), date_tag(p.start_date)
    t = OutputTable("psa_draws", "each PSA draw: inputs and results",
                    f"{run.method} One row per draw: the value of every uncertain input in that draw, and what "
                    "the model gave with them (so any probability in the summary can be recomputed from here).")
    t.add("draw", [str(i) for i in range(first.rows)], "text", "draw number (0 is the first); the same draw in every "
          "column (the same inputs for the baseline and each scenario)")
    for col, values, note in _input_columns(run):
        t.add(col, values, "number", note)
    k = run.financial_years.index(run.budget_year) if run.budget_year else None
    for label, result, arm in run.arms():
        summary = result.baseline if arm == "baseline" else result.scenario
        tag = _column(label)
        t.add(f"{tag}_present_value_of_costs_gbp_{price}_to_{to}", summary.present_value, "money",
              f"{label}: present value of all costs over the run ({p.price_year} prices, discounted to "
              f"{long_date(p.start_date)})")
        if k is not None:
            t.add(f"{tag}_cost_cash_gbp_{fy_csv(run.budget_year).replace('-', '_')}", summary.annual["cash"][:, k],
                  "money", f"{label}: cash cost in the financial year {run.budget_year} (the budget year); to the pound")
        if arm == "scenario":
            t.add(f"{tag}_net_present_value_gbp_{price}_to_{to}", result.net_present_value, "money",
                  f"{label} against the baseline: net present value of the saving (gross saving minus programme "
                  f"costs, {p.price_year} prices, discounted)")
            t.add(f"{tag}_payback_years", result.payback_years, "years",
                  f"{label}: years until the discounted cumulative net saving turns positive; empty if not within "
                  "the run", empty_ok=True)
    return t


def rankings(run: PSARun) -> list[tuple[str, str, list[tuple[str, float, str]], float]]:
    """Which inputs move each output most: ``(arm, output in words, [(input, PRCC, note)], rank R^2)`` for the
    baseline's present value of costs and each scenario's net present value, by
    :func:`carecast.care.sensitivity.sensitivity_ranking` (partial rank correlation), strongest first.

    A scenario input does not change the baseline, and one that does not apply to a scenario is a no-op
    there: both are listed with no coefficient and say why, and are left out of the ranking. Empty when
    there are too few draws to rank the inputs (inputs + 3).
    """
    from carecast.care.sensitivity import sensitivity_ranking
    out = []
    targets = [("baseline", "the baseline's present value of costs", run.first, "present_value")]
    targets += [(n, f"the net present value of {n}", run.results[n], "net_present_value")
                for n in run.scenario_names]
    scenario_inputs = {i.name for i in run.uncertainty.inputs if i.on_scenario}
    for arm, words, result, output in targets:
        try:
            table = sensitivity_ranking(result, output)
        except (ValueError, np.linalg.LinAlgError) as exc:
            log.info("no sensitivity ranking for %s: %s", words, exc)
            return []
        found = re.search(r"R\^2 = (-?[0-9.]+|nan)", table.title)
        r2 = float(found.group(1)) if found else math.nan
        rows = []
        for name, coefficient, note in zip(table["input"], table["coefficient"], table["note"]):
            base = name.split("[")[0] if name not in {i.name for i in run.uncertainty.inputs} else name
            item = name if name in scenario_inputs else base
            if item in scenario_inputs and arm == "baseline":
                rows.append((name, math.nan, "a scenario input: does not change the baseline"))
            elif item in scenario_inputs and item not in run.applies.get(arm, []):
                rows.append((name, math.nan, "does not apply to this scenario"))
            else:
                rows.append((name, float(coefficient), str(note)))
        rows.sort(key=lambda r: -abs(r[1]) if np.isfinite(r[1]) else 1.0)
        out.append((arm, words, rows, r2))
    return out


def sensitivity_table(run: PSARun) -> OutputTable | None:
    """The rankings of :func:`rankings` as a table (None with too few draws)."""
    ranked = rankings(run)
    if not ranked:
        return None
    cols: dict[str, list] = {"arm": [], "output": [], "input": [], "prcc": [], "rank": [], "r2": [], "note": []}
    for arm, words, rows, r2 in ranked:
        k = 0
        for name, coefficient, note in rows:
            k += 1 if np.isfinite(coefficient) else 0
            for key, value in (("arm", arm), ("output", words), ("input", name), ("prcc", coefficient),
                               ("rank", str(k) if np.isfinite(coefficient) else ""), ("r2", r2), ("note", note)):
                cols[key].append(value)
    t = OutputTable("psa_sensitivity", "which uncertain inputs move the results most",
                    "For the baseline's present value of costs and each scenario's net present value: the partial "
                    "rank correlation (PRCC) of each uncertain input with it over the draws, strongest first. PRCC "
                    "measures an input's monotone effect with the others held fixed (-1 to 1); it is not a share of "
                    "the variance and does not add up.")
    t.add("arm", cols["arm"], "text", "'baseline' or the scenario's name")
    t.add("output", cols["output"], "text", "the result ranked")
    t.add("input", cols["input"], "text", "the uncertain input (as in psa_draws.csv, without the input_ prefix)")
    t.add("partial_rank_correlation", cols["prcc"], "number", "PRCC of the input with the output (-1 to 1; positive: "
          "a higher input gives a higher output); empty where the input does not act on the output", empty_ok=True)
    t.add("rank", cols["rank"], "text", "1 = the input that moves the output most")
    t.add("rank_regression_r2", cols["r2"], "number", "R^2 of the rank regression of the output on all inputs: "
          "when it is low the effects are not monotone and the PRCC does not tell the whole story", empty_ok=True)
    t.add("note", cols["note"], "text", "why an input has no coefficient ('constant': it did not vary)")
    return t


# ------------------------------------------------------------------ text
def _money(v: float) -> str:
    from carecast.care.report import money
    return money(v)


def _pounds(v: float) -> str:
    return f"£{v:,.0f}" if float(v).is_integer() or abs(v) >= 100 else f"£{v:,.2f}"


def share_text(x: float, n: int) -> str:
    """A probability as a per cent, and 0 or 1 as what it is, a count of draws (``none of the 200 draws``),
    never ``0%`` or ``100%``, which no sample of draws can show."""
    if x == 0:
        return f"none of the {n:,} draws"
    if x == 1:
        return f"all {n:,} draws"
    return f"{x:.0%}"


def probability_lines(run: PSARun) -> list[str]:
    """The budget, saving and payback probabilities, one sentence each."""
    first = run.first
    lines = []
    end = long_date(first.dates[-1])
    for label, result, arm in run.arms():
        q = result.children_quantiles((0.05, 0.5, 0.95), arm=arm)[:, -1]
        lines.append(f"Children in care on {end}, {label}: median {q[1]:,.0f} (90% of draws {q[0]:,.0f} to "
                     f"{q[2]:,.0f}).")
    if run.budget_year:
        k = run.financial_years.index(run.budget_year)
        for label, result, arm in run.arms():
            values = (result.baseline if arm == "baseline" else result.scenario).annual["cash"][:, k]
            q = np.quantile(values, (0.05, 0.5, 0.95))
            lines.append(f"Cash cost in {run.budget_year}, {label}: median {_money(q[1])} (90% of draws "
                         f"{_money(q[0])} to {_money(q[2])}).")
    for budget in run.budgets:
        parts = [f"{label} {share_text(run.prob_cost_exceeds(budget, label), first.rows)}" for label, _, _ in run.arms()]
        lines.append(f"Chance that the cash cost in {run.budget_year} is above the budget of {_pounds(budget)}: "
                     + "; ".join(parts) + ".")
    years = first.years
    for name in run.scenario_names:
        result = run.results[name]
        npv = np.quantile(result.net_present_value, (0.05, 0.5, 0.95))
        applied = run.applies.get(name, [])
        lines.append(f"{name} against the baseline: net present value of the saving median {_money(npv[1])} "
                     f"(90% of draws {_money(npv[0])} to {_money(npv[2])}); chance it costs less than the "
                     "baseline over the run (net present value above 0) "
                     f"{share_text(result.prob_scenario_cheaper(), first.rows)}; "
                     f"chance it pays back within the run ({years:g} years) "
                     f"{share_text(result.prob_payback_within(years), first.rows)}."
                     + (f" Its own uncertain inputs: {', '.join(applied)}." if applied else ""))
    lines.append(f"Probabilities are shares of {first.rows:,} draws (standard error up to "
                 f"{0.5 / math.sqrt(first.rows):.1%}).")
    for _, words, rows, _ in rankings(run)[:1 + len(run.scenario_names)]:
        top = [f"{name} ({coefficient:+.2f})" for name, coefficient, _ in rows if np.isfinite(coefficient)][:3]
        if top:
            lines.append(f"What moves {words} most (partial rank correlation over the draws): {', '.join(top)}.")
    return lines


def input_lines(run: PSARun) -> list[str]:
    """Each uncertain input with its distribution and source (or ``[assumption]``)."""
    lines = list(run.uncertainty.describe())
    unused = [item.name for item in run.uncertainty.inputs if item.on_scenario
              and not any(item.name in v for v in run.applies.values())]
    if unused:
        lines.append("Not used (no scenario run has what they change): " + ", ".join(unused))
    return lines


def psa_summary_text(run: PSARun) -> str:
    """The PSA block of the printed summary."""
    lines = ["Uncertainty: " + run.method, f"Uncertainty from {run.origin}." if run.origin else ""]
    lines = [x for x in lines if x]
    lines += [f"  {x}" for x in probability_lines(run)]
    lines.append("Uncertain inputs (distribution; source, or [assumption]):")
    lines += [f"  - {x}" for x in input_lines(run)]
    return "\n".join(lines)


# ------------------------------------------------------------------ the [uncertain] table of scenario.toml
def _toml_value(v: Any) -> str:
    import json
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)            # a TOML basic string
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return repr(float(v))


def _toml_key(k: str) -> str:
    return k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else _toml_value(k)


def _position_key(where: Any) -> str:
    items = where if isinstance(where, tuple) else (where,)
    parts = []
    for w in items:
        if w is Ellipsis:
            parts.append("...")
        elif isinstance(w, slice):
            parts.append(":")
        elif isinstance(w, str):
            parts.append(w)
        else:
            parts.append(repr(float(w)))
    return ",".join(parts)


def _spec(dist: Any) -> dict[str, Any] | None:
    from carecast.care import uncertainty as u
    kinds = {u.Fixed: ("fixed", ("value",)), u.Gamma: ("gamma", ("shape", "rate")), u.Beta: ("beta", ("a", "b")),
             u.Dirichlet: ("dirichlet", ("alpha",)), u.LogNormal: ("lognormal", ("median", "sigma")),
             u.Uniform: ("uniform", ("low", "high")), u.Triangular: ("triangular", ("low", "mode", "high")),
             u.Samples: ("samples", ("values",))}
    if type(dist) not in kinds:
        return None
    kind, fields = kinds[type(dist)]
    return {"distribution": kind, **{f: getattr(dist, f) for f in fields}}


def uncertain_toml(uncertainty) -> str | None:
    """The ``[uncertain]`` tables of a scenario file declaring ``uncertainty`` (each distribution by its own
    parameters: a lognormal by median and sigma, a beta by a and b, ...), or None if an input cannot be written
    (a GammaArray). The caller checks that the text reads back to the same inputs in the same order."""
    blocks = []
    for item in uncertainty.inputs:
        spec = _spec(item.distribution)
        if spec is None:
            return None
        if item.is_intervention:
            which = item.where if isinstance(item.where, str) else str(int(item.where))
            path = f"uncertain.intervention.{_toml_key(which)}.{_toml_key(item.field[len('intervention.'):])}"
        elif item.on_scenario:
            path = f"uncertain.scenario.scale.{_toml_key(item.field[len('scenario.scale.'):])}"
        elif item.where in ((), None):
            path = f"uncertain.{item.field}"
        else:
            path = f"uncertain.{item.field}.{_toml_value(_position_key(item.where))}"
        spec.update(how=item.how, name=item.name)
        source = getattr(item.distribution, "source", "")
        if source:
            spec["source"] = source
        blocks.append(f"[{path}]\n" + "".join(f"{k} = {_toml_value(v)}\n" for k, v in spec.items()))
    if uncertainty.correlated:
        m = uncertainty.correlation
        for i, a in enumerate(uncertainty.correlated):
            for j in range(i + 1, len(uncertainty.correlated)):
                if m[i, j]:
                    blocks.append(f"[[uncertain.correlation]]\nbetween = {_toml_value([a, uncertainty.correlated[j]])}"
                                  f"\nrho = {_toml_value(m[i, j])}\n")
    return "\n".join(blocks)
