"""One check per fact: scalar, name, band and array checks that name the field at fault.

Every check raises a :class:`FieldError` (a ``ValueError``) or a
:class:`FieldTypeError` (also a ``TypeError``) that carries

* ``field``: the name of the argument or field, dotted when it sits inside
  something else (``scale.exit_rates``), and
* ``position``: where in it the bad value is, with labels instead of indices
  when the caller gives them (``exit_rates[age 10-15, residential, adopted]``),
  or ``None`` when the whole value is at fault,

so that callers (scenario files, the command line) format errors as
``FILE:LINE: field: message`` from these attributes and never parse message
text.

Arrays are described by :class:`Axis` objects, one per dimension, so that a
shape error says what is missing: "8 values for 9 placements".

Decisions where the design is silent
------------------------------------
* Booleans are never numbers here (``True`` is not a rate of 1), in scalars,
  in lists or as a NumPy ``bool`` array.
* Text is never a number, even when it reads as one (``"0.3"``): a value in
  quotes is a mistake worth reporting, and the message says to drop them.
* Nested lists are walked before NumPy sees them, so a ragged list, a string
  among numbers or a list nested too deep is reported at its labelled
  position; the walk is bounded (depth and element count), so no input can
  hang it or exhaust the stack.
* An array may have at most :data:`MAX_ELEMENTS` elements (40 MB of float64),
  far above any council model; beyond that the input is refused before it is
  allocated.

Examples
--------
>>> placements = Axis("placements", ("foster", "residential"))
>>> array("weekly_cost", [650.0, 3000.0], [placements]).tolist()
[650.0, 3000.0]
>>> try:
...     array("weekly_cost", [650.0], [placements])
... except FieldError as err:
...     print(err.field, "|", err)
weekly_cost | weekly_cost: 1 value for 2 placements
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["FieldError", "FieldTypeError", "Axis", "number", "integer", "flag", "text", "choice", "names",
           "bands", "array", "values", "series", "date", "labelled_position", "is_number", "MAX_ELEMENTS", "MAX_DEPTH"]

#: Largest number of elements an array argument may have.
MAX_ELEMENTS = 5_000_000
#: Deepest nesting of lists accepted for any array argument (arrays here have at most 5 axes).
MAX_DEPTH = 8


class FieldError(ValueError):
    """A value is wrong; ``field`` names it and ``position`` says where in it.

    Parameters
    ----------
    field : str
        Argument or field name (dotted inside a container: ``set.weekly_cost``).
    message : str
        What is wrong, without the field name (``"1 value for 2 placements"``).
    position : str, optional
        Labelled position of the bad element, including the field name
        (``"stock[age 0-9, foster]"``).
    context : str, optional
        What the field belongs to (``"scenario 'cheaper'"``), shown first.
    """

    def __init__(self, field: str, message: str, *, position: str | None = None, context: str | None = None):
        self.field = field
        self.message = message
        self.position = position
        self.context = context
        super().__init__(str(self))

    @property
    def where(self) -> str:
        """The labelled position if there is one, else the field."""
        return self.position or self.field

    def __str__(self) -> str:
        prefix = f"{self.context}: " if self.context else ""
        return f"{prefix}{self.where}: {self.message}"

    def within(self, prefix: str, *, context: str | None = None) -> FieldError:
        """The same error, its field and position placed inside ``prefix`` (``set``, ``model``)."""
        return type(self)(f"{prefix}.{self.field}", self.message,
                          position=f"{prefix}.{self.position}" if self.position else None,
                          context=context if context is not None else self.context)

    def __reduce__(self):  # picklable across processes, with its attributes
        return (_rebuild, (type(self), self.field, self.message, self.position, self.context))


class FieldTypeError(FieldError, TypeError):
    """A value has the wrong type (also a ``TypeError``)."""


def _rebuild(cls, field, message, position, context):
    return cls(field, message, position=position, context=context)


@dataclass(frozen=True)
class Axis:
    """One dimension of an array: a plural noun and a label per position.

    >>> Axis("age bands", ("age 0-9", "age 10-17")).count(1)
    '1 age band'
    """

    noun: str
    labels: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.labels)

    def count(self, n: int) -> str:
        """``"9 placements"``, ``"1 placement"``."""
        return f"{n} {self.noun if n != 1 else self.singular}"

    @property
    def singular(self) -> str:
        """The noun for one position: ``"age band"``."""
        return self.noun[:-1] if self.noun.endswith("s") else self.noun

    @classmethod
    def numbered(cls, noun: str, n: int) -> Axis:
        """An axis labelled ``"year 1"``, ``"year 2"``, ... for a plural noun like ``"years"``."""
        one = noun[:-1] if noun.endswith("s") else noun
        return cls(noun, tuple(f"{one} {i + 1}" for i in range(n)))

    def label(self, i: int) -> str:
        return self.labels[i] if 0 <= i < len(self.labels) else str(i)


def labelled_position(field: str, index: Sequence[int], axes: Sequence[Axis] | None = None) -> str:
    """``field[label, label, ...]`` for an index, using the last ``len(index)`` axes' labels.

    Axes with a single position (e.g. no time-in-care bands) are left out when
    labels are used, so positions read as the user thinks of them.

    >>> ages = Axis("age bands", ("age 0-9", "age 10-15", "age 16-17"))
    >>> places = Axis("placements", ("foster", "residential"))
    >>> labelled_position("stock", (1, 1), [ages, places])
    'stock[age 10-15, residential]'
    >>> labelled_position("stock", (1, 1))
    'stock[1, 1]'
    """
    index = [int(i) for i in index]
    if not axes or len(index) > len(axes):
        return f"{field}[{', '.join(str(i) for i in index)}]"
    aligned = list(axes)[len(axes) - len(index):]
    parts = [ax.label(i) for ax, i in zip(aligned, index) if len(ax) != 1]
    if not parts:
        parts = [ax.label(i) for ax, i in zip(aligned, index)]
    return f"{field}[{', '.join(parts)}]"


def is_number(value: Any) -> bool:
    """True for ints, floats and NumPy numbers; False for booleans, text and everything else."""
    return not isinstance(value, (bool, np.bool_)) and isinstance(value, (int, float, np.integer, np.floating))


def _describe(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return f"a true/false value ({bool(value)!r})"
    if isinstance(value, str):
        return f"the text {value[:40]!r}"
    if isinstance(value, _dt.date):
        return f"a date ({value.isoformat()})"
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, (list, tuple)):
        return "a list"
    if value is None:
        return "nothing (None)"
    if is_number(value):
        return f"the number {value!r}"
    return f"a {type(value).__name__}"


def _type_hint(value: Any) -> str:
    if isinstance(value, str):
        try:
            float(value.replace(",", ""))
        except ValueError:
            return ""
        return "; write numbers without quotes" + (" or thousands separators" if "," in value else "")
    return ""


def number(field: str, value: Any, *, low: float | None = None, high: float | None = None,
           low_open: bool = False, high_open: bool = False, context: str | None = None) -> float:
    """A finite real number within bounds, as a float.

    ``low``/``high`` are inclusive unless ``low_open``/``high_open``.

    >>> number("discount_rate", 0.035, low=0, high=1)
    0.035
    """
    if not is_number(value):
        raise FieldTypeError(field, f"must be a number, got {_describe(value)}{_type_hint(value)}", context=context)
    v = float(value)
    if not math.isfinite(v):
        raise FieldError(field, f"must be finite, got {v}", context=context)
    if low is not None and (v <= low if low_open else v < low):
        raise FieldError(field, f"must be {'>' if low_open else '>='} {low:g}, got {v:g}", context=context)
    if high is not None and (v >= high if high_open else v > high):
        raise FieldError(field, f"must be {'<' if high_open else '<='} {high:g}, got {v:g}", context=context)
    return v


def integer(field: str, value: Any, *, low: int | None = None, high: int | None = None,
            context: str | None = None) -> int:
    """A whole number within inclusive bounds (``3.0`` is accepted, ``3.5`` and ``True`` are not)."""
    v = number(field, value, context=context)
    if not v.is_integer():
        raise FieldError(field, f"must be a whole number, got {v:g}", context=context)
    n = int(v)
    if low is not None and n < low:
        raise FieldError(field, f"must be >= {low}, got {n}", context=context)
    if high is not None and n > high:
        raise FieldError(field, f"must be <= {high}, got {n}", context=context)
    return n


def flag(field: str, value: Any, *, context: str | None = None) -> bool:
    """``True`` or ``False`` only (not 0/1, not ``"yes"``)."""
    if not isinstance(value, (bool, np.bool_)):
        raise FieldTypeError(field, f"must be true or false, got {_describe(value)}", context=context)
    return bool(value)


def text(field: str, value: Any, *, empty: bool = True, context: str | None = None) -> str:
    """A string (non-empty unless ``empty``)."""
    if not isinstance(value, str):
        raise FieldTypeError(field, f"must be text, got {_describe(value)}", context=context)
    if not empty and not value.strip():
        raise FieldError(field, "must not be empty", context=context)
    return value


def choice(field: str, value: Any, options: Sequence[str], *, context: str | None = None) -> str:
    """One of ``options``."""
    if not isinstance(value, str) or value not in options:
        raise FieldError(field, f"must be one of {', '.join(options)}, got {value!r}", context=context)
    return value


def names(field: str, values: Any, *, context: str | None = None, max_count: int = 1000) -> tuple[str, ...]:
    """A non-empty sequence of distinct non-empty strings (not a single string)."""
    if isinstance(values, np.ndarray) and values.ndim == 1:
        values = values.tolist()
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise FieldTypeError(field, f"must be a list of names, got {_describe(values)}", context=context)
    if not values:
        raise FieldError(field, "must not be empty", context=context)
    if len(values) > max_count:
        raise FieldError(field, f"has {len(values)} names; at most {max_count} are allowed", context=context)
    for i, name in enumerate(values):
        if not isinstance(name, str) or not name.strip():
            raise FieldTypeError(field, f"must be non-empty names, got {_describe(name)}",
                                 position=f"{field}[{i}]", context=context)
    seen: set[str] = set()
    for i, name in enumerate(values):
        if name in seen:
            raise FieldError(field, f"{name!r} is listed twice", position=f"{field}[{i}]", context=context)
        seen.add(name)
    return tuple(values)


def bands(field: str, values: Any, *, upper: float | None = None, context: str | None = None,
          max_count: int = 1000) -> tuple[float, ...]:
    """Lower bounds of bands: starting at 0, strictly increasing, finite, below ``upper``.

    >>> bands("age_bands", [0, 10, 16], upper=18)
    (0.0, 10.0, 16.0)
    """
    if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, (Sequence, np.ndarray)):
        raise FieldTypeError(field, f"must be a list of numbers, got {_describe(values)}", context=context)
    if len(values) == 0:
        raise FieldError(field, "must have at least one band", context=context)
    if len(values) > max_count:
        raise FieldError(field, f"has {len(values)} bands; at most {max_count} are allowed", context=context)
    out = []
    for i, v in enumerate(values):
        if not is_number(v):
            raise FieldTypeError(field, f"must be a number, got {_describe(v)}{_type_hint(v)}",
                                 position=f"{field}[{i}]", context=context)
        if not math.isfinite(float(v)):
            raise FieldError(field, f"must be finite, got {float(v)}", position=f"{field}[{i}]", context=context)
        out.append(float(v))
    if out[0] != 0.0:
        raise FieldError(field, f"must start at 0 (the lowest band starts at 0), got {out[0]:g}",
                         position=f"{field}[0]", context=context)
    for i in range(1, len(out)):
        if not out[i] > out[i - 1]:
            raise FieldError(field, f"must be strictly increasing: {out[i]:g} follows {out[i - 1]:g}",
                             position=f"{field}[{i}]", context=context)
    if upper is not None and out[-1] >= upper:
        raise FieldError(field, f"= {out[-1]:g} must be below {upper:g}", position=f"{field}[{len(out) - 1}]",
                         context=context)
    return tuple(out)


def date(field: str, value: Any, *, earliest: _dt.date = _dt.date(1900, 1, 1),
         latest: _dt.date = _dt.date(2200, 12, 31), context: str | None = None) -> _dt.date:
    """A calendar date (a ``datetime`` is cut to its date) between ``earliest`` and ``latest``."""
    if isinstance(value, _dt.datetime):
        value = value.date()
    if not isinstance(value, _dt.date):
        raise FieldTypeError(field, f"must be a date like 2017-03-31, got {_describe(value)}", context=context)
    if not earliest <= value <= latest:
        raise FieldError(field, f"{value.isoformat()} is outside {earliest.isoformat()} to {latest.isoformat()}",
                         context=context)
    return value


def _shape_words(axes: Sequence[Axis]) -> str:
    return " x ".join(ax.count(len(ax)) for ax in axes)


def _walk(field: str, value: Any, axes: Sequence[Axis], context: str | None) -> None:
    """Check a nested list's leaves are numbers and its lists regular, before NumPy sees it."""
    budget = [MAX_ELEMENTS]
    depth, node = 0, value
    while isinstance(node, (list, tuple)) and node and depth <= MAX_DEPTH:
        depth, node = depth + 1, node[0]
    # a list of fewer dimensions than the axes lines up with the last ones (NumPy broadcasting)
    offset = len(axes) - depth

    def position(path: list[int]) -> str:
        if offset < 0 or offset + len(path) > len(axes):
            return labelled_position(field, path)
        return labelled_position(field, path, list(axes)[offset:offset + len(path)])

    def visit(node: Any, path: list[int]) -> tuple[int, ...]:
        if isinstance(node, (list, tuple)):
            if len(path) >= MAX_DEPTH:
                raise FieldError(field, f"is nested more than {MAX_DEPTH} lists deep "
                                        f"(it has at most {len(axes)} dimensions)", context=context)
            if len(node) > budget[0]:
                raise FieldError(field, f"has more than {MAX_ELEMENTS:,} values", context=context)
            shapes = []
            for i, item in enumerate(node):
                shapes.append(visit(item, path + [i]))
            budget[0] -= len(node)
            if budget[0] < 0:
                raise FieldError(field, f"has more than {MAX_ELEMENTS:,} values", context=context)
            for i, s in enumerate(shapes[1:], start=1):
                if s != shapes[0]:
                    what = (lambda sh: (f"{sh[0]} value{'s' if sh[0] != 1 else ''}" if sh else "a single number"))
                    raise FieldError(field, f"is ragged: {what(s)} here, where {position(path + [0])} "
                                            f"has {what(shapes[0])}",
                                     position=position(path + [i]), context=context)
            return (len(node),) + (shapes[0] if shapes else ())
        if isinstance(node, np.ndarray):
            _check_dtype(field, node, context)
            return node.shape
        if not is_number(node):
            where = position(path) if path else None
            raise FieldTypeError(field, f"must be numbers, got {_describe(node)}{_type_hint(node)}",
                                 position=where, context=context)
        return ()

    visit(value, [])


