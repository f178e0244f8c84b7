"""Figures and tables as the command line prints them: one formatter per unit, one table."""

from __future__ import annotations

import io
from html import escape

import pytest
from accel.hardware.render import fmt_bytes

from accel import html, tables, units


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_bytes_read_in_binary_units_with_three_significant_figures():
    assert units.memory(48 * 1024) == "48 KiB"
    assert units.memory(1.25 * 2**20) == "1.25 MiB"  # Intel's L2: not rounded to 1.2
    assert units.memory(23.5 * 2**30) == "23.5 GiB"
    assert units.memory(1000 * 1024) == "1000 KiB"  # no 1e+03
    assert units.memory(2 * 2**40) == "2 TiB"
    assert units.memory(512) == "512 B"
    assert units.memory(-4096, signed=True) == "-4 KiB"
    assert units.memory(4096, signed=True) == "+4 KiB"
    assert units.memory(None) == "-"


def test_the_hardware_report_and_the_tables_write_sizes_the_same_way():
    for size in (64, 48 * 1024, 3 * 2**19, 480 * 2**20, 40 * 2**30, 251.5 * 2**30):
        assert fmt_bytes(size) == units.memory(size)
    assert fmt_bytes(None) == "unknown"


def test_durations_counts_rates_and_factors():
    assert [units.seconds(s) for s in (2.5, 0.00751, 4.2e-5, 8e-9)] == [
        "2.5 s",
        "7.51 ms",
        "42 us",
        "8 ns",
    ]
    assert units.seconds(None) == "-"
    # rounded before the unit is chosen, and never an exponent
    assert [units.seconds(s) for s in (0.99996, 0.0009999, 1234.5, 0)] == [
        "1 s",
        "1 ms",
        "1,230 s",
        "0 s",
    ]
    assert [units.count(c) for c in (999_999, 999.9, 0.5)] == ["1M", "1k", "0.5"]
    assert [units.count(c) for c in (42, 512_000, 1_234_567, 3e9)] == ["42", "512k", "1.23M", "3G"]
    assert [units.rate(r) for r in (2400.0, 52.0, 14.84)] == ["2,400", "52", "14.8"]
    assert [units.factor(f) for f in (30.31, 153.2, 4130.0)] == ["30.3×", "153×", "4,130×"]


HEADERS = ["backend", "median", "check"]
ROWS = [["numba_parallel", "88.9 ms", "passed"], ["python", "2.94 s", "a | b <x> [cuda]"]]


def test_a_text_table_aligns_every_column_two_spaces_after_the_widest_cell():
    lines = tables.text(HEADERS, ROWS).splitlines()
    assert lines[0] == "backend         median   check"
    # each column starts where its header starts, in every line
    for line, row in zip(lines[1:], ROWS, strict=True):
        assert [line.index(cell) for cell in row] == [0, 16, 25]


def test_a_markdown_table_escapes_what_markdown_would_eat():
    lines = tables.markdown(HEADERS, ROWS)
    assert lines[:2] == ["| backend | median | check |", "|---|---|---|"]
    assert lines[3] == "| python | 2.94 s | a \\| b &lt;x> [cuda] |"
    assert tables.markdown_cell("<= 1.15x\nover <not supported>") == (
        "<= 1.15x over &lt;not supported>"
    )


def test_off_a_terminal_a_shown_table_is_the_plain_text_one():
    out = io.StringIO()
    tables.show(HEADERS, ROWS, file=out)
    assert out.getvalue() == tables.text(HEADERS, ROWS) + "\n"


def test_on_a_terminal_rich_draws_the_table_with_the_same_cells():
    out = Terminal()
    tables.show(HEADERS, ROWS, file=out)
    drawn = out.getvalue()
    assert "\x1b[" in drawn  # styled: the headers are bold
    assert "─" in drawn  # a rule under the headers
    for cell in [*HEADERS, *ROWS[0], *ROWS[1]]:
        assert cell in drawn  # as text: "[cuda]" is not taken for rich markup


def test_an_html_table_is_parsed_back_to_its_cells_with_markup_kept_as_text():
    from html.parser import HTMLParser

    class Cells(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.rows: list[list[tuple[str, str]]] = []
            self.tag = ""

        def handle_starttag(self, tag, attrs):
            if tag == "tr":
                self.rows.append([])
            elif tag in ("th", "td"):
                self.tag = tag
                self.rows[-1].append((tag, ""))

        def handle_data(self, data):
            if self.tag and self.rows:
                kind, text = self.rows[-1][-1]
                self.rows[-1][-1] = (kind, text + data)

        def handle_endtag(self, tag):
            if tag in ("th", "td"):
                self.tag = ""

    parsed = Cells()
    parsed.feed(html.html(HEADERS, ROWS, notes=["<b>not bold</b>"]))
    assert parsed.rows == [
        [("th", h) for h in HEADERS],
        *([("td", cell) for cell in row] for row in ROWS),
    ]
    page = html.html(None, [["CPU", "<x>"]], align_left=True)
    assert '<th style="text-align:left">CPU</th><td style="text-align:left">&lt;x&gt;</td>' in page
    assert "&lt;b&gt;not bold&lt;/b&gt;" in html.html(HEADERS, ROWS, notes=["<b>not bold</b>"])


@pytest.mark.slow
def test_in_a_notebook_a_shown_table_is_drawn_as_html_by_rich():
    nbformat = pytest.importorskip("nbformat", reason="nbformat is not installed")
    nbclient = pytest.importorskip("nbclient", reason="nbclient is not installed")
    pytest.importorskip("ipykernel", reason="ipykernel is not installed")
    notebook = nbformat.v4.new_notebook()
    code = f"from accel import tables\ntables.show({HEADERS!r}, {ROWS!r})"
    notebook.cells.append(nbformat.v4.new_code_cell(code))
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    (shown,) = notebook.cells[0].outputs
    assert shown.output_type == "display_data"  # a rich display, not printed text
    page = shown.data["text/html"]
    assert page.startswith("<pre") and '<span style="font-weight: bold">backend' in page
    for cell in ROWS[1]:
        assert escape(cell, quote=False) in page


def test_a_text_table_without_headers_aligns_its_rows_alone():
    rows = [["numba_cuda", "no", "no driver"], ["c_native", "yes", ""]]
    assert tables.text(None, rows).splitlines() == ["numba_cuda  no   no driver", "c_native    yes"]
    assert tables.text(None, []) == ""
