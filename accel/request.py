"""A run request: one kernel on one backend at one size, checked once, in one place.

:class:`RunRequest` validates and completes itself when it is built (``__post_init__``):
a request that exists is runnable as far as this process can tell. Its fields *are*
the run options: the Python API's keywords (``accel.run(kernel, backend, **options)``)
and the CLI's measuring options (``cli/options.py``) are both read from them.

Adding a run option is a one-place change: add a field to :class:`RunRequest` with
:func:`option` (its default, the ``--flag``'s help and argparse type, whether the
worker receives it in its spec and whether records made here carry it), and check it
in :meth:`RunRequest._check` if it needs more than its type. The CLI then offers
``--the-option``, ``accel.run(..., the_option=...)`` takes it, and ``spec()`` hands it
to the worker.

>>> request = make_request("julia", "numpy", preset="S", repeats=5)   # doctest: +SKIP
>>> request.size, request.policy
(200, {'repeats': 5})
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from .backends import BACKEND_NAMES
from .counters import COUNTER_SOURCES, DEFAULT_EVENTS, parse_events
from .errors import UsageError, choose, positive_seconds, whole_number
from .identity import RunKey, key_versions, machine_fingerprint
from .kernels import KernelSpec, UnknownKernelError, checked, get_kernel
from .record import RunRecord, run_label
from .ship import kernel_payload
from .threads import usable_cpus

DEFAULT_TIMEOUT_S = 600.0
#: Smallest --memory-limit: a worker (CPython with NumPy) needs about 150 MiB of address
#: space to start; below 64 MiB not even the interpreter can.
MIN_MEMORY_LIMIT = 64 * 2**20


def option(
    default: Any = None,
    *,
    help: str = "",
    cli: Mapping[str, Any] | None = None,
    worker: bool = False,
    record: bool = False,
) -> Any:
    """A run option field: ``help`` and ``cli`` (argparse keywords) make its ``--flag``
    (none without ``help``); ``worker``: sent to the worker in the spec; ``record``:
    kept by records made here for runs that never started."""
    metadata = {"help": help, "cli": dict(cli or {}), "worker": worker, "record": record}
    if isinstance(default, (dict, list)):
        return field(default_factory=lambda: type(default)(default), metadata=metadata)
    return field(default=default, metadata=metadata)


_MEMORY_SIZE = re.compile(r"(\d+(?:\.\d*)?)\s*([KMGT]?)(?:i?B)?", re.IGNORECASE)


def memory_size(text: str) -> int:
    """``"2G"``, ``"512MiB"``, ``"1.5g"`` or plain bytes -> bytes (units are powers of 1024)."""
    import argparse

    match = _MEMORY_SIZE.fullmatch(text.strip())
    if match is None or float(match.group(1)) <= 0:
        raise argparse.ArgumentTypeError(f"expected a memory size such as 512M or 2G, got {text!r}")
    number, unit = match.groups()
    return max(1, int(float(number) * 1024 ** " KMGT".index(unit.upper() or " ")))


@dataclass(frozen=True)
class RunRequest:
    """A validated description of one run, ready to hand to a worker.

    Built with every option left out or None, it completes itself: size and
    parameters from ``preset`` (default ``S``), the kernel's own dtype for an alias,
    threads from the usable CPUs, counters on when ``events`` are named. Bad values
    raise :class:`UsageError` with the message the CLI prints.
    """

    kernel: str = option(worker=True, record=True)
    backend: str = option(worker=True, record=True)
    #: A named variant of the backend's implementation ('': the backend's own).
    variant: str | None = option(
        help="a named variant of the backend's implementation, such as diffusion's "
        "numpy_roll on numpy (see 'accel kernels'); compare, sweep and counters take "
        "several, comma-separated, and measure each beside its backend's own",
        worker=True,
        record=True,
    )
    size: int | None = option(
        help="problem size (see 'accel kernels')", cli={"type": int}, worker=True, record=True
    )
    preset: str | None = option(help="a named size: S, M, L or book (default S)")
    dtype: str | None = option(
        help="data type (default: the kernel's first, see 'accel kernels')",
        worker=True,
        record=True,
    )
    threads: int | None = option(
        help="threads for parallel backends (default: usable CPUs)",
        cli={"type": int},
        worker=True,
        record=True,
    )
    repeats: int | None = option(
        help="timed repetitions (default: enough for --min-time)", cli={"type": int}
    )
    min_time: float | None = option(
        help="seconds of timed repetitions to aim for (default 0.5)", cli={"type": float}
    )
    seed: int = option(
        0, help="seed for random inputs (default 0)", cli={"type": int}, worker=True, record=True
    )
    params: dict[str, Any] = option({}, worker=True, record=True)
    timeout: float = option(
        DEFAULT_TIMEOUT_S, help="seconds before a run is killed", cli={"type": float}
    )
    pinned: bool = option(
        False,
        help="GPU backends: stage host data in pinned (page-locked) memory; the record says so",
        cli={"action": "store_true"},
        worker=True,
    )
    counters: bool | None = option(
        help="counters over the timed repetitions only, from perf or valgrind's cache "
        "simulator (see --counter-source; default: off for run; on for compare's CPU "
        "backends from perf alone, off for its GPU backends, whose counts are host-side; "
        "--counters also uses the simulator and shows the counter view)",
        cli={"action": "boolean_optional"},
    )
    #: auto (perf where a hardware event counts, else the cache simulator), perf, simulated.
    counter_source: str | None = option(
        help="where counts come from: perf, simulated (a second run of each worker under "
        "valgrind's cache simulator, this machine's cache sizes) or auto (default: perf "
        "where it counts hardware events here, else simulated); implies --counters",
        cli={"choices": COUNTER_SOURCES},
    )
    events: tuple[str, ...] | str | None = option(
        help=f"comma-separated perf events to count (default {','.join(DEFAULT_EVENTS)})"
    )
    #: Bytes of address space the worker may use (RLIMIT_AS); None: no limit.
    memory_limit: int | None = option(
        help="address space each worker may use, e.g. 2G or 512M: an allocation past it "
        "fails the run with MemoryError (CPU backends; default: no limit)",
        cli={"type": memory_size, "metavar": "SIZE"},
        worker=True,
    )

    def __post_init__(self) -> None:
        for name, value in self._check().items():
            object.__setattr__(self, name, value)

    def _check(self) -> dict[str, Any]:
        """Every option checked and completed; the values that change."""
        self._check_types()
        spec = resolve_kernel(self.kernel)
        if self.backend not in BACKEND_NAMES:
            raise choose("backend", self.backend, BACKEND_NAMES)
        variant = self.variant or ""
        if variant and variant_backend(spec, variant) != self.backend:
            raise UsageError(
                f"variant {variant!r} of {spec.name} runs on {spec.variants[variant]}, not on "
                f"{self.backend}; {spec.name}'s variants: {variants_named(spec)}"
            )
        size, params = resolve_size(spec, self.size, self.preset)
        params = {**params, **(self.params or {})}
        dtype = spec.resolve_dtype(self.dtype or spec.default_dtype)
        if dtype not in spec.dtypes:
            raise choose(f"dtype for {spec.name}", dtype, [*spec.dtypes, *spec.dtype_aliases])
        threads = usable_cpus() if self.threads is None else self.threads
        whole_number("threads", threads)
        ceiling = thread_ceiling()
        if ceiling is not None and threads > ceiling:
            raise UsageError(
                f"threads must be at most {ceiling}, as many as one user may run at once here "
                f"(ulimit -u, kernel.threads-max), got {threads}"
            )
        if self.repeats is not None:
            whole_number("repeats", self.repeats)
        min_time = self.min_time
        if min_time is not None:
            min_time = positive_seconds("min-time", min_time)
        timeout = positive_seconds("timeout", self.timeout)
        whole_number("seed", self.seed, 0)
        if self.memory_limit is not None:
            whole_number("memory limit", self.memory_limit, phrase="a positive number of bytes")
            if self.memory_limit < MIN_MEMORY_LIMIT:
                raise UsageError(
                    f"memory limit must be at least {MIN_MEMORY_LIMIT // 2**20} MiB: below that "
                    "the worker itself (Python and NumPy) cannot start; got "
                    f"{self.memory_limit:,} bytes"
                )
        source = "auto" if self.counter_source is None else self.counter_source
        if source not in COUNTER_SOURCES:
            raise choose("counter source", str(source), list(COUNTER_SOURCES))
        refuse_beyond_memory(spec, size, dtype, params)
        asked = self.events is not None or self.counter_source is not None
        return {
            "kernel": spec.name,
            "variant": variant,
            "size": size,
            "params": params,
            "dtype": dtype,
            "threads": threads,
            "min_time": min_time,
            "timeout": timeout,
            "pinned": bool(self.pinned),
            "counters": bool(self.counters) or (self.counters is None and asked),
            "counter_source": source,
            "events": parse_events(self.events),
        }

    def _check_types(self) -> None:
        """Options of the wrong type (from the Python API) as UsageError, not TypeError."""
        if not isinstance(self.kernel, str | KernelSpec):  # a name, or an accel.Kernel
            raise UsageError(f"kernel must be a name (text) or a kernel, got {self.kernel!r:.60}")
        for name in ("backend", "variant", "preset", "dtype", "counter_source"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise UsageError(f"{name} must be a name (text), got {value!r:.60}")
        for name in ("counters", "pinned"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, bool):
                raise UsageError(f"{name} must be True or False, got {value!r:.60}")
        events = self.events
        if events is not None and not (
            isinstance(events, str)
            or (isinstance(events, (list, tuple)) and all(isinstance(e, str) for e in events))
        ):
            raise UsageError(f"events must be text or a list of names, got {events!r:.60}")
        params = self.params
        if params is not None and not (
            isinstance(params, dict) and all(isinstance(k, str) for k in params)
        ):
            raise UsageError(f"params must map parameter names to values, got {params!r:.60}")

    @property
    def policy(self) -> dict[str, Any]:
        """The worker's repetition policy: repeats and min_time where given."""
        policy: dict[str, Any] = {}
        if self.repeats is not None:
            policy["repeats"] = self.repeats
        if self.min_time is not None:
            policy["min_time"] = self.min_time
        return policy

    @property
    def label(self) -> str:
        """What views call this run: its backend, and its variant where it names one."""
        return run_label(self.backend, self.variant)

    def _marked(self, mark: str) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.metadata.get(mark)}

    def spec(self) -> dict[str, Any]:
        """What the worker is told: every option marked ``worker``, the policy, the machine."""
        return {
            **self._marked("worker"),
            "policy": self.policy,
            "machine": machine_fingerprint(),
            "kernel_payload": kernel_payload(self.kernel),
        }

    def record(self, status: str, reason: str, **extra: Any) -> RunRecord:
        """A record for a run that never produced its own (unavailable, crashed, hung).

        It carries the versions the run key is made of, so that it is found as this
        run's outcome (a backend unavailable here stays so until a library changes).
        """
        return RunRecord(
            **self._marked("record"),
            status=status,  # type: ignore[arg-type]
            reason=reason,
            machine=machine_fingerprint(),
            versions=key_versions(self.backend),
            **extra,
        )

    def key(self) -> RunKey:
        """The run key of this request: what a stored run must share to stand for it."""
        return RunKey(
            machine=machine_fingerprint(),
            kernel=self.kernel,
            kernel_version=get_kernel(self.kernel)
            .with_variant(self.variant)
            .version_for(self.backend),
            backend=self.backend,
            variant=self.variant,
            dtype=str(self.dtype),
            threads=self.threads,
            versions=key_versions(self.backend),
            size=self.size,
            params=dict(self.params),
            seed=self.seed,
        )

    def replace(self, **changes: Any) -> RunRequest:
        """A copy with ``changes``, checked again."""
        return dataclasses.replace(self, **changes)


