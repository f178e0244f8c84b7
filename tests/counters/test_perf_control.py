"""Real perf, switched by the FIFO protocol: counts hold the region and nothing else.

A small program runs under the runner's own perf command and touches a known number
of fresh memory pages before, inside or after a ``counting()`` region. Each first
touch of a page is one page fault, so the closed form is bytes / page size
(transparent huge pages are switched off in that program so that the page is 4 KiB).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from accel.counters import parse_perf_csv, plan_counters

MIB = 64
PAGE = os.sysconf("SC_PAGE_SIZE")
PAGES = MIB * 2**20 // PAGE

PROGRAM = textwrap.dedent(
    """
    import ctypes, sys
    from accel.counters import counting

    ctypes.CDLL(None).prctl(41, 1, 0, 0, 0)  # PR_SET_THP_DISABLE: 4 KiB pages only
    size = {mib} * 2**20
    where = sys.argv[1]

    def touch():
        return b"\\x01" * size  # malloc (fresh mmap) and write every page

    kept = [touch()] if where == "before" else []
    with counting() as region:
        if where == "inside":
            kept.append(touch())
    if where == "after":
        kept.append(touch())
    sys.exit(3 if region.problem else 0)
    """
).format(mib=MIB)


def _count(tmp_path, where: str) -> dict:
    folder = tmp_path / where
    folder.mkdir()
    script = folder / "program.py"
    script.write_text(PROGRAM)
    plan = plan_counters(True, ("page-faults", "task-clock"), str(folder))
    assert plan.counting, plan.reason
    done = subprocess.run(
        plan.wrap([sys.executable, str(script), where]),
        env={**os.environ, **plan.environment()},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    with open(plan.output) as handle:
        return parse_perf_csv(handle.read())


def test_pages_touched_inside_the_region_are_all_counted(tmp_path, perf_counts_software):
    faults = _count(tmp_path, "inside")["page-faults"].value
    assert PAGES <= faults <= PAGES * 1.05 + 200


@pytest.mark.parametrize("where", ["before", "after"])
def test_pages_touched_outside_the_region_are_not_counted(tmp_path, where, perf_counts_software):
    counts = _count(tmp_path, where)
    assert counts["page-faults"].status == "counted"
    assert counts["page-faults"].value < PAGES / 50  # the region itself touches a few pages
    assert counts["task-clock"].value < 50.0  # msec: the import and the 64 MiB write are outside


def test_perf_reports_a_signal_death_of_the_worker_which_the_plan_recovers(
    tmp_path, perf_counts_software
):
    plan = plan_counters(True, ("task-clock",), str(tmp_path))
    worker = [sys.executable, "-c", "import os; os.abort()"]
    done = subprocess.run(plan.wrap(worker), capture_output=True, text=True, timeout=60)
    code, _ = plan.worker_outcome(done.returncode, done.stderr)
    assert code == -6, (done.returncode, done.stderr)
