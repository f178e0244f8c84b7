"""Kernels from installed packages (the ``accel.kernels`` entry-point group) and from
``ACCEL_EXTRA_KERNELS``, seen by every command by name.

An installed package is made for real: a folder on ``PYTHONPATH`` with the package and
its ``.dist-info`` (METADATA and entry_points.txt), which importlib.metadata reads as
it reads any installed distribution.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

PACKAGE = """
import numpy as np
import accel

movavg_ep = accel.Kernel("movavg_ep", inputs=lambda size, seed=0: {
    "x": np.random.default_rng(seed).random(size), "w": 8}, presets={"S": 500})


@movavg_ep.implements("python", "numba_cpu")
def loop(x, w):
    out = [0.0] * (len(x) - w + 1)
    for i in range(len(out)):
        s = 0.0
        for j in range(w):
            s += x[i + j]
        out[i] = s / w
    return out
"""


@pytest.fixture()
def installed(tmp_path):
    """A distribution 'mykernels' providing movavg_ep through the entry-point group."""
    (tmp_path / "mykernels").mkdir()
    (tmp_path / "mykernels" / "__init__.py").write_text(textwrap.dedent(PACKAGE))
    info = tmp_path / "mykernels-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: mykernels\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[accel.kernels]\nmovavg_ep = mykernels:movavg_ep\n")
    path = os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path}


def _accel(env, *args):
    return subprocess.run(
        [sys.executable, "-m", "accel", *args], capture_output=True, text=True, env=env, timeout=600
    )


def test_accel_kernels_lists_an_installed_kernel(installed):
    listed = _accel(installed, "kernels", "--json")
    assert listed.returncode == 0, listed.stderr
    entry = {k["name"]: k for k in json.loads(listed.stdout)}["movavg_ep"]
    assert entry["backends"] == ["numba_cpu", "python"]
    assert entry["presets"] == {"S": {"size": 500}}


@pytest.mark.slow
def test_accel_run_measures_an_installed_kernel_by_name(installed, tmp_path):
    ran = _accel(
        installed,
        "run",
        "movavg_ep",
        "--backend",
        "numba_cpu",
        "--json",
        "--store",
        str(tmp_path / "s.sqlite"),
        "--repeats",
        "3",
    )
    assert ran.returncode == 0, ran.stderr
    record = json.loads(ran.stdout)
    assert record["status"] == "ok", record["reason"]
    assert record["check"]["passed"] and "0 of 493 values differ" in record["check"]["detail"]


def test_a_broken_entry_point_is_one_line(installed, tmp_path):
    info = tmp_path / "mykernels-0.1.dist-info" / "entry_points.txt"
    info.write_text("[accel.kernels]\nmovavg_ep = mykernels:nothing_here\n")
    ran = _accel(installed, "run", "movavg_ep", "--backend", "python")
    assert ran.returncode == 2
    assert ran.stderr.startswith("accel: error: ") and len(ran.stderr.strip().splitlines()) == 1
    assert "entry point 'movavg_ep'" in ran.stderr and "nothing_here" in ran.stderr
