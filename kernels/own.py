"""Your own kernel, defined where your code lives: ``accel.Kernel`` and ``@kernel.implements``.

>>> import numpy as np, accel
>>> movavg = accel.Kernel("movavg", inputs=lambda size, seed=0: {
...     "x": np.random.default_rng(seed).random(size), "w": 16})
>>> @movavg.implements("python", "pypy", "numba_cpu")
... def loop(x, w):
...     out = [0.0] * (len(x) - w + 1)
...     for i in range(len(out)):
...         s = 0.0
...         for j in range(w):
...             s += x[i + j]
...         out[i] = s / w
...     return out
>>> best = accel.fastest(movavg, size=100_000)        # doctest: +SKIP

A :class:`Kernel` is a :class:`~accel.kernels.KernelSpec` like the catalogue's, so every
command and the store treat it alike. What it adds:

* **one source, several backends**: a plain-Python function serves ``python`` as it
  is, ``pypy`` as source shipped to the PyPy process, ``numba_cpu`` compiled by
  ``numba.njit`` (``numba_parallel`` with ``parallel=True``, only when named); a
  function written against the array API (``array_api_compat.array_namespace``) serves
  ``numpy``, ``torch_cpu``, ``cupy`` and ``torch_cuda`` (the name ``array_api`` means
  those four). :meth:`Kernel.derivation` says how a backend's code was derived;
* **a reference and a check**: by default the first implementation registered, run
  in the worker on the host inputs, and :func:`numpy.allclose` with ``rtol``/``atol``;
  or a ``reference`` function, and a ``check(output, expected)`` returning a bool,
  ``(bool, detail)`` or a Verdict. ``None``, a wrong shape, different values and
  changed inputs make the run ``invalid``;
* **a version from code**: a digest of the inputs, reference and check functions'
  source and, per backend, the implementation's (:mod:`accel.kernels._source`).

Mistakes in a definition raise :class:`~accel.kernels.KernelDefinitionError` when the
kernel is defined (unknown backend, a catalogue name, source PyPy cannot get) or first
used (:meth:`Kernel.validate`: inputs that do not fit an implementation's parameters).
"""

from __future__ import annotations

import hashlib
import inspect
import os
import tempfile
import types
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from . import (
    KERNEL_NAMES,
    STANDARD_IMPLEMENTATIONS,
    Inputs,
    KernelDefinitionError,
    KernelSpec,
    Preset,
    Verdict,
    Work,
    define,
)
from ._reference_cache import cached_array
from ._source import digest, function_source, function_text, global_names

#: Backend names a user kernel may name: every backend accel has.
BACKENDS: tuple[str, ...] = tuple(STANDARD_IMPLEMENTATIONS)
#: Group names that stand for several backends.
GROUPS: Mapping[str, tuple[str, ...]] = {
    "array_api": ("numpy", "torch_cpu", "cupy", "torch_cuda"),
}
#: Backends whose code accel cannot derive from a Python function.
NOT_DERIVABLE: Mapping[str, str] = {
    "c_native": "C code cannot be derived from a Python function",
    "c_openmp": "C code cannot be derived from a Python function",
    "numba_cuda": "a CUDA kernel cannot be derived from a Python function",
}
#: How each backend runs a registered Python function.
HOW: Mapping[str, str] = {
    "python": "run by CPython",
    "pypy": "its source shipped to the PyPy process",
    "numba_cpu": "compiled by numba.njit",
    "numba_parallel": "compiled by numba.njit(parallel=True)",
    "numpy": "called with NumPy arrays",
    "torch_cpu": "called with torch tensors (array API)",
    "cupy": "called with CuPy arrays (array API)",
    "torch_cuda": "called with CUDA torch tensors (array API)",
}
DEFAULT_PRESETS: Mapping[str, int] = {"S": 1_000, "M": 100_000, "L": 10_000_000}
#: The size at which :meth:`Kernel.validate` builds inputs to check a definition.
VALIDATION_SIZE = 64


