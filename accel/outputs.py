"""Files the commands write (exports, reports, figures): checked first, written safely.

:func:`check_target` is called before anything is measured or read, so a path that
cannot be written (a folder, a missing folder, a read-only file system, no
permission) is a one-line error at once, not a traceback after minutes of measuring.
:func:`write_file` then writes so that a reader never finds half a file: a regular
file (or a new one) gets a temporary file renamed over it. A symbolic link is written
through, to the file it names, and anything that is not a regular file (``/dev/null``,
``/dev/stdout``, a FIFO) is written into, never replaced: renaming over a device
would turn it into an ordinary file.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from .errors import AccelError


class OutputError(AccelError):
    """A file cannot be written where the user asked; the message says why."""


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


def check_target(path: str | os.PathLike[str]) -> None:
    """Raise OutputError unless ``path`` can be written as a file; touches nothing.

    ``-`` (standard output) always passes.
    """
    name = os.fspath(path)
    if name == "-":
        return
    target = Path(name)
    if target.is_dir():
        raise OutputError(f"cannot write {name!r}: it is a folder")
    real = Path(os.path.realpath(target))
    folder = real.parent
    if not folder.is_dir():
        raise OutputError(f"cannot write {name!r}: folder {str(folder)!r} does not exist")
    if real.exists() and not stat.S_ISREG(real.stat().st_mode):
        if not os.access(real, os.W_OK):
            raise OutputError(f"cannot write {name!r}: permission denied")
        return  # a device or FIFO: written into, so its folder need not be writable
    if not os.access(folder, os.W_OK):
        try:
            read_only = bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
        except OSError:
            read_only = False
        why = "read-only file system" if read_only else "permission denied"
        raise OutputError(f"cannot write {name!r}: {why} ({folder})")


def write_file(path: str | os.PathLike[str], data: str | bytes) -> Path:
    """Write ``data`` to ``path`` whole; returns the path. OutputError when it cannot.

    A regular file is replaced at once (temporary file, then rename) so a reader never
    sees half of it; a link is followed; a device or FIFO is written into.
    """
    name = os.fspath(path)
    check_target(name)
    real = os.path.realpath(name)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        if os.path.exists(real) and not stat.S_ISREG(os.stat(real).st_mode):
            with open(real, "wb") as out:
                out.write(payload)
            return Path(name)
        mode = stat.S_IMODE(os.stat(real).st_mode) if os.path.exists(real) else None
        handle, temporary = tempfile.mkstemp(dir=os.path.dirname(real), prefix=".accel-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(payload)
            os.chmod(temporary, mode if mode is not None else 0o666 & ~_umask())
            os.replace(temporary, real)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError as exc:
        raise OutputError(f"cannot write {name!r}: {_why(exc)}") from None
    return Path(name)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
