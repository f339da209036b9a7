"""Charts of a projection (needs the ``plot`` extra: matplotlib, imported lazily).

Three charts a council analyst would put in a report: children in care by
placement (stacked areas), entries and exits by financial year, and cost by
financial year (grouped by each component's kind and placement, from the
result's arrays, not by re-filtering its tables). Each is titled and labelled, money axes are in pounds, and
series are told apart by grey level *and* hatching so they read when printed
in black and white.

Examples
--------
>>> from carecast.care.examples import load_example          # doctest: +SKIP
>>> from carecast.care.model import run                  # doctest: +SKIP
>>> result = run(load_example("norfolk-2017").parameters)  # doctest: +SKIP
>>> save_charts(result, "out")                           # doctest: +SKIP
['out/children_by_placement.png', 'out/entries_and_exits.png', 'out/cost_by_year.png']
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from carecast.care.calendar import financial_year_label, financial_year_weights
from carecast.care.costs import CostKind
from carecast.care.taxonomy import AGENCY_FOSTER, INHOUSE_FOSTER, KINSHIP_FOSTER, RESIDENTIAL, SECURE

__all__ = ["plot_children_by_placement", "plot_entries_exits", "plot_costs", "save_charts",
           "matplotlib_available"]

_GREYS = ("0.15", "0.85", "0.45", "1.0", "0.65", "0.3", "0.95", "0.55", "0.75")
_HATCHES = ("", "//", "", "..", "xx", "", "\\\\", "++", "--")
_FOSTER = (KINSHIP_FOSTER, INHOUSE_FOSTER, AGENCY_FOSTER)


def matplotlib_available() -> bool:
    """Whether matplotlib can be imported."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise ImportError("charts need matplotlib: pip install 'carecast[plot]'") from None
    if "matplotlib.pyplot" not in __import__("sys").modules:
        matplotlib.use("Agg")   # no display needed; the CLI only writes files
    import matplotlib.pyplot as plt
    return plt


def _pounds(value: float, _pos: Any = None) -> str:
    v = abs(value)
    sign = "-" if value < 0 else ""
    if v >= 1e9:
        return f"{sign}£{v / 1e9:g}bn"
    if v >= 1e6:
        return f"{sign}£{v / 1e6:g}m"
    if v >= 1e3:
        return f"{sign}£{v / 1e3:g}k"
    return f"{sign}£{v:g}"


_LABELS = {"sgo_cao": "SGO / CAO", "left_care_at_18": "Left care at 18", "inhouse_foster": "In-house foster",
           "agency_foster": "Agency foster (IFA)", "supported_living": "Supported / independent living",
           "residential": "Children's home"}


def _label(name: str) -> str:
    return _LABELS.get(name, name.replace("_", " ").capitalize())


def _new_axes(ax):
    plt = _pyplot()
    if ax is not None:
        return ax.figure, ax
    fig, ax = plt.subplots(figsize=(9, 5.2), dpi=110)
    return fig, ax


def plot_children_by_placement(result, ax=None):
    """Stacked areas of children in care by placement over time. Returns the figure."""
    fig, ax = _new_axes(ax)
    p = result.parameters
    dates = result.dates.astype("datetime64[D]").astype(object)
    data = result.children_by_placement().T
    keep = [i for i in range(len(p.placements)) if data[i].max() > 0]
    stacks = ax.stackplot(dates, data[keep], labels=[_label(p.placements[i]) for i in keep],
                          colors=[_GREYS[k % len(_GREYS)] for k in range(len(keep))],
                          edgecolor="black", linewidth=0.4)
    for k, poly in enumerate(stacks):
        poly.set_hatch(_HATCHES[k % len(_HATCHES)])
    ax.set_title(f"{p.name}: children in care by placement ({result.scenario})")
    ax.set_ylabel("Children in care")
    ax.set_xlabel("Date")
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_formatter(_formatter(lambda v, _=None: f"{v:,.0f}"))
    # the legend lists the layers top to bottom, as they are stacked on the chart
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], labels[::-1], loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8,
              frameon=False)
    ax.grid(axis="y", color="0.8", linewidth=0.5)
    fig.tight_layout()
    return fig


