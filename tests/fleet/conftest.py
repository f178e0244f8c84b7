"""A real Dask cluster on 127.0.0.1: one scheduler and two workers labelled as two machines.

Every process is started by the fixture (no mocks) and stopped when the module ends;
the workers run without a nanny, so a worker killed by a test stays dead, as a machine
that fails does.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field

import pytest

distributed = pytest.importorskip("distributed", reason="the fleet needs Dask distributed")

LABELS = ("alpha", "beta")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Cluster:
    """The address and the processes of a cluster started for a test module."""

    address: str
    scheduler: subprocess.Popen
    workers: dict[str, subprocess.Popen] = field(default_factory=dict)

    def kill(self, label: str) -> None:
        """SIGKILL the worker of machine ``label`` (with its children: the measuring worker)."""
        process = self.workers[label]
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def stop(self) -> None:
        for process in [*self.workers.values(), self.scheduler]:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


def start_cluster(labels: tuple[str, ...], home: str) -> Cluster:
    """A scheduler and one worker per label, each worker with ACCEL_MACHINE_LABEL set."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    scheduler = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_scheduler"]
        + ["--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
        start_new_session=True,
        **quiet,
    )
    cluster = Cluster(address, scheduler)
    for label in labels:
        env = {**os.environ, "ACCEL_MACHINE_LABEL": label, "ACCEL_HOME": home}
        cluster.workers[label] = subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", address]
            + ["--nthreads", "1", "--no-nanny", "--no-dashboard", "--name", label],
            env=env,
            start_new_session=True,
            **quiet,
        )
    from distributed import Client

    deadline = time.monotonic() + 120
    while True:
        try:
            with Client(address, timeout=10) as client:
                client.wait_for_workers(len(labels), timeout=max(1, deadline - time.monotonic()))
            return cluster
        except (OSError, TimeoutError):
            if time.monotonic() > deadline:
                cluster.stop()
                raise


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory):
    """Two machines, ``alpha`` and ``beta``, on this host."""
    started = start_cluster(LABELS, str(tmp_path_factory.mktemp("fleet-home")))
    yield started
    started.stop()


@pytest.fixture
def cluster_to_break(tmp_path_factory: pytest.TempPathFactory):
    """Two machines of this test's own, for a test that kills one."""
    started = start_cluster(LABELS, str(tmp_path_factory.mktemp("fleet-home")))
    yield started
    started.stop()
