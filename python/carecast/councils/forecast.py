"""Forecasts of every council's children in care with 80% intervals, and their backtest.

The forecast
------------
For each council with a published stock at 31 March of the origin year, and
each later 31 March up to ``years`` ahead, the median and the 80% interval
of children looked after. The method (``"drift"``), chosen because in this
data nothing a council publishes predicts its next change much better than
no change at all (see the backtest below):

* ``log(stock[origin + h] / stock[origin]) = a_h + b_h * x1 + c_h * x2 + error``,
  with ``x1`` the council's rate per 10,000 children relative to the median
  rate of the councils of its region (mean reversion) and ``x2`` its last
  year's growth (momentum); the coefficients are fitted by least absolute
  deviations (the median) on every council and every earlier origin whose
  outcome ``h`` years on was already published at the origin;
* the 80% interval takes the 10th and 90th percentiles of those fits'
  errors among councils of a similar size (thirds by stock), because small
  councils swing more;
* where no earlier origin has an outcome ``h`` years on (the first years of
  the data), the median is the last published count and the interval the
  longest fitted horizon's, widened by ``sqrt(h / h_fitted)``; the ``note``
  column says so.

Nothing published after the origin is used: the panel is cut at the origin
year before anything is fitted (region medians, coefficients, errors), so a
raw folder truncated at the origin gives the same forecast
(:func:`truncate_raw` makes such a folder). The DfE's statistical
neighbours are *not* used, because the models in the data were published in
2021 and 2025, after most origins.

The backtest
------------
:func:`backtest` forecasts from every origin in turn and reports, by
horizon, the mean absolute percentage error (MAPE) and the share of
outcomes inside the 80% interval, beside two naive baselines on the same
council-years: persistence (the last published count) and a linear trend
through the last four years' published counts (at least three), and the
plain stock-and-flow step (last year's starts and exit rate).
"""
from __future__ import annotations

import csv
import io
import os
import re
import shutil
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from carecast.councils.dataset import Area, CouncilData
from carecast.councils.measures import BOUNDARY_CHANGES

__all__ = ["Forecast", "forecast", "backtest", "BacktestResult", "truncate_raw", "Panel"]

_ABOLISHED = {old: ch.year for ch in BOUNDARY_CHANGES for old in ch.abolished}
_CREATED = {new: ch.year for ch in BOUNDARY_CHANGES for new in ch.created}


class Panel:
    """Councils' published stocks, flows and populations, cut at ``last_year`` (nothing later is kept)."""

    def __init__(self, data: CouncilData, last_year: int):
        self.data = data
        self.last_year = int(last_year)
        self.councils: list[Area] = [a for a in data.areas if a.level == "local authority"]
        self.years = np.arange(int(data.years[0]), self.last_year + 1)
        n = len(self.years)

        def grab(measure: str) -> np.ndarray:
            m = data.measure_index(measure)
            rows = [a.index for a in self.councils]
            vals = data.values[rows, m, :n].copy()
            vals[data.codes[rows, m, :n] != 0] = np.nan
            return vals
        self.stock = grab("cla_31mar")
        self.starts = grab("starts")
        self.ceased = grab("ceased")
        ons = grab("population_0_17")      # mid-year y: for rates at 31 March y + 1
        dfe = grab("population_0_17_dfe")  # for 31 March y
        pop = np.full_like(self.stock, np.nan)
        pop[:, 1:] = ons[:, :-1]
        pop = np.where(np.isnan(dfe), pop, dfe)
        # carry the last published population forward (it changes slowly; some years are not published)
        for j in range(1, n):
            gap = np.isnan(pop[:, j])
            pop[gap, j] = pop[gap, j - 1]
        self.population = pop
        self.rate = self.stock / pop * 10000.0
        self.region = [a.region_code for a in self.councils]

    def col(self, year: int) -> int:
        return int(year) - int(self.years[0])

    def has(self, year: int) -> bool:
        return int(self.years[0]) <= int(year) <= self.last_year

    def features(self, year: int) -> np.ndarray:
        """(councils, 2): log rate relative to the region's median rate, and last year's log growth."""
        j = self.col(year)
        rate = self.rate[:, j]
        rel = np.zeros(len(self.councils))
        for region in set(self.region):
            idx = [i for i, r in enumerate(self.region) if r == region]
            vals = rate[idx]
            ok = np.isfinite(vals) & (vals > 0)
            if ok.sum() >= 3:
                med = np.median(vals[ok])
                rel[idx] = np.where(ok, np.log(np.where(ok, vals, 1.0) / med), 0.0)
        growth = np.zeros(len(self.councils))
        now = self.stock[:, j]
        if j >= 1:
            prev = self.stock[:, j - 1]
            ok = (now > 0) & (prev > 0)
            growth[ok] = np.log(now[ok] / prev[ok])
            if j >= 2:
                prev2 = self.stock[:, j - 2]
                two = ~ok & (now > 0) & (prev2 > 0)  # the year before is missing (2018): half the two-year change
                growth[two] = 0.5 * np.log(now[two] / prev2[two])
        return np.column_stack([rel, growth])


