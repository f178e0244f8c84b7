"""Hypothesis drives the command line with arbitrary arguments and arbitrary import files.

In this process (``accel.cli.main``), with the worker replaced by a stand-in that
returns an ``ok`` record at once: whatever is typed, the exit code is 0, 1 or 2, never
a traceback, and a refusal is one line. ``accel import`` of any document either adds
every run of it or changes not one byte of the store.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import io
import json
import re
import tempfile
from pathlib import Path
from unittest import mock

import pytest
from accel.kernels import KERNEL_NAMES
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import accel.loop
from accel.backends import BACKEND_NAMES
from accel.cli import main
from accel.record import RunRecord
from accel.store import EXPORT_FORMAT, EXPORT_VERSION, Store, record_digest

FUZZ = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _stand_in(request):
    """What a worker returns for a run that went well, at once."""
    passed = {"passed": True, "error": 0.0, "detail": "measured by the stand-in"}
    return request.record("ok", "", samples_s=[0.001, 0.002], first_call_s=0.01, check=passed)


def _cli(argv: list[str]) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of ``accel *argv``; any other exception escapes."""
    out, err = io.StringIO(), io.StringIO()
    with (
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
        mock.patch.object(accel.loop, "execute", _stand_in),
    ):
        try:
            code = main(argv)
        except SystemExit as exit_:  # argparse: --help, or a usage mistake
            code = exit_.code
    return code, out.getvalue(), err.getvalue()


def _either(valid, junk):
    return st.one_of(st.sampled_from(valid), junk)


TEXT = st.text(max_size=12)
NUMBER = st.one_of(st.integers(-(10**15), 10**15).map(str), TEXT)
OPTIONS = {
    "--size": NUMBER,
    "--preset": _either(["S", "M", "L", "book"], TEXT),
    "--dtype": _either(["complex128", "complex64", "float32", "float64", "int64"], TEXT),
    "--threads": NUMBER,
    "--repeats": NUMBER,
    "--seed": NUMBER,
    "--timeout": NUMBER,
    "--memory-limit": _either(["1G", "512M"], TEXT),
    "--events": _either(["task-clock", "cycles,page-faults"], TEXT),
}


@st.composite
def command_lines(draw) -> list[str]:
    command = draw(st.sampled_from(["run", "compare", "sweep"]))
    kernel = draw(_either(list(KERNEL_NAMES), TEXT))
    backend = draw(_either(["numpy", "python", "numba_cpu"], TEXT))
    argv = [command, kernel]
    argv += ["--backend", backend] if command == "run" else ["--backends", backend]
    if command == "sweep":
        argv += ["--sizes", draw(st.one_of(NUMBER, st.lists(NUMBER, max_size=3).map(",".join)))]
    names = draw(st.lists(st.sampled_from(sorted(OPTIONS)), max_size=4, unique=True))
    for name in names:
        if command == "sweep" and name in ("--size", "--preset"):
            continue
        argv += [name, draw(OPTIONS[name])]
    return argv


@FUZZ
@given(argv=command_lines())
def test_any_command_line_exits_0_1_or_2_and_a_refusal_is_one_line(argv, tmp_path):
    store = Path(tempfile.mkdtemp(dir=tmp_path)) / "results.sqlite"
    code, out, err = _cli([*argv, "--store", str(store)])
    event(f"exit code {code}")
    assert code in (0, 1, 2), (code, err)
    if code == 2:
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("accel: error: "), err
    else:
        assert out and "Traceback" not in err


def test_the_fuzzed_command_lines_do_reach_the_measurement(tmp_path):
    """Not every fuzzed line is a refusal: a valid one runs (here, the stand-in)."""
    code, out, _ = _cli(
        ["compare", "julia", "--backends", "numpy,python", "--size", "8", "--no-store"]
    )
    assert code == 0 and "numpy" in out and "python" in out
    assert set(BACKEND_NAMES) >= {"numpy", "python"}


def _valid_export() -> dict:
    records = [
        RunRecord(
            kernel="julia", backend=backend, size=8, dtype="complex128", status="ok",
            samples_s=[0.001, 0.002], machine="fuzz-machine", versions={"accel": "0.1.0"},
        )
        for backend in ("numpy", "numba_cpu")
    ]  # fmt: skip
    return {
        "format": EXPORT_FORMAT,
        "format_version": EXPORT_VERSION,
        "exported_at": "2026-01-01T00:00:00+00:00",
        "machines": [
            {
                "fingerprint": "fuzz-machine",
                "report": {"cpu": {"model_name": "x"}},
                "first_seen": "2026-01-01",
            }
        ],
        "runs": [
            {"kernel_version": "1", "created_at": "2026-01-01T00:00:00", "record": r.to_dict()}
            for r in records
        ],
    }


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def mutated_exports(draw) -> object:
    """A valid export with a few values replaced or keys removed, anywhere in it."""
    document = _valid_export()
    for _ in range(draw(st.integers(1, 3))):
        node = document
        while True:  # walk down to a random container
            keys = list(node) if isinstance(node, dict) else list(range(len(node)))
            if not keys:
                break
            key = draw(st.sampled_from(keys))
            child = node[key]
            if isinstance(child, (dict, list)) and child and draw(st.booleans()):
                node = child
                continue
            if isinstance(node, dict) and draw(st.booleans()):
                del node[key]
            else:
                node[key] = draw(JSON)
            break
    return document


@st.composite
def odd_records(draw) -> object:
    """A valid export whose run records or machines have fields replaced or removed."""
    document = _valid_export()
    for _ in range(draw(st.integers(1, 3))):
        entry = draw(
            st.sampled_from([run["record"] for run in document["runs"]] + document["machines"])
        )
        key = draw(st.sampled_from(sorted(entry)) | st.text(max_size=8))
        if key in entry and draw(st.booleans()):
            del entry[key]
        else:
            entry[key] = draw(JSON)
    return document


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def filled_store(tmp_path) -> Path:
    path = tmp_path / "results.sqlite"
    with Store(path) as store:
        store.import_(_valid_export())
    return path


@FUZZ
@given(document=st.one_of(odd_records(), mutated_exports(), JSON))
def test_import_of_any_document_adds_all_of_it_or_changes_nothing(document, filled_store, tmp_path):
    work = Path(tempfile.mkdtemp(dir=tmp_path))
    store = work / "results.sqlite"
    store.write_bytes(filled_store.read_bytes())
    with Store(store, readonly=True) as opened:
        before = opened.count()
    bytes_before = _digest(store)
    source = work / "export.json"
    source.write_text(json.dumps(document))
    code, out, err = _cli(["import", str(source), "--store", str(store)])
    event(f"exit code {code}")
    assert code in (0, 2), err
    if code == 2:
        assert len(err.strip().splitlines()) == 1 and "nothing was imported" in err
        assert _digest(store) == bytes_before
        return
    added, present = map(int, re.match(r"imported (\d+) runs \((\d+) already", out).groups())
    assert added + present == len(document["runs"])
    with Store(store, readonly=True) as opened:
        assert opened.count() == before + added
        stored = {record_digest(run.record) for run in opened.runs()}
    wanted = {
        record_digest(RunRecord.from_dict(copy.deepcopy(r["record"]))) for r in document["runs"]
    }
    assert wanted <= stored
