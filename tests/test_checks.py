"""carecast.checks: each check refuses what it should, naming the field and the labelled position."""

import datetime as dt
import pickle

import numpy as np
import pytest

from carecast import checks
from carecast.checks import Axis, FieldError, FieldTypeError

AGES = Axis("age bands", ("age 0-9", "age 10-15", "age 16-17"))
PLACES = Axis("placements", ("foster", "residential"))
GROUPS = Axis("exit groups", ("home", "adopted", "left_care_at_18"))
NINE = Axis("placements", tuple(f"p{i}" for i in range(9)))


def test_field_error_carries_field_position_and_context():
    err = FieldError("exit_rates", "is negative (-1)", position="exit_rates[age 0-9, foster]", context="scenario 'x'")
    assert isinstance(err, ValueError)
    assert (err.field, err.position, err.where) == ("exit_rates", "exit_rates[age 0-9, foster]",
                                                    "exit_rates[age 0-9, foster]")
    assert str(err) == "scenario 'x': exit_rates[age 0-9, foster]: is negative (-1)"
    inner = err.within("set")
    assert (inner.field, inner.position) == ("set.exit_rates", "set.exit_rates[age 0-9, foster]")
    assert inner.message == err.message
    typed = FieldTypeError("rate", "must be a number")
    assert isinstance(typed, TypeError) and isinstance(typed, ValueError)
    again = pickle.loads(pickle.dumps(err))
    assert (type(again), again.field, again.position, str(again)) == (FieldError, err.field, err.position, str(err))


@pytest.mark.parametrize("value, kw, error, message", [
    (True, {}, FieldTypeError, "rate: must be a number, got a true/false value (True)"),
    (np.bool_(False), {}, FieldTypeError, "rate: must be a number, got a true/false value (False)"),
    ("0.3", {}, FieldTypeError, "rate: must be a number, got the text '0.3'; write numbers without quotes"),
    ("2,285", {}, FieldTypeError, "rate: must be a number, got the text '2,285'; write numbers without quotes "
                                  "or thousands separators"),
    (None, {}, FieldTypeError, "rate: must be a number, got nothing (None)"),
    (float("nan"), {}, FieldError, "rate: must be finite, got nan"),
    (float("inf"), {}, FieldError, "rate: must be finite, got inf"),
    (-0.5, {"low": 0}, FieldError, "rate: must be >= 0, got -0.5"),
    (0.0, {"low": 0, "low_open": True}, FieldError, "rate: must be > 0, got 0"),
    (1.5, {"high": 1}, FieldError, "rate: must be <= 1, got 1.5"),
])
def test_number_refuses(value, kw, error, message):
    with pytest.raises(error) as info:
        checks.number("rate", value, **kw)
    assert str(info.value) == message
    assert info.value.field == "rate"


def test_number_accepts_ints_floats_and_numpy_scalars():
    assert checks.number("x", 3) == 3.0 and type(checks.number("x", 3)) is float
    assert checks.number("x", np.float32(0.5)) == 0.5
    assert checks.number("x", np.int64(7), low=0, high=7) == 7.0
    assert checks.integer("n", 3.0) == 3
    with pytest.raises(FieldError, match="n: must be a whole number, got 3.5"):
        checks.integer("n", 3.5)
    assert checks.flag("f", True) is True
    with pytest.raises(FieldTypeError, match="f: must be true or false, got the number 1"):
        checks.flag("f", 1)


def test_names_and_choice():
    assert checks.names("placements", ["a", "b"]) == ("a", "b")
    with pytest.raises(FieldTypeError, match="must be a list of names"):
        checks.names("placements", "ab")
    with pytest.raises(FieldError, match=r"placements\[1\]: 'a' is listed twice"):
        checks.names("placements", ["a", "a"])
    with pytest.raises(FieldTypeError) as info:
        checks.names("placements", ["a", 3])
    assert info.value.position == "placements[1]"
    with pytest.raises(FieldError, match="must not be empty"):
        checks.names("placements", [])
    with pytest.raises(FieldError, match="step: must be one of week, month, got 'day'"):
        checks.choice("step", "day", ("week", "month"))


