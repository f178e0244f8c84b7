"""Several ``accel`` processes writing one store at once, through the command line.

tests/store/test_store_concurrency.py holds the Store-level race (4 writers x 50
transactions); here the writers are whole ``accel import`` commands that race to create
the store and then each add 50 runs, while this process keeps reading it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from accel.record import RunRecord
from accel.store import EXPORT_FORMAT, EXPORT_VERSION, Store, StoreError

pytestmark = pytest.mark.slow  # several commands racing on one store

WRITERS = 4
RUNS_PER_WRITER = 50


def _export(writer: int) -> dict:
    runs = [
        {
            "kernel_version": "1",
            "created_at": f"2026-01-01T00:{writer:02d}:{i:02d}+00:00",
            "record": RunRecord(
                kernel="julia",
                backend="numpy",
                size=8 + i,
                dtype="complex128",
                status="ok",
                samples_s=[writer + i / 1000.0],
                machine=f"writer-{writer}",
            ).to_dict(),
        }
        for i in range(RUNS_PER_WRITER)
    ]
    return {"format": EXPORT_FORMAT, "format_version": EXPORT_VERSION, "machines": [], "runs": runs}


def test_four_import_commands_at_once_lose_nothing_and_readers_see_whole_imports(tmp_path):
    store = tmp_path / "results.sqlite"
    files = []
    for writer in range(WRITERS):
        path = tmp_path / f"writer-{writer}.json"
        path.write_text(json.dumps(_export(writer)))
        files.append(path)
    writers = [
        subprocess.Popen(
            [sys.executable, "-m", "accel", "import", str(path), "--store", str(store)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for path in files
    ]
    seen = []
    while any(w.poll() is None for w in writers):
        if store.exists():
            try:
                with Store(store, readonly=True) as opened:
                    seen.append(opened.count())
            except StoreError as exc:  # the file exists a moment before its schema
                assert "no store" in str(exc), exc
        time.sleep(0.002)
    for w in writers:
        out, err = w.communicate()
        assert w.returncode == 0, err
        assert out.startswith(f"imported {RUNS_PER_WRITER} runs (0 already stored)")
    assert all(count % RUNS_PER_WRITER == 0 for count in seen), f"half an import seen: {seen}"
    assert seen == sorted(seen)
    with Store(store, readonly=True) as opened:
        runs = opened.runs()
    stored = {(r.record.machine, r.record.size, r.record.samples_s[0]) for r in runs}
    written = {
        (f"writer-{w}", 8 + i, w + i / 1000.0)
        for w in range(WRITERS)
        for i in range(RUNS_PER_WRITER)
    }
    assert len(runs) == WRITERS * RUNS_PER_WRITER and stored == written


CREATIONS = 40


def test_a_reader_racing_the_creation_of_a_store_never_calls_it_foreign(tmp_path):
    """While another process creates the store, a reader finds no store yet, or ours.

    The marker and the tables must be read in one snapshot: read apart, a reader saw
    tables without the marker about once in 200 reads and refused the store as foreign.
    """
    said: dict[str, int] = {}
    for trial in range(CREATIONS):
        path = tmp_path / f"{trial}.sqlite"
        creator = subprocess.Popen(
            [sys.executable, "-c", f"from accel.store import Store; Store({str(path)!r}).close()"]
        )
        while creator.poll() is None:
            if path.exists():
                try:
                    Store(path, readonly=True).close()
                    outcome = "opened"
                except StoreError as exc:
                    outcome = str(exc).replace(str(path), "PATH")
                said[outcome] = said.get(outcome, 0) + 1
        assert creator.wait() == 0
    assert set(said) <= {"opened", "no store at PATH yet: the file is empty"}, said
    assert sum(said.values()) > 10 * CREATIONS  # the reader really raced the creators
