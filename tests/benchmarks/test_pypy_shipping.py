"""Shipping arrays to PyPy and back: the server's decoding and encoding, exact to the bit."""

from __future__ import annotations

import array as std_array
import errno
import io
import json
import subprocess
import types
from pathlib import Path

import numpy as np
import pytest

from accel import pypy_server as server
from accel.backends.pypy import PyPyBackend, array_item, find_pypy

RNG = np.random.default_rng(7)
ARRAYS = {
    "float64 2-D": RNG.standard_normal((5, 7)),
    "int64 3-D": RNG.integers(-(2**62), 2**62, size=(2, 3, 4)),
    "complex128 1-D": RNG.standard_normal(6) + 1j * RNG.standard_normal(6),
    "float32 1-D": RNG.standard_normal(9).astype(np.float32),
    "empty": np.zeros(0),
    "no columns": np.zeros((3, 0)),
}


def _item(array: np.ndarray, offset: int = 0) -> dict:
    return array_item(array, offset)


def _lists(value):
    """``value`` with every ``array.array`` row turned into a list, for comparison."""
    if isinstance(value, (list, std_array.array, server.ComplexPoints)):
        return [_lists(inner) for inner in value]
    return value


@pytest.mark.parametrize("name", list(ARRAYS))
def test_decoding_gives_the_nested_sequences_numpy_would(name, tmp_path):
    array = ARRAYS[name]
    path = tmp_path / "inputs.bin"
    padding = b"\0" * 24  # the array starts at an offset, as the second input would
    path.write_bytes(padding + array.tobytes())
    with open(path, "rb", buffering=0) as handle:
        decoded = server._decode(_item(array, len(padding)), handle)
    assert _lists(decoded) == array.tolist()
    # real rows are arrays read whole; complex rows hand out Python complex numbers as read
    rows = decoded if array.ndim == 1 else decoded[-1] if array.ndim == 2 else decoded[-1][-1]
    if array.dtype.kind == "c":
        assert isinstance(rows, server.ComplexPoints) and all(type(z) is complex for z in rows)
    else:
        assert isinstance(rows, std_array.array) and rows.itemsize == array.itemsize


def test_complex_points_behave_as_the_list_of_complex_numbers_they_stand_for():
    values = ARRAYS["complex128 1-D"]
    points = server.ComplexPoints(std_array.array("d", values.view(np.float64)))
    expected = values.tolist()
    assert len(points) == len(expected) and list(points) == expected
    assert [points[i] for i in range(-len(points), len(points))] == expected + expected
    assert points[1:5:2] == expected[1:5:2] and points == expected
    with pytest.raises(IndexError):
        points[len(points)]


class _TrickleFile:
    """A file whose readinto() reads nothing, so every byte comes through short reads."""

    def __init__(self, handle, chunk: int = 5) -> None:
        self.handle, self.chunk = handle, chunk

    def seek(self, offset: int) -> None:
        self.handle.seek(offset)

    def readinto(self, buffer) -> int:
        return 0

    def read(self, size: int) -> bytes:
        return self.handle.read(min(size, self.chunk))


def test_short_reads_are_finished_and_a_truncated_file_is_an_error(tmp_path):
    array = ARRAYS["float64 2-D"]
    path = tmp_path / "inputs.bin"
    path.write_bytes(array.tobytes())
    with open(path, "rb", buffering=0) as handle:
        assert _lists(server._decode(_item(array), _TrickleFile(handle))) == array.tolist()
    path.write_bytes(array.tobytes()[:-12])
    with open(path, "rb", buffering=0) as handle, pytest.raises(ValueError, match="12 bytes early"):
        server._decode(_item(array), handle)


@pytest.mark.parametrize(
    ("value", "dtype"),
    [
        ([[1, 2, 3], [4, 5, 6]], np.int64),
        ([True, False, True], np.int64),
        ([1, 2.5, -3], np.float64),
        ([[0.5, 1.5]], np.float64),
        ([1, 2j, 3.5], np.complex128),
        ([[1j, 2], [3, 4.0]], np.complex128),
        ((7, 8), np.int64),
        ([std_array.array("d", [0.5, -2.0]), std_array.array("d", [1e300, 3.0])], np.float64),
        ([std_array.array("q", [2**62, -1])], np.int64),
        (std_array.array("f", [0.25, 1.5]), np.float64),
        ([std_array.array("d", [1.0]), [2]], np.float64),
    ],
)
def test_encoding_writes_the_narrowest_of_int64_float64_complex128(value, dtype, tmp_path):
    path = tmp_path / "output.bin"
    described = server._encode(value, str(path))
    data = np.fromfile(path, dtype=np.int64 if described["typecode"] == "q" else np.float64)
    if described["complex"]:
        data = data.view(np.complex128)
    expected = np.array(value, dtype=dtype)
    assert data.dtype == expected.dtype and described["shape"] == list(expected.shape)
    np.testing.assert_array_equal(data.reshape(described["shape"]), expected)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([[1, 2], [3]], "rectangular"),
        ([[1], 2], "rectangular"),
        (["text"], "must hold numbers"),
        ({"a": 1}, "a number or a \\(nested\\) list"),
    ],
)
def test_outputs_that_are_not_arrays_of_numbers_are_refused(value, message, tmp_path):
    with pytest.raises(TypeError, match=message):
        server._encode(value, str(tmp_path / "output.bin"))


