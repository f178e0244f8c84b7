"""The thread pools a run here would use, and the memory setting that changes their speed.

- BLAS: the library behind NumPy (OpenBLAS, MKL, BLIS), its version, threading layer
  and thread count, as ``threadpoolctl`` reads it from the loaded library;
- OpenMP runtimes: those loaded in this process (threadpoolctl), the one torch ships
  (found in its ``lib`` folder without importing torch) and the C compiler's
  (``cc -print-file-name=libgomp.so``), which ``c_openmp`` links;
- Numba's threading layer: the one configured and those that load here (TBB, OpenMP,
  workqueue: Numba picks the first that loads, in that order, unless configured);
- transparent huge pages: ``always``, ``madvise`` or ``never``, and the defrag policy
  (large arrays faulted in 2 MiB pages or 4 KiB ones: a visible difference in
  memory-bound kernels).
"""

from __future__ import annotations

import glob
import importlib
import importlib.util
import os
import re
import shutil
import subprocess

from .report import PoolsInfo
from .sysread import read_text

THP = "/sys/kernel/mm/transparent_hugepage"
#: libgomp (GNU), libiomp5 (Intel), libomp (LLVM), with a version or a hash after.
OPENMP_LIBRARY = re.compile(r"^lib(g|i)?omp[0-9]*[.-]")
NUMBA_LAYERS = (("tbb", "numba.np.ufunc.tbbpool"), ("omp", "numba.np.ufunc.omppool"))


def bracketed(text: str | None) -> str | None:
    """The selected value of a sysfs choice file: ``always [madvise] never`` -> ``madvise``."""
    if not text:
        return None
    for word in text.split():
        if word.startswith("[") and word.endswith("]"):
            return word[1:-1]
    return text.strip() or None


def _torch_openmp() -> list[str]:
    spec = importlib.util.find_spec("torch")
    if spec is None or not spec.submodule_search_locations:
        return []
    folder = os.path.join(next(iter(spec.submodule_search_locations)), "lib")
    names = sorted(os.path.basename(path) for path in glob.glob(os.path.join(folder, "lib*.so*")))
    return [f"torch: {name}" for name in names if OPENMP_LIBRARY.match(name)]


def _compiler_openmp() -> list[str]:
    compiler = shutil.which("cc")
    if compiler is None:
        return []
    try:
        done = subprocess.run(
            [compiler, "-print-file-name=libgomp.so"], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return []
    path = done.stdout.strip()
    if done.returncode != 0 or not os.path.isabs(path):  # cc prints the bare name if absent
        return []
    return [f"cc: {os.path.realpath(path)}"]


def read_pools(root: str = "/", live: bool = True) -> PoolsInfo:
    """Probe the pools (``live=False``: the sysfs part only, no library loaded)."""
    info = PoolsInfo()
    text, why = read_text(root, f"{THP}/enabled")
    info.thp_enabled = bracketed(text)
    if info.thp_enabled is None:
        info.reasons["thp_enabled"] = why or "empty"
    text, why = read_text(root, f"{THP}/defrag")
    info.thp_defrag = bracketed(text)
    if info.thp_defrag is None:
        info.reasons["thp_defrag"] = why or "empty"
    if not live:
        info.reasons["blas"] = "not probed (quick probe)"
        return info
    try:
        import numpy  # noqa: F401  (loads the BLAS library threadpoolctl then reads)
        from threadpoolctl import threadpool_info

        loaded = threadpool_info()
    except Exception as exc:
        loaded = []
        info.reasons["blas"] = f"threadpoolctl could not read the libraries: {exc}"
    for lib in loaded:
        name = os.path.basename(lib.get("filepath") or "")
        if lib.get("user_api") == "blas":
            info.blas.append(
                {
                    "library": lib.get("internal_api"),
                    "version": lib.get("version"),
                    "threads": lib.get("num_threads"),
                    "layer": lib.get("threading_layer"),
                    "file": name,
                }
            )
        elif lib.get("user_api") == "openmp":
            info.openmp.append(f"loaded: {name} ({lib.get('num_threads')} threads)")
    info.openmp += _torch_openmp() + _compiler_openmp()
    if not info.blas and "blas" not in info.reasons:
        info.reasons["blas"] = "no BLAS library loaded with NumPy"
    try:
        from numba.core import config

        info.numba_layer = config.THREADING_LAYER
        for layer, module in NUMBA_LAYERS:
            try:
                importlib.import_module(module)
            except Exception:  # the layer's library (libtbb, libgomp) does not load
                continue
            info.numba_layers.append(layer)
        info.numba_layers.append("workqueue")
    except ImportError:
        info.reasons["numba_layer"] = "numba not installed"
    return info
