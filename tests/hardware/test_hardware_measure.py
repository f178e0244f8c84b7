"""Measured figures: plausible, honestly labelled, and timed; GPU parts only with a GPU."""

from __future__ import annotations

import json

import pytest
from accel.hardware import measure, render_markdown, render_text
from accel.hardware.report import HardwareReport, MeasuredFigures

pytestmark = pytest.mark.slow  # measures the machine's bandwidth and GFLOP/s

MIB = 1024**2
GIB = 1024**3
PEAK_MEMORY_GBS = 1000.0  # generous: above any CPU memory system's theoretical peak


def _rates(figures: MeasuredFigures, kernel: str) -> dict[int, float]:
    return {b.threads: b.best_gbs for b in figures.bandwidth if b.kernel == kernel}


def test_bandwidth_is_plausible(measured_report):
    m = measured_report.measured
    assert m is not None and not m.reasons.get("bandwidth"), m.reasons
    assert not any("FAILED" in note for note in m.notes), m.notes
    usable = measured_report.host.usable_cpus
    for kernel in ("copy", "triad"):
        rates = _rates(m, kernel)
        assert set(rates) == ({1} if usable == 1 else {1, usable})
        for value in rates.values():
            assert 0 < value < PEAK_MEMORY_GBS
    for b in m.bandwidth:
        assert b.median_gbs <= b.best_gbs
        assert b.bytes_per_iteration == measure.STREAM_BYTES_PER_ELEMENT[b.kernel] * (
            m.array_bytes // 8
        )


def test_all_threads_triad_not_slower_than_one_thread(measured_report):
    m = measured_report.measured
    rates = _rates(m, "triad")
    if len(rates) < 2:
        pytest.skip("only one usable CPU")
    triads = [b for b in m.bandwidth if b.kernel == "triad"]
    starved = [b for b in triads if b.cpu_occupancy is not None and b.cpu_occupancy < 0.8]
    if starved:
        # Other processes held the CPUs: scaling cannot be judged, and the report says so.
        assert any("other processes competed for the CPUs" in note for note in m.notes)
        pytest.skip(
            "machine busy: triad runs got "
            + ", ".join(
                f"{100 * b.cpu_occupancy:.0f}% CPU at {b.threads} thread(s)" for b in starved
            )
        )
    assert rates[max(rates)] >= 0.75 * rates[1]


def test_array_size_is_stated_and_beyond_the_caches(measured_report):
    m = measured_report.measured
    llc = measured_report.caches.last_level()
    assert m.array_bytes >= measure.MIN_ARRAY_BYTES or m.array_bytes >= (
        (measured_report.memory.available_bytes or 0) // 24 - 8 * 4096
    )
    assert f"{m.array_bytes / MIB:.0f} MiB" in m.array_note
    if llc is not None and llc.size_bytes:
        # three arrays together exceed the last-level cache
        assert 3 * m.array_bytes > llc.size_bytes
    assert m.bandwidth_method.startswith(("numba prange", "numpy"))


def test_flops_and_elapsed_time(measured_report):
    m = measured_report.measured
    names = [f.name for f in m.flops]
    assert names == [
        f"numpy matmul float64 n={measure.MATMUL_N}",
        f"numpy matmul float32 n={measure.MATMUL_N}",
    ]
    f64, f32 = m.flops
    for f in m.flops:
        assert 0 < f.median_gflops <= f.best_gflops < 1e6
    assert f32.best_gflops > f64.best_gflops  # twice the lanes per vector
    assert m.array_bytes <= measure.MAX_ARRAY_BYTES
    assert m.seconds > 0  # how long it took is reported (no bound: it depends on the load)
    text = render_text(measured_report)
    assert f"Measured (took {m.seconds:.1f} s)" in text
    assert "triad" in render_markdown(measured_report)


def test_no_gpu_transfer_reason(measured_report):
    if measured_report.gpu.devices:
        pytest.skip("this machine has a GPU")
    m = measured_report.measured
    assert m.transfers == []
    assert m.reasons["transfers"].startswith("no GPU (")
    assert "host<->GPU                   not measured: no GPU" in render_text(measured_report)


def test_measured_report_round_trips_through_json(measured_report):
    back = HardwareReport.from_dict(json.loads(measured_report.to_json()))
    assert back.measured == measured_report.measured
    assert back.fingerprint == measured_report.fingerprint


