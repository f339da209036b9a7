"""The command line never loses a file, and reports every OS problem in one line (issue 8).

Classes of problem, each with a test: a folder carecast did not write, an
input inside the output folder, a rerun into carecast's own folder, an output
path that is a file, under a file, a dangling symbolic link, a read-only
folder, a full disk, a huge run, bad option values.
"""

import errno
import os
import subprocess
import sys
import tempfile

import pytest

from carecast import __version__
from carecast.care.outputs import MANIFEST, OutputError, OutputFolder
from council_files import MINIMAL  # tests/ is on sys.path via conftest


def carecast(*args, cwd):
    return subprocess.run([sys.executable, "-m", "carecast", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def one_line_error(done, *needles):
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


FAST = ("--years", "1", "--step", "quarter", "--no-charts", "--no-html")


def test_version(tmp_path):
    done = carecast("--version", cwd=tmp_path)
    assert done.returncode == 0 and done.stdout.strip() == f"carecast {__version__}"


def test_refuses_a_folder_carecast_did_not_write_unless_overwrite(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("my notes")
    (out / "children.csv").write_text("my own table")
    done = carecast("run", "england", *FAST, "-o", str(out), cwd=tmp_path)
    one_line_error(done, str(out), "carecast did not write", "--overwrite")
    assert (out / "children.csv").read_text() == "my own table"
    done = carecast("run", "england", *FAST, "-o", str(out), "--overwrite", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (out / "notes.txt").read_text() == "my notes"          # not ours: left alone
    assert (out / "children.csv").read_text().startswith("date,age_band")


def test_never_overwrites_the_input_even_with_overwrite(tmp_path):
    text = "# my council, with my comments\n" + MINIMAL
    (tmp_path / "scenario.toml").write_text(text)
    for extra in ((), ("--overwrite",)):
        done = carecast("run", "scenario.toml", *FAST, "-o", ".", *extra, cwd=tmp_path)
        one_line_error(done, "scenario.toml", "never overwrites")
        assert (tmp_path / "scenario.toml").read_text() == text
    # an input anywhere inside the folder counts
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "council.toml").write_text(text)
    done = carecast("run", "sub/council.toml", *FAST, "-o", ".", "--overwrite", cwd=tmp_path)
    one_line_error(done, "never overwrites")
    done = carecast("report", "scenario.toml", "--years", "1", "-o", "scenario.toml", "--overwrite", cwd=tmp_path)
    one_line_error(done, "input file")
    assert (tmp_path / "scenario.toml").read_text() == text


def test_rerun_into_its_own_folder_replaces_its_files_and_keeps_the_users(tmp_path):
    (tmp_path / "council.toml").write_text(MINIMAL)
    done = carecast("run", "council.toml", *FAST, "-o", "out", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    out = tmp_path / "out"
    assert (out / MANIFEST).exists() and (out / "cheaper_homes" / "comparison.csv").exists()
    (out / "my_notes.txt").write_text("keep me")
    done = carecast("run", "council.toml", *FAST, "-o", "out", "--scenario", "fewer_entries", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (out / "my_notes.txt").read_text() == "keep me"
    assert not (out / "cheaper_homes").exists()            # the earlier run's scenario: removed, not mixed in
    assert (out / "fewer_entries" / "comparison.csv").exists()
    assert "cheaper_homes" not in (out / "scenarios.csv").read_text()


def test_output_path_is_a_file(tmp_path):
    (tmp_path / "taken").write_text("a file")
    done = carecast("run", "england", *FAST, "-o", "taken", cwd=tmp_path)
    one_line_error(done, "taken", "is a file, not a folder")
    assert (tmp_path / "taken").read_text() == "a file"
    done = carecast("run", "england", *FAST, "-o", "taken/out", cwd=tmp_path)
    one_line_error(done, "taken", "is a file, not a folder")


def test_output_path_is_a_dangling_symlink(tmp_path):
    if not hasattr(os, "symlink"):
        pytest.skip("no symbolic links on this platform")
    os.symlink(tmp_path / "gone", tmp_path / "link")
    done = carecast("run", "england", *FAST, "-o", "link", cwd=tmp_path)
    one_line_error(done, "link", "symbolic link", "does not exist")
    os.symlink(tmp_path / "gone.toml", tmp_path / "model.toml")
    done = carecast("run", "model.toml", *FAST, cwd=tmp_path)
    one_line_error(done, "model.toml", "symbolic link")


def test_input_is_a_folder_or_not_text(tmp_path):
    (tmp_path / "dir.toml").mkdir()
    one_line_error(carecast("run", "dir.toml", *FAST, cwd=tmp_path), "dir.toml", "is a folder")
    (tmp_path / "binary.toml").write_bytes(b"\xff\xfe\x00garbage")
    one_line_error(carecast("run", "binary.toml", *FAST, cwd=tmp_path), "binary.toml")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="permissions are not enforced for root (or outside POSIX), so a read-only folder "
                           "cannot be made here")
def test_read_only_folder(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        done = carecast("run", "england", *FAST, "-o", "ro/out", cwd=tmp_path)
        one_line_error(done, "ro", "permission denied")
    finally:
        ro.chmod(0o700)


def test_read_only_folder_in_process(tmp_path, monkeypatch):
    """The same class of problem, made by the operating system's answer rather than by permissions (runs as root)."""
    def refuse(path, *args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(path))
    monkeypatch.setattr("carecast.care.outputs.folder.os.makedirs", refuse)
    with pytest.raises(OutputError, match="permission denied"):
        OutputFolder(tmp_path / "new")


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux) to fill the disk")
def test_disk_full_keeps_the_old_file_whole(tmp_path, monkeypatch, capsys):
    from carecast.cli import main
    assert main(["run", "england", *FAST, "-o", str(tmp_path / "out")]) == 0
    before = (tmp_path / "out" / "costs.csv").read_bytes()
    capsys.readouterr()
    real_mkstemp = tempfile.mkstemp

    def full_disk(*args, **kwargs):
        fd, path = real_mkstemp(*args, **kwargs)
        os.close(fd)
        return os.open("/dev/full", os.O_WRONLY), path      # every write now fails with ENOSPC, from the kernel
    monkeypatch.setattr("carecast.care.outputs.folder.tempfile.mkstemp", full_disk)
    status = main(["run", "england", *FAST, "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert status == 2
    assert "disk is full" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert (tmp_path / "out" / "costs.csv").read_bytes() == before
    assert not [f for f in os.listdir(tmp_path / "out") if f.startswith(".tmp-")]   # no half-written leftovers


def test_huge_runs_are_refused_before_they_start(tmp_path):
    done = carecast("run", "england", "--draws", "100001", cwd=tmp_path)
    one_line_error(done, "--draws", "refused before starting")
    assert not (tmp_path / "carecast-output").exists()
    done = carecast("run", "england", "--years", "1e9", cwd=tmp_path)
    assert done.returncode == 2 and "--years" in done.stderr and "Traceback" not in done.stderr
    done = carecast("run", "england", "--years", "nan", cwd=tmp_path)
    assert done.returncode == 2 and "--years" in done.stderr
    done = carecast("run", "england", "--draws", "1", cwd=tmp_path)
    assert done.returncode == 2 and "--draws" in done.stderr
    done = carecast("run", "england", "--name", " ", cwd=tmp_path)
    assert done.returncode == 2 and "--name" in done.stderr


def test_xlsx_without_openpyxl_says_what_to_install(tmp_path):
    blocker = tmp_path / "block" / "openpyxl"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('openpyxl blocked for this test')\n")
    env = dict(os.environ, PYTHONPATH=str(tmp_path / "block") + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run([sys.executable, "-m", "carecast", "run", "england", "--xlsx", *FAST], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 2 and "carecast[report]" in done.stderr and "Traceback" not in done.stderr


def test_name_replaces_the_title_and_calibrated_models_are_not_named_by_path(tmp_path):
    from carecast.ssda903 import sample_returns_path
    done = carecast("ssda903", "calibrate", str(sample_returns_path()), "--from", "2018-03-31", "--to",
                    "2020-03-31", "-o", "model.toml", "--age-bands", "0,5,10,16", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "model.toml").read_text(encoding="utf-8")
    name_line = [line for line in text.splitlines() if line.startswith("name")][0]
    assert os.sep not in name_line and "ssda903_sample" in name_line
    done = carecast("run", "model.toml", *FAST, "-o", "a", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert str(sample_returns_path()) not in (tmp_path / "a" / "summary.txt").read_text(encoding="utf-8")
    done = carecast("run", "model.toml", "--years", "1", "--step", "quarter", "-o", "b", "--name", "Anyshire",
                    cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "carecast: Anyshire (baseline)" in done.stdout
    page = (tmp_path / "b" / "report.html").read_text(encoding="utf-8")
    assert "<title>Anyshire:" in page and "SSDA903" not in page.split("<title>")[1].split("</title>")[0]
    done = carecast("ssda903", "calibrate", str(sample_returns_path()), "--from", "2018-03-31", "--to",
                    "2020-03-31", "-o", "named.toml", "--age-bands", "0,5,10,16", "--name", "Sampleshire",
                    cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert 'name = "Sampleshire"' in (tmp_path / "named.toml").read_text(encoding="utf-8")


def test_progress_is_logged_with_verbose(tmp_path):
    done = carecast("run", "england", *FAST, "-v", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "carecast: baseline done" in done.stderr and "carecast: wrote " in done.stderr
    quiet = carecast("run", "england", *FAST, "-o", "q", cwd=tmp_path)
    assert "baseline done" not in quiet.stderr


def test_backtest_refuses_huge_draws(tmp_path):
    from carecast.ssda903 import sample_returns_path
    done = carecast("ssda903", "backtest", str(sample_returns_path()), "--draws", "1000000000", cwd=tmp_path)
    assert done.returncode == 2 and "--draws" in done.stderr and "Traceback" not in done.stderr
    done = carecast("ssda903", "backtest", str(sample_returns_path()), "--draws", "-5", cwd=tmp_path)
    assert done.returncode == 2 and "--draws" in done.stderr


def test_a_file_that_cannot_be_replaced_is_named(tmp_path, monkeypatch):
    folder = OutputFolder(tmp_path / "out")
    folder.write_text("costs.csv", "old")

    def locked(src, dst):
        raise PermissionError(errno.EACCES, "Permission denied", dst)
    monkeypatch.setattr("carecast.care.outputs.folder.os.replace", locked)
    with pytest.raises(OutputError, match=r"costs.csv: permission denied \(is the file open in another program"):
        folder.write_text("costs.csv", "new")
    assert (tmp_path / "out" / "costs.csv").read_text() == "old"
    assert sorted(os.listdir(tmp_path / "out")) == [MANIFEST, "costs.csv"]     # no temporary file left behind


def test_a_run_stopped_part_way_can_be_rerun_into_its_folder(tmp_path, monkeypatch):
    folder = OutputFolder(tmp_path / "out")
    folder.write_text("children.csv", "part of a run")       # ... then the run stops: no finish()
    again = OutputFolder(tmp_path / "out")                   # not refused: carecast marked it at once
    again.write_text("children.csv", "whole")
    again.finish()
    assert (tmp_path / "out" / "children.csv").read_text() == "whole"


def test_a_model_the_run_refuses_is_one_line(tmp_path, monkeypatch, capsys):
    from carecast.cli import main

    def refuse(*args, **kwargs):
        raise ValueError("scenario 'x': entries_per_year scaled below zero")
    monkeypatch.setattr("carecast.care.outputs.build_report", refuse)
    assert main(["run", "england", *FAST, "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "carecast: error: england: cannot run it: scenario 'x': entries_per_year scaled below zero"
