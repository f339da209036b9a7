"""``carecast councils``: every English council from the DfE's published statistics.

::

    carecast councils [list] [--data FILE|RAW_DIR] [--region NAME]
    carecast councils show NAME [--data FILE|RAW_DIR] [--years N] [--format text|csv]
    carecast councils build RAW_DIR -o FILE
    carecast councils forecast [--council NAME|all] --from YEAR --years N [--data RAW_DIR]
                     [--format csv|table] [--draws N] [-o FILE]
    carecast councils backtest [--data RAW_DIR] [--origins 2014-2023] [--horizons 3] [--draws N]

``--data`` defaults to the dataset that ships with carecast. A raw folder
(the layout of ``shared/data/dfe_la``) is built in memory first, so a
folder truncated at a year gives a genuine out-of-sample forecast.

``register(subparsers)`` adds the sub-command to the main ``carecast``
parser; each action sets ``func`` to its handler, which returns the exit
status (0 success, 2 bad arguments or data). ``run_parameters(args)`` is
what ``carecast run --council NAME --from YEAR`` calls.
"""
from __future__ import annotations

import argparse
import sys

__all__ = ["register", "run_parameters"]


def register(subparsers) -> argparse.ArgumentParser:
    """Add ``councils`` with ``list``, ``show``, ``build``, ``forecast`` and ``backtest``."""
    p = subparsers.add_parser(
        "councils", help="every English council from the DfE's published statistics",
        description="List, profile, build, forecast and backtest English councils' children in care from "
                    "the Department for Education's published tables (Open Government Licence v3.0).")
    p.add_argument("--data", default=None, metavar="FILE|RAW_DIR", help="dataset file or raw folder "
                   "(default: the packaged dataset)")
    p.set_defaults(func=_list, region=None)
    sub = p.add_subparsers(dest="councils_command", metavar="ACTION")

    ls = sub.add_parser("list", help="list the councils with their codes and latest children in care")
    ls.add_argument("--data", default=argparse.SUPPRESS, metavar="FILE|RAW_DIR")
    ls.add_argument("--region", default=None, help="only councils in this region")
    ls.set_defaults(func=_list)

    s = sub.add_parser("show", help="a council's profile: series, rates, neighbours and England")
    s.add_argument("name", metavar="NAME", help="council name (forgiving), DfE code (330) or ONS code")
    s.add_argument("--data", default=argparse.SUPPRESS, metavar="FILE|RAW_DIR")
    s.add_argument("--years", type=int, default=8, help="years of each series to show (default 8)")
    s.add_argument("--format", choices=("text", "csv"), default="text",
                   help="text profile, or every published cell as a tidy CSV")
    s.set_defaults(func=_show)

    b = sub.add_parser("build", help="build the dataset from a folder of published files")
    b.add_argument("raw_dir", metavar="RAW_DIR", help="folder in the layout of shared/data/dfe_la")
    b.add_argument("-o", "--output", required=True, metavar="FILE", help="dataset to write (.json or .json.gz)")
    b.set_defaults(func=_build)

    from carecast.councils.forecast_cli import add_forecast_parsers
    add_forecast_parsers(sub)

    return p


def _emit(text: str) -> None:
    """Print ``text``; a reader that closed the pipe (``| head``) ends the output quietly."""
    import os
    try:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def _error(message: str) -> int:
    print(f"carecast councils: error: {message}", file=sys.stderr)
    return 2


def load(args):
    """The dataset named by ``args.data`` (None: packaged), or None after printing the error."""
    from carecast.councils.build import BuildError
    from carecast.councils.dataset import load_dataset
    try:
        return load_dataset(getattr(args, "data", None))
    except (BuildError, FileNotFoundError, ValueError) as exc:
        _error(str(exc))
        return None


def find(data, name: str):
    from carecast.councils.dataset import CouncilNotFound
    try:
        return data.find(name)
    except CouncilNotFound as exc:
        _error(str(exc))
        return None


