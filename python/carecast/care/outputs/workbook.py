"""An Excel workbook of a run for a finance team (needs openpyxl: the ``report`` extra).

Sheets: Summary; Children (by placement at each financial year end); Children
by age; Costs (by financial year: cash, real, discounted); Costs by component;
Scenarios and one "vs NAME" sheet per scenario (when scenarios were run);
Uncertainty (when chance-only draws were run); PSA children, PSA costs, PSA
draws and PSA inputs (when a whole-model PSA was run); Checks (against published figures);
Assumptions; Sources (with links).

Every table sheet has one header row, frozen, whose headings carry the unit
and basis (``Cost, real (£, 2016-17 prices)``), with the column's full note
as a cell comment; money cells are formatted ``£#,##0``, children
``#,##0.0``, dates ``yyyy-mm-dd``. Values are stored rounded as in the CSV
files (money to the pound, children to 0.1). Financial years are text cells.
The file is a plain ``.xlsx``: no macros, no external links, no formulas.
Its times (document properties and zip entries) are the run's date, so the
same run writes the same bytes.
"""

from __future__ import annotations

import datetime as _dt
import io
import re
import warnings

from carecast.care.outputs import context
from carecast.care.outputs.html import heading
from carecast.care.outputs.labels import long_date

__all__ = ["write_workbook", "workbook_bytes", "openpyxl_available"]

#: Rows in an Excel worksheet.
EXCEL_MAX_ROWS = 1_048_576

_FORMATS = {"money": '£#,##0;-£#,##0', "children": "#,##0.0", "share": "0%", "percent": '0.0"%"',
            "years": "0.0", "number": "#,##0.00", "date": "yyyy-mm-dd", "fy": "@", "text": "@"}


def openpyxl_available() -> bool:
    """Whether openpyxl can be imported."""
    try:
        import openpyxl  # noqa: F401
    except ImportError:
        return False
    return True


def _openpyxl():
    try:
        import openpyxl
    except ImportError:
        raise ImportError("the workbook needs openpyxl: pip install 'carecast[report]'") from None
    return openpyxl


def _sheet_title(text: str, taken: set[str]) -> str:
    title = re.sub(r"[\[\]:*?/\\]", "_", text)[:31].strip("'") or "Sheet"
    base, k = title, 2
    while title.lower() in taken:
        suffix = f" ({k})"
        title, k = base[: 31 - len(suffix)] + suffix, k + 1
    taken.add(title.lower())
    return title


