"""Scenario files: a council model plus named scenarios in one TOML file.

A scenario file makes a run reproducible from one file: ``carecast run
FILE`` reads it, and :func:`save_scenario_file` writes one (the SSDA903
calibration and the built-in examples use it).

Format (version 1)
------------------
::

    carecast = 1                    # format version (required)
    description = "free text"       # optional

    [run]                           # optional defaults for `carecast run`
    years = 5                       # projection horizon in years
    step = "month"                  # "week" | "month" | "quarter" | "year"

    [model]                         # the fields of carecast.care.CareParameters
    name = "Norfolk"
    start_date = 2012-03-31         # a TOML date: the census date of `stock`
    age_bands = [0, 1, 5, 10, 16]   # lower bounds, years; the last band ends at 18
    placements = ["kinship_foster", "inhouse_foster", ...]   # default: carecast.care.taxonomy
    time_in_care_bands = [0.0]      # lower bounds, years; [0.0] = no bands
    exit_groups = ["returned_home", "adopted", "sgo_cao", "left_care_at_18", "other"]
    stock = [[[...]]]               # (A, P, T) children at start_date
    entries_per_year = [[...]]      # (A, P), or (Y, A, P) year by year; or instead:
    # entry_rate_per_10000 = [[...]]  (A, P) entries a year per 10,000 children
    # child_population = [...]        (A,) or (Y, A) children by age band
    #                                 (entries = rate / 10000 * population)
    exit_rates = [[[[...]]]]        # (A, P, T, E) hazards per year
    move_rates = [[[[...]]]]        # (A, P, T, P) hazards per year, diagonal 0
    price_year = "2016-17"          # financial year of the prices below
    weekly_cost = [...]             # (P,) pounds per child per week, or a table
                                    #   { inhouse_foster = 420.0, ... } naming every placement
    cost_sources = { inhouse_foster = "source title, url" }
    entry_cost = 0.0                # pounds per child entering care
    proceedings_cost = 0.0          # pounds per set of care proceedings
    proceedings_share = 0.0         # share of entries going through proceedings
    move_cost = 0.0                 # pounds per placement move
    exit_costs = [...]              # (E,) pounds per exit, or a table by exit group (missing = 0)
    care_leaver_weekly_cost = 0.0   # pounds per week per care leaver aged 18-25
    sgo_allowance_weekly = 0.0      # pounds per week until 18, times ...
    sgo_allowance_share = 0.0       # ... the share of SGO/CAO exits paid one
    adoption_allowance_weekly = 0.0
    adoption_allowance_share = 0.0
    cost_inflation = 0.0            # annual growth of unit costs, cash terms
    general_inflation = 0.0         # annual GDP-deflator growth, for real terms
    discount_rate = 0.035           # omit for the HM Treasury Green Book schedule
    sources = ["..."]
    assumptions = ["..."]

    [scenarios.fewer_entries]       # any number of named scenarios (not "baseline")
    description = "10% fewer entries"
    scale = { entries_per_year = 0.9 }          # multiply fields
    set = { weekly_cost = { agency_foster = 700.0 } }   # replace fields; a table changes only
                                                        # the names it gives

    [scenarios.edge_of_care]        # policies over time (carecast.care.interventions)
    interventions = [
        { type = "edge_of_care", start_year = 1.0, ramp_years = 1.0, families_per_year = 200.0,
          share_would_enter = 0.3, effect = 0.19, cost_per_family = 2285.0 },
    ]

(TOML inline tables must be on one line; the line break above is only for
this page.) Intervention types: ``edge_of_care``, ``reunification``,
``inhouse_fostering``, ``residential_step_down``, with the fields of the
classes in :mod:`carecast.care.interventions`.

Arrays are nested lists in the dimension order given; any shape that
broadcasts (NumPy rules) to the full shape is accepted, so ``exit_rates =
[0.3, 0.05, 0.02, 0.0, 0.05]`` gives every state the same rates by exit group.
The dimension order of every array follows ``age_bands``, ``placements``,
``time_in_care_bands`` and ``exit_groups`` as written in the file. Only
``stock``, ``entries_per_year``, ``exit_rates`` and ``move_rates`` are
required in ``[model]``; everything else has the default documented on
:class:`carecast.care.CareParameters`.

Scenarios are :class:`carecast.care.scenarios.Scenario` objects and follow
its rules, so the file and the Python API accept and refuse the same things:
a table in ``set`` or ``scale`` changes only the names it gives (the other
placements keep their cost, or a factor of 1); a scenario may not change the
dimensions, ``name``, ``start_date``, ``price_year``, ``discount_rate`` or
``general_inflation``.

Checks and errors
-----------------
Everything is checked at load: the model, each scenario applied to it, and
each intervention against the model (a placement or exit group it needs).
Errors raise :class:`ScenarioFileError`, a ``ValueError`` whose message is
``FILE:LINE: key: problem``; ``key`` is built from the
:class:`carecast.checks.FieldError` that the check raised (its ``field`` and
labelled ``position``, e.g. ``model.exit_rates[age 10-15, residential,
adopted]``), never by matching message text. The line is that of the key (of
the enclosing key for a value inside an inline table or array).

Decisions where TOML or the design is silent:

* A UTF-8 byte-order mark (as Windows editors write) is skipped.
* Spreadsheet habits that TOML refuses get what to write instead:
  ``2,285`` -> ``write 2285``; ``31/03/2012`` (read day/month/year) ->
  ``write 2012-03-31``; ``2012-3-31``; ``3.5%`` -> ``write 0.035``; ``£650``.
* Text is never a number (``"0.3"``), nor is ``true``.
* Parsing is bounded: a file larger than :data:`MAX_FILE_BYTES`, brackets
  nested deeper than :data:`MAX_NESTING`, an array with more than
  :data:`carecast.checks.MAX_ELEMENTS` values, or dimensions whose arrays
  would exceed it are refused before they are parsed or allocated.
* ``start_date`` must lie in 1950-2100 and intervention timings within 200
  years.

The writer is a small TOML writer of our own (the standard library reads TOML
but does not write it); floats are written with ``repr`` so a saved file loads
back to the same bits.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import math
import os
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from carecast import checks
from carecast.care.model import STEP_NAMES
from carecast.care.parameters import ARRAY_FIELDS, CareParameters, entries_from_rate
from carecast.care.scenarios import Scenario

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["ScenarioFile", "ScenarioFileError", "load_scenario_file", "save_scenario_file",
           "loads_scenario_file", "dumps_scenario_file", "FORMAT_VERSION", "STEPS", "MAX_FILE_BYTES",
           "MAX_NESTING"]

FORMAT_VERSION = 1
#: Step names accepted in ``[run] step`` and by ``carecast run --step``, in years.
STEPS = STEP_NAMES
#: Largest scenario file read (a full single-year council model is well under 1 MB).
MAX_FILE_BYTES = 16 * 1024 * 1024
#: Deepest nesting of ``[`` and ``{`` in a value (arrays here have at most 4 dimensions).
MAX_NESTING = 12

_REQUIRED = ("stock", "entries_per_year", "exit_rates", "move_rates")
_DIM_FIELDS = ("age_bands", "placements", "time_in_care_bands", "exit_groups")
#: Fields of [model] that take a table by name, and the names it keys.
_BY_NAME = {"weekly_cost": "placements", "exit_costs": "exit_groups"}
#: The two keys that give entries as a rate per 10,000 children times a population.
_RATE_KEYS = ("entry_rate_per_10000", "child_population")


class ScenarioFileError(ValueError):
    """A scenario file is malformed; the message is ``FILE:LINE: key: problem``.

    Attributes
    ----------
    filename : str
    line : int or None
        1-based line of the key at fault (of the enclosing key for a value
        inside an inline table or array).
    key : str or None
        Dotted key with any labelled position (``model.exit_rates[age 0-9, foster]``).
    """

    def __init__(self, message: str, *, filename: str = "", line: int | None = None, key: str | None = None):
        super().__init__(message)
        self.filename, self.line, self.key = filename, line, key


@dataclass
class ScenarioFile:
    """The contents of a scenario file.

    Attributes
    ----------
    parameters : CareParameters
        The council model (the baseline).
    scenarios : dict of str to Scenario
        Named scenarios, in file order.
    years : float or None
        Horizon from ``[run]``, if given.
    step : str or None
        Step name from ``[run]``, if given.
    description : str
        Free text from the top of the file.
    uncertain : Uncertainty or None
        The ``[uncertain]`` table: which inputs are uncertain and how
        (:func:`carecast.care.uncertainty.uncertainty_from_table`), for
        :func:`carecast.care.psa`.
    """

    parameters: CareParameters
    scenarios: dict[str, Scenario] = field(default_factory=dict)
    years: float | None = None
    step: str | None = None
    description: str = ""
    uncertain: Any = None


def load_scenario_file(path: str | os.PathLike) -> ScenarioFile:
    """Read a scenario file.

    Raises
    ------
    ScenarioFileError
        With ``FILE:LINE: key: problem`` for anything wrong in the file
        (including a file larger than :data:`MAX_FILE_BYTES`, or not UTF-8).
    FileNotFoundError
        If there is no such file.

    Examples
    --------
    >>> import tempfile, os
    >>> from carecast.care import CareParameters
    >>> p = CareParameters.empty(age_bands=(0, 10), placements=("foster", "residential"))
    >>> path = os.path.join(tempfile.mkdtemp(), "council.toml")
    >>> save_scenario_file(path, p, years=5, step="month")
    >>> load_scenario_file(path).step
    'month'
    """
    path = os.fspath(path)
    with open(path, "rb") as fh:
        raw = fh.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioFileError(f"{path}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MB; a scenario file "
                                f"holds one council model and is far smaller", filename=path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioFileError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); save it as "
                                f"UTF-8 (in Excel or Notepad: 'Save as', encoding UTF-8)", filename=path) from None
    return loads_scenario_file(text, filename=path)


def loads_scenario_file(text: str, *, filename: str = "<string>") -> ScenarioFile:
    """Parse scenario-file text (see the module docstring for the format).

    Everything is checked here, at load: the model, every scenario applied
    to it, and every intervention against the model's placements and exit
    groups, so that a file that loads also runs.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    if len(text) > MAX_FILE_BYTES:
        raise ScenarioFileError(f"{filename}: longer than {MAX_FILE_BYTES // (1024 * 1024)} MB; a scenario file "
                                f"holds one council model and is far smaller", filename=filename)
    if text.startswith("\ufeff"):        # a byte-order mark, as Windows editors write: not part of the TOML
        text = text[1:]
    locate = _Locator(text, filename)

    def fail(key: str, message: str, *, line_key: str | None = None) -> ScenarioFileError:
        line = locate.line(line_key or key)
        where = f"{filename}:{line}" if line else filename
        return ScenarioFileError(f"{where}: {key}: {message}", filename=filename, line=line, key=key)

    def from_field(prefix: str, err: checks.FieldError) -> ScenarioFileError:
        return fail(f"{prefix}.{err.where}" if prefix else err.where, err.message,
                    line_key=f"{prefix}.{err.field}" if prefix else err.field)

    data = _parse_toml(text, filename)
    unknown = set(data) - {"carecast", "description", "run", "model", "scenarios", "uncertain"}
    if unknown:
        key = sorted(unknown)[0]
        raise fail(key, "unknown top-level key (expected carecast, description, run, model, scenarios, uncertain)")
    if "carecast" not in data:
        raise ScenarioFileError(f"{filename}:1: carecast: missing format version; "
                                f"start the file with 'carecast = {FORMAT_VERSION}'", filename=filename, line=1,
                                key="carecast")
    if data["carecast"] != FORMAT_VERSION or isinstance(data["carecast"], bool):
        raise fail("carecast", f"unsupported format version {data['carecast']!r} "
                               f"(this carecast reads version {FORMAT_VERSION})")
    years, step = None, None
    try:
        description = checks.text("description", data.get("description", ""))
        run = data.get("run", {})
        if not isinstance(run, dict):
            raise checks.FieldTypeError("run", "must be a table")
        for key in run:
            if key not in ("years", "step"):
                raise checks.FieldError(f"run.{key}", "unknown key (expected years, step)")
        if "years" in run:
            years = checks.number("run.years", run["years"], low=0.0, low_open=True, high=200.0)
        if "step" in run:
            step = checks.choice("run.step", run["step"], tuple(STEPS))
    except checks.FieldError as err:
        raise from_field("", err) from None

    model = data.get("model")
    if not isinstance(model, dict):
        raise ScenarioFileError(f"{filename}:{locate.line('model') or 1}: model: "
                                f"missing [model] table (the council model)", filename=filename,
                                line=locate.line("model") or 1, key="model")
    try:
        parameters = _parameters_from_table(model, fail)
    except checks.FieldError as err:
        raise from_field("model", err) from None

    scenarios: dict[str, Scenario] = {}
    table = data.get("scenarios", {})
    if not isinstance(table, dict):
        raise fail("scenarios", "must be a table of named scenarios")
    for name, body in table.items():
        key = f"scenarios.{name}"
        if not isinstance(body, dict):
            raise fail(key, "must be a table")
        try:
            scenario = Scenario.from_dict(name, body)
            scenario.apply(parameters)  # check now, so errors point at the file
        except checks.FieldError as err:
            if err.field == "name":
                raise fail(key, err.message) from None
            raise from_field(key, err) from None
        scenarios[name] = scenario
    uncertain = None
    if "uncertain" in data:
        from carecast.care.uncertainty import uncertainty_from_table

        try:
            # an input of an intervention need fit only one of the file's scenarios
            uncertain = uncertainty_from_table(data["uncertain"], parameters=parameters,
                                               scenario=list(scenarios.values()) or None)
        except checks.FieldError as err:
            raise from_field("", err) from None
    return ScenarioFile(parameters=parameters, scenarios=scenarios, years=years, step=step,
                        description=description, uncertain=uncertain)


