"""Named variants (the book's slower steps, the CUDA-graph diffusion) run like any
implementation: declared once per kernel with their backend, chosen by ``variant``,
kept apart in the run key, named in every view, refused with the valid ones."""

from __future__ import annotations

import dataclasses
import importlib
import json
import re

import pytest
from accel.kernels import all_kernels, get_kernel

import accel
from accel.backends import BACKEND_NAMES
from accel.comparison import Comparison
from accel.identity import matching_runs
from accel.record import RunRecord
from accel.request import jobs_for, make_request
from accel.store import Store
from accel.tables import compare_rows

DIFFUSION = get_kernel("diffusion")
#: Each variant's backend, as the kernels' modules document it (their docstrings).
DOCUMENTED = {
    "diffusion": {"numpy_roll": "numpy", "torch_graph": "torch_cuda", "cupy_graph": "cupy"},
    "julia": {"numba_abs": "numba_cpu", "numpy_whole_grid": "numpy"},
}


def test_each_variant_is_a_module_of_its_kernel_on_a_backend_that_kernel_has():
    declared = {k.name: dict(k.variants) for k in all_kernels() if k.variants}
    assert declared == DOCUMENTED
    for kernel in all_kernels():
        for name, backend in kernel.variants.items():
            assert backend in BACKEND_NAMES and backend in kernel.implementations
            assert name not in kernel.implementations.values()  # not a backend's own module
            spec = importlib.util.find_spec(f"{kernel.package}.{name}")
            assert spec is not None, f"{kernel.name}: no module {name}"


def test_a_variant_swaps_only_the_module_of_its_backend():
    rolled = DIFFUSION.with_variant("numpy_roll")
    changed = {
        b
        for b in BACKEND_NAMES
        if rolled.implementations.get(b) != DIFFUSION.implementations.get(b)
    }
    assert changed == {"numpy"} and rolled.implementations["numpy"] == "numpy_roll"
    assert rolled.version_for("numpy") != DIFFUSION.version_for("numpy")
    assert rolled.version_for("numba_cpu") == DIFFUSION.version_for("numba_cpu")
    assert DIFFUSION.with_variant("") is DIFFUSION


@pytest.mark.parametrize(
    ("kernel", "backend", "variant", "message"),
    [
        ("diffusion", "numpy", "bogus", "unknown variant of diffusion 'bogus'; choose one of: "
         "numpy_roll (numpy), torch_graph (torch_cuda), cupy_graph (cupy)"),
        ("diffusion", "torch_cpu", "numpy_roll", "variant 'numpy_roll' of diffusion runs on "
         "numpy, not on torch_cpu"),
        ("norm", "numpy", "numpy_roll", "norm has no named variants"),
    ],
)  # fmt: skip
def test_a_bad_variant_is_one_line_naming_the_valid_ones(
    accel_cli, kernel, backend, variant, message
):
    with pytest.raises(accel.UsageError, match=re.escape(message)):
        make_request(kernel, backend, variant=variant)
    result = accel_cli("run", kernel, "--backend", backend, "--variant", variant)
    assert result.returncode == 2 and result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"accel: error: {message}")


def test_compare_measures_a_variant_beside_its_backends_own():
    jobs = jobs_for("diffusion", ["numpy", "numba_cpu"], variant="numpy_roll")
    assert [(b, o.get("variant")) for _, b, o in jobs] == [
        ("numpy", None),
        ("numpy", "numpy_roll"),
        ("numba_cpu", None),
    ]
    with pytest.raises(accel.UsageError, match="runs on numpy, which is not among the backends"):
        jobs_for("diffusion", ["numba_cpu"], variant="numpy_roll")
    several = jobs_for("diffusion", ["torch_cuda", "numpy"], variant="numpy_roll, torch_graph")
    assert [(b, o.get("variant")) for _, b, o in several] == [
        ("torch_cuda", None),
        ("torch_cuda", "torch_graph"),
        ("numpy", None),
        ("numpy", "numpy_roll"),
    ]
    with pytest.raises(accel.UsageError, match="variant must be a name"):
        jobs_for("diffusion", ["numpy"], variant=3)


def test_a_variants_runs_never_stand_for_the_backends_own_nor_the_reverse(tmp_path):
    own = make_request("diffusion", "numpy", threads=1)
    rolled = make_request("diffusion", "numpy", threads=1, variant="numpy_roll")
    assert own.key().variant == "" and rolled.key().variant == "numpy_roll"
    record = own.record("ok", "")
    record.samples_s = [0.001]
    with Store(tmp_path / "s.sqlite") as store:
        store.add_run(dataclasses.replace(record, variant="numpy_roll"))
        store.add_run(record)
        assert [r.record.variant for r in matching_runs(store, rolled.key())] == ["numpy_roll"]
        assert [r.record.variant for r in matching_runs(store, own.key())] == [""]


