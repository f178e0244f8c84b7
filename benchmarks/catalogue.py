"""Issue 10's targets: what each one measures, on which problem, and its limit.

Each :class:`Benchmark` names its target, the runs it needs (a case and the backends
to run on it, all measured together in alternating rounds), whether it needs this
machine's roofs, and how its verdict is computed from the records. ``plan`` picks the
problem sizes: the book's sizes (and, for the memory-bound kernels, a working set
larger than the last-level cache, as STREAM's arrays are), or small ones with
``quick``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from accel.record import RunRecord

from . import figures, gpu, load, shipping
from .harness_costs import EMPTY_KERNEL, fastest_call_cost, import_cost
from .roofs import Roofs
from .rounds import Case, best, failure
from .verdict import Result, Target, judge, not_measurable

MIB = 1024**2
#: Memory-bound cases hold at least this multiple of the last-level cache (and 256 MiB).
CACHE_MULTIPLE = 1.0
MIN_WORKING_SET = 256 * MIB
DIFFUSION_MEMORY_STEPS = 10
#: PyPy shipping of float64 data: a 1024 x 1024 grid (8.4 MB) in and out, one cheap step.
SHIPPING = Case.of("diffusion", 1024, steps=1)
#: ... and of complex128: the book's julia grid (16 MB in, 8 MB out), two iterations.
SHIPPING_COMPLEX = Case.of("julia", 1000, max_iter=2)
CPU_BACKENDS = ("numba_cpu", "numba_parallel", "c_native", "c_openmp", "numpy", "torch_cpu")
GPU_BACKENDS = ("numba_cuda", "cupy", "torch_cuda")


@dataclass(frozen=True)
class Need:
    """Runs a target needs: ``backends`` on ``case``."""

    case: Case
    backends: tuple[str, ...]


@dataclass
class Context:
    """Everything measured in this run, for the targets to judge."""

    records: dict[Case, dict[str, list[RunRecord]]] = field(default_factory=dict)
    roofs: Roofs | None = None

    def of(self, case: Case) -> dict[str, list[RunRecord]]:
        return self.records.get(case, {})


@dataclass(frozen=True)
class Benchmark:
    """One target and how to measure it."""

    target: Target
    evaluate: Callable[[Context], Result]
    needs: tuple[Need, ...] = ()
    roofs: bool = False
    gpu: bool = False


@dataclass(frozen=True)
class Plan:
    """The problem each group of targets is measured on."""

    quick: bool
    julia: Case
    interpreters: Case
    shipping: Case
    shipping_complex: Case
    diffusion: Case
    diffusion_memory: Case
    norm: Case
    norm_memory: Case
    primes: Case
    matmul: Case
    empty: Case = Case(EMPTY_KERNEL, 1)


def memory_bound_sizes(llc_bytes: int | None) -> tuple[int, int]:
    """Vector length for norm and grid side for diffusion whose working sets exceed the LLC.

    norm reads one float64 vector; diffusion alternates between two float64 grids.
    """
    working_set = max(CACHE_MULTIPLE * (llc_bytes or 0), MIN_WORKING_SET)
    length = math.ceil(working_set / 8 / 1e6) * 1_000_000
    side = math.ceil(math.sqrt(working_set / 16) / 256) * 256
    return length, side


def plan(quick: bool, llc_bytes: int | None) -> Plan:
    """Full sizes (the book's, and out-of-cache ones for bandwidth) or quick smoke sizes.

    CPython and PyPy are compared on julia's M preset (500 x 500, 300 iterations),
    about a second per CPython call where the book's size takes five.
    """
    if quick:
        return Plan(
            quick=True,
            julia=Case.of("julia", 200, max_iter=300),
            interpreters=Case.of("julia", 200, max_iter=300),
            shipping=SHIPPING,
            shipping_complex=SHIPPING_COMPLEX,
            diffusion=Case.of("diffusion", 256, steps=100),
            diffusion_memory=Case.of("diffusion", 512, steps=DIFFUSION_MEMORY_STEPS),
            norm=Case.of("norm", 1_000_000),
            norm_memory=Case.of("norm", 4_000_000),
            primes=Case.of("primes", 10_000, start=100_000_000),
            matmul=Case.of("matmul", 256),
        )
    length, side = memory_bound_sizes(llc_bytes)
    return Plan(
        quick=False,
        julia=Case.of("julia", 1000, max_iter=300),
        interpreters=Case.of("julia", 500, max_iter=300),
        shipping=SHIPPING,
        shipping_complex=SHIPPING_COMPLEX,
        diffusion=Case.of("diffusion", 640, steps=500),
        diffusion_memory=Case.of("diffusion", side, steps=DIFFUSION_MEMORY_STEPS),
        norm=Case.of("norm", 10_000_000),
        norm_memory=Case.of("norm", length),
        primes=Case.of("primes", 100_000, start=100_000_000),
        matmul=Case.of("matmul", 2048),
    )


def _relative(
    name: str, claim: str, limit: float, case: Case, slower: str, base: str, why: str = ""
) -> Benchmark:
    target = Target(name, claim, limit, "lower", "x")
    return Benchmark(
        target,
        lambda ctx: figures.relative_time(target, case, ctx.of(case), slower, base, why=why),
        (Need(case, (slower, base)),),
    )


def _numba_vs_c(p: Plan) -> list[Benchmark]:
    cases = {"julia": p.julia, "diffusion": p.diffusion, "norm": p.norm, "primes": p.primes}
    return [
        _relative(
            f"numba_vs_c.{kernel}",
            f"numba_cpu within 1.15x of c_native (serial C, -O3 -march=native) on {kernel}",
            1.15,
            case,
            "numba_cpu",
            "c_native",
        )
        for kernel, case in cases.items()
    ]


def _parallel(p: Plan) -> list[Benchmark]:
    found = []
    for kernel, case in (("julia", p.julia), ("primes", p.primes)):
        target = Target(
            f"parallel.{kernel}",
            f"numba_parallel speedup over numba_cpu at least 0.85 x cores on {kernel}",
            0.85,
            "higher",
            "",
        )
        found.append(
            Benchmark(
                target,
                lambda ctx, t=target, c=case: figures.parallel_efficiency(
                    t,
                    c,
                    ctx.of(c),
                    "numba_parallel",
                    "numba_cpu",
                    ctx.roofs.parallel_capacity if ctx.roofs else None,
                ),
                (Need(case, ("numba_parallel", "numba_cpu")),),
                roofs=True,
            )
        )
    return found


def _roof_target(
    name: str, claim: str, case: Case, quantity: str, roof: Callable[[Roofs], float | None]
) -> Benchmark:
    target = Target(name, claim, 0.70, "higher", "")
    label = "the all-threads STREAM triad" if quantity == "bytes" else "the float64 matmul peak"
    key = "triad" if quantity == "bytes" else "peak"

    def evaluate(ctx: Context) -> Result:
        roofs = ctx.roofs or Roofs(cores=1, reasons={key: "roofs not measured"})
        return figures.roof_fraction(
            target,
            case,
            ctx.of(case),
            CPU_BACKENDS,
            roof=roof(roofs),
            roof_reason=roofs.reasons.get(key, roofs.reasons.get("probe", "no roof")),
            quantity=quantity,
            roof_label=label,
        )

    return Benchmark(target, evaluate, (Need(case, CPU_BACKENDS),), roofs=True)


def _roofs(p: Plan) -> list[Benchmark]:
    return [
        _roof_target(
            f"bandwidth.{case.kernel}",
            f"{case.kernel} on the best CPU backend at >= 70% of the all-threads STREAM triad",
            case,
            "bytes",
            lambda r: r.triad_gbs,
        )
        for case in (p.diffusion_memory, p.norm_memory)
    ] + [
        _roof_target(
            "peak.matmul",
            "matmul on the best CPU backend at >= 70% of the measured float64 peak",
            p.matmul,
            "flops",
            lambda r: r.peak_gflops,
        )
    ]


def _pypy(p: Plan) -> list[Benchmark]:
    speed = Target(
        "pypy.julia_speedup",
        "pypy at least 6x faster than python on julia (steady state)",
        6.0,
        "higher",
        "x",
    )
    interpreters, floats, complexes = p.interpreters, p.shipping, p.shipping_complex
    found = [
        Benchmark(
            speed,
            lambda ctx: figures.relative_time(
                speed, interpreters, ctx.of(interpreters), "python", "pypy"
            ),
            (Need(interpreters, ("python", "pypy")),),
        )
    ]
    for way, direction, what in (("in", "h2d", "inputs to"), ("out", "d2h", "results from")):
        target = Target(
            f"pypy.ship_{way}",
            f"shipping float64 {what} the PyPy process at >= 1 GB/s (8 MB and up)",
            1.0,
            "higher",
            "GB/s",
        )
        found.append(
            Benchmark(
                target,
                lambda ctx, t=target, d=direction: shipping.shipping_rate(
                    t, floats, ctx.of(floats).get("pypy", []), d
                ),
                (Need(floats, ("pypy",)),),
            )
        )
    complex_target = Target(
        "pypy.ship_in_complex",
        "shipping complex128 inputs to the PyPy process at >= 0.5 GB/s (8 MB and up)",
        0.5,
        "higher",
        "GB/s",
    )

    def complex_verdict(ctx: Context) -> Result:
        points = complexes.size**2
        complex_ns = shipping.per_element_ns(ctx.of(complexes).get("pypy", []), points)
        float_ns = shipping.per_element_ns(ctx.of(floats).get("pypy", []), floats.size**2)
        why = ""
        if complex_ns and float_ns:
            why = (
                f"{complex_ns:.0f} ns per complex128 element against {float_ns:.0f} ns per "
                "float64 element (complex rows are read whole and handed over as "
                "ComplexPoints, which box each element only when the kernel reads it)"
            )
        return shipping.shipping_rate(
            complex_target, complexes, ctx.of(complexes).get("pypy", []), "h2d", why=why
        )

    found.append(
        Benchmark(
            complex_target,
            complex_verdict,
            (Need(complexes, ("pypy",)), Need(floats, ("pypy",))),
        )
    )
    return found


#: Why a whole-array formulation costs more than numba_cpu's loop, given with a miss.
FORMULATIONS = {
    "julia": (
        "the vectorised formulation makes about ten passes, each one library call, over "
        "each cache-sized chunk of the points still iterating at every step; numba_cpu "
        "keeps each point in registers for all its iterations"
    ),
    "diffusion": (
        "the vectorised formulation makes six (NumPy) or five (torch) passes over each band "
        "of the grid per step, each one library call; numba_cpu computes a cell in one pass"
    ),
}


def _libraries(p: Plan) -> list[Benchmark]:
    return [
        _relative(
            f"library.{backend}_{case.kernel}",
            f"{backend} no slower than 3x numba_cpu on {case.kernel}",
            3.0,
            case,
            backend,
            "numba_cpu",
            FORMULATIONS[case.kernel],
        )
        for case in (p.julia, p.diffusion)
        for backend in ("numpy", "torch_cpu")
    ]


def _loop_overhead(p: Plan, backend: str, kind: str) -> Benchmark:
    target = Target(
        f"harness.loop_{backend}",
        f"timing loop adds under 2 us per repetition ({kind}, empty kernel)",
        2.0,
        "lower",
        "us",
    )

    def evaluate(ctx: Context) -> Result:
        records = ctx.of(p.empty).get(backend, [])
        found = best(records)
        method = "median repetition of a kernel that returns its input, best of the rounds"
        if found is None or found.median_s is None:
            return not_measurable(target, failure(records), method=method)
        figures_ = {"repeats": len(found.samples_s), "min_s": min(found.samples_s)}
        return judge(target, found.median_s * 1e6, method=method, figures=figures_)

    return Benchmark(target, evaluate, (Need(p.empty, (backend,)),))


def _import_benchmarks() -> list[Benchmark]:
    time_target = Target(
        "harness.import_time", "import accel takes under 150 ms", 150.0, "lower", "ms"
    )
    heavy_target = Target(
        "harness.import_heavy",
        "import accel loads no heavy library (numpy, numba, torch, ...)",
        0,
        "lower",
        "modules",
    )
    measured: dict[str, object] = {}

    def cost():
        if "cost" not in measured:
            measured["cost"] = import_cost()
        return measured["cost"]

    def time_verdict(ctx: Context) -> Result:
        found = cost()
        return judge(
            time_target,
            found.seconds * 1e3,
            method=(
                f"median of {found.runs} fresh `python -X importtime -c 'import accel'`: "
                "the cumulative import time of accel, as the interpreter counts it"
            ),
            figures={
                "with_accel_s": found.with_accel_s,
                "bare_s": found.bare_s,
                "importtime_s": list(found.samples_s),
            },
        )

    def heavy_verdict(ctx: Context) -> Result:
        found = cost()
        why = f"loaded {', '.join(found.heavy)}" if found.heavy else ""
        return judge(
            heavy_target,
            len(found.heavy),
            why=why,
            method="sys.modules after import accel in a fresh interpreter",
            figures={"heavy": list(found.heavy)},
        )

    return [Benchmark(time_target, time_verdict), Benchmark(heavy_target, heavy_verdict)]


def _fastest_benchmark() -> Benchmark:
    target = Target(
        "harness.fastest_call",
        "a call through accel.fastest(...) adds under 5 us over calling compute directly",
        5.0,
        "lower",
        "us",
    )

    def evaluate(ctx: Context) -> Result:
        import accel

        if not hasattr(accel, "fastest"):
            return not_measurable(target, "not measurable yet: accel.fastest missing")
        found = fastest_call_cost()
        method = (
            f"timeit, {found.pairs} alternating pairs of {found.calls} calls on a tiny norm "
            f"({found.backend}); median of the differences within a pair"
        )
        return judge(
            target,
            found.added_s * 1e6,
            method=method,
            figures={"least_through_s": found.through_s, "least_direct_s": found.direct_s},
        )

    return Benchmark(target, evaluate)


def _load_benchmarks() -> list[Benchmark]:
    """A parallel backend on a busy machine slows down; it does not collapse (issue 18)."""
    slowdown = Target(
        "load.torch_cpu_slowdown",
        f"torch_cpu on julia S with {load.SPINNERS} spinning processes takes at most 3x "
        "its quiet time",
        3.0,
        "lower",
        "x",
    )
    against_python = Target(
        "load.torch_cpu_vs_python",
        f"torch_cpu on julia S with {load.SPINNERS} spinning processes stays faster than "
        "python under the same load",
        1.0,
        "lower",
        "x",
    )
    measured: dict[str, load.LoadFigures] = {}

    def figures_() -> load.LoadFigures:
        if "load" not in measured:
            measured["load"] = load.measure_load()
        return measured["load"]

    def verdict(target: Target, value: float | None, found: load.LoadFigures) -> Result:
        method = (
            f"best of {found.rounds} rounds each: torch_cpu quiet, then torch_cpu and python "
            f"while {load.SPINNERS} processes spin (benchmarks/load.py)"
        )
        if value is None:
            return not_measurable(target, "a run failed", method=method)
        figures = {
            name: record.median_s
            for name, record in (
                ("torch_quiet_s", found.quiet),
                ("torch_loaded_s", found.loaded),
                ("python_loaded_s", found.python_loaded),
            )
            if record is not None
        }
        why = "" if found.loaded.disturbed is None else f"loaded run: {found.loaded.disturbed}"
        return judge(target, value, method=method, figures=figures, why=why)

    return [
        Benchmark(slowdown, lambda ctx: verdict(slowdown, figures_().slowdown, figures_())),
        Benchmark(
            against_python,
            lambda ctx: verdict(against_python, figures_().against_python, figures_()),
        ),
    ]


def _gpu(p: Plan) -> list[Benchmark]:
    found = []
    for backend, pinned in ((b, pinned) for pinned in (False, True) for b in GPU_BACKENDS):
        kind = "pinned" if pinned else "pageable"
        target = Target(
            f"gpu.h2d_{kind}_{backend}",
            f"{backend} host-to-device copies from {kind} memory within 90% of the probe's "
            f"{kind} rate",
            0.90,
            "higher",
            "",
        )
        case = replace(p.norm_memory, pinned=pinned)
        found.append(
            Benchmark(
                target,
                lambda ctx, t=target, b=backend, c=case: gpu.h2d_fraction(
                    t, c, ctx.of(c).get(b, []), ctx.roofs or Roofs(cores=1)
                ),
                (Need(case, (backend,)),),
                roofs=True,
                gpu=True,
            )
        )
    for kernel, case, quantity in (
        ("diffusion", p.diffusion_memory, "bytes"),
        ("norm", p.norm_memory, "bytes"),
        ("matmul", p.matmul, "flops"),
    ):
        roof_name = "memory bandwidth" if quantity == "bytes" else "float64 peak"
        target = Target(
            f"gpu.{'bandwidth' if quantity == 'bytes' else 'peak'}_{kernel}",
            f"{kernel} on the best GPU backend at >= 70% of the device's {roof_name}",
            0.70,
            "higher",
            "",
        )

        def evaluate(ctx: Context, t=target, c=case, q=quantity, n=roof_name) -> Result:
            roofs = ctx.roofs or Roofs(cores=1)
            roof = roofs.gpu_memory_gbs if q == "bytes" else roofs.gpu_peak_gflops
            return figures.roof_fraction(
                t,
                c,
                ctx.of(c),
                GPU_BACKENDS,
                roof=roof,
                roof_reason=roofs.reasons.get(
                    "gpu_memory" if q == "bytes" else "gpu_peak", "no device roof"
                ),
                quantity=q,
                roof_label=f"the device's {n}",
            )

        found.append(Benchmark(target, evaluate, (Need(case, GPU_BACKENDS),), roofs=True, gpu=True))
    return found


def catalogue(p: Plan) -> list[Benchmark]:
    """Every target of issue 10, in report order."""
    return [
        _loop_overhead(p, "numpy", "in-process CPU backend"),
        _loop_overhead(p, "pypy", "PyPy process, timed inside PyPy"),
        *_import_benchmarks(),
        _fastest_benchmark(),
        *_numba_vs_c(p),
        *_parallel(p),
        *_roofs(p),
        *_pypy(p),
        *_libraries(p),
        *_load_benchmarks(),
        *_gpu(p),
    ]


def select(benchmarks: Sequence[Benchmark], only: Sequence[str]) -> list[Benchmark]:
    """The benchmarks named in ``only`` (target names or groups); all when empty.

    Raises ``accel.UsageError`` for a name that matches nothing, listing the valid ones.
    """
    from accel.errors import UsageError

    if not only:
        return list(benchmarks)
    known = {b.target.name for b in benchmarks} | {b.target.group for b in benchmarks}
    unknown = [name for name in only if name not in known]
    if unknown:
        raise UsageError(f"unknown target {unknown[0]!r}; choose from: {', '.join(sorted(known))}")
    return [b for b in benchmarks if b.target.name in only or b.target.group in only]