def _list(args) -> int:
    data = load(args)
    if data is None:
        return 2
    last = data.last_year("cla_31mar")
    region = getattr(args, "region", None)
    councils = data.councils()
    if region:
        try:
            reg = data.find(region)
        except LookupError as exc:
            return _error(str(exc))
        councils = [a for a in councils if a.region_code == reg.code]
    lines = [f"{'ONS code':<11}{'DfE':>5}  {'council':<40}{'region':<26}{'in care ' + str(last):>14}"]
    for a in councils:
        v = a.value("cla_31mar", last)
        ys = a.years_with("cla_31mar")
        shown = str(v) if v.value is not None else (f"(to {ys[-1]})" if ys else "-")
        lines.append(f"{a.code:<11}{a.old_code or '':>5}  {a.name[:39]:<40}{a.region[:25]:<26}{shown:>14}")
    lines.append(f"\n{len(councils)} councils; 'carecast councils show NAME' for a profile. {data.licence}")
    _emit("\n".join(lines))
    return 0


def _show(args) -> int:
    data = load(args)
    if data is None:
        return 2
    area = find(data, args.name)
    if area is None:
        return 2
    if args.format == "csv":
        import csv
        table = area.table()
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(table.columns)
        for i in range(len(table)):
            row = [table[c][i] for c in table.columns]
            writer.writerow(["" if isinstance(x, float) and x != x else x for x in row])
        return 0
    from carecast.councils.profile import profile_text
    _emit(profile_text(area, years=args.years))
    return 0


def _build(args) -> int:
    import os
    import time

    from carecast.councils.build import BuildError, build_dataset, write_dataset
    t0 = time.perf_counter()
    try:
        dataset, report = build_dataset(args.raw_dir)
    except BuildError as exc:
        return _error(str(exc))
    try:
        write_dataset(dataset, args.output)
    except OSError as exc:
        return _error(f"cannot write {args.output}: {exc.strerror}")
    n = sum(1 for a in dataset["areas"] if a["level"] == "local authority")
    print(report.summary())
    print(f"wrote {args.output}: {n} councils, {len(dataset['releases'])} releases, "
          f"{os.path.getsize(args.output):,} bytes in {time.perf_counter() - t0:.1f} s")
    return 0


def run_parameters(council: str, year: int | None, data: str | None = None):
    """``(parameters, checks, name)`` for ``carecast run --council NAME --from YEAR``; SystemExit(2) after an error.

    Without ``--from`` the model starts at the last 31 March with a published stock.
    """
    from carecast.councils.model import CouncilModelError
    ds = load(argparse.Namespace(data=data))
    if ds is None:
        raise SystemExit(2)
    area = find(ds, council)
    if area is None:
        raise SystemExit(2)
    if year is None:
        years = area.years_with("cla_31mar")
        if not years:
            _error(f"{area.name} has no published children looked after at 31 March")
            raise SystemExit(2)
        year = years[-1]
    first, last = int(ds.years[0]), int(ds.years[-1])
    if not first <= year <= last:
        _error(f"--from {year} is outside the published years {first}-{last}")
        raise SystemExit(2)
    try:
        params = area.parameters(int(year))
    except CouncilModelError as exc:
        _error(str(exc))
        raise SystemExit(2) from None
    slug = "".join(ch if ch.isalnum() else "-" for ch in area.name.lower()).strip("-")
    return params, council_checks(area, int(year)), f"{slug}-{year}"


def council_checks(area, year: int, horizon: int = 5) -> list:
    """The published stock at the start (which the model reproduces) and at each later 31 March
    published within ``horizon`` years (what happened, within 10%), as the examples' checks."""
    import datetime as _dt

    from carecast.care.examples import Check
    checks = []
    for y in range(year, year + horizon + 1):
        v = area.value("cla_31mar", y)
        if v.value is None:
            continue
        label = (f"children in care on 31 March {y} (start)" if y == year
                 else f"children in care on 31 March {y} (published later: what happened)")
        checks.append(Check(label, _dt.date(y, 3, 31), v.value, v.source, 0.0005 if y == year else 0.10))
    return checks
