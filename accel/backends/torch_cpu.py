"""PyTorch tensors on the CPU device; the same implementation serves ``torch_cuda``."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..kernels import Inputs
from .base import Availability, Backend, missing_module

TORCH_FIX = "pip install 'accel-testbed[torch]' (torch==2.13.0)"


class TorchCpuBackend(Backend):
    name = "torch_cpu"
    device = "cpu"
    libraries = ("numpy", "torch")

    def _check_available(self) -> Availability:
        return missing_module("torch", TORCH_FIX) or Availability(True)

    def configure(self, threads: int) -> None:
        import torch

        torch.set_num_threads(threads)

    def to_device(self, inputs: Inputs) -> Inputs:
        import torch

        return {
            key: torch.from_numpy(value).to(self.device) if isinstance(value, np.ndarray) else value
            for key, value in inputs.items()
        }

    def from_device(self, output: Any) -> Any:
        import torch

        if isinstance(output, torch.Tensor):
            return output.cpu().numpy() if output.dim() else output.item()
        return output


BACKEND = TorchCpuBackend
