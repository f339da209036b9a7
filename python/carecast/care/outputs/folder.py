"""An output folder that never loses a user's file.

Rules (issue 8, "user files overwritten"):

* A folder is used if it does not exist (it is created, with its parents),
  is empty, or was written by carecast before (it holds the manifest
  :data:`MANIFEST`). A non-empty folder carecast did not write is refused
  unless ``overwrite=True``.
* An input (the scenario file run, say) is never overwritten: a folder that
  contains an input anywhere inside it is refused, even with ``overwrite``.
* Each file is written to a temporary file beside it and renamed over the old
  one only when complete, so a full disk or a permission problem leaves the
  old file whole, never half of a new one.
* In a folder carecast wrote before, files the old manifest lists that this
  run did not write again are removed at :meth:`OutputFolder.finish` (they
  belong to the earlier run and would mix two runs); files it does not list
  (the user's) are left alone.

Every operating-system problem is raised as :class:`OutputError`, whose
message names the path and the problem in one line.
"""

from __future__ import annotations

import errno
import logging
import os
import tempfile
from collections.abc import Iterable

__all__ = ["OutputFolder", "OutputError", "MANIFEST", "describe_os_error"]

#: The file that marks a folder as written by carecast and lists what it wrote.
MANIFEST = ".carecast-output"
_MANIFEST_HEAD = "# written by carecast; the files below are replaced or removed when carecast writes here again"

log = logging.getLogger("carecast.outputs")


