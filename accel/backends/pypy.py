"""PyPy in a subprocess: the kernel's pure-Python file run by PyPy's tracing JIT.

The "device" is a PyPy process (see ``accel/pypy_server.py``). Inputs are shipped to
it as raw bytes through a file in shared memory, results come back the same way,
and that shipping is timed as host-to-device and device-to-host transfer. A result
file is mapped into NumPy (copy-on-write), not read into a second copy: its pages
already are host memory. The
kernel itself is timed inside PyPy, so the timings hold no inter-process latency.

The interpreter is, in order: ``$ACCEL_PYPY``; the PyPy environment that the
quick-start script creates inside the active virtual environment
(``<venv>/pypy/bin/pypy3``); ``pypy3`` then ``pypy`` on ``PATH``.
"""

from __future__ import annotations

import contextlib
import json
import mmap
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import AccelError
from ..hardware.sysread import run_bounded
from ..kernels import Inputs, KernelSpec
from ..watchdog import remove_if_orphaned, scratch_folder
from .base import Availability, Backend, Call

PYPY_ENV = "ACCEL_PYPY"
SERVER = Path(__file__).resolve().parent.parent / "pypy_server.py"
FIX = (
    "apt-get install pypy3 pypy3-venv (then rerun scripts/bootstrap.sh), "
    f"or set {PYPY_ENV}=/path/to/pypy3, or use conda/environment-pypy.yml (see README)"
)
TYPECODES = {
    "float64": "d",
    "float32": "f",
    "int64": "q",
    "int32": "i",
    "int16": "h",
    "int8": "b",
    "uint8": "B",
    "bool": "B",
    "complex128": "d",
    "complex64": "f",
}


class PyPyError(AccelError):
    """The PyPy process is missing, broken or said something it should not."""


def find_pypy() -> tuple[str | None, str]:
    """The PyPy interpreter to use and where it came from, or None and why there is none."""
    configured = os.environ.get(PYPY_ENV)
    if configured:
        path = shutil.which(configured) or configured
        if not os.access(path, os.X_OK):
            return None, f"{PYPY_ENV}={configured} is not an executable file"
        return path, f"${PYPY_ENV}"
    venv_pypy = Path(sys.prefix) / "pypy" / "bin" / "pypy3"
    if os.access(venv_pypy, os.X_OK):
        return str(venv_pypy), "the virtual environment's PyPy"
    for name in ("pypy3", "pypy"):
        found = shutil.which(name)
        if found:
            return found, "PATH"
    return None, "pypy3 not on PATH"


