"""Every thread pool a backend uses, set to one count, and waiting threads that yield.

A run asks for ``threads`` threads. The pools that can hold them are many: Numba's
(its threading layer: TBB, OpenMP or workqueue), OpenMP's (the C kernels' libgomp and
the copy torch ships), the BLAS library's (OpenBLAS or MKL, behind NumPy and torch)
and torch's own intra- and inter-op pools. :func:`pool_environment` sets all of them
for a fresh worker before any library loads; :func:`limit_pools` sets them again in
the worker, through ``threadpoolctl`` for every native library already loaded and
through torch's and Numba's own calls; :func:`pools_in_use` is what the record keeps.

Waiting threads yield to other work: an OpenMP thread that finished its share spins
for a while before it sleeps (GNU's default spin count is 300,000 iterations; Intel's
runtime spins 200 ms). On a machine where other work wants the cores, spinning threads
take CPU time from the very threads they wait for, and a parallel backend collapses
(torch_cpu on julia S, 2 cores with other work running: 1.74 s against 122 ms with a
passive policy). But a thread that sleeps at once pays a wake-up at the next parallel
region, and on a quiet virtual machine an idle virtual CPU is halted, so each wake-up
costs the hypervisor a round trip: torch_cpu's diffusion (five operations a step, each a
parallel region) took 1.19 s at 640x640 and 500 steps with no spin against 0.19 s with
10,000 (and 0.18 s with the default 300,000), on the quiet 2-core guest where
numba_cpu takes 0.12 s. So the wait policy follows the machine: the parent measures the
cores other work keeps busy just before it starts a worker of more than one thread
(:func:`accel.disturbance.busy_cores`), and the worker gets ``OMP_WAIT_POLICY=passive``
with ``GOMP_SPINCOUNT=0`` where at least :data:`BUSY_CORES` are busy and a brief spin
(``GOMP_SPINCOUNT=10000``) where the machine is quiet. Measured at julia 1000 and
diffusion 640 on these 2 cores, quiet / two spinning processes: no spin 0.38 / 0.48 s
and 1.19 / 2.15 s; brief spin 0.18 / 0.61 s and 0.19 / 0.61 s. ``KMP_BLOCKTIME`` (the
Intel/LLVM runtime, counted in milliseconds) stays 0 in both. A user's own setting of
any of these variables is kept.

threadpoolctl is used rather than hand-written ctypes calls into each BLAS and
OpenMP runtime: it knows every library's API and finds them among loaded libraries.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any

#: Variables that set a pool's size, each read by some library as it loads.
COUNT_VARIABLES: tuple[str, ...] = (
    "OMP_NUM_THREADS",  # OpenMP (libgomp, libiomp): the C kernels, torch, Numba's omp layer
    "NUMBA_NUM_THREADS",  # Numba's pool, whatever its threading layer
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",  # Apple Accelerate
    "NUMEXPR_NUM_THREADS",
)

#: Passive waiting, on a busy machine: threads with no work sleep at once.
PASSIVE_WAIT: dict[str, str] = {
    "OMP_WAIT_POLICY": "passive",  # OpenMP standard (libgomp, libiomp, LLVM libomp)
    "GOMP_SPINCOUNT": "0",  # GNU libgomp: spin 0 iterations before sleeping
    "KMP_BLOCKTIME": "0",  # Intel/LLVM libomp: block after 0 ms
}
#: On a quiet machine: a brief spin (1/30 of GNU's default) before sleeping.
BRIEF_SPIN: dict[str, str] = {**PASSIVE_WAIT, "GOMP_SPINCOUNT": "10000"}
#: Other work keeping this many cores busy makes the machine busy.
BUSY_CORES = 0.5


def wait_policy(busy_cores: float | None) -> dict[str, str]:
    """The wait variables for a worker started while other work keeps ``busy_cores``
    cores busy (None: not measured, so the safe choice, passive)."""
    quiet = busy_cores is not None and busy_cores < BUSY_CORES
    return BRIEF_SPIN if quiet else PASSIVE_WAIT


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity mask), the default thread count."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def pool_environment(
    threads: int, base: Mapping[str, str] | None = None, busy_cores: float | None = None
) -> dict[str, str]:
    """The environment a worker with ``threads`` threads starts with.

    Every pool-size variable is set to ``threads``; the wait variables of
    :func:`wait_policy` for ``busy_cores`` are set unless ``base`` (default: this
    process's environment) sets them already, so a user who wants spinning threads can
    export ``OMP_WAIT_POLICY=active``.

    >>> env = pool_environment(2, {})
    >>> env["OMP_NUM_THREADS"], env["OMP_WAIT_POLICY"], env["GOMP_SPINCOUNT"]
    ('2', 'passive', '0')
    >>> pool_environment(2, {}, busy_cores=0.1)["GOMP_SPINCOUNT"]
    '10000'
    >>> pool_environment(2, {"OMP_WAIT_POLICY": "active"})["OMP_WAIT_POLICY"]
    'active'
    """
    env = dict(os.environ if base is None else base)
    for variable in COUNT_VARIABLES:
        env[variable] = str(threads)
    for variable, value in wait_policy(busy_cores).items():
        env.setdefault(variable, value)
    return env


def limit_pools(threads: int) -> list[str]:
    """Set every pool loaded in this process to ``threads``; the problems met, in words.

    Call it after the backend has loaded its libraries (torch, the kernel's native
    library): threadpoolctl reaches only libraries already loaded. torch's inter-op
    pool can be sized only before its first use; a refusal is reported, not raised.
    """
    problems: list[str] = []
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=threads)
    except Exception as exc:  # a broken or missing threadpoolctl must not fail the run
        problems.append(f"threadpoolctl: {type(exc).__name__}: {exc}")
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(threads)
        if torch.get_num_interop_threads() != threads:
            try:
                torch.set_num_interop_threads(threads)
            except RuntimeError as exc:
                problems.append(f"torch inter-op pool: {exc}")
    numba = sys.modules.get("numba")
    if numba is not None:
        try:
            numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
        except Exception as exc:
            problems.append(f"numba: {type(exc).__name__}: {exc}")
    return problems


def pools_in_use() -> dict[str, Any]:
    """The pools of this process as the libraries see them: the record's ``pools``.

    ``native``: threadpoolctl's view of every BLAS and OpenMP library loaded (API,
    library file, version, threads). ``numba``: the threading layer that ran (or
    ``"not started"`` before any parallel call) and the pool size. ``torch``: intra-
    and inter-op threads and its parallel backend. ``wait``: the wait policy in force.
    Libraries this process never imported are left out rather than imported here.
    """
    pools: dict[str, Any] = {
        "wait": {name: os.environ.get(name) for name in PASSIVE_WAIT},
    }
    try:
        from threadpoolctl import threadpool_info

        pools["native"] = [
            {
                "api": info.get("user_api"),
                "library": info.get("internal_api"),
                "file": os.path.basename(info.get("filepath") or ""),
                "version": info.get("version"),
                "threads": info.get("num_threads"),
                **({"layer": info["threading_layer"]} if info.get("threading_layer") else {}),
            }
            for info in threadpool_info()
        ]
    except Exception as exc:
        pools["native"] = f"threadpoolctl failed: {type(exc).__name__}: {exc}"
    numba = sys.modules.get("numba")
    if numba is not None:
        try:
            layer = numba.threading_layer()
        except ValueError:  # no parallel function has run: no layer was started
            layer = "not started"
        pools["numba"] = {"layer": layer, "threads": numba.get_num_threads()}
    torch = sys.modules.get("torch")
    if torch is not None:
        backend = "openmp" if torch.backends.openmp.is_available() else "native"
        pools["torch"] = {
            "intra_op": torch.get_num_threads(),
            "inter_op": torch.get_num_interop_threads(),
            "parallel": backend,
        }
    return pools


def describe_pools(pools: Mapping[str, Any] | None) -> str:
    """One line for a report: ``openmp libgomp 2, blas openblas 2; numba omp 2; ...``."""
    if not pools:
        return "not recorded"
    parts = []
    native = pools.get("native")
    if isinstance(native, list) and native:
        parts.append(", ".join(f"{p['api']} {p['library']} {p['threads']}" for p in native))
    elif isinstance(native, str):
        parts.append(native)
    if "numba" in pools:
        parts.append(f"numba {pools['numba']['layer']} {pools['numba']['threads']}")
    if "torch" in pools:
        t = pools["torch"]
        parts.append(f"torch intra-op {t['intra_op']}, inter-op {t['inter_op']}")
    wait = pools.get("wait") or {}
    policy = wait.get("OMP_WAIT_POLICY")
    spins = wait.get("GOMP_SPINCOUNT")
    spin = f" after {spins} spins" if policy and spins not in (None, "0") else ""
    parts.append(f"OpenMP wait {policy or 'library default (spins)'}{spin}")
    return "; ".join(parts)
