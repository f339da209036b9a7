"""``carecast councils forecast`` and ``carecast councils backtest`` (registered by :mod:`carecast.councils.cli`)."""
from __future__ import annotations

import argparse
import sys

__all__ = ["add_forecast_parsers"]


def _origins(text: str) -> list[int]:
    try:
        if "-" in text:
            a, b = text.split("-", 1)
            return list(range(int(a), int(b) + 1))
        return [int(x) for x in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected YEAR-YEAR or YEAR,YEAR,..., got {text!r}") from None


def add_forecast_parsers(sub) -> None:
    f = sub.add_parser("forecast", help="median and 80%% interval of children in care, council by council",
                       description="Forecast children looked after at each 31 March after YEAR, with 80%% "
                                   "intervals, using only figures published up to YEAR.")
    f.add_argument("--council", default="all", metavar="NAME|all", help="one council, or all (default)")
    f.add_argument("--from", dest="origin", type=int, required=True, metavar="YEAR",
                   help="the last 31 March whose figures are used")
    f.add_argument("--years", type=int, default=3, metavar="N", help="years ahead (default 3)")
    f.add_argument("--data", default=argparse.SUPPRESS, metavar="FILE|RAW_DIR",
                   help="dataset or raw folder (a folder truncated at YEAR gives a genuine out-of-sample "
                        "forecast)")
    f.add_argument("--format", choices=("csv", "table"), default="csv", help="CSV (default) or a table")
    f.add_argument("-o", "--output", default=None, metavar="FILE", help="write to FILE instead of stdout")
    f.set_defaults(func=_forecast)

    b = sub.add_parser("backtest", help="forecast from every origin and score against what was published",
                       description="Rolling-origin backtest over all councils: MAPE and 80%% coverage by "
                                   "horizon beside persistence, a 4-year trend and a stock-and-flow step.")
    b.add_argument("--data", default=argparse.SUPPRESS, metavar="FILE|RAW_DIR")
    b.add_argument("--origins", type=_origins, default=list(range(2014, 2024)), metavar="2014-2023",
                   help="origins (default 2014-2023)")
    b.add_argument("--horizons", type=int, default=3, metavar="N", help="years ahead (default 3)")
    b.set_defaults(func=_backtest)


def _forecast(args) -> int:
    from carecast.councils.cli import _error, find, load
    from carecast.councils.forecast import forecast
    data = load(args)
    if data is None:
        return 2
    councils = None
    if args.council.lower() != "all":
        area = find(data, args.council)
        if area is None:
            return 2
        if area.level != "local authority":
            return _error(f"{area.name} is a {area.level}; forecasts are by council")
        from carecast.councils.forecast import _ABOLISHED
        if _ABOLISHED.get(area.old_code or "", 9999) <= args.origin:
            successors = ", ".join(data.by_code[c].name for c in area.successors if c in data.by_code)
            return _error(f"{area.name} was abolished on 1 April {_ABOLISHED[area.old_code or '']}: nothing to "
                          f"forecast after 31 March {args.origin}" + (f" (its successors: {successors})"
                                                                      if successors else ""))
        councils = [area]
    first, last = int(data.years[0]), int(data.years[-1])
    if not first < args.origin <= last:
        return _error(f"--from {args.origin} is outside the published years {first + 1}-{last}")
    if not 1 <= args.years <= 10:
        return _error(f"--years must be 1 to 10, got {args.years}")
    try:
        fc = forecast(data, args.origin, args.years, councils=councils)
    except ValueError as exc:
        return _error(str(exc))
    if councils and not fc.rows:
        return _error(f"{councils[0].name} has no published children looked after at 31 March {args.origin}"
                      + (f" (years published: {', '.join(map(str, councils[0].years_with('cla_31mar')))})"))
    text = fc.to_csv() if args.format == "csv" else fc.to_text()
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
        except OSError as exc:
            return _error(f"cannot write {args.output}: {exc.strerror}")
        print(f"wrote {len(fc.rows)} rows to {args.output}")
    else:
        from carecast.councils.cli import _emit
        _emit(text)
    if args.format == "csv":
        for note in fc.notes[:-1]:
            print(f"note: {note}", file=sys.stderr)
    return 0


def _backtest(args) -> int:
    from carecast.councils.cli import _error, load
    from carecast.councils.forecast import backtest
    data = load(args)
    if data is None:
        return 2
    first, last = int(data.years[0]), int(data.years[-1])
    bad = [o for o in args.origins if not first < o < last]
    if bad:
        return _error(f"origin {bad[0]} is outside {first + 1}-{last - 1} (an origin needs a later year to score)")
    try:
        result = backtest(data, args.origins, args.horizons)
    except ValueError as exc:
        return _error(str(exc))
    print(result.to_text())
    return 0
