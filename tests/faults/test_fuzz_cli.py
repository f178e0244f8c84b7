"""Hypothesis drives the command line with arbitrary arguments and arbitrary import files.

In this process (``accel.cli.main``), with the worker replaced by a stand-in that
returns an ``ok`` record at once: whatever is typed, the exit code is 0, 1 or 2, never
a traceback, and a refusal is one line; a backend named twice is measured once.
``accel import`` of any document either adds every run of it or changes not one byte of
the store, and what it adds every reader can show (finite, non-negative times).

The strategies reach where issue 21's faults were: whole numbers past 64 bits
(sizes, seeds, limits: faults 5, 14), seconds that are huge, infinite or NaN (8, 12),
memory sizes too small or too large (12), backend lists that are empty or repeat a
name (14), and in import files negative, NaN, infinite or overflowing times, numbers
of hundreds of digits and JSON nested thousands deep (6, 7).
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import io
import json
import math
import re
import subprocess
import sys
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


#: Backends the stand-in was asked to run, in order (reset by each _cli call).
ASKED: list[str] = []


#: What the stand-in worker does with a request: the parts of a real worker that take its
#: numbers (address-space limit, NumPy's import under it, the repetition policy).
LIGHT_WORKER = """
import json, sys
from accel.worker import limit_memory
from accel.measure import RepeatPolicy
spec = json.loads(sys.argv[1])
limit_memory(spec)
import numpy
policy = RepeatPolicy(**spec["policy"])
policy.count(policy.warmups(0.001) and 0.001 or 0.001)
"""


def _stand_in(request):
    """A light worker: a real process, given the request's spec and timeout, that takes the
    request's numbers as a worker does, but measures nothing; an ``ok`` record at once."""
    ASKED.append(request.backend)
    spec = request.spec()
    done = subprocess.run(
        [sys.executable, "-c", LIGHT_WORKER, json.dumps(spec)],
        capture_output=True,
        text=True,
        timeout=request.timeout,  # a timeout the operating system cannot wait is found here
    )
    if done.returncode != 0:
        why = (done.stderr.strip().splitlines() or ["no message"])[-1]
        return request.record("failed", f"the light worker failed: {why}")
    passed = {"passed": True, "error": 0.0, "detail": "measured by the stand-in"}
    return request.record("ok", "", samples_s=[0.001, 0.002], first_call_s=0.01, check=passed)


