"""A children-in-care model of one council from its published figures only.

:func:`council_parameters` builds a :class:`~carecast.care.CareParameters` at
31 March of a year from the council's own published series:

* **stock by age and placement** at 31 March: the published age margin and
  placement margin of that year (2010-2017 releases), joined by iterative
  proportional fitting (IPF) with structural zeros, because the DfE does not
  publish the joint table. After 2017 only the total is published: the last
  published margins (at or before the year) are scaled to it, and the
  parameters say so;
* **entries by age**: children who started to be looked after during the
  year to 31 March, by age band (2011-2023; later years use the last
  published age mix scaled to the published total). ``entries="rate"``
  projects them instead as a rate per 10,000 children (the year's) times the
  ONS child population held at its last published value;
* **exit hazards by age and reason**: children who ceased during the year by
  age band, over the mean of the stock at the two 31 Marches around it (the
  exposure), with the reasons (published only as a total margin) spread
  over ages by IPF with structural zeros (no adoptions at 10+, no special
  guardianship or child arrangements orders at 16+). In the last age band
  (16-17) the model's own ageing out at 18 (the band's stock over its width
  of two years) is taken off the published leavers, so the published
  outflow is reproduced; reasons that happen at 18 (staying put, adult
  care, independent living) are left to that ageing out. From 2016 the
  16+ leavers are the sum of the published 16, 17 and 18-and-over cells,
  each suppressed part filled as any cell (see :func:`_ceased_by_age`);
* **uncertainty**: each hazard and entry rate carries its published count,
  so :func:`parameter_draws` can draw them from Gamma posteriors
  (``Gamma(count + 1/2, exposure)``, Jeffreys prior).

Suppressed cells (``c``, ``x``: one to five children) in a breakdown are
filled with an equal share of what the published total leaves, capped at 5
(at 2.5 when the total is also missing), and the parameters list which.

What the DfE does not publish by council is assumed and listed in the
parameters' ``assumptions``: time-in-care profile (none: one band),
placement moves (none), the first placement of entrants (the stock's mix at
their age), the split of foster care into kinship, in-house and agency care
(national shares from ``facts.json``), and unit costs (the national figures
of the ``england`` example, from ``facts.json``).
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from carecast.care.parameters import CareParameters
from carecast.care.taxonomy import EXIT_GROUPS, PLACEMENTS
from carecast.councils.dataset import Area
from carecast.councils.measures import AGE_BANDS as PUBLISHED_AGE_BANDS
from carecast.councils.measures import STOCK_PLACEMENTS

__all__ = ["council_parameters", "CouncilModelError", "CouncilInputs", "council_inputs", "parameter_draws",
           "rate_uncertainty", "MODEL_AGE_BANDS", "REASON_TO_EXIT_GROUP"]

#: Lower bounds of the published age bands: under 1, 1-4, 5-9, 10-15, 16-17.
MODEL_AGE_BANDS: tuple[float, ...] = (0.0, 1.0, 5.0, 10.0, 16.0)
_WIDTHS = np.diff(np.append(MODEL_AGE_BANDS, 18.0))
_AGES = [k for k, _ in PUBLISHED_AGE_BANDS]

#: Published reasons for ceasing grouped into the model's exit groups (None: left to ageing out at 18).
REASON_TO_EXIT_GROUP: dict[str, str | None] = {
    "returned_home": "returned_home", "no_parental_responsibility": "returned_home", "adopted": "adopted",
    "sgo": "sgo_cao", "residence_cao": "sgo_cao", "stayed_with_carers_18": None, "adult_care": None,
    "independent_living": None, "custody": "other", "remand_ended": "other", "age_assessment": "other",
    "abroad": "other", "taken_other_la": "other", "died": "other", "other": "other",
}

#: Published placement groups of the stock to the model's placements (foster is split by national shares).
_PLACEMENT_MAP: dict[str, dict[str, float] | str] = {
    "foster": "foster", "placed_for_adoption": "placed_for_adoption", "with_parents": "with_parents",
    "other_community": "supported_living", "secure_homes_hostels": "residential_secure",
    "other_residential": "residential", "residential_school": "residential", "missing": "other", "other": "other",
}

_SUPPRESSED_MAX = 5.0


class CouncilModelError(ValueError):
    """The council's published figures cannot support a model at that year (says which are missing)."""


