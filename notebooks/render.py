"""Execute the notebooks and write self-contained HTML pages, with an index.

    python notebooks/render.py                    # every notebook -> docs/notebooks/
    python notebooks/render.py -o out/pages 1_birmingham_2013_savings.ipynb
    python notebooks/render.py --check            # are the committed pages in step? (exit 1 if not)

Each page is one HTML file with its charts inlined as PNG ``data:`` URIs, its
styles inline and no script, font or style fetched from the network, so that it
can be opened from disk, mailed or attached to a committee paper.

Decisions (the design is silent on these):

- **The pages are committed** (``docs/notebooks/``), so that the README can link
  to them and a reader without Python sees the executed notebook. "In step with
  the code" is checked, not hoped: every page carries, in ``<meta>`` and
  ``<script type="application/json">`` tags,

  * ``carecast-notebook-sha256``: a hash of the notebook's cells (types and
    sources, not outputs or metadata), so a page older than its notebook is
    caught without executing anything (``--check``, and a test);
  * ``carecast-verdict``: the notebook's ``VERDICT`` dict (if it defines one) as
    JSON, so that a test that executes the notebook against the current package
    compares the verdict it computes now with the verdict on the page; a change
    in the code that changes an answer fails the test until the pages are
    re-rendered.

- **The verdict box** at the top of each page is built here from ``VERDICT``
  keys ``claim``, ``answer``, ``how_sure`` and ``what_would_change`` (any other
  keys are listed below it), because a notebook computes its verdict at its end
  and the box must show what the code computed, not text written in advance.
- Notebooks run with the working directory set to a temporary folder and
  matplotlib's inline backend (charts as PNG); a cell that raises stops the render with the notebook's
  name (a page is never written from a failed run).
"""
from __future__ import annotations

import argparse
import datetime as _dt
import hashlib
import html
import json
import os
import pathlib
import sys
import tempfile
from typing import Any

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_OUT = ROOT / "docs" / "notebooks"
VERDICT_TAG = "carecast-verdict-probe"
BOX_KEYS = (("claim", "The claim"), ("answer", "The answer"), ("how_sure", "How sure"),
            ("what_would_change", "What would change it"))

_PROBE = """\
import json as _json
try:
    VERDICT
except NameError:
    print("CARECAST-VERDICT:null")
else:
    print("CARECAST-VERDICT:" + _json.dumps(VERDICT, default=str, sort_keys=True))
"""


