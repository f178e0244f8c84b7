"""GPU rows get host counters only when asked, and say they are host-side (issue 17, item 10):
perf on a GPU run counts the CPU thread that launches kernels and spins in synchronize."""

from __future__ import annotations

import pytest

import accel.loop
from accel import api
from accel.record import RunRecord
from accel.tables import compare_notes, counter_rows


@pytest.mark.parametrize(
    "backend, asked, counted",
    [
        ("numpy", None, True),
        ("c_native", None, True),
        ("cupy", None, False),
        ("torch_cuda", None, False),
        ("numba_cuda", True, True),
        ("numpy", False, False),
    ],
)
def test_compare_counts_cpu_backends_by_default_and_gpu_backends_only_when_asked(
    backend, asked, counted
):
    assert api.counters_by_default(backend, asked) is counted


def test_a_comparison_builds_gpu_requests_without_counters(monkeypatch):
    seen = {}

    def execute(request):
        seen[request.backend] = request.counters
        return request.record("unavailable", "not run in this test")

    monkeypatch.setattr(accel.loop, "execute", execute)
    api.compare("norm", ["numpy", "cupy"], size=1000, store=False)
    assert seen == {"numpy": True, "cupy": False}
    api.compare("norm", ["cupy"], size=1000, store=False, counters=True)
    assert seen["cupy"] is True


def _counted(backend: str) -> RunRecord:
    return RunRecord(
        kernel="norm",
        backend=backend,
        size=1000,
        dtype="float64",
        status="ok",
        samples_s=[1e-3],
        counters={
            "events": {
                "cycles": {
                    "value": 10.0,
                    "per_call": 1.0,
                    "unit": "",
                    "fraction": 1.0,
                    "status": "counted",
                }
            }
        },
    )


def test_counted_gpu_rows_are_labelled_host_side():
    _, rows = counter_rows([_counted("cupy"), _counted("numpy")], ["cycles"])
    assert sorted(row[0] for row in rows) == ["cupy (host-side)", "numpy"]
    notes = compare_notes([_counted("cupy")])
    assert any(
        note.startswith("host-side: a GPU row's counters count the CPU thread") for note in notes
    )
    assert not any("host-side" in note for note in compare_notes([_counted("numpy")]))


def test_a_throttled_or_shared_gpu_run_gets_a_note_and_a_quiet_one_none():
    quiet = _counted("cupy")
    quiet.gpu_state = {
        "before": {"throttle_reasons": ["gpu_idle"], "processes": []},
        "after": {"throttle_reasons": [], "processes": []},
    }
    hot = _counted("torch_cuda")
    hot.gpu_state = {
        "before": {"throttle_reasons": [], "processes": [{"pid": 7, "name": "x"}]},
        "after": {"throttle_reasons": ["hw_thermal_slowdown", "gpu_idle"], "processes": []},
    }
    notes = compare_notes([quiet, hot, _counted("numpy")])
    assert "torch_cuda: the GPU's clocks were held down (hw_thermal_slowdown)" in notes
    assert "torch_cuda: 1 other process(es) held GPU memory meanwhile" in notes
    assert not any(note.startswith(("cupy:", "numpy:")) for note in notes)
