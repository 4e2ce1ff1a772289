"""Writing rows: the Sink (COPY on PostgreSQL, executemany on SQLite, the digests of what was
written, the bulk loads without indexes), the worker processes that make big loads, and the
ids allocated here so that rows can point at each other without reading anything back."""

import gc
import hashlib
import io
import json
import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import connection, models, transaction
from django.db.models import Max
from psycopg.copy import Copy, FileWriter

from nuanxin.accounts.models import User
from nuanxin.cases.models import Case, CaseEvent
from nuanxin.core import crypto
from nuanxin.core.bulk import without_indexes
from nuanxin.core.fields import EncryptedTextField
from nuanxin.demo.city.moments import moment
from nuanxin.inspections.models import Rectification, Visit, WatchTarget
from nuanxin.ledgers.models import Dispute
from nuanxin.party.models import BranchMeeting, Delivery, PartyMember, PartyOrg, Task, TwoNewOrg
from nuanxin.people.models import Household, Resident, ResidentTag
from nuanxin.stations.models import Station, StationCheckIn
from nuanxin.territory.models import Area, Place
from nuanxin.volunteers.models import Activity, Participant

Say = Callable[[str], None]


# Loads of at least this many rows on PostgreSQL drop and rebuild the table's indexes (Sink.loading).
BULK_MINIMUM = 50_000
# Rows per executemany on SQLite (each batch in its own transaction, inside the build's).
SQLITE_BATCH = 5_000
# Loads of at least this many rows on PostgreSQL are made in worker processes, one per core
# (Sink.write_chunks): Python per row is what limits them, and the rows of a chunk do not
# depend on which process makes them.
PARALLEL_MINIMUM = 50_000


