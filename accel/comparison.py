"""What :func:`accel.compare` returns: the records, a list, that a notebook shows as a table.

>>> records = accel.compare(movavg, size=100_000)      # doctest: +SKIP
>>> records.ranked()[0].backend, records.to_pandas()   # doctest: +SKIP
>>> figure = records.plot()                            # a matplotlib Figure
"""

from __future__ import annotations

import os
from typing import Any

from .display import html_table, to_pandas
from .record import RunRecord


class Comparison(list):
    """The records of :func:`accel.compare`, in backend order: a list, shown as a table
    in a notebook, with :meth:`to_pandas`, :meth:`ranked` and :meth:`plot`."""

    def ranked(self) -> list[RunRecord]:
        """The records that finished ok, fastest end to end first."""
        return sorted((r for r in self if r.ok), key=lambda r: r.end_to_end_s or float("inf"))

    def to_pandas(self) -> Any:
        """One row per record (see :data:`accel.display.COLUMNS`); pandas is the notebook extra."""
        return to_pandas(self)

    def plot(self, path: str | os.PathLike[str] | None = None) -> Any:
        """The comparison figure (a matplotlib Figure; also saved to ``path`` if given)."""
        from .plots.command_line import local_machine
        from .plots.compare_plot import draw_comparison

        return draw_comparison(list(self), local_machine(), path)

    def _repr_html_(self) -> str:
        """The comparison as a table, and which backend was fastest."""
        ranked = self.ranked()
        notes = [f"fastest: {ranked[0].label}"] if ranked else ["no run finished ok"]
        return html_table(list(self), notes)