def _parameters_from_table(model: Mapping[str, Any], fail: Callable[..., ScenarioFileError]) -> CareParameters:
    """CareParameters from ``[model]``; raises FieldErrors with fields as written in ``[model]``."""
    known = {f.name for f in dataclasses.fields(CareParameters)} | set(_RATE_KEYS)
    for key in model:
        if key not in known:
            raise checks.FieldError(key, f"unknown key (known: {', '.join(sorted(known))})")
    model = dict(model)
    rate_keys = [k for k in _RATE_KEYS if k in model]
    if rate_keys:
        if "entries_per_year" in model:
            raise checks.FieldError(rate_keys[0], "give entries_per_year or entry_rate_per_10000 with "
                                                  "child_population, not both")
        if len(rate_keys) < 2:
            missing = [k for k in _RATE_KEYS if k not in model][0]
            raise checks.FieldError(rate_keys[0], f"needs {missing!r} too")
        model["entries_per_year"] = None         # computed below, once the dimensions are known
    for key in _REQUIRED:
        if key not in model:
            raise fail("model", f"missing required key {key!r}")
    # dimensions first, so that arrays can be checked against them
    dims = {k: model[k] for k in _DIM_FIELDS if k in model}
    for key, value in dims.items():
        if not isinstance(value, list):
            raise checks.FieldTypeError(key, f"must be a list, got {type(value).__name__}")
    base = CareParameters.empty(**dims)
    if rate_keys:
        rate = checks.array("entry_rate_per_10000", model.pop("entry_rate_per_10000"),
                            base.axes("entries_per_year"), broadcast=True)
        population = checks.array("child_population", model.pop("child_population"), base.axes("stock")[:1],
                                  leading="years")
        model["entries_per_year"] = entries_from_rate(rate, population)
    values: dict[str, Any] = {}
    for key, value in model.items():
        if key in _BY_NAME and isinstance(value, dict):
            values[key] = _vector_by_name(key, value, getattr(base, _BY_NAME[key]))
        elif key in ARRAY_FIELDS:
            values[key] = checks.array(key, value, base.axes(key), broadcast=True, low=None,
                                       leading="years" if key == "entries_per_year" else None)
        elif key == "start_date" and isinstance(value, _dt.datetime):
            raise checks.FieldTypeError(key, f"must be a TOML date like 2017-03-31, without a time; got {value}")
        else:
            values[key] = value
    return CareParameters(**values)