@dataclass
class CouncilInputs:
    """The published inputs of a council model at 31 March ``year``, before they become parameters."""

    area: Area
    year: int
    stock_total: float
    stock_by_age: np.ndarray            # (A,)
    placement_mix: dict[str, float]     # published groups -> share
    entries_by_age: np.ndarray          # (A,) children a year
    exits_by_age: np.ndarray            # (A,) published leavers a year (all reasons)
    exposure_by_age: np.ndarray         # (A,) child-years at risk in the flow year
    reason_counts: dict[str, float]     # exit group -> leavers a year (not at 18)
    population: float | None
    sources: list[str] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)


def _fill(area: Area, measures: list[str], year: int, total: float | None,
          note: list[str], what: str) -> np.ndarray | None:
    """Published parts, suppressed ones filled from what ``total`` leaves (None if nothing is published)."""
    vals = [area.value(m, year) for m in measures]
    if all(v.value is None and v.code is None for v in vals):
        return None
    # a part not published at all that year (no such column) or 'z' (not applicable) counts as none
    known = np.array([v.value if v.value is not None else (0.0 if v.code in (None, "z") else np.nan)
                      for v in vals], dtype=float)
    missing = np.isnan(known)
    if missing.any():
        n = int(missing.sum())
        if total is not None:
            share = min(_SUPPRESSED_MAX, max(0.0, (total - np.nansum(known)) / n))
        else:
            share = _SUPPRESSED_MAX / 2
        known[missing] = share
        codes = sorted({str(v.code) for v in vals if v.value is None and v.code not in (None, "z")})
        note.append(f"{what} {year}: {n} suppressed cell(s) ({', '.join(codes)}) set to {share:.1f} each "
                    f"(an equal share of what the published total leaves, at most {_SUPPRESSED_MAX:g})")
    return known


def _release(area: Area, measure: str, year: int) -> str:
    v = area.value(measure, year)
    return f"{v.release} [{measure} {year}]" if v.release else f"[{measure} {year}: not published]"


def _last_with(area: Area, measures: list[str], year: int, earliest: int = 2000) -> int | None:
    for y in range(year, earliest - 1, -1):
        if any(area.value(m, y).value is not None for m in measures):
            return y
    return None


def _breakdown(area: Area, measures: list[str], total_measure: str, year: int, notes: list[str],
               what: str) -> tuple[np.ndarray, Area, int]:
    """The shares of a breakdown at or before ``year``: the council's own, else (a council created by a
    boundary change, or one whose breakdown is never published) its predecessors' summed, its region's,
    England's; the notes say whose."""
    data = area.data
    chain: list[tuple[str, list[Area]]] = [("own", [area])]
    preds = [data.by_code[c] for c in area.predecessors if c in data.by_code]
    if preds:
        chain.append(("predecessors", preds))
    if area.region_code in data.by_code:
        chain.append(("region", [data.by_code[area.region_code]]))
    chain.append(("England", [data.england]))
    for kind, areas in chain:
        years = [_last_with(a, measures, year) for a in areas]
        if any(y is None for y in years):
            continue
        y = min(int(yy) for yy in years if yy is not None)
        parts = []
        for a in areas:
            filled = _fill(a, measures, y, a.value(total_measure, y).value, notes, f"{what} ({a.name})")
            if filled is None:
                break
            parts.append(filled)
        else:
            summed = np.sum(parts, axis=0)
            if summed.sum() <= 0:
                continue
            if kind != "own":
                names = " + ".join(a.name for a in areas)
                notes.append(f"{what}: not published for {area.name} at or before {year}; the mix of {names} "
                             f"({y}) applied")
            return summed / summed.sum(), areas[0], y
    raise CouncilModelError(f"{area.name}: no published {what} at or before {year}, nor for its region or "
                            "England")


