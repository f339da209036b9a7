"""Run every test stage this machine can, say what was skipped and why, and end with one tally.

Usage (from the repository root; the README's test command)::

    python tests/run_all.py [--stage NAME ...] [--list] [-- PYTEST_ARGS...]

Stages, in order:

``c``          ``make -C csrc test``: the C library's own tests (needs make and a C compiler)
``c-asan``     ``make -C csrc asan``: under AddressSanitizer + UBSan (needs their runtime)
``c-valgrind`` ``make -C csrc valgrind`` (needs valgrind)
``c-tsan``     ``make -C csrc tsan``: under ThreadSanitizer (needs its runtime)
``pytest``     ``python -m pytest`` against the installed package
``compat``     ``python tests/compat/run.py``: NumPy 1.x and cs-demand-model in an environment of their
               own (needs network access to the package index), run in a copy of the sources so
               that its NumPy 1.x build never lands in this tree's ``build/``

A stage whose tool is missing is skipped, with the reason, before it starts:
the sanitizers are probed by compiling and running an empty program with
them, so a compiler without the runtime counts as missing. The skipped
stages (and the tests pytest skipped, with their reasons) are listed in one
line at the end, then one line tallies every stage.

With ``CI=true`` in the environment nothing may be skipped: a skipped stage,
or a pytest skip other than the expected ones (:data:`EXPECTED_PYTEST_SKIPS`:
the cross-check runs in ``compat``; permission tests cannot fail as root),
fails the run.

Exit status: 0 when every stage that ran passed (and, in CI, none was
skipped); 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

#: pytest skips that are expected everywhere, CI included (reason substrings), and why.
EXPECTED_PYTEST_SKIPS = {
    "cs_demand_model": "the cross-check needs numpy<2 and runs in the compat stage",
    "not enforced for root": "a read-only folder cannot be made as root; the same class is tested in process",
}


@dataclass
class Stage:
    name: str
    title: str
    command: list[str]
    status: str = "not run"        # passed, FAILED, skipped
    reason: str = ""
    seconds: float = 0.0
    detail: str = ""
    skips: list[tuple[str, str]] = field(default_factory=list)
    in_copy: bool = False           # run in a copy of the sources (paths under ROOT in the command follow)


def _probe_sanitizer(flag: str) -> str | None:
    """None if a program built with ``-fsanitize=flag`` compiles and runs here, else why not."""
    cc = os.environ.get("CC") or shutil.which("gcc") or shutil.which("cc") or shutil.which("clang")
    if not cc:
        return "no C compiler"
    with tempfile.TemporaryDirectory() as scratch:
        src, exe = os.path.join(scratch, "probe.c"), os.path.join(scratch, "probe")
        with open(src, "w") as fh:
            fh.write("int main(void) { return 0; }\n")
        built = subprocess.run([cc, f"-fsanitize={flag}", src, "-o", exe], capture_output=True, text=True)
        if built.returncode != 0:
            return f"{os.path.basename(cc)} cannot link -fsanitize={flag} (runtime not installed)"
        ran = subprocess.run([exe], capture_output=True, text=True)
        if ran.returncode != 0:
            first = (ran.stderr.strip().splitlines() or [f"exit status {ran.returncode}"])[0]
            return f"-fsanitize={flag} programs do not run here ({first[:80]})"
    return None


def _index_host() -> tuple[str, int]:
    url = os.environ.get("PIP_INDEX_URL")
    if not url:
        try:
            url = subprocess.run([sys.executable, "-m", "pip", "config", "get", "global.index-url"],
                                 capture_output=True, text=True, timeout=30).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            url = ""
    parsed = urllib.parse.urlparse(url or "https://pypi.org/simple")
    return parsed.hostname or "pypi.org", parsed.port or (443 if parsed.scheme != "http" else 80)


def _probe_network() -> str | None:
    url = os.environ.get("PIP_INDEX_URL", "")
    if url.startswith("file:"):
        path = urllib.parse.urlparse(url).path
        return None if os.path.isdir(path) else f"the package index {path} does not exist"
    host, port = _index_host()
    try:
        with socket.create_connection((host, port), timeout=5):
            return None
    except OSError as exc:
        return f"no network access to the package index {host}:{port} ({exc.strerror or exc})"


def _why_not(stage: Stage) -> str | None:
    if stage.name in ("c", "c-asan", "c-valgrind", "c-tsan"):
        if not shutil.which("make"):
            return "make is not installed"
        if not (os.environ.get("CC") or shutil.which("gcc") or shutil.which("cc") or shutil.which("clang")):
            return "no C compiler"
    if stage.name == "c-asan":
        return _probe_sanitizer("address,undefined")
    if stage.name == "c-tsan":
        return _probe_sanitizer("thread")
    if stage.name == "c-valgrind" and not shutil.which(os.environ.get("VALGRIND", "valgrind")):
        return "valgrind is not installed"
    if stage.name == "compat":
        return _probe_network()
    return None


def _stages(pytest_args: list[str], junit: str) -> list[Stage]:
    make = ["make", "-C", os.path.join(ROOT, "csrc")]
    return [
        Stage("c", "C library tests", make + ["test"]),
        Stage("c-asan", "C tests under AddressSanitizer + UBSan", make + ["asan"]),
        Stage("c-valgrind", "C tests under valgrind", make + ["valgrind"]),
        Stage("c-tsan", "C tests under ThreadSanitizer", make + ["tsan"]),
        Stage("pytest", "pytest", [sys.executable, "-m", "pytest", "-rs", f"--junitxml={junit}", *pytest_args]),
        Stage("compat", "NumPy 1.x and cs-demand-model (tests/compat/run.py)",
              [sys.executable, os.path.join(ROOT, "tests", "compat", "run.py")], in_copy=True),
    ]


def _source_copy(scratch: str) -> str:
    """A copy of the repository's sources (no build products, no .git) in ``scratch``; returns its root."""
    target = os.path.join(scratch, "sources")
    shutil.copytree(ROOT, target, ignore=shutil.ignore_patterns(
        ".git", "build", "dist", "*.egg-info", "__pycache__", "*.so", "*.pyd", "*.o", ".pytest_cache",
        "carecast-output", ".mypy_cache", ".ruff_cache"))
    return target


