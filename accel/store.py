"""The results store: every run record and the machine it ran on, in one SQLite file.

Safe with several processes writing at once: the file is in WAL mode, every write is
one ``BEGIN IMMEDIATE`` transaction, and a writer waits (busy timeout) rather than
fails while another one commits. Readers never see half of a write.

The file is ours only if it carries our marker (SQLite ``application_id``) and a
schema version this accel can read. Anything else - not SQLite at all, somebody
else's SQLite database, a store written by a newer accel - is refused with a
:class:`StoreError` before a single byte of it is written.

>>> from accel.store import Store
>>> with Store("/tmp/results.sqlite") as store:          # doctest: +SKIP
...     run_id = store.add_run(record)
...     [run.record.backend for run in store.runs(kernel="julia", limit=5)]
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import sqlite3
import stat
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal, Union
from urllib.parse import quote

from . import untrusted
from .errors import AccelError, UsageError
from .kernels._home import accel_home
from .record import RunRecord

#: Version of the tables below; a store written with a higher one is refused.
SCHEMA_VERSION = 1
#: SQLite ``application_id`` marking a file as an accel store ("ACCL").
APPLICATION_ID = 0x4143434C
#: Name and version of the JSON document written by :meth:`Store.export`.
EXPORT_FORMAT = "accel-results"
EXPORT_VERSION = 1
STORE_FILE = "results.sqlite"
BUSY_TIMEOUT_S = 60.0
SQLITE_MAGIC = b"SQLite format 3\x00"

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE machines (
    fingerprint TEXT PRIMARY KEY,
    report TEXT NOT NULL,
    first_seen TEXT NOT NULL
);
CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    digest TEXT NOT NULL UNIQUE,
    kernel TEXT NOT NULL,
    kernel_version TEXT NOT NULL,
    backend TEXT NOT NULL,
    size INTEGER NOT NULL,
    dtype TEXT NOT NULL,
    threads INTEGER,
    status TEXT NOT NULL,
    median_s REAL,
    end_to_end_s REAL,
    machine TEXT NOT NULL,
    versions TEXT NOT NULL,
    created_at TEXT NOT NULL,
    record TEXT NOT NULL
);
CREATE INDEX runs_by_key ON runs (machine, kernel, dtype, size, backend);
CREATE INDEX runs_by_time ON runs (created_at);
"""


class StoreError(AccelError):
    """The store file cannot be used as it is; the message names the file and what to do."""


def default_store_path() -> Path:
    """``results.sqlite`` in :func:`accel_home` (``$ACCEL_HOME``, else the user's cache folder)."""
    return accel_home() / STORE_FILE


def store_path(store: Store | str | os.PathLike[str] | None) -> Path:
    """The file behind ``store``: a Store's own, a given path, or the default store's."""
    if isinstance(store, Store):
        return store.path
    if store is None:
        return default_store_path()
    if isinstance(store, bool) or not isinstance(store, (str, os.PathLike)):
        raise UsageError(
            f"store must be a path, a Store or None (the default store), got {store!r:.60}"
        )
    return Path(store)


