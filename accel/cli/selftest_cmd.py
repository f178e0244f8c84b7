"""``accel selftest --gpu``: every GPU backend on every kernel it implements, checked.

The command to run on a new GPU machine: each (kernel, backend) pair runs in each of
the kernel's dtypes at a small size in a fresh worker, exactly as ``accel run`` would,
and its output is checked on the CPU by the kernel's own check (against its reference
or closed form: exactly, or within the kernel's stated tolerance for single precision).
Prints a pass/fail table with the device name.

Exit codes: 0 when every pair that could run passed; 1 when any failed, or when
(with ``--gpu``) the driver sees a GPU that a GPU backend cannot use; 5 when nothing
could run (no GPU backend available here and no GPU), as pytest does when it collects
no tests, so that a script on a GPU machine notices a GPU it cannot use; 2 for a
usage mistake.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass

from ..backends import BACKEND_NAMES, get_backend
from ..backends.cuda_backend import CudaBackend
from ..backends.cuda_driver import driver_availability
from ..execute import execute
from ..kernels import KernelSpec, all_kernels
from ..record import RunRecord
from ..request import DEFAULT_TIMEOUT_S, make_request, resolve_kernel
from ..tables import show
from ..units import seconds
from .options import comma_list

SELFTEST_REPEATS = 3
NOTHING_TESTED = 5


@dataclass(frozen=True)
class Pairing:
    """One kernel on one backend, and what became of it."""

    kernel: str
    backend: str
    record: RunRecord

    @property
    def passed(self) -> bool:
        return self.record.ok


def gpu_backend_names() -> list[str]:
    """The registered backends that run on a CUDA device."""
    return [name for name in BACKEND_NAMES if isinstance(get_backend(name), CudaBackend)]


def run_pairings(
    backends: list[str], kernels: list[KernelSpec], size: int | None, preset: str, timeout: float
) -> list[Pairing]:
    """Run each kernel in each of its dtypes on each backend that implements it, in a
    fresh worker per run."""
    pairings = []
    for kernel in kernels:
        for backend in backends:
            if backend not in kernel.implementations:
                continue
            for dtype in kernel.dtypes:
                request = make_request(
                    kernel.name,
                    backend,
                    size=size,
                    preset=None if size else preset,
                    dtype=dtype,
                    repeats=SELFTEST_REPEATS,
                    timeout=timeout,
                )
                pairings.append(Pairing(kernel.name, backend, execute(request)))
    return pairings


def device_name(backends: list[str]) -> str:
    """The GPU's name as the first available GPU backend sees it, or why there is none."""
    for name in backends:
        backend = get_backend(name)
        if isinstance(backend, CudaBackend) and backend.available():
            try:
                return backend.device_name()
            except Exception as exc:  # the pass/fail table matters more than the name
                return f"unknown ({name}: {exc})"
    return "none usable"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "selftest", help="check every backend on every kernel at a small size (--gpu: GPUs)"
    )
    parser.add_argument("--gpu", action="store_true", help="test the GPU backends only")
    parser.add_argument("--kernels", help="comma-separated kernels (default: all)")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--preset", default="S", help="size preset of each kernel (default S)")
    size.add_argument("--size", type=int, help="one size for every kernel instead of a preset")
    parser.add_argument(
        "--timeout", type=float, default=DEFAULT_TIMEOUT_S, help="seconds before a run is killed"
    )
    parser.add_argument("--json", action="store_true", help="print the run records as JSON")
    parser.set_defaults(func=run)


def unusable_on_this_gpu(backends: list[str]) -> dict[str, str]:
    """GPU backends that cannot run although the driver sees a GPU, with their reasons.

    On a GPU machine, a GPU backend that cannot use the GPU (a CPU build of torch, CuPy
    without NVRTC, Numba without NVVM) is a failure of the set-up, not a skip.
    """
    if not driver_availability():
        return {}
    found = {}
    for name in backends:
        availability = get_backend(name).available()
        if not availability:
            found[name] = availability.reason
    return found


def run(args: argparse.Namespace) -> int:
    backends = gpu_backend_names() if args.gpu else list(BACKEND_NAMES)
    kernels = _chosen_kernels(args.kernels)
    pairings = run_pairings(backends, kernels, args.size, args.preset, args.timeout)
    tested = [p for p in pairings if p.record.status != "unavailable"]
    unusable = unusable_on_this_gpu(backends) if args.gpu else {}
    if args.json:
        print(json.dumps([p.record.to_dict() for p in pairings], indent=2))
    else:
        _print_report(backends, kernels, pairings, args.gpu)
        for name, reason in unusable.items():
            print(f"FAILED: a GPU is present but {name} cannot use it: {reason}")
    if unusable:
        return 1
    if not tested:
        return NOTHING_TESTED
    return 0 if all(p.passed for p in tested) else 1


def _chosen_kernels(names: str | None) -> list[KernelSpec]:
    chosen = comma_list(names)
    if chosen is None:
        return all_kernels()
    return [resolve_kernel(name) for name in chosen]


def _print_report(
    backends: list[str], kernels: list[KernelSpec], pairings: list[Pairing], gpu: bool
) -> None:
    what = "GPU backends" if gpu else "backends"
    print(f"accel selftest: {what} on device: {device_name(backends) if gpu else 'this machine'}")
    rows = []
    for p in pairings:
        if p.record.status == "unavailable":
            continue
        r = p.record
        result = "pass" if p.passed else "FAIL"
        detail = r.check["detail"] if r.check else r.reason
        if r.check and not p.passed and r.reason:
            detail = r.reason
        rows.append(
            [p.kernel, p.backend, f"{r.size}", r.dtype, result, seconds(r.median_s), detail]
        )
    if rows:
        show(["kernel", "backend", "size", "dtype", "result", "kernel time", "check"], rows)
    for name in backends:
        availability = get_backend(name).available()
        if not availability:
            print(f"{name}: unavailable: {availability.reason}")
    for kernel in kernels:
        for name in backends:
            if name not in kernel.implementations:
                why = kernel.not_applicable.get(name, "not implemented")
                print(f"{kernel.name} on {name}: not tested: {why}")
    tested = [p for p in pairings if p.record.status != "unavailable"]
    failed = [p for p in tested if not p.passed]
    if not tested:
        print(f"nothing was tested: no {what} can run here (exit code {NOTHING_TESTED})")
    else:
        print(
            f"{len(tested) - len(failed)} passed, {len(failed)} failed (each output checked "
            "on the CPU by its kernel's check: reference, closed form or stated bound)"
        )
