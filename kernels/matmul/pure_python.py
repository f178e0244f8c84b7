"""Matrix multiply in pure Python: the naive triple loop, for contrast at small sizes.

Serves the ``python`` backend (CPython) and the ``pypy`` backend (run by PyPy).
Imports nothing, so that PyPy can load it without NumPy. Every multiply-add goes
through the interpreter (or PyPy's JIT) on boxed floats, and walking a column of
``b`` visits a different list per step: n = 512 takes seconds, n = 4096 hours.
"""


def compute(a, b):
    """The product of ``a`` (n x m) and ``b`` (m x p), nested lists, as nested lists."""
    rows, inner, columns = len(a), len(b), len(b[0])
    c = [[0.0] * columns for _ in range(rows)]
    for i in range(rows):
        for j in range(columns):
            total = 0.0
            for k in range(inner):
                total += a[i][k] * b[k][j]
            c[i][j] = total
    return c
