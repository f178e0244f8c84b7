"""What the harness itself costs: importing accel, and calling through ``accel.fastest``.

(The timing loop's cost per repetition is measured through the runner with the empty
kernel in ``bench_empty``; see ``catalogue``.)

* Import: ``python -c "import accel"`` against ``python -c "pass"`` in fresh
  interpreters, alternated, the least wall time of each; the difference is what
  importing accel adds. A second interpreter lists the heavy modules it pulled in.
* ``fastest``: the callable it returns against the implementation's ``compute``
  called directly on the same tiny input, with ``timeit``, alternated, least time per
  call of each.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import timeit
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Libraries that take tens to hundreds of milliseconds to import.
HEAVY_MODULES = ("numpy", "numba", "llvmlite", "torch", "cupy", "scipy", "pandas", "matplotlib")
BENCHMARKS_DIR = Path(__file__).resolve().parent
EMPTY_KERNEL = "bench_empty"


def register_empty_kernel() -> None:
    """Make the empty kernel known here and to every worker started from here on."""
    extras = [m for m in os.environ.get("ACCEL_EXTRA_KERNELS", "").split(",") if m]
    if EMPTY_KERNEL not in extras:
        os.environ["ACCEL_EXTRA_KERNELS"] = ",".join([*extras, EMPTY_KERNEL])
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if str(BENCHMARKS_DIR) not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join([str(BENCHMARKS_DIR), *paths])
    if str(BENCHMARKS_DIR) not in sys.path:
        sys.path.append(str(BENCHMARKS_DIR))


def _wall(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    return time.perf_counter() - start


@dataclass(frozen=True)
class ImportCost:
    """Seconds ``import accel`` adds to a fresh interpreter, and the heavy modules it loads."""

    seconds: float
    with_accel_s: float
    bare_s: float
    runs: int
    heavy: tuple[str, ...]


def import_cost(runs: int = 15) -> ImportCost:
    """Least wall time of ``import accel`` minus that of an empty interpreter, alternated."""
    with_accel, bare = [], []
    for _ in range(runs):
        bare.append(_wall("pass"))
        with_accel.append(_wall("import accel"))
    listing = subprocess.run(
        [
            sys.executable,
            "-c",
            "import accel, json, sys; print(json.dumps(sorted(sys.modules)))",
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    loaded = json.loads(listing.stdout)
    heavy = tuple(sorted({m.split(".")[0] for m in loaded} & set(HEAVY_MODULES)))
    return ImportCost(min(with_accel) - min(bare), min(with_accel), min(bare), runs, heavy)


@dataclass(frozen=True)
class CallCost:
    """Seconds per call through ``accel.fastest``'s callable and straight to ``compute``."""

    through_s: float
    direct_s: float
    backend: str
    calls: int

    @property
    def added_s(self) -> float:
        return self.through_s - self.direct_s


def _least_per_call(
    first: Callable[[], Any], second: Callable[[], Any], calls: int, repeats: int
) -> tuple[float, float]:
    """Least seconds per call of each, timed in alternation."""
    one, two = [], []
    for _ in range(repeats):
        one.append(timeit.timeit(first, number=calls) / calls)
        two.append(timeit.timeit(second, number=calls) / calls)
    return min(one), min(two)


def fastest_call_cost(
    kernel: str = "julia",
    size: int = 2,
    backend: str = "numba_cpu",
    calls: int = 2000,
    repeats: int = 15,
) -> CallCost:
    """The cost ``accel.fastest``'s callable adds to ``compute`` on a tiny input.

    The selection is made among ``backend`` alone, in a throwaway store (one worker
    measures it), so the callable is bound to that backend's implementation.
    """
    from accel.kernels import get_kernel

    import accel

    spec = get_kernel(kernel)
    inputs = spec.make_inputs(size, **spec.params_for(size))
    with tempfile.TemporaryDirectory(prefix="accel-bench-") as folder:
        selected = accel.fastest(
            kernel, size=size, backends=[backend], store=os.path.join(folder, "store.db")
        )
        compute = spec.implementation(selected.backend).compute
        selected(**inputs)  # binds the backend and compiles
        compute(**inputs)
        through, direct = _least_per_call(
            lambda: selected(**inputs), lambda: compute(**inputs), calls, repeats
        )
        selected.close()
    return CallCost(through, direct, selected.backend, calls)