def test_bands():
    assert checks.bands("age_bands", (0, 10, 16), upper=18) == (0.0, 10.0, 16.0)
    cases = [((1, 10), "age_bands[0]: must start at 0"),
             ((0, 5, 5), "age_bands[2]: must be strictly increasing: 5 follows 5"),
             ((0, 18), "age_bands[1]: = 18 must be below 18"),
             ((), "age_bands: must have at least one band"),
             ((0, True), "age_bands[1]: must be a number, got a true/false value"),
             ((0, "5"), "age_bands[1]: must be a number, got the text '5'; write numbers without quotes"),
             ((0, float("nan")), "age_bands[1]: must be finite")]
    for values, message in cases:
        with pytest.raises(FieldError) as info:
            checks.bands("age_bands", values, upper=18)
        assert str(info.value).startswith(message), (values, str(info.value))
        assert info.value.field == "age_bands"
    with pytest.raises(FieldError, match="at most 1000"):
        checks.bands("age_bands", np.arange(2000) / 200.0)


def test_date_in_a_sane_range():
    assert checks.date("start_date", dt.datetime(2017, 3, 31, 12)) == dt.date(2017, 3, 31)
    with pytest.raises(FieldError, match="9999-12-31 is outside 1900-01-01 to 2200-12-31"):
        checks.date("start_date", dt.date(9999, 12, 31))
    with pytest.raises(FieldTypeError, match="must be a date like 2017-03-31, got the text"):
        checks.date("start_date", "2017-03-31")


def test_eight_values_for_nine_placements():
    with pytest.raises(FieldError) as info:
        checks.array("weekly_cost", [100.0] * 8, [NINE])
    assert str(info.value) == "weekly_cost: 8 values for 9 placements"
    assert info.value.field == "weekly_cost" and info.value.position is None
    with pytest.raises(FieldError, match="weekly_cost: 1 value for 9 placements"):
        checks.array("weekly_cost", [1.0], [NINE])


def test_shape_errors_name_the_dimension():
    with pytest.raises(FieldError) as info:
        checks.array("stock", np.zeros((3, 3)), [AGES, PLACES])
    assert str(info.value) == "stock: 3 values for 2 placements (shape (3, 3); expected 3 age bands x 2 placements)"
    with pytest.raises(FieldError) as info:
        checks.array("stock", np.zeros((3,)), [AGES, PLACES])
    assert str(info.value) == "stock: has 1 dimension (3,); expected 2: 3 age bands x 2 placements"
    # broadcasting: a trailing (E,) fits, a wrong trailing length does not
    full = checks.array("exit_rates", [0.3, 0.1, 0.0], [AGES, PLACES, GROUPS], broadcast=True)
    assert full.shape == (3, 2, 3) and full[2, 1].tolist() == [0.3, 0.1, 0.0]
    with pytest.raises(FieldError, match=r"exit_rates: 2 values for 3 exit groups"):
        checks.array("exit_rates", [0.3, 0.1], [AGES, PLACES, GROUPS], broadcast=True)


def test_positions_are_labelled():
    rates = np.zeros((3, 2, 3))
    rates[1, 1, 1] = -0.05
    with pytest.raises(FieldError) as info:
        checks.array("exit_rates", rates, [AGES, PLACES, GROUPS])
    assert info.value.position == "exit_rates[age 10-15, residential, adopted]"
    assert str(info.value) == "exit_rates[age 10-15, residential, adopted]: is negative (-0.05)"
    rates[1, 1, 1] = np.nan
    with pytest.raises(FieldError) as info:
        checks.array("exit_rates", rates, [AGES, PLACES, GROUPS])
    assert info.value.position == "exit_rates[age 10-15, residential, adopted]"
    # an axis of one position (no time-in-care bands) is left out of the label
    one = Axis("time-in-care bands", ("in care 0+ years",))
    stock = np.zeros((3, 2, 1))
    stock[2, 0, 0] = np.inf
    with pytest.raises(FieldError) as info:
        checks.array("stock", stock, [AGES, PLACES, one])
    assert info.value.position == "stock[age 16-17, foster]"
    with pytest.raises(FieldError) as info:
        checks.array("share", [0.5, 1.5], [PLACES], high=1.0)
    assert str(info.value) == "share[residential]: is above 1 (1.5)"


