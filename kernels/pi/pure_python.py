"""Monte Carlo pi in pure Python: the chapter's dart loop, with SplitMix64 for the darts.

Serves the ``python`` backend (CPython) and the ``pypy`` backend (run by PyPy).
Imports nothing, so that PyPy can load it without NumPy. Python integers do not
wrap, so each 64-bit step is masked; the generator is stepped in order (state +=
GAMMA), which gives the same outputs as jumping to each dart's counter.
"""

GAMMA = 0x9E3779B97F4A7C15
MIX1 = 0xBF58476D1CE4E5B9
MIX2 = 0x94D049BB133111EB
MASK64 = (1 << 64) - 1
COORDINATE_SHIFT = 64 - 31
RADIUS_SQUARED = 1 << 62


def compute(samples, seed):
    """How many of ``samples`` darts land inside the quarter circle; ``seed`` is ``[bits]``."""
    inside = 0
    state = seed[0] & MASK64
    for _ in range(samples):
        squared = 0
        for _ in (0, 1):  # the dart's x, then its y: consecutive outputs of the stream
            state = (state + GAMMA) & MASK64
            z = ((state ^ (state >> 30)) * MIX1) & MASK64
            z = ((z ^ (z >> 27)) * MIX2) & MASK64
            coordinate = (z ^ (z >> 31)) >> COORDINATE_SHIFT
            squared += coordinate * coordinate
        if squared < RADIUS_SQUARED:
            inside += 1
    return inside