def run_options() -> Iterator[dataclasses.Field]:
    """The run options a user sets (the CLI's measuring options, the API's keywords)."""
    return (f for f in fields(RunRequest) if f.name not in ("kernel", "backend"))


def cli_options() -> Iterator[dataclasses.Field]:
    """The run options that have a ``--flag`` on the command line."""
    return (f for f in run_options() if f.metadata["help"])


def make_request(kernel: str, backend: str, **options: Any) -> RunRequest:
    """Check every option against the registries and return a runnable request.

    The options are :class:`RunRequest`'s fields: ``variant``, ``size`` or ``preset``, ``dtype``,
    ``threads``, ``repeats``, ``min_time``, ``seed``, ``params``, ``timeout``,
    ``pinned``, ``counters``, ``counter_source``, ``events`` and ``memory_limit``.
    ``counters`` asks for counters over the timed repetitions (naming ``events`` or
    ``counter_source`` asks for them too, unless ``counters`` is False);
    ``counter_source`` is ``auto`` (default: perf where a hardware event counts here,
    else valgrind's cache simulator), ``perf`` or ``simulated``. ``dtype`` may be an
    alias (``float32``) of the kernel's own. A size whose estimated memory exceeds what
    this machine has available is refused before any worker starts. An unknown option
    is a TypeError.
    """
    known = {f.name for f in run_options()}
    unknown = sorted(set(options) - known)
    if unknown:
        raise TypeError(
            f"unknown run option {unknown[0]!r}; the options are: {', '.join(sorted(known))}"
        )
    return RunRequest(kernel, backend, **options)


