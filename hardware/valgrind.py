"""Valgrind's cache simulator as a counter source: found, sized from this machine's caches.

Where the CPU cannot count (most virtual machines: perf's hardware events read
``<not supported>``), callgrind with ``--cache-sim=yes`` counts instructions, data
reads and writes, and the misses of a simulated first-level instruction cache (I1),
first-level data cache (D1) and last-level cache (LL). The simulated caches are this
machine's: :func:`simulated_caches` takes the probe's L1i, L1d and last-level sizes,
line sizes and associativities. Valgrind needs a power-of-two number of sets; where
the probe's geometry has none (this VM's 480 MiB 16-way L3 has 491,520 sets), the
associativity is raised until it has, as valgrind itself does for the caches it
detects, keeping the size and line size (480 MiB 30-way, 262,144 sets).

:func:`counter_source` is the one rule saying which source runs use here (``perf``
where a hardware event counts, else ``simulated``), so ``accel hardware`` and
``accel run --counters`` agree.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from .report import CacheInfo, CacheLevel
from .sizes import binary_size
from .sysread import find_program, run

#: The valgrind executable to use instead of ``valgrind`` on PATH.
VALGRIND_ENV = "ACCEL_VALGRIND"
VALGRIND_FIX = (
    "install valgrind (Debian/Ubuntu: apt-get install valgrind; conda: conda install -c "
    f"conda-forge valgrind), or set {VALGRIND_ENV}=/path/to/valgrind"
)
HEADER = Path("valgrind") / "callgrind.h"


@dataclass(frozen=True)
class SimulatedCache:
    """One cache as valgrind simulates it (``--D1=size,assoc,line``), and the probe's own."""

    name: str  # I1, D1 or LL
    size_bytes: int
    associativity: int
    line_bytes: int
    probed: str  # the probe's cache it stands for, e.g. "L3 480 MiB 16-way"

    @property
    def option(self) -> str:
        return f"--{self.name}={self.size_bytes},{self.associativity},{self.line_bytes}"

    @property
    def label(self) -> str:
        return f"{self.name} {binary_size(self.size_bytes)} {self.associativity}-way"


def _power_of_two(value: int) -> bool:
    return value > 0 and value & (value - 1) == 0


def _fit(name: str, level: CacheLevel) -> SimulatedCache | None:
    """``level`` as valgrind accepts it: a power-of-two set count, the size kept."""
    size, line, ways = level.size_bytes, level.line_bytes or 64, level.associativity
    if not size or not ways or not _power_of_two(line):
        return None
    probed = f"{level.name} {binary_size(size)} {ways}-way"
    for assoc in range(ways, size // line + 1):
        if size % (assoc * line) == 0 and _power_of_two(size // (assoc * line)):
            return SimulatedCache(name, size, assoc, line, probed)
    return None


def simulated_caches(caches: CacheInfo) -> tuple[list[SimulatedCache], str]:
    """I1, D1 and LL from the probe's caches, or [] and why they cannot be simulated."""
    by_name = {level.name: level for level in caches.levels}
    last = caches.last_level()
    wanted = [("I1", by_name.get("L1i")), ("D1", by_name.get("L1d")), ("LL", last)]
    chosen: list[SimulatedCache] = []
    for name, level in wanted:
        fitted = _fit(name, level) if level is not None else None
        if fitted is None:
            what = "missing" if level is None else "without size, line size or associativity"
            return [], f"the hardware probe's caches cannot be simulated: {name} is {what}"
        chosen.append(fitted)
    return chosen, ""


def find_valgrind() -> tuple[str | None, str]:
    """The valgrind executable (``$ACCEL_VALGRIND``, else on PATH), or None and why not."""
    return find_program(VALGRIND_ENV, "valgrind", VALGRIND_FIX)


def header_folder(valgrind: str) -> str | None:
    """The include folder holding ``valgrind/callgrind.h`` for this valgrind, or None."""
    prefix = Path(os.path.realpath(valgrind)).parent.parent
    candidates = [prefix / "include", Path("/usr/include"), Path("/usr/local/include")]
    if os.environ.get("CONDA_PREFIX"):
        candidates.insert(1, Path(os.environ["CONDA_PREFIX"]) / "include")
    return next((str(folder) for folder in candidates if (folder / HEADER).is_file()), None)


@dataclass
class Simulator:
    """Whether valgrind's cache simulator can count here, with which caches, or why not."""

    path: str | None = None
    version: str | None = None
    include: str | None = None
    caches: list[SimulatedCache] = field(default_factory=list)
    reason: str = ""

    @property
    def usable(self) -> bool:
        return not self.reason

    @property
    def label(self) -> str:
        """``simulated (valgrind 3.19, D1 48 KiB 12-way, LL 480 MiB 30-way)``."""
        parts = [f"valgrind {self.version or 'unknown version'}"]
        parts += [cache.label for cache in self.caches if cache.name != "I1"]
        return f"simulated ({', '.join(parts)})"

    @property
    def options(self) -> list[str]:
        return [cache.option for cache in self.caches]


def read_simulator(caches: CacheInfo) -> Simulator:
    """Valgrind, its callgrind header and the simulated caches, or the reason one is missing."""
    found = Simulator()
    path, why = find_valgrind()
    if path is None:
        found.reason = why
        return found
    found.path = path
    done, why = run([path, "--version"], timeout=30)
    if done is None or done.returncode != 0:
        found.reason = f"{path} --version does not run: {why or done and done.stderr.strip()}"
        return found
    match = re.search(r"valgrind-(\d+)\.(\d+)", done.stdout)
    found.version = f"{match.group(1)}.{match.group(2)}" if match else None
    found.include = header_folder(path)
    if found.include is None:
        found.reason = (
            f"valgrind's header {HEADER} is missing (Debian/Ubuntu ship it with the valgrind "
            "package; conda-forge's valgrind has it too)"
        )
        return found
    found.caches, found.reason = simulated_caches(caches)
    return found


def counter_source(
    perf_counts_hardware: bool, perf_why: str, simulator: Simulator
) -> tuple[str, str]:
    """The source ``--counter-source auto`` uses here (perf, simulated or none), and why."""
    if perf_counts_hardware:
        return "perf", "perf counts hardware events here"
    if simulator.usable:
        return "simulated", (
            f"perf counts no hardware event here ({perf_why}), so a second run of each "
            "worker under valgrind's cache simulator counts the timed calls"
        )
    return "none", f"perf counts no hardware event here ({perf_why}); {simulator.reason}"