class Secret:
    """A value for an encrypted column: the sink encrypts it when writing and digests the plaintext."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def _norm(value: Any) -> str:
    kind = type(value)
    if kind is str:
        return value  # type: ignore[no-any-return]
    if kind is int:
        return str(value)
    if isinstance(value, Secret):
        return value.text
    if isinstance(value, datetime):
        return moment(value, postgres=connection.vendor == "postgresql")
    if isinstance(value, date):
        return value.isoformat()
    if value is None:
        return "∅"
    return str(value)


@dataclass
class TableStats:
    """Rows written to a table, the seconds spent making and writing them, and the seconds
    spent building its indexes and constraints again after a bulk load (Sink.loading)."""

    rows: int = 0
    seconds: float = 0.0
    index_seconds: float = 0.0

    @property
    def rate(self) -> float:
        """Rows a second, written."""
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    @property
    def overall_rate(self) -> float:
        """Rows a second, indexes included."""
        total = self.seconds + self.index_seconds
        return self.rows / total if total > 0 else 0.0


# The columns each table's digest covers: what identifies the generated content. Encrypted
# columns are compared by plaintext, so the digest of a run and of the tables agree.
KEY_COLUMNS: dict[type[models.Model], tuple[str, ...]] = {
    Area: ("id", "path", "name", "parent_id"),
    User: ("id", "username", "display_name"),
    Place: ("id", "kind", "name", "grid_id", "parent_id"),
    Household: ("id", "number", "place_id"),
    Resident: ("id", "name", "birth_year", "id_number", "id_number_index", "phone", "grid_id", "household_id"),
    ResidentTag: ("id", "resident_id", "kind", "category"),
    WatchTarget: ("id", "category", "place_id", "resident_id", "grid_id", "worker_id", "tier", "started_on"),
    Visit: ("id", "kind", "target_id", "grid_id", "due_on", "state", "done_at"),
    Rectification: ("id", "number", "visit_id", "severity", "state"),
    Case: ("id", "number", "case_class_id", "grid_id", "state", "level", "reported_at", "closed_at", "reporter_name"),
    CaseEvent: ("id", "case_id", "kind", "at"),
    Dispute: ("id", "number", "grid_id", "state", "outcome", "received_on"),
    Activity: ("id", "number", "kind", "area_id", "starts_on"),
    Participant: ("id", "activity_id", "group", "name"),
    Station: ("id", "code", "place_id"),
    StationCheckIn: ("id", "station_id", "user_id", "at"),
    PartyOrg: ("id", "name", "kind", "parent_id", "area_id", "place_id", "secretary_id"),
    PartyMember: ("id", "name", "phone", "org_id", "standing", "status", "since", "left_on"),
    BranchMeeting: ("id", "org_id", "kind", "planned_on", "held_on"),
    TwoNewOrg: ("id", "place_id", "coverage", "covered_by_id", "stage", "founded_on"),
    Delivery: ("id", "commitment_id", "delivered_on", "quantity"),
    Task: ("id", "meeting_id", "owner_unit_id", "deadline", "state", "finished_on"),
}


@dataclass
class Encoded:
    """Rows of one table as COPY text (secrets encrypted), with the digest lines of their
    key columns when the sink digests."""

    rows: int
    data: bytes
    digest: bytes


class Sink:
    """Writes rows into a table (COPY on PostgreSQL, executemany on SQLite), prints the
    progress, and (with `digest=True`) keeps a digest of each table's key columns. With
    `dry=True` nothing is written, only digested: a run can be compared with another."""

    def __init__(self, say: Say, *, dry: bool = False, digest: bool = False) -> None:
        self.say = say
        self.dry = dry
        self.digest = digest or dry
        self.postgres = connection.vendor == "postgresql"
        self.stats: dict[str, TableStats] = {}
        self._hashes: dict[str, Any] = {}
        self.sealer = crypto.sealer()

    @property
    def digests(self) -> dict[str, str]:
        return {table: h.hexdigest() for table, h in self._hashes.items()}

    @contextmanager
    def loading(self, tables: Sequence[type[models.Model]], expected: int) -> Iterator[None]:
        """On PostgreSQL, load big tables without their secondary indexes and constraints and
        build them once at the end (core.bulk.without_indexes). Measured on a 100,000-case
        COPY: 12 s with the 17 indexes of cases_case, 0.9 s without; the deferred foreign-key
        checks add 4 s at commit, while re-adding a foreign key checks the whole table in one
        join. Only for loads of at least a quarter of what the table holds (measured: adding
        100,000 cases to 1,000,000 with the indexes kept runs at 11,000 cases/s, a rebuild of
        the 1.1M rows takes 16 s): topping up a little keeps the indexes."""
        if self.dry or not self.postgres or expected < BULK_MINIMUM:
            yield
            return
        small: list[type[models.Model]] = []
        with connection.cursor() as cursor:
            for model in tables:
                cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [model._meta.db_table])
                if expected * 4 >= (cursor.fetchone()[0] or 0):
                    small.append(model)

        def rebuilt(model: type[models.Model], indexes: int, constraints: int, seconds: float) -> None:
            table = model._meta.db_table
            self.stats.setdefault(table, TableStats()).index_seconds += seconds
            self.say(f"  {table}: {indexes} indexes and {constraints} constraints rebuilt in {seconds:.1f} s")

        with without_indexes(small, rebuilt=rebuilt):
            yield

    def write(self, model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        table = model._meta.db_table
        stats = self.stats.setdefault(table, TableStats())
        started = time.monotonic()
        rows = self._tracked(table, stats.rows, started, self._digested(model, columns, rows))
        secret = _secret_columns(model, columns)
        done = 0
        if self.dry:
            for _row in rows:
                done += 1
        elif self.postgres:
            with self._copy(model, columns) as copy:
                write_row, sealed = copy.write_row, self._sealed
                for row in rows:
                    write_row(sealed(row, secret))
                    done += 1
        else:
            placeholders = ", ".join("%s" for _ in columns)
            quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
            # Table and column names from the models' metadata, quoted; the values are parameters.
            sql = f"INSERT INTO {connection.ops.quote_name(table)} ({quoted}) VALUES ({placeholders})"  # noqa: S608
            batch: list[list[Any]] = []
            with connection.cursor() as cursor:
                for row in rows:
                    batch.append([_sqlite(v, self.sealer) for v in row])
                    done += 1
                    if len(batch) >= SQLITE_BATCH:
                        with transaction.atomic():
                            cursor.executemany(sql, batch)
                        batch = []
                if batch:
                    with transaction.atomic():
                        cursor.executemany(sql, batch)
        self._done(table, stats, done, started)
        return done

    def write_chunks(
        self,
        tables: Sequence[tuple[type[models.Model], Sequence[str]]],
        job: Callable[[int], tuple[Sequence[Sequence[Sequence[Any]]], Any]],
        chunks: int,
        *,
        expected: int,
    ) -> tuple[list[int], list[Any]]:
        """Write what job(0) … job(chunks - 1) make. Each returns a list of rows per table of
        `tables` and something for the caller; those come back in chunk order with the rows
        written per table. The first table's rows are streamed as they come, the others kept
        and written after it. On PostgreSQL, loads of `expected` ≥ PARALLEL_MINIMUM rows run
        the job in worker processes, which hand back their rows as COPY text: the same rows
        as one process makes, as the job's chunks decide them, not the processes."""
        extras: list[Any] = []
        first_model, first_columns = tables[0]
        if self.postgres and not self.dry and expected >= PARALLEL_MINIMUM and WORKERS > 1:
            kept_parts: list[list[Encoded]] = [[] for _ in tables[1:]]

            def encoded(chunk: int) -> tuple[list[Encoded], Any]:
                made, extra = job(chunk)
                return [self.encode(m, c, rows) for (m, c), rows in zip(tables, made, strict=True)], extra

            def parts() -> Iterator[Encoded]:
                for made, extra in _in_workers(encoded, range(chunks)):
                    extras.append(extra)
                    for kept, part in zip(kept_parts, made[1:], strict=True):
                        kept.append(part)
                    yield made[0]

            counts = [self.write_encoded(first_model, first_columns, parts())]
            counts += [self.write_encoded(m, c, kept) for (m, c), kept in zip(tables[1:], kept_parts, strict=True)]
        else:
            kept_rows: list[list[Sequence[Any]]] = [[] for _ in tables[1:]]

            def rows() -> Iterator[Sequence[Any]]:
                for chunk in range(chunks):
                    made, extra = job(chunk)
                    extras.append(extra)
                    for kept, more in zip(kept_rows, made[1:], strict=True):
                        kept.extend(more)
                    yield from made[0]

            counts = [self.write(first_model, first_columns, rows())]
            counts += [self.write(m, c, kept) for (m, c), kept in zip(tables[1:], kept_rows, strict=True)]
        return counts, extras

    def encode(self, model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Encoded:
        """Rows as COPY text with their secrets encrypted, and their digest lines when the
        sink digests: what a worker process hands to write_encoded. psycopg formats them
        into a buffer (a FileWriter: nothing goes to the server from here)."""
        secret = _secret_columns(model, columns)
        picks = self._picks(model, columns)
        digested: list[str] = []
        buffer = io.BytesIO()
        done = 0
        with Copy(connection.connection.cursor(), writer=FileWriter(buffer)) as copy:
            write_row, sealed = copy.write_row, self._sealed
            for row in rows:
                if picks:
                    digested.append(digest_line(row, picks))
                write_row(sealed(row, secret))
                done += 1
        return Encoded(done, buffer.getvalue(), "".join(digested).encode())

    def write_encoded(self, model: type[models.Model], columns: Sequence[str], parts: Iterable[Encoded]) -> int:
        """COPY the parts that `encode` made, in order."""
        table = model._meta.db_table
        stats = self.stats.setdefault(table, TableStats())
        started = last_said = time.monotonic()
        digest = self._hashes.setdefault(table, hashlib.sha256()) if self._picks(model, columns) else None
        done = 0
        with self._copy(model, columns) as copy:
            for part in parts:
                copy.write(part.data)
                if digest is not None:
                    digest.update(part.digest)
                done += part.rows
                last_said = self._progress(table, stats.rows + done, done, started, last_said)
        self._done(table, stats, done, started)
        return done

    def _sealed(self, row: Sequence[Any], secret: Sequence[int]) -> Sequence[Any]:
        """The row with the Secret values at `secret` encrypted."""
        if not secret:
            return row
        sealed = list(row)
        for i in secret:
            text = sealed[i].text
            sealed[i] = self.sealer.encrypt(text) if text else ""
        return sealed

    @contextmanager
    def _copy(self, model: type[models.Model], columns: Sequence[str]) -> Iterator[Any]:
        quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {connection.ops.quote_name(model._meta.db_table)} ({quoted}) FROM STDIN") as copy,
        ):
            yield copy

    def _picks(self, model: type[models.Model], columns: Sequence[str]) -> list[int]:
        """The positions of the model's key columns among `columns`, when digesting."""
        if not self.digest:
            return []
        return [list(columns).index(c) for c in KEY_COLUMNS.get(model, ()) if c in columns]

    def _done(self, table: str, stats: TableStats, done: int, started: float) -> None:
        seconds = time.monotonic() - started
        stats.rows += done
        stats.seconds += seconds
        if done:
            self.say(f"  {table}: {done:,} rows in {seconds:.1f} s, {done / max(seconds, 1e-9):,.0f} rows/s")

    def _progress(self, table: str, total: int, done: int, started: float, last_said: float) -> float:
        """A progress line at most every 2 seconds; returns when the last one was said."""
        now = time.monotonic()
        if now - last_said < 2.0:
            return last_said
        self.say(f"  {table}: {total:,} rows, {done / (now - started):,.0f} rows/s")
        return now

    def _digested(
        self, model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]
    ) -> Iterable[Sequence[Any]]:
        picks = self._picks(model, columns)
        if not picks:
            yield from rows
            return
        digest = self._hashes.setdefault(model._meta.db_table, hashlib.sha256())
        for row in rows:
            digest.update(digest_line(row, picks).encode())
            yield row

    def _tracked(
        self, table: str, before: int, started: float, rows: Iterable[Sequence[Any]]
    ) -> Iterator[Sequence[Any]]:
        """The rows, with a progress line at most every 2 seconds."""
        last_said = started
        for done, row in enumerate(rows, start=1):
            yield row
            if not done % 10_000:
                last_said = self._progress(table, before + done, done, started, last_said)


