"""Plain-text summaries of a projection, as printed by ``carecast run``."""

from __future__ import annotations

import numpy as np

from carecast.care.calendar import step_name

__all__ = ["summary_text", "money", "step_name"]


def money(value: float) -> str:
    """Pounds, compactly: ``£1.23bn``, ``£45.6m``, ``£12,300``.

    >>> money(45_600_000), money(-1_234), money(2.5e9)
    ('£45.6m', '-£1,234', '£2.50bn')
    """
    sign = "-" if value < 0 else ""
    v = abs(float(value))
    if v >= 1e9:
        return f"{sign}£{v / 1e9:,.2f}bn"
    if v >= 1e6:
        return f"{sign}£{v / 1e6:,.1f}m"
    return f"{sign}£{v:,.0f}"


def _date(d: np.datetime64) -> str:
    return d.astype(object).strftime("%d %b %Y").lstrip("0")


def summary_text(result, *, title: str | None = None, checks=None, show_assumptions: bool = True) -> str:
    """Children in care at the start and end by placement, cost per financial year, present value.

    Parameters
    ----------
    result : CareResult
    title : str, optional
        First line (default: the parameters' name and the scenario).
    checks : list of carecast.care.examples.Check, optional
        Published figures to compare with the projection.
    show_assumptions : bool
        List the parameters' assumptions at the end.
    """
    p = result.parameters
    dates = result.dates
    by_place = result.children_by_placement()
    lines = [title or f"carecast: {p.name} ({result.scenario})",
             f"{_date(dates[0])} to {_date(dates[-1])}, {step_name(result.dt)}", ""]
    name_w = max(len("placement"), max(len(n) for n in p.placements), len("total"))
    head = f"{'Children in care':<{name_w}}  {_date(dates[0]):>12}  {_date(dates[-1]):>12}  {'change':>8}"
    lines += [head, "-" * len(head)]
    for i, name in enumerate(p.placements):
        a, b = by_place[0, i], by_place[-1, i]
        lines.append(f"{name:<{name_w}}  {a:>12,.0f}  {b:>12,.0f}  {b - a:>+8,.0f}")
    total0, total1 = by_place[0].sum(), by_place[-1].sum()
    lines.append(f"{'total':<{name_w}}  {total0:>12,.0f}  {total1:>12,.0f}  {total1 - total0:>+8,.0f}")
    events = result.event_counts()
    years = result.steps * result.dt
    lines.append(f"Entries {events['entries'].sum() / years:,.0f} a year, exits "
                 f"{events['exits'].sum() / years:,.0f} a year (averages over the run).")
    lines.append("")
    costs = result.costs("total")
    discount = "Green Book" if p.discount_rate is None else f"{p.discount_rate:.1%} a year"
    head = f"{'Cost by financial year':<24}{'cash':>12}{'real':>12}{'discounted':>12}"
    lines += [head, "-" * len(head)]
    for fy, cash, real, disc, share in zip(costs["financial_year"], costs["cash"], costs["real"],
                                           costs["discounted"], costs["share_of_year"]):
        part = "" if share > 0.999 else f" ({share:.0%} of year)"
        lines.append(f"{fy + part:<24}{money(cash):>12}{money(real):>12}{money(disc):>12}")
    lines.append(f"Real terms at {p.price_year} prices; discounted to {_date(dates[0])} ({discount}).")
    lines.append(f"Present value of all costs: {money(result.present_value())}")
    if checks:
        lines += ["", "Against published figures"]
        for check in checks:
            modelled = check.modelled(result)
            if modelled is None:
                lines.append(f"  {check.description}: published {check.published:,.0f}, "
                             f"after the end of this run")
                continue
            diff = modelled / check.published - 1 if check.published else float("nan")
            ok = "ok" if abs(diff) <= check.tolerance else "OUTSIDE TOLERANCE"
            lines.append(f"  {check.description}: published {check.published:,.0f}, model {modelled:,.0f} "
                         f"({diff:+.1%}; tolerance {check.tolerance:.1%}: {ok})")
    if show_assumptions and p.assumptions:
        lines += ["", "Assumptions (not from published sources):"]
        lines += [f"  - {a}" for a in p.assumptions]
    return "\n".join(lines)
