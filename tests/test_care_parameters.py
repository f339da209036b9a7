"""CareParameters validation, and the calendar, tables, progress bar and charts around the model."""

import datetime as dt
import io

import numpy as np
import pytest

from carecast.care import CareParameters
from carecast.care.calendar import financial_year_weights, step_dates, years_between
from carecast.care.parameters import parse_price_year
from carecast.care.report import money
from carecast.care.scenarios import Scenario
from carecast.care.tables import Table
from carecast.checks import FieldError
from carecast.progress import Progress


def empty(**kw):
    return CareParameters.empty(age_bands=(0, 10), placements=("foster", "home"), **kw)


def rates_with(index, value, shape=(2, 2, 1, 5)):
    arr = np.zeros(shape)
    arr[index] = value
    return arr


# (change, field, labelled position or None, message): positions and messages written by hand from
# age bands (0, 10) -> "age 0-9", "age 10-17"; placements foster, home; one time-in-care band (left out)
@pytest.mark.parametrize("change, field, position, message", [
    (dict(stock=np.zeros((2, 2))), "stock", None,
     "has 2 dimensions (2, 2); expected 3: 2 age bands x 2 placements x 1 time-in-care band"),
    (dict(stock=np.zeros((2, 3, 1))), "stock", None,
     "3 values for 2 placements (shape (2, 3, 1); expected 2 age bands x 2 placements x 1 time-in-care band)"),
    (dict(stock=rates_with((1, 0, 0), -1.0, (2, 2, 1))), "stock", "stock[age 10-17, foster]", "is negative (-1)"),
    (dict(stock=np.full((2, 2, 1), np.nan)), "stock", "stock[age 0-9, foster]", "must be finite, got nan"),
    (dict(entries_per_year=np.zeros((2, 3))), "entries_per_year", None, "3 values for 2 placements"),
    (dict(entries_per_year=rates_with((2, 0, 1), -3.0, (3, 2, 2))), "entries_per_year",
     "entries_per_year[year 3, age 0-9, home]", "is negative (-3)"),
    (dict(exit_rates=rates_with((1, 1, 0, 1), np.inf)), "exit_rates", "exit_rates[age 10-17, home, adopted]",
     "must be finite, got inf"),
    (dict(exit_rates=rates_with((0, 1, 0, 4), -0.1)), "exit_rates", "exit_rates[age 0-9, home, other]",
     "is negative (-0.1)"),
    (dict(exit_rates=np.zeros((2, 2, 1, 5), dtype=bool)), "exit_rates", None, "must be numbers, got true/false"),
    (dict(move_rates=rates_with((1, 1, 0, 1), 0.5, (2, 2, 1, 2))), "move_rates",
     "move_rates[age 10-17, home, to home]", "must be 0 on the diagonal"),
    (dict(age_bands=(1, 10)), "age_bands", "age_bands[0]", "must start at 0"),
    (dict(age_bands=(0, 18)), "age_bands", "age_bands[1]", "= 18 must be below 18"),
    (dict(age_bands=(0, 5, 5)), "age_bands", "age_bands[2]", "strictly increasing"),
    (dict(age_bands=(0, True)), "age_bands", "age_bands[1]", "must be a number, got a true/false value"),
    (dict(time_in_care_bands=()), "time_in_care_bands", None, "at least one band"),
    (dict(placements=("a", "a")), "placements", "placements[1]", "'a' is listed twice"),
    (dict(placements="ab"), "placements", None, "must be a list of names"),
    (dict(exit_groups=("home", "other")), "exit_groups", None, "left_care_at_18"),
    (dict(price_year="2016/17"), "price_year", None, "must be a financial year like '2016-17'"),
    (dict(price_year=2016), "price_year", None, "(in quotes)"),
    (dict(proceedings_share=1.5), "proceedings_share", None, "must be <= 1, got 1.5"),
    (dict(proceedings_share=True), "proceedings_share", None, "must be a number, got a true/false value"),
    (dict(entry_cost=-5), "entry_cost", None, "must be >= 0, got -5"),
    (dict(entry_cost="5"), "entry_cost", None, "must be a number, got the text '5'; write numbers without quotes"),
    (dict(cost_inflation=float("nan")), "cost_inflation", None, "must be finite"),
    (dict(discount_rate=-0.01), "discount_rate", None, "must be >= 0"),
    (dict(weekly_cost=[1.0, 2.0, 3.0]), "weekly_cost", None, "3 values for 2 placements"),
    (dict(weekly_cost=[1.0, "2"]), "weekly_cost", "weekly_cost[home]", "got the text '2'"),
    (dict(exit_costs=[0.0] * 4), "exit_costs", None, "4 values for 5 exit groups"),
    (dict(start_date="2017-03-31"), "start_date", None, "must be a date like 2017-03-31"),
    (dict(start_date=dt.date(9999, 12, 31)), "start_date", None, "9999-12-31 is outside 1950-01-01 to 2100-12-31"),
    (dict(cost_sources={"hotel": "x"}), "cost_sources", None, "names unknown placement 'hotel'"),
    (dict(cost_sources={"home": 3}), "cost_sources", None, "must be text"),
    (dict(sources="NAO 2024"), "sources", None, "must be a list of text"),
    (dict(assumptions=["ok", 3]), "assumptions", "assumptions[1]", "must be text"),
    (dict(name=None), "name", None, "must be text"),
])
def test_validation_names_the_field(change, field, position, message):
    base = empty()
    with pytest.raises(FieldError) as info:
        base.replace(**change)
    err = info.value
    assert (err.field, err.position) == (field, position), str(err)
    assert message in err.message, str(err)
    assert str(err).startswith(f"{position or field}: ")


