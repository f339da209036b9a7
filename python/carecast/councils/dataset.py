"""The council dataset in memory, and looking a council up by a forgiving name or code.

>>> from carecast.councils import load_dataset
>>> data = load_dataset()
>>> data.find("bham").name
'Birmingham'
>>> data.find("330").code, data.find("E08000025").name
('E08000025', 'Birmingham')
>>> data.find("Norfolk").value("cla_31mar", 2017).value
1106.0
"""
from __future__ import annotations

import difflib
import functools
import gzip
import json
import os
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np

from carecast.councils.build import DATASET_FORMAT, DATASET_VERSION, BuildError, build_dataset
from carecast.councils.measures import MEASURE_INDEX, MISSING_CODES

__all__ = ["CouncilData", "Area", "Value", "CouncilNotFound", "load_dataset", "packaged_dataset_path"]

#: Sentinel in the code array: nothing published for this area, measure and year.
_ABSENT = 255
_CODES = list(MISSING_CODES)


class CouncilNotFound(LookupError):
    """No council matches a name or code; ``suggestions`` lists the nearest names."""

    def __init__(self, query: str, suggestions: list[str], ambiguous: bool = False):
        self.query, self.suggestions = query, suggestions
        if ambiguous:
            msg = f"{query!r} matches several councils: {', '.join(suggestions)}; give more of the name or a code"
        elif suggestions:
            msg = f"no council matches {query!r}; did you mean {', '.join(repr(s) for s in suggestions)}?"
        else:
            msg = f"no council matches {query!r} ('carecast councils' lists them)"
        super().__init__(msg)

    def __str__(self) -> str:
        return str(self.args[0])


#: Where each series of releases is published (the collection page, which lists every year's release).
PUBLICATIONS = (
    ("Children looked after in England including adoptions",
     "https://www.gov.uk/government/collections/statistics-looked-after-children"),
    ("Children in need", "https://www.gov.uk/government/collections/statistics-children-in-need"),
    ("Children's social work workforce",
     "https://www.gov.uk/government/collections/statistics-childrens-social-care-workforce"),
    ("ONS mid-year population estimates",
     "https://www.ons.gov.uk/peoplepopulationandcommunity/populationandmigration/populationestimates"),
    ("revenue outturn", "https://www.gov.uk/government/collections/local-authority-revenue-expenditure-and-financing"),
)


def release_url(title: str) -> str:
    """The publication's address for a release title (``""`` when it is not one of :data:`PUBLICATIONS`).

    >>> release_url("DfE, Children in need, reporting years 2013 to 2025 (table B1)")
    'https://www.gov.uk/government/collections/statistics-children-in-need'
    """
    for words, url in PUBLICATIONS:
        if words.lower() in title.lower():
            return url
    return ""


@dataclass(frozen=True)
class Value:
    """One published figure: its value (None when missing), missing code and meaning, and release."""

    value: float | None
    code: str | None
    release: str | None
    year: int

    @property
    def source(self) -> str:
        """The release's title and the publication's address (``""`` when there is no release)."""
        if not self.release:
            return ""
        url = release_url(self.release)
        return f"{self.release}, {url}" if url else self.release

    @property
    def meaning(self) -> str:
        if self.code is None:
            return "" if self.value is not None else "not published"
        return MISSING_CODES.get(self.code, self.code)

    def __str__(self) -> str:
        if self.value is not None:
            return f"{self.value:,.0f}" if float(self.value).is_integer() else f"{self.value:,.1f}"
        return self.code if self.code else "-"


def _norm_name(text: str) -> str:
    t = text.lower().replace("&", " and ")
    t = re.sub(r"[^a-z0-9 ]", " ", t)
    t = re.sub(r"\b(city of|county of|council|county|borough|metropolitan|royal borough of|london borough of)\b",
               " ", t)
    return " ".join(t.split())


