"""Labels and column names that carry their unit and basis.

Decisions (the design is silent on them):

* Money columns are named ``<what>_<terms>_gbp[_<price year>][_to_<date>]``:
  ``cost_cash_gbp``, ``cost_real_gbp_2016_17`` (2016-17 prices),
  ``cost_discounted_gbp_2016_17_to_2012_03_31`` (2016-17 prices, discounted to
  31 March 2012).
* Financial years in CSV files are written ``FY2012-13``: a bare ``2011-12``
  is read by Excel and LibreOffice as December 2011. In the workbook (cells
  typed as text) and the HTML report they are ``2012-13``.
* Dates are ISO 8601 (``2012-03-31``), which spreadsheets read as the same
  date in every locale; they are never written day-first or month-first.
* Age bands are labels in words (``under 1``, ``1 to 4``, ``16 to 17``):
  ``1-4`` would become 1 April in a spreadsheet.
"""

from __future__ import annotations

import datetime as _dt

import numpy as np

__all__ = ["price_tag", "date_tag", "fy_csv", "band_labels", "age_band_labels", "time_in_care_labels",
           "money_columns", "long_date"]


def price_tag(price_year: str) -> str:
    """``"2016-17"`` -> ``"2016_17"`` (for column names).

    >>> price_tag("2016-17")
    '2016_17'
    """
    return str(price_year).replace("-", "_").replace("/", "_")


def date_tag(date) -> str:
    """A date as ``YYYY_MM_DD`` (for column names).

    >>> import datetime
    >>> date_tag(datetime.date(2012, 3, 31))
    '2012_03_31'
    """
    return _as_date(date).strftime("%Y_%m_%d")


def long_date(date) -> str:
    """``31 March 2012``.

    >>> import datetime
    >>> long_date(datetime.date(2012, 3, 1))
    '1 March 2012'
    """
    d = _as_date(date)
    return f"{d.day} {d:%B %Y}"


def _as_date(date) -> _dt.date:
    if isinstance(date, np.datetime64):
        return date.astype("datetime64[D]").astype(object)
    if isinstance(date, _dt.datetime):
        return date.date()
    if isinstance(date, _dt.date):
        return date
    raise TypeError(f"expected a date, got {type(date).__name__}")


def fy_csv(label: str) -> str:
    """A financial year for a CSV cell that no spreadsheet turns into a date.

    >>> fy_csv("2011-12")
    'FY2011-12'
    """
    return f"FY{label}"


def _number(x: float) -> str:
    return f"{int(x)}" if float(x).is_integer() else f"{x:g}"


def band_labels(bounds, upper: float | None, unit: str = "") -> list[str]:
    """Labels in words for bands given by their lower bounds.

    Whole-number bands read as ages do (``1 to 4`` is 1 up to the 5th
    birthday); others as ``0.25 to under 0.5``. The last band is open
    (``2 and over``) when ``upper`` is None.

    >>> band_labels((0, 1, 5, 10, 16), 18)
    ['under 1', '1 to 4', '5 to 9', '10 to 15', '16 to 17']
    >>> band_labels((0, 0.25, 1), None, " years")
    ['under 0.25 years', '0.25 to under 1 years', '1 years and over']
    """
    bounds = [float(b) for b in bounds]
    uppers: list[float | None] = list(bounds[1:]) + [None if upper is None else float(upper)]
    out = []
    for lo, hi in zip(bounds, uppers):
        if hi is None:
            out.append(f"{_number(lo)}{unit} and over")
        elif lo == 0:
            out.append(f"under {_number(hi)}{unit}")
        elif lo.is_integer() and hi.is_integer():
            out.append(f"{_number(lo)}{unit}" if hi - lo == 1 and not unit else f"{_number(lo)} to {_number(hi - 1)}{unit}")
        else:
            out.append(f"{_number(lo)} to under {_number(hi)}{unit}")
    return [f"age {x}" if x.replace(".", "").isdigit() else x for x in out]


def age_band_labels(parameters) -> list[str]:
    """Age bands of a model in words (``under 1``, ``1 to 4``, ..., ``16 to 17``; single years ``age 5``)."""
    from carecast.care.parameters import MAX_AGE
    return band_labels(parameters.age_bands, MAX_AGE)


def time_in_care_labels(parameters) -> list[str]:
    """Time-in-care bands in words (``under 0.25 years`` ... ``2 years and over``)."""
    if len(parameters.time_in_care_bands) == 1:
        return ["any"]
    return band_labels(parameters.time_in_care_bands, None, " years")


def money_columns(parameters, what: str = "cost") -> dict[str, str]:
    """Names of the cash, real and discounted columns for a model: ``{"cash": ..., "real": ..., "discounted": ...}``.

    >>> from carecast.care.parameters import CareParameters
    >>> p = CareParameters.empty(age_bands=(0,), placements=("foster",))
    >>> money_columns(p)["discounted"]
    'cost_discounted_gbp_2023_24_to_2024_03_31'
    """
    price = price_tag(parameters.price_year)
    return {"cash": f"{what}_cash_gbp", "real": f"{what}_real_gbp_{price}",
            "discounted": f"{what}_discounted_gbp_{price}_to_{date_tag(parameters.start_date)}"}
