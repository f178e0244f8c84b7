"""Build and load a kernel's C implementation with the system C compiler.

A kernel's C code lives beside its Python modules (``kernels/<name>/c_native.c``).
:func:`load_library` compiles it at first use into a shared library, caches the
library under ``$ACCEL_HOME/native`` (default ``~/.cache/accel/native``) keyed by a
hash of the source, the flags, the compiler's version and this host's CPU (the
flags say ``-march=native``), and loads it with :mod:`ctypes`. A cache hit costs a
hash and a ``stat``; nothing is recompiled.

Flags: ``-O3 -march=native -ffp-contract=off -shared -fPIC`` (plus ``-fopenmp``).
``$ACCEL_NATIVE_MARCH`` names another target than ``native`` (the cache simulator sets
``x86-64-v3`` for its run: Valgrind cannot execute AVX-512 instructions).
``-ffp-contract=off`` keeps ``a*b + c`` two rounded operations, as Numba (without
fastmath) and CPython compute it, so C and Numba results agree bit for bit; left on,
GCC fuses them into FMA instructions on CPUs that have them (Julia in complex64 at
size S then differs from Numba at 18 points).

A kernel's ``c_native.py`` declares its C functions once, as a :class:`NativeFunctions`,
and the same declaration serves ``c_native`` (serial) and, through
:meth:`NativeFunctions.openmp`, ``c_openmp`` (built with ``-fopenmp``). The library is
compiled, or found in the cache, at the first call, so a run record's first-call time
includes compiling, as Numba's includes JIT compiling.

>>> from accel.kernels._native import load_library, pointer   # doctest: +SKIP
>>> library = load_library("kernels/julia/c_native.c")          # doctest: +SKIP
"""

from __future__ import annotations

import ctypes
import dataclasses
import functools
import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Hashable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

from ..hardware.sysread import run_bounded
from ._home import accel_home

#: Compilers tried, in order, when ``$CC`` is not set.
COMPILERS: tuple[str, ...] = ("cc", "gcc", "clang")
BASE_FLAGS: tuple[str, ...] = ("-O3", "-march=native", "-ffp-contract=off", "-shared", "-fPIC")
#: Names the ``-march`` target instead of ``native`` (e.g. ``x86-64-v3``).
MARCH_ENV = "ACCEL_NATIVE_MARCH"
OPENMP_FLAGS: tuple[str, ...] = ("-fopenmp",)
LIBRARIES: tuple[str, ...] = ("-lm",)
NO_COMPILER = "no C compiler (set CC or apt-get install gcc)"
COMPILE_TIMEOUT_S = 300.0

_PROBE_SOURCE = "int accel_probe(int x) { return x + 1; }\n"
_OPENMP_PROBE_SOURCE = (
    "#include <omp.h>\nint accel_probe(int x) { return x + omp_get_max_threads(); }\n"
)


class NativeBuildError(RuntimeError):
    """A C source could not be compiled or loaded; the message holds the compiler's own."""


def find_compiler() -> tuple[str | None, str]:
    """The C compiler to use and its ``--version`` first line, or None and the reason.

    ``$CC`` wins when set (one program name or path, no arguments); otherwise the
    first of ``cc``, ``gcc``, ``clang`` on ``PATH``.
    """
    chosen = os.environ.get("CC", "").strip()
    if chosen:
        path = shutil.which(chosen)
        if path is None:
            return None, f"{NO_COMPILER}: CC={chosen!r} is not an executable program"
        return _identify(path)
    for name in COMPILERS:
        path = shutil.which(name)
        if path is not None:
            return _identify(path)
    return None, f"{NO_COMPILER}: none of {', '.join(COMPILERS)} is on PATH"


