"""Cross-check with Social Finance's cs-demand-model (the published SSDA903 demand model).

``cs-demand-model`` (PyPI, version 0.5.1, MIT) reads the same header and
episode files and counts children in care by age bracket and placement
category. carecast agrees with it exactly where the two define things the
same way, and differs, for stated reasons, where they do not. The test
``tests/test_ssda903_crosscheck.py`` runs both on the shipped sample.

Where the definitions agree (counts are equal)
----------------------------------------------
* A child is in care on day ``d`` if an episode has ``DECOM <= d < DEC``
  (both: the end date is exclusive).
* Placement categories come from ``PLACE`` alone. With the taxonomy from
  :func:`cs_demand_model_taxonomy` (their ``standard-v1`` configuration:
  fostering ``U1``-``U6``; residential ``K2``, ``R1``; supported ``H5``,
  ``P2``; everything else other) carecast's stock by category on any date
  equals theirs for every child whose records raise no data problem.
* Age bracket by age *at the start of the episode*: ``stock(...,
  age_basis="episode_start")`` with age bands 0, 1, 5, 10, 16 equals their
  stock by age bracket x category.

Where they differ (and why carecast does what it does)
------------------------------------------------------
1. **Age.** cs-demand-model puts each episode in the age bracket of the
   child's age when the episode started, and keeps it there however long the
   episode lasts: a child placed at 9 in a five-year foster placement is
   counted "5 to 10" at 13. carecast's default is age *on the date*
   (``age_basis="date"``), which is what ageing in a projection and the DfE's
   tables use. The test shows the totals agree and the age split differs.
2. **Children who vanish from later returns.** An episode left open in one
   return with the child absent from the next is open forever in
   cs-demand-model (the child stays in its counts in every later year);
   carecast censors it at the end of that return's collection year and
   warns.
3. **Overlapping episodes.** cs-demand-model shortens the earlier of two
   overlapping episodes; carecast treats an overlap within one return as an
   error (the later-starting row is left out) and an overlap with a later
   return as a correction (the earlier return's row is superseded).
4. **Duplicates across returns.** Both keep one episode per (CHILD, DECOM);
   cs-demand-model keeps the one with the latest end date, carecast the one
   from the latest return (they differ only when a later return shortens an
   episode).
5. **Dates of birth.** cs-demand-model takes the first header it reads for a
   child; carecast the latest return's (with a warning if they differ).
6. **Eighteen.** carecast ends every episode on the 18th birthday;
   cs-demand-model's oldest bracket runs to 30.
7. **Short breaks.** cs-demand-model counts episodes under an agreed series
   of short breaks (legal status ``V3``/``V4``); carecast excludes them by
   default, as the DfE's statistics do. Read with
   ``read_returns(..., short_breaks="keep")`` to compare like with like (the
   cross-check test does).

Examples
--------
>>> t = cs_demand_model_taxonomy()
>>> t.placements
('FOSTERING', 'RESIDENTIAL', 'SUPPORTED', 'OTHER')
>>> t.placement_of("U6", "PR4"), t.placement_of("S1")
('FOSTERING', 'OTHER')
"""
from __future__ import annotations

from carecast.care.taxonomy import DEFAULT_TAXONOMY, Taxonomy

__all__ = ["cs_demand_model_taxonomy", "CS_DEMAND_MODEL_AGE_BANDS"]

#: Lower bounds of cs-demand-model's standard-v1 age brackets (the last runs on past 18).
CS_DEMAND_MODEL_AGE_BANDS = (0, 1, 5, 10, 16)


def cs_demand_model_taxonomy() -> Taxonomy:
    """A taxonomy with cs-demand-model's standard-v1 placement categories.

    FOSTERING: ``U1``-``U6``; RESIDENTIAL: ``K2``, ``R1``; SUPPORTED: ``H5``,
    ``P2``; OTHER: every other PLACE code (source: ``cs_demand_model``
    0.5.1, ``fixtures/config/standard-v1.yaml``). Providers do not matter.
    """
    cats = ("FOSTERING", "RESIDENTIAL", "SUPPORTED", "OTHER")
    place = {code: "OTHER" for code in DEFAULT_TAXONOMY.place_map}
    place.update({c: "FOSTERING" for c in ("U1", "U2", "U3", "U4", "U5", "U6")})
    place.update({"K2": "RESIDENTIAL", "R1": "RESIDENTIAL", "H5": "SUPPORTED", "P2": "SUPPORTED"})
    return Taxonomy(placements=cats, exit_groups=DEFAULT_TAXONOMY.exit_groups, place_map=place,
                    foster_provider_map={}, unknown_provider_placement="FOSTERING",
                    rec_map=DEFAULT_TAXONOMY.rec_map)
