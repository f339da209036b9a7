"""What the council dataset holds: its measures, suppression codes and boundary changes.

Every series in the dataset is one *measure* (a published count or rate, in
the DfE's own definition) for one *area* (a local authority, a region or
England) by *year*. Years are the year of the published ``time_period``: for
children looked after that is the year ending 31 March (stocks at 31 March,
flows during the year to 31 March); for ONS populations the mid-year
estimate (mid-``Y`` population is the one the DfE divides by for rates at 31
March ``Y + 1``); for the workforce the DfE reporting year (at 30 September).
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CODE_SUCCESSORS", "Measure", "MEASURES", "MEASURE_INDEX", "MISSING_CODES", "BOUNDARY_CHANGES", "BoundaryChange",
           "AGE_BANDS", "CEASED_REASONS", "STOCK_PLACEMENTS", "REGION_CODES"]

#: DfE's (and the older files') codes used in place of numbers, with their meaning.
MISSING_CODES: dict[str, str] = {
    "c": "suppressed to protect confidentiality (small number)",
    "x": "not available or suppressed (older releases)",
    "z": "not applicable",
    "u": "low reliability",
    "low": "fewer than 0.5",
    "k": "fewer than 0.5",
    ":": "not available",
    ".": "not applicable",
    "..": "not available",
    "-": "nil or not available",
    "#VALUE!": "spreadsheet error in the published file (no figure)",
    "": "blank in the published file",
    # the revenue outturn tables (MHCLG RO3) use bracketed codes, defined in their Notes sheet
    "[x]": "data not received in time for publication (revenue outturn)",
    "[n]": "no appropriate estimation for these items (revenue outturn)",
    "[z]": "this data item is not collected (revenue outturn)",
    "[note]": "a note in the published table in place of a figure (revenue outturn)",
}


@dataclass(frozen=True)
class Measure:
    """One published series: its name in the dataset, a label, its unit and kind."""

    name: str
    label: str
    unit: str = "children"
    kind: str = "count"  # count (stock at a date), flow (during the year), rate, fte, population


#: Age bands of the published CLA tables (lower bounds, years): under 1, 1-4, 5-9, 10-15, 16+.
AGE_BANDS: tuple[tuple[str, str], ...] = (
    ("under1", "under 1"), ("1to4", "1 to 4"), ("5to9", "5 to 9"), ("10to15", "10 to 15"), ("16over", "16 and over"))

#: Placement types of the stock at 31 March (2010-2017 releases).
STOCK_PLACEMENTS: tuple[tuple[str, str], ...] = (
    ("foster", "foster placements"),
    ("placed_for_adoption", "placed for adoption"),
    ("with_parents", "placed with parents"),
    ("other_community", "other placements in the community (independent living, residential employment)"),
    ("secure_homes_hostels", "secure units, children's homes and semi-independent living"),
    ("other_residential", "other residential settings (care homes, NHS, family centres, young offender "
                          "institutions)"),
    ("residential_school", "residential schools"),
    ("missing", "missing or absent from placement"),
    ("other", "other placements"),
)

#: Reasons for ceasing, harmonised across releases (sub-categories of older releases summed).
CEASED_REASONS: tuple[tuple[str, str], ...] = (
    ("adopted", "adopted"),
    ("returned_home", "returned home to live with parents or others with parental responsibility"),
    ("no_parental_responsibility", "left to live with parents, relatives or others without parental "
                                   "responsibility"),
    ("residence_cao", "residence or child arrangements order"),
    ("sgo", "special guardianship order"),
    ("independent_living", "moved into independent living"),
    ("stayed_with_carers_18", "aged 18 and remained with current carers"),
    ("adult_care", "transferred to residential care funded by adult social services"),
    ("custody", "sentenced to custody"),
    ("remand_ended", "accommodation on remand ended"),
    ("age_assessment", "age assessment found the child 18 or over"),
    ("abroad", "moved abroad"),
    ("taken_other_la", "care taken by another local authority"),
    ("died", "died"),
    ("other", "ceased for any other reason"),
)

#: Lines of children's social care spend read from the revenue outturn (RO3), with their labels.
SPEND_LINES: tuple[tuple[str, str], ...] = (
    ("csc_net", "children's social care, net current expenditure"),
    ("csc_gross", "children's social care, total expenditure"),
    ("cla_net", "children looked after, net current expenditure"),
    ("cla_residential_net", "children looked after: residential care, net current expenditure"),
    ("cla_fostering_net", "children looked after: fostering services, net current expenditure"),
    ("safeguarding_net", "safeguarding children and young people's services, net current expenditure"),
    ("family_support_net", "family support services, net current expenditure"),
    ("csc_agency_staff", "children's social care agency staff cost (memorandum item)"),
)

LEGAL_STATUSES: tuple[tuple[str, str], ...] = (
    ("interim_care_order", "interim care order"), ("full_care_order", "full care order"),
    ("freed_for_adoption", "freed for adoption"), ("placement_order", "placement order"),
    ("section20", "voluntary agreement under section 20"), ("youth_justice", "youth justice legal status"),
    ("child_protection", "detained for child protection"))

PROVIDERS: tuple[tuple[str, str], ...] = (
    ("own", "own provision (by the council)"), ("other_la", "other local authority"),
    ("other_public", "other public provision"), ("private", "private provision"),
    ("voluntary", "voluntary or third sector"), ("parent", "parent or other person with parental "
                                                           "responsibility"),
    ("not_reported", "not reported"))


def _measures() -> tuple[Measure, ...]:
    out = [
        Measure("cla_31mar", "children looked after at 31 March"),
        Measure("cla_during_year", "children looked after at any time during the year", kind="flow"),
        Measure("cla_31mar_male", "children looked after at 31 March: boys"),
        Measure("cla_31mar_female", "children looked after at 31 March: girls"),
        Measure("cla_31mar_uasc", "children looked after at 31 March: unaccompanied asylum-seeking"),
    ]
    out += [Measure(f"cla_31mar_age_{k}", f"children looked after at 31 March aged {v}") for k, v in AGE_BANDS]
    out += [Measure(f"cla_31mar_placement_{k}", f"children looked after at 31 March: {v}")
            for k, v in STOCK_PLACEMENTS]
    out += [Measure(f"cla_31mar_legal_{k}", f"children looked after at 31 March: {v}") for k, v in LEGAL_STATUSES]
    out += [Measure(f"cla_31mar_provider_{k}", f"children looked after at 31 March: placement provider {v}")
            for k, v in PROVIDERS]
    out += [Measure("starts", "children who started to be looked after during the year", kind="flow"),
            Measure("starts_male", "children who started to be looked after: boys", kind="flow"),
            Measure("starts_female", "children who started to be looked after: girls", kind="flow")]
    out += [Measure(f"starts_age_{k}", f"children who started to be looked after aged {v}", kind="flow")
            for k, v in AGE_BANDS]
    out += [Measure("ceased", "children who ceased to be looked after during the year", kind="flow"),
            Measure("ceased_male", "children who ceased to be looked after: boys", kind="flow"),
            Measure("ceased_female", "children who ceased to be looked after: girls", kind="flow")]
    out += [Measure(f"ceased_age_{k}", f"children who ceased to be looked after aged {v}", kind="flow")
            for k, v in AGE_BANDS]
    out += [Measure("ceased_age_16", "children who ceased to be looked after aged 16", kind="flow"),
            Measure("ceased_age_17", "children who ceased to be looked after aged 17", kind="flow"),
            Measure("ceased_age_18over", "children who ceased to be looked after aged 18 and over", kind="flow")]
    out += [Measure(f"ceased_reason_{k}", f"children who ceased to be looked after: {v}", kind="flow")
            for k, v in CEASED_REASONS]
    out += [
        Measure("population_0_17", "children aged 0 to 17 (ONS mid-year estimate)", kind="population"),
        Measure("population_0_17_dfe", "children aged 0 to 17 used by the DfE for rates at 31 March",
                kind="population"),
        Measure("cin_31mar", "children in need at 31 March (episodes)"),
        Measure("cin_starts", "children starting an episode of need during the year", kind="flow"),
        Measure("cin_during_year", "children in need at any point in the year", kind="flow"),
        Measure("cpp_31mar", "children on child protection plans at 31 March"),
        Measure("sw_fte", "children and family social workers in post (FTE)", unit="FTE", kind="fte"),
        Measure("sw_headcount", "children and family social workers in post (headcount)", unit="people"),
        Measure("sw_starters_fte", "social workers starting during the year (FTE)", unit="FTE", kind="fte"),
        Measure("sw_leavers_fte", "social workers leaving during the year (FTE)", unit="FTE", kind="fte"),
        Measure("sw_turnover_rate", "social worker turnover rate (FTE)", unit="percent", kind="rate"),
        Measure("sw_agency_fte", "agency social workers (FTE)", unit="FTE", kind="fte"),
        Measure("sw_agency_rate", "agency worker rate (FTE)", unit="percent", kind="rate"),
        Measure("sw_vacancy_fte", "social worker vacancies (FTE)", unit="FTE", kind="fte"),
        Measure("sw_vacancy_rate", "social worker vacancy rate (FTE)", unit="percent", kind="rate"),
        Measure("sw_case_holders_fte", "social workers holding cases (FTE)", unit="FTE", kind="fte"),
        Measure("sw_cases", "cases held by social workers", unit="cases"),
        Measure("sw_caseload", "average caseload per case-holding social worker (FTE)", unit="cases per FTE",
                kind="rate"),
        Measure("sw_absence_rate", "social worker absence rate (FTE)", unit="percent", kind="rate"),
    ]
    out += [Measure(f"spend_{k}", f"{v} (financial year to 31 March, GBP thousand)", unit="GBP thousand",
                    kind="money") for k, v in SPEND_LINES]
    return tuple(out)


#: Every measure the builder can write, in dataset order.
MEASURES: tuple[Measure, ...] = _measures()
MEASURE_INDEX: dict[str, Measure] = {m.name: m for m in MEASURES}

#: ONS codes of the English regions and of Inner/Outer London, by lower-case name.
REGION_CODES: dict[str, str] = {
    "north east": "E12000001", "north west": "E12000002", "yorkshire and the humber": "E12000003",
    "yorkshire and humber": "E12000003", "east midlands": "E12000004", "west midlands": "E12000005",
    "east of england": "E12000006", "east": "E12000006", "london": "E12000007", "south east": "E12000008",
    "south west": "E12000009", "inner london": "E13000001", "outer london": "E13000002",
}


@dataclass(frozen=True)
class BoundaryChange:
    """Councils abolished and created on 1 April of ``year`` (old three-digit DfE codes).

    The first 31 March stock of a new council is at ``year + 1``; its first
    flows are for the year ending 31 March ``year + 1``.
    """

    year: int
    abolished: tuple[str, ...]
    created: tuple[str, ...]
    note: str
    #: True when the new councils together cover exactly the old ones (their sum continues the series).
    same_total_area: bool


#: Boundary changes inside the published period (from the data README and the statutory orders).
BOUNDARY_CHANGES: tuple[BoundaryChange, ...] = (
    BoundaryChange(2019, ("837", "836", "835"), ("839", "838"),
                   "Bournemouth, Poole and Dorset County Council were replaced by Bournemouth, Christchurch "
                   "and Poole (with Christchurch from Dorset) and the Dorset unitary council on 1 April 2019",
                   True),
    BoundaryChange(2021, ("928",), ("940", "941"),
                   "Northamptonshire was split into North and West Northamptonshire on 1 April 2021", True),
    BoundaryChange(2023, ("909",), ("942", "943"),
                   "Cumbria was split into Cumberland and Westmorland and Furness on 1 April 2023", True),
)


#: ONS code changes of councils whose boundaries did not change (the series continues): old -> new.
#: Applied by the builder so that a council carries its newest code even in a folder cut before the change.
CODE_SUCCESSORS: dict[str, str] = {
    "E08000020": "E08000037",  # Gateshead, 2013
    "E06000048": "E06000057",  # Northumberland, 2013
    "E08000016": "E08000038",  # Barnsley, 2019 (boundary with Sheffield, minor)
    "E08000019": "E08000039",  # Sheffield, 2019
    "E10000002": "E06000060",  # Buckinghamshire, 2020 (unitary)
    "E10000023": "E06000065",  # North Yorkshire, 2023 (unitary)
    "E10000027": "E06000066",  # Somerset, 2023 (unitary)
}