@pytest.fixture(scope="module")
def diffusion_runs(tmp_path_factory) -> dict[str, RunRecord]:
    """diffusion S on numpy, its own module and the np.roll variant, through the CLI."""
    from tests.conftest import _run_cli

    home = tmp_path_factory.mktemp("home")
    runs = {}
    for variant in ("", "numpy_roll"):
        extra = ["--variant", variant] if variant else []
        result = _run_cli(
            "run", "diffusion", "--backend", "numpy", "--repeats", "3", "--json", *extra,
            env={"ACCEL_HOME": str(home)},
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        runs[variant] = RunRecord.from_dict(json.loads(result.stdout))
    return runs


def test_the_roll_variant_runs_on_numpy_and_is_checked_as_numpy_is(diffusion_runs):
    own, rolled = diffusion_runs[""], diffusion_runs["numpy_roll"]
    assert (own.implementation, rolled.implementation) == ("numpy_inplace", "numpy_roll")
    assert (own.variant, rolled.variant, rolled.backend) == ("", "numpy_roll", "numpy")
    for record in (own, rolled):
        assert record.status == "ok" and record.check["passed"], record.check
    # Both against the same closed form: the same grid up to rounding, far inside the bound.
    assert rolled.check["error"] == pytest.approx(own.check["error"], abs=1e-12)
    assert rolled.label == "numpy (numpy_roll)"
    headers, rows = compare_rows([own, rolled])
    assert sorted(row[0] for row in rows) == ["numpy", "numpy (numpy_roll)"]
    frame = Comparison([own, rolled]).to_pandas()
    assert list(zip(frame["backend"], frame["variant"], strict=True)) == [
        ("numpy", ""),
        ("numpy", "numpy_roll"),
    ]


def test_fastest_never_takes_a_variants_run_as_evidence(tmp_path):
    """A stored variant run that would win by far, were variants not kept apart."""
    fast = make_request("diffusion", "numpy", size=64).record("ok", "")
    fast.variant, fast.samples_s = "numpy_roll", [1e-9] * 5
    with Store(tmp_path / "s.sqlite") as store:
        store.add_run(fast)
    selected = accel.fastest("diffusion", size=64, backends=["numpy"], store=tmp_path / "s.sqlite")
    assert selected.measured == ["numpy"]  # nothing stored stood for the backend's own
    assert [r.variant for r in selected.evidence] == [""]
    assert selected.ranking[0].seconds > 1e-6


def test_julia_numba_abs_runs_through_accel_run(accel_cli):
    result = accel_cli(
        "run", "julia", "--backend", "numba_cpu", "--variant", "numba_abs", "--size", "64",
        "--repeats", "3", "--no-store", "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    record = RunRecord.from_dict(json.loads(result.stdout))
    assert (record.status, record.variant, record.implementation) == (
        "ok",
        "numba_abs",
        "numba_abs",
    )
    assert record.check["passed"]
    assert record.check["detail"].startswith("0 of 4096 points differ from the reference")


def test_torch_graph_says_it_cannot_run_without_a_gpu_and_why(accel_cli):
    from accel.backends import get_backend

    here = get_backend("torch_cuda").available()
    result = accel_cli(
        "run", "diffusion", "--backend", "torch_cuda", "--variant", "torch_graph", "--no-store",
        "--json",
    )  # fmt: skip
    record = RunRecord.from_dict(json.loads(result.stdout))
    assert record.variant == "torch_graph" and record.label == "torch_cuda (torch_graph)"
    if here:
        assert record.status == "ok" and record.check["passed"], record.reason
    else:
        assert record.status == "unavailable" and record.reason == here.reason
        assert result.returncode == 0 and record.samples_s == []


def test_selftest_checks_each_variant_on_its_backend_in_every_dtype():
    from accel.cli.selftest_cmd import selftest_jobs

    jobs = selftest_jobs(["numpy", "torch_cuda"], [DIFFUSION], None, "S", 60.0)
    tried = {(backend, options["variant"], options["dtype"]) for _, backend, options in jobs}
    assert tried == {
        (backend, variant, dtype)
        for backend, variant in [
            ("numpy", ""),
            ("numpy", "numpy_roll"),
            ("torch_cuda", ""),
            ("torch_cuda", "torch_graph"),
        ]
        for dtype in ("float64", "float32")
    }
