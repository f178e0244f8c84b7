"""Lecture-mode fixtures: a synthetic GPU machine's export, SVG/PNG readers, headless Chromium.

The synthetic export holds two machines:

- ``GPU`` (fingerprint ``a100feedf00d``): an A100 box whose stored hardware report
  carries measured figures (180 GB/s triad, 1200 and 2400 GFLOP/s), with julia swept at
  sizes 100..800 on python, numpy, numba_cpu and cupy (torch_cuda unavailable). Times
  are closed forms in n = size: python 1e-6 n^2, numpy 3e-8 n^2, numba_cpu 1e-8 n^2,
  cupy kernel 2e-4 + 1e-9 n^2 plus transfers 8e-9 n^2 (3/4 there, 1/4 back). So the
  kernel-time winner changes once (numba_cpu -> cupy between 100 and 200) and the
  end-to-end winner once (between 400 and 800). Hardware counters are counted.
- ``CPU`` (fingerprint ``cafe0000beef``): a laptop with two julia runs, measured a day
  later (the newest runs), no measured figures, counters not supported.
"""

from __future__ import annotations

import json
import re
import shutil
import struct
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from accel.hardware.report import HardwareReport

from accel.record import RunRecord, Transfer
from accel.store import EXPORT_FORMAT, EXPORT_VERSION

GPU = "a100feedf00d"
CPU = "cafe0000beef"
SWEEP_SIZES = (100, 200, 400, 800)
GPU_DAY = "2026-03-04T10:00:00+00:00"
CPU_DAY = "2026-03-05T09:00:00+00:00"
TRIAD_GBS, PEAK64, PEAK32 = 180.0, 1200.0, 2400.0


def _report(fingerprint: str, cpu: str, gpu: str | None, measured: bool) -> dict[str, Any]:
    report = HardwareReport().to_dict()
    report["fingerprint"] = fingerprint
    report["cpu"]["model_name"] = cpu
    report["host"]["usable_cpus"] = 16
    if gpu:
        device = {"index": 0, "name": gpu, "memory_total_bytes": 40 * 2**30, "pcie": {}}
        report["gpu"]["devices"] = [device]
    if measured:
        report["measured"] = {
            "bandwidth": [
                {"kernel": "copy", "threads": 16, "best_gbs": 150.0, "median_gbs": 140.0,
                 "samples": 5, "bytes_per_iteration": 1, "cpu_occupancy": 1.0},
                {"kernel": "triad", "threads": 16, "best_gbs": TRIAD_GBS, "median_gbs": 170.0,
                 "samples": 5, "bytes_per_iteration": 1, "cpu_occupancy": 1.0},
            ],
            "flops": [
                {"name": "numpy matmul float64 n=2048", "threads": "BLAS",
                 "best_gflops": PEAK64, "median_gflops": 1100.0, "samples": 3},
                {"name": "numpy matmul float32 n=2048", "threads": "BLAS",
                 "best_gflops": PEAK32, "median_gflops": 2200.0, "samples": 3},
            ],
            "transfers": [],
            "notes": [],
            "reasons": {},
        }  # fmt: skip
    return report


def _counted(cache_misses: float, ipc: float) -> dict[str, Any]:
    def event(per_call: float) -> dict[str, Any]:
        return {"value": per_call * 5, "unit": "", "status": "counted", "fraction": 1.0,
                "per_call": per_call}  # fmt: skip

    return {
        "scope": "timed repetitions",
        "repeats": 5,
        "events": {
            "cache-misses": event(cache_misses),
            "cycles": event(1e6),
            "instructions": event(1e6 * ipc),
        },
        "ipc": ipc,
        "miss_ratio": None,
    }


def gpu_times(backend: str, size: int) -> tuple[float, float]:
    """(median kernel seconds, transfer seconds both ways) of the synthetic GPU machine."""
    n2 = size * size
    return {
        "python": (1e-6 * n2, 0.0),
        "numpy": (3e-8 * n2, 0.0),
        "numba_cpu": (1e-8 * n2, 0.0),
        "cupy": (2e-4 + 1e-9 * n2, 8e-9 * n2),
    }[backend]


#: Counted cache misses per call and IPC of the synthetic GPU machine's CPU backends.
GPU_COUNTERS = {"python": (2e5, 0.8), "numpy": (5e3, 1.2), "numba_cpu": (1e3, 2.5)}


def _record(machine: str, backend: str, size: int, day: str, **fields: Any) -> RunRecord:
    return RunRecord(
        kernel="julia",
        backend=backend,
        size=size,
        dtype="complex128",
        params={"max_iter": 300},
        threads=16,
        machine=machine,
        started_at=day,
        **fields,
    )


