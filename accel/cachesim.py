"""Simulated counters: a second run of the worker under valgrind's cache simulator.

Where perf counts no hardware event (most virtual machines), the runner measures the
run as usual, then starts the worker again under::

    valgrind --tool=callgrind --cache-sim=yes --instr-atstart=no --dump-line=no \
        --I1=... --D1=... --LL=...   (this machine's caches, see hardware/valgrind.py)
        -- python -m accel.worker SPEC RECORD

with a few timed calls (:data:`SIMULATED_CALLS`; the counts are deterministic). The
worker switches the simulator on around its timed calls only, through a small C shim
(``callgrind_shim.c``, built with the system compiler and cached like the C kernels,
called with ctypes; see ``callgrind_region.py``). Nothing of this run's timing is used:
times come from the first run, counts from this one, and the record says so.

Valgrind runs one thread at a time and executes no AVX-512: a parallel backend's
counts are its total work over all threads, NumPy and BLAS dispatch to their AVX2 code,
and the C kernels are built for ``x86-64-v3`` for this run (``ACCEL_NATIVE_MARCH``).
For ``pypy`` the worker runs natively and only the PyPy server, where the kernel runs,
starts under valgrind, with ``--smc-check=all`` since PyPy's JIT writes machine code as
it runs. A GPU backend's counts are its host side only.

``RunRecord.counters`` then holds, beside perf's layout (``events``, ``per_call``)::

    {"source": "simulated", "label": "simulated (valgrind 3.19, D1 48 KiB 12-way, ...)",
     "scope": "...", "repeats": 3, "notes": [...], "seconds": 4.2,
     "events": {"instructions": ..., "L1-dcache-loads": ..., "cache-misses": ...},
     "ipc": None, "miss_ratio": ..., "l1d_miss_ratio": ..., "l1i_miss_ratio": ...,
     "phases_s": {"setup": ..., "first_call": ..., "region": ..., "outside": ..., ...}}
"""

from __future__ import annotations

import contextlib
import functools
import glob
import hashlib
import json
import os
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .callgrind_region import (
    DUMP_NAME,
    NUMBA_CACHE_ENV,
    SERVER_PREFIX_ENV,
    SHIM_ENV,
    SIMULATED_PHASE,
)
from .hardware.valgrind import Simulator
from .kernels._cuda import simulator_enabled as cuda_simulator_enabled

#: Timed calls in the simulated run: the counts are deterministic, a few calls suffice,
#: and one where a call is long (:data:`LONG_CALL_S` natively, a second or more simulated).
SIMULATED_CALLS = 3
LONG_CALL_S = 0.02
#: About how much slower a call runs in the counted region than natively (measured here at
#: size S: 110x for torch, 140x NumPy, 170x PyPy, 220x pure Python), and outside it, where
#: valgrind runs the first call and warm-up uninstrumented (8-10x).
SLOWDOWN, UNINSTRUMENTED = 200.0, 10.0
#: Seconds of start-up under valgrind (interpreter, imports, exit): measured at size S,
#: 2.5 s for most backends; Numba adds its import and loading its cached kernel, torch its
#: import (12.7 s alone under valgrind, 1.2 s natively).
START_S = 3.0
BACKEND_START_S = {"numba_cpu": 7.0, "numba_parallel": 7.0, "torch_cpu": 15.0, "pypy": 3.0}
#: A simulated run expected to take longer than this says so on a terminal as it starts,
#: and every :data:`TICK_S` seconds while it runs.
ANNOUNCE_S = 10.0
TICK_S = 15.0
SHIM_SOURCE = Path(__file__).resolve().parent / "callgrind_shim.c"
#: callgrind's events, in the order of its ``events:`` line.
CALLGRIND_EVENTS = ("Ir", "Dr", "Dw", "I1mr", "D1mr", "D1mw", "ILmr", "DLmr", "DLmw")
#: Each record event (perf's names) as a sum of callgrind events.
SIMULATED_EVENTS: dict[str, tuple[str, ...]] = {
    "instructions": ("Ir",),
    "L1-dcache-loads": ("Dr",),
    "L1-dcache-stores": ("Dw",),
    "L1-dcache-load-misses": ("D1mr",),
    "L1-dcache-store-misses": ("D1mw",),
    "L1-icache-load-misses": ("I1mr",),
    "LLC-load-misses": ("DLmr", "ILmr"),
    "LLC-store-misses": ("DLmw",),
    # perf's generic events mean the last level: its references (what missed L1) and misses.
    "cache-references": ("I1mr", "D1mr", "D1mw"),
    "cache-misses": ("ILmr", "DLmr", "DLmw"),
}


