"""The PyPy side of the ``pypy`` backend: loads a pure-Python kernel and runs it on request.

Run by PyPy (Python 3.9, standard library only): ``pypy3 -u pypy_server.py``. It reads
one JSON command per line on stdin and answers one JSON line on the protocol stream
(the original stdout; anything the kernel prints goes to stderr instead). Arrays
travel through a file in shared memory as raw bytes, never as text.

What the kernel is handed is built with whole-buffer operations: each innermost row of
a real array is an ``array.array`` of its own, filled by one ``readinto`` (a copy from
the page cache), never element by element. The kernels' loops run on arrays as fast as
on lists in PyPy (PyPy 7.3.11, CPU time, best 3 of 8 calls: norm of 1e6 floats 0.6 ms on
either; matmul at n = 200 13 ms on rows of arrays, 22 ms on lists; primes alike), and
building them costs 5.5-6 ms of CPU for 8.4 MB where lists cost 10 ms. A kernel that builds new
rows should build them of its input's kind (``row[:]``, as diffusion does): a loop that
sees both lists and arrays is traced twice and ran 43% slower. Complex rows are not
boxed into a million ``complex`` objects (33-38 ms of CPU for julia's 16 MB, 0.47 GB/s):
each row is read into its own ``array`` and handed over as :class:`ComplexPoints`, a
sequence that builds each ``complex`` when the kernel reads it (10.5 ms, 1.5 GB/s), and
the book's julia loop runs on it unchanged and no slower. A result's rows that already
are arrays of the right type are written as they are; lists are converted whole.

Commands: ``load`` (path of the implementation file), ``inputs`` (file and layout),
``call`` (count: run and time the kernel that many times; with ``simulate``, valgrind's
cache simulator counts those calls, see ``callgrind_region.py``), ``output`` (file: write the
last result there), ``exit``.
"""

import contextlib
import errno
import functools
import importlib.util
import json
import os
import sys
import time
import traceback
from array import array

#: int64 arrays are built as 'l' where that is 8 bytes (Linux, macOS): PyPy converts
#: between lists and 'l' arrays 5-8x faster than with 'q', the same bytes.
_INT64 = "l" if array("l").itemsize == 8 else "q"


def _native(typecode):
    """The typecode PyPy handles fastest for the same bytes as ``typecode``."""
    return _INT64 if typecode == "q" else typecode


def _finish(handle, buffer, filled):
    """Fill the rest of ``buffer`` (an array), of which a ``readinto`` of the unbuffered
    file ``handle`` filled ``filled`` bytes, the ordinary way (PyPy's ``readinto``
    refuses a slice of a memoryview). A file in memory never reads short; others may."""
    nbytes = len(buffer) * buffer.itemsize
    rest = []
    while filled < nbytes:
        chunk = handle.read(nbytes - filled)
        if not chunk:
            raise ValueError(f"input file ends {nbytes - filled} bytes early")
        rest.append(chunk)
        filled += len(chunk)
    if rest:
        tail = b"".join(rest)
        memoryview(buffer).cast("B")[nbytes - len(tail) :] = tail


class ComplexPoints:
    """A read-only sequence of complex numbers over interleaved (real, imaginary) parts.

    ``points[i]`` is ``complex(parts[2 * i], parts[2 * i + 1])``: a kernel that indexes,
    iterates or takes ``len`` (the book's julia loop does) runs unchanged, and PyPy's JIT
    builds each complex where it is used, often without allocating it, instead of a list
    of a million boxed complex objects built before the call (33-38 ms of CPU for julia's
    16 MB, 0.44-0.48 GB/s; the view costs nothing). Slicing gives a list.
    """

    def __init__(self, parts):
        self.parts = parts

    def __len__(self):
        return len(self.parts) >> 1

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("point index out of range")
        return complex(self.parts[2 * index], self.parts[2 * index + 1])

    def __iter__(self):
        parts = self.parts
        for i in range(0, len(parts) - 1, 2):
            yield complex(parts[i], parts[i + 1])

    def __eq__(self, other):
        return list(self) == list(other)

    def __repr__(self):
        return f"ComplexPoints({list(self)!r})"


def _new_array(typecode, count):
    return array(typecode, [0]) * count


def _reserve(item):
    """The rows an array input will fill: a new ``array`` each, of the native typecode
    (complex: two parts per element), copies of one zeroed row and that row (5.2 ms of
    CPU for the 1024 rows of 8.4 MB and their reads, against 6.8 ms made one by one; a
    single row, as julia's 1-D points, is the zeroed row, whose pages are first touched
    by the read).
    Making them is half the cost of shipping to PyPy: 2100 first touches of fresh pages
    for 8.4 MB, about 1.5-3 us each on this KVM guest. Done while the backend wrote the
    file (a ``reserve`` command), it saved nothing: the write slowed by as much (2-3 ms
    alone, 7-8 ms beside it; best of 12 alternating runs 10.4-11.8 ms either way, load
    3.1-3.4, and the same with the two processes pinned to different CPUs)."""
    shape = item["shape"]
    width = shape[-1] if shape else 1
    count = 1
    for length in shape[:-1]:
        count *= length
    if count == 0:
        return []
    zeroed = _new_array(_native(item["typecode"]), 2 * width if item.get("complex") else width)
    return [zeroed[:] for _ in range(count - 1)] + [zeroed]  # a large zeroed one is untouched


