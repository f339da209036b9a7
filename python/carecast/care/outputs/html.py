"""One self-contained HTML report of a run, for a committee.

The page holds everything inline: CSS, and charts as SVG (text as text, no
fonts embedded or fetched). A Content-Security-Policy forbids every network
request, so the page opens the same offline as online. Printed, it fits A4
(``@page``), starting each main section on a new page and never splitting a
chart or a table row.

Contents: the summary (key figures, the printed summary), the baseline's
charts and tables, each scenario against the baseline (chart, cumulative net
position with payback marked, table), the uncertainty fan when draws were
run (for a PSA: the probabilities in words, the method, the fan charts,
quantile tables and every uncertain input with its source or
"[assumption]"), the checks against published figures, the assumptions and the sources
with links.

Without matplotlib the page is written without charts and says so.
"""

from __future__ import annotations

import html as _html
import re

import numpy as np

from carecast.care.outputs import context
from carecast.care.outputs.labels import long_date

__all__ = ["html_report", "heading", "page_head", "STYLESHEET"]

#: The stylesheet of every page carecast writes (the report and the rendered notebooks): A4 print rules.
STYLESHEET = """
:root { --ink: #1a1a1a; --rule: #bbb; --pale: #f3f3f3; --accent: #1f5fa8; --bad: #a11; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: var(--ink);
       max-width: 60rem; margin: 0 auto; padding: 1.5rem; line-height: 1.45; font-size: 15px; }
h1 { font-size: 1.7rem; margin: 0 0 .3rem; } h2 { font-size: 1.3rem; border-bottom: 2px solid var(--ink);
     padding-bottom: .2rem; margin-top: 2.2rem; } h3 { font-size: 1.05rem; margin-top: 1.5rem; }
.meta { color: #555; margin: 0 0 1rem; }
.key { display: grid; grid-template-columns: repeat(auto-fit, minmax(13rem, 1fr)); gap: .6rem; padding: 0;
       list-style: none; }
.key li { background: var(--pale); border-left: 4px solid var(--accent); padding: .5rem .7rem; }
.key b { display: block; font-size: 1.25rem; }
table { border-collapse: collapse; width: 100%; margin: .6rem 0 1rem; font-size: .85rem; }
th, td { border-bottom: 1px solid var(--rule); padding: .25rem .45rem; text-align: right; vertical-align: top; }
th { background: var(--pale); font-weight: 600; } td.t, th.t { text-align: left; } td.d { white-space: nowrap; }
caption { text-align: left; font-weight: 600; padding: .3rem 0; }
figure { margin: 1rem 0; } figcaption { font-size: .85rem; color: #444; }
svg.chart { width: 100%; height: auto; display: block; }
pre { background: var(--pale); padding: .7rem; overflow-x: auto; font-size: .78rem; white-space: pre-wrap; }
.bad { color: var(--bad); font-weight: 600; } .note { font-size: .85rem; color: #444; }
a { color: var(--accent); word-break: break-all; }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  h2 { break-before: page; } h2.first { break-before: avoid; }
  figure, tr, .key li { break-inside: avoid; }
  h2, h3, caption { break-after: avoid; }
  pre { white-space: pre-wrap; }
  a { color: var(--ink); }
}
"""

_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def page_head(title: str, *, extra_css: str = "", meta: str = "") -> str:
    """``<!DOCTYPE html>`` to ``<body>``: a self-contained page that fetches nothing (a
    Content-Security-Policy forbids any request) and prints on A4 (:data:`STYLESHEET`).

    >>> page_head("x").startswith("<!DOCTYPE html>")
    True
    """
    return "\n".join(["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
                      '<meta name="generator" content="carecast">',
                      f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
                      '<meta name="viewport" content="width=device-width, initial-scale=1">', meta,
                      f"<title>{_e(title)}</title>", f"<style>{STYLESHEET}{extra_css}</style></head><body>"])


def _e(text) -> str:
    return _html.escape(str(text), quote=True)


