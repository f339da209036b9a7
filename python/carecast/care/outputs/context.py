"""Tables with their context: units and basis in the column names, rounding, labels, notes.

Each function returns an :class:`OutputTable`: columns already rounded and
labelled, a note for every column (written to ``README.txt``, the workbook
and the HTML report) and a kind for every column (how to format it).

Rounding (issue 12): money to the pound, children to 0.1 of a child, shares
to 4 decimal places. Rounded parts need not add up to a rounded total, and
``README.txt`` says so. Negative zero (``-0.0`` from cancelling noise such as
``5.95e-16``) is written as ``0``.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from carecast.care.calendar import financial_year_label, financial_year_weights
from carecast.care.outputs.labels import age_band_labels, date_tag, long_date, money_columns, price_tag

__all__ = ["OutputTable", "children_table", "children_by_placement_table", "events_table", "costs_table",
           "cost_by_year_table", "comparison_table", "scenarios_table", "checks_table", "uncertainty_table",
           "sources_table", "round_column", "KINDS"]

#: Column kinds and how each is rounded: money to the pound, children to 0.1.
KINDS = ("text", "fy", "date", "money", "children", "share", "percent", "years", "number")
_URL = re.compile(r"https?://[^\s\]\)>,]+")


@dataclass
class OutputTable:
    """A table ready to write: rounded, labelled columns with a note and a kind each.

    Attributes
    ----------
    name : str
        File stem (``cost_by_year`` -> ``cost_by_year.csv``).
    title : str
        What the table shows, in words.
    about : str
        A sentence or two for ``README.txt``.
    columns : dict of str to list
        Column values (Python objects: str, int, float).
    notes : dict of str to str
        Column to its meaning, unit and basis.
    kinds : dict of str to str
        Column to one of :data:`KINDS`.
    """

    name: str
    title: str
    about: str
    columns: dict[str, list] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, values, kind: str, note: str, *, empty_ok: bool = False) -> None:
        """Add a column, rounded for its kind.

        A value that is not finite is written as an empty cell. Where the
        column's note explains empty cells (``empty_ok=True``: not applicable,
        after the run, never pays back) that is all; elsewhere it is a data
        problem and a warning names the table and the column.
        """
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        values = round_column(values, kind)
        if not empty_ok and kind not in ("text", "fy", "date"):
            missing = sum(v is None for v in values)
            if missing:
                warnings.warn(f"{self.name}: {missing} value(s) of column {name!r} are not finite numbers; "
                              "written as empty cells", RuntimeWarning, stacklevel=2)
        if self.columns and len(values) != len(next(iter(self.columns.values()))):
            raise ValueError(f"column {name!r} has {len(values)} rows, expected {len(next(iter(self.columns.values())))}")
        self.columns[name] = values
        self.notes[name] = note
        self.kinds[name] = kind

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def rows(self):
        cols = list(self.columns.values())
        for i in range(len(self)):
            yield [c[i] for c in cols]


def round_column(values, kind: str) -> list:
    """Values as Python objects, rounded for their kind (money 0 dp, children 1 dp, shares 4 dp, per cent 2 dp)."""
    if kind in ("text", "fy"):
        return [str(v) for v in values]
    if kind == "date":
        return [str(np.datetime64(v, "D")) for v in values]
    digits = {"money": 0, "children": 1, "share": 4, "percent": 2, "years": 2, "number": 6}[kind]
    out: list[Any] = []
    for v in values:
        v = float(v)
        if not np.isfinite(v):
            out.append(None)               # written as an empty cell, explained in the note
            continue
        r = round(v, digits) + 0.0         # + 0.0 turns -0.0 into 0.0
        out.append(int(r) if digits == 0 else r)
    return out


def _fy_labels(parameters, steps: int, dt: float):
    years, weights, covered = financial_year_weights(parameters.start_date, steps, dt)
    return [financial_year_label(y) for y in years], weights, covered


_FY_NOTE = ("financial year, April to March (written FY2012-13 in CSV files so that spreadsheets keep it as text)")
_SHARE_NOTE = ("share of the financial year inside the run: 1 for a whole year; less for the first or last "
               "year when the run starts or ends part-way through it (its figures cover only that part)")


def _money_notes(p) -> dict[str, str]:
    discount = "the HM Treasury Green Book schedule (3.5% a year for 30 years, then declining)" \
        if p.discount_rate is None else f"{p.discount_rate:.2%} a year"
    return {"cash": "pounds as paid in each year (unit costs grow with cost inflation "
                    f"{p.cost_inflation:.1%} a year from {p.price_year} prices)",
            "real": f"pounds at {p.price_year} prices (cash deflated by general inflation {p.general_inflation:.1%} a year)",
            "discounted": f"pounds at {p.price_year} prices, discounted to {long_date(p.start_date)} at {discount}, "
                          "mid-step"}


def children_table(result) -> OutputTable:
    """Children in care by date, age band and placement (long form)."""
    p = result.parameters
    occ = result.in_care_occupancy().sum(axis=3)           # (D, A, P)
    D, A, P = occ.shape
    ages = age_band_labels(p)
    t = OutputTable("children", "children in care by date, age band and placement",
                    "One row per date, age band and placement: the children in care on that date "
                    "(projected; fractions of a child are expected values).")
    t.add("date", np.repeat(result.dates, A * P), "date", "date (ISO 8601, year-month-day): the start date, then the "
          "end of each step")
    t.add("age_band", np.tile(np.repeat(ages, P), D), "text", "age band in whole years (e.g. '1 to 4' is from the 1st "
          "birthday to the day before the 5th)")
    t.add("placement", np.tile(np.array(p.placements), D * A), "text", "placement type")
    t.add("children", occ.ravel(), "children", "children in care (expected number, to 0.1 of a child)")
    return t


def year_end_steps(result) -> tuple[list[str], np.ndarray]:
    """Financial-year labels and the index of each year's last date within the run (for stocks by year)."""
    labels, weights, _ = _fy_labels(result.parameters, result.steps, result.dt)
    last = np.array([np.flatnonzero(weights[:, k] > 0).max() + 1 for k in range(len(labels))])
    return labels, last


