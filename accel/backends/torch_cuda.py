"""PyTorch tensors on an NVIDIA GPU; the same implementation file serves ``torch_cpu``."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..kernels import Inputs
from .base import Availability, missing_module
from .cuda_backend import CudaBackend, unavailable
from .cuda_driver import driver_availability
from .torch_cpu import TORCH_FIX

CUDA_BUILD_FIX = (
    "install a CUDA build of the same version (torch==2.13.0) for your driver, "
    "as https://pytorch.org/get-started/locally/ shows"
)


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
        return Availability(True, f"PyTorch CUDA {torch.version.cuda} on {self.device_name()}")

    def configure(self, threads: int) -> None:
        """Set host threads and create the CUDA context now, so transfers do not pay for it."""
        import torch

        torch.set_num_threads(threads)
        torch.empty(1, device=self.device)
        self.synchronize()

    def to_device(self, inputs: Inputs) -> Inputs:
        import torch

        moved = {}
        for key, value in inputs.items():
            if isinstance(value, np.ndarray):
                host = torch.from_numpy(value)
                if self.pinned:
                    host = host.pin_memory()
                value = host.to(self.device, non_blocking=self.pinned)
            moved[key] = value
        self.synchronize()
        return moved

    def from_device(self, output: Any) -> Any:
        import torch

        if not isinstance(output, torch.Tensor):
            return output
        if self.pinned:
            host = torch.empty(output.shape, dtype=output.dtype, pin_memory=True)
            host.copy_(output, non_blocking=True)
        else:
            host = output.cpu()
        self.synchronize()
        return host.numpy() if host.dim() else host.item()

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
