"""Hostile files: export targets that are devices or links, export files that attack.

Issue 21, faults 1, 2, 6, 7, 9 and the import half of 14. Export files travel between
machines, so an import must refuse, in one line and before a byte of the store
changes, every name that could leave a folder when it becomes a file name, every time
that is not a finite non-negative number, and every value a reader would crash on.
Output paths are checked before anything is measured.
"""

from __future__ import annotations

import copy
import json
import math
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from accel.record import RunRecord
from accel.store import EXPORT_FORMAT, Store


def _cli(*args: str, env: dict | None = None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "accel", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
        **kw,
    )


def _one_line_error(result: subprocess.CompletedProcess) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1 and lines[0].startswith("accel: error: "), result.stderr
    return lines[0]


def _record(**overrides) -> dict:
    record = RunRecord(
        kernel="julia", backend="numpy", size=8, dtype="complex128", status="ok",
        samples_s=[0.001, 0.002], first_call_s=0.01, machine="feedfacecafe",
        versions={"accel": "0.1.0"},
    ).to_dict()  # fmt: skip
    record.update(overrides)
    return record


def _export(*records: dict, report: dict | None = None, **top) -> dict:
    return {
        "format": EXPORT_FORMAT,
        "format_version": 1,
        "exported_at": "2026-01-01T00:00:00+00:00",
        "machines": [
            {
                "fingerprint": "feedfacecafe",
                "report": report if report is not None else {"cpu": {"model_name": "x"}},
                "first_seen": "2026-01-01",
            }
        ],
        "runs": [
            {"kernel_version": "1", "created_at": "2026-01-01T00:00:00", "record": r}
            for r in (records or (_record(),))
        ],
        **top,
    }


@pytest.fixture
def filled(tmp_path) -> Path:
    """A store holding one valid imported run."""
    with Store(tmp_path / "results.sqlite") as store:
        store.import_(_export())
        return store.path


# -- fault 1: export never renames over what is not a regular file -------------------


def _device(path: Path, minor: int) -> Path:
    """A character device node like /dev/null (minor 3) or /dev/full (minor 7)."""
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, minor))
    except PermissionError:
        pytest.skip("making a device node needs root (CAP_MKNOD)")
    return path


def test_export_to_a_device_writes_into_it_and_leaves_it_a_device(tmp_path, filled):
    null = _device(tmp_path / "null", 3)
    result = _cli("export", str(null), "--store", str(filled))
    assert result.returncode == 0, result.stderr
    assert stat.S_ISCHR(null.stat().st_mode)  # before the fix: a 0600 JSON file


def test_export_to_a_full_device_is_a_one_line_error(tmp_path, filled):
    full = _device(tmp_path / "full", 7)
    assert "No space left on device" in _one_line_error(
        _cli("export", str(full), "--store", str(filled))
    )
    assert stat.S_ISCHR(full.stat().st_mode)


def test_export_through_a_symlink_writes_the_file_it_names(tmp_path, filled):
    real, link = tmp_path / "real.json", tmp_path / "link.json"
    real.write_text("old")
    link.symlink_to(real.name)
    assert _cli("export", str(link), "--store", str(filled)).returncode == 0
    assert link.is_symlink()
    assert len(json.loads(real.read_text())["runs"]) == 1


def test_export_to_a_fifo_is_written_into(tmp_path, filled):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE, text=True)
    assert _cli("export", str(fifo), "--store", str(filled)).returncode == 0
    assert len(json.loads(reader.communicate(timeout=60)[0])["runs"]) == 1
    assert stat.S_ISFIFO(fifo.stat().st_mode)


@pytest.mark.parametrize(
    "target, says",
    [("{tmp}", "it is a folder"), ("{tmp}/missing/x.json", "does not exist")],
)
def test_export_to_a_folder_or_a_missing_folder_is_a_one_line_error(tmp_path, filled, target, says):
    line = _one_line_error(_cli("export", target.format(tmp=tmp_path), "--store", str(filled)))
    assert says in line


