"""Write a run's folder: CSVs with their context, README.txt, summary.txt, charts, the report and workbook.

The folder (see :class:`~carecast.care.outputs.folder.OutputFolder` for the
rules that keep users' files safe)::

    README.txt                 what every file and column means
    summary.txt                the printed summary (with checks and assumptions)
    children.csv               children in care by date, age band and placement
    children_by_placement.csv  children by placement at the end of each financial year
    events.csv                 entries, exits and moves by financial year
    costs.csv, cost_by_year.csv  costs by financial year (and component): cash, real, discounted
    checks.csv                 the model against published figures (examples)
    sources.csv, assumptions.txt  where the figures come from; what had to be assumed
    uncertainty.csv            with draws and no declared uncertainty: the chance-only spread of children
    psa_children_quantiles.csv with draws and declared uncertainty (the PSA): children by date and arm, percentiles
    psa_cost_quantiles.csv     ... cost by financial year and arm (cash, real, discounted): mean, percentiles
    psa_draws.csv              ... one row per draw: inputs, present values, budget-year cost, NPV, payback
    psa_sensitivity.csv        ... which inputs move the present value and each NPV most (rank correlations)
    scenarios.csv              with scenarios: each against the baseline
    SCENARIO/                  per scenario: its tables and comparison.csv
    scenario.toml              the model as run (``carecast run DIR/scenario.toml`` reruns it), with its
                               [uncertain] table when it declared uncertainty (the same --draws and --seed
                               draw the same values again)
    report.html                the self-contained report (with html=True)
    carecast.xlsx              the workbook (with xlsx=True)
    *.png                      the charts (with matplotlib)
"""

from __future__ import annotations

import csv
import io
import logging
import os
import tempfile
import textwrap
import warnings

from carecast.care.outputs import context
from carecast.care.outputs.folder import OutputFolder
from carecast.care.outputs.labels import fy_csv, long_date

__all__ = ["write_outputs", "csv_text", "readme_text", "Written"]

log = logging.getLogger("carecast.outputs")


class Written(list):
    """Paths written, in order; ``charts`` lists the chart files and ``charts_skipped`` why none were drawn."""

    charts: list[str]
    charts_skipped: str


