"""Synthetic SSDA903 returns simulated from known rates, at any scale.

:func:`simulate_episodes` simulates children entering care (date of birth,
first placement), moving between placement types and leaving care (with a
``REC`` code), in continuous time with the hazards of a
:class:`carecast.care.CareParameters`. :func:`write_returns` writes the
episodes as one header and one episodes CSV per collection year, exactly as
a council returns them (episodes open on 1 April repeated in the next
year's return, ``DEC``/``REC`` blank while open). :func:`generate_returns`
does both.

Uses: the round-trip test (simulate from known rates, recalibrate, recover
them), the benchmark (a million episodes), and trying the tools without
personal data. Files are written only into the folder the caller names.

Simulation
----------
* Entries: for each age band ``a`` and first placement ``p`` a Poisson
  number ``entries_per_year[a, p] * years``, entry days uniform over the
  simulated span, date of birth uniform so that the completed age at entry
  lies in band ``a``.
* Each child then follows piecewise-constant competing hazards: exits by
  group (``exit_rates``) and moves to other placement types
  (``move_rates``), which change at birthdays crossing an age band and at
  time-in-care band boundaries. Waiting times are exponential in continuous
  time; an event is dated to the next whole day. A child still in care on their 18th birthday leaves then
  (``left_care_at_18``, ``REC`` = ``E17``).
* Codes: each placement type is written with a representative ``PLACE`` /
  ``PLACE_PROVIDER`` pair that the default taxonomy maps back to it, and each
  exit group with ``REC`` codes of that group (``PLACEMENT_CODES``,
  ``EXIT_CODES``). Other columns get fixed plausible codes (``LS`` = C2,
  ``CIN`` = N1).
* Each entry is a new child (no re-entries), so child and period coincide.

Examples
--------
>>> import tempfile
>>> from carecast.ssda903 import read_returns
>>> with tempfile.TemporaryDirectory() as folder:
...     files = generate_returns(folder, example_parameters(), first_year=2019, last_year=2020, seed=1)
...     returns = read_returns(folder)
>>> returns.report.n_errors
0
"""
from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from carecast.care.calendar import DAYS_PER_YEAR
from carecast.care.parameters import CareParameters
from carecast.care.taxonomy import DEFAULT_TAXONOMY
from carecast.ssda903.dates import OPEN, add_years, format_date, from_ymd, to_days, ymd
from carecast.ssda903.reader import EPISODE_COLUMNS, HEADER_COLUMNS

__all__ = ["SyntheticEpisodes", "simulate_episodes", "write_returns", "generate_returns",
           "example_parameters", "PLACEMENT_CODES", "EXIT_CODES"]

#: Placement type -> (PLACE, PLACE_PROVIDER) candidates, drawn uniformly.
PLACEMENT_CODES: dict[str, tuple[tuple[str, str], ...]] = {
    "kinship_foster": (("U1", "PR1"), ("U3", "PR1"), ("U2", "PR1")),
    "inhouse_foster": (("U4", "PR1"), ("U6", "PR1"), ("U5", "PR2")),
    "agency_foster": (("U4", "PR4"), ("U6", "PR4"), ("U6", "PR5")),
    "residential": (("K2", "PR4"), ("K2", "PR1"), ("R1", "PR4")),
    "secure": (("K1", "PR1"),),
    "supported_living": (("H5", "PR4"), ("P2", "PR1")),
    "with_parents": (("P1", "PR0"),),
    "placed_for_adoption": (("A4", "PR1"), ("A6", "PR1"), ("A5", "PR1")),
    "other": (("Z1", "PR3"), ("R2", "PR3"), ("T4", "PR1")),
}

#: Exit group -> REC codes, drawn uniformly.
EXIT_CODES: dict[str, tuple[str, ...]] = {
    "returned_home": ("E4A", "E4B", "E13"),
    "adopted": ("E11", "E12"),
    "sgo_cao": ("E41", "E45", "E46", "E47", "E48"),
    "left_care_at_18": ("E17",),
    "other": ("E8", "E3", "E14", "E16"),
}


