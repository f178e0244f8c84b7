"""Shipping to and from the PyPy process: bytes per second of each direction, and why not more.

The ``pypy`` backend's run record times the shipping of the inputs (``h2d``: written
to a file in shared memory, read by PyPy into arrays; both were allocated before, in the
run's ``stage_h2d`` phase, as a GPU backend's buffers are) and of the result (``d2h``:
PyPy writes its rows to a file, NumPy reads it) and counts their bytes. A miss is set
against its legs, each measured alone in the same run on the same bytes: CPython
writing the file, PyPy reading it into arrays (the server's own code, the first time
in a fresh process as a run does), PyPy writing rows back, NumPy mapping the file.
For complex inputs, the cost per element is set against that of float64 elements.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from accel.backends.pypy import SERVER, _mapped, allocate_file, find_pypy
from accel.record import RunRecord

from .rounds import Case, failure
from .verdict import Result, Target, judge, not_measurable

SHARED_FOLDER = "/dev/shm"


#: Run by PyPy: the server's own decode (allocating the rows, then filling them) and
#: encode of a float64 grid, timed the first time (in a fresh process, as a run ships
#: once) and at best of three, printed as JSON.
PYPY_LEGS = """
import json, sys, time
from array import array
sys.path.insert(0, sys.argv[1])
import pypy_server as server
rows, cols, folder = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
path, out = folder + "/legs_in.bin", folder + "/legs_out.bin"
with open(path, "wb") as handle:
    handle.write(array("d", [0.5]) * (rows * cols))
item = {"kind": "array", "typecode": "d", "offset": 0, "nbytes": 8 * rows * cols,
        "shape": [rows, cols]}
allocate, decode, encode = [], [], []
for _ in range(3):
    start = time.perf_counter()
    reserved = server._reserve(item)
    allocated = time.perf_counter()
    with open(path, "rb", buffering=0) as handle:
        value = server._decode(item, handle, reserved)
    middle = time.perf_counter()
    server._encode(value, out)
    allocate.append(allocated - start)
    decode.append(middle - start)
    encode.append(time.perf_counter() - middle)
