"""Simulated counters: callgrind's output read right, this machine's caches made valgrind's,
and the book's cache lessons asserted with counts from valgrind's cache simulator.

The lesson tests run where valgrind and its callgrind header are installed (skipped with
the reason elsewhere). Their expectations are closed forms or orderings the book states:
a streaming read of n float64 touches n/8 cache lines of 64 bytes.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from accel.hardware.report import CacheInfo, CacheLevel
from accel.hardware.valgrind import counter_source, simulated_caches

import accel
from accel.cachesim import (
    CALLGRIND_EVENTS,
    parse_callgrind,
    plan_simulated,
    simulator,
    summarise,
    timed_totals,
)
from accel.tables import compare_rows, source_note

pytestmark = pytest.mark.slow  # runs under valgrind's cache simulator

FIXTURES = Path(__file__).parent / "fixtures"
#: The totals line of fixtures/callgrind_timed.out, as written there.
TIMED = dict(
    zip(CALLGRIND_EVENTS, (8326535, 1539323, 6393, 1129, 38634, 245, 212, 149, 22), strict=True)
)
MiB = 2**20


def test_only_the_dump_of_the_timed_calls_counts(tmp_path):
    shutil.copy(FIXTURES / "callgrind_timed.out", tmp_path / "callgrind.out.14166.1")
    shutil.copy(FIXTURES / "callgrind_exit.out", tmp_path / "callgrind.out.14167")
    totals, dumps = timed_totals(str(tmp_path))
    assert dumps == 1
    assert totals == TIMED  # the totals line, not the summary that holds the warm-up too


def test_a_file_without_totals_is_refused():
    with pytest.raises(ValueError, match="no events and totals"):
        parse_callgrind("# callgrind format\nevents: Ir\n")


def test_generic_events_get_perfs_meaning_last_level_references_and_misses():
    counted = summarise(TIMED, 3, "simulated (test)", [], 1.0)
    events = counted["events"]
    assert events["instructions"]["per_call"] == 8326535 / 3
    # cache-references: what reached the last level (the L1 misses) ...
    assert events["cache-references"]["value"] == 1129 + 38634 + 245
    # ... cache-misses: what the last level missed too.
    assert events["cache-misses"]["value"] == 212 + 149 + 22
    assert counted["miss_ratio"] == pytest.approx((212 + 149 + 22) / (1129 + 38634 + 245))
    assert counted["l1d_miss_ratio"] == pytest.approx((38634 + 245) / (1539323 + 6393))
    assert counted["ipc"] is None  # the simulator has no cycles
    assert counted["source"] == "simulated" and counted["label"] == "simulated (test)"


def _level(level, kind, size, ways, line=64):
    return CacheLevel(level, kind, size, line, ways, size // (ways * line), 1)


def test_the_probed_caches_become_valgrinds_with_a_power_of_two_set_count():
    # This VM's caches (accel hardware): the L3's 491,520 sets are no power of two.
    info = CacheInfo(
        levels=[
            _level(1, "data", 48 * 1024, 12),
            _level(1, "instruction", 64 * 1024, 16),
            _level(2, "unified", 2 * MiB, 16),
            _level(3, "unified", 480 * MiB, 16),
        ]
    )
    caches, why = simulated_caches(info)
    assert why == ""
    options = [c.option for c in caches]
    assert options[:2] == ["--I1=65536,16,64", "--D1=49152,12,64"]
    last = caches[2]
    # Size and line kept; 30 ways give 480 MiB / (30 * 64 B) = 262,144 = 2**18 sets.
    assert (last.size_bytes, last.line_bytes, last.associativity) == (480 * MiB, 64, 30)
    assert last.label == "LL 480 MiB 30-way" and last.probed == "L3 480 MiB 16-way"


def test_caches_without_geometry_say_why_they_cannot_be_simulated():
    info = CacheInfo(levels=[CacheLevel(1, "data", 32 * 1024, 64, None, None, 1)])
    caches, why = simulated_caches(info)
    assert caches == [] and "I1 is missing" in why


def test_auto_picks_perf_where_it_counts_hardware_events():
    from accel.hardware.valgrind import Simulator

    usable = Simulator(path="/usr/bin/valgrind", version="3.19")
    assert counter_source(True, "", usable)[0] == "perf"
    assert counter_source(False, "no PMU", usable)[0] == "simulated"
    missing = Simulator(reason="valgrind is not on PATH")
    source, why = counter_source(False, "no PMU", missing)
    assert source == "none" and "valgrind is not on PATH" in why


# -- on this machine, under valgrind -----------------------------------------------------


@pytest.fixture(scope="module")
def valgrind_here():
    found = simulator()
    if not found.usable:
        pytest.skip(f"valgrind's cache simulator cannot run here: {found.reason}")
    return found


def _simulated(kernel: str, backend: str, **options) -> accel.RunRecord:
    record = accel.run(kernel, backend, counter_source="simulated", store=False, **options)
    if record.status == "unavailable":
        pytest.skip(f"{backend} unavailable: {record.reason}")
    assert record.status == "ok", record.reason + record.stderr_tail
    assert record.counters is not None, record.counters_reason
    return record


def _l1d_misses(record: accel.RunRecord) -> float:
    events = record.counters["events"]
    return (
        events["L1-dcache-load-misses"]["per_call"] + events["L1-dcache-store-misses"]["per_call"]
    )


@pytest.fixture(scope="module")
def norm_s(valgrind_here) -> dict[str, accel.RunRecord]:
    """Norm at size S on python, pypy and numpy (one thread), counted by the simulator."""
    runs = {name: _simulated("norm", name, preset="S", threads=1) for name in ("python", "numpy")}
    pypy = accel.run("norm", "pypy", preset="S", counter_source="simulated", store=False)
    if pypy.status != "unavailable":
        assert pypy.status == "ok" and pypy.counters is not None, pypy.counters_reason
        runs["pypy"] = pypy
    return runs


@pytest.mark.slow
def test_pure_python_norm_misses_more_per_element_than_numpy(valgrind_here, norm_s):
    python, numpy = norm_s["python"], norm_s["numpy"]
    n = python.size
    # Boxed floats behind pointers against one contiguous buffer of n float64.
    assert _l1d_misses(python) / n > 2 * _l1d_misses(numpy) / n
    for record in (python, numpy):
        assert record.counters["label"] == valgrind_here.label
        assert record.counters["repeats"] == 3
        assert len(record.samples_s) >= 5  # times from the first run, not the 3 simulated


@pytest.mark.slow
def test_pypy_is_counted_in_its_own_process(norm_s):
    if "pypy" not in norm_s:
        pytest.skip("pypy backend unavailable here")
    pypy = norm_s["pypy"]
    # The kernel reads every element: at least one L1 miss per 64-byte line of n float64
    # (PyPy keeps a list of floats unboxed), which the idle CPython worker never makes.
    assert _l1d_misses(pypy) >= 0.95 * pypy.size / 8
    assert pypy.counters["events"]["instructions"]["per_call"] > pypy.size


@pytest.mark.slow
def test_the_counters_figure_names_the_simulator_and_draws_l1_misses(norm_s, tmp_path):
    from accel.plots.command_line import local_machine
    from accel.plots.counters_plot import draw_counters

    records = list(norm_s.values())
    path = tmp_path / "counters.svg"
    draw_counters(records, local_machine(), path)
    svg = path.read_text()
    assert "L1 data misses per call" in svg and "valgrind 3." in svg
    for record in records:
        assert f'id="bar-{record.backend}-l1d_misses"' in svg
        assert f'id="bar-{record.backend}-cache_misses"' in svg


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["c_native", "numpy"])
def test_norm_past_l2_misses_one_l1_line_per_eight_float64(valgrind_here, backend):
    n = 1 << 21  # 16 MiB of float64: eight times this machine's 2 MiB L2, 340x its L1d
    record = _simulated("norm", backend, size=n, threads=1)
    lines = n / 8  # 64-byte lines of 8-byte elements, each read once per call
    assert _l1d_misses(record) == pytest.approx(lines, rel=0.05)
    if backend == "c_native":
        assert any("-march=" in note for note in record.counters["notes"])


@pytest.mark.slow
@pytest.mark.parametrize("preset", ["S", "M"])
def test_diffusion_np_roll_misses_more_per_step_than_in_place(valgrind_here, accel_cli, preset):
    """The book's lesson through ``accel counters --variant``: the np.roll variant beside
    the in-place numpy, both counted by the simulator in one table."""
    result = accel_cli(
        "counters", "diffusion", "--backends", "numpy", "--variant", "numpy_roll",
        "--preset", preset, "--counter-source", "simulated", "--threads", "1",
        "--repeats", "3", "--no-store", "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    records = {r.variant: r for r in map(accel.RunRecord.from_dict, json.loads(result.stdout))}
    assert set(records) == {"", "numpy_roll"}
    per_step = {}
    for variant, record in records.items():
        assert record.check["passed"] and record.counters["source"] == "simulated"
        per_step[variant or "numpy_inplace"] = _l1d_misses(record) / record.params["steps"]
    # Four rolled copies and the temporaries of its arithmetic, against buffers reused.
    assert per_step["numpy_roll"] > 1.3 * per_step["numpy_inplace"], per_step


@pytest.mark.slow
def test_a_table_never_mixes_sources_silently(valgrind_here, norm_s):
    simulated = norm_s["numpy"]
    perf = accel.run("norm", "numpy", preset="S", repeats=3, counter_source="perf", store=False)
    if perf.counters is None:
        pytest.skip(f"perf counts nothing here: {perf.counters_reason}")
    assert perf.counters["source"] == "perf"
    note = source_note([simulated, perf])
    assert note.startswith("counts from different sources, not comparable")
    assert valgrind_here.label in note and "perf for numpy" in note
    headers, rows = compare_rows([simulated, perf])
    cells = [row[headers.index("cache misses/call")] for row in rows]
    assert sorted(cell.rsplit(" ", 1)[-1] for cell in cells) in (
        ["(perf)", "(sim)"],
        ["(sim)", "unsupported"],
    )


class _Terminal:
    def __init__(self) -> None:
        self.written = ""

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> None:
        self.written += text

    def flush(self) -> None:
        pass


def test_a_long_simulated_run_says_so_on_a_terminal(valgrind_here, tmp_path):
    from accel.record import RunRecord

    plan, why = plan_simulated(str(tmp_path), "python")
    assert plan is not None, why
    long = RunRecord("julia", "python", 200, "complex128", "ok", first_call_s=0.5)
    long.samples_s = [0.5] * 5  # 4 calls of 0.5 s at 60x: about 2 minutes
    terminal = _Terminal()
    plan.announce(long, terminal)
    assert "under valgrind's cache simulator" in terminal.written
    short = RunRecord("norm", "numpy", 100, "float64", "ok", first_call_s=1e-4)
    short.samples_s = [1e-5] * 5
    quiet = _Terminal()
    plan.announce(short, quiet)
    assert quiet.written == ""


def test_a_long_simulated_run_ticks_while_it_runs_and_a_short_one_stays_quiet(tmp_path):
    import time

    from accel.hardware.valgrind import Simulator

    from accel.cachesim import SimulatedPlan

    plan = SimulatedPlan(Simulator(path="/usr/bin/valgrind"), "", str(tmp_path), "python")
    terminal = _Terminal()
    with plan.ticking(60.0, terminal, tick_s=0.01):
        waited = time.monotonic()
        while "still counting" not in terminal.written and time.monotonic() - waited < 60:
            time.sleep(0.01)
    assert "still counting under valgrind" in terminal.written
    assert "of roughly 60 s" in terminal.written
    after = terminal.written
    time.sleep(0.05)
    assert terminal.written == after  # the ticker stopped with the run
    quiet = _Terminal()
    with plan.ticking(None, quiet, tick_s=0.01):  # not announced: too short
        time.sleep(0.05)
    assert quiet.written == ""


def test_above_a_live_progress_bar_the_announcement_goes_through_the_bar(tmp_path):
    from accel.hardware.valgrind import Simulator

    from accel.cachesim import SimulatedPlan
    from accel.progress import Progress, live_console
    from accel.record import RunRecord

    plan = SimulatedPlan(Simulator(path="/usr/bin/valgrind"), "", str(tmp_path), "python")
    long = RunRecord("julia", "python", 200, "complex128", "ok", first_call_s=0.5)
    long.samples_s = [0.5] * 5
    terminal = _Terminal()
    progress = Progress(2, enabled=True, stream=terminal)
    progress.start("julia", "python", 200)
    try:
        assert live_console() is not None
        # None: nothing to tick, the bar shows the run's seconds itself.
        assert plan.announce(long) is None
    finally:
        progress.close()
    assert "counting julia on python under valgrind's cache simulator" in terminal.written
    assert live_console() is None


def test_an_unknown_counter_source_is_a_usage_error():
    with pytest.raises(accel.UsageError, match="unknown counter source 'bogus'"):
        accel.run("norm", "numpy", counter_source="bogus", store=False)


@pytest.mark.slow
def test_accel_counters_uses_the_simulator_where_perf_cannot_count(valgrind_here, accel_cli):
    from accel.counters import probe

    if probe(("cache-misses",)).counts_hardware:
        pytest.skip("perf counts hardware events here: auto picks perf")
    result = accel_cli("counters", "norm", "--size", "1000", "--backends", "numpy", "--no-store")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert f"counts from {valgrind_here.label}" in lines
    header = lines[1].split()
    assert "L1-dcache-load-misses/call" in header and "cycles/call" not in header


@pytest.mark.slow
def test_numba_under_valgrind_loads_the_code_a_native_pass_compiled(
    valgrind_here, tmp_path, monkeypatch
):
    monkeypatch.setenv("ACCEL_HOME", str(tmp_path))
    first = _simulated("norm", "numba_cpu", preset="S", threads=1)
    assert "native_pass" in first.counters["phases_s"]  # compiled natively first
    (folder,) = (tmp_path / "numba-valgrind").iterdir()
    written = {path.name: path.stat().st_mtime_ns for path in folder.rglob("*") if path.is_file()}
    # One compiled overload: had the pass under valgrind missed the cache (another CPU in
    # Numba's key), it would have compiled and saved a second one.
    assert len([name for name in written if name.endswith(".nbc")]) == 1, written
    again = _simulated("norm", "numba_cpu", preset="S", threads=1)
    assert "native_pass" not in again.counters["phases_s"]  # the cache was filled
    assert {
        path.name: path.stat().st_mtime_ns for path in folder.rglob("*") if path.is_file()
    } == written  # loaded, nothing compiled or saved again
    for record in (first, again):
        # The kernel itself, not an interpreted stand-in: one L1 miss per 64-byte line.
        assert _l1d_misses(record) == pytest.approx(record.size / 8, rel=0.1)
        assert any("Numba compiled for" in note for note in record.counters["notes"])
        phases = record.counters["phases_s"]  # where the simulated run's time went
        assert 0 < phases["region"] < record.counters["seconds"] and phases["outside"] > 0


def test_gpu_counts_say_host_side_and_the_cuda_simulator_says_it_ran_on_the_host(
    tmp_path, monkeypatch
):
    from accel.hardware.valgrind import Simulator
    from numba import config

    from accel.cachesim import SimulatedPlan

    found = Simulator(path="/usr/bin/valgrind", version="3.19")
    monkeypatch.setattr(config, "ENABLE_CUDASIM", 0)
    for backend in ("torch_cuda", "cupy", "numba_cuda"):
        notes = SimulatedPlan(found, "", str(tmp_path), backend).notes(1, "cuda")
        assert notes == ["host side only: valgrind sees no GPU work"]
    monkeypatch.setattr(config, "ENABLE_CUDASIM", 1)  # the kernel runs on the host then
    (note,) = SimulatedPlan(found, "", str(tmp_path), "numba_cuda").notes(1, "cuda")
    assert "CUDA simulator" in note and "not a GPU's" in note
    torch = SimulatedPlan(found, "", str(tmp_path), "torch_cuda").notes(1, "cuda")
    assert torch == ["host side only: valgrind sees no GPU work"]
