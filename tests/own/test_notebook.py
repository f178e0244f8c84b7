"""A real notebook (tests/own/own_kernel.ipynb) executed by nbclient in an ipykernel.

It defines a kernel in a cell, calls accel.fastest and accel.compare in the next ones,
shows the comparison as a DataFrame and draws its figure. The checks read the cells'
outputs as Jupyter would show them: HTML tables naming every backend with its status,
the progress lines written under the running cell, a PNG image of the figure.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).with_name("own_kernel.ipynb")


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    home = tmp_path_factory.mktemp("notebook-home")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    previous = os.environ.get("ACCEL_HOME")
    os.environ["ACCEL_HOME"] = str(home)  # the kernel process inherits it
    try:
        nbclient.NotebookClient(notebook, timeout=900, kernel_name="python3").execute()
    finally:
        if previous is None:
            os.environ.pop("ACCEL_HOME", None)
        else:
            os.environ["ACCEL_HOME"] = previous
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def _html(cell) -> str:
    return "".join(o.get("data", {}).get("text/html", "") for o in cell.outputs)


def _stderr(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stderr")


@pytest.mark.slow
def test_the_kernel_cell_shows_the_definition(executed):
    shown = "".join(o.get("data", {}).get("text/plain", "") for o in executed[0].outputs)
    assert "nb_movavg" in shown and "numba_cpu=loop" in shown and "numpy=vectorised" in shown


@pytest.mark.slow
def test_fastest_shows_its_choice_and_evidence(executed):
    page = _html(executed[1])
    assert "<table" in page
    chosen = re.search(r"fastest here: (\w+)", page)
    assert chosen and chosen[1] in {"python", "numba_cpu", "numpy"}
    assert "[1/3]" in _stderr(executed[1]) and "[3/3]" in _stderr(executed[1])


@pytest.mark.slow
def test_compare_shows_a_table_and_progress_in_the_cell(executed):
    page = _html(executed[2])
    rows = re.findall(r"<tr><td[^>]*>(\w+)</td><td[^>]*>(\w+)</td>", page)
    assert dict(rows) == {"python": "ok", "numba_cpu": "ok", "numpy": "ok"}
    progress = _stderr(executed[2])
    assert "[1/3] nb_movavg python size 20000" in progress and "[3/3]" in progress


@pytest.mark.slow
def test_to_pandas_and_the_figure(executed):
    frame = _html(executed[3])
    assert "<table" in frame and "check_passed" in frame and "derived: one source" in frame
    images = [o for o in executed[4].outputs if "image/png" in o.get("data", {})]
    assert images, [o.get("data", {}).keys() for o in executed[4].outputs]