def _lad(X: np.ndarray, y: np.ndarray, iterations: int = 50) -> np.ndarray:
    """Least absolute deviations by iteratively reweighted least squares."""
    beta = np.linalg.lstsq(X, y, rcond=None)[0]
    for _ in range(iterations):
        r = np.abs(y - X @ beta)
        w = 1.0 / np.maximum(r, 1e-4)
        sw = np.sqrt(w)
        new = np.linalg.lstsq(X * sw[:, None], y * sw, rcond=None)[0]
        if np.max(np.abs(new - beta)) < 1e-10:
            beta = new
            break
        beta = new
    return beta


@dataclass
class _Fit:
    beta: np.ndarray
    size_edges: np.ndarray
    quantiles: np.ndarray  # (3 size groups, 2): lower and upper log-error quantiles
    pairs: int


def _fit(panel: Panel, h: int, lower_q: float, upper_q: float, min_pairs: int = 60) -> _Fit | None:
    """Coefficients and interval quantiles for horizon ``h`` from origins whose outcome is published."""
    X, y, size = [], [], []
    first = int(panel.years[0])
    for t in range(first + 1, panel.last_year - h + 1):
        now, later = panel.stock[:, panel.col(t)], panel.stock[:, panel.col(t + h)]
        ok = (now > 0) & (later > 0) & np.isfinite(now) & np.isfinite(later)
        if not ok.any():
            continue
        f = panel.features(t)[ok]
        X.append(np.column_stack([np.ones(ok.sum()), f]))
        y.append(np.log(later[ok] / now[ok]))
        size.append(now[ok])
    if not X or sum(len(v) for v in y) < min_pairs:
        return None
    Xa, ya, sa = np.vstack(X), np.concatenate(y), np.concatenate(size)
    beta = _lad(Xa, ya)
    resid = ya - Xa @ beta
    edges = np.quantile(sa, [1 / 3, 2 / 3])
    group = np.searchsorted(edges, sa)
    q = np.array([np.quantile(resid[group == g], [lower_q, upper_q]) if (group == g).sum() >= 10
                  else np.quantile(resid, [lower_q, upper_q]) for g in range(3)])
    return _Fit(beta=beta, size_edges=edges, quantiles=q, pairs=len(ya))


@dataclass
class Forecast:
    """Rows of ``council_code, council, year, median, lower80, upper80`` (and a ``note``)."""

    origin: int
    rows: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    coverage: float = 0.8

    def to_csv(self) -> str:
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow(["council_code", "council", "year", "median", "lower80", "upper80", "note"])
        for r in self.rows:
            w.writerow([r["council_code"], r["council"], r["year"], f"{r['median']:.0f}", f"{r['lower80']:.0f}",
                        f"{r['upper80']:.0f}", r["note"]])
        return out.getvalue()

    def to_text(self) -> str:
        lines = [f"Children looked after at 31 March: forecast from 31 March {self.origin} (median and 80% "
                 "interval)", ""]
        lines.append(f"{'council':<36}{'year':>6}{'median':>9}{'80% interval':>18}")
        for r in self.rows:
            lines.append(f"{r['council'][:35]:<36}{r['year']:>6}{r['median']:>9,.0f}"
                         f"{r['lower80']:>9,.0f} -{r['upper80']:>7,.0f}" + (f"  {r['note']}" if r["note"] else ""))
        lines += [""] + self.notes
        return "\n".join(lines)


