"""What an analyst hands on: a run's outputs with their context.

* :func:`build_report` runs a model (baseline, scenarios, optional
  stochastic draws) into a :class:`RunReport`;
* :func:`write_outputs` writes its folder: CSVs whose column names carry
  unit and basis, ``README.txt`` explaining every file and column,
  ``summary.txt``, ``scenario.toml``, PNG charts, ``report.html`` and,
  optionally, ``carecast.xlsx`` (never overwriting a user's file:
  :class:`OutputFolder`);
* :func:`html_report` and :func:`workbook_bytes` give the report and the
  workbook on their own.

Examples
--------
>>> import os, tempfile
>>> from carecast.care.examples import load_example
>>> from carecast.care.outputs import build_report, write_outputs
>>> ex = load_example("norfolk-2017")
>>> report = build_report(ex.parameters, years=2, checks=ex.checks, model="norfolk-2017")
>>> out = os.path.join(tempfile.mkdtemp(), "out")
>>> written = write_outputs(report, out, charts=False)
>>> open(os.path.join(out, "cost_by_year.csv")).readline().strip()
'financial_year,share_of_year_in_run,cost_cash_gbp,cost_real_gbp_2016_17,cost_discounted_gbp_2016_17_to_2012_03_31'
"""

from carecast.care.outputs.folder import MANIFEST, OutputError, OutputFolder, describe_os_error
from carecast.care.outputs.html import html_report
from carecast.care.outputs.report import RunReport, ScenarioRun, Uncertainty, build_report, check_size
from carecast.care.outputs.workbook import workbook_bytes, write_workbook
from carecast.care.outputs.write import write_outputs

__all__ = ["MANIFEST", "OutputError", "OutputFolder", "RunReport", "ScenarioRun", "Uncertainty", "build_report",
           "check_size", "describe_os_error", "html_report", "workbook_bytes", "write_outputs", "write_workbook"]
