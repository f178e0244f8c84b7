"""Kernel versions from code: a digest of the source that defines a kernel's behaviour.

Each test edits source and checks the digest against what the edit means: a changed
statement, constant, helper or C line gives a new version; a docstring, comment or
reformat keeps the old one (the digest reads the syntax tree, not the text).
"""

from __future__ import annotations

import textwrap

import numpy as np
import pytest
from accel.kernels import get_kernel
from accel.kernels._source import files_digest, files_of
from accel.kernels.own import Kernel

IMPL = '''
    """Implementation."""
    from pathlib import Path
    from ._helper import scale

    SOURCE = Path(__file__).with_name("impl.c")

    def compute(x):
        return scale(x) + 1
'''


def _write(folder, name, text):
    (folder / name).write_text(textwrap.dedent(text))


@pytest.fixture()
def package(tmp_path):
    folder = tmp_path / "pkg"
    folder.mkdir()
    _write(folder, "__init__.py", "")
    _write(folder, "impl.py", IMPL)
    _write(folder, "_helper.py", "def scale(x):\n    return 2 * x\n")
    _write(folder, "impl.c", "int f(void) { return 1; }\n")
    _write(folder, "unrelated.py", "X = 1\n")
    return folder


def test_files_of_follow_relative_imports_and_named_sources(package):
    names = sorted(p.name for p in files_of(package / "impl.py"))
    assert names == ["__init__.py", "_helper.py", "impl.c", "impl.py"] or names == [
        "_helper.py",
        "impl.c",
        "impl.py",
    ]
    assert "unrelated.py" not in names


@pytest.mark.parametrize(
    ("file", "edit", "stale"),
    [
        ("impl.py", lambda t: t.replace("+ 1", "+ 2"), True),
        ("_helper.py", lambda t: t.replace("2 * x", "3 * x"), True),
        ("impl.c", lambda t: t.replace("return 1", "return 2"), True),
        ("unrelated.py", lambda t: t.replace("1", "2"), False),
        ("impl.py", lambda t: t.replace('"""Implementation."""', '"""Changed words."""'), False),
        (
            "impl.py",
            lambda t: t.replace("return scale(x) + 1", "return scale(x) + 1  # why"),
            False,
        ),
        ("impl.py", lambda t: t.replace("def compute(x):", "\n\ndef compute(x):"), False),
    ],
)
def test_a_digest_changes_exactly_when_behaviour_can(package, file, edit, stale):
    before = files_digest(package / "impl.py", package)
    path = package / file
    path.write_text(edit(path.read_text()))
    after = files_digest(package / "impl.py", package)
    assert (before != after) is stale


def test_catalogue_versions_per_backend():
    julia = get_kernel("julia")
    # python and pypy run the same file; numba_cpu another; C backends their own .c.
    assert julia.version_for("python") == julia.version_for("pypy")
    assert len({julia.version_for(b) for b in ("python", "numba_cpu", "c_native", "numpy")}) == 4
    # c_openmp imports c_native's wrapper: different from c_native, yet built from it.
    files = {p.name for p in files_of(julia.implementation_path("c_openmp"))}
    assert {"c_openmp.py", "c_native.py", "c_native.c", "_native.py"} <= files
    # The spec's digest is part of every backend's: a reference change stales them all.
    assert julia.version not in {julia.version_for(b) for b in julia.implementations}


def _movavg(name: str, offset: float = 0.0) -> Kernel:
    kernel = Kernel(name, inputs=lambda size, seed=0: {"x": np.arange(size, dtype=float), "w": 4})

    @kernel.implements("python", "numba_cpu")
    def loop(x, w):
        return [sum(x[i : i + w]) / w + offset for i in range(len(x) - w + 1)]

    @kernel.implements("numpy")
    def vectorised(x, w):
        c = np.cumsum(np.concatenate(([0.0], x)))
        return (c[w:] - c[:-w]) / w

    return kernel


def test_user_kernel_versions_follow_each_function():
    first = _movavg("vers_a")
    versions = {b: first.version_for(b) for b in first.implementations}
    assert versions["python"] != versions["numba_cpu"]  # same source, derived differently

    @first.implements("numba_cpu")
    def loop(x, w):  # the user makes the Numba version different
        total = [0.0] * (len(x) - w + 1)
        for i in range(len(total)):
            total[i] = sum(x[i : i + w]) / w
        return total

    assert first.version_for("numba_cpu") != versions["numba_cpu"]
    assert first.version_for("numpy") == versions["numpy"]
    # The reference is the first function registered: python's, unchanged.
    assert first.version_for("python") == versions["python"]


def test_user_kernel_version_survives_shipping_by_value():
    import cloudpickle

    kernel = _movavg("vers_b")
    shipped = cloudpickle.loads(cloudpickle.dumps(kernel))
    assert shipped.version_for("numba_cpu") == kernel.version_for("numba_cpu")
    assert shipped.implementation("numpy").compute(x=np.arange(8.0), w=4).tolist() == [
        1.5,
        2.5,
        3.5,
        4.5,
        5.5,
    ]
