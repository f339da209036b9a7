"""Workforce: staff needed, turnover, recruitment limits, agency cover and cost, by hand."""
import math

import numpy as np
import pytest

import carecast

BASE = dict(target_caseload=20, permanent=25, turnover=0.0, hires_per_year=2.0,
            agency_cover=1.0, salary=35_000, oncost_rate=0.0, agency_premium=6_000)


def test_recruitment_limit_and_agency_cover_by_hand():
    w = carecast.project_workforce([600, 600, 600], **BASE)
    assert w.needed.tolist() == [30, 30, 30]
    assert w.permanent.tolist() == [25, 27, 29]
    assert w.agency.tolist() == [5, 3, 1]
    assert w.vacancies.tolist() == [0, 0, 0]
    assert w.caseload.tolist() == [20, 20, 20]
    # step 1: permanent (25 + 27) / 2 = 26 at 35,000; agency (5 + 3) / 2 = 4 at 41,000
    assert w.cost[0] == pytest.approx(26 * 35_000 + 4 * 41_000)
    assert w.cost[1] == pytest.approx(28 * 35_000 + 2 * 41_000)


def test_turnover_is_replaced_when_recruitment_allows():
    w = carecast.project_workforce([2000] * 3, **{**BASE, "permanent": 100, "turnover": 0.2,
                                                "hires_per_year": math.inf})
    leavers = 100 * (1 - math.exp(-0.2))
    assert w.leavers[0] == pytest.approx(leavers)
    assert w.hires[0] == pytest.approx(leavers)
    assert w.permanent.tolist() == pytest.approx([100, 100, 100])


def test_without_agency_cover_caseloads_rise():
    w = carecast.project_workforce([580, 580], **{**BASE, "agency_cover": 0.0,
                                                "hires_per_year": 0.0, "permanent": 20})
    assert w.vacancies.tolist() == pytest.approx([9, 9])
    assert w.caseload.tolist() == pytest.approx([29, 29])


def test_staff_above_need_leave_by_turnover_not_redundancy():
    w = carecast.project_workforce([200, 200], **{**BASE, "permanent": 20, "turnover": 0.1,
                                                "dt": 0.5})
    assert w.permanent[1] == pytest.approx(20 * math.exp(-0.05))
    assert w.hires[0] == 0


def test_agency_cover_may_change_over_time():
    w = carecast.project_workforce([600, 600, 600], **{**BASE, "agency_cover": [0.0, 0.5, 1.0]})
    assert w.agency.tolist() == [0, 1.5, 1]
    assert w.caseload[0] == pytest.approx(600 / 25)


def test_staff_needed():
    assert carecast.staff_needed([290, 435], 14.5).tolist() == [20, 30]


@pytest.mark.parametrize("change, error, pattern", [
    ({"target_caseload": 0}, ValueError, "target_caseload"),
    ({"turnover": -0.1}, ValueError, "turnover"),
    ({"agency_cover": 1.5}, ValueError, "agency_cover"),
    ({"salary": float("nan")}, ValueError, "salary"),
    ({"permanent": "many"}, TypeError, "permanent"),
    ({"dt": 0}, ValueError, "dt"),
    ({"agency_cover": [0.5, 1.2]}, ValueError, r"agency_cover.*\[1\]"),
    ({"agency_cover": [0.5]}, ValueError, "one value per time point"),
])
def test_bad_arguments(change, error, pattern):
    with pytest.raises(error, match=pattern):
        carecast.project_workforce([10, 10], **{**BASE, **change})


def test_bad_cases():
    with pytest.raises(ValueError, match=r"cases\[1\]"):
        carecast.project_workforce([10, -1], **BASE)
    with pytest.raises(ValueError, match="1-D"):
        carecast.project_workforce(np.ones((2, 2)), **BASE)