def children_by_placement_table(result) -> OutputTable:
    """Children in care by placement (one column each) at the start and at the end of each financial year."""
    p = result.parameters
    labels, last = year_end_steps(result)
    idx = np.concatenate([[0], last])
    by_place = result.children_by_placement()[idx]
    t = OutputTable("children_by_placement", "children in care by placement at the end of each financial year",
                    "Children in care on the start date and on the last date of each financial year in the run "
                    "(31 March, or the run's last date), one column per placement.")
    t.add("date", result.dates[idx], "date", "date (ISO 8601): the start date, then the last date of each financial "
          "year in the run")
    t.add("financial_year", ["start"] + labels, "fy", "financial year ending on that date ('start' for the start date)")
    for i, name in enumerate(p.placements):
        t.add(name, by_place[:, i], "children", f"children in care in placement '{name}'")
    t.add("total", by_place.sum(axis=1), "children", "children in care, all placements")
    return t


def events_table(result) -> OutputTable:
    """Entries, exits by destination and moves by financial year."""
    p = result.parameters
    ev = result.event_counts()
    labels, weights, covered = _fy_labels(p, result.steps, result.dt)
    ent = weights.T @ ev["entries"].sum(axis=1)                 # (Y, P)
    ext = np.einsum("tk,tep->kep", weights, ev["exits"].sum(axis=2))
    mov = np.einsum("tk,tpq->kpq", weights, ev["moves"])
    rows: dict[str, list] = {"fy": [], "share": [], "event": [], "placement": [], "detail": [], "children": []}

    def add(k, event, placement, detail, value):
        for key, v in (("fy", labels[k]), ("share", covered[k]), ("event", event), ("placement", placement),
                       ("detail", detail), ("children", value)):
            rows[key].append(v)

    names, groups = p.placements, p.exit_groups
    for k in range(len(labels)):
        for q, name in enumerate(names):
            add(k, "entry", name, "", ent[k, q])
        for g, group in enumerate(groups):
            for q, name in enumerate(names):
                add(k, "exit", name, group, ext[k, g, q])
        for q, name in enumerate(names):
            for r, other in enumerate(names):
                if q != r:
                    add(k, "move", name, other, mov[k, q, r])
    t = OutputTable("events", "entries, exits and placement moves by financial year",
                    "Children entering care (by first placement), leaving care (by placement left and "
                    "destination) and moving between placements, in each financial year.")
    t.add("financial_year", rows["fy"], "fy", _FY_NOTE)
    t.add("share_of_year_in_run", rows["share"], "share", _SHARE_NOTE)
    t.add("event", rows["event"], "text", "entry (into care), exit (from care) or move (between placements)")
    t.add("placement", rows["placement"], "text", "first placement (entry), placement left (exit) or placement "
          "moved from (move)")
    t.add("detail", rows["detail"], "text", "destination for an exit (exit group), placement moved to for a move; "
          "empty for entries")
    t.add("children", rows["children"], "children", "children in the financial year (expected number, to 0.1)")
    return t


