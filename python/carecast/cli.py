"""The ``carecast`` command line (also ``python -m carecast``).

::

    carecast                      # run the default example (norfolk-2017)
    carecast examples             # list the built-in examples
    carecast run [EXAMPLE|FILE] [--years N] [--step week|month|quarter|year]
                 [-o OUTDIR] [--no-charts] [--scenario NAME ...]
    carecast ssda903 ...          # SSDA903 summary and calibration (when installed)

``carecast run`` prints a summary (children in care now and in N years by
placement, cost per financial year in cash, real and discounted terms, the
present value, and for examples the published figures it reproduces) and
writes to OUTDIR (default ``carecast-output/NAME``):

* ``children.csv`` (date, age, placement, children), ``events.csv`` (entries,
  exits by destination and moves per financial year), ``costs.csv`` (by
  financial year and component: cash, real, discounted) and
  ``cost_by_year.csv``;
* ``scenario.toml``: the model as run, so that ``carecast run
  OUTDIR/scenario.toml`` reproduces it;
* the charts (PNG) if matplotlib is installed;
* for a file with named scenarios, one sub-folder of CSVs per scenario (with
  ``comparison.csv``: children fewer, gross and net savings by financial
  year) and ``scenarios.csv`` comparing them with the baseline.

Exit status: 0 on success, 2 for bad arguments or a bad scenario file.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

import numpy as np

__all__ = ["main", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, with the SSDA903 sub-command when it is available."""
    from carecast.care.examples import DEFAULT_EXAMPLE, EXAMPLE_NAMES

    parser = argparse.ArgumentParser(
        prog="carecast", description="Project children in care, what they cost, and what a change of "
                                     f"policy would do to both. With no command, runs the {DEFAULT_EXAMPLE} example.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = sub.add_parser("run", help="run an example or a scenario file and write tables and charts",
                         description="Run a built-in example or a TOML scenario file; print a summary and "
                                     "write CSV tables and PNG charts.")
    run.add_argument("model", nargs="?", default=DEFAULT_EXAMPLE, metavar="EXAMPLE|FILE",
                     help=f"an example ({', '.join(EXAMPLE_NAMES)}) or a scenario file "
                          f"(default: {DEFAULT_EXAMPLE})")
    run.add_argument("--years", type=float, default=None, help="years to project (default: the example's or file's)")
    run.add_argument("--step", choices=("week", "month", "quarter", "year"), default=None,
                     help="step length (default: the example's or file's, else month)")
    run.add_argument("-o", "--output", default=None, metavar="OUTDIR",
                     help="folder for CSVs and charts (default: carecast-output/NAME)")
    run.add_argument("--no-charts", action="store_true", help="write CSVs only")
    run.add_argument("--scenario", action="append", default=None, metavar="NAME",
                     help="run only these named scenarios from the file (repeatable; default: all)")
    run.add_argument("--quiet", action="store_true", help="do not list the assumptions")
    run.add_argument("--council", default=None, metavar="NAME",
                     help="model a council from its published figures instead of EXAMPLE|FILE")
    run.add_argument("--from", dest="from_year", type=int, default=None, metavar="YEAR",
                     help="with --council: start at 31 March YEAR (default: the last published)")
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


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``carecast`` console script."""
    parser = build_parser()
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.command is None:
        from carecast.care.examples import DEFAULT_EXAMPLE
        print(f"No command given: running the default example, {DEFAULT_EXAMPLE} "
              f"('carecast --help' for more).\n")
        args = parser.parse_args(["run", DEFAULT_EXAMPLE])
    if args.command == "examples":
        return _examples()
    if args.command == "run":
        return _run(args, parser)
    handler = getattr(args, "func", None) or getattr(args, "handler", None)
    if handler is not None:
        result = handler(args)
        return int(result or 0)
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
    """(parameters, scenarios, years, step, checks, name) for an example name or a file."""
    from carecast.care.examples import EXAMPLE_NAMES, load_example
    from carecast.care.scenario_file import ScenarioFileError, load_scenario_file

    if model in EXAMPLE_NAMES:
        ex = load_example(model)
        return ex.parameters, {}, ex.years, ex.step, ex.checks, ex.name
    if not os.path.exists(model):
        parser.error(f"{model!r} is neither an example ({', '.join(EXAMPLE_NAMES)}) nor a file")
    try:
        loaded = load_scenario_file(model)
    except ScenarioFileError as exc:
        print(f"carecast: error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    except OSError as exc:
        print(f"carecast: error: cannot read {model}: {exc.strerror}", file=sys.stderr)
        raise SystemExit(2) from None
    name = os.path.splitext(os.path.basename(model))[0]
    return loaded.parameters, loaded.scenarios, loaded.years, loaded.step, [], name


def _run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from carecast.care.model import run
    from carecast.care.report import money, summary_text
    from carecast.care.scenario_file import save_scenario_file
    from carecast.progress import Progress

    if args.council:
        from carecast.councils.cli import run_parameters
        parameters, checks, name = run_parameters(args.council, args.from_year)
        scenarios, years, step = {}, 5.0, "month"
    elif args.from_year is not None:
        parser.error("--from needs --council")
    else:
        parameters, scenarios, years, step, checks, name = _load(args.model, parser)
    years = args.years if args.years is not None else (years or 5.0)
    step = args.step or step or "month"
    if not 0 < years <= 200:
        parser.error(f"--years must be in (0, 200], got {years:g}")
    if args.scenario:
        missing = [s for s in args.scenario if s not in scenarios]
        if missing:
            parser.error(f"no scenario {missing[0]!r} in {args.model} (scenarios: {', '.join(scenarios) or 'none'})")
        scenarios = {k: scenarios[k] for k in args.scenario}
    outdir = args.output or os.path.join("carecast-output", name)
    os.makedirs(outdir, exist_ok=True)

    from carecast.care.charts import matplotlib_available
    charts = not args.no_charts and matplotlib_available()
    stages = 2 + 2 * len(scenarios) + (1 if charts else 0)
    with Progress(stages, f"carecast {name}") as bar:
        baseline = run(parameters, years=years, step=step)
        bar.advance(what="baseline run")
        _write_tables(baseline, outdir)
        save_scenario_file(os.path.join(outdir, "scenario.toml"), parameters, scenarios, years=years, step=step,
                           description=f"carecast run {args.model} (written by carecast run)")
        bar.advance(what="tables written")
        results = {}
        for scen_name, scenario in scenarios.items():
            results[scen_name] = run(parameters, years=years, step=step, scenario=scenario)
            bar.advance(what=f"scenario {scen_name}")
            _write_tables(results[scen_name], os.path.join(outdir, scen_name))
            bar.advance()
        chart_paths = []
        if charts:
            from carecast.care.charts import save_charts
            chart_paths = save_charts(baseline, outdir)
            bar.advance(what="charts")

    print(summary_text(baseline, checks=checks, show_assumptions=not args.quiet))
    if results:
        from carecast.care.tables import Table
        rows = {"scenario": ["baseline"], "description": [""],
                "children_at_end": [float(baseline.children_in_care()[-1])],
                "present_value": [baseline.present_value()]}
        for scen_name, res in results.items():
            rows["scenario"].append(scen_name)
            rows["description"].append(scenarios[scen_name].description)
            rows["children_at_end"].append(float(res.children_in_care()[-1]))
            rows["present_value"].append(res.present_value())
        table = Table({k: np.array(v) for k, v in rows.items()}, title="scenarios against the baseline")
        table.to_csv(os.path.join(outdir, "scenarios.csv"))
        print("\nScenarios (children in care at the end; present value of costs; saving against baseline)")
        base_pv = baseline.present_value()
        for scen_name, children, pv in zip(rows["scenario"], rows["children_at_end"], rows["present_value"]):
            print(f"  {scen_name:<24}{children:>10,.0f}  {money(pv):>12}  {money(base_pv - pv):>12}")
        from carecast.care.compare import compare
        for scen_name, res in results.items():
            comparison = compare(baseline, res)
            comparison.table().to_csv(os.path.join(outdir, scen_name, "comparison.csv"))
            print("\n" + comparison.summary())
    print(f"\nWrote CSV tables and scenario.toml to {outdir}")
    if chart_paths:
        print("Charts: " + ", ".join(os.path.basename(p) for p in chart_paths))
    elif not args.no_charts:
        print("Charts not drawn: matplotlib is not installed (pip install 'carecast[plot]').")
    return 0


def _write_tables(result, outdir: str) -> None:
    os.makedirs(outdir, exist_ok=True)
    result.children(("age", "placement")).to_csv(os.path.join(outdir, "children.csv"))
    result.events("financial_year").to_csv(os.path.join(outdir, "events.csv"))
    result.costs("component").to_csv(os.path.join(outdir, "costs.csv"))
    result.costs("total").to_csv(os.path.join(outdir, "cost_by_year.csv"))


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
