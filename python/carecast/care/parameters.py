"""Parameters of the children-in-care model: the contract shared with calibration.

A :class:`CareParameters` holds everything needed to project a council's
children in care and what they cost: the stock at a start date, entries,
exit and placement-move hazards, and unit costs. It is plain data (NumPy
arrays, numbers and strings); the SSDA903 calibration builds one from a
council's returns, the built-in examples build one from public figures, and a
scenario file stores one in TOML.

Dimensions
----------
``A`` age bands (lower bounds in years; the last band ends at 18),
``P`` placement types, ``T`` time-in-care bands (lower bounds in years; the
last band is open-ended), ``E`` exit groups.

Units and conventions
---------------------
* Rates are hazards per year (competing risks within a step), never
  probabilities, so the same parameters give consistent results whatever the
  step length.
* ``entries_per_year[a, p]`` counts children entering care per year whose age
  at entry is in band ``a`` and whose first placement is ``p``. Entrants start
  in the first time-in-care band. A 3-D array ``(Y, A, P)`` gives entries for
  year ``y`` after the start date (the last year carries on).
* Money is in pounds sterling. ``weekly_cost`` is cash at the prices of the
  financial year ``price_year`` (written ``"2016-17"``); costs are uprated by
  ``cost_inflation`` a year in cash terms, deflated by ``general_inflation``
  for real terms, and discounted with ``discount_rate`` (``None`` = HM
  Treasury Green Book schedule).
* Leaving care at 18 happens by ageing out of the last age band, so the
  ``left_care_at_18`` column of ``exit_rates`` is normally 0.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from carecast.care.taxonomy import EXIT_GROUPS, PLACEMENTS

__all__ = ["CareParameters", "SINGLE_YEAR_AGES", "TIME_IN_CARE_BANDS", "MAX_AGE", "entries_from_rate",
           "population_by_age_band", "parse_price_year"]

#: Nobody is in care at or after this age (years).
MAX_AGE = 18.0
#: Single-year age bands 0, 1, ..., 17.
SINGLE_YEAR_AGES: tuple[float, ...] = tuple(float(a) for a in range(18))
#: Time-in-care bands: under 3 months, 3-6 months, 6-12 months, 1-2 years, 2+ years.
TIME_IN_CARE_BANDS: tuple[float, ...] = (0.0, 0.25, 0.5, 1.0, 2.0)

_PRICE_YEAR = re.compile(r"^(\d{4})-(\d{2})$")


def _bands(name: str, values: Sequence[float], upper: float | None) -> tuple[float, ...]:
    try:
        bands = tuple(float(v) for v in values)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a sequence of numbers, got {values!r}") from None
    if not bands:
        raise ValueError(f"{name} must have at least one band")
    if bands[0] != 0.0:
        raise ValueError(f"{name}[0] must be 0 (the lowest band starts at 0), got {bands[0]}")
    for i in range(1, len(bands)):
        if not bands[i] > bands[i - 1]:
            raise ValueError(f"{name} must be strictly increasing: {name}[{i}] = {bands[i]} "
                             f"<= {name}[{i - 1}] = {bands[i - 1]}")
    if any(not np.isfinite(b) for b in bands):
        raise ValueError(f"{name} must be finite")
    if upper is not None and bands[-1] >= upper:
        raise ValueError(f"{name}[{len(bands) - 1}] = {bands[-1]} must be below {upper}")
    return bands


def _array(name: str, value: Any, shapes: Sequence[tuple[int, ...]]) -> np.ndarray:
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be an array of numbers") from None
    if arr.shape not in [tuple(s) for s in shapes]:
        wanted = " or ".join(str(tuple(s)) for s in shapes)
        raise ValueError(f"{name} has shape {arr.shape}, expected {wanted}")
    bad = ~np.isfinite(arr)
    if bad.any():
        raise ValueError(f"{name} has a non-finite value at index {tuple(int(i) for i in np.argwhere(bad)[0])}")
    neg = arr < 0
    if neg.any():
        raise ValueError(f"{name} has a negative value at index {tuple(int(i) for i in np.argwhere(neg)[0])}")
    return arr


def _number(name: str, value: Any, *, low: float | None = 0.0, high: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    v = float(value)
    if not np.isfinite(v):
        raise ValueError(f"{name} must be finite, got {v}")
    if low is not None and v < low:
        raise ValueError(f"{name} must be >= {low}, got {v}")
    if high is not None and v > high:
        raise ValueError(f"{name} must be <= {high}, got {v}")
    return v


def parse_price_year(price_year: str) -> int:
    """Return the calendar year in which financial year ``"YYYY-YY"`` starts.

    Examples
    --------
    >>> parse_price_year("2016-17")
    2016
    """
    m = _PRICE_YEAR.match(str(price_year))
    if not m or (int(m.group(1)) + 1) % 100 != int(m.group(2)):
        raise ValueError(f"price_year must be a financial year like '2016-17', got {price_year!r}")
    return int(m.group(1))


@dataclass
class CareParameters:
    """Everything needed to project children in care and their costs.

    Parameters
    ----------
    stock : array (A, P, T)
        Children in care at ``start_date`` by age band, placement and
        time-in-care band.
    entries_per_year : array (A, P) or (Y, A, P)
        Children entering care per year by age band at entry and first
        placement; a leading year axis gives year-by-year entries counted from
        ``start_date`` (the last year carries on).
    exit_rates : array (A, P, T, E)
        Hazards per year of leaving care to each exit group.
    move_rates : array (A, P, T, P)
        Hazards per year of moving from placement ``p`` to ``q`` (the diagonal
        must be 0).
    age_bands, placements, time_in_care_bands, exit_groups : tuples
        Labels of the four dimensions (defaults: single years 0-17, the
        placements and exit groups of :mod:`carecast.care.taxonomy`, no
        time-in-care bands).
    start_date : datetime.date
        Date of ``stock`` (usually 31 March, the SSDA903 census date).
    name : str
        Short label shown in output (council or example name).
    weekly_cost : array (P,)
        Cost per child per week in each placement, cash at ``price_year``
        prices. Default zeros.
    price_year : str
        Financial year of the prices, ``"YYYY-YY"``.
    cost_sources : dict
        Placement name to the source of its weekly cost.
    entry_cost : float
        One-off cost per child entering care (assessment, placement finding).
    proceedings_cost, proceedings_share : float
        Cost of care proceedings and the share of entries that go through them.
    move_cost : float
        One-off cost per placement move.
    exit_costs : array (E,)
        One-off cost per exit by group (e.g. adoption fees).
    care_leaver_weekly_cost : float
        Weekly cost per care leaver aged 18-25 (leaving care and staying-put
        support) for those who left care at 18.
    sgo_allowance_weekly, sgo_allowance_share : float
        Weekly special guardianship / child arrangements allowance and the
        share of such exits receiving it, paid until the child is 18.
    adoption_allowance_weekly, adoption_allowance_share : float
        The same for adoption allowances.
    cost_inflation : float
        Annual growth of unit costs in cash terms.
    general_inflation : float
        Annual general inflation (GDP deflator) used to express cash as real
        terms at ``price_year`` prices.
    discount_rate : float or None
        Flat annual discount rate, or ``None`` for the HM Treasury Green Book
        schedule (3.5% for 30 years, then declining).
    sources, assumptions : list of str
        Where the figures come from, and what had to be assumed.

    Examples
    --------
    >>> import numpy as np
    >>> p = CareParameters.empty(age_bands=(0, 10), placements=("foster", "residential"))
    >>> p.stock[0, 0, 0] = 5.0
    >>> p.shape
    (2, 2, 1, 5)
    >>> p.total_stock()
    5.0
    """

    stock: np.ndarray
    entries_per_year: np.ndarray
    exit_rates: np.ndarray
    move_rates: np.ndarray
    age_bands: tuple[float, ...] = SINGLE_YEAR_AGES
    placements: tuple[str, ...] = PLACEMENTS
    time_in_care_bands: tuple[float, ...] = (0.0,)
    exit_groups: tuple[str, ...] = EXIT_GROUPS
    start_date: _dt.date = _dt.date(2024, 3, 31)
    name: str = "unnamed"
    weekly_cost: np.ndarray | None = None
    price_year: str = "2023-24"
    cost_sources: dict[str, str] = field(default_factory=dict)
    entry_cost: float = 0.0
    proceedings_cost: float = 0.0
    proceedings_share: float = 0.0
    move_cost: float = 0.0
    exit_costs: np.ndarray | None = None
    care_leaver_weekly_cost: float = 0.0
    sgo_allowance_weekly: float = 0.0
    sgo_allowance_share: float = 0.0
    adoption_allowance_weekly: float = 0.0
    adoption_allowance_share: float = 0.0
    cost_inflation: float = 0.0
    general_inflation: float = 0.0
    discount_rate: float | None = None
    sources: list[str] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Check and normalise every field; raise ValueError/TypeError naming it.

        Called on construction; call again after changing fields in place.
        """
        self.age_bands = _bands("age_bands", self.age_bands, MAX_AGE)
        self.time_in_care_bands = _bands("time_in_care_bands", self.time_in_care_bands, None)
        for label in ("placements", "exit_groups"):
            names = getattr(self, label)
            if isinstance(names, str) or not all(isinstance(n, str) and n for n in names):
                raise TypeError(f"{label} must be a sequence of non-empty strings")
            names = tuple(names)
            if not names:
                raise ValueError(f"{label} must not be empty")
            if len(set(names)) != len(names):
                raise ValueError(f"{label} has duplicate names: {names}")
            setattr(self, label, names)
        if "left_care_at_18" not in self.exit_groups:
            raise ValueError("exit_groups must include 'left_care_at_18' (where ageing out goes)")
        a, p, t, e = self.shape
        self.stock = _array("stock", self.stock, [(a, p, t)])
        years = np.shape(self.entries_per_year)[0] if np.ndim(self.entries_per_year) == 3 else 0
        self.entries_per_year = _array("entries_per_year", self.entries_per_year,
                                       [(a, p)] + ([(years, a, p)] if years > 0 else []))
        self.exit_rates = _array("exit_rates", self.exit_rates, [(a, p, t, e)])
        self.move_rates = _array("move_rates", self.move_rates, [(a, p, t, p)])
        diag = self.move_rates[:, np.arange(p), :, np.arange(p)]
        if np.any(diag != 0):
            idx = np.argwhere(diag != 0)[0]
            raise ValueError(f"move_rates must be 0 on the diagonal (a move to the same placement); "
                             f"placement {self.placements[idx[0]]!r} has {diag[tuple(idx)]}")
        self.weekly_cost = (np.zeros(p) if self.weekly_cost is None
                            else _array("weekly_cost", self.weekly_cost, [(p,)]))
        self.exit_costs = (np.zeros(e) if self.exit_costs is None
                           else _array("exit_costs", self.exit_costs, [(e,)]))
        parse_price_year(self.price_year)
        for name in ("entry_cost", "proceedings_cost", "move_cost", "care_leaver_weekly_cost",
                     "sgo_allowance_weekly", "adoption_allowance_weekly"):
            setattr(self, name, _number(name, getattr(self, name)))
        for name in ("proceedings_share", "sgo_allowance_share", "adoption_allowance_share"):
            setattr(self, name, _number(name, getattr(self, name), high=1.0))
        for name in ("cost_inflation", "general_inflation"):
            setattr(self, name, _number(name, getattr(self, name), low=-0.5, high=1.0))
        if self.discount_rate is not None:
            self.discount_rate = _number("discount_rate", self.discount_rate, low=0.0, high=1.0)
        if isinstance(self.start_date, _dt.datetime):
            self.start_date = self.start_date.date()
        if not isinstance(self.start_date, _dt.date):
            raise TypeError(f"start_date must be a datetime.date, got {type(self.start_date).__name__}")
        if not isinstance(self.cost_sources, dict):
            raise TypeError("cost_sources must be a dict of placement name to source")
        unknown = set(self.cost_sources) - set(self.placements)
        if unknown:
            raise ValueError(f"cost_sources names unknown placements: {sorted(unknown)}")
        self.sources = [str(s) for s in self.sources]
        self.assumptions = [str(s) for s in self.assumptions]
        self.name = str(self.name)

    @property
    def shape(self) -> tuple[int, int, int, int]:
        """``(A, P, T, E)``: numbers of age bands, placements, time-in-care bands, exit groups."""
        return (len(self.age_bands), len(self.placements), len(self.time_in_care_bands),
                len(self.exit_groups))

    def total_stock(self) -> float:
        """Children in care at the start date."""
        return float(self.stock.sum())

    def age_band_widths(self) -> np.ndarray:
        """Width in years of each age band (the last ends at 18)."""
        edges = np.append(np.asarray(self.age_bands), MAX_AGE)
        return np.diff(edges)

    def replace(self, **changes: Any) -> CareParameters:
        """A copy with some fields changed (arrays are copied, then validated)."""
        copied = {f.name: _copy(getattr(self, f.name)) for f in dataclasses.fields(self)}
        copied.update(changes)
        return CareParameters(**copied)

    @classmethod
    def empty(cls, *, age_bands: Sequence[float] = SINGLE_YEAR_AGES,
              placements: Sequence[str] = PLACEMENTS,
              time_in_care_bands: Sequence[float] = (0.0,),
              exit_groups: Sequence[str] = EXIT_GROUPS, **fields: Any) -> CareParameters:
        """Parameters with the given dimensions and every array zero.

        Calibration fills the arrays in place, then calls :meth:`validate`.
        """
        a, p, t, e = len(age_bands), len(placements), len(time_in_care_bands), len(exit_groups)
        return cls(stock=np.zeros((a, p, t)), entries_per_year=np.zeros((a, p)),
                   exit_rates=np.zeros((a, p, t, e)), move_rates=np.zeros((a, p, t, p)),
                   age_bands=tuple(age_bands), placements=tuple(placements),
                   time_in_care_bands=tuple(time_in_care_bands), exit_groups=tuple(exit_groups),
                   **fields)


