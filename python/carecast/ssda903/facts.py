"""Facts derived from SSDA903 returns: stock, entries, exits, moves, exposure.

Every function takes a :class:`~carecast.ssda903.reader.Returns` and gives
NumPy count arrays over the model's state space: age band x placement x
time-in-care band (and exit group or destination placement for flows).

Conventions (the same in every function, so that rates = events / exposure
are consistent):

* A child is in care on day ``d`` if an episode has ``DECOM <= d < end``
  (end dates are exclusive; see :mod:`carecast.ssda903.reader`).
* A reference window runs from one census date to another, ``start`` to
  ``end`` (e.g. 31 March 2018 to 31 March 2019). Exposure is the child-days
  in care on days ``start .. end-1``, in years of 365.25 days. Events are
  counted on days ``start+1 .. end``: entries by ``DECOM``, exits and moves by
  the episode's end date ``e`` (the first day in the new state), in the state
  the child was in on ``e - 1`` - always a day of the exposure. With
  ``start = 31 March`` these are exactly the DfE's "started / ceased to be
  looked after during the year" (1 April to 31 March), and
  ``stock(end) = stock(start) + entries - exits`` holds exactly for
  every child whose history is fully observed.
* Age is in completed years (birthday to birthday) - age bands must start
  on whole years. Time in care is measured from the start of the period of
  care (the first episode of an ``X1`` chain); band ``j`` covers
  ``[band_j, band_{j+1})`` years, each bound rounded to whole days of
  365.25-day years.
* Entries are the starts of periods of care in the window, by completed age
  on the day of entry and the first placement.
* Moves are changes of placement *type* within a period of care (an ``X1``
  continuation to a different placement type); changes of legal status or of
  carer within the same type are not moves.

Examples
--------
>>> from carecast.ssda903 import read_returns, sample_returns_path, stock
>>> r = read_returns(sample_returns_path())
>>> s = stock(r, "2019-03-31")
>>> s.shape
(18, 9, 1)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from carecast.care.calendar import DAYS_PER_YEAR
from carecast.care.parameters import SINGLE_YEAR_AGES
from carecast.ssda903.dates import add_years, age_in_years, format_date, to_days
from carecast.ssda903.reader import Returns

__all__ = ["stock", "entries", "exits", "moves", "exposure", "Summary", "summarise",
           "age_band_index", "time_in_care_index", "DAYS_PER_YEAR"]

_DEFAULT_AGES = SINGLE_YEAR_AGES


def _check_bands(age_bands, time_in_care_bands):
    ages = np.asarray(age_bands, dtype=float)
    if ages.ndim != 1 or len(ages) == 0 or ages[0] != 0 or np.any(np.diff(ages) <= 0) or ages[-1] >= 18:
        raise ValueError(f"age_bands must be increasing lower bounds starting at 0 and below 18, got {age_bands}")
    if np.any(ages != np.round(ages)):
        raise ValueError(f"age_bands must be whole years for SSDA903 counts, got {age_bands}")
    tic = np.asarray(time_in_care_bands, dtype=float)
    if tic.ndim != 1 or len(tic) == 0 or tic[0] != 0 or np.any(np.diff(tic) <= 0) or not np.all(np.isfinite(tic)):
        raise ValueError(f"time_in_care_bands must be increasing lower bounds starting at 0, got {time_in_care_bands}")
    return ages.astype(np.int64), np.round(tic * DAYS_PER_YEAR).astype(np.int64)


def age_band_index(age_years: np.ndarray, age_bands) -> np.ndarray:
    """Band index of completed ages (``-1`` below the first band)."""
    return np.searchsorted(np.asarray(age_bands, dtype=float), age_years, side="right") - 1


def time_in_care_index(days_in_care: np.ndarray, time_in_care_bands) -> np.ndarray:
    """Band index of days in care."""
    bounds = np.round(np.asarray(time_in_care_bands, dtype=float) * DAYS_PER_YEAR)
    return np.searchsorted(bounds, days_in_care, side="right") - 1


def _window(start, end) -> tuple[int, int]:
    s, e = to_days(start), to_days(end)
    if e <= s:
        raise ValueError(f"end ({format_date(e)}) must be after start ({format_date(s)})")
    return s, e


def stock(returns: Returns, date, *, age_bands=_DEFAULT_AGES, time_in_care_bands=(0.0,),
          age_basis: str = "date") -> np.ndarray:
    """Children in care on ``date`` by age band x placement x time-in-care band.

    Parameters
    ----------
    returns : Returns
    date : date or str
    age_bands, time_in_care_bands : sequences of lower bounds in years
    age_basis : {"date", "episode_start"}
        ``"date"`` (default): completed age on ``date``. ``"episode_start"``:
        completed age when the current episode started, the convention of
        Social Finance's cs-demand-model (used for the cross-check).

    Returns
    -------
    ndarray (A, P, T) of float
    """
    ages, tic_days = _check_bands(age_bands, time_in_care_bands)
    if age_basis not in ("date", "episode_start"):
        raise ValueError(f"age_basis must be 'date' or 'episode_start', got {age_basis!r}")
    d = to_days(date)
    sel = (returns.decom <= d) & (d < returns.end)
    on = np.int64(d) if age_basis == "date" else returns.decom[sel]
    a = age_band_index(age_in_years(returns.dob[sel], on), ages)
    t = np.searchsorted(tic_days, d - returns.period_start[sel], side="right") - 1
    P = len(returns.taxonomy.placements)
    return _count((len(ages), P, len(tic_days)), (a, returns.placement[sel], t))


def _count(shape, indices, weights=None) -> np.ndarray:
    flat = np.ravel_multi_index(indices, shape) if len(indices[0]) else np.zeros(0, np.int64)
    return np.bincount(flat, weights=weights, minlength=int(np.prod(shape))).astype(float).reshape(shape)


def entries(returns: Returns, start, end, *, age_bands=_DEFAULT_AGES) -> np.ndarray:
    """Periods of care starting on days ``start+1 .. end`` by age at entry x first placement (A, P)."""
    ages, _ = _check_bands(age_bands, (0.0,))
    s, e = _window(start, end)
    sel = returns.first_in_period & (returns.decom > s) & (returns.decom <= e)
    a = age_band_index(age_in_years(returns.dob[sel], returns.decom[sel]), ages)
    return _count((len(ages), len(returns.taxonomy.placements)), (a, returns.placement[sel]))


def _state_before(returns: Returns, sel: np.ndarray, event_day: np.ndarray, ages, tic_days):
    last_day = event_day - 1
    a = age_band_index(age_in_years(returns.dob[sel], last_day), ages)
    t = np.searchsorted(tic_days, last_day - returns.period_start[sel], side="right") - 1
    return a, t


def exits(returns: Returns, start, end, *, age_bands=_DEFAULT_AGES,
          time_in_care_bands=(0.0,)) -> np.ndarray:
    """Exits on days ``start+1 .. end`` by state the day before x exit group (A, P, T, E)."""
    ages, tic_days = _check_bands(age_bands, time_in_care_bands)
    s, e = _window(start, end)
    sel = (returns.exit_group >= 0) & (returns.end - 1 >= s) & (returns.end - 1 < e)
    a, t = _state_before(returns, sel, returns.end[sel], ages, tic_days)
    shape = (len(ages), len(returns.taxonomy.placements), len(tic_days), len(returns.taxonomy.exit_groups))
    return _count(shape, (a, returns.placement[sel], t, returns.exit_group[sel]))


def moves(returns: Returns, start, end, *, age_bands=_DEFAULT_AGES,
          time_in_care_bands=(0.0,)) -> np.ndarray:
    """Moves between placement types on days ``start+1 .. end``: (A, P_from, T, P_to)."""
    ages, tic_days = _check_bands(age_bands, time_in_care_bands)
    s, e = _window(start, end)
    n = returns.n_episodes
    nxt = np.zeros(n, dtype=bool)
    if n > 1:
        nxt[:-1] = ~returns.last_in_period[:-1]
    to_place = np.full(n, -1, dtype=np.int64)
    to_place[:-1] = returns.placement[1:]
    sel = nxt & (to_place != returns.placement) & (returns.end - 1 >= s) & (returns.end - 1 < e)
    a, t = _state_before(returns, sel, returns.end[sel], ages, tic_days)
    P = len(returns.taxonomy.placements)
    return _count((len(ages), P, len(tic_days), P), (a, returns.placement[sel], t, to_place[sel]))


def exposure(returns: Returns, start, end, *, age_bands=_DEFAULT_AGES,
             time_in_care_bands=(0.0,)) -> np.ndarray:
    """Child-years in care on days ``start .. end-1`` by age band x placement x time-in-care band.

    Each episode's days in the window are split exactly at birthdays and at
    time-in-care band boundaries.
    """
    ages, tic_days = _check_bands(age_bands, time_in_care_bands)
    s, e = _window(start, end)
    sel = (returns.decom < e) & (returns.end > s)
    lo = np.maximum(returns.decom[sel], s)
    hi = np.minimum(returns.end[sel], e)
    dob = returns.dob[sel]
    pstart = returns.period_start[sel]
    place = returns.placement[sel]
    P = len(returns.taxonomy.placements)
    A, T = len(ages), len(tic_days)
    out = np.zeros((A, P, T))
    age_edges = [add_years(dob, np.full(len(dob), int(a))) for a in ages] + [returns.birthday18[sel]]
    big = np.int64(2 ** 62)
    for k in range(A):
        a_lo = np.maximum(lo, age_edges[k])
        a_hi = np.minimum(hi, age_edges[k + 1])
        inside = a_hi > a_lo
        if not inside.any():
            continue
        a_lo, a_hi, ps, pl = a_lo[inside], a_hi[inside], pstart[inside], place[inside]
        for j in range(T):
            t_lo = np.maximum(a_lo, ps + tic_days[j])
            t_hi = np.minimum(a_hi, ps + tic_days[j + 1]) if j + 1 < T else a_hi
            days = np.clip(t_hi - t_lo, 0, big)
            out[k, :, j] += np.bincount(pl, weights=days, minlength=P)
    return out / DAYS_PER_YEAR


@dataclass
class Summary:
    """Facts over one reference window (counts only: no child identifiers).

    Attributes
    ----------
    start, end : int
        Census dates (int days) bounding the window (see module notes).
    stock_start, stock_end : ndarray (A, P, T)
        Children in care on ``start`` and on ``end``.
    entries : ndarray (A, P)
    exits : ndarray (A, P, T, E)
    moves : ndarray (A, P, T, P)
    exposure : ndarray (A, P, T)
        Child-years.
    placements, exit_groups, age_bands, time_in_care_bands : tuples
    """

    start: int
    end: int
    stock_start: np.ndarray
    stock_end: np.ndarray
    entries: np.ndarray
    exits: np.ndarray
    moves: np.ndarray
    exposure: np.ndarray
    placements: tuple
    exit_groups: tuple
    age_bands: tuple
    time_in_care_bands: tuple

    @property
    def years(self) -> float:
        return (self.end - self.start) / DAYS_PER_YEAR

    def conservation_gap(self) -> float:
        """stock_end - stock_start - entries + exits (0 when every flow is observed).

        Censoring (a period lost between returns) and data errors make it
        non-zero; the summary prints it so the user can judge.
        """
        return float(self.stock_end.sum() - self.stock_start.sum() - self.entries.sum()
                     + self.exits.sum())

    def to_text(self) -> str:
        """A plain-text table of stock, flows and exposure by placement."""
        w = max(len(p) for p in self.placements) + 2
        lines = [f"From {format_date(self.start)} to {format_date(self.end)} "
                 f"({self.years:.2f} years)",
                 f"{'placement':<{w}}{'stock start':>12}{'stock end':>11}{'entries':>9}"
                 f"{'exits':>7}{'moves out':>10}{'moves in':>9}{'child-yrs':>11}"]
        s0 = self.stock_start.sum(axis=(0, 2))
        s1 = self.stock_end.sum(axis=(0, 2))
        en = self.entries.sum(axis=0)
        ex = self.exits.sum(axis=(0, 2, 3))
        mo = self.moves.sum(axis=(0, 2, 3))
        mi = self.moves.sum(axis=(0, 1, 2))
        xp = self.exposure.sum(axis=(0, 2))
        for i, p in enumerate(self.placements):
            lines.append(f"{p:<{w}}{s0[i]:>12.0f}{s1[i]:>11.0f}{en[i]:>9.0f}{ex[i]:>7.0f}"
                         f"{mo[i]:>10.0f}{mi[i]:>9.0f}{xp[i]:>11.1f}")
        lines.append(f"{'total':<{w}}{s0.sum():>12.0f}{s1.sum():>11.0f}{en.sum():>9.0f}{ex.sum():>7.0f}"
                     f"{mo.sum():>10.0f}{mi.sum():>9.0f}{xp.sum():>11.1f}")
        lines.append("Exits by group: " + ", ".join(
            f"{g} {n:.0f}" for g, n in zip(self.exit_groups, self.exits.sum(axis=(0, 1, 2)))))
        lines.append(f"Stock change not explained by entries and exits: {self.conservation_gap():+.0f} "
                     "(censored periods and data problems)")
        return "\n".join(lines)


def summarise(returns: Returns, start=None, end=None, *, age_bands=_DEFAULT_AGES,
              time_in_care_bands=(0.0,)) -> Summary:
    """All facts from census date ``start`` to ``end`` (default: the whole data span).

    Examples
    --------
    >>> from carecast.ssda903 import read_returns, sample_returns_path
    >>> s = summarise(read_returns(sample_returns_path()), "2018-03-31", "2019-03-31")
    >>> bool(s.exposure.sum() > 0)
    True
    """
    s = returns.data_start - 1 if start is None else to_days(start)
    e = returns.data_end - 1 if end is None else to_days(end)
    kw = dict(age_bands=age_bands, time_in_care_bands=time_in_care_bands)
    return Summary(
        start=s, end=e,
        stock_start=stock(returns, np.datetime64(s, "D"), **kw),
        stock_end=stock(returns, np.datetime64(e, "D"), **kw),
        entries=entries(returns, np.datetime64(s, "D"), np.datetime64(e, "D"), age_bands=age_bands),
        exits=exits(returns, np.datetime64(s, "D"), np.datetime64(e, "D"), **kw),
        moves=moves(returns, np.datetime64(s, "D"), np.datetime64(e, "D"), **kw),
        exposure=exposure(returns, np.datetime64(s, "D"), np.datetime64(e, "D"), **kw),
        placements=returns.taxonomy.placements, exit_groups=returns.taxonomy.exit_groups,
        age_bands=tuple(age_bands), time_in_care_bands=tuple(time_in_care_bands))