def synthetic_records() -> list[RunRecord]:
    records = []
    for size in SWEEP_SIZES:
        for backend in ("python", "numpy", "numba_cpu", "cupy"):
            median, moved = gpu_times(backend, size)
            extra: dict[str, Any] = {}
            if moved:
                extra["transfer"] = Transfer(0.75 * moved, 16 * size * size, 0.25 * moved, 8)
                extra["counters_reason"] = "GPU kernel: perf counts the host only"
            else:
                extra["counters"] = _counted(*GPU_COUNTERS[backend])
            first = median + (0.5 if backend == "numba_cpu" else 0.0)
            records.append(
                _record(
                    GPU,
                    backend,
                    size,
                    GPU_DAY,
                    status="ok",
                    samples_s=[median] * 5,
                    first_call_s=first,
                    check={"passed": True, "error": 0.0, "detail": ""},
                    **extra,
                )  # fmt: skip
            )
        records.append(
            _record(
                GPU,
                "torch_cuda",
                size,
                GPU_DAY,
                status="unavailable",
                reason="torch is the CPU build",
            )  # fmt: skip
        )
    unsupported = "cycles, instructions, cache-misses: not supported by this CPU/VM"
    for backend, median in (("python", 0.02), ("numba_cpu", 0.001)):
        records.append(
            _record(
                CPU,
                backend,
                100,
                CPU_DAY,
                status="ok",
                samples_s=[median] * 5,
                first_call_s=median,
                counters_reason=unsupported,
            )  # fmt: skip
        )
    return records


def export_document(records: list[RunRecord], *, gpu_measured: bool = True) -> dict[str, Any]:
    return {
        "format": EXPORT_FORMAT,
        "format_version": EXPORT_VERSION,
        "exported_at": "2026-03-06T00:00:00+00:00",
        "machines": [
            {
                "fingerprint": GPU,
                "first_seen": GPU_DAY,
                "report": _report(GPU, "AMD EPYC 7742", "NVIDIA A100-SXM4-40GB", gpu_measured),
            },
            {
                "fingerprint": CPU,
                "first_seen": CPU_DAY,
                "report": _report(CPU, "Intel Core i5-8250U", None, False),
            },
        ],  # fmt: skip
        "runs": [
            {"kernel_version": "1", "created_at": r.started_at, "record": r.to_dict()}
            for r in records
        ],
    }


class Synthetic:
    """The synthetic machines' constants and records, for tests to compare against."""

    GPU, CPU, SWEEP_SIZES = GPU, CPU, SWEEP_SIZES
    GPU_COUNTERS = GPU_COUNTERS
    times = staticmethod(gpu_times)
    records = staticmethod(synthetic_records)


@pytest.fixture(scope="session")
def synthetic() -> type[Synthetic]:
    return Synthetic


@pytest.fixture(scope="session")
def cli(accel_cli):
    """The real ``accel`` command line in a subprocess (tests/conftest.py's ``accel_cli``)."""
    return accel_cli


@pytest.fixture(scope="session")
def gpu_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The synthetic two-machine export file (see the module docstring)."""
    path = tmp_path_factory.mktemp("export") / "gpu-box.json"
    path.write_text(json.dumps(export_document(synthetic_records())))
    return path


@pytest.fixture(scope="session")
def unmeasured_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same runs, but the GPU machine's stored report holds no measured figures."""
    path = tmp_path_factory.mktemp("export") / "gpu-box-unmeasured.json"
    path.write_text(json.dumps(export_document(synthetic_records(), gpu_measured=False)))
    return path


# -- reading figures -----------------------------------------------------------------

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SVG_NS = "{http://www.w3.org/2000/svg}"
DC_DESCRIPTION = "{http://purl.org/dc/elements/1.1/}description"


