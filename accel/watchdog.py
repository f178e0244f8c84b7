"""A worker dies with the process that started it, and takes its folders with it.

The worker runs in a session of its own (so that a timeout can kill it and all its
children as one group), which also means nothing ends it when its parent dies:
``kill -9`` of ``accel compare`` or a closed terminal would leave it running, past its
timeout, with its ``accel-run-*`` folders behind. :func:`guard` closes that gap. The
parent names itself in the worker's environment (:data:`PARENT_ENV`); a thread of the
worker waits on a pidfd of that process (Linux 5.3+; elsewhere it polls every
:data:`POLL_S` seconds) and, the moment it ends, removes the run's folders and kills
the worker's whole process group (the worker, ``perf`` around it, a PyPy server,
a compiler).

Why not ``PR_SET_PDEATHSIG`` alone: it signals only the direct child (which may be
``perf``, not the worker), it fires when the parent *thread* ends, and a SIGKILL it
sends leaves no one to remove the folders. The thread sees the real parent process,
however the worker was wrapped.
"""

from __future__ import annotations

import contextlib
import functools
import glob
import os
import select
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterable

#: Environment variable holding the pid of the process the worker must not outlive.
PARENT_ENV = "ACCEL_PARENT_PID"
#: Environment variable naming the run's folders the worker removes if orphaned (os.pathsep).
FOLDERS_ENV = "ACCEL_RUN_FOLDERS"
#: Environment variable naming the run's folder in RAM (/dev/shm) for a backend's scratch
#: files (PyPy's shipping files): the parent removes it after the run, whatever the worker did.
SCRATCH_ENV = "ACCEL_SCRATCH"
POLL_S = 0.5

_extra_folders: list[str] = []


def parent_environment(folders: Iterable[str]) -> dict[str, str]:
    """What the parent adds to a worker's environment so that :func:`guard` can watch it."""
    return {PARENT_ENV: str(os.getpid()), FOLDERS_ENV: os.pathsep.join(folders)}


def run_prefix() -> str:
    """The name every run folder of this process starts with: ``accel-run-<pid>-``."""
    return f"accel-run-{os.getpid()}-"


@functools.cache
def sweep_orphans() -> list[str]:
    """Remove run folders left by processes that no longer exist; the folders removed.

    When a parent and its worker are killed together (``kill -9`` of the whole process
    group), nobody is left to remove their folders; the next accel to run does, once per
    process. A folder counts as left behind only if the pid in its name is not running.
    """
    removed = []
    for place in {tempfile.gettempdir(), ram_folder()} - {None}:
        for path in glob.glob(os.path.join(str(place), "accel-run-*-*")):
            pid = os.path.basename(path).split("-")[2]
            if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
    return removed


def ram_folder() -> str | None:
    """A RAM-backed folder for scratch files where there is one (``/dev/shm``), else None."""
    return "/dev/shm" if os.access("/dev/shm", os.W_OK) else None


def scratch_folder() -> str | None:
    """Where a backend in this worker puts scratch files: the run's RAM folder, else /dev/shm."""
    return os.environ.get(SCRATCH_ENV) or ram_folder()


def remove_if_orphaned(folder: str) -> None:
    """Remove ``folder`` too should the parent die (a folder the worker made itself)."""
    _extra_folders.append(folder)


def guard(environ: dict[str, str] | None = None) -> threading.Thread | None:
    """Start the watch over the parent named in ``environ``; None where none is named."""
    env = os.environ if environ is None else environ
    try:
        parent = int(env.get(PARENT_ENV, ""))
    except ValueError:
        return None
    folders = [f for f in env.get(FOLDERS_ENV, "").split(os.pathsep) if f]
    thread = threading.Thread(
        target=_watch, args=(parent, folders), name="accel-parent-watch", daemon=True
    )
    thread.start()
    return thread


def _watch(parent: int, folders: list[str]) -> None:
    _wait_for_end(parent)
    for folder in [*folders, *_extra_folders]:
        shutil.rmtree(folder, ignore_errors=True)
    with contextlib.suppress(OSError):
        os.killpg(os.getpgrp(), signal.SIGKILL)
    os._exit(1)  # where the group could not be signalled


def _wait_for_end(pid: int) -> None:
    """Return when process ``pid`` has ended (at once if it already has)."""
    try:
        handle = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    except (AttributeError, OSError):  # no pidfd here: poll
        while _alive(pid):
            threading.Event().wait(POLL_S)
        return
    try:
        select.select([handle], [], [])
    finally:
        os.close(handle)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
