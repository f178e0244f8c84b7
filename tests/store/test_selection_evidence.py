"""Selection from stored evidence alone (budget 0: nothing may be measured).

Times follow closed forms, so interpolated times and crossover sizes are known exactly.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from accel.errors import UsageError
from accel.selection import NoBackendError, crossovers, fastest
from accel.store import Store
from accel.threads import usable_cpus


def numpy_time(size: int) -> float:
    return 1e-5 * size  # linear


def numba_time(size: int) -> float:
    return 2e-8 * size**2  # quadratic: equal to numpy_time at size 500


@pytest.fixture
def swept_store(store_file: Path, synthetic_run) -> Path:
    with Store(store_file) as store:
        store.add_runs(
            synthetic_run(backend, size, law(size))
            for backend, law in (("numpy", numpy_time), ("numba_cpu", numba_time))
            for size in (100, 300, 1000)
        )
    return store_file


def test_unmeasured_sizes_are_interpolated_log_log_between_the_neighbouring_sizes(
    swept_store: Path,
):
    for size, winner, loser in ((700, "numpy", "numba_cpu"), (200, "numba_cpu", "numpy")):
        chosen = fastest(
            "julia", size, backends=["numpy", "numba_cpu"], budget_s=0, store=swept_store
        )
        assert (chosen.backend, chosen.runner_up) == (winner, loser)
        times = {e.backend: e.seconds for e in chosen.ranking}
        assert times["numpy"] == pytest.approx(numpy_time(size), rel=1e-9)
        assert times["numba_cpu"] == pytest.approx(numba_time(size), rel=1e-9)
        assert all(e.interpolated for e in chosen.ranking) and chosen.measured == []
        neighbours = (300, 1000) if size == 700 else (100, 300)
        assert sorted({r.size for r in chosen.evidence}) == list(neighbours)
        assert len(chosen.evidence) == 4


def test_crossover_is_where_the_two_laws_meet(swept_store: Path):
    found = crossovers("julia", backends=["numpy", "numba_cpu"], store=swept_store)
    assert len(found) == 1
    (crossing,) = found
    assert (crossing.low, crossing.high, crossing.below, crossing.above) == (
        300,
        1000,
        "numba_cpu",
        "numpy",
    )
    assert crossing.size == pytest.approx(500, rel=1e-9)  # 1e-5 s = 2e-8 s^2


def test_a_size_outside_the_sweep_is_not_extrapolated(swept_store: Path):
    with pytest.raises(NoBackendError, match="not measured: the 0 s budget was spent"):
        fastest("julia", 2000, backends=["numpy", "numba_cpu"], budget_s=0, store=swept_store)


def test_transfer_time_counts_unless_data_stays_on_the_device(store_file: Path, synthetic_run):
    with Store(store_file) as store:
        store.add_runs(
            [
                synthetic_run("pypy", 64, 0.001, transfer_s=0.005),  # end to end 6 ms
                synthetic_run("numpy", 64, 0.003),
            ]
        )
    options = {"backends": ["pypy", "numpy"], "budget_s": 0, "store": store_file}
    moved = fastest("julia", 64, **options)
    resident = fastest("julia", 64, data_on_device=True, **options)
    assert [(e.backend, e.seconds) for e in moved.ranking] == [("numpy", 0.003), ("pypy", 0.006)]
    assert [(e.backend, e.seconds) for e in resident.ranking] == [
        ("pypy", 0.001),
        ("numpy", 0.003),
    ]
    on_device = crossovers("julia", backends=["pypy", "numpy"], store=store_file)
    assert on_device == []  # one size only: nothing can cross


KEY_CHANGES = {
    "same key": {},
    "other machine": {"machine": "0badc0ffee00"},
    "other accel version": {"versions": {"accel": "0.0.1"}},
    "other numpy version": {"versions": {"numpy": "1.0.0"}},
    "other thread count": {"threads": usable_cpus() + 1},
    "other parameters": {"params": {"max_iter": 10}},
    "other dtype": {"dtype": "complex64"},
    "other kernel version": {"kernel_version": "0"},
}


@pytest.mark.parametrize("change", list(KEY_CHANGES))
def test_a_run_counts_only_under_the_same_key(change: str, store_file: Path, synthetic_run):
    overrides = dict(KEY_CHANGES[change])
    kernel_version = overrides.pop("kernel_version", None)
    record = synthetic_run("numba_cpu", 64, 0.001)
    if "versions" in overrides:
        overrides["versions"] = {**record.versions, **overrides["versions"]}
    with Store(store_file) as store:
        store.add_run(
            synthetic_run("numba_cpu", 64, 0.001, **overrides), kernel_version=kernel_version
        )
    if change == "same key":
        chosen = fastest("julia", 64, backends=["numba_cpu"], budget_s=0, store=store_file)
        assert chosen.backend == "numba_cpu" and chosen.measured == []
    else:
        with pytest.raises(NoBackendError, match="numba_cpu: not measured"):
            fastest("julia", 64, backends=["numba_cpu"], budget_s=0, store=store_file)


def test_failing_invalid_and_unavailable_backends_are_never_chosen(store_file: Path, synthetic_run):
    with Store(store_file) as store:
        store.add_runs(
            [
                synthetic_run("numpy", 64, 1e-7, status="invalid", reason="check failed: 3 differ"),
                synthetic_run("numba_cpu", 64, 1e-7, status="failed", reason="first_call: boom"),
                synthetic_run("pypy", 64, 1e-7, status="unavailable", reason="pypy3 not on PATH"),
                synthetic_run("python", 64, 0.5),
            ]
        )
    options = {"budget_s": 0, "store": store_file}
    chosen = fastest("julia", 64, backends=["numpy", "numba_cpu", "pypy", "python"], **options)
    assert chosen.backend == "python" and chosen.runner_up is None
    assert set(chosen.excluded) == {"numpy", "numba_cpu", "pypy"}
    assert "check failed: 3 differ" in chosen.excluded["numpy"]

    with pytest.raises(NoBackendError) as raised:
        fastest("julia", 64, backends=["numpy", "numba_cpu", "pypy", "c_openmp"], **options)
    message = str(raised.value)
    for why in ("check failed: 3 differ", "first_call: boom", "pypy3 not on PATH", "c_openmp"):
        assert why in message


def test_the_latest_run_of_a_backend_decides(store_file: Path, synthetic_run):
    with Store(store_file) as store:
        store.add_runs(
            [
                synthetic_run("numpy", 64, 0.001, started_at="2026-01-01T00:00:00+00:00"),
                synthetic_run("numpy", 64, 0.002, started_at="2026-01-03T00:00:00+00:00"),
                synthetic_run("numpy", 64, 0.003, started_at="2026-01-02T00:00:00+00:00"),
            ]
        )
    chosen = fastest("julia", 64, backends=["numpy"], budget_s=0, store=store_file)
    assert chosen.ranking[0].seconds == 0.002


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"backends": ["numpy", "cuda_magic"]}, "unknown backend 'cuda_magic'"),
        ({"backends": []}, "at least one backend"),
        ({"size": 0}, "size must be a positive whole number"),
        ({"dtype": "int8"}, "unknown dtype for julia 'int8'"),
        ({"budget_s": -1}, "budget_s must be seconds >= 0"),
        ({"store": False}, "store must be a path"),
        ({"kernel": "mandelbrot"}, "unknown kernel 'mandelbrot'"),
    ],
)
def test_bad_arguments_are_usage_errors(arguments: dict, message: str, store_file: Path):
    call = {"kernel": "julia", "size": 64, "budget_s": 0, "store": store_file, **arguments}
    with pytest.raises(UsageError, match=message):
        fastest(call.pop("kernel"), call.pop("size"), **call)


@pytest.mark.parametrize("backend", ["numpy", "python", "pypy"])
def test_the_selected_callable_takes_and_returns_host_data(
    backend: str, store_file: Path, synthetic_run
):
    from accel.kernels import get_kernel

    from accel.backends import get_backend

    availability = get_backend(backend).available()
    if not availability:
        pytest.skip(f"{backend} cannot run here: {availability.reason}")
    with Store(store_file) as store:
        store.add_run(synthetic_run(backend, 24, 0.001))
    chosen = fastest("julia", 24, backends=[backend], budget_s=0, store=store_file)
    kernel = get_kernel("julia")
    inputs = kernel.make_inputs(24)
    try:
        by_name = chosen(**inputs)
        by_position = chosen(inputs["zs"], inputs["c"], inputs["max_iter"])
    finally:
        chosen.close()
    for output in (by_name, by_position):
        assert type(output).__module__ == "numpy"
        verdict = kernel.check(output, inputs)
        assert verdict.passed, verdict.detail
    assert math.isclose(float(by_name.sum()), float(kernel.reference(inputs).sum()))


def test_a_clean_run_is_preferred_to_a_newer_disturbed_one(store_file: Path, synthetic_run):
    busy = "got 0.30 of the 1.00 cores its threads asked for (waited 1 s for a CPU)"
    with Store(store_file) as store:
        clean_id = store.add_run(synthetic_run("numpy", 200, 0.004))
        store.add_run(synthetic_run("numpy", 200, 0.012, disturbed=busy,
                                    started_at="2026-01-03T03:04:05+00:00"))  # fmt: skip
        only_busy = store.add_run(synthetic_run("numba_cpu", 200, 0.009, disturbed=busy))
    chosen = fastest("julia", 200, backends=["numpy", "numba_cpu"], budget_s=0, store=store_file)
    times = {e.backend: (e.seconds, e.runs[0].id) for e in chosen.ranking}
    assert times["numpy"] == (pytest.approx(0.004), clean_id)  # the clean run, not the newer
    assert chosen.unclean == {"numba_cpu": f"run {only_busy} disturbed: {busy}"}
    assert chosen.evidence_note.startswith("no clean evidence for numba_cpu")
