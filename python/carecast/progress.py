"""A quiet progress bar: drawn on stderr only once a task has taken more than a second.

Short runs print nothing; long ones show which stage they are on. On a
terminal the bar redraws in place; elsewhere (a log file, a pipe) each update
past the delay is one plain line, so logs stay readable.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

__all__ = ["Progress", "progress_bar"]


class Progress:
    """Count ``total`` units of work, drawing a bar once ``delay`` seconds have passed.

    Parameters
    ----------
    total : int
        Units of work.
    label : str
        What is being done.
    stream : file, optional
        Where to draw (default ``sys.stderr``).
    delay : float
        Seconds before anything is drawn.
    enabled : bool
        ``False`` draws nothing.

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> with Progress(3, "runs", stream=out) as bar:
    ...     for _ in range(3):
    ...         bar.advance()
    >>> out.getvalue()          # fast work: nothing drawn
    ''
    """

    def __init__(self, total: int, label: str = "", *, stream: TextIO | None = None, delay: float = 1.0,
                 enabled: bool = True, clock=time.monotonic):
        if isinstance(total, bool) or not isinstance(total, int) or total < 0:
            raise ValueError(f"total must be a non-negative integer, got {total!r}")
        if delay < 0:
            raise ValueError(f"delay must be >= 0, got {delay!r}")
        self.total, self.label, self.delay, self.enabled = total, label, float(delay), enabled
        self.stream = stream if stream is not None else sys.stderr
        self.done = 0
        self._clock = clock
        self._start = clock()
        self._drawn = False
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def advance(self, n: int = 1, what: str = "") -> None:
        """Record ``n`` more units done; ``what`` names the next stage."""
        self.done = min(self.total, self.done + n)
        self._draw(what)

    def _draw(self, what: str) -> None:
        if not self.enabled or self._clock() - self._start < self.delay:
            return
        width = 24
        filled = int(round(width * self.done / self.total)) if self.total else width
        bar = "#" * filled + "." * (width - filled)
        text = f"{self.label} [{bar}] {self.done}/{self.total}" + (f" {what}" if what else "")
        if self._tty:
            self.stream.write("\r" + text.ljust(79)[:200])
        else:
            self.stream.write(text + "\n")
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        """Finish the line if anything was drawn."""
        if self._drawn and self._tty:
            self.stream.write("\n")
            self.stream.flush()
        self._drawn = False


class _TqdmBar:
    """:class:`carecast.progress.Progress`'s interface over a ``tqdm`` bar."""

    def __init__(self, bar: Any):
        self.bar = bar

    def __enter__(self) -> _TqdmBar:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.bar.close()

    def advance(self, n: int = 1, what: str = "") -> None:
        self.bar.update(n)


def progress_bar(total: int, label: str, *, enabled: bool = True, delay: float = 2.0) -> Any:
    """A progress bar shown once work has run ``delay`` seconds: tqdm's when installed, else
    :class:`carecast.progress.Progress` (both on stderr; ``enabled=False`` shows nothing)."""
    if enabled:
        try:
            from tqdm.auto import tqdm
        except ImportError:
            pass
        else:
            return _TqdmBar(tqdm(total=total, desc=label, delay=delay, leave=False))
    return Progress(total, label, enabled=enabled, delay=delay)
