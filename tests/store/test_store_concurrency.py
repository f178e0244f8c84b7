"""Several processes writing one store at once: nothing lost, nothing half-written seen."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from accel.store import Store, StoreError

WRITERS = 4
RUNS_PER_WRITER = 50
BATCH = 5  # runs per transaction: a reader must never see part of one

WRITER = """
import os, sys, time
from accel.record import RunRecord
from accel.store import Store, StoreError

path, go = sys.argv[1], sys.argv[2]
writer, runs, batch = (int(arg) for arg in sys.argv[3:6])
while not os.path.exists(go):
    time.sleep(0.001)
for first in range(0, runs, batch):
    records = [
        RunRecord(kernel="julia", backend="numpy", size=8, dtype="complex128", status="ok",
                  samples_s=[writer + i / 1000.0], machine=f"writer-{writer}")
        for i in range(first, first + batch)
    ]
    with Store(path) as store:  # a fresh connection per write, as separate commands do
        store.add_runs(records, kernel_version="1")
"""


def test_four_processes_writing_at_once_lose_no_run_and_readers_see_whole_transactions(
    store_file: Path, tmp_path: Path
):
    go = tmp_path / "go"
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(store_file), str(go), str(w)]
            + [str(RUNS_PER_WRITER), str(BATCH)],
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(WRITERS)
    ]
    time.sleep(0.5)  # let every writer import and reach the start line
    go.touch()  # the store does not exist yet: the writers also race to create it
    seen = []
    while any(w.poll() is None for w in writers):
        if store_file.exists():
            try:
                with Store(store_file, readonly=True) as store:
                    seen.append(store.count())
            except StoreError as exc:  # the file exists a moment before its schema
                assert "no store" in str(exc), exc
        time.sleep(0.002)
    for w in writers:
        assert w.wait() == 0, w.stderr.read()
    total = WRITERS * RUNS_PER_WRITER
    assert any(0 < count < total for count in seen), f"no read during the writes: {seen}"
    assert all(count % BATCH == 0 for count in seen), f"a reader saw part of a transaction: {seen}"
    assert seen == sorted(seen)
    with Store(store_file, readonly=True) as store:
        runs = store.runs()
    assert len(runs) == total
    written = {(w, i) for w in range(WRITERS) for i in range(RUNS_PER_WRITER)}
    stored = {
        (int(r.record.machine.split("-")[1]), round((r.record.samples_s[0] % 1) * 1000))
        for r in runs
    }
    assert stored == written