# One worker process per core the build may use.
WORKERS = len(os.sched_getaffinity(0))
_JOB: Callable[[int], Any] | None = None


def _worker_started() -> None:
    """A worker makes millions of rows, tuples of strings and numbers that reference counting
    frees: no cycles for the garbage collector to find (none are left after a chunk), while
    its passes over the growing rows and what the fork inherited cost a fifth of a resident
    row. So it is off in the workers, which end with the build."""
    gc.freeze()
    gc.disable()


def _run_job(item: int) -> Any:
    assert _JOB is not None
    return _JOB(item)


def _in_workers(job: Callable[[int], Any], items: Iterable[int]) -> Iterator[Any]:
    """job(item) for each item, in order, in WORKERS forked processes. The job and all it
    reads are inherited by the fork, not pickled: only the items and the results cross.
    The processes send nothing on the database connection they inherit: they only make a
    cursor on it for psycopg to format rows with (Sink.encode)."""
    global _JOB  # noqa: PLW0603
    _JOB = job
    try:
        with multiprocessing.get_context("fork").Pool(WORKERS, initializer=_worker_started) as pool:
            yield from pool.imap(_run_job, items)
    finally:
        _JOB = None


def digest_line(row: Sequence[Any], picks: Sequence[int]) -> str:
    """The line a row adds to its table's digest: the values at `picks`, normalised."""
    return "\x1f".join(_norm(row[i]) for i in picks) + "\x1e"


