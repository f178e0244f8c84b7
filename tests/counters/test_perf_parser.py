"""perf's CSV read right: counted, multiplexed, <not supported>, <not counted>, hybrid lines.

Expected values are the numbers written in the fixture lines themselves (see
fixtures/README.md); ratios are worked out here by hand from those numbers.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from accel.counters import (
    DEFAULT_EVENTS,
    CounterPlan,
    absent_reason,
    parse_events,
    parse_perf_csv,
    summarise,
)
from accel.errors import UsageError

FIXTURES = Path(__file__).parent / "fixtures"


def _read(name: str) -> str:
    return (FIXTURES / name).read_text()


def test_vm_hardware_events_are_unsupported_not_zero_and_software_events_count():
    counts = parse_perf_csv(_read("kvm_software_only.csv"), DEFAULT_EVENTS)
    for event in ("cycles", "instructions", "cache-references", "cache-misses"):
        assert counts[event].status == "not supported"
        assert counts[event].value is None
    assert counts["task-clock"].value == 170.61 and counts["task-clock"].unit == "msec"
    assert counts["page-faults"].value == 0.0 and counts["page-faults"].status == "counted"
    assert counts["context-switches"].value == 39.0  # printed though not requested
    assert counts["task-clock"].fraction == 1.0


def test_multiplexed_events_carry_the_share_of_the_region_they_were_counted():
    counts = parse_perf_csv(_read("bare_metal_multiplexed.csv"), DEFAULT_EVENTS)
    assert counts["cycles"].value == 8123456789.0
    assert counts["cycles"].fraction == pytest.approx(0.7502)
    assert counts["cache-misses"].fraction == pytest.approx(0.5001)
    assert counts["branches"].fraction == pytest.approx(0.6253)
    assert counts["page-faults"].fraction == 1.0


def test_summary_gives_per_call_values_ipc_and_miss_ratio():
    counts = parse_perf_csv(_read("bare_metal_multiplexed.csv"), DEFAULT_EVENTS)
    summary = summarise(counts, DEFAULT_EVENTS, repeats=4)
    assert summary["repeats"] == 4 and summary["scope"] == "timed repetitions"
    assert list(summary["events"]) == list(DEFAULT_EVENTS)
    assert summary["events"]["cache-misses"]["per_call"] == 23456789 / 4
    assert summary["events"]["task-clock"]["per_call"] == pytest.approx(526.03)
    # perf's own metric columns on those lines say 1.88 insn per cycle and 5.689 % misses.
    assert summary["ipc"] == pytest.approx(1.88, abs=0.005)
    assert summary["miss_ratio"] == pytest.approx(0.05689, abs=5e-6)


def test_derived_figures_are_none_where_their_events_are_unsupported():
    counts = parse_perf_csv(_read("kvm_software_only.csv"), DEFAULT_EVENTS)
    summary = summarise(counts, DEFAULT_EVENTS, repeats=10)
    assert summary["ipc"] is None and summary["miss_ratio"] is None
    assert summary["events"]["cycles"]["per_call"] is None
    assert summary["events"]["task-clock"]["per_call"] == pytest.approx(17.061)


def test_not_counted_lines_have_no_value_and_say_why():
    counts = parse_perf_csv(_read("not_counted.csv"))
    assert {name: c.status for name, c in counts.items()} == {
        "cycles": "not counted",
        "instructions": "not counted",
        "cache-misses": "not supported",
        "task-clock": "not counted",
        "page-faults": "not counted",
    }
    assert all(c.value is None for c in counts.values())
    reason = absent_reason({name: c.status for name, c in counts.items()})
    assert reason.startswith("cache-misses: not supported by this CPU/VM")
    assert "cycles, instructions, task-clock, page-faults: not counted" in reason


def test_hybrid_core_types_add_up_into_one_event():
    counts = parse_perf_csv(_read("hybrid_core_atom.csv"), ("cycles", "instructions"))
    assert counts["cycles"].value == 5123456789 + 1123456789
    assert counts["cycles"].fraction == pytest.approx(0.2667)  # the lower share holds
    assert counts["instructions"].value == 9876543210.0  # the atom line never ran
    assert counts["instructions"].fraction == 1.0


def test_an_event_name_holding_commas_is_kept_whole():
    text = "123456,,cpu/event=0x3c,umask=0x00/,1000000,100.00,,\n"
    requested = parse_events("cpu/event=0x3c,umask=0x00/,task-clock")
    assert requested == ("cpu/event=0x3c,umask=0x00/", "task-clock")
    counts = parse_perf_csv(text, requested)
    assert counts["cpu/event=0x3c,umask=0x00/"].value == 123456.0


def test_requested_events_perf_did_not_print_are_missing():
    summary = summarise(
        parse_perf_csv("12,,page-faults,100,100.00,,\n"), ("page-faults", "bogus"), 3
    )
    assert summary["events"]["bogus"]["status"] == "missing"
    assert summary["events"]["bogus"]["value"] is None
    assert summary["events"]["page-faults"]["per_call"] == 4.0


def test_perf_messages_and_comments_are_not_counts():
    text = "# started on x\n\nEvents disabled\nEvents enabled\nsome error, with, commas\n"
    assert parse_perf_csv(text) == {}


@pytest.mark.parametrize(
    "text", ["cycles;rm -rf /", "cycles,,instructions", "", "cycles $(x)", "a" * 2001, ",cycles"]
)
def test_events_outside_the_strict_pattern_are_a_usage_error(text):
    with pytest.raises(UsageError, match="events must be perf event names"):
        parse_events(text)


def test_default_events_are_the_books_set():
    assert parse_events(None) == (
        "cycles",
        "instructions",
        "cache-references",
        "cache-misses",
        "branches",
        "branch-misses",
        "task-clock",
        "page-faults",
    )
    assert parse_events(["cycles:u", "r003c"]) == ("cycles:u", "r003c")


def test_a_worker_killed_by_a_signal_under_perf_gets_its_signal_back():
    plan = CounterPlan(("task-clock",), "", perf="/usr/bin/perf", folder="/tmp")
    plan.wrap(["/opt/python", "-m", "accel.worker"])
    stderr = "Events disabled\nabout to abort\nEvents enabled\n/opt/python: Aborted\n"
    code, cleaned = plan.worker_outcome(0, stderr)
    assert code == -int(signal.SIGABRT)
    assert "Events" not in cleaned and "about to abort" in cleaned
    # Another program's message with a signal's words is left alone.
    assert plan.worker_outcome(0, "/bin/other: Aborted\n")[0] == 0


def test_the_hardware_report_and_a_counted_run_name_and_judge_events_alike(perf_counts_software):
    """One perf module: the report's events are the run's, with the same status each."""
    from accel.hardware.perf import read_perf

    import accel

    report = read_perf()
    record = accel.run("norm", "numpy", size=1000, repeats=3, counter_source="perf", store=False)
    assert record.counters is not None, record.counters_reason
    counted = record.counters["events"]
    assert set(report.events) <= set(counted)
    assert {name: counted[name]["status"] for name in report.events} == report.events
