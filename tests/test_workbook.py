"""The Excel workbook (issue 12 part 2): read back with openpyxl, converted by headless LibreOffice.

The LibreOffice tests skip, with the reason, where ``soffice`` is not
installed (Debian's ``libreoffice-calc``; CI installs it). They also check
that the CSV files keep financial years, age bands and dates as they were
written when a spreadsheet opens them.
"""

import csv
import os
import shutil
import subprocess
import zipfile

import pytest

openpyxl = pytest.importorskip("openpyxl", reason="the workbook needs openpyxl (the report extra)")

from carecast.care.examples import load_example  # noqa: E402
from carecast.care.outputs import build_report, workbook_bytes, write_outputs  # noqa: E402
from carecast.care.scenario_file import loads_scenario_file  # noqa: E402
from council_files import MINIMAL  # noqa: E402  (tests/ is on sys.path via conftest)

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
needs_soffice = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed "
                                                           "(Debian: apt-get install libreoffice-calc; CI installs it)")


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("workbook")
    ex = load_example("norfolk-2017")
    report = build_report(ex.parameters, years=4, checks=ex.checks, model="norfolk-2017", draws=30)
    write_outputs(report, root / "norfolk", charts=False, html=False, xlsx=True)
    loaded = loads_scenario_file(MINIMAL, filename="council.toml")
    council = build_report(loaded.parameters, scenarios=loaded.scenarios, years=loaded.years, step=loaded.step)
    write_outputs(council, root / "council", charts=False, html=False, xlsx=True, scenarios=loaded.scenarios)
    return root, report, council


def test_sheets_headers_formats(folder):
    root, report, _ = folder
    wb = openpyxl.load_workbook(root / "norfolk" / "carecast.xlsx")
    assert wb.sheetnames == ["Summary", "Children", "Children by age", "Costs", "Costs by component", "Uncertainty",
                             "Checks", "Assumptions", "Sources"]
    costs = wb["Costs"]
    assert costs.freeze_panes == "A2"
    headers = [c.value for c in costs[1]]
    assert headers[0] == "Financial year"
    assert "Cost, real (£, 2016-17 prices)" in headers
    assert any("discounted to 31 March 2012" in h for h in headers)
    money = costs.cell(row=2, column=3)
    assert money.number_format == "£#,##0;-£#,##0" and isinstance(money.value, int)
    fy = costs.cell(row=2, column=1)
    assert fy.data_type == "s" and fy.value == "2012-13"
    assert costs.cell(row=1, column=3).comment.text.startswith("cost_cash_gbp:")
    children = wb["Children"]
    assert children.cell(row=2, column=1).number_format == "yyyy-mm-dd"
    assert children.cell(row=2, column=3).number_format == "#,##0.0"
    sources = wb["Sources"]
    links = [c.hyperlink.target for c in sources["B"][1:] if c.hyperlink]
    assert links and all(link.startswith("http") for link in links)
    summary = [c.value for c in wb["Summary"]["A"]]
    assert any(v and "Present value of all costs" in v for v in summary)


def test_same_values_as_the_csv_files(folder):
    root, _, _ = folder
    wb = openpyxl.load_workbook(root / "norfolk" / "carecast.xlsx")
    rows = read_csv(root / "norfolk" / "cost_by_year.csv")[1:]
    sheet = list(wb["Costs"].iter_rows(min_row=2, values_only=True))
    assert len(sheet) == len(rows)
    for got, want in zip(sheet, rows):
        assert "FY" + got[0] == want[0]
        assert [str(v) for v in got[2:]] == want[2:]


def test_scenarios_sheets_and_no_macros(folder):
    root, _, council = folder
    path = root / "council" / "carecast.xlsx"
    wb = openpyxl.load_workbook(path)
    assert "Scenarios" in wb.sheetnames
    for s in council.scenarios:
        assert f"vs {s.name}" in wb.sheetnames
    names = zipfile.ZipFile(path).namelist()
    assert not [n for n in names if "vbaProject" in n or "externalLink" in n or n.endswith(".bin")]
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            assert not any(isinstance(v, str) and v.startswith("=") for v in row)    # values, not formulas


def test_long_sheet_names_are_cut_and_unique():
    loaded = loads_scenario_file(MINIMAL.replace("fewer_entries", "a_very_long_scenario_name_that_goes_on_1")
                                 .replace("cheaper_homes", "a_very_long_scenario_name_that_goes_on_2"))
    report = build_report(loaded.parameters, scenarios=loaded.scenarios, years=1, step="quarter")
    import io
    wb = openpyxl.load_workbook(io.BytesIO(workbook_bytes(report)))
    assert all(len(n) <= 31 for n in wb.sheetnames)
    assert len(set(wb.sheetnames)) == len(wb.sheetnames)


def soffice(*args, cwd, profile):
    command = [SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore", *args]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=240)


@needs_soffice
def test_libreoffice_converts_every_sheet(folder, tmp_path):
    root, _, _ = folder
    out = tmp_path / "csv"
    done = soffice("--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
                   "--outdir", str(out), str(root / "norfolk" / "carecast.xlsx"), cwd=tmp_path, profile=tmp_path / "p")
    assert done.returncode == 0, done.stderr
    made = sorted(os.listdir(out))
    assert "carecast-Costs.csv" in made and "carecast-Checks.csv" in made, (made, done.stdout, done.stderr)
    converted = read_csv(out / "carecast-Costs.csv")
    original = read_csv(root / "norfolk" / "cost_by_year.csv")
    assert len(converted) == len(original)
    for got, want in zip(converted[1:], original[1:]):
        assert "FY" + got[0] == want[0] and got[2:] == want[2:]


@needs_soffice
def test_csv_files_open_in_a_spreadsheet_as_written(folder, tmp_path):
    """Financial years and age bands stay text, dates become the same dates."""
    root, _, _ = folder
    for name in ("cost_by_year.csv", "children.csv"):
        shutil.copy(root / "norfolk" / name, tmp_path / name)
        done = soffice("--convert-to", "xlsx", "--outdir", str(tmp_path / "x"), str(tmp_path / name), cwd=tmp_path,
                       profile=tmp_path / "p")
        assert done.returncode == 0, done.stderr
    ws = openpyxl.load_workbook(tmp_path / "x" / "cost_by_year.xlsx").active
    assert all(c.data_type == "s" and c.value.startswith("FY") for c in ws["A"][1:])
    ws = openpyxl.load_workbook(tmp_path / "x" / "children.xlsx").active
    bands = {c.value for c in ws["B"][1:]}
    assert bands == {"under 1", "1 to 4", "5 to 9", "10 to 15", "16 to 17"}
    first = ws["A"][1].value
    assert (first.year, first.month, first.day) == (2012, 3, 31)


def test_a_table_too_long_for_excel_is_not_cut_silently(monkeypatch):
    import io

    from carecast.care.outputs import workbook
    monkeypatch.setattr(workbook, "EXCEL_MAX_ROWS", 50)        # as if Excel opened 50 rows
    loaded = loads_scenario_file(MINIMAL)
    report = build_report(loaded.parameters, years=3, step="quarter")
    with pytest.warns(RuntimeWarning, match="Children by age.*more than Excel opens"):
        data = workbook_bytes(report)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert "children.csv" in wb["Children by age"]["A1"].value and wb["Children by age"].max_row == 1
    assert wb["Costs"].max_row > 1
