"""Progress of a comparison or a sweep, on stderr: which run, i of N, and how long so far.

Shown when stderr is a terminal, or always with ``--progress``; never on stdout, so
``--json`` stays clean. On a terminal a live bar (drawn by rich) is redrawn in place,
with the running seconds of the current run, and every finished run leaves one line;
elsewhere each run writes a plain line when it starts and one when it ends::

    [3/12] julia numba_cpu size 200 ...
    [3/12] julia numba_cpu size 200: ok, median 8.03 ms (1.9 s)

The measurement loop (:func:`accel.loop.measure`) tells a :class:`Progress` when each
run starts and ends.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from .record import RunRecord
from .units import seconds

BAR_WIDTH = 24
TICK_S = 0.5
#: The live bar drawing on stderr now, if any (see :func:`live_console`).
_live: Any = None


def wanted(always: bool = False, stream: TextIO | None = None) -> bool:
    """Whether to show progress: asked for (``--progress``), or someone is watching:
    stderr is a terminal, or a notebook cell (Jupyter shows a cell's stderr as it comes)."""
    stream = stream or sys.stderr
    return always or bool(getattr(stream, "isatty", lambda: False)()) or in_notebook(stream)


def live_console() -> Any:
    """The rich console of the live bar drawing on stderr now, or None: a line printed
    through it goes above the bar instead of into it."""
    return None if _live is None else _live.console


def in_notebook(stream: TextIO | None = None) -> bool:
    """Whether ``stream`` (default stderr) is a Jupyter kernel's output stream."""
    stream = stream or sys.stderr
    return "ipykernel" in sys.modules and type(stream).__module__.startswith("ipykernel")


class Progress:
    """Reports runs 1..N of a comparison or sweep to ``stream`` (default stderr).

    On a terminal, rich draws the bar (redrawn in place, below the finished runs'
    lines, and gone when the plan ends); elsewhere every line is plain text.
    """

    def __init__(self, total: int, *, enabled: bool, stream: TextIO | None = None) -> None:
        self.total = total
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.live = enabled and bool(getattr(self.stream, "isatty", lambda: False)())
        self.done = 0
        self._what = ""
        self._started = 0.0
        self._bar: Any = None  # a rich.progress.Progress while the plan runs on a terminal
        self._task: Any = None

    def start(self, kernel: str, backend: str, size: int) -> None:
        """A run begins: say which, and (on a terminal) keep its seconds ticking."""
        if not self.enabled:
            return
        self._what = f"[{self.done + 1}/{self.total}] {kernel} {backend} size {size}"
        self._started = time.monotonic()
        if not self.live:
            self._write(f"{self._what} ...\n")
            return
        if self._bar is None:
            self._bar = _live_bar(self.stream)
            self._task = self._bar.add_task(
                self._what, total=self.total or None, since=self._started
            )
            self._bar.start()
            global _live
            _live = self._bar
        else:
            self._bar.update(
                self._task, description=self._what, completed=self.done, since=self._started
            )

    def finish(self, record: RunRecord) -> None:
        """The run ended: one permanent line with its status and median."""
        self.done += 1
        if not self.enabled:
            return
        took = time.monotonic() - self._started
        outcome = record.status
        if record.median_s is not None:
            outcome += f", median {seconds(record.median_s)}"
        elif record.reason:
            outcome += f": {record.reason[:80]}"
        line = f"{self._what}: {outcome} ({seconds(took)})"
        self._what = ""
        if self._bar is None:
            self._write(line + "\n")
            return
        self._bar.console.print(line, markup=False, highlight=False, soft_wrap=True)
        self._bar.update(self._task, completed=self.done)

    def close(self) -> None:
        """Take the bar away and leave the terminal clean (also after Ctrl-C)."""
        if self._bar is None:
            return
        if self._what:  # interrupted mid-run: say where
            self._bar.console.print(
                f"{self._what}: interrupted", markup=False, highlight=False, soft_wrap=True
            )
            self._what = ""
        self._bar.stop()
        self._bar = None
        global _live
        _live = None

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()


def _live_bar(stream: TextIO) -> Any:
    """rich's live progress bar on ``stream``: the bar, which run, its running seconds."""
    from rich.console import Console
    from rich.progress import BarColumn, ProgressColumn, TextColumn
    from rich.progress import Progress as Bar
    from rich.text import Text

    class RunSeconds(ProgressColumn):
        """Seconds since the current run started (the ``since`` field), not since the plan."""

        def render(self, task: Any) -> Text:
            since = task.fields.get("since")
            return Text("" if since is None else f"{time.monotonic() - since:.1f} s")

    return Bar(
        BarColumn(bar_width=BAR_WIDTH),
        TextColumn("{task.description} ...", markup=False),
        RunSeconds(),
        console=Console(file=stream),
        transient=True,
        redirect_stdout=False,  # stdout is the command's own output (tables, --json)
        redirect_stderr=False,
        refresh_per_second=1 / TICK_S,
    )


def watcher(progress: bool | None, total: int) -> Progress | None:
    """Progress of ``total`` runs on stderr: always (True), where someone watches (None:
    a terminal or a notebook cell), or none (False)."""
    if progress is False:
        return None
    return Progress(total, enabled=wanted(bool(progress)))
