"""The run record's JSON form and the repetition policy."""

import json
import statistics

import pytest

from accel.measure import RepeatPolicy
from accel.record import SCHEMA_VERSION, RunRecord, Transfer


def _record(**extra):
    return RunRecord(
        kernel="julia",
        backend="pypy",
        size=10,
        dtype="complex128",
        status="ok",
        samples_s=[0.3, 0.1, 0.2, 0.4],
        transfer=Transfer(0.01, 1600, 0.02, 800),
        **extra,
    )


def test_record_round_trips_through_json():
    record = _record()
    again = RunRecord.from_dict(json.loads(record.to_json()))
    assert again == record


def test_summary_statistics_match_the_statistics_module():
    data = _record().to_dict()
    assert data["stats"]["median_s"] == statistics.median([0.3, 0.1, 0.2, 0.4])
    assert data["stats"]["stdev_s"] == statistics.stdev([0.3, 0.1, 0.2, 0.4])
    assert data["end_to_end_s"] == pytest.approx(0.25 + 0.01 + 0.02)


def test_newer_schema_and_unknown_status_are_refused():
    data = _record().to_dict()
    with pytest.raises(ValueError, match="upgrade accel"):
        RunRecord.from_dict({**data, "schema": SCHEMA_VERSION + 1})
    with pytest.raises(ValueError, match="unknown status"):
        RunRecord.from_dict({**data, "status": "great"})


@pytest.mark.parametrize(
    "estimate, expected",
    [(1e-6, 200), (0.01, 50), (0.2, 5), (5.0, 4), (30.0, 3)],
)
def test_repeat_count_fills_min_time_within_bounds(estimate, expected):
    policy = RepeatPolicy(min_time=0.5, min_repeats=5, max_repeats=200, max_time=20.0)
    assert policy.count(estimate) == expected


def test_explicit_repeats_win_and_long_calls_skip_the_warmup():
    assert RepeatPolicy(repeats=7).count(100.0) == 7
    assert RepeatPolicy().warmups(0.01) == 1
    assert RepeatPolicy().warmups(3.0) == 0
