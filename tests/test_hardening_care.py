"""Hardening of the care layer (issue 8): one test group per class of weakness found in an adversarial run.

Classes: scenario tables that zeroed what they did not name; the file and the API disagreeing; payback
counted from the run's start; comparisons of different councils; a scenario named baseline; checks left
to the first run; unbounded parses; unclear errors (bools, text, empty series, spreadsheet habits).
Expected values are by hand, by a conservation law (costs are linear in unit costs), or by the
independent NumPy implementation in tests/reference_engine.py.
"""

import codecs
import datetime as dt
import subprocess
import sys

import numpy as np
import pytest

import reference_engine as ref
from carecast import checks
from carecast.care import CareParameters, Scenario, compare, run
from carecast.care.interventions import EdgeOfCare, InHouseFostering
from carecast.care.scenario_file import (
    MAX_FILE_BYTES,
    ScenarioFileError,
    load_scenario_file,
    loads_scenario_file,
)
from carecast.care.taxonomy import EXIT_GROUPS, PLACEMENTS
from carecast.checks import FieldError, FieldTypeError
from council_files import MINIMAL

AGENCY, INHOUSE, RESIDENTIAL = (PLACEMENTS.index(n) for n in ("agency_foster", "inhouse_foster", "residential"))
HOME = EXIT_GROUPS.index("returned_home")


def council(**fields):
    fields.setdefault("discount_rate", 0.0)
    return CareParameters.empty(age_bands=(0.0,), start_date=dt.date(2017, 3, 31), price_year="2016-17",
                                name="Testshire", **fields)


def line_of(text, needle):
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


def last_line_of(text, needle):
    return max(number for number, line in enumerate(text.splitlines(), start=1) if needle in line)


def load(text):
    return loads_scenario_file(text, filename="c.toml")


# ---- a partial table in set/scale changes only what it names ------------------------------------------

def test_a_price_rise_by_name_is_a_cost_not_a_saving():
    cost = np.full(9, 900.0)
    p = council(weekly_cost=cost)
    p.stock[0, AGENCY, 0], p.stock[0, INHOUSE, 0] = 40.0, 60.0
    rise = Scenario("dearer_agency", set={"weekly_cost": {"agency_foster": 1000.0}})
    applied = rise.apply(p)
    expected = cost.copy()
    expected[AGENCY] = 1000.0
    np.testing.assert_array_equal(applied.weekly_cost, expected)
    base, scen = run(p, years=2), run(p, years=2, scenario=rise)
    c = compare(base, scen)
    # costs are linear in the weekly cost: the agency component rises by 100/900, nothing else moves
    agency = base.step_costs().components.index("placement: agency_foster")
    np.testing.assert_allclose(c.gross_saving(), -base.step_costs().real[:, agency] * (100.0 / 900.0), rtol=1e-12)
    assert c.gross_saving().sum() < 0


def test_scale_by_name_keeps_a_factor_of_one_elsewhere():
    p = council(weekly_cost=np.arange(1.0, 10.0))
    p.exit_rates[..., HOME] = 0.4
    p.exit_rates[..., EXIT_GROUPS.index("adopted")] = 0.1
    s = Scenario("s", scale={"weekly_cost": {"residential": 2.0}, "exit_rates": {"adopted": 1.5}})
    q = s.apply(p)
    expected = np.arange(1.0, 10.0)
    expected[RESIDENTIAL] *= 2.0
    np.testing.assert_array_equal(q.weekly_cost, expected)
    np.testing.assert_array_equal(q.exit_rates[0, 0, 0, :2], [0.4, 0.15000000000000002])
    assert q.exit_rates[..., 2:].sum() == 0.0


def test_file_partial_tables_change_only_what_they_name():
    text = MINIMAL + ('\n[scenarios.both]\nset = { weekly_cost = { home = 2500.0 } }\n'
                      'scale = { exit_costs = { adopted = 2.0 }, weekly_cost = { foster = 1.1 } }\n')
    f = load(text)
    q = f.scenarios["both"].apply(f.parameters)
    np.testing.assert_allclose(q.weekly_cost, [650.0 * 1.1, 2500.0], rtol=1e-15)
    # a [model] weekly_cost table must name every placement: a missing one would silently cost nothing
    with pytest.raises(ScenarioFileError, match=r"model.weekly_cost: names 1 of 2 placements; missing home"):
        load(MINIMAL.replace("weekly_cost = { foster = 650.0, home = 3000.0 }", "weekly_cost = { foster = 650.0 }"))


