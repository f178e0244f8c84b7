"""Which machine a run belongs to, and when a stored run is *the same run* as one asked for.

Two things make a run's identity, and this module is the only place that decides either:

* the **machine fingerprint** (:func:`machine_fingerprint`): a hash of the hardware
  report's performance-relevant fields (CPU, caches, SIMD, memory, GPUs and their
  driver); no library versions, so installing a library does not make a new machine;
* the **run key** (:class:`RunKey`): machine, kernel and its version, backend and the
  named variant of its implementation ('' for the backend's own), size,
  dtype, threads, parameters, seed, and the versions of accel, Python and the
  backend's own libraries (:func:`key_versions`). Resume (``--resume``), selection
  (``accel.fastest``) and the store reader all ask :meth:`RunKey.matches`; a change in
  any part of the key and a stored run no longer stands for a new one.

>>> key = RunKey.of_run("julia", "numpy", size=200, dtype="complex128", threads=2)  # doctest: +SKIP
>>> [run.id for run in matching_runs(store, key)]                       # doctest: +SKIP
[41, 12]
"""

from __future__ import annotations

import functools
import platform
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import __version__
from .record import RunRecord

if TYPE_CHECKING:
    from .store import Store, StoredRun


def machine_fingerprint() -> str:
    """This machine's hardware fingerprint, or '' where the probe cannot give one."""
    try:
        from .hardware import fingerprint
    except ImportError:
        return ""
    try:
        return str(fingerprint())
    except Exception:
        return ""


@functools.lru_cache(maxsize=1)
def machine_report() -> dict[str, Any]:
    """This machine's full hardware report (probed once per process), as the store keeps it."""
    from .hardware import probe

    return probe().to_dict()


def key_versions(backend: str) -> dict[str, str]:
    """The versions a stored run of ``backend`` must share with this process to count."""
    from .backends import get_backend
    from .backends.base import distribution_versions

    versions = {"accel": __version__, "python": platform.python_version()}
    versions.update(distribution_versions(*get_backend(backend).libraries))
    return versions


@dataclass(frozen=True)
class RunKey:
    """What a stored run must share with a run asked for now to stand for it.

    ``params=None`` means the kernel's own parameters for the stored run's size
    (what a run asked for by size alone gets); ``size=None`` matches every size (a
    sweep's curve); ``seed=None`` any seed. ``versions`` are those of
    :func:`key_versions`: a stored run must have each of them, at that value.
    ``variant`` '' is the backend's own implementation: a run of a named variant never
    stands for it, nor it for a variant.
    """

    machine: str
    kernel: str
    kernel_version: str
    backend: str
    dtype: str
    threads: int | None
    versions: Mapping[str, str] = field(default_factory=dict)
    size: int | None = None
    params: Mapping[str, Any] | None = None
    seed: int | None = None
    variant: str = ""

    def columns(self) -> dict[str, Any]:
        """The parts of the key the store indexes: filters for :meth:`Store.runs`."""
        return {
            "machine": self.machine or None,
            "kernel": self.kernel,
            "kernel_version": self.kernel_version,
            "backend": self.backend,
            "dtype": self.dtype,
            "threads": self.threads,
            "size": self.size,
        }

    def matches(
        self, record: RunRecord, kernel_version: str, own: Mapping[str, Any] | None = None
    ) -> bool:
        """Whether ``record`` (stored with ``kernel_version``) is a run of this key.

        ``own``: the kernel's parameters at the record's size, where the caller has
        them already (else they are looked up when the key asks for them).
        """
        params = self.params
        if params is None:
            params = own if own is not None else _own_params(self.kernel, record.size)
        return (
            record.machine == self.machine
            and record.kernel == self.kernel
            and kernel_version == self.kernel_version
            and record.backend == self.backend
            and record.variant == self.variant
            and record.dtype == self.dtype
            and record.threads == self.threads
            and (self.size is None or record.size == self.size)
            and (self.seed is None or record.seed == self.seed)
            and record.params == dict(params)
            and all(record.versions.get(name) == value for name, value in self.versions.items())
        )


def matching_runs(store: Store, key: RunKey) -> list[StoredRun]:
    """The runs in ``store`` that are runs of ``key``, newest first."""
    own: dict[int, dict[str, Any]] = {}  # the kernel's parameters, looked up once per size
    found = []
    for run in store.runs(**key.columns()):
        size = run.record.size
        if key.params is None and size not in own:
            own[size] = _own_params(key.kernel, size)
        if key.matches(run.record, run.kernel_version, own.get(size)):
            found.append(run)
    return found


def _own_params(kernel: str, size: int) -> dict[str, Any]:
    from .kernels import get_kernel

    return get_kernel(kernel).params_for(size)


def latest_by_size(
    store: Store, key: RunKey, *, prefer_clean: bool = False
) -> dict[int, StoredRun]:
    """The newest run of ``key`` at each size (one size where the key names it).

    ``prefer_clean``: where the newest run finished ok but was disturbed (other work took
    its CPUs), the newest ok run that was not disturbed stands in for it, if there is one.
    """
    latest: dict[int, StoredRun] = {}
    for run in matching_runs(store, key):  # newest first
        kept = latest.setdefault(run.record.size, run)
        if (
            prefer_clean
            and kept.record.ok
            and kept.record.disturbed
            and run.record.ok
            and not run.record.disturbed
        ):
            latest[run.record.size] = run
    return latest