def _cost_frame(result):
    c = result.step_costs()
    labels, weights, covered = _fy_labels(result.parameters, result.steps, result.dt)
    return c, labels, covered, weights.T @ c.cash, weights.T @ c.real, weights.T @ c.discounted


def costs_table(result) -> OutputTable:
    """Costs by financial year and component, cash, real and discounted."""
    p = result.parameters
    c, labels, covered, cash, real, disc = _cost_frame(result)
    K = len(c.components)
    names, notes = money_columns(p), _money_notes(p)
    t = OutputTable("costs", "costs by financial year and component",
                    "What the children in care cost in each financial year, by component (each placement, "
                    "one-off costs on entry, proceedings, moves and exits, post-care allowances, programme costs "
                    "of interventions), in cash, real and discounted terms.")
    t.add("financial_year", np.repeat(labels, K), "fy", _FY_NOTE)
    t.add("share_of_year_in_run", np.repeat(covered, K), "share", _SHARE_NOTE)
    t.add("component", np.tile(np.array(c.components), len(labels)), "text",
          "what the cost is for ('placement: X' per child-week in placement X; one-off costs per event; "
          "'programme: X' for an intervention's own cost)")
    for terms, values in (("cash", cash), ("real", real), ("discounted", disc)):
        t.add(names[terms], values.ravel(), "money", notes[terms] + "; to the pound")
    return t


def cost_by_year_table(result) -> OutputTable:
    """Total cost by financial year, cash, real and discounted."""
    p = result.parameters
    _, labels, covered, cash, real, disc = _cost_frame(result)
    names, notes = money_columns(p), _money_notes(p)
    t = OutputTable("cost_by_year", "cost by financial year",
                    "The total cost of the children in care in each financial year, in cash, real and "
                    "discounted terms (the sum of costs.csv over components, before rounding).")
    t.add("financial_year", labels, "fy", _FY_NOTE)
    t.add("share_of_year_in_run", covered, "share", _SHARE_NOTE)
    for terms, values in (("cash", cash), ("real", real), ("discounted", disc)):
        t.add(names[terms], values.sum(axis=1), "money", notes[terms] + "; to the pound")
    return t