def _copy(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, (list, dict)):
        return type(value)(value)
    return value


def population_by_age_band(population_by_single_year: Any, age_bands: Sequence[float]) -> np.ndarray:
    """Sum a child-population projection by single year of age (0..17) into age bands.

    Parameters
    ----------
    population_by_single_year : array (18,) or (Y, 18)
        Children aged 0, 1, ..., 17 (a leading axis for years of a projection).
    age_bands : sequence of float
        Whole-year lower bounds, starting at 0.

    Examples
    --------
    >>> population_by_age_band(list(range(18)), (0, 1, 5, 10, 16)).tolist()
    [0.0, 10.0, 35.0, 75.0, 33.0]
    """
    pop = _array("population_by_single_year", population_by_single_year,
                 [(18,)] + ([(np.shape(population_by_single_year)[0], 18)]
                            if np.ndim(population_by_single_year) == 2 else []))
    bands = _bands("age_bands", age_bands, MAX_AGE)
    if any(not float(b).is_integer() for b in bands):
        raise ValueError("age_bands must be whole years to sum a single-year population")
    edges = [int(b) for b in bands] + [18]
    return np.stack([pop[..., lo:hi].sum(axis=-1) for lo, hi in zip(edges[:-1], edges[1:])], axis=-1)


def entries_from_rate(rate_per_10000: Any, population: Any) -> np.ndarray:
    """Entries per year from a rate per 10,000 children and a child-population projection.

    Parameters
    ----------
    rate_per_10000 : array (A, P)
        Children entering care a year per 10,000 children of each age band,
        by first placement.
    population : array (A,) or (Y, A)
        Children in each age band (a leading axis: year by year from the start
        date, as :class:`CareParameters` takes ``entries_per_year``).

    Returns
    -------
    ndarray (A, P) or (Y, A, P)
        ``rate_per_10000 / 10000 * population``, ready for ``entries_per_year``.

    Examples
    --------
    >>> entries_from_rate([[20.0, 5.0]], [[50_000.0], [55_000.0]]).tolist()
    [[[100.0, 25.0]], [[110.0, 27.5]]]
    """
    rate = np.array(rate_per_10000, dtype=np.float64)
    if rate.ndim != 2:
        raise ValueError(f"rate_per_10000 must be 2-D (age band, placement), got shape {rate.shape}")
    rate = _array("rate_per_10000", rate, [rate.shape])
    a = rate.shape[0]
    pop = np.array(population, dtype=np.float64)
    pop = _array("population", pop, [(a,)] + ([(pop.shape[0], a)] if pop.ndim == 2 else []))
    return rate / 10000.0 * pop[..., None]
