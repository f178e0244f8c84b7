"""The lecture report: one machine's stored results as a self-contained HTML or Markdown file.

Contents: the hardware summary, then for each kernel the comparison table, its figures
(comparison, sweep where several sizes were measured, counters where they were
counted) and a plain-language reading generated from the numbers, and last the
roofline of every kernel under the machine's roof.

The HTML file needs nothing but itself: CSS inline, figures embedded as ``data:`` URIs,
no script, no external address. The Markdown version (for slides tools) writes its
figures as files in a folder beside it and links them by relative path.

>>> with results() as store:                                         # doctest: +SKIP
...     report = build_report(store, resolve_machine(store, None), kernels=None)
...     write_html(report, "lecture.html")
"""

from __future__ import annotations

import base64
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .. import evidence
from ..errors import UsageError
from ..evidence import Machine
from ..html import templates
from ..kernels import UnknownKernelError, get_kernel
from ..outputs import OutputError, write_file
from ..record import RunRecord
from ..store import Store
from ..tables import compare_rows, machine_rows, markdown, markdown_cell, source_note
from ..units import memory, rate
from ..untrusted import file_name_part
from .compare_plot import draw_comparison
from .counters_plot import draw_counters
from .machines_plot import draw_machines
from .narrative import reading
from .roofline_plot import draw_roofline, gpu_roof_from_report, roof_from_report
from .sweep_plot import draw_sweep

MIME = {"svg": "image/svg+xml", "png": "image/png"}
CACHE_SUFFIX = {"data": "d", "instruction": "i"}


@dataclass(frozen=True)
class Figure:
    """One drawn figure: a name for its file, a caption, its format and bytes."""

    name: str
    caption: str
    kind: str  # "svg" or "png"
    data: bytes

    def data_uri(self) -> str:
        return f"data:{MIME[self.kind]};base64,{base64.b64encode(self.data).decode('ascii')}"


@dataclass
class KernelSection:
    """Everything the report says about one kernel."""

    kernel: str
    title: str
    table: tuple[list[str], list[list[str]]]
    reading: str
    figures: list[Figure] = field(default_factory=list)
    #: The kernel at the same size on every machine the store holds runs of, side by
    #: side (a fleet, or other machines' imported exports); None with one machine.
    machines: tuple[list[str], list[list[str]]] | None = None


@dataclass
class Report:
    """One machine's report, ready to write as HTML or Markdown."""

    machine: Machine
    hardware: list[tuple[str, str]]
    sections: list[KernelSection]
    roofline: Figure | None
    footer: str


def hardware_summary(machine: Machine) -> list[tuple[str, str]]:
    """The machine in a few rows: CPU, cores, caches, SIMD, memory, GPUs, measured figures."""
    report = machine.report or {}
    if not report:
        return [("fingerprint", machine.fingerprint or "unknown"), ("report", machine.name)]
    cpu, host = report.get("cpu") or {}, report.get("host") or {}
    caches = ", ".join(
        f"L{c['level']}{CACHE_SUFFIX.get(c['type'], '')} {memory(c['size_bytes'])}"
        for c in (report.get("caches") or {}).get("levels", [])
        if c.get("size_bytes")
    )
    gpu = report.get("gpu") or {}
    gpus = ", ".join(
        f"{d.get('name')} ({memory(d.get('memory_total_bytes'))})" for d in gpu.get("devices", [])
    )
    rows = [
        ("fingerprint", machine.fingerprint or "unknown"),
        ("CPU", f"{cpu.get('model_name') or 'unknown'} ({cpu.get('microarchitecture') or '?'})"),
        (
            "cores",
            f"{cpu.get('physical_cores') or '?'} physical, {cpu.get('logical_cores') or '?'} "
            f"logical, {host.get('usable_cpus') or '?'} usable here",
        ),
        ("caches", caches or "unknown"),
        ("SIMD", (report.get("simd") or {}).get("cpu_widest") or "unknown"),
        ("memory", memory((report.get("memory") or {}).get("total_bytes"))),
        ("GPU", gpus or f"none ({gpu.get('none_reason') or 'none found'})"),
        (
            "system",
            f"{host.get('distribution') or host.get('os_name') or '?'}, "
            f"{host.get('virtualization') or 'bare metal or unknown'}, "
            f"Python {host.get('python_version') or '?'}",
        ),
        ("perf counters", (report.get("perf") or {}).get("summary") or "unknown"),
    ]
    return rows + _measured_rows(report.get("measured"))


