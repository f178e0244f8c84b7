"""`accel compare` ranks by end to end (transfers paid per call) unless --resident."""

from accel.record import RunRecord, Transfer
from accel.tables import compare_rows, ranking_note


def _record(backend, median_s, transfer=None):
    return RunRecord(
        kernel="julia", backend=backend, size=1000, dtype="complex128", status="ok",
        samples_s=[median_s] * 3, transfer=transfer,
        check={"passed": True, "error": 0.0, "detail": ""},
    )  # fmt: skip


# A GPU whose kernel takes 1 ms but whose data takes 8 ms there and 4 ms back.
RECORDS = [
    _record("python", 0.100),
    _record("numba_cuda", 0.001, Transfer(0.008, 16_000_000, 0.004, 4_000_000, False)),
    _record("numpy", 0.010),
]


def _ranked(resident):
    headers, rows = compare_rows(RECORDS, resident)
    return [dict(zip(headers, row, strict=True)) for row in rows]


def test_default_ranks_by_kernel_plus_transfers():
    rows = _ranked(resident=False)
    assert [r["backend"] for r in rows] == ["numpy", "numba_cuda", "python"]
    gpu = rows[1]
    assert gpu["median"] == "1 ms ± 0" and gpu["end to end"] == "13 ms"
    assert gpu["vs python"] == f"{0.100 / 0.013:.1f}x"  # 7.7x


def test_resident_ranks_by_kernel_time_alone():
    rows = _ranked(resident=True)
    assert [r["backend"] for r in rows] == ["numba_cuda", "numpy", "python"]
    assert rows[0]["vs python"] == "100.0x"


def test_ranking_note_only_where_some_backend_moves_data():
    assert "--resident" in ranking_note(RECORDS)
    assert "kernel time" in ranking_note(RECORDS, resident=True)
    assert ranking_note([RECORDS[0], RECORDS[2]]) is None
