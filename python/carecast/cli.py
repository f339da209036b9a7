"""The ``carecast`` command line (also ``python -m carecast``).

::

    carecast                      # run the default example (norfolk-2017)
    carecast --version
    carecast examples             # list the built-in examples
    carecast run [EXAMPLE|FILE] [--years N] [--step week|month|quarter|year] [-o OUTDIR]
                 [--scenario NAME ...] [--name NAME] [--council NAME [--from YEAR]]
                 [--draws N [--seed S] [--chance] [--budget AMOUNT ...] [--budget-year YYYY-YY]]
                 [--xlsx] [--html|--no-html] [--no-charts] [--overwrite] [--quiet] [-v]
    carecast report [EXAMPLE|FILE] [-o REPORT.html] [same run options]
    carecast ssda903 ...          # SSDA903 summary, calibration and backtest

``carecast run`` prints a summary (children in care now and in N years by
placement, cost per financial year in cash, real and discounted terms, the
present value, and for examples the published figures it reproduces) and
writes to OUTDIR (default ``carecast-output/NAME``) the files listed in
:mod:`carecast.care.outputs.write`: CSVs whose column names carry their unit
and basis, ``README.txt`` explaining every file and column, ``summary.txt``,
``scenario.toml`` (``carecast run OUTDIR/scenario.toml`` reproduces the run),
``report.html``, PNG charts (with matplotlib), ``carecast.xlsx`` (``--xlsx``,
with openpyxl) and, for a file with named scenarios, a sub-folder per
scenario and ``scenarios.csv``. ``carecast report`` writes the HTML report alone.

Uncertainty (``--draws N``): a probabilistic sensitivity analysis of the
whole model (:func:`carecast.care.psa`; :mod:`carecast.care.outputs.psa`):
N draws of the model's declared uncertain inputs, each run for the baseline
and every named scenario. The uncertainty is a scenario file's
``[uncertain]`` table or, for ``--council NAME`` and the built-in examples,
the Poisson uncertainty of the entry and exit rates by age from the
published counts (:func:`carecast.councils.model.rate_uncertainty`).
``--chance`` adds chance (whole children) to each draw. ``--budget AMOUNT``
(repeatable; a plain number of pounds, ``42000000`` or ``42e6``) prints the
chance that the cash cost of ``--budget-year`` (``2026-27``; default the
first whole financial year of the run) is above it, for each arm; with
scenarios the summary gives each one's net present value (median and 90%
interval), the chance it is cheaper than the baseline and the chance it pays
back within the run. The run writes ``psa_children_quantiles.csv``,
``psa_cost_quantiles.csv``, ``psa_draws.csv`` (one row per draw: inputs
and results, so every probability can be recomputed),
``psa_sensitivity.csv`` (which inputs move the results most),
``psa_fan*.png`` and a section of ``report.html``; ``scenario.toml`` keeps
the uncertain inputs, so rerunning it with the same ``--draws`` and
``--seed`` writes the same files. A model that declares no uncertainty says so
and gets what ``--draws`` gave before: a chance-only fan of the baseline
(``uncertainty.csv``), labelled as such; ``--budget`` and ``--chance`` are
then refused. Same ``--seed``, same files, byte for byte.

Files are safe (see :mod:`carecast.care.outputs.folder`): a non-empty folder
carecast did not write is refused unless ``--overwrite``; an input is never
overwritten; every file is complete or untouched.

Exit status: 0 on success; 2 for bad arguments, a bad scenario file, a file
or folder that cannot be used (one line naming the path and the problem), or
a run too large for memory (refused before it starts); 130 if interrupted.
Progress is logged (``-v`` shows it); recoverable problems are warnings
(``carecast: warning: ...`` on stderr).
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import re
import sys
import warnings
from collections.abc import Sequence

__all__ = ["main", "build_parser"]

log = logging.getLogger("carecast")


def _version() -> str:
    from carecast import __version__
    return __version__


def _add_run_options(p: argparse.ArgumentParser, *, report: bool) -> None:
    from carecast.care.examples import DEFAULT_EXAMPLE, EXAMPLE_NAMES
    p.add_argument("model", nargs="?", default=DEFAULT_EXAMPLE, metavar="EXAMPLE|FILE",
                   help=f"an example ({', '.join(EXAMPLE_NAMES)}) or a scenario file (default: {DEFAULT_EXAMPLE})")
    p.add_argument("--years", type=float, default=None, help="years to project (default: the example's or file's)")
    p.add_argument("--step", choices=("week", "month", "quarter", "year"), default=None,
                   help="step length (default: the example's or file's, else month)")
    if report:
        p.add_argument("-o", "--output", default=None, metavar="REPORT.html",
                       help="the report to write (default: carecast-output/NAME.html)")
    else:
        p.add_argument("-o", "--output", default=None, metavar="OUTDIR",
                       help="folder to write into (default: carecast-output/NAME)")
    p.add_argument("--scenario", action="append", default=None, metavar="NAME",
                   help="run only these named scenarios from the file (repeatable; default: all)")
    p.add_argument("--council", default=None, metavar="NAME",
                   help="model a council from its published figures instead of EXAMPLE|FILE")
    p.add_argument("--from", dest="from_year", type=int, default=None, metavar="YEAR",
                   help="with --council: start at 31 March YEAR (default: the last published)")
    p.add_argument("--name", default=None, help="the model's name in titles and reports (default: the model's own)")
    p.add_argument("--draws", type=int, default=0, metavar="N",
                   help="a probabilistic sensitivity analysis of N draws of the model's declared uncertainty (a "
                        "scenario file's [uncertain] table; for --council and the examples, the rates' uncertainty "
                        "from the published counts), the baseline and every scenario; a model that declares none "
                        "gets a chance-only fan of N stochastic runs, labelled so (default 0: none)")
    p.add_argument("--seed", type=int, default=0, help="seed of the draws (default 0): same seed, same files")
    p.add_argument("--chance", action="store_true",
                   help="with --draws: add chance to each draw (whole children: Poisson entries, binomial exits)")
    p.add_argument("--budget", action="append", default=None, type=_budget, metavar="AMOUNT",
                   help="with --draws: print the chance that the cash cost of --budget-year is above AMOUNT pounds, "
                        "for the baseline and each scenario (a plain number: 42000000 or 42e6; repeatable)")
    p.add_argument("--budget-year", default=None, type=_financial_year, metavar="YYYY-YY",
                   help="with --draws: the financial year of --budget, e.g. 2026-27 (default: the first whole "
                        "financial year of the run)")
    p.add_argument("--overwrite", action="store_true",
                   help="write into a non-empty folder (or over a file) that carecast did not write")
    p.add_argument("-v", "--verbose", action="store_true", help="log progress on stderr")
    if not report:
        p.add_argument("--xlsx", action="store_true", help="also write an Excel workbook, carecast.xlsx (needs openpyxl)")
        p.add_argument("--html", action=argparse.BooleanOptionalAction, default=True,
                       help="write report.html, the self-contained HTML report (default: yes)")
        p.add_argument("--no-charts", action="store_true", help="do not draw PNG charts")
        p.add_argument("--quiet", action="store_true", help="do not print the assumptions (summary.txt keeps them)")


_MONEY = re.compile(r"^[0-9]+(\.[0-9]*)?([eE][+-]?[0-9]+)?$")
_SCALE = {"k": 1e3, "m": 1e6, "mn": 1e6, "bn": 1e9, "b": 1e9}


def _budget(text: str) -> float:
    """An amount of pounds as a plain number (``42000000``, ``42e6``, ``42000000.50``).

    Spreadsheet and committee-paper habits are refused with what to write
    instead, as scenario files do: ``£42m`` -> ``write 42000000 or 42e6``;
    ``42,000,000``; ``42_000_000`` (Python reads it, a reader may not). Zero,
    negative and non-finite amounts are refused.

    >>> _budget("42e6"), _budget("42000000")
    (42000000.0, 42000000.0)
    """
    raw = text.strip()
    if _MONEY.match(raw):
        value = float(raw)
        if not math.isfinite(value) or value <= 0:
            raise argparse.ArgumentTypeError(f"{text!r}: a budget must be a positive number of pounds")
        return value
    if raw.startswith("-"):
        raise argparse.ArgumentTypeError(f"{text!r}: a budget must be a positive number of pounds")
    hint = ""
    m = re.match(r"^£?\s*([0-9][0-9,_]*(?:\.[0-9]+)?)\s*(k|m|mn|bn|b)?$", raw, re.IGNORECASE)
    if m:
        value = float(m.group(1).replace(",", "").replace("_", "")) * _SCALE.get((m.group(2) or "").lower(), 1.0)
        if value > 0:
            plain = f"{value:.0f}" if float(value).is_integer() else f"{value:.2f}"
            short = next((f"{value / 10.0 ** k:g}e{k}" for k in (9, 6, 3) if value >= 10.0 ** k), "")
            exact = bool(short) and float(short) == value and "e" not in short.split("e")[0]
            hint = f"; write {plain}" + (f" or {short}" if exact else "")
    raise argparse.ArgumentTypeError(f"{text!r} is not a plain number of pounds (no £, commas, underscores or "
                                     f"'m'/'k'){hint or '; write e.g. 42000000 or 42e6'}")


def _financial_year(text: str) -> str:
    """A financial year written ``2026-27`` (April 2026 to March 2027); other spellings get what to write.

    >>> _financial_year("2026-27")
    '2026-27'
    """
    raw = text.strip()
    m = re.match(r"^(?:FY)?\s*(\d{4})\s*[-/]\s*(\d{2}|\d{4})$", raw, re.IGNORECASE)
    if m:
        first, second = int(m.group(1)), int(m.group(2))
        if second % 100 == (first + 1) % 100 and (second < 100 or second == first + 1):
            label = f"{first}-{(first + 1) % 100:02d}"
            if raw == label:
                return label
            raise argparse.ArgumentTypeError(f"{text!r}: write {label} (the financial year April {first} to "
                                             f"March {first + 1})")
    raise argparse.ArgumentTypeError(f"{text!r} is not a financial year; write it as 2026-27 (April 2026 to "
                                     "March 2027)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, with the SSDA903 sub-command when it is available."""
    from carecast.care.examples import DEFAULT_EXAMPLE

    parser = argparse.ArgumentParser(
        prog="carecast", description="Project children in care, what they cost, and what a change of "
                                     f"policy would do to both. With no command, runs the {DEFAULT_EXAMPLE} example.")
    parser.add_argument("--version", action="version", version=f"carecast {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = sub.add_parser("run", help="run an example or a scenario file and write tables, charts and a report",
                         description="Run a built-in example or a TOML scenario file; print a summary and write "
                                     "CSV tables with README.txt, summary.txt, charts, report.html and (--xlsx) a "
                                     "workbook.")
    _add_run_options(run, report=False)
    report = sub.add_parser("report", help="run an example or a scenario file and write one HTML report",
                            description="Run a built-in example or a TOML scenario file and write a self-contained "
                                        "HTML report (charts inline, printable on A4, opens offline).")
    _add_run_options(report, report=True)
    sub.add_parser("examples", help="list the built-in examples")
    try:
        from carecast.ssda903.cli import register
    except ImportError:
        pass
    else:
        register(sub)
    from carecast.councils.cli import register as register_councils
    register_councils(sub)
    return parser


