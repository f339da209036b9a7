"""The facts store: public figures with their sources, from ``carecast/data/facts.json``.

Each figure carries its value, unit, year, geography, source title and URL,
confidence and a note; missing figures have no value and say why. Every
default the package uses from a publication comes through :func:`fact`, so
that its source and year can be printed with it.

>>> from carecast.facts import fact
>>> fact("norfolk_cla_mar2012").value
1015
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class Fact:
    """One public figure with its source."""

    key: str
    value: Any
    unit: str
    year: str
    geography: str
    source_title: str
    source_url: str
    confidence: str
    note: str

    def cite(self) -> str:
        """``key = value unit (year): source title, url [confidence]``."""
        value = f"{self.value:,}" if isinstance(self.value, (int, float)) else str(self.value)
        return (f"{self.key} = {value} {self.unit} ({self.year}, {self.geography}): "
                f"{self.source_title}, {self.source_url} [confidence: {self.confidence}]")


@functools.lru_cache(maxsize=1)
def _facts() -> dict[str, Fact]:
    text = resources.files("carecast").joinpath("data/facts.json").read_text(encoding="utf-8")
    out = {}
    for entry in json.loads(text):
        out[entry["key"]] = Fact(key=entry["key"], value=entry.get("value"), unit=str(entry.get("unit", "")),
                                 year=str(entry.get("year", "")), geography=str(entry.get("geography", "")),
                                 source_title=str(entry.get("source_title", "")),
                                 source_url=str(entry.get("source_url", "")),
                                 confidence=str(entry.get("confidence", "")), note=str(entry.get("note", "")))
    return out


def fact(key: str) -> Fact:
    """The public figure ``key`` from facts.json (KeyError if absent, ValueError if it has no value).

    >>> fact("norfolk_cla_mar2012").value
    1015
    """
    facts = _facts()
    if key not in facts:
        raise KeyError(f"no figure {key!r} in facts.json")
    f = facts[key]
    if f.value is None:
        raise ValueError(f"facts.json has no value for {key!r}: {f.note}")
    return f
