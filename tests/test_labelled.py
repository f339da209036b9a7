"""The labelled layer: names in, the same numbers as the array engine out."""
import math

import numpy as np
import pytest

import carecast


def _model():
    m = carecast.CohortModel(["in care", "home", "adopted"])
    m.add_flow("in care", "home", 0.30)
    m.add_flow("in care", "adopted", 0.05)
    return m


def test_projection_by_name_matches_hand_calculation():
    r = _model().project({"in care": 100}, steps=2)
    # competing risks: total 0.35 a year, each flow its share of 1 - exp(-0.35)
    assert r["in care"] == pytest.approx([100, 100 * math.exp(-0.35), 100 * math.exp(-0.7)],
                                         rel=1e-14)
    first_year_home = 100 * 0.30 / 0.35 * -math.expm1(-0.35)
    assert r.moved_by("in care", "home")[0] == pytest.approx(first_year_home, rel=1e-14)
    assert r["home"][1] == pytest.approx(first_year_home, rel=1e-14)


def test_overrides_and_inflow_by_name():
    m = _model()
    r = m.project({"in care": 10}, steps=1, values={"in care -> adopted": 0.0},
                  inflow={"in care": 5})
    assert r["adopted"][1] == 0.0
    assert r["in care"][1] == pytest.approx(10 * math.exp(-0.30) + 5, rel=1e-14)
    arrays = carecast.project([10, 0, 0], [0, 0], [1, 2], [0.3, 0.0], 1, inflow=[5, 0, 0])
    assert np.array_equal(r.result.occupancy, arrays.occupancy)


@pytest.mark.parametrize("call, error, pattern", [
    (lambda: carecast.CohortModel([]), ValueError, "states"),
    (lambda: carecast.CohortModel(["a", "a"]), ValueError, "unique"),
    (lambda: _model().add_flow("in care", "nowhere"), KeyError, "nowhere"),
    (lambda: _model().add_flow("in care", "home"), ValueError, "exists"),
    (lambda: _model().project({"care": 1}, 1), KeyError, "x0"),
    (lambda: _model().project({"in care": 1}, 1, values={"x": 1}), KeyError, "values"),
    (lambda: _model().project({"in care": 1}, 1).moved_by("home", "in care"), KeyError, "no flow"),
])
def test_bad_names_are_refused(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()
