"""Type stubs for the private C binding carecast._core (use the carecast package)."""
from typing import Callable, Optional, Sequence, Tuple

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
    inflow: Optional[ArrayLike] = ...,
    advance: Optional[ArrayLike] = ...,
    replicates: int = ...,
    threads: int = ...,
    seed: Optional[int] = ...,
    value_per_replicate: bool = ...,
    inflow_per_replicate: bool = ...,
    keep_moved: bool = ...,
    first_replicate: int = ...,
) -> Tuple[np.ndarray, Optional[np.ndarray], np.ndarray]: ...
def accrue(
    occupancy: ArrayLike,
    moved: ArrayLike,
    arrivals: ArrayLike,
    dt: float,
    per_year: Optional[ArrayLike],
    per_flow: Optional[ArrayLike],
    per_arrival: Optional[ArrayLike],
    rule: str,
    weights: Optional[ArrayLike],
    price_index: Optional[ArrayLike],
) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]: ...
def discount_factors(
    times: ArrayLike, starts: Sequence[float], rates: Sequence[float]
) -> np.ndarray: ...
def step_discount_factors(
    steps: int, dt: float, timing: float, starts: Sequence[float], rates: Sequence[float]
) -> np.ndarray: ...
def present_value(
    values: ArrayLike, dt: float, timing: float, starts: Sequence[float], rates: Sequence[float]
) -> Tuple[np.ndarray, np.ndarray]: ...
def price_index(
    steps: int, dt: float, timing: float, offset_years: float, annual_rate: float
) -> np.ndarray: ...
def payback(net: ArrayLike, dt: float) -> float: ...
def brent(
    f: Callable[[float], float], a: float, b: float, xtol: float, rtol: float, maxiter: int
) -> Tuple[float, float, int]: ...
def philox4x64(
    counter: Tuple[int, int, int, int], key: Tuple[int, int]
) -> Tuple[int, int, int, int]: ...
def strerror(code: int) -> str: ...
def version() -> int: ...
