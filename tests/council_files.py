"""A small council scenario file shared by the scenario-file and command-line tests."""

MINIMAL = """\
carecast = 1
description = "two bands"

[run]
years = 3
step = "quarter"

[model]
name = "Testshire"
start_date = 2017-03-31
age_bands = [0, 10]
placements = ["foster", "home"]
stock = [[[30.0], [0.0]], [[50.0], [20.0]]]
entries_per_year = [[10.0, 0.0], [5.0, 2.0]]
exit_rates = [0.3, 0.05, 0.05, 0.0, 0.02]
move_rates = 0.0
price_year = "2016-17"
weekly_cost = { foster = 650.0, home = 3000.0 }

[scenarios.fewer_entries]
description = "a tenth fewer entries"
scale = { entries_per_year = 0.9 }

[scenarios.cheaper_homes]
set = { weekly_cost = { home = 2500.0 } }
"""
