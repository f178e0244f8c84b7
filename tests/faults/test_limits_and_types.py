"""Numbers that cannot hold and arguments of the wrong type: refused before any run.

Issue 21, faults 5, 8, 12 and the Python-API half of 14. A size of 2**63 ran to its
timeout and then lost the run to ``OverflowError`` in the store; ``--timeout 3000000``
or ``inf`` was a traceback; ``--memory-limit 99999999999T``, ``1`` or ``100K`` and
``--min-time inf`` became failed rows; ``accel.run(timeout="5")`` and friends raised a
raw TypeError where the README promises ``accel.UsageError``. The worker is replaced by
a tripwire: whatever is refused here must be refused before a worker starts.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import accel
import accel.loop
from accel.record import RunRecord
from accel.store import Store, StoreError

HUGE = str(2**63)


pytestmark = pytest.mark.usefixtures("no_worker_may_start")


RUN = ["run", "julia", "--backend", "numpy"]
REFUSED = {
    "size 2**63": (["run", "pi", "--backend", "numpy", "--size", HUGE], "size must be at most"),
    "size 10**30": (["run", "pi", "--backend", "numpy", "--size", "1" + "0" * 30], "at most"),
    "sweep size 2**63": (
        ["sweep", "pi", "--backends", "numpy", "--sizes", f"8,{HUGE}"],
        "size must be at most",
    ),
    "seed 2**63": ([*RUN, "--seed", HUGE], "seed must be at most"),
    "repeats 2**64": ([*RUN, "--repeats", str(2**64)], "repeats must be at most"),
    "timeout 3000000": ([*RUN, "--timeout", "3000000"], "timeout must be at most"),
    "timeout inf": ([*RUN, "--timeout", "inf"], "timeout must be at most"),
    "timeout nan": ([*RUN, "--timeout", "nan"], "timeout must be positive"),
    "min-time inf": ([*RUN, "--min-time", "inf"], "min-time must be at most"),
    "memory limit 99999999999T": ([*RUN, "--memory-limit", "99999999999T"], "at most 2**63-1"),
    "memory limit 1": ([*RUN, "--memory-limit", "1"], "at least 64 MiB"),
    "memory limit 100K": ([*RUN, "--memory-limit", "100K"], "at least 64 MiB"),
}


@pytest.mark.parametrize("argv, says", REFUSED.values(), ids=REFUSED.keys())
def test_a_number_that_cannot_hold_is_refused_before_any_run(argv, says, one_line_error, tmp_path):
    store = tmp_path / "results.sqlite"
    line = one_line_error([*argv, "--store", str(store)])
    assert says in line, line
    assert not store.exists() or Store(store, readonly=True).count() == 0


WRONG_TYPES = {
    "timeout text": dict(timeout="5"),
    "min_time text": dict(min_time="x"),
    "dtype list": dict(dtype=["complex128"]),
    "events number": dict(events=5),
    "store number": dict(store=123),
    "params number": dict(params=5),
    "params keys": dict(params={1: 2}),
    "counters text": dict(counters="yes"),
    "pinned number": dict(pinned=1),
    "preset number": dict(preset=5),
    "threads text": dict(threads="2"),
    "size float": dict(size=8.0),
    "seed huge": dict(seed=2**70),
}


@pytest.mark.parametrize("options", WRONG_TYPES.values(), ids=WRONG_TYPES.keys())
@pytest.mark.parametrize("call", ["run", "compare"])
def test_the_python_api_raises_usage_error_for_a_wrong_type(call, options, tmp_path):
    options = {"size": 8, "store": tmp_path / "results.sqlite", **options}
    with pytest.raises(accel.UsageError):
        if call == "run":
            accel.run("julia", "numpy", **options)
        else:
            accel.compare("julia", ["numpy"], **options)


def _record(**overrides) -> RunRecord:
    fields = dict(kernel="julia", backend="numpy", size=8, dtype="complex128", status="ok")
    return RunRecord(**{**fields, **overrides})


def test_the_store_refuses_a_number_beyond_64_bits_as_a_store_error(tmp_path):
    with Store(tmp_path / "results.sqlite") as store, pytest.raises(StoreError) as refused:
        store.add_run(_record(size=2**63), kernel_version="1")
    assert "64 bits" in str(refused.value)


def test_a_record_the_store_cannot_hold_is_kept_in_a_recovery_file(tmp_path, monkeypatch):
    """Whatever slipped past the checks: the measured record is kept, never lost."""
    monkeypatch.chdir(tmp_path)
    save = accel.loop.saver(tmp_path / "results.sqlite")
    with pytest.raises(StoreError) as refused:
        save(_record(size=2**63, samples_s=[0.5]))
    kept = Path(str(refused.value).rsplit("accel import ", 1)[1].rstrip("'"))
    (run,) = json.loads(kept.read_text())["runs"]
    assert run["record"]["size"] == 2**63 and run["record"]["samples_s"] == [0.5]
