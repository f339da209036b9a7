"""The charts of a run, as PNG files and as inline SVG (needs matplotlib: the ``report`` or ``plot`` extra).

:func:`chart_list` lists every chart a :class:`~carecast.care.outputs.report.RunReport`
has: the baseline's three (children by placement, entries and exits, cost by
year, from :mod:`carecast.care.charts`), for each scenario its children and
cost against the baseline and its cumulative net position with payback
marked, and the uncertainty fan when draws were run (with declared
uncertainty, one PSA fan per scenario, baseline and scenario on one chart,
or the baseline's alone). The CLI writes them as
PNG; the HTML report inlines them as SVG (text kept as text, so it can be
searched and printed sharply; no fonts are embedded or fetched).

Series are told apart by line style and grey level as well as colour, so the
charts read in black and white.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Chart", "chart_list", "figure_svg", "figure_png", "plot_scenario_against_baseline",
           "plot_net_position", "plot_fan", "plot_psa_fan", "psa_chart_names"]


@dataclass
class Chart:
    """One chart: file stem, caption, and a function drawing the matplotlib figure."""

    name: str
    caption: str
    draw: Callable[[], Any]


def _plt():
    """pyplot on the Agg backend (files only; no display needed), with a clear message without matplotlib."""
    import sys
    try:
        import matplotlib
    except ImportError:
        raise ImportError("charts need matplotlib: pip install 'carecast[report]'") from None
    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _dates(result):
    return result.dates.astype("datetime64[D]").astype(object)


def _pounds(value, _pos=None) -> str:
    """An axis label in pounds: £1.5m, £250k, -£2bn."""
    v, sign = abs(value), "-" if value < 0 else ""
    for scale, unit in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if v >= scale:
            return f"{sign}£{v / scale:g}{unit}"
    return f"{sign}£{v:g}"


def _formatter(function):
    from matplotlib.ticker import FuncFormatter
    return FuncFormatter(function)


def plot_scenario_against_baseline(comparison):
    """Two panels: children in care (baseline and scenario) and the real cost by financial year of each."""
    from carecast.care.outputs.context import cost_by_year_table
    plt = _plt()
    base, scen = comparison.baseline, comparison.scenario
    p = base.parameters
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.4), dpi=110)
    dates = _dates(base)
    left.plot(dates, base.children_in_care(), color="0.2", linewidth=1.8, label="Baseline")
    left.plot(dates, scen.children_in_care(), color="tab:blue", linewidth=1.8, linestyle="--",
              label=f"Scenario: {scen.scenario}")
    left.set_title("Children in care")
    left.set_ylabel("Children")
    left.set_ylim(bottom=0)
    left.yaxis.set_major_formatter(_formatter(lambda v, _=None: f"{v:,.0f}"))
    left.legend(fontsize=8, frameon=True, framealpha=0.9, loc="best")
    left.grid(axis="y", color="0.85", linewidth=0.5)
    for label in left.get_xticklabels():
        label.set_rotation(30)
    tb, ts = cost_by_year_table(base), cost_by_year_table(scen)
    real = [c for c in tb.columns if c.startswith("cost_real_gbp")][0]
    years = tb.columns["financial_year"]
    x = np.arange(len(years))
    right.bar(x - 0.2, tb.columns[real], width=0.38, color="0.75", edgecolor="black", label="Baseline")
    right.bar(x + 0.2, ts.columns[real], width=0.38, color="tab:blue", edgecolor="black", hatch="//",
              label=f"Scenario: {scen.scenario}")
    right.set_xticks(x)
    right.set_xticklabels(years, rotation=45 if len(years) > 5 else 0, fontsize=8)
    right.set_title(f"Cost by financial year, real terms ({p.price_year} prices)")
    right.set_ylabel("Cost (£)")
    right.yaxis.set_major_formatter(_formatter(_pounds))
    right.legend(fontsize=8, frameon=True, framealpha=0.9, loc="best")
    right.grid(axis="y", color="0.85", linewidth=0.5)
    fig.suptitle(f"{p.name}: {scen.scenario} against the baseline")
    fig.tight_layout()
    return fig


def net_position(comparison) -> tuple[np.ndarray, np.ndarray, float]:
    """(times in years from the start, cumulative discounted net saving at each date, payback years or inf)."""
    base = comparison.baseline
    disc = base.step_costs().discount
    cumulative = np.concatenate([[0.0], np.cumsum(comparison.net_saving() * disc)])
    times = np.arange(base.steps + 1) * base.dt
    return times, cumulative, float(comparison.present_values()["payback_years"])


def plot_net_position(comparison):
    """Cumulative net position of a scenario (discounted net saving to date), with payback marked."""
    plt = _plt()
    base, scen = comparison.baseline, comparison.scenario
    p = base.parameters
    _, cumulative, payback = net_position(comparison)
    dates = _dates(base)
    fig, ax = plt.subplots(figsize=(9, 4.4), dpi=110)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.plot(dates, cumulative, color="tab:blue", linewidth=2, label="Cumulative net saving (discounted)")
    ax.fill_between(dates, cumulative, 0, where=cumulative < 0, color="0.8", hatch="..", edgecolor="0.5",
                    linewidth=0, label="Net cost to date")
    if np.isfinite(payback) and payback > 0:
        when = np.datetime64(base.dates[0]) + np.timedelta64(int(round(payback * 365.25)), "D")
        ax.axvline(when.astype(object), color="tab:red", linestyle="--", linewidth=1.2)
        ax.annotate(f"pays back after {payback:.1f} years", xy=(when.astype(object), 0), xytext=(8, 12),
                    textcoords="offset points", color="tab:red", fontsize=9)
        verdict = f"pays back after {payback:.1f} years"
    elif payback == 0:
        verdict = "never a net cost"
    else:
        verdict = "does not pay back within the run"
    ax.set_title(f"{p.name}: {scen.scenario}, cumulative net position ({verdict})")
    ax.set_ylabel(f"£, {p.price_year} prices, discounted")
    ax.yaxis.set_major_formatter(_formatter(_pounds))
    ax.legend(fontsize=8, frameon=False, loc="upper left")
    ax.grid(axis="y", color="0.85", linewidth=0.5)
    fig.tight_layout()
    return fig


def plot_fan(uncertainty, name: str):
    """Children in care: the projection with 50% and 90% bands over stochastic draws."""
    plt = _plt()
    u = uncertainty
    dates = u.dates.astype("datetime64[D]").astype(object)
    fig, ax = plt.subplots(figsize=(9, 4.4), dpi=110)
    ax.fill_between(dates, u.quantiles[5], u.quantiles[95], color="0.85", label="90% of draws")
    ax.fill_between(dates, u.quantiles[25], u.quantiles[75], color="0.6", label="50% of draws")
    ax.plot(dates, u.projection, color="black", linewidth=1.6, label="Projection")
    ax.set_title(f"{name}: children in care, {u.draws} stochastic draws (chance only)")
    ax.set_ylabel("Children in care")
    ax.yaxis.set_major_formatter(_formatter(lambda v, _=None: f"{v:,.0f}"))
    ax.legend(fontsize=8, frameon=False, loc="upper left")
    ax.grid(axis="y", color="0.85", linewidth=0.5)
    fig.tight_layout()
    return fig


def plot_psa_fan(result, name: str, scenario: str = ""):
    """Children in care over a PSA's draws: median and 50% and 90% bands of the baseline and (if run) the
    scenario. The baseline is grey with a solid median, the scenario blue, hatched, with a dashed median, so
    the two read apart in black and white."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(9, 4.4), dpi=110)
    arms: list[tuple[str, str, str, str, str | None]] = [("baseline", "Baseline", "0.45", "-", None)]
    if result.scenario is not None:
        arms.append(("scenario", f"Scenario: {scenario}", "tab:blue", "--", "//"))
    for arm, label, colour, style, hatch in arms:
        fan = result.fan(arm=arm, levels=(0.5, 0.9))
        dates = fan["dates"].astype("datetime64[D]").astype(object)
        lo, hi = fan["bands"][0.9]
        ax.fill_between(dates, lo, hi, color=colour, alpha=0.18, hatch=hatch, linewidth=0,
                        label=f"{label}: 90% of draws")
        lo, hi = fan["bands"][0.5]
        ax.fill_between(dates, lo, hi, color=colour, alpha=0.35, linewidth=0, label=f"{label}: 50% of draws")
        ax.plot(dates, fan["median"], color="black" if arm == "baseline" else colour, linestyle=style,
                linewidth=1.6, label=f"{label}: median")
    kind = "parameter uncertainty and chance" if result.stochastic else "parameter uncertainty"
    ax.set_title(f"{name}: children in care, {result.rows:,} draws ({kind})")
    ax.set_ylabel("Children in care (axis not from zero)")
    ax.yaxis.set_major_formatter(_formatter(lambda v, _=None: f"{v:,.0f}"))
    ax.legend(fontsize=8, frameon=True, framealpha=0.9, loc="best")
    ax.grid(axis="y", color="0.85", linewidth=0.5)
    fig.tight_layout()
    return fig


