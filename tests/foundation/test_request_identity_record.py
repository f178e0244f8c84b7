"""One definition each: the run options (RunRequest), the run key's matching rule, the typed
parts of a record; and a store that keeps what its caller hands it and probes nothing."""

from __future__ import annotations

import dataclasses
import json

import accel.hardware
import pytest
from accel.kernels import get_kernel

from accel.cli import build_parser
from accel.cli.options import measure_options
from accel.errors import UsageError
from accel.identity import RunKey, key_versions, machine_fingerprint, matching_runs
from accel.record import Counters, ProcessFigures, RunRecord, check_types
from accel.request import RunRequest, cli_options, make_request
from accel.store import Store

JULIA_S = {"size": 200, "params": {"max_iter": 300}}  # kernels/julia's preset S


def test_a_request_completes_itself_from_the_preset_and_checks_itself_again_when_changed():
    request = RunRequest("julia", "numpy", preset="S", threads=1, dtype="float32")
    assert (request.size, request.params) == (JULIA_S["size"], JULIA_S["params"])
    assert request.dtype == "complex64"  # the kernel's own dtype for the alias
    assert request.counters is False and request.events  # no events named: not counted
    with pytest.raises(UsageError, match="size must be a positive whole number, got 0"):
        request.replace(size=0)
    with pytest.raises(UsageError, match="seed must be a whole number of at least 0"):
        dataclasses.replace(request, seed=-1)


def test_the_cli_flags_and_the_api_keywords_are_the_request_fields():
    parser = build_parser()
    args = parser.parse_args(
        ["run", "julia", "--backend", "numpy", "--repeats", "3", "--memory-limit", "1G"]
    )
    options = measure_options(args)
    assert set(options) == {f.name for f in cli_options()}
    request = make_request(args.kernel, args.backend, **options)
    assert (request.repeats, request.memory_limit, request.timeout) == (3, 2**30, 600.0)
    assert request.policy == {"repeats": 3}
    spec = request.spec()
    assert spec["memory_limit"] == 2**30 and spec["policy"] == {"repeats": 3}
    assert "timeout" not in spec  # the parent's business, not the worker's
    with pytest.raises(TypeError, match="unknown run option 'repeat'"):
        make_request("julia", "numpy", repeat=3)


def _stored(**changes) -> RunRecord:
    record = RunRecord(
        kernel="julia",
        backend="numpy",
        size=JULIA_S["size"],
        dtype="complex128",
        status="ok",
        params=dict(JULIA_S["params"]),
        threads=1,
        samples_s=[0.01],
        machine=machine_fingerprint(),
        versions=key_versions("numpy"),
        started_at="2026-01-01T00:00:00+00:00",
    )
    return dataclasses.replace(record, **changes)


def test_resume_and_selection_keys_differ_only_where_they_say(tmp_path):
    """A run with other parameters is the run a request with those parameters repeats,
    but no evidence for selection, which asks for the kernel's own parameters."""
    own = get_kernel("julia").params_for(JULIA_S["size"])
    assert own == JULIA_S["params"]
    with Store(tmp_path / "s.sqlite") as store:
        store.add_run(_stored(params={"max_iter": 50}, seed=3))
        resumed = make_request(
            "julia", "numpy", size=200, params={"max_iter": 50}, seed=3, threads=1
        )
        assert [r.record.params for r in matching_runs(store, resumed.key())] == [{"max_iter": 50}]
        selection = dataclasses.replace(resumed.key(), params=None, seed=None)
        assert matching_runs(store, selection) == []
        store.add_run(_stored(seed=9))  # selection takes any seed; resume only its own
        assert [r.record.seed for r in matching_runs(store, selection)] == [9]
        key = make_request("julia", "numpy", preset="S", threads=1).key()
        assert matching_runs(store, key) == []  # seed 0 asked for, 9 stored


