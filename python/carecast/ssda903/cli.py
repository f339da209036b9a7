"""``carecast ssda903``: summarise, calibrate and backtest from a folder of returns.

::

    carecast ssda903 summary DIR [--from DATE --to DATE] [--strict] [--problems N]
    carecast ssda903 calibrate DIR --from DATE --to DATE -o model.toml
                     [--age-bands 0,1,5,10,16] [--time-in-care-bands 0,0.25,0.5,1,2]
                     [--prior-child-years 1] [--costs-from EXAMPLE|none] [--strict] [--force]
    carecast ssda903 backtest DIR [--window YEARS] [--horizon YEARS] [--starts DATE,...]
                     [--draws N] [--chart FILE.png]

Everything printed is counts (children, episodes, problems by kind with file
and line): no CHILD identifiers. ``calibrate`` writes only the model (rates
and counts by state), never a child-level record.

``--from`` must be before ``--to``; ``calibrate`` refuses returns in which
most rows were left out for errors unless ``--force`` (see
:mod:`carecast.ssda903.calibration`).

``--costs-from`` copies the weekly unit costs and one-off costs (with their
sources) from a built-in example, default ``england``, because SSDA903
returns hold no costs; ``none`` leaves them at 0. The scenario file says so
in its assumptions.

``register(subparsers)`` adds the sub-command to the main ``carecast``
parser; each action sets ``func`` to its handler, which returns the exit
status (0 success, 2 bad arguments or data refused in strict mode).
"""
from __future__ import annotations

import argparse
import sys

import numpy as np

from carecast.care.parameters import SINGLE_YEAR_AGES, TIME_IN_CARE_BANDS

__all__ = ["register", "main"]