class OutputError(Exception):
    """A file or folder could not be written or used; the message names the path and why."""

    def __init__(self, path: str | os.PathLike, problem: str):
        self.path = os.fspath(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


_PROBLEMS = {
    errno.ENOSPC: "the disk is full (no space left on the device)",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EROFS: "the file system is read-only",
    errno.ENOENT: "no such file or folder",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EISDIR: "is a folder, not a file",
    errno.EEXIST: "already exists",
    errno.ENAMETOOLONG: "the name is too long",
    errno.ELOOP: "too many levels of symbolic links",
    errno.EIO: "input/output error",
}


def describe_os_error(exc: OSError) -> str:
    """The problem an OSError reports, in plain words (without the path)."""
    if exc.errno in _PROBLEMS:
        return _PROBLEMS[exc.errno]
    return (exc.strerror or str(exc) or type(exc).__name__).rstrip(".").lower()


def _error(path: str, exc: OSError) -> OutputError:
    return OutputError(getattr(exc, "filename", None) or path, describe_os_error(exc))


def _mode(target: str) -> int:
    """The existing file's permissions, else 0666 less the umask (what ``open(path, "w")`` would give)."""
    try:
        return os.stat(target).st_mode & 0o777
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


class OutputFolder:
    """A folder to write a run's files into, safely.

    Parameters
    ----------
    path : str or os.PathLike
        The folder.
    overwrite : bool
        Use a non-empty folder that carecast did not write (its files of the
        same names are replaced; other files are left alone).
    inputs : iterable of paths
        Files read by the run; refused if inside the folder.

    Examples
    --------
    >>> import tempfile, os
    >>> where = os.path.join(tempfile.mkdtemp(), "out")
    >>> folder = OutputFolder(where)
    >>> path = folder.write_text("notes.txt", "hello\\n")
    >>> folder.finish()
    >>> sorted(os.listdir(where))
    ['.carecast-output', 'notes.txt']
    """

    def __init__(self, path: str | os.PathLike, *, overwrite: bool = False, inputs: Iterable[str | os.PathLike] = ()):
        self.path = os.fspath(path)
        self.overwrite = bool(overwrite)
        self.inputs = [os.fspath(p) for p in inputs]
        self.written: list[str] = []
        self._previous: list[str] = []
        self._prepare()

    # ------------------------------------------------------------ checks
    def _prepare(self) -> None:
        path = self.path
        if os.path.islink(path) and not os.path.exists(path):
            raise OutputError(path, f"is a symbolic link to {os.readlink(path)!r}, which does not exist")
        if os.path.exists(path) and not os.path.isdir(path):
            raise OutputError(path, "is a file, not a folder")
        real = os.path.realpath(path)
        for item in self.inputs:
            if not os.path.exists(item):
                continue
            inside = os.path.realpath(item)
            try:
                holds = os.path.commonpath([real, inside]) == real
            except ValueError:          # different drives (Windows)
                holds = False
            if holds:
                raise OutputError(path, f"holds the input {item}, which carecast never overwrites: "
                                        "write to another folder (-o)")
        if os.path.isdir(path):
            try:
                entries = os.listdir(path)
            except OSError as exc:
                raise _error(path, exc) from None
            if MANIFEST in entries:
                self._previous = self._read_manifest()
            elif entries and not self.overwrite:
                shown = ", ".join(sorted(entries)[:3]) + (", ..." if len(entries) > 3 else "")
                raise OutputError(path, f"already holds files carecast did not write ({shown}); "
                                        "choose another folder with -o, or pass --overwrite to write into it")
            if not os.access(path, os.W_OK | os.X_OK):
                raise OutputError(path, "permission denied (the folder is not writable)")
            fresh = not entries
        else:
            try:
                os.makedirs(path, exist_ok=True)
            except OSError as exc:
                raise _error(path, exc) from None
            fresh = True
        if fresh:
            # mark the folder as carecast's at once: a run stopped part-way (disk full, Ctrl-C) can then be
            # rerun into it without --overwrite; this also finds an unwritable folder before any work is done
            self.write_bytes(MANIFEST, (_MANIFEST_HEAD + "\n").encode("utf-8"))
            self.written.remove(MANIFEST)

    def _read_manifest(self) -> list[str]:
        try:
            with open(os.path.join(self.path, MANIFEST), encoding="utf-8") as fh:
                lines = [line.strip() for line in fh]
        except (OSError, UnicodeDecodeError):
            return []
        out = []
        for line in lines:
            if not line or line.startswith("#"):
                continue
            # only plain relative names inside the folder; a tampered manifest cannot reach outside it
            norm = os.path.normpath(line)
            if os.path.isabs(norm) or norm.startswith(".."):
                continue
            out.append(norm)
        return out

    # ------------------------------------------------------------ writing
    def file(self, relpath: str) -> str:
        """The full path of ``relpath`` inside the folder."""
        return os.path.join(self.path, relpath)

    def write_bytes(self, relpath: str, data: bytes) -> str:
        """Write ``data`` to ``relpath`` (created with its sub-folders) atomically; returns the path."""
        target = self.file(relpath)
        folder = os.path.dirname(target)
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError as exc:
            raise _error(folder, exc) from None
        write_atomically(target, data)
        norm = os.path.normpath(relpath)
        if norm not in self.written:
            self.written.append(norm)
        log.info("wrote %s", target)
        return target

    def write_text(self, relpath: str, text: str) -> str:
        """Write UTF-8 text (newlines as given) atomically; returns the path."""
        return self.write_bytes(relpath, text.encode("utf-8"))

    def finish(self) -> None:
        """Remove the earlier run's files not written again, and write the manifest."""
        for old in self._previous:
            if old in self.written:
                continue
            target = self.file(old)
            if os.path.isfile(target) and not os.path.islink(target):
                try:
                    os.unlink(target)
                    log.info("removed %s (from an earlier run)", target)
                except OSError as exc:
                    raise OutputError(target, describe_os_error(exc)) from None
                parent = os.path.dirname(target)
                while os.path.normpath(parent) != os.path.normpath(self.path):
                    try:
                        os.rmdir(parent)       # only if empty
                    except OSError:
                        break
                    parent = os.path.dirname(parent)
        text = "\n".join([_MANIFEST_HEAD, *sorted(self.written)]) + "\n"
        self.write_bytes(MANIFEST, text.encode("utf-8"))
        self.written.remove(MANIFEST)


def write_atomically(target: str, data: bytes) -> str:
    """Write ``data`` to ``target`` whole or not at all (a temporary file beside it, then renamed), so that a
    full disk or a crash never leaves half a file; OS problems become an :class:`OutputError` naming the path."""
    if os.path.isdir(target):
        raise OutputError(target, "is a folder, not a file")
    folder = os.path.dirname(target) or "."
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix="-" + os.path.basename(target), dir=folder)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, _mode(target))     # mkstemp makes 0600; give the file the mode a plain open() would
        os.replace(tmp, target)
        tmp = None
    except OSError as exc:
        problem = describe_os_error(exc)
        if exc.errno in (errno.EACCES, errno.EPERM) and os.path.exists(target):
            problem += " (is the file open in another program, such as Excel?)"
        raise OutputError(target, problem) from None
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
    return target