def test_list_leaves_checked_before_numpy():
    with pytest.raises(FieldTypeError) as info:
        checks.array("stock", [[1.0, "2"], [3.0, 4.0], [5.0, 6.0]], [AGES, PLACES])
    assert info.value.position == "stock[age 0-9, residential]"
    assert "got the text '2'; write numbers without quotes" in str(info.value)
    with pytest.raises(FieldTypeError, match=r"stock\[age 10-15, foster\]: must be numbers, got a true/false"):
        checks.array("stock", [[1.0, 2.0], [True, 4.0], [5.0, 6.0]], [AGES, PLACES])
    with pytest.raises(FieldTypeError, match="got true/false values"):
        checks.array("stock", np.ones((3, 2), dtype=bool), [AGES, PLACES])
    with pytest.raises(FieldTypeError, match="array of <U1"):
        checks.array("stock", np.array([["a", "b"]] * 3), [AGES, PLACES])
    with pytest.raises(FieldTypeError, match="got a table"):
        checks.array("stock", {"a": 1}, [AGES, PLACES])
    with pytest.raises(FieldError) as info:
        checks.array("stock", [[1.0, 2.0], [3.0], [5.0, 6.0]], [AGES, PLACES])
    assert str(info.value) == "stock[age 10-15]: is ragged: 1 value here, where stock[age 0-9] has 2 values"


def test_depth_and_size_are_bounded():
    deep: list = [1.0]
    for _ in range(5000):
        deep = [deep]
    with pytest.raises(FieldError, match="nested more than 8 lists deep"):
        checks.array("stock", deep, [AGES, PLACES])
    with pytest.raises(FieldError, match="more than 5,000,000 values"):
        checks.array("stock", [0.0] * (checks.MAX_ELEMENTS + 1), [AGES])


def test_leading_axis_and_empty():
    years = checks.array("entries_per_year", np.zeros((2, 3, 2)), [AGES, PLACES], leading="years")
    assert years.shape == (2, 3, 2)
    bad = np.zeros((2, 3, 2))
    bad[1, 0, 1] = -1
    with pytest.raises(FieldError) as info:
        checks.array("entries_per_year", bad, [AGES, PLACES], leading="years")
    assert info.value.position == "entries_per_year[year 2, age 0-9, residential]"
    with pytest.raises(FieldError, match="has no years"):
        checks.array("entries_per_year", np.zeros((0, 3, 2)), [AGES, PLACES], leading="years")
    with pytest.raises(FieldError, match="0 values for 2 placements"):
        checks.array("weekly_cost", [], [PLACES])


def test_inputs_not_modified_and_result_is_a_copy():
    value = np.array([1.0, 2.0])
    out = checks.array("w", value, [PLACES])
    out[0] = 9.0
    assert value.tolist() == [1.0, 2.0]
    assert checks.array("w", np.arange(4.0)[::2], [PLACES]).tolist() == [0.0, 2.0]   # non-contiguous
    assert checks.array("w", np.array([1, 2], dtype=np.float32), [PLACES]).dtype == np.float64


def test_a_broadcast_list_is_labelled_by_its_trailing_axes():
    with pytest.raises(FieldTypeError) as info:
        checks.array("exit_rates", [0.3, "0.1", 0.0], [AGES, PLACES, GROUPS], broadcast=True)
    assert info.value.position == "exit_rates[adopted]"


def test_a_broadcast_too_large_is_refused_before_allocating():
    ages = Axis("age bands", tuple(str(i) for i in range(1000)))
    with pytest.raises(FieldError, match="would have 1,000,000,000 values"):
        checks.array("move_rates", 0.0, [ages, ages, ages], broadcast=True)


def test_values_and_series():
    assert checks.values("cases", [[1, 2], [3, 4]]).tolist() == [[1.0, 2.0], [3.0, 4.0]]
    with pytest.raises(FieldError, match=r"cases\[0, 1\]: is negative \(-2\)"):
        checks.values("cases", [[1, -2]])
    assert checks.series("cases", (10, 12.5)).tolist() == [10.0, 12.5]
    with pytest.raises(FieldError, match=r"cases: has no values \(one per time point is needed\)"):
        checks.series("cases", [])
    with pytest.raises(FieldError, match=r"cases: must be 1-D \(one value per time point\), got shape \(2, 2\)"):
        checks.series("cases", np.ones((2, 2)))
    with pytest.raises(FieldTypeError, match=r"cases\[1\]: must be numbers, got a true/false value"):
        checks.series("cases", [1, True])
    with pytest.raises(FieldTypeError, match=r"cases\[0\]: must be numbers, got the text '1'"):
        checks.series("cases", ["1"])
    assert checks.is_number(3) and checks.is_number(np.float32(1)) and not checks.is_number(True)


def test_names_from_a_numpy_array():
    assert checks.names("placements", np.array(["a", "b"])) == ("a", "b")
