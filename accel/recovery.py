"""A measurement that cannot be stored is kept in a recovery file, never thrown away.

When the store refuses a finished run (another process holds its write lock past the
busy timeout, the disk is full, the file was damaged meanwhile), :func:`keep` writes
the run to an ``accel export`` document, ``accel-unsaved-<time>-<pid>.json``, and
returns its path; the error the user sees names that file, says why the store
refused and what to do, and ``accel import FILE`` adds the run once the store can be
written again. The file goes beside the store if that folder takes it, else to the
current folder, the home folder or the temporary folder (a full disk under the store
is the usual reason the first place fails).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from pathlib import Path

from .identity import machine_fingerprint, machine_report
from .record import RunRecord
from .store import EXPORT_FORMAT, EXPORT_VERSION, StoreError, StoreOption, now_utc, store_path

PREFIX = "accel-unsaved-"
#: What stores a record and returns it.
Save = Callable[[RunRecord], RunRecord]


def _places(store: Path) -> list[Path]:
    return [store.parent, Path.cwd(), Path.home(), Path(tempfile.gettempdir())]


def _machines(records: list[RunRecord]) -> list[dict]:
    """This machine's report, for the runs measured here (import stores it with them)."""
    here = machine_fingerprint()
    if not here or not any(r.machine == here for r in records):
        return []
    try:
        report = machine_report()
    except Exception:  # the probe is a nicety here; the runs matter
        return []
    return [{"fingerprint": here, "report": report, "first_seen": now_utc()}]


def document(records: Iterable[RunRecord]) -> dict:
    """An ``accel export`` document holding ``records`` (and this machine's report)."""
    kept = list(records)
    from .store import local_kernel_version, measured_at

    return {
        "format": EXPORT_FORMAT,
        "format_version": EXPORT_VERSION,
        "exported_at": now_utc(),
        "machines": _machines(kept),
        "runs": [
            {
                "kernel_version": local_kernel_version(r),
                "created_at": measured_at(r),
                "record": r.to_dict(),
            }
            for r in kept
        ],
    }


def keep(records: Iterable[RunRecord], store: Path) -> Path | None:
    """Write ``records`` to a new recovery file; its path, or None where nothing took it."""
    text = json.dumps(document(records), indent=1) + "\n"
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    for folder in _places(Path(store)):
        path = folder / f"{PREFIX}{stamp}-{os.getpid()}.json"
        try:  # a new file, never over another one
            handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except OSError:
            continue
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
        except OSError:  # the disk filled as it was written: not this place
            with contextlib.suppress(OSError):
                path.unlink()
            continue
        return path
    return None


def unsaved_error(records: list[RunRecord], store: Path, error: BaseException) -> StoreError:
    """The error to raise for measured ``records`` the store refused: kept in a file, named."""
    kept = keep(records, store)
    what = "the measured run" if len(records) == 1 else f"the {len(records)} measured runs"
    if kept is None:
        return StoreError(f"{error}; {what} could not be kept anywhere either (no folder took it)")
    return StoreError(
        f"{error}. Nothing measured is lost: {what} {'is' if len(records) == 1 else 'are'} "
        f"in {kept}; add {'it' if len(records) == 1 else 'them'} with 'accel import {kept}'"
    )


def guarded(save: Save, store: StoreOption) -> Save:
    """``save`` (a record -> ``store``), turning a store that refuses a record into an
    error that names the recovery file the record was kept in (:func:`unsaved_error`).
    ``store=False`` (nothing stored): ``save`` itself."""
    if store is False:
        return save
    path = store_path(store)

    def save_or_keep(record: RunRecord) -> RunRecord:
        try:
            return save(record)
        except (StoreError, OverflowError) as exc:
            raise unsaved_error([record], path, exc) from None

    return save_or_keep