def _vector_by_name(key: str, table: Mapping[str, Any], names: tuple[str, ...]) -> np.ndarray:
    """A ``[model]`` table by name as a vector.

    ``weekly_cost`` must name every placement: a placement left out would cost
    nothing and understate every total without a word. ``exit_costs`` may
    leave groups out (most exits have no one-off cost): those are 0.
    """
    out = np.zeros(len(names))
    for name, value in table.items():
        if name not in names:
            raise checks.FieldError(key, f"unknown name {name!r} (expected one of {', '.join(names)})")
        out[names.index(name)] = checks.number(f"{key}.{name}", value, low=0.0)
    missing = [n for n in names if n not in table]
    if key == "weekly_cost" and missing:
        raise checks.FieldError(key, f"names {len(names) - len(missing)} of {len(names)} placements; missing "
                                     f"{', '.join(missing)} (write {missing[0]} = 0.0 if it truly costs nothing)")
    return out


def _strip_positions(key: str) -> str:
    """``scenarios.a.interventions[0].effect`` -> ``scenarios.a.interventions.effect`` (for the locator)."""
    return re.sub(r"\[[^\]]*\]", "", key)


# ---------------------------------------------------------------- parsing and hints

def _parse_toml(text: str, filename: str) -> dict[str, Any]:
    depth, deep_line = _max_nesting(text)
    if depth > MAX_NESTING:
        raise ScenarioFileError(f"{filename}:{deep_line}: brackets nested more than {MAX_NESTING} deep; arrays "
                                f"here have at most 4 dimensions", filename=filename, line=deep_line)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line: int | None = getattr(exc, "lineno", None) or _line_from_message(str(exc))
        where = f"{filename}:{line}" if line else filename
        source = text.splitlines()[line - 1] if line and line <= len(text.splitlines()) else ""
        hint = _spreadsheet_hint(source)
        if hint:
            key = _key_of_line(source)
            if key and line:
                table = _table_at(text, line)
                key = f"{table}.{key}" if table else key
            raise ScenarioFileError(f"{where}: {key + ': ' if key else ''}{hint} (TOML syntax error: {exc})",
                                    filename=filename, line=line, key=key) from None
        raise ScenarioFileError(f"{where}: TOML syntax error: {exc}", filename=filename, line=line) from None
    except RecursionError:  # pragma: no cover - _max_nesting refuses such files first
        raise ScenarioFileError(f"{filename}: nested too deeply to read", filename=filename) from None


