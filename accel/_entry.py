"""The ``accel`` console script and ``python -m accel``: Ctrl-C while accel loads is quiet.

The command line's modules take a moment to import; a Ctrl-C (or SIGTERM) in that
moment would otherwise print a traceback from deep inside an import. Only the
interpreter's own start-up, before this module runs, is out of accel's hands.
"""

import sys


def main() -> int:
    """Load the command line and run it; an interrupt while loading exits with 130."""
    try:
        from .cli import main as command_line
    except KeyboardInterrupt:
        sys.stderr.write("accel: interrupted\n")
        return 130
    return command_line()
