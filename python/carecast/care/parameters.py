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

from carecast import checks
from carecast.care.taxonomy import EXIT_GROUPS, PLACEMENTS

__all__ = ["CareParameters", "SINGLE_YEAR_AGES", "TIME_IN_CARE_BANDS", "MAX_AGE", "entries_from_rate",
           "population_by_age_band", "parse_price_year", "age_axis", "time_in_care_axis", "ARRAY_FIELDS",
           "SCALAR_BOUNDS", "EARLIEST_START", "LATEST_START"]

#: Nobody is in care at or after this age (years).
MAX_AGE = 18.0
#: Single-year age bands 0, 1, ..., 17.
SINGLE_YEAR_AGES: tuple[float, ...] = tuple(float(a) for a in range(18))
#: Time-in-care bands: under 3 months, 3-6 months, 6-12 months, 1-2 years, 2+ years.
TIME_IN_CARE_BANDS: tuple[float, ...] = (0.0, 0.25, 0.5, 1.0, 2.0)

_PRICE_YEAR = re.compile(r"^(\d{4})-(\d{2})$")

#: Fields holding arrays (their dimension order is documented on CareParameters).
ARRAY_FIELDS = ("stock", "entries_per_year", "exit_rates", "move_rates", "weekly_cost", "exit_costs")
#: Number fields and their inclusive bounds (low, high): costs >= 0, shares in [0, 1].
SCALAR_BOUNDS: dict[str, tuple[float, float | None]] = {
    "entry_cost": (0.0, None), "proceedings_cost": (0.0, None), "move_cost": (0.0, None),
    "care_leaver_weekly_cost": (0.0, None), "sgo_allowance_weekly": (0.0, None),
    "adoption_allowance_weekly": (0.0, None),
    "proceedings_share": (0.0, 1.0), "sgo_allowance_share": (0.0, 1.0), "adoption_allowance_share": (0.0, 1.0),
    "cost_inflation": (-0.5, 1.0), "general_inflation": (-0.5, 1.0)}
#: Range of start dates accepted (a census date outside it is a typing mistake, e.g. 9999-12-31).
EARLIEST_START = _dt.date(1950, 1, 1)
LATEST_START = _dt.date(2100, 12, 31)


def _age_label(lo: float, hi: float) -> str:
    if float(lo).is_integer() and float(hi).is_integer():
        return f"age {int(lo)}" if hi - lo == 1 else f"age {int(lo)}-{int(hi) - 1}"
    return f"age {lo:g}-{hi:g}"


def _time_label(lo: float, hi: float | None) -> str:
    if hi is None:
        if not lo:
            return "in care"
        return f"in care {lo * 12:g}+ months" if lo < 1 and float(lo * 12).is_integer() else f"in care {lo:g}+ years"
    if hi <= 1 and float(hi * 12).is_integer() and float(lo * 12).is_integer():
        return f"in care {lo * 12:g}-{hi * 12:g} months"
    return f"in care {lo:g}-{hi:g} years"


def age_axis(age_bands: Sequence[float]) -> checks.Axis:
    """Labels of age bands for error messages: ``age 0``, ``age 1-4``, ..., ``age 16-17``."""
    edges = list(age_bands) + [MAX_AGE]
    return checks.Axis("age bands", tuple(_age_label(lo, hi) for lo, hi in zip(edges[:-1], edges[1:])))


def time_in_care_axis(time_in_care_bands: Sequence[float]) -> checks.Axis:
    """Labels of time-in-care bands: ``in care 0-3 months``, ..., ``in care 2+ years``."""
    edges: list[float | None] = list(time_in_care_bands) + [None]
    return checks.Axis("time-in-care bands", tuple(_time_label(lo, hi)  # type: ignore[arg-type]
                                                   for lo, hi in zip(edges[:-1], edges[1:])))


