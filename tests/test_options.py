"""Options appraisal: weighted scores and rank probabilities, by hand and by geometry."""
import numpy as np
import pytest

import carecast


def test_weighted_scores_by_hand():
    scores = [[3, 1, 2], [1, 3, 2]]
    assert carecast.weighted_scores(scores, [0.5, 0.25, 0.25]).tolist() == [2.25, 1.75]
    many = carecast.weighted_scores(scores, [[1, 0, 0], [0, 1, 0]])
    assert many.tolist() == [[3, 1], [1, 3]]


def test_rank_probabilities_match_the_geometry_of_the_weight_simplex():
    # Option A scores (1, 0, 0), B (0, 1, 0), C (0, 0, 1): each wins where its weight is the
    # largest, a third of the flat simplex by symmetry.  D = (0.5, 0.5, 0.5) beats all three
    # exactly where the largest weight is below 0.5: the central triangle of the simplex,
    # whose area is 1/4 of the whole (corners at the edge midpoints).
    scores = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [0.5, 0.5, 0.5]])
    w = carecast.random_weights(200_000, 3, rng=np.random.default_rng(7))
    p = carecast.rank_probabilities(scores, w)
    assert p[3, 0] == pytest.approx(0.25, abs=0.005)
    assert p[:3, 0] == pytest.approx([0.25, 0.25, 0.25], abs=0.005)
    assert p.sum(axis=0) == pytest.approx(np.ones(4))
    assert p.sum(axis=1) == pytest.approx(np.ones(4))


def test_weights_around_a_centre():
    w = carecast.random_weights(50_000, 3, around=[0.5, 0.3, 0.2], concentration=100,
                                rng=np.random.default_rng(3))
    assert w.mean(axis=0) == pytest.approx([0.5, 0.3, 0.2], abs=0.003)
    assert w.sum(axis=1) == pytest.approx(np.ones(50_000))
    # Dirichlet variance: m (1 - m) / (concentration + 1)
    assert w[:, 0].var() == pytest.approx(0.25 / 101, rel=0.05)


def test_ties_go_to_the_option_listed_first():
    p = carecast.rank_probabilities([[1, 1], [1, 1]], [[0.5, 0.5]])
    assert p.tolist() == [[1, 0], [0, 1]]


@pytest.mark.parametrize("call, pattern", [
    (lambda: carecast.weighted_scores([1, 2], [1]), "scores must be 2-D"),
    (lambda: carecast.weighted_scores([[1, np.nan]], [1, 1]), r"scores\[0, 1\]"),
    (lambda: carecast.weighted_scores([[1, 2]], [1]), "weights must be"),
    (lambda: carecast.weighted_scores([[1, 2]], [1, -1]), ">= 0"),
    (lambda: carecast.random_weights(0, 2), "draws"),
    (lambda: carecast.random_weights(5, 2, around=[0.2, 0.2]), "summing to 1"),
])
def test_bad_input(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()
