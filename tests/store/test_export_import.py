"""Moving results between machines: export to JSON, import all or nothing, history filters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from accel.store import Store

GPU_BOX = "feedfacecafe"  # a machine that is not this one


def _this_machine() -> dict:
    """This machine's report by its fingerprint, as the measurement loop hands it to the store."""
    from accel.identity import machine_fingerprint, machine_report

    return {machine_fingerprint(): machine_report()}


def _local_runs(synthetic_run) -> list:
    """Runs on this machine over two kernels, three backends and three days."""
    return [
        synthetic_run("numpy", 64, 0.002, started_at="2026-03-01T10:00:00+00:00"),
        synthetic_run("numba_cpu", 64, 0.001, started_at="2026-03-02T10:00:00+00:00"),
        synthetic_run("python", 16, 0.004, started_at="2026-03-03T10:00:00+00:00"),
        synthetic_run(
            "numpy", 32, 0.003, kernel="diffusion", started_at="2026-03-03T12:00:00+01:00"
        ),
    ]


def _gpu_document(synthetic_run) -> dict:
    """An export as a GPU machine would write it: its own fingerprint and report."""
    records = [
        synthetic_run("numba_cpu", 1000, 0.05, machine=GPU_BOX),
        synthetic_run("torch_cuda", 1000, 0.002, machine=GPU_BOX, transfer_s=0.01),
    ]
    return {
        "format": "accel-results",
        "format_version": 1,
        "exported_at": "2026-04-01T00:00:00+00:00",
        "machines": [
            {
                "fingerprint": GPU_BOX,
                "report": {"gpu": {"devices": [{"name": "NVIDIA A100-SXM4-40GB"}]}},
                "first_seen": "2026-03-30T00:00:00+00:00",
            }
        ],
        "runs": [
            {"kernel_version": "1", "created_at": r.started_at, "record": r.to_dict()}
            for r in records
        ],
    }


def test_export_then_import_into_a_fresh_store_gives_back_every_run_and_machine(
    tmp_path: Path, synthetic_run, accel_cli
):
    source, target = tmp_path / "laptop.sqlite", tmp_path / "other.sqlite"
    runs = _local_runs(synthetic_run)
    with Store(source) as store:
        store.add_runs(runs, machine_reports=_this_machine())
    exported = tmp_path / "results.json"
    result = accel_cli("export", str(exported), "--store", str(source))
    assert result.returncode == 0, result.stderr
    result = accel_cli("import", str(exported), "--store", str(target))
    assert result.returncode == 0, result.stderr
    assert "imported 4 runs (0 already stored), measured on 1 machine," in result.stdout

    document = json.loads(exported.read_text())
    with Store(target, readonly=True) as store:
        again = store.export()
    assert again["runs"] == document["runs"]
    assert again["machines"] == document["machines"]
    assert [r["record"] for r in again["runs"]] == [r.to_dict() for r in runs]  # oldest first
    from accel.hardware import cached_probe

    (machine,) = again["machines"]
    assert machine["report"]["cpu"] == json.loads(json.dumps(cached_probe().to_dict()))["cpu"]

    result = accel_cli("import", str(exported), "--store", str(target))
    assert "imported 0 runs (4 already stored)" in result.stdout
    with Store(target, readonly=True) as store:
        assert store.count() == 4


def test_imported_runs_keep_their_machine_and_history_filters_find_them(
    tmp_path: Path, synthetic_run, accel_cli
):
    laptop = tmp_path / "laptop.sqlite"
    with Store(laptop) as store:
        store.add_runs(_local_runs(synthetic_run), machine_reports=_this_machine())
    gpu_file = tmp_path / "gpu.json"
    gpu_file.write_text(json.dumps(_gpu_document(synthetic_run)))
    assert accel_cli("import", str(gpu_file), "--store", str(laptop)).returncode == 0

    def history(*filters: str) -> list[tuple[str, str, int]]:
        result = accel_cli("history", "--json", "--store", str(laptop), *filters)
        assert result.returncode == 0, result.stderr
        return [
            (row["record"]["machine"], row["record"]["backend"], row["record"]["size"])
            for row in json.loads(result.stdout)
        ]

    gpu_rows = history("--machine", GPU_BOX[:6])
    assert sorted(gpu_rows) == [(GPU_BOX, "numba_cpu", 1000), (GPU_BOX, "torch_cuda", 1000)]
    this = history("--machine", "this")
    assert len(this) == 4 and GPU_BOX not in {machine for machine, _, _ in this}
    assert [b for _, b, _ in history("--kernel", "diffusion")] == ["numpy"]
    assert [(b, s) for _, b, s in history("--since", "2026-03-03")] == [
        ("numpy", 32),
        ("python", 16),
    ]
    # the diffusion run started at 12:00+01:00, which is 11:00 UTC
    assert [(b, s) for _, b, s in history("--since", "2026-03-03T10:30")] == [("numpy", 32)]
    assert history("--since", "2026-03-03T11:30") == []
    assert len(history("--backend", "numpy")) == 2
    assert len(history("--limit", "3")) == 3

    text = accel_cli("history", "--store", str(laptop), "--machine", GPU_BOX).stdout
    assert "torch_cuda" in text and "12 ms" in text  # end to end: 2 ms kernel + 10 ms transfer


@pytest.mark.parametrize(
    "damage",
    ["unknown status", "newer record schema", "size not a number", "not an export", "not json"],
)
def test_a_damaged_export_is_refused_whole_and_the_store_is_untouched(
    damage: str, tmp_path: Path, synthetic_run, accel_cli, digest
):
    laptop = tmp_path / "laptop.sqlite"
    with Store(laptop) as store:
        store.add_runs(_local_runs(synthetic_run), machine_reports=_this_machine())
    document = _gpu_document(synthetic_run)
    last = document["runs"][-1]["record"]  # the first run is valid: nothing may land
    if damage == "unknown status":
        last["status"] = "fine"
    elif damage == "newer record schema":
        last["schema"] = 99
    elif damage == "size not a number":
        last["size"] = "large"
    elif damage == "not an export":
        document["format"] = "something-else"
    bad = tmp_path / "bad.json"
    text = json.dumps(document)
    bad.write_text(text[: len(text) // 2] if damage == "not json" else text)
    before = digest(laptop)

    result = accel_cli("import", str(bad), "--store", str(laptop))

    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("accel: error: ") and str(bad) in line
    assert "nothing was imported" in line
    assert digest(laptop) == before
    with Store(laptop, readonly=True) as store:
        assert store.count() == 4
