"""``python -m benchmarks``: measure issue 10's targets on this machine, write JSON and Markdown.

Run from the repository root. Every target is a ratio against a baseline measured in
the same run (or a small cost of the harness itself); results go to
``benchmarks/results/`` (``--out``). The exit code is 0 even when targets are missed
(this is a measurement), unless ``--strict``: then 1 when any target failed or could
not be measured. A bad option prints one line and exits with 2.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path

from accel.errors import UsageError

from .catalogue import catalogue, plan, select
from .harness_costs import register_empty_kernel
from .report import write
from .session import run_session

DEFAULT_OUT = Path(__file__).resolve().parent / "results"
FULL_ROUNDS, QUICK_ROUNDS = 3, 2
QUICK_MIN_TIME_S = 0.1
QUICK_STREAM_BYTES = 64 * 1024**2


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Measure accel's performance targets on this machine (ratios against "
        "baselines measured in the same run) and write results.json and results.md.",
    )
    p.add_argument("--quick", action="store_true", help="small sizes, fewer repeats: a smoke run")
    p.add_argument("--out", default=str(DEFAULT_OUT), help="folder for results.json/results.md")
    p.add_argument(
        "--only", default="", help="comma-separated target names or groups (e.g. harness,pypy)"
    )
    p.add_argument("--rounds", type=int, default=None, help="alternating rounds per problem")
    p.add_argument(
        "--strict", action="store_true", help="exit 1 when a target fails or is not measured"
    )
    return p


def _load() -> list[float] | None:
    return [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None


def machine(fingerprint: str) -> dict:
    """Fingerprint, CPU model and usable CPUs of this machine, from accel's probe."""
    from accel.hardware import cached_probe

    from accel.identity import machine_fingerprint
    from accel.threads import usable_cpus

    report = cached_probe()
    return {
        "fingerprint": fingerprint or machine_fingerprint(),
        "cpu": report.cpu.model_name,
        "usable_cpus": usable_cpus(),
    }


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        if args.rounds is not None and args.rounds < 1:
            raise UsageError(f"rounds must be a whole number of at least 1, got {args.rounds}")
        register_empty_kernel()
        from accel.hardware import cached_probe

        llc = cached_probe().caches.last_level()
        chosen_plan = plan(args.quick, llc.size_bytes if llc else None)
        chosen = select(catalogue(chosen_plan), [n for n in args.only.split(",") if n])
    except UsageError as exc:
        print(f"python -m benchmarks: error: {exc}", file=sys.stderr)
        return 2
    rounds = args.rounds or (QUICK_ROUNDS if args.quick else FULL_ROUNDS)
    load_before = _load()
    session = run_session(
        chosen_plan,
        chosen,
        rounds=rounds,
        run_options={"counters": False, **({"min_time": QUICK_MIN_TIME_S} if args.quick else {})},
        roofs_array_bytes=QUICK_STREAM_BYTES if args.quick else None,
    )
    about = {**machine(session.fingerprint), "load_before": load_before, "load_after": _load()}
    command = shlex.join(["python", "-m", "benchmarks", *(argv or sys.argv[1:])])
    path = write(session, args.out, command, about)
    for result in session.results:
        figure = "-" if result.value is None else f"{result.value:.3g}"
        line = f"{result.status:<15} {result.name:<28} {figure:>8}"
        print(line + (f"  {result.explanation}" if result.explanation else ""))
    print(f"wrote {path} and {path.with_suffix('.md')}")
    missed = [r for r in session.results if r.status in ("fail", "not measurable")]
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