def _mean_flows(area: Area, year: int, flow_years: int) -> tuple[float, float, list[int]]:
    """Mean starts a year, and leavers over child-years at risk, over the last ``flow_years`` years to ``year``."""
    starts, ceased, exposure, used = [], 0.0, 0.0, []
    for y in range(year - flow_years + 1, year + 1):
        s, c = area.value("starts", y).value, area.value("ceased", y).value
        n1, n0 = area.value("cla_31mar", y).value, area.value("cla_31mar", y - 1).value
        if s is None or c is None or (n1 is None and n0 is None):
            continue
        stocks = [n for n in (n0, n1) if n is not None]
        starts.append(s)
        ceased += c
        exposure += sum(stocks) / len(stocks)
        used.append(y)
    if year not in used:
        raise CouncilModelError(f"{area.name}: children who ceased to be looked after in the year to 31 March "
                                f"{year} are not published")
    return float(np.mean(starts)), ceased / exposure, used


#: From 2016 the DfE publishes leavers aged 16, 17 and 18 and over instead of 16 and over.
_CEASED_16_PARTS = ("ceased_age_16", "ceased_age_17", "ceased_age_18over")


def _ceased_by_age(area: Area, year: int, notes: list[str]) -> tuple[np.ndarray, Area, int]:
    """Shares of leavers by model age band at or before ``year`` (see :func:`_breakdown`).

    Decision: from 2016 the "16 and over" leavers are the sum of three published cells (16, 17,
    18 and over), and the sum is suppressed whenever one small part is (as 16 or 17 often is),
    although 18 and over alone is tens of children. Filling the whole 16+ cell as one suppressed
    cell (at most 5) moved those leavers into the younger bands and left the model's ageing out
    at 18 with nothing to take off, so the model lost about 6% more children a year than were
    published (2016-2025). Where the parts are published for the year used, the parts are filled
    (each suppressed part at most 5, as any cell) and summed instead.
    """
    five = [f"ceased_age_{k}" for k in _AGES]
    seven = five[:-1] + list(_CEASED_16_PARTS)
    y = _last_with(area, five + list(_CEASED_16_PARTS), year)
    if y is not None and any(area.value(m, y).value is not None or area.value(m, y).code not in (None, "z")
                             for m in _CEASED_16_PARTS):
        shares, src, y_used = _breakdown(area, seven, "ceased", year, notes, "ceased by age")
        return np.append(shares[:4], shares[4:].sum()), src, y_used
    return _breakdown(area, five, "ceased", year, notes, "ceased by age")