def forecast(data: CouncilData, origin: int, years: int = 3, councils: list[Area] | None = None,
             coverage: float = 0.8) -> Forecast:
    """Median and ``coverage`` interval of every council's children in care 1..``years`` years after ``origin``.

    Only figures published for years up to ``origin`` are used. ``councils`` restricts the output
    (the fit always uses them all). Councils without a published stock at the origin, and those
    abolished by then, are left out (listed in the notes).
    """
    origin = int(origin)
    if not 1 <= years <= 10:
        raise ValueError(f"years must be 1 to 10, got {years}")
    first, last = int(data.years[0]), int(data.years[-1])
    if not first < origin <= last:
        raise ValueError(f"origin {origin} is outside the published years {first + 1}-{last}")
    panel = Panel(data, origin)
    lower_q, upper_q = (1 - coverage) / 2, 1 - (1 - coverage) / 2
    fits: dict[int, _Fit | None] = {h: _fit(panel, h, lower_q, upper_q) for h in range(1, years + 1)}
    fitted = [h for h, f in fits.items() if f is not None]
    if not fitted:
        # a folder too short to fit anything: fit horizon 1 even on few pairs, else refuse
        fits[1] = _fit(panel, 1, lower_q, upper_q, min_pairs=10)
        fitted = [1] if fits[1] is not None else []
    if not fitted:
        raise ValueError(f"no two consecutive published years of stock up to {origin}: nothing to fit a "
                         "forecast on")
    j = panel.col(origin)
    now = panel.stock[:, j]
    feats = panel.features(origin)
    wanted = None if councils is None else {a.code for a in councils}
    out = Forecast(origin=origin, coverage=coverage)
    skipped = []
    for i, area in enumerate(panel.councils):
        if wanted is not None and area.code not in wanted:
            continue
        if area.old_code in _ABOLISHED and _ABOLISHED[area.old_code] <= origin:
            continue  # abolished by the origin (known in advance: the orders were made a year or more before)
        if area.old_code in _CREATED and _CREATED[area.old_code] >= origin and wanted is None:
            continue  # not yet a council at the origin
        if not (np.isfinite(now[i]) and now[i] > 0):
            if wanted is not None or area.old_code not in _ABOLISHED:
                skipped.append(area.name)
            continue
        for h in range(1, years + 1):
            if origin + h > _ABOLISHED.get(area.old_code or "", 9999):
                break  # no 31 March after its abolition
            fit = fits.get(h)
            note = ""
            if fit is None:
                hf = max(fitted)
                base = fits[hf]
                assert base is not None
                centre = 0.0
                group = int(np.searchsorted(base.size_edges, now[i]))
                lo, hi = base.quantiles[group] * np.sqrt(h / hf)
                note = (f"no outcome {h} years on was published by {origin}: last count, interval of the "
                        f"{hf}-year fit widened")
            else:
                centre = float(fit.beta @ np.r_[1.0, feats[i]])
                group = int(np.searchsorted(fit.size_edges, now[i]))
                lo, hi = fit.quantiles[group]
            out.rows.append({"council_code": area.code, "council": area.name, "year": origin + h,
                             "median": float(now[i] * np.exp(centre)), "lower80": float(now[i] * np.exp(centre + lo)),
                             "upper80": float(now[i] * np.exp(centre + hi)), "note": note})
    if skipped:
        out.notes.append(f"No published children looked after at 31 March {origin} for: {', '.join(skipped)}")
    for h in fitted:
        f = fits[h]
        assert f is not None
        out.notes.append(f"{h}-year fit on {f.pairs:,} council-years published by {origin}: drift "
                         f"{f.beta[0]:+.3f}, rate relative to the region {f.beta[1]:+.3f}, last year's growth "
                         f"{f.beta[2]:+.3f} (log scale)")
    out.notes.append(data.licence)
    return out


# --- backtest --------------------------------------------------------------------------------------------