def comparison_table(comparison) -> OutputTable:
    """A scenario against the baseline by financial year: children fewer, savings, programme cost, cumulative net."""
    base, scen = comparison.baseline, comparison.scenario
    p = base.parameters
    labels, last = year_end_steps(base)
    _, weights, covered = _fy_labels(p, base.steps, base.dt)
    gross, cost = weights.T @ comparison.gross_saving(), weights.T @ comparison.programme_cost()
    net = gross - cost
    disc = base.step_costs().discount
    net_disc = weights.T @ (comparison.net_saving() * disc)
    price = price_tag(p.price_year)
    to = date_tag(p.start_date)
    t = OutputTable("comparison", f"{scen.scenario} against the baseline by financial year",
                    f"The scenario '{scen.scenario}' set against the baseline: children in care at the end of each "
                    "financial year, gross saving (baseline cost minus scenario cost, excluding the programme's own "
                    "cost), programme cost and net saving, with the running total of the net saving.")
    t.add("financial_year", labels, "fy", _FY_NOTE)
    t.add("share_of_year_in_run", covered, "share", _SHARE_NOTE)
    t.add("children_baseline_at_year_end", base.children_in_care()[last], "children",
          "children in care in the baseline on the last date of the year in the run")
    t.add("children_scenario_at_year_end", scen.children_in_care()[last], "children",
          "children in care in the scenario on the same date")
    t.add("children_fewer_at_year_end", base.children_in_care()[last] - scen.children_in_care()[last], "children",
          "baseline minus scenario (positive: fewer children in care in the scenario)")
    extra = ""
    if comparison.optimism_bias or comparison.benefit_shortfall:
        extra = (f" (after optimism bias: programme costs +{comparison.optimism_bias:.0%}, savings "
                 f"-{comparison.benefit_shortfall:.0%})")
    t.add(f"gross_saving_real_gbp_{price}", gross, "money",
          f"baseline cost minus scenario cost excluding programme costs, {p.price_year} prices{extra}")
    t.add(f"programme_cost_real_gbp_{price}", cost, "money",
          f"the interventions' own cost, {p.price_year} prices{extra}")
    t.add(f"net_saving_real_gbp_{price}", net, "money", f"gross saving minus programme cost, {p.price_year} prices")
    t.add(f"cumulative_net_saving_real_gbp_{price}", np.cumsum(net), "money",
          "running total of the net saving from the start (the position of the scheme to date), undiscounted")
    t.add(f"cumulative_net_saving_discounted_gbp_{price}_to_{to}", np.cumsum(net_disc), "money",
          f"the same, discounted to {long_date(p.start_date)}: the scheme pays back when this turns positive "
          "(payback_years in scenarios.csv)")
    return t


def scenarios_table(baseline, runs) -> OutputTable:
    """Each scenario against the baseline: children at the end, present values, payback.

    ``runs`` is a list of :class:`carecast.care.outputs.report.ScenarioRun`.
    """
    p = baseline.parameters
    price, to = price_tag(p.price_year), date_tag(p.start_date)
    names = ["baseline"] + [r.name for r in runs]
    desc = [""] + [r.description for r in runs]
    children = [float(baseline.children_in_care()[-1])] + [float(r.result.children_in_care()[-1]) for r in runs]
    pv = [baseline.present_value()] + [r.result.present_value() for r in runs]
    pvs = [None] + [r.comparison.present_values() for r in runs]
    nan = float("nan")
    t = OutputTable("scenarios", "scenarios against the baseline",
                    "One row per scenario (and the baseline): children in care at the end of the run, the present "
                    "value of all costs, and the appraisal against the baseline. Empty cells: not applicable.")
    t.add("scenario", names, "text", "scenario name ('baseline': no change)")
    t.add("description", desc, "text", "what the scenario changes")
    t.add("children_at_end", children, "children", f"children in care on {long_date(baseline.dates[-1])}")
    t.add(f"present_value_of_costs_gbp_{price}_to_{to}", pv, "money",
          f"present value of all costs over the run ({p.price_year} prices, discounted to {long_date(p.start_date)})")
    t.add(f"saving_present_value_gbp_{price}_to_{to}", [nan] + [pv[0] - v for v in pv[1:]], "money",
          "baseline present value minus the scenario's (all costs, including programme costs)", empty_ok=True)
    t.add(f"net_present_value_gbp_{price}_to_{to}", [nan] + [x["net_present_value"] for x in pvs[1:]], "money",
          "present value of gross savings minus programme costs (after any optimism bias)", empty_ok=True)
    t.add("payback_years", [nan] + [x["payback_years"] for x in pvs[1:]], "years",
          "years from the start until the discounted cumulative net saving turns positive (0 if it is never "
          "negative: no net cost at any point); empty if it is still negative at the end of the run", empty_ok=True)
    t.add("benefit_cost_ratio", [nan] + [x["benefit_cost_ratio"] for x in pvs[1:]], "number",
          "present value of gross savings over the present value of programme costs; empty without programme costs",
          empty_ok=True)
    return t


