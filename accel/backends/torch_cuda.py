"""PyTorch tensors on an NVIDIA GPU; the same implementation file serves ``torch_cpu``."""

from __future__ import annotations

from typing import Any

import numpy as np

from .base import Availability, missing_module
from .cuda_backend import CudaBackend, unavailable
from .cuda_driver import driver_availability
from .torch_cpu import TORCH_FIX

CUDA_BUILD_FIX = (
    "install a CUDA build of the same version (torch==2.13.0) for your driver, "
    "as https://pytorch.org/get-started/locally/ shows"
)


def torch_runs_on_the_gpu(torch: Any) -> Availability | None:
    """None when a small operation runs on the GPU and gives the right answer; otherwise
    why not (a build without kernels for this GPU's architecture fails here, not at the
    first real call)."""
    try:
        values = torch.arange(1, 5, dtype=torch.float32, device="cuda")
        total = float((values * 2).sum().item())
    except Exception as exc:
        try:
            architectures = ", ".join(torch.cuda.get_arch_list()) or "none"
        except Exception:
            architectures = "unknown"
        return Availability(
            False,
            f"torch {torch.__version__} cannot run an operation on the GPU ({exc}); this "
            f"build has kernels for {architectures}: {CUDA_BUILD_FIX}",
        )
    if total != 20.0:
        return Availability(False, f"torch's 2 * (1+2+3+4) on the GPU gave {total}, not 20")
    return None


class TorchCudaBackend(CudaBackend):
    name = "torch_cuda"
    libraries = ("numpy", "torch")

    def _check_available(self) -> Availability:
        library = missing_module("torch", TORCH_FIX)
        if library is None:
            import torch

            if torch.version.cuda is None:
                library = Availability(
                    False, f"torch {torch.__version__} is built without CUDA: {CUDA_BUILD_FIX}"
                )
        failed = unavailable(driver_availability(), library)
        if failed is not None:
            return failed
        import torch

        if not torch.cuda.is_available():
            return Availability(
                False,
                f"torch built for CUDA {torch.version.cuda} sees no usable GPU "
                "(torch.cuda.is_available() is False): is the driver older than that CUDA?",
            )
        ran = torch_runs_on_the_gpu(torch)
        if ran is not None:
            return ran
        return Availability(True, f"PyTorch CUDA {torch.version.cuda} on {self.device_name()}")

    def configure(self, threads: int) -> None:
        """Set host threads and create the CUDA context now, so transfers do not pay for it."""
        import torch

        torch.set_num_threads(threads)
        torch.empty(1, device=self.device)
        self.synchronize()

    def host_staging(self, array: np.ndarray) -> Any:
        import torch

        host = torch.from_numpy(array)
        return host.pin_memory() if self.pinned else host

    def host_empty(self, shape: tuple[int, ...], dtype: Any) -> Any:
        import torch

        return torch.empty(shape, dtype=dtype, pin_memory=self.pinned)

    def device_empty(self, shape: tuple[int, ...], dtype: Any) -> Any:
        import torch

        return torch.empty(
            shape, dtype=torch.from_numpy(np.empty(0, dtype)).dtype, device=self.device
        )

    def is_device_array(self, value: Any) -> bool:
        import torch

        return isinstance(value, torch.Tensor)

    def copy_h2d(self, device: Any, host: Any) -> None:
        device.copy_(host, non_blocking=self.pinned)

    def copy_d2h(self, host: Any, device: Any) -> None:
        host.copy_(device, non_blocking=self.pinned)

    def record_event(self, event: Any) -> None:
        import torch

        event.record(torch.cuda.current_stream())

    def as_numpy(self, host: Any) -> np.ndarray:
        return host.numpy()

    def synchronize(self) -> None:
        import torch

        torch.cuda.synchronize()

    def new_event(self) -> Any:
        import torch

        return torch.cuda.Event(enable_timing=True)

    def elapsed_ms(self, start: Any, end: Any) -> float:
        return start.elapsed_time(end)

    def device_name(self) -> str:
        import torch

        return torch.cuda.get_device_name()


BACKEND = TorchCudaBackend
