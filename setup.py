"""Build the carecast._core extension from the C library sources in csrc/.

The C library in csrc/ stands alone (it has its own Makefile and tests); the
extension compiles the same sources together with the binding in pyext/.
"""
import glob
import os
import sys

import numpy
from setuptools import Extension, setup

HERE = os.path.dirname(os.path.abspath(__file__))


def rel(*parts):
    return os.path.join(*parts)


c_sources = sorted(glob.glob(rel("csrc", "src", "*.c")))
extra_compile_args = []
extra_link_args = []
libraries = []
if sys.platform != "win32":
    extra_compile_args = ["-std=c11", "-O2", "-Wall", "-Wextra"]
    libraries = ["m"]
    extra_link_args = ["-pthread"]
    extra_compile_args.append("-pthread")

core = Extension(
    "carecast._core",
    sources=[rel("pyext", "coremodule.c"), rel("pyext", "buffer_cache.c")] + c_sources,
    include_dirs=[rel("csrc", "include"), rel("csrc", "src"), "pyext", numpy.get_include()],
    # NumPy >= 1.22's C API (the memory-handler functions of pyext/buffer_cache.c);
    # without a target, NumPy 1.25+ headers hide them when building against 1.x.
    define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION"),
                   ("NPY_TARGET_VERSION", "NPY_1_22_API_VERSION")],
    extra_compile_args=extra_compile_args,
    extra_link_args=extra_link_args,
    libraries=libraries,
)

setup(ext_modules=[core])
