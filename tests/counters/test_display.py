"""How counters, transfers and process figures read on the command line (hand-made records)."""

from __future__ import annotations

from pathlib import Path

from accel.cli.format import counter_lines
from accel.counters import DEFAULT_EVENTS, parse_perf_csv, summarise
from accel.record import RunRecord, Transfer
from accel.tables import compare_notes, compare_rows, counter_rows, event_cell, transfer_share

FIXTURES = Path(__file__).parent / "fixtures"


def _record(backend: str, samples: list[float], **extra) -> RunRecord:
    return RunRecord("julia", backend, 100, "complex128", "ok", samples_s=samples, **extra)


def _counters(fixture: str, repeats: int) -> dict:
    text = (FIXTURES / fixture).read_text()
    return summarise(parse_perf_csv(text, DEFAULT_EVENTS), DEFAULT_EVENTS, repeats)


def test_transfer_share_is_transfer_time_over_end_to_end_time():
    moved = Transfer(h2d_s=0.001, h2d_bytes=640, d2h_s=0.003, d2h_bytes=320)
    record = _record("pypy", [0.004, 0.004, 0.004], transfer=moved)
    assert transfer_share(record) == "50%"  # 4 ms moving of 8 ms end to end
    assert transfer_share(_record("numpy", [0.004])) == "none"
    assert transfer_share(_record("numpy", [])) == "-"


def test_a_multiplexed_event_shows_the_share_it_was_counted():
    counters = _counters("bare_metal_multiplexed.csv", repeats=1)
    assert event_cell(counters["events"]["cache-misses"]) == "23.5M (50%)"
    assert event_cell(counters["events"]["page-faults"]) == "1.23k"
    assert event_cell(counters["events"]["task-clock"], "value") == "2.1 s"  # 2104.12 msec
    assert event_cell(counters["events"]["task-clock"]) == "2.1 s"  # one call


def test_unsupported_events_read_unsupported_in_run_and_compare():
    counters = _counters("kvm_software_only.csv", repeats=10)
    reason = "cycles, instructions: not supported by this CPU/VM (perf reports <not supported>)"
    record = _record("numpy", [0.01] * 10, counters=counters, counters_reason=reason)
    lines = counter_lines(record)
    assert "  cycles            unsupported  unsupported" in lines
    assert lines[-1] == f"  not counted: {reason}"
    headers, rows = compare_rows([record])
    assert rows[0][headers.index("cache misses/call")] == "unsupported"
    assert rows[0][headers.index("IPC")] == "unsupported"
    assert f"counters: {reason}" in compare_notes([record])


def test_counted_ratios_read_as_ipc_and_percent():
    record = _record("numba_cpu", [0.5] * 4, counters=_counters("bare_metal_multiplexed.csv", 4))
    assert "  IPC 1.88, cache miss ratio 5.7%" in counter_lines(record)
    headers, rows = compare_rows([record])
    assert rows[0][headers.index("IPC")] == "1.88"
    assert rows[0][headers.index("cache misses/call")] == "5.86M (50%)"
    assert any("multiplexed" in note for note in compare_notes([record]))


def test_runs_without_counters_say_why_once():
    reason = "perf is not on PATH: install perf"
    records = [_record(b, [0.01], counters_reason=reason) for b in ("numpy", "numba_cpu")]
    assert counter_lines(records[0]) == [f"counters     none: {reason}"]
    headers, _ = compare_rows(records)
    assert "IPC" not in headers and "transfer" in headers
    assert compare_notes(records).count(f"counters: {reason}") == 1


def test_counter_view_has_a_column_per_event_and_ratios_only_where_asked():
    full = _record("numba_cpu", [0.5] * 4, counters=_counters("bare_metal_multiplexed.csv", 4))
    moved = Transfer(h2d_s=0.1, h2d_bytes=1, d2h_s=0.1, d2h_bytes=1)
    slow = _record("pypy", [0.6] * 4, transfer=moved, counters=full.counters)
    headers, rows = counter_rows([slow, full], DEFAULT_EVENTS)
    assert headers[3:11] == [f"{event}/call" for event in DEFAULT_EVENTS]
    assert headers[11:13] == ["IPC", "cache miss ratio"]
    assert [row[0] for row in rows] == ["numba_cpu", "pypy"]  # 0.5 s vs 0.8 s end to end
    assert rows[1][-1] == "25%"  # 0.2 s of 0.8 s moving data
    headers, _ = counter_rows([full], ("task-clock", "cache-misses"))
    assert "IPC" not in headers and "cache miss ratio" not in headers
