"""The PyPy side of the ``pypy`` backend: loads a pure-Python kernel and runs it on request.

Run by PyPy (Python 3.9, standard library only): ``pypy3 -u pypy_server.py``. It reads
one JSON command per line on stdin and answers one JSON line on the protocol stream
(the original stdout; anything the kernel prints goes to stderr instead). Arrays
travel through a file in shared memory as raw bytes, never as text.

Commands: ``load`` (path of the implementation file), ``inputs`` (file and layout),
``call`` (count: run and time the kernel that many times), ``output`` (file: write the
last result there), ``exit``.
"""

import importlib.util
import json
import os
import sys
import time
import traceback
from array import array


def _nest(flat, shape):
    """Nested lists of ``shape`` from a flat list (row-major)."""
    if len(shape) <= 1:
        return flat
    step = len(flat) // shape[0]
    return [_nest(flat[i * step : (i + 1) * step], shape[1:]) for i in range(shape[0])]


def _decode(item, buffer):
    """One input: a scalar from JSON, or an array from its bytes in ``buffer``."""
    if item["kind"] == "scalar":
        value = item["value"]
        return complex(value[0], value[1]) if item.get("complex") else value
    values = array(item["typecode"])
    values.frombytes(buffer[item["offset"] : item["offset"] + item["nbytes"]])
    if item.get("complex"):
        flat = [complex(values[i], values[i + 1]) for i in range(0, len(values), 2)]
    else:
        flat = values.tolist()
    return _nest(flat, item["shape"])


def _flatten(value, shape):
    if isinstance(value, (list, tuple, array)):
        shape.append(len(value))
        if value and isinstance(value[0], (list, tuple, array)):
            out = []
            inner = []
            for row in value:
                inner = []
                out.extend(_flatten(row, inner))
            shape.extend(inner)
            return out
        return list(value)
    raise TypeError(f"kernel output must be a number or a (nested) list, got {type(value)!r}")


def _encode(value, path):
    """Describe ``value`` for the protocol, writing array data to ``path``."""
    if isinstance(value, (bool, int, float)):
        return {"kind": "scalar", "value": value}
    if isinstance(value, complex):
        return {"kind": "scalar", "value": [value.real, value.imag], "complex": True}
    if value is None:
        return {"kind": "none"}
    shape = []
    flat = _flatten(value, shape)
    is_complex = any(isinstance(v, complex) for v in flat)
    if is_complex:
        data = array("d")
        for v in flat:
            data.append(v.real)
            data.append(v.imag)
        typecode = "d"
    elif all(isinstance(v, int) for v in flat):
        data, typecode = array("q", flat), "q"
    else:
        data, typecode = array("d", flat), "d"
    with open(path, "wb") as handle:
        data.tofile(handle)
    return {"kind": "array", "shape": shape, "typecode": typecode, "complex": is_complex}


def _load(path):
    spec = importlib.util.spec_from_file_location("accel_pypy_kernel", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.compute


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
            elif op == "inputs":
                with open(request["file"], "rb") as handle:
                    buffer = handle.read()
                state["inputs"] = {item["name"]: _decode(item, buffer) for item in request["items"]}
                reply = {"ok": True}
            elif op == "call":
                compute, inputs = state["compute"], state["inputs"]
                clock = time.perf_counter
                samples = []
                output = None
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