def thread_ceiling() -> int | None:
    """The most threads one user may run at once here (ulimit -u, kernel.threads-max)."""
    import resource

    limits = []
    soft, _ = resource.getrlimit(resource.RLIMIT_NPROC)
    if soft != resource.RLIM_INFINITY:
        limits.append(soft)
    try:
        with open("/proc/sys/kernel/threads-max") as handle:
            limits.append(int(handle.read()))
    except (OSError, ValueError):
        pass
    return min(limits, default=None)


def resolve_kernel(name: str | KernelSpec) -> KernelSpec:
    """The kernel called ``name`` (or that kernel object), its definition checked and, for
    one defined in this process, its ability to travel to a worker; UsageError (with the
    choices, or what to fix) for an unknown or broken one."""
    try:
        kernel = checked(get_kernel(name))
        kernel_payload(kernel.name)
    except UnknownKernelError as exc:  # KernelDefinitionError too: one line, what to fix
        raise UsageError(str(exc)) from None
    return kernel


def variant_backend(kernel: KernelSpec, variant: str) -> str:
    """The backend ``variant`` of ``kernel`` runs on; UsageError naming the valid ones."""
    if not kernel.variants:
        raise UsageError(
            f"{kernel.name} has no named variants (see 'accel kernels'); got {variant!r}"
        )
    if variant not in kernel.variants:
        raise UsageError(
            f"unknown variant of {kernel.name} {variant!r}; choose one of: {variants_named(kernel)}"
        )
    return kernel.variants[variant]