def test_a_run_key_refuses_other_versions_and_other_machines():
    key = make_request("julia", "numpy", preset="S", threads=1).key()
    version = get_kernel("julia").version_for("numpy")  # the source of julia on numpy
    assert key.matches(_stored(), version)
    assert not key.matches(_stored(), version + "x")
    assert not key.matches(_stored(machine="elsewhere"), version)
    older = {**key_versions("numpy"), "numpy": "0.0.1"}
    assert not key.matches(_stored(versions=older), version)
    assert isinstance(key, RunKey) and key.columns()["kernel_version"] == version


def test_the_store_keeps_the_machine_report_it_is_handed_and_probes_nothing(tmp_path, monkeypatch):
    def no_probe(*args, **kwargs):
        raise AssertionError("the store probed the hardware")

    monkeypatch.setattr(accel.hardware, "probe", no_probe)
    with Store(tmp_path / "s.sqlite") as store:
        store.add_run(_stored())
        assert store.machines() == [] and not store.knows_machine(machine_fingerprint())
        store.add_run(_stored(seed=1), machine_reports={"abc": {"cpu": {"model_name": "x"}}})
        assert [m["fingerprint"] for m in store.machines()] == ["abc"]
        assert store.knows_machine("abc")


COUNTERS = {  # accel.counters.summarise's layout, as a record of perf's counts holds it
    "source": "perf",
    "label": "perf",
    "scope": "timed repetitions",
    "repeats": 4,
    "events": {
        "cycles": {"value": 8e9, "unit": "", "status": "counted", "fraction": 1.0, "per_call": 2e9},
        "cache-misses": {
            "value": None,
            "unit": "",
            "status": "not supported",
            "fraction": None,
            "per_call": None,
        },
    },
    "ipc": None,
    "miss_ratio": None,
}
SIMULATOR_ONLY = {
    "l1d_miss_ratio": None,
    "l1i_miss_ratio": None,
    "notes": [],
    "seconds": None,
    "phases_s": {},
}


def test_counters_and_process_figures_are_typed_and_keep_their_json():
    process = {"cpu_s": 1.0, "wall_s": 0.5, "cpu_utilisation": 2.0, "measured": "worker pid 1"}
    record = _stored(counters=COUNTERS, process=process)
    assert isinstance(record.counters, Counters) and isinstance(record.process, ProcessFigures)
    assert record.counters.events["cycles"].per_call == 2e9
    assert record.counters["events"]["cycles"]["status"] == "counted"  # read as the JSON is
    assert record.process.get("cpu_utilisation") == 2.0 and record.process.get("nope") is None
    record.process["contention"] = {"cores_got": 1.5}
    data = json.loads(record.to_json())
    assert data["counters"] == {**COUNTERS, **SIMULATOR_ONLY}  # fields may be added
    assert data["process"] == {
        **dict.fromkeys(
            ["peak_rss_bytes", "rss_growth_bytes", "voluntary_switches", "involuntary_switches"]
        ),
        **process,
        "contention": {"cores_got": 1.5},
    }
    again = RunRecord.from_dict(data)
    assert again == record
    check_types(again)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d["counters"]["events"]["cycles"].update(value="many"), "counters.events"),
        (lambda d: d["process"].update(cpu_s="1 s"), "process.cpu_s"),
        (lambda d: d.update(samples_s=[0.1, "fast"]), "samples_s"),
        (lambda d: d.update(threads=True), "threads"),
        (lambda d: d.update(versions={"numpy": 2}), "versions"),
    ],
    ids=["event-value", "cpu-seconds", "a-sample", "threads-bool", "version-number"],
)
def test_a_field_of_the_wrong_type_is_named_from_the_annotations(change, field):
    data = json.loads(_stored(counters=COUNTERS, process={"cpu_s": 1.0}).to_json())
    change(data)
    with pytest.raises(ValueError, match=f"^{field}"):
        check_types(RunRecord.from_dict(data))


def test_a_part_with_an_unknown_field_is_refused():
    data = json.loads(_stored(process={"cpu_s": 1.0}).to_json())
    data["process"]["gpu_s"] = 1.0
    with pytest.raises(ValueError, match="no field 'gpu_s'"):
        RunRecord.from_dict(data)
