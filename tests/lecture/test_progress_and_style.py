"""Progress lines (terminal and not, interrupted) and the house style of every figure."""

from __future__ import annotations

import io

import pytest

from accel import progress
from accel.backends import BACKEND_NAMES, get_backend
from accel.errors import Interrupted
from accel.plots import style
from accel.record import RunRecord


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _record(backend: str, status: str = "ok") -> RunRecord:
    return RunRecord("julia", backend, 24, "complex128", status, samples_s=[0.008] * 3)


def test_progress_is_shown_on_a_terminal_or_when_asked_and_never_otherwise():
    assert progress.wanted(False, Terminal())
    assert not progress.wanted(False, io.StringIO())
    assert progress.wanted(True, io.StringIO())


def test_off_a_terminal_each_run_writes_a_start_and_an_end_line():
    out = io.StringIO()
    shown = progress.Progress(2, enabled=True, stream=out)
    shown.start("julia", "numpy", 24)
    shown.finish(_record("numpy"))
    shown.close()
    first, second = out.getvalue().splitlines()
    assert first == "[1/2] julia numpy size 24 ..."
    assert second.startswith("[1/2] julia numpy size 24: ok, median 8 ms (")
    assert "\r" not in out.getvalue()


def test_on_a_terminal_a_bar_is_redrawn_in_place_and_finished_runs_stay():
    out = Terminal()
    shown = progress.Progress(4, enabled=True, stream=out)
    shown.start("julia", "numpy", 24)
    shown.finish(_record("numpy"))
    shown.start("julia", "python", 24)
    shown._bar.refresh()  # as rich's ticker does twice a second
    drawn = out.getvalue()
    shown.close()  # interrupted during run 2: the line says so and the bar goes
    ended = out.getvalue()[len(drawn) :]
    assert "\x1b[" in drawn  # drawn in place with terminal control sequences
    assert "[2/4] julia python size 24 ..." in drawn  # the bar names the running run
    assert "━" in drawn  # rich's bar
    assert "[1/4] julia numpy size 24: ok, median 8 ms (" in drawn  # a finished run stays
    assert "[2/4] julia python size 24: interrupted" in ended
    assert "\x1b[?25h" in ended  # the cursor is shown again
    assert ended.endswith("\x1b[1A\x1b[2K")  # and the bar's line is erased: a clean terminal
    assert shown._bar is None


def test_an_interrupt_counts_the_runs_of_the_whole_plan(monkeypatch):
    import accel.loop
    from accel.request import requests_for

    calls = []

    def fake_execute(request):
        calls.append((request.backend, request.size))
        if len(calls) == 3:
            raise KeyboardInterrupt  # Ctrl-C while the third worker runs
        return _record(request.backend)

    monkeypatch.setattr(accel.loop, "execute", fake_execute)
    requests = requests_for("julia", ["numpy", "python"], [16, 32], threads=1)
    shown = progress.Progress(len(requests), enabled=True, stream=io.StringIO())
    kept = []
    with pytest.raises(Interrupted) as stopped:
        for record in accel.loop.measure(requests, store=False, progress=shown):
            kept.append(record.backend)
    assert kept == ["numpy", "python"]  # finished runs reach the caller
    assert calls == [("numpy", 16), ("python", 16), ("numpy", 32)]
    assert (stopped.value.signum, stopped.value.finished, stopped.value.total) == (2, 2, 4)
    assert str(stopped.value) == "interrupted after 2 of 4 runs"  # no store: nothing to resume
    assert shown.stream.getvalue().endswith("[3/4] julia numpy size 32 ...\n")


def test_every_backend_has_its_own_colour_and_marker_and_gpus_draw_dashed():
    styles = [style.backend_style(name) for name in BACKEND_NAMES]
    assert all(name in style.BACKEND_STYLES for name in BACKEND_NAMES)
    assert len({s.colour.lower() for s in styles}) == len(BACKEND_NAMES)
    assert len({s.marker for s in styles}) == len(BACKEND_NAMES)
    for name, look in zip(BACKEND_NAMES, styles, strict=True):
        assert look.gpu == (get_backend(name).device == "cuda"), name
        assert look.linestyle == ("--" if look.gpu else "-")


@pytest.fixture
def drawn_figures(monkeypatch, tmp_path, gpu_export, synthetic):
    """Every figure of the synthetic GPU machine, drawn in-process; the Figure objects kept."""
    from accel import evidence
    from accel.plots.compare_plot import draw_comparison
    from accel.plots.counters_plot import draw_counters
    from accel.plots.roofline_plot import draw_roofline, roof_from_report
    from accel.plots.sweep_plot import draw_sweep

    kept = []
    finish = style.finish

    def keep(fig, path, footer):
        kept.append(fig)
        return finish(fig, path, footer)

    monkeypatch.setattr(style, "finish", keep)
    with evidence.results(export_file=str(gpu_export)) as store:
        machine = evidence.resolve_machine(store, synthetic.GPU)
        sweep = evidence.sweep(store, machine, "julia")
    at_800 = [r for r in sweep if r.size == 800]
    draw_comparison(at_800, machine, tmp_path / "a.svg")
    draw_sweep(sweep, machine, tmp_path / "b.svg")
    draw_counters(at_800, machine, tmp_path / "c.svg")
    draw_roofline(at_800, machine, roof_from_report(machine.report), tmp_path / "d.svg")
    return kept


def test_every_text_of_every_figure_is_at_least_14_points(drawn_figures):
    from matplotlib.text import Text

    assert len(drawn_figures) == 4
    for fig in drawn_figures:
        texts = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
        assert len(texts) > 5
        small = [(t.get_text()[:40], t.get_fontsize()) for t in texts if t.get_fontsize() < 14]
        assert small == []


def test_every_figure_has_a_footer_naming_the_machine(drawn_figures, synthetic):
    for fig in drawn_figures:
        (footer,) = [
            t for t in fig.findobj() if getattr(t, "get_gid", None) and t.get_gid() == "footer"
        ]
        assert f"fingerprint {synthetic.GPU}" in footer.get_text().replace("\n", " ")


def test_while_the_bar_is_drawn_stdout_stays_the_commands_own(capsys):
    out = Terminal()
    shown = progress.Progress(1, enabled=True, stream=out)
    shown.start("julia", "numpy", 24)
    print('{"json": "only"}')  # what --json prints, mid-run
    shown.finish(_record("numpy"))
    shown.close()
    assert capsys.readouterr().out == '{"json": "only"}\n'
    assert "json" not in out.getvalue()
