"""Calibrate the children-in-care model from SSDA903 returns.

:func:`calibrate` turns a :class:`~carecast.ssda903.reader.Returns` and a
reference window into a :class:`carecast.care.CareParameters` (stock at the
end of the window, entries per year, exit and move hazards) plus a Gamma
posterior for every hazard, for probabilistic sensitivity analysis.

Rates
-----
For each state (age band a, placement p, time-in-care band t) and each flow
(exit group e, or move to placement q), the crude rate is

    rate = events / exposure          (per child-year)

with events and exposure counted as in :mod:`carecast.ssda903.facts`.

Pooling of sparse cells
-----------------------
A council has a few hundred children spread over hundreds of cells, so most
cells hold a handful of events. Each cell is shrunk towards a pooled rate,
level by level (hierarchical Gamma-Poisson shrinkage):

1. all flows of that kind from placement p (exits to e, or moves to q)
   pooled over every age and time in care: ``m_p = E_p / X_p``;
2. the same, by time-in-care band, pooled over ages:
   ``m_pt = (E_pt + k * m_p) / (X_pt + k)``;
3. the cell itself, with posterior

       Gamma(shape = events + k * m_pt,  rate = exposure + k)

   whose mean ``(events + k m_pt) / (exposure + k)`` is the rate used.

``k`` (``prior_child_years``, default 1) is the weight of the prior in
child-years: a cell with much more than ``k`` child-years of exposure is
essentially its own crude rate; a cell with none takes the placement's
pooled rate for its time in care. So the Gamma prior of each cell is
``Gamma(a0 = k * m_pt, b0 = k)`` - centred on the pooled rate, worth ``k``
child-years of data. Where a placement has no exposure at all in the window,
``m_p = 0``. With ``prior_child_years=0`` the crude rates are returned (0
where there is no exposure).

Leaving care at 18 is ageing out, not a hazard: the ``left_care_at_18``
column of ``exit_rates`` is set to 0 (its events are still reported).

Entries
-------
``entries_per_year[a, p]`` = entries in the window / window length in years,
by age at entry and first placement; its posterior is
``Gamma(count, years)`` (a flat prior on the Poisson rate's log-scale; a cell
with no entries stays at 0).

Refusing damaged data
---------------------
A model fitted to the few rows that survived a damaged return misstates the
council without a word (US-ordered dates once left 55 of 648 episodes and a
23-child model). So :func:`calibrate` refuses returns in which more than
half of the episode rows, or of the header rows, were left out for errors
(``report.rows_rejected``), with the counts in the message, unless
``force=True`` (``carecast ssda903 calibrate --force``); a forced model says
so in its sources. Short breaks excluded by design are not rejections.

Examples
--------
>>> from carecast.ssda903 import sample_returns_path, calibrate
>>> cal = calibrate(sample_returns_path(), "2018-03-31", "2019-03-31")
>>> bool(cal.parameters.stock.sum() == cal.summary.stock_end.sum())
True
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from carecast.care.parameters import SINGLE_YEAR_AGES, TIME_IN_CARE_BANDS, CareParameters
from carecast.ssda903.dates import format_date, to_date, to_days
from carecast.ssda903.facts import Summary, summarise
from carecast.ssda903.reader import Returns, read_returns

__all__ = ["GammaRates", "Calibration", "calibrate", "pooled_rates", "MAX_REJECTED_SHARE"]

#: Calibration refuses returns with a larger share of rows left out for errors (unless forced).
MAX_REJECTED_SHARE = 0.5


@dataclass
class GammaRates:
    """Gamma posteriors for an array of Poisson rates (per year).

    Attributes
    ----------
    shape, rate : ndarray
        Posterior shape and rate parameters (mean = shape / rate).
    events, exposure : ndarray
        The data: event counts and child-years (exposure broadcast to
        ``shape``'s dimensions).
    """

    shape: np.ndarray
    rate: np.ndarray
    events: np.ndarray
    exposure: np.ndarray

    def mean(self) -> np.ndarray:
        return np.divide(self.shape, self.rate, out=np.zeros_like(self.shape), where=self.rate > 0)

    def sd(self) -> np.ndarray:
        return np.divide(np.sqrt(self.shape), self.rate, out=np.zeros_like(self.shape),
                         where=self.rate > 0)

    def interval(self, level: float = 0.95, draws: int = 4000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Equal-tailed credible interval by simulation (NumPy only, no SciPy)."""
        s = self.sample(draws, seed=seed)
        lo = (1 - level) / 2
        return np.quantile(s, lo, axis=0), np.quantile(s, 1 - lo, axis=0)

    def sample(self, size: int, seed: int | None = None) -> np.ndarray:
        """``size`` draws of the whole array: shape ``(size, *shape)``."""
        rng = np.random.default_rng(seed)
        scale = np.divide(1.0, self.rate, out=np.zeros_like(self.rate), where=self.rate > 0)
        return rng.gamma(np.broadcast_to(self.shape, (size,) + self.shape.shape),
                         np.broadcast_to(scale, (size,) + self.shape.shape))


def pooled_rates(events: np.ndarray, exposure: np.ndarray, prior_child_years: float = 1.0) -> GammaRates:
    """Hierarchical Gamma-Poisson shrinkage of rates (see module notes).

    Parameters
    ----------
    events : ndarray (A, P, T, F)
        Events by age band, placement, time-in-care band and flow.
    exposure : ndarray (A, P, T)
        Child-years in each state.
    prior_child_years : float
        ``k``: weight of the pooled prior, in child-years (>= 0).

    Examples
    --------
    One placement, two ages: 10 events in 10 years at age 0, nothing observed
    at age 1, which takes the pooled rate 10/10 = 1.

    >>> g = pooled_rates(np.array([[[[10.]]], [[[0.]]]]), np.array([[[10.]], [[0.]]]))
    >>> g.mean().ravel().tolist()
    [1.0, 1.0]
    """
    events = np.asarray(events, dtype=float)
    exposure = np.asarray(exposure, dtype=float)
    if events.ndim != 4 or exposure.shape != events.shape[:3]:
        raise ValueError(f"events must be (A, P, T, F) and exposure (A, P, T); got {events.shape} "
                         f"and {exposure.shape}")
    if np.any(events < 0) or np.any(exposure < 0) or not np.all(np.isfinite(events)) \
            or not np.all(np.isfinite(exposure)):
        raise ValueError("events and exposure must be finite and non-negative")
    k = float(prior_child_years)
    if not np.isfinite(k) or k < 0:
        raise ValueError(f"prior_child_years must be >= 0, got {prior_child_years}")
    x = exposure[..., None]
    e_p = events.sum(axis=(0, 2), keepdims=True)
    x_p = x.sum(axis=(0, 2), keepdims=True)
    m_p = np.divide(e_p, x_p, out=np.zeros_like(e_p), where=x_p > 0)
    e_pt = events.sum(axis=0, keepdims=True)
    x_pt = x.sum(axis=0, keepdims=True)
    denom = x_pt + k
    m_pt = np.divide(e_pt + k * m_p, denom, out=np.broadcast_to(m_p, e_pt.shape).copy(), where=denom > 0)
    shape = events + k * m_pt
    rate = np.broadcast_to(x + k, events.shape).astype(float)
    return GammaRates(shape=shape, rate=rate.copy(), events=events,
                      exposure=np.broadcast_to(x, events.shape).copy())


def _check_rejections(report, force: bool) -> list[str]:
    """Refuse (or, if forced, note) returns where most rows were left out for errors."""
    notes = []
    for table in ("episodes", "header"):
        share = report.rejected_share(table)
        if share <= MAX_REJECTED_SHARE:
            continue
        counts = (f"{report.rows_rejected.get(table, 0)} of {report.rows_read.get(table, 0)} {table} rows "
                  f"({share:.0%}) were left out for errors")
        if not force:
            raise ValueError(f"{counts}: a model fitted to the rest would misstate the council. Fix the "
                             "returns (see the data problems: a header row missing, dates in the wrong "
                             "order, ...) or calibrate with force=True (--force) to accept it")
        notes.append(f"CALIBRATED WITH force=True although {counts}.")
    return notes


@dataclass
class Calibration:
    """A calibrated model and everything behind it.

    Attributes
    ----------
    parameters : CareParameters
        Stock at the end of the window, entries per year, exit and move
        hazards (posterior means).
    exit_rates, move_rates : GammaRates
        Posteriors, shapes (A, P, T, E) and (A, P, T, P).
    entries_per_year : GammaRates
        Posterior of entries per year, shape (A, P).
    summary : Summary
        The facts over the window.
    prior_child_years : float
    """

    parameters: CareParameters
    exit_rates: GammaRates
    move_rates: GammaRates
    entries_per_year: GammaRates
    summary: Summary
    prior_child_years: float
    notes: list[str] = field(default_factory=list)

    def sample_parameters(self, size: int, seed: int | None = None) -> dict[str, np.ndarray]:
        """Draws for probabilistic sensitivity analysis.

        Returns a dict with ``exit_rates`` (size, A, P, T, E), ``move_rates``
        (size, A, P, T, P) and ``entries_per_year`` (size, A, P), drawn
        independently from the posteriors (``left_care_at_18`` and the move
        diagonal stay 0).
        """
        rng = np.random.default_rng(seed)
        s1, s2, s3 = (int(x) for x in rng.integers(0, 2 ** 63 - 1, 3))
        ex = self.exit_rates.sample(size, s1)
        mv = self.move_rates.sample(size, s2)
        # Gamma draws with a tiny shape can underflow to 0 (or 1e-300); floor them at 1e-12 a
        # year - nothing, numerically - so every draw has the same flows as the point estimate
        for draws, post in ((ex, self.exit_rates), (mv, self.move_rates)):
            np.maximum(draws, np.where(post.shape > 0, 1e-12, 0.0), out=draws)
        groups = self.parameters.exit_groups
        if "left_care_at_18" in groups:
            ex[..., groups.index("left_care_at_18")] = 0.0
        P = mv.shape[2]
        mv[:, :, np.arange(P), :, np.arange(P)] = 0.0
        return {"exit_rates": ex, "move_rates": mv, "entries_per_year": self.entries_per_year.sample(size, s3)}


def calibrate(returns: Returns, start, end, *, age_bands=SINGLE_YEAR_AGES,
              time_in_care_bands=TIME_IN_CARE_BANDS, prior_child_years: float = 1.0,
              name: str = "SSDA903 calibration", force: bool = False) -> Calibration:
    """Build a children-in-care model from returns over a reference window.

    Parameters
    ----------
    returns : Returns or path
        From :func:`carecast.ssda903.read_returns`, or a folder of returns
        (read leniently: rows with errors are left out; see ``.summary`` and
        the sources of the result for the counts).
    start, end : date or str
        Census dates bounding the reference window (e.g. ``"2018-03-31"``,
        ``"2020-03-31"``); the model starts on ``end`` with the stock on
        that day.
    age_bands, time_in_care_bands : sequences of lower bounds in years
        Age bands must be whole years.
    prior_child_years : float
        Weight of the pooled prior (see module notes).
    name : str
        Label of the model.
    force : bool
        Calibrate even when most rows were left out for errors (see
        "Refusing damaged data"); the sources of the model say so.

    Returns
    -------
    Calibration

    Raises
    ------
    ValueError
        If the window is empty, outside the data, or has no exposure; or if
        more than half the episode or header rows were rejected and
        ``force`` is False.
    """
    if isinstance(returns, (str, os.PathLike)):
        returns = read_returns(returns)
    if not isinstance(returns, Returns):
        raise TypeError("returns must be a carecast.ssda903.Returns (from read_returns) or a folder of returns")
    forced = _check_rejections(returns.report, force)
    s, e = to_days(start), to_days(end)
    if e <= s:
        raise ValueError(f"end ({format_date(e)}) must be after start ({format_date(s)})")
    if s < returns.data_start - 1 or e > returns.data_end - 1:
        raise ValueError(f"window {format_date(s)} to {format_date(e)} is outside the data "
                         f"({format_date(returns.data_start - 1)} to {format_date(returns.data_end - 1)})")
    summary = summarise(returns, np.datetime64(s, "D"), np.datetime64(e, "D"), age_bands=age_bands,
                        time_in_care_bands=time_in_care_bands)
    if summary.exposure.sum() <= 0:
        raise ValueError("no children in care in the window: nothing to calibrate from")
    years = summary.years
    exits_post = pooled_rates(summary.exits, summary.exposure, prior_child_years)
    move_events = summary.moves.copy()
    P = move_events.shape[1]
    move_events[:, np.arange(P), :, np.arange(P)] = 0.0
    moves_post = pooled_rates(move_events, summary.exposure, prior_child_years)
    moves_post.shape[:, np.arange(P), :, np.arange(P)] = 0.0
    entries_post = GammaRates(shape=summary.entries.copy(), rate=np.full(summary.entries.shape, years),
                              events=summary.entries.copy(), exposure=np.full(summary.entries.shape, years))
    exit_rates = exits_post.mean()
    groups = returns.taxonomy.exit_groups
    if "left_care_at_18" in groups:
        exit_rates[..., groups.index("left_care_at_18")] = 0.0
    move_rates = moves_post.mean()
    move_rates[:, np.arange(P), :, np.arange(P)] = 0.0
    files = ", ".join(returns.files)
    sources = [f"SSDA903 returns ({files}); reference window {format_date(s)} to {format_date(e)}; "
               f"{returns.n_episodes} episodes of {returns.n_children} children used; "
               f"data problems: {returns.report.n_errors} errors (rows left out), "
               f"{returns.report.n_warnings} warnings"] + forced
    assumptions = [
        f"Hazards are events / exposure over the window, shrunk towards the placement's all-age rate "
        f"for the same time in care with a Gamma prior worth {prior_child_years:g} child-year(s) "
        "(carecast.ssda903.calibration).",
        "Entries per year are the window's entries by age at entry and first placement divided by the "
        "window length; they carry on unchanged.",
        "Leaving care at 18 is ageing out; its hazard column is 0.",
        "Unit costs are not in SSDA903 returns: weekly_cost is 0 until set.",
    ]
    params = CareParameters(
        stock=summary.stock_end, entries_per_year=entries_post.mean(), exit_rates=exit_rates,
        move_rates=move_rates, age_bands=tuple(float(a) for a in age_bands),
        placements=returns.taxonomy.placements, time_in_care_bands=tuple(float(t) for t in time_in_care_bands),
        exit_groups=groups, start_date=to_date(e), name=name, sources=sources, assumptions=assumptions)
    return Calibration(parameters=params, exit_rates=exits_post, move_rates=moves_post,
                       entries_per_year=entries_post, summary=summary,
                       prior_child_years=float(prior_child_years))
