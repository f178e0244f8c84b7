"""kernels/_native.py: compile with the system compiler, cache by content, fail with the reason."""

import ctypes
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from accel.kernels._native import (
    NO_COMPILER,
    NativeBuildError,
    build_problem,
    find_compiler,
    library_path,
    load_library,
    native_cache_dir,
    pointer,
)

SUM_SOURCE = """
#include <stdint.h>
double sum_doubles(const double *values, int64_t n) {
    double total = 0.0;
    for (int64_t i = 0; i < n; i++) total += values[i];
    return total;
}
"""
OPENMP_THREADS_SOURCE = (
    "#include <omp.h>\nint max_threads(void) { return omp_get_max_threads(); }\n"
)

pytestmark = pytest.mark.skipif(find_compiler()[0] is None, reason=find_compiler()[1])


@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    """An empty ACCEL_HOME for one test, so its native cache starts cold."""
    home = tmp_path / "home"
    monkeypatch.setenv("ACCEL_HOME", str(home))
    return home


@pytest.fixture
def sum_source(tmp_path):
    path = tmp_path / "sum.c"
    path.write_text(SUM_SOURCE)
    return path


def _sum_doubles(library: ctypes.CDLL):
    function = library.sum_doubles
    function.argtypes = [ctypes.c_void_p, ctypes.c_int64]
    function.restype = ctypes.c_double
    return function


def test_built_library_computes_through_pointer(cache_home, sum_source):
    values = np.arange(1000, dtype=np.float64)
    total = _sum_doubles(load_library(sum_source))(pointer(values), values.size)
    assert total == 999 * 1000 / 2  # closed form of 0 + 1 + ... + 999


def test_second_load_reuses_the_cached_library_without_recompiling(cache_home, sum_source):
    load_library(sum_source)
    cached = library_path(sum_source)
    assert cached.parent == cache_home / "native"
    first = cached.stat()
    load_library(sum_source)
    second = cached.stat()
    assert (second.st_ino, second.st_mtime_ns) == (first.st_ino, first.st_mtime_ns)
    assert [p.name for p in native_cache_dir().iterdir()] == [cached.name]  # no temp files


def test_cache_key_follows_source_text_and_flags(cache_home, sum_source):
    original = library_path(sum_source)
    assert library_path(sum_source, openmp=True) != original
    sum_source.write_text(SUM_SOURCE + "/* edited */\n")
    assert library_path(sum_source) != original
    sum_source.write_text(SUM_SOURCE)
    os.utime(sum_source, (0, 0))  # content, not timestamps, is the key
    assert library_path(sum_source) == original


def test_concurrent_builds_of_one_source_all_load_one_library(cache_home, sum_source):
    values = np.ones(10)
    with ThreadPoolExecutor(4) as pool:
        libraries = list(pool.map(lambda _: load_library(sum_source), range(4)))
    assert all(_sum_doubles(lib)(pointer(values), 10) == 10.0 for lib in libraries)
    assert [p.name for p in native_cache_dir().iterdir()] == [library_path(sum_source).name]


def test_syntax_error_raises_with_the_compilers_message(cache_home, tmp_path):
    broken = tmp_path / "broken.c"
    broken.write_text("int broken(int x) { return x + ; }\n")
    with pytest.raises(NativeBuildError) as caught:
        load_library(broken)
    assert isinstance(caught.value, RuntimeError)
    message = str(caught.value)
    assert "broken.c:1:" in message and "error" in message  # the compiler's own diagnostic
    assert not any(native_cache_dir().iterdir())  # nothing half-built left in the cache


def test_missing_compiler_is_reported_with_what_to_do(cache_home, sum_source, monkeypatch):
    monkeypatch.setenv("CC", "/nonexistent/cc")
    compiler, reason = find_compiler()
    assert compiler is None
    assert reason.startswith(NO_COMPILER) and "/nonexistent/cc" in reason
    with pytest.raises(NativeBuildError, match="set CC or apt-get install gcc"):
        load_library(sum_source)


def test_compiler_without_openmp_leaves_serial_c_available(cache_home, tmp_path, monkeypatch):
    real = find_compiler()[0]
    no_openmp = tmp_path / "cc-without-openmp"
    no_openmp.write_text(
        "#!/bin/sh\n"
        'for arg; do [ "$arg" = -fopenmp ] && '
        "{ echo \"cc: error: unrecognized option '-fopenmp'\" >&2; exit 1; }; done\n"
        f'exec {real} "$@"\n'
    )
    no_openmp.chmod(0o755)
    monkeypatch.setenv("CC", str(no_openmp))
    assert build_problem() is None
    reason = build_problem(openmp=True)
    assert reason is not None and "OpenMP" in reason and "unrecognized option" in reason


def test_pointer_refuses_a_non_contiguous_array():
    with pytest.raises(ValueError, match="C-contiguous"):
        pointer(np.zeros((4, 4))[:, 1])


def test_openmp_build_takes_its_thread_count_from_omp_num_threads(cache_home, tmp_path):
    source = tmp_path / "threads.c"
    source.write_text(OPENMP_THREADS_SOURCE)
    load_library(source, openmp=True)  # build here; the fresh process below only loads it
    program = (
        "import sys; from accel.kernels._native import load_library; "
        "print(load_library(sys.argv[1], openmp=True).max_threads())"
    )
    result = subprocess.run(
        [sys.executable, "-c", program, str(source)],
        capture_output=True,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "3"},
        check=True,
    )
    assert result.stdout.strip() == "3"


def test_backends_command_says_why_c_is_unavailable_without_a_compiler(accel_cli):
    result = accel_cli("backends", "--json", env={"CC": "/nonexistent"})
    assert result.returncode == 0, result.stderr
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    for name in ("c_native", "c_openmp"):
        assert rows[name]["available"] is False
        assert rows[name]["reason"].startswith("no C compiler (set CC or apt-get install gcc)")
        assert "/nonexistent" in rows[name]["reason"]
    assert rows["numpy"]["available"] is True  # only the C backends are affected