# ---- the file and the API accept and refuse the same things --------------------------------------------

PAIRS = [
    ('set = { weekly_cost = { home = 2500.0 } }', dict(set={"weekly_cost": {"home": 2500.0}})),
    ('scale = { weekly_cost = { home = 0.5 } }', dict(scale={"weekly_cost": {"home": 0.5}})),
    ('scale = { exit_rates = [1.0, 2.0, 1.0, 1.0, 1.0] }', dict(scale={"exit_rates": [1.0, 2.0, 1.0, 1.0, 1.0]})),
    ('set = { entry_cost = 1200.0 }', dict(set={"entry_cost": 1200.0})),
    ('scale = { entry_cost = 2 }', dict(scale={"entry_cost": 2})),
    ('set = { weekly_cost = [700.0, 2000.0] }', dict(set={"weekly_cost": [700.0, 2000.0]})),
    ('set = { weekly_cost = 700.0 }', dict(set={"weekly_cost": 700.0})),
    # refused by both, naming the same field
    ('set = { weekly_cost = { hotel = 1.0 } }', dict(set={"weekly_cost": {"hotel": 1.0}})),
    ('set = { weekly_cost = { home = true } }', dict(set={"weekly_cost": {"home": True}})),
    ('set = { weekly_cost = { home = "2500" } }', dict(set={"weekly_cost": {"home": "2500"}})),
    ('set = { weekly_cost = [1.0, 2.0, 3.0] }', dict(set={"weekly_cost": [1.0, 2.0, 3.0]})),
    ('set = { weekly_cost = [1.0, -2.0] }', dict(set={"weekly_cost": [1.0, -2.0]})),
    ('scale = { exit_rates = true }', dict(scale={"exit_rates": True})),
    ('scale = { exit_rates = { adopted = -1.0 } }', dict(scale={"exit_rates": {"adopted": -1.0}})),
    ('scale = { stock = { foster = 2.0 } }', dict(scale={"stock": {"foster": 2.0}})),
    ('scale = { name = 2.0 }', dict(scale={"name": 2.0})),
    ('set = { proceedings_share = 1.5 }', dict(set={"proceedings_share": 1.5})),
    ('set = { entry_cost = "1,200" }', dict(set={"entry_cost": "1,200"})),
    ('set = { start_date = 2018-03-31 }', dict(set={"start_date": dt.date(2018, 3, 31)})),
    ('set = { colour = 1 }', dict(set={"colour": 1})),
    ('interventions = [{ type = "inhouse_fostering", share_moved_per_year = 0.1 }]',
     dict(interventions=[InHouseFostering(share_moved_per_year=0.1)])),
    ('interventions = [{ type = "edge_of_care", effect = 1.5 }]', None),
]


@pytest.mark.parametrize("fragment, api", PAIRS)
def test_file_and_api_agree(fragment, api):
    text = MINIMAL + f"\n[scenarios.t]\n{fragment}\n"
    base = load(MINIMAL).parameters
    try:
        f = load(text)
        from_file, file_error = f.scenarios["t"].apply(f.parameters), None
    except ScenarioFileError as err:
        from_file, file_error = None, err
    try:
        if api is None:   # an intervention the API refuses when it is built
            api_built = EdgeOfCare(effect=1.5)
            from_api, api_error = Scenario("t", interventions=[api_built]).apply(base), None
        else:
            from_api, api_error = Scenario("t", **api).apply(base), None
    except FieldError as err:
        from_api, api_error = None, err
    assert (file_error is None) == (api_error is None), (file_error, api_error)
    if file_error is None:
        for name in ("weekly_cost", "exit_rates", "entry_cost", "exit_costs"):
            np.testing.assert_array_equal(getattr(from_file, name), getattr(from_api, name), err_msg=name)
    else:
        where = api_error.where
        if api is None:
            where = f"interventions[0].{api_error.field}"
        assert file_error.key == f"scenarios.t.{where}", (file_error.key, where)
        assert str(file_error).startswith(f"c.toml:{last_line_of(text, fragment)}: scenarios.t.")


# ---- payback from the scheme's start ------------------------------------------------------------------