def example_parameters(scale: float = 1.0) -> CareParameters:
    """A simple model with known rates, for tests, benchmarks and demonstrations.

    Age bands 0, 1, 5, 10, 16; no time-in-care bands; entries mostly to
    foster care; exit and move hazards per year by placement (the same at
    every age). ``scale`` multiplies entries (about ``300 * scale`` a year).
    All figures are assumptions made up for testing, not estimates.
    """
    placements = DEFAULT_TAXONOMY.placements
    groups = DEFAULT_TAXONOMY.exit_groups
    P = len(placements)
    ages = (0.0, 1.0, 5.0, 10.0, 16.0)
    first = {"kinship_foster": 0.15, "inhouse_foster": 0.35, "agency_foster": 0.25,
             "residential": 0.08, "supported_living": 0.05, "with_parents": 0.07, "other": 0.05}
    by_age = np.array([0.20, 0.20, 0.20, 0.25, 0.15])
    entries = np.zeros((len(ages), P))
    for name, share in first.items():
        entries[:, placements.index(name)] = 300.0 * scale * share * by_age
    entries[:4, placements.index("supported_living")] = 0.0  # 16+ only
    exit_by_place = {  # returned_home, adopted, sgo_cao, left_care_at_18, other
        "kinship_foster": (0.30, 0.00, 0.40, 0.0, 0.10),
        "inhouse_foster": (0.35, 0.00, 0.10, 0.0, 0.10),
        "agency_foster": (0.25, 0.00, 0.05, 0.0, 0.10),
        "residential": (0.30, 0.00, 0.00, 0.0, 0.25),
        "secure": (0.50, 0.00, 0.00, 0.0, 1.00),
        "supported_living": (0.20, 0.00, 0.00, 0.0, 0.60),
        "with_parents": (1.20, 0.00, 0.10, 0.0, 0.20),
        "placed_for_adoption": (0.05, 2.00, 0.05, 0.0, 0.05),
        "other": (0.60, 0.00, 0.00, 0.0, 0.60),
    }
    exit_rates = np.zeros((len(ages), P, 1, len(groups)))
    for name, rates in exit_by_place.items():
        exit_rates[:, placements.index(name), 0, :] = rates
    moves = np.zeros((len(ages), P, 1, P))
    def move(a, b, r):
        moves[:, placements.index(a), 0, placements.index(b)] = r
    move("kinship_foster", "inhouse_foster", 0.10)
    move("inhouse_foster", "agency_foster", 0.15)
    move("inhouse_foster", "placed_for_adoption", 0.10)
    move("inhouse_foster", "residential", 0.05)
    move("agency_foster", "inhouse_foster", 0.05)
    move("agency_foster", "residential", 0.08)
    move("residential", "agency_foster", 0.15)
    move("residential", "secure", 0.02)
    move("secure", "residential", 2.0)
    move("with_parents", "inhouse_foster", 0.30)
    move("other", "inhouse_foster", 0.5)
    moves[4, placements.index("residential"), 0, placements.index("supported_living")] = 0.30
    moves[4, placements.index("agency_foster"), 0, placements.index("supported_living")] = 0.20
    moves[4, placements.index("inhouse_foster"), 0, placements.index("supported_living")] = 0.20
    moves[:2, placements.index("inhouse_foster"), 0, placements.index("placed_for_adoption")] = 0.6
    return CareParameters(stock=np.zeros((len(ages), P, 1)), entries_per_year=entries,
                          exit_rates=exit_rates, move_rates=moves, age_bands=ages,
                          name="synthetic example (assumed rates)",
                          assumptions=["All rates are made up for testing (carecast.ssda903.synthetic)."])


@dataclass
class SyntheticEpisodes:
    """Simulated children and episodes (child-level: kept in memory unless written).

    Episode arrays are sorted by child then start; ``dec`` is ``OPEN`` for an
    episode still open at the end of the simulation; ``rec`` is ``"X1"`` for
    a move, else a ``REC`` code of the exit group, or ``""`` if open.
    """

    child: np.ndarray
    dob: np.ndarray
    sex: np.ndarray
    episode_child: np.ndarray
    decom: np.ndarray
    dec: np.ndarray
    placement: np.ndarray
    place: np.ndarray
    provider: np.ndarray
    rec: np.ndarray
    exit_group: np.ndarray
    start: int
    end: int

    def __repr__(self) -> str:
        # child-level records (if synthetic) stay out of reprs, like real ones
        return (f"<SyntheticEpisodes: {len(self.child)} children, {len(self.decom)} episodes, "
                f"{format_date(self.start)} to {format_date(self.end)}>")


def _check(parameters: CareParameters) -> None:
    if not isinstance(parameters, CareParameters):
        raise TypeError("parameters must be a carecast.care.CareParameters")
    unknown = [p for p in parameters.placements if p not in PLACEMENT_CODES]
    if unknown:
        raise ValueError(f"parameters.placements has types without SSDA903 codes: {unknown}")
    unknown = [g for g in parameters.exit_groups if g not in EXIT_CODES]
    if unknown:
        raise ValueError(f"parameters.exit_groups has groups without REC codes: {unknown}")
    if any(a != round(a) for a in parameters.age_bands):
        raise ValueError("parameters.age_bands must be whole years")


