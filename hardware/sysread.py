"""Small, failure-tolerant readers of the live system: files under a root, and commands.

Every reader returns ``(value, reason)``: ``value`` is None exactly when
``reason`` explains why (missing file, permission denied, command not on PATH,
timeout). The ``root`` parameter lets tests point the probe at a fake tree.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path


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
        done = subprocess.run(
            [exe, *argv[1:]],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env={**os.environ, "LC_ALL": "C"},
        )
    except subprocess.TimeoutExpired:
        return None, f"{argv[0]} did not finish within {timeout:g} s"
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
