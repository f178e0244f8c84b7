"""The report: self-contained HTML that headless Chromium displays without an error.

Drawn from the synthetic GPU machine's export: its hardware, its tables, every figure
(comparison, sweep, counters, roofline) and a reading with the right winner.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest


class _Page(HTMLParser):
    """Every src/href value, the figures' ids and the readings' text of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.figures: list[str] = []
        self.readings: list[str] = []
        self._in_reading = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.links += [value or "" for name, value in attrs if name in ("src", "href")]
        if tag == "figure":
            self.figures.append(found.get("id") or "")
        self._in_reading = tag == "p" and found.get("class") == "reading"

    def handle_data(self, data: str) -> None:
        if self._in_reading:
            self.readings.append(data)

    def handle_endtag(self, tag: str) -> None:
        self._in_reading = False


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


EXPECTED_FIGURES = [
    "figure-julia-compare",
    "figure-julia-sweep",
    "figure-julia-counters",
    "figure-roofline",
]


@pytest.fixture(scope="module")
def report(tmp_path_factory, gpu_export, synthetic, cli):
    folder = tmp_path_factory.mktemp("report")
    html, markdown = folder / "lecture.html", folder / "slides.md"
    result = cli(
        "report", "--html", str(html), "--markdown", str(markdown),
        "--from", str(gpu_export), "--machine", synthetic.GPU,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"report written to {html}",
        f"report written to {markdown}",
    ]
    return html, markdown


def test_the_html_report_loads_in_chromium_with_every_figure_displayed(report, chromium):
    html, _ = report
    loaded = chromium.open(html)
    assert loaded["errors"] == []
    assert [image["id"] for image in loaded["images"]] == EXPECTED_FIGURES
    for image in loaded["images"]:
        assert image["complete"] and image["width"] > 300 and image["height"] > 150, image


def test_the_html_report_needs_no_network_and_no_other_file(report):
    html, _ = report
    page = _parse(html)
    assert page.figures == EXPECTED_FIGURES
    assert page.links and all(link.startswith("data:image/svg+xml;base64,") for link in page.links)
    assert not [link for link in page.links if "http" in link.split(",", 1)[0]]
    text = html.read_text(encoding="utf-8")
    assert "<script" not in text and "<link" not in text and "@import" not in text


def test_the_html_report_shows_the_exported_machine_and_reads_its_numbers(report, synthetic):
    html, _ = report
    text = html.read_text(encoding="utf-8")
    assert "AMD EPYC 7742" in text and "NVIDIA A100-SXM4-40GB" in text
    assert "180 GB/s (STREAM triad, 16 threads)" in text  # the export's measured roof
    (said,) = _parse(html).readings
    # at size 800: cupy 5.96 ms end to end, numba_cpu 6.4 ms, python 640 ms
    assert said.startswith("At size 800 (complex128), cupy is fastest end to end: 5.96 ms")
    assert "107× faster than CPython" in said  # 0.64 / 0.00596
    assert "In the sweep the GPU overtakes the CPU near size" in said


def test_the_markdown_report_links_figures_written_beside_it(report):
    _, markdown = report
    text = markdown.read_text(encoding="utf-8")
    links = [line[line.index("](") + 2 : -1] for line in text.splitlines() if line.startswith("![")]
    assert [Path(link).stem for link in links] == [
        f.removeprefix("figure-") for f in EXPECTED_FIGURES
    ]
    for link in links:
        figure = markdown.parent / link
        assert figure.is_file() and figure.read_bytes().startswith(b"<?xml")
    assert "| backend | status | median |" in text
    assert "cupy is fastest end to end" in text


def test_a_report_needs_somewhere_to_go(cli, gpu_export):
    result = cli("report", "--from", str(gpu_export))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "accel: error: say where to write the report: --html FILE and/or --markdown FILE"
    )


def test_the_chromium_check_sees_a_broken_figure_and_a_console_error(tmp_path, chromium):
    """The harness itself can fail: a bad image and a script error are both reported."""
    page = tmp_path / "broken.html"
    page.write_text(
        '<!DOCTYPE html><html><body><figure id="figure-bad">'
        '<img src="data:image/png;base64,bm90IGEgcG5n"></figure>'
        "<script>console.error('drawn wrong'); null.x</script></body></html>"
    )
    loaded = chromium.open(page)
    assert loaded["images"] == [{"id": "figure-bad", "complete": True, "width": 0, "height": 0}]
    assert {"type": "error", "text": "drawn wrong"} in loaded["errors"]
    assert any(e["type"] == "exception" and "null" in e["text"] for e in loaded["errors"])


def test_every_value_in_the_html_report_is_escaped():
    """A stored reason or kernel title is text, never markup: ``<not supported>`` stays visible."""
    from accel.evidence import Machine
    from accel.plots.report import KernelSection, Report, render_html

    hostile = "<script>alert(1)</script> & <not supported>"
    report = Report(
        machine=Machine("feedf00d", None),
        hardware=[("perf counters", hostile)],
        sections=[
            KernelSection("julia", hostile, (["backend", "check"], [["numpy", hostile]]), hostile)
        ],
        roofline=None,
        footer=hostile,
    )
    page = render_html(report)
    assert "<script" not in page and "<not supported>" not in page
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;not supported&gt;"
    assert page.count(escaped) == 6  # hardware row, title, cell, reading, top line, footer