@functools.cache
def _identify(path: str) -> tuple[str | None, str]:
    """``(path, version line)`` when ``path --version`` runs; ``(None, reason)`` when not."""
    try:
        result = run_bounded([path, "--version"], timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"{NO_COMPILER}: {path} --version does not run ({exc})"
    lines = result.stdout.strip().splitlines()
    if result.returncode != 0 or not lines:
        return None, f"{NO_COMPILER}: {path} --version failed (exit code {result.returncode})"
    return path, lines[0]


def compile_flags(openmp: bool = False) -> tuple[str, ...]:
    """The flags every build uses (with ``-fopenmp`` for an OpenMP build)."""
    march = os.environ.get(MARCH_ENV, "").strip()
    base = BASE_FLAGS
    if march and all(c.isalnum() or c in "-_." for c in march):
        base = tuple(f"-march={march}" if flag == "-march=native" else flag for flag in base)
    return base + (OPENMP_FLAGS if openmp else ())


def native_cache_dir() -> Path:
    """Where built libraries are kept: ``$ACCEL_HOME/native``."""
    return accel_home() / "native"


@functools.lru_cache(maxsize=1)
def _host_cpu() -> str:
    """This CPU's model and feature flags: what ``-march=native`` compiles for."""
    try:
        with open("/proc/cpuinfo") as handle:
            lines = handle.read().split("\n\n", 1)[0].splitlines()
    except OSError:
        import platform

        return platform.machine() + " " + platform.processor()
    keep = ("model name", "flags", "Features", "CPU part", "CPU implementer")
    return "\n".join(line for line in lines if line.split(":", 1)[0].strip() in keep)


def _require_compiler() -> tuple[str, str]:
    compiler, version = find_compiler()
    if compiler is None:
        raise NativeBuildError(version)
    return compiler, version


def _library_path(source: Path, compiler: str, version: str, flags: tuple[str, ...]) -> Path:
    try:
        text = source.read_bytes()
    except OSError as exc:
        raise NativeBuildError(f"cannot read C source {source}: {exc}") from None
    key = hashlib.sha256()
    for part in (text, compiler.encode(), version.encode(), " ".join(flags).encode()):
        key.update(part + b"\0")
    key.update(_host_cpu().encode())
    name = f"{source.parent.name}_{source.stem}-{key.hexdigest()[:20]}.so"
    return native_cache_dir() / name


def library_path(
    source: str | os.PathLike, *, openmp: bool = False, include_dirs: tuple[str, ...] = ()
) -> Path:
    """The cache file that ``load_library(source, openmp=openmp)`` builds or reuses.

    It changes whenever the source text, the flags, the compiler or its version,
    or this host's CPU changes.
    """
    compiler, version = _require_compiler()
    flags = compile_flags(openmp) + tuple(f"-I{folder}" for folder in include_dirs)
    return _library_path(Path(source).resolve(), compiler, version, flags)


def build_library(
    source: str | os.PathLike, *, openmp: bool = False, include_dirs: tuple[str, ...] = ()
) -> Path:
    """The shared library built from ``source`` (compiled once, then taken from the cache).

    ``include_dirs`` are searched for headers (``-I``). Raises :class:`NativeBuildError`
    with the compiler's message when there is no compiler or the source does not build.
    Concurrent callers may compile the same source at once: each writes its own
    temporary file and renames it into place, so a reader never sees a half-written library.
    """
    source = Path(source).resolve()
    compiler, version = _require_compiler()
    flags = compile_flags(openmp) + tuple(f"-I{folder}" for folder in include_dirs)
    target = _library_path(source, compiler, version, flags)
    if not target.exists():
        _build(compiler, source, flags, target)
    return target


def load_library(source: str | os.PathLike, *, openmp: bool = False) -> ctypes.CDLL:
    """Compile the C file ``source`` (once per source, flags and compiler) and load it.

    Raises :class:`NativeBuildError` with the compiler's message when there is no
    compiler or the source does not build (see :func:`build_library`).
    """
    target = build_library(source, openmp=openmp)
    try:
        return ctypes.CDLL(str(target))
    except OSError as exc:
        raise NativeBuildError(f"cannot load {target} built from {source}: {exc}") from None


def _build(compiler: str, source: Path, flags: tuple[str, ...], target: Path) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(
            prefix=f".{target.stem}.", suffix=".so", dir=target.parent
        )
        os.close(handle)
    except OSError as exc:
        raise NativeBuildError(
            f"cannot write the native library cache {target.parent}: {exc}; set ACCEL_HOME"
        ) from None
    command = [compiler, *flags, "-o", temporary, str(source), *LIBRARIES]
    try:
        result = run_bounded(command, timeout=COMPILE_TIMEOUT_S)
        if result.returncode != 0:
            message = (result.stderr or result.stdout).strip()
            raise NativeBuildError(
                f"{' '.join(command)} failed (exit code {result.returncode}):\n{message}"
            )
        os.replace(temporary, target)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise NativeBuildError(f"{' '.join(command)} did not run: {exc}") from None
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def build_problem(openmp: bool = False) -> str | None:
    """None when a trivial shared library builds and loads here; otherwise why not.

    With ``openmp=True`` the trivial library includes ``<omp.h>`` and calls the
    OpenMP runtime, so a compiler without OpenMP support is caught. The probe is
    cached like any other library, so asking again costs a ``stat``.
    """
    text = _OPENMP_PROBE_SOURCE if openmp else _PROBE_SOURCE
    name = "probe_openmp.c" if openmp else "probe.c"
    try:
        source = _write_once(native_cache_dir() / name, text)
        load_library(source, openmp=openmp).accel_probe(1)
    except NativeBuildError as exc:
        if find_compiler()[0] is None:
            return str(exc)
        first = _first_error(str(exc))
        if openmp:
            return f"the C compiler has no working OpenMP (-fopenmp): {first}; use gcc"
        return f"{NO_COMPILER}: the compiler cannot build a shared library: {first}"
    return None


def _first_error(message: str) -> str:
    """The first line of a compiler message that names an error (else its last line)."""
    lines = message.strip().splitlines() or ["unknown error"]
    return next((line for line in lines if "error" in line.lower()), lines[-1])


def _write_once(path: Path, text: str) -> Path:
    """``path`` holding ``text``, written atomically if it does not hold it already."""
    try:
        if path.read_text() == text:
            return path
    except OSError:
        pass
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(handle, "w") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except OSError as exc:
        raise NativeBuildError(f"cannot write {path}: {exc}; set ACCEL_HOME") from None
    return path


def pointer(array: np.ndarray) -> ctypes.c_void_p:
    """The data pointer of a C-contiguous NumPy array, for passing to a C function.

    The caller keeps ``array`` alive for as long as C uses the pointer.
    """
    if not array.flags.c_contiguous:
        raise ValueError("array is not C-contiguous; pass numpy.ascontiguousarray(array)")
    return ctypes.c_void_p(array.ctypes.data)


#: C types for :class:`CFunction` signatures, by the names kernels use.
POINTER, INT32, INT64 = ctypes.c_void_p, ctypes.c_int32, ctypes.c_int64
DOUBLE, FLOAT, INT = ctypes.c_double, ctypes.c_float, ctypes.c_int


@dataclasses.dataclass(frozen=True)
class CFunction:
    """One C function of a kernel's source: its name and its ctypes signature."""

    name: str
    argtypes: Sequence[Any]
    restype: Any = None


class NativeFunctions:
    """The C functions of one source file, built and declared at the first call.

    ``functions`` maps a key (a NumPy dtype, or any name) to a :class:`CFunction`;
    ``native[key]`` is that function, callable with its declared ctypes signature.
    The first lookup compiles the source (or finds it in the cache) and declares every
    function; later lookups cost a dict access.

    >>> NATIVE = NativeFunctions(                          # doctest: +SKIP
    ...     "c_native.c", {"count": CFunction("primes_count", (POINTER, INT64), INT64)}
    ... )
    >>> NATIVE["count"](pointer(numbers), numbers.size)   # doctest: +SKIP
    """

    def __init__(
        self,
        source: str | os.PathLike,
        functions: Mapping[Hashable, CFunction],
        *,
        openmp: bool = False,
    ) -> None:
        self.source = Path(source)
        self.functions = dict(functions)
        self.is_openmp = openmp
        self._declared: dict[Hashable, Callable[..., Any]] = {}

    def openmp(self) -> NativeFunctions:
        """The same functions from the library built with ``-fopenmp`` (for c_openmp)."""
        return NativeFunctions(self.source, self.functions, openmp=True)

    def __getitem__(self, key: Hashable) -> Callable[..., Any]:
        if not self._declared:
            library = load_library(self.source, openmp=self.is_openmp)
            for name, declared in self.functions.items():
                function = getattr(library, declared.name)
                function.argtypes = list(declared.argtypes)
                function.restype = declared.restype
                self._declared[name] = function
        return self._declared[key]
