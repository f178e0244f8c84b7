"""Figures drawn from an imported GPU machine's export, checked structurally.

Every figure here is drawn by the real CLI from ``--from FILE`` (the synthetic export
of conftest.py): nothing is measured, the user's store is not touched, and the
figure must describe the exported machine, not this one.
"""

from __future__ import annotations

import copy
import re

import pytest

pytestmark = pytest.mark.slow  # draws every figure of a synthetic export

SIZE = 800  # the largest size of the synthetic sweep
OK_BACKENDS = {"python", "numpy", "numba_cpu", "cupy"}


@pytest.fixture(scope="module")
def drawn(tmp_path_factory, gpu_export, synthetic, cli):
    """Every figure of the synthetic GPU machine, as SVG and (comparison) PNG."""
    folder = tmp_path_factory.mktemp("figures")
    source = ["--from", str(gpu_export), "--machine", synthetic.GPU[:6]]
    commands = {
        "compare.svg": ["compare", "julia", "--size", str(SIZE)],
        "compare.png": ["compare", "julia", "--size", str(SIZE)],
        "sweep.svg": ["sweep", "julia"],
        "sweep-cpu.svg": ["sweep", "julia", "--backends", "python,numpy,numba_cpu"],
        "roofline.svg": ["roofline", "julia", "--size", str(SIZE)],
        "counters.svg": ["counters", "julia", "--size", str(SIZE)],
    }
    outputs = {}
    for name, command in commands.items():
        result = cli(*command, *source, "--plot", str(folder / name))
        assert result.returncode == 0, (name, result.stderr)
        assert result.stderr.strip() == f"figure written to {folder / name}"
        outputs[name] = result.stdout
    return folder, outputs


def test_the_comparison_has_one_bar_per_backend_split_into_its_segments(drawn, figures):
    folder, _ = drawn
    ids = figures.svg_ids(folder / "compare.svg")
    assert figures.series(ids, "bar", "compute") == OK_BACKENDS  # torch_cuda: unavailable
    # transfers only where data moves (cupy), compile only where the first call costs more
    assert figures.series(ids, "bar", "h2d") == {"cupy"}
    assert figures.series(ids, "bar", "d2h") == {"cupy"}
    assert figures.series(ids, "bar", "compile") == {"numba_cpu"}


def test_the_comparison_prints_the_speedup_against_cpython_from_the_stored_times(drawn, synthetic):
    _, outputs = drawn
    python = synthetic.times("python", SIZE)[0]
    for backend in ("numpy", "numba_cpu"):
        expected = python / synthetic.times(backend, SIZE)[0]
        row = next(line for line in outputs["compare.svg"].splitlines() if line.startswith(backend))
        assert f"{expected:.1f}x" in row.split(), row


def test_a_png_figure_is_a_real_png_large_enough_to_project(drawn, figures):
    folder, _ = drawn
    width, height = figures.png_size(folder / "compare.png")
    assert width >= 1600 and height >= 600  # readable on a 1920-wide projector
    chunk_types = [kind for kind, _ in figures.png_chunks(folder / "compare.png")]
    assert chunk_types[0] == b"IHDR" and chunk_types[-1] == b"IEND" and b"IDAT" in chunk_types


def test_every_figure_names_the_exported_machine_and_its_date_not_this_one(
    drawn, figures, synthetic
):
    folder, _ = drawn
    footers = [figures.svg_description(path) for path in sorted(folder.glob("*.svg"))]
    footers.append(figures.png_text(folder / "compare.png")["Description"])
    for footer in footers:
        assert f"fingerprint {synthetic.GPU}" in footer
        assert "AMD EPYC 7742" in footer and "NVIDIA A100-SXM4-40GB" in footer
        assert "measured 2026-03-04" in footer


def test_the_comparison_says_which_backends_are_not_drawn_and_why(drawn, figures):
    folder, _ = drawn
    footer = figures.svg_description(folder / "compare.svg")
    assert "not drawn: torch_cuda: unavailable (torch is the CPU build)" in footer


