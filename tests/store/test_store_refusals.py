"""A file that is not our store is refused with a clear error and left byte for byte as it was."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from accel.record import RunRecord
from accel.store import SCHEMA_VERSION, Store, StoreError


def _store_with_runs(path: Path, count: int = 30) -> None:
    with Store(path) as store:
        store.add_runs(
            [
                RunRecord(
                    kernel="julia",
                    backend="numpy",
                    size=8 + i,
                    dtype="complex128",
                    status="ok",
                    samples_s=[0.001 * (i + 1)] * 50,
                    machine="elsewhere",
                )
                for i in range(count)
            ],
            kernel_version="1",
        )


def _not_sqlite(path: Path) -> None:
    path.write_bytes(b"results of last week, as plain text\n" * 40)


def _foreign_sqlite(path: Path) -> None:
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE runs (id INTEGER, kernel TEXT)")
    connection.execute("INSERT INTO runs VALUES (1, 'julia')")
    connection.commit()
    connection.close()


def _newer_schema(path: Path) -> None:
    _store_with_runs(path, 2)
    connection = sqlite3.connect(path)
    connection.execute(
        "UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),)
    )
    connection.commit()
    connection.close()


def _damaged_pages(path: Path) -> None:
    _store_with_runs(path)
    with open(path, "r+b") as handle:  # overwrite two pages of table data
        handle.seek(2 * 4096)
        handle.write(b"\xff" * 8192)


CASES = {
    "not sqlite": (_not_sqlite, "is not an SQLite database"),
    "foreign sqlite": (_foreign_sqlite, r"not an accel store \(no accel marker\)"),
    "newer schema": (_newer_schema, "written by a newer accel"),
    "damaged pages": (_damaged_pages, "malformed"),
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("readonly", [False, True], ids=["read-write", "read-only"])
def test_a_file_that_is_not_our_store_is_refused_and_left_untouched(
    case: str, readonly: bool, store_file: Path, digest
):
    make, message = CASES[case]
    make(store_file)
    before = digest(store_file)
    with pytest.raises(StoreError, match=message), Store(store_file, readonly=readonly) as store:
        store.runs()  # damaged pages show up when they are read
    if not readonly:
        with pytest.raises(StoreError, match=message), Store(store_file) as store:
            store.add_run(
                RunRecord(
                    kernel="julia",
                    backend="numpy",
                    size=8,
                    dtype="complex128",
                    status="ok",
                    machine="elsewhere",
                ),
                kernel_version="1",
            )
    assert digest(store_file) == before


@pytest.mark.parametrize(
    "command",
    [
        ["history"],
        ["export", "-"],
        ["import", "{export}"],
        ["run", "julia", "--backend", "numpy", "--size", "8"],
        ["select", "julia", "--size", "8", "--backends", "numpy"],
    ],
)
def test_the_cli_says_one_line_exits_2_and_measures_nothing(
    command: list[str], store_file: Path, tmp_path: Path, accel_cli, digest
):
    _foreign_sqlite(store_file)
    before = digest(store_file)
    export = tmp_path / "export.json"
    export.write_text(
        '{"format": "accel-results", "format_version": 1, "machines": [], "runs": []}'
    )
    args = [part.replace("{export}", str(export)) for part in command]
    result = accel_cli(*args, "--store", str(store_file))
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("accel: error: ")
    assert str(store_file) in lines[0] and "not an accel store" in lines[0]
    assert digest(store_file) == before


def test_a_missing_store_is_created_with_our_marker_and_an_empty_one_is_filled(
    store_file: Path,
):
    with Store(store_file) as store:
        assert store.count() == 0
    connection = sqlite3.connect(store_file)
    (application_id,) = connection.execute("PRAGMA application_id").fetchone()
    (mode,) = connection.execute("PRAGMA journal_mode").fetchone()
    connection.close()
    assert application_id == int.from_bytes(b"ACCL", "big")
    assert mode == "wal"
    empty = store_file.with_name("empty.sqlite")
    empty.touch()  # a zero-byte file holds nothing that could be lost
    with pytest.raises(StoreError, match="no store .* yet"):
        Store(empty, readonly=True)
    with Store(empty) as store:
        assert store.count() == 0