@dataclass
class _Entrants:
    """Children entering care: entry day, age band, first placement, birth dates, birthdays."""

    entry: np.ndarray
    band: np.ndarray
    place: np.ndarray
    dob: np.ndarray
    age_edges: np.ndarray  # (n, A + 1): the day each age band starts, then the 18th birthday


@dataclass
class _Histories:
    """Episodes as simulated, in the order they ended (before sorting and coding)."""

    child: np.ndarray
    decom: np.ndarray
    dec: np.ndarray
    placement: np.ndarray
    flow: np.ndarray  # exit group >= 0; -1 censored, -2 aged out at 18, -3 a move


def _draw_entrants(parameters: CareParameters, s: int, e: int, rng: np.random.Generator) -> _Entrants:
    """Poisson entries by age band and first placement, entry days and dates of birth."""
    ages = np.asarray(parameters.age_bands, dtype=np.int64)
    A, P = len(ages), len(parameters.placements)
    entries = np.asarray(parameters.entries_per_year, dtype=float)
    if entries.ndim == 3:
        entries = entries[0]
    years = (e - s) / DAYS_PER_YEAR
    counts = rng.poisson(entries * years)
    n = int(counts.sum())
    cell = np.repeat(np.arange(A * P), counts.ravel())
    band, place = np.divmod(cell, P)
    entry = rng.integers(s, e, size=n)
    hi_age = np.append(ages[1:], 18)
    # DOB uniform between the day the child turns hi_age (exclusive) and lo_age before entry
    latest = add_years(entry, -ages[band])          # born on or before: age >= lo
    earliest = add_years(entry, -hi_age[band]) + 1  # born after: age < hi
    dob = earliest + (rng.random(n) * (latest - earliest + 1)).astype(np.int64)
    b18 = add_years(dob, np.full(n, 18))
    age_edges = np.stack([add_years(dob, np.full(n, int(a))) for a in ages] + [b18], axis=1)
    return _Entrants(entry=entry, band=band, place=place, dob=dob, age_edges=age_edges)


def _simulate_histories(parameters: CareParameters, kids: _Entrants, e: int,
                        rng: np.random.Generator) -> _Histories:
    """Competing exponential hazards, piecewise constant between age and time-in-care boundaries."""
    A, P, T, E = parameters.shape
    tic_days = np.round(np.asarray(parameters.time_in_care_bands) * DAYS_PER_YEAR).astype(np.int64)
    rates = np.concatenate([parameters.exit_rates, parameters.move_rates], axis=-1)  # (A,P,T,E+P)
    entry, age_edges = kids.entry, kids.age_edges
    n = len(entry)
    out_child, out_start, out_end, out_place, out_flow = [], [], [], [], []
    idx = np.arange(n)          # children still in care
    t = entry.copy()            # each one's clock (day), aligned with idx
    ep_start = entry.copy()     # start of each child's current episode
    current = kids.place.copy()  # each child's current placement
    while len(idx):
        pl = current[idx]
        a_idx = np.sum(age_edges[idx, 1:A] <= t[:, None], axis=1)
        tic = np.searchsorted(tic_days, t - entry[idx], side="right") - 1
        next_age = age_edges[idx, a_idx + 1]
        next_tic = np.where(tic + 1 < T, entry[idx] + tic_days[np.minimum(tic + 1, T - 1)], OPEN)
        boundary = np.minimum(np.minimum(next_age, next_tic), e)
        r = rates[a_idx, pl, tic]
        total = r.sum(axis=1)
        pos = total > 0
        wait = np.full(len(idx), 1e12)
        wait[pos] = np.minimum(rng.exponential(DAYS_PER_YEAR / total[pos]), 1e12)
        # the event fires if it falls before the boundary in continuous time; it is then
        # dated to the next whole day (never past the boundary, the first day in the new state)
        fire = wait < (boundary - t)
        event_day = np.minimum(np.maximum(t + np.ceil(np.where(fire, wait, 0)).astype(np.int64), t + 1),
                               boundary)
        u = rng.random(len(idx)) * np.where(pos, total, 1.0)
        flow = np.minimum(np.sum(np.cumsum(r, axis=1) <= u[:, None], axis=1), E + P - 1)
        # an event dated onto the 18th birthday or the end is pre-empted by ageing out / censoring
        fire &= ~((event_day == boundary) & ((a_idx == A - 1) & (boundary == next_age) | (boundary == e)))
        ages_out = ~fire & (boundary == next_age) & (a_idx == A - 1) & (boundary < e)
        censored = ~fire & (boundary >= e)
        is_exit = fire & (flow < E)
        is_move = fire & (flow >= E)
        done = is_exit | ages_out | censored
        ended = done | is_move
        code = np.where(is_exit, flow, np.where(ages_out, -2, np.where(censored, -1, -3)))
        stop_day = np.where(fire, event_day, np.where(ages_out, boundary, OPEN))
        out_child.append(idx[ended])
        out_start.append(ep_start[idx[ended]])
        out_end.append(stop_day[ended])
        out_place.append(pl[ended])
        out_flow.append(code[ended])
        moved = idx[is_move]
        ep_start[moved] = event_day[is_move]
        current[moved] = flow[is_move] - E
        t = np.where(fire, event_day, boundary)
        idx, t = idx[~done], t[~done]
    if not out_child:
        empty = np.zeros(0, np.int64)
        return _Histories(empty, empty, empty, empty, empty)
    return _Histories(child=np.concatenate(out_child), decom=np.concatenate(out_start),
                      dec=np.concatenate(out_end), placement=np.concatenate(out_place),
                      flow=np.concatenate(out_flow))


