"""Julia set in pure Python on lists, the book's ``calculate_z_serial_purepython``.

Serves the ``python`` backend (CPython) and the ``pypy`` backend (run by PyPy).
Imports nothing, so that PyPy can load it without NumPy.
"""


def compute(zs, c, max_iter):
    """Iteration count per starting point, as a list of ints."""
    output = [0] * len(zs)
    for i in range(len(zs)):
        n = 0
        z = zs[i]
        while abs(z) < 2 and n < max_iter:
            z = z * z + c
            n += 1
        output[i] = n
    return output