def _measured_rows(measured: dict[str, Any] | None) -> list[tuple[str, str]]:
    if not measured:
        return [
            (
                "measured",
                "no measured bandwidth or GFLOP/s in the stored report "
                "(accel report --measure-roof on that machine measures them)",
            )
        ]
    rows = []
    streams = measured.get("bandwidth") or []
    if streams:
        best = max(streams, key=lambda b: b["best_gbs"])
        rows.append(
            (
                "memory bandwidth",
                f"{rate(best['best_gbs'])} GB/s (STREAM {best['kernel']}, "
                f"{best['threads']} threads)",
            )
        )
    for peak in measured.get("flops") or []:
        rows.append(("peak compute", f"{rate(peak['best_gflops'])} GFLOP/s ({peak['name']})"))
    for t in measured.get("transfers") or []:
        rows.append(
            (
                f"{'host → GPU' if t['direction'] == 'h2d' else 'GPU → host'} ({t['host_memory']})",
                f"{rate(t['median_gbs'])} GB/s at {memory(t['size_bytes'])}",
            )
        )
    return rows


def _figure(
    name: str, caption: str, kind: str, draw: Callable[[str], Any], folder: str
) -> Figure | None:
    """Draw one figure into ``folder`` and keep its bytes; None where there is nothing to draw."""
    path = os.path.join(folder, f"{file_name_part(name)}.{kind}")
    try:
        draw(path)
    except UsageError:  # nothing to draw (no run finished ok): the table says why
        return None
    return Figure(name, caption, kind, Path(path).read_bytes())


def build_report(
    store: Store,
    machine: Machine,
    *,
    kernels: Sequence[str] | None,
    kind: str = "svg",
) -> Report:
    """Draw every figure of ``machine``'s stored runs and write the readings.

    The roofline's roof comes from ``machine.report`` (none where it holds no
    measurements).
    """
    names = list(kernels) if kernels else evidence.kernels_on(store, machine)
    if not names:
        raise UsageError(f"no stored runs on machine {machine.fingerprint}")
    sections = []
    compared: list[RunRecord] = []
    with tempfile.TemporaryDirectory(prefix="accel-report-") as folder:
        for kernel in names:
            sweep = evidence.sweep(store, machine, kernel)
            size = evidence.richest_size(sweep)
            records = [r for r in sweep if r.size == size]
            compared += records
            section = _section(kernel, records, sweep, machine, kind, folder)
            _side_by_side(store, machine, section, records, kind, folder)
            sections.append(section)
        roofline = _figure(
            "roofline",
            "Achieved GFLOP/s against arithmetic intensity, under this machine's measured roof",
            kind,
            lambda path: draw_roofline(
                compared,
                machine,
                roof_from_report(machine.report),
                path,
                gpu_roof=gpu_roof_from_report(machine.report),
            ),
            folder,
        )
    return Report(
        machine=machine,
        hardware=hardware_summary(machine),
        sections=sections,
        roofline=roofline,
        footer=f"{machine.footer(compared)} · report written "
        f"{datetime.now(timezone.utc).isoformat(timespec='minutes')}",
    )