@functools.cache
def simulator() -> Simulator:
    """Valgrind's cache simulator as this machine's caches make it (probed once per process)."""
    from .hardware import cached_probe
    from .hardware.valgrind import read_simulator

    return read_simulator(cached_probe().caches)


def simulator_march() -> str | None:
    """The ``-march`` the C kernels get under valgrind: the widest x86 level it executes."""
    if os.uname().machine != "x86_64":
        return None
    try:
        with open("/proc/cpuinfo") as handle:
            flags = set(next(line for line in handle if line.startswith("flags")).split())
    except (OSError, StopIteration):
        return "x86-64"
    if {"avx2", "fma", "bmi2", "movbe"} <= flags:
        return "x86-64-v3"
    return "x86-64-v2" if {"sse4_2", "popcnt"} <= flags else "x86-64"


def parse_callgrind(text: str) -> tuple[str, dict[str, int]]:
    """The dump's trigger and its ``totals:`` per callgrind event (absent events are 0)."""
    names: list[str] = []
    trigger, totals = "", None
    for line in text.splitlines():
        if line.startswith("events:"):
            names = line.split()[1:]
        elif line.startswith("desc: Trigger:"):
            trigger = line.split(":", 2)[2].strip()
        elif line.startswith("totals:"):
            totals = [int(v) for v in line.split()[1:]]
    if totals is None or not names:
        raise ValueError("callgrind's output holds no events and totals line")
    counts = dict(zip(names, totals, strict=False))
    return trigger, {name: counts.get(name, 0) for name in CALLGRIND_EVENTS}


def timed_totals(folder: str) -> tuple[dict[str, int], int]:
    """The summed counts of every dump of the timed calls in ``folder`` (one per process)."""
    total = dict.fromkeys(CALLGRIND_EVENTS, 0)
    dumps = 0
    for path in sorted(glob.glob(os.path.join(folder, "callgrind.out.*"))):
        try:
            with open(path, errors="replace") as handle:
                trigger, counts = parse_callgrind(handle.read())
        except (OSError, ValueError):
            continue
        if trigger.endswith(f": {DUMP_NAME}"):
            dumps += 1
            for name, value in counts.items():
                total[name] += value
    return total, dumps


def _ratio(top: float, bottom: float) -> float | None:
    return top / bottom if bottom else None


def summarise(
    totals: Mapping[str, int], repeats: int, label: str, notes: list[str], seconds: float
) -> dict[str, Any]:
    """The record's ``counters`` entry for simulated counts, in perf's layout plus ratios."""
    events = {}
    for name, parts in SIMULATED_EVENTS.items():
        value = float(sum(totals[part] for part in parts))
        events[name] = {
            "value": value,
            "unit": "",
            "status": "counted",
            "fraction": 1.0,
            "per_call": value / repeats,
        }
    data_accesses = totals["Dr"] + totals["Dw"]
    return {
        "source": "simulated",
        "label": label,
        "scope": (
            f"timed repetitions: {repeats} call{'s' if repeats != 1 else ''} in a second run "
            "under valgrind's cache simulator, after one simulated warm-up call (times come "
            "from the first run)"
        ),
        "repeats": repeats,
        "events": events,
        "ipc": None,
        "miss_ratio": _ratio(events["cache-misses"]["value"], events["cache-references"]["value"]),
        "l1d_miss_ratio": _ratio(totals["D1mr"] + totals["D1mw"], data_accesses),
        "l1i_miss_ratio": _ratio(totals["I1mr"], totals["Ir"]),
        "notes": notes,
        "seconds": seconds,
    }