def csv_text(table: context.OutputTable) -> str:
    """A table as CSV text: header row, rounded values, financial years as ``FY2012-13``, empty for n/a."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(list(table.columns))
    kinds = [table.kinds[c] for c in table.columns]
    for row in table.rows():
        writer.writerow(["" if v is None else (fy_csv(v) if kind == "fy" and v != "start" else v)
                         for v, kind in zip(row, kinds)])
    return buf.getvalue()


def scenario_folders(report) -> list[str]:
    """A sub-folder name for each scenario: its name with anything but letters, digits, ``_.-`` replaced by ``_``.

    Dots become ``_`` too (so a sub-folder never takes the name of a file
    beside it, all of which have an extension); a name that is then empty is
    ``scenario``, and one that repeats another gets a number, so that no scenario can write outside the folder or over
    another's files.
    """
    from carecast.care.outputs.figures import _safe
    out: list[str] = []
    for s in report.scenarios:
        name = _safe(s.name).replace(".", "_").strip("_") or "scenario"   # no dots: never a file's name
        candidate, k = name, 2
        while candidate.lower() in {o.lower() for o in out}:
            candidate, k = f"{name}_{k}", k + 1
        out.append(candidate)
    return out


def _tables(result) -> list[context.OutputTable]:
    return [context.children_table(result), context.children_by_placement_table(result),
            context.events_table(result), context.costs_table(result), context.cost_by_year_table(result)]


def _wrap(text: str, indent: str = "") -> str:
    return textwrap.fill(text, width=100, initial_indent=indent, subsequent_indent=indent + "  ")


def readme_text(report, files: dict[str, context.OutputTable], extra: dict[str, str]) -> str:
    """README.txt: what was run, then every file and every column."""
    p = report.parameters
    discount = "the HM Treasury Green Book schedule" if p.discount_rate is None else f"{p.discount_rate:.2%} a year"
    lines = [f"carecast output: {report.name}", "=" * (17 + len(report.name)), "",
             _wrap(f"Written by carecast {report.version} on {report.created} from {report.model or 'a model'}: "
                   f"{report.years:g} years from {long_date(p.start_date)} in {report.step}ly steps. Money is in pounds "
                   f"(GBP): cash, real terms at {p.price_year} prices, and discounted to {long_date(p.start_date)} "
                   f"at {discount}. Children are expected numbers, so fractions of a child appear."),
             "",
             _wrap("Rounding: money to the pound, children to 0.1 of a child, shares to 4 decimal places. Figures "
                   "were rounded after adding up, so rounded parts may differ from a rounded total by a pound or "
                   "0.1 of a child. An empty cell means 'not applicable' (explained with the column)."),
             "",
             _wrap("Spreadsheets: dates are ISO 8601 (2012-03-31), read as the same date in every locale; "
                   "financial years (April to March) are written FY2012-13 so that they stay text; age bands are "
                   "words ('1 to 4'), never ranges a spreadsheet could take for a date."),
             "", "Files", "-----", ""]
    for path, text in extra.items():
        lines.append(_wrap(f"{path}: {text}"))
    lines.append("")
    described: dict[str, tuple[str, ...]] = {}
    for path, table in files.items():
        base = os.path.basename(path)
        if "/" in path and described.get(base) == tuple(table.columns):
            lines.append(_wrap(f"{path}: as {base} above, for the scenario in that folder."))
            continue
        lines.append(_wrap(f"{path}: {table.about}"))
        for col, note in table.notes.items():
            lines.append(_wrap(f"{col}: {note}", indent="    "))
        lines.append("")
        described.setdefault(base, tuple(table.columns))
    lines.append(_wrap("Every figure from a publication is listed with its source and year in sources.csv; "
                       "everything else the model needed is an assumption, listed in assumptions.txt."))
    return "\n".join(lines) + "\n"


def _assumptions_text(report) -> str:
    p = report.parameters
    lines = [f"Assumptions of the model '{report.name}' (figures not from a published source)", ""]
    lines += [_wrap(f"- {a}") for a in p.assumptions] or ["(none listed)"]
    if not p.sources and not p.cost_sources:
        lines += ["", _wrap("No figure in this model names a published source: every figure in it (counts, rates "
                            "and costs) is the model author's own and should be read as an assumption.")]
    return "\n".join(lines) + "\n"


def _scenario_toml(report, scenarios) -> bytes:
    """The model as run, with its scenarios and (when it declared any) its uncertain inputs.

    The ``[uncertain]`` tables are written only if they read back to the same
    inputs, in the same order, with the same distributions (so that a rerun
    with the same ``--draws`` and ``--seed`` draws the same values); otherwise
    the file says so in a comment and a warning is given.
    """
    from carecast.care.scenario_file import loads_scenario_file, save_scenario_file
    with tempfile.TemporaryDirectory() as scratch:
        path = os.path.join(scratch, "scenario.toml")
        save_scenario_file(path, report.parameters, scenarios, years=report.years, step=report.step,
                           description=f"carecast run {report.model} (written by carecast run)")
        with open(path, "rb") as fh:
            data = fh.read()
    declared = getattr(report, "uncertain", None)
    if declared is None or not len(declared):
        return data
    from carecast.care.outputs.psa import uncertain_toml
    text = data.decode("utf-8")
    table = uncertain_toml(declared)
    problem = "an input's distribution cannot be written as a table" if table is None else ""
    if table is not None:
        try:
            back = loads_scenario_file(text.rstrip("\n") + "\n\n" + table).uncertain
        except ValueError as exc:
            back, problem = None, f"they do not read back ({exc})"
        if not problem and (back is None or [i.name for i in back.inputs] != [i.name for i in declared.inputs]
                            or back.describe() != declared.describe()):
            problem = "they do not read back in the same order with the same distributions"
    if problem or table is None:
        warnings.warn(f"scenario.toml: the uncertain inputs are not written ({problem}); a rerun of it with --draws "
                      "will not draw the same inputs", RuntimeWarning, stacklevel=3)
        return (text.rstrip("\n") + f"\n\n# The uncertain inputs of this run are not written here: {problem}.\n"
                ).encode("utf-8")
    return (text.rstrip("\n") + "\n\n# The uncertain inputs of the run (carecast run --draws N): each distribution "
            "by its own parameters.\n" + table).encode("utf-8")


def write_outputs(report, folder: OutputFolder | str | os.PathLike, *, scenarios=None, charts: bool = True,
                  html: bool = True, xlsx: bool = False, summary: str | None = None, overwrite: bool = False,
                  inputs=(), progress=None) -> Written:
    """Write everything a run produces into ``folder``; returns the paths written.

    Parameters
    ----------
    report : RunReport
    folder : OutputFolder or path
        A path is opened as ``OutputFolder(path, overwrite=overwrite, inputs=inputs)``.
    scenarios : dict of str to Scenario, optional
        The scenarios as run, for ``scenario.toml``.
    charts, html, xlsx : bool
        Draw the PNG charts (needs matplotlib; skipped with a warning without
        it), write ``report.html``, write ``carecast.xlsx`` (needs openpyxl).
    summary : str, optional
        The summary text for ``summary.txt`` (default ``report.summary()``).
    progress : Progress, optional
        Advanced once per chart and once per other file group.
    """
    if not isinstance(folder, OutputFolder):
        folder = OutputFolder(folder, overwrite=overwrite, inputs=inputs)

    def tick(what: str) -> None:
        if progress is not None:
            progress.advance(what=what)

    written = Written()
    written.charts, written.charts_skipped = [], ""
    files: dict[str, context.OutputTable] = {}
    extra: dict[str, str] = {"summary.txt": "the summary carecast printed: children in care at the start and end by "
                                            "placement, cost by financial year, present value, the checks against "
                                            "published figures, the assumptions, any scenarios and, with draws, "
                                            "the uncertainty (for a PSA: the probabilities, the method and the "
                                            "uncertain inputs with their sources).",
                             "assumptions.txt": "every assumption the model makes (figures not from a published "
                                                "source).",
                             "scenario.toml": "the model as run, with its scenarios and any uncertain inputs: "
                                              "`carecast run THIS_FOLDER/scenario.toml -o OTHER_FOLDER` (with the same "
                                              "--draws and --seed) reproduces this run.",
                             ".carecast-output": "the list of files carecast wrote here (so that it can safely "
                                                 "write here again)."}
    base = report.baseline
    for table in _tables(base):
        files[f"{table.name}.csv"] = table
    if report.checks:
        files["checks.csv"] = context.checks_table(report.checks, base)
    files["sources.csv"] = context.sources_table(base.parameters)
    if report.uncertainty is not None:
        files["uncertainty.csv"] = context.uncertainty_table(report.uncertainty)
    if report.psa is not None:
        from carecast.care.outputs import psa
        files["psa_children_quantiles.csv"] = psa.children_quantiles_table(report.psa)
        files["psa_cost_quantiles.csv"] = psa.cost_quantiles_table(report.psa)
        files["psa_draws.csv"] = psa.draws_table(report.psa)
        ranked = psa.sensitivity_table(report.psa)
        if ranked is not None:
            files["psa_sensitivity.csv"] = ranked
    if report.scenarios:
        files["scenarios.csv"] = context.scenarios_table(base, report.scenarios)
        for s, sub in zip(report.scenarios, scenario_folders(report)):
            for table in _tables(s.result):
                files[f"{sub}/{table.name}.csv"] = table
            files[f"{sub}/comparison.csv"] = context.comparison_table(s.comparison)
    for path, table in files.items():
        written.append(folder.write_text(path, csv_text(table)))
    tick("tables")
    written.append(folder.write_text("summary.txt", (summary if summary is not None else report.summary()) + "\n"))
    written.append(folder.write_text("assumptions.txt", _assumptions_text(report)))
    written.append(folder.write_bytes("scenario.toml", _scenario_toml(report, scenarios or {})))

    if charts:
        from carecast.care.charts import matplotlib_available
        if matplotlib_available():
            from carecast.care.outputs.figures import chart_list, figure_png
            for chart in chart_list(report):
                path = folder.write_bytes(f"{chart.name}.png", figure_png(chart.draw()))
                written.append(path)
                written.charts.append(path)
                extra[f"{chart.name}.png"] = f"chart: {chart.caption}."
                tick(f"chart {chart.name}")
        else:
            written.charts_skipped = "matplotlib is not installed (pip install 'carecast[report]')"
            warnings.warn(f"charts not drawn: {written.charts_skipped}", RuntimeWarning, stacklevel=2)
    if html:
        from carecast.care.outputs.html import html_report
        written.append(folder.write_text("report.html", html_report(report)))
        extra["report.html"] = ("the report for a committee: summary, charts, tables, assumptions, sources and "
                                "checks in one self-contained page (opens offline; prints on A4).")
        tick("report.html")
    if xlsx:
        from carecast.care.outputs.workbook import workbook_bytes
        written.append(folder.write_bytes("carecast.xlsx", workbook_bytes(report)))
        extra["carecast.xlsx"] = ("the workbook for a finance team: summary, children, costs (cash, real, "
                                  "discounted), scenarios, uncertainty, checks, assumptions and sources; no macros.")
        tick("carecast.xlsx")
    written.append(folder.write_text("README.txt", readme_text(report, files, extra)))
    folder.finish()
    log.info("wrote %d files to %s", len(written), folder.path)
    return written
