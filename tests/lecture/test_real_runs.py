"""End to end on this machine: real measured runs, their figures and the report in Chromium.

Julia at tiny sizes on numpy and CPython only (each worker starts quickly), stored in a
store of the test's own; then figures and the report are drawn from that store.
"""

from __future__ import annotations

import json
import re

import pytest

pytestmark = pytest.mark.slow  # real comparisons and sweeps, plotted

BACKENDS = "numpy,python"


@pytest.fixture(scope="module")
def measured(tmp_path_factory, cli):
    """A comparison (with --progress and --json) and a sweep, both stored and plotted."""
    folder = tmp_path_factory.mktemp("real")
    store = folder / "results.sqlite"
    common = ["--backends", BACKENDS, "--repeats", "3", "--store", str(store)]
    compare = cli(
        "compare", "julia", "--size", "24", *common, "--json", "--progress",
        "--plot", str(folder / "compare.png"),
    )  # fmt: skip
    assert compare.returncode == 0, compare.stderr
    sweep = cli("sweep", "julia", "--sizes", "16,32", *common, "--plot", str(folder / "sweep.svg"))
    assert sweep.returncode == 0, sweep.stderr
    return folder, store, compare, sweep


def test_json_stays_clean_while_progress_goes_to_stderr(measured):
    _, _, compare, _ = measured
    records = json.loads(compare.stdout)  # nothing but the JSON on stdout
    assert [r["backend"] for r in records] == ["numpy", "python"]
    lines = compare.stderr.splitlines()
    assert lines[0] == "[1/2] julia numpy size 24 ..."
    assert re.fullmatch(r"\[1/2\] julia numpy size 24: ok, median \S+ \w+ \(\S+ \w+\)", lines[1])
    assert lines[2] == "[2/2] julia python size 24 ..."
    assert re.fullmatch(r"\[2/2\] julia python size 24: ok, median .+", lines[3])
    assert lines[4:] == [f"figure written to {measured[0] / 'compare.png'}"]


def test_without_a_terminal_or_progress_nothing_but_the_figure_line_is_on_stderr(measured):
    folder, _, _, sweep = measured
    assert sweep.stderr.splitlines() == [f"figure written to {folder / 'sweep.svg'}"]


def test_real_figures_carry_this_machines_fingerprint_and_one_series_per_backend(measured, figures):
    from accel.hardware import fingerprint

    folder, _, compare, _ = measured
    day = json.loads(compare.stdout)[0]["started_at"][:10]
    footer = figures.png_text(folder / "compare.png")["Description"]
    assert f"fingerprint {fingerprint()}" in footer and f"measured {day}" in footer
    width, _ = figures.png_size(folder / "compare.png")
    assert width >= 1600
    ids = figures.svg_ids(folder / "sweep.svg")
    assert figures.series(ids, "line", "kernel") == {"numpy", "python"}
    assert f"fingerprint {fingerprint()}" in figures.svg_description(folder / "sweep.svg")


def test_the_report_of_real_runs_opens_in_chromium_without_errors(measured, chromium, figures, cli):
    folder, store, compare, _ = measured
    html = folder / "report.html"
    result = cli("report", "--html", str(html), "--store", str(store), "--figures", "png")
    assert result.returncode == 0, result.stderr
    loaded = chromium.open(html)
    assert loaded["errors"] == []
    ids = [image["id"] for image in loaded["images"]]
    # counters were asked for (compare's default): the figure is there, counted or not
    assert ids == [
        "figure-julia-compare",
        "figure-julia-sweep",
        "figure-julia-counters",
        "figure-roofline",
    ]
    assert all(i["complete"] and i["width"] > 300 and i["height"] > 150 for i in loaded["images"])


def test_real_counters_are_drawn_when_counted_and_explained_when_not(measured, figures, cli):
    folder, store, compare, _ = measured
    out = folder / "counters.svg"
    result = cli("counters", "julia", "--from-store", "--store", str(store), "--size", "32",
                 "--plot", str(out))  # fmt: skip
    assert result.returncode == 0, result.stderr
    ids = figures.svg_ids(out)
    stored = {r["backend"]: r for r in json.loads(compare.stdout)}
    counted = {
        backend
        for backend, r in stored.items()
        if ((r["counters"] or {}).get("events", {}).get("cache-misses") or {}).get("status")
        == "counted"
    }  # what perf managed on this machine, read from the records themselves
    assert figures.series(ids, "bar", "time") == {"numpy", "python"}
    if counted:
        assert figures.series(ids, "bar", "cache_misses") == counted
    else:  # a VM without a virtual PMU: the panel says so, no zero bars
        assert "missing-cache_misses" in ids
        assert not figures.series(ids, "bar", "cache_misses")


def test_without_matplotlib_plot_is_one_line_and_nothing_is_measured(tmp_path, accel_cli):
    fake = tmp_path / "fake" / "matplotlib"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('matplotlib is not installed')\n")
    store = tmp_path / "never.sqlite"
    result = accel_cli(
        "compare", "julia", "--backends", "numpy", "--store", str(store),
        "--plot", str(tmp_path / "x.png"), env={"PYTHONPATH": str(tmp_path / "fake")},
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr == (
        "accel: error: figures need matplotlib, which is not installed: "
        "pip install 'accel-testbed[plot]'\n"
    )
    assert not store.exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--plot", "figure.pdf"], "a figure file must end in .png or .svg, got 'figure.pdf'"),
        (["--plot", "no/such/folder/x.svg"], "cannot write 'no/such/folder/x.svg'"),
        (["--machine", "abc"], "--machine picks stored runs: use it with --from-store"),
    ],
)
def test_figure_mistakes_fail_before_anything_runs(tmp_path, accel_cli, args, message):
    store = tmp_path / "never.sqlite"
    result = accel_cli("sweep", "julia", "--sizes", "8", "--store", str(store), *args)
    assert result.returncode == 2
    assert result.stderr.startswith(f"accel: error: {message}")
    assert len(result.stderr.splitlines()) == 1
    assert not store.exists()