def simulated_phases(phases: Mapping[str, float], seconds: float) -> dict[str, float]:
    """Where the simulated run's ``seconds`` went: its worker's phases, the counted region
    (warm-up and timed calls, under the simulator) and the rest, ``outside`` (valgrind's and
    the interpreter's start-up, imports and exit, uninstrumented)."""
    split = {name: value for name, value in phases.items() if name != "timed"}
    region = split.pop(SIMULATED_PHASE, 0.0)
    worker = sum(split.values())
    return {**split, "region": region, "outside": max(0.0, seconds - region - worker)}


class SimulatedPlan:
    """The runner's side of a simulated count: the command, its environment, its counts."""

    source = "simulated"
    calls = SIMULATED_CALLS

    def __init__(self, found: Simulator, shim: str, folder: str, backend: str) -> None:
        self.simulator = found
        self.shim = shim
        self.folder = os.path.join(folder, "callgrind")
        os.makedirs(self.folder, exist_ok=True)
        self.backend = backend
        #: A Numba backend's cache folder (see :meth:`needs_native_pass`), else None.
        self.numba_cache: str | None = None

    def valgrind(self, *extra: str) -> list[str]:
        """The valgrind command: callgrind, this machine's caches, simulation off at start."""
        assert self.simulator.path is not None
        return [
            self.simulator.path,
            "--tool=callgrind",
            "--cache-sim=yes",
            "--instr-atstart=no",
            # No source lines in the dumps: only their totals are read, and looking lines up
            # costs start-up (importing accel's worker: 1.61-1.70 s against 1.87-1.88 s).
            "--dump-line=no",
            *self.simulator.options,
            f"--callgrind-out-file={os.path.join(self.folder, 'callgrind.out.%p')}",
            f"--log-file={os.path.join(self.folder, 'valgrind.%p.log')}",
            *extra,
        ]

    def wrap(self, worker: list[str]) -> list[str]:
        """``worker`` under valgrind; for pypy the worker alone (its server runs under it)."""
        return worker if self.backend == "pypy" else [*self.valgrind(), *worker]

    def environment(self) -> dict[str, str]:
        from .kernels._native import MARCH_ENV

        march = simulator_march()
        # OpenMP threads that wait sleep rather than spin: spinning is no work of the kernel,
        # yet under valgrind (one thread at a time) it would be counted.
        environment = {
            SHIM_ENV: self.shim,
            "OMP_WAIT_POLICY": "PASSIVE",
            **({MARCH_ENV: march} if march else {}),
        }
        if self.backend == "pypy":  # the kernel runs in PyPy's server, a JIT writing code
            environment[SERVER_PREFIX_ENV] = json.dumps(self.valgrind("--smc-check=all"))
        if self.numba_cache:
            environment.update(numba_environment(self.numba_cache, march))
        return environment

    def needs_native_pass(self, spec: Mapping[str, Any]) -> bool:
        """Whether a native pass must first compile ``spec``'s kernel into the Numba cache
        the pass under valgrind loads (a Numba backend whose cache is not filled yet)."""
        if self.backend not in NUMBA_BACKENDS:
            return False
        folder = numba_cache_folder(spec)
        if folder is None:
            return False
        self.numba_cache = str(folder)
        return not (folder / FILLED).exists()

    def native_pass_done(self, status: str) -> None:
        """Remember that the native pass filled the cache (it is not needed again)."""
        if self.numba_cache and status == "ok":
            Path(self.numba_cache, FILLED).touch()

    def worker_outcome(self, returncode: int | None, stderr: str) -> tuple[int | None, str]:
        return returncode, stderr

    def valgrind_said(self) -> str:
        """The last lines valgrind logged (why a simulated run died, when it did)."""
        lines: list[str] = []
        for path in sorted(glob.glob(os.path.join(self.folder, "valgrind.*.log"))):
            with open(path, errors="replace") as handle:
                lines += [line.split("== ", 1)[-1] for line in handle.read().splitlines()]
        useful = [line for line in lines if line.strip() and "Copyright" not in line]
        return " | ".join(useful[-3:])[:400]

    def estimate(self, record: Any) -> float:
        """Roughly how many seconds the simulated run of ``record``'s run will take."""
        median = record.median_s or 0.0
        outside = (record.first_call_s or 0.0) + record.warmups * median
        start = BACKEND_START_S.get(self.backend, START_S)
        return start + outside * UNINSTRUMENTED + (self.calls_for(record) + 1) * median * SLOWDOWN

    def announce(self, record: Any, stream: Any = None) -> float | None:
        """On a terminal, say that a long simulated run starts and about how long it takes
        (returns that guess for :meth:`ticking`; None where nothing is to tick). Above a
        live progress bar (``accel compare``, ``accel counters``) the line goes through the
        bar, which ticks the run's seconds itself."""
        from .progress import live_console

        median = record.median_s or 0.0
        guess = self.estimate(record)
        line = (
            f"counting {record.kernel} on {record.label} under valgrind's cache simulator: "
            f"{self.calls_for(record) + 1} calls of {median:.3g} s, about {SLOWDOWN:.0f}x "
            f"slower, after its start-up: roughly {guess:.0f} s"
        )
        console = live_console() if stream is None else None
        if guess < ANNOUNCE_S:
            return None
        if console is not None:
            console.print(line, markup=False, highlight=False, soft_wrap=True)
            return None
        stream = stream or sys.stderr
        if not getattr(stream, "isatty", lambda: False)():
            return None
        print(line, file=stream, flush=True)
        return guess

    @contextlib.contextmanager
    def ticking(self, guess: float | None, stream: Any = None, tick_s: float = TICK_S):
        """While the body runs, every ``tick_s`` seconds, the seconds so far against
        ``guess`` (nothing when ``guess`` is None: the run was not announced)."""
        if guess is None:
            yield
            return
        stream = stream or sys.stderr
        done = threading.Event()
        started = time.monotonic()

        def tick() -> None:
            while not done.wait(tick_s):
                print(
                    f"  still counting under valgrind: {time.monotonic() - started:.0f} s "
                    f"so far, of roughly {guess:.0f} s",
                    file=stream,
                    flush=True,
                )

        ticker = threading.Thread(target=tick, name="accel-simulated-progress", daemon=True)
        ticker.start()
        try:
            yield
        finally:
            done.set()
            ticker.join()

    def calls_for(self, record: Any) -> int:
        """Timed calls to simulate: :data:`SIMULATED_CALLS`, or one for a long call."""
        return 1 if (record.median_s or 0.0) >= LONG_CALL_S else self.calls

    def notes(self, threads: int | None, device: str) -> list[str]:
        notes = []
        if (threads or 1) > 1 and self.backend in PARALLEL_BACKENDS:
            notes.append(f"total work of all {threads} threads: valgrind runs one thread at a time")
        if device == "cuda" and self.backend == "numba_cuda" and cuda_simulator_enabled():
            notes.append(
                "Numba's CUDA simulator: the kernel ran as Python threads on the host, and "
                "these are their counts, not a GPU's"
            )
        elif device == "cuda":
            notes.append("host side only: valgrind sees no GPU work")
        if self.backend in ("c_native", "c_openmp") and simulator_march():
            notes.append(f"C built with -march={simulator_march()} for valgrind (no AVX-512)")
        if self.numba_cache and simulator_march():
            notes.append(
                f"Numba compiled for {simulator_march()} for valgrind (no AVX-512), "
                "natively and kept in a cache valgrind's pass loads"
            )
        return notes

    def fill(self, record: Any, simulated: Any, seconds: float, native_s: float = 0.0) -> None:
        """Put the simulated run's counts into the first run's ``record`` (or say why none)."""
        from .backends import get_backend

        if simulated.status != "ok":
            said = self.valgrind_said()
            record.counters_reason = (
                f"the simulated run under valgrind did not finish ({simulated.status}: "
                f"{simulated.reason[:300]})" + (f"; valgrind said: {said}" if said else "")
            )
            return
        totals, dumps = timed_totals(self.folder)
        repeats = len(simulated.samples_s)
        if not dumps or not repeats:
            record.counters_reason = (
                "the simulated run wrote no counts of its timed calls "
                f"({dumps} dumps, {repeats} calls)"
            )
            return
        device = get_backend(self.backend).device
        notes = self.notes(record.threads, device)
        record.counters = summarise(totals, repeats, self.simulator.label, notes, seconds)
        record.counters["phases_s"] = simulated_phases(simulated.phases_s, seconds - native_s)
        if native_s:
            record.counters["phases_s"]["native_pass"] = native_s
        record.counters_reason = ""