def test_the_sweep_draws_every_backend_and_marks_both_crossovers(drawn, figures):
    folder, outputs = drawn
    ids = figures.svg_ids(folder / "sweep.svg")
    assert figures.series(ids, "line", "kernel") == OK_BACKENDS
    assert figures.series(ids, "line", "end_to_end") == {"cupy"}  # only cupy moves data
    # the synthetic times change winner once counting the kernel, once with transfers
    assert {i for i in ids if i.startswith("crossover-")} == {
        "crossover-kernel-0",
        "crossover-end_to_end-0",
    }
    text = outputs["sweep.svg"]
    kernel_line = next(line for line in text.splitlines() if "kernel time only" in line)
    transfer_line = next(line for line in text.splitlines() if "transfers counted" in line)
    assert re.search(r"numba_cpu -> cupy near size \d+ \(between 100 and 200\)", kernel_line)
    assert re.search(r"numba_cpu -> cupy near size \d+ \(between 400 and 800\)", transfer_line)


def test_a_sweep_without_a_change_of_winner_has_no_crossover_mark(drawn, figures):
    folder, outputs = drawn
    ids = figures.svg_ids(folder / "sweep-cpu.svg")
    assert figures.series(ids, "line", "kernel") == {"python", "numpy", "numba_cpu"}
    assert not [i for i in ids if i.startswith("crossover-")]
    assert "none" in outputs["sweep-cpu.svg"]


def test_one_backend_keeps_one_colour_across_every_figure(drawn, figures):
    folder, _ = drawn
    colours = {}
    for backend in ("python", "numpy", "numba_cpu"):
        seen = {
            figures.svg_colour(folder / "compare.svg", f"bar-{backend}-compute", "fill"),
            figures.svg_colour(folder / "sweep.svg", f"line-{backend}-kernel", "stroke"),
            figures.svg_colour(folder / "counters.svg", f"bar-{backend}-time", "fill"),
            figures.svg_colour(folder / "roofline.svg", f"point-julia-{backend}", "fill"),
        }
        assert len(seen) == 1, (backend, seen)
        colours[backend] = seen.pop()
    assert len(set(colours.values())) == len(colours)  # and backends differ from each other


def test_the_roofline_uses_the_exported_machines_measured_roof(drawn, figures):
    folder, outputs = drawn
    ids = figures.svg_ids(folder / "roofline.svg")
    assert "roof" in ids and "roof-compute-1" in ids  # the slope + top peak, the lower peak
    assert figures.series(ids, "point") == {"julia"}
    backends = {i.split("-", 2)[2] for i in ids if i.startswith("point-julia-")}
    assert backends == OK_BACKENDS
    roof_line = outputs["roofline.svg"].strip().splitlines()[-1]
    assert roof_line == (  # the export's numbers (conftest.py), highest peak first
        "roof: 180 GB/s (STREAM triad, 16 threads); "
        "2,400 GFLOP/s (numpy matmul float32 n=2048), 1,200 GFLOP/s (numpy matmul float64 n=2048)"
    )


def test_roofline_points_are_work_over_median_time(drawn, synthetic):
    from accel.kernels import get_kernel

    _, outputs = drawn
    work = get_kernel("julia").work(SIZE, max_iter=300)
    rows = {line.split()[1]: line.split() for line in outputs["roofline.svg"].splitlines()[1:5]}
    for backend in OK_BACKENDS:
        gflops = work.flops / synthetic.times(backend, SIZE)[0] / 1e9
        assert float(rows[backend][4].replace(",", "")) == pytest.approx(gflops, rel=5e-3)
        assert rows[backend][3] == f"{work.flops / work.bytes:.3g}"


