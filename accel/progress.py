"""Progress of a comparison or a sweep, on stderr: which run, i of N, and how long so far.

Shown when stderr is a terminal, or always with ``--progress``; never on stdout, so
``--json`` stays clean. On a terminal a live bar is redrawn in place (with the running
seconds of the current run) and every finished run leaves one line; elsewhere each
run writes a line when it starts and one when it ends::

    [3/12] julia numba_cpu size 200 ...
    [3/12] julia numba_cpu size 200: ok, median 8.03 ms (1.9 s)

:func:`measured_runs` yields records one by one, so a caller interrupted by Ctrl-C
keeps every run finished so far (each is already in the store as it arrives).
"""

from __future__ import annotations

import signal
import sys
import threading
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
    """Reports runs 1..N of a comparison or sweep to ``stream`` (default stderr)."""

    def __init__(self, total: int, *, enabled: bool, stream: TextIO | None = None) -> None:
        self.total = total
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.live = enabled and bool(getattr(self.stream, "isatty", lambda: False)())
        self.done = 0
        self._what = ""
        self._started = 0.0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def start(self, kernel: str, backend: str, size: int) -> None:
        """A run begins: say which, and (on a terminal) keep its seconds ticking."""
        if not self.enabled:
            return
        self._what = f"[{self.done + 1}/{self.total}] {kernel} {backend} size {size}"
        self._started = time.monotonic()
        if not self.live:
            self._write(f"{self._what} ...\n")
            return
        self._redraw()
        if self._ticker is None:
            self._ticker = threading.Thread(target=self._tick, daemon=True)
            self._ticker.start()

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
        with self._lock:
            self._clear()
            self._write(f"{self._what}: {outcome} ({seconds(took)})\n")
            self._what = ""

    def close(self) -> None:
        """Stop the ticker and leave the terminal line clean (also after Ctrl-C)."""
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
            self._ticker = None
        if self.live:
            with self._lock:
                self._clear()
                if self._what:  # interrupted mid-run: say where
                    self._write(f"{self._what}: interrupted\n")
                    self._what = ""

    def _bar(self) -> str:
        filled = round(BAR_WIDTH * self.done / self.total) if self.total else BAR_WIDTH
        return "#" * filled + "." * (BAR_WIDTH - filled)

    def _redraw(self) -> None:
        with self._lock:
            if self._what:
                running = f"{time.monotonic() - self._started:.1f} s"
                self._clear()
                self._write(f"[{self._bar()}] {self._what} ... {running}")

    def _tick(self) -> None:
        while not self._stop.wait(TICK_S):
            self._redraw()

    def _clear(self) -> None:
        if self.live:
            self._write("\r\x1b[K")

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()


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