def _cli(argv: list[str]) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of ``accel *argv``; any other exception escapes."""
    out, err = io.StringIO(), io.StringIO()
    ASKED.clear()
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
#: Whole numbers: ordinary, around 2**63 (SQLite's and the C library's edge), and far past it.
WHOLE = st.one_of(
    st.integers(-(10**15), 10**15),
    st.integers(2**63 - 2, 2**63 + 2),
    st.integers(2**64, 10**40),
)
NUMBER = st.one_of(WHOLE.map(str), TEXT)
#: Seconds: small, huge (past what a wait can take), infinite and NaN.
SECONDS = st.one_of(
    NUMBER,
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["inf", "-inf", "nan", "3000000", "1e300", "0.001"]),
)
MEMORY = st.one_of(
    st.sampled_from(["1G", "512M", "1", "100K", "64M", "99999999999T"]),
    st.tuples(WHOLE.map(str), st.sampled_from(["", "K", "M", "G", "T", "MiB"])).map("".join),
    TEXT,
)
OPTIONS = {
    "--size": NUMBER,
    "--preset": _either(["S", "M", "L", "book"], TEXT),
    "--dtype": _either(["complex128", "complex64", "float32", "float64", "int64"], TEXT),
    "--threads": NUMBER,
    "--repeats": NUMBER,
    "--seed": NUMBER,
    "--timeout": SECONDS,
    "--min-time": SECONDS,
    "--memory-limit": MEMORY,
    "--events": _either(["task-clock", "cycles,page-faults"], TEXT),
}
#: Backend lists: real names, repeated, empty items, nothing at all.
BACKEND_LIST = st.one_of(
    _either(["numpy", "python", "numba_cpu"], TEXT),
    st.lists(st.sampled_from(["numpy", "python", "numba_cpu", "", " "]), max_size=4).map(",".join),
)


@st.composite
def command_lines(draw) -> list[str]:
    command = draw(st.sampled_from(["run", "compare", "sweep"]))
    kernel = draw(_either(list(KERNEL_NAMES), TEXT))
    argv = [command, kernel]
    if command == "run":
        argv += ["--backend", draw(_either(["numpy", "python", "numba_cpu"], TEXT))]
    else:
        argv += ["--backends", draw(BACKEND_LIST)]
    if command == "sweep":
        argv += ["--sizes", draw(st.one_of(NUMBER, st.lists(NUMBER, max_size=3).map(",".join)))]
    names = draw(st.lists(st.sampled_from(sorted(OPTIONS)), max_size=4, unique=True))
    for name in names:
        if command == "sweep" and name in ("--size", "--preset"):
            continue
        argv += [name, draw(OPTIONS[name])]
    return argv


def _listed(argv: list[str]) -> list[str] | None:
    """The distinct backends a compare or sweep command line names, in order."""
    if "--backends" not in argv:
        return None
    text = argv[argv.index("--backends") + 1]
    return list(dict.fromkeys(item.strip() for item in text.split(",") if item.strip()))


@FUZZ
@given(argv=command_lines())
def test_any_command_line_exits_0_1_or_2_and_a_refusal_is_one_line(argv, tmp_path):
    store = Path(tempfile.mkdtemp(dir=tmp_path)) / "results.sqlite"
    code, out, err = _cli([*argv, "--store", str(store)])
    event(f"exit code {code}")
    # 1 would be a failed run: the stand-in fails only a request no worker could run.
    assert code in (0, 2), (code, err, out)
    if code == 2:
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("accel: error: "), err
        assert "accel-unsaved-" not in err, err  # refused up front, not after measuring
        return
    assert out and "Traceback" not in err
    listed = _listed(argv)
    if listed is not None and argv[0] == "compare":  # each backend named is measured once
        assert listed == ASKED, (ASKED, argv)
        with Store(store, readonly=True) as opened:
            assert opened.count() == len(listed)


@FUZZ
@given(limit=NUMBER)
def test_any_history_limit_is_an_answer_or_a_usage_error(limit, filled_store):
    code, out, err = _cli(["history", "--limit", limit, "--store", str(filled_store)])
    assert code in (0, 2), err
    if code == 2:
        assert "move it aside" not in err and len(err.strip().splitlines()) == 1, err


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


TIME = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**5), 10**5),
    st.integers(10**300, 10**400),
    st.sampled_from([1e308, -1.0, 0.0, 0.25]),
)


@st.composite
def odd_timings(draw) -> object:
    """A valid export whose times (samples, first call, phases, transfers) are replaced."""
    document = _valid_export()
    record = draw(st.sampled_from([run["record"] for run in document["runs"]]))
    field = draw(st.sampled_from(["samples_s", "first_call_s", "phases_s", "transfer"]))
    if field == "samples_s":
        record[field] = draw(st.lists(TIME, min_size=1, max_size=4))
    elif field == "phases_s":
        record[field] = {"timed": draw(TIME)}
    elif field == "transfer":
        record[field] = {"h2d_s": draw(TIME), "h2d_bytes": 8, "d2h_s": 0.0, "d2h_bytes": 8}
    else:
        record[field] = draw(TIME)
    return document


def _raw(document: object) -> str:
    """The document as JSON text, as Python writes it (NaN and Infinity included)."""
    return json.dumps(document)


DEEP = st.integers(500, 5000).map(lambda depth: "[" * depth + "]" * depth)


@FUZZ
@given(
    text=st.one_of(st.one_of(odd_records(), mutated_exports(), odd_timings(), JSON).map(_raw), DEEP)
)
def test_import_of_any_document_adds_all_of_it_or_changes_nothing(text, filled_store, tmp_path):
    work = Path(tempfile.mkdtemp(dir=tmp_path))
    store = work / "results.sqlite"
    store.write_bytes(filled_store.read_bytes())
    with Store(store, readonly=True) as opened:
        before = opened.count()
    bytes_before = _digest(store)
    source = work / "export.json"
    source.write_text(text)
    code, out, err = _cli(["import", str(source), "--store", str(store)])
    event(f"exit code {code}")
    assert code in (0, 2), err
    if code == 2:
        assert len(err.strip().splitlines()) == 1 and "nothing was imported" in err
        assert _digest(store) == bytes_before
        return
    document = json.loads(text)
    added, present = map(int, re.match(r"imported (\d+) runs \((\d+) already", out).groups())
    assert added + present == len(document["runs"])
    with Store(store, readonly=True) as opened:
        assert opened.count() == before + added
        runs = opened.runs()
        stored = {record_digest(run.record) for run in runs}
    wanted = {
        record_digest(RunRecord.from_dict(copy.deepcopy(r["record"]))) for r in document["runs"]
    }
    assert wanted <= stored
    for run in runs:  # what was imported, every reader can show and rank
        assert all(math.isfinite(t) and t >= 0 for t in _times(run.record)), run.record
    shown, _, said = _cli(["history", "--store", str(store)])
    assert shown == 0, said


def _times(record: RunRecord) -> list[float]:
    transfer = record.transfer
    moved = [transfer.h2d_s, transfer.d2h_s] if transfer is not None else []
    return [
        *record.samples_s,
        *record.phases_s.values(),
        *moved,
        record.first_call_s or 0.0,
        record.end_to_end_s or 0.0,
    ]


@FUZZ
@given(document=odd_timings())
def test_imported_times_are_finite_and_non_negative_or_refused(document, filled_store, tmp_path):
    """Fault 6: an export whose times are negative, NaN, infinite or overflow a sum."""
    store = Path(tempfile.mkdtemp(dir=tmp_path)) / "results.sqlite"
    store.write_bytes(filled_store.read_bytes())
    source = store.with_name("export.json")
    source.write_text(_raw(document))
    code, _, err = _cli(["import", str(source), "--store", str(store)])
    event(f"exit code {code}")
    assert code in (0, 2), err
    with Store(store, readonly=True) as opened:
        for run in opened.runs():
            assert all(math.isfinite(t) and t >= 0 for t in _times(run.record)), run.record
