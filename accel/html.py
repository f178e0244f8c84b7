"""HTML tables from the package's Jinja templates (``accel/templates``), every value escaped.

Apart from :mod:`accel.tables` so that the run record's own notebook view
(``RunRecord._repr_html_``, through :mod:`accel.display`) can draw a table without an
import circle: this module knows nothing of records.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jinja2

Rows = Sequence[Sequence[str]]


@functools.cache
def templates() -> jinja2.Environment:
    """The package's Jinja templates (``accel/templates``), every value HTML-escaped."""
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("accel", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def html(
    headers: Sequence[str] | None,
    rows: Rows,
    *,
    caption: str | None = None,
    notes: Sequence[str] = (),
    css_class: str | None = None,
    align_left: bool = False,
) -> str:
    """An HTML table (then ``notes`` as small paragraphs), every cell escaped.

    Without ``headers`` the first cell of each row is its header. ``align_left`` puts
    the alignment on each cell, for pages whose own CSS centres or right-aligns
    (Jupyter's).
    """
    values: dict[str, Any] = {
        "headers": headers,
        "rows": rows,
        "caption": caption,
        "row_headers": not headers,
        "css_class": css_class,
        "align_left": align_left,
        "notes": notes,
    }
    return templates().get_template("table.html.j2").render(values)
