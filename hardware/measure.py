"""Measured figures: STREAM-style memory bandwidth, a floating-point rate, host<->device bandwidth.

Method notes, so the numbers can be trusted and explained:

* Bandwidth: STREAM's copy (``c = a``) and triad (``a = b + s*c``) on float64
  arrays of 4x the last-level cache where time and memory allow (the report
  states the size used and warns when it is under 2x); bytes counted as STREAM does
  (16 B/element for copy, 24 for triad; write-allocate traffic not counted).
  Best and median of several timed passes after a warm-up, with one thread and
  with all usable CPUs. numba ``prange`` when numba imports, otherwise NumPy
  ufuncs over cache-sized blocks in Python threads (labelled as such).
* Floating point: NumPy float64 and float32 matmul (BLAS, its default threads),
  2 n^3 flops per product, best of several.
* GPU: host-to-device and device-to-host copies of pageable and pinned host
  buffers over a range of sizes, each timed with CUDA events on a stream after
  warm-ups, median of several samples (nvbandwidth's method: copy engine,
  cudaMemcpyAsync, events). NVML reads the PCIe link while the largest copies run
  (an idle link drops to gen1, so a reading at rest says nothing).
* The GPU's own roofs: device memory bandwidth from a device-to-device copy (bytes
  read plus written, as STREAM's copy counts them) and float64/float32 matmul rates
  (cuBLAS through CuPy, else torch), each timed with CUDA events after a warm-up.

Nothing here raises: a failed part leaves a reason in ``MeasuredFigures.reasons``.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .report import (
    BandwidthResult,
    DeviceRate,
    FlopsResult,
    HardwareReport,
    MeasuredFigures,
    PcieLink,
    TransferResult,
)

MIB = 1024**2
GIB = 1024**3
MIN_ARRAY_BYTES = 128 * MIB
MAX_ARRAY_BYTES = 512 * MIB  # keeps --measure near 5 s on an idle 2-core machine
BANDWIDTH_SAMPLES = 5
MATMUL_N = 2048
MATMUL_SAMPLES = 3
TRANSFER_SIZES = (256 * 1024, 4 * MIB, 64 * MIB, 256 * MIB)
TRANSFER_WARMUPS = 2
TRANSFER_SAMPLES = 7
STREAM_BYTES_PER_ELEMENT = {"copy": 16, "triad": 24}
DEVICE_COPY_BYTES = 512 * MIB
DEVICE_MATMUL_N = 4096
DEVICE_SAMPLES = 5
PCIE_READ_INTERVAL_S = 0.002
TRIAD_SCALAR = 3.0


def choose_array_bytes(
    llc_bytes: int | None, available_bytes: int | None, cap_bytes: int = MAX_ARRAY_BYTES
) -> tuple[int, str]:
    """Bytes per STREAM array, and a sentence saying how that size was chosen.

    Wanted: 4x the last-level cache (STREAM's rule), at least 128 MiB. Capped so
    the three arrays take at most 1/8 of available memory, and at ``cap_bytes``
    to keep the measurement to a few seconds.
    """
    want = max(4 * (llc_bytes or 0), MIN_ARRAY_BYTES)
    limits = [(cap_bytes, f"the {cap_bytes / MIB:.0f} MiB time cap")]
    if available_bytes:
        limits.append((available_bytes // 8 // 3, "available memory / 8"))
    size, why = want, ""
    for limit, label in limits:
        if limit < size:
            size, why = limit, label
    size = max(size - size % (8 * 4096), 8 * 4096)
    llc = f"{llc_bytes / MIB:.0f} MiB" if llc_bytes else "unknown"
    ratio = f"{size / llc_bytes:.1f}x the reported LLC of {llc}" if llc_bytes else "LLC unknown"
    note = f"3 float64 arrays of {size / MIB:.0f} MiB each ({ratio}"
    note += f"; 4x wanted, capped by {why})" if why else ")"
    if llc_bytes and size < 2 * llc_bytes:
        note += (
            "; under 2x the LLC, part of the data could come from cache if that LLC were all"
            " ours (a VM often reports the host's whole L3)"
        )
    return size, note


def _best_median(rates: list[float]) -> tuple[float, float]:
    return max(rates), statistics.median(rates)


def _time(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _timed_with_occupancy(fn: Callable[[], Any], threads: int) -> tuple[float, float]:
    """(wall seconds, share of ``threads`` CPUs this process got meanwhile, at most 1).

    A share well under 1 means other processes held the CPUs during the run.
    """
    cpu_start = time.process_time()
    wall = _time(fn)
    return wall, min((time.process_time() - cpu_start) / wall / threads, 1.0)


def contention_note(figures: MeasuredFigures, threshold: float = 0.8) -> str | None:
    """A sentence naming the most CPU-starved measurement, or None if none was starved."""
    runs = [(f"{b.kernel} with {b.threads} thread(s)", b.cpu_occupancy) for b in figures.bandwidth]
    runs += [(f.name, f.cpu_occupancy) for f in figures.flops]
    starved = [(name, share) for name, share in runs if share is not None and share < threshold]
    if not starved:
        return None
    name, share = min(starved, key=lambda run: run[1])
    return (
        f"other processes competed for the CPUs: {name} got only {100 * share:.0f}% of its "
        "CPU time; figures are lower bounds"
    )


class _NumbaStream:
    """STREAM kernels compiled with numba prange; thread count set per call."""

    label = "numba prange (parallel=True), numba.set_num_threads per run"

    def __init__(self) -> None:
        import numba

        self.numba = numba

        @numba.njit(parallel=True)
        def fill(a: Any, value: float) -> None:
            for i in numba.prange(a.size):
                a[i] = value

        @numba.njit(parallel=True)
        def copy(a: Any, c: Any) -> None:
            for i in numba.prange(a.size):
                c[i] = a[i]

        @numba.njit(parallel=True)
        def triad(a: Any, b: Any, c: Any, s: float) -> None:
            for i in numba.prange(a.size):
                a[i] = b[i] + s * c[i]

        self.fill, self.copy_kernel, self.triad_kernel = fill, copy, triad

    def max_threads(self) -> int:
        return int(self.numba.config.NUMBA_NUM_THREADS)

    def finish(self) -> None:
        """Give numba back its full thread count."""
        self.numba.set_num_threads(self.max_threads())

    def run(self, kernel: str, threads: int, a: Any, b: Any, c: Any) -> float:
        self.numba.set_num_threads(threads)
        if kernel == "copy":
            return _time(lambda: self.copy_kernel(a, c))
        return _time(lambda: self.triad_kernel(a, b, c, TRIAD_SCALAR))


class _NumpyStream:
    """STREAM kernels as NumPy ufuncs over 256 KiB blocks, split across Python threads."""

    label = "numpy ufuncs over 256 KiB blocks in Python threads (numba not importable)"
    block = 32 * 1024  # float64 elements

    def __init__(self) -> None:
        import numpy as np

        self.np = np

    def fill(self, a: Any, value: float) -> None:
        a.fill(value)

    def max_threads(self) -> int:
        return 1 << 16

    def finish(self) -> None:
        """Nothing to restore."""

    def _part(self, kernel: str, a: Any, b: Any, c: Any, lo: int, hi: int) -> None:
        np = self.np
        for start in range(lo, hi, self.block):
            end = min(start + self.block, hi)
            if kernel == "copy":
                np.copyto(c[start:end], a[start:end])
            else:
                np.multiply(c[start:end], TRIAD_SCALAR, out=a[start:end])
                np.add(a[start:end], b[start:end], out=a[start:end])

    def run(self, kernel: str, threads: int, a: Any, b: Any, c: Any) -> float:
        bounds = [a.size * t // threads for t in range(threads + 1)]
        if threads == 1:
            return _time(lambda: self._part(kernel, a, b, c, 0, a.size))
        with ThreadPoolExecutor(threads) as pool:

            def go() -> None:
                futures = [
                    pool.submit(self._part, kernel, a, b, c, bounds[t], bounds[t + 1])
                    for t in range(threads)
                ]
                for future in futures:
                    future.result()

            return _time(go)


def measure_bandwidth(
    figures: MeasuredFigures,
    usable_cpus: int,
    llc_bytes: int | None,
    available_bytes: int | None,
    array_bytes: int | None = None,
    samples: int = BANDWIDTH_SAMPLES,
) -> None:
    """Fill ``figures.bandwidth`` with copy and triad rates at 1 thread and all usable CPUs."""
    import numpy as np

    if array_bytes is None:
        array_bytes, note = choose_array_bytes(llc_bytes, available_bytes)
    else:
        note = f"3 float64 arrays of {array_bytes / MIB:.0f} MiB each (size set by the caller)"
    try:
        engine: _NumbaStream | _NumpyStream = _NumbaStream()
    except Exception as exc:  # numba missing or broken: honest NumPy fallback
        engine = _NumpyStream()
        figures.notes.append(f"numba unavailable ({type(exc).__name__}: {exc}); used NumPy")
    figures.bandwidth_method = engine.label
    figures.array_bytes, figures.array_note = array_bytes, note
    n = array_bytes // 8
    a, b, c = (np.empty(n, dtype=np.float64) for _ in range(3))
    for array, value in ((a, 1.0), (b, 2.0), (c, 0.5)):
        engine.fill(array, value)  # first touch, in parallel where possible
    expect = {"a": 1.0, "b": 2.0, "c": 0.5}  # every element holds the same value

    def timed(kernel: str, threads: int) -> tuple[float, float]:
        cpu_start = time.process_time()
        seconds = engine.run(kernel, threads, a, b, c)
        occupancy = min((time.process_time() - cpu_start) / seconds / threads, 1.0)
        if kernel == "copy":
            expect["c"] = expect["a"]
        else:
            expect["a"] = expect["b"] + TRIAD_SCALAR * expect["c"]
        return seconds, occupancy

    all_threads = max(1, min(usable_cpus, engine.max_threads()))
    thread_counts = [1] if all_threads == 1 else [1, all_threads]
    for kernel in ("copy", "triad"):
        nbytes = STREAM_BYTES_PER_ELEMENT[kernel] * n
        runs: dict[int, list[tuple[float, float]]] = {t: [] for t in thread_counts}
        for threads in thread_counts:
            timed(kernel, threads)  # warm-up (and numba compile on first call)
        for _ in range(samples):  # interleaved, so drifting load hits both thread counts alike
            for threads in thread_counts:
                runs[threads].append(timed(kernel, threads))
        for threads in thread_counts:
            best, median = _best_median([nbytes / wall / 1e9 for wall, _ in runs[threads]])
            occupancy = statistics.median(occ for _, occ in runs[threads])
            figures.bandwidth.append(
                BandwidthResult(kernel, threads, best, median, samples, nbytes, occupancy)
            )
    engine.finish()
    step = max(1, n // 4096)
    if not (np.allclose(a[::step], expect["a"]) and np.allclose(c[::step], expect["c"])):
        figures.notes.append("copy/triad result check FAILED: bandwidth figures are suspect")


def measure_matmul(
    figures: MeasuredFigures, current_mhz: float | None, usable_cpus: int, n: int | None = None
) -> None:
    """Fill ``figures.flops`` with NumPy matmul GFLOP/s (float64 and float32, BLAS threads)."""
    import numpy as np

    n = n or MATMUL_N

    rng = np.random.default_rng(0)
    for dtype in (np.float64, np.float32):
        x = rng.random((n, n)).astype(dtype)
        y = rng.random((n, n)).astype(dtype)
        out = np.empty((n, n), dtype=dtype)
        np.matmul(x, y, out=out)  # warm-up: BLAS thread pool start, page faults
        runs = [
            _timed_with_occupancy(lambda x=x, y=y, out=out: np.matmul(x, y, out=out), usable_cpus)
            for _ in range(MATMUL_SAMPLES)
        ]
        best, median = _best_median([2.0 * n**3 / wall / 1e9 for wall, _ in runs])
        per_cycle = None
        if current_mhz:
            per_cycle = best * 1e9 / (usable_cpus * current_mhz * 1e6)
        figures.flops.append(
            FlopsResult(
                name=f"numpy matmul {np.dtype(dtype).name} n={n}",
                threads=f"BLAS default ({usable_cpus} usable CPUs)",
                best_gflops=best,
                median_gflops=median,
                samples=MATMUL_SAMPLES,
                flops_per_cycle_per_core=per_cycle,
                cpu_occupancy=statistics.median(share for _, share in runs),
            )
        )


def _cupy_copier() -> tuple[str, Callable[..., Any]]:
    import cupy as cp
    import numpy as np

    stream = cp.cuda.Stream(non_blocking=True)
    runtime = cp.cuda.runtime

    def copier(size: int, host_kind: str) -> Callable[[str], float]:
        device = cp.empty(size, dtype=cp.uint8)
        if host_kind == "pinned":
            memory = cp.cuda.alloc_pinned_memory(size)
            host = np.frombuffer(memory, dtype=np.uint8, count=size)
        else:
            host = np.empty(size, dtype=np.uint8)
        host[:] = 1
        keep = (device, host)

        def once(direction: str) -> float:
            start, end = cp.cuda.Event(), cp.cuda.Event()
            start.record(stream)
            if direction == "h2d":
                runtime.memcpyAsync(
                    keep[0].data.ptr,
                    keep[1].ctypes.data,
                    size,
                    runtime.memcpyHostToDevice,
                    stream.ptr,
                )
            else:
                runtime.memcpyAsync(
                    keep[1].ctypes.data,
                    keep[0].data.ptr,
                    size,
                    runtime.memcpyDeviceToHost,
                    stream.ptr,
                )
            end.record(stream)
            end.synchronize()
            return cp.cuda.get_elapsed_time(start, end) / 1e3

        return once

    return "cupy: cudaMemcpyAsync on a non-blocking stream, CUDA events", copier


def _numba_cuda_copier() -> tuple[str, Callable[..., Any]]:
    import numpy as np
    from numba import cuda

    if not cuda.is_available():
        raise RuntimeError("numba.cuda reports no usable CUDA device")
    stream = cuda.stream()

    def copier(size: int, host_kind: str) -> Callable[[str], float]:
        device = cuda.device_array(size, dtype=np.uint8, stream=stream)
        host = (
            cuda.pinned_array(size, dtype=np.uint8)
            if host_kind == "pinned"
            else np.empty(size, np.uint8)
        )
        host[:] = 1

        def once(direction: str) -> float:
            start, end = cuda.event(), cuda.event()
            start.record(stream)
            if direction == "h2d":
                device.copy_to_device(host, stream=stream)
            else:
                device.copy_to_host(host, stream=stream)
            end.record(stream)
            end.synchronize()
            return cuda.event_elapsed_time(start, end) / 1e3

        return once

    return "numba.cuda: copy_to_device/copy_to_host on a stream, CUDA events", copier


class _PcieWatch:
    """Reads the PCIe link through NVML in a thread while copies run; keeps the fastest
    reading (the link trains up to its working generation only under traffic)."""

    def __init__(self, nvml: Any = None, index: int = 0) -> None:
        self.nvml, self.index = nvml, index
        self.best: PcieLink | None = None
        self.reason = ""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> _PcieWatch:
        from .gpu import nvml_pcie_link

        nvml = self.nvml
        if nvml is None:
            try:
                import pynvml as nvml
            except ImportError:
                self.reason = "nvidia-ml-py not installed (pip install nvidia-ml-py)"
                return self
        try:
            nvml.nvmlInit()
            handle = nvml.nvmlDeviceGetHandleByIndex(self.index)
        except Exception as exc:
            self.reason = f"NVML: {exc}"
            return self
        problems: dict[str, str] = {}

        def ask(field: str, call: Callable[[], Any]) -> Any:
            try:
                return call()
            except Exception as exc:
                problems[field] = str(exc)
                return None

        def watch() -> None:
            while True:
                link = nvml_pcie_link(nvml, handle, ask)
                if link.gen_current and (
                    self.best is None or link.gen_current > (self.best.gen_current or 0)
                ):
                    self.best = link
                if self._stop.wait(PCIE_READ_INTERVAL_S):
                    break
            if self.best is None:
                self.reason = "NVML: " + (problems.get("pcie") or "no PCIe generation read")
            with contextlib.suppress(Exception):
                nvml.nvmlShutdown()

        self._thread = threading.Thread(target=watch, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)


def measure_transfers(
    figures: MeasuredFigures,
    device_memory_bytes: int | None,
    sizes: tuple[int, ...] = TRANSFER_SIZES,
    samples: int = TRANSFER_SAMPLES,
    factories: tuple[Callable[[], tuple[str, Callable[..., Any]]], ...] | None = None,
    nvml: Any = None,
) -> None:
    """Fill ``figures.transfers`` with H2D/D2H GB/s for pageable and pinned host memory,
    and ``figures.pcie_during_copy`` with the link NVML saw while the largest ran."""
    errors = []
    for factory in factories or (_cupy_copier, _numba_cuda_copier):
        try:
            method, copier = factory()
            break
        except Exception as exc:  # ImportError, CUDA driver errors
            errors.append(f"{factory.__name__.strip('_').replace('_copier', '')}: {exc}")
    else:
        figures.reasons["transfers"] = "no CUDA library usable (" + "; ".join(errors) + ")"
        return
    figures.transfer_method = method
    if device_memory_bytes:
        sizes = tuple(s for s in sizes if s <= device_memory_bytes // 4)
    for size in sizes:
        for host_kind in ("pageable", "pinned"):
            once = copier(size, host_kind)
            for direction in ("h2d", "d2h"):
                for _ in range(TRANSFER_WARMUPS):
                    once(direction)
                watched = size == max(sizes) and host_kind == "pinned" and direction == "h2d"
                with _PcieWatch(nvml) if watched else contextlib.nullcontext() as watch:
                    rates = [size / once(direction) / 1e9 for _ in range(samples)]
                if watch is not None:
                    figures.pcie_during_copy = watch.best
                    if watch.best is None:
                        figures.reasons["pcie_during_copy"] = watch.reason
                best, median = _best_median(rates)
                figures.transfers.append(
                    TransferResult(direction, host_kind, size, median, best, samples)
                )


class _CupyDevice:
    """Device buffers, a device-to-device copy and cuBLAS matmul through CuPy, timed with
    CUDA events on CuPy's current stream."""

    name = "cupy: device-to-device copy (cudaMemcpyAsync) and cuBLAS matmul, CUDA events"

    def __init__(self) -> None:
        import cupy

        self.cp = cupy
        cupy.cuda.runtime.getDeviceCount()

    def buffer(self, nbytes: int) -> Any:
        return self.cp.ones(nbytes, dtype=self.cp.uint8)

    def copy(self, destination: Any, source: Any) -> None:
        destination[...] = source

    def matrix(self, n: int, dtype: str) -> Any:
        return self.cp.ones((n, n), dtype=dtype)

    def matmul(self, a: Any, b: Any, out: Any) -> None:
        self.cp.matmul(a, b, out=out)

    def seconds(self, work: Callable[[], None]) -> float:
        start, end = self.cp.cuda.Event(), self.cp.cuda.Event()
        start.record()
        work()
        end.record()
        end.synchronize()
        return self.cp.cuda.get_elapsed_time(start, end) / 1e3


class _TorchDevice:
    """The same through torch on its current CUDA device and stream."""

    name = "torch: device-to-device copy_ and cuBLAS matmul, CUDA events"

    def __init__(self) -> None:
        import torch

        if not torch.cuda.is_available():
            raise RuntimeError(f"torch {torch.__version__} cannot use a GPU here")
        self.torch = torch

    def buffer(self, nbytes: int) -> Any:
        return self.torch.ones(nbytes, dtype=self.torch.uint8, device="cuda")

    def copy(self, destination: Any, source: Any) -> None:
        destination.copy_(source)

    def matrix(self, n: int, dtype: str) -> Any:
        return self.torch.ones((n, n), dtype=getattr(self.torch, dtype), device="cuda")

    def matmul(self, a: Any, b: Any, out: Any) -> None:
        self.torch.matmul(a, b, out=out)

    def seconds(self, work: Callable[[], None]) -> float:
        torch = self.torch
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        work()
        end.record()
        end.synchronize()
        return start.elapsed_time(end) / 1e3


def measure_device(
    figures: MeasuredFigures,
    device_memory_bytes: int | None,
    engines: tuple[Callable[[], Any], ...] = (_CupyDevice, _TorchDevice),
    copy_bytes: int = DEVICE_COPY_BYTES,
    matmul_n: int = DEVICE_MATMUL_N,
    samples: int = DEVICE_SAMPLES,
) -> None:
    """Fill ``figures.device`` with the GPU's memory bandwidth (a device-to-device copy,
    bytes read plus written) and float64/float32 matmul GFLOP/s (2 n^3 per product),
    each the best and median of ``samples`` event-timed runs after a warm-up."""
    errors = []
    for make in engines:
        try:
            device = make()
            break
        except Exception as exc:
            errors.append(f"{getattr(make, 'name', make.__name__)}: {exc}")
    else:
        figures.reasons["device"] = "no CUDA library usable (" + "; ".join(errors) + ")"
        return
    figures.device_method = device.name
    if device_memory_bytes:
        copy_bytes = min(copy_bytes, device_memory_bytes // 8)
        # three n x n float64 matrices in at most a quarter of the memory
        while matmul_n > 256 and 3 * 8 * matmul_n**2 > device_memory_bytes // 4:
            matmul_n //= 2

    def rates(work: Callable[[], None], amount: float) -> tuple[float, float]:
        work()  # warm-up: cuBLAS handle and kernel selection, first-touch of pages
        return _best_median([amount / device.seconds(work) / 1e9 for _ in range(samples)])

    buffers = [device.buffer(copy_bytes), device.buffer(copy_bytes)]
    best, median = rates(lambda: device.copy(buffers[1], buffers[0]), 2.0 * copy_bytes)
    detail = f"{copy_bytes / MIB:.0f} MiB copied on the device, bytes read + written counted"
    figures.device.append(DeviceRate("copy", "GB/s", best, median, samples, detail))
    buffers.clear()  # free the copy's memory before the matrices take theirs
    for dtype in ("float64", "float32"):
        a, b, c = (device.matrix(matmul_n, dtype) for _ in range(3))
        best, median = rates(lambda a=a, b=b, c=c: device.matmul(a, b, c), 2.0 * matmul_n**3)
        detail = f"n={matmul_n}, 2 n^3 flops per product"
        figures.device.append(
            DeviceRate(f"matmul {dtype}", "GFLOP/s", best, median, samples, detail)
        )


def measure(report: HardwareReport, array_bytes: int | None = None) -> MeasuredFigures:
    """Run every measurement that applies here; never raises; records how long it took."""
    figures = MeasuredFigures()
    start = time.perf_counter()
    usable = report.host.usable_cpus or report.cpu.logical_cores or 1
    if hasattr(os, "getloadavg"):
        load = os.getloadavg()[0]
        figures.notes.append(f"load average {load:.1f} on {usable} usable CPUs before measuring")
    llc = report.caches.last_level()
    parts: list[tuple[str, Callable[[], None]]] = [
        (
            "bandwidth",
            lambda: measure_bandwidth(
                figures,
                usable,
                llc.size_bytes if llc else None,
                report.memory.available_bytes,
                array_bytes,
            ),
        ),
        ("flops", lambda: measure_matmul(figures, report.cpu.current_mhz, usable)),
    ]
    if report.gpu.devices:
        memory = report.gpu.devices[0].memory_total_bytes
        parts.append(("transfers", lambda: measure_transfers(figures, memory)))
        parts.append(("device", lambda: measure_device(figures, memory)))
    else:
        figures.reasons["transfers"] = f"no GPU ({report.gpu.none_reason or 'none found'})"
        figures.reasons["device"] = figures.reasons["transfers"]
    timings = []
    for name, part in parts:
        part_start = time.perf_counter()
        try:
            part()
        except Exception as exc:  # a failed measurement must not hide the others
            figures.reasons[name] = f"{type(exc).__name__}: {exc}"
        timings.append(f"{name} {time.perf_counter() - part_start:.1f} s")
    figures.seconds = time.perf_counter() - start
    note = contention_note(figures)
    if note:
        figures.notes.append(note)
    figures.notes.append("time per part: " + ", ".join(timings))
    return figures
