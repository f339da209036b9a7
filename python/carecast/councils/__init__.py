"""Every English council from the DfE's published statistics (a data reader beside ``ssda903``).

* :func:`build_dataset` reads the published files (the layout of
  ``shared/data/dfe_la``) into one compact dataset; the built dataset ships in
  ``carecast/data/councils/`` (Open Government Licence v3.0, see ``LICENCE.md``
  there).
* :func:`council` looks a council up forgivingly (``"Bham"``, ``"330"``,
  ``"E08000025"``) and returns an :class:`Area` with its series, rates per
  10,000 children, statistical neighbours and tidy tables.
* :meth:`Area.parameters` builds a :class:`~carecast.care.CareParameters` from
  the council's published figures only (:mod:`carecast.councils.model`).
* :func:`forecast` and :func:`backtest` (:mod:`carecast.councils.forecast`).

>>> import carecast
>>> carecast.council("birmingham").code
'E08000025'
"""
from __future__ import annotations

from typing import Any

from carecast.councils.build import BuildError, BuildReport, build_dataset, write_dataset
from carecast.councils.dataset import (
    Area,
    CouncilData,
    CouncilNotFound,
    Value,
    load_dataset,
    packaged_dataset_path,
)

__all__ = ["Area", "BuildError", "BuildReport", "CouncilData", "CouncilNotFound", "Value", "build_dataset",
           "council", "load_dataset", "packaged_dataset_path", "write_dataset", "forecast", "backtest"]


def council(name: str, data: Any = None) -> Area:
    """The council (or region, or England) matching ``name``; ``data``: a dataset, file or raw folder.

    Raises :class:`CouncilNotFound` (with "did you mean" suggestions) when none matches.
    """
    ds = data if isinstance(data, CouncilData) else load_dataset(data)
    return ds.find(name)


def __getattr__(name: str) -> Any:
    if name in ("forecast", "backtest"):
        from carecast.councils import forecast as _f
        return getattr(_f, name)
    raise AttributeError(f"module 'carecast.councils' has no attribute {name!r}")
