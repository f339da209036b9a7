"""Discounting, present value, payback, appraisal and root finding by hand.

Expected values are closed forms (``pow``) or arithmetic written out in the
comments; none comes from carecast's own output.  The Green Book schedule is
HM Treasury's (2022) declining long-term discount rate: 3.5% for years 0-30,
3.0% to 75, 2.5% to 125, 2.0% to 200, 1.5% to 300 and 1.0% beyond.
"""
import math

import numpy as np
import pytest

import carecast

TIGHT = 1e-13


# --- Green Book against the closed form ------------------------------------

@pytest.mark.parametrize("years, closed_form", [
    (0.0, 1.0),
    (30.0, 1.035 ** -30),
    # Half a year into the 3.0% piece.
    (30.5, 1.035 ** -30 * 1.03 ** -0.5),
    (75.0, 1.035 ** -30 * 1.03 ** -45),
    (100.0, 1.035 ** -30 * 1.03 ** -45 * 1.025 ** -25),
    (250.0, 1.035 ** -30 * 1.03 ** -45 * 1.025 ** -50 * 1.02 ** -75 * 1.015 ** -50),
    (301.0, 1.035 ** -30 * 1.03 ** -45 * 1.025 ** -50 * 1.02 ** -75 * 1.015 ** -100 * 1.01 ** -1),
])
def test_green_book_discount_factor_matches_closed_form(years, closed_form):
    got = carecast.discount_factors(np.array([years]))
    assert got.shape == (1,)
    assert got[0] == pytest.approx(closed_form, rel=TIGHT)
    # The default schedule is the Green Book.
    assert carecast.discount_factors(np.array([years]), carecast.GREEN_BOOK)[0] == got[0]


def test_green_book_within_first_30_years_is_pow_1_035():
    times = np.linspace(0, 30, 61)
    np.testing.assert_allclose(carecast.discount_factors(times), 1.035 ** -times, rtol=TIGHT)


def test_discount_factors_keep_the_shape_of_times():
    times = np.array([[0.0, 1.0, 2.0], [10.0, 40.0, 80.0]])
    got = carecast.discount_factors(times, 0.035)
    assert got.shape == (2, 3)
    np.testing.assert_allclose(got, 1.035 ** -times, rtol=TIGHT)


# --- zero rate is exactly no discounting ------------------------------------

def test_zero_rate_is_exactly_one_everywhere():
    times = np.array([0.0, 1e-9, 0.5, 1.0, 29.999, 30.0, 100.0, 1000.0, 1e6])
    assert np.all(carecast.discount_factors(times, 0.0) == 1.0)
    assert np.all(carecast.discount_factors(times, 0) == 1.0)
    zero_pieces = carecast.DiscountSchedule([0.0, 10.0, 50.0], [0.0, 0.0, 0.0])
    assert np.all(carecast.discount_factors(times, zero_pieces) == 1.0)
    assert np.all(carecast.step_discount_factors(500, dt=1 / 12, timing="end", schedule=0.0) == 1.0)


def test_zero_rate_present_value_is_the_plain_sum():
    values = np.array([1.5, 2.25, -0.75, 4.0])  # sums exactly to 7.0
    for timing in ("start", "mid", "end"):
        assert carecast.present_value(values, dt=1.0, timing=timing, schedule=0.0) == 7.0


# --- flat rates and timing -------------------------------------------------

def test_green_book_annual_start_is_one_over_1_035_to_the_t():
    t = np.arange(30)
    got = carecast.step_discount_factors(30, dt=1.0, timing="start")
    np.testing.assert_allclose(got, 1 / 1.035 ** t, rtol=TIGHT)
    assert got[0] == 1.0


def test_flat_6_percent_end_is_one_over_1_06_to_the_t_plus_1():
    t = np.arange(40)
    got = carecast.step_discount_factors(40, dt=1.0, timing="end", schedule=0.06)
    np.testing.assert_allclose(got, 1 / 1.06 ** (t + 1), rtol=TIGHT)


def test_mid_timing_is_half_a_step_in():
    t = np.arange(24)
    got = carecast.step_discount_factors(24, dt=1 / 12, timing="mid", schedule=0.035)
    np.testing.assert_allclose(got, 1.035 ** -((t + 0.5) / 12), rtol=TIGHT)
    # Default timing is "mid".
    np.testing.assert_array_equal(carecast.step_discount_factors(24, dt=1 / 12, schedule=0.035), got)


def test_piecewise_schedule_changes_rate_at_its_start():
    # 10% for 2 years then 0%: the factor is frozen at 1.1**-2 from year 2.
    sched = carecast.DiscountSchedule([0.0, 2.0], [0.10, 0.0])
    got = carecast.discount_factors(np.array([1.0, 2.0, 3.0, 50.0]), sched)
    np.testing.assert_allclose(got, [1 / 1.1, 1 / 1.21, 1 / 1.21, 1 / 1.21], rtol=TIGHT)


