"""SIMD: what the CPU supports, what NumPy was built for, and what LLVM (numba) will target.

The gap between them is a lecture point: a CPU with AVX-512 running a NumPy
whose baseline is SSE4.2 only uses the wide units in NumPy's runtime-dispatched
loops; numba compiles for the host CPU and can use them everywhere.
"""

from __future__ import annotations

import importlib.metadata

from .report import SimdInfo

# cpuinfo flag -> display name, in order of introduction (x86).
X86_FLAGS: list[tuple[str, str]] = [
    ("sse", "SSE"),
    ("sse2", "SSE2"),
    ("pni", "SSE3"),
    ("ssse3", "SSSE3"),
    ("sse4_1", "SSE4.1"),
    ("sse4_2", "SSE4.2"),
    ("avx", "AVX"),
    ("f16c", "F16C"),
    ("fma", "FMA3"),
    ("avx2", "AVX2"),
    ("avx_vnni", "AVX-VNNI"),
    ("avx512f", "AVX512F"),
    ("avx512cd", "AVX512CD"),
    ("avx512bw", "AVX512BW"),
    ("avx512dq", "AVX512DQ"),
    ("avx512vl", "AVX512VL"),
    ("avx512ifma", "AVX512IFMA"),
    ("avx512vbmi", "AVX512VBMI"),
    ("avx512_vbmi2", "AVX512VBMI2"),
    ("avx512_vnni", "AVX512VNNI"),
    ("avx512_bitalg", "AVX512BITALG"),
    ("avx512_vpopcntdq", "AVX512VPOPCNTDQ"),
    ("avx512_bf16", "AVX512BF16"),
    ("avx512_fp16", "AVX512FP16"),
    ("avx512er", "AVX512ER"),
    ("avx512pf", "AVX512PF"),
    ("amx_tile", "AMX-TILE"),
    ("amx_bf16", "AMX-BF16"),
    ("amx_int8", "AMX-INT8"),
    ("amx_fp16", "AMX-FP16"),
]
# /proc/cpuinfo "Features" -> display name (Arm).
ARM_FLAGS: list[tuple[str, str]] = [
    ("neon", "NEON"),
    ("asimd", "ASIMD"),
    ("asimdhp", "ASIMD-FP16"),
    ("asimddp", "ASIMD-DOTPROD"),
    ("asimdfhm", "ASIMD-FHM"),
    ("i8mm", "I8MM"),
    ("bf16", "BF16"),
    ("sve", "SVE"),
    ("sve2", "SVE2"),
    ("sme", "SME"),
    ("sme2", "SME2"),
]
# NumPy CPU target names -> vector width they imply.
_NUMPY_512 = ("AVX512", "X86_V4")
_NUMPY_256 = ("AVX", "AVX2", "FMA3", "X86_V3", "FMA4", "XOP")
_NUMPY_128 = ("SSE", "X86_V2", "NEON", "ASIMD", "VSX", "VX", "LSX")
NUMPY_GROUPS = {
    "X86_V2": "SSE..SSE4.2, POPCNT",
    "X86_V3": "AVX, AVX2, FMA3, BMI",
    "X86_V4": "AVX-512 F/CD/BW/DQ/VL",
}


def cpu_simd_features(flags: list[str]) -> list[str]:
    """Display names of the SIMD features among cpuinfo ``flags``, oldest first."""
    present = set(flags)
    table = X86_FLAGS if "sse" in present or "sse2" in present else ARM_FLAGS
    if table is ARM_FLAGS and not present & {f for f, _ in ARM_FLAGS}:
        table = X86_FLAGS
    names = [name for flag, name in table if flag in present]
    if table is ARM_FLAGS and "fp" in present and "asimd" in present and "NEON" not in names:
        names.insert(0, "NEON")  # AArch64 calls NEON "asimd"; say both names
    return names


