"""CUDA code compiled for real without a GPU: every .cu file by nvcc, the Numba kernels by NVVM.

A syntax or type error in a kernel that only CuPy would compile (at run time, on a GPU
machine) fails here instead. The PTX also shows that the Julia iteration's multiplies and
adds are round-to-nearest instructions that may not be fused into FMAs, the condition for
matching the CPU reference exactly.
"""

import collections
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # compiles every CUDA source with nvcc

KERNELS = Path(__file__).resolve().parents[2] / "kernels"
CU_FILES = sorted(KERNELS.rglob("*.cu"))
NVCC = shutil.which("nvcc")
needs_nvcc = pytest.mark.skipif(NVCC is None, reason="nvcc not on PATH (CUDA toolkit missing)")
# Arithmetic instructions of a PTX listing: fma.rn.f64, mul.f64, add.rn.f32, ...
PTX_ARITHMETIC = re.compile(r"^\s*((?:fma|mul|add|sub)(?:\.rn)?\.f(?:32|64))\b", re.MULTILINE)


def test_there_are_cuda_sources_to_compile():
    assert KERNELS / "julia" / "julia.cu" in CU_FILES


@needs_nvcc
@pytest.mark.parametrize("source", CU_FILES, ids=lambda p: str(p.relative_to(KERNELS)))
def test_nvcc_compiles_every_cuda_source(source, tmp_path):
    result = subprocess.run(
        [NVCC, "-c", str(source), "-o", str(tmp_path / "kernel.o")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "kernel.o").stat().st_size > 0


@needs_nvcc
def test_julia_cu_iteration_uses_unfused_round_to_nearest_arithmetic(tmp_path):
    ptx = tmp_path / "julia.ptx"
    subprocess.run(
        [NVCC, "--ptx", str(KERNELS / "julia" / "julia.cu"), "-o", str(ptx)],
        check=True,
        timeout=300,
    )
    counts = collections.Counter(PTX_ARITHMETIC.findall(ptx.read_text()))
    # Per kernel, a step is 3 multiplies and 5 adds (|z|^2, 2xy + ci, xx - yy + cr), the
    # squares once more before the loop; plain ones could become FMAs.
    assert counts["add.rn.f64"] >= 5 and counts["add.rn.f32"] >= 5
    assert counts["mul.rn.f64"] >= 3 and counts["mul.rn.f32"] >= 3
    for plain in ("add.f64", "sub.f64", "add.f32", "sub.f32"):
        assert counts[plain] == 0, counts


NUMBA_PTX = """
import collections, json, re
from numba import cuda
from accel.kernels.julia import numba_cuda
signature = "void(complex128[::1], float64, float64, int64, int32[::1], float64)"
ptx, _ = cuda.compile_ptx(numba_cuda._kernel(False).py_func, signature, cc=(7, 5))
pattern = re.compile(r"^\\s*((?:fma|mul|add|sub)(?:\\.rn)?\\.f(?:32|64))\\b", re.MULTILINE)
print(json.dumps(collections.Counter(pattern.findall(ptx))))
"""


def test_numba_cuda_julia_compiles_to_ptx_with_unfused_iteration(compile_ptx):
    """In a process of its own, without the simulator (``compile_ptx`` only says whether
    Numba can compile for a GPU here, and skips with the reason where it cannot)."""
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"}
    result = subprocess.run(
        [sys.executable, "-c", NUMBA_PTX], capture_output=True, text=True, env=env, timeout=300
    )
    assert result.returncode == 0, result.stderr
    counts = json.loads(result.stdout)
    assert counts.get("add.rn.f64", 0) >= 5 and counts.get("mul.rn.f64", 0) >= 3
    assert counts.get("add.f64", 0) == 0 and counts.get("sub.f64", 0) == 0, counts