def _by_financial_year(result, per_step: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Financial-year labels and ``per_step`` (steps, ...) summed into those years."""
    years, weights, _ = financial_year_weights(result.parameters.start_date, result.steps, result.dt)
    return [financial_year_label(y) for y in years], np.tensordot(weights, per_step, axes=(0, 0))


def plot_entries_exits(result, ax=None):
    """Entries beside exits (stacked by destination) per financial year. Returns the figure."""
    fig, ax = _new_axes(ax)
    p = result.parameters
    events = result.event_counts()
    years, entries = _by_financial_year(result, events["entries"].sum(axis=(1, 2)))
    _, exits = _by_financial_year(result, events["exits"].sum(axis=(2, 3)))          # (years, E)
    x = np.arange(len(years))
    ax.bar(x - 0.2, entries, width=0.38, color="white", edgecolor="black", hatch="//", label="Entries")
    bottom = np.zeros(len(years))
    for k, group in enumerate(p.exit_groups):
        values = exits[:, k]
        if values.max() <= 0:
            continue
        ax.bar(x + 0.2, values, width=0.38, bottom=bottom, color=_GREYS[(k + 1) % len(_GREYS)],
               edgecolor="black", hatch=_HATCHES[(k + 3) % len(_HATCHES)], label=f"Exit: {_label(group)}")
        bottom += values
    ax.set_xticks(x)
    ax.set_xticklabels(years, rotation=45 if len(years) > 6 else 0)
    ax.set_title(f"{p.name}: entries and exits by financial year ({result.scenario})")
    ax.set_ylabel("Children per year")
    ax.set_xlabel("Financial year (April to March)")
    ax.yaxis.set_major_formatter(_formatter(lambda v, _=None: f"{v:,.0f}"))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    ax.grid(axis="y", color="0.8", linewidth=0.5)
    fig.tight_layout()
    return fig


def _cost_groups(result) -> dict[str, np.ndarray]:
    """Chart groups of cost components (masks over ``step_costs().parts``), by kind and placement."""
    costs = result.step_costs()
    names = result.parameters.placements
    placement_of = np.array([names[c.placement] if c.kind is CostKind.PLACEMENT else "" for c in costs.parts])
    is_placement = costs.is_kind(CostKind.PLACEMENT)
    foster = is_placement & np.isin(placement_of, _FOSTER)
    homes = is_placement & np.isin(placement_of, (RESIDENTIAL, SECURE))
    return {"Foster care": foster, "Children's homes and secure": homes,
            "Other placements": is_placement & ~foster & ~homes,
            "After care (18-25) and allowances": costs.is_kind(CostKind.POST_EXIT),
            "One-off costs (entries, proceedings, moves, exits)": costs.is_kind(CostKind.EVENT),
            "Programmes (interventions)": costs.is_kind(CostKind.PROGRAMME)}


def plot_costs(result, ax=None, *, terms: str = "cash"):
    """Cost by financial year, stacked by kind of cost, in ``cash``, ``real`` or ``discounted`` terms."""
    if terms not in ("cash", "real", "discounted"):
        raise ValueError(f"terms must be 'cash', 'real' or 'discounted', got {terms!r}")
    fig, ax = _new_axes(ax)
    p = result.parameters
    years, by_year = _by_financial_year(result, result.step_costs().terms(terms))     # (years, K)
    x = np.arange(len(years))
    bottom = np.zeros(len(years))
    for k, (name, members) in enumerate(_cost_groups(result).items()):
        values = by_year[:, members].sum(axis=1)
        if values.max() <= 0:
            continue
        ax.bar(x, values, bottom=bottom, width=0.7, color=_GREYS[k % len(_GREYS)], edgecolor="black",
               hatch=_HATCHES[k % len(_HATCHES)], label=name)
        bottom += values
    terms_text = {"cash": "cash", "real": f"real terms, {p.price_year} prices",
                  "discounted": f"{p.price_year} prices, discounted"}[terms]
    ax.set_xticks(x)
    ax.set_xticklabels(years, rotation=45 if len(years) > 6 else 0)
    ax.set_title(f"{p.name}: cost by financial year, {terms_text} ({result.scenario})")
    ax.set_ylabel("Cost (£)")
    ax.set_xlabel("Financial year (April to March)")
    ax.yaxis.set_major_formatter(_formatter(_pounds))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    ax.grid(axis="y", color="0.8", linewidth=0.5)
    fig.tight_layout()
    return fig


def _formatter(function):
    from matplotlib.ticker import FuncFormatter
    return FuncFormatter(function)


def save_charts(result, outdir: str | os.PathLike) -> list[str]:
    """Write the three charts as PNG files in ``outdir``; returns their paths."""
    plt = _pyplot()
    outdir = os.fspath(outdir)
    os.makedirs(outdir, exist_ok=True)
    paths = []
    for name, plot in (("children_by_placement", plot_children_by_placement),
                       ("entries_and_exits", plot_entries_exits), ("cost_by_year", plot_costs)):
        fig = plot(result)
        path = os.path.join(outdir, f"{name}.png")
        fig.savefig(path)
        plt.close(fig)
        paths.append(path)
    return paths