def council_inputs(area: Area, year: int, *, entries: str = "last", flow_years: int = 1) -> CouncilInputs:
    """The published inputs of the model at 31 March ``year`` (nothing published after ``year`` is used)."""
    if area.level not in ("local authority", "region", "national"):
        raise CouncilModelError(f"{area.name} is a {area.level}, not a council")
    stock_years = area.years_with("cla_31mar")
    total = area.value("cla_31mar", year).value
    if total is None:
        around = ", ".join(str(y) for y in stock_years) or "none"
        raise CouncilModelError(f"{area.name} has no published children looked after at 31 March {year} "
                                f"(years published: {around})")
    if total <= 0:
        raise CouncilModelError(f"{area.name} had {total:g} children looked after at 31 March {year}: "
                                "nothing to model")
    sources = [_release(area, "cla_31mar", year)]
    notes: list[str] = []
    # stock by age: the year's margin, else the last published mix (at or before the year) scaled
    age_measures = [f"cla_31mar_age_{k}" for k in _AGES]
    ages, src, y_age = _breakdown(area, age_measures, "cla_31mar", year, notes, "stock by age")
    stock_by_age = ages * total
    sources.append(_release(src, age_measures[0], y_age))
    if y_age != year and src is area:
        notes.append(f"Stock by age at 31 March {year} not published: the age mix of 31 March {y_age} "
                     f"(the last published) scaled to the {total:,.0f} children of {year}")
    # placement mix
    pl_measures = [f"cla_31mar_placement_{k}" for k, _ in STOCK_PLACEMENTS]
    pl, src, y_pl = _breakdown(area, pl_measures, "cla_31mar", year, notes, "stock by placement")
    mix = {k: float(v) for (k, _), v in zip(STOCK_PLACEMENTS, pl)}
    sources.append(_release(src, pl_measures[0], y_pl))
    if y_pl != year and src is area:
        notes.append(f"Placement mix at 31 March {year} not published by council: the mix of 31 March {y_pl} "
                     f"(the last published) applied")
    # entries by age during the year to 31 March `year`
    starts = area.value("starts", year).value
    if starts is None:
        raise CouncilModelError(f"{area.name}: children who started to be looked after in the year to 31 March "
                                f"{year} are not published")
    sources.append(_release(area, "starts", year))
    st_measures = [f"starts_age_{k}" for k in _AGES]
    st, src, y_st = _breakdown(area, st_measures, "starts", year, notes, "starts by age")
    pop = area.population(year)
    if not 1 <= int(flow_years) <= 8:
        raise ValueError(f"flow_years must be 1 to 8, got {flow_years!r}")
    mean_starts, exit_rate, flow_span = _mean_flows(area, year, int(flow_years))
    span = (f"the year to 31 March {year}" if len(flow_span) == 1 else
            f"the mean of the years to 31 March {', '.join(map(str, flow_span))}")
    if entries == "rate" and pop:
        rate = mean_starts / pop * 10000.0
        notes.append(f"Entries projected as {rate:.1f} a year per 10,000 children ({span}) times the child "
                     f"population of {pop:,.0f} (held at its last value)")
        starts_used = rate * pop / 10000.0
    elif entries in ("last", "rate"):
        starts_used = mean_starts
        notes.append(f"Entries stay at {mean_starts:,.0f} children a year ({span})")
    else:
        raise ValueError(f"entries must be 'last' or 'rate', got {entries!r}")
    entries_by_age = st * starts_used
    if y_st != year and src is area:
        notes.append(f"Ages of children starting care in {year} not published: the mix of {y_st} applied")
    # exits by age over the exposure (mean stock of the two 31 Marches)
    ceased = area.value("ceased", year).value
    if ceased is None:
        raise CouncilModelError(f"{area.name}: children who ceased to be looked after in the year to 31 March "
                                f"{year} are not published")
    sources.append(_release(area, "ceased", year))
    ce, src, y_ce = _ceased_by_age(area, year, notes)
    if y_ce != year and src is area:
        notes.append(f"Ages of children leaving care in {year} not published: the mix of {y_ce} applied")
    prev = area.value("cla_31mar", year - 1).value
    if prev is None:
        notes.append(f"No stock published at 31 March {year - 1}: the exposure of the year is the stock of "
                     f"{year} alone")
        prev = total
    exposure_by_age = stock_by_age * (prev + total) / (2.0 * total)
    # leavers at the rate of the flow years (leavers over child-years at risk) applied to this year's exposure;
    # with one flow year that is the year's published leavers exactly
    ceased_used = ceased if len(flow_span) == 1 and flow_span[0] == year else exit_rate * exposure_by_age.sum()
    if ceased_used != ceased:
        notes.append(f"Leavers at {exit_rate:.3f} a year per child in care ({span}): {ceased_used:,.0f} in the "
                     f"year to 31 March {year} against {ceased:,.0f} published")
    exits_by_age = ce * ceased_used
    # reasons (not by age): grouped into exit groups
    reasons: dict[str, float] = {g: 0.0 for g in EXIT_GROUPS}
    reason_keys = list(REASON_TO_EXIT_GROUP)
    re_vals, src, y_re = _breakdown(area, [f"ceased_reason_{k}" for k in reason_keys], "ceased", year, notes,
                                    "ceased by reason")
    re_vals = re_vals * ceased_used
    for k, val in zip(reason_keys, re_vals):
        g = REASON_TO_EXIT_GROUP[k]
        if g is not None:
            reasons[g] += float(val)
    if y_re != year and src is area:
        notes.append(f"Reasons for leaving care in {year} not published: the mix of {y_re} applied")
    sources.append(_release(src, "ceased_reason_adopted", y_re))
    return CouncilInputs(area=area, year=year, stock_total=float(total), stock_by_age=stock_by_age,
                         placement_mix=mix, entries_by_age=entries_by_age, exits_by_age=exits_by_age,
                         exposure_by_age=exposure_by_age, reason_counts=reasons, population=pop,
                         sources=sources, assumptions=notes)