class FigureReader:
    """Structural readers for figure files: SVG ids, colours and metadata; PNG chunks."""

    @staticmethod
    def svg_ids(path: Path) -> set[str]:
        """Every element id of an SVG file, parsed as XML (so it must be well-formed)."""
        root = ET.parse(path).getroot()
        assert root.tag == f"{SVG_NS}svg"
        return {element.get("id") for element in root.iter() if element.get("id")}

    @staticmethod
    def series(ids: set[str], prefix: str, suffix: str = "") -> set[str]:
        """Backends (or kernels) named in ids like ``bar-numba_cpu-compute``."""
        found = set()
        for identifier in ids:
            parts = identifier.split("-")
            if len(parts) == 3 and parts[0] == prefix and (not suffix or parts[2] == suffix):
                found.add(parts[1])
        return found

    @staticmethod
    def svg_colour(path: Path, group_id: str, prop: str) -> str:
        """The ``fill`` or ``stroke`` colour of the first shape inside the group ``group_id``.

        A shape without a ``fill`` is filled black: SVG's initial value (matplotlib omits it).
        """
        root = ET.parse(path).getroot()
        group = next(e for e in root.iter() if e.get("id") == group_id)
        defined = {e for d in group.iter(f"{SVG_NS}defs") for e in d.iter()}  # marker shapes
        shapes = [
            e
            for e in group.iter()
            if e.tag in (f"{SVG_NS}path", f"{SVG_NS}use") and e not in defined
        ]
        for element in shapes:
            style = element.get("style", "")
            found = re.search(rf"(?:^|;)\s*{prop}:\s*(#[0-9a-fA-F]{{6}})", style)
            if found:
                return found.group(1).lower()
            if prop == "fill" and "fill:" not in style and element.get("fill") is None:
                return "#000000"
        raise AssertionError(f"no {prop} colour in {group_id}")

    @staticmethod
    def svg_description(path: Path) -> str:
        root = ET.parse(path).getroot()
        return next(root.iter(DC_DESCRIPTION)).text or ""

    @staticmethod
    def png_chunks(path: Path) -> list[tuple[bytes, bytes]]:
        """(type, data) of every chunk, read by the PNG specification's layout."""
        data = path.read_bytes()
        assert data[:8] == PNG_SIGNATURE, "not a PNG file"
        chunks, at = [], 8
        while at < len(data):
            (length,) = struct.unpack(">I", data[at : at + 4])
            kind = data[at + 4 : at + 8]
            chunks.append((kind, data[at + 8 : at + 8 + length]))
            at += 12 + length
        return chunks

    @staticmethod
    def png_size(path: Path) -> tuple[int, int]:
        kind, data = FigureReader.png_chunks(path)[0]
        assert kind == b"IHDR"
        width, height = struct.unpack(">II", data[:8])
        return width, height

    @staticmethod
    def png_text(path: Path) -> dict[str, str]:
        """tEXt and iTXt chunks as keyword -> text."""
        found = {}
        for kind, data in FigureReader.png_chunks(path):
            if kind == b"tEXt":
                key, _, value = data.partition(b"\0")
                found[key.decode("latin-1")] = value.decode("latin-1")
            elif kind == b"iTXt":
                key, _, rest = data.partition(b"\0")
                rest = rest[2:]  # compression flag and method (matplotlib writes uncompressed)
                _, _, rest = rest.partition(b"\0")  # language tag
                _, _, value = rest.partition(b"\0")  # translated keyword
                found[key.decode("latin-1")] = value.decode("utf-8")
        return found


@pytest.fixture(scope="session")
def figures() -> type[FigureReader]:
    return FigureReader


# -- headless Chromium, driven by Playwright ------------------------------------------

SYSTEM_CHROMIUM = ("chromium", "chromium-browser")


class Chromium:
    """Opens pages in a headless Chromium and reports what a reader would see go wrong."""

    def __init__(self, browser: Any) -> None:
        self.browser = browser

    def open(self, path: Path) -> dict[str, Any]:
        """Load ``path``; return console/page errors and every image's natural size."""
        page = self.browser.new_page()
        errors: list[dict[str, str]] = []
        page.on(
            "console",
            lambda message: (
                errors.append({"type": message.type, "text": message.text})
                if message.type in ("error", "assert")
                else None
            ),
        )
        page.on("pageerror", lambda error: errors.append({"type": "exception", "text": str(error)}))
        try:
            page.goto(path.resolve().as_uri(), wait_until="load")
            images = page.evaluate(
                "[...document.images].map(i => ({id: i.closest('figure')?.id, "
                "complete: i.complete, width: i.naturalWidth, height: i.naturalHeight}))"
            )
        finally:
            page.close()
        return {"images": images, "errors": errors}


@pytest.fixture(scope="session")
def chromium():
    """The system's headless Chromium under Playwright (no browser download).

    Skipped with the reason where Chromium or the playwright package is missing.
    """
    executable = next(filter(None, map(shutil.which, SYSTEM_CHROMIUM)), None)
    if executable is None:
        pytest.skip("chromium is not installed (.ci/run installs it: apt-get install chromium)")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed (pip install -e '.[dev]')"
    )
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            yield Chromium(browser)
        finally:
            browser.close()