_TOKENS = re.compile(r'"""|\'\'\'|["\'#\[\]{}\n]')


def _max_nesting(text: str) -> tuple[int, int]:
    """Deepest nesting of ``[``/``{`` outside strings and comments, and the line where it is reached.

    Linear in the text: strings and comments are skipped with ``str.find``.
    """
    depth = deepest = 0
    line = deepest_line = 1
    pos = 0
    n = len(text)
    while pos < n:
        m = _TOKENS.search(text, pos)
        if m is None:
            break
        tok, pos = m.group(), m.end()
        if tok == "\n":
            line += 1
        elif tok in ("[", "{"):
            depth += 1
            if depth > deepest:
                deepest, deepest_line = depth, line
                if deepest > MAX_NESTING:
                    break
        elif tok in ("]", "}"):
            depth = max(0, depth - 1)
        elif tok == "#":
            end = text.find("\n", pos)
            pos = n if end < 0 else end
        else:
            closing = tok
            end = pos
            while True:
                end = text.find(closing, end)
                if end < 0 or closing == "'" or closing == "'''":
                    break
                back = end
                while back > pos and text[back - 1] == "\\":
                    back -= 1
                if (end - back) % 2 == 0:
                    break
                end += 1
            stop = n if end < 0 else end + len(closing)
            line += text.count("\n", pos, stop)
            pos = stop
    return deepest, deepest_line