@pytest.mark.parametrize(
    ("llc", "available", "expected", "why"),
    [
        (480 * MIB, 23 * GIB, 512 * MIB, "512 MiB time cap"),
        (480 * MIB, 6 * GIB, 6 * GIB // 24, "available memory / 8"),
        (8 * MIB, 64 * GIB, measure.MIN_ARRAY_BYTES, None),
        (None, None, measure.MIN_ARRAY_BYTES, None),
        (32 * MIB, 64 * GIB, 128 * MIB, None),
        (100 * MIB, 64 * GIB, 400 * MIB, None),
    ],
)
def test_choose_array_bytes(llc, available, expected, why):
    size, note = measure.choose_array_bytes(llc, available)
    assert expected - 8 * 4096 < size <= expected
    assert size % (8 * 4096) == 0
    if why:
        assert why in note
    else:
        assert "capped" not in note
    assert ("under 2x the LLC" in note) == bool(llc and size < 2 * llc)


def test_numpy_fallback_is_labelled_and_works(monkeypatch):
    def no_numba():
        raise ImportError("numba hidden by the test")

    monkeypatch.setattr(measure, "_NumbaStream", no_numba)
    figures = MeasuredFigures()
    measure.measure_bandwidth(figures, usable_cpus=2, llc_bytes=None, available_bytes=None,
                              array_bytes=16 * MIB, samples=2)  # fmt: skip
    assert figures.bandwidth_method.startswith("numpy ufuncs")
    assert any("numba unavailable" in note for note in figures.notes)
    assert not any("FAILED" in note for note in figures.notes)
    assert {(b.kernel, b.threads) for b in figures.bandwidth} == {
        ("copy", 1), ("triad", 1), ("copy", 2), ("triad", 2)
    }  # fmt: skip
    assert all(0 < b.best_gbs < PEAK_MEMORY_GBS for b in figures.bandwidth)


def test_a_failing_part_does_not_hide_the_others(monkeypatch, live_report):
    def broken(*args, **kwargs):
        raise MemoryError("cannot allocate")

    monkeypatch.setattr(measure, "measure_bandwidth", broken)
    monkeypatch.setattr(measure, "MATMUL_N", 256)
    figures = measure.measure(live_report)
    assert figures.reasons["bandwidth"] == "MemoryError: cannot allocate"
    assert [f.name for f in figures.flops] == [
        "numpy matmul float64 n=256",
        "numpy matmul float32 n=256",
    ]
    lines = render_text(HardwareReport(measured=figures)).splitlines()
    assert any(
        line.split()[0] == "bandwidth" and line.endswith("failed: MemoryError: cannot allocate")
        for line in lines
        if line.strip()
    )


@pytest.mark.gpu
def test_gpu_transfers_below_the_pcie_link(live_report):
    device = live_report.gpu.devices[0]
    figures = MeasuredFigures()
    measure.measure_transfers(figures, device.memory_total_bytes, sizes=(4 * MIB, 64 * MIB))
    assert not figures.reasons, figures.reasons
    assert {(t.direction, t.host_memory) for t in figures.transfers} == {
        ("h2d", "pageable"), ("h2d", "pinned"), ("d2h", "pageable"), ("d2h", "pinned")
    }  # fmt: skip
    link = device.pcie.bandwidth_max_gbs
    for t in figures.transfers:
        assert t.median_gbs > 0.1
        if link:
            assert t.median_gbs < 1.1 * link  # cannot beat the link (NVLink-C2C hosts excepted)
    pinned = [
        t for t in figures.transfers if t.host_memory == "pinned" and t.size_bytes == 64 * MIB
    ]
    pageable = [
        t for t in figures.transfers if t.host_memory == "pageable" and t.size_bytes == 64 * MIB
    ]
    assert max(t.median_gbs for t in pinned) >= 0.8 * max(t.median_gbs for t in pageable)


@pytest.mark.gpu
def test_gpu_report_has_link_and_driver(live_report):
    assert live_report.gpu.devices, live_report.gpu.none_reason
    assert live_report.gpu.driver_version
    assert live_report.gpu.devices[0].pcie.bandwidth_max_gbs


def test_contention_note_names_the_most_starved_run():
    from accel.hardware.report import BandwidthResult, FlopsResult

    figures = MeasuredFigures(
        bandwidth=[
            BandwidthResult("triad", 1, 10.0, 9.0, 5, 24, cpu_occupancy=0.97),
            BandwidthResult("triad", 2, 12.0, 11.0, 5, 24, cpu_occupancy=0.55),
        ],
        flops=[FlopsResult("numpy matmul float64 n=2048", "BLAS", 90.0, 80.0, 3, None, 0.7)],
    )
    note = measure.contention_note(figures)
    assert note.startswith("other processes competed for the CPUs: triad with 2 thread(s) got")
    assert "55%" in note
    figures.bandwidth[1].cpu_occupancy = 0.95
    assert "numpy matmul float64 n=2048 got only 70%" in measure.contention_note(figures)
    figures.flops[0].cpu_occupancy = 0.99
    assert measure.contention_note(figures) is None


def test_measured_report_is_kept_in_the_store_as_the_roof(measured_run):
    """`accel hardware --measure` saves its report; the roofline's roof is read from it."""
    from accel.plots.roofline_plot import roof_from_report
    from accel.store import Store

    report, path = measured_run
    with Store(path, readonly=True) as store:
        (machine,) = store.machines([report.fingerprint])
    roof = roof_from_report(machine["report"])
    best_triad = max(b.best_gbs for b in report.measured.bandwidth if b.kernel == "triad")
    assert roof is not None and roof.bandwidth_gbs == best_triad
    assert dict(roof.peaks) == {f.name: f.best_gflops for f in report.measured.flops}