def scheme_from_year_6(discount_rate):
    p = council(weekly_cost=np.full(9, 4000.0), discount_rate=discount_rate)
    p.stock[0, RESIDENTIAL, 0] = 50.0
    p.entries_per_year[0, RESIDENTIAL] = 100.0
    p.exit_rates[0, :, 0, HOME] = 0.5
    edge = Scenario("edge", interventions=[EdgeOfCare(start_year=6.0, families_per_year=100, share_would_enter=1.0,
                                                      effect=0.5, cost_per_family=20_000.0)])
    return run(p, years=10, step="month"), run(p, years=10, step="month", scenario=edge)


def test_payback_counts_from_the_scheme_start():
    base, scen = scheme_from_year_6(0.0)
    c = compare(base, scen)
    assert c.scheme_start_step() == 72 and c.scheme_start_years() == pytest.approx(6.0)   # 6 years of months
    net = c.net_saving()
    assert np.all(net[:72] == 0.0) and net[72] < 0           # nothing happens before, then it costs
    from_scheme = ref.payback_years(net[72:], dt=1 / 12)
    from_run = ref.payback_years(net, dt=1 / 12)
    assert 0 < from_scheme < 4
    assert from_run == pytest.approx(from_scheme + 6.0, rel=1e-12)     # undiscounted: the clock just moves
    pv = c.present_values()
    assert pv["payback_years"] == pytest.approx(from_scheme, rel=1e-9)
    assert pv["scheme_start_years"] == pytest.approx(6.0)
    assert c.payback("run") == pytest.approx(from_run, rel=1e-9)
    run_basis = compare(base, scen, payback_from="run")
    assert run_basis.present_values()["payback_years"] == pytest.approx(from_run, rel=1e-9)
    assert f"payback {from_scheme:.1f} years from the scheme's start (6.0 years into the run)" in c.summary()
    assert f"payback {from_run:.1f} years from the start of the run (2017-03-31)" in run_basis.summary()
    with pytest.raises(FieldError, match="payback_from: must be one of scheme, run"):
        compare(base, scen, payback_from="start")


def test_discounted_payback_from_the_scheme_start_discounts_from_it():
    base, scen = scheme_from_year_6(0.035)
    c = compare(base, scen)
    net = c.net_saving()
    expected = ref.payback(net[72:], dt=1 / 12, schedule=0.035)
    assert c.payback() == pytest.approx(expected, rel=1e-9)


# ---- compare only runs of the same council -------------------------------------------------------------

@pytest.mark.parametrize("change, word", [
    (dict(name="Otherborough"), "name"),
    (dict(start_date=dt.date(2018, 3, 31)), "start_date"),
    (dict(price_year="2017-18"), "price_year"),
    (dict(discount_rate=0.035), "discount_rate"),
    (dict(general_inflation=0.02), "general_inflation"),
])
def test_compare_refuses_two_councils(change, word):
    p = council(weekly_cost=np.full(9, 500.0))
    p.stock[0, AGENCY, 0] = 10.0
    with pytest.raises(FieldError, match=rf"scenario: is not a run of the baseline's council: its {word}"):
        compare(run(p, years=1), run(p.replace(**change), years=1))


def test_compare_refuses_other_steps_and_non_results():
    p = council()
    with pytest.raises(FieldError, match="run both with the same years and step"):
        compare(run(p, years=1), run(p, years=2))
    with pytest.raises(FieldError, match="run both with the same years and step"):
        compare(run(p, years=1, step="month"), run(p, years=1, step="quarter"))
    with pytest.raises(FieldTypeError, match="baseline: must be a CareResult"):
        compare(p, run(p, years=1))
    with pytest.raises(FieldTypeError, match="optimism_bias: must be a number, got a true/false"):
        compare(run(p, years=1), run(p, years=1), optimism_bias=True)


# ---- a scenario named baseline, and fields a scenario may not change ------------------------------------

@pytest.mark.parametrize("name", ["baseline", "Baseline", "BASELINE"])
def test_baseline_is_not_a_scenario_name(name):
    with pytest.raises(FieldError, match="'baseline' is the run without a scenario"):
        Scenario(name)
    text = MINIMAL.replace("[scenarios.fewer_entries]", f"[scenarios.{name}]")
    with pytest.raises(ScenarioFileError) as info:
        load(text)
    assert str(info.value).startswith(f"c.toml:{line_of(text, f'[scenarios.{name}]')}: scenarios.{name}: ")