_THOUSANDS = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+(?:\.\d+)?)(?![\w])")
_SLASH_DATE = re.compile(r"(?<![\w/])(\d{1,2})/(\d{1,2})/(\d{2,4})(?![\w/])")
_SHORT_DATE = re.compile(r"(?<![\w-])(\d{4})-(\d{1,2})-(\d{1,2})(?![\w-])")
_PERCENT = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*%")
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"|\'[^\']*\'')


def _spreadsheet_hint(line: str) -> str:
    """What to write instead, for the habits of spreadsheets that TOML refuses (``2,285``, ``31/03/2012``)."""
    code = _STRINGS.sub('""', line).split("#", 1)[0]
    m = _THOUSANDS.search(code)
    if m:
        return f"write {m.group(1).replace(',', '')}, not {m.group(1)} (numbers have no thousands separators)"
    m = _SLASH_DATE.search(code)
    if m:
        day, month, year = (int(g) for g in m.groups())
        if year < 100:
            year += 2000
        try:
            iso = _dt.date(year, month, day).isoformat()
        except ValueError:
            return f"write dates as year-month-day, like 2012-03-31, not {m.group(0)}"
        return f"write {iso}, not {m.group(0)} (dates are year-month-day)"
    m = _SHORT_DATE.search(code)
    if m:
        year, month, day = (int(g) for g in m.groups())
        try:
            iso = _dt.date(year, month, day).isoformat()
        except ValueError:
            return f"{m.group(0)} is not a date; write dates as year-month-day, like 2012-03-31"
        return f"write {iso}, not {m.group(0)} (two digits for month and day)"
    if "£" in code:
        return "write amounts without £ (pounds are understood)"
    m = _PERCENT.search(code)
    if m:
        return f"write {float(m.group(1)) / 100:g}, not {m.group(0).strip()} (shares and rates are fractions)"
    return ""