def heading(column: str, parameters) -> str:
    """A column's heading in words, with its unit: ``cost_real_gbp_2016_17`` -> ``Cost, real (£, 2016-17 prices)``."""
    p = parameters
    stat = re.match(r"^(.*_gbp.*)_(mean|p(\d\d))$", column)
    if stat:
        what = "mean" if stat.group(2) == "mean" else f"{int(stat.group(3))}th percentile"
        return f"{heading(stat.group(1), parameters)}, {what}"
    m = re.match(r"^(.*?)_(cash|real|discounted)_gbp(?:_\d{4}_\d{2})?(?:_to_\d{4}_\d{2}_\d{2})?$", column)
    if m:
        what = m.group(1).replace("_", " ").capitalize()
        terms = m.group(2)
        unit = {"cash": "£", "real": f"£, {p.price_year} prices",
                "discounted": f"£, {p.price_year} prices, discounted to {long_date(p.start_date)}"}[terms]
        return f"{what}, {terms} ({unit})"
    m = re.match(r"^(.*?)_gbp_\d{4}_\d{2}_to_\d{4}_\d{2}_\d{2}$", column)
    if m:
        return f"{m.group(1).replace('_', ' ').capitalize()} (£, {p.price_year} prices, discounted to " \
               f"{long_date(p.start_date)})"
    special = {"share_of_year_in_run": "Share of the year in the run", "payback_years": "Payback (years)",
               "difference_percent": "Difference (%)", "tolerance_percent": "Tolerance (%)",
               "source_url": "Link", "financial_year": "Financial year"}
    if column in special:
        return special[column]
    words = column.replace("_", " ")
    return words[:1].upper() + words[1:]


def _cell(value, kind: str, column: str = "") -> tuple[str, str]:
    """(text, css class) of a cell."""
    if value is None:
        return "", ""
    if kind == "money":
        v = int(value)
        return (f"-£{-v:,}" if v < 0 else f"£{v:,}"), ""
    if kind == "children":
        return f"{value:,.1f}", ""
    if kind == "share":
        return f"{value:.0%}" if value < 0.9995 else "whole", ""
    if kind == "percent":
        return (f"{value:+.1f}%" if column.startswith("difference") else f"{value:.1f}%"), ""
    if kind == "years":
        return f"{value:.1f}", ""
    if kind == "number":
        return f"{value:,.2f}", ""
    text = str(value)
    if text == "OUTSIDE TOLERANCE":
        return _e(text), "t bad"
    if kind == "text" and re.match(r"^https?://", text):
        return f'<a href="{_e(text)}">{_e(text)}</a>', "t"
    return _e(text), "t"


