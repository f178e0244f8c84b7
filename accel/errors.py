"""Exceptions for mistakes a user can fix; the CLI prints them as one line, exit code 2."""

from __future__ import annotations


class AccelError(Exception):
    """A user-facing error whose message says what to do next."""

    exit_code = 2


class UsageError(AccelError, ValueError):
    """Bad input: an unknown name, a size that is not positive, a wrong dtype."""


def choose(kind: str, value: str, valid: list[str] | tuple[str, ...]) -> UsageError:
    """An error for an unknown ``kind`` named ``value`` that lists the valid choices."""
    return UsageError(f"unknown {kind} {value!r}; choose one of: {', '.join(valid)}")
