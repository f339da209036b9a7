"""Options appraisal with weighted criteria, and how the ranking depends on the weights.

Councils choose between delivery options (keep a service in house, move it
to a trust, share it with a neighbour) by scoring each option against
criteria and weighting the criteria.  The ranking is only as firm as the
weights: this module makes the dependence explicit.

- :func:`weighted_scores`: ``scores @ weights`` for one set of weights or
  many;
- :func:`random_weights`: weights drawn uniformly over all sets that sum to
  1 (a flat Dirichlet), optionally concentrated around chosen weights;
- :func:`rank_probabilities`: the share of weight sets under which each
  option takes each rank.

Scores are "higher is better" on each criterion; put costs in as negative
numbers or as a score.

>>> import numpy as np, carecast
>>> scores = np.array([[1.0, 0.0], [0.0, 1.0]])     # A best on criterion 1, B on 2
>>> carecast.weighted_scores(scores, [0.7, 0.3])
array([0.7, 0.3])
>>> w = carecast.random_weights(20000, 2, rng=np.random.default_rng(1))
>>> bool(abs(carecast.rank_probabilities(scores, w)[0, 0] - 0.5) < 0.02)
True
"""
from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from carecast.engine._checks import check_count, check_memory, real_array, real_number

__all__ = ["weighted_scores", "random_weights", "rank_probabilities"]


def _scores(scores) -> np.ndarray:
    arr = real_array("scores", scores)
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"scores must be 2-D (options, criteria) and non-empty, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        i, j = np.argwhere(~np.isfinite(arr))[0]
        raise ValueError(f"scores[{i}, {j}] = {arr[i, j]} is not finite")
    return arr


def _weights(weights, criteria: int, name: str = "weights") -> np.ndarray:
    arr = real_array(name, weights)
    if arr.ndim not in (1, 2) or arr.shape[-1] != criteria:
        raise ValueError(f"{name} must be ({criteria},) or (draws, {criteria}), got shape {arr.shape}")
    if not np.isfinite(arr).all() or (arr < 0).any():
        raise ValueError(f"{name} must be finite and >= 0")
    return arr


def weighted_scores(scores: ArrayLike, weights: ArrayLike) -> np.ndarray:
    """Each option's weighted score: ``scores @ weights``.

    Parameters
    ----------
    scores : array_like, shape (options, criteria)
    weights : array_like, shape (criteria,) or (draws, criteria)

    Returns
    -------
    ndarray, shape (options,) or (draws, options)
    """
    s = _scores(scores)
    w = _weights(weights, s.shape[1])
    return w @ s.T


def random_weights(draws: int, criteria: int, *, around: ArrayLike | None = None,
                   concentration: float = 1.0, rng=None) -> np.ndarray:
    """Weight sets that sum to 1, drawn from a Dirichlet distribution.

    With ``around=None`` every set of weights is equally likely (the flat
    Dirichlet).  With ``around`` (weights summing to 1) the draws centre on
    it; ``concentration`` (the Dirichlet's total) sets how tightly - 10 is
    loose, 100 tight.  ``concentration`` must be a finite number above 0
    (with ``around=None`` it is each criterion's Dirichlet parameter: 1 is
    flat).
    """
    draws = check_count("draws", draws, 1)
    criteria = check_count("criteria", criteria, 1)
    concentration = real_number("concentration", concentration)
    if not concentration > 0:
        # A Dirichlet with a zero parameter gives zeros (and NaN with NaN):
        # weights that do not sum to 1.
        raise ValueError(f"concentration must be above 0, got {concentration!r}")
    check_memory([("the weights (draws x criteria)", 8.0 * draws * criteria)],
                 f"draw fewer weight sets (draws = {draws})")
    if isinstance(rng, (bool, np.bool_)):
        raise TypeError("rng must be a numpy Generator, a seed or None, got bool")
    try:
        rng = np.random.default_rng(rng)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"rng must be a numpy Generator, a seed or None: {exc}") from None
    if around is None:
        alpha = np.full(criteria, concentration)
    else:
        centre = _weights(around, criteria, "around")
        if centre.ndim != 1 or abs(centre.sum() - 1) > 1e-9 or (centre == 0).any():
            raise ValueError("around must be one set of positive weights summing to 1")
        alpha = centre * concentration
    return rng.dirichlet(alpha, size=int(draws))


def rank_probabilities(scores: ArrayLike, weights: ArrayLike) -> np.ndarray:
    """Share of the weight sets under which option ``o`` takes rank ``r`` (0 = best).

    Ties are broken in favour of the option listed first.

    Returns
    -------
    ndarray, shape (options, options)
        Row ``o``, column ``r``; each row and each column sums to 1.
    """
    s = _scores(scores)
    w = _weights(weights, s.shape[1])
    totals = np.atleast_2d(w @ s.T)                       # (draws, options)
    order = np.argsort(-totals, axis=1, kind="stable")    # best first
    options = s.shape[0]
    counts = np.zeros((options, options))
    for rank in range(options):
        counts[:, rank] = np.bincount(order[:, rank], minlength=options)
    return counts / totals.shape[0]
