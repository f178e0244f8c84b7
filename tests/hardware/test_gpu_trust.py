"""What decides whether a GPU figure can be trusted, read through NVML (a fake pynvml from
fixtures/nvml_rtx4090.json): ECC, MIG, persistence and compute mode, the NUMA node,
NVLink, rated memory bandwidth, and the state now (temperature, throttle reasons, other
processes), as ``nvidia-smi -q`` shows them (issue 17)."""

from __future__ import annotations

import copy
import json

import pytest
from accel.hardware import gpu
from accel.hardware.render import render_text

from .conftest import fixture_text


def _a100(tmp_path):
    """An A100 in a data centre: ECC on, MIG off, two NVLinks up, on NUMA node 1."""
    device = json.loads(fixture_text("nvml_rtx4090.json"))["devices"][0]
    device.update(
        name="NVIDIA A100-SXM4-40GB", compute_capability=[8, 0], max_clock_mem=1215,
        memory_bus_width=5120, ecc_mode=[1, 1], mig_mode=[0, 0], nvlink=[1, 1, 0],
        persistence_mode=1, compute_mode=3, bus_id="00000000:3B:00.0",
        temperature=71, clocks_event_reasons=0x4 | 0x20, processes=[],
    )  # fmt: skip
    numa = tmp_path / "sys/bus/pci/devices/0000:3b:00.0"
    numa.mkdir(parents=True)
    (numa / "numa_node").write_text("1\n")
    return device


def test_a_geforce_card_reports_what_it_has_and_why_not_the_rest(make_nvml):
    info, _ = gpu.read_nvml(make_nvml(), root="/nonexistent")
    (d,) = info.devices
    assert d.memory_bus_width_bits == 384
    assert d.memory_rated_gbs == pytest.approx(10501e6 * 2 * 384 / 8 / 1e9)  # 1008 GB/s
    assert (d.ecc_mode, d.mig_mode, d.nvlinks_active) == (None, None, None)
    assert d.reasons["ecc_mode"] == d.reasons["mig_mode"] == "NVML: Not Supported"
    assert (d.persistence_mode, d.compute_mode) == ("enabled", "Default")
    assert d.numa_node is None and "numa_node" in d.reasons
    assert d.state.temperature_c == 34.0 and d.state.sm_clock_mhz == 210.0
    assert d.state.throttle_reasons == ["gpu_idle"]
    (process,) = d.state.processes
    assert (process.pid, process.name, process.used_bytes) == (4242, "python3", 512 * 2**20)


def test_a_data_centre_card_shows_ecc_nvlink_numa_and_why_its_clocks_are_held(make_nvml, tmp_path):
    info, _ = gpu.read_nvml(make_nvml(devices=[_a100(tmp_path)]), root=str(tmp_path))
    (d,) = info.devices
    assert d.memory_rated_gbs == pytest.approx(1555.2)  # A100 40GB's rated figure
    assert (d.ecc_mode, d.mig_mode, d.compute_mode) == ("enabled", "disabled", "Exclusive_Process")
    assert d.nvlinks_active == 2 and d.numa_node == 1
    assert d.state.throttle_reasons == ["sw_power_cap", "sw_thermal_slowdown"]
    text = render_text(_report_with(info))
    assert "5120 bits, rated 1555.2 GB/s" in text
    assert "ECC enabled, MIG disabled, persistence enabled, compute Exclusive_Process" in text
    assert "71 C, SM 210 MHz, clocks held by: sw_power_cap, sw_thermal_slowdown" in text
    assert "2 active link(s)" in text


def test_throttle_reason_bits_are_named_as_nvidia_smi_names_them():
    assert gpu.throttle_reason_names(0) == []
    assert gpu.throttle_reason_names(0x1 | 0x40) == ["gpu_idle", "hw_thermal_slowdown"]
    assert gpu.throttle_reason_names(0x1000) == ["unknown_0x1000"]


def test_device_state_reads_the_state_alone_and_shuts_nvml_down(make_nvml):
    nvml = make_nvml()
    state = gpu.device_state(0, nvml)
    assert state.temperature_c == 34.0 and state.throttle_reasons == ["gpu_idle"]
    assert nvml.shutdown_called
    assert gpu.device_state(0, make_nvml(fail={"nvmlInit": "Driver Not Loaded"})) is None


def _report_with(info):
    from accel.hardware.report import HardwareReport

    report = HardwareReport()
    report.gpu = copy.deepcopy(info)
    return report


def test_the_markdown_report_carries_the_same_trust_rows(make_nvml, tmp_path):
    from accel.hardware.render import render_markdown

    info, _ = gpu.read_nvml(make_nvml(devices=[_a100(tmp_path)]), root=str(tmp_path))
    text = render_markdown(_report_with(info))
    assert "| memory bus | modes | NUMA node | NVLink | now | processes on it |" in text
    assert "sw_power_cap" in text and "2 active link(s)" in text