def _table_sheet(wb, title: str, table: context.OutputTable, parameters, taken: set[str]) -> None:
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    ws = wb.create_sheet(_sheet_title(title, taken))
    if len(table) > EXCEL_MAX_ROWS - 1:
        # Excel opens at most 1,048,576 rows: a longer sheet would be cut without a word
        note = (f"{table.title}: {len(table):,} rows, more than Excel opens ({EXCEL_MAX_ROWS - 1:,} below a header); "
                f"see {table.name}.csv in the output folder.")
        ws.cell(row=1, column=1, value=note)
        warnings.warn(f"workbook sheet {ws.title!r} left empty: {note}", RuntimeWarning, stacklevel=2)
        return
    cols = list(table.columns)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDDDDD")
    for j, col in enumerate(cols, start=1):
        cell = ws.cell(row=1, column=j, value=heading(col, parameters))
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        cell.comment = Comment(f"{col}: {table.notes[col]}", "carecast")
        width = max(10, min(45, max(len(str(heading(col, parameters))) // 2 + 4, 12)))
        if table.kinds[col] == "text":
            width = max(width, min(60, max((len(str(v)) for v in table.columns[col]), default=10) + 2))
        ws.column_dimensions[get_column_letter(j)].width = width
    for i, row in enumerate(table.rows(), start=2):
        for j, (col, value) in enumerate(zip(cols, row), start=1):
            kind = table.kinds[col]
            if kind == "date" and value is not None:
                value = _dt.date.fromisoformat(value)
            cell = ws.cell(row=i, column=j, value=value)
            cell.number_format = _FORMATS[kind]
            if kind == "text" and isinstance(value, str) and re.match(r"^https?://", value):
                cell.hyperlink = value
                cell.style = "Hyperlink"
    ws.freeze_panes = "A2"
    ws.row_dimensions[1].height = 45


def _text_sheet(wb, title: str, lines: list[str], taken: set[str], *, width: int = 120,
                fixed_from: int | None = None) -> None:
    """Lines of text in column A; from line ``fixed_from`` (1-based) on in a fixed-width font, so that the
    printed summary's columns line up as they do on a terminal."""
    from openpyxl.styles import Font
    ws = wb.create_sheet(_sheet_title(title, taken))
    ws.column_dimensions["A"].width = width
    for i, line in enumerate(lines, start=1):
        cell = ws.cell(row=i, column=1, value=line)
        cell.number_format = "@"
        if i == 1:
            cell.font = Font(bold=True, size=13)
        elif fixed_from is not None and i >= fixed_from:
            cell.font = Font(name="Consolas")
    ws.freeze_panes = "A2"


def workbook_bytes(report) -> bytes:
    """The workbook as ``.xlsx`` bytes."""
    openpyxl = _openpyxl()
    p = report.parameters
    base = report.baseline
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    taken: set[str] = set()
    summary = [f"{report.name}: children in care and their cost",
               f"Projection from {long_date(base.dates[0])} to {long_date(base.dates[-1])} ({report.years:g} years, "
               f"{report.step}ly steps); carecast {report.version}, {report.created}, from {report.model or 'a model'}.",
               f"Money in pounds: cash; real terms at {p.price_year} prices; discounted to {long_date(p.start_date)}.",
               "Values rounded: money to the pound, children to 0.1 of a child. Each sheet's header cells carry a "
               "note with the column's meaning.", ""]
    fixed_from = len(summary) + 1
    summary += report.summary(show_assumptions=False).splitlines()
    _text_sheet(wb, "Summary", summary, taken, fixed_from=fixed_from)
    _table_sheet(wb, "Children", context.children_by_placement_table(base), p, taken)
    _table_sheet(wb, "Children by age", context.children_table(base), p, taken)
    _table_sheet(wb, "Costs", context.cost_by_year_table(base), p, taken)
    _table_sheet(wb, "Costs by component", context.costs_table(base), p, taken)
    if report.scenarios:
        _table_sheet(wb, "Scenarios", context.scenarios_table(base, report.scenarios), p, taken)
        for s in report.scenarios:
            _table_sheet(wb, f"vs {s.name}", context.comparison_table(s.comparison), p, taken)
    if report.uncertainty is not None:
        _table_sheet(wb, "Uncertainty", context.uncertainty_table(report.uncertainty), p, taken)
    if report.psa is not None:
        from carecast.care.outputs import psa
        _table_sheet(wb, "PSA children", psa.children_quantiles_table(report.psa), p, taken)
        _table_sheet(wb, "PSA costs", psa.cost_quantiles_table(report.psa), p, taken)
        _table_sheet(wb, "PSA draws", psa.draws_table(report.psa), p, taken)
        ranked = psa.sensitivity_table(report.psa)
        if ranked is not None:
            _table_sheet(wb, "PSA sensitivity", ranked, p, taken)
        _text_sheet(wb, "PSA inputs", ["Uncertain inputs of the PSA (distribution; source, or [assumption])"]
                    + psa.input_lines(report.psa), taken, width=150)
    if report.checks:
        _table_sheet(wb, "Checks", context.checks_table(report.checks, base), p, taken)
    _text_sheet(wb, "Assumptions", [f"Assumptions of '{report.name}' (figures not from a published source)"]
                + (list(p.assumptions) or ["(none listed)"]), taken, width=150)
    _table_sheet(wb, "Sources", context.sources_table(p), p, taken)
    buf = io.BytesIO()
    wb.save(buf)
    return _fixed_times(buf.getvalue(), report.created)


def _fixed_times(data: bytes, created: str) -> bytes:
    """The workbook with the run's date (midnight UTC) as its created and modified times, in the document
    properties and on every zip entry, so that the same run writes the same bytes (openpyxl stamps the
    time of saving)."""
    import zipfile
    try:
        day = _dt.date.fromisoformat(created)
    except (TypeError, ValueError):
        day = _dt.date(1980, 1, 1)
    stamp = f"{day.isoformat()}T00:00:00Z"
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)",
                              lambda m: m.group(1) + stamp.encode("ascii") + m.group(2), body)
            entry = zipfile.ZipInfo(info.filename, date_time=(max(day.year, 1980), day.month, day.day, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            dst.writestr(entry, body)
    return out.getvalue()


def write_workbook(report, path) -> str:
    """Write the workbook to ``path`` atomically (a complete file or none); returns the path."""
    import os

    from carecast.care.outputs.folder import write_atomically
    return write_atomically(os.fspath(path), workbook_bytes(report))