def now_utc() -> str:
    """The current time as ISO 8601 in UTC, to the second."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def utc_timestamp(text: str) -> str:
    """``text`` (ISO 8601; a bare date or naive time counts as UTC) as UTC ISO 8601."""
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc).isoformat(timespec="seconds")
    except (TypeError, ValueError, OverflowError):  # overflow: year 1 shifted to UTC
        raise UsageError(f"not a date or ISO 8601 time: {text!r} (e.g. 2026-01-31)") from None


def record_digest(record: RunRecord) -> str:
    """SHA-256 of the record's canonical JSON: the same run stored twice is one row."""
    canonical = json.dumps(record.to_dict(), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def local_kernel_version(record: RunRecord) -> str:
    """The version here of the code ``record`` ran (a digest of its kernel's source on its
    backend, its variant's where it ran one), or '' for a kernel or variant this process
    does not know."""
    from .kernels import UnknownKernelError, get_kernel

    try:
        return get_kernel(record.kernel).with_variant(record.variant).version_for(record.backend)
    except (UnknownKernelError, LookupError):
        return ""


@dataclass(frozen=True)
class StoredRun:
    """One row of the store: the run record with its id, kernel version and time."""

    id: int
    kernel_version: str
    created_at: str
    record: RunRecord


@contextmanager
def _sqlite_errors(path: Path) -> Iterator[None]:
    """Turn SQLite's errors into a StoreError that names the file and the right remedy.

    A write lock held by another process past the busy timeout, a full disk and an
    I/O error are not a damaged store: moving it aside would be the wrong advice.
    """
    try:
        yield
    except (sqlite3.DatabaseError, OverflowError) as exc:
        remedy = advice(exc, path)
        fault = "damaged" in remedy or "cannot be opened" in remedy
        what = "cannot be used as an accel store" if fault else "could not be written"
        raise StoreError(f"{path} {what} ({exc}): {remedy}") from None


def _disk_nearly_full(path: Path) -> bool:
    try:
        usage = os.statvfs(path.parent)
    except OSError:
        return False
    return usage.f_bavail * usage.f_frsize < 256 * 1024


def advice(exc: BaseException, path: Path | None = None) -> str:
    """What to do about an error of the store: wait, free space, or move a damaged file aside."""
    said = str(exc).lower()
    if "disk i/o" in said and path is not None and _disk_nearly_full(path):
        said += " disk is full"  # SQLite says "disk I/O error" for a full disk's WAL index
    if isinstance(exc, sqlite3.OperationalError) and ("locked" in said or "busy" in said):
        return (
            f"another process held its write lock for over {BUSY_TIMEOUT_S:g} s; "
            "try again when it is done"
        )
    if "full" in said or getattr(exc, "errno", None) == errno.ENOSPC:
        return "its disk is full; free some space and try again"
    if "disk i/o" in said or "readonly" in said or "read-only" in said:
        return "the file system refused the write; check the disk and its permissions"
    if "unable to open" in said:
        return "it cannot be opened or made there; pass a writable file with --store"
    if isinstance(exc, OverflowError):
        return "a value does not fit in it (whole numbers must fit in 64 bits)"
    return "it may be damaged: move it aside or pass another file with --store"


class Store:
    """An open accel store; use as a context manager or call :meth:`close`.

    ``readonly=True`` opens the file so that nothing can be written to it (a missing
    file is then an error); otherwise a missing file is created with our schema.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, *, readonly: bool = False):
        self.path = store_path(path)
        self.readonly = readonly
        try:
            self._refuse_foreign_bytes()
        except (OSError, ValueError) as exc:  # no permission, a file where a folder must be
            why = getattr(exc, "strerror", None) or str(exc)
            if isinstance(exc, FileExistsError):
                why = f"{exc.filename} is a file, not a folder"
            raise StoreError(
                f"{self.path} cannot be used as an accel store ({why}); "
                "pass a writable file with --store"
            ) from None
        with _sqlite_errors(self.path):
            self._conn = self._connect()
            try:
                self._check_or_create_schema()
                if not readonly:
                    self._conn.execute("PRAGMA journal_mode=WAL")
            except BaseException:
                self._conn.close()
                raise

    # -- opening -----------------------------------------------------------------

    def _refuse_foreign_bytes(self) -> None:
        """Refuse a file that is not SQLite at all, without letting SQLite touch it."""
        if not self.path.exists():
            if self.readonly:
                raise StoreError(f"no store at {self.path} yet: nothing has been stored there")
            self.path.parent.mkdir(parents=True, exist_ok=True)
            return
        if self.path.is_dir():
            raise StoreError(f"{self.path} is a folder; pass a file path with --store")
        if not stat.S_ISREG(self.path.stat().st_mode):  # reading a FIFO would wait for ever
            raise StoreError(
                f"{self.path} is not a regular file (a FIFO, a device or a socket), so not an "
                "accel store; it was left untouched: pass a file path with --store"
            )
        with open(self.path, "rb") as handle:
            head = handle.read(len(SQLITE_MAGIC))
        if head and head != SQLITE_MAGIC:
            raise StoreError(
                f"{self.path} is not an SQLite database, so not an accel store; "
                "it was left untouched: move it aside or pass another file with --store"
            )

    def _connect(self) -> sqlite3.Connection:
        if self.readonly:
            uri = f"file:{quote(self.path.resolve().as_posix())}?mode=ro"  # '?' or '#' in a name
            conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        else:
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        return conn

    def _marker(self) -> tuple[int, int]:
        """(application_id, number of tables) as the file stands.

        One statement, so one snapshot: read apart, another process creating the store
        could commit in between and leave tables without (yet) our marker in view.
        """
        application_id, tables = self._conn.execute(
            "SELECT (SELECT application_id FROM pragma_application_id()),"
            " (SELECT count(*) FROM sqlite_master)"
        ).fetchone()
        return application_id, tables

    def _check_or_create_schema(self) -> None:
        application_id, tables = self._marker()
        if application_id == 0 and tables == 0 and not self.readonly:
            with self._write():  # another process may be creating it right now: look again
                application_id, tables = self._marker()
                if application_id == 0 and tables == 0:
                    for statement in _SCHEMA.split(";"):
                        self._conn.execute(statement)
                    self._conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                    self._conn.executemany(
                        "INSERT INTO meta (key, value) VALUES (?, ?)",
                        [("schema_version", str(SCHEMA_VERSION)), ("created_at", now_utc())],
                    )
                    return
        if application_id == 0 and tables == 0:  # read-only: nothing to create
            raise StoreError(f"no store at {self.path} yet: the file is empty")
        if application_id != APPLICATION_ID:
            raise StoreError(
                f"{self.path} is an SQLite database but not an accel store (no accel marker); "
                "it was left untouched: pass another file with --store"
            )
        row = self._conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        version = int(row[0]) if row and str(row[0]).isdigit() else 0
        if version < 1:
            raise StoreError(
                f"{self.path} has the accel marker but no schema version: damaged; "
                "move it aside or pass another file with --store"
            )
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} was written by a newer accel (store schema {version}; this accel "
                f"reads up to {SCHEMA_VERSION}): upgrade accel, or pass another file with --store"
            )

    @contextmanager
    def _write(self) -> Iterator[None]:
        """One write transaction, taken at once so that concurrent writers queue."""
        if self.readonly:
            raise StoreError(f"{self.path} was opened read-only")
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing -----------------------------------------------------------------

    def add_run(
        self,
        record: RunRecord,
        *,
        kernel_version: str | None = None,
        machine_reports: Mapping[str, dict[str, Any]] | None = None,
    ) -> int:
        """Store one run (see :meth:`add_runs`); returns the run's id."""
        return self.add_runs(
            [record], kernel_version=kernel_version, machine_reports=machine_reports
        )[0]

    def add_runs(
        self,
        records: Iterable[RunRecord],
        *,
        kernel_version: str | None = None,
        machine_reports: Mapping[str, dict[str, Any]] | None = None,
    ) -> list[int]:
        """Store several runs in one transaction: all of them or, on an error, none.

        A record already in the store (the very same JSON) is not stored again; its
        existing id is returned. ``kernel_version`` defaults to the version of the kernel's
        code on the record's backend here (:meth:`KernelSpec.version_for`).
        ``machine_reports`` (fingerprint -> hardware report, as the caller has it) are
        kept for machines the store does not know yet; the store probes nothing itself.
        """
        rows = [
            _run_row(r, kernel_version or local_kernel_version(r), measured_at(r)) for r in records
        ]
        first_seen = now_utc()
        reports = [
            {"fingerprint": fingerprint, "report": report, "first_seen": first_seen}
            for fingerprint, report in (machine_reports or {}).items()
        ]
        with _sqlite_errors(self.path), self._write():
            self._insert_machines(reports)
            return [self._insert_run(row) for row in rows]

    def knows_machine(self, fingerprint: str) -> bool:
        """Whether the store holds the hardware report of the machine ``fingerprint``."""
        with _sqlite_errors(self.path):
            found = self._conn.execute(
                "SELECT 1 FROM machines WHERE fingerprint = ?", (fingerprint,)
            ).fetchone()
        return found is not None

    def _insert_machines(self, machines: Iterable[dict[str, Any]]) -> None:
        self._conn.executemany(
            "INSERT OR IGNORE INTO machines (fingerprint, report, first_seen) VALUES (?, ?, ?)",
            [(m["fingerprint"], json.dumps(m["report"]), m["first_seen"]) for m in machines],
        )

    def _insert_run(self, row: dict[str, Any]) -> int:
        cursor = self._conn.execute(
            f"INSERT OR IGNORE INTO runs ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
            list(row.values()),
        )
        if cursor.rowcount == 1:
            return int(cursor.lastrowid)
        (existing,) = self._conn.execute(
            "SELECT id FROM runs WHERE digest = ?", (row["digest"],)
        ).fetchone()
        return int(existing)

    # -- reading -----------------------------------------------------------------

    def runs(
        self,
        *,
        kernel: str | None = None,
        backend: str | Iterable[str] | None = None,
        machine: str | None = None,
        since: str | None = None,
        size: int | None = None,
        dtype: str | None = None,
        threads: int | None = None,
        kernel_version: str | None = None,
        status: str | None = None,
        limit: int | None = None,
    ) -> list[StoredRun]:
        """Stored runs matching every filter given, newest first.

        ``machine`` matches a fingerprint or its beginning; ``since`` is an ISO date or
        time (UTC unless it says otherwise); ``backend`` is one name or several.
        """
        where, values = [], []
        for column, value in (
            ("kernel", kernel),
            ("size", size),
            ("dtype", dtype),
            ("threads", threads),
            ("kernel_version", kernel_version),
            ("status", status),
        ):
            if value is not None:
                where.append(f"{column} = ?")
                values.append(value)
        if backend is not None:
            names = [backend] if isinstance(backend, str) else list(backend)
            where.append(f"backend IN ({', '.join('?' * len(names))})")
            values.extend(names)
        if machine:
            where.append("substr(machine, 1, ?) = ?")
            values.extend([len(machine), machine])
        if since is not None:
            where.append("created_at >= ?")
            values.append(utc_timestamp(since))
        sql = "SELECT id, kernel_version, created_at, record FROM runs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY created_at DESC, id DESC"
        if limit is not None:
            if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit < 2**63:
                raise UsageError(
                    f"limit must be a whole number from 1 to 2**63-1, got {limit!r:.40}"
                )
            sql += f" LIMIT {int(limit)}"
        with _sqlite_errors(self.path):
            rows = self._conn.execute(sql, values).fetchall()
        return [
            StoredRun(id=i, kernel_version=v, created_at=c, record=_parse_record(r, self.path, i))
            for i, v, c, r in rows
        ]

    def count(self) -> int:
        """How many runs the store holds."""
        with _sqlite_errors(self.path):
            return int(self._conn.execute("SELECT count(*) FROM runs").fetchone()[0])

    def save_machine_report(self, fingerprint: str, report: dict[str, Any]) -> None:
        """Keep ``report`` as the machine's hardware report, replacing an older one.

        ``accel hardware --measure`` saves its measured report this way, so figures and
        exports carry the machine's measured roof (bandwidth and GFLOP/s).
        """
        with _sqlite_errors(self.path), self._write():
            self._conn.execute(
                "INSERT INTO machines (fingerprint, report, first_seen) VALUES (?, ?, ?) "
                "ON CONFLICT(fingerprint) DO UPDATE SET report = excluded.report",
                (fingerprint, json.dumps(report), now_utc()),
            )

    def machines(self, fingerprints: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """Stored machines as ``{"fingerprint", "report", "first_seen"}``, oldest first."""
        sql = "SELECT fingerprint, report, first_seen FROM machines"
        values: list[str] = []
        if fingerprints is not None:
            values = sorted(set(fingerprints))
            sql += f" WHERE fingerprint IN ({', '.join('?' * len(values))})"
        with _sqlite_errors(self.path):
            rows = self._conn.execute(sql + " ORDER BY first_seen, fingerprint", values).fetchall()
        return [{"fingerprint": f, "report": json.loads(r), "first_seen": s} for f, r, s in rows]

    # -- moving between machines ---------------------------------------------------

    def export(self, **filters: Any) -> dict[str, Any]:
        """Runs matching ``filters`` (as :meth:`runs` takes them) and their machines, as JSON."""
        runs = self.runs(**filters)
        return {
            "format": EXPORT_FORMAT,
            "format_version": EXPORT_VERSION,
            "exported_at": now_utc(),
            "machines": self.machines({run.record.machine for run in runs}),
            "runs": [
                {
                    "kernel_version": run.kernel_version,
                    "created_at": run.created_at,
                    "record": run.record.to_dict(),
                }
                for run in reversed(runs)  # oldest first: imports keep the order of measurement
            ],
        }

    def import_(self, document: Any, source: str = "the document") -> tuple[int, int]:
        """Add every run and machine of an export document, all or nothing.

        Every record is validated first (:meth:`RunRecord.from_dict`); one bad record
        and nothing is written. Runs keep their machine fingerprint. Returns (runs
        added, runs already present).
        """
        machines, runs = validate_export(document, source)
        with _sqlite_errors(self.path), self._write():
            before = self._conn.execute("SELECT count(*) FROM runs").fetchone()[0]
            self._insert_machines(machines)
            for run in runs:
                self._insert_run(run)
            after = self._conn.execute("SELECT count(*) FROM runs").fetchone()[0]
        return after - before, len(runs) - (after - before)


def measured_at(record: RunRecord) -> str:
    """When the run was measured: its own start time, or now for a run never started."""
    if record.started_at:
        try:
            return utc_timestamp(record.started_at)
        except UsageError:
            pass
    return now_utc()


def _run_row(record: RunRecord, kernel_version: str, created_at: str) -> dict[str, Any]:
    return {
        "digest": record_digest(record),
        "kernel": record.kernel,
        "kernel_version": kernel_version,
        "backend": record.backend,
        "size": record.size,
        "dtype": record.dtype,
        "threads": record.threads,
        "status": record.status,
        "median_s": record.median_s,
        "end_to_end_s": record.end_to_end_s,
        "machine": record.machine,
        "versions": json.dumps(record.versions, sort_keys=True),
        "created_at": created_at,
        "record": record.to_json(indent=None),
    }


def _parse_record(text: str, path: Path, run_id: int) -> RunRecord:
    try:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError(f"the stored record is {type(data).__name__}, not an object")
        return RunRecord.from_dict(data)
    except (ValueError, TypeError) as exc:
        raise StoreError(f"{path}: run {run_id} cannot be read: {exc}") from None


def read_export(path: str, *, hint: str = "export runs with 'accel export'") -> Any:
    """The JSON document of an ``accel export`` file, validated; StoreError when it is not one.

    Whatever the file holds (not JSON, not UTF-8, nesting thousands deep, numbers of
    thousands of digits), the outcome is the document or a StoreError, never another
    exception.
    """
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError, digits
        why = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)[:200]
        raise StoreError(f"{path} is not JSON ({why}); {hint}") from None
    validate_export(document, path)
    return document


def validate_export(document: Any, source: str) -> tuple[list[dict], list[dict]]:
    """Machines and run rows of an export document; StoreError at the first fault.

    Every record goes through :meth:`RunRecord.from_dict` (so a record of a newer
    schema, an unknown status or a missing field is refused) and the fields the store
    indexes are type-checked.
    """

    def fault(where: str, what: str) -> StoreError:
        return StoreError(f"{source}: {where}: {what}; nothing was imported")

    if not isinstance(document, dict) or document.get("format") != EXPORT_FORMAT:
        raise fault("top level", f"not an accel export (expected format {EXPORT_FORMAT!r})")
    version = document.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or not version >= 1:
        raise fault("format_version", f"{version!r:.40} is not a format version (1 or more)")
    if version > EXPORT_VERSION:
        raise fault(
            "format_version",
            f"{version!r:.40} is not readable by this accel "
            f"(reads up to {EXPORT_VERSION}); upgrade",
        )
    machines, runs = document.get("machines"), document.get("runs")
    if not isinstance(machines, list) or not isinstance(runs, list):
        raise fault("top level", "'machines' and 'runs' must be lists")
    for i, machine in enumerate(machines):
        try:
            untrusted.check_machine(machine)
        except ValueError as exc:
            raise fault(f"machine {i}", str(exc)) from None
    rows = []
    for i, run in enumerate(runs):
        try:
            if not isinstance(run, dict) or not isinstance(run.get("record"), dict):
                raise ValueError("not an object with a 'record'")
            record = RunRecord.from_dict(run["record"])
            untrusted.check_record(record)
            kernel_version = untrusted.text(run.get("kernel_version"), "kernel_version")
            created_at = untrusted.text(run.get("created_at"), "created_at")
            rows.append(_run_row(record, kernel_version, utc_timestamp(created_at)))
        except (ValueError, TypeError) as exc:
            raise fault(f"run {i}", str(exc)) from None
    return machines, rows


#: What a ``store=`` argument of a measuring function accepts: a Store, a path,
#: None (the default store) or False (store nothing).
StoreOption = Union[Store, str, "os.PathLike[str]", Literal[False], None]