NUMBA_BACKENDS = frozenset({"numba_cpu", "numba_parallel"})
#: The file that says a Numba cache folder was filled by a native pass.
FILLED = "filled-natively"


def numba_cache_folder(spec: Mapping[str, Any]) -> Path | None:
    """Where a simulated run keeps ``spec``'s Numba-compiled kernel, or None (no such kernel).

    ``$ACCEL_HOME/numba-valgrind/KEY``: KEY hashes the version of the kernel's code on the
    backend (:meth:`KernelSpec.version_for`: its variant's or implementation's source and
    every module it imports, as stored runs are keyed), Numba's version, the CPU compiled
    for, the backend, its variant, the dtype and the parameters. Numba's own cache checks
    only the decorated function's file, not the files of the functions it calls; a change
    of a kernel's code gives a new key.
    """
    from importlib.metadata import PackageNotFoundError, version

    from .kernels import get_kernel
    from .kernels._home import accel_home

    variant = spec.get("variant") or ""
    try:
        code = get_kernel(spec["kernel"]).with_variant(variant).version_for(spec["backend"])
        numba_version = version("numba")
    except (LookupError, KeyError, PackageNotFoundError):
        return None
    keys = [code, numba_version, simulator_march(), spec["backend"], variant]
    keys += [spec["dtype"], spec["params"]]
    key = hashlib.sha256(json.dumps(keys, sort_keys=True, default=str).encode()).hexdigest()
    folder = accel_home() / "numba-valgrind" / key[:20]
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def numba_environment(folder: str, march: str | None) -> dict[str, str]:
    """Numba's settings for both passes of a simulated run: every kernel cached in
    ``folder`` (see :mod:`accel.backends.numba_cpu`), compiled for the CPU valgrind
    executes (``march``, the C kernels' level; no AVX-512), so both passes key the cache
    alike: Numba's cache index holds the CPU name and features."""
    environment = {NUMBA_CACHE_ENV: "1", "NUMBA_CACHE_DIR": folder}
    if march:
        environment.update(NUMBA_CPU_NAME=march, NUMBA_CPU_FEATURES="")
    return environment


PARALLEL_BACKENDS = frozenset({"numba_parallel", "c_openmp", "torch_cpu", "numpy"})


def plan_simulated(folder: str, backend: str) -> tuple[SimulatedPlan | None, str]:
    """A simulated count for a run in ``folder``, or None and why the simulator cannot run."""
    found = simulator()
    if not found.usable:
        return None, f"valgrind's cache simulator cannot count here: {found.reason}"
    from .kernels._native import NativeBuildError, build_library

    try:
        shim = build_library(SHIM_SOURCE, include_dirs=(found.include or "",))
    except NativeBuildError as exc:
        first = str(exc).strip().splitlines()[-1:] or ["unknown error"]
        return None, f"the callgrind shim does not build: {first[0][:300]}"
    return SimulatedPlan(found, str(shim), folder, backend), ""


def worker_command() -> list[str]:
    """The worker started under the simulator (the same interpreter as the first run)."""
    return [sys.executable, "-m", "accel.worker"]