def _ipf(row_totals: np.ndarray, col_totals: np.ndarray, allowed: np.ndarray, iterations: int = 200) -> np.ndarray:
    """A table with the given margins and zeros where not allowed (iterative proportional fitting)."""
    table = allowed.astype(float).copy()
    if col_totals.sum() > 0:
        col_totals = col_totals * row_totals.sum() / col_totals.sum()
    for _ in range(iterations):
        rows = table.sum(axis=1)
        table *= np.divide(row_totals, rows, out=np.zeros_like(rows), where=rows > 0)[:, None]
        cols = table.sum(axis=0)
        table *= np.divide(col_totals, cols, out=np.zeros_like(cols), where=cols > 0)[None, :]
    # end on the rows: the published leavers by age are kept exactly, the reason margin as far as the zeros allow
    rows = table.sum(axis=1)
    table *= np.divide(row_totals, rows, out=np.zeros_like(rows), where=rows > 0)[:, None]
    return table


def _allowed_placements() -> np.ndarray:
    allowed = np.ones((len(MODEL_AGE_BANDS), len(PLACEMENTS)), dtype=bool)
    col = {p: i for i, p in enumerate(PLACEMENTS)}
    allowed[:4, col["supported_living"]] = False
    allowed[:3, col["residential"]] = False
    allowed[:3, col["secure"]] = False
    allowed[3:, col["placed_for_adoption"]] = False
    return allowed


def _allowed_exits() -> np.ndarray:
    allowed = np.ones((len(MODEL_AGE_BANDS), len(EXIT_GROUPS)), dtype=bool)
    col = {e: i for i, e in enumerate(EXIT_GROUPS)}
    allowed[3:, col["adopted"]] = False
    allowed[4:, col["sgo_cao"]] = False
    allowed[:, col["left_care_at_18"]] = False
    return allowed


def _model_placement_shares(mix: dict[str, float]) -> tuple[np.ndarray, list[str]]:
    from carecast.facts import fact
    kinship_of_all = fact("eng_placement_foster_kinship_of_all_cla_share_2019")
    foster_all = fact("eng_placement_foster_share_2019")
    ifa = fact("eng_ifa_share_filled_mainstream_places_2019")
    secure, homes = fact("eng_placement_secure_share_sep2024"), fact("eng_placement_childrens_homes_share_sep2024")
    kin = kinship_of_all.value / foster_all.value
    secure_share = secure.value / (secure.value + homes.value)
    shares = dict.fromkeys(PLACEMENTS, 0.0)
    for group, share in mix.items():
        target = _PLACEMENT_MAP[group]
        if target == "foster":
            shares["kinship_foster"] += share * kin
            shares["agency_foster"] += share * (1 - kin) * ifa.value
            shares["inhouse_foster"] += share * (1 - kin) * (1 - ifa.value)
        elif target == "residential_secure":
            shares["secure"] += share * secure_share
            shares["residential"] += share * (1 - secure_share)
        else:
            shares[str(target)] += share
    notes = [f"Foster care split as England's: kinship {kin:.0%} of foster children "
             f"({kinship_of_all.cite()}; {foster_all.cite()}), then agency {ifa.value:.0%} of the rest "
             f"({ifa.cite()}); the DfE does not publish the split by council before 2018",
             f"'Secure units, children's homes and semi-independent living' split as England's September 2024 "
             f"shares: secure {secure_share:.1%} ({secure.cite()}; {homes.cite()})",
             "Published groups mapped to placements: other community placements -> supported living; other "
             "residential settings and residential schools -> residential; missing and other -> other"]
    return np.array([shares[p] for p in PLACEMENTS]), notes