def _check_dtype(field: str, arr: np.ndarray, context: str | None) -> None:
    if arr.dtype.kind == "b":
        raise FieldTypeError(field, "must be numbers, got true/false values", context=context)
    if arr.dtype.kind not in "iuf":
        raise FieldTypeError(field, f"must be numbers, got an array of {arr.dtype}", context=context)
    if arr.size > MAX_ELEMENTS:
        raise FieldError(field, f"has {arr.size:,} values, more than {MAX_ELEMENTS:,}", context=context)


def _shape_problem(got: tuple[int, ...], axes: Sequence[Axis], *, broadcast: bool) -> str:
    """Words for why ``got`` does not fit the axes: "8 values for 9 placements"."""
    want = tuple(len(ax) for ax in axes)
    if len(got) == 1 and len(want) == 1:
        return f"{got[0]} value{'s' if got[0] != 1 else ''} for {axes[0].count(want[0])}"
    if len(got) > len(want) or (not broadcast and len(got) != len(want)):
        return (f"has {len(got)} dimension{'s' if len(got) != 1 else ''} {got}; expected {len(want)}: "
                f"{_shape_words(axes)}")
    aligned = list(axes)[len(axes) - len(got):]
    for n, ax in zip(got, aligned):
        if n != len(ax) and not (broadcast and n == 1):
            return (f"{n} value{'s' if n != 1 else ''} for {ax.count(len(ax))} "
                    f"(shape {got}; expected {_shape_words(axes)}"
                    f"{', or a shape that broadcasts to it' if broadcast else ''})")
    return f"shape {got} does not fit {_shape_words(axes)}"