def test_a_scenario_cannot_change_the_council():
    for key, value in (("name", "Other"), ("placements", ["a", "b"]), ("price_year", "2020-21"),
                       ("discount_rate", 0.0)):
        with pytest.raises(FieldError, match=rf"set.{key}: a scenario may not change this"):
            Scenario("x", set={key: value})


# ---- everything checked at load ----------------------------------------------------------------------

def test_an_intervention_needing_a_missing_placement_fails_at_load():
    text = MINIMAL + '\n[scenarios.ih]\ninterventions = [{ type = "inhouse_fostering", share_moved_per_year = 0.1 }]\n'
    with pytest.raises(ScenarioFileError) as info:
        load(text)
    assert str(info.value) == (f"c.toml:{line_of(text, 'inhouse_fostering')}: scenarios.ih.interventions[0]: "
                               f"InHouseFostering needs placement 'agency_foster', which the model does not have")
    text = MINIMAL + '\n[scenarios.r]\ninterventions = [{ type = "reunification", effect = 0.2 }]\n'
    with pytest.raises(ScenarioFileError, match=r"scenarios.r.interventions\[0\]: ReunificationSupport needs"):
        load(text.replace('exit_rates = [0.3, 0.05, 0.05, 0.0, 0.02]',
                          'exit_groups = ["adopted", "left_care_at_18"]\nexit_rates = [0.3, 0.0]'))


@pytest.mark.parametrize("old, new, key, message", [
    ("start_date = 2017-03-31", "start_date = 9999-12-31", "model.start_date",
     "9999-12-31 is outside 1950-01-01 to 2100-12-31"),
    ("start_date = 2017-03-31", "start_date = 1066-10-14", "model.start_date", "1066-10-14 is outside"),
    ("start_date = 2017-03-31", "start_date = 2017-03-31T09:00:00", "model.start_date", "without a time"),
    ('[scenarios.cheaper_homes]', '[scenarios.late]\ninterventions = [{ type = "edge_of_care", start_year = 1e300 }]'
     '\n\n[scenarios.cheaper_homes]', "scenarios.late.interventions[0].start_year", "must be at most 200 years"),
    ('[scenarios.cheaper_homes]', '[scenarios.late]\ninterventions = [{ type = "edge_of_care", effect = "0.2" }]'
     '\n\n[scenarios.cheaper_homes]', "scenarios.late.interventions[0].effect",
     "must be a number, got the text '0.2'; write numbers without quotes"),
    ("years = 3", "years = true", "run.years", "must be a number, got a true/false value"),
    ("years = 3", "years = 1e9", "run.years", "must be <= 200"),
])
def test_checked_at_load(old, new, key, message):
    text = MINIMAL.replace(old, new)
    assert text != MINIMAL
    with pytest.raises(ScenarioFileError) as info:
        load(text)
    assert info.value.key == key
    assert message in str(info.value)
    needle = "interventions" if "interventions" in key else new.splitlines()[0][:14]
    assert str(info.value).startswith(f"c.toml:{line_of(text, needle)}: {key}: ")


def run_python(code, tmp_path):
    return subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("value", ["[" * 5000 + "1.0" + "]" * 5000, "{ a = " * 3000 + "1" + " }" * 3000,
                                   "[" * 200_000])
