"""Shared helpers for the engine tests.

The tests run against the installed package (``pip install .``); the pure
NumPy oracle ``reference_engine`` lives beside this file.
"""
import os
import sys

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)


def assert_close(actual, expected, *, rtol=1e-12, floor=1.0, what=""):
    """Assert |actual - expected| <= rtol * max(|expected|, floor) elementwise.

    ``floor`` is the absolute scale below which differences are judged
    against ``rtol * floor`` instead (values that cancel to near zero carry
    rounding of the size of the quantities they were computed from).
    """
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape, (
        f"{what}: shape {actual.shape} != expected {expected.shape}")
    bound = rtol * np.maximum(np.abs(expected), floor)
    diff = np.abs(actual - expected)
    bad = ~(diff <= bound)
    if np.any(bad):
        idx = tuple(int(i[0]) for i in np.nonzero(bad))
        raise AssertionError(
            f"{what}: {int(bad.sum())} element(s) differ beyond rtol={rtol} "
            f"(floor {floor:g}); first at {idx}: got {actual[idx]!r}, "
            f"expected {expected[idx]!r}")


@pytest.fixture
def rng():
    """A seeded generator, so every failure can be reproduced."""
    return np.random.default_rng(20261122)
