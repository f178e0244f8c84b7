"""One look for every figure: large fonts, a colour-blind-safe palette, a footer.

Every backend has ONE colour and marker, fixed here, so numba_cpu is the same blue in
the comparison, the sweep, the roofline and the counters figure. The colours are
Okabe and Ito's colour-blind-safe set (without its yellow, too pale to project) plus
four of Paul Tol's (grey, wine, olive, indigo) for the backends beyond it; every
backend also has its own marker and GPU backends draw dashed lines, so no figure
depends on telling colours apart.

matplotlib is imported only inside the functions that draw (the ``plot`` extra);
without it, :func:`require_matplotlib` raises a one-line UsageError saying how to get it.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..outputs import check_target, write_file
from ..record import backend_of

#: File types a figure can be saved as, by suffix.
FIGURE_FORMATS: tuple[str, ...] = ("png", "svg")
PNG_DPI = 150
BASE_FONT_PT = 16
SMALL_FONT_PT = 14  # the smallest text on any figure (footer, notes, annotations)
CHAR_WIDTH_EM = 0.62  # DejaVu Sans: a generous average character width, for wrapping

#: Text and line colours that are not a backend's.
INK = "#000000"
GUIDE = "#555555"


@dataclass(frozen=True)
class BackendStyle:
    """How one backend is drawn in every figure."""

    colour: str
    marker: str
    gpu: bool = False

    @property
    def linestyle(self) -> str:
        return "--" if self.gpu else "-"


#: The fixed backend -> style mapping used by every figure.
BACKEND_STYLES: dict[str, BackendStyle] = {
    "python": BackendStyle("#000000", "o"),  # Okabe-Ito black: the baseline
    "pypy": BackendStyle("#CC79A7", "s"),  # Okabe-Ito reddish purple
    "numpy": BackendStyle("#56B4E9", "^"),  # Okabe-Ito sky blue
    "numba_cpu": BackendStyle("#0072B2", "v"),  # Okabe-Ito blue
    "numba_parallel": BackendStyle("#009E73", "D"),  # Okabe-Ito bluish green
    "torch_cpu": BackendStyle("#E69F00", "P"),  # Okabe-Ito orange
    "c_native": BackendStyle("#999999", "X"),  # Tol grey
    "c_openmp": BackendStyle("#882255", "*"),  # Tol wine
    "numba_cuda": BackendStyle("#D55E00", "h", gpu=True),  # Okabe-Ito vermillion
    "cupy": BackendStyle("#999933", "<", gpu=True),  # Tol olive (Okabe-Ito yellow is too pale)
    "torch_cuda": BackendStyle("#332288", ">", gpu=True),  # Tol indigo
}
UNKNOWN_STYLE = BackendStyle("#BBBBBB", "d")

#: Kernel -> marker in the roofline, where colour is the backend's.
KERNEL_MARKERS: dict[str, str] = {
    "julia": "o",
    "diffusion": "s",
    "norm": "^",
    "pi": "D",
    "primes": "P",
    "matmul": "*",
}


def backend_style(backend: str) -> BackendStyle:
    """The backend's fixed colour and marker (a neutral grey for a name not listed); a
    run's label (``numpy (numpy_roll)``, :attr:`RunRecord.label`) takes its backend's."""
    return BACKEND_STYLES.get(backend_of(backend), UNKNOWN_STYLE)


def kernel_marker(kernel: str) -> str:
    return KERNEL_MARKERS.get(kernel, "o")


def require_matplotlib() -> None:
    """Fail in one line, before anything is measured, when matplotlib is missing."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise UsageError(
            "figures need matplotlib, which is not installed: pip install 'accel-testbed[plot]'"
        ) from None


def figure_format(path: str | os.PathLike[str]) -> str:
    """``png`` or ``svg`` from the file name; anything else is a UsageError."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in FIGURE_FORMATS:
        raise UsageError(
            f"a figure file must end in .png or .svg, got {os.fspath(path)!r}; "
            "choose one of: " + ", ".join(f".{f}" for f in FIGURE_FORMATS)
        )
    return suffix


def check_figure_target(path: str | os.PathLike[str]) -> None:
    """Everything a ``--plot FILE`` needs, checked before any measurement starts."""
    figure_format(path)
    require_matplotlib()
    check_target(path)


def _rc() -> dict[str, Any]:
    return {
        "font.family": "DejaVu Sans",
        "font.size": BASE_FONT_PT,
        "axes.titlesize": BASE_FONT_PT + 2,
        "axes.labelsize": BASE_FONT_PT,
        "xtick.labelsize": SMALL_FONT_PT,
        "ytick.labelsize": SMALL_FONT_PT,
        "legend.fontsize": SMALL_FONT_PT,
        "figure.titlesize": BASE_FONT_PT + 4,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "axes.axisbelow": True,
        "grid.color": "#DDDDDD",
        "grid.linewidth": 0.8,
        "lines.linewidth": 2.5,
        "lines.markersize": 9,
        "hatch.linewidth": 1.2,
        "svg.hashsalt": "accel",  # stable ids in SVG output
        "svg.fonttype": "path",  # text as outlines: the SVG needs no font to display
    }


@contextmanager
def figure(width: float, height: float, **subplots: Any) -> Iterator[tuple[Any, Any]]:
    """A new ``(Figure, axes)`` drawn in the house style; nothing touches pyplot's state.

    >>> with figure(12, 6) as (fig, ax):        # doctest: +SKIP
    ...     ax.plot([1, 2], [3, 4])
    ...     finish(fig, "out.svg", ["machine line"])
    """
    require_matplotlib()
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if "ipykernel" in sys.modules:  # in a notebook: show a returned Figure inline, as PNG
        with contextlib.suppress(ImportError):
            import matplotlib_inline.backend_inline  # noqa: F401 (registers the display)
    from matplotlib.figure import Figure

    with matplotlib.rc_context(_rc()):
        fig = Figure(figsize=(width, height), layout="constrained")
        FigureCanvasAgg(fig)  # Agg: no display, no GUI toolkit
        axes = fig.subplots(**subplots)
        yield fig, axes


def finish(fig: Any, path: str | os.PathLike[str] | None, footer: list[str]) -> Any:
    """Put the footer (notes, then the machine line) under every axis; save the figure to
    ``path`` where one is given; return the Figure (a notebook shows it inline).

    The footer is also written into the file's metadata (SVG ``dc:description``, PNG
    ``Description`` text chunk), so the machine and date travel with the image.
    """
    lines = [line for line in footer if line]
    chars = int(fig.get_size_inches()[0] * 72 / (CHAR_WIDTH_EM * SMALL_FONT_PT))
    text = "\n".join(part for line in lines for part in textwrap.wrap(line, chars))
    fig.supxlabel(text, x=0.0, ha="left", fontsize=SMALL_FONT_PT, color=GUIDE, gid="footer")
    if path is not None:
        kind = figure_format(path)
        drawn = io.BytesIO()
        fig.savefig(
            drawn,
            format=kind,
            dpi=PNG_DPI if kind == "png" else None,
            metadata={"Description": "\n".join(lines)},
        )
        write_file(path, drawn.getvalue())
    return fig
