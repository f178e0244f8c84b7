"""Shared fixtures for the hardware-probe tests: fixture files, one live probe, a fake NVML."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_text(name: str) -> str:
    """Contents of tests/hardware/fixtures/<name>."""
    return (FIXTURES / name).read_text()


def fixture_root(name: str) -> str:
    """A fixture directory used as a fake filesystem root."""
    return str(FIXTURES / name)


@pytest.fixture(scope="session")
def live_report():
    """One probe of this machine, shared by the read-only tests."""
    from accel.hardware import probe

    return probe()


@pytest.fixture(scope="session")
def measured_run(tmp_path_factory):
    """One real ``accel hardware --measure --json --store S`` (about 10 s): (report, store path)."""
    import json
    import subprocess
    import sys

    from accel.hardware import HardwareReport

    store = tmp_path_factory.mktemp("measured") / "results.sqlite"
    result = subprocess.run(
        [sys.executable, "-m", "accel", "hardware", "--measure", "--json", "--store", str(store)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return HardwareReport.from_dict(json.loads(result.stdout)), store


@pytest.fixture(scope="session")
def measured_report(measured_run):
    """The measured report of this machine, shared by the measurement tests."""
    return measured_run[0]


class FakeNVMLError(Exception):
    """Stands in for pynvml.NVMLError: str() is NVML's message."""


class FakeNVML:
    """A pynvml look-alike answering from a JSON fixture; ``fail`` maps method name -> message."""

    NVML_CLOCK_SM = 1
    NVML_CLOCK_MEM = 2

    def __init__(self, data: dict[str, Any], fail: dict[str, str] | None = None) -> None:
        self.data = data
        self.fail = fail or {}
        self.shutdown_called = False

    def _check(self, name: str) -> None:
        if name in self.fail:
            raise FakeNVMLError(self.fail[name])

    def _dev(self, handle: int) -> dict[str, Any]:
        return self.data["devices"][handle]

    def nvmlInit(self) -> None:
        self._check("nvmlInit")

    def nvmlShutdown(self) -> None:
        self.shutdown_called = True

    def nvmlDeviceGetCount(self) -> int:
        self._check("nvmlDeviceGetCount")
        return len(self.data["devices"])

    def nvmlSystemGetDriverVersion(self) -> str:
        return self.data["driver_version"]

    def nvmlSystemGetCudaDriverVersion_v2(self) -> int:
        return self.data["cuda_driver_version"]

    def nvmlDeviceGetHandleByIndex(self, index: int) -> int:
        return index

    def nvmlDeviceGetName(self, h: int) -> bytes:
        return self._dev(h)["name"].encode()  # old pynvml returned bytes

    def nvmlDeviceGetUUID(self, h: int) -> str:
        return self._dev(h)["uuid"]

    def nvmlDeviceGetCudaComputeCapability(self, h: int) -> tuple[int, int]:
        return tuple(self._dev(h)["compute_capability"])

    def nvmlDeviceGetMemoryInfo(self, h: int) -> Any:
        return type("Memory", (), {"total": self._dev(h)["memory_total"]})()

    def nvmlDeviceGetMaxClockInfo(self, h: int, clock: int) -> int:
        return self._dev(h)["max_clock_sm" if clock == self.NVML_CLOCK_SM else "max_clock_mem"]

    def nvmlDeviceGetEnforcedPowerLimit(self, h: int) -> int:
        return self._dev(h)["enforced_power_limit_mw"]

    def nvmlDeviceGetNumGpuCores(self, h: int) -> int:
        self._check("nvmlDeviceGetNumGpuCores")
        return self._dev(h)["num_gpu_cores"]

    def nvmlDeviceGetCurrPcieLinkGeneration(self, h: int) -> int:
        return self._dev(h)["pcie_gen_current"]

    def nvmlDeviceGetCurrPcieLinkWidth(self, h: int) -> int:
        return self._dev(h)["pcie_width_current"]

    def nvmlDeviceGetMaxPcieLinkGeneration(self, h: int) -> int:
        return self._dev(h)["pcie_gen_max"]

    def nvmlDeviceGetMaxPcieLinkWidth(self, h: int) -> int:
        return self._dev(h)["pcie_width_max"]

    def _supported(self, h: int, key: str) -> Any:
        value = self._dev(h).get(key)
        if value is None:
            raise FakeNVMLError("Not Supported")
        return value

    def nvmlDeviceGetMemoryBusWidth(self, h: int) -> int:
        return self._supported(h, "memory_bus_width")

    def nvmlDeviceGetEccMode(self, h: int) -> tuple[int, int]:
        return tuple(self._supported(h, "ecc_mode"))

    def nvmlDeviceGetMigMode(self, h: int) -> tuple[int, int]:
        return tuple(self._supported(h, "mig_mode"))

    def nvmlDeviceGetPersistenceMode(self, h: int) -> int:
        return self._supported(h, "persistence_mode")

    def nvmlDeviceGetComputeMode(self, h: int) -> int:
        return self._supported(h, "compute_mode")

    def nvmlDeviceGetPciInfo(self, h: int) -> Any:
        return type("Pci", (), {"busId": self._supported(h, "bus_id").encode()})()

    def nvmlDeviceGetNvLinkState(self, h: int, link: int) -> int:
        links = self._supported(h, "nvlink")
        if link >= len(links):
            raise FakeNVMLError("Invalid Argument")
        return links[link]

    def nvmlDeviceGetTemperature(self, h: int, sensor: int) -> int:
        return self._supported(h, "temperature")

    def nvmlDeviceGetClockInfo(self, h: int, clock: int) -> int:
        return self._supported(h, "clock_sm")

    def nvmlDeviceGetCurrentClocksEventReasons(self, h: int) -> int:
        return self._supported(h, "clocks_event_reasons")

    def nvmlDeviceGetComputeRunningProcesses(self, h: int) -> list[Any]:
        return [
            type("Process", (), {"pid": p["pid"], "usedGpuMemory": p["used"]})()
            for p in self._supported(h, "processes")
        ]

    def nvmlSystemGetProcessName(self, pid: int) -> bytes:
        names = {p["pid"]: p["name"] for d in self.data["devices"] for p in d.get("processes", [])}
        return names[pid].encode()


@pytest.fixture
def make_nvml():
    """Factory: ``make_nvml(fail={"nvmlInit": "Driver Not Loaded"})`` -> a fake pynvml module.

    Without ``fail`` it reports one idle RTX 4090 (fixtures/nvml_rtx4090.json).
    """

    def make(fail: dict[str, str] | None = None, devices: list | None = None) -> FakeNVML:
        data = json.loads(fixture_text("nvml_rtx4090.json"))
        if devices is not None:
            data["devices"] = devices
        return FakeNVML(data, fail)

    return make