def test_deep_nesting_is_refused_in_a_subprocess(tmp_path, value):
    text = MINIMAL.replace("stock = [[[30.0], [0.0]], [[50.0], [20.0]]]", f"stock = {value}")
    (tmp_path / "deep.toml").write_text(text)
    done = run_python("from carecast.care.scenario_file import load_scenario_file as l\n"
                      "try:\n    l('deep.toml')\nexcept ValueError as e:\n    print(e)\n", tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"deep.toml:{line_of(text, 'stock =')}: brackets nested more than 12 deep" in done.stdout
    assert "Traceback" not in done.stderr


def test_absurd_dimensions_are_refused_before_allocating(tmp_path):
    ages = ", ".join(str(i / 60) for i in range(1000))
    names = ", ".join(f'"p{i}"' for i in range(1000))
    text = MINIMAL.replace('age_bands = [0, 10]\nplacements = ["foster", "home"]',
                           f"age_bands = [{ages}]\nplacements = [{names}]")
    (tmp_path / "big.toml").write_text(text)
    done = run_python("import resource\n"
                      "resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))\n"   # 2 GB: 8 GB would be needed
                      "from carecast.care.scenario_file import load_scenario_file as l\n"
                      "try:\n    l('big.toml')\nexcept ValueError as e:\n    print(e)\n", tmp_path)
    assert done.returncode == 0, done.stderr
    assert "would need more than 5,000,000 rates" in done.stdout
    too_many = ", ".join(str(i / 200) for i in range(3000))
    with pytest.raises(ScenarioFileError, match="model.age_bands: has 3000 bands; at most 1000"):
        load(MINIMAL.replace("age_bands = [0, 10]", f"age_bands = [{too_many}]"))


def test_a_file_too_large_is_refused_without_reading_it_all(tmp_path):
    path = tmp_path / "huge.toml"
    with open(path, "w") as fh:
        fh.write(MINIMAL.replace("move_rates = 0.0", "move_rates = 0.0\nsources = ["))
        chunk = '"x", ' * 100_000
        while fh.tell() <= MAX_FILE_BYTES:
            fh.write(chunk)
        fh.write("]\n")
    with pytest.raises(ScenarioFileError, match="larger than 16 MB"):
        load_scenario_file(path)


def test_arrays_with_too_many_values_are_refused(monkeypatch):
    # the cap is 5,000,000 values (tested directly in test_checks); lowered here to keep the parse quick
    monkeypatch.setattr(checks, "MAX_ELEMENTS", 1000)
    values = ", ".join(["[0.0, 0.0]"] * 501)
    with pytest.raises(ScenarioFileError, match=r"model.stock: has more than 1,000 values"):
        load(MINIMAL.replace("stock = [[[30.0], [0.0]], [[50.0], [20.0]]]", f"stock = [{values}]"))
    with pytest.raises(ScenarioFileError, match="longer than 16 MB"):
        load(MINIMAL + "#" * MAX_FILE_BYTES)


# ---- a byte-order mark ---------------------------------------------------------------------------------

def test_a_utf8_byte_order_mark_is_accepted(tmp_path):
    plain, marked = tmp_path / "plain.toml", tmp_path / "marked.toml"
    plain.write_text(MINIMAL, encoding="utf-8")
    marked.write_bytes(codecs.BOM_UTF8 + MINIMAL.encode("utf-8"))
    a, b = load_scenario_file(plain), load_scenario_file(marked)
    np.testing.assert_array_equal(a.parameters.stock, b.parameters.stock)
    assert list(a.scenarios) == list(b.scenarios) and a.parameters.name == b.parameters.name
    # errors keep their line numbers with a mark
    bad = MINIMAL.replace("move_rates = 0.0", 'move_rates = "none"')
    marked.write_bytes(codecs.BOM_UTF8 + bad.encode("utf-8"))
    with pytest.raises(ScenarioFileError, match=rf"marked.toml:{line_of(bad, 'move_rates')}: model.move_rates"):
        load_scenario_file(marked)


# ---- unclear errors: wrong types, empty series, spreadsheet habits ---------------------------------------

@pytest.mark.parametrize("old, new, where, message", [
    ("exit_rates = [0.3, 0.05, 0.05, 0.0, 0.02]", "exit_rates = true", "model.exit_rates",
     "must be a number or a list of numbers, got a true/false value"),
    ("exit_rates = [0.3, 0.05, 0.05, 0.0, 0.02]", "exit_rates = [0.3, true, 0.05, 0.0, 0.02]",
     "model.exit_rates[adopted]", "must be numbers, got a true/false value"),
    ("stock = [[[30.0], [0.0]], [[50.0], [20.0]]]", 'stock = [[[30.0], ["0"]], [[50.0], [20.0]]]',
     "model.stock[age 0-9, home]", "got the text '0'; write numbers without quotes"),
    ("stock = [[[30.0], [0.0]], [[50.0], [20.0]]]", 'stock = [[[30.0], [0.0]], [[50.0]]]',
     "model.stock[age 10-17]", "is ragged: 1 value here, where stock[age 0-9] has 2 values"),
    ("entries_per_year = [[10.0, 0.0], [5.0, 2.0]]", "entries_per_year = [[10.0, 0.0], [5.0]]",
     "model.entries_per_year[age 10-17]", "is ragged: 1 value here, where entries_per_year[age 0-9] has 2"),
    ("entries_per_year = [[10.0, 0.0], [5.0, 2.0]]",
     "entry_rate_per_10000 = [[1.0, 0.0], [1.0]]\nchild_population = [1.0, 2.0]",
     "model.entry_rate_per_10000[age 10-17]", "is ragged"),
    ("scale = { entries_per_year = 0.9 }", "set = { entries_per_year = [[10.0, 0.0], [5.0]] }",
     "scenarios.fewer_entries.set.entries_per_year[age 10-17]", "is ragged"),
    ("entries_per_year = [[10.0, 0.0], [5.0, 2.0]]", "entries_per_year = []", "model.entries_per_year",
     "0 values for 2 placements"),
    ("entries_per_year = [[10.0, 0.0], [5.0, 2.0]]", "entries_per_year = [[[]]]", "model.entries_per_year",
     "0 values for 2 placements (shape (1, 1, 0); expected 1 year x 2 age bands x 2 placements"),
    ("entries_per_year = [[10.0, 0.0], [5.0, 2.0]]",
     "entry_rate_per_10000 = [[1.0, 0.0], [1.0, 0.0]]\nchild_population = []", "model.child_population",
     "0 values for 2 age bands"),
    ("entries_per_year = [[10.0, 0.0], [5.0, 2.0]]",
     "entry_rate_per_10000 = [[1.0, 0.0], [1.0, 0.0]]\nchild_population = [[]]", "model.child_population",
     "0 values for 2 age bands"),
    ("stock = [[[30.0], [0.0]], [[50.0], [20.0]]]", "stock = []", "model.stock", "0 values for"),
    ('price_year = "2016-17"', "price_year = 2016", "model.price_year", "(in quotes)"),
    ('name = "Testshire"', 'name = "Testshire"\nsources = "NAO 2024"', "model.sources", "must be a list of text"),
    ('description = "two bands"', "description = 5", "description", "must be text, got the number 5"),
])
def test_clear_errors_for_wrong_types_and_empty_series(old, new, where, message):
    text = MINIMAL.replace(old, new)
    assert text != MINIMAL
    with pytest.raises(ScenarioFileError) as info:
        load(text)
    assert info.value.key == where, str(info.value)
    assert message in str(info.value)


@pytest.mark.parametrize("old, new, key, hint", [
    ('price_year = "2016-17"', 'price_year = "2016-17"\nentry_cost = 2,285', "model.entry_cost",
     "write 2285, not 2,285 (numbers have no thousands separators)"),
    ('price_year = "2016-17"', 'price_year = "2016-17"\nentry_cost = 1,234,567.5', "model.entry_cost",
     "write 1234567.5, not 1,234,567.5"),
    ("start_date = 2017-03-31", "start_date = 31/03/2012", "model.start_date",
     "write 2012-03-31, not 31/03/2012 (dates are year-month-day)"),
    ("start_date = 2017-03-31", "start_date = 2012-3-31", "model.start_date",
     "write 2012-03-31, not 2012-3-31"),
    ('price_year = "2016-17"', 'price_year = "2016-17"\ndiscount_rate = 3.5%', "model.discount_rate",
     "write 0.035, not 3.5%"),
    ("weekly_cost = { foster = 650.0, home = 3000.0 }", "weekly_cost = { foster = £650.0, home = 3000.0 }",
     "model.weekly_cost", "write amounts without £"),
    ("scale = { entries_per_year = 0.9 }",
     'interventions = [{ type = "edge_of_care", families_per_year = 200.0, cost_per_family = 2,285.0 }]',
     "scenarios.fewer_entries.interventions", "write 2285.0, not 2,285.0"),
])
def test_spreadsheet_habits_get_what_to_write(old, new, key, hint):
    text = MINIMAL.replace(old, new)
    with pytest.raises(ScenarioFileError) as info:
        load(text)
    message = str(info.value)
    line = line_of(text, new.splitlines()[-1])
    assert message.startswith(f"c.toml:{line}: {key}: {hint}"), message
    assert info.value.line == line


def test_hints_ignore_text_in_strings_and_comments():
    # a comma in a description or a comment is not a thousands separator; the plain TOML error stays
    text = MINIMAL.replace('description = "two bands"', 'description = "2,285 children" extra')
    with pytest.raises(ScenarioFileError, match=r"c.toml:2: TOML syntax error"):
        load(text)
    assert load(MINIMAL.replace("years = 3", "years = 3  # 1,000 would be too long")).years == 3.0


def test_bools_are_not_numbers_in_the_api():
    p = council()
    with pytest.raises(FieldTypeError, match="exit_rates: must be numbers, got true/false values"):
        p.replace(exit_rates=np.zeros(p.exit_rates.shape, dtype=bool))
    with pytest.raises(FieldTypeError, match=r"scale.exit_rates: must be a number or a list of numbers, got a true"):
        Scenario("x", scale={"exit_rates": True}).apply(p)
    with pytest.raises(FieldTypeError, match="EdgeOfCare: effect: must be a number, got a true/false value"):
        EdgeOfCare(effect=True)


def test_a_scenario_without_interventions_starts_with_the_run():
    p = council(weekly_cost=np.full(9, 900.0))
    p.stock[0, AGENCY, 0] = 10.0
    c = compare(run(p, years=1), run(p, years=1, scenario=Scenario("cheaper", scale={"weekly_cost": 0.5})))
    assert c.scheme_start_step() == 0
    assert c.payback() == 0.0                     # never negative: a saving from the first step
    assert ("no payback period: the net saving is never negative (counted from the scheme's start "
            "(the start of the run))") in c.summary()


def test_break_even_arguments_are_checked():
    from carecast.care.compare import break_even
    p = council()
    edge = Scenario("edge", interventions=[EdgeOfCare(families_per_year=10, share_would_enter=1.0, effect=0.5)])
    with pytest.raises(FieldError, match="intervention: must be <= 0, got 1"):
        break_even(p, edge, intervention=1)
    with pytest.raises(FieldTypeError, match="intervention: must be a number, got a true/false"):
        break_even(p, edge, intervention=True)
    with pytest.raises(FieldError, match="field: EdgeOfCare has no field 'effekt'"):
        break_even(p, edge, field="effekt")
    with pytest.raises(FieldError, match="has no interventions to solve for"):
        break_even(p, Scenario("none"))
    with pytest.raises(FieldError, match="high: must be > 0.5"):
        break_even(p, edge, low=0.5, high=0.5)


def test_workforce_refuses_text_bools_and_empty_series():
    import carecast
    base = dict(target_caseload=15, permanent=10, turnover=0.1, hires_per_year=5, agency_cover=0.5, salary=40_000,
                oncost_rate=0.3, agency_premium=20_000)
    with pytest.raises(FieldTypeError, match=r"cases\[0\]: must be numbers, got the text '290'"):
        carecast.staff_needed(["290"], 14.5)
    with pytest.raises(FieldTypeError, match=r"cases\[1\]: must be numbers, got a true/false value"):
        carecast.project_workforce([10, True], **base)
    with pytest.raises(FieldError, match="cases: has no values"):
        carecast.project_workforce([], **base)
    with pytest.raises(FieldTypeError, match="turnover: must be a number, got a true/false value"):
        carecast.project_workforce([10, 10], **{**base, "turnover": True})
    assert np.isfinite(carecast.project_workforce([10, 10], **{**base, "hires_per_year": float("inf")}).cost).all()


@pytest.mark.parametrize("old, new, needle", [
    ("stock = [[[30.0], [0.0]], [[50.0], [20.0]]]", "stock = " + "[" * 5000 + "1.0" + "]" * 5000,
     "brackets nested more than 12 deep"),
    ("start_date = 2017-03-31", "start_date = 9999-12-31", "model.start_date: 9999-12-31 is outside"),
    ("[scenarios.fewer_entries]", "[scenarios.baseline]", "scenarios.baseline: 'baseline' is the run"),
])
def test_the_command_line_reports_without_a_traceback(tmp_path, old, new, needle):
    text = MINIMAL.replace(old, new)
    (tmp_path / "bad.toml").write_bytes(codecs.BOM_UTF8 + text.encode("utf-8"))
    done = subprocess.run([sys.executable, "-m", "carecast", "run", "bad.toml", "-o", "out"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stderr
    assert f"bad.toml:{line_of(text, new[:12])}: " in done.stderr and needle in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_costs_that_overflow_are_refused_not_inf():
    # finite unit costs whose product with the counts overflows a double: a clear error naming the
    # component, never inf/NaN in the cost table (issue 8, "finite inputs that overflow")
    import warnings

    from carecast.care.examples import load_example
    from carecast.care.model import run

    p = load_example("norfolk-2017").parameters.replace(entry_cost=1e307)
    result = run(p, years=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # no RuntimeWarning either
        with pytest.raises(ValueError, match="'entering care' overflows at step 0"):
            result.step_costs()
    # just inside the range: finite
    assert np.isfinite(run(p.replace(entry_cost=1e290), years=2).step_costs().cash).all()