print(json.dumps({"allocate_s": allocate, "decode_s": decode, "encode_s": encode}))
"""
LEG_SAMPLES = 3


@dataclass(frozen=True)
class Legs:
    """Seconds of each leg of shipping ``nbytes`` of float64, each alone.

    CPython's legs are the best of three; PyPy's are its first time in a fresh
    process, as a run pays them (``*_best_s``: its best of three, JIT warm). Of
    ``decode_s``, ``allocate_s`` is PyPy making its arrays (fresh pages, first touched),
    the rest reading the file into them.
    """

    nbytes: int
    write_s: float  # CPython writes the inputs into a new, allocated shared-memory file
    decode_s: float  # PyPy allocates its arrays and reads the file into them
    encode_s: float  # PyPy writes its rows to a new file
    read_s: float  # NumPy maps that file (copy-on-write), as the backend does
    decode_best_s: float
    encode_best_s: float
    allocate_s: float = 0.0  # of decode_s: PyPy allocates the arrays, before the file is read

    def gbs(self, seconds: float) -> float:
        return self.nbytes / seconds / 1e9

    def clause(self, direction: str, shipped_s: float) -> str:
        """The legs of one direction against the ``shipped_s`` seconds the run took."""
        size = f"{self.nbytes / 1e6:.1f} MB"
        fresh = "PyPy timed in a fresh process, as a run ships once"
        if direction == "h2d":
            read_s = self.decode_s - self.allocate_s
            legs_s = self.write_s + read_s
            text = (
                f"alone, CPython writes the {size} into its allocated file at "
                f"{self.gbs(self.write_s):.2f} GB/s and PyPy reads them into the arrays it "
                f"made before at {self.gbs(read_s):.2f} GB/s (together {self.gbs(legs_s):.2f} "
                f"GB/s; making the arrays, fresh pages, took {self.allocate_s * 1e3:.1f} ms "
                f"before, as in a run's stage_h2d; {fresh})"
            )
        else:
            legs_s = self.encode_s + self.read_s
            text = (
                f"alone, PyPy writes its rows of {size} at {self.gbs(self.encode_s):.2f} GB/s "
                f"and NumPy maps them at {self.gbs(self.read_s):.2f} GB/s (together "
                f"{self.gbs(legs_s):.2f} GB/s; {fresh})"
            )
        rest = shipped_s - legs_s
        if rest > 0:
            text += (
                f"; the other {rest * 1e3:.1f} ms is the run's own: the two processes answering "
                "each other, and its legs taking longer than they did alone"
            )
        return text


def _shared_folder() -> str | None:
    return SHARED_FOLDER if os.access(SHARED_FOLDER, os.W_OK) else None


def _least(action, samples: int = LEG_SAMPLES) -> float:
    best = float("inf")
    for _ in range(samples):
        start = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - start)
    return best


def measure_legs(rows: int, cols: int) -> Legs | None:
    """Each leg of shipping a float64 ``rows`` x ``cols`` grid, alone; None without PyPy."""
    interpreter, _ = find_pypy()
    if interpreter is None:
        return None
    grid = np.full((rows, cols), 0.5)
    with tempfile.TemporaryDirectory(prefix="accel-bench-", dir=_shared_folder()) as where:
        # a new file each sample, allocated before it is timed, as a run's stage_h2d does
        paths = [os.path.join(where, f"written-{i}.bin") for i in range(LEG_SAMPLES)]
        for path in paths:
            allocate_file(path, grid.nbytes)
        files = iter(paths)

        def write() -> None:
            with open(next(files), "r+b") as handle:
                handle.write(memoryview(grid).cast("B"))

        write_s = _least(write)
        done = subprocess.run(
            [interpreter, "-c", PYPY_LEGS, str(Path(SERVER).parent), str(rows), str(cols), where],
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0:
            return None
        pypy = json.loads(done.stdout.strip().splitlines()[-1])
        out = os.path.join(where, "legs_out.bin")
        read_s = _least(lambda: _mapped(out, np.float64))
    decode, encode = pypy["decode_s"], pypy["encode_s"]
    return Legs(
        grid.nbytes,
        write_s,
        decode[0],
        encode[0],
        read_s,
        min(decode),
        min(encode),
        pypy["allocate_s"][0],
    )


def moved(record: RunRecord, direction: str) -> tuple[int, float] | None:
    """(bytes, seconds) of one direction of an ok run's shipping, or None."""
    transfer = record.transfer
    if not record.ok or transfer is None:
        return None
    if direction == "h2d":
        nbytes, seconds = transfer.h2d_bytes, transfer.h2d_s
    else:
        nbytes, seconds = transfer.d2h_bytes, transfer.d2h_s
    return (nbytes, seconds) if seconds > 0 and nbytes > 0 else None


def fastest_shipping(records: Sequence[RunRecord], direction: str) -> tuple[int, float] | None:
    """The (bytes, seconds) of the round that shipped fastest in ``direction``."""
    found = [m for m in (moved(r, direction) for r in records) if m is not None]
    return max(found, key=lambda m: m[0] / m[1]) if found else None


def shipping_rate(
    target: Target, case: Case, records: Sequence[RunRecord], direction: str, *, why: str = ""
) -> Result:
    """GB/s of the fastest round's input (``h2d``) or output (``d2h``) shipping.

    A miss on a 2-D float64 case is explained by its legs, measured alone (see
    :func:`measure_legs`); ``why`` adds a clause of the caller's.
    """
    what = "inputs" if direction == "h2d" else "result"
    method = f"{case.label}: bytes / seconds of shipping the {what}, fastest of the rounds"
    found = fastest_shipping(records, direction)
    if found is None:
        return not_measurable(target, failure(records), method=method)
    nbytes, seconds = found
    rate = nbytes / seconds / 1e9
    figures: dict = {"bytes": nbytes, "seconds": seconds}
    clauses = [why]
    if not target.met_by(rate) and case.kernel == "diffusion":
        legs = measure_legs(case.size, case.size)
        if legs is not None:
            figures["legs_s"] = {
                "cpython_write": legs.write_s,
                "pypy_allocate_first": legs.allocate_s,
                "pypy_decode_first": legs.decode_s,
                "pypy_decode_best": legs.decode_best_s,
                "pypy_encode_first": legs.encode_s,
                "pypy_encode_best": legs.encode_best_s,
                "numpy_read": legs.read_s,
            }
            clauses.insert(0, legs.clause(direction, seconds))
    return judge(target, rate, why="; ".join(filter(None, clauses)), method=method, figures=figures)


def per_element_ns(records: Sequence[RunRecord], elements: int) -> float | None:
    """Nanoseconds per element of the fastest input shipping of these runs."""
    found = fastest_shipping(records, "h2d")
    return None if found is None or not elements else found[1] / elements * 1e9