def test_validation_errors_are_value_or_type_errors():
    with pytest.raises(ValueError):
        empty().replace(entry_cost=-1)
    with pytest.raises(TypeError):
        empty().replace(entry_cost="1")


def test_labels_of_bands():
    from carecast.care.parameters import age_axis, time_in_care_axis
    assert age_axis((0, 1, 5, 10, 16)).labels == ("age 0", "age 1-4", "age 5-9", "age 10-15", "age 16-17")
    assert age_axis((0, 0.5)).labels == ("age 0-0.5", "age 0.5-18")
    assert time_in_care_axis((0, 0.25, 0.5, 1, 2)).labels == (
        "in care 0-3 months", "in care 3-6 months", "in care 6-12 months", "in care 1-2 years", "in care 2+ years")
    p = CareParameters.empty(age_bands=(0, 10, 16), time_in_care_bands=(0, 0.25))
    rates = np.zeros(p.exit_rates.shape)
    rates[1, p.placements.index("residential"), 1, p.exit_groups.index("adopted")] = -0.2
    with pytest.raises(FieldError) as info:
        p.replace(exit_rates=rates)
    assert info.value.position == "exit_rates[age 10-15, residential, in care 3+ months, adopted]"


def test_replace_copies_and_empty_is_zero():
    p = empty()
    assert p.shape == (2, 2, 1, 5) and p.total_stock() == 0.0
    q = p.replace(stock=np.ones((2, 2, 1)))
    q.exit_rates[0, 0, 0, 0] = 1.0
    assert p.exit_rates.sum() == 0.0                   # arrays are copies
    assert q.total_stock() == 4.0
    np.testing.assert_array_equal(p.age_band_widths(), [10.0, 8.0])
    assert parse_price_year("1999-00") == 1999


def test_scenario_errors():
    with pytest.raises(ValueError, match="set.colour: unknown field"):
        Scenario("x", set={"colour": 1})
    with pytest.raises(ValueError, match="cannot be scaled"):
        Scenario("x", scale={"name": 2})
    with pytest.raises(ValueError, match="scenario name"):
        Scenario("has space")
    with pytest.raises(ValueError, match=r"scale.exit_rates: 2 values for 5 exit groups \(shape \(2,\); expected 2 age bands"):
        Scenario("x", scale={"exit_rates": [1.0, 2.0]}).apply(empty())
    with pytest.raises(ValueError, match=r"scale.exit_rates\[age 0-9, foster, returned_home\]: is negative"):
        Scenario("x", scale={"exit_rates": -1.0}).apply(empty())


def test_calendar_by_hand():
    assert years_between(dt.date(2012, 4, 1), dt.date(2013, 4, 1)) == 1.0
    assert years_between(dt.date(2012, 4, 1), dt.date(2012, 10, 1)) == 0.5
    assert years_between(dt.date(2012, 4, 1), dt.date(2012, 4, 8)) == pytest.approx(7 / 365.25)
    dates = step_dates(dt.date(2012, 3, 31), 4, 0.25).tolist()
    assert dates == [dt.date(2012, 3, 31), dt.date(2012, 6, 30), dt.date(2012, 9, 30), dt.date(2012, 12, 31),
                     dt.date(2013, 3, 31)]
    weekly = step_dates(dt.date(2012, 3, 31), 2, 7 / 365.25).tolist()
    assert weekly == [dt.date(2012, 3, 31), dt.date(2012, 4, 7), dt.date(2012, 4, 14)]
    # a quarterly run from 30 September: the first financial year is half covered
    years, weights, covered = financial_year_weights(dt.date(2012, 9, 30), 4, 0.25)
    assert years == [2012, 2013]
    np.testing.assert_allclose(weights, [[1, 0], [1, 0], [0, 1], [0, 1]])
    np.testing.assert_allclose(covered, [0.5, 0.5])


def test_table_and_csv(tmp_path):
    t = Table({"date": np.array(["2012-03-31"], dtype="datetime64[D]"), "placement": ["foster"],
               "children": [1.5]}, title="t")
    path = tmp_path / "t.csv"
    t.to_csv(path)
    assert path.read_text().splitlines() == ["date,placement,children", "2012-03-31,foster,1.5"]
    with pytest.raises(ValueError, match="column 'b' has 2 rows"):
        Table({"a": [1], "b": [1, 2]})
    with pytest.raises(KeyError, match="no column"):
        t["nothing"]
    assert "foster" in repr(t)