def widest_simd(features: list[str]) -> tuple[str | None, int | None]:
    """The widest vector family and its bits: ("AVX-512", 512), ("AVX2", 256), ("SVE", None)...

    SVE's width is implementation-defined (128 to 2048 bits) and not in cpuinfo,
    so it is reported as None.
    """
    have = set(features)
    if any(f.startswith("AVX512") for f in have):
        return "AVX-512", 512
    if "AVX2" in have:
        return "AVX2", 256
    if "AVX" in have:
        return "AVX", 256
    if "SVE2" in have:
        return "SVE2", None
    if "SVE" in have:
        return "SVE", None
    for name in ("SSE4.2", "SSE4.1", "SSSE3", "SSE3", "SSE2", "SSE"):
        if name in have:
            return name, 128
    if "ASIMD" in have or "NEON" in have:
        return "NEON", 128
    return None, None


def numpy_target_bits(names: list[str]) -> int | None:
    """Widest vector width implied by a list of NumPy CPU target names (None if empty)."""
    bits = None
    for name in names:
        upper = name.upper()
        if upper.startswith(_NUMPY_512):
            width = 512
        elif upper.startswith(_NUMPY_256):
            width = 256
        elif upper.startswith(_NUMPY_128) or upper in ("SVE",):
            width = 128
        else:
            continue
        bits = max(bits or 0, width)
    return bits


def llvm_vector_bits(features: list[str]) -> int | None:
    """Widest vector width in LLVM's enabled host features ("+avx512f" -> 512)."""
    enabled = {f[1:] for f in features if f.startswith("+")}
    if "avx512f" in enabled:
        return 512
    if "avx" in enabled or "avx2" in enabled:
        return 256
    if enabled & {"sse2", "neon", "sse4.2"}:
        return 128
    return None


def describe_gaps(info: SimdInfo) -> list[str]:
    """Plain-English lines on where CPU, NumPy and LLVM disagree (empty when all agree)."""
    notes: list[str] = []
    cpu_bits = info.cpu_vector_bits
    if cpu_bits and info.numpy_baseline_bits and info.numpy_baseline_bits < cpu_bits:
        baseline = " ".join(info.numpy_baseline or [])
        expanded = [NUMPY_GROUPS.get(n, "") for n in info.numpy_baseline or []]
        detail = f" ({'; '.join(e for e in expanded if e)})" if any(expanded) else ""
        active = info.numpy_dispatch_active or []
        wide = [t for t in active if (numpy_target_bits([t]) or 0) > info.numpy_baseline_bits]
        if wide:
            tail = (
                f"only NumPy's runtime-dispatched loops use wider units here "
                f"({', '.join(wide)} active); everything else runs "
                f"{info.numpy_baseline_bits}-bit code"
            )
        else:
            tail = (
                "no wider dispatch target is active, so NumPy runs narrower code "
                "than the CPU allows"
            )
        notes.append(
            f"CPU has {info.cpu_widest} ({cpu_bits}-bit) but NumPy's baseline is "
            f"{baseline}{detail}: {tail}."
        )
    if cpu_bits and info.llvm_vector_bits and info.llvm_vector_bits < cpu_bits:
        notes.append(
            f"LLVM (numba) targets {info.llvm_cpu_name} with only "
            f"{info.llvm_vector_bits}-bit vectors "
            f"although the CPU has {info.cpu_widest}: check NUMBA_CPU_NAME/NUMBA_CPU_FEATURES."
        )
    elif (
        cpu_bits
        and info.llvm_vector_bits
        and info.numpy_baseline_bits
        and info.llvm_vector_bits > info.numpy_baseline_bits
    ):
        notes.append(
            f"numba compiles for the host ({info.llvm_cpu_name}, {info.llvm_vector_bits}-bit "
            f"vectors) while NumPy's baseline is {info.numpy_baseline_bits}-bit."
        )
    amx = [f for f in info.cpu_features if f.startswith("AMX")]
    if amx and info.numpy_dispatch is not None and not any("AMX" in t for t in info.numpy_dispatch):
        notes.append(
            f"CPU has AMX ({', '.join(amx)}) but NumPy has no AMX target; only libraries "
            "such as oneDNN (used by torch) can use it."
        )
    return notes


