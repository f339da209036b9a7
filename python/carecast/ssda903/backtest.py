"""Backtesting: how well would a model fitted on the past have predicted what followed?

For each start date (a census date), :func:`backtest` calibrates on the
``window_years`` before it (:func:`carecast.ssda903.calibrate`), projects
``horizon_years`` ahead from the stock observed on the start date with the
children-in-care model (:func:`carecast.care.model.run`, monthly steps), and
compares the projected children in care by placement with the stock
observed in the returns on the same dates.

Measures, at the end of the horizon, over the start dates:

* error = projected - observed, by placement and in total;
* bias = mean error (positive: the model over-projects);
* MAPE = mean absolute percentage error, over cells with observed > 0;
* with ``draws > 0``, an interval from ``draws`` model runs, each with
  rates drawn from the calibration's Gamma posteriors and (with
  ``chance=True``, the default) whole children entering and leaving by
  chance (:func:`carecast.simulate`: Poisson entries, binomial exits), and
  whether it covered what happened. It does not carry changes in policy or
  in the rate of entries after the window, so expect coverage below its
  nominal level where those changed.

The draws of one start date run as one batch
(:func:`carecast.care.run_batch`: one :func:`carecast.simulate` call, or
:func:`carecast.project_batch` with ``chance=False``). Seeding: for each
start date one seed for the posterior draws and then one for the stochastic
runs are taken from ``numpy.random.default_rng(seed)``; draw ``k`` is
replicate (stream) ``k`` of the stochastic runs' seed. (Before the batch,
each draw took its own seed from that generator and ran as stream 0 of it,
so the intervals with chance - and their coverage - for a given ``seed``
differ from earlier versions' by chance alone. Intervals from rate
uncertainty only are unchanged.)

Examples
--------
>>> from carecast.ssda903 import read_returns, sample_returns_path
>>> result = backtest(read_returns(sample_returns_path()), window_years=2, horizon_years=1)
>>> [str(s) for s in result.starts]
['2019-03-31', '2020-03-31', '2021-03-31']
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from carecast.care.calendar import DAYS_PER_YEAR
from carecast.care.parameters import SINGLE_YEAR_AGES, TIME_IN_CARE_BANDS
from carecast.ssda903.calibration import calibrate
from carecast.ssda903.dates import add_years, format_date, to_date, to_days
from carecast.ssda903.facts import stock
from carecast.ssda903.reader import Returns

__all__ = ["BacktestResult", "backtest"]


@dataclass
class BacktestResult:
    """Projected against observed children in care, for several start dates.

    Attributes
    ----------
    starts : list of datetime.date
    dates : list of ndarray (datetime64[D])
        Step dates of each run (start, then monthly).
    projected, observed : list of ndarray (steps + 1, P)
        Children in care by placement on those dates.
    lower, upper : list of ndarray (P + 1,) or None
        Interval at the horizon, by placement then total (``draws > 0``
        only).
    placements : tuple of str
    window_years, horizon_years, level : float
    chance : bool
        Whether the intervals carry chance as well as rate uncertainty.
    """

    starts: list
    dates: list
    projected: list
    observed: list
    lower: list
    upper: list
    placements: tuple
    window_years: float
    horizon_years: float
    level: float = 0.9
    chance: bool = True

    def horizon_table(self) -> tuple[np.ndarray, np.ndarray]:
        """(projected, observed) at the horizon: arrays (runs, P + 1), the last column the total."""
        proj = np.array([np.append(p[-1], p[-1].sum()) for p in self.projected])
        obs = np.array([np.append(o[-1], o[-1].sum()) for o in self.observed])
        return proj, obs

    def error(self) -> np.ndarray:
        """Projected - observed at the horizon, (runs, P + 1)."""
        proj, obs = self.horizon_table()
        return proj - obs

    def bias(self) -> np.ndarray:
        """Mean error over the runs, (P + 1,)."""
        return self.error().mean(axis=0)

    def mape(self) -> np.ndarray:
        """Mean absolute percentage error over runs with observed > 0, (P + 1,); NaN where none."""
        proj, obs = self.horizon_table()
        with np.errstate(divide="ignore", invalid="ignore"):
            ape = np.where(obs > 0, np.abs(proj - obs) / obs * 100.0, np.nan)
        out = np.full(ape.shape[1], np.nan)
        for j in range(ape.shape[1]):
            col = ape[:, j][~np.isnan(ape[:, j])]
            if len(col):
                out[j] = col.mean()
        return out

    def coverage(self) -> float | None:
        """Share of (run, placement and total) cells whose interval held the observed count."""
        if not self.lower or self.lower[0] is None:
            return None
        _, obs = self.horizon_table()
        lo, hi = np.array(self.lower), np.array(self.upper)
        return float(((obs >= lo) & (obs <= hi)).mean())

    def to_text(self) -> str:
        """A plain-text report (counts only)."""
        names = list(self.placements) + ["total"]
        proj, obs = self.horizon_table()
        lines = [f"Backtest: fit on {self.window_years:g} years, project {self.horizon_years:g} years "
                 f"from each start; children in care at the horizon (projected / observed)"]
        w = max(len(n) for n in names) + 2
        lines.append(f"{'placement':<{w}}" + "".join(f"{str(s):>16}" for s in self.starts)
                     + f"{'bias':>9}{'MAPE %':>9}")
        bias, mape = self.bias(), self.mape()
        for j, n in enumerate(names):
            cells = "".join(f"{proj[i, j]:>8.1f}/{obs[i, j]:<7.0f}" for i in range(len(self.starts)))
            m = "-" if np.isnan(mape[j]) else f"{mape[j]:.1f}"
            lines.append(f"{n:<{w}}{cells}{bias[j]:>+9.1f}{m:>9}")
        cov = self.coverage()
        if cov is not None:
            lines.append(f"{self.level:.0%} intervals from the model's draws held the observed count in "
                         f"{cov:.0%} of cells ("
                         + ("rates and chance" if self.chance else "rate uncertainty only") + ")")
        return "\n".join(lines)

    def plot(self, path=None, ax=None):
        """Chart projected (lines) against observed (markers) children in care, total and by placement.

        Needs matplotlib (imported here, not with carecast). Saves to ``path``
        if given; returns the figure.
        """
        import matplotlib
        if path is not None and ax is None:
            matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
        if ax is None:
            fig, ax = plt.subplots(figsize=(9, 5))
        else:
            fig = ax.figure
        for i, _start in enumerate(self.starts):
            d = self.dates[i].astype("datetime64[D]").astype(object)
            ax.plot(d, self.projected[i].sum(axis=1), "-", color="black", lw=1.5,
                    label="projected" if i == 0 else None)
            ax.plot(d, self.observed[i].sum(axis=1), "o", color="grey", ms=3,
                    label="observed" if i == 0 else None)
            ax.axvline(d[0], color="0.8", lw=0.8, ls=":")
        ax.set_title(f"Backtest: children in care, projected from each start vs observed "
                     f"(fit on {self.window_years:g} years)")
        ax.set_ylabel("children in care")
        ax.legend()
        fig.autofmt_xdate()
        if path is not None:
            fig.savefig(path, dpi=120, bbox_inches="tight")
        return fig


def _census_dates(returns: Returns) -> list[int]:
    ends = sorted(returns.collection_end.values())
    first = int(add_years(np.int64(ends[0]), -1))
    return [first] + [int(e) for e in ends]


def backtest(returns: Returns, starts=None, *, window_years: float = 2.0, horizon_years: float = 1.0,
             age_bands=SINGLE_YEAR_AGES, time_in_care_bands=TIME_IN_CARE_BANDS,
             prior_child_years: float = 1.0, draws: int = 0, level: float = 0.9,
             seed: int = 0, chance: bool = True) -> BacktestResult:
    """Fit, project and compare for several start dates (see module notes).

    Parameters
    ----------
    returns : Returns
    starts : list of dates, optional
        Projection start dates. Default: every census date (31 March) with a
        full window before it and a full horizon after it in the data.
    window_years, horizon_years : float
        Length of the fitting window and of the projection, in years.
    age_bands, time_in_care_bands, prior_child_years
        Passed to :func:`carecast.ssda903.calibrate`.
    draws : int
        Model runs with rates drawn from the posteriors, for intervals (0 = none).
    level : float
        Interval level.
    seed : int
        Seed for the draws: each start date takes from it a seed for the
        posterior draws and, with ``chance``, one for the stochastic runs
        (draw ``k`` is stream ``k`` of it; see the module notes).
    chance : bool
        Each draw is also a stochastic run with whole children (the stock
        observed on the start date is whole), so the interval carries the
        chance in who enters and leaves as well as the rates' uncertainty.
    """
    from carecast.care.model import run, run_batch

    if not isinstance(returns, Returns):
        raise TypeError("returns must be a carecast.ssda903.Returns (from read_returns)")
    if not (0 < window_years <= 50) or not (0 < horizon_years <= 50):
        raise ValueError("window_years and horizon_years must be in (0, 50]")
    if not (0 < level < 1):
        raise ValueError("level must be in (0, 1)")
    first, last = returns.data_start - 1, returns.data_end - 1
    win_days = int(round(window_years * DAYS_PER_YEAR))
    hor_days = int(round(horizon_years * DAYS_PER_YEAR))
    if starts is None:
        start_days = [c for c in _census_dates(returns)
                      if c - win_days >= first - 1 and c + hor_days <= last + 1]
    else:
        start_days = [to_days(s) for s in starts]
    if not start_days:
        raise ValueError(f"no start date has {window_years:g} years of data before it and {horizon_years:g} "
                         f"after it (data {format_date(first)} to {format_date(last)})")
    out = BacktestResult([], [], [], [], [], [], tuple(returns.taxonomy.placements), float(window_years),
                         float(horizon_years), float(level), bool(chance))
    rng = np.random.default_rng(seed)
    for s in start_days:
        fit_from = max(s - win_days, first)
        if s + hor_days > last + 1:
            raise ValueError(f"start {format_date(s)}: the horizon runs past the data ({format_date(last)})")
        cal = calibrate(returns, np.datetime64(fit_from, "D"), np.datetime64(s, "D"), age_bands=age_bands,
                        time_in_care_bands=time_in_care_bands, prior_child_years=prior_child_years)
        result = run(cal.parameters, years=horizon_years, step="month", post_exit=False)
        dates = result.dates
        observed = np.array([stock(returns, d, age_bands=age_bands).sum(axis=(0, 2)) for d in dates])
        out.starts.append(to_date(s))
        out.dates.append(dates)
        out.projected.append(result.children_by_placement())
        out.observed.append(observed)
        if draws > 0:
            sample = cal.sample_parameters(draws, seed=int(rng.integers(0, 2 ** 62)))
            params = [cal.parameters.replace(exit_rates=sample["exit_rates"][k], move_rates=sample["move_rates"][k],
                                             entries_per_year=sample["entries_per_year"][k]) for k in range(draws)]
            batch = run_batch(params, years=horizon_years, step="month", post_exit=False, stochastic=chance,
                              seed=int(rng.integers(0, 2 ** 62)) if chance else None, threads=1,
                              keep_moved=False)
            last_rows = batch.children_by_placement()[:, -1]
            ends = np.column_stack([last_rows, last_rows.sum(axis=1)])
            q = (1 - level) / 2
            out.lower.append(np.quantile(ends, q, axis=0))
            out.upper.append(np.quantile(ends, 1 - q, axis=0))
        else:
            out.lower.append(None)
            out.upper.append(None)
    return out
