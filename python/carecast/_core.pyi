"""Type stubs for the private C binding carecast._core (use the carecast package)."""
from collections.abc import Callable, Sequence
from typing import overload

import numpy as np
from numpy.typing import ArrayLike

C_VERSION: str

class CarecastError(Exception): ...
class NotBracketedError(CarecastError): ...
class ConvergenceError(CarecastError): ...

def project(
    x0: ArrayLike,
    src: ArrayLike,
    dst: ArrayLike,
    value: ArrayLike,
    steps: int,
    dt: float,
    kind: str,
    inflow: ArrayLike | None = ...,
    advance: ArrayLike | None = ...,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]: ...
@overload
def project_batch(
    x0: ArrayLike,
    src: ArrayLike,
    dst: ArrayLike,
    value: ArrayLike,
    steps: int,
    dt: float,
    kind: str,
    replicates: int,
    inflow: ArrayLike | None = ...,
    advance: ArrayLike | None = ...,
    threads: int = ...,
    value_per_replicate: bool = ...,
    inflow_per_replicate: bool = ...,
    keep_moved: bool = ...,
    outputs: None = ...,
    flow_outputs: None = ...,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]: ...
@overload
def project_batch(
    x0: ArrayLike,
    src: ArrayLike,
    dst: ArrayLike,
    value: ArrayLike,
    steps: int,
    dt: float,
    kind: str,
    replicates: int,
    inflow: ArrayLike | None = ...,
    advance: ArrayLike | None = ...,
    threads: int = ...,
    value_per_replicate: bool = ...,
    inflow_per_replicate: bool = ...,
    keep_moved: bool = ...,
    outputs: tuple[ArrayLike, ArrayLike, ArrayLike] | None = ...,
    flow_outputs: tuple[ArrayLike, ArrayLike, ArrayLike] | None = ...,
) -> tuple[np.ndarray | None, np.ndarray | None]: ...
@overload
def simulate(
    x0: ArrayLike,
    src: ArrayLike,
    dst: ArrayLike,
    value: ArrayLike,
    steps: int,
    dt: float,
    kind: str,
    replicates: int,
    seed: int,
    inflow: ArrayLike | None = ...,
    advance: ArrayLike | None = ...,
    threads: int = ...,
    value_per_replicate: bool = ...,
    inflow_per_replicate: bool = ...,
    keep_moved: bool = ...,
    first_replicate: int = ...,
    outputs: None = ...,
    flow_outputs: None = ...,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]: ...
@overload
def simulate(
    x0: ArrayLike,
    src: ArrayLike,
    dst: ArrayLike,
    value: ArrayLike,
    steps: int,
    dt: float,
    kind: str,
    replicates: int,
    seed: int,
    inflow: ArrayLike | None = ...,
    advance: ArrayLike | None = ...,
    threads: int = ...,
    value_per_replicate: bool = ...,
    inflow_per_replicate: bool = ...,
    keep_moved: bool = ...,
    first_replicate: int = ...,
    outputs: tuple[ArrayLike, ArrayLike, ArrayLike] | None = ...,
    flow_outputs: tuple[ArrayLike, ArrayLike, ArrayLike] | None = ...,
) -> tuple[np.ndarray | None, np.ndarray | None]: ...
def accrue(
    occupancy: ArrayLike,
    moved: ArrayLike,
    arrivals: ArrayLike,
    dt: float,
    per_year: ArrayLike | None,
    per_flow: ArrayLike | None,
    per_arrival: ArrayLike | None,
    rule: str,
    weights: ArrayLike | None,
    price_index: ArrayLike | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]: ...
def discount_factors(
    times: ArrayLike, starts: Sequence[float], rates: Sequence[float]
) -> np.ndarray: ...
def step_discount_factors(
    steps: int, dt: float, timing: float, starts: Sequence[float], rates: Sequence[float]
) -> np.ndarray: ...
def present_value(
    values: ArrayLike, dt: float, timing: float, starts: Sequence[float], rates: Sequence[float]
) -> tuple[np.ndarray, np.ndarray]: ...
def price_index(
    steps: int, dt: float, timing: float, offset_years: float, annual_rate: float
) -> np.ndarray: ...
def payback(net: ArrayLike, dt: float) -> float: ...
def brent(
    f: Callable[[float], float], a: float, b: float, xtol: float, rtol: float, maxiter: int
) -> tuple[float, float, int]: ...
def philox4x64(
    counter: tuple[int, int, int, int], key: tuple[int, int]
) -> tuple[int, int, int, int]: ...
def strerror(code: int) -> str: ...
def version() -> int: ...