def _table_at(text: str, line: int) -> str:
    """The ``[table]`` header in force at a line (``""`` at the top level)."""
    table = ""
    for source in text.splitlines()[:line]:
        header = _Locator._header.match(source)
        if header:
            table = _normalise(header.group(1))
    return table


def _key_of_line(line: str) -> str | None:
    m = re.match(r"^\s*([A-Za-z0-9_\-.]+)\s*=", line)
    return m.group(1) if m else None


def _line_from_message(message: str) -> int | None:
    m = re.search(r"line (\d+)", message)
    return int(m.group(1)) if m else None


class _Locator:
    """Find the line of a dotted key in TOML text, for error messages.

    Keys under an array of tables (``[[scenarios.a.interventions]]``) are
    recorded with their index (``scenarios.a.interventions[1].effect``).
    """

    _header = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")
    _array_header = re.compile(r"^\s*\[\[\s*([^\[\]]+?)\s*\]\]\s*(#.*)?$")
    _keyline = re.compile(r"^\s*([A-Za-z0-9_\-\"'. ]+?)\s*=")

    def __init__(self, text: str, filename: str):
        self.filename = filename
        self.entries: dict[str, int] = {}
        counts: dict[str, int] = {}
        table = ""
        for number, line in enumerate(text.splitlines(), start=1):
            array = self._array_header.match(line)
            header = array or self._header.match(line)
            if header:
                table = _normalise(header.group(1))
                if array:
                    k = counts[table] = counts.get(table, -1) + 1
                    self.entries.setdefault(table, number)
                    table = f"{table}[{k}]"
                self.entries.setdefault(table, number)
                continue
            key = self._keyline.match(line)
            if key:
                name = _normalise(key.group(1))
                full = f"{table}.{name}" if table else name
                self.entries.setdefault(full, number)

    def line(self, dotted: str) -> int | None:
        # labelled positions are not keys; list indices may be (arrays of tables)
        indexed = re.sub(r"\[(?!\d+\])[^\]]*\]", "", dotted).split(".")
        plain = _strip_positions(dotted).split(".")
        # the longest prefix of the key that appears in the file: a key set in an
        # inline table is reported at the line of the enclosing key.
        for n in range(len(indexed), 0, -1):
            for parts in (indexed, plain):
                number = self.entries.get(".".join(parts[:n]))
                if number is not None:
                    return number
        return None

    def __call__(self, dotted: str) -> str:
        line = self.line(dotted)
        return f"{self.filename}:{line}" if line else self.filename


def _normalise(key: str) -> str:
    return ".".join(p.strip().strip("\"'") for p in key.split("."))


# ---------------------------------------------------------------- writing

