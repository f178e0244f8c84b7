"""``accel kernels``: the catalogue, with presets, dtypes and backends."""

from __future__ import annotations

import argparse
import json

from ..backends import BACKEND_NAMES
from ..kernels import all_kernels
from ..request import variants_named
from ..tables import show


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("kernels", help="list kernels with their presets")
    parser.add_argument("--json", action="store_true", help="print as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    kernels = all_kernels()
    if args.json:
        print(json.dumps([_describe(k) for k in kernels], indent=2))
        return 0
    rows = []
    for kernel in kernels:
        presets = ", ".join(f"{name}={preset.size}" for name, preset in kernel.presets.items())
        rows.append([kernel.name, presets, ", ".join(kernel.dtypes), kernel.description])
    show(["kernel", "presets (size)", "dtypes", "what it stresses"], rows)
    for kernel in kernels:
        missing = [b for b in BACKEND_NAMES if b not in kernel.implementations]
        for backend in missing:
            reason = kernel.not_applicable.get(backend, "not implemented yet")
            print(f"  {kernel.name} on {backend}: {reason}")
    for kernel in kernels:
        if kernel.variants:
            print(f"  {kernel.name} variants (--variant NAME): {variants_named(kernel)}")
    return 0


def _describe(kernel) -> dict:
    return {
        "name": kernel.name,
        "title": kernel.title,
        "description": kernel.description,
        "version": kernel.version,
        "presets": {n: {"size": p.size, **dict(p.params)} for n, p in kernel.presets.items()},
        "dtypes": list(kernel.dtypes),
        "backends": sorted(kernel.implementations),
        "not_applicable": dict(kernel.not_applicable),
        "variants": dict(kernel.variants),
    }