# -- fault 2: names that would leave a folder ------------------------------------------

TRAVERSAL = "../../../../tmp/x/evil"


@pytest.mark.parametrize(
    "document",
    [
        _export(_record(kernel=TRAVERSAL)),
        _export(_record(backend="../evil")),
        _export(_record(dtype="a/b")),
        _export(_record(variant="../evil")),
        _export(_record(machine="../m")),
        {**_export(), "machines": [{"fingerprint": "../m", "report": {}, "first_seen": "x"}]},
    ],
    ids=["kernel", "backend", "dtype", "variant", "record machine", "machine fingerprint"],
)
@pytest.mark.slow
def test_an_export_with_a_path_in_a_name_is_refused_whole(tmp_path, filled, document, digest):
    hostile = tmp_path / "trav.json"
    hostile.write_text(json.dumps(document))
    before = digest(filled)
    line = _one_line_error(_cli("import", str(hostile), "--store", str(filled)))
    assert "not a valid name" in line and "nothing was imported" in line
    assert digest(filled) == before
    report = tmp_path / "rep" / "r.md"
    report.parent.mkdir()
    _one_line_error(_cli("report", "--markdown", str(report), "--from", str(hostile)))
    assert not report.exists()


def test_a_stored_name_with_a_path_still_names_files_inside_the_report_folder(tmp_path):
    """A store written before names were checked: the report's files stay in its folder."""
    store = tmp_path / "old.sqlite"
    evil = RunRecord.from_dict(_record(kernel="../../escaped/evil"))
    with Store(store) as opened:
        opened.add_run(evil)
    (tmp_path / "a" / "b").mkdir(parents=True)
    report = tmp_path / "a" / "b" / "r.md"
    result = _cli("report", "--markdown", str(report), "--store", str(store))
    assert result.returncode == 0, result.stderr
    escaped = [p for p in tmp_path.rglob("*evil*") if report.parent not in p.parents]
    assert escaped == []
    assert any("evil" in p.name for p in (report.parent / "r-figures").iterdir())


# -- faults 6, 7 and 14: values that would mislead or crash a reader ------------------


def _deep(levels: int) -> object:
    value: object = 1
    for _ in range(levels):
        value = [value]
    return value


HOSTILE = {
    "negative samples": _export(_record(samples_s=[-1, -2])),
    "NaN sample": _export(_record(samples_s=[math.nan, 0.001])),
    "infinite sample": _export(_record(samples_s=[math.inf])),
    "fsum overflow": _export(_record(samples_s=[1e308, 1e308])),
    "400-digit sample": _export(_record(samples_s=[10**400])),
    "400-digit seed": _export(_record(seed=10**400)),
    "negative first call": _export(_record(first_call_s=-0.5)),
    "NaN phase": _export(_record(phases_s={"timed": math.nan})),
    "negative transfer": _export(
        _record(transfer={"h2d_s": -1, "h2d_bytes": 8, "d2h_s": 0, "d2h_bytes": 8})
    ),
    "counters events text": _export(_record(counters={"events": "x"})),
    "counters event value text": _export(
        _record(counters={"events": {"cycles": {"value": "x", "status": "counted"}}})
    ),
    "process figure text": _export(_record(process={"cpu_s": "x"})),
    "params nested deep": _export(_record(params={"a": _deep(40)})),
    "memory text": _export(report={"memory": "x"}),
    "memory total text": _export(report={"memory": {"total_bytes": "x"}}),
    "format_version -5": {**_export(), "format_version": -5},
    "format_version true": {**_export(), "format_version": True},
    "format_version 0": {**_export(), "format_version": 0},
}