def _costs() -> tuple[dict[str, Any], list[str], list[str]]:
    """National unit costs (the england example's figures, from facts.json)."""
    from carecast.care.examples import ASSUMED_SUPPORTED_LIVING_WEEKLY, WEEKS_PER_YEAR
    from carecast.facts import fact
    home, ifa, la = (fact("cost_childrens_home_place_per_year_2024"), fact("cost_ifa_price_per_week_cma_2021"),
                     fact("cost_la_foster_per_week_corambaaf"))
    residential = home.value / WEEKS_PER_YEAR
    weekly = {"kinship_foster": la.value, "inhouse_foster": la.value, "agency_foster": ifa.value,
              "residential": residential, "secure": residential, "supported_living": ASSUMED_SUPPORTED_LIVING_WEEKLY,
              "with_parents": 0.0, "placed_for_adoption": 0.0, "other": la.value}
    fields = {"weekly_cost": np.array([weekly[p] for p in PLACEMENTS]), "price_year": "2023-24",
              "cost_sources": {"residential": home.cite(), "secure": home.cite(), "agency_foster": ifa.cite(),
                               "inhouse_foster": la.cite(), "kinship_foster": la.cite(), "other": la.cite()},
              "cost_inflation": 0.02, "general_inflation": 0.02}
    assumptions = [
        "Unit costs are national, not the council's (no council unit costs are published): agency foster "
        f"GBP {ifa.value:,.0f}/week, in-house and kinship foster GBP {la.value:,.0f}/week, children's homes "
        f"and secure GBP {residential:,.0f}/week, supported living GBP {ASSUMED_SUPPORTED_LIVING_WEEKLY:,.0f}/week "
        "(no source), at 2023-24 prices, inflation 2% a year (as the england example)"]
    return fields, assumptions, [home.cite(), ifa.cite(), la.cite()]