def save_scenario_file(path: str | os.PathLike, parameters: CareParameters,
                       scenarios: Mapping[str, Scenario] | list[Scenario] | None = None, *,
                       years: float | None = None, step: str | None = None,
                       description: str = "") -> None:
    """Write a scenario file that :func:`load_scenario_file` reads back exactly.

    Parameters
    ----------
    path : path
        File to write (overwritten).
    parameters : CareParameters
        The council model.
    scenarios : dict of name to Scenario, or list of Scenario, optional
        Named scenarios to store with it.
    years, step : optional
        Defaults for ``carecast run`` (``step`` one of ``week``, ``month``,
        ``quarter``, ``year``).
    description : str
        Free text stored at the top.
    """
    text = dumps_scenario_file(parameters, scenarios, years=years, step=step, description=description)
    with open(os.fspath(path), "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)


def dumps_scenario_file(parameters: CareParameters,
                        scenarios: Mapping[str, Scenario] | list[Scenario] | None = None, *,
                        years: float | None = None, step: str | None = None,
                        description: str = "") -> str:
    """The text :func:`save_scenario_file` writes."""
    if not isinstance(parameters, CareParameters):
        raise TypeError(f"parameters must be CareParameters, got {type(parameters).__name__}")
    if step is not None:
        checks.choice("step", step, tuple(STEPS))
    if years is not None:
        checks.number("years", years, low=0.0, low_open=True, high=200.0)
    checks.text("description", description)
    if scenarios is None:
        scenarios = {}
    elif not isinstance(scenarios, Mapping):
        scenarios = {s.name: s for s in scenarios}
    p = parameters
    out = [f"# carecast scenario file: {p.name}", f"carecast = {FORMAT_VERSION}"]
    if description:
        out.append(f"description = {_value(description)}")
    if years is not None or step is not None:
        out += ["", "[run]"]
        if years is not None:
            out.append(f"years = {_value(years)}")
        if step is not None:
            out.append(f"step = {_value(step)}")
    out += ["", "[model]"]
    dims = {"stock": "(age band, placement, time in care)",
            "entries_per_year": "(age band at entry, first placement)" if p.entries_per_year.ndim == 2
            else "(year, age band at entry, first placement)",
            "exit_rates": "(age band, placement, time in care, exit group), per year",
            "move_rates": "(age band, placement, time in care, to placement), per year",
            "weekly_cost": "per placement, pounds a week", "exit_costs": "per exit group, pounds"}
    for f in dataclasses.fields(CareParameters):
        value = getattr(p, f.name)
        if f.name == "discount_rate" and value is None:
            out.append("# discount_rate omitted: HM Treasury Green Book schedule")
            continue
        if f.name in dims:
            out.append(f"# {f.name}: {dims[f.name]}")
        out.append(f"{f.name} = {_value(value, indent=0)}")
    for name, scenario in scenarios.items():
        if not isinstance(scenario, Scenario):
            raise TypeError(f"scenarios[{name!r}] must be a Scenario")
        out += ["", f"[scenarios.{_key(name)}]"]
        for key, value in scenario.to_dict().items():
            out.append(f"{key} = {_value(value)}")
    return "\n".join(out) + "\n"


def _key(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z0-9_\-]+", name) else _string(name)


def _string(s: str) -> str:
    escaped = (s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
               .replace("\t", "\\t").replace("\r", "\\r"))
    escaped = "".join(c if ord(c) >= 0x20 and c != "\x7f" else f"\\u{ord(c):04x}" for c in escaped)
    return f'"{escaped}"'


def _value(value: Any, indent: int = 0) -> str:
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if not math.isfinite(v):
            raise ValueError(f"cannot write non-finite number {v} to a scenario file")
        return repr(v)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, _dt.datetime):
        raise TypeError("datetimes are not written to scenario files; use a date")
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_key(str(k))} = {_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        if all(not isinstance(v, (list, tuple, Mapping)) for v in value):
            flat = "[" + ", ".join(_value(v) for v in value) + "]"
            if len(flat) <= 100 or indent == 0 and all(isinstance(v, (int, float)) for v in value):
                return flat
        pad = " " * (indent + 4)
        inner = [pad + _value(v, indent + 4) for v in value]
        return "[\n" + ",\n".join(inner) + ",\n" + " " * indent + "]"
    raise TypeError(f"cannot write {type(value).__name__} to a scenario file")
