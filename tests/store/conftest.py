"""Fixtures for the store and selection tests: a fresh store path and runs keyed to this machine."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def store_file(tmp_path: Path) -> Path:
    """A store path in a fresh folder (the file does not exist yet)."""
    return tmp_path / "results.sqlite"


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes, to prove a file was left untouched."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def digest():
    return file_digest


@pytest.fixture
def synthetic_run():
    """A factory of run records that selection counts as evidence on this machine now.

    ``synthetic_run("numpy", 200, 0.004)`` is an ok julia run at size 200 whose
    median is exactly 4 ms (every sample equal), with this machine's fingerprint, the
    default thread count, the kernel's default parameters and the current versions.
    ``transfer_s`` adds host-to-device time (so end to end = median + transfer_s).
    """
    from accel.kernels import get_kernel

    from accel.identity import key_versions, machine_fingerprint
    from accel.record import RunRecord, Transfer
    from accel.threads import usable_cpus

    def make(
        backend: str,
        size: int,
        median_s: float,
        *,
        kernel: str = "julia",
        status: str = "ok",
        transfer_s: float | None = None,
        started_at: str = "2026-01-02T03:04:05+00:00",
        **overrides: Any,
    ) -> RunRecord:
        spec = get_kernel(kernel)
        fields: dict[str, Any] = {
            "kernel": kernel,
            "backend": backend,
            "size": size,
            "dtype": spec.default_dtype,
            "status": status,
            "params": spec.params_for(size),
            "threads": usable_cpus(),
            "samples_s": [median_s] * 5,
            "versions": key_versions(backend),
            "machine": machine_fingerprint(),
            "started_at": started_at,
        }
        if transfer_s is not None:
            fields["transfer"] = Transfer(h2d_s=transfer_s, h2d_bytes=1, d2h_s=0.0, d2h_bytes=1)
        fields.update(overrides)
        return RunRecord(**fields)

    return make
