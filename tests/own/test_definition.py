"""accel.Kernel: mistakes reported when the kernel is defined or first used, and the check.

Each mistake gives one KernelDefinitionError whose message names the mistake and the
fix; each check outcome is judged against values worked out by hand.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest
from accel.kernels import KernelDefinitionError, get_kernel
from accel.kernels.own import Kernel


def ramp(size, seed=0):
    return {"x": np.arange(size, dtype=np.float64), "w": 4}


def test_a_catalogue_name_is_refused():
    with pytest.raises(KernelDefinitionError, match="taken by the catalogue's julia kernel"):
        Kernel("julia", inputs=ramp)


def test_inputs_must_take_the_size():
    with pytest.raises(KernelDefinitionError, match="called 'size'.*it takes n, seed"):
        Kernel("def_size", inputs=lambda n, seed=0: {})


def test_an_unknown_backend_names_the_nearest():
    kernel = Kernel("def_backend", inputs=ramp)
    with pytest.raises(KernelDefinitionError, match="unknown backend 'numba'.*did you mean"):
        kernel.implements("numba")


def test_c_is_not_derived_from_python():
    kernel = Kernel("def_c", inputs=ramp)
    with pytest.raises(KernelDefinitionError, match="c_native cannot run a Python function"):
        kernel.implements("c_native")


def test_inputs_that_do_not_fit_the_parameters_are_found_at_first_use():
    kernel = Kernel("def_params", inputs=ramp)

    @kernel.implements("numpy")
    def mean(values, window):
        return values[:window]

    with pytest.raises(
        KernelDefinitionError, match="inputs gives x, w but mean takes values, window"
    ):
        kernel.validate()


def test_no_implementation_is_found_at_first_use():
    with pytest.raises(KernelDefinitionError, match="has no implementation"):
        Kernel("def_none", inputs=ramp).validate()


LOCK = threading.Lock()


def test_a_global_pypy_cannot_receive_is_refused_at_definition():
    kernel = Kernel("def_pypy", inputs=ramp)
    with pytest.raises(KernelDefinitionError, match="uses the global 'LOCK' \\(a lock\\)"):

        @kernel.implements("python", "pypy")
        def guarded(x, w):
            with LOCK:
                return x


def test_pypy_gets_imports_constants_and_helpers_as_source():
    kernel = Kernel("def_source", inputs=ramp)

    @kernel.implements("pypy")
    def scaled(x, w):
        return [_helper(v) * FACTOR for v in x]

    with open(kernel.implementation_path("pypy")) as handle:
        shipped = handle.read()
    namespace: dict = {}
    exec(shipped, namespace)  # the file PyPy loads, run here: it must stand alone
    assert namespace["compute"](x=[1.0, 2.0], w=4) == [1.5 * 3, 3.0 * 3]
    assert "@kernel.implements" not in shipped


FACTOR = 3


def _helper(v):
    return v * 1.5


def test_the_same_name_defined_again_replaces_the_old_definition():
    first = Kernel("def_again", inputs=ramp)
    second = Kernel("def_again", inputs=ramp)
    assert get_kernel("def_again") is second is not first


@pytest.fixture()
def movavg():
    kernel = Kernel("def_check", inputs=ramp)

    @kernel.implements("python")
    def loop(x, w):
        return [sum(x[i : i + w]) / w for i in range(len(x) - w + 1)]

    kernel.validate()
    return kernel


def test_the_check_judges_against_the_first_implementation(movavg):
    inputs = movavg.make_inputs(10)
    # The mean of 4 consecutive whole numbers starting at i is i + 1.5: worked by hand.
    right = np.arange(7) + 1.5
    assert movavg.check(right, inputs).passed
    off = right.copy()
    off[3] += 1e-3
    verdict = movavg.check(off, inputs)
    assert not verdict.passed and "1 of 7 values differ" in verdict.detail
    assert verdict.error == pytest.approx(1e-3)
    assert "returned None" in movavg.check(None, inputs).detail
    short = movavg.check(right[:-1], inputs)
    assert not short.passed and "shape (6,), expected (7,)" in short.detail
    assert not movavg.check(["a"] * 7, inputs).passed


def test_changed_inputs_make_the_run_invalid(movavg):
    inputs = movavg.make_inputs(10)
    inputs["x"][0] = 99.0  # what a kernel that writes to its input does
    verdict = movavg.check(np.arange(7) + 1.5, inputs)
    assert not verdict.passed and "changed its inputs" in verdict.detail


def test_tolerances_and_a_check_function():
    loose = Kernel("def_tol", inputs=ramp, rtol=0.01, atol=0)
    loose.implements("python")(lambda x, w: [v * 2 for v in x])
    inputs = loose.make_inputs(5)
    assert loose.check(np.arange(5) * 2 * 1.009, inputs).passed  # 0.9% off: within 1%
    assert not loose.check(np.arange(5) * 2 * 1.02, inputs).passed

    exact = Kernel("def_fn", inputs=ramp, check=lambda out, ref: (out[-1] == ref[-1], "last"))
    exact.implements("python")(lambda x, w: [v * 2 for v in x])
    verdict = exact.check(np.array([0, 0, 0, 0, 8.0]), exact.make_inputs(5))
    assert verdict.passed and verdict.detail == "last"


def test_derivation_says_one_source_served_several_backends(movavg):
    movavg.implements("numba_cpu", "pypy")(get_kernel("def_check").functions["python"])
    assert movavg.derivation("numba_cpu") == (
        "loop, compiled by numba.njit (derived: one source with pypy, python)"
    )
    assert movavg.implementation("numba_cpu").compute(x=np.arange(6.0), w=4) == [
        1.5,
        2.5,
        3.5,
    ]


def test_the_dtype_is_the_inputs_own():
    ints = Kernel("def_dtype", inputs=lambda size, seed=0: {"x": np.arange(size)})
    ints.implements("numpy")(lambda x: x + 1)
    ints.validate()
    assert ints.dtypes == ("int64",)


def test_the_size_of_the_users_data(movavg):
    assert movavg.size_for({"x": np.zeros(300), "w": 4}) == 300
    with pytest.raises(KernelDefinitionError, match="your w=5, but inputs makes w=4"):
        movavg.size_for({"x": np.zeros(300), "w": 5})
    with pytest.raises(KernelDefinitionError, match="your x is float32"):
        movavg.size_for({"x": np.zeros(300, dtype=np.float32), "w": 4})
    with pytest.raises(KernelDefinitionError, match="takes the inputs x, w; got x"):
        movavg.size_for({"x": np.zeros(300)})


def test_numba_parallel_only_when_named():
    kernel = Kernel("def_parallel", inputs=ramp)
    kernel.implements("python", "numba_cpu")(lambda x, w: x)
    assert "numba_parallel" not in kernel.implementations
    assert "numba_parallel" in kernel.not_applicable  # says how to add it
    kernel.implements("numba_parallel")(lambda x, w: x)
    assert kernel.derivation("numba_parallel").endswith("compiled by numba.njit(parallel=True)")
