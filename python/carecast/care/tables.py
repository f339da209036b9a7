"""Tidy tables: a small column store with CSV output and an optional pandas view.

A :class:`Table` is an ordered mapping of column name to a 1-D NumPy array
(all the same length): one row per observation, one column per variable, so
it is ready for a spreadsheet, a ``pandas.DataFrame`` or a chart.
"""

from __future__ import annotations

import csv
import datetime as _dt
import os
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

__all__ = ["Table"]


class Table:
    """Columns of equal length, with a title and units.

    Parameters
    ----------
    columns : mapping of str to array-like
        Column name to values (converted to 1-D NumPy arrays).
    title : str
        What the table shows (used as a CSV comment-free file name hint and in repr).
    units : mapping of str to str, optional
        Units of numeric columns (e.g. ``{"cash": "GBP"}``).

    Examples
    --------
    >>> t = Table({"placement": ["foster", "home"], "children": [10.0, 2.0]}, title="example")
    >>> len(t), t.columns
    (2, ['placement', 'children'])
    >>> float(t["children"].sum())
    12.0
    """

    def __init__(self, columns: Mapping[str, Any], *, title: str = "", units: Mapping[str, str] | None = None):
        self._columns: dict[str, np.ndarray] = {}
        length = None
        for name, values in columns.items():
            arr = np.asarray(values)
            if arr.ndim != 1:
                raise ValueError(f"column {name!r} must be 1-D, got shape {arr.shape}")
            if length is None:
                length = arr.shape[0]
            elif arr.shape[0] != length:
                raise ValueError(f"column {name!r} has {arr.shape[0]} rows, expected {length}")
            self._columns[str(name)] = arr
        self.title = title
        self.units = dict(units or {})

    @property
    def columns(self) -> list[str]:
        return list(self._columns)

    def __len__(self) -> int:
        return next(iter(self._columns.values())).shape[0] if self._columns else 0

    def __getitem__(self, name: str) -> np.ndarray:
        try:
            return self._columns[name]
        except KeyError:
            raise KeyError(f"no column {name!r}; columns are {self.columns}") from None

    def __contains__(self, name: object) -> bool:
        return name in self._columns

    def rows(self) -> Iterator[tuple]:
        """Iterate over rows as tuples of Python values."""
        cols = [self._columns[c] for c in self._columns]
        for i in range(len(self)):
            yield tuple(_python(c[i]) for c in cols)

    def where(self, **equal: Any) -> Table:
        """Rows where each named column equals the given value.

        >>> t = Table({"placement": ["foster", "home"], "children": [10.0, 2.0]})
        >>> t.where(placement="home")["children"].tolist()
        [2.0]
        """
        mask = np.ones(len(self), dtype=bool)
        for name, value in equal.items():
            mask &= self[name] == value
        return Table({k: v[mask] for k, v in self._columns.items()}, title=self.title, units=self.units)

    def to_dict(self) -> dict[str, np.ndarray]:
        """The columns as a plain dict of arrays (copies)."""
        return {k: v.copy() for k, v in self._columns.items()}

    def to_pandas(self):
        """A ``pandas.DataFrame`` (needs the ``pandas`` extra)."""
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("to_pandas() needs pandas: pip install 'carecast[pandas]'") from None
        frame = pd.DataFrame({k: v for k, v in self._columns.items()})
        frame.attrs["title"] = self.title
        frame.attrs["units"] = dict(self.units)
        return frame

    def to_csv(self, path: str | os.PathLike, *, digits: int | None = None) -> None:
        """Write the table as CSV with a header row (UTF-8).

        ``digits`` rounds floating-point columns for a readable file; by default
        full precision (``repr``) is kept.
        """
        with open(os.fspath(path), "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(self.columns)
            for row in self.rows():
                writer.writerow([_csv_cell(v, digits) for v in row])

    def __repr__(self) -> str:
        head = [self.columns] + [[_short(v) for v in row] for _, row in zip(range(8), self.rows())]
        widths = [max(len(str(r[i])) for r in head) for i in range(len(self.columns))]
        lines = [f"Table {self.title!r}: {len(self)} rows"] if self.title else [f"Table: {len(self)} rows"]
        for r in head:
            lines.append("  ".join(str(v).rjust(w) for v, w in zip(r, widths)))
        if len(self) > 8:
            lines.append("...")
        return "\n".join(lines)


def _python(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value


def _csv_cell(value: Any, digits: int | None) -> Any:
    if isinstance(value, float):
        return repr(round(value, digits) if digits is not None else value)
    if isinstance(value, (_dt.date,)):
        return value.isoformat()
    return value


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)
