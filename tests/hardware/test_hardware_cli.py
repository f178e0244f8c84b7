"""`accel hardware`: text, --json, --markdown, --measure, and the backend matrix."""

from __future__ import annotations

import argparse
import json
import sys

import accel.hardware as hw
import pytest

from accel.cli import hardware_cmd


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    hardware_cmd.register(parser.add_subparsers())
    return parser.parse_args(["hardware", *argv])


@pytest.fixture
def cached_probe(monkeypatch, live_report):
    """Make the command reuse the session's probe; record what it was asked for."""
    calls = []
    hw.cached_probe()  # fill the per-process cache with a real probe before probe is faked

    def fake_probe(measure=False, **kwargs):
        calls.append(measure)
        return live_report

    monkeypatch.setattr(hw, "probe", fake_probe)
    return calls


def test_text_report_has_every_section_and_the_backends(cached_probe, capsys, live_report):
    assert hardware_cmd.run(_args()) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    for section in ("Host", "CPU", "Caches", "SIMD", "Memory", "GPUs", "perf", "Libraries"):
        assert section in lines
    assert f"fingerprint {live_report.fingerprint}" in lines[0]
    assert any(line.strip().startswith(f"usable CPUs     {live_report.host.usable_cpus}")
               for line in lines)  # fmt: skip
    assert "Backends" in lines
    from accel.backends import all_backends

    for backend in all_backends():
        assert any(line.split()[:1] == [backend.name] for line in lines[lines.index("Backends") :])
    assert cached_probe == [False]


def test_json_has_schema_fingerprint_and_backends(cached_probe, capsys, live_report):
    assert hardware_cmd.run(_args("--json")) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["schema_version"] == hw.SCHEMA_VERSION
    assert data["fingerprint"] == live_report.fingerprint
    assert data["cpu"]["model_name"] == live_report.cpu.model_name
    assert data["host"]["usable_cpus"] == live_report.host.usable_cpus
    rows = data["backends"]
    assert rows and all(set(row) == {"name", "available", "reason"} for row in rows)
    assert all(isinstance(row["available"], bool) for row in rows)
    assert any(row["name"] == "numpy" and row["available"] for row in rows)


def test_markdown_is_tables(cached_probe, capsys, live_report):
    assert hardware_cmd.run(_args("--markdown")) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"### Hardware: {live_report.cpu.model_name}")
    assert "| cache | size | instances | line | ways | shared by CPUs |" in out
    assert "| backend | available | reason |" in out
    for note in live_report.simd.notes:
        assert f"> {note.replace('<', '&lt;').replace('>', '&gt;')}" in out
    if "not supported" in live_report.perf.events.values():
        # GitHub would swallow a bare <not supported> as an HTML tag
        assert "&lt;not supported&gt;" in out and "<not supported>" not in out


def test_measure_flag_asks_for_measurement(cached_probe, capsys):
    assert hardware_cmd.run(_args("--measure")) == 0
    assert cached_probe == [True]
    assert "measuring" in capsys.readouterr().err


def test_report_prints_without_the_backend_registry(cached_probe, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "accel.backends", None)  # import now raises ImportError
    assert hardware_cmd.backend_matrix() is None
    assert hardware_cmd.run(_args()) == 0
    assert "Backends" not in capsys.readouterr().out.splitlines()
    assert hardware_cmd.run(_args("--json")) == 0
    assert "backends" not in json.loads(capsys.readouterr().out)


def test_json_and_markdown_are_exclusive():
    with pytest.raises(SystemExit):
        _args("--json", "--markdown")


@pytest.mark.slow
def test_real_command_line(accel_cli):
    from accel.cli import COMMANDS

    if "hardware_cmd" not in COMMANDS:
        pytest.skip("hardware_cmd is not yet listed in accel.cli.COMMANDS")
    done = accel_cli("hardware", "--json", timeout=120)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["fingerprint"] == hw.fingerprint()
    assert "backends" in data
    bad = accel_cli("hardware", "--json", "--markdown", timeout=60)
    assert bad.returncode == 2
    assert len(bad.stderr.strip().splitlines()) == 1