def array(field: str, value: Any, axes: Sequence[Axis], *, low: float | None = 0.0, high: float | None = None,
          broadcast: bool = False, leading: str | None = None, context: str | None = None) -> np.ndarray:
    """A float64 array with one dimension per axis, finite and within bounds (a new copy).

    Parameters
    ----------
    field : str
        Name used in errors.
    value : array_like
        Number, nested list or array. Booleans and text are refused.
    axes : sequence of Axis
        The dimensions, in order.
    low, high : float or None
        Inclusive bounds on every element (default: not negative).
    broadcast : bool
        Accept any shape that broadcasts to the axes (NumPy rules), and return
        the full shape.
    leading : str, optional
        Plural noun (``"years"``) of an optional extra first dimension whose
        length is free; its positions are labelled ``year 1``, ``year 2``, ...
    context : str, optional
        Passed on to the error.

    Examples
    --------
    >>> groups = Axis("exit groups", ("home", "adopted"))
    >>> array("exit_rates", [0.3, 0.05], [Axis("placements", ("a", "b")), groups], broadcast=True).shape
    (2, 2)
    """
    if isinstance(value, (str, bytes, Mapping, _dt.date)) or value is None or isinstance(value, (bool, np.bool_)):
        raise FieldTypeError(field, f"must be a number or a list of numbers, got {_describe(value)}"
                             f"{_type_hint(value)}", context=context)
    axes = list(axes)
    full_axes = axes
    if isinstance(value, np.ndarray):
        _check_dtype(field, value, context)
    else:
        _walk(field, value, axes, context)
    arr = np.array(value, dtype=np.float64)
    if leading is not None and arr.ndim == len(axes) + 1:
        if arr.shape[0] == 0:
            raise FieldError(field, f"has no {leading} (an empty first dimension)", context=context)
        full_axes = [Axis.numbered(leading, arr.shape[0])] + axes
    want = tuple(len(ax) for ax in full_axes)
    if math.prod(want) > MAX_ELEMENTS:
        raise FieldError(field, f"would have {math.prod(want):,} values ({_shape_words(full_axes)}), "
                                f"more than {MAX_ELEMENTS:,}", context=context)
    if arr.shape != want:
        fits = False
        if broadcast and arr.ndim <= len(want):
            try:
                arr = np.broadcast_to(arr, want).copy()
                fits = True
            except ValueError:
                fits = False
        if not fits:
            raise FieldError(field, _shape_problem(arr.shape, full_axes, broadcast=broadcast), context=context)
    _check_elements(field, arr, full_axes, low, high, context)
    return arr