@dataclass
class BacktestResult:
    """MAPE (percent) and 80% coverage by horizon, with the baselines on the same council-years."""

    origins: list[int]
    horizons: list[int]
    n: dict[int, int]
    mape: dict[str, dict[int, float]]
    coverage: dict[int, float]
    per_origin: dict[int, dict[int, tuple[float, float, int]]]  # origin -> h -> (mape, persistence mape, n)

    def to_text(self) -> str:
        lines = [f"Backtest over all councils, origins {self.origins[0]}-{self.origins[-1]} (each forecast uses "
                 "only figures published up to its origin)", ""]
        head = f"{'method':<34}" + "".join(f"{f'{h} year' + ('s' if h > 1 else ''):>10}" for h in self.horizons)
        lines.append("Mean absolute percentage error")
        lines.append(head)
        for name, label in (("forecast", "carecast forecast (drift)"), ("persistence", "persistence (last count)"),
                            ("trend", "4-year linear trend"), ("stock_flow", "stock-and-flow, last year's rates"),
                            ("care_model", "care model, 3-year mean rates")):
            if name not in self.mape:
                continue
            lines.append(f"{label:<34}" + "".join(f"{self.mape[name][h]:>9.1f}%" for h in self.horizons))
        lines.append(f"{'forecast vs persistence':<34}" + "".join(
            f"{100 * (self.mape['forecast'][h] / self.mape['persistence'][h] - 1):>+9.1f}%" for h in self.horizons))
        lines.append("")
        lines.append(f"{'80% interval holds the outcome':<34}" + "".join(
            f"{100 * self.coverage[h]:>9.1f}%" for h in self.horizons))
        lines.append(f"{'council-years':<34}" + "".join(f"{self.n[h]:>10,}" for h in self.horizons))
        return "\n".join(lines)


def _trend(panel: Panel, i: int, origin: int, h: int) -> float:
    ys = np.arange(origin - 3, origin + 1)
    vals = np.array([panel.stock[i, panel.col(int(y))] if panel.has(int(y)) else np.nan for y in ys])
    ok = np.isfinite(vals)
    if ok.sum() < 3:
        return float(panel.stock[i, panel.col(origin)])
    b = np.polyfit(ys[ok], vals[ok], 1)
    return float(b[0] * (origin + h) + b[1])


def _stock_flow(panel: Panel, i: int, origin: int, h: int) -> float:
    j = panel.col(origin)
    n, s, c = panel.stock[i, j], panel.starts[i, j], panel.ceased[i, j]
    prev = panel.stock[i, j - 1] if j >= 1 and np.isfinite(panel.stock[i, j - 1]) else n
    if not (np.isfinite(s) and np.isfinite(c)):
        return float(n)
    rate = c / ((n + prev) / 2.0)
    for _ in range(h):
        n = n + s - rate * n
    return float(n)


def _care_model(area: Area, origin: int, horizons: int, flow_years: int = 1) -> list[float] | None:
    """Children in care at each 31 March after ``origin`` from the council's care model (last year's rates)."""
    from carecast.care.model import run
    from carecast.councils.model import CouncilModelError, council_parameters
    try:
        p = council_parameters(area, origin, flow_years=flow_years)
    except CouncilModelError:
        return None
    c = run(p, years=horizons, step="month", post_exit=False).children_in_care()
    return [float(c[12 * h]) for h in range(1, horizons + 1)]


