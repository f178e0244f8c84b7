"""Stored runs of other code are stale: no evidence for fastest, repeated by resume, marked
in accel history. "Other code" is judged by the source digest alone, so each test
changes exactly one function and checks which backends' runs went stale.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from accel.kernels import get_kernel

import accel
from accel.cli import main as accel_main
from accel.store import Store


def _define(scale: float):
    """movavg_stale, whose numpy function multiplies by ``scale`` before averaging."""
    kernel = accel.Kernel(
        "movavg_stale",
        inputs=lambda size, seed=0: {"x": np.random.default_rng(seed).random(size), "w": 4},
        reference=lambda x, w: np.convolve(x, np.ones(w) / w, mode="valid"),
    )
    source = {
        1.0: "def vectorised(x, w):\n    c = np.cumsum(np.concatenate(([0.0], x)))\n"
        "    return (c[w:] - c[:-w]) / w\n",
        2.0: "def vectorised(x, w):\n    c = np.cumsum(np.concatenate(([0.0], 2 * x)))\n"
        "    return (c[w:] - c[:-w]) / (2 * w)\n",
    }[scale]
    namespace = {"np": np}
    exec(compile(source, f"<movavg-{scale}>", "exec"), namespace)
    kernel.implements("numpy")(namespace["vectorised"])
    kernel.implements("python")(lambda x, w: [sum(x[i : i + w]) / w for i in range(len(x) - w + 1)])
    return kernel


@pytest.mark.slow
def test_changed_code_is_measured_again_and_marked_stale(tmp_path, capsys):
    store = tmp_path / "runs.sqlite"
    first = _define(1.0)
    chosen = accel.fastest(first, size=2000, store=store)
    assert sorted(chosen.measured) == ["numpy", "python"]
    assert accel.fastest(first, size=2000, store=store).measured == []  # all from the store

    second = _define(2.0)  # only the numpy function changed
    assert second.version_for("python") == first.version_for("python")
    assert second.version_for("numpy") != first.version_for("numpy")
    again = accel.fastest(second, size=2000, store=store)
    assert again.measured == ["numpy"]  # the python run still stands for today's code
    assert {e.backend: e.runs[0].kernel_version for e in again.ranking} == {
        "numpy": second.version_for("numpy"),
        "python": first.version_for("python"),
    }

    with Store(store) as opened:
        before = opened.count()
    resumed = accel.compare(second, size=2000, store=store, resume=True, counters=False)
    assert [r.status for r in resumed] == ["ok", "ok"]
    with Store(store) as opened:
        assert opened.count() == before  # both runs of today's code were stored: none repeated
    accel_main(["history", "--store", str(store), "--json"])
    capsys.readouterr()

    third = _define(1.0)  # back to the first numpy source: its old run stands again
    assert third.version_for("numpy") == first.version_for("numpy")
    assert accel.fastest(third, size=2000, store=store).measured == []

    assert accel_main(["history", "--store", str(store), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    stale = sorted((r["record"]["backend"], r["stale"]) for r in shown)
    # movavg_stale is now the third definition: the first numpy run is current again.
    assert stale == [("numpy", False), ("numpy", True), ("python", False)]
    assert accel_main(["history", "--store", str(store)]) == 0
    table = capsys.readouterr().out
    assert "stale" in table and "current" in table


@pytest.mark.slow
def test_a_catalogue_run_of_other_source_is_no_evidence(tmp_path, capsys):
    store = tmp_path / "runs.sqlite"
    record = accel.run("norm", "numpy", size=1000, store=store, repeats=3)
    norm = get_kernel("norm")
    with Store(store) as opened:
        (run,) = opened.runs()
        assert run.kernel_version == norm.version_for("numpy")
    assert accel.fastest("norm", size=1000, backends=["numpy"], store=store).measured == []
    # The same run as if stored by an older norm/numpy_impl.py: stale.
    older = accel.record.RunRecord.from_dict({**record.to_dict(), "started_at": "2026-01-01"})
    with Store(store) as opened:
        opened.add_run(older, kernel_version="0123456789ab")
    assert accel_main(["history", "--store", str(store), "--json"]) == 0
    assert [r["stale"] for r in json.loads(capsys.readouterr().out)] == [False, True]
    only_stale = tmp_path / "stale.sqlite"
    with Store(only_stale) as opened:
        opened.add_run(older, kernel_version="0123456789ab")
    assert accel.fastest("norm", size=1000, backends=["numpy"], store=only_stale).measured == [
        "numpy"
    ]