def checks_table(checks, result) -> OutputTable:
    """Published figures the model should reproduce, with the model's value and whether it is within tolerance."""
    rows: dict[str, list] = {k: [] for k in ("description", "date", "published", "modelled", "diff", "tol", "result",
                                             "source", "url")}
    for check in checks:
        modelled = check.modelled(result)
        rows["description"].append(check.description)
        rows["date"].append(np.datetime64(check.date, "D"))
        rows["published"].append(float(check.published))
        if modelled is None:
            rows["modelled"].append(float("nan"))
            rows["diff"].append(float("nan"))
            rows["result"].append("after the end of the run")
        else:
            diff = modelled / check.published - 1 if check.published else float("nan")
            rows["modelled"].append(modelled)
            rows["diff"].append(100 * diff)
            rows["result"].append("ok" if abs(diff) <= check.tolerance else "OUTSIDE TOLERANCE")
        rows["tol"].append(100 * check.tolerance)
        rows["source"].append(check.source)
        found = _URL.search(check.source)
        rows["url"].append(found.group(0) if found else "")
    t = OutputTable("checks", "the model against published figures",
                    "Published counts of children in care that the model should reproduce, with the model's value "
                    "on the same date, the difference and whether it is within the stated tolerance.")
    t.add("description", rows["description"], "text", "what was published")
    t.add("date", rows["date"], "date", "date of the published figure (ISO 8601)")
    t.add("published_children", rows["published"], "children", "the published figure")
    t.add("model_children", rows["modelled"], "children", "the model on that date (linear between step dates); "
          "empty if the date is after the run", empty_ok=True)
    t.add("difference_percent", rows["diff"], "percent", "model / published - 1, in per cent", empty_ok=True)
    t.add("tolerance_percent", rows["tol"], "percent", "the largest difference accepted, in per cent")
    t.add("result", rows["result"], "text", "ok, OUTSIDE TOLERANCE, or after the end of the run")
    t.add("source", rows["source"], "text", "the publication, with its year and confidence")
    t.add("source_url", rows["url"], "text", "link to the publication")
    return t


def uncertainty_table(uncertainty) -> OutputTable:
    """Children in care by date: deterministic projection and quantiles over stochastic draws."""
    u = uncertainty
    t = OutputTable("uncertainty", "children in care: spread over stochastic draws",
                    f"{u.description} One row per date: the deterministic projection, the mean over the "
                    f"{u.draws} draws and their 5th, 25th, 50th, 75th and 95th percentiles.")
    t.add("date", u.dates, "date", "date (ISO 8601)")
    t.add("children_projection", u.projection, "children", "the deterministic projection (expected children in care)")
    t.add("children_mean_of_draws", u.mean, "children", f"mean over {u.draws} draws")
    for q in (5, 25, 50, 75, 95):
        t.add(f"children_p{q:02d}", u.quantiles[q], "children", f"{q}th percentile over the draws")
    return t


def sources_table(parameters) -> OutputTable:
    """Every source the model's figures come from, with its link."""
    entries = list(dict.fromkeys(list(parameters.sources) + list(parameters.cost_sources.values())))
    t = OutputTable("sources", "sources of the figures",
                    "Every published figure the model uses, with its value, year, publication, link and confidence.")
    t.add("source", entries, "text", "figure = value unit (year, area): publication, link [confidence]")
    urls = []
    for e in entries:
        found = _URL.search(e)
        urls.append(found.group(0) if found else "")
    t.add("url", urls, "text", "link to the publication (empty if none is given)")
    return t
