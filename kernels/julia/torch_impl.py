"""Julia set in PyTorch, one source for the CPU and CUDA devices.

All points are updated together with masked arithmetic (no per-element Python
loop), in buffers allocated once per block and written in place. Escaped points
are dropped every ``COMPACT_EVERY`` iterations: often enough to save most of the
work, seldom enough that a GPU is not made to wait on the host at every step.

``z*z + c`` is written in real arithmetic, one tensor operation per multiply or add,
and the escape test is the book's expanded ``x*x + y*y < 4`` on the squares the step
needs anyway (one pass fewer than ``torch.hypot``): each operation then rounds on its
own as NumPy's do, so complex128 counts match the reference exactly on the CPU and on
a GPU, where PyTorch's own complex multiply is compiled with fused multiply-adds.
"""

import torch

COMPACT_EVERY = 8


def compute(zs, c, max_iter):
    """Iteration count per starting point (int32 tensor on the inputs' device)."""
    counts = torch.zeros(zs.shape, dtype=torch.int32, device=zs.device)
    x, y = zs.real.clone(), zs.imag.clone()
    index = torch.arange(zs.numel(), device=zs.device)
    done = 0
    while done < max_iter:
        steps = min(COMPACT_EVERY, max_iter - done)
        # Buffers for the block, written in place (out=): no allocation per iteration.
        block = torch.zeros(x.shape, dtype=torch.int32, device=zs.device)
        inside = torch.empty(x.shape, dtype=torch.bool, device=zs.device)
        size, xx, yy, xy = (torch.empty_like(x) for _ in range(4))
        for _ in range(steps):
            torch.mul(x, x, out=xx)
            torch.mul(y, y, out=yy)
            torch.lt(torch.add(xx, yy, out=size), 4, out=inside)
            block += inside
            # (x + iy)^2 + c as NumPy forms a complex product: (xx - yy) + i(xy + yx),
            # where xy + yx is exactly 2 * xy (the products are equal, doubling is exact).
            xx.sub_(yy).add_(c.real)
            torch.mul(x, y, out=xy).mul_(2).add_(c.imag)
            torch.where(inside, xx, x, out=x)
            torch.where(inside, xy, y, out=y)
        counts.index_add_(0, index, block)
        done += steps
        # The one host synchronisation per block: nonzero() must know how many points stay.
        alive = torch.nonzero(x * x + y * y < 4).squeeze(1)
        if alive.numel() == 0:
            break
        x, y, index = x[alive], y[alive], index[alive]
    return counts
