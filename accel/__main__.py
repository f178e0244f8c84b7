"""``python -m accel`` is the ``accel`` command."""

import sys

from ._entry import main

sys.exit(main())
