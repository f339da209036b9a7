"""The HTML report (issue 12 part 3): self-contained, printable, and checked in headless Chromium.

The static tests read the page's text; the browser tests (skipped, with the
reason, where Debian's ``chromium`` is not installed; CI installs it) load it
with no network, check the console for errors, that the screenshot is not
blank, and that the key figures are in the rendered page's text. A control
page with a deliberate script error shows the console check can fail.
"""

import html
import os
import re
import shutil
import subprocess

import numpy as np
import pytest

from carecast.care.examples import load_example
from carecast.care.outputs import build_report, html_report
from carecast.care.report import money
from carecast.care.scenario_file import loads_scenario_file
from council_files import MINIMAL  # tests/ is on sys.path via conftest

CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed "
                                                             "(Debian: apt-get install chromium; CI installs it)")


def has_matplotlib():
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.fixture(scope="module")
def norfolk():
    ex = load_example("norfolk-2017")
    report = build_report(ex.parameters, years=5, step="month", checks=ex.checks, model="norfolk-2017", draws=60)
    return report, html_report(report)


@pytest.fixture(scope="module")
def council():
    loaded = loads_scenario_file(MINIMAL, filename="council.toml")
    report = build_report(loaded.parameters, scenarios=loaded.scenarios, years=loaded.years, step=loaded.step,
                          model="council.toml")
    return report, html_report(report)


def key_figures(report):
    base = report.baseline
    children = base.children_in_care()
    figures = [f"{children[0]:,.0f}", f"{children[-1]:,.0f}", money(base.present_value())]
    for s in report.scenarios:
        figures.append(money(s.comparison.present_values()["net_present_value"]))
    return figures


def test_self_contained_no_network(norfolk, council):
    for _, page in (norfolk, council):
        assert page.startswith("<!DOCTYPE html>")
        assert "Content-Security-Policy" in page and "default-src 'none'" in page
        lowered = page.lower()
        for forbidden in ("<script", "<link", "<iframe", "@import", " src=", "<image"):
            assert forbidden not in lowered, forbidden
        assert re.findall(r"url\((?!#)", lowered) == []                  # only references within the page
        for href in re.findall(r'xlink:href="([^"]*)"', page):
            assert href.startswith("#"), href
        for href in re.findall(r'(?<![:\w])href="([^"]*)"', page):
            assert href.startswith(("http://", "https://", "#")), href    # links to sources only, never loaded
        assert "@page" in page and "size: A4" in page and "@media print" in page and "break-before: page" in page


def test_contents(norfolk, council):
    report, page = norfolk
    for section in ("Summary", "The baseline", "Uncertainty", "Checks against published figures", "Assumptions",
                    "Sources"):
        assert f">{section}</h2>" in page, section
    for figure in key_figures(report):
        assert figure in page, figure
    for check in report.checks:
        assert html.escape(check.description) in page
    assert report.parameters.assumptions[0][:40] in page
    assert '<a href="http' in page
    report, page = council
    assert ">Scenarios against the baseline</h2>" in page
    for s in report.scenarios:
        assert f"<h3>{s.name}</h3>" in page
    if has_matplotlib():
        assert page.count("<svg") == 3 + 2 * len(report.scenarios)
        assert "cumulative net position" in page
        # each chart's ids are its own: inline SVGs must not share clip-path ids
        ids = re.findall(r'id="([^"]+)"', page)
        assert len(ids) == len(set(ids))


def chromium(*args, tmp_path, timeout=120):
    profile = tmp_path / f"profile-{len(os.listdir(tmp_path))}"
    command = [CHROMIUM, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--disable-extensions",
               f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
               "--host-resolver-rules=MAP * ~NOTFOUND", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


def console_errors(stderr: str) -> list[str]:
    """Console messages of the page (Chromium logs them as ``CONSOLE(line)`` or ``:CONSOLE:``)."""
    return [line for line in stderr.splitlines() if "CONSOLE" in line]


@needs_chromium
def test_console_check_can_fail(tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><html><body><p>x</p><script>no_such_function();</script></body></html>")
    done = chromium("--dump-dom", bad.as_uri(), tmp_path=tmp_path)
    assert console_errors(done.stderr), done.stderr[-2000:]


@needs_chromium
@pytest.mark.parametrize("which", ["norfolk", "council"])
def test_loads_in_chromium(which, norfolk, council, tmp_path):
    report, page = {"norfolk": norfolk, "council": council}[which]
    path = tmp_path / "report.html"
    path.write_text(page, encoding="utf-8")
    done = chromium("--dump-dom", path.as_uri(), tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert not console_errors(done.stderr), console_errors(done.stderr)
    text = re.sub(r"<[^>]+>", " ", done.stdout)
    for figure in key_figures(report):
        assert figure in text, figure
    shot = tmp_path / "shot.png"
    done = chromium(f"--screenshot={shot}", "--window-size=1100,1600", "--hide-scrollbars", path.as_uri(),
                    tmp_path=tmp_path)
    assert shot.exists(), done.stderr[-2000:]
    assert not console_errors(done.stderr), console_errors(done.stderr)
    import matplotlib.image
    pixels = np.asarray(matplotlib.image.imread(str(shot)))[..., :3]
    assert pixels.std() > 0.05                      # not blank: text, tables and charts
    assert (pixels < 0.5).mean() > 0.01             # some ink on the page


@needs_chromium
def test_prints_to_a4_pdf(norfolk, tmp_path):
    _, page = norfolk
    path = tmp_path / "report.html"
    path.write_text(page, encoding="utf-8")
    pdf = tmp_path / "report.pdf"
    done = chromium(f"--print-to-pdf={pdf}", "--no-pdf-header-footer", path.as_uri(), tmp_path=tmp_path)
    assert pdf.exists(), done.stderr[-2000:]
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    # A4 is 595 x 842 points; every page has that MediaBox
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", data)
    assert boxes and all(abs(float(w) - 595.28) < 1.5 and abs(float(h) - 841.89) < 1.5 for w, h in boxes)
    assert len(boxes) >= 4                              # sections start on new pages


def test_notebooks_show_the_same_report(council):
    import html
    report, page = council
    shown = report._repr_html_()
    assert shown.startswith("<iframe") and " sandbox " in shown
    assert html.unescape(shown.split('srcdoc="', 1)[1].rsplit('"></iframe>', 1)[0]) == report.html()
    assert report.html().split("<header>")[1] == page.split("<header>")[1]
