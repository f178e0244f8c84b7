"""Exceptions for mistakes a user can fix; the CLI prints them as one line, exit code 2."""

from __future__ import annotations

import signal


class AccelError(Exception):
    """A user-facing error whose message says what to do next."""

    exit_code = 2


class UsageError(AccelError, ValueError):
    """Bad input: an unknown name, a size that is not positive, a wrong dtype."""


def choose(kind: str, value: str, valid: list[str] | tuple[str, ...]) -> UsageError:
    """An error for an unknown ``kind`` named ``value`` that lists the valid choices."""
    return UsageError(f"unknown {kind} {value!r}; choose one of: {', '.join(valid)}")


#: Largest whole number a run option may be: what SQLite and the C library take (64 bits).
MAX_WHOLE = 2**63 - 1
#: Longest timeout or repetition time, in seconds (about 11.6 days): far past any run,
#: and within what the operating system's waits take (a poll timeout in milliseconds).
MAX_SECONDS = 1_000_000.0


def whole_number(name: str, value: object, least: int = 1, *, phrase: str = "") -> int:
    """``value`` if it is a whole number (not a bool) from ``least`` to :data:`MAX_WHOLE`.

    The one whole-number check of run options, sizes and limits. ``phrase`` replaces
    the usual "a whole number of at least N" in the message (``"a positive whole number"``).
    A number beyond 64 bits is refused here, before any measuring, never by the store
    after it.
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        wanted = phrase or f"a whole number of at least {least}"
        raise UsageError(f"{name} must be {wanted}, got {value!r:.60}")
    if value > MAX_WHOLE:
        raise UsageError(f"{name} must be at most 2**63-1 ({MAX_WHOLE}), got {value}")
    return value


def positive_seconds(name: str, value: object) -> float:
    """``value`` as float seconds if it is a number above 0 and at most :data:`MAX_SECONDS`
    (not NaN, not infinite), else UsageError."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise UsageError(f"{name} must be positive seconds, got {value!r:.60}")
    if not value <= MAX_SECONDS:
        raise UsageError(
            f"{name} must be at most {MAX_SECONDS:.0f} seconds (about 11.6 days), got {value:g}"
        )
    return float(value)


class Interrupted(KeyboardInterrupt):
    """Measuring was stopped by SIGINT (Ctrl-C) or SIGTERM; every finished run is stored.

    ``finished`` of ``total`` runs were done when it came (None where not counted).
    The exit code of an interrupted command is 128 + ``signum``: 130 or 143.
    ``resumable``: the command can take up where it stopped (``--resume``).
    """

    def __init__(
        self,
        signum: int = signal.SIGINT,
        finished: int | None = None,
        total: int | None = None,
        resumable: bool = True,
    ) -> None:
        super().__init__(signum, finished, total)
        self.signum, self.finished, self.total = int(signum), finished, total
        self.resumable = resumable

    def __str__(self) -> str:
        if self.finished is None or self.total is None:
            return "interrupted"
        said = f"interrupted after {self.finished} of {self.total} runs"
        return said + ("; rerun with --resume to continue" if self.resumable else "")