def numpy_cpu_targets() -> tuple[dict[str, object] | None, str | None]:
    """NumPy's version, baseline, dispatch targets and runtime-detected features, or None and why.

    Imports NumPy (only when called).
    """
    try:
        version = importlib.metadata.version("numpy")
    except importlib.metadata.PackageNotFoundError:
        return None, "numpy not installed"
    try:
        try:
            from numpy._core import _multiarray_umath as umath  # NumPy 2
        except ImportError:
            from numpy.core import _multiarray_umath as umath  # NumPy 1.x
    except Exception as exc:
        return None, f"numpy import failed ({type(exc).__name__}: {exc})"
    baseline = list(getattr(umath, "__cpu_baseline__", []) or [])
    dispatch = list(getattr(umath, "__cpu_dispatch__", []) or [])
    features = dict(getattr(umath, "__cpu_features__", {}) or {})
    return {
        "version": version,
        "baseline": baseline,
        "dispatch": dispatch,
        "active": [t for t in dispatch if features.get(t)],
    }, None


def llvm_host_target() -> tuple[tuple[str, list[str]] | None, str | None]:
    """LLVM's host CPU name and enabled/disabled feature list (via llvmlite), or None and why."""
    try:
        import llvmlite.binding as llvm
    except ImportError:
        return None, "llvmlite not installed (it comes with numba)"
    try:
        name = str(llvm.get_host_cpu_name())
        flat = llvm.get_host_cpu_features().flatten()
    except Exception as exc:  # RuntimeError when LLVM cannot query the host
        return None, f"llvmlite could not query the host CPU ({exc})"
    return (name, [f for f in flat.split(",") if f]), None


def read_simd(cpu_flags: list[str], *, live: bool = True) -> SimdInfo:
    """SimdInfo from the CPU's cpuinfo flags plus (``live``) NumPy and llvmlite queries."""
    info = SimdInfo()
    info.cpu_features = cpu_simd_features(cpu_flags)
    info.cpu_widest, info.cpu_vector_bits = widest_simd(info.cpu_features)
    if not cpu_flags:
        info.reasons["cpu_features"] = "no flags/Features line in /proc/cpuinfo"
    elif info.cpu_vector_bits is None and info.cpu_widest is None:
        info.reasons["cpu_vector_bits"] = "no known SIMD flag in /proc/cpuinfo"
    elif info.cpu_vector_bits is None:
        info.reasons["cpu_vector_bits"] = (
            f"{info.cpu_widest} vector length is implementation-defined and not in cpuinfo"
        )
    if not live:
        info.reasons["numpy_baseline"] = info.reasons["llvm_cpu"] = "not queried (quick probe)"
        return info

    targets, why = numpy_cpu_targets()
    if targets is None:
        for key in ("numpy_version", "numpy_baseline", "numpy_dispatch"):
            info.reasons[key] = why or "unknown"
    else:
        info.numpy_version = str(targets["version"])
        info.numpy_baseline = list(targets["baseline"])  # type: ignore[arg-type]
        info.numpy_dispatch = list(targets["dispatch"])  # type: ignore[arg-type]
        info.numpy_dispatch_active = list(targets["active"])  # type: ignore[arg-type]
        info.numpy_baseline_bits = numpy_target_bits(info.numpy_baseline)
        info.numpy_dispatch_bits = numpy_target_bits(info.numpy_dispatch_active)

    llvm, why = llvm_host_target()
    if llvm is None:
        for key in ("llvm_cpu_name", "llvm_features"):
            info.reasons[key] = why or "unknown"
    else:
        info.llvm_cpu_name, features = llvm
        info.llvm_features = sorted(f[1:] for f in features if f.startswith("+"))
        info.llvm_vector_bits = llvm_vector_bits(features)
    info.notes = describe_gaps(info)
    return info