class Area:
    """One area of the dataset (a council, a region or England) with its published series."""

    def __init__(self, data: CouncilData, index: int, info: dict[str, Any]):
        self._data, self.index = data, index
        self.code: str = info["code"]
        self.old_code: str | None = info.get("old_code")
        self.codes: list[str] = list(info.get("codes", []))
        self.name: str = info["name"]
        self.level: str = info["level"]
        self.region_code: str = info.get("region_code", "")
        self.region: str = info.get("region", "")
        self.neighbour_codes: list[str] = list(info.get("neighbours", []))
        self.neighbour_model: str = info.get("neighbour_model", "")
        self.predecessors: list[str] = list(info.get("predecessors", []))
        self.successors: list[str] = list(info.get("successors", []))
        self.notes: list[str] = list(info.get("notes", []))

    def __repr__(self) -> str:
        return f"<{self.level} {self.name} ({self.code}{', ' + self.old_code if self.old_code else ''})>"

    @property
    def data(self) -> CouncilData:
        return self._data

    def series(self, measure: str) -> dict[int, float | None]:
        """Year to value (None where suppressed or not published) of ``measure``."""
        m = self._data.measure_index(measure)
        vals = self._data.values[self.index, m]
        codes = self._data.codes[self.index, m]
        return {int(y): (None if codes[i] != 0 else float(vals[i]))
                for i, y in enumerate(self._data.years) if codes[i] != _ABSENT}

    def value(self, measure: str, year: int) -> Value:
        """The published figure of ``measure`` for ``year``, with its code and release."""
        m = self._data.measure_index(measure)
        i = int(year) - self._data.first_year
        if not 0 <= i < len(self._data.years):
            return Value(None, None, None, int(year))
        code = int(self._data.codes[self.index, m, i])
        rel = int(self._data.release[self.index, m, i])
        release = self._data.releases[rel]["title"] if rel >= 0 else None
        if code == _ABSENT:
            return Value(None, None, None, int(year))
        if code == 0:
            return Value(float(self._data.values[self.index, m, i]), None, release, int(year))
        return Value(None, _CODES[code - 1], release, int(year))

    def years_with(self, measure: str) -> list[int]:
        """Years with a published number (not a code) for ``measure``."""
        return [y for y, v in self.series(measure).items() if v is not None]

    def neighbours(self) -> list[Area]:
        """The DfE's statistical neighbours of this council (nearest first)."""
        return [self._data.by_code[c] for c in self.neighbour_codes if c in self._data.by_code]

    def rate_per_10000(self, measure: str, year: int) -> float | None:
        """``measure`` in ``year`` per 10,000 children aged 0-17 (ONS mid-year ``year - 1``, as the DfE does)."""
        v = self.value(measure, year).value
        pop = self.population(year)
        if v is None or pop is None or pop <= 0:
            return None
        return v / pop * 10000.0

    def population(self, year: int) -> float | None:
        """Children aged 0-17 for rates at 31 March ``year``: the DfE's own figure, else ONS mid ``year - 1``."""
        v = self.value("population_0_17_dfe", year).value
        if v is None:
            v = self.value("population_0_17", year - 1).value
        return v

    def table(self, measures: list[str] | None = None):
        """Every published cell as a tidy :class:`~carecast.care.tables.Table`.

        Columns: ``measure``, ``year``, ``value`` (NaN where missing),
        ``missing_code``, ``missing_meaning``, ``release``.
        """
        from carecast.care.tables import Table
        rows: dict[str, list[Any]] = {k: [] for k in ("measure", "year", "value", "missing_code",
                                                      "missing_meaning", "release")}
        for name in (measures or [m for m in self._data.measure_names]):
            for year in self.series(name):
                v = self.value(name, year)
                rows["measure"].append(name)
                rows["year"].append(year)
                rows["value"].append(np.nan if v.value is None else v.value)
                rows["missing_code"].append(v.code or "")
                rows["missing_meaning"].append(v.meaning)
                rows["release"].append(v.release or "")
        cols = {k: np.array(v, dtype=float if k == "value" else (int if k == "year" else object))
                for k, v in rows.items()}
        return Table(cols, title=f"published figures for {self.name} ({self.code})")

    def parameters(self, year: int, **options: Any):
        """A :class:`~carecast.care.CareParameters` from this council's published figures at 31 March ``year``.

        See :func:`carecast.councils.model.council_parameters` for the options and what is assumed.
        """
        from carecast.councils.model import council_parameters
        return council_parameters(self, year, **options)