def _side_by_side(
    store: Store,
    machine: Machine,
    section: KernelSection,
    records: list[RunRecord],
    kind: str,
    folder: str,
) -> None:
    """Add the machines side by side to ``section`` where other machines ran the kernel at
    the same size and dtype: their table, and a figure."""
    if not records:
        return
    first = records[0]
    others = [
        m
        for m in evidence.resolve_machines(store, "all", kernel=first.kernel, size=first.size)
        if m.fingerprint != machine.fingerprint
    ]
    machines = [machine, *others]
    every = list(records)
    for other in others:
        every += evidence.comparison(store, other, first.kernel, size=first.size, dtype=first.dtype)
    if len({r.machine for r in every}) < 2:
        return
    section.machines = machine_rows(every, {m.fingerprint: m.short_name for m in machines})
    drawn = _figure(
        f"{first.kernel}-machines",
        "The same kernel and size on every machine with stored runs, end to end per call",
        kind,
        lambda path: draw_machines(every, machines, path),
        folder,
    )
    if drawn is not None:
        section.figures.append(drawn)


def _section(
    kernel: str,
    records: list[RunRecord],
    sweep: list[RunRecord],
    machine: Machine,
    kind: str,
    folder: str,
) -> KernelSection:
    try:
        title = get_kernel(kernel).title
    except UnknownKernelError:  # a kernel only the export knows
        title = kernel
    figures = [
        _figure(
            f"{kernel}-compare",
            "One call from host data per backend: transfers, compute and the first call's "
            "compile/JIT; speedup against CPython on each bar",
            kind,
            lambda path: draw_comparison(records, machine, path),
            folder,
        )
    ]
    if len({r.size for r in sweep if r.ok}) > 1:
        figures.append(
            _figure(
                f"{kernel}-sweep",
                "Time against size per backend; vertical lines mark where the fastest "
                "backend changes (solid: kernel time, dotted: with transfers)",
                kind,
                lambda path: draw_sweep(sweep, machine, path),
                folder,
            )
        )
    if any(r.counters is not None or r.counters_reason for r in records):
        figures.append(
            _figure(
                f"{kernel}-counters",
                "Cache misses and instructions per cycle (or L1 data misses) beside time, "
                f"timed calls only ({source_note(records) or 'not counted'})",
                kind,
                lambda path: draw_counters(records, machine, path),
                folder,
            )
        )
    return KernelSection(
        kernel=kernel,
        title=title,
        table=compare_rows(records),
        reading=reading(records, sweep),
        figures=[f for f in figures if f is not None],
    )


# -- HTML --------------------------------------------------------------------------


def render_html(report: Report) -> str:
    """The whole report as one HTML document that needs no other file and no network.

    Drawn by the package's Jinja template ``accel/templates/report.html.j2`` (its CSS in
    ``report.css``, its tables those of :func:`accel.html.html`), every value escaped.
    """
    return templates().get_template("report.html.j2").render(report=report)


def write_html(report: Report, path: str | os.PathLike[str]) -> Path:
    return write_file(path, render_html(report))


# -- Markdown ------------------------------------------------------------------------


def write_markdown(report: Report, path: str | os.PathLike[str]) -> Path:
    """The report as Markdown at ``path``, its figures in ``<name>-figures/`` beside it."""
    target = Path(path)
    folder = target.with_name(f"{target.stem}-figures")
    try:
        folder.mkdir(exist_ok=True)
    except OSError as exc:
        why = exc.strerror or exc
        raise OutputError(f"cannot make the figures folder {str(folder)!r}: {why}") from None

    def image(figure: Figure) -> list[str]:
        file = folder / f"{file_name_part(figure.name)}.{figure.kind}"
        write_file(file, figure.data)
        return [f"![{markdown_cell(figure.caption)}]({folder.name}/{file.name})", ""]

    lines = ["# CPU and GPU, side by side", "", report.footer, "", "## The machine", ""]
    lines += markdown(["", ""], report.hardware) + [""]
    for section in report.sections:
        lines += [f"## {section.kernel}: {section.title}", ""]
        lines += markdown(*section.table) + [""]
        if section.machines is not None:
            lines += ["Machines side by side:", ""] + markdown(*section.machines) + [""]
        for figure in section.figures:
            lines += image(figure)
        lines += [section.reading, ""]
    if report.roofline is not None:
        lines += ["## Roofline: every kernel", ""] + image(report.roofline)
    return write_file(target, "\n".join(lines))
