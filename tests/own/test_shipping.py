"""How a kernel travels to a worker: by module path where importable, by value otherwise.

cloudpickle's bytes are read directly: a function shipped by value carries its bytecode,
one shipped by reference carries only its module and name.
"""

from __future__ import annotations

import base64
import sys
import textwrap

import numpy as np

import accel
from accel.ship import kernel_payload, receive

MODULE = """
import numpy as np
import accel

shipped_by_path = accel.Kernel("shipped_by_path", inputs=lambda size, seed=0: {"x": np.ones(size)})


@shipped_by_path.implements("numpy")
def doubled(x):
    return 2 * x
"""


def _bytes(name: str) -> bytes:
    return base64.b64decode(kernel_payload(name)["pickle"])


def test_an_importable_kernel_goes_by_module_path(tmp_path, monkeypatch):
    (tmp_path / "shipped_module.py").write_text(textwrap.dedent(MODULE))
    monkeypatch.syspath_prepend(str(tmp_path))
    import shipped_module

    data = _bytes("shipped_by_path")
    assert b"shipped_module" in data
    assert shipped_module.doubled.__code__.co_code not in data
    assert str(tmp_path) in kernel_payload("shipped_by_path")["sys_path"]
    sys.modules.pop("shipped_module")


def test_a_kernel_of_a_script_goes_by_value_and_arrives_whole():
    namespace = {"np": np, "accel": accel, "__name__": "__main__"}
    exec(
        "k = accel.Kernel('shipped_by_value', inputs=lambda size, seed=0: {'x': np.ones(size)})\n"
        "@k.implements('numpy')\n"
        "def tripled(x):\n    return 3 * x\n",
        namespace,
    )
    data = _bytes("shipped_by_value")
    assert namespace["tripled"].__code__.co_code in data
    receive(kernel_payload("shipped_by_value"))  # what the worker does
    arrived = accel.kernels.get_kernel("shipped_by_value")
    assert arrived is not namespace["k"]
    assert arrived.implementation("numpy").compute(x=np.ones(3)).tolist() == [3.0, 3.0, 3.0]
    assert arrived.version_for("numpy") == namespace["k"].version_for("numpy")
