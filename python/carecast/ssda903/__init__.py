"""SSDA903 returns: read, validate, summarise, calibrate, backtest, simulate.

The children looked after return (SSDA903) is what every English council
sends the Department for Education each year. This subpackage turns a folder
of them into facts (stock, entries, exits, moves, exposure), a calibrated
children-in-care model (:class:`carecast.care.CareParameters`), and an honest
backtest of how well that model would have predicted the past.

Child-level data stays in memory: nothing here writes a child-level record
unless asked to (the synthetic generator writes files only where told), and
reports show counts, not CHILD identifiers, unless ``show_ids=True``.

Modules: :mod:`~carecast.ssda903.reader` (read, de-duplicate, stitch),
:mod:`~carecast.ssda903.files` (find and read the CSV files defensively),
:mod:`~carecast.ssda903.validation` (the problem report),
:mod:`~carecast.ssda903.dates`, :mod:`~carecast.ssda903.facts` (stock and
flows), :mod:`~carecast.ssda903.calibration`, :mod:`~carecast.ssda903.backtest`,
:mod:`~carecast.ssda903.synthetic`, :mod:`~carecast.ssda903.crosscheck`
(agreement with Social Finance's cs-demand-model) and
:mod:`~carecast.ssda903.cli` (``carecast ssda903 ...``).

Examples
--------
>>> from carecast.ssda903 import read_returns, sample_returns_path, stock, calibrate
>>> returns = read_returns(sample_returns_path())
>>> int(stock(returns, "2019-03-31").sum())  # short breaks (V3/V4) excluded, as the DfE does
288
>>> model = calibrate(returns, "2017-03-31", "2019-03-31").parameters
>>> model.start_date.isoformat(), model.shape
('2019-03-31', (18, 9, 5, 5))
"""
from carecast.ssda903.backtest import BacktestResult, backtest
from carecast.ssda903.calibration import (
           Calibration,
           GammaRates,
           calibrate,
           pooled_rates,
)
from carecast.ssda903.dates import age_in_years, parse_dates
from carecast.ssda903.facts import (
           Summary,
           entries,
           exits,
           exposure,
           moves,
           stock,
           summarise,
)
from carecast.ssda903.reader import (
           EPISODE_COLUMNS,
           HEADER_COLUMNS,
           Returns,
           read_returns,
           sample_returns_path,
)
from carecast.ssda903.synthetic import (
           example_parameters,
           generate_returns,
           simulate_episodes,
           write_returns,
)
from carecast.ssda903.validation import Problem, ValidationError, ValidationReport

__all__ = ["read_returns", "Returns", "sample_returns_path", "ValidationReport", "ValidationError",
           "Problem", "parse_dates", "age_in_years", "EPISODE_COLUMNS", "HEADER_COLUMNS",
           "calibrate", "Calibration", "backtest", "BacktestResult", "GammaRates", "pooled_rates",
           "generate_returns", "simulate_episodes", "write_returns", "example_parameters",
           "stock", "entries", "exits", "moves", "exposure", "summarise", "Summary"]