def _pytest_summary(junit: str) -> tuple[str, list[tuple[str, str]]]:
    """('N passed, M failed, K skipped', [(test, reason), ...]) from pytest's JUnit XML."""
    try:
        tree = ET.parse(junit)
    except (OSError, ET.ParseError):
        return "", []
    passed = failed = 0
    skips = []
    for case in tree.iter("testcase"):
        skipped = case.find("skipped")
        if skipped is not None:
            reason = (skipped.get("message") or "").strip()
            if reason == "collection skipped" and skipped.text:
                # a module skipped as a whole: the reason is in the text, "(file, line, 'Skipped: why')"
                found = re.search(r"Skipped: (.*?)['\"]\)?\s*$", skipped.text.strip())
                reason = found.group(1) if found else skipped.text.strip()
            skips.append((f"{case.get('classname', '')}.{case.get('name', '')}", reason))
        elif case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        else:
            passed += 1
    return f"{passed} passed, {failed} failed, {len(skips)} skipped", skips


def _expected(reason: str) -> bool:
    return any(key in reason for key in EXPECTED_PYTEST_SKIPS)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    pytest_args: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, pytest_args = argv[:cut], argv[cut + 1:]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", action="append", default=None, metavar="NAME",
                        help="run only these stages (repeatable): c, c-asan, c-valgrind, c-tsan, pytest, compat")
    parser.add_argument("--list", action="store_true", help="list the stages and whether each can run here")
    args = parser.parse_args(argv)
    ci = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")

    with tempfile.TemporaryDirectory() as scratch:
        junit = os.path.join(scratch, "pytest.xml")
        stages = _stages(pytest_args, junit)
        names = [s.name for s in stages]
        if args.stage:
            unknown = [n for n in args.stage if n not in names]
            if unknown:
                parser.error(f"no stage {unknown[0]!r}; stages are {', '.join(names)}")
            stages = [s for s in stages if s.name in args.stage]
        if args.list:
            for s in stages:
                why = _why_not(s)
                print(f"{s.name:<11} {s.title}: " + ("can run" if why is None else f"would be skipped: {why}"))
            return 0
        for s in stages:
            why = _why_not(s)
            if why is not None:
                s.status, s.reason = "skipped", why
                print(f"\n==> {s.title}: SKIPPED ({why})", flush=True)
                continue
            cwd = ROOT
            if s.in_copy:
                # build the NumPy 1.x extension in a copy of the sources: built in this tree, its build/
                # folder would be reused by the next `pip install .` and break NumPy 2 (seen in practice)
                cwd = _source_copy(scratch)
                s.command = [c.replace(ROOT, cwd) for c in s.command]
            print(f"\n==> {s.title}: {' '.join(s.command)}", flush=True)
            start = time.monotonic()
            rc = subprocess.call(s.command, cwd=cwd)
            s.seconds = time.monotonic() - start
            s.status = "passed" if rc == 0 else "FAILED"
            if rc != 0:
                s.detail = f"exit status {rc}"
            if s.name == "pytest":
                counts, s.skips = _pytest_summary(junit)
                s.detail = counts or s.detail

    skipped = [f"{s.name} ({s.reason})" for s in stages if s.status == "skipped"]
    test_skips = [(t, r) for s in stages for t, r in s.skips]
    unexpected = [(t, r) for t, r in test_skips if not _expected(r)]
    parts = list(skipped)
    if test_skips:
        reasons: dict[str, int] = {}
        for _, r in test_skips:
            reasons[r] = reasons.get(r, 0) + 1
        parts.append(f"{len(test_skips)} pytest test(s): " + "; ".join(
            f"{n} x {r}" if n > 1 else r for r, n in reasons.items()))
    print("\n" + ("Skipped: " + ", ".join(parts) if parts else "Skipped: nothing"))
    def told(s: Stage) -> str:
        if s.status == "skipped":
            return f"{s.name} skipped"
        return f"{s.name} {s.status} (" + (f"{s.detail}, " if s.detail else "") + f"{s.seconds:.0f} s)"
    tally = "; ".join(told(s) for s in stages)
    failed = [s for s in stages if s.status == "FAILED"]
    ok = not failed
    verdict = "PASSED" if ok else "FAILED"
    if ci and (skipped or unexpected):
        ok, verdict = False, "FAILED (CI=true: nothing may be skipped)"
        if unexpected:
            print("CI: unexpected pytest skips: " + "; ".join(f"{t}: {r}" for t, r in unexpected))
    n_pass = sum(s.status == "passed" for s in stages)
    print(f"Tally: {tally}")
    print(f"Overall: {verdict}: {n_pass} of {len(stages)} stages passed, {len(failed)} failed, "
          f"{len(skipped)} skipped")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
