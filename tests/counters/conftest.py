"""Shared set-up for the counter tests: skip real-perf tests where perf cannot count."""

from __future__ import annotations

import pytest

from accel import counters

SOFTWARE_EVENTS = ("task-clock", "page-faults")


@pytest.fixture(scope="session")
def perf_counts_software() -> counters.PerfProbe:
    """The perf probe for software events; skips the test with perf's reason if none count."""
    found = counters.probe(SOFTWARE_EVENTS)
    if not found.can_count:
        pytest.skip(f"perf cannot count here: {found.reason}")
    return found