def psa_chart_names(report) -> list[tuple[str, str, str]]:
    """(file stem, caption, scenario name or "") of each PSA fan chart of a report."""
    run = report.psa
    if run is None:
        return []
    what = "parameter uncertainty and chance" if run.chance else "parameter uncertainty"
    if not run.scenario_names:
        return [("psa_fan", f"Children in care over {run.draws:,} PSA draws ({what}): median, 50% and 90% of "
                            "draws (baseline)", "")]
    return [(f"psa_fan_{_safe(n)}", f"Children in care over {run.draws:,} PSA draws ({what}): baseline and {n}, "
                                    "median, 50% and 90% of draws", n) for n in run.scenario_names]


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "scenario"


def chart_list(report) -> list[Chart]:
    """Every chart of a run, in report order."""
    from carecast.care import charts
    base = report.baseline
    out = [Chart("children_by_placement", "Children in care by placement (baseline)",
                 lambda: charts.plot_children_by_placement(base)),
           Chart("entries_and_exits", "Entries and exits by financial year (baseline)",
                 lambda: charts.plot_entries_exits(base)),
           Chart("cost_by_year", "Cost by financial year in cash terms, by kind of cost (baseline)",
                 lambda: charts.plot_costs(base))]
    for stem, caption, scen in psa_chart_names(report):
        out.append(Chart(stem, caption, functools.partial(plot_psa_fan, report.psa.results[scen], report.name, scen)))
    if report.uncertainty is not None:
        out.append(Chart("uncertainty_fan", f"Children in care over {report.uncertainty.draws} stochastic draws",
                         lambda: plot_fan(report.uncertainty, report.name)))
    for s in report.scenarios:
        c = s.comparison
        out.append(Chart(f"scenario_{_safe(s.name)}_against_baseline", f"{s.name} against the baseline",
                         functools.partial(plot_scenario_against_baseline, c)))
        out.append(Chart(f"scenario_{_safe(s.name)}_net_position",
                         f"{s.name}: cumulative net position with payback marked",
                         functools.partial(plot_net_position, c)))
    return out


def figure_png(fig) -> bytes:
    """A figure as PNG bytes (the figure is closed)."""
    plt = _plt()
    buf = io.BytesIO()
    try:
        fig.savefig(buf, format="png", metadata={"Software": None})
    finally:
        plt.close(fig)
    return buf.getvalue()


def figure_svg(fig, salt: str) -> str:
    """A figure as an inline ``<svg>`` element: text as text, no fonts, scaled to the page width."""
    import matplotlib
    plt = _plt()
    buf = io.StringIO()
    try:
        with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": salt}):
            fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    finally:
        plt.close(fig)
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    # several charts share one page: give every id (and every reference to one) the chart's prefix
    prefix = re.sub(r"[^A-Za-z0-9_-]", "_", salt)
    text = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}-{m.group(1)}"', text)
    text = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}-{m.group(1)})", text)
    text = re.sub(r'(xlink:href|href)="#([^"]+)"', lambda m: f'{m.group(1)}="#{prefix}-{m.group(2)}"', text)
    # the root element: drop the fixed size and let CSS scale it (the viewBox keeps the proportions)
    head_end = text.index(">")
    head = re.sub(r'\s(width|height)="[^"]*"', "", text[:head_end])
    head += ' role="img" class="chart"'
    return head + text[head_end:]
