"""Placement types and exit groups, and how SSDA903 codes map onto them.

This module is the single place where carecast decides what an SSDA903 code
means for the model. The children-in-care model (``carecast.care``) and the
SSDA903 ingest (``carecast.ssda903``) share the names below.

Names
-----
``PLACEMENTS``
    ``kinship_foster``, ``inhouse_foster``, ``agency_foster``, ``residential``,
    ``secure``, ``supported_living``, ``with_parents``, ``placed_for_adoption``,
    ``other``.
``EXIT_GROUPS``
    ``returned_home``, ``adopted``, ``sgo_cao`` (special guardianship or child
    arrangements / residence order), ``left_care_at_18``, ``other``.

Code lists
----------
The code descriptions in ``PLACE_CODES``, ``PLACE_PROVIDER_CODES`` and
``REC_CODES`` follow the DfE guidance for the children looked after return:

* Department for Education, *Children looked after by local authorities in
  England: guide to the SSDA903 collection, 1 April 2016 to 31 March 2017*
  (March 2017), and the annual successors on GOV.UK, "Children looked after
  return: guide" (https://www.gov.uk/government/publications/children-looked-after-return-2016-to-2017-guide);
* Department for Education, *Children looked after by local authorities in
  England: technical specification to the 2018 to 2019 data collection*,
  version 1.0 (October 2017), code sets 5.9 "Placement type", 5.10 "Placement
  provider" and 5.11 "Reason episode ceased";
* the code lists used by Social Finance's open-source validator for the return
  (``quality-lac-data-beta-validator`` / ``lac_validator``, rules 143-146, 390,
  407, 432, 437) and by their demand model ``cs-demand-model`` 0.5.1
  (``fixtures/config/standard-v1.yaml``), checked against the sample returns
  shipped in ``carecast/data/ssda903_sample``.

Codes introduced since (checked for this version; the lead should confirm the
wording against the current guide, which is not among the sources stored with
carecast):

* ``K3`` - supported accommodation for looked-after 16- and 17-year-olds
  registered with Ofsted under the Supported Accommodation (England)
  Regulations 2023 (the regulations in force from 28 October 2023, when
  semi-independent living became a regulated "supported accommodation
  service"; Article 39, "Supported accommodation is now an official part of
  the children's care system in England", October 2023). carecast maps it to
  ``supported_living``, the group of ``H5`` which it succeeds. Returns from
  2023 onwards use it; without it they were refused row by row as unknown
  codes.
* Any other code not listed is reported as unknown by the SSDA903 validation,
  never mapped silently: add it with :meth:`Taxonomy.with_overrides`.

Short breaks
------------
``SHORT_BREAK_LEGAL_STATUSES`` are the legal status (``LS``) codes ``V3`` and
``V4``: accommodated under an agreed series of short-term breaks (``V3`` when
individual episodes are recorded, ``V4`` when the agreements are). The DfE's
statistics exclude these children ("figures exclude children looked after
under a series of short-term placements": DfE, *Children looked after in
England including adoptions*, data guidance, 2023; the 2024 "focus on
placement location" release says the same), and so does the SSDA903 reader by
default (:func:`carecast.ssda903.read_returns`, ``short_breaks="exclude"``).

Decisions (each overridable)
----------------------------
* ``U1``-``U3`` (foster care with relatives or friends) are ``kinship_foster``
  whoever provides them.
* ``U4``-``U6`` (other foster carers) are split by ``PLACE_PROVIDER``: ``PR1``
  (own local authority), ``PR2`` (another local authority) and ``PR3`` (other
  public provision) are ``inhouse_foster`` - public carers the council pays at
  its own rates; ``PR4`` (private) and ``PR5`` (voluntary / third sector) are
  ``agency_foster`` - independent fostering agencies are private or voluntary.
  A missing provider, or ``PR0`` (parents, which is not valid for foster care),
  gives ``inhouse_foster`` (``UNKNOWN_PROVIDER_PLACEMENT``) and the validation
  reports the row as a data problem.
* ``K2`` (children's homes), ``R1`` (residential care homes) and ``S1``
  (residential schools other than dual-registered children's homes) are
  ``residential``; ``K1`` (secure children's homes) is ``secure``.
* ``H5`` (semi-independent living not subject to children's homes regulations),
  ``K3`` (Ofsted-registered supported accommodation, from 2023), ``P2``
  (independent living) and ``P3`` (residential employment) are
  ``supported_living``.
* ``R5`` (young offender institution or prison) is ``other``: custody is not a
  placement the council commissions or pays for at placement rates.
* ``R2`` (NHS / health), ``R3`` (family centre / mother and baby unit),
  ``T0``-``T4`` (temporary placements) and ``Z1`` (other placements) are
  ``other``.
* Exits: ``E11``/``E12`` adopted; ``E41`` (residence order, from 22 April 2014
  child arrangements order), ``E43``/``E44`` (special guardianship, codes used
  before 2014) and ``E45``-``E48`` (special guardianship) are ``sgo_cao``;
  ``E4A``/``E4B`` (returned home to parents or others with parental
  responsibility) and ``E13`` (left care to live with parents, relatives or
  others without parental responsibility) are ``returned_home`` - both are a
  return to the family network without an order; ``E17`` (aged 18 and stayed
  with carers, e.g. staying put) is ``left_care_at_18``; everything else
  (``E14`` remand ended, ``E15`` age assessment found 18+, ``E16`` moved
  abroad, ``E2`` died, ``E3`` care taken over by another LA, ``E5``/``E6``
  independent living, ``E7`` adult social care, ``E8`` other, ``E9``
  sentenced to custody) is ``other``.
* The SSDA903 ingest applies one rule on top of the ``REC`` map: a period of
  care that ends on or after the child's 18th birthday is ``left_care_at_18``
  whatever its ``REC`` code (children cease to be looked after at 18, and the
  model carries that as ageing out, not as an exit hazard).
* ``X1`` is not an exit: the episode ends and a new one starts the same day
  within the same period of care (``CONTINUATION_REC``).

Examples
--------
>>> from carecast.care import taxonomy
>>> taxonomy.DEFAULT_TAXONOMY.placement_of("U5", "PR4")
'agency_foster'
>>> taxonomy.DEFAULT_TAXONOMY.exit_group_of("E45")
'sgo_cao'
>>> custom = taxonomy.DEFAULT_TAXONOMY.with_overrides(place={"S1": "other"})
>>> custom.placement_of("S1", "PR1")
'other'
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

import numpy as np

__all__ = [
    "PLACEMENTS",
    "EXIT_GROUPS",
    "PLACE_CODES",
    "PLACE_PROVIDER_CODES",
    "REC_CODES",
    "CONTINUATION_REC",
    "LEGAL_STATUS_CODES",
    "SHORT_BREAK_LEGAL_STATUSES",
    "PLACE_TO_PLACEMENT",
    "PROVIDER_DECIDED_PLACES",
    "FOSTER_PROVIDER_TO_PLACEMENT",
    "UNKNOWN_PROVIDER_PLACEMENT",
    "REC_TO_EXIT_GROUP",
    "Taxonomy",
    "DEFAULT_TAXONOMY",
]

PLACEMENTS: tuple[str, ...] = (
    "kinship_foster",
    "inhouse_foster",
    "agency_foster",
    "residential",
    "secure",
    "supported_living",
    "with_parents",
    "placed_for_adoption",
    "other",
)

EXIT_GROUPS: tuple[str, ...] = (
    "returned_home",
    "adopted",
    "sgo_cao",
    "left_care_at_18",
    "other",
)

#: Exit groups and placements the model gives a meaning to, by name (a custom taxonomy keeps these
#: names for the model to find them): ageing out, the allowance chains, reunification, and the
#: placements that interventions and charts single out.
LEFT_CARE_AT_18, ADOPTED, SGO_CAO, RETURNED_HOME = "left_care_at_18", "adopted", "sgo_cao", "returned_home"
KINSHIP_FOSTER, INHOUSE_FOSTER, AGENCY_FOSTER = "kinship_foster", "inhouse_foster", "agency_foster"
RESIDENTIAL, SECURE = "residential", "secure"

#: SSDA903 placement type codes (PLACE) with the guidance's description.
PLACE_CODES: Mapping[str, str] = MappingProxyType({
    "A3": "Placed for adoption with parental/guardian consent with current foster carer(s)",
    "A4": "Placed for adoption with parental/guardian consent not with current foster carer(s)",
    "A5": "Placed for adoption with placement order with current foster carer(s)",
    "A6": "Placed for adoption with placement order not with current foster carer(s)",
    "H5": "Semi-independent living accommodation not subject to children's homes regulations",
    "K1": "Secure children's homes",
    "K2": "Children's homes subject to children's homes regulations",
    "K3": "Supported accommodation registered with Ofsted (Supported Accommodation (England) Regulations 2023)",
    "P1": "Placed with own parent(s) or other person(s) with parental responsibility",
    "P2": "Independent living, e.g. flat, lodgings, bedsit, B&B or with friends",
    "P3": "Residential employment",
    "R1": "Residential care home",
    "R2": "NHS/health trust or other establishment providing medical or nursing care",
    "R3": "Family centre or mother and baby unit",
    "R5": "Young offender institution (YOI) or prison",
    "S1": "Residential schools, except where dual-registered as a children's home",
    "T0": "All types of temporary move",
    "T1": "Temporary periods in hospital",
    "T2": "Temporary absences of the child on holiday",
    "T3": "Temporary accommodation whilst normal foster carer(s) is/are on holiday",
    "T4": "Temporary accommodation of seven days or less not covered by T1 to T3",
    "U1": "Foster placement with relative(s) or friend(s) - long term fostering",
    "U2": "Foster placement with relative(s) or friend(s) who is/are also approved adopter(s) - FFA/concurrent planning",
    "U3": "Foster placement with relative(s) or friend(s) - not long term or FFA/concurrent planning",
    "U4": "Foster placement with other foster carer(s) - long term fostering",
    "U5": "Foster placement with other foster carer(s) who is/are also approved adopter(s) - FFA/concurrent planning",
    "U6": "Foster placement with other foster carer(s) - not long term or FFA/concurrent planning",
    "Z1": "Other placements (listed on a schedule sent to DfE)",
})

#: SSDA903 placement provider codes (PLACE_PROVIDER).
PLACE_PROVIDER_CODES: Mapping[str, str] = MappingProxyType({
    "PR0": "Parent(s) or other person(s) with parental responsibility",
    "PR1": "Own provision (by the local authority)",
    "PR2": "Other local authority provision",
    "PR3": "Other public provision (e.g. a health body)",
    "PR4": "Private provision",
    "PR5": "Voluntary/third sector provision",
})

#: SSDA903 reason episode ceased codes (REC).
REC_CODES: Mapping[str, str] = MappingProxyType({
    "E11": "Adopted - application for an adoption order unopposed",
    "E12": "Adopted - consent dispensed with by the court",
    "E13": "Left care to live with parent(s), relative(s) or other person(s) with no parental responsibility",
    "E14": "Accommodation on remand ended",
    "E15": "Age assessment determined child is aged 18 or over and E5, E6 and E7 do not apply",
    "E16": "Child moved abroad",
    "E17": "Aged 18 (or over) and remained with current carers (inc. staying put)",
    "E2": "Died",
    "E3": "Care taken over by another local authority in the UK",
    "E41": "Residence order (from 22 April 2014 a child arrangements order) granted",
    "E43": "Special guardianship made to former foster carer(s) (code used before April 2014)",
    "E44": "Special guardianship made to carer(s) other than former foster carer(s) (code used before April 2014)",
    "E45": "Special guardianship made to former foster carer(s) who was/are relative(s) or friend(s)",
    "E46": "Special guardianship made to former foster carer(s) other than relative(s) or friend(s)",
    "E47": "Special guardianship made to carer(s), not former foster carer(s), who was/are relative(s) or friend(s)",
    "E48": "Special guardianship made to carer(s), not former foster carer(s), other than relative(s) or friend(s)",
    "E4A": "Returned home to parent(s) or others with parental responsibility as part of the care planning process",
    "E4B": "Returned home to parent(s) or others with parental responsibility not as part of the care planning process",
    "E5": "Moved into independent living with formalised advice/support (e.g. hostel, foyer)",
    "E6": "Moved into independent living without formalised advice/support (e.g. own flat)",
    "E7": "Transferred to residential care funded by adult social care services",
    "E8": "Period of being looked after ceased for any other reason",
    "E9": "Sentenced to custody",
    "X1": "Episode ceases and a new episode begins on the same day (continuation)",
})

CONTINUATION_REC: str = "X1"

#: SSDA903 legal status (LS) codes, descriptions paraphrased from the DfE guide to the return.
LEGAL_STATUS_CODES: Mapping[str, str] = MappingProxyType({
    "C1": "Interim care order",
    "C2": "Full care order",
    "D1": "Freeing order granted",
    "E1": "Placement order granted",
    "J1": "Remanded to local authority accommodation or to youth detention accommodation",
    "J2": "Placed in local authority accommodation under the Police and Criminal Evidence Act 1984",
    "J3": "Sentenced to a youth rehabilitation order (Criminal Justice and Immigration Act 2008)",
    "L1": "Under police protection and in local authority accommodation",
    "L2": "Emergency protection order",
    "L3": "Under child assessment order and in local authority accommodation",
    "V2": "Single period of accommodation under section 20 (Children Act 1989)",
    "V3": "Accommodated under an agreed series of short-term breaks, when individual episodes of care are recorded",
    "V4": "Accommodated under an agreed series of short-term breaks, when agreements are recorded",
})

#: Legal statuses of an agreed series of short-term breaks, excluded from counts (see "Short breaks").
SHORT_BREAK_LEGAL_STATUSES: frozenset[str] = frozenset({"V3", "V4"})

#: PLACE code -> placement type; ``None`` means "decided by PLACE_PROVIDER".
PLACE_TO_PLACEMENT: Mapping[str, str | None] = MappingProxyType({
    "A3": "placed_for_adoption",
    "A4": "placed_for_adoption",
    "A5": "placed_for_adoption",
    "A6": "placed_for_adoption",
    "H5": "supported_living",
    "K1": "secure",
    "K2": "residential",
    "K3": "supported_living",
    "P1": "with_parents",
    "P2": "supported_living",
    "P3": "supported_living",
    "R1": "residential",
    "R2": "other",
    "R3": "other",
    "R5": "other",
    "S1": "residential",
    "T0": "other",
    "T1": "other",
    "T2": "other",
    "T3": "other",
    "T4": "other",
    "U1": "kinship_foster",
    "U2": "kinship_foster",
    "U3": "kinship_foster",
    "U4": None,
    "U5": None,
    "U6": None,
    "Z1": "other",
})

PROVIDER_DECIDED_PLACES: frozenset[str] = frozenset({"U4", "U5", "U6"})

#: PLACE_PROVIDER -> placement type for the PLACE codes in PROVIDER_DECIDED_PLACES.
FOSTER_PROVIDER_TO_PLACEMENT: Mapping[str, str] = MappingProxyType({
    "PR1": "inhouse_foster",
    "PR2": "inhouse_foster",
    "PR3": "inhouse_foster",
    "PR4": "agency_foster",
    "PR5": "agency_foster",
})

#: Used for U4-U6 when PLACE_PROVIDER is missing or PR0 (reported by validation).
UNKNOWN_PROVIDER_PLACEMENT: str = "inhouse_foster"

#: REC code -> exit group (X1 is a continuation, not an exit, so it is absent).
REC_TO_EXIT_GROUP: Mapping[str, str] = MappingProxyType({
    "E11": "adopted",
    "E12": "adopted",
    "E13": "returned_home",
    "E14": "other",
    "E15": "other",
    "E16": "other",
    "E17": "left_care_at_18",
    "E2": "other",
    "E3": "other",
    "E41": "sgo_cao",
    "E43": "sgo_cao",
    "E44": "sgo_cao",
    "E45": "sgo_cao",
    "E46": "sgo_cao",
    "E47": "sgo_cao",
    "E48": "sgo_cao",
    "E4A": "returned_home",
    "E4B": "returned_home",
    "E5": "other",
    "E6": "other",
    "E7": "other",
    "E8": "other",
    "E9": "other",
})


def _frozen(mapping: Mapping) -> Mapping:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class Taxonomy:
    """A complete, overridable mapping from SSDA903 codes to model categories.

    Parameters
    ----------
    placements : tuple of str
        Placement type names, in model order (default ``PLACEMENTS``).
    exit_groups : tuple of str
        Exit group names, in model order (default ``EXIT_GROUPS``).
    place_map : mapping
        PLACE code -> placement name, or ``None`` where the provider decides.
    foster_provider_map : mapping
        PLACE_PROVIDER code -> placement name, used for PLACE codes mapped to
        ``None``.
    unknown_provider_placement : str
        Placement used when the provider decides but is missing or unmapped.
    rec_map : mapping
        REC code -> exit group name (``X1`` must not appear: it is not an exit).

    Examples
    --------
    >>> t = Taxonomy()
    >>> t.placement_index("K2", "PR4")
    3
    >>> t.exit_index("E4A")
    0
    """

    placements: tuple[str, ...] = PLACEMENTS
    exit_groups: tuple[str, ...] = EXIT_GROUPS
    place_map: Mapping[str, str | None] = field(default_factory=lambda: PLACE_TO_PLACEMENT)
    foster_provider_map: Mapping[str, str] = field(default_factory=lambda: FOSTER_PROVIDER_TO_PLACEMENT)
    unknown_provider_placement: str = UNKNOWN_PROVIDER_PLACEMENT
    rec_map: Mapping[str, str] = field(default_factory=lambda: REC_TO_EXIT_GROUP)

    def __post_init__(self) -> None:
        placements = tuple(self.placements)
        exit_groups = tuple(self.exit_groups)
        if not placements or len(set(placements)) != len(placements):
            raise ValueError("placements must be a non-empty tuple of distinct names")
        if not exit_groups or len(set(exit_groups)) != len(exit_groups):
            raise ValueError("exit_groups must be a non-empty tuple of distinct names")
        for code, name in self.place_map.items():
            if name is not None and name not in placements:
                raise ValueError(
                    f"place_map[{code!r}] = {name!r} is not one of placements {placements}")
        for code, name in self.foster_provider_map.items():
            if name not in placements:
                raise ValueError(
                    f"foster_provider_map[{code!r}] = {name!r} is not one of placements")
        if self.unknown_provider_placement not in placements:
            raise ValueError("unknown_provider_placement must be one of placements")
        for code, name in self.rec_map.items():
            if code == CONTINUATION_REC:
                raise ValueError("rec_map must not map X1: it is a continuation, not an exit")
            if name not in exit_groups:
                raise ValueError(
                    f"rec_map[{code!r}] = {name!r} is not one of exit_groups {exit_groups}")
        object.__setattr__(self, "placements", placements)
        object.__setattr__(self, "exit_groups", exit_groups)
        object.__setattr__(self, "place_map", _frozen(self.place_map))
        object.__setattr__(self, "foster_provider_map", _frozen(self.foster_provider_map))
        object.__setattr__(self, "rec_map", _frozen(self.rec_map))

    def with_overrides(self, *, place: Mapping[str, str | None] | None = None,
                       foster_provider: Mapping[str, str] | None = None,
                       rec: Mapping[str, str] | None = None,
                       placements: tuple[str, ...] | None = None,
                       exit_groups: tuple[str, ...] | None = None,
                       unknown_provider_placement: str | None = None) -> Taxonomy:
        """Return a copy with some codes remapped (or added).

        Entries in ``place``, ``foster_provider`` and ``rec`` replace or extend
        the current maps; ``placements`` / ``exit_groups`` replace the names.

        Examples
        --------
        >>> t = DEFAULT_TAXONOMY.with_overrides(rec={"E13": "other"})
        >>> t.exit_group_of("E13")
        'other'
        """
        return replace(
            self,
            placements=self.placements if placements is None else tuple(placements),
            exit_groups=self.exit_groups if exit_groups is None else tuple(exit_groups),
            place_map={**self.place_map, **(place or {})},
            foster_provider_map={**self.foster_provider_map, **(foster_provider or {})},
            rec_map={**self.rec_map, **(rec or {})},
            unknown_provider_placement=(self.unknown_provider_placement
                                        if unknown_provider_placement is None
                                        else unknown_provider_placement),
        )

    def placement_of(self, place: str, provider: str | None = None) -> str:
        """Placement name of one PLACE / PLACE_PROVIDER pair.

        Raises
        ------
        ValueError
            If ``place`` is not a known code.
        """
        if place not in self.place_map:
            raise ValueError(f"place: unknown SSDA903 PLACE code {place!r}")
        name = self.place_map[place]
        if name is None:
            name = self.foster_provider_map.get(provider or "", self.unknown_provider_placement)
        return name

    def placement_index(self, place: str, provider: str | None = None) -> int:
        """Index into ``placements`` of one PLACE / PLACE_PROVIDER pair."""
        return self.placements.index(self.placement_of(place, provider))

    def exit_group_of(self, rec: str) -> str:
        """Exit group of one REC code (``X1`` and unknown codes raise ValueError)."""
        if rec == CONTINUATION_REC:
            raise ValueError("rec: X1 is a continuation within a period of care, not an exit")
        if rec not in self.rec_map:
            raise ValueError(f"rec: unknown SSDA903 REC code {rec!r}")
        return self.rec_map[rec]

    def exit_index(self, rec: str) -> int:
        """Index into ``exit_groups`` of one REC code."""
        return self.exit_groups.index(self.exit_group_of(rec))

    def placement_indices(self, place: np.ndarray, provider: np.ndarray | None = None) -> np.ndarray:
        """Vectorised :meth:`placement_index` over arrays of codes.

        Returns an ``int64`` array; unknown PLACE codes give ``-1`` (the
        SSDA903 validation reports them before this is used).

        Examples
        --------
        >>> import numpy as np
        >>> DEFAULT_TAXONOMY.placement_indices(np.array(["U4", "U4", "K2", "??"]),
        ...                                    np.array(["PR1", "PR5", "PR4", ""]))
        array([ 1,  2,  3, -1])
        """
        place = np.asarray(place).astype(str)
        if provider is None:
            provider = np.full(place.shape, "", dtype="<U3")
        provider = np.asarray(provider).astype(str)
        if provider.shape != place.shape:
            raise ValueError("provider must have the same shape as place")
        pairs = np.char.add(np.char.add(place, "|"), provider)
        uniq, inverse = np.unique(pairs, return_inverse=True)
        lookup = np.empty(len(uniq), dtype=np.int64)
        for i, pair in enumerate(uniq):
            code, _, prov = pair.partition("|")
            lookup[i] = self.placement_index(code, prov) if code in self.place_map else -1
        return lookup[inverse.reshape(-1)].reshape(place.shape)

    def exit_indices(self, rec: np.ndarray) -> np.ndarray:
        """Vectorised :meth:`exit_index`; ``X1``, blank and unknown codes give ``-1``."""
        rec = np.asarray(rec).astype(str)
        uniq, inverse = np.unique(rec, return_inverse=True)
        lookup = np.array([self.exit_groups.index(self.rec_map[c]) if c in self.rec_map else -1
                           for c in uniq], dtype=np.int64)
        return lookup[inverse.reshape(-1)].reshape(rec.shape)


DEFAULT_TAXONOMY = Taxonomy()
