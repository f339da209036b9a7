"""Build the carecast._core extension from the C library sources in csrc/.

The C library in csrc/ stands alone (it has its own Makefile and tests); the
extension compiles the same sources together with the binding in pyext/.

Compiler flags: the optimisation level is left to the toolchain (Python's
own build flags, or CFLAGS); only the language standard, threads and the
project's warning set are added: that of csrc/Makefile (-Wall -Wextra
-Wshadow -Wconversion -Wdouble-promotion -Wstrict-prototypes
-Wmissing-prototypes) without -pedantic, because NumPy's C-API table and
CPython's module slots convert between object and function pointers, which
ISO C does not allow and -pedantic reports in their headers.  The binding
and the library compile without a warning under gcc and clang; nothing is
made an error here (a user's newer compiler may warn about Python's or
NumPy's headers): CI builds with CFLAGS=-Werror.
"""
import glob
import os
import shutil
import sys
import tempfile

import numpy
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

try:
    from setuptools.errors import CCompilerError
    from setuptools.errors import ExecError as DistutilsExecError
    from setuptools.errors import PlatformError as DistutilsPlatformError
except ImportError:  # setuptools < 59
    from distutils.errors import CCompilerError, DistutilsExecError, DistutilsPlatformError

HERE = os.path.dirname(os.path.abspath(__file__))

NO_COMPILER = """
carecast could not be built from source: {reason}

carecast's engine is written in C, so installing it from source needs a C
compiler.  Either install one and retry
  - Debian/Ubuntu:  apt-get install gcc python3-dev
  - Fedora/RHEL:    dnf install gcc python3-devel
  - macOS:          xcode-select --install
  - Windows:        "Build Tools for Visual Studio" (C++ workload)
or install a binary wheel (pip install --only-binary=:all: carecast).
"""


def rel(*parts):
    return os.path.join(*parts)


class BuildExt(build_ext):
    """build_ext that says plainly when there is no working C compiler.

    Before compiling, the compiler's executable is looked up; after a
    compile error, a trivial C file is compiled to tell "no working compiler"
    (the message below) from an error in carecast's own sources (re-raised).
    """

    def build_extension(self, ext):
        command = getattr(self.compiler, "compiler_so", None) or getattr(self.compiler, "cc", None)
        exe = command[0] if isinstance(command, list) and command else command
        if isinstance(exe, str) and shutil.which(exe) is None:
            raise SystemExit(NO_COMPILER.format(reason=f"the C compiler {exe!r} was not found"))
        try:
            super().build_extension(ext)
        except (CCompilerError, DistutilsExecError, DistutilsPlatformError, OSError) as exc:
            if not self._compiler_works():
                raise SystemExit(NO_COMPILER.format(reason=exc)) from exc
            raise

    def _compiler_works(self) -> bool:
        with tempfile.TemporaryDirectory() as tmp:
            source = os.path.join(tmp, "probe.c")
            with open(source, "w") as handle:
                handle.write("int main(void) { return 0; }\n")
            try:
                self.compiler.compile([source], output_dir=tmp)
            except Exception:
                return False
        return True


c_sources = sorted(glob.glob(rel("csrc", "src", "*.c")))
extra_compile_args = []
extra_link_args = []
libraries = []
if sys.platform != "win32":
    extra_compile_args = [
        "-std=c11", "-pthread",
        "-Wall", "-Wextra", "-Wshadow", "-Wconversion", "-Wdouble-promotion",
        "-Wstrict-prototypes", "-Wmissing-prototypes",
    ]
    libraries = ["m"]
    extra_link_args = ["-pthread"]

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

setup(ext_modules=[core], cmdclass={"build_ext": BuildExt})
