"""The ``carecast`` command line (also ``python -m carecast``).

::

    carecast                      # run the default example (norfolk-2017)
    carecast --version
    carecast examples             # list the built-in examples
    carecast run [EXAMPLE|FILE] [--years N] [--step week|month|quarter|year] [-o OUTDIR]
                 [--scenario NAME ...] [--name NAME] [--draws N [--seed S]]
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
scenario and ``scenarios.csv``. ``--draws N`` adds an uncertainty fan from N
stochastic runs. ``carecast report`` writes the HTML report alone.

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
import os
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
                   help="stochastic runs of the baseline for an uncertainty fan (default 0: none)")
    p.add_argument("--seed", type=int, default=0, help="seed of the stochastic runs (default 0)")
    p.add_argument("--overwrite", action="store_true",
                   help="write into a non-empty folder (or over a file) that carecast did not write")
    p.add_argument("-v", "--verbose", action="store_true", help="log progress on stderr")
    if not report:
        p.add_argument("--xlsx", action="store_true", help="also write an Excel workbook, carecast.xlsx (needs openpyxl)")
        p.add_argument("--html", action=argparse.BooleanOptionalAction, default=True,
                       help="write report.html, the self-contained HTML report (default: yes)")
        p.add_argument("--no-charts", action="store_true", help="do not draw PNG charts")
        p.add_argument("--quiet", action="store_true", help="do not print the assumptions (summary.txt keeps them)")


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
    """(parameters, scenarios, years, step, checks, name, input path or None) for an example name or a file."""
    from carecast.care.examples import EXAMPLE_NAMES, load_example
    from carecast.care.scenario_file import ScenarioFileError, load_scenario_file

    if model in EXAMPLE_NAMES:
        ex = load_example(model)
        return ex.parameters, {}, ex.years, ex.step, ex.checks, ex.name, None
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
    return loaded.parameters, loaded.scenarios, loaded.years, loaded.step, [], name, model


def _default_output(name: str, report: bool) -> str:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name).strip("._") or "model"
    return os.path.join("carecast-output", safe + (".html" if report else ""))


def _run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from carecast import CarecastError
    from carecast.care.charts import matplotlib_available
    from carecast.care.outputs import OutputError, build_report, check_size
    from carecast.progress import Progress

    is_report = args.command == "report"
    if args.council:
        from carecast.councils.cli import run_parameters
        parameters, checks, name = run_parameters(args.council, args.from_year)
        scenarios, years, step, input_path = {}, 5.0, "month", None
    elif args.from_year is not None:
        parser.error("--from needs --council")
    else:
        parameters, scenarios, years, step, checks, name, input_path = _load(args.model, parser)
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
    try:
        check_size(parameters, years, step, runs=1 + len(scenarios), draws=args.draws)
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
        n_charts = (3 + (1 if args.draws else 0) + 2 * len(scenarios)) if charts and not is_report else 0
        html = is_report or args.html
        stages = 1 + len(scenarios) + (1 if args.draws else 0) + (0 if is_report else 1) + n_charts \
            + (1 if html else 0) + (1 if xlsx else 0)
        with Progress(stages, f"carecast {args.name or name}") as bar:
            try:
                report = build_report(parameters, scenarios=scenarios, years=years, step=step, checks=checks,
                                      name=args.name, model=args.model, draws=args.draws, seed=args.seed,
                                      progress=bar)
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
