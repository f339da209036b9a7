"""Argument checks shared by the engine's public functions.

One place for the rules every function follows, so that the same mistake
gets the same message wherever it is made:

- numbers: ``bool``, ``str``, ``None`` and other non-numbers are refused with
  a ``TypeError`` naming the argument (``float("1")`` and ``float(True)``
  would silently accept them);
- arrays: real numbers only (booleans, strings, complex, objects refused);
  a ``numpy.ma.MaskedArray`` with masked entries is refused (its mask would
  otherwise be ignored), one with none is read as its data;
- sizes: an output that would not fit in this machine's physical memory is
  refused *before* anything is allocated, with its size in readable units
  and what to change (NumPy would otherwise fail with "Unable to allocate
  7.28 TiB", or, where memory is overcommitted, the process be killed when
  the pages are touched);
- threads: capped at :data:`MAX_THREADS`.
"""
from __future__ import annotations

import math
import os
import sys

import numpy as np

__all__ = ["MAX_THREADS", "check_bool", "check_count", "check_memory", "check_threads",
           "format_bytes", "physical_memory", "real_array", "real_number", "unmask"]

#: Threads a batch runs on at most.  More are capped, not refused: results
#: are bit-identical whatever the thread count, and beyond the machine's
#: cores extra threads only cost memory and start-up time.
MAX_THREADS = 256


def real_number(name: str, value, *, finite: bool = True) -> float:
    """``value`` as a float; a TypeError for bool, str, None and non-numbers."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(
            value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    number = float(value)
    if finite and not math.isfinite(number):
        raise ValueError(f"{name} must be finite, got {number}")
    return number


def check_count(name: str, value, minimum: int = 0) -> int:
    """A whole number >= minimum; a TypeError for floats (even 2.0), bools and strings."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be a whole number, got {type(value).__name__} {value!r}")
    value = int(value)
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if value > sys.maxsize:
        raise ValueError(f"{name} = {value} is too large (at most {sys.maxsize})")
    return value


def check_bool(name: str, value) -> bool:
    """True or False only (a string such as "no" would otherwise read as True)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__} {value!r}")
    return bool(value)


def check_threads(threads) -> int:
    """Threads >= 1, capped at :data:`MAX_THREADS`."""
    return min(check_count("threads", threads, 1), MAX_THREADS)


def real_array(name: str, values, *, dtype=np.float64) -> np.ndarray:
    """``values`` as an array of real numbers (a new array only when needed).

    Booleans, strings, complex numbers, objects and dates are refused with a
    TypeError; a masked array with masked entries with a ValueError.
    """
    values = unmask(name, values)
    try:
        arr = np.asarray(values)
    except ValueError:  # ragged nested lists
        raise TypeError(f"{name} must be an array of numbers (rows of equal length)") from None
    if arr.dtype.kind not in "iuf":
        what = "booleans" if arr.dtype.kind == "b" else f"dtype {arr.dtype}"
        raise TypeError(f"{name} must be real numbers, got {what}")
    return arr.astype(dtype, copy=False)


def unmask(name: str, values):
    """The data of a masked array without masked entries; a ValueError if it has some."""
    if isinstance(values, np.ma.MaskedArray):
        masked = int(np.ma.getmaskarray(values).sum())
        if masked:
            raise ValueError(
                f"{name} is a masked array with {masked} masked entries: fill them "
                f"({name}.filled(value)) or leave them out; carecast does not guess missing values"
            )
        return np.ma.getdata(values)
    return values


def physical_memory() -> int | None:
    """Bytes of physical memory, or None where the system does not say."""
    try:
        pages = os.sysconf("SC_PHYS_PAGES")
        size = os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return None
    if pages <= 0 or size <= 0:
        return None
    return int(pages) * int(size)


def format_bytes(n: float) -> str:
    """``7.3 TiB`` for a number of bytes."""
    units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"]
    u = 0
    while n >= 1024 and u + 1 < len(units):
        n /= 1024
        u += 1
    return f"{n:.0f} {units[u]}" if u == 0 else f"{n:.1f} {units[u]}"


def check_memory(parts: list[tuple[str, float]], remedy: str) -> None:
    """Refuse outputs that together would not fit in physical memory.

    ``parts`` are ``(description, bytes)``, e.g. ``("moved (R x steps x F)",
    8 * R * steps * F)``; the message names each, largest first.  Where the
    physical memory is unknown, only sizes beyond what an address space can
    hold (2**63 bytes) are refused here; the binding reports any other
    allocation failure in the same words.
    """
    total = float(sum(size for _, size in parts))
    limit = physical_memory()
    if limit is None:
        limit = 2 ** 63
    if total <= limit:
        return
    parts = sorted(parts, key=lambda p: -p[1])
    listing = ", ".join(f"{format_bytes(size)} for {what}" for what, size in parts if size > 0)
    raise MemoryError(
        f"would need {listing} ({format_bytes(total)} in all, more than this machine's "
        f"{format_bytes(limit)} of memory): {remedy}"
    )