def _secret_columns(model: type[models.Model], columns: Sequence[str]) -> list[int]:
    """The positions of the columns holding Secret values: encrypted when written."""
    return [i for i, c in enumerate(columns) if isinstance(_field(model, c), EncryptedTextField)]


def _field(model: type[models.Model], column: str) -> Any:
    return next((f for f in model._meta.concrete_fields if f.column == column), None)


def _sqlite(value: Any, sealer: crypto.Sealer) -> Any:
    if isinstance(value, Secret):
        return sealer.encrypt(value.text) if value.text else ""
    if isinstance(value, datetime):
        return moment(value, postgres=False)
    if isinstance(value, date):
        return value.isoformat()
    return value


def json_text(value: Any) -> str:
    """A value for a JSON column, as its text."""
    return json.dumps(value, ensure_ascii=False)


class Ids:
    """The next free id of each table, read once: ids are allocated here so rows can point at
    each other without reading anything back."""

    def __init__(self) -> None:
        self._next: dict[type[models.Model], int] = {}

    def take(self, model: type[models.Model], count: int = 1) -> int:
        if model not in self._next:
            self._next[model] = (model._default_manager.aggregate(m=Max("id"))["m"] or 0) + 1
        first = self._next[model]
        self._next[model] = first + count
        return first
