"""A council's profile as text: its published series, rates per 10,000 children, and the council
beside its statistical neighbours' median and England."""
from __future__ import annotations

import numpy as np

from carecast.councils.dataset import Area, Value
from carecast.councils.measures import AGE_BANDS, CEASED_REASONS, MEASURE_INDEX, STOCK_PLACEMENTS

__all__ = ["profile_text", "HEADLINE_MEASURES"]

#: Series shown year by year in a profile.
HEADLINE_MEASURES: tuple[str, ...] = (
    "cla_31mar", "starts", "ceased", "population_0_17_dfe", "cin_31mar", "cpp_31mar", "sw_fte", "sw_caseload",
    "sw_turnover_rate", "sw_agency_rate", "sw_vacancy_rate", "spend_csc_net", "spend_cla_net")

_RATED = ("cla_31mar", "starts", "ceased", "cin_31mar", "cpp_31mar")


def _cell(v: Value) -> str:
    return str(v)


def _years(area: Area, measures: tuple[str, ...]) -> list[int]:
    ys: set[int] = set()
    for m in measures:
        ys.update(area.series(m))
    return sorted(ys)


def _comparison_value(area: Area, measure: str, year: int, per10k: bool) -> float | None:
    if measure.startswith("spend_"):
        # GBP thousand for the financial year to 31 March `year`: per child aged 0-17, in pounds
        v, pop = area.value(measure, year).value, area.population(year)
        return None if v is None or not pop else v * 1000.0 / pop
    return area.rate_per_10000(measure, year) if per10k else area.value(measure, year).value


def profile_text(area: Area, *, years: int = 8) -> str:
    """The profile printed by ``carecast councils show NAME`` (the last ``years`` years of each series)."""
    lines = [f"{area.name} ({area.code}" + (f", DfE code {area.old_code}" if area.old_code else "") + ")"
             + (f", {area.region}" if area.region else "") + f" - {area.level}"]
    if len(area.codes) > 1:
        lines.append("Codes used over time: " + ", ".join(area.codes))
    for note in area.notes:
        lines.append(f"Note: {note}")
    neigh = area.neighbours()
    if neigh:
        lines.append(f"Statistical neighbours ({area.neighbour_model}): " + ", ".join(a.name for a in neigh))
    # year-by-year series
    shown = [m for m in HEADLINE_MEASURES if area.series(m)]
    all_years = _years(area, tuple(shown))[-years:]
    if all_years:
        lines.append("")
        width = 36
        lines.append(f"{'':<{width}}" + "".join(f"{y:>8}" for y in all_years))
        for m in shown:
            label = MEASURE_INDEX[m].label
            label = label if len(label) <= width - 1 else label[:width - 2] + "~"
            lines.append(f"{label:<{width}}" + "".join(f"{_cell(area.value(m, y)):>8}" for y in all_years))
            if m in _RATED:
                rates = [area.rate_per_10000(m, y) for y in all_years]
                lines.append(f"{'  per 10,000 children':<{width}}"
                             + "".join(f"{('-' if r is None else f'{r:.0f}'):>8}" for r in rates))
    # beside neighbours and England, latest year of each measure
    lines.append("")
    lines.append("Latest published year beside the statistical neighbours' median and England")
    lines.append(f"{'measure':<44}{'year':>6}{area.name[:14]:>16}{'neighbours':>12}{'England':>12}")
    eng = area.data.england
    # counts of people and money only compare as rates: the population and staff numbers are left out
    for m in [m for m in shown if m not in ("population_0_17_dfe", "sw_fte")]:
        per10k = m in _RATED
        ys = area.years_with(m)
        if not ys:
            continue
        y = ys[-1]
        mine = _comparison_value(area, m, y, per10k)
        others = [_comparison_value(a, m, y, per10k) for a in neigh]
        others_f = [o for o in others if o is not None]
        med = float(np.median(others_f)) if others_f else None
        e = _comparison_value(eng, m, y, per10k)
        label = MEASURE_INDEX[m].label + (" per 10,000" if per10k else "")
        if m.startswith("spend_"):
            label = MEASURE_INDEX[m].label.split(" (")[0] + ", GBP per child"
        label = label if len(label) <= 43 else label[:42] + "~"

        def f(x: float | None) -> str:
            return "-" if x is None else (f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.1f}")
        lines.append(f"{label:<44}{y:>6}{f(mine):>16}{f(med):>12}{f(e):>12}"
                     + (f"  ({len(others_f)} of {len(neigh)} neighbours)" if neigh and len(others_f) < len(neigh)
                        else ""))
    # breakdowns, latest year published
    for title, prefix, parts in (
            ("Children looked after at 31 March by age", "cla_31mar_age_", AGE_BANDS),
            ("Children looked after at 31 March by placement", "cla_31mar_placement_", STOCK_PLACEMENTS),
            ("Children who started to be looked after by age", "starts_age_", AGE_BANDS),
            ("Children who ceased to be looked after by age", "ceased_age_", AGE_BANDS),
            ("Children who ceased to be looked after by reason", "ceased_reason_", CEASED_REASONS)):
        ys = sorted({y for k, _ in parts for y in area.series(prefix + k)})
        if not ys:
            continue
        y = ys[-1]
        lines.append("")
        lines.append(f"{title}, {y} (published; c, x: suppressed small numbers)")
        for k, label in parts:
            v = area.value(prefix + k, y)
            if v.value is None and v.code is None:
                continue
            lines.append(f"  {label[:60]:<62}{_cell(v):>8}")
    lines.append("")
    lines.append("Rates per 10,000 use the child population the DfE published with the figures, else the ONS "
                 "mid-year estimate of the year before. Figures are as first published (the release nearest "
                 "the year).")
    lines.append(area.data.licence)
    return "\n".join(lines)
