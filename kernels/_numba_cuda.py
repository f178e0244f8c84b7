"""A helper of the Numba CUDA implementations: zero an output on the device.

An output reused across calls (allocated once per run by an implementation's
``workspace``) must start each call at zero where the kernel adds into it; a copy of a
zero from the host would put a host-to-device copy inside every timed call.
(Its own module: Numba's simulator swaps the module-level ``cuda`` a kernel names.)
"""

from numba import cuda

from ._cuda import launch_config


@cuda.jit
def _reset(values):
    for i in range(cuda.grid(1), values.size, cuda.gridsize(1)):
        values[i] = 0


def numba_reset(values) -> None:
    """Set the Numba device array ``values`` to zero: one small launch on the default
    stream, no copy from the host."""
    blocks, threads = launch_config(max(1, values.size))
    _reset[blocks, threads](values)
