"""GPU figures: a kernel's copy rate against the probe's, and what keeping data resident gains.

A GPU run's record carries the host-to-device copy of its inputs (bytes, seconds, and
whether the host buffer was pinned). Its rate is compared with the rate the hardware
probe measured for the same kind of host buffer at the nearest size not above it
(CUDA events, median). The ``--resident`` speedup is the run's end-to-end time over
its kernel time: how much faster a call is when its data already lives on the device.
"""

from __future__ import annotations

from collections.abc import Sequence

from accel.record import RunRecord

from .roofs import Roofs
from .rounds import Case, failure
from .verdict import Result, Target, judge, not_measurable


def copy_rate(record: RunRecord) -> float | None:
    """GB/s of the record's host-to-device copy, or None when it moved nothing."""
    moved = record.transfer
    if not record.ok or moved is None or moved.h2d_s <= 0 or moved.h2d_bytes <= 0:
        return None
    return moved.h2d_bytes / moved.h2d_s / 1e9


def resident_speedup(record: RunRecord) -> float | None:
    """End-to-end time over kernel time (how much resident data saves); None if untimed."""
    if record.median_s is None or record.end_to_end_s is None or record.median_s <= 0:
        return None
    return record.end_to_end_s / record.median_s


def h2d_fraction(target: Target, case: Case, records: Sequence[RunRecord], roofs: Roofs) -> Result:
    """The best round's host-to-device rate over the probe's rate for the same buffer kind."""
    method = (
        f"{case.label}: h2d bytes / h2d seconds of the best round, against the probe's "
        "median copy rate for the same host memory at the nearest size not above it"
    )
    timed = [(rate, r) for r in records if (rate := copy_rate(r)) is not None]
    if not timed:
        return not_measurable(target, failure(records), method=method)
    rate, record = max(timed, key=lambda pair: pair[0])
    assert record.transfer is not None
    host_memory = "pinned" if record.transfer.pinned else "pageable"
    probe = roofs.copy_gbs("h2d", host_memory, record.transfer.h2d_bytes)
    figures = {
        "backend": record.backend,
        "host_memory": host_memory,
        "bytes": record.transfer.h2d_bytes,
        "rate_gbs": rate,
        "resident_speedup": resident_speedup(record),
    }
    if probe is None:
        reason = roofs.reasons.get("copies", f"the probe has no {host_memory} h2d figure")
        return not_measurable(target, reason, method=method, figures=figures)
    figures.update(probe_gbs=probe.median_gbs, probe_size_bytes=probe.size_bytes)
    return judge(target, rate / probe.median_gbs, method=method, figures=figures)