def _check_elements(field: str, arr: np.ndarray, axes: Sequence[Axis] | None, low: float | None,
                    high: float | None, context: str | None) -> None:
    def at(i: tuple[int, ...]) -> str:
        return labelled_position(field, i, axes)

    # fast path: one reduction per bound; positions are looked for only when something is wrong
    if np.isfinite(arr).all() and (low is None or (arr >= low).all()) and (high is None or (arr <= high).all()):
        return
    bad = np.argwhere(~np.isfinite(arr))
    if bad.size:
        i = tuple(int(k) for k in bad[0])
        raise FieldError(field, f"must be finite, got {arr[i]}", position=at(i), context=context)
    if low is not None:
        bad = np.argwhere(arr < low)
        if bad.size:
            i = tuple(int(k) for k in bad[0])
            word = "negative" if low == 0 else f"below {low:g}"
            raise FieldError(field, f"is {word} ({arr[i]:g})", position=at(i), context=context)
    if high is not None:
        bad = np.argwhere(arr > high)
        if bad.size:
            i = tuple(int(k) for k in bad[0])
            raise FieldError(field, f"is above {high:g} ({arr[i]:g})", position=at(i), context=context)


def values(field: str, value: Any, *, low: float | None = 0.0, high: float | None = None,
           context: str | None = None) -> np.ndarray:
    """A float64 array of any shape, its elements checked like :func:`array` (positions are indices).

    >>> values("cases", [[1, 2], [3, 4]]).shape
    (2, 2)
    """
    if isinstance(value, (str, bytes, Mapping, _dt.date)) or value is None or isinstance(value, (bool, np.bool_)):
        raise FieldTypeError(field, f"must be a number or a list of numbers, got {_describe(value)}"
                             f"{_type_hint(value)}", context=context)
    if isinstance(value, np.ndarray):
        _check_dtype(field, value, context)
    else:
        _walk(field, value, [], context)
    arr = np.array(value, dtype=np.float64)
    if arr.size > MAX_ELEMENTS:
        raise FieldError(field, f"has {arr.size:,} values, more than {MAX_ELEMENTS:,}", context=context)
    _check_elements(field, arr, None, low, high, context)
    return arr


def series(field: str, value: Any, *, low: float | None = 0.0, high: float | None = None, noun: str = "time points",
           context: str | None = None) -> np.ndarray:
    """A non-empty 1-D float64 array (one value per time point, say), elements checked like :func:`array`.

    >>> series("cases", [10, 12.5]).tolist()
    [10.0, 12.5]
    """
    arr = values(field, value, low=low, high=high, context=context)
    if arr.ndim != 1:
        raise FieldError(field, f"must be 1-D (one value per {noun[:-1] if noun.endswith('s') else noun}), "
                                f"got shape {arr.shape}", context=context)
    if arr.size == 0:
        raise FieldError(field, f"has no values (one per {noun[:-1] if noun.endswith('s') else noun} is needed)",
                         context=context)
    return arr