class _Failure(Exception):
    """A problem reported in one line with exit status 2."""


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"carecast: warning: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``carecast`` console script."""
    parser = build_parser()
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.command is None:
        from carecast.care.examples import DEFAULT_EXAMPLE
        print(f"No command given: running the default example, {DEFAULT_EXAMPLE} "
              f"('carecast --help' for more).\n")
        args = parser.parse_args(["run", DEFAULT_EXAMPLE])
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("carecast: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO if getattr(args, "verbose", False) else logging.WARNING)
    old_show = warnings.showwarning
    warnings.showwarning = _show_warning
    try:
        return _dispatch(args, parser)
    except _Failure as exc:
        print(f"carecast: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ncarecast: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader of our output went away (carecast run | head): not an error of ours
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return 0
    except MemoryError as exc:
        print(f"carecast: error: not enough memory: {exc or 'the run does not fit'}", file=sys.stderr)
        return 2
    except OSError as exc:
        from carecast.care.outputs.folder import describe_os_error
        where = exc.filename or "carecast"
        print(f"carecast: error: {where}: {describe_os_error(exc)}", file=sys.stderr)
        return 2
    finally:
        warnings.showwarning = old_show
        log.removeHandler(handler)


def _dispatch(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.command == "examples":
        return _examples()
    if args.command in ("run", "report"):
        return _run(args, parser)
    handler = getattr(args, "func", None) or getattr(args, "handler", None)
    if handler is not None:
        return int(handler(args) or 0)
    parser.error(f"unknown command {args.command!r}")
    return 2


def _examples() -> int:
    from carecast.care.examples import DEFAULT_EXAMPLE, list_examples
    for ex in list_examples():
        mark = " (default)" if ex.name == DEFAULT_EXAMPLE else ""
        print(f"{ex.name}{mark}: {ex.title}")
        print(f"    {ex.description}")
        print(f"    {ex.parameters.total_stock():,.0f} children in care on {ex.parameters.start_date:%d %B %Y}; "
              f"runs {ex.years:g} years in {ex.step}ly steps by default")
    return 0


def _load(model: str, parser: argparse.ArgumentParser):
    """(parameters, scenarios, years, step, checks, name, input path or None, declared uncertainty or None)
    for an example name or a file (an example's uncertainty is built only when draws ask for it: _uncertainty)."""
    from carecast.care.examples import EXAMPLE_NAMES, load_example
    from carecast.care.scenario_file import ScenarioFileError, load_scenario_file

    if model in EXAMPLE_NAMES:
        ex = load_example(model)
        return ex.parameters, {}, ex.years, ex.step, ex.checks, ex.name, None, None
    if os.path.islink(model) and not os.path.exists(model):
        raise _Failure(f"{model}: is a symbolic link to {os.readlink(model)!r}, which does not exist")
    if not os.path.exists(model):
        parser.error(f"{model!r} is neither an example ({', '.join(EXAMPLE_NAMES)}) nor a file")
    if os.path.isdir(model):
        raise _Failure(f"{model}: is a folder, not a scenario file")
    try:
        loaded = load_scenario_file(model)
    except ScenarioFileError as exc:
        raise _Failure(str(exc)) from None
    except OSError as exc:
        from carecast.care.outputs.folder import describe_os_error
        raise _Failure(f"{model}: cannot read it: {describe_os_error(exc)}") from None
    except UnicodeDecodeError:
        raise _Failure(f"{model}: is not a text (UTF-8) scenario file") from None
    name = os.path.splitext(os.path.basename(model))[0]
    return loaded.parameters, loaded.scenarios, loaded.years, loaded.step, [], name, model, loaded.uncertain


def _default_output(name: str, report: bool) -> str:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name).strip("._") or "model"
    return os.path.join("carecast-output", safe + (".html" if report else ""))


def _run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from carecast import CarecastError
    from carecast.care.charts import matplotlib_available
    from carecast.care.outputs import OutputError, build_report, check_size
    from carecast.progress import Progress

    is_report = args.command == "report"
    for flag, given in (("--chance", args.chance), ("--budget", args.budget), ("--budget-year", args.budget_year)):
        if given and not args.draws:
            parser.error(f"{flag} needs --draws N (a probabilistic sensitivity analysis of N draws)")
    declared = None
    if args.council:
        from carecast.councils.cli import run_parameters
        parameters, checks, name = run_parameters(args.council, args.from_year)
        scenarios, years, step, input_path = {}, 5.0, "month", None
    elif args.from_year is not None:
        parser.error("--from needs --council")
    else:
        parameters, scenarios, years, step, checks, name, input_path, declared = _load(args.model, parser)
    years = args.years if args.years is not None else (years or 5.0)
    step = args.step or step or "month"
    if not 0 < years <= 200:
        parser.error(f"--years must be in (0, 200], got {years:g}")
    if args.draws < 0 or args.draws == 1:
        parser.error(f"--draws must be 0 (none) or at least 2, got {args.draws}")
    if args.name is not None and not args.name.strip():
        parser.error("--name must not be empty")
    if args.scenario:
        missing = [s for s in args.scenario if s not in scenarios]
        if missing:
            parser.error(f"no scenario {missing[0]!r} in {args.model} (scenarios: {', '.join(scenarios) or 'none'})")
        scenarios = {k: scenarios[k] for k in args.scenario}
    xlsx = not is_report and args.xlsx
    if xlsx:
        from carecast.care.outputs.workbook import openpyxl_available
        if not openpyxl_available():
            parser.error("--xlsx needs openpyxl: pip install 'carecast[report]'")
    uncertain, origin, no_uncertainty = (declared if declared is not None and len(declared) else None), "", ""
    if args.draws:
        uncertain, origin = _uncertainty(args, parameters, declared)
        if uncertain is None:
            what = args.council or args.model
            no_uncertainty = (f"{what} declares no uncertainty (a scenario file declares it in an [uncertain] "
                              f"table), so --draws {args.draws} gives chance only: the spread of whole children "
                              "entering and leaving at the model's fixed rates, narrower than the true uncertainty.")
            for flag, given in (("--chance", args.chance), ("--budget", args.budget),
                                ("--budget-year", args.budget_year)):
                if given:
                    parser.error(f"{flag} needs the model's uncertainty, and {no_uncertainty[:-1]}; add an "
                                 "[uncertain] table to the scenario file")
            warnings.warn(no_uncertainty, RuntimeWarning, stacklevel=1)
        else:
            _check_budget_year(args, parameters, years, step, parser)
    try:
        check_size(parameters, years, step, runs=1 + len(scenarios), draws=args.draws,
                   psa=bool(args.draws) and uncertain is not None,
                   chance=args.chance, inputs=len(uncertain) if uncertain is not None else 0)
    except MemoryError as exc:
        raise _Failure(f"refused before starting: {exc}") from None
    inputs = [input_path] if input_path else []
    output = args.output or _default_output(name, is_report)

    try:
        if is_report:
            target = _check_report_target(output, args.overwrite, inputs)
        else:
            from carecast.care.outputs import OutputFolder
            folder = OutputFolder(output, overwrite=args.overwrite, inputs=inputs)
        charts = (is_report or not args.no_charts) and matplotlib_available()
        fans = (max(1, len(scenarios)) if uncertain is not None else 1) if args.draws else 0
        n_charts = (3 + fans + 2 * len(scenarios)) if charts and not is_report else 0
        html = is_report or args.html
        draw_stages = (max(1, len(scenarios)) if uncertain is not None else 1) if args.draws else 0
        stages = 1 + len(scenarios) + draw_stages + (0 if is_report else 1) + n_charts \
            + (1 if html else 0) + (1 if xlsx else 0)
        with Progress(stages, f"carecast {args.name or name}") as bar:
            try:
                report = build_report(parameters, scenarios=scenarios, years=years, step=step, checks=checks,
                                      name=args.name, model=args.council or args.model, draws=args.draws,
                                      seed=args.seed, uncertain=uncertain, uncertainty_origin=origin,
                                      chance=args.chance, budgets=args.budget or (), budget_year=args.budget_year,
                                      no_uncertainty_note=no_uncertainty, progress=bar)
            except (ValueError, TypeError, CarecastError) as exc:
                # a model or scenario the checks at loading let through but the run refuses: say so, in a line
                raise _Failure(f"{args.model}: cannot run it: {exc}") from None
            if is_report:
                from carecast.care.outputs.html import html_report
                _write_report(target, html_report(report))
                bar.advance(what="report")
            else:
                from carecast.care.outputs import write_outputs
                with warnings.catch_warnings():
                    warnings.filterwarnings("ignore", message="charts not drawn")   # said below, on stdout
                    written = write_outputs(report, folder, scenarios=scenarios, charts=charts, html=html,
                                            xlsx=xlsx, summary=report.summary(), progress=bar)
    except OutputError as exc:
        raise _Failure(str(exc)) from None

    print(report.summary(show_assumptions=not getattr(args, "quiet", False)))
    for check in checks:
        modelled = check.modelled(report.baseline)
        if modelled is not None and check.published and abs(modelled / check.published - 1) > check.tolerance:
            warnings.warn(f"the model is outside the tolerance of a published figure: {check.description}",
                          RuntimeWarning, stacklevel=1)
    if is_report:
        print(f"\nWrote the report to {target}")
        if not charts:
            print("Charts not drawn: matplotlib is not installed (pip install 'carecast[report]').")
        return 0
    print(f"\nWrote {len(written)} files to {folder.path} (README.txt there explains every file and column)")
    if html:
        print(f"Report: {os.path.join(folder.path, 'report.html')}")
    if xlsx:
        print(f"Workbook: {os.path.join(folder.path, 'carecast.xlsx')}")
    if written.charts:
        print(f"Charts ({len(written.charts)}): " + ", ".join(os.path.basename(p) for p in written.charts))
    elif not args.no_charts:
        print("Charts not drawn: matplotlib is not installed (pip install 'carecast[report]').")
    return 0


_COUNTS_ONLY = ("; that is the sampling uncertainty of the rates only, not their changes from year to year nor the "
                "assumptions (unit costs, the split of foster care), which stay fixed, so the true uncertainty is "
                "wider, the more so the larger the council")


def _uncertainty(args: argparse.Namespace, parameters, declared):
    """(the model's declared uncertainty or None, where it comes from in words).

    A scenario file's ``[uncertain]`` table (none if it has none or an empty
    one); for ``--council`` and the built-in examples, the Poisson
    uncertainty of the entry and exit rates by age from the published
    counts (:func:`carecast.councils.model.rate_uncertainty`).
    """
    from carecast.care.examples import EXAMPLE_NAMES
    if args.council:
        from carecast.councils.dataset import load_dataset
        from carecast.councils.model import rate_uncertainty
        area = load_dataset().find(args.council)
        year = parameters.start_date.year
        return rate_uncertainty(area, year), (f"the published counts of {area.name} (DfE): the Poisson uncertainty "
                                              f"of its entries and exits by age in the year to 31 March {year}"
                                              + _COUNTS_ONLY)
    if args.model in EXAMPLE_NAMES:
        from carecast.councils.examples import example_rate_uncertainty
        return example_rate_uncertainty(args.model), (
            f"the published counts behind the {args.model} example (DfE): the Poisson uncertainty of its entries and "
            "exits by age" + _COUNTS_ONLY)
    if declared is None or not len(declared):
        return None, ""
    return declared, f"the [uncertain] table of {os.path.basename(args.model)}"


def _check_budget_year(args: argparse.Namespace, parameters, years: float, step, parser) -> None:
    """Refuse a --budget-year the run does not cover whole; without one, a run must cover a whole year for --budget."""
    from carecast.care.outputs.psa import default_budget_year, run_financial_years
    labels, covered = run_financial_years(parameters, years, step)
    whole = [lab for lab, c in zip(labels, covered) if c >= 1 - 1e-9]
    if args.budget_year is not None and args.budget_year not in whole:
        where = (f"the run covers only {covered[labels.index(args.budget_year)]:.0%} of it" if args.budget_year in labels
                 else "it is not in the run")
        parser.error(f"--budget-year {args.budget_year}: {where}; the run covers "
                     + (f"{whole[0]} to {whole[-1]} whole" if whole else "no financial year whole")
                     + " (change --budget-year or --years)")
    if args.budget and args.budget_year is None and default_budget_year(parameters, years, step) is None:
        parser.error("--budget: the run covers no financial year whole; lengthen it with --years")


_REPORT_MARK = '<meta name="generator" content="carecast">'    # written by carecast.care.outputs.html


def _check_report_target(path: str, overwrite: bool, inputs: list[str]) -> str:
    """Refuse to write the report over an input, a folder, or a file carecast did not write (unless overwrite)."""
    from carecast.care.outputs import OutputError
    if os.path.islink(path) and not os.path.exists(path):
        raise OutputError(path, f"is a symbolic link to {os.readlink(path)!r}, which does not exist")
    if os.path.isdir(path):
        raise OutputError(path, "is a folder; give the report's file name (e.g. report.html)")
    for item in inputs:
        if os.path.exists(path) and os.path.samefile(path, item):
            raise OutputError(path, "is the input file, which carecast never overwrites")
    if os.path.exists(path) and not overwrite:
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                ours = _REPORT_MARK in fh.read(4096)
        except OSError:
            ours = False
        if not ours:
            raise OutputError(path, "already exists and carecast did not write it; choose another name with -o, "
                                    "or pass --overwrite")
    parent = os.path.dirname(path) or "."
    if not os.path.isdir(parent):
        try:
            os.makedirs(parent, exist_ok=True)
        except OSError as exc:
            from carecast.care.outputs.folder import describe_os_error
            raise OutputError(parent, describe_os_error(exc)) from None
    return path


def _write_report(path: str, text: str) -> None:
    from carecast.care.outputs.folder import write_atomically
    write_atomically(path, text.encode("utf-8"))


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