@pytest.mark.parametrize("document", HOSTILE.values(), ids=HOSTILE.keys())
@pytest.mark.slow
def test_a_hostile_export_is_refused_in_one_line_and_the_store_keeps_every_byte(
    tmp_path, filled, document, digest
):
    hostile = tmp_path / "hostile.json"
    hostile.write_text(json.dumps(document))  # NaN and Infinity as Python writes them
    before = digest(filled)
    line = _one_line_error(_cli("import", str(hostile), "--store", str(filled)))
    assert "nothing was imported" in line
    assert digest(filled) == before


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000 + "]" * 100_000,  # RecursionError in the JSON parser
        json.dumps(_export(_record(reason="\ud800"))),  # a lone surrogate, escaped
        '{"format": "accel-results", "format_version": 1' + "9" * 5000 + "}",  # digits limit
    ],
    ids=["deep JSON", "lone surrogate", "5000-digit integer"],
)
def test_json_a_reader_cannot_take_is_refused_in_one_line(tmp_path, filled, text, digest):
    hostile = tmp_path / "hostile.json"
    hostile.write_text(text)
    before = digest(filled)
    _one_line_error(_cli("import", str(hostile), "--store", str(filled)))
    assert digest(filled) == before


def test_a_valid_export_still_imports_and_its_answer_is_the_imported_time(tmp_path, filled):
    """The checks refuse the hostile, not the ordinary: the control case."""
    other = tmp_path / "other.sqlite"
    document = _export(_record(samples_s=[0.25, 0.25, 0.25]))
    good = tmp_path / "good.json"
    good.write_text(json.dumps(copy.deepcopy(document)))
    assert _cli("import", str(good), "--store", str(other)).returncode == 0
    with Store(other, readonly=True) as opened:
        (run,) = opened.runs()
    assert run.record.median_s == 0.25


def test_a_stored_null_record_is_a_one_line_error_not_a_crash(filled):
    with sqlite3.connect(filled) as conn:
        conn.execute("UPDATE runs SET record = 'null'")
    assert "cannot be read" in _one_line_error(_cli("history", "--store", str(filled)))


# -- fault 9: output paths -----------------------------------------------------------


@pytest.fixture
def read_only_folder(tmpfs) -> Path:
    """A folder on a read-only tmpfs."""
    return tmpfs("ro,size=64k")


@pytest.mark.parametrize("option", ["--html", "--markdown"])
def test_a_report_to_a_read_only_place_is_a_one_line_error(read_only_folder, filled, option):
    line = _one_line_error(
        _cli("report", option, str(read_only_folder / "r.html"), "--store", str(filled))
    )
    assert "read-only file system" in line


@pytest.mark.parametrize("where", ["{tmp}", "{tmp}/missing/r.html"])
def test_a_report_to_a_folder_or_a_missing_folder_is_a_one_line_error(tmp_path, filled, where):
    _one_line_error(_cli("report", "--html", where.format(tmp=tmp_path), "--store", str(filled)))


def test_a_plot_to_a_read_only_place_is_refused_before_measuring(read_only_folder, tmp_path):
    store = tmp_path / "fresh.sqlite"
    line = _one_line_error(
        _cli(
            "compare", "julia", "--backends", "numpy", "--size", "8",
            "--plot", str(read_only_folder / "c.svg"), "--store", str(store),
        )
    )  # fmt: skip
    assert "read-only file system" in line
    assert not store.exists() or Store(store, readonly=True).count() == 0


def test_stdout_on_a_full_device_is_a_one_line_error(tmp_path, filled):
    full = _device(tmp_path / "full", 7)
    with open(full, "w") as out:
        result = subprocess.run(
            [sys.executable, "-m", "accel", "history", "--store", str(filled)],
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
            timeout=300,
        )
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == "accel: error: cannot write the output: No space left on device"


def test_an_ascii_terminal_gets_the_output_with_what_it_cannot_show_replaced(filled):
    result = _cli("history", "--json", "--store", str(filled), env={"PYTHONIOENCODING": "ascii"})
    assert result.returncode == 0, result.stderr
    shown = _cli(
        "run", "julia", "--backend", "numpy", "--size", "8", "--no-store",
        env={"PYTHONIOENCODING": "ascii"},
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert "median" in shown.stdout and "?" in shown.stdout and "Traceback" not in shown.stderr
