"""A GPU run records the device's state through NVML before and after its timed calls
(temperature, clocks, throttle reasons, other processes): a figure taken while the GPU
was throttling or shared says so in its own record (issue 17). NVML is a stand-in here;
the run is real, in Numba's simulator."""

SCRIPT = """
import json
from accel import worker
from accel.hardware import gpu
from accel.hardware.report import GpuState

readings = iter([
    GpuState(temperature_c=40.0, throttle_reasons=["gpu_idle"]),
    GpuState(temperature_c=83.0, throttle_reasons=["sw_thermal_slowdown"]),
])
gpu.device_state = lambda index=0, nvml=None: next(readings)
for backend in ("numba_cuda", "numpy"):
    record = worker.execute({
        "kernel": "norm", "backend": backend, "size": 64, "dtype": "float64",
        "threads": 1, "policy": {"repeats": 2},
    })
    print(json.dumps({"status": record.status, "gpu_state": record.gpu_state}))
"""


def test_a_gpu_run_keeps_the_device_state_before_and_after_its_timed_calls(
    run_in_cuda_simulator,
):
    on_gpu, on_cpu = run_in_cuda_simulator(SCRIPT)
    assert on_gpu["status"] == "ok"
    before, after = on_gpu["gpu_state"]["before"], on_gpu["gpu_state"]["after"]
    assert (before["temperature_c"], before["throttle_reasons"]) == (40.0, ["gpu_idle"])
    assert (after["temperature_c"], after["throttle_reasons"]) == (83.0, ["sw_thermal_slowdown"])
    assert on_cpu["status"] == "ok" and on_cpu["gpu_state"] is None