def backtest(data: CouncilData, origins: list[int] | range = range(2014, 2024), horizons: int = 3, *,
             care_model: bool = True) -> BacktestResult:
    """Forecast from each origin with only what was published by then; score against what was published later.

    ``care_model`` also scores the council's care model (:func:`~carecast.councils.model.council_parameters`
    at the origin with ``flow_years=3``, run on with the mean entries and hazards of the last three years;
    with last year's alone it errs by 6.8%, 10.4% and 13.2% at one to three years, origins 2014-2023).
    """
    origins = [int(o) for o in origins]
    full = Panel(data, int(data.years[-1]))
    methods = ("forecast", "persistence", "trend", "stock_flow") + (("care_model",) if care_model else ())
    errs: dict[str, dict[int, list[float]]] = {k: {h: [] for h in range(1, horizons + 1)} for k in methods}
    inside: dict[int, list[bool]] = {h: [] for h in range(1, horizons + 1)}
    per_origin: dict[int, dict[int, tuple[float, float, int]]] = {}
    row_of = {a.code: i for i, a in enumerate(full.councils)}
    for origin in origins:
        fc = forecast(data, origin, horizons)
        panel = Panel(data, origin)
        by_h: dict[int, list[tuple[float, float]]] = {h: [] for h in range(1, horizons + 1)}
        models: dict[str, list[float] | None] = {}
        for r in fc.rows:
            h = r["year"] - origin
            i = row_of[r["council_code"]]
            if not full.has(r["year"]):
                continue
            obs = full.stock[i, full.col(r["year"])]
            if not (np.isfinite(obs) and obs > 0):
                continue
            last = panel.stock[i, panel.col(origin)]
            errs["forecast"][h].append(abs(r["median"] - obs) / obs)
            errs["persistence"][h].append(abs(last - obs) / obs)
            errs["trend"][h].append(abs(_trend(panel, i, origin, h) - obs) / obs)
            errs["stock_flow"][h].append(abs(_stock_flow(panel, i, origin, h) - obs) / obs)
            if care_model:
                code = r["council_code"]
                if code not in models:
                    models[code] = _care_model(full.councils[i], origin, horizons, flow_years=3)
                m = models[code]
                errs["care_model"][h].append(abs((m[h - 1] if m else last) - obs) / obs)
            inside[h].append(r["lower80"] <= obs <= r["upper80"])
            by_h[h].append((abs(r["median"] - obs) / obs, abs(last - obs) / obs))
        per_origin[origin] = {h: (100 * float(np.mean([a for a, _ in v])), 100 * float(np.mean([b for _, b in v])),
                                  len(v)) for h, v in by_h.items() if v}
    hs = [h for h in range(1, horizons + 1) if errs["forecast"][h]]
    return BacktestResult(
        origins=origins, horizons=hs, n={h: len(errs["forecast"][h]) for h in hs},
        mape={k: {h: 100 * float(np.mean(v[h])) for h in hs} for k, v in errs.items()},
        coverage={h: float(np.mean(inside[h])) for h in hs}, per_origin=per_origin)


# --- a raw folder cut at a year --------------------------------------------------------------------------

def truncate_raw(src: str | os.PathLike[str], dst: str | os.PathLike[str], year: int) -> None:
    """Copy a raw folder keeping only what covers years up to ``year``.

    ``cla_2010_2017/YEAR`` folders after ``year`` are left out; rows of tidy files whose
    ``time_period`` is after ``year`` are dropped (byte for byte otherwise); spreadsheets of a
    financial year ending after 31 March ``year`` (``RO3_..._2024-25_...``) are left out; files
    without a ``time_period`` (statistical neighbours, lookups, metadata) are copied whole.
    """
    src, dst = os.fspath(src), os.fspath(dst)
    for root, _dirs, files in os.walk(src):
        rel = os.path.relpath(root, src)
        parts = rel.split(os.sep)
        if len(parts) >= 2 and parts[0] == "cla_2010_2017" and re.match(r"^\d{4}$", parts[1]) \
                and int(parts[1]) > year:
            continue
        os.makedirs(os.path.join(dst, rel), exist_ok=True)
        for f in files:
            s, d = os.path.join(root, f), os.path.join(dst, rel, f)
            if not f.lower().endswith(".csv"):
                fy = re.search(r"_(\d{4})-(\d{2})_", f)  # a revenue outturn of financial year YYYY-YY
                if fy and int(fy.group(1)) + 1 > year:
                    continue
                shutil.copyfile(s, d)
                continue
            with open(s, encoding="utf-8-sig", newline="") as fh:
                lines = fh.read().splitlines(keepends=True)
            if not lines:
                shutil.copyfile(s, d)
                continue
            header = next(csv.reader([lines[0]]))
            names = [h.strip() for h in header]
            if "time_period" not in names:
                shutil.copyfile(s, d)
                continue
            k = names.index("time_period")
            kept = [lines[0]]
            for line in lines[1:]:
                row = next(csv.reader([line]), [])
                t = row[k].strip() if k < len(row) else ""
                y = int(t[:4]) + (1 if len(t) == 6 else 0) if re.match(r"^\d{4}(\d{2})?$", t) else None
                if y is None or y <= year:
                    kept.append(line)
            with open(d, "w", encoding="utf-8", newline="") as fh:
                fh.writelines(kept)