# --- present value by hand -------------------------------------------------

def test_present_value_by_hand():
    # 100 a year for 3 years, paid at year ends, at 10%:
    # 100/1.1 + 100/1.21 + 100/1.331 = 90.909090... + 82.644628... + 75.131480...
    expected = 100 / 1.1 + 100 / 1.21 + 100 / 1.331
    assert expected == pytest.approx(248.68519909842224, rel=1e-15)
    got = carecast.present_value(np.array([100.0, 100.0, 100.0]), dt=1.0, timing="end", schedule=0.10)
    assert got == pytest.approx(expected, rel=TIGHT)
    # Paid at the start of each year: 100 + 100/1.1 + 100/1.21 = 273.553719...
    got = carecast.present_value([100.0, 100.0, 100.0], dt=1.0, timing="start", schedule=0.10)
    assert got == pytest.approx(100 + 100 / 1.1 + 100 / 1.21, rel=TIGHT)


def test_monthly_present_value_by_hand():
    # 1,000 a month for a year, mid-month, at 12% a year:
    # sum_k 1000 * 1.12 ** -((k + 0.5) / 12), k = 0..11.
    expected = sum(1000 * 1.12 ** -((k + 0.5) / 12) for k in range(12))
    got = carecast.present_value(np.full(12, 1000.0), dt=1 / 12, timing="mid", schedule=0.12)
    assert got == pytest.approx(expected, rel=TIGHT)


def test_cumulative_and_discounted_cumulative_by_hand():
    values = np.array([10.0, 20.0, 30.0])
    np.testing.assert_array_equal(carecast.cumulative(values), [10.0, 30.0, 60.0])
    got = carecast.discounted_cumulative(values, dt=1.0, timing="start", schedule=1.0)
    # 100% a year: factors 1, 1/2, 1/4 -> 10, 10 + 10, 20 + 7.5.
    np.testing.assert_allclose(got, [10.0, 20.0, 27.5], rtol=TIGHT)


# --- payback by hand -------------------------------------------------------

@pytest.mark.parametrize("net, dt, expected", [
    # Cumulative -100, -50, 0, 50: zero is reached exactly at the end of step 2.
    ([-100.0, 50.0, 50.0, 50.0], 1.0, 3.0),
    # Cumulative -100, -60, 20: in step 2, 60 of its 80 are needed: 2 + 0.75.
    ([-100.0, 40.0, 80.0], 1.0, 2.75),
    # Monthly: -120 then 10 a month; 0 is reached at the end of month 12
    # (index 12), i.e. 13 months.
    ([-120.0] + [10.0] * 24, 1 / 12, 13 / 12),
    # Never negative: pays back at once.
    ([0.0, 5.0], 1.0, 0.0),
    ([10.0, -5.0], 1.0, 0.0),
    # Still negative at the horizon.
    ([-100.0, 10.0, 10.0], 1.0, math.inf),
])
def test_payback_by_hand_undiscounted(net, dt, expected):
    got = carecast.payback(np.array(net), dt=dt, schedule=0.0)
    if math.isinf(expected):
        assert got == math.inf
    else:
        assert got == pytest.approx(expected, rel=1e-14, abs=1e-14)


def test_payback_by_hand_discounted():
    # -100, 60, 60 at year ends, 10%: discounted -100/1.1, 60/1.21, 60/1.331.
    # After 2 years the cumulative is -100/1.1 + 60/1.21 = -50/1.21; step 2
    # brings 60/1.331, so the share needed is (50/1.21)/(60/1.331) = 55/60.
    got = carecast.payback(np.array([-100.0, 60.0, 60.0]), dt=1.0, timing="end", schedule=0.10)
    assert got == pytest.approx(2 + 55 / 60, rel=1e-13)
    # Undiscounted: cumulative -100, -40, 20, so step 2 needs 40 of its 60:
    # 2 + 40/60.
    got = carecast.payback(np.array([-100.0, 60.0, 60.0]), dt=1.0, timing="end", schedule=0.0)
    assert got == pytest.approx(2 + 40 / 60, rel=1e-13)


# --- npv, benefit-cost ratio, return on investment by hand ------------------