def variants_named(kernel: KernelSpec) -> str:
    """``"numpy_roll (numpy), torch_graph (torch_cuda)"``: each variant with its backend."""
    named = [f"{name} ({backend})" for name, backend in kernel.variants.items()]
    return ", ".join(named) or "none"


def resolve_size(kernel: KernelSpec, size: int | None, preset: str | None) -> tuple[int, dict]:
    """The size and parameters for a run from an explicit size or a preset (default ``S``)."""
    if size is not None:
        whole_number("size", size, phrase="a positive whole number")
        return size, kernel.params_for(size)
    name = preset or "S"
    if name not in kernel.presets:
        raise choose(f"preset for {kernel.name}", name, list(kernel.presets))
    chosen = kernel.presets[name]
    return chosen.size, dict(chosen.params)


def refuse_beyond_memory(kernel: KernelSpec, size: int, dtype: str, params: dict) -> None:
    """Raise UsageError when a run would need more memory than this machine has available.

    Uses the kernel's ``memory_bytes`` estimate (kernels without one are not checked),
    so an absurd size is refused before anything is allocated.
    """
    if kernel.memory_bytes is None:
        return
    try:
        needed = kernel.memory_bytes(size, dtype, **params)
    except (TypeError, ValueError):  # parameters the kernel will refuse itself, in the worker
        return
    import psutil

    available = psutil.virtual_memory().available
    if needed > available:
        raise UsageError(
            f"size {size} of {kernel.name} needs about {needed / 2**30:,.1f} GiB; "
            f"this machine has {available / 2**30:,.1f} GiB available"
        )


