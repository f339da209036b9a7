"""A small labelled layer over the engine: states and flows by name.

The array functions (:func:`carecast.project` and friends) stay the public
engine; this layer only turns names into index arrays and back, so that a
small model reads like its diagram:

>>> import carecast
>>> m = carecast.CohortModel(["in care", "home", "adopted"])
>>> m.add_flow("in care", "home", 0.30)
0
>>> m.add_flow("in care", "adopted", 0.05)
1
>>> r = m.project({"in care": 100}, steps=2)
>>> r["in care"].round(2)
array([100.  ,  70.47,  49.66])
>>> r.moved_by("in care", "home").round(2)
array([25.31, 17.84])
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from carecast.engine._checks import real_array, real_number
from carecast.engine.projection import Projection, project

__all__ = ["CohortModel", "LabelledProjection"]

PerState = Mapping[str, float] | Sequence[float] | np.ndarray


class CohortModel:
    """Named states and flows between them.

    Parameters
    ----------
    states : sequence of str
        State names, unique.  States with no outgoing flows absorb.
    """

    def __init__(self, states: Sequence[str]):
        names = [str(s) for s in states]
        if not names:
            raise ValueError("states: a model needs at least one state")
        if len(set(names)) != len(names):
            duplicated = sorted({n for n in names if names.count(n) > 1})
            raise ValueError(f"states: names must be unique, repeated: {duplicated}")
        self.states: list[str] = names
        self._index: dict[str, int] = {n: i for i, n in enumerate(names)}
        self.src: list[int] = []
        self.dst: list[int] = []
        self.values: list[float] = []
        self.flow_names: list[str] = []

    def state(self, name: str) -> int:
        """Index of a state by name."""
        try:
            return self._index[name]
        except KeyError:
            raise KeyError(f"no state named {name!r}; states are {self.states}") from None

    def add_flow(self, source: str, destination: str, value: float = 0.0,
                 name: str | None = None) -> int:
        """Add a flow and return its index.

        ``value`` is its rate per year or probability per step (see
        ``kind`` in :meth:`project`); it may be overridden per run.
        """
        number = real_number("value", value)
        i, j = self.state(source), self.state(destination)
        label = name if name is not None else f"{source} -> {destination}"
        if label in self.flow_names:
            raise ValueError(f"name: a flow named {label!r} exists already")
        self.src.append(i)
        self.dst.append(j)
        self.values.append(number)
        self.flow_names.append(label)
        return len(self.src) - 1

    def flow(self, source: str, destination: str) -> int:
        """Index of the (first) flow from ``source`` to ``destination``."""
        i, j = self.state(source), self.state(destination)
        for f, (a, b) in enumerate(zip(self.src, self.dst)):
            if a == i and b == j:
                return f
        raise KeyError(f"no flow from {source!r} to {destination!r}")

    def per_state(self, values: PerState | None, name: str) -> np.ndarray | None:
        """A per-state array from a mapping of names (missing states are 0) or a sequence."""
        if values is None:
            return None
        if isinstance(values, Mapping):
            out = np.zeros(len(self.states))
            for key, v in values.items():
                if key not in self._index:
                    raise KeyError(f"{name}: no state named {key!r}; states are {self.states}")
                out[self._index[key]] = v
            return out
        return real_array(name, values)

    def project(self, x0: PerState, steps: int, *, dt: float = 1.0, kind: str = "rate",
                values: Mapping[str, float] | np.ndarray | None = None,
                inflow: PerState | None = None) -> LabelledProjection:
        """Project the model; ``values`` overrides flow values by flow name or as an array."""
        value = np.asarray(self.values, dtype=float)
        if isinstance(values, Mapping):
            value = value.copy()
            for key, v in values.items():
                if key not in self.flow_names:
                    raise KeyError(f"values: no flow named {key!r}; flows are {self.flow_names}")
                value[self.flow_names.index(key)] = v
        elif values is not None:
            value = real_array("values", values)
        start = self.per_state(x0, "x0")
        if start is None:
            raise TypeError("x0 is required: people in each state at the start")
        result = project(start, np.asarray(self.src, dtype=np.int64),
                         np.asarray(self.dst, dtype=np.int64), value, steps, dt=dt, kind=kind,
                         inflow=self.per_state(inflow, "inflow"))
        return LabelledProjection(self, result)


@dataclass(frozen=True)
class LabelledProjection:
    """A projection with the model's names: ``r["state"]`` is its occupancy series."""

    model: CohortModel
    result: Projection

    def __getitem__(self, state: str) -> np.ndarray:
        return self.result.occupancy[:, self.model.state(state)]

    def moved_by(self, source: str, destination: str) -> np.ndarray:
        """People moved by the flow from ``source`` to ``destination`` in each step."""
        moved = self.result.moved
        if moved is None:
            raise ValueError("this projection did not keep the people moved (keep_moved=False)")
        return moved[:, self.model.flow(source, destination)]

    def to_pandas(self):
        """Occupancy as a DataFrame (time in years x state); needs pandas."""
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("to_pandas needs pandas: pip install 'carecast[pandas]'") from None
        return pd.DataFrame(self.result.occupancy, index=pd.Index(self.result.times, name="years"),
                            columns=self.model.states)
