"""The built-in examples rebuilt on the published series (issue 9, part 5).

:func:`published_example` gives ``england``, ``birmingham-2013`` and
``norfolk-2017`` as :class:`~carecast.care.examples.Example` objects whose
parameters come from :func:`~carecast.councils.model.council_parameters`
(the councils' own published stock, entries and exits) instead of national
shapes fitted by hand, keeping the checks of the hand-fitted examples
against published figures (from ``facts.json``) and adding the DfE's own
later counts. They are offered beside :mod:`carecast.care.examples`, not in
place of it: swapping them in changes the outputs of ``carecast run
EXAMPLE`` that other code and tests rely on, which is the lead's call.

>>> ex = published_example("norfolk-2017")
>>> ex.parameters.start_date.isoformat(), round(ex.parameters.total_stock())
('2012-03-31', 1012)
"""
from __future__ import annotations

import datetime as _dt

from carecast.care.examples import Check, Example
from carecast.councils.dataset import load_dataset

__all__ = ["published_example", "PUBLISHED_EXAMPLES"]

PUBLISHED_EXAMPLES = ("england", "birmingham-2013", "norfolk-2017")


def _published_checks(area, start: int, years: int, tolerance: float = 0.10) -> list[Check]:
    out = []
    for y in range(start + 1, start + years + 1):
        v = area.value("cla_31mar", y)
        if v.value is not None:
            out.append(Check(f"children in care on 31 March {y} (DfE, published later)", _dt.date(y, 3, 31),
                             v.value, v.release or "", tolerance))
    return out


def published_example(name: str) -> Example:
    """An example rebuilt from the published series (``england``, ``birmingham-2013``, ``norfolk-2017``)."""
    from carecast.facts import fact
    data = load_dataset()
    if name == "england":
        area, year = data.england, 2024
        stock = fact("eng_cla_31mar_2024_revised2024")
        checks = [Check("children in care on 31 March 2024 (start; facts.json, revised)", _dt.date(2024, 3, 31),
                        stock.value, stock.cite(), 0.005)]
        title = "England, from 31 March 2024 (published series)"
    elif name == "birmingham-2013":
        area, year = data.find("Birmingham"), 2013
        stock, residential = fact("bham_cla_2013"), fact("bham_cla_residential_2013")
        checks = [Check("children in care, 2013 (start; facts.json)", _dt.date(2013, 3, 31), stock.value,
                        stock.cite(), 0.02),
                  Check("children in residential placements, 2013 (start; facts.json)", _dt.date(2013, 3, 31),
                        residential.value, residential.cite(), 0.25, placement="residential")]
        title = "Birmingham, from 31 March 2013 (published series)"
    elif name == "norfolk-2017":
        area, year = data.find("Norfolk"), 2012
        checks = [Check(desc, when, fact(key).value, fact(key).cite(), tol) for desc, when, key, tol in (
            ("children in care, November 2013", _dt.date(2013, 11, 30), "norfolk_cla_nov2013", 0.05),
            ("children in care, 11 April 2014", _dt.date(2014, 4, 11), "norfolk_cla_apr2014", 0.05),
            ("children in care, September 2014", _dt.date(2014, 9, 30), "norfolk_cla_sep2014", 0.05),
            ("children in care, 31 March 2016", _dt.date(2016, 3, 31), "norfolk_cla_31mar2016", 0.05),
            ("children in care, 31 March 2017", _dt.date(2017, 3, 31), "norfolk_cla_mar2017_council", 0.02))]
        title = "Norfolk, from 31 March 2012 to 2017 (published series)"
    else:
        raise ValueError(f"no published example {name!r}; they are {', '.join(PUBLISHED_EXAMPLES)}")
    p = area.parameters(year)
    checks += _published_checks(area, year, 5)
    return Example(name=name, title=title,
                   description=f"{area.name} from its published figures at 31 March {year} (DfE, OGL v3.0): "
                               "stock by age and placement, entries and exits by age and reason.",
                   parameters=p, years=5, step="month", checks=checks)
