"""Progress of a comparison or a sweep, on stderr: which run, i of N, and how long so far.

Shown when stderr is a terminal, or always with ``--progress``; never on stdout, so
``--json`` stays clean. On a terminal a live bar (drawn by rich) is redrawn in place,
with the running seconds of the current run, and every finished run leaves one line;
elsewhere each run writes a plain line when it starts and one when it ends::

    [3/12] julia numba_cpu size 200 ...
    [3/12] julia numba_cpu size 200: ok, median 8.03 ms (1.9 s)

:func:`measured_runs` yields records one by one, so a caller interrupted by Ctrl-C
keeps every run finished so far (each is already in the store as it arrives).
"""

from __future__ import annotations

import signal
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TextIO

from .record import RunRecord
from .runner import Interrupted, compare, make_request
from .store import StoreOption
from .units import seconds

BAR_WIDTH = 24
TICK_S = 0.5


def wanted(always: bool = False, stream: TextIO | None = None) -> bool:
    """Whether to show progress: asked for (``--progress``), or stderr is a terminal."""
    stream = stream or sys.stderr
    return always or bool(getattr(stream, "isatty", lambda: False)())


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
            self._task = self._bar.add_task("", total=self.total or None)
            self._bar.start()
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
        refresh_per_second=1 / TICK_S,
    )


def measured_runs(
    kernel: str,
    backends: Sequence[str] | None,
    sizes: Iterable[int | None],
    *,
    store: StoreOption = None,
    resume: bool = False,
    progress: bool = False,
    **options: Any,
) -> Iterator[RunRecord]:
    """Measure ``kernel`` on every backend at every size, one record at a time, showing progress.

    As :func:`accel.compare` per size (``None``: the size or preset in ``options``),
    with the same defaults and ``resume``; every request is checked before the first
    run starts, so a bad name or size fails at once. ``progress=True`` shows progress
    even when stderr is not a terminal. Ctrl-C or SIGTERM raises
    :class:`accel.runner.Interrupted` counting the runs of the whole plan.
    """
    from .backends import BACKEND_NAMES

    names = list(backends) if backends is not None else list(BACKEND_NAMES)
    plan = []
    for size in sizes:
        at_size = options if size is None else {**options, "size": size}
        for name in names:
            plan.append((name, at_size, make_request(kernel, name, **at_size).size))
    shown = Progress(len(plan), enabled=wanted(progress))
    try:
        for name, at_size, resolved in plan:
            shown.start(kernel, name, resolved)
            (record,) = compare(kernel, [name], store=store, resume=resume, **at_size)
            shown.finish(record)
            yield record
    except KeyboardInterrupt as stop:  # Interrupted too: recount over the whole plan
        signum = getattr(stop, "signum", signal.SIGINT)
        raise Interrupted(signum, shown.done, len(plan)) from None
    finally:
        shown.close()
