"""The ``accel`` command line: one module per subcommand, each with ``register(subparsers)``.

A user mistake prints one line (``accel: error: ...``) and exits with 2; a command
stopped by Ctrl-C (SIGINT), SIGTERM or SIGHUP (its terminal closed) stops its worker,
keeps every finished run in the store and exits with 128 + the signal's number (130,
143, 129), from the very start (Ctrl-C while the subcommands load) to the end. Output
that cannot be written (stdout on a full disk) is a one-line error too; characters the
terminal's encoding lacks (``PYTHONIOENCODING=ascii`` and the "±" sign) become "?".
"""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import signal
import sys
import threading

from ..errors import AccelError

#: Signals that unwind like Ctrl-C: the running worker is killed, what finished stays.
UNWINDING_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
#: errno of a write to stdout (or stderr) that failed: full disk, I/O error, too big, quota.
_OUTPUT_ERRNOS = {errno.ENOSPC, errno.EIO, errno.EFBIG, errno.EDQUOT, errno.EBADF}

#: Subcommand modules of this package, in the order ``accel --help`` lists them.
COMMANDS: tuple[str, ...] = (
    "kernels_cmd",
    "backends_cmd",
    "run_cmd",
    "compare_cmd",
    "hardware_cmd",
    "sweep_cmd",
    "scaling_cmd",
    "select_cmd",
    "history_cmd",
    "export_cmd",
    "import_cmd",
    "selftest_cmd",
    "roofline_cmd",
    "counters_cmd",
    "report_cmd",
    "fleet_cmd",
)


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"accel: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="accel",
        description="GPU and JIT acceleration testbed: measure kernels on every backend.",
    )
    from .. import __version__

    parser.add_argument("--version", action="version", version=f"accel {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    subparsers.required = True
    for name in COMMANDS:
        importlib.import_module(f"{__name__}.{name}").register(subparsers)
    return parser


def _terminated(signum: int, frame: object) -> None:
    from ..errors import Interrupted

    raise Interrupted(signum)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``accel`` console script; returns the exit code."""
    try:
        return _main(argv)
    except KeyboardInterrupt as exc:  # also while the subcommands load, before _main's own
        signum = getattr(exc, "signum", signal.SIGINT)
        said = str(exc) if hasattr(exc, "signum") else "interrupted"
        print(f"accel: {said}", file=sys.stderr)
        return 128 + signum


def _main(argv: list[str] | None) -> int:
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):  # not a StringIO of a test
            stream.reconfigure(errors="replace")
    parser = build_parser()
    args = parser.parse_args(argv)
    previous = {}
    in_main_thread = threading.current_thread() is threading.main_thread()
    for signum in UNWINDING_SIGNALS if in_main_thread else ():
        if signal.getsignal(signum) is signal.SIG_DFL:  # SIG_IGN (nohup) stays
            previous[signum] = signal.signal(signum, _terminated)
    try:
        code = int(args.func(args) or 0)
        sys.stdout.flush()
        return code
    except AccelError as exc:
        print(f"accel: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        _silence_stdout()
        return 0
    except OSError as exc:
        if exc.filename is not None or exc.errno not in _OUTPUT_ERRNOS:
            raise  # not a failed write of output: a bug to see in full
        _silence_stdout()
        print(f"accel: error: cannot write the output: {exc.strerror}", file=sys.stderr)
        return 2
    except Exception as exc:
        from ..kernels import UnknownKernelError

        if not isinstance(exc, UnknownKernelError):
            raise
        print(f"accel: error: {exc}", file=sys.stderr)  # where no runner made it a UsageError
        return 2
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _silence_stdout() -> None:
    """Send what is left for stdout to /dev/null, so exiting does not fail on it again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no real file behind stdout (a test)
        pass


if __name__ == "__main__":
    sys.exit(main())