def notebook_sha256(path: pathlib.Path) -> str:
    """Hash of a notebook's cells: their types and sources, not outputs or metadata."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    canonical = [[c["cell_type"], "".join(c["source"]) if isinstance(c["source"], list) else c["source"]]
                 for c in cells]
    return hashlib.sha256(json.dumps(canonical, ensure_ascii=False).encode("utf-8")).hexdigest()


def execute(path: pathlib.Path, timeout: int = 600) -> tuple[Any, Any]:
    """Execute ``path``; return (executed notebook without the probe cell, VERDICT or None)."""
    import nbclient
    import nbformat

    notebook = nbformat.read(str(path), as_version=4)
    probe = nbformat.v4.new_code_cell(_PROBE, metadata={"tags": [VERDICT_TAG]})
    notebook.cells.append(probe)
    # Inline charts (PNG in the page) whatever the caller's MPLBACKEND says.
    saved = os.environ.get("MPLBACKEND")
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    with tempfile.TemporaryDirectory() as work:
        client = nbclient.NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                                         resources={"metadata": {"path": work}})
        try:
            client.execute()
        except nbclient.exceptions.CellExecutionError as err:
            raise RuntimeError(f"{path.name}: a cell raised:\n{err}") from None
        finally:
            if saved is None:
                os.environ.pop("MPLBACKEND", None)
            else:
                os.environ["MPLBACKEND"] = saved
    verdict = None
    for output in notebook.cells[-1].get("outputs", []):
        for line in output.get("text", "").splitlines():
            if line.startswith("CARECAST-VERDICT:"):
                verdict = json.loads(line[len("CARECAST-VERDICT:"):])
    notebook.cells.pop()
    return notebook, verdict


def _title(notebook: Any, fallback: str) -> str:
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback


def _verdict_box(verdict: dict | None) -> str:
    if not verdict:
        return ('<div class="verdict missing"><p>This notebook does not yet expose a computed '
                '<code>VERDICT</code>; read its closing cells.</p></div>')
    rows = []
    for key, label in BOX_KEYS:
        for name in (key, key + "_it"):          # "what_would_change" or "what_would_change_it"
            if name in verdict:
                rows.append(f"<tr><th>{label}</th><td>{html.escape(str(verdict[name]))}</td></tr>")
                break
    shown = {name for key, _ in BOX_KEYS for name in (key, key + "_it")}
    rest = {k: v for k, v in verdict.items() if k not in shown}
    figures = ""
    if rest:
        items = "".join(f"<li><code>{html.escape(k)}</code>: {html.escape(_fmt(v))}</li>"
                        for k, v in sorted(rest.items()))
        figures = f"<details><summary>The computed figures behind it</summary><ul>{items}</ul></details>"
    return (f'<div class="verdict"><h2>Verdict (computed by the notebook)</h2><table>{"".join(rows)}</table>'
            f"{figures}</div>")


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.6g}"
    return str(value)


# The notebook pages use the report's page machinery (carecast.care.outputs.html: the same stylesheet,
# A4 print rules and a Content-Security-Policy that forbids any request); these rules add only what
# executed cells need.
NOTEBOOK_CSS = """
div.jp-InputArea pre, div.input_area pre, .highlight pre { background: #f6f6f6; padding: 0.6rem; overflow-x: auto; }
.jp-OutputArea-output pre, .output_text pre { background: #fff; border-left: 3px solid #ccc; padding: 0.4rem 0.6rem;
                                              overflow-x: auto; }
img { max-width: 100%; height: auto; }
.verdict { border: 2px solid #111; padding: 0.5rem 1rem 1rem; margin: 1rem 0 2rem; background: #fafafa; }
.verdict th, .verdict td, .jp-RenderedHTMLCommon td, .jp-RenderedHTMLCommon th { text-align: left; }
.verdict th { width: 12rem; }
.jp-InputPrompt, .jp-OutputPrompt, .prompt { display: none; }
"""


def page_html(path: pathlib.Path, notebook: Any, verdict: dict | None) -> str:
    """One self-contained page: the verdict box, then the executed notebook."""
    from nbconvert import HTMLExporter
    from pygments.formatters import HtmlFormatter

    exporter = HTMLExporter(template_name="basic")
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    body, _ = exporter.from_notebook_node(notebook)
    title = _title(notebook, path.stem)
    sha = notebook_sha256(path)
    pygments_css = HtmlFormatter(style="default").get_style_defs(".highlight")
    import carecast
    from carecast.care.outputs.html import page_head

    verdict_json = json.dumps(verdict, sort_keys=True, ensure_ascii=False).replace("</", "<\\/")
    version = html.escape(getattr(carecast, "__version__", ""))
    meta = (f'<meta name="carecast-notebook" content="{html.escape(path.name)}">\n'
            f'<meta name="carecast-notebook-sha256" content="{sha}">\n'
            f'<meta name="carecast-version" content="{version}">\n'
            f'<script type="application/json" id="carecast-verdict">{verdict_json}</script>')
    return page_head(title, extra_css=NOTEBOOK_CSS + pygments_css, meta=meta) + f"""
<p class="meta"><a href="index.html">All notebooks</a> &middot; executed from <code>notebooks/{html.escape(path.name)}</code>
by <code>python notebooks/render.py</code> with carecast {version}
on {_dt.date.today().isoformat()}. Figures from publications carry their sources; everything else is
printed as an assumption.</p>
{_verdict_box(verdict)}
{body}
</body>
</html>
"""


def index_html(entries: list[tuple[str, str, dict | None]]) -> str:
    rows = []
    for name, title, verdict in entries:
        answer = html.escape(str(verdict.get("answer", ""))) if verdict else "<em>no computed verdict yet</em>"
        rows.append(f'<tr><td><a href="{html.escape(name)}.html">{html.escape(title)}</a></td><td>{answer}</td></tr>')
    from carecast.care.outputs.html import page_head

    return page_head("carecast notebooks", extra_css=NOTEBOOK_CSS) + f"""
<h1>carecast notebooks: public arguments, reproduced and tested</h1>
<p>Each page is a notebook from <code>notebooks/</code>, executed against the package by
<code>python notebooks/render.py</code>. The verdicts are computed by the notebooks; the test
suite checks that each page matches its notebook's source and the verdict the current code computes.</p>
<table><tr><th>notebook</th><th>the answer (computed)</th></tr>
{"".join(rows)}
</table>
</body>
</html>
"""


def read_page(path: pathlib.Path) -> tuple[str | None, Any]:
    """(notebook sha256, verdict) embedded in a rendered page."""
    text = path.read_text(encoding="utf-8")
    sha = None
    marker = '<meta name="carecast-notebook-sha256" content="'
    if marker in text:
        sha = text.split(marker, 1)[1].split('"', 1)[0]
    verdict = None
    start = '<script type="application/json" id="carecast-verdict">'
    if start in text:
        raw = text.split(start, 1)[1].split("</script>", 1)[0]
        verdict = json.loads(raw.replace("<\\/", "</"))
    return sha, verdict


def check(out: pathlib.Path, notebooks: list[pathlib.Path]) -> list[str]:
    """Problems with the committed pages (missing, or older than their notebook)."""
    problems = []
    for path in notebooks:
        page = out / f"{path.stem}.html"
        if not page.exists():
            problems.append(f"{page}: missing; run python notebooks/render.py")
            continue
        sha, _ = read_page(page)
        if sha != notebook_sha256(path):
            problems.append(f"{page}: older than {path.name}; run python notebooks/render.py")
    if not (out / "index.html").exists():
        problems.append(f"{out / 'index.html'}: missing; run python notebooks/render.py")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", help="notebook files or names (default: every notebook)")
    parser.add_argument("-o", "--output", default=str(DEFAULT_OUT), help="output folder (default docs/notebooks)")
    parser.add_argument("--check", action="store_true", help="only check the pages are in step with the notebooks")
    args = parser.parse_args(argv)
    out = pathlib.Path(args.output)
    every = sorted(HERE.glob("*.ipynb"))
    chosen = []
    for name in args.notebooks:
        matches = [p for p in every if name in (p.name, p.stem, str(p))] or \
                  ([pathlib.Path(name)] if pathlib.Path(name).is_file() else [])
        if not matches:
            parser.error(f"no notebook {name!r} in {HERE}")
        chosen.extend(matches)
    chosen = chosen or every
    if args.check:
        problems = check(out, chosen)
        for p in problems:
            print(p, file=sys.stderr)
        return 1 if problems else 0
    out.mkdir(parents=True, exist_ok=True)
    for path in chosen:
        print(f"executing {path.name} ...", flush=True)
        notebook, verdict = execute(path)
        (out / f"{path.stem}.html").write_text(page_html(path, notebook, verdict), encoding="utf-8")
    # The index lists every page in the folder, rendered now or before.
    entries = []
    for path in every:
        page = out / f"{path.stem}.html"
        if page.exists():
            _, verdict = read_page(page)
            text = page.read_text(encoding="utf-8")
            title = html.unescape(text.split("<title>", 1)[1].split("</title>", 1)[0]) if "<title>" in text else path.stem
            entries.append((path.stem, title, verdict))
    (out / "index.html").write_text(index_html(entries), encoding="utf-8")
    print(f"wrote {len(chosen)} page(s) and index.html to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
