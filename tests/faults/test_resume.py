"""What ``resume`` counts as done: the latest matching stored run, if it finished (ok/invalid).

The store is filled with hand-made records; the worker is replaced by a stand-in that
notes each run it is asked for, so the test sees exactly which runs resume repeats.
"""

from __future__ import annotations

import dataclasses

import pytest

import accel
import accel.loop
from accel.errors import UsageError
from accel.identity import key_versions, machine_fingerprint
from accel.record import RunRecord
from accel.store import Store

THREADS = 2


def _record(status: str, started_at: str = "2026-01-01T00:00:00+00:00", **changes) -> RunRecord:
    """A numpy run of julia at preset S, as a worker on this machine would have stored it."""
    record = RunRecord(
        kernel="julia",
        backend="numpy",
        size=200,
        dtype="complex128",
        status=status,
        params={"max_iter": 300},
        threads=THREADS,
        seed=0,
        samples_s=[0.01] if status == "ok" else [],
        machine=machine_fingerprint(),
        versions=key_versions("numpy"),
        started_at=started_at,
    )
    return dataclasses.replace(record, **changes)


@pytest.fixture
def measured(monkeypatch) -> list[str]:
    """Backends the loop was asked to measure (nothing is really run)."""
    calls: list[str] = []

    def stand_in(request):
        calls.append(request.backend)
        return request.record("ok", "measured by the stand-in")

    monkeypatch.setattr(accel.loop, "execute", stand_in)
    return calls


def _resume(store) -> list[RunRecord]:
    return accel.compare(
        "julia", ["numpy"], preset="S", threads=THREADS, store=store, resume=True, counters=False
    )


@pytest.mark.parametrize("status", ["ok", "invalid"])
def test_a_finished_run_is_taken_from_the_store_not_measured_again(status, measured, tmp_path):
    store = tmp_path / "results.sqlite"
    with Store(store) as opened:
        opened.add_run(_record(status))
    (record,) = _resume(store)
    assert measured == []
    assert record.status == status and record.started_at.startswith("2026-01-01")


@pytest.mark.parametrize("status", ["failed", "timeout", "unavailable"])
def test_failed_timed_out_and_unavailable_runs_are_measured_again(status, measured, tmp_path):
    store = tmp_path / "results.sqlite"
    with Store(store) as opened:
        opened.add_run(_record(status, reason="it went wrong"))
    (record,) = _resume(store)
    assert measured == ["numpy"]
    assert record.reason == "measured by the stand-in"


@pytest.mark.parametrize(
    "changes",
    [
        {"machine": "another-machine"},
        {"threads": THREADS + 1},
        {"seed": 7},
        {"params": {"max_iter": 299}},
        {"versions": {**key_versions("numpy"), "accel": "0.0.0-older"}},
    ],
    ids=["machine", "threads", "seed", "params", "accel-version"],
)
def test_a_run_that_differs_in_its_key_does_not_count(changes, measured, tmp_path):
    store = tmp_path / "results.sqlite"
    with Store(store) as opened:
        opened.add_run(_record("ok", **changes))
    _resume(store)
    assert measured == ["numpy"]


def test_the_latest_matching_run_decides(measured, tmp_path):
    store = tmp_path / "results.sqlite"
    with Store(store) as opened:
        opened.add_run(_record("ok", "2026-01-01T00:00:00+00:00"))
        opened.add_run(_record("failed", "2026-01-02T00:00:00+00:00", reason="later, broken"))
    _resume(store)
    assert measured == ["numpy"]


def test_resume_without_a_store_is_a_usage_error(measured):
    with pytest.raises(UsageError, match="resume"):
        accel.compare("julia", ["numpy"], preset="S", store=False, resume=True)
    assert measured == []
