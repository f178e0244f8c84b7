"""The simulated counters' region: callgrind switched on around the timed calls only.

Standard library only: the worker imports it as ``accel.callgrind_region`` and the PyPy
server (a script in this folder, run by PyPy) as ``callgrind_region``. The runner sets
``ACCEL_CALLGRIND_SHIM`` to the built ``callgrind_shim.c`` when the worker runs under
``valgrind --tool=callgrind --cache-sim=yes --instr-atstart=no``; without it
:func:`simulated` does nothing.

The region, like perf's control FIFO, holds the timed calls and nothing else::

    START_INSTRUMENTATION   simulate from here (the caches start empty)
    one warm-up call        so the simulated caches hold what the real ones hold
    ZERO_STATS              forget the warm-up's counts, in every thread
    ... timed calls ...
    DUMP_STATS_AT("timed")  write the counts of the timed calls, every thread's
    STOP_INSTRUMENTATION    back to valgrind's minimal slowdown for the check

Zeroing and dumping rather than ``CALLGRIND_TOGGLE_COLLECT``: the toggle switches the
calling thread only, so a parallel backend's worker threads went uncounted (a two-thread
BLAS dot product showed half its L1 misses); zero and dump cover every thread.
"""

import contextlib
import ctypes
import json
import os

SHIM_ENV = "ACCEL_CALLGRIND_SHIM"
#: The valgrind command (a JSON list) a backend starts its kernel's process under, when
#: the kernel runs in a process of its own (PyPy's server): the worker itself runs natively.
SERVER_PREFIX_ENV = "ACCEL_CALLGRIND_SERVER"
#: The dump's trigger name: the runner reads the dump files that carry it.
DUMP_NAME = "timed"
#: Set in a simulated run of a Numba backend: every ``@njit`` keeps its machine code in
#: ``NUMBA_CACHE_DIR``, so a native pass compiles it and the pass under valgrind loads it.
NUMBA_CACHE_ENV = "ACCEL_NUMBA_CACHE"
#: The simulated run's phase (``phases_s``) that holds its region: warm-up call and timed calls.
SIMULATED_PHASE = "simulated_region"


def active(environ=os.environ):
    """True when this process runs under the cache simulator with the shim to switch it."""
    return bool(environ.get(SHIM_ENV))


def server_prefix(environ=os.environ):
    """The command to start a kernel's own process under (valgrind), or [] when not simulated."""
    text = environ.get(SERVER_PREFIX_ENV)
    return list(json.loads(text)) if text and active(environ) else []


@contextlib.contextmanager
def simulated(warm, environ=os.environ):
    """Callgrind on for the body only, after ``warm()`` filled the simulated caches.

    Does nothing (not even ``warm``) unless the runner set the shim up.
    """
    path = environ.get(SHIM_ENV)
    if not path:
        yield False
        return
    shim = ctypes.CDLL(path)
    shim.accel_start_instrumentation()
    try:
        warm()
        shim.accel_zero_stats()
        yield True
        shim.accel_dump_timed()
    finally:
        shim.accel_stop_instrumentation()
