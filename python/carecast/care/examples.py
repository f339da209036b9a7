"""Built-in examples: England (2024), Birmingham (2013), Norfolk (2012-2017), from published figures.

The examples are built on the councils' published series (DfE, children
looked after in England, Open Government Licence v3.0) by
:mod:`carecast.councils.examples`: each starts from
:func:`~carecast.councils.model.council_parameters`, the area's own
published stock by age and placement, entries by age and exits by age and
reason, with nothing fitted to the outcome. Every figure carries its
release and year, or its ``facts.json`` source
(``Example.parameters.sources``); what is not published (the split of
foster care, time in care, moves, unit costs) is an assumption, listed in
``Example.parameters.assumptions`` and printed by ``carecast run``.

Each example keeps its checks against published figures (``Example.checks``):
the start, the council's own later figures from ``facts.json`` with the
tolerances the hand-fitted examples met, and the DfE's later counts within
the example's horizon (within 10%). A check the model misses is printed as
OUTSIDE TOLERANCE by ``carecast run``, and the example's description says
by how much (see ``docs/councils.md``, "The examples", for the old and new
Norfolk runs against the published series).

Examples
--------
>>> from carecast.care.examples import list_examples, load_example
>>> [e.name for e in list_examples()]
['england', 'birmingham-2013', 'norfolk-2017']
>>> ex = load_example("norfolk-2017")
>>> round(ex.parameters.total_stock())
1012
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field

import numpy as np

from carecast.care.calendar import WEEKS_PER_YEAR
from carecast.care.parameters import CareParameters
from carecast.facts import Fact, fact

__all__ = ["Example", "Check", "Fact", "fact", "list_examples", "load_example", "DEFAULT_EXAMPLE",
           "EXAMPLE_NAMES", "ASSUMED_SUPPORTED_LIVING_WEEKLY", "ASSUMED_INFLATION", "WEEKS_PER_YEAR"]

#: The example ``carecast run`` uses with no arguments: a council, with a
#: published outcome to check the model against.
DEFAULT_EXAMPLE = "norfolk-2017"
EXAMPLE_NAMES = ("england", "birmingham-2013", "norfolk-2017")

# ---- assumptions still not answered by published data (printed with every run that uses them)
#: Annual inflation, general and of placement prices (the Bank of England CPI target).
ASSUMED_INFLATION = 0.02
#: Weekly cost of supported / independent living placements (16+), no source found.
ASSUMED_SUPPORTED_LIVING_WEEKLY = 1000.0


@dataclass(frozen=True)
class Check:
    """A published figure the example should reproduce."""

    description: str
    date: _dt.date
    published: float
    source: str
    tolerance: float
    placement: str | None = None

    def modelled(self, result) -> float | None:
        """The projection's value on ``date`` (linear between step dates); None outside the run."""
        from carecast.care.calendar import origin, years_between
        series = (result.children_in_care() if self.placement is None else
                  result.children_by_placement()[:, result.parameters.placements.index(self.placement)])
        times = np.arange(result.steps + 1) * result.dt
        o = origin(result.parameters.start_date)
        if self.date < result.parameters.start_date:
            return None
        when = years_between(o, origin(self.date))
        if when > times[-1] + 1e-9:
            return None
        return float(np.interp(when, times, series))


@dataclass
class Example:
    """A ready-to-run model built from public figures.

    Attributes
    ----------
    name, title, description : str
    parameters : CareParameters
        With ``sources`` (every figure used) and ``assumptions``.
    years : float
        Default horizon for ``carecast run``.
    step : str
        Default step.
    checks : list of Check
        Published figures the projection should reproduce (with tolerance).
    fitted : dict
        Parameters solved for, with their values (none since the examples are built on the
        published series; kept for callers that read it).
    """

    name: str
    title: str
    description: str
    parameters: CareParameters
    years: float
    step: str
    checks: list[Check] = field(default_factory=list)
    fitted: dict[str, float] = field(default_factory=dict)


def list_examples() -> list[Example]:
    """All built-in examples."""
    return [load_example(name) for name in EXAMPLE_NAMES]


def load_example(name: str) -> Example:
    """The built-in example ``name`` (see :data:`EXAMPLE_NAMES`), built on the published series."""
    if name not in EXAMPLE_NAMES:
        raise ValueError(f"no example {name!r}; examples are {', '.join(EXAMPLE_NAMES)}")
    if name not in _CACHE:
        from carecast.councils.examples import published_example
        _CACHE[name] = published_example(name)
    ex = _CACHE[name]
    return Example(name=ex.name, title=ex.title, description=ex.description,
                   parameters=ex.parameters.replace(), years=ex.years, step=ex.step,
                   checks=list(ex.checks), fitted=dict(ex.fitted))


# the dataset is read once per process; every call hands out a copy
_CACHE: dict[str, Example] = {}