#: One run asked for: kernel, backend and its run options (size included).
Job = tuple[str, str, dict[str, Any]]


def jobs_for(
    kernel: str,
    backends: Sequence[str] | None,
    sizes: Sequence[int | None] = (None,),
    per_backend: Callable[[str], Mapping[str, Any]] | None = None,
    **options: Any,
) -> list[Job]:
    """What :func:`requests_for` builds, before it is checked: for a machine that checks
    them itself (a fleet machine builds its own requests, :mod:`accel.fleet`). A
    ``variant`` in ``options`` (a name, several separated by commas, or a list) is
    measured beside its backend's own implementation."""
    names = list(BACKEND_NAMES) if backends is None else list(backends)
    if not names:
        raise UsageError("backends must name at least one backend (see 'accel backends')")
    beside = _variants_beside(kernel, names, options.pop("variant", None))
    jobs = []
    for size in sizes:
        at_size = options if size is None else {**options, "size": size}
        for name in names:
            own = per_backend(name) if per_backend is not None else {}
            jobs.append((kernel, name, {**at_size, **own}))
            for variant in beside.get(name, []):  # beside its backend's own implementation
                jobs.append((kernel, name, {**at_size, **own, "variant": variant}))
    return jobs


def _variants_beside(
    kernel: str | KernelSpec, backends: list[str], named: str | Sequence[str] | None
) -> dict[str, list[str]]:
    """Backend -> the variants named to run beside it; UsageError for a variant that is
    unknown or whose backend is not among ``backends``."""
    if isinstance(named, str):
        named = [item.strip() for item in named.split(",")]
    if named is not None and not (
        isinstance(named, (list, tuple)) and all(isinstance(v, str) for v in named)
    ):
        raise UsageError(f"variant must be a name (text) or a list of names, got {named!r:.60}")
    wanted = [item for item in dict.fromkeys(named or ()) if item]
    if not wanted:
        return {}
    spec = resolve_kernel(kernel)
    beside: dict[str, list[str]] = {}
    for variant in wanted:
        backend = variant_backend(spec, variant)
        if backend not in backends:
            raise UsageError(
                f"variant {variant!r} runs on {backend}, which is not among the backends "
                f"({', '.join(backends)}): add it to them"
            )
        beside.setdefault(backend, []).append(variant)
    return beside


def requests_for(
    kernel: str,
    backends: Sequence[str] | None,
    sizes: Sequence[int | None] = (None,),
    per_backend: Callable[[str], Mapping[str, Any]] | None = None,
    **options: Any,
) -> list[RunRequest]:
    """One checked request per size and backend (size-major), every one built before any
    runs, so that a bad name or size fails at once. ``None`` as a size: the size or
    preset in ``options``; ``backends=None``: every backend; ``per_backend(name)``:
    options that differ between backends."""
    jobs = jobs_for(kernel, backends, sizes, per_backend, **options)
    return [make_request(kernel, name, **job_options) for kernel, name, job_options in jobs]