def test_money():
    assert money(9_833_000) == "£9.8m"
    assert money(1_234.4) == "£1,234"
    assert money(-2.5e9) == "-£2.50bn"


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_progress_only_after_a_second():
    clock, out = FakeClock(), io.StringIO()
    bar = Progress(4, "run", stream=out, clock=clock)
    bar.advance(what="first")
    assert out.getvalue() == ""                      # quick: nothing drawn
    clock.now = 1.5
    bar.advance(what="second")
    assert "run [############............] 2/4 second" in out.getvalue()
    bar.close()
    with pytest.raises(ValueError, match="total"):
        Progress(-1)


def test_charts_when_matplotlib_installed(tmp_path):
    pytest.importorskip("matplotlib")
    from carecast.care.charts import plot_costs, save_charts
    from carecast.care.model import run
    p = empty(weekly_cost=[600.0, 3000.0])
    p.stock[:, :, 0] = [[30.0, 5.0], [40.0, 10.0]]
    p.entries_per_year[:] = 5.0
    p.exit_rates[..., 0] = 0.3
    r = run(p, years=2)
    paths = save_charts(r, tmp_path)
    assert len(paths) == 3 and all((tmp_path / name).exists() for name in
                                   ("children_by_placement.png", "entries_and_exits.png", "cost_by_year.png"))
    fig = plot_costs(r, terms="real")
    ax = fig.axes[0]
    assert "cost by financial year" in ax.get_title() and ax.get_ylabel() == "Cost (£)"
    assert ax.yaxis.get_major_formatter()(2_000_000, 0) == "£2m"
    with pytest.raises(ValueError, match="terms"):
        plot_costs(r, terms="nominal")


def test_population_and_entry_rates_by_hand():
    from carecast.care.parameters import entries_from_rate, population_by_age_band
    pop = np.arange(18) * 1000.0
    bands = population_by_age_band(pop, (0, 1, 5, 10, 16))
    np.testing.assert_allclose(bands, [0.0, 10_000.0, 35_000.0, 75_000.0, 33_000.0])
    two_years = population_by_age_band(np.vstack([pop, pop * 2]), (0, 16))
    np.testing.assert_allclose(two_years, [[120_000.0, 33_000.0], [240_000.0, 66_000.0]])
    np.testing.assert_allclose(entries_from_rate([[10.0, 2.0], [30.0, 0.0]], [20_000.0, 10_000.0]),
                               [[20.0, 4.0], [30.0, 0.0]])
    with pytest.raises(ValueError, match="population: 2 values for 1 age band"):
        entries_from_rate([[10.0, 2.0]], [1.0, 2.0])
    with pytest.raises(ValueError, match=r"rate_per_10000\[age band 0, placement 0\]: is negative"):
        entries_from_rate([[-1.0]], [1.0])
    with pytest.raises(ValueError, match="population: has no years"):
        entries_from_rate([[1.0]], np.zeros((0, 1)))
    with pytest.raises(ValueError, match="whole years"):
        population_by_age_band(pop, (0, 0.5))


def test_eight_weekly_costs_for_nine_placements():
    with pytest.raises(FieldError) as info:
        CareParameters.empty(weekly_cost=[500.0] * 8)
    assert str(info.value) == "weekly_cost: 8 values for 9 placements"
    with pytest.raises(FieldError) as info:
        Scenario("x", set={"weekly_cost": [500.0] * 8}).apply(CareParameters.empty())
    assert str(info.value) == "scenario 'x': set.weekly_cost: 8 values for 9 placements"


def test_ragged_lists_are_named_not_numpy_errors():
    from carecast.care.parameters import entries_from_rate
    with pytest.raises(FieldError, match=r"rate_per_10000\[1\]: is ragged"):
        entries_from_rate([[1.0, 2.0], [1.0]], [1.0, 2.0])
    p = empty()
    with pytest.raises(FieldError, match=r"set.entries_per_year\[1\]: is ragged"):
        Scenario("x", set={"entries_per_year": [[[1.0, 0.0], [1.0, 1.0]], [[1.0]]]}).apply(p)
    year_by_year = p.replace(entries_per_year=np.ones((3, 2, 2)))
    with pytest.raises(FieldError, match="scale.entries_per_year: has 2 years of factors for 3 years of entries"):
        Scenario("x", scale={"entries_per_year": np.ones((2, 2, 2))}).apply(year_by_year)
    doubled = Scenario("x", scale={"entries_per_year": [[2.0, 1.0], [1.0, 1.0]]}).apply(year_by_year)
    np.testing.assert_array_equal(doubled.entries_per_year[:, 0, 0], [2.0, 2.0, 2.0])
    set_all = Scenario("x", set={"entries_per_year": 5.0}).apply(year_by_year)
    assert set_all.entries_per_year.shape == (3, 2, 2) and set_all.entries_per_year.sum() == 60.0