def parse_price_year(price_year: str) -> int:
    """Return the calendar year in which financial year ``"YYYY-YY"`` starts.

    Examples
    --------
    >>> parse_price_year("2016-17")
    2016
    """
    if not isinstance(price_year, str):
        raise checks.FieldTypeError("price_year", f"must be a financial year like \"2016-17\" (in quotes), "
                                                  f"got {price_year!r}")
    m = _PRICE_YEAR.match(price_year)
    if not m or (int(m.group(1)) + 1) % 100 != int(m.group(2)):
        raise checks.FieldError("price_year", f"must be a financial year like '2016-17', got {price_year!r}")
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
        """Check and normalise every field; raise :class:`carecast.checks.FieldError` naming it.

        A ``FieldError`` is a ``ValueError`` (``FieldTypeError`` also a
        ``TypeError``) carrying ``field`` and, for an array element, its
        labelled ``position`` (``exit_rates[age 10-15, residential, adopted]``).
        Called on construction; call again after changing fields in place.

        Decisions: booleans and text are never numbers; ``sources`` and
        ``assumptions`` must be lists of text (a lone string would otherwise
        be split into letters); ``start_date`` must fall between
        :data:`EARLIEST_START` and :data:`LATEST_START`.
        """
        self.age_bands = checks.bands("age_bands", self.age_bands, upper=MAX_AGE)
        self.time_in_care_bands = checks.bands("time_in_care_bands", self.time_in_care_bands)
        self.placements = checks.names("placements", self.placements)
        self.exit_groups = checks.names("exit_groups", self.exit_groups)
        if "left_care_at_18" not in self.exit_groups:
            raise checks.FieldError("exit_groups", "must include 'left_care_at_18' (where ageing out goes)")
        p, e = len(self.placements), len(self.exit_groups)
        axes = self._axes_table()
        self.stock = checks.array("stock", self.stock, axes["stock"])
        self.entries_per_year = checks.array("entries_per_year", self.entries_per_year,
                                             axes["entries_per_year"], leading="years")
        self.exit_rates = checks.array("exit_rates", self.exit_rates, axes["exit_rates"])
        self.move_rates = checks.array("move_rates", self.move_rates, axes["move_rates"])
        diag = self.move_rates[:, np.arange(p), :, np.arange(p)]     # (P, A, T)
        if np.any(diag != 0):
            q, a, t = (int(i) for i in np.argwhere(diag != 0)[0])
            raise checks.FieldError(
                "move_rates", f"must be 0 on the diagonal (a move to the same placement), got {diag[q, a, t]:g}",
                position=checks.labelled_position("move_rates", (a, q, t, q), axes["move_rates"]))
        self.weekly_cost = (np.zeros(p) if self.weekly_cost is None
                            else checks.array("weekly_cost", self.weekly_cost, axes["weekly_cost"]))
        self.exit_costs = (np.zeros(e) if self.exit_costs is None
                           else checks.array("exit_costs", self.exit_costs, axes["exit_costs"]))
        parse_price_year(self.price_year)
        for name, (low, high) in SCALAR_BOUNDS.items():
            setattr(self, name, checks.number(name, getattr(self, name), low=low, high=high))
        if self.discount_rate is not None:
            self.discount_rate = checks.number("discount_rate", self.discount_rate, low=0.0, high=1.0)
        self.start_date = checks.date("start_date", self.start_date, earliest=EARLIEST_START, latest=LATEST_START)
        if not isinstance(self.cost_sources, dict):
            raise checks.FieldTypeError("cost_sources", "must be a table of placement name to source")
        for key, source in self.cost_sources.items():
            if key not in self.placements:
                raise checks.FieldError("cost_sources", f"names unknown placement {key!r} "
                                                        f"(placements: {', '.join(self.placements)})")
            checks.text("cost_sources", source, empty=False)
        for name in ("sources", "assumptions"):
            items = getattr(self, name)
            if isinstance(items, str) or not isinstance(items, (list, tuple)):
                raise checks.FieldTypeError(name, f"must be a list of text, got {type(items).__name__}")
            for i, item in enumerate(items):
                if not isinstance(item, str):
                    raise checks.FieldTypeError(name, f"must be text, got {type(item).__name__}",
                                                position=f"{name}[{i}]")
            setattr(self, name, list(items))
        self.name = checks.text("name", self.name)

    def axes(self, field: str) -> list[checks.Axis]:
        """The labelled dimensions of an array field (for checks and error messages).

        ``entries_per_year`` has the axes of its ``(A, P)`` form; a leading
        year axis is optional.
        """
        table = self._axes_table()
        if field not in table:
            raise checks.FieldError("field", f"{field!r} is not an array field (array fields: {', '.join(table)})")
        return table[field]

    def _axes_table(self) -> dict[str, list[checks.Axis]]:
        ages = age_axis(self.age_bands)
        places = checks.Axis("placements", tuple(self.placements))
        times = time_in_care_axis(self.time_in_care_bands)
        groups = checks.Axis("exit groups", tuple(self.exit_groups))
        return {"stock": [ages, places, times], "entries_per_year": [ages, places],
                "exit_rates": [ages, places, times, groups],
                "move_rates": [ages, places, times,
                               checks.Axis("placements", tuple(f"to {q}" for q in self.placements))],
                "weekly_cost": [places], "exit_costs": [groups]}

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

    def _replace_many(self, changes: dict[str, np.ndarray], count: int) -> list[CareParameters | None]:
        """Internal fast path for a PSA chunk: ``count`` copies, copy ``k`` with ``changes[f][k]`` as field ``f``.

        ``changes`` maps array fields (:data:`ARRAY_FIELDS`) to float64 arrays
        of shape ``(count, *field.shape)`` and number fields
        (:data:`SCALAR_BOUNDS` and ``discount_rate``) to float64 arrays of
        shape ``(count,)``. Item ``k`` of the result is ``None`` when copy
        ``k`` would break a rule :meth:`validate` enforces on a changed field
        (every element finite and >= 0, the ``move_rates`` diagonal 0, numbers
        finite and within their bounds); the caller then builds that copy with
        :meth:`replace`, which raises the :class:`~carecast.checks.FieldError`
        naming the field and position (the same text as one draw at a time).

        Decisions: each changed field is checked once for the whole chunk
        (one reduction per rule, not one call per copy). The unchanged fields
        are validated once, on a fresh copy of these parameters made by
        :meth:`replace`, and their arrays are then shared by every copy and
        made read-only, so that an in-place change to one copy raises instead
        of changing them all; the lists and the table of cost sources are
        copied per copy. A changed array field of copy ``k`` is a view of
        ``changes[f][k]`` (the caller hands that array over). Raises
        ValueError when these parameters themselves are invalid (e.g. changed
        in place after construction) or ``changes`` names an unknown field or
        has the wrong shape; callers fall back to :meth:`replace` draw by draw.

        A rule added to :meth:`validate` for an array or number field must be
        added here too; ``tests/test_uncertainty_fast.py`` checks on random
        chunks that a copy is ``None`` exactly when :meth:`replace` refuses it.
        """
        template = self.replace()                     # validates every field once; private arrays
        for name in ARRAY_FIELDS:
            getattr(template, name).flags.writeable = False
        numbers = dict(SCALAR_BOUNDS, discount_rate=(0.0, 1.0))
        ok = np.ones(count, dtype=bool)
        arrays: dict[str, np.ndarray] = {}
        scalars: dict[str, np.ndarray] = {}
        for name, value in changes.items():
            if not (isinstance(value, np.ndarray) and value.dtype == np.float64):
                raise ValueError(f"_replace_many: changes[{name!r}] must be a float64 array")
            if name in ARRAY_FIELDS:
                want = (count,) + getattr(template, name).shape
                if value.shape != want:
                    raise ValueError(f"_replace_many: changes[{name!r}] has shape {value.shape}, expected {want}")
                flat = value.reshape(count, -1)
                if flat.shape[1]:            # min and max carry a NaN through: finite and >= 0 in two reductions
                    ok &= (flat.min(axis=1) >= 0) & (flat.max(axis=1) < np.inf)
                if name == "move_rates":
                    p = len(template.placements)
                    diag = value[:, :, np.arange(p), :, np.arange(p)]        # (P, count, A, T)
                    ok &= ~(diag != 0).transpose(1, 0, 2, 3).reshape(count, -1).any(axis=1)
                arrays[name] = value
            elif name in numbers:
                if value.shape != (count,):
                    raise ValueError(f"_replace_many: changes[{name!r}] has shape {value.shape}, expected {(count,)}")
                low, high = numbers[name]
                fine = np.isfinite(value) & (value >= low)
                if high is not None:
                    fine &= value <= high
                ok &= fine
                scalars[name] = value
            else:
                raise ValueError(f"_replace_many: {name!r} is not an array or number field")
        shared = dict(template.__dict__)
        out: list[CareParameters | None] = []
        for k in range(count):
            if not ok[k]:
                out.append(None)
                continue
            copy = object.__new__(CareParameters)
            fields_k = copy.__dict__
            fields_k.update(shared)
            fields_k["cost_sources"] = dict(template.cost_sources)
            fields_k["sources"] = list(template.sources)
            fields_k["assumptions"] = list(template.assumptions)
            for name, value in arrays.items():
                fields_k[name] = value[k]
            for name, value in scalars.items():
                fields_k[name] = float(value[k])
            out.append(copy)
        return out

    @classmethod
    def empty(cls, *, age_bands: Sequence[float] = SINGLE_YEAR_AGES,
              placements: Sequence[str] = PLACEMENTS,
              time_in_care_bands: Sequence[float] = (0.0,),
              exit_groups: Sequence[str] = EXIT_GROUPS, **fields: Any) -> CareParameters:
        """Parameters with the given dimensions and every array zero.

        Calibration fills the arrays in place, then calls :meth:`validate`.
        """
        sizes = {"age_bands": age_bands, "placements": placements, "time_in_care_bands": time_in_care_bands,
                 "exit_groups": exit_groups}
        for name, value in sizes.items():
            if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
                raise checks.FieldTypeError(name, f"must be a list, got {type(value).__name__}")
        a, p, t, e = len(age_bands), len(placements), len(time_in_care_bands), len(exit_groups)
        if a * p * t * max(p, e) > checks.MAX_ELEMENTS:   # refuse before allocating move_rates
            largest = max(sizes, key=lambda k: len(sizes[k]))
            words = " x ".join(checks.Axis(noun, ()).count(n) for noun, n in (
                ("age bands", a), ("placements", p), ("time-in-care bands", t), ("placements or exit groups", max(p, e))))
            raise checks.FieldError(largest, f"{words} would need more than {checks.MAX_ELEMENTS:,} rates")
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
    ages = checks.Axis("single years of age", tuple(f"age {i}" for i in range(18)))
    pop = checks.array("population_by_single_year", population_by_single_year, [ages], leading="years")
    bands = checks.bands("age_bands", age_bands, upper=MAX_AGE)
    if any(not float(b).is_integer() for b in bands):
        raise checks.FieldError("age_bands", "must be whole years to sum a single-year population")
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
    rate = checks.values("rate_per_10000", rate_per_10000, low=None)
    if rate.ndim != 2:
        raise checks.FieldError("rate_per_10000", f"must be 2-D (age band, placement), got {rate.ndim}-D")
    a, p = rate.shape
    ages = checks.Axis("age bands", tuple(f"age band {i}" for i in range(a)))
    places = checks.Axis("placements", tuple(f"placement {i}" for i in range(p)))
    rate = checks.array("rate_per_10000", rate, [ages, places])
    pop = checks.array("population", population, [ages], leading="years")
    return rate / 10000.0 * pop[..., None]
