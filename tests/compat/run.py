"""Run the tests that need an older stack in a virtual environment of their own.

Social Finance's cs-demand-model 0.5.1, the independent implementation the
SSDA903 cross-check compares against, pins numpy<2 and pandas<2, so it
cannot share the main test environment (NumPy 2).  This script builds a
second environment with NumPy 1.x, installs carecast and cs-demand-model
there, and runs the cross-check together with the engine tests - which also
shows that carecast builds and works with NumPy 1.x, as promised.

Usage (from the repository root; the README's test command runs it):

    python tests/compat/run.py [--keep DIR]

Exit status: pytest's.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import venv

REQUIREMENTS = ["numpy>=1.24,<2", "pandas>=1.5,<2", "cs-demand-model==0.5.1", "pytest>=7"]
TESTS = [
    "tests/test_ssda903_crosscheck.py",
    "tests/test_engine_agreement.py",
    "tests/test_engine_errors.py",
    "tests/test_engine_discount.py",
    "tests/test_simulate.py",
]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", help="build the environment in DIR and keep it")
    args = parser.parse_args(argv)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with tempfile.TemporaryDirectory() as scratch:
        env_dir = args.keep or os.path.join(scratch, "venv")
        if not os.path.exists(os.path.join(env_dir, "bin", "python")):
            venv.EnvBuilder(with_pip=True).create(env_dir)
        python = os.path.join(env_dir, "bin", "python")

        def run(*command):
            print("+", " ".join(command), flush=True)
            return subprocess.call(command, cwd=root)

        # cs-demand-model's dependency prpc-python pins setuptools<63 (it
        # needs pkg_resources), which still builds carecast (setuptools>=61).
        if run(python, "-m", "pip", "install", "--quiet", *REQUIREMENTS, "wheel") != 0:
            return 1
        # Build against the environment's NumPy 1.x, not an isolated NumPy 2.
        if run(python, "-m", "pip", "install", "--quiet", "--no-build-isolation", ".") != 0:
            return 1
        # The cross-check skips itself where cs-demand-model is missing; here
        # it must run.
        if run(python, "-c", "import numpy, pandas, cs_demand_model, carecast; "
                             "print('numpy', numpy.__version__, 'pandas', pandas.__version__)"):
            return 1
        return run(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", *TESTS)


if __name__ == "__main__":
    sys.exit(main())