def _sorted_by_child(h: _Histories) -> _Histories:
    """Episodes sorted by child, then start date."""
    order = np.lexsort((h.decom, h.child)) if len(h.child) else np.zeros(0, np.int64)
    return _Histories(child=h.child[order], decom=h.decom[order], dec=h.dec[order],
                      placement=h.placement[order], flow=h.flow[order])


def _draw_codes(parameters: CareParameters, placement: np.ndarray, flow: np.ndarray,
                exit_group: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """PLACE, PLACE_PROVIDER and REC codes representative of each placement type and exit group."""
    m = len(placement)
    place_code = np.empty(m, dtype="<U2")
    provider = np.empty(m, dtype="<U3")
    pick = rng.random(m)
    for p, name in enumerate(parameters.placements):
        sel = placement == p
        options = PLACEMENT_CODES[name]
        k = np.minimum((pick[sel] * len(options)).astype(int), len(options) - 1)
        place_code[sel] = np.array([o[0] for o in options])[k]
        provider[sel] = np.array([o[1] for o in options])[k]
    rec = np.full(m, "", dtype="<U3")
    rec[flow == -3] = "X1"
    pick = rng.random(m)
    for g, name in enumerate(parameters.exit_groups):
        sel = exit_group == g
        rec_options = np.array(EXIT_CODES[name])
        rec[sel] = rec_options[np.minimum((pick[sel] * len(rec_options)).astype(int), len(rec_options) - 1)]
    return place_code, provider, rec


def simulate_episodes(parameters: CareParameters, start, end, *, seed: int | None = 0) -> SyntheticEpisodes:
    """Simulate entries, moves and exits from ``start`` to ``end`` (see module notes).

    The stages, each drawing from one generator in a fixed order (so a seed
    gives the same episodes on every machine): entrants (Poisson counts,
    entry days, dates of birth), their histories (competing hazards), then
    the SSDA903 codes of each episode, then each child's sex.

    Parameters
    ----------
    parameters : CareParameters
        Rates to simulate from (``stock`` is ignored: care starts empty at
        ``start``, so begin well before the first return you write).
    start, end : date or str
    seed : int or None
    """
    _check(parameters)
    s, e = to_days(start), to_days(end)
    if e <= s:
        raise ValueError("end must be after start")
    rng = np.random.default_rng(seed)
    kids = _draw_entrants(parameters, s, e, rng)
    h = _sorted_by_child(_simulate_histories(parameters, kids, e, rng))
    at18 = parameters.exit_groups.index("left_care_at_18")
    exit_group = np.where(h.flow >= 0, h.flow, np.where(h.flow == -2, at18, -1))
    place_code, provider, rec = _draw_codes(parameters, h.placement, h.flow, exit_group, rng)
    n = len(kids.entry)
    ids = np.char.add("C", np.arange(1, n + 1).astype(str))
    sex = rng.integers(1, 3, size=n)
    return SyntheticEpisodes(child=ids, dob=kids.dob, sex=sex, episode_child=h.child, decom=h.decom,
                             dec=h.dec, placement=h.placement, place=place_code, provider=provider,
                             rec=rec, exit_group=exit_group, start=s, end=e)


def _dmy(days: np.ndarray) -> np.ndarray:
    y, m, d = ymd(days)
    return np.char.add(np.char.add(np.char.add(np.char.zfill(d.astype(str), 2), "/"),
                                   np.char.add(np.char.zfill(m.astype(str), 2), "/")), y.astype(str))


def write_returns(episodes: SyntheticEpisodes, directory: str | os.PathLike, first_year: int,
                  last_year: int) -> list[Path]:
    """Write ``YEAR-header.csv`` and ``YEAR-episodes.csv`` for each collection year.

    Collection year ``Y`` runs from 1 April ``Y`` to 31 March ``Y+1`` (the
    convention of the shipped sample). Its episodes file holds every episode
    in care at some point in that year; an episode still open on 31 March
    ``Y+1`` has blank ``DEC`` and ``REC``. Its header lists those children.

    Returns the paths written. Writes child-level (synthetic) records: only
    into ``directory``, which must exist.
    """
    folder = Path(directory)
    if not folder.is_dir():
        raise ValueError(f"directory: no such folder: {folder}")
    if last_year < first_year:
        raise ValueError("last_year must be >= first_year")
    written = []
    ep = episodes
    for year in range(int(first_year), int(last_year) + 1):
        ws = int(from_ymd(np.array([year]), np.array([4]), np.array([1]))[0])
        we = int(from_ymd(np.array([year + 1]), np.array([3]), np.array([31]))[0])
        if we >= ep.end:
            raise ValueError(f"year {year} ends after the simulation ({ep.end}): simulate further")
        sel = (ep.decom <= we) & (ep.dec >= ws)
        closed = ep.dec[sel] <= we
        child_idx = ep.episode_child[sel]
        dec_text = np.where(closed, _dmy(np.where(closed, ep.dec[sel], ws)), "")
        rec_text = np.where(closed, ep.rec[sel], "")
        # the first episode of a period starts care (S); later ones are placement changes (P)
        all_prev = np.zeros(len(ep.decom), dtype=bool)
        all_prev[1:] = ep.episode_child[1:] == ep.episode_child[:-1]
        prev_same = all_prev[sel]
        rne = np.where(prev_same, "P", "S")
        n = int(sel.sum())
        columns = {
            "CHILD": ep.child[child_idx], "DECOM": _dmy(ep.decom[sel]), "RNE": rne,
            "LS": np.full(n, "C2"), "CIN": np.full(n, "N1"), "PLACE": ep.place[sel],
            "PLACE_PROVIDER": ep.provider[sel], "DEC": dec_text, "REC": rec_text,
            "REASON_PLACE_CHANGE": np.where(rec_text == "X1", "CARPL", ""),
            "HOME_POST": np.full(n, ""), "PL_POST": np.full(n, ""), "URN": np.full(n, "XXXXXXX"),
        }
        path = folder / f"{year}-episodes.csv"
        with open(path, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(EPISODE_COLUMNS)
            w.writerows(zip(*(columns[c] for c in EPISODE_COLUMNS)))
        written.append(path)
        kids = np.unique(child_idx)
        hcols = {"CHILD": ep.child[kids], "SEX": ep.sex[kids].astype(str), "DOB": _dmy(ep.dob[kids]),
                 "ETHNIC": np.full(len(kids), "WBRI"), "UPN": np.full(len(kids), "UN1"),
                 "MOTHER": np.full(len(kids), ""), "MC_DOB": np.full(len(kids), "")}
        path = folder / f"{year}-header.csv"
        with open(path, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(HEADER_COLUMNS)
            w.writerows(zip(*(hcols[c] for c in HEADER_COLUMNS)))
        written.append(path)
    return written


def generate_returns(directory: str | os.PathLike, parameters: CareParameters | None = None, *,
                     first_year: int = 2017, last_year: int = 2021, burn_in_years: int = 20,
                     seed: int | None = 0) -> list[Path]:
    """Simulate and write synthetic returns for collection years ``first_year .. last_year``.

    Care starts empty ``burn_in_years`` before 1 April ``first_year`` (20
    years: long enough that the stock is in equilibrium, since nobody stays
    past 18) and the simulation runs to the end of ``last_year``'s
    collection year plus a year (so later exits are not known early).

    Returns for a collection year that has not ended yet hold dates after
    today, which :func:`carecast.ssda903.read_returns` refuses as it would
    in a real return: simulate past years, or shift the dates.
    """
    parameters = example_parameters() if parameters is None else parameters
    start = from_ymd(np.array([first_year - burn_in_years]), np.array([4]), np.array([1]))[0]
    end = from_ymd(np.array([last_year + 2]), np.array([4]), np.array([1]))[0]
    episodes = simulate_episodes(parameters, np.datetime64(int(start), "D"), np.datetime64(int(end), "D"),
                                 seed=seed)
    return write_returns(episodes, directory, first_year, last_year)