IDENTITY = "def compute(x):\n    return x\n"


@pytest.mark.skipif(find_pypy()[0] is None, reason="no PyPy here")
@pytest.mark.parametrize("name", ["float64 2-D", "int64 3-D", "complex128 1-D"])
def test_an_array_sent_to_pypy_and_handed_back_arrives_unchanged(name, tmp_path):
    kernel = tmp_path / "identity.py"
    kernel.write_text(IDENTITY)
    backend = PyPyBackend()
    try:
        backend.load(types.SimpleNamespace(implementation_path=lambda _: str(kernel)))
        array = ARRAYS[name]
        backend.to_device({"x": array})
        backend.time_calls(None, 1)
        back = backend.from_device(None)
    finally:
        backend.close()
    assert back.dtype == array.dtype and back.shape == array.shape
    np.testing.assert_array_equal(back, array)


def test_reserved_rows_are_the_ones_filled(tmp_path):
    array = ARRAYS["float64 2-D"]
    path = tmp_path / "inputs.bin"
    path.write_bytes(array.tobytes())
    reserved = server._reserve(_item(array))
    assert len(reserved) == array.shape[0] and all(len(row) == array.shape[1] for row in reserved)
    with open(path, "rb", buffering=0) as handle:
        decoded = server._decode(_item(array), handle, reserved)
    assert all(row is mine for row, mine in zip(decoded, reserved, strict=True))
    assert _lists(decoded) == array.tolist()


def test_the_server_reads_into_the_rows_it_reserved_before_the_timed_copy(tmp_path, monkeypatch):
    array = ARRAYS["float64 2-D"]
    path = tmp_path / "inputs.bin"
    path.write_bytes(array.tobytes())
    made, given = [], []
    reserve, decode = server._reserve, server._decode
    monkeypatch.setattr(server, "_reserve", lambda item: made.append(reserve(item)) or made[-1])
    monkeypatch.setattr(
        server,
        "_decode",
        lambda item, handle, rows=None: given.append(rows) or decode(item, handle, rows),
    )
    item = array_item(array, 0, "x")
    commands = [
        json.dumps({"op": "reserve", "items": [item]}),
        json.dumps({"op": "inputs", "file": str(path), "items": [item]}),
    ]
    replies = io.StringIO()
    server.serve(iter(commands), replies)
    assert [json.loads(line)["ok"] for line in replies.getvalue().splitlines()] == [True, True]
    assert len(made) == 1 and len(given) == 1 and given[0] is made[0]


def test_a_pypy_run_allocates_both_ends_before_its_timed_shipping():
    import accel

    if not PyPyBackend().available():
        pytest.skip(PyPyBackend().available().reason)
    record = accel.run("norm", "pypy", preset="S", repeats=3, store=False)
    assert record.ok, record.reason
    assert "allocated before (stage_h2d)" in record.transfer.includes
    assert record.phases_s["stage_h2d"] > 0 and record.transfer.h2d_s > 0


RAW_WRITE = """
import os, sys
from array import array
sys.path.insert(0, sys.argv[1])
import pypy_server as server
assert server._RAW is not None, "PyPy's cffi backend was not found: writes would copy"
path = sys.argv[2]
with open(path, "wb", buffering=0) as handle:
    server._write_all(handle, array("d", [0.5, -2.0, 1e300]))
    server._write_all(handle, array("l", [2**62, -1]))
readonly = os.open(path, os.O_RDONLY)
try:
    server._RAW.write_all(readonly, array("d", [1.0]))
except OSError as error:
    print(error.errno)
"""


@pytest.mark.skipif(find_pypy()[0] is None, reason="no PyPy here")
def test_pypy_writes_arrays_from_their_own_memory_exactly_and_reports_a_failed_write(tmp_path):
    path = tmp_path / "out.bin"
    done = subprocess.run(
        [find_pypy()[0], "-c", RAW_WRITE, str(Path(server.__file__).parent), str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(errno.EBADF)]
    data = path.read_bytes()
    assert np.frombuffer(data[:24], np.float64).tolist() == [0.5, -2.0, 1e300]
    assert np.frombuffer(data[24:], np.int64).tolist() == [2**62, -1]