def _touched(rows):
    """``rows`` with every page written once (the last of :func:`_reserve`'s rows is
    left untouched there, its pages first touched by the read)."""
    if rows:
        last = rows[-1]
        rows[-1] = last[:]  # a copy writes every page of the new row
    return rows


def _read_rows(handle, item, rows=None):
    """An array input's innermost rows (``rows``, else new ones from :func:`_reserve`),
    each filled by one ``readinto``: ``array`` rows, or, if complex, ``ComplexPoints``."""
    if rows is None:
        rows = _reserve(item)
    handle.seek(item["offset"])
    nbytes = len(rows[0]) * rows[0].itemsize if rows else 0
    readinto = handle.readinto
    for row in rows:
        filled = readinto(row) or 0
        if filled < nbytes:
            _finish(handle, row, filled)
    return [ComplexPoints(row) for row in rows] if item.get("complex") else rows


def _decode(item, handle, rows=None):
    """One input: a scalar from JSON, or an array from its bytes in the file ``handle``
    (into ``rows`` when given: benchmarks/shipping.py times making them apart): (nested)
    lists of ``array`` rows, ``ComplexPoints`` rows if complex."""
    if item["kind"] == "scalar":
        value = item["value"]
        return complex(value[0], value[1]) if item.get("complex") else value
    return _nest(_read_rows(handle, item, rows), item["shape"])


def _nest(rows, shape):
    """Nested lists of ``shape`` from its innermost rows (row-major)."""
    for length in reversed(shape[1:-1]):
        rows = [rows[i : i + length] for i in range(0, len(rows), length)]
    return rows if len(shape) > 1 else rows[0]


def _shape(value):
    """The length at each level of a (nested) list, read along its first elements."""
    shape = []
    while isinstance(value, (list, tuple, array, ComplexPoints)):
        shape.append(len(value))
        if not value:
            break
        value = value[0]
    return shape


def _rows(value, shape):
    """The innermost sequences of a nested list in row-major order (all of length shape[-1])."""
    rows = [value]
    for _ in range(len(shape) - 1):
        rows = [inner for row in rows for inner in row]
    width = shape[-1]
    for row in rows:
        if not isinstance(row, (list, tuple, array, ComplexPoints)) or len(row) != width:
            raise TypeError(f"kernel output must be a rectangular (nested) list of shape {shape}")
    return rows


class _RawWrite:
    """``write(2)`` from libc called on an array's own memory, through the cffi backend
    built into PyPy: no copy. PyPy's own ``write`` of an array copies it into fresh
    memory first, 2100 page faults for 8.4 MB: the rows of a 1024 x 1024 grid took 7.2-8
    ms of CPU that way and 3.6-3.9 ms this way (PyPy 7.3.11, 3 fresh processes each)."""

    def __init__(self, cffi):
        self.cffi = cffi
        ssize_t, size_t = cffi.new_primitive_type("ssize_t"), cffi.new_primitive_type("size_t")
        pointer = cffi.new_pointer_type(cffi.new_void_type())
        signature = cffi.new_function_type(
            (cffi.new_primitive_type("int"), pointer, size_t), ssize_t
        )
        self.write = cffi.load_library(None).load_function(signature, "write")
        self.chars = cffi.new_array_type(
            cffi.new_pointer_type(cffi.new_primitive_type("char")), None
        )

    def write_all(self, fd, data):
        """Write the array ``data`` whole to the file descriptor ``fd``."""
        start, nbytes, done = self.cffi.from_buffer(self.chars, data), len(data) * data.itemsize, 0
        while done < nbytes:
            written = self.write(fd, start + done, nbytes - done)
            if written > 0:
                done += written
                continue
            code = self.cffi.get_errno() if written < 0 else errno.EIO
            if code != errno.EINTR:
                raise OSError(code, os.strerror(code))


def _raw_write():
    """A :class:`_RawWrite`, or None where there is no cffi backend (CPython without cffi)."""
    try:
        import _cffi_backend

        return _RawWrite(_cffi_backend)
    except (ImportError, OSError, AttributeError, KeyError):
        return None


_RAW = _raw_write()


def _write_all(handle, data):
    """Write an array whole to an unbuffered file (without a copy where PyPy's cffi backend
    is at hand; else one call, a short write finished)."""
    if _RAW is not None:
        _RAW.write_all(handle.fileno(), data)
        return
    written = handle.write(data) or 0
    if written < len(data) * data.itemsize:
        rest = data.tobytes()[written:]
        while rest:
            rest = rest[handle.write(rest) or 0 :]