def _table(table: context.OutputTable, parameters, *, columns=None, caption: str | None = None,
           rows=None) -> str:
    cols = [c for c in (columns or table.columns)]
    kinds = [table.kinds[c] for c in cols]
    head = "".join(f'<th class="{"t" if k in ("text", "fy", "date") else ""}" title="{_e(table.notes[c])}">'
                   f"{_e(heading(c, parameters))}</th>" for c, k in zip(cols, kinds))
    body = []
    values = [table.columns[c] for c in cols]
    for i in (range(len(table)) if rows is None else rows):
        cells = []
        for v, kind, col in zip(values, kinds, cols):
            text, cls = _cell(v[i], kind, col)
            if kind in ("fy", "date"):
                cls = "t d"
            cells.append(f'<td class="{cls}">{text}</td>' if cls else f"<td>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption>{_e(caption or table.title.capitalize())}</caption>"
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _money(v: float) -> str:
    from carecast.care.report import money
    return money(v)


def _charts(report) -> tuple[dict[str, str], str]:
    """SVG of every chart by name, or ({}, why not)."""
    from carecast.care.charts import matplotlib_available
    if not matplotlib_available():
        return {}, "Charts are not shown: matplotlib is not installed (pip install 'carecast[report]')."
    from carecast.care.outputs.figures import chart_list, figure_svg
    return {c.name: _figure(figure_svg(c.draw(), salt=c.name), c.caption) for c in chart_list(report)}, ""


def _figure(svg: str, caption: str) -> str:
    return f"<figure>{svg}<figcaption>{_e(caption)}</figcaption></figure>"


def _payback_words(payback: float) -> str:
    if payback == 0:
        return "never a net cost, so no payback period"
    if np.isfinite(payback):
        return f"pays back after {payback:.1f} years"
    return "does not pay back within the run"


def _psa_section(report, charts: dict[str, str]) -> list[str]:
    """The PSA: method, where the uncertainty comes from, the probabilities in words, the fan charts, the
    tables at each financial year end, and every input with its distribution and source or [assumption]."""
    from carecast.care.outputs import psa
    from carecast.care.outputs.figures import psa_chart_names
    run, p = report.psa, report.parameters
    out = ['<h2 id="uncertainty">Uncertainty: probabilistic sensitivity analysis</h2>',
           f"<p>{_e(run.method)}</p>"]
    if run.origin:
        out.append(f"<p>Uncertainty from {_e(run.origin)}.</p>")
    out.append("<ul>" + "".join(f"<li>{_e(x)}</li>" for x in psa.probability_lines(run)) + "</ul>")
    for stem, _, _ in psa_chart_names(report):
        if stem in charts:
            out.append(charts[stem])
    children = psa.children_quantiles_table(run)
    _, last = context.year_end_steps(report.baseline)
    n = len(report.baseline.dates)
    rows = [k * n + i for k in range(len(run.arms())) for i in [0, *last.tolist()]]
    out.append(_table(children, p, rows=rows, caption="Children in care at the start and at the end of each "
                                                      "financial year over the draws"))
    cost = psa.cost_quantiles_table(run)
    cash = [c for c in cost.columns if c.startswith("cost_cash_gbp_")]
    out.append(_table(cost, p, columns=["financial_year", "share_of_year_in_run", "arm",
                                        *[c for c in cash if c.endswith(("_mean", "_p05", "_p50", "_p95"))]],
                      caption="Cash cost by financial year over the draws (real and discounted terms in "
                              "psa_cost_quantiles.csv)"))
    ranked = psa.sensitivity_table(run)
    if ranked is not None:
        out.append(_table(ranked, p, columns=["arm", "input", "partial_rank_correlation", "rank", "note"],
                          caption="Which inputs move the baseline's present value and each scenario's net present "
                                  "value most (partial rank correlation over the draws)"))
    out.append("<h3>Uncertain inputs</h3><p>Each input with its distribution and its source; one without a "
               "source is the model author's assumption:</p><ul>")
    out += [f"<li>{_e(x)}</li>" for x in psa.input_lines(run)]
    out.append("</ul><p class=\"note\">Every draw's inputs and results are in psa_draws.csv, so each probability "
               "above can be recomputed from it.</p>")
    return out


def html_report(report) -> str:
    """The report as one HTML page (a string)."""
    p = report.parameters
    base = report.baseline
    charts, no_charts = _charts(report)
    children = base.children_in_care()
    cost_year = context.cost_by_year_table(base)
    names = [c for c in cost_year.columns if "_gbp" in c]
    whole = [i for i, s in enumerate(cost_year.columns["share_of_year_in_run"]) if s >= 0.9995]
    pv = base.present_value()
    checks = context.checks_table(report.checks, base) if report.checks else None
    out = [page_head(f"{report.name}: children in care and their cost (carecast)"),
           f"<header><h1>{_e(report.name)}: children in care and their cost</h1>",
           f'<p class="meta">Projection from {_e(long_date(base.dates[0]))} to {_e(long_date(base.dates[-1]))} '
           f"({report.years:g} years, {report.step}ly steps). Written by carecast {_e(report.version)} on "
           f"{_e(report.created)} from {_e(report.model or 'a model')}. Money in pounds; real terms at "
           f"{_e(p.price_year)} prices.</p></header>"]

    # ---- summary
    key = [("Children in care at the start", f"{children[0]:,.0f}", long_date(base.dates[0])),
           ("Children in care at the end", f"{children[-1]:,.0f}", long_date(base.dates[-1])),
           ("Present value of all costs", _money(pv), f"{p.price_year} prices, discounted to "
                                                       f"{long_date(base.dates[0])}")]
    if whole:
        i = whole[0]
        key.append((f"Cost in {cost_year.columns['financial_year'][i]}",
                    _money(cost_year.columns[names[0]][i]), "cash"))
    if checks is not None:
        ok = sum(r == "ok" for r in checks.columns["result"])
        bad = sum(r == "OUTSIDE TOLERANCE" for r in checks.columns["result"])
        key.append(("Checks against published figures", f"{ok} of {ok + bad} within tolerance",
                    "see Checks" + (" - SOME OUTSIDE TOLERANCE" if bad else "")))
    for s in report.scenarios:
        pvs = s.comparison.present_values()
        pb = pvs["payback_years"]
        key.append((f"Scenario {s.name}: net present value", _money(pvs["net_present_value"]), _payback_words(pb)))
    if report.psa is not None:
        from carecast.care.outputs.psa import share_text
        run = report.psa
        for budget in run.budgets:
            key.append((f"Chance the cash cost of {run.budget_year} is above £{budget:,.0f}",
                        share_text(run.prob_cost_exceeds(budget), run.first.rows),
                        f"baseline; over {run.first.rows:,} draws (see Uncertainty)"))
    out.append('<h2 class="first" id="summary">Summary</h2><ul class="key">')
    out += [f"<li>{_e(label)}<b>{_e(value)}</b><span class=\"note\">{_e(note)}</span></li>" for label, value, note in key]
    out.append("</ul>")
    if report.uncertainty is not None:
        u = report.uncertainty
        out.append(f"<p>Over {u.draws} stochastic draws, children in care on {_e(long_date(u.dates[-1]))}: "
                   f"{u.quantiles[50][-1]:,.0f} (90% of draws between {u.quantiles[5][-1]:,.0f} and "
                   f"{u.quantiles[95][-1]:,.0f}). {_e(u.description)}</p>")
    if report.psa is not None:
        from carecast.care.outputs.psa import probability_lines
        out.append("<p>" + _e(f"Over {report.psa.draws:,} draws of the model's uncertain inputs (see Uncertainty):")
                   + "</p><ul>" + "".join(f"<li>{_e(x)}</li>" for x in probability_lines(report.psa)) + "</ul>")
    out.append("<details open><summary>The summary as printed by carecast</summary>"
               f"<pre>{_e(report.summary(show_assumptions=False))}</pre></details>")

    # ---- baseline
    out.append('<h2 id="baseline">The baseline</h2>')
    if no_charts:
        out.append(f'<p class="note">{_e(no_charts)}</p>')
    for name in ("children_by_placement", "entries_and_exits", "cost_by_year"):
        if name in charts:
            out.append(charts[name])
    out.append(_table(context.children_by_placement_table(base), p))
    out.append(_table(cost_year, p))

    # ---- scenarios
    if report.scenarios:
        from carecast.care.outputs.figures import _safe
        out.append('<h2 id="scenarios">Scenarios against the baseline</h2>')
        out.append(_table(context.scenarios_table(base, report.scenarios), p))
        for s in report.scenarios:
            out.append(f"<h3>{_e(s.name)}</h3>")
            if s.description:
                out.append(f"<p>{_e(s.description)}</p>")
            for suffix in ("against_baseline", "net_position"):
                chart = charts.get(f"scenario_{_safe(s.name)}_{suffix}")
                if chart:
                    out.append(chart)
            out.append(_table(context.comparison_table(s.comparison), p))

    # ---- uncertainty
    if report.uncertainty is not None:
        u = report.uncertainty
        out.append('<h2 id="uncertainty">Uncertainty</h2>')
        out.append(f"<p>{_e(u.description)} Seed {u.seed}.</p>")
        if "uncertainty_fan" in charts:
            out.append(charts["uncertainty_fan"])
        _, last = context.year_end_steps(base)
        out.append(_table(context.uncertainty_table(u), p, rows=[0, *last.tolist()],
                          caption="Children in care at the end of each financial year over the draws"))

    if report.psa is not None:
        out += _psa_section(report, charts)

    # ---- checks, assumptions, sources
    out.append('<h2 id="checks">Checks against published figures</h2>')
    if checks is not None:
        out.append(_table(checks, p, columns=["description", "date", "published_children", "model_children",
                                              "difference_percent", "tolerance_percent", "result", "source_url"]))
    else:
        out.append("<p>No published figures were given to check this model against.</p>")
    out.append('<h2 id="assumptions">Assumptions</h2>')
    if p.assumptions:
        out.append("<p>What the model assumes where no published figure was found:</p><ul>")
        out += [f"<li>{_e(a)}</li>" for a in p.assumptions]
        out.append("</ul>")
    else:
        out.append("<p>None listed.</p>")
    out.append('<h2 id="sources">Sources</h2><ol>')
    sources = context.sources_table(p)
    for text, url in zip(sources.columns["source"], sources.columns["url"]):
        link = f' <a href="{_e(url)}">{_e(url)}</a>' if url else ""
        out.append(f"<li>{_e(text.replace(url, '').rstrip(', ') if url else text)}{link}</li>")
    out.append("</ol>")
    if not len(sources):
        out.append("<p>No figure in this model names a published source: every figure in it (counts, rates and "
                   "costs) is the model author's own and should be read as an assumption.</p>")
    out.append(f'<footer><p class="note">Rerun with <code>carecast run scenario.toml</code> from the folder of this '
               f"report. carecast {_e(report.version)}.</p></footer></body></html>")
    return "\n".join(out) + "\n"