class PyPyProcess:
    """A running PyPy server, spoken to with one JSON line each way."""

    def __init__(self, interpreter: str) -> None:
        self.interpreter = interpreter
        from ..callgrind_region import server_prefix

        self.proc = subprocess.Popen(
            [*server_prefix(), interpreter, "-u", str(SERVER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        # In the run's RAM folder, which the parent removes even when this worker is killed.
        self.folder = tempfile.mkdtemp(prefix="accel-pypy-", dir=scratch_folder())
        remove_if_orphaned(self.folder)

    def request(self, **command: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        try:
            self.proc.stdin.write(json.dumps(command) + "\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            raise PyPyError(self._exited()) from None
        line = self.proc.stdout.readline()
        if not line:
            raise PyPyError(self._exited())
        try:
            reply = json.loads(line)
        except json.JSONDecodeError:
            reply = None
        if not isinstance(reply, dict) or "ok" not in reply:
            raise PyPyError(
                f"{self.interpreter} answered {line[:80]!r} instead of accel's protocol: "
                "something in its start-up prints to stdout (a sitecustomize module, a .pth "
                f"file, PYTHONSTARTUP); run '{self.interpreter} -c pass' and remove what it prints"
            )
        if not reply["ok"]:
            if reply.get("traceback"):
                print(reply["traceback"], file=sys.stderr)
            raise PyPyError(f"in PyPy: {reply.get('error')}")
        return reply

    def _exited(self) -> str:
        return (
            f"{self.interpreter} exited (code {self.proc.wait()}) before answering; its "
            f"stderr is in the run's stderr tail. Check that '{self.interpreter} -c pass' "
            f"runs, or set {PYPY_ENV} to a working pypy3"
        )

    def path(self, name: str) -> str:
        return os.path.join(self.folder, name)

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.request(op="exit")
                self.proc.wait(timeout=10)
            except (PyPyError, OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


class _RemoteOutput:
    """Marks that the last result lives in the PyPy process until fetched."""


def allocate_file(path: str, nbytes: int) -> None:
    """A new file at ``path`` with ``nbytes`` allocated (``posix_fallocate``: on tmpfs,
    zeroed pages handed out now), so that writing it later moves bytes only."""
    with open(path, "wb") as handle:
        if nbytes:
            with contextlib.suppress(OSError):  # a file system without fallocate
                os.posix_fallocate(handle.fileno(), 0, nbytes)


def array_item(value: np.ndarray, offset: int, name: str = "") -> dict[str, Any]:
    """How the PyPy server finds an array input in the shared file: its element type,
    shape, and where its bytes start."""
    return {
        "name": name,
        "kind": "array",
        "typecode": TYPECODES[value.dtype.name],
        "complex": value.dtype.kind == "c",
        "shape": list(value.shape),
        "offset": offset,
        "nbytes": value.nbytes,
    }


class PyPyBackend(Backend):
    name = "pypy"
    device = "pypy"
    transfers = True
    copy_includes = (
        "writing the shared file and PyPy reading it into its rows; the file's pages and "
        "the rows were allocated before (stage_h2d)"
    )
    libraries = ()

    def __init__(self) -> None:
        self.process: PyPyProcess | None = None
        self.info: dict[str, str] = {}
        self.simulate_next = False
        self.outputs = 0

    def _check_available(self) -> Availability:
        interpreter, origin = find_pypy()
        if interpreter is None:
            return Availability(False, f"{origin}: {FIX}")
        try:
            result = run_bounded(
                [interpreter, "-c", "import platform; print(platform.python_implementation())"],
                timeout=60,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return Availability(False, f"{interpreter} ({origin}) does not run: {exc}; {FIX}")
        if result.returncode != 0 or result.stdout.strip() != "PyPy":
            said = (result.stdout + result.stderr).strip().splitlines()[-1:] or ["nothing"]
            return Availability(False, f"{interpreter} ({origin}) is not a working PyPy: {said[0]}")
        self.interpreter = interpreter
        return Availability(True, f"available ({interpreter}, from {origin})")

    def versions(self) -> dict[str, str]:
        return dict(self.info)

    def load(self, kernel: KernelSpec) -> Any:
        if not self.available():
            raise PyPyError(self.available().reason)
        self.process = PyPyProcess(self.interpreter)
        reply = self.process.request(op="load", path=kernel.implementation_path(self.name))
        self.info = {"pypy": str(reply.get("pypy")), "pypy_python": reply["version"].split()[0]}
        return None

    def stage(self, inputs: Inputs) -> tuple[Inputs, list[dict[str, Any]], str]:
        """Allocate both ends of the shipping before the timed copy, as a GPU backend
        allocates its staging and device buffers: the shared file's pages (its whole
        size, ``posix_fallocate``: tmpfs hands out zeroed pages) and PyPy's rows (a
        ``reserve``: arrays made and touched). What is left to time is the copy itself."""
        assert self.process is not None
        items, offset = [], 0
        for name, value in inputs.items():
            if isinstance(value, np.ndarray):
                items.append(array_item(value, offset, name))
                offset += value.nbytes
            elif isinstance(value, complex):
                items.append(
                    {
                        "name": name,
                        "kind": "scalar",
                        "value": [value.real, value.imag],
                        "complex": True,
                    }
                )
            else:
                items.append({"name": name, "kind": "scalar", "value": value})
        path = self.process.path("inputs.bin")
        allocate_file(path, offset)
        self.process.request(op="reserve", items=items)
        return inputs, items, path

    def copy_in(self, staged: tuple[Inputs, list[dict[str, Any]], str]) -> Inputs:
        """Write every array's bytes into the shared file and have PyPy read them into
        the rows it reserved."""
        assert self.process is not None
        inputs, items, path = staged
        with open(path, "r+b") as handle:
            for item in items:
                if item["kind"] == "array":
                    data = np.ascontiguousarray(inputs[item["name"]])
                    handle.seek(item["offset"])
                    handle.write(memoryview(data).cast("B"))
        self.process.request(op="inputs", file=path, items=items)
        return inputs

    def to_device(self, inputs: Inputs) -> Inputs:
        """Stage and copy in one step (the worker times the two apart)."""
        return self.copy_in(self.stage(inputs))

    def bind(self, compute: Any, device_inputs: Inputs) -> Call:
        return lambda: self.time_calls(None, 1)[1]

    def time_calls(self, call: Call | None, count: int) -> tuple[list[float], Any]:
        assert self.process is not None
        if count == 0:
            return [], None
        reply = self.process.request(op="call", count=count, simulate=self.simulate_next)
        return reply["samples"], _RemoteOutput()

    @contextlib.contextmanager
    def simulated_region(self, call: Call) -> Iterator[bool]:
        """The cache simulator's region lies in the PyPy process, around its timed calls."""
        from ..callgrind_region import active

        self.simulate_next = active()
        try:
            yield self.simulate_next
        finally:
            self.simulate_next = False

    def from_device(self, output: Any) -> Any:
        assert self.process is not None
        self.outputs += 1  # a new file each time: an earlier result may still map its own
        path = self.process.path(f"output-{self.outputs}.bin")
        described = self.process.request(op="output", file=path)["output"]
        if described["kind"] == "none":
            return None
        if described["kind"] == "scalar":
            value = described["value"]
            return complex(*value) if described.get("complex") else value
        dtype = {"q": np.int64, "d": np.float64}[described["typecode"]]
        data = _mapped(path, dtype)
        if described["complex"]:
            data = data.view(np.complex128)
        return data.reshape(described["shape"])

    def close(self) -> None:
        if self.process is not None:
            self.process.close()
            self.process = None


def _mapped(path: str, dtype: Any) -> np.ndarray:
    """The file's bytes as a writable 1-D array, mapped copy-on-write rather than read.

    The mapping outlives the file (the folder is removed at close), as an unlinked
    file's pages stay while mapped.
    """
    size = os.path.getsize(path)
    if size == 0:
        return np.empty(0, dtype=dtype)
    with open(path, "rb") as handle:
        mapped = mmap.mmap(handle.fileno(), size, access=mmap.ACCESS_COPY)
    return np.frombuffer(mapped, dtype=dtype)


BACKEND = PyPyBackend
