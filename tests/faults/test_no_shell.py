"""Nothing a user passes reaches a shell: hostile names are refused or used as plain names.

Each hostile value would create a sentinel file if any shell ever interpreted it; the
tests run the real command line and assert the exit code and that the file never
appears. An audit of the source checks that every subprocess gets an argument list.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from accel.cli import main

ROOT = Path(__file__).resolve().parents[2]
SOURCE_FOLDERS = ("accel", "hardware", "kernels")
SUBPROCESS_CALLS = {"run", "Popen", "call", "check_call", "check_output"}
#: hardware.sysread's subprocess.run that kills the whole group at its timeout.
BOUNDED = "run_bounded"


def _calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            if isinstance(owner, ast.Name):
                yield owner.id, node.func.attr, node
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == BOUNDED:
            yield "subprocess", "run", node  # audited as a subprocess call


def test_every_subprocess_gets_an_argument_list_and_no_shell():
    audited = 0
    for folder in SOURCE_FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(), filename=str(path))
            for owner, name, call in _calls(tree):
                where = f"{path.relative_to(ROOT)}:{call.lineno}"
                assert not (owner == "os" and name in {"system", "popen"}), where
                assert not (owner == "os" and name.startswith("spawn")), where
                if owner != "subprocess" or name not in SUBPROCESS_CALLS:
                    continue
                audited += 1
                for keyword in call.keywords:
                    assert keyword.arg != "shell", f"{where}: shell= given"
                first = call.args[0] if call.args else None
                assert not isinstance(first, (ast.Constant, ast.JoinedStr, ast.BinOp)), (
                    f"{where}: a command string, not an argument list"
                )
    assert audited >= 5  # runner, PyPy backend, perf probe, compiler, hardware probe


@pytest.fixture
def sentinel(tmp_path) -> Path:
    return tmp_path / "pwned"


def _hostile(sentinel: Path) -> dict[str, list[str]]:
    touch = f"touch {sentinel}"
    return {
        "kernel with ;": ["run", f"julia; {touch}", "--backend", "numpy"],
        "kernel with $()": ["run", f"$({touch})", "--backend", "numpy"],
        "backend with $()": ["run", "julia", "--backend", f"$({touch})"],
        "backend with backticks": ["compare", "julia", "--backends", f"numpy,`{touch}`"],
        "events with ;": ["run", "julia", "--backend", "numpy", "--events", f"cycles;{touch}"],
        "sizes with ;": ["sweep", "julia", "--sizes", f"16;{touch}"],
        "preset with |": ["run", "julia", "--backend", "numpy", "--preset", f"S|{touch}"],
        "dtype with &&": ["run", "julia", "--backend", "numpy", "--dtype", f"x && {touch}"],
    }


CASES = list(_hostile(Path("x")))


@pytest.mark.parametrize("case", CASES)
def test_a_hostile_name_is_refused_and_never_run(case, sentinel, capsys, tmp_path):
    argv = _hostile(sentinel)[case]
    try:
        code = main([*argv, "--store", str(tmp_path / "results.sqlite")])
    except SystemExit as exit_:  # argparse's own refusals
        code = exit_.code
    assert code == 2
    assert capsys.readouterr().err.startswith("accel: error: ")
    assert not sentinel.exists()
    assert not (tmp_path / "results.sqlite").exists()


def test_a_store_path_with_shell_syntax_is_just_a_file_name(sentinel, tmp_path):
    odd = tmp_path / f"$(touch {sentinel.name}); `touch {sentinel.name}`.sqlite"
    result = subprocess.run(
        [
            sys.executable, "-m", "accel", "run", "julia", "--backend", "numpy", "--size", "8",
            "--repeats", "1", "--store", str(odd),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,  # where a shell would have touched the sentinel
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert odd.is_file()  # the store is there, under exactly that name
    assert not sentinel.exists()


@pytest.mark.parametrize("variable, backend", [("ACCEL_PYPY", "pypy"), ("CC", "c_native")])
def test_an_interpreter_variable_holding_a_command_makes_the_backend_unavailable(
    variable, backend, sentinel, accel_cli
):
    result = accel_cli(
        "run", "julia", "--backend", backend, "--size", "8", "--no-store", "--json",
        env={variable: f"/bin/sh -c 'touch {sentinel}'"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["status"] == "unavailable"
    assert variable in record["reason"]
    assert not sentinel.exists()


def test_a_perf_variable_holding_a_command_leaves_the_run_uncounted(sentinel, accel_cli):
    result = accel_cli(
        "run", "julia", "--backend", "numpy", "--size", "8", "--repeats", "1",
        "--counter-source", "perf",
        "--no-store", "--json", env={"ACCEL_PERF": f"/bin/sh -c 'touch {sentinel}'"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["status"] == "ok" and record["counters"] is None
    assert "ACCEL_PERF=" in record["counters_reason"]
    assert not sentinel.exists()
