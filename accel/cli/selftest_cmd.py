"""``accel selftest --gpu``: every GPU backend on every kernel it implements, checked.

The command to run on a new GPU machine: each (kernel, backend) pair, and each named
variant of the pair (diffusion's ``torch_graph`` on ``torch_cuda``), runs in each of
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
from .options import add_cluster_options, cluster_options, comma_list

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


def selftest_jobs(
    backends: list[str], kernels: list[KernelSpec], size: int | None, preset: str, timeout: float
) -> list[tuple[str, str, dict]]:
    """Each kernel in each of its dtypes on each backend that implements it, and each of
    the backend's named variants of the kernel."""
    options = {
        "size": size,
        "preset": None if size else preset,
        "repeats": SELFTEST_REPEATS,
        "timeout": timeout,
    }
    return [
        (kernel.name, backend, {**options, "dtype": dtype, "variant": variant})
        for kernel in kernels
        for backend in backends
        if backend in kernel.implementations
        for variant in ["", *(v for v, on in kernel.variants.items() if on == backend)]
        for dtype in kernel.dtypes
    ]


def run_pairings(
    backends: list[str], kernels: list[KernelSpec], size: int | None, preset: str, timeout: float
) -> list[Pairing]:
    """Run each kernel in each of its dtypes on each backend that implements it, in a
    fresh worker per run."""
    return [
        Pairing(kernel, backend, execute(make_request(kernel, backend, **options)))
        for kernel, backend, options in selftest_jobs(backends, kernels, size, preset, timeout)
    ]


def cluster_pairings(
    args: argparse.Namespace, backends: list[str], kernels: list[KernelSpec]
) -> tuple[dict[str, tuple[str, list[Pairing]]], dict[str, str]]:
    """The self-test on every machine of ``--cluster`` (``--machines``: those named), all
    machines at once: machine name -> (its device name, its pairings); and, with
    ``--gpu``, each machine's GPU backends that cannot use the GPU it has."""
    from .. import fleet

    client = fleet.connect(args.cluster)
    try:
        chosen = fleet.machines(client, comma_list(args.machines))
        jobs = selftest_jobs(backends, kernels, args.size, args.preset, args.timeout)
        placed = fleet.place(client, chosen, jobs)
        devices: dict[str, object] = {m.worker: "this machine" for m in chosen}
        unusable: dict[str, str] = {}
        if args.gpu:
            devices = fleet.on_each(client, {m.worker: (device_name, backends) for m in chosen})
            checks = {m.worker: (unusable_on_this_gpu, backends) for m in chosen}
            answers = fleet.on_each(client, checks)
            for machine in chosen:
                found = answers[machine.worker]
                if isinstance(found, dict):
                    unusable.update({f"{name} on {machine.name}": r for name, r in found.items()})
        runner = fleet.FleetRunner(client, placed, args.cluster)
        finished = dict(runner(range(len(placed))))
        results: dict[str, tuple[str, list[Pairing]]] = {}
        for index, item in enumerate(placed):
            device = str(devices[item.machine.worker])
            pairing = Pairing(item.request.kernel, item.request.backend, finished[index])
            results.setdefault(item.machine.name, (device, []))[1].append(pairing)
        return results, unusable
    finally:
        client.close()


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
    add_cluster_options(parser)
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
    unusable: dict[str, str] = {}
    if cluster_options(args):
        machines, unusable = cluster_pairings(args, backends, kernels)
    else:
        device = device_name(backends) if args.gpu else "this machine"
        pairings = run_pairings(backends, kernels, args.size, args.preset, args.timeout)
        machines = {"": (device, pairings)}
        unusable = unusable_on_this_gpu(backends) if args.gpu else {}
    everything = [p for _, pairings in machines.values() for p in pairings]
    tested = [p for p in everything if p.record.status != "unavailable"]
    if args.json:
        print(json.dumps([p.record.to_dict() for p in everything], indent=2))
    else:
        for machine, (device, pairings) in machines.items():
            _print_report(backends, kernels, pairings, args.gpu, device, machine)
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
    backends: list[str],
    kernels: list[KernelSpec],
    pairings: list[Pairing],
    gpu: bool,
    device: str,
    machine: str = "",
) -> None:
    what = "GPU backends" if gpu else "backends"
    where = f"machine {machine}, " if machine else ""
    print(f"accel selftest: {what} on {where}device: {device}")
    rows = []
    for p in pairings:
        if p.record.status == "unavailable":
            continue
        r = p.record
        result = "pass" if p.passed else "FAIL"
        detail = r.check["detail"] if r.check else r.reason
        if r.check and not p.passed and r.reason:
            detail = r.reason
        rows.append([p.kernel, r.label, f"{r.size}", r.dtype, result, seconds(r.median_s), detail])
    if rows:
        show(["kernel", "backend", "size", "dtype", "result", "kernel time", "check"], rows)
    unavailable = {p.backend: p.record.reason for p in pairings if p.record.status == "unavailable"}
    for name, reason in unavailable.items():  # as the machine that ran them saw it
        print(f"{name}: unavailable: {reason}")
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
