"""A kernel that does nothing, to measure what the timing loop itself costs per repetition.

Registered with ``ACCEL_EXTRA_KERNELS=bench_empty`` (with ``benchmarks/`` on
``PYTHONPATH``). ``compute`` hands its one input back; the median of its timed
repetitions is therefore the harness's own cost per repetition (clock reads, the
call through the bound inputs, the synchronise), with nothing of a kernel in it.
The check is real: the output must be the input value, so a run that loses the
result is not reported as ok.
"""

from accel.kernels import Inputs, KernelSpec, Preset, Verdict, Work

#: The value the kernel hands back (any integer would do; this one is not a default).
TOKEN = 20_251_122


def make_inputs(size: int, dtype: str = "int64", seed: int = 0) -> Inputs:
    """One integer input; ``size`` and ``seed`` only shift it, so runs stay distinct."""
    return {"value": TOKEN + size + seed}


def reference(inputs: Inputs) -> int:
    return inputs["value"]


def check(output: object, inputs: Inputs) -> Verdict:
    """The output must be the input value itself."""
    if output is None:
        return Verdict(False, float("inf"), "no output returned")
    passed = output == reference(inputs)
    return Verdict(passed, 0.0 if passed else 1.0, f"returned {output!r}, sent {inputs['value']}")


def work(size: int) -> Work:
    return Work(flops=0.0, bytes=0.0)


KERNEL = KernelSpec(
    name="bench_empty",
    title="empty kernel",
    description="does nothing: the timing loop's own cost per repetition (benchmarks only)",
    presets={"S": Preset(1)},
    dtypes=("int64",),
    make_inputs=make_inputs,
    reference=reference,
    check=check,
    work=work,
    implementations={"python": "nothing", "pypy": "nothing", "numpy": "nothing"},
    package=__name__,
)
