"""The ``accel`` command line: one module per subcommand, each with ``register(subparsers)``.

A user mistake prints one line (``accel: error: ...``) and exits with 2; a command
stopped by Ctrl-C (SIGINT) or SIGTERM stops its worker, keeps every finished run in
the store and exits with 130 or 143 (128 + the signal's number).
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
import threading

from ..errors import AccelError
from ..kernels import UnknownKernelError

#: Subcommand modules of this package, in the order ``accel --help`` lists them.
COMMANDS: tuple[str, ...] = (
    "kernels_cmd",
    "backends_cmd",
    "run_cmd",
    "compare_cmd",
    "hardware_cmd",
    "sweep_cmd",
    "select_cmd",
    "history_cmd",
    "export_cmd",
    "import_cmd",
    "selftest_cmd",
    "roofline_cmd",
    "counters_cmd",
    "report_cmd",
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
    from ..runner import Interrupted

    raise Interrupted(signum)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``accel`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    # SIGTERM unwinds like Ctrl-C: the running worker is killed and what finished stays stored.
    previous = None
    in_main_thread = threading.current_thread() is threading.main_thread()
    if in_main_thread and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:  # SIG_IGN stays
        previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        return int(args.func(args) or 0)
    except AccelError as exc:
        print(f"accel: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except UnknownKernelError as exc:  # where no runner turned it into a UsageError
        print(f"accel: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        signum = getattr(exc, "signum", signal.SIGINT)
        said = str(exc) if hasattr(exc, "signum") else "interrupted"
        print(f"accel: {said}", file=sys.stderr)
        return 128 + signum
    except BrokenPipeError:
        return 0
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