def _parameters(function: Callable[..., Any]) -> list[inspect.Parameter]:
    try:
        return list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        return []


class Kernel(KernelSpec):
    """A kernel defined in a few lines: its inputs, then implementations as decorated functions.

    ``inputs(size, seed=0, **params)`` returns the inputs of one call by name (NumPy
    arrays and scalars), deterministic for a seed; it may take ``dtype`` too (then
    ``dtypes`` lists those it accepts, the first the default). ``presets`` maps names
    to sizes (default S, M, L); ``size`` gives the size of the user's own data
    (default: the length of the first array input). ``reference(**inputs)`` gives the
    expected output (default: the first implementation registered); ``check(output,
    expected)`` judges it (default: ``numpy.allclose`` with ``rtol`` and ``atol``).
    ``work(size, **params)`` may give a :class:`~accel.kernels.Work` (flops and bytes of
    one call) for rooflines; without it the kernel has no estimate.
    """

    def __init__(
        self,
        name: str,
        inputs: Callable[..., Inputs],
        *,
        reference: Callable[..., Any] | None = None,
        check: Callable[[Any, Any], Any] | None = None,
        rtol: float = 1e-5,
        atol: float = 1e-8,
        presets: Mapping[str, int | Preset] | None = None,
        dtypes: Sequence[str] | None = None,
        size: Callable[..., int] | None = None,
        description: str = "",
        work: Callable[..., Work] | None = None,
    ) -> None:
        if not isinstance(name, str) or not name.isidentifier():
            raise KernelDefinitionError(
                f"a kernel's name is a Python identifier (letters, digits, _), got {name!r}"
            )
        if name in KERNEL_NAMES:
            raise KernelDefinitionError(
                f"kernel name {name!r} is taken by the catalogue's {name} kernel; choose another"
            )
        if not callable(inputs):
            raise KernelDefinitionError(
                f"{name}: inputs must be a function of size, got {inputs!r}"
            )
        accepted = [p.name for p in _parameters(inputs)]
        if "size" not in accepted:
            raise KernelDefinitionError(
                f"{name}: inputs must take the problem size as a parameter called 'size' "
                f"(it takes {', '.join(accepted) or 'nothing'}), e.g. lambda size, seed=0: {{...}}"
            )
        takes_dtype = "dtype" in accepted
        if dtypes is not None and not takes_dtype and len(dtypes) > 1:
            raise KernelDefinitionError(
                f"{name}: dtypes {list(dtypes)} given, but inputs takes no 'dtype' parameter"
            )
        if not (rtol >= 0 and atol >= 0):
            raise KernelDefinitionError(f"{name}: rtol and atol must be >= 0")
        chosen = DEFAULT_PRESETS if presets is None else presets
        super().__init__(
            name=name,
            title=name,
            description=description or f"your kernel {name} (defined with accel.Kernel)",
            presets={k: v if isinstance(v, Preset) else Preset(int(v)) for k, v in chosen.items()},
            dtypes=tuple(dtypes) if dtypes else ("float64",),
            make_inputs=self._make_inputs,
            reference=self._reference,
            check=self._check,
            work=work or _no_work_estimate,
            implementations={},
            not_applicable={
                **{
                    b: f"no function registered for it (@{name}.implements({b!r}))"
                    for b in BACKENDS
                },
                **NOT_DERIVABLE,
            },
            package="",
        )
        self.inputs = inputs
        self.user_reference = reference
        self.user_check = check
        self.rtol, self.atol = float(rtol), float(atol)
        self.size_of_data = size
        self.takes_dtype = takes_dtype
        self.dtype_given = dtypes is not None
        #: Per backend: the function registered for it, its source text (for the
        #: version) and, for pypy, the source PyPy runs.
        self.functions: dict[str, Callable[..., Any]] = {}
        # Source texts are taken here, where the source is: a worker that receives the
        # kernel by value may have none, and must agree on the version.
        self.texts: dict[str, str] = {
            "inputs": function_text(inputs),
            "reference": function_text(reference) if reference is not None else "",
            "check": function_text(check) if check is not None else "",
        }
        self.sources: dict[str, str] = {}
        #: The first function registered (the default reference) and its source text.
        self.first: tuple[Callable[..., Any], str] | None = None
        self._derived: dict[str, Any] = {}
        self._made: dict[int, str] = {}
        self._validated = False
        define(self)

    # -- defining ------------------------------------------------------------------

    def implements(self, *backends: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Register the decorated function as this kernel's code on ``backends``.

        The function takes the inputs by name and returns the output; it is returned
        unchanged, so it can still be called directly. A backend named twice takes the
        latest function.
        """
        if not backends:
            raise KernelDefinitionError(
                f"{self.name}: implements() needs at least one backend, e.g. "
                f"@{self.name}.implements('python', 'numba_cpu')"
            )
        names: list[str] = []
        for backend in backends:
            if backend in GROUPS:
                names.extend(GROUPS[backend])
            elif backend in NOT_DERIVABLE:
                raise KernelDefinitionError(
                    f"{self.name}: {backend} cannot run a Python function "
                    f"({NOT_DERIVABLE[backend]}); use a catalogue-style kernel package "
                    "for it (see docs/kernels.md)"
                )
            elif backend in BACKENDS:
                names.append(backend)
            else:
                import difflib

                near = difflib.get_close_matches(backend, [*BACKENDS, *GROUPS], n=1)
                hint = f" (did you mean {near[0]!r}?)" if near else ""
                raise KernelDefinitionError(
                    f"{self.name}: unknown backend {backend!r}{hint}; choose from: "
                    f"{', '.join(b for b in BACKENDS if b not in NOT_DERIVABLE)}, "
                    f"or {', '.join(GROUPS)}"
                )

        def register(function: Callable[..., Any]) -> Callable[..., Any]:
            if not callable(function):
                raise KernelDefinitionError(f"{self.name}: implements() decorates a function")
            plain = getattr(function, "py_func", function)  # already a numba dispatcher
            label = getattr(plain, "__name__", "implementation")
            source = _pypy_source(self.name, plain) if "pypy" in names else None
            text = function_text(function)
            if self.first is None:
                self.first = (function, text)
            for backend in names:
                self.implementations[backend] = label  # type: ignore[index]
                self.functions[backend] = function
                self.texts[backend] = text
                if source is not None:
                    self.sources[backend] = source
                self.not_applicable.pop(backend, None)  # type: ignore[attr-defined]
                self._derived.pop(backend, None)
            self._validated = False
            return function

        return register

    # -- what the dispatcher calls ---------------------------------------------------

    @property
    def version(self) -> str:  # type: ignore[override]
        """A digest of the inputs, reference and check functions' source and settings."""
        reference = self.texts["reference"] or (self.first[1] if self.first else "")
        parts = [self.texts["inputs"], reference, self.texts["check"]]
        parts += [repr(sorted(self.presets.items())), repr((self.rtol, self.atol))]
        return digest(*parts)

    def version_for(self, backend: str) -> str:
        """The spec's digest with that of the function serving ``backend`` and how it runs."""
        if backend not in self.implementations:
            return self.version
        return digest(self.version, self.texts[backend], HOW.get(backend, ""))

    def derivation(self, backend: str) -> str:
        """How ``backend`` runs this kernel: ``loop, compiled by numba.njit``; and whether
        the function serves other backends too (derived from one source)."""
        label = self.implementations[backend]
        mine = self.functions[backend]
        shared = sorted(b for b, f in self.functions.items() if f is mine and b != backend)
        text = f"{label}, {HOW.get(backend, 'called as it is')}"
        if shared:
            text += f" (derived: one source with {', '.join(shared)})"
        return text

    def implementation(self, backend: str) -> types.SimpleNamespace:
        """The backend's compute function, derived from the registered function."""
        if backend not in self.implementations:
            reason = self.not_applicable.get(backend, "no implementation registered")
            raise LookupError(f"kernel {self.name!r} has no {backend} implementation: {reason}")
        if backend not in self._derived:
            function = self.functions[backend]
            if backend in ("numba_cpu", "numba_parallel"):
                import numba

                plain = getattr(function, "py_func", function)
                function = numba.njit(plain, parallel=backend == "numba_parallel")
            self._derived[backend] = types.SimpleNamespace(compute=function)
        return self._derived[backend]

    def implementation_path(self, backend: str) -> str:
        """A file of the function's source with ``compute`` bound to it (what PyPy loads)."""
        label = self.implementations[backend]
        source = self.sources.get(backend)
        if source is None:
            raise LookupError(f"{self.name}: no source of {label} was kept for {backend}")
        folder = os.path.join(tempfile.gettempdir(), "accel-kernel-sources")
        os.makedirs(folder, exist_ok=True)
        text = f"{source}\ncompute = {label}\n"
        name = f"{self.name}_{hashlib.sha256(text.encode()).hexdigest()[:12]}.py"
        path = os.path.join(folder, name)
        if not os.path.exists(path):
            fd, partial = tempfile.mkstemp(dir=folder, suffix=".tmp")
            with os.fdopen(fd, "w") as handle:
                handle.write(text)
            os.replace(partial, path)
        return path

    @property
    def default_dtype(self) -> str:
        return self.dtypes[0]

    def _make_inputs(
        self, size: int, dtype: str | None = None, seed: int = 0, **params: Any
    ) -> Inputs:
        accepted = {p.name for p in _parameters(self.inputs)}
        arguments: dict[str, Any] = {"size": size, **params}
        if "seed" in accepted:
            arguments["seed"] = seed
        if self.takes_dtype and dtype is not None:
            arguments["dtype"] = dtype
        made = self.inputs(**arguments)
        if not isinstance(made, Mapping):
            raise KernelDefinitionError(
                f"{self.name}: inputs must return a dict of the implementations' arguments "
                f"by name, got {type(made).__name__}"
            )
        made = dict(made)
        self._made[id(made)] = inputs_digest(made)
        return made

    def _reference(self, inputs: Inputs) -> Any:
        """The expected output for ``inputs``: computed once per machine and cached."""
        import copy

        import numpy as np

        function = self.user_reference or (self.first[0] if self.first else None)
        if function is None:
            raise KernelDefinitionError(f"{self.name} has no implementation to take as reference")
        key = f"own-{self.name}-{self.version}-{inputs_digest(inputs)}"
        return cached_array(key, lambda: np.asarray(function(**copy.deepcopy(inputs))))

    def _check(self, output: Any, inputs: Inputs) -> Verdict:
        """The output against the reference: None, a wrong shape, other values and changed
        inputs all fail, with the reason."""
        import numpy as np

        before = self._made.get(id(inputs))
        if before is not None and inputs_digest(inputs) != before:
            changed = ", ".join(sorted(inputs)) or "its inputs"
            return Verdict(
                False,
                float("inf"),
                f"the implementation changed its inputs ({changed}): every call gets the same "
                "inputs, so a kernel must not write to them (write to a new array)",
            )
        if output is None:
            return Verdict(False, float("inf"), "no output returned (the function returned None)")
        expected = self._reference(inputs)
        if self.user_check is not None:
            return _as_verdict(self.user_check(output, expected))
        try:
            got = np.asarray(output)
        except (TypeError, ValueError) as exc:
            got, problem = None, str(exc)
        if got is None or got.dtype.kind not in "biufc":
            what = problem if got is None else f"{got.dtype} values"
            return Verdict(False, float("inf"), f"output is not an array of numbers ({what})")
        if got.shape != expected.shape:
            return Verdict(
                False, float("inf"), f"output shape {got.shape}, expected {expected.shape}"
            )
        if got.size == 0:
            return Verdict(True, 0.0, "empty output, as the reference's")
        close = np.isclose(got, expected, rtol=self.rtol, atol=self.atol, equal_nan=True)
        wrong = int(close.size - np.count_nonzero(close))
        with np.errstate(invalid="ignore"):
            largest = float(np.nanmax(np.abs(got.astype(complex) - expected.astype(complex))))
        detail = (
            f"{wrong} of {got.size} values differ from the reference beyond rtol={self.rtol:g}, "
            f"atol={self.atol:g}; largest difference {largest:.3g}"
        )
        return Verdict(wrong == 0, largest, detail)

    # -- checking a definition, the user's data --------------------------------------

    def validate(self) -> None:
        """Check the definition as far as it can be without running a worker.

        Raises :class:`KernelDefinitionError` for no implementation, inputs that fail
        at a small size or do not fit an implementation's parameters.
        """
        if self._validated:
            return
        if self.first is None:
            raise KernelDefinitionError(
                f"{self.name} has no implementation: decorate a function with "
                f"@{self.name}.implements('python') (or other backends)"
            )
        size = min([VALIDATION_SIZE, *(p.size for p in self.presets.values())])
        try:
            sample = self._make_inputs(size)
            self._made.pop(id(sample), None)
        except KernelDefinitionError:
            raise
        except Exception as exc:
            raise KernelDefinitionError(
                f"{self.name}: inputs(size={size}) raised {type(exc).__name__}: {exc}"
            ) from None
        for backend, function in self.functions.items():
            label = self.implementations[backend]
            try:
                inspect.signature(getattr(function, "py_func", function)).bind(**sample)
            except TypeError as exc:
                wanted = [p.name for p in _parameters(getattr(function, "py_func", function))]
                raise KernelDefinitionError(
                    f"{self.name}: inputs gives {', '.join(sample)} but {label} takes "
                    f"{', '.join(wanted) or 'nothing'} ({exc}); make their names agree"
                ) from None
        if not self.dtype_given and not self.takes_dtype:
            found = next((v.dtype.name for v in sample.values() if hasattr(v, "dtype")), None)
            if found and found != self.dtypes[0]:
                object.__setattr__(self, "dtypes", (found,))
        self._validated = True

    def data_size(self, data: Mapping[str, Any]) -> int:
        """The size of the user's own inputs: ``size(**data)``, else the length of the
        first array among them."""
        if self.size_of_data is not None:
            return int(self.size_of_data(**data))
        for value in data.values():
            shape = getattr(value, "shape", None)
            if shape:
                return int(shape[0])
            if isinstance(value, list | tuple):
                return len(value)
        raise KernelDefinitionError(
            f"{self.name}: none of {', '.join(data) or 'the given inputs'} is an array to take "
            "the size from; pass size=... or define Kernel(..., size=lambda **inputs: ...)"
        )

    def size_for(self, data: Mapping[str, Any], params: Mapping[str, Any] | None = None) -> int:
        """The size at which ``inputs`` makes inputs like the user's ``data``; what is
        measured at that size stands for the user's data.

        Raises KernelDefinitionError where it would not: other names, another dtype or
        shape of an array, another value of a scalar (make it a parameter of ``inputs``).
        """
        self.validate()
        size = self.data_size(data)
        made = self._make_inputs(size, **dict(params or {}))
        self._made.pop(id(made), None)
        if set(made) != set(data):
            raise KernelDefinitionError(
                f"{self.name} takes the inputs {', '.join(made)}; got {', '.join(data) or 'none'}"
            )
        for name, value in data.items():
            ours = made[name]
            if hasattr(ours, "dtype") and hasattr(ours, "shape"):
                theirs = (getattr(value, "dtype", None), getattr(value, "shape", None))
                if theirs != (ours.dtype, ours.shape):
                    raise KernelDefinitionError(
                        f"{self.name}: your {name} is {theirs[0]} of shape {theirs[1]}, but at "
                        f"size {size} inputs makes {ours.dtype} of shape {ours.shape}; "
                        "measure with data like yours: give inputs a dtype parameter or a "
                        "size function (Kernel(..., size=...))"
                    )
            elif value != ours:
                raise KernelDefinitionError(
                    f"{self.name}: your {name}={value!r}, but inputs makes {name}={ours!r}; "
                    f"make {name} a parameter of inputs (lambda size, seed=0, {name}={ours!r}: "
                    "...) to measure other values"
                )
        return size

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_derived"], state["_made"] = {}, {}  # compiled code and ids stay here
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    __hash__ = object.__hash__

    def __eq__(self, other: object) -> bool:
        return self is other

    def __repr__(self) -> str:
        backends = ", ".join(f"{b}={f}" for b, f in self.implementations.items())
        return f"<accel.Kernel {self.name}: {backends or 'no implementation yet'}>"


def inputs_digest(inputs: Mapping[str, Any]) -> str:
    """A digest of inputs' values (array bytes, shapes and dtypes; scalars' reprs)."""
    hasher = hashlib.sha256()
    for name in sorted(inputs):
        value = inputs[name]
        hasher.update(name.encode())
        if hasattr(value, "tobytes") and hasattr(value, "dtype"):
            hasher.update(f"{value.dtype}{getattr(value, 'shape', '')}".encode())
            hasher.update(value.tobytes())
        else:
            hasher.update(repr(value).encode())
    return hasher.hexdigest()[:24]


def _as_verdict(result: Any) -> Verdict:
    """A user check's answer (bool, (bool, detail) or Verdict) as a Verdict."""
    if isinstance(result, Verdict):
        return result
    if isinstance(result, tuple) and len(result) == 2:
        passed, detail = bool(result[0]), str(result[1])
    else:
        passed, detail = bool(result), "your check " + ("passed" if result else "failed")
    return Verdict(passed, 0.0 if passed else 1.0, detail)


def _pypy_source(kernel: str, function: Callable[..., Any]) -> str:
    """The source PyPy runs for ``function``: imports of the modules it uses, its
    constants, the functions of its module that it calls, then the function itself.

    Raises KernelDefinitionError when the source cannot be had or the function uses a
    global that cannot travel as source.
    """
    lines: list[str] = []
    bodies: list[str] = []
    seen: set[str] = set()
    pending = [function]
    while pending:
        current = pending.pop()
        if current.__name__ in seen:
            continue
        seen.add(current.__name__)
        source = function_source(current)
        if source is None:
            raise KernelDefinitionError(
                f"{kernel}: Python cannot find the source of {current.__name__} (defined in "
                "exec() or an interactive prompt?), and PyPy needs it; define it in a file or "
                "a notebook cell, or leave pypy out of implements()"
            )
        bodies.append(_without_decorators(source))
        for name in global_names(current.__code__):
            if name in current.__globals__ and name not in seen:
                value = current.__globals__[name]
                value = getattr(value, "py_func", value)
                if isinstance(value, types.ModuleType):
                    lines.append(f"import {value.__name__} as {name}")
                elif isinstance(value, bool | int | float | complex | str | bytes | type(None)):
                    lines.append(f"{name} = {value!r}")
                elif inspect.isfunction(value):
                    pending.append(value)
                else:
                    raise KernelDefinitionError(
                        f"{kernel}: {current.__name__} uses the global {name!r} (a "
                        f"{type(value).__name__}), which cannot be sent to PyPy as source; pass "
                        "it as an input, or define it inside the function"
                    )
    return "\n".join([*dict.fromkeys(lines), "", *reversed(bodies)])


def _without_decorators(source: str) -> str:
    """A function's source without its decorator lines (``@movavg.implements(...)``)."""
    import ast

    tree = ast.parse(source)
    node = tree.body[0]
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.decorator_list:
        lines = source.splitlines()
        return "\n".join(lines[node.lineno - 1 :]) + "\n"
    return source


def _no_work_estimate(size: int, **params: Any) -> None:
    """A user kernel's flops and bytes are unknown unless ``Kernel(..., work=...)`` says:
    rooflines and throughput leave it out rather than draw a guess."""
    return None
