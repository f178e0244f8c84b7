"""The worked example of docs/own-code.md, run exactly as written, in a fresh process.

The page's first ``python`` block is saved as ``movavg.py`` and run as a user would
(``python movavg.py``), with its own empty store. What it prints is checked against
what the definition implies: every backend the kernel names that can run here finishes
ok (each output checked against the reference by the worker), and the moving average
of 100 000 values over windows of 16 has 100 000 - 16 + 1 = 99 985 values.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parents[2] / "docs" / "own-code.md"


def example() -> str:
    """The first python block of the page, exactly as the reader sees it."""
    blocks = re.findall(r"```python\n(.*?)```", PAGE.read_text(), flags=re.DOTALL)
    return blocks[0]


@pytest.mark.slow
def test_the_worked_example_runs_as_written(tmp_path):
    script = tmp_path / "movavg.py"
    script.write_text(example())
    env = {**os.environ, "ACCEL_HOME": str(tmp_path / "home")}
    ran = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=1500,
    )
    assert ran.returncode == 0, ran.stderr[-3000:]
    lines = ran.stdout.splitlines()
    named = {"python", "pypy", "numba_cpu", "numpy", "torch_cpu"}
    fastest = re.fullmatch(r"fastest: (\w+) then (\w+)", lines[0])
    assert fastest and {fastest[1], fastest[2]} <= named and fastest[1] != fastest[2]
    assert lines[1] == "smoothed: (99985,)"
    ranked = {line.split()[0]: line for line in lines[2:-1]}
    from accel.backends import get_backend

    runnable = {b for b in named if get_backend(b).available()}
    assert set(ranked) == runnable  # every one finished ok: ranked() lists ok runs only
    assert (
        "loop, compiled by numba.njit (derived: one source with pypy, python)"
        in (ranked["numba_cpu"])
    )
    assert "cumulative, called with torch tensors (array API)" in ranked["torch_cpu"]
    assert re.fullmatch(r"for my data: (\w+)", lines[-1])[1] in named