def test_npv_bcr_roi_by_hand():
    # Cost 100 now; benefits 110 after one year and 121 after two, at 10%,
    # values at step starts: PV(benefits) = 110/1.1 + 121/1.21 = 200,
    # PV(costs) = 100.  NPV 100, BCR 2, ROI (200 - 100)/100 = 1.
    benefits = np.array([0.0, 110.0, 121.0])
    costs = np.array([100.0, 0.0, 0.0])
    kw = dict(dt=1.0, timing="start", schedule=0.10)
    assert carecast.npv(benefits, costs, **kw) == pytest.approx(100.0, rel=TIGHT)
    assert carecast.benefit_cost_ratio(benefits, costs, **kw) == pytest.approx(2.0, rel=TIGHT)
    assert carecast.roi(benefits, costs, **kw) == pytest.approx(1.0, rel=TIGHT)


def test_npv_undiscounted_is_the_difference_of_sums():
    benefits = np.array([5.0, 7.0, 9.0])
    costs = np.array([10.0, 1.0, 1.0])
    assert carecast.npv(benefits, costs, schedule=0.0) == 9.0
    assert carecast.benefit_cost_ratio(benefits, costs, schedule=0.0) == 21.0 / 12.0
    assert carecast.roi(benefits, costs, schedule=0.0) == pytest.approx(9.0 / 12.0, rel=1e-15)


# --- root finding --------------------------------------------------------

@pytest.mark.parametrize("f, a, b, root", [
    (lambda x: x * x - 2.0, 0.0, 2.0, math.sqrt(2.0)),
    (lambda x: math.cos(x) - x, 0.0, 1.0, 0.7390851332151607),  # the Dottie number
    (lambda x: 3.0 - x, 0.0, 10.0, 3.0),
    (lambda x: x ** 3 - x - 2.0, 1.0, 2.0, 1.5213797068045676),  # real root of x^3 - x - 2
    (lambda x: math.exp(x) - 10.0, -5.0, 5.0, math.log(10.0)),
])
def test_find_root_on_known_roots(f, a, b, root):
    got = carecast.find_root(f, a, b)
    assert got == pytest.approx(root, rel=1e-12, abs=1e-12)


def test_find_root_end_point_that_is_a_root_is_returned():
    assert carecast.find_root(lambda x: x - 1.0, 1.0, 5.0) == 1.0
    assert carecast.find_root(lambda x: x - 5.0, 1.0, 5.0) == 5.0


def test_find_root_respects_xtol():
    got = carecast.find_root(lambda x: x - math.pi, 0.0, 4.0, xtol=1e-3, rtol=0.0)
    assert abs(got - math.pi) <= 1e-3


def test_find_root_not_bracketed():
    with pytest.raises(carecast.NotBracketedError):
        carecast.find_root(lambda x: x * x + 1.0, -1.0, 1.0)
    assert issubclass(carecast.NotBracketedError, carecast.CarecastError)


def test_find_root_passes_on_the_callers_exception():
    def broken(x):
        raise ZeroDivisionError("user code failed")

    with pytest.raises(ZeroDivisionError, match="user code failed"):
        carecast.find_root(broken, 0.0, 1.0)


def test_find_root_refuses_a_nan_from_the_function():
    with pytest.raises((carecast.CarecastError, ValueError)):
        carecast.find_root(lambda x: math.nan, 0.0, 1.0)


# --- price index by hand ---------------------------------------------------

def test_price_index_by_hand():
    np.testing.assert_allclose(
        carecast.price_index(3, dt=1.0, annual_rate=0.02, timing="start"),
        [1.0, 1.02, 1.0404], rtol=TIGHT)
    # Two years after the price base year, monthly, end of month.
    got = carecast.price_index(2, dt=1 / 12, annual_rate=0.05, years_from_base=2.0, timing="end")
    np.testing.assert_allclose(got, [1.05 ** (2 + 1 / 12), 1.05 ** (2 + 2 / 12)], rtol=TIGHT)


def test_green_book_schedule_is_the_one_in_design():
    # DESIGN.md: 3.5% for years 0-30, 3.0% to 75, 2.5% to 125, 2.0% to 200,
    # 1.5% to 300, 1.0% beyond.
    assert tuple(carecast.GREEN_BOOK.starts) == (0.0, 30.0, 75.0, 125.0, 200.0, 300.0)
    assert tuple(carecast.GREEN_BOOK.rates) == (0.035, 0.030, 0.025, 0.020, 0.015, 0.010)


def test_timing_may_be_a_fraction_of_the_step():
    # c = 0.25: a quarter of the way through each quarter-year step, at 8%.
    got = carecast.step_discount_factors(8, dt=0.25, timing=0.25, schedule=0.08)
    np.testing.assert_allclose(got, 1.08 ** -((np.arange(8) + 0.25) * 0.25), rtol=TIGHT)


def test_discount_factor_of_a_scalar_time():
    got = carecast.discount_factors(30.5)
    assert float(np.asarray(got)) == pytest.approx(1.035 ** -30 * 1.03 ** -0.5, rel=TIGHT)