def test_without_measured_figures_the_roofline_says_there_is_no_roof(
    tmp_path, unmeasured_export, synthetic, figures, accel_cli
):
    out = tmp_path / "roof.svg"
    result = accel_cli(
        "roofline", "julia", "--from", str(unmeasured_export), "--machine", synthetic.GPU,
        "--plot", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    ids = figures.svg_ids(out)
    assert not {"roof", "roof-compute-1"} & ids
    assert figures.series(ids, "point") == {"julia"}
    assert "no roof" in figures.svg_description(out)
    assert f"no roof: the stored hardware report of machine {synthetic.GPU}" in result.stdout


def test_measure_roof_refuses_another_machines_runs(unmeasured_export, synthetic, accel_cli):
    result = accel_cli(
        "roofline", "julia", "--from", str(unmeasured_export), "--machine", synthetic.GPU,
        "--measure-roof",
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.startswith("accel: error: --measure-roof measures this machine")


def test_counted_events_are_bars_and_a_backend_without_counts_is_not_drawn_as_zero(
    drawn, figures, synthetic
):
    folder, _ = drawn
    ids = figures.svg_ids(folder / "counters.svg")
    assert figures.series(ids, "bar", "time") == OK_BACKENDS
    counted = set(synthetic.GPU_COUNTERS)
    assert figures.series(ids, "bar", "cache_misses") == counted  # no zero bar for cupy
    assert figures.series(ids, "bar", "ipc") == counted
    assert not [i for i in ids if i.startswith("missing-")]


def test_without_machine_the_newest_runs_machine_is_drawn(tmp_path, gpu_export, synthetic,
                                                           figures, accel_cli):  # fmt: skip
    out = tmp_path / "laptop.svg"
    result = accel_cli("counters", "julia", "--from", str(gpu_export), "--plot", str(out))
    assert result.returncode == 0, result.stderr
    assert f"fingerprint {synthetic.CPU}" in figures.svg_description(out)
    ids = figures.svg_ids(out)
    assert figures.series(ids, "bar", "time") == {"python", "numba_cpu"}
    # the laptop's perf counted no hardware event: the panels say so instead of bars
    assert {"missing-cache_misses", "missing-ipc"} <= ids
    assert not figures.series(ids, "bar", "cache_misses")


def test_throughput_series_are_work_over_time_per_size(gpu_export, synthetic):
    from accel.kernels import get_kernel

    from accel import evidence
    from accel.plots.sweep_plot import series

    with evidence.results(export_file=str(gpu_export)) as store:
        machine = evidence.resolve_machine(store, synthetic.GPU)
        records = evidence.sweep(store, machine, "julia")
    drawn = series(records, throughput=True)
    assert set(drawn) == OK_BACKENDS
    for backend, points in drawn.items():
        assert [size for size, _ in points] == list(synthetic.SWEEP_SIZES)
        for size, gflops in points:
            flops = get_kernel("julia").work(size, max_iter=300).flops
            assert gflops == pytest.approx(flops / synthetic.times(backend, size)[0] / 1e9)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--backends", "numpy,cuda"], "unknown backend 'cuda'; choose one of: python,"),
        (["--size", "0"], "size must be a positive whole number, got 0"),
        (
            ["--machine", "0000"],
            "no stored runs of kernel julia on machine 0000; "
            "machines with such runs: a100feedf00d, cafe0000beef",
        ),
    ],
)
def test_stored_mistakes_are_one_line_and_exit_2(gpu_export, accel_cli, args, message):
    result = accel_cli("compare", "julia", "--from", str(gpu_export), *args)
    assert result.returncode == 2
    assert result.stderr.startswith(f"accel: error: {message}")
    assert len(result.stderr.splitlines()) == 1


def test_measure_roof_measures_this_machine_once_when_its_report_has_no_roof(monkeypatch):
    """The glue only: the probe itself is tested by tests/hardware (a real one takes 15 s)."""
    import accel.hardware
    from accel.hardware.report import BandwidthResult, FlopsResult, MeasuredFigures

    from accel.evidence import Machine
    from accel.identity import machine_fingerprint
    from accel.plots.command_line import with_roof
    from accel.plots.roofline_plot import roof_from_report

    calls = []
    unmeasured = accel.hardware.cached_probe()  # the real probe, before it is replaced

    def probe(measure: bool = False, **options):
        calls.append(measure)
        report = copy.deepcopy(unmeasured)
        report.measured = MeasuredFigures(
            bandwidth=[BandwidthResult("triad", 2, 12.5, 11.0, 5, 1)],
            flops=[FlopsResult("numpy matmul float64 n=2048", "BLAS", 40.0, 38.0, 3)],
        )
        return report

    monkeypatch.setattr(accel.hardware, "probe", probe)
    here = Machine(machine_fingerprint(), {"measured": None})
    assert with_roof(here, measure=False) is here and calls == []
    measured = with_roof(here, measure=True)
    assert calls == [True] and measured.fingerprint == here.fingerprint
    roof = roof_from_report(measured.report)
    assert (roof.bandwidth_gbs, roof.peak_gflops) == (12.5, 40.0)
    assert with_roof(measured, measure=True) is measured and calls == [True]  # has a roof now
