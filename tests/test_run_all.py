"""tests/run_all.py: skips what cannot run with the reason, tallies every stage, and fails in CI on a skip."""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run_all  # noqa: E402


def fake_stages(pytest_args, junit):
    ok = [sys.executable, "-c", "raise SystemExit(0)"]
    bad = [sys.executable, "-c", "raise SystemExit(3)"]
    return [run_all.Stage("c", "C library tests", ok), run_all.Stage("c-valgrind", "valgrind", ok),
            run_all.Stage("compat", "compat", bad)]


@pytest.fixture
def fake(monkeypatch):
    monkeypatch.setattr(run_all, "_stages", fake_stages)
    monkeypatch.setattr(run_all, "_why_not", lambda s: "valgrind is not installed" if s.name == "c-valgrind" else None)


def test_skip_is_said_in_one_line_and_every_stage_is_tallied(fake, monkeypatch, capsys):
    monkeypatch.delenv("CI", raising=False)
    assert run_all.main(["--stage", "c", "--stage", "c-valgrind"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "Skipped: c-valgrind (valgrind is not installed)" in out
    assert [line for line in out if line.startswith("Tally:")] == ["Tally: c passed (0 s); c-valgrind skipped"]
    assert out[-1] == "Overall: PASSED: 1 of 2 stages passed, 0 failed, 1 skipped"


def test_ci_fails_on_a_skip_and_a_failure_fails_everywhere(fake, monkeypatch, capsys):
    monkeypatch.setenv("CI", "true")
    assert run_all.main(["--stage", "c", "--stage", "c-valgrind"]) == 1
    assert "FAILED (CI=true: nothing may be skipped)" in capsys.readouterr().out
    monkeypatch.delenv("CI")
    assert run_all.main([]) == 1
    out = capsys.readouterr().out
    assert "compat FAILED (exit status 3, 0 s)" in out and "1 failed" in out


def test_pytest_skips_are_read_and_expected_ones_allowed(tmp_path):
    junit = tmp_path / "j.xml"
    junit.write_text('<?xml version="1.0"?><testsuites><testsuite>'
                     '<testcase classname="tests.test_a" name="test_ok"/>'
                     '<testcase classname="" name="tests.test_x"><skipped message="collection skipped">'
                     "('/x/tests/test_x.py', 17, \"Skipped: could not import 'cs_demand_model': No module named "
                     "'cs_demand_model'\")</skipped></testcase>"
                     '<testcase classname="tests.test_b" name="test_y"><skipped message="headless Chromium is '
                     'not installed"/></testcase>'
                     '<testcase classname="tests.test_b" name="test_z"><failure message="boom"/></testcase>'
                     "</testsuite></testsuites>")
    counts, skips = run_all._pytest_summary(str(junit))
    assert counts == "1 passed, 1 failed, 2 skipped"
    assert [run_all._expected(r) for _, r in skips] == [True, False]
    assert skips[0][1] == "could not import 'cs_demand_model': No module named 'cs_demand_model'"


def test_list_and_unknown_stage(capsys):
    assert run_all.main(["--list", "--stage", "pytest"]) == 0
    assert "pytest" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        run_all.main(["--stage", "nope"])


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_readme_has_two_set_up_commands_and_ci_runs_the_second():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as fh:
        readme = fh.read()
    setup = readme.split("## Set up", 1)[1].split("\n## ", 1)[0]
    import re
    commands = [block.strip() for block in re.findall(r"```sh\n(.*?)```", setup, re.S)]
    assert commands == ['pip install ".[report]" && carecast run', 'pip install ".[test]" && python tests/run_all.py']
    with open(os.path.join(ROOT, ".ci", "run"), encoding="utf-8") as fh:
        ci = [line for line in fh.read().splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert commands[1] in [line.replace("python -m pip", "pip") for line in ci]   # verbatim, on a line of its own
    try:
        import tomllib
    except ImportError:          # Python 3.10
        import tomli as tomllib
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as fh:
        extras = tomllib.load(fh)["project"]["optional-dependencies"]
    assert {r.split(">")[0] for r in extras["report"]} == {"matplotlib", "openpyxl"}


def test_probes_name_what_is_missing(monkeypatch, tmp_path):
    fake_cc = tmp_path / "cc"
    fake_cc.write_text("#!/bin/sh\necho 'cannot find -lasan' >&2\nexit 1\n")
    fake_cc.chmod(0o755)
    monkeypatch.setenv("CC", str(fake_cc))
    assert "runtime not installed" in run_all._probe_sanitizer("address,undefined")
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")      # the discard port: nothing listens
    assert "no network access to the package index 127.0.0.1:9" in run_all._probe_network()
    monkeypatch.setenv("PIP_INDEX_URL", (tmp_path / "nowhere").as_uri())
    assert "does not exist" in run_all._probe_network()
    monkeypatch.setenv("VALGRIND", "no-such-valgrind")
    assert run_all._why_not(run_all.Stage("c-valgrind", "", [])) == "valgrind is not installed"


def test_compat_runs_in_a_copy_of_the_sources(monkeypatch, capsys):
    # a NumPy 1.x build inside this tree's build/ would be picked up by the next `pip install .`
    monkeypatch.setenv("RUN_ALL_TREE", run_all.ROOT)         # passed outside the command, which is rewritten
    check = ("import os, sys; here, tree = os.path.realpath(os.getcwd()), os.path.realpath(os.environ['RUN_ALL_TREE']); "
             "sys.exit(0 if here != tree and os.path.isfile(os.path.join('tests', 'run_all.py')) "
             "and not os.path.exists('build') else 4)")
    stage = run_all.Stage("compat", "compat", [sys.executable, "-c", check], in_copy=True)
    monkeypatch.setattr(run_all, "_stages", lambda pytest_args, junit: [stage])
    monkeypatch.setattr(run_all, "_why_not", lambda s: None)
    assert run_all.main([]) == 0, capsys.readouterr().out
    stage.in_copy, stage.status = False, "not run"
    assert run_all.main([]) == 1                              # the same check fails in the tree itself
