"""A finished measurement the store refuses is kept in a recovery file, with the right advice.

Issue 21, fault 10: with the store's write lock held by another process past the busy
timeout, or its disk full mid-comparison, the measured runs were thrown away and the
message said the store "cannot be used ... move it aside", which is wrong for both.
Real runs (julia on numpy at size 8), a lock held by the test, a full tmpfs.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import accel
import accel.store
from accel.cli import main
from accel.store import Store, StoreError

RUN = dict(size=8, repeats=2)


def _recovery_file(message: str) -> Path:
    found = re.search(r"accel import (\S+?)'?$", message.strip())
    assert found, message
    path = Path(found.group(1).rstrip("'"))
    assert path.is_file() and path.name.startswith("accel-unsaved-"), message
    return path


def _import(path: Path, store: Path) -> list:
    done = subprocess.run(
        [sys.executable, "-m", "accel", "import", str(path), "--store", str(store)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    with Store(store, readonly=True) as opened:
        return [run.record for run in opened.runs()]


@pytest.fixture
def locked_store(tmp_path, monkeypatch):
    """A store whose write lock another connection holds; the busy timeout cut to 0.2 s."""
    path = tmp_path / "results.sqlite"
    Store(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    monkeypatch.setattr(accel.store, "BUSY_TIMEOUT_S", 0.2)
    yield path
    holder.execute("ROLLBACK")
    holder.close()


def test_a_run_the_locked_store_refuses_is_kept_and_the_advice_is_to_wait(
    locked_store, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(StoreError) as refused:
        accel.run("julia", "numpy", store=locked_store, **RUN)
    message = str(refused.value)
    assert "write lock" in message and "move it aside" not in message
    kept = _recovery_file(message)
    assert kept.parent == locked_store.parent  # beside the store: its folder takes files
    (record,) = _import(kept, tmp_path / "other.sqlite")
    assert (record.kernel, record.backend, record.size, record.status) == (
        "julia", "numpy", 8, "ok",
    )  # fmt: skip
    assert len(record.samples_s) == 2 and all(s > 0 for s in record.samples_s)


def test_the_command_line_says_so_in_one_line_and_exits_2(locked_store, capsys):
    code = main(["run", "julia", "--backend", "numpy", "--size", "8", "--store", str(locked_store)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith("accel: error: "), err
    document = json.loads(_recovery_file(err[0]).read_text())
    assert [r["record"]["backend"] for r in document["runs"]] == ["numpy"]


@pytest.fixture
def full_disk(tmpfs):
    """A 1 MiB tmpfs holding a store, then filled to the last byte (root only).

    A reader keeps the store open, so its WAL files exist: opening the store still works
    (it is checked before measuring), and the disk is found full when a run is written.
    """
    folder = tmpfs("size=1M")
    store = folder / "results.sqlite"
    Store(store).close()
    reader = sqlite3.connect(store)
    reader.execute("SELECT count(*) FROM runs").fetchone()
    for size in (65536, 4096, 512, 64, 1):  # down to the last crumbs of the last block
        try:
            with open(folder / "filler", "ab") as filler:
                while True:
                    filler.write(b"\0" * size)
                    filler.flush()
        except OSError:
            continue
    yield store
    reader.close()


def test_a_comparison_whose_disk_fills_keeps_the_run_elsewhere_and_says_free_space(
    full_disk, tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    argv = ["compare", "julia", "--backends", "numpy,python", "--size", "8", "--repeats", "2"]
    code = main([*argv, "--no-counters", "--store", str(full_disk)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1, err
    assert "disk is full" in err[0] and "move it aside" not in err[0]
    kept = _recovery_file(err[0])
    assert kept.parent == tmp_path  # the store's own folder had no room
    records = _import(kept, tmp_path / "other.sqlite")
    assert [(r.backend, r.status) for r in records] == [("numpy", "ok")]
    assert os.path.getsize(kept) > 0
