"""What the harness itself costs: importing accel, and calling through ``accel.fastest``.

(The timing loop's cost per repetition is measured through the runner with the empty
kernel in ``bench_empty``; see ``catalogue``.)

* Import: ``python -X importtime -c "import accel"`` in fresh interpreters; the
  interpreter's own account of the cumulative time of the top-level ``accel`` import
  (everything it pulled in, nothing the interpreter had loaded before), the median of
  the runs. A sum of import times cannot be negative, unlike the difference of two
  whole-interpreter wall times (``python -c "import accel"`` minus ``python -c pass``,
  kept beside it as context), which noise made -4.7 ms once. A second interpreter lists
  the heavy modules it pulled in.
* ``fastest``: the callable it returns against the implementation's ``compute``
  called directly on the same tiny input, with ``timeit``, in alternating pairs; the
  cost is the median difference within a pair.
"""

from __future__ import annotations

import json
import os
import statistics
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
    """Seconds ``import accel`` adds to a fresh interpreter, and the heavy modules it loads.

    ``seconds`` is the median of ``samples_s``, each the cumulative import time of
    ``accel`` that ``python -X importtime`` reports; ``with_accel_s`` and ``bare_s`` are
    the least wall times of whole interpreters with and without the import (context).
    """

    seconds: float
    with_accel_s: float
    bare_s: float
    runs: int
    heavy: tuple[str, ...]
    samples_s: tuple[float, ...] = ()


def importtime_s(module: str, stderr: str) -> float:
    r"""The cumulative import time of top-level ``module`` in ``-X importtime`` output.

    >>> importtime_s("accel", "import time:  1205 |  7555 | accel\n")
    0.007555
    """
    for line in stderr.splitlines():
        if not line.startswith("import time:"):
            continue
        fields = line[len("import time:") :].split("|")
        if len(fields) == 3 and fields[2].rstrip() == f" {module}":
            return int(fields[1]) / 1e6
    raise ValueError(f"-X importtime reports no top-level import of {module!r}")


def _importtime(module: str) -> float:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        check=True,
        capture_output=True,
        text=True,
    )
    return importtime_s(module, result.stderr)


def import_cost(runs: int = 15) -> ImportCost:
    """The median cumulative ``-X importtime`` of ``accel`` over ``runs`` fresh interpreters."""
    with_accel, bare, samples = [], [], []
    for _ in range(runs):
        bare.append(_wall("pass"))
        with_accel.append(_wall("import accel"))
        samples.append(_importtime("accel"))
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
    return ImportCost(
        statistics.median(samples), min(with_accel), min(bare), runs, heavy, tuple(samples)
    )


@dataclass(frozen=True)
class CallCost:
    """What a call through ``accel.fastest``'s callable adds to calling ``compute`` directly.

    ``added_s`` is the median, over alternating pairs of timings, of the difference
    within a pair (a pair is timed within a few milliseconds, so load that comes and
    goes affects both of its halves alike); the least time per call of each is kept too.
    """

    added_s: float
    through_s: float
    direct_s: float
    backend: str
    calls: int
    pairs: int


def _paired_per_call(
    first: Callable[[], Any], second: Callable[[], Any], calls: int, pairs: int
) -> tuple[list[float], list[float]]:
    """Seconds per call of each, timed in alternation, ``pairs`` times."""
    one, two = [], []
    for index in range(pairs):
        order = (first, second) if index % 2 == 0 else (second, first)
        times = [timeit.timeit(action, number=calls) / calls for action in order]
        one.append(times[0] if index % 2 == 0 else times[1])
        two.append(times[1] if index % 2 == 0 else times[0])
    return one, two


def fastest_call_cost(
    kernel: str = "norm",
    size: int = 16,
    backend: str = "numba_cpu",
    calls: int = 1000,
    pairs: int = 41,
) -> CallCost:
    """The cost ``accel.fastest``'s callable adds to ``compute`` on a tiny input.

    The selection is made among ``backend`` alone, in a throwaway store (one worker
    measures it), so the callable is bound to that backend's implementation. A tiny
    norm keeps the call itself short, so the noise it carries is small too.
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
        through, direct = _paired_per_call(
            lambda: selected(**inputs), lambda: compute(**inputs), calls, pairs
        )
        selected.close()
    added = statistics.median(t - d for t, d in zip(through, direct, strict=True))
    return CallCost(added, min(through), min(direct), selected.backend, calls, pairs)
