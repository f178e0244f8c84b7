"""Small, failure-tolerant readers of the live system: files under a root, and commands.

Every reader returns ``(value, reason)``: ``value`` is None exactly when
``reason`` explains why (missing file, permission denied, command not on PATH,
timeout). The ``root`` parameter lets tests point the probe at a fake tree.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any

#: Monotonic time by which every probe must have finished (None: each its own timeout).
_probe_deadline: ContextVar[float | None] = ContextVar("probe_deadline", default=None)
#: Least time a probe is given, however close the deadline.
MIN_PROBE_S = 0.5


def under(root: str | os.PathLike[str], path: str) -> Path:
    """``path`` (absolute, e.g. "/proc/cpuinfo") re-rooted under ``root``."""
    return Path(root) / path.lstrip("/")


def read_text(root: str | os.PathLike[str], path: str) -> tuple[str | None, str | None]:
    """Contents of ``root``/``path``, or None and why it could not be read."""
    full = under(root, path)
    try:
        return full.read_text(errors="replace"), None
    except FileNotFoundError:
        return None, f"{path} does not exist"
    except PermissionError:
        return None, f"{path} is not readable (permission denied)"
    except OSError as exc:
        return None, f"{path} could not be read ({exc.strerror or exc})"


def read_stripped(root: str | os.PathLike[str], path: str) -> tuple[str | None, str | None]:
    """Like read_text, with surrounding whitespace removed; an empty file counts as unknown."""
    text, reason = read_text(root, path)
    if text is None:
        return None, reason
    text = text.strip()
    if not text:
        return None, f"{path} is empty"
    return text, None


@contextlib.contextmanager
def probes_within(seconds: float) -> Iterator[None]:
    """Every :func:`run_bounded` inside finishes within ``seconds`` from now (or its own
    shorter timeout): a run's ``--timeout`` bounds the probes made for it too."""
    deadline = time.monotonic() + seconds
    outer = _probe_deadline.get()
    token = _probe_deadline.set(deadline if outer is None else min(outer, deadline))
    try:
        yield
    finally:
        _probe_deadline.reset(token)


def run_bounded(argv: list[str], timeout: float, **options: Any) -> subprocess.CompletedProcess:
    """``subprocess.run(argv, capture_output=True, text=True)`` that really ends at its timeout.

    The command runs in a session of its own; at the timeout (the sooner of ``timeout``
    and the deadline of :func:`probes_within`) its whole process group is killed, so a
    script that started a sleeping child cannot hold the pipes open and stall the
    caller. Raises ``subprocess.TimeoutExpired`` (with the timeout used) or OSError.
    """
    deadline = _probe_deadline.get()
    if deadline is not None:
        timeout = max(MIN_PROBE_S, min(timeout, deadline - time.monotonic()))
    options = {"capture_output": True, "text": True, "errors": "replace", **options}
    if options.pop("capture_output"):
        options.setdefault("stdout", subprocess.PIPE)
        options.setdefault("stderr", subprocess.PIPE)
    options.setdefault("stdin", subprocess.DEVNULL)
    with subprocess.Popen(argv, start_new_session=True, **options) as process:
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(OSError):
                os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise subprocess.TimeoutExpired(argv, round(timeout, 2)) from None
        except BaseException:  # Ctrl-C: nothing of it may stay behind
            with contextlib.suppress(OSError):
                os.killpg(process.pid, signal.SIGKILL)
            raise
        finally:
            with contextlib.suppress(OSError):  # children that outlived the command
                os.killpg(process.pid, signal.SIGKILL)
    return subprocess.CompletedProcess(argv, process.returncode, stdout, stderr)


def find_program(variable: str, name: str, fix: str) -> tuple[str | None, str]:
    """The program ``$variable`` names, else ``name`` on PATH; or None and why not.

    >>> find_program("ACCEL_PERF", "perf", "install perf")   # doctest: +SKIP
    ('/usr/bin/perf', '')
    """
    configured = os.environ.get(variable)
    if configured:
        path = shutil.which(configured) or configured
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            return None, f"{variable}={configured} is not an executable file"
        return path, ""
    found = shutil.which(name)
    return (found, "") if found else (None, f"{name} is not on PATH: {fix}")


def run(
    argv: list[str], timeout: float = 10.0
) -> tuple[subprocess.CompletedProcess[str] | None, str | None]:
    """Run ``argv`` (no shell) capturing text output; None and why if it cannot run at all.

    A non-zero exit status is not treated as failure here: callers look at it.
    """
    exe = shutil.which(argv[0])
    if exe is None:
        return None, f"{argv[0]} not found on PATH"
    try:
        done = run_bounded([exe, *argv[1:]], timeout, env={**os.environ, "LC_ALL": "C"})
    except subprocess.TimeoutExpired as exc:
        return None, f"{argv[0]} did not finish within {exc.timeout:g} s"
    except OSError as exc:
        return None, f"{argv[0]} could not be started ({exc.strerror or exc})"
    return done, None


def parse_cpu_list(text: str) -> list[int]:
    """Expand a kernel CPU list such as "0-3,8,10-11" into [0, 1, 2, 3, 8, 10, 11]."""
    cpus: list[int] = []
    for part in text.strip().split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            lo, hi = part.split("-", 1)
            cpus.extend(range(int(lo), int(hi) + 1))
        else:
            cpus.append(int(part))
    return cpus


def format_cpu_list(cpus: list[int]) -> str:
    """Compress [0, 1, 2, 3, 8] into "0-3,8" (the inverse of parse_cpu_list)."""
    cpus = sorted(set(cpus))
    parts: list[str] = []
    i = 0
    while i < len(cpus):
        j = i
        while j + 1 < len(cpus) and cpus[j + 1] == cpus[j] + 1:
            j += 1
        parts.append(str(cpus[i]) if i == j else f"{cpus[i]}-{cpus[j]}")
        i = j + 1
    return ",".join(parts)
