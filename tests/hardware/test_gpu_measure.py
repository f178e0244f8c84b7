"""`accel hardware --measure` on a GPU: the device's own roofs (bandwidth from a
device-to-device copy, float64/float32 matmul rates) and the PCIe link read while a copy
runs, measured here through stand-ins whose device clock is known (issue 17, item 7)."""

from __future__ import annotations

import threading
import time

import pytest
from accel.hardware import measure
from accel.hardware.report import HardwareReport, MeasuredFigures

COPY_S = 0.004  # device seconds one copy takes on the stand-in
MATMUL_S = {"float64": 0.5, "float32": 0.125}


class StandInDevice:
    """Buffers are sizes; the device clock advances by a known time per operation."""

    name = "stand-in device"

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.elapsed = 0.0

    def buffer(self, nbytes):
        return {"bytes": nbytes}

    def copy(self, destination, source):
        assert destination["bytes"] == source["bytes"]
        self.calls.append("copy")
        self.elapsed = COPY_S

    def matrix(self, n, dtype):
        return {"n": n, "dtype": dtype}

    def matmul(self, a, b, out):
        self.calls.append(f"matmul {a['dtype']}")
        self.elapsed = MATMUL_S[a["dtype"]]

    def seconds(self, work):
        work()
        return self.elapsed


def test_device_roofs_count_read_plus_write_bytes_and_2_n_cubed_flops():
    figures = MeasuredFigures()
    device = StandInDevice()
    measure.measure_device(
        figures, None, engines=(lambda: device,), copy_bytes=64 * 2**20, matmul_n=1024, samples=3
    )
    rates = {d.name: d for d in figures.device}
    assert rates["copy"].unit == "GB/s"
    assert rates["copy"].best == pytest.approx(2 * 64 * 2**20 / COPY_S / 1e9)
    assert rates["matmul float64"].best == pytest.approx(2 * 1024**3 / 0.5 / 1e9)
    assert rates["matmul float32"].median == pytest.approx(2 * 1024**3 / 0.125 / 1e9)
    assert device.calls.count("copy") == 1 + 3  # a warm-up, then the samples
    assert figures.device_method == "stand-in device"


def test_device_sizes_shrink_to_fit_a_small_gpu():
    figures = MeasuredFigures()
    device = StandInDevice()
    measure.measure_device(figures, 256 * 2**20, engines=(lambda: device,), samples=1)
    rates = {d.name: d for d in figures.device}
    assert "32 MiB copied" in rates["copy"].detail  # an eighth of the memory
    # three float64 matrices in a quarter of 256 MiB: n=4096 needs 384 MiB, 2048 needs
    # 96 MiB, 1024 needs 24 MiB, the first that fits
    assert "n=1024" in rates["matmul float64"].detail


def test_without_a_usable_library_the_device_roofs_say_why():
    def no_library():
        raise ImportError("No module named 'cupy'")

    figures = MeasuredFigures()
    measure.measure_device(figures, None, engines=(no_library,))
    assert figures.device == []
    assert "No module named 'cupy'" in figures.reasons["device"]


class LinkUnderTraffic:
    """An NVML whose link reads gen1 at rest and gen4 while a copy is in flight."""

    NVML_CLOCK_SM = 1

    def __init__(self) -> None:
        self.copying = threading.Event()
        self.shut = False

    def nvmlInit(self):
        pass

    def nvmlShutdown(self):
        self.shut = True

    def nvmlDeviceGetHandleByIndex(self, index):
        return index

    def nvmlDeviceGetCurrPcieLinkGeneration(self, handle):
        return 4 if self.copying.is_set() else 1

    def nvmlDeviceGetCurrPcieLinkWidth(self, handle):
        return 16

    def nvmlDeviceGetMaxPcieLinkGeneration(self, handle):
        return 4

    def nvmlDeviceGetMaxPcieLinkWidth(self, handle):
        return 16


def test_the_pcie_link_is_read_while_the_largest_pinned_copy_runs():
    nvml = LinkUnderTraffic()

    def copier_factory():
        def copier(size, host_kind):
            def once(direction):
                nvml.copying.set()
                time.sleep(0.01)  # the copy in flight
                nvml.copying.clear()
                return 0.001

            return once

        return "stand-in copies", copier

    figures = MeasuredFigures()
    measure.measure_transfers(
        figures, None, sizes=(1024, 4096), samples=3, factories=(copier_factory,), nvml=nvml
    )
    link = figures.pcie_during_copy
    assert (link.gen_current, link.width_current, link.gen_max) == (4, 16, 4)
    assert link.bandwidth_current_gbs == pytest.approx(16 * 16 * 128 / 130 / 8)
    assert nvml.shut
    assert len(figures.transfers) == 2 * 2 * 2  # sizes x host kinds x directions


def test_device_roofs_reach_the_benchmark_roofs_and_the_gpu_roofline():
    from accel.hardware.report import DeviceRate, GpuDevice

    from accel.plots.roofline_plot import Point, gpu_roof_from_report, roof_of
    from benchmarks.roofs import roofs_from_report

    report = HardwareReport()
    report.gpu.devices.append(GpuDevice(index=0, name="stand-in GPU"))
    report.measured = MeasuredFigures(
        device=[
            DeviceRate("copy", "GB/s", 900.0, 850.0, 5),
            DeviceRate("matmul float64", "GFLOP/s", 600.0, 590.0, 5),
            DeviceRate("matmul float32", "GFLOP/s", 20000.0, 19000.0, 5),
        ]
    )
    roofs = roofs_from_report(report)
    assert (roofs.gpu_memory_gbs, roofs.gpu_peak_gflops) == (900.0, 600.0)
    assert "gpu_memory" not in roofs.reasons and "gpu_peak" not in roofs.reasons
    gpu_roof = gpu_roof_from_report(report.to_dict())
    assert gpu_roof.bandwidth_gbs == 900.0 and gpu_roof.peak_gflops == 20000.0
    on_gpu = Point("norm", "cupy", 10**7, 0.25, 100.0)
    on_cpu = Point("norm", "numpy", 10**7, 0.25, 1.0)
    assert roof_of(on_gpu, None, gpu_roof) is gpu_roof
    assert roof_of(on_cpu, None, gpu_roof) is None
    assert on_gpu.share_of(gpu_roof) == pytest.approx(100.0 / (900.0 * 0.25))


def test_the_roofline_figure_draws_the_gpu_roof_dashed_beside_the_hosts(tmp_path):
    pytest.importorskip("matplotlib")
    from accel.plots.roofline_plot import Roof, draw_roofline
    from accel.record import RunRecord

    records = [
        RunRecord(kernel="norm", backend=backend, size=10**6, dtype="float64", status="ok",
                  samples_s=[seconds])
        for backend, seconds in (("numpy", 1e-3), ("cupy", 1e-5))
    ]  # fmt: skip
    machine = type("Machine", (), {"footer": lambda self, records: "stand-in machine"})()
    host = Roof(20.0, "STREAM triad", (("numpy matmul float64", 100.0),))
    device = Roof(900.0, "GPU device-to-device copy", (("GPU matmul float64", 600.0),))
    figure = draw_roofline(records, machine, host, tmp_path / "roof.svg", gpu_roof=device)
    (axes,) = figure.axes
    lines = {line.get_gid(): line for line in axes.get_lines()}
    assert lines["roof"].get_linestyle() == "-" and lines["gpu-roof"].get_linestyle() == "--"
    assert max(lines["gpu-roof"].get_ydata()) == 600.0 and max(lines["roof"].get_ydata()) == 100.0
    assert (tmp_path / "roof.svg").stat().st_size > 0
