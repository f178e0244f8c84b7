"""--threads sets every pool a backend uses, waiting threads yield, the record says so."""

from __future__ import annotations

import pytest
from accel.hardware.pools import bracketed, read_pools

import accel
from accel.disturbance import busy_cores
from accel.threads import (
    BRIEF_SPIN,
    COUNT_VARIABLES,
    PASSIVE_WAIT,
    describe_pools,
    pool_environment,
)

pytestmark = pytest.mark.slow  # parallel backends in fresh workers


def test_worker_environment_sets_every_pool_and_a_passive_wait() -> None:
    env = pool_environment(3, {"PATH": "/bin"})
    assert all(env[name] == "3" for name in COUNT_VARIABLES)
    assert env["OMP_WAIT_POLICY"] == "passive" and env["GOMP_SPINCOUNT"] == "0"
    assert env["KMP_BLOCKTIME"] == "0" and env["PATH"] == "/bin"
    # a user's own choice of wait policy is kept
    assert pool_environment(3, {"OMP_WAIT_POLICY": "active"})["OMP_WAIT_POLICY"] == "active"


def test_waiting_threads_spin_briefly_only_on_a_quiet_machine() -> None:
    quiet = pool_environment(2, {}, busy_cores=0.1)
    busy = pool_environment(2, {}, busy_cores=1.2)
    assert quiet["GOMP_SPINCOUNT"] == "10000" and quiet["OMP_WAIT_POLICY"] == "passive"
    assert busy["GOMP_SPINCOUNT"] == "0"
    assert pool_environment(2, {"GOMP_SPINCOUNT": "7"}, busy_cores=0.0)["GOMP_SPINCOUNT"] == "7"


def test_busy_cores_sees_a_spinning_process() -> None:
    import subprocess
    import sys

    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"], start_new_session=True)
    try:
        readings = [busy_cores(0.1) for _ in range(3)]
    finally:
        spinner.kill()
        spinner.wait()
    # the spinner alone keeps most of a core busy, whatever else runs
    assert max(readings) >= 0.5, readings


@pytest.mark.parametrize("threads", [1, 2])
def test_torch_runs_with_the_pools_it_was_given(threads: int) -> None:
    record = accel.run("julia", "torch_cpu", preset="S", threads=threads, repeats=3, store=False)
    assert record.ok, record.reason
    pools = record.pools
    assert pools["torch"]["intra_op"] == threads and pools["torch"]["inter_op"] == threads
    assert pools["native"], "threadpoolctl saw no BLAS or OpenMP library in a torch worker"
    assert {p["threads"] for p in pools["native"]} == {threads}
    assert any(p["api"] == "openmp" for p in pools["native"])  # torch's own libgomp
    assert pools["wait"] in (PASSIVE_WAIT, BRIEF_SPIN)  # by how busy the machine was
    spin = pools["wait"]["GOMP_SPINCOUNT"]
    expected = "OpenMP wait passive" + (f" after {spin} spins" if spin != "0" else "")
    assert describe_pools(pools).endswith(expected)


def test_numba_parallel_names_its_threading_layer() -> None:
    record = accel.run("julia", "numba_parallel", preset="S", threads=1, repeats=3, store=False)
    assert record.ok, record.reason
    assert record.pools["numba"]["threads"] == 1
    assert record.pools["numba"]["layer"] in ("tbb", "omp", "workqueue")


def test_hardware_pools_read_huge_pages_from_sysfs(tmp_path) -> None:
    folder = tmp_path / "sys/kernel/mm/transparent_hugepage"
    folder.mkdir(parents=True)
    (folder / "enabled").write_text("always madvise [never]\n")
    (folder / "defrag").write_text("[always] defer defer+madvise madvise never\n")
    pools = read_pools(str(tmp_path), live=False)
    assert (pools.thp_enabled, pools.thp_defrag) == ("never", "always")
    assert bracketed("") is None
    missing = read_pools(str(tmp_path / "nothing"), live=False)
    assert missing.thp_enabled is None and "does not exist" in missing.reasons["thp_enabled"]


def test_hardware_report_lists_blas_with_its_threads() -> None:
    import threadpoolctl

    pools = read_pools()
    loaded = threadpoolctl.threadpool_info()
    expected = {i["internal_api"] for i in loaded if i["user_api"] == "blas"}
    assert {b["library"] for b in pools.blas} == expected
