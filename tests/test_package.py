"""The package as a whole: a light import, every docstring example, the README's code,
the top-level names, and one version everywhere."""
from __future__ import annotations

import doctest
import importlib
import pathlib
import pkgutil
import re
import subprocess
import sys

import numpy as np
import pytest

import carecast

ROOT = pathlib.Path(__file__).resolve().parent.parent
MODULES = sorted(m.name for m in pkgutil.walk_packages(carecast.__path__, "carecast.")
                 if m.name != "carecast.__main__")


def test_import_is_light():
    code = ("import sys, carecast; "
            "print(sorted(m for m in ('pandas', 'matplotlib', 'carecast.care', 'carecast.ssda903') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("name", ["carecast"] + MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    with np.printoptions(legacy=False):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
                                 verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"


def test_readme_python_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S)
    assert blocks, "the README has a Python tour"
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)


def test_every_top_level_name_resolves():
    for name in carecast.__all__ + ["care", "ssda903",
                                    "cluster"]:
        assert getattr(carecast, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        _ = carecast.nonsense


def test_one_version_everywhere():
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    declared = re.search(r'^version = "([^"]+)"', pyproject, re.M).group(1)
    assert carecast.__version__ == declared == carecast._core.C_VERSION
    major, minor, patch = (int(x) for x in declared.split("."))
    assert carecast._core.version() == major * 10000 + minor * 100 + patch