def council_parameters(area: Area, year: int, *, entries: str = "last", flow_years: int = 1) -> CareParameters:
    """A :class:`CareParameters` of ``area`` at 31 March ``year`` from its published figures only.

    Parameters
    ----------
    area : Area
        A council (or region, or England) of the dataset.
    year : int
        The 31 March the model starts from; flows are those of the year to that date.
    entries : {"last", "rate"}
        Entries at the year's published starts, or as its rate per 10,000 children times the child
        population (the same at the start; the rate form is what a population projection scales).
    flow_years : int
        Years of published flows averaged (default 1, the year to ``year``): entries at the mean
        starts, exit hazards at the leavers over the child-years at risk of those years.

    Raises
    ------
    CouncilModelError
        When a figure the model needs is not published for the council at or before ``year``.

    Examples
    --------
    >>> import carecast
    >>> p = carecast.council("Leeds").parameters(2019)
    >>> round(p.total_stock())
    1286
    """
    inputs = council_inputs(area, year, entries=entries, flow_years=flow_years)
    A, P, E = len(MODEL_AGE_BANDS), len(PLACEMENTS), len(EXIT_GROUPS)
    shares, place_notes = _model_placement_shares(inputs.placement_mix)
    joint = _ipf(inputs.stock_by_age, shares * inputs.stock_total, _allowed_placements())
    first_placement = np.divide(joint, joint.sum(axis=1, keepdims=True), out=np.zeros_like(joint),
                                where=joint.sum(axis=1, keepdims=True) > 0)
    entries_ap = inputs.entries_by_age[:, None] * first_placement
    # non-ageing-out leavers by age: the last band's published leavers less the model's ageing out at 18
    exits = inputs.exits_by_age.copy()
    ageing_out = inputs.exposure_by_age[-1] / _WIDTHS[-1]
    exits[-1] = max(0.0, exits[-1] - ageing_out)
    reasons = np.array([inputs.reason_counts[g] for g in EXIT_GROUPS])
    by_reason = _ipf(exits, reasons, _allowed_exits())
    hazard = np.divide(by_reason, inputs.exposure_by_age[:, None], out=np.zeros_like(by_reason),
                       where=inputs.exposure_by_age[:, None] > 0)
    exit_rates = np.broadcast_to(hazard[:, None, None, :], (A, P, 1, E)).copy()
    cost_fields, cost_notes, cost_sources = _costs()
    assumptions = inputs.assumptions + place_notes + [
        "Joint age x placement of the stock fitted to the published margins (iterative proportional fitting) "
        "with structural zeros: supported living only 16-17, residential and secure only 10+, placed for "
        "adoption only under 10 (the DfE publishes the margins, not the joint table)",
        "Leavers by age and reason fitted to the published margins (IPF, leavers by age kept exactly) with "
        "structural zeros: no adoption at 10+, no SGO/CAO at 16+; leaving at 18 is the model's ageing out "
        f"({ageing_out:,.0f} a year from the 16-17 band), taken off the published leavers aged 16+; staying "
        "put, adult care and independent living are left to it",
        "Exit hazards = leavers by age over the mean stock of the two 31 Marches (exposure); they do not "
        "depend on placement or time in care",
        "Time in care not published by council: one time-in-care band",
        "Placement moves not published by placement: no moves modelled (totals are unaffected)",
        "First placement of entrants at each age follows the stock's placement mix at that age",
    ] + cost_notes
    start = _dt.date(year, 3, 31)
    return CareParameters(
        stock=joint[:, :, None], entries_per_year=entries_ap, exit_rates=exit_rates,
        move_rates=np.zeros((A, P, 1, P)), age_bands=MODEL_AGE_BANDS, placements=PLACEMENTS,
        time_in_care_bands=(0.0,), exit_groups=EXIT_GROUPS, start_date=start,
        name=f"{area.name} ({area.code}) from 31 March {year}",
        sources=inputs.sources + cost_sources + [area.data.licence], assumptions=assumptions, **cost_fields)


def parameter_draws(area: Area, year: int, draws: int, seed: int = 0, *, entries: str = "last"
                    ) -> tuple[CareParameters, np.ndarray, np.ndarray]:
    """The parameters and ``draws`` draws of their rates from the published counts.

    Returns ``(parameters, entry_factor, exit_factor)``: factors (draws, A) multiplying the
    entries and the exit hazards of each age band, drawn from Gamma posteriors
    ``Gamma(count + 1/2) / count`` of the published counts (Jeffreys prior), so a council
    with few leavers at an age gets wide uncertainty there.
    """
    p = council_parameters(area, year, entries=entries)
    inputs = council_inputs(area, year, entries=entries)
    rng = np.random.default_rng(seed)
    n_in = np.maximum(inputs.entries_by_age, 0.0)
    n_out = np.maximum(inputs.exits_by_age, 0.0)
    entry = rng.gamma(n_in + 0.5, size=(draws, len(n_in))) / np.maximum(n_in, 0.5)
    exit_ = rng.gamma(n_out + 0.5, size=(draws, len(n_out))) / np.maximum(n_out, 0.5)
    return p, entry, exit_