class CouncilData:
    """The whole dataset: areas, measures, years and dense arrays of values.

    Attributes
    ----------
    values : ndarray (areas, measures, years)
        The published numbers (NaN where missing).
    codes : ndarray of uint8, same shape
        0 for a number, ``1 + index`` of its code in ``MISSING_CODES`` for a
        suppressed cell, 255 where nothing was published.
    release : ndarray of int16, same shape
        Index into ``releases`` (-1 where nothing was published).
    """

    def __init__(self, raw: dict[str, Any], source: str = ""):
        if raw.get("format") != DATASET_FORMAT:
            raise ValueError(f"{source or 'dataset'}: not a carecast council dataset (format "
                             f"{raw.get('format')!r})")
        if raw.get("version") != DATASET_VERSION:
            raise ValueError(f"{source or 'dataset'}: dataset version {raw.get('version')!r}, this carecast "
                             f"reads version {DATASET_VERSION}; rebuild it with 'carecast councils build'")
        self.source = source
        self.licence: str = raw["licence"]
        self.built: str = raw.get("built", "")
        self.releases: list[dict[str, Any]] = raw["releases"]
        self.measure_names: list[str] = [m["name"] for m in raw["measures"]]
        self._measure_pos = {n: i for i, n in enumerate(self.measure_names)}
        self.areas: list[Area] = [Area(self, i, info) for i, info in enumerate(raw["areas"])]
        self.by_code: dict[str, Area] = {}
        for a in self.areas:
            self.by_code[a.code] = a
        years = [cell[0] for per_area in raw["data"].values() for cells in per_area.values() for cell in cells]
        self.first_year = min(years) if years else 2010
        last = max(years) if years else 2010
        self.years = np.arange(self.first_year, last + 1)
        shape = (len(self.areas), len(self.measure_names), len(self.years))
        self.values = np.full(shape, np.nan)
        self.codes = np.full(shape, _ABSENT, dtype=np.uint8)
        self.release = np.full(shape, -1, dtype=np.int16)
        code_pos = {c: i + 1 for i, c in enumerate(_CODES)}
        for measure, per_area in raw["data"].items():
            m = self._measure_pos[measure]
            for code, cells in per_area.items():
                row = self.by_code[code].index
                for year, cell, rel in cells:
                    i = year - self.first_year
                    if isinstance(cell, str):
                        self.codes[row, m, i] = code_pos.get(cell, code_pos["x"])
                    else:
                        self.values[row, m, i] = cell
                        self.codes[row, m, i] = 0
                    self.release[row, m, i] = rel
        self._names: dict[str, list[Area]] = {}
        for a in self.areas:
            self._names.setdefault(_norm_name(a.name), []).append(a)

    def measure_index(self, name: str) -> int:
        try:
            return self._measure_pos[name]
        except KeyError:
            close = difflib.get_close_matches(name, self.measure_names, n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise KeyError(f"no measure {name!r} in the council dataset{hint}") from None

    def councils(self, *, current_only: bool = False) -> list[Area]:
        """The local authorities, by name (``current_only``: those with a stock in the last year published)."""
        out = [a for a in self.areas if a.level == "local authority"]
        if current_only:
            last = self.last_year("cla_31mar")
            out = [a for a in out if a.value("cla_31mar", last).code != "z"
                   and (a.value("cla_31mar", last).value is not None or a.value("cla_31mar", last).code)]
        return sorted(out, key=lambda a: a.name)

    def last_year(self, measure: str) -> int:
        m = self.measure_index(measure)
        has = (self.codes[:, m, :] == 0).any(axis=0)
        return int(self.years[has][-1]) if has.any() else int(self.years[-1])

    @property
    def england(self) -> Area:
        return self.by_code["E92000001"]

    def find(self, query: str) -> Area:
        """The area matching ``query``: a code (``330``, ``E08000025``) or a forgiving name (``"Bham"``).

        Raises :class:`CouncilNotFound` with the nearest names when nothing (or more
        than one council) matches.
        """
        q = str(query).strip()
        if not q:
            raise CouncilNotFound(q, [])
        up = q.upper()
        if up in self.by_code:
            return self.by_code[up]
        for a in self.areas:
            if q == a.old_code or up in a.codes:
                return a
        n = _norm_name(q)
        if q.lower() == "england":
            return self.england
        exact = self._names.get(n, [])
        if exact:
            return self._prefer_current(exact, q)
        candidates = list(self.councils()) + [a for a in self.areas if a.level in ("region", "national")]
        starts = [a for a in candidates if _norm_name(a.name).startswith(n)]
        if len({a.name for a in starts}) == 1:
            return self._prefer_current(starts, q)
        words = [a for a in candidates if n and any(w.startswith(n) for w in _norm_name(a.name).split())]
        if len({a.name for a in words}) == 1:
            return self._prefer_current(words, q)
        if n in _ABBREVIATIONS:
            return self.find(_ABBREVIATIONS[n])
        # an abbreviation: the letters in order, starting with the name's first letter ("bham", "nfolk"),
        # the closest in spelling winning when it is clearly closest
        compact = n.replace(" ", "")
        abbrev = [a for a in candidates if compact and _is_abbreviation(compact, _norm_name(a.name).replace(" ", ""))]
        if abbrev and not starts:
            scored = sorted(((difflib.SequenceMatcher(None, compact, _norm_name(a.name).replace(" ", "")).ratio(), a)
                             for a in abbrev), key=lambda t: -t[0])
            if len(scored) == 1 or scored[0][0] - scored[1][0] >= 0.1:
                return self._prefer_current([a for r, a in scored if r == scored[0][0]], q)
        if len({a.name for a in starts + abbrev}) > 1:
            names = sorted({a.name for a in starts + abbrev})
            raise CouncilNotFound(q, names[:8] + (["..."] if len(names) > 8 else []), ambiguous=True)
        by_norm = {_norm_name(a.name): a.name for a in candidates}
        close = difflib.get_close_matches(n, list(by_norm), n=3, cutoff=0.6)
        raise CouncilNotFound(q, [by_norm[c] for c in close])

    def _prefer_current(self, areas: list[Area], query: str) -> Area:
        """Of areas with one name (two Dorsets), the one with the latest stock."""
        if len(areas) == 1:
            return areas[0]
        def last(a: Area) -> int:
            ys = a.years_with("cla_31mar")
            return ys[-1] if ys else 0
        return max(areas, key=last)


#: Customary short names (lower case) of councils.
_ABBREVIATIONS: dict[str, str] = {
    "brum": "Birmingham", "notts": "Nottinghamshire", "herts": "Hertfordshire", "lincs": "Lincolnshire",
    "glos": "Gloucestershire", "oxon": "Oxfordshire", "hants": "Hampshire", "bucks": "Buckinghamshire",
    "northants": "Northamptonshire", "cambs": "Cambridgeshire", "beds": "Bedford", "lancs": "Lancashire",
    "wilts": "Wiltshire", "worcs": "Worcestershire", "staffs": "Staffordshire", "derbys": "Derbyshire",
    "leics": "Leicestershire", "bcp": "Bournemouth, Christchurch and Poole", "banes": "Bath and North East Somerset",
    "hull": "Kingston upon Hull", "rbkc": "Kensington and Chelsea",
}


def _is_abbreviation(short: str, name: str) -> bool:
    if not short or not name or short[0] != name[0] or len(short) < 3:
        return False
    it = iter(name)
    return all(ch in it for ch in short)


def packaged_dataset_path() -> str:
    """Path of the dataset that ships with carecast."""
    return str(resources.files("carecast").joinpath("data/councils/councils.json.gz"))


@functools.lru_cache(maxsize=4)
def _load_file(path: str, mtime: float) -> CouncilData:
    try:
        with open(path, "rb") as fh:
            head = fh.read(2)
            fh.seek(0)
            text = gzip.decompress(fh.read()) if head == b"\x1f\x8b" else fh.read()
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: council dataset not found") from None
    except (OSError, EOFError) as exc:
        raise ValueError(f"{path}: cannot read the council dataset: {exc}") from None
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"{path}: not a council dataset (bad JSON: {exc})") from None
    return CouncilData(raw, source=path)


def load_dataset(source: str | os.PathLike[str] | None = None) -> CouncilData:
    """The council dataset: the packaged one, a built file (``.json`` / ``.json.gz``), or a raw folder.

    A folder is built in memory with :func:`~carecast.councils.build.build_dataset`
    (so ``carecast councils forecast --data RAW_DIR`` uses that folder alone).
    """
    path = packaged_dataset_path() if source is None else os.fspath(source)
    if os.path.isdir(path):
        return _load_raw(os.path.abspath(path), _tree_mtime(path))
    try:
        mtime = os.path.getmtime(path)
    except OSError:
        raise FileNotFoundError(f"{path}: council dataset not found") from None
    return _load_file(path, mtime)


def _tree_mtime(path: str) -> float:
    latest = os.path.getmtime(path)
    for root, _dirs, files in os.walk(path):
        for f in files:
            latest = max(latest, os.path.getmtime(os.path.join(root, f)))
    return latest


@functools.lru_cache(maxsize=2)
def _load_raw(path: str, mtime: float) -> CouncilData:
    raw, _report = build_dataset(path)
    return CouncilData(raw, source=path)


__all__ += ["BuildError", "MEASURE_INDEX"]