def _write_rows(handle, rows, typecode):
    """Write the rows back to back as ``typecode``: an ``array`` of that type as it is,
    anything else converted whole (PyPy does that in one pass for an int or float list);
    TypeError if an element does not fit."""
    native = _native(typecode)
    for row in rows:
        if not (isinstance(row, array) and row.typecode == native):
            row = array(native, row)
        _write_all(handle, row)


def _write_complex_rows(handle, rows):
    """Write rows of numbers, some of them complex, as (real, imaginary) float64 pairs."""
    for row in rows:
        parts = array("d", [0.0]) * (2 * len(row))
        for i in range(len(row)):
            v = row[i]
            if not isinstance(v, (int, float, complex)):
                raise TypeError(f"kernel output must hold numbers, got {type(v)!r}")
            v = complex(v)
            parts[2 * i] = v.real
            parts[2 * i + 1] = v.imag
        _write_all(handle, parts)


def _write_packed(handle, rows, width):
    """Write ``rows`` to ``handle`` as ints (int64), else floats (float64), else complex
    pairs, each wider kind tried only when an element does not fit the narrower one;
    returns (typecode, is_complex). Row by row, so no second copy of the whole output."""
    first = rows[0][0] if rows and width else 0
    if isinstance(first, complex):
        typecodes = ()
    elif isinstance(first, float):
        typecodes = ("d",)
    else:
        typecodes = ("q", "d")
    for typecode in typecodes:
        handle.seek(0)
        handle.truncate()
        try:
            _write_rows(handle, rows, typecode)
        except TypeError:
            continue
        return typecode, False
    handle.seek(0)
    handle.truncate()
    _write_complex_rows(handle, rows)
    return "d", True


def _encode(value, path):
    """Describe ``value`` for the protocol, writing array data to ``path``."""
    if isinstance(value, (bool, int, float)):
        return {"kind": "scalar", "value": value}
    if isinstance(value, complex):
        return {"kind": "scalar", "value": [value.real, value.imag], "complex": True}
    if value is None:
        return {"kind": "none"}
    if not isinstance(value, (list, tuple, array, ComplexPoints)):
        raise TypeError(f"kernel output must be a number or a (nested) list, got {type(value)!r}")
    shape = _shape(value)
    rows = _rows(value, shape) if shape[-1] else []
    with open(path, "wb", buffering=0) as handle:
        typecode, is_complex = _write_packed(handle, rows, shape[-1])
    return {"kind": "array", "shape": shape, "typecode": typecode, "complex": is_complex}


def _load(path):
    spec = importlib.util.spec_from_file_location("accel_pypy_kernel", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.compute


@contextlib.contextmanager
def _no_region(warm):
    yield False


def serve(commands, replies):
    state = {"compute": None, "inputs": None, "output": None}
    for line in commands:
        try:
            request = json.loads(line)
            op = request["op"]
            if op == "exit":
                replies.write(json.dumps({"ok": True}) + "\n")
                replies.flush()
                return
            if op == "load":
                state["compute"] = _load(request["path"])
                reply = {"ok": True, "version": sys.version, "pypy": _pypy_version()}
            elif op == "reserve":  # the rows the next inputs fill, made before they are timed
                state["reserved"] = {
                    item["name"]: _touched(_reserve(item))
                    for item in request["items"]
                    if item["kind"] == "array"
                }
                reply = {"ok": True}
            elif op == "inputs":
                reserved = state.pop("reserved", None) or {}
                with open(request["file"], "rb", buffering=0) as handle:
                    state["inputs"] = {
                        item["name"]: _decode(item, handle, reserved.get(item["name"]))
                        for item in request["items"]
                    }
                reply = {"ok": True}
            elif op == "call":
                compute, inputs = state["compute"], state["inputs"]
                clock = time.perf_counter
                samples = []
                output = None
                region = _no_region
                if request.get("simulate"):
                    from callgrind_region import simulated as region  # this script's folder
                with region(functools.partial(compute, **inputs)):
                    for _ in range(request["count"]):
                        start = clock()
                        output = compute(**inputs)
                        samples.append(clock() - start)
                state["output"] = output
                reply = {"ok": True, "samples": samples}
            elif op == "output":
                reply = {"ok": True, "output": _encode(state["output"], request["file"])}
            else:
                reply = {"ok": False, "error": f"unknown command {op!r}"}
        except Exception as exc:  # reported to the worker, which records the failure
            reply = {
                "ok": False,
                "error": f"{type(exc).__name__}: {exc}",
                "traceback": traceback.format_exc(),
            }
        replies.write(json.dumps(reply) + "\n")
        replies.flush()


def _pypy_version():
    info = getattr(sys, "pypy_version_info", None)
    return ".".join(str(part) for part in info[:3]) if info else None


def main():
    replies = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # what the kernel prints must not corrupt the protocol
    serve(sys.stdin, replies)


if __name__ == "__main__":
    main()