def _band_words(k: int) -> str:
    """Age band ``k`` of the model in words, for names: ``10_to_15``, ``under_1``."""
    lo, hi = MODEL_AGE_BANDS[k], float(MODEL_AGE_BANDS[k + 1]) if k + 1 < len(MODEL_AGE_BANDS) else 18.0
    return "under_1" if lo == 0 and hi == 1 else f"{lo:g}_to_{hi - 1:g}"


def rate_uncertainty(area: Area, year: int, *, entries: str = "last", flow_years: int = 1):
    """The uncertainty of a council model's rates from its published counts, as an
    :class:`~carecast.care.uncertainty.Uncertainty` for :func:`carecast.care.psa`.

    One input per age band for entries and one for exits, each
    ``Uncertain(field, (..., age), Gamma(n + 1/2, max(n, 1/2)), how="scale")``:
    a factor multiplying the band's entries (every placement, every year of
    year-by-year entries) or its exit hazards (every placement and exit
    group), drawn from the Gamma posterior of the published count ``n``
    (Jeffreys prior), as :func:`parameter_draws` draws them (with
    ``flow_years = 1`` the same distributions, but for the last band's exits,
    below).

    Decisions: with ``flow_years > 1`` the model's rates are means over the
    flow years, so ``n`` is the count of all of them (the yearly count used
    times the years averaged): the posterior of a mean rate over k years is
    narrower than one year's. In the last age band the count is the
    published leavers less the model's ageing out at 18, the leavers its
    hazard is estimated from (:func:`parameter_draws` counts all the band's
    leavers, a slightly narrower posterior there). Only the Poisson uncertainty of the counts is
    carried: not year-to-year variation of the rates, not the assumptions
    (unit costs, the split of foster care), which stay fixed. Each input's
    ``source`` names the DfE release and the count.

    Examples
    --------
    >>> import carecast
    >>> from carecast.councils.dataset import load_dataset
    >>> u = rate_uncertainty(load_dataset().find("Leeds"), 2019)
    >>> len(u), u.names[0]
    (10, 'entry_rate_factor_age_under_1')
    """
    from carecast.care.uncertainty import Gamma, Uncertain, Uncertainty

    inputs = council_inputs(area, year, entries=entries, flow_years=flow_years)
    _, _, span = _mean_flows(area, year, int(flow_years))       # the years council_inputs averaged
    k = len(span)
    years_text = (f"the year to 31 March {year}" if k == 1 else
                  f"the {k} years to 31 March {year} ({', '.join(map(str, span))})")
    exits = inputs.exits_by_age.copy()
    exits[-1] = max(0.0, exits[-1] - inputs.exposure_by_age[-1] / _WIDTHS[-1])    # as council_parameters
    out = []
    for name, measure, counts, what in (("entries_per_year", "starts", inputs.entries_by_age, "entry"),
                                        ("exit_rates", "ceased", exits, "exit")):
        release = area.value(measure, year).release or f"{measure} {year}: release not recorded"
        for a, per_year in enumerate(np.maximum(counts, 0.0)):
            n = round(float(per_year) * k, 6)
            band = _band_words(a).replace("_", " ")
            children = "starting care" if what == "entry" else "leaving care" + (
                " (less the model's ageing out at 18)" if a == len(counts) - 1 else "")
            source = (f"{release} [{measure} {year}]: {n:,.1f} children aged {band} {children} in {years_text} "
                      f"({area.name}); Gamma(n + 1/2) posterior of the count over n (Jeffreys prior)")
            where = (..., MODEL_AGE_BANDS[a]) if name == "entries_per_year" else (MODEL_AGE_BANDS[a],)
            out.append(Uncertain(name, where, Gamma(n + 0.5, max(n, 0.5), source), how="scale",
                                 name=f"{what}_rate_factor_age_{_band_words(a)}"))
    return Uncertainty(out)
