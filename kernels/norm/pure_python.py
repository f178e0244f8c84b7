"""Squared norm in pure Python, the book's ``norm_square_list``: a loop over a list.

Serves the ``python`` backend (CPython) and the ``pypy`` backend (run by PyPy).
Imports nothing, so that PyPy can load it without NumPy.
"""


def compute(v):
    """The sum of the squares of the elements of ``v`` (a float)."""
    norm = 0.0
    for x in v:
        norm += x * x
    return norm
