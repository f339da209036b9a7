"""Root finding over any scalar parameter of a scenario.

"How many children must be diverted from care to save £9.8m in year
three?" is ``find_root(lambda n: saving(n) - 9.8e6, 0, 2000)``.  The search
is Brent's method in C; each evaluation of ``f`` calls back into Python.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from carecast import _core
from carecast.engine._checks import check_count, real_number

__all__ = ["find_root"]


def find_root(f: Callable[[float], float], a: float, b: float, *, xtol: float = 1e-12,
              rtol: float = 4 * np.finfo(float).eps, maxiter: int = 200) -> float:
    """A root of ``f`` in the bracket ``[a, b]`` (Brent's method).

    Parameters
    ----------
    f : callable
        ``f(x) -> float``; ``f(a)`` and ``f(b)`` must differ in sign (or one
        of them be 0).
    a, b : float
        The bracket.
    xtol, rtol : float
        Stop when the bracket is narrower than ``xtol + rtol * |x|``.
    maxiter : int
        Evaluations allowed beyond the two end points.

    Raises
    ------
    TypeError
        ``f`` is not callable, returns something other than a real number
        (the message gives the x), or a bound is not a number.
    ValueError
        ``f`` returns NaN or infinity (the message gives the x).
    carecast.NotBracketedError
        ``f(a)`` and ``f(b)`` have the same sign: no root is guessed.
    carecast.ConvergenceError
        No convergence within ``maxiter`` evaluations.

    Examples
    --------
    >>> import carecast
    >>> round(carecast.find_root(lambda x: x * x - 2, 0, 2), 12)
    1.414213562373
    """
    if not callable(f):
        raise TypeError(f"f must be callable, got {type(f).__name__}")
    maxiter = check_count("maxiter", maxiter, 1)
    root, _, _ = _core.brent(f, real_number("a", a, finite=False), real_number("b", b, finite=False),
                             real_number("xtol", xtol, finite=False),
                             real_number("rtol", rtol, finite=False), maxiter)
    return root