def _floats(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(x) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers separated by commas, got {text!r}") from None


def _date(text: str) -> str:
    """A date argument; slashed dates that read differently day first and month first are refused."""
    from carecast.ssda903.dates import date_fields, to_days
    try:
        to_days(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if date_fields(np.array([text.strip()])).either_order()[0]:
        raise argparse.ArgumentTypeError(f"ambiguous date {text!r} (day and month could be either way "
                                         "round): use YYYY-MM-DD")
    return text


def register(subparsers) -> argparse.ArgumentParser:
    """Add ``ssda903`` with ``summary``, ``calibrate`` and ``backtest`` to a sub-parser set."""
    p = subparsers.add_parser(
        "ssda903", help="summarise, calibrate and backtest from SSDA903 returns",
        description="Read a folder of SSDA903 returns (header and episode CSVs, one per year or combined "
                    "with a YEAR column): summarise stock, flows and data problems; calibrate a model; "
                    "backtest it. Output shows counts only, never child identifiers.")
    sub = p.add_subparsers(dest="ssda903_command", metavar="ACTION")
    sub.required = True

    s = sub.add_parser("summary", help="stock, flows and data problems (counts only)")
    s.add_argument("dir", metavar="DIR", help="folder of SSDA903 CSV files")
    s.add_argument("--from", dest="start", type=_date, default=None,
                   help="census date starting the flow window (default: a year before --to)")
    s.add_argument("--to", dest="end", type=_date, default=None,
                   help="census date ending the flow window (default: the last 31 March in the data)")
    s.add_argument("--strict", action="store_true", help="refuse the data if any row has an error")
    s.add_argument("--problems", type=int, default=20, metavar="N", help="list the first N problems (default 20)")
    s.set_defaults(func=_summary)

    c = sub.add_parser("calibrate", help="fit a model and write a scenario file for `carecast run`")
    c.add_argument("dir", metavar="DIR", help="folder of SSDA903 CSV files")
    c.add_argument("--from", dest="start", type=_date, required=True, help="census date starting the reference window")
    c.add_argument("--to", dest="end", type=_date, required=True,
                   help="census date ending the window; the model starts here")
    c.add_argument("-o", "--output", required=True, metavar="MODEL.toml", help="scenario file to write")
    c.add_argument("--age-bands", type=_floats, default=SINGLE_YEAR_AGES, metavar="A,B,...",
                   help="lower bounds of age bands in whole years (default single years 0-17)")
    c.add_argument("--time-in-care-bands", type=_floats, default=TIME_IN_CARE_BANDS, metavar="T,...",
                   help="lower bounds of time-in-care bands in years (default 0,0.25,0.5,1,2)")
    c.add_argument("--prior-child-years", type=float, default=1.0,
                   help="weight of the pooled prior for sparse cells, in child-years (default 1)")
    c.add_argument("--costs-from", default="england", metavar="EXAMPLE|none",
                   help="copy unit costs from this built-in example (default england; 'none' for zeros)")
    c.add_argument("--years", type=float, default=5.0, help="default projection horizon stored in the file")
    c.add_argument("--name", default=None,
                   help="the model's name in titles and reports (default: 'SSDA903 ' and the folder's own name, "
                        "never its path)")
    c.add_argument("--strict", action="store_true", help="refuse the data if any row has an error")
    c.add_argument("--force", action="store_true",
                   help="calibrate even if most rows were left out for errors (the model says so)")
    c.set_defaults(func=_calibrate)

    b = sub.add_parser("backtest", help="fit on a window, project the next period, compare with what happened")
    b.add_argument("dir", metavar="DIR", help="folder of SSDA903 CSV files")
    b.add_argument("--window", type=float, default=2.0, help="years of history to fit on (default 2)")
    b.add_argument("--horizon", type=float, default=1.0, help="years to project (default 1)")
    b.add_argument("--starts", default=None, metavar="DATE,...",
                   help="projection start dates (default: every 31 March with enough data before and after)")
    b.add_argument("--draws", type=int, default=0, metavar="N",
                   help="model runs with rates drawn from their posteriors, for 90%% intervals (default 0)")
    b.add_argument("--chart", default=None, metavar="FILE.png", help="write a chart of projected vs observed")
    b.add_argument("--strict", action="store_true", help="refuse the data if any row has an error")
    b.set_defaults(func=_backtest)
    return p


def _read(args):
    from carecast.ssda903.reader import read_returns
    from carecast.ssda903.validation import ValidationError
    try:
        return read_returns(args.dir, strict=args.strict)
    except ValidationError as exc:
        print(exc.report.to_text(), file=sys.stderr)
        print("carecast ssda903: data refused in strict mode (rerun without --strict to leave "
              "those rows out)", file=sys.stderr)
        return None
    except ValueError as exc:
        print(f"carecast ssda903: error: {exc}", file=sys.stderr)
        return None


def _last_census(returns) -> int:
    from carecast.ssda903.dates import from_ymd, ymd
    y, m, d = ymd(returns.data_end - 1)
    year = int(y) if (int(m), int(d)) >= (3, 31) else int(y) - 1
    return int(from_ymd(np.array([year]), np.array([3]), np.array([31]))[0])


def _window_ok(args, command: str) -> bool:
    """``--from`` must be before ``--to`` (checked before any file is read)."""
    from carecast.ssda903.dates import to_days
    if args.start and args.end and to_days(args.start) >= to_days(args.end):
        print(f"carecast ssda903 {command}: error: --from ({args.start}) must be before --to ({args.end})",
              file=sys.stderr)
        return False
    return True


def _summary(args) -> int:
    from carecast.ssda903.dates import add_years, format_date, to_days
    from carecast.ssda903.facts import stock, summarise
    if not _window_ok(args, "summary"):
        return 2
    returns = _read(args)
    if returns is None:
        return 2
    print(f"SSDA903 returns in {args.dir}: {len(returns.files)} files read "
          f"({', '.join(returns.files)})")
    if returns.files_ignored:
        print(f"  other tables not used: {', '.join(returns.files_ignored)}")
    print(f"  {returns.n_episodes} episodes, {returns.n_periods} periods of care, {returns.n_children} "
          f"children, {returns.summary_dates()}")
    rep = returns.report
    for table in ("episodes", "header"):
        if rep.rejected_share(table) > 0.5:
            print(f"  WARNING: {rep.rows_rejected[table]} of {rep.rows_read[table]} {table} rows "
                  f"({rep.rejected_share(table):.0%}) were left out for errors: the figures below describe "
                  "only what is left (see the data problems at the end)")
    end = to_days(args.end) if args.end else _last_census(returns)
    start = to_days(args.start) if args.start else int(add_years(np.int64(end), -1))
    censuses = sorted({int(x) for x in returns.collection_end.values() if x < returns.data_end})
    places = returns.taxonomy.placements
    print("\nChildren in care on each 31 March by placement")
    w = max(len(p) for p in places) + 2
    print(f"{'date':<12}" + "".join(f"{p:>{w}}" for p in places) + f"{'total':>8}")
    for c in censuses:
        s = stock(returns, np.datetime64(c, "D")).sum(axis=(0, 2))
        print(f"{format_date(c):<12}" + "".join(f"{v:>{w}.0f}" for v in s) + f"{s.sum():>8.0f}")
    if end > start:
        print()
        print(summarise(returns, np.datetime64(start, "D"), np.datetime64(end, "D")).to_text())
    print()
    print(returns.report.to_text(max_lines=args.problems))
    return 0


def _model_name(args) -> str:
    """``--name``, else ``SSDA903`` and the folder's last component (a path would land in chart titles)."""
    import os
    if args.name is not None and args.name.strip():
        return args.name.strip()
    return f"SSDA903 {os.path.basename(os.path.normpath(os.path.abspath(args.dir)))}"


def _calibrate(args) -> int:
    from carecast.care.scenario_file import save_scenario_file
    from carecast.ssda903.calibration import calibrate
    if not _window_ok(args, "calibrate"):
        return 2
    returns = _read(args)
    if returns is None:
        return 2
    try:
        cal = calibrate(returns, args.start, args.end, age_bands=args.age_bands,
                        time_in_care_bands=args.time_in_care_bands, prior_child_years=args.prior_child_years,
                        name=_model_name(args), force=args.force)
    except ValueError as exc:
        print(f"carecast ssda903 calibrate: error: {exc}", file=sys.stderr)
        return 2
    params = cal.parameters
    if args.costs_from != "none":
        from carecast.care.examples import EXAMPLE_NAMES, load_example
        if args.costs_from not in EXAMPLE_NAMES:
            print(f"carecast ssda903 calibrate: error: --costs-from must be one of "
                  f"{', '.join(EXAMPLE_NAMES)} or none", file=sys.stderr)
            return 2
        ex = load_example(args.costs_from).parameters
        if tuple(ex.placements) == tuple(params.placements):
            from carecast.care.costs import unit_costs
            params = params.replace(
                **unit_costs(ex),
                assumptions=[a for a in params.assumptions if "Unit costs" not in a]
                + [f"Unit costs are copied from the built-in '{args.costs_from}' example "
                   f"({ex.price_year} prices); SSDA903 returns hold no costs."])
    save_scenario_file(args.output, params, years=args.years, step="month",
                       description=f"Calibrated from SSDA903 returns in {args.dir}, window {args.start} to "
                                   f"{args.end} (carecast ssda903 calibrate)")
    s = cal.summary
    rep = returns.report
    print(f"Calibrated from {returns.n_episodes} episodes ({rep.rows_rejected.get('episodes', 0)} of "
          f"{rep.rows_read.get('episodes', 0)} episode rows left out for errors, "
          f"{rep.rows_excluded.get('short_breaks', 0)} short-break rows excluded)")
    if args.force and any(rep.rejected_share(t) > 0.5 for t in ("episodes", "header")):
        print("  WARNING: calibrated with --force although most rows were left out for errors")
    print(f"  window {args.start} to {args.end}: {s.exposure.sum():.1f} child-years, {s.entries.sum():.0f} entries, "
          f"{s.exits.sum():.0f} exits, {s.moves.sum():.0f} moves")
    print(f"  model starts {params.start_date} with {params.stock.sum():.0f} children in care, "
          f"{params.entries_per_year.sum():.1f} entries a year")
    print(f"Wrote {args.output}: run it with `carecast run {args.output}`")
    return 0


def _backtest(args) -> int:
    from carecast.care.outputs.report import MAX_DRAWS
    from carecast.ssda903.backtest import backtest
    for flag, value in (("--window", args.window), ("--horizon", args.horizon)):
        if not (value > 0 and np.isfinite(value)):
            print(f"carecast ssda903 backtest: error: {flag} must be a positive number of years, got {value}",
                  file=sys.stderr)
            return 2
    if not 0 <= args.draws <= MAX_DRAWS:
        print(f"carecast ssda903 backtest: error: --draws must be between 0 and {MAX_DRAWS:,}, got {args.draws:,}",
              file=sys.stderr)
        return 2
    returns = _read(args)
    if returns is None:
        return 2
    starts = None if args.starts is None else [x.strip() for x in args.starts.split(",") if x.strip()]
    for start in starts or []:
        try:
            _date(start)
        except argparse.ArgumentTypeError as exc:
            print(f"carecast ssda903 backtest: error: --starts: {exc}", file=sys.stderr)
            return 2
    try:
        result = backtest(returns, starts=starts, window_years=args.window, horizon_years=args.horizon,
                          draws=max(args.draws, 0))
    except ValueError as exc:
        print(f"carecast ssda903 backtest: error: {exc}", file=sys.stderr)
        return 2
    print(result.to_text())
    if args.chart:
        try:
            result.plot(path=args.chart)
        except ImportError:
            print("carecast ssda903 backtest: matplotlib is not installed: no chart written", file=sys.stderr)
            return 0
        print(f"Wrote {args.chart}")
    return 0


def main(argv=None) -> int:
    """Run ``carecast ssda903 ...`` on its own (``python -m carecast.ssda903.cli``)."""
    parser = argparse.ArgumentParser(prog="carecast")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
    return int(args.func(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
