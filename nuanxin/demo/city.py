"""The city-scale data generator behind `manage.py generate_city`: benchmark data for a district
or a whole city (1 city → districts → streets → communities → grids), deterministic for a seed.

Unlike the demo (builder.py), nothing here goes through the actions: a city of millions of
rows written one action at a time would take days. Rows are streamed straight into the
tables (COPY on PostgreSQL, executemany in big batches on SQLite) with ids allocated here, so
foreign keys are known without reading anything back. What keeps the data valid for the app
is that every row is what the actions would have written: encrypted fields go through the
same field encryption (core.crypto) with their blind indexes, paths and grids follow the
territory rules, roles are the demo's (accounts.roles), numbers follow each register's
format. No audit entry is written per row: bulk data is benchmark data, and the hash chain
stays whole because it is never touched.

Determinism: every stream draws from its own `random.Random` seeded by (seed, stream, chunk),
and every timestamp is derived from the rows' own dates, so the same flags, seed and end day
give the same rows (ciphertexts differ, their plaintexts do not). `Sink.digests` hashes the
key columns of what was written (plaintexts for encrypted values); `database_digest` hashes
the same columns read back from the tables.

Growing a city: when the city of this seed exists, only the cases are topped up to the
number asked for; case k is the same case whatever run writes it.
"""

import gc
import hashlib
import io
import json
import math
import multiprocessing
import os
import random
import time
from bisect import bisect
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from itertools import accumulate, pairwise
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone as django_timezone
from psycopg.copy import Copy, FileWriter

from nuanxin.accounts.models import RoleGrant, User
from nuanxin.accounts.roles import Role
from nuanxin.cases.catalogue import install_catalogue
from nuanxin.cases.models import Case, CaseClass, CaseCounter, CaseEvent
from nuanxin.core import crypto
from nuanxin.core.bulk import without_indexes
from nuanxin.core.fields import EncryptedTextField
from nuanxin.core.validators import id_check_of_sum, id_weighted_sum
from nuanxin.demo.builder import (
    AGE_REFERENCE,
    BRAND_FIRST,
    BRAND_SECOND,
    ENTERPRISE_TRADES,
    FOUNDED,
    GIVEN_FEMALE,
    GIVEN_MALE,
    MOBILE_PREFIXES,
    SURNAME_WEIGHTS,
    SURNAMES,
    TRADES,
)
from nuanxin.demo.cases import CLASS_WEIGHTS, DESCRIPTIONS, RESOLUTIONS
from nuanxin.inspections.actions import frequency_for
from nuanxin.inspections.checklists import install_demo_templates, template_for
from nuanxin.inspections.models import (
    Category as WatchCategory,
)
from nuanxin.inspections.models import (
    Hazard,
    Rectification,
    Severity,
    Tier,
    Visit,
    WatchTarget,
)
from nuanxin.ledgers.models import (
    Dispute,
    DisputeKind,
    DisputeParty,
    DisputeSource,
    MediationSession,
    Mediator,
    Outcome,
    SettledLevel,
)
from nuanxin.people.actions import SURNAME_READINGS, pinyin_keys
from nuanxin.people.models import (
    ID_NUMBER_PURPOSE,
    PHONE_PURPOSE,
    TAG_CATEGORY_PURPOSE,
    Household,
    KeyPersonCategory,
    Resident,
    ResidentTag,
    SpecialGroup,
)
from nuanxin.stations.models import Amenity, Station, StationCheckIn
from nuanxin.territory.models import Area, Place, StaffAssignment
from nuanxin.territory.queries import forget_grid_index
from nuanxin.volunteers.models import Activity, ActivityKind, Participant, ParticipantGroup

Say = Callable[[str], None]

DEFAULTS = {
    "districts": 10,
    "streets": 10,
    "communities": 10,
    "grids": 6,
    "residents": 2_000_000,
    "cases": 5_000_000,
    "targets": 1_000_000,
    "stations": 10_000,
    "seed": 1,
}
DEFAULT_PASSWORD = "nuanxin-bench"
CITY_NAME = "春城市"
# The city's box: about 40 km east-west by 30 km north-south around Kunming.
CITY_BOX = (102.55, 24.85, 102.95, 25.15)
# Beijing time has no daylight saving: a fixed offset is exact and much faster than zoneinfo.
BEIJING = timezone(timedelta(hours=8))
CASE_CHUNK = 50_000
# Loads of at least this many rows on PostgreSQL drop and rebuild the table's indexes (Sink.loading).
BULK_MINIMUM = 50_000
# Rows per executemany on SQLite (each batch in its own transaction, inside the build's).
SQLITE_BATCH = 5_000
# Loads of at least this many rows on PostgreSQL are made in worker processes, one per core
# (Sink.write_chunks): Python per row is what limits them, and the rows of a chunk do not
# depend on which process makes them.
PARALLEL_MINIMUM = 50_000
# The residents are made in this many chunks whatever their number or the number of
# processes, so the rows are the same either way; each chunk has its own range of ID-number
# sequence codes, which keeps the numbers of different chunks apart.
PEOPLE_CHUNKS = 50
# Business places per place target: some shops and firms are not on the watchlist.
PLACES_PER_TARGET = 1.2
RESIDENT_TARGET_SHARE = 0.03
VISIT_CHUNKS = 50  # chunks of watch targets whose visits are made on their own
HISTORY_SHARE = 0.2  # targets with a year of visits (the rest have their last visit only)


def city_code(seed: int) -> str:
    return f"bench{seed}"


@dataclass(frozen=True)
class CityPlan:
    districts: int = DEFAULTS["districts"]
    streets: int = DEFAULTS["streets"]
    communities: int = DEFAULTS["communities"]
    grids: int = DEFAULTS["grids"]
    residents: int = DEFAULTS["residents"]
    cases: int = DEFAULTS["cases"]
    targets: int = DEFAULTS["targets"]
    stations: int = DEFAULTS["stations"]
    seed: int = DEFAULTS["seed"]
    password: str = DEFAULT_PASSWORD
    # The last day of the history (default today): cases and visits run up to it.
    until: date = field(default_factory=django_timezone.localdate)

    def check(self) -> None:
        for name in ("districts", "streets", "communities", "grids"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name} must be at least 1")
        for name in ("residents", "cases", "targets", "stations"):
            if getattr(self, name) < 0:
                raise ValueError(f"--{name} must not be negative")
        if self.until <= FOUNDED + timedelta(days=60):
            raise ValueError("--until must be at least two months after 2023-07-01")

    @property
    def grid_count(self) -> int:
        return self.districts * self.streets * self.communities * self.grids


class CityError(Exception):
    """The database cannot take this city (another territory, or a different plan)."""


# --- writing rows ---------------------------------------------------------------------------


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
        return _moment(value, postgres=connection.vendor == "postgresql")
    if isinstance(value, date):
        return value.isoformat()
    if value is None:
        return "∅"
    return str(value)


def _moment(value: datetime, *, postgres: bool) -> str:
    """A moment as the text its column takes: ISO 8601 in UTC on PostgreSQL, Django's naive
    UTC text on SQLite. Digests normalise moments the same way, so a row may carry a moment
    as this text or as a datetime. As text it is formatted once for all the columns and rows
    that share it, where COPY would format a datetime each time (about 3 µs)."""
    utc = value.astimezone(UTC)
    return utc.isoformat() if postgres else utc.replace(tzinfo=None).isoformat(" ")


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
                    digested.append(_digest_line(row, picks))
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
            digest.update(_digest_line(row, picks).encode())
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


def _digest_line(row: Sequence[Any], picks: Sequence[int]) -> str:
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
        return _moment(value, postgres=False)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _json(value: Any) -> str:
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


def _rng(seed: int, *parts: Any) -> random.Random:
    return random.Random(":".join(str(p) for p in (seed, *parts)))


_MIDNIGHTS: dict[date, datetime] = {}


def _dt(day: date, seconds: int) -> datetime:
    """A moment of a day given in seconds after Beijing midnight, as UTC."""
    midnight = _MIDNIGHTS.get(day)
    if midnight is None:
        midnight = _MIDNIGHTS[day] = datetime(day.year, day.month, day.day, tzinfo=BEIJING).astimezone(UTC)
    return midnight + timedelta(seconds=seconds)


# (day, days it moves in UTC, PostgreSQL?) -> the text before and after a moment's time of day
_MOMENT_PARTS: dict[tuple[date, int, bool], tuple[str, str]] = {}
_BEIJING_SECONDS = 8 * 3600


def _moment_at(day: date, seconds: int, *, postgres: bool) -> str:
    """_moment(_dt(day, seconds), postgres=postgres) without making a datetime: its text
    from the UTC day's, made once (a visit has three such moments, a city millions)."""
    shift, rest = divmod(seconds - _BEIJING_SECONDS, 86400)
    parts = _MOMENT_PARTS.get((day, shift, postgres))
    if parts is None:
        utc_day = (day + timedelta(days=shift)).isoformat()
        parts = _MOMENT_PARTS[day, shift, postgres] = (utc_day + "T", "+00:00") if postgres else (utc_day + " ", "")
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{parts[0]}{hours:02d}:{minutes:02d}:{seconds:02d}{parts[1]}"


# --- names and numbers ----------------------------------------------------------------------

_SURNAME_CUM = list(accumulate(SURNAME_WEIGHTS))
_PINYIN: dict[str, tuple[str, str]] = {}
_NAME_PINYIN: dict[str, tuple[str, str]] = {}


def _person(rng: random.Random, gender: str | None = None, surname: str | None = None) -> tuple[str, str]:
    gender = gender or ("male" if rng.random() < 0.5 else "female")
    if surname is None:
        surname = SURNAMES[bisect(_SURNAME_CUM, rng.random() * _SURNAME_CUM[-1])]
    pool = GIVEN_MALE if gender == "male" else GIVEN_FEMALE
    # int(random() * n) rather than randrange(n): a third of the cost, on millions of names.
    given = pool[int(rng.random() * len(pool))]
    if rng.random() < 0.75:
        given += pool[int(rng.random() * len(pool))]
    return surname + given, gender


def _pinyin_of(text: str) -> tuple[str, str]:
    keys = _PINYIN.get(text)
    if keys is None:
        keys = _PINYIN[text] = pinyin_keys(text)
    return keys


def _pinyin(name: str) -> tuple[str, str]:
    """pinyin_keys(name) composed from the surname's (with its surname reading) and the given
    name's: a few thousand distinct parts instead of a pypinyin call per distinct full name,
    and each full name composed once."""
    keys = _NAME_PINYIN.get(name)
    if keys is None:
        surname, given = _pinyin_of(name[0]), _pinyin_of(name[1:])
        if name[0] in SURNAME_READINGS:
            surname = (SURNAME_READINGS[name[0]], SURNAME_READINGS[name[0]][0])
        keys = _NAME_PINYIN[name] = ((surname[0] + given[0])[:200], (surname[1] + given[1])[:60])
    return keys


# Households of 1 to 5 people: cumulative weights.
HOUSEHOLD_SIZES = (15, 40, 70, 90, 100)


def _between(rng: random.Random, low: int, high: int) -> int:
    """rng.randint(low, high) at a quarter of its cost (millions of ages)."""
    return low + int(rng.random() * (high - low + 1))


def _mobile(rng: random.Random) -> str:
    return MOBILE_PREFIXES[int(rng.random() * len(MOBILE_PREFIXES))] + f"{int(rng.random() * 100_000_000):08d}"


# A birth day's ordinal -> its YYYYMMDD and their part of the check digit's weighted sum.
_BIRTH_DAYS: dict[int, tuple[str, int]] = {}


def _birth_day(ordinal: int) -> tuple[str, int]:
    day = _BIRTH_DAYS.get(ordinal)
    if day is None:
        born = date.fromordinal(ordinal)
        text = f"{born.year:04d}{born.month:02d}{born.day:02d}"
        day = _BIRTH_DAYS[ordinal] = (text, id_weighted_sum(text, 6))
    return day


class IdNumbers:
    """ID numbers for one chunk of residents: region of the district, birth day, a sequence
    code and the check digit. Chunk c draws its sequence codes from its own ten (five per
    gender), so numbers of different chunks never meet; within the chunk they are kept
    unique, moving to the next day when all five of a day are taken. The check digit is
    summed from the parts' sums, each computed once."""

    def __init__(self, chunk: int) -> None:
        base = chunk * 10  # chunk < PEOPLE_CHUNKS: codes up to 499
        # odd codes for men, even for women: (code, its text, its part of the sum)
        self.codes = {
            odd: [(code, f"{code:03d}", id_weighted_sum(f"{code:03d}", 14)) for code in range(base + odd, base + 10, 2)]
            for odd in (0, 1)
        }
        self.regions: dict[int, tuple[str, int]] = {}
        self.seen: set[int] = set()  # region, day and code of the numbers made, as one int

    def make(self, rng: random.Random, district: int, born: int, gender: str) -> str:
        """A number for someone born on the day of ordinal `born` in the district."""
        region = district % 100
        prefix = self.regions.get(region)
        if prefix is None:
            text = f"5301{region:02d}"
            prefix = self.regions[region] = (text, id_weighted_sum(text))
        codes = self.codes[gender == "male"]
        first = int(rng.random() * 5)
        while True:
            day, day_sum = _birth_day(born)
            key = (region * 1_000_000 + born) * 1000
            for k in range(5):
                code, code_text, code_sum = codes[(first + k) % 5]
                if key + code not in self.seen:
                    self.seen.add(key + code)
                    return prefix[0] + day + code_text + id_check_of_sum(prefix[1] + day_sum + code_sum)
            born += 1


# --- the territory ----------------------------------------------------------------------------


@dataclass
class GridInfo:
    id: int
    path: str
    name: str
    box: tuple[float, float, float, float]
    community_id: int
    street_index: int
    district_index: int
    label: str  # "d01-s01-c01-g1": its staff's usernames


def _tiles(box: tuple[float, float, float, float], n: int) -> list[tuple[float, float, float, float]]:
    """n boxes tiling `box` exactly: rows of ceil(sqrt(n)) cells, the last row's cells wider."""
    west, south, east, north = box
    columns = math.ceil(math.sqrt(n))
    rows = math.ceil(n / columns)
    height = (north - south) / rows
    out = []
    for r in range(rows):
        in_row = min(columns, n - r * columns)
        width = (east - west) / in_row
        top = north - r * height
        for c in range(in_row):
            out.append((west + c * width, top - height, west + (c + 1) * width, top))
    return out


def _label(path: str) -> str:
    """ "bench1/D01/S02/C03/G4/" -> "d01-s02-c03-g4": the grid's part of its staff's usernames."""
    return "-".join(path.strip("/").split("/")[1:]).lower()


def _r(value: float) -> float:
    return round(value, 6)


def _boundary(box: tuple[float, float, float, float]) -> str:
    west, south, east, north = (_r(v) for v in box)
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return _json({"type": "Polygon", "coordinates": [ring]})


def _point(rng: random.Random, box: tuple[float, float, float, float]) -> tuple[float, float]:
    west, south, east, north = box
    mx, my = (east - west) * 0.05, (north - south) * 0.05
    return _r(rng.uniform(west + mx, east - mx)), _r(rng.uniform(south + my, north - my))


# Special groups other than the elderly living alone, one for each percent of chance below 3.
OTHER_SPECIAL_GROUPS = (SpecialGroup.DISABLED, SpecialGroup.LOW_INCOME, SpecialGroup.VETERAN)
CN_DIGITS = "〇一二三四五六七八九"


def _cn(n: int) -> str:
    if n <= 10:
        return "零一二三四五六七八九十"[n]
    if n < 20:
        return "十" + CN_DIGITS[n % 10]
    if n < 100:
        return CN_DIGITS[n // 10] + "十" + (CN_DIGITS[n % 10] if n % 10 else "")
    return str(n)


DISTRICT_NAMES = "五华盘龙官渡西山呈贡晋宁东川安宁富民宜良嵩明石林禄劝寻甸"
ROAD_WORDS = "新华人民建设解放和平友谊胜利光明青年团结文化春城金碧滇池北京环城东风南屏拓东"


class Generator:
    def __init__(self, plan: CityPlan, sink: Sink, say: Say) -> None:
        self.plan = plan
        self.sink = sink
        self.say = say
        self.ids = Ids()
        self.seed = plan.seed
        self.start = FOUNDED
        self.until = plan.until
        self.span = (self.until - self.start).days
        self.grids: list[GridInfo] = []
        self.counts: dict[str, int] = {}

    # territory

    def territory(self) -> None:
        p = self.plan
        rng = _rng(self.seed, "territory")
        total = 1 + p.districts * (1 + p.streets * (1 + p.communities * (1 + p.grids)))
        next_id = self.ids.take(Area, total)
        at = _dt(self.start, 9 * 3600)
        rows: list[tuple[Any, ...]] = []

        def add(level: str, code: str, name: str, parent: tuple[int, str] | None, box: Any) -> tuple[int, str]:
            nonlocal next_id
            area_id, next_id = next_id, next_id + 1
            path = f"{parent[1] if parent else ''}{code}/"
            west, south, east, north = box
            rows.append(
                (
                    area_id,
                    level,
                    code,
                    name,
                    parent[0] if parent else None,
                    path,
                    _boundary(box),
                    _r((west + east) / 2),
                    _r((south + north) / 2),
                    at,
                )
            )
            return area_id, path

        city = add("city", city_code(self.seed), CITY_NAME, None, CITY_BOX)
        for d, dbox in enumerate(_tiles(CITY_BOX, p.districts), start=1):
            dname = (DISTRICT_NAMES[(d - 1) * 2 : d * 2] if d <= len(DISTRICT_NAMES) // 2 else f"第{_cn(d)}") + "区"
            district = add("district", f"D{d:02d}", dname, city, dbox)
            for s, sbox in enumerate(_tiles(dbox, p.streets), start=1):
                word = ROAD_WORDS[rng.randrange(len(ROAD_WORDS) // 2) * 2 :][:2]
                street = add("street", f"S{s:02d}", f"{dname[:-1]}{word}街道{_cn(s)}", district, sbox)
                for c, cbox in enumerate(_tiles(sbox, p.communities), start=1):
                    cword = ROAD_WORDS[rng.randrange(len(ROAD_WORDS) // 2) * 2 :][:2]
                    community = add("community", f"C{c:02d}", f"{cword}社区{_cn(c)}", street, cbox)
                    for g, gbox in enumerate(_tiles(cbox, p.grids), start=1):
                        gid, gpath = add("grid", f"G{g}", f"第{_cn(g)}网格", community, gbox)
                        # Rounded as stored: a later run reading the grids back sees the same boxes.
                        rounded = (_r(gbox[0]), _r(gbox[1]), _r(gbox[2]), _r(gbox[3]))
                        label = _label(gpath)
                        self.grids.append(GridInfo(gid, gpath, f"第{_cn(g)}网格", rounded, community[0], s, d, label))
        self.city_id = city[0]
        columns = (
            "id",
            "level",
            "code",
            "name",
            "parent_id",
            "path",
            "boundary",
            "center_lng",
            "center_lat",
            "updated_at",
        )
        self.counts["areas"] = self.sink.write(Area, columns, rows)
        self.areas = rows

    # accounts

    def accounts(self) -> None:
        """Per grid a grid worker, per community a community admin, per street a street admin,
        per district a district admin, one city admin (a system admin: no role is held on a
        city), and per street a few riders and residents who report from the phone."""
        p = self.plan
        rng = _rng(self.seed, "accounts")
        password = make_password(p.password)  # hashed once: argon2 per user would take hours
        users: list[tuple[Any, ...]] = []
        grants: list[tuple[Any, ...]] = []
        assignments: list[tuple[Any, ...]] = []
        joined = _dt(self.start, 9 * 3600)
        user_total = 1 + p.districts * (1 + p.streets * (1 + 8 + p.communities * (1 + p.grids)))
        next_user = self.ids.take(User, user_total)
        next_grant = self.ids.take(RoleGrant, user_total)
        self.worker_of: dict[int, int] = {}
        self.reporters_of: dict[tuple[int, int], list[int]] = {}
        self.riders: list[int] = []
        self.admin_of_community: dict[int, int] = {}

        def user(username: str, role: str, area_id: int | None, superuser: bool = False) -> int:
            nonlocal next_user, next_grant
            uid, next_user = next_user, next_user + 1
            name = _person(rng)[0]
            users.append((uid, password, None, superuser, username, "", "", "", superuser, True, joined, name))
            grants.append((next_grant, uid, role, area_id, None, joined))
            next_grant += 1
            return uid

        user("city-admin", Role.SYSTEM_ADMIN, None, superuser=True)
        areas = {row[5]: row[0] for row in self.areas}
        city_path = f"{city_code(self.seed)}/"
        for d in range(1, p.districts + 1):
            dpath = f"{city_path}D{d:02d}/"
            user(f"district-d{d:02d}", Role.DISTRICT_ADMIN, areas[dpath])
            for s in range(1, p.streets + 1):
                spath = f"{dpath}S{s:02d}/"
                user(f"street-d{d:02d}-s{s:02d}", Role.STREET_ADMIN, areas[spath])
                reporters = []
                for k in range(1, 6):
                    reporters.append(user(f"rider-d{d:02d}-s{s:02d}-{k}", Role.MOBILE_REPORTER, areas[spath]))
                self.riders.extend(reporters)
                for k in range(1, 4):
                    reporters.append(user(f"resident-d{d:02d}-s{s:02d}-{k}", Role.RESIDENT, areas[spath]))
                self.reporters_of[(d, s)] = reporters
                for c in range(1, p.communities + 1):
                    cpath = f"{spath}C{c:02d}/"
                    self.admin_of_community[areas[cpath]] = user(
                        f"community-d{d:02d}-s{s:02d}-c{c:02d}", Role.COMMUNITY_ADMIN, areas[cpath]
                    )
        for grid in self.grids:
            worker = user(f"grid-{grid.label}", Role.GRID_WORKER, grid.id)
            self.worker_of[grid.id] = worker
            assignments.append((grid.id, worker, StaffAssignment.Duty.GRID_WORKER, self.start, None, ""))
        first_assignment = self.ids.take(StaffAssignment, len(assignments))
        columns = (
            "id",
            "password",
            "last_login",
            "is_superuser",
            "username",
            "first_name",
            "last_name",
            "email",
            "is_staff",
            "is_active",
            "date_joined",
            "display_name",
        )
        self.counts["users"] = self.sink.write(User, columns, users)
        self.sink.write(RoleGrant, ("id", "user_id", "role", "area_id", "unit_id", "created_at"), grants)
        self.sink.write(
            StaffAssignment,
            ("id", "grid_id", "person_id", "duty", "starts_on", "ends_on", "note"),
            [(first_assignment + i, *row) for i, row in enumerate(assignments)],
        )

    # places

    def places(self) -> None:
        """Per grid: one or more compounds with their buildings (homes), then the business
        places (merchants and enterprises) that the watch targets are drawn from."""
        p = self.plan
        rng = _rng(self.seed, "places")
        grid_count = len(self.grids)
        residents_per_grid = p.residents / grid_count
        # About 2.7 people a household and 36 households a building.
        buildings_per_grid = max(1, math.ceil(residents_per_grid / 2.7 / 36))
        self.buildings_of: dict[int, list[int]] = {}
        self.place_targets = round(p.targets * (1 - RESIDENT_TARGET_SHARE))
        self.business_count = math.ceil(self.place_targets * PLACES_PER_TARGET) + grid_count
        at = _moment(_dt(self.start, 10 * 3600), postgres=self.sink.postgres)
        homes = grid_count * (math.ceil(buildings_per_grid / 8) + buildings_per_grid)
        next_id = self.ids.take(Place, homes + self.business_count)
        self.place_xy: dict[int, tuple[float, float]] = {}

        def home_rows() -> Iterator[tuple[Any, ...]]:
            nonlocal next_id
            for grid in self.grids:
                word = ROAD_WORDS[rng.randrange(len(ROAD_WORDS) // 2) * 2 :][:2]
                compounds = math.ceil(buildings_per_grid / 8)
                self.buildings_of[grid.id] = []
                left = buildings_per_grid
                for k in range(compounds):
                    cid, next_id = next_id, next_id + 1
                    lng, lat = _point(rng, grid.box)
                    cname = f"{word}{'苑园居'[k % 3]}{_cn(k + 1) if k else ''}"
                    attributes = _json({"built_year": rng.randint(1995, 2020)})
                    address = f"{word}路{rng.randint(1, 400)}号"
                    yield (cid, "compound", cname, address, lng, lat, grid.id, None, attributes, at, at)
                    for b in range(min(8, left)):
                        bid, next_id = next_id, next_id + 1
                        self.buildings_of[grid.id].append(bid)
                        blng, blat = _point(rng, grid.box)
                        self.place_xy[bid] = (blng, blat)
                        attributes = _json({"floors": rng.choice((6, 7, 11, 18, 24)), "units": rng.randint(1, 4)})
                        yield (
                            bid,
                            "building",
                            f"{cname}{b + 1}栋",
                            address,
                            blng,
                            blat,
                            grid.id,
                            cid,
                            attributes,
                            at,
                            at,
                        )
                    left -= min(8, left)

        # Business place j is in grid j mod G: where a target or case needs a place of a grid,
        # the ids are computed, not looked up.
        self.business_first = next_id + homes
        trades = list(TRADES.items())
        trade_cum = list(accumulate(weight for _name, (_endings, weight) in trades))

        def business_rows() -> Iterator[tuple[Any, ...]]:
            for j in range(self.business_count):
                grid = self.grids[j % grid_count]
                lng, lat = _point(rng, grid.box)
                brand = BRAND_FIRST[rng.randrange(len(BRAND_FIRST))] + BRAND_SECOND[rng.randrange(len(BRAND_SECOND))]
                if rng.random() < 0.8:
                    category, (endings, _w) = trades[bisect(trade_cum, rng.random() * trade_cum[-1])]
                    kind, name = "merchant", brand + endings[rng.randrange(len(endings))]
                else:
                    category = ENTERPRISE_TRADES[rng.randrange(len(ENTERPRISE_TRADES))]
                    kind, name = "enterprise", f"昆明{brand}{category}有限公司"
                attributes = _json({"category": category, "contact": _mobile(rng)})
                address = f"{grid.name}{rng.randint(1, 500)}号"
                yield (self.business_first + j, kind, name, address, lng, lat, grid.id, None, attributes, at, at)

        with self.sink.loading([Place], homes + self.business_count):
            self.sink.write(Place, PLACE_COLUMNS, home_rows())
            self.sink.write(Place, PLACE_COLUMNS, business_rows())
        self.counts["places"] = homes + self.business_count

    def business_of_grid(self, grid_index: int, k: int) -> int | None:
        """The id of the k-th business place of a grid (None when the grid has fewer)."""
        j = grid_index + k * len(self.grids)
        return self.business_first + j if j < self.business_count else None

    # people

    def people(self) -> None:
        """Households in the buildings and their residents, some tagged as a special group
        or a key person. Made in PEOPLE_CHUNKS chunks of residents, each on its own, so that
        worker processes can make them (Sink.write_chunks)."""
        p = self.plan
        grid_count = len(self.grids)
        # A household's id, room and grid follow from its first resident's number r: ids
        # are taken for as many households as residents, a tag's id is its resident's.
        household_first = self.ids.take(Household, p.residents)
        resident_first = self.ids.take(Resident, p.residents)
        tag_first = self.ids.take(ResidentTag, p.residents)
        at = _moment(_dt(self.start, 11 * 3600), postgres=self.sink.postgres)
        index = self.sink.sealer.blind_index
        reference = AGE_REFERENCE.toordinal()  # birth days are handled as ordinals

        def chunk(c: int) -> tuple[tuple[list[tuple[Any, ...]], ...], list[tuple[int, int, str]]]:
            """Residents [r0, r1) and their households and tags, and the tagged residents
            (resident id, grid index, tag kind) for the watchlist."""
            rng = _rng(self.seed, "people", c)
            r, r1 = p.residents * c // PEOPLE_CHUNKS, p.residents * (c + 1) // PEOPLE_CHUNKS
            residents: list[tuple[Any, ...]] = []
            households: list[tuple[Any, ...]] = []
            tags: list[tuple[Any, ...]] = []
            tagged: list[tuple[int, int, str]] = []
            numbers = IdNumbers(c)
            while r < r1:
                gi = r % grid_count
                grid = self.grids[gi]
                buildings = self.buildings_of[grid.id]
                k = r // grid_count
                building = buildings[k % len(buildings)]
                slot = k // len(buildings)
                household_id = household_first + r
                number = f"{slot // 24 + 1}-{(slot % 24) // 2 + 1}{slot % 2 + 1:02d}"
                households.append((household_id, number, building, grid.id, at, at))
                random_ = rng.random
                size = min(r1 - r, bisect(HOUSEHOLD_SIZES, random_() * HOUSEHOLD_SIZES[-1]) + 1)
                head_name, head_gender = _person(rng)
                low, high = (22, 90) if size == 1 else (25, 85) if size == 2 else (30, 58)
                head_age = _between(rng, low, high)
                members = [(head_name, head_gender, head_age)]
                family = head_name[0]
                for m in range(1, size):
                    if m == 1:
                        gender = "female" if head_gender == "male" else "male"
                        members.append((*_person(rng, gender), max(20, head_age + _between(rng, -4, 4))))
                    elif m < 4:
                        name, gender = _person(rng, surname=family)
                        members.append((name, gender, _between(rng, max(0, head_age - 36), max(0, head_age - 22))))
                    else:
                        name, gender = _person(rng, surname=family)
                        members.append((name, gender, min(95, head_age + _between(rng, 25, 32))))
                for name, gender, age in members:
                    rid = resident_first + r
                    born = reference - age * 365 - int(random_() * 365)
                    id_number = numbers.make(rng, grid.district_index, born, gender)
                    phone = _mobile(rng) if age >= 14 else ""
                    pinyin, initials = _pinyin(name)
                    residents.append(
                        (
                            rid,
                            name,
                            pinyin,
                            initials,
                            gender,
                            int(id_number[6:10]),  # the year of birth it gives
                            Secret(id_number),
                            index(id_number, purpose=ID_NUMBER_PURPOSE),
                            Secret(phone),
                            index(phone, purpose=PHONE_PURPOSE) if phone else "",
                            household_id,
                            building,
                            grid.id,
                            None,
                            at,
                            at,
                        )
                    )
                    chance = random_()
                    kind: str | None = None
                    category: str | None = None
                    if age >= 70 and size == 1 and chance < 0.8:
                        kind, category = "special_group", SpecialGroup.ELDERLY_ALONE
                    elif chance < 0.03:
                        kind, category = "special_group", OTHER_SPECIAL_GROUPS[int(chance * 100)]
                    elif 20 <= age <= 60 and chance < 0.035:
                        kind, category = "key_person", KeyPersonCategory.values[rng.randrange(4)]
                    if kind and category:
                        tags.append(
                            (
                                tag_first + r,
                                rid,
                                kind,
                                Secret(str(category)),
                                index(str(category), purpose=TAG_CATEGORY_PURPOSE),
                                Secret(""),
                                at,
                            )
                        )
                        tagged.append((rid, gi, kind))
                    r += 1
            return (residents, households, tags), tagged

        tables = (
            (Resident, RESIDENT_COLUMNS),
            (Household, ("id", "number", "place_id", "grid_id", "created_at", "updated_at")),
            (ResidentTag, ("id", "resident_id", "kind", "category", "category_index", "note", "created_at")),
        )
        with self.sink.loading([Resident, Household], p.residents):
            counts, tagged = self.sink.write_chunks(tables, chunk, PEOPLE_CHUNKS, expected=p.residents)
        self.counts["residents"], self.counts["households"], self.counts["resident tags"] = counts
        self.tagged = [t for part in tagged for t in part]

    # stations

    def stations(self) -> None:
        p = self.plan
        if not p.stations:
            return
        rng = _rng(self.seed, "stations")
        place_first = self.ids.take(Place, p.stations)
        station_first = self.ids.take(Station, p.stations)
        at = _dt(self.start, 12 * 3600)
        hours = (("00:00-24:00", [["00:00", "24:00"]]), ("08:00-22:00", [["08:00", "22:00"]]))
        places, stations = [], []
        for k in range(p.stations):
            grid = self.grids[k % len(self.grids)]
            lng, lat = _point(rng, grid.box)
            name = f"温新驿站·{grid.name}{k // len(self.grids) + 1}号"
            places.append((place_first + k, "station", name, f"{grid.name}驿站", lng, lat, grid.id, None, "{}", at, at))
            text, parsed = hours[rng.random() < 0.7]
            amenities = rng.sample(Amenity.values, rng.randint(3, 6))
            stations.append(
                (
                    station_first + k,
                    place_first + k,
                    f"s{self.seed}-{k + 1:05d}",
                    None,
                    text,
                    _json(parsed),
                    _json(amenities),
                    rng.randint(4, 20),
                    _person(rng)[0],
                    _mobile(rng),
                    "open",
                    "",
                    at,
                )
            )
        self.sink.write(Place, PLACE_COLUMNS, places)
        columns = (
            "id",
            "place_id",
            "code",
            "host_id",
            "opening_hours_text",
            "opening_hours",
            "amenities",
            "capacity",
            "contact_name",
            "contact_phone",
            "status",
            "note",
            "updated_at",
        )
        self.counts["stations"] = self.sink.write(Station, columns, stations)
        # About 20 check-ins a station over the last year, by the riders of its street.
        checkins = p.stations * 20
        first = self.ids.take(StationCheckIn, checkins)
        riders = self.riders

        def checkin_rows() -> Iterator[tuple[Any, ...]]:
            for k in range(checkins):
                day = self.until - timedelta(days=rng.randrange(365))
                yield (
                    first + k,
                    station_first + k % p.stations,
                    riders[rng.randrange(len(riders))],
                    _dt(day, rng.randrange(7 * 3600, 23 * 3600)),
                )

        with self.sink.loading([StationCheckIn], checkins):
            self.counts["station check-ins"] = self.sink.write(
                StationCheckIn, ("id", "station_id", "user_id", "at"), checkin_rows()
            )

    # the watchlist and its visits

    def watchlist(self) -> None:
        p = self.plan
        if not p.targets:
            return
        rng = _rng(self.seed, "watchlist")
        versions = {}
        templates = {}
        for category in WatchCategory.values:
            template = template_for(category)
            version = template.current_version() if template else None
            if version is not None:
                versions[category] = (version.pk, version.items)
                templates[category] = template.code if template else ""
        place_categories = [
            (WatchCategory.CATERING, 40),
            (WatchCategory.EBIKE_CHARGING, 15),
            (WatchCategory.CROWDED_VENUE, 12),
            (WatchCategory.SMALL_HOTEL, 8),
            (WatchCategory.HAZARDOUS_GOODS, 8),
            (WatchCategory.OTHER_ENTERPRISE, 12),
            (WatchCategory.CONSTRUCTION_SITE, 5),
        ]
        category_cum = list(accumulate(w for _c, w in place_categories))
        resident_targets = min(p.targets - self.place_targets, len(self.tagged))
        place_targets = min(self.place_targets, self.business_count)
        total = place_targets + resident_targets
        target_first = self.ids.take(WatchTarget, total)
        targets: list[tuple[Any, ...]] = []
        for j in range(place_targets):
            grid = self.grids[j % len(self.grids)]
            category = place_categories[bisect(category_cum, rng.random() * category_cum[-1])][0]
            targets.append((target_first + j, category, self.business_first + j, None, grid))
        # The resident targets: spread over the tagged residents.
        step = len(self.tagged) / resident_targets if resident_targets else 1
        for k in range(resident_targets):
            rid, gi, kind = self.tagged[int(k * step)]
            targets.append((target_first + place_targets + k, kind, None, rid, self.grids[gi]))
        tiers = (Tier.HIGH, Tier.MEDIUM, Tier.LOW)
        tier_cum = (15, 65, 100)
        rows = []
        plans = []
        last_start = self.until - timedelta(days=120)
        for tid, category, place_id, resident_id, grid in targets:
            tier = tiers[bisect(tier_cum, rng.random() * 100)]
            frequency = frequency_for(category, tier)
            started = self.start + timedelta(days=rng.randrange(max(1, (last_start - self.start).days)))
            worker = self.worker_of[grid.id]
            rows.append(
                (
                    tid,
                    category,
                    place_id,
                    resident_id,
                    tier,
                    frequency,
                    0,
                    grid.id,
                    worker,
                    "",
                    started,
                    None,
                    _dt(started, 9 * 3600),
                    _dt(started, 9 * 3600),
                )
            )
            plans.append((tid, category, place_id, grid, worker, frequency, started))
        columns = (
            "id",
            "category",
            "place_id",
            "resident_id",
            "tier",
            "frequency",
            "clean_streak",
            "grid_id",
            "worker_id",
            "note",
            "started_on",
            "ended_on",
            "created_at",
            "updated_at",
        )
        with self.sink.loading([WatchTarget], len(rows)):
            self.counts["watch targets"] = self.sink.write(WatchTarget, columns, rows)
        del rows
        self.visits(plans, versions)

    def visits(self, plans: list[tuple[Any, ...]], versions: dict[str, tuple[int, list[dict[str, Any]]]]) -> None:
        """Each target's last visit, a year of visits for a share of them, and for visits that
        found a hazard a rectification order (fixed by a re-check, or still open).

        How many visits each target has is drawn here first, so that the routine visits can
        be made in VISIT_CHUNKS chunks of targets, each knowing its first visit id (in worker
        processes when there are enough: Sink.write_chunks). The chunks hand back the hazards
        their visits found; the orders and their re-checks (a visit in twenty finds one) are
        made from those here, in chunk order, numbered as the app numbers them."""
        rng = _rng(self.seed, "visits")
        random_ = rng.random
        interval = {"weekly": 7, "monthly": 30, "quarterly": 91}
        year_ago = self.until - timedelta(days=365)
        # Each target's last due day and how many due days, one interval apart, come before it.
        schedule: list[tuple[date, int]] = []
        for _tid, _category, _place_id, _grid, _worker, frequency, started in plans:
            step = interval[frequency]
            last = max(started, self.until - timedelta(days=1 + int(random_() * step)))
            earlier = max(0, (last - max(year_ago, started)).days // step) if random_() < HISTORY_SHARE else 0
            schedule.append((last, earlier))
        bounds = [len(plans) * c // VISIT_CHUNKS for c in range(VISIT_CHUNKS + 1)]
        routine = sum(earlier + 1 for _last, earlier in schedule)
        visit_first = self.ids.take(Visit, routine)
        # The first visit id of each chunk: after the visits of the chunks before it.
        chunk_first = list(
            accumulate((sum(e + 1 for _l, e in schedule[a:b]) for a, b in pairwise(bounds)), initial=visit_first)
        )

        def answers(items: list[dict[str, Any]], hazard_item: dict[str, Any] | None) -> dict[str, Any]:
            out: dict[str, Any] = {}
            for item in items:
                kind, rule = item["kind"], item.get("hazard")
                if kind == "yes_no":
                    value: Any = not rule["when"][0] if rule else True
                    if item is hazard_item:
                        value = rule["when"][0] if rule else value
                elif kind == "number":
                    value = 0 if item is hazard_item else 3
                elif kind == "choice":
                    keys = [c["key"] for c in item["choices"]]
                    bad = rule["when"] if rule else []
                    value = bad[0] if item is hazard_item else next(k for k in keys if k not in bad)
                else:
                    continue
                out[item["code"]] = value
            return out

        # A visit without a hazard answers every item the same way: made once per category.
        clean = {category: _json(answers(items, None)) for category, (_v, items) in versions.items()}
        hazardous_items = {c: [i for i in items if i.get("hazard")] for c, (_v, items) in versions.items()}
        postgres = self.sink.postgres

        def chunk(c: int) -> tuple[tuple[list[tuple[Any, ...]]], list[tuple[Any, ...]]]:
            """The routine visits of targets [bounds[c], bounds[c + 1]), and the hazards they
            found: (visit id, target's index, day, check-in moment, item's index, lng, lat,
            and two draws for the order: fixed or not, and when)."""
            rng = _rng(self.seed, "visits", c)
            random_ = rng.random
            # (due day, interval) -> the day as its column's text, and when such a visit was planned
            due_texts: dict[tuple[date, int], tuple[str, str]] = {}
            rows: list[tuple[Any, ...]] = []
            found: list[tuple[Any, ...]] = []
            vid = chunk_first[c]
            for i in range(bounds[c], bounds[c + 1]):
                tid, category, place_id, grid, worker, frequency, _started = plans[i]
                last, earlier = schedule[i]
                version_id = versions[category][0] if category in versions else None
                hazardous = hazardous_items.get(category, [])
                clean_answers = clean.get(category, "{}")
                step = interval[frequency]
                home = self.place_xy.get(place_id) if place_id else None
                lng, lat = home or _point(rng, grid.box)
                for k in range(earlier, -1, -1):
                    day = last - timedelta(days=k * step)
                    texts = due_texts.get((day, step))
                    if texts is None:
                        planned_on = day - timedelta(days=step)
                        texts = due_texts[day, step] = (
                            day.isoformat(),
                            _moment_at(planned_on, 8 * 3600, postgres=postgres),
                        )
                    due, planned = texts
                    visit = (vid, "routine", tid, category, place_id, None, None, grid.id, worker, due, version_id)
                    vid += 1
                    if random_() < 0.04:
                        rows.append((*visit, "missed", None, None, None, None, "{}", "", None, planned))
                        continue
                    done = _moment_at(day, 9 * 3600 + int(random_() * 9 * 3600), postgres=postgres)
                    hazard = int(random_() * len(hazardous)) if hazardous and random_() < 0.05 else None
                    answered = clean_answers
                    if hazard is not None:
                        answered = _json(answers(versions[category][1], hazardous[hazard]))
                        found.append((visit[0], i, day, done, hazard, lng, lat, random_(), random_()))
                    distance = 3 + int(random_() * 38)
                    lng_in, lat_in = _r(lng + (random_() - 0.5) * 4e-4), _r(lat + (random_() - 0.5) * 4e-4)
                    rows.append((*visit, "done", done, lng_in, lat_in, distance, answered, "", done, planned))
            return (rows,), found

        columns = (
            "id",
            "kind",
            "target_id",
            "category",
            "place_id",
            "activity_id",
            "recheck_of_id",
            "grid_id",
            "worker_id",
            "due_on",
            "version_id",
            "state",
            "checked_in_at",
            "checked_in_lng",
            "checked_in_lat",
            "checked_in_distance",
            "answers",
            "note",
            "done_at",
            "created_at",
        )
        rect_columns = (
            "id",
            "number",
            "visit_id",
            "target_id",
            "place_id",
            "category",
            "grid_id",
            "responsible_party",
            "severity",
            "issued_on",
            "deadline",
            "state",
            "closed_at",
            "case_id",
            "created_at",
        )
        # Re-checks point at their orders: both are in before the foreign keys are checked.
        with self.sink.loading([Visit, Rectification], routine):
            (made,), found = self.sink.write_chunks(((Visit, columns),), chunk, VISIT_CHUNKS, expected=routine)
            rechecks: list[tuple[Any, ...]] = []
            rectifications: list[tuple[Any, ...]] = []
            hazards: list[tuple[Any, ...]] = []
            recheck_first = self.ids.take(Visit, 0)
            rect_first = self.ids.take(Rectification, 0)
            hazard_first = self.ids.take(Hazard, 0)
            per_year: dict[int, int] = {}
            for vid, i, day, done, h, lng, lat, fix_draw, close_draw in (f for part in found for f in part):
                tid, category, place_id, grid, worker, _frequency, _started = plans[i]
                version_id = versions[category][0]
                hazard = hazardous_items[category][h]
                severity = hazard["hazard"]["severity"]
                deadline = day + timedelta(days=3 if severity == Severity.MAJOR else 7)
                rect_id = rect_first + len(rectifications)
                seq = per_year[day.year] = per_year.get(day.year, 0) + 1
                fixed = deadline < self.until - timedelta(days=3) and fix_draw < 0.9
                closed_at = None
                if fixed:
                    # The re-check that closes the order.
                    recheck_day = min(deadline, self.until)
                    closed_at = _moment_at(recheck_day, 9 * 3600 + int(close_draw * 9 * 3600), postgres=postgres)
                    rechecks.append(
                        (
                            recheck_first + len(rechecks),
                            "recheck",
                            tid,
                            category,
                            place_id,
                            None,
                            rect_id,
                            grid.id,
                            worker,
                            recheck_day,
                            version_id,
                            "done",
                            closed_at,
                            lng,
                            lat,
                            3 + int(random_() * 38),
                            clean[category],
                            "",
                            closed_at,
                            done,
                        )
                    )
                rectifications.append(
                    (
                        rect_id,
                        f"ZG{day.year}{seq:05d}",
                        vid,
                        tid,
                        place_id,
                        category,
                        grid.id,
                        "负责人",
                        severity,
                        day,
                        deadline,
                        "fixed" if fixed else "open",
                        closed_at,
                        None,
                        done,
                    )
                )
                hazards.append(
                    (
                        hazard_first + len(hazards),
                        rect_id,
                        hazard["code"],
                        hazard["label"][:200],
                        _json(answers([hazard], hazard)[hazard["code"]]),
                        severity,
                        fixed,
                    )
                )
            self.counts["visits"] = made + self.sink.write(Visit, columns, rechecks)
            self.ids.take(Visit, len(rechecks))
            self.counts["rectifications"] = self.sink.write(Rectification, rect_columns, rectifications)
            self.ids.take(Rectification, len(rectifications))
            self.sink.write(Hazard, ("id", "rectification_id", "item", "label", "answer", "severity", "fixed"), hazards)
            self.ids.take(Hazard, len(hazards))
            self.counts["hazards"] = len(hazards)

    # disputes

    def disputes(self) -> None:
        """About one dispute a year for every 200 residents, mostly settled in the grid."""
        p = self.plan
        count = p.residents // 100
        if not count:
            return
        rng = _rng(self.seed, "disputes")
        first = self.ids.take(Dispute, count)
        party_first = self.ids.take(DisputeParty, count * 2)
        mediator_first = self.ids.take(Mediator, count)
        session_first = self.ids.take(MediationSession, count * 2)
        kinds = DisputeKind.values
        per_year: dict[int, int] = {}
        disputes: list[tuple[Any, ...]] = []
        parties: list[tuple[Any, ...]] = []
        mediators: list[tuple[Any, ...]] = []
        sessions: list[tuple[Any, ...]] = []
        for k in range(count):
            gi = rng.randrange(len(self.grids))
            grid = self.grids[gi]
            worker = self.worker_of[grid.id]
            received = self.start + timedelta(days=int(self.span * rng.random() ** 0.8))
            seq = per_year[received.year] = per_year.get(received.year, 0) + 1
            age = (self.until - received).days
            closed = age > 30 or (age > 3 and rng.random() < 0.6)
            outcome = level = ""
            closed_on = None
            if closed:
                chance = rng.random()
                outcome = Outcome.AGREEMENT if chance < 0.85 else Outcome.REFERRED if chance < 0.95 else Outcome.FAILED
                level = (
                    (
                        SettledLevel.GRID
                        if rng.random() < 0.7
                        else SettledLevel.COMMUNITY
                        if rng.random() < 0.8
                        else SettledLevel.STREET
                    )
                    if outcome == Outcome.AGREEMENT
                    else ""
                )
                closed_on = min(self.until, received + timedelta(days=rng.randint(1, 25)))
            kind = kinds[rng.randrange(len(kinds))]
            at = _dt(received, 10 * 3600)
            disputes.append(
                (
                    first + k,
                    f"JF{received.year}{seq:05d}",
                    kind,
                    "双方就相关问题发生争执，申请调解",
                    rng.choice(DisputeSource.values),
                    None,
                    None,
                    grid.id,
                    received,
                    "closed" if closed else "open",
                    outcome,
                    level,
                    closed_on,
                    "",
                    "",
                    worker,
                    at,
                    at,
                )
            )
            for n in range(2):
                name, _g = _person(rng)
                parties.append((party_first + 2 * k + n, first + k, "person", name, Secret(_mobile(rng)), None, None))
            mediators.append((mediator_first + k, first + k, worker, "网格员", "staff"))
            for n in range(1 + (closed and rng.random() < 0.5)):
                sessions.append(
                    (
                        session_first + len(sessions),
                        first + k,
                        min(self.until, received + timedelta(days=n + 1)),
                        "社区调解室",
                        "双方陈述，调解员释法说理",
                        worker,
                        at,
                    )
                )
        columns = (
            "id",
            "number",
            "kind",
            "summary",
            "source",
            "case_id",
            "visit_id",
            "grid_id",
            "received_on",
            "state",
            "outcome",
            "settled_level",
            "closed_on",
            "agreement_name",
            "agreement_content_type",
            "recorded_by_id",
            "created_at",
            "updated_at",
        )
        self.counts["disputes"] = self.sink.write(Dispute, columns, disputes)
        self.sink.write(DisputeParty, ("id", "dispute_id", "kind", "name", "phone", "resident_id", "place_id"), parties)
        self.sink.write(Mediator, ("id", "dispute_id", "user_id", "name", "group"), mediators)
        self.sink.write(
            MediationSession,
            ("id", "dispute_id", "held_on", "location", "summary", "recorded_by_id", "created_at"),
            sessions,
        )

    # activities

    def activities(self) -> None:
        """About one activity a month in every community (fire-safety sweeps and clean-ups
        first), each with some ten participants by group; riders take part in a share."""
        rng = _rng(self.seed, "activities")
        communities = [row for row in self.areas if row[1] == "community"]
        months = max(1, self.span // 30)
        count = len(communities) * months
        first = self.ids.take(Activity, count)
        kinds = [
            (ActivityKind.FIRE_CHECK, 30),
            (ActivityKind.CLEANUP, 30),
            (ActivityKind.FOOD_SAFETY_CHECK, 8),
            (ActivityKind.ANTI_FRAUD, 7),
            (ActivityKind.ELDERLY_VISIT, 10),
            (ActivityKind.FESTIVAL, 5),
            (ActivityKind.HEALTH_CLINIC, 5),
            (ActivityKind.OTHER, 5),
        ]
        kind_cum = list(accumulate(w for _k, w in kinds))
        titles = {ActivityKind.FIRE_CHECK: "消防安全大排查", ActivityKind.CLEANUP: "环境卫生大扫除"}
        groups = [
            (ParticipantGroup.STAFF, 25),
            (ParticipantGroup.VOLUNTEER, 25),
            (ParticipantGroup.RESIDENT, 20),
            (ParticipantGroup.RIDER, 10),
            (ParticipantGroup.COURIER, 5),
            (ParticipantGroup.DRIVER, 3),
            (ParticipantGroup.MERCHANT, 5),
            (ParticipantGroup.PARTY_MEMBER, 7),
        ]
        group_cum = list(accumulate(w for _g, w in groups))
        per_year: dict[int, int] = {}
        activities: list[tuple[Any, ...]] = []
        participants: list[tuple[Any, ...]] = []
        participant_first = self.ids.take(Participant, 0)
        for n in range(count):
            community = communities[n % len(communities)]
            day = self.start + timedelta(days=rng.randrange(self.span))
            kind = kinds[bisect(kind_cum, rng.random() * kind_cum[-1])][0]
            seq = per_year[day.year] = per_year.get(day.year, 0) + 1
            at = _dt(day, 8 * 3600)
            organiser = self.admin_of_community[community[0]]
            activities.append(
                (
                    first + n,
                    f"HD{day.year}{seq:05d}",
                    kind,
                    f"{community[3]}{titles.get(kind, ActivityKind(kind).label)}",
                    community[0],
                    day,
                    day,
                    community[3],
                    "community",
                    None,
                    organiser,
                    "",
                    None,
                    None,
                    False,
                    False,
                    "",
                    None,
                    None,
                    "[]",
                    "{}",
                    "",
                    at,
                    at,
                )
            )
            used_riders: set[int] = set()
            for _ in range(rng.randint(5, 15)):
                group = groups[bisect(group_cum, rng.random() * group_cum[-1])][0]
                user_id = None
                if group == ParticipantGroup.RIDER:
                    rider = self.riders[rng.randrange(len(self.riders))]
                    if rider not in used_riders:
                        used_riders.add(rider)
                        user_id = rider
                participants.append(
                    (participant_first + len(participants), first + n, user_id, _person(rng)[0], group, at)
                )
        columns = (
            "id",
            "number",
            "kind",
            "title",
            "area_id",
            "starts_on",
            "ends_on",
            "location",
            "organiser_kind",
            "organiser_unit_id",
            "organiser_id",
            "findings",
            "start_time",
            "end_time",
            "published",
            "cancelled",
            "cancel_reason",
            "cancelled_at",
            "capacity",
            "roles_needed",
            "resources",
            "checkin_secret",
            "created_at",
            "updated_at",
        )
        self.counts["activities"] = self.sink.write(Activity, columns, activities)
        with self.sink.loading([Participant], len(participants)):
            self.counts["participants"] = self.sink.write(
                Participant, ("id", "activity_id", "user_id", "name", "group", "created_at"), participants
            )
        self.ids.take(Participant, len(participants))


PLACE_COLUMNS = (
    "id",
    "kind",
    "name",
    "address",
    "lng",
    "lat",
    "grid_id",
    "parent_id",
    "attributes",
    "created_at",
    "updated_at",
)
RESIDENT_COLUMNS = (
    "id",
    "name",
    "name_pinyin",
    "name_initials",
    "gender",
    "birth_year",
    "id_number",
    "id_number_index",
    "phone",
    "phone_index",
    "household_id",
    "place_id",
    "grid_id",
    "user_id",
    "created_at",
    "updated_at",
)


# --- cases ----------------------------------------------------------------------------------


@dataclass
class CaseContext:
    """What case generation needs from the rest of the city; the same whether it comes from a
    build in progress or is read back from the tables (a top-up)."""

    grids: list[GridInfo]
    worker_of: dict[int, int]
    reporters_of: dict[tuple[int, int], list[int]]
    places_of: list[list[int]]
    # (id, code, level, emergency)
    classes: list[tuple[int, str, str, bool]]


PLACES_PER_GRID_FOR_CASES = 20

CLOSURES = (
    (Case.Closure.FIXED, 85),
    (Case.Closure.NO_ACTION, 5),
    (Case.Closure.DUPLICATE, 4),
    (Case.Closure.REFERRED, 3),
    (Case.Closure.CANCELLED, 3),
)
CHANNELS = (
    (Case.Channel.PHONE_PAGE, 45),
    (Case.Channel.STAFF, 25),
    (Case.Channel.API, 10),
    (Case.Channel.INSPECTION, 10),
    (Case.Channel.OPEN311, 5),
    (Case.Channel.MEETING, 5),
)
# States by the case's age in days: (state, weight) for cases at most this old.
STATES_BY_AGE = (
    (
        7,
        (
            ("closed", 30),
            ("rejected", 3),
            ("verified", 7),
            ("resolved", 15),
            ("in_progress", 20),
            ("dispatched", 13),
            ("accepted", 6),
            ("reported", 6),
        ),
    ),
    (30, (("closed", 75), ("rejected", 3), ("verified", 5), ("resolved", 7), ("in_progress", 6), ("dispatched", 4))),
    (10**6, (("closed", 94), ("rejected", 4), ("verified", 1), ("resolved", 1))),
)
# The steps a case has taken to reach its state (a compact timeline: the acceptance is
# folded into the dispatch and the start of handling into the resolution).
STEPS = {
    "reported": [],
    "accepted": [("accepted", "accepted")],
    "rejected": [("rejected", "rejected")],
    "dispatched": [("dispatched", "dispatched")],
    "in_progress": [("dispatched", "dispatched"), ("started", "in_progress")],
    "resolved": [("dispatched", "dispatched"), ("resolved", "resolved")],
    "verified": [("dispatched", "dispatched"), ("resolved", "resolved"), ("verified", "verified")],
    "closed": [("dispatched", "dispatched"), ("resolved", "resolved"), ("closed", "closed")],
}
CLOSED_AT_ONCE = [("closed", "closed")]  # refused with a closure code other than "fixed"
# The stage deadline of an open case: older open cases are overdue.
DEADLINE = timedelta(days=3)
OPEN_STATES = {"reported", "accepted", "dispatched", "in_progress", "resolved", "verified"}
ROADS = ["人民路", "北京路", "环城南路", "滇池路", "前卫西路", "日新中路", "西园路", "兴苑路", "金碧路", "青年路"]

CASE_COLUMNS = (
    "id",
    "number",
    "case_class_id",
    "description",
    "answers",
    "lng",
    "lat",
    "address",
    "grid_id",
    "place_id",
    "channel",
    "reporter_id",
    "reporter_name",
    "reporter_phone",
    "anonymous",
    "state",
    "closure",
    "level",
    "handler_id",
    "emergency",
    "urgent",
    "merged_into_id",
    "deadline",
    "satisfaction",
    "reported_at",
    "closed_at",
    "version",
)
EVENT_COLUMNS = (
    "id",
    "case_id",
    "at",
    "actor_id",
    "kind",
    "from_state",
    "to_state",
    "from_level",
    "to_level",
    "note",
    "internal",
    "late",
)


def _cum(pairs: Sequence[tuple[Any, int]]) -> tuple[list[Any], list[int]]:
    return [p[0] for p in pairs], list(accumulate(p[1] for p in pairs))


def _pick(rng: random.Random, table: tuple[list[Any], list[int]]) -> Any:
    values, cum = table
    return values[bisect(cum, rng.random() * cum[-1])]


def case_context_from_db(city: Area) -> CaseContext:
    grids = []
    for area in Area.objects.filter(level="grid", path__startswith=city.path).order_by("id"):
        ring = area.boundary["coordinates"][0]
        xs, ys = [pt[0] for pt in ring], [pt[1] for pt in ring]
        parts = area.path.strip("/").split("/")
        grids.append(
            GridInfo(
                area.pk,
                area.path,
                area.name,
                (min(xs), min(ys), max(xs), max(ys)),
                area.parent_id or 0,
                int(parts[2][1:]),
                int(parts[1][1:]),
                _label(area.path),
            )
        )
    users = dict(User.objects.filter(username__regex=r"^(grid|rider|resident)-").values_list("username", "id"))
    worker_of = {g.id: users[f"grid-{g.label}"] for g in grids}
    reporters_of: dict[tuple[int, int], list[int]] = {}
    for g in grids:
        key = (g.district_index, g.street_index)
        if key not in reporters_of:
            ds = f"d{key[0]:02d}-s{key[1]:02d}"
            reporters_of[key] = [users[f"rider-{ds}-{k}"] for k in range(1, 6)] + [
                users[f"resident-{ds}-{k}"] for k in range(1, 4)
            ]
    index = {g.id: i for i, g in enumerate(grids)}
    places_of: list[list[int]] = [[] for _ in grids]
    for grid_id, place_id in (
        Place.objects.filter(grid_id__in=index, kind__in=("merchant", "enterprise"))
        .order_by("id")
        .values_list("grid_id", "id")
    ):
        bucket = places_of[index[grid_id]]
        if len(bucket) < PLACES_PER_GRID_FOR_CASES:
            bucket.append(place_id)
    return CaseContext(grids, worker_of, reporters_of, places_of, _case_classes())


def _case_classes() -> list[tuple[int, str, str, bool]]:
    return list(CaseClass.objects.filter(active=True).order_by("id").values_list("id", "code", "level", "emergency"))


def case_context_from_build(gen: Generator) -> CaseContext:
    places_of = []
    for gi in range(len(gen.grids)):
        ids = [gen.business_of_grid(gi, k) for k in range(PLACES_PER_GRID_FOR_CASES)]
        places_of.append([i for i in ids if i is not None])
    return CaseContext(gen.grids, gen.worker_of, gen.reporters_of, places_of, _case_classes())


def write_cases(
    *, plan: CityPlan, context: CaseContext, sink: Sink, ids: Ids, have: int, counters: dict[date, int], say: Say
) -> int:
    """Cases have..plan.cases-1 of the city, each with its compact timeline; case k depends only
    on the seed, k and the end day (and its number on the day's counter). Made chunk by chunk
    (memory stays bounded) in one transaction with the day counters: all or nothing."""
    if have >= plan.cases or not context.classes:
        return 0
    with transaction.atomic(), sink.loading([Case, CaseEvent], plan.cases - have):
        return _write_cases(plan=plan, context=context, sink=sink, ids=ids, have=have, counters=counters, say=say)


def _write_cases(
    *, plan: CityPlan, context: CaseContext, sink: Sink, ids: Ids, have: int, counters: dict[date, int], say: Say
) -> int:
    start, until = FOUNDED, plan.until
    span = (until - start).days
    grid_rng = _rng(plan.seed, "case-grids")
    grid_cum = list(accumulate(grid_rng.uniform(0.4, 1.6) for _ in context.grids))
    grid_total = grid_cum[-1]
    class_table = _cum([(c, CLASS_WEIGHTS.get(c[1], 1)) for c in context.classes])
    closures = _cum(CLOSURES)
    channels = _cum(CHANNELS)
    week, month, older = (_cum(table) for _limit, table in STATES_BY_AGE)
    levels = _cum([("grid", 80), ("community", 14), ("street", 5), ("agency", 1)])
    ratings = (5, 5, 5, 4, 4, 3, 2)
    fallback = ["现场发现问题，请尽快处理"]
    by_reporter = (Case.Channel.PHONE_PAGE, Case.Channel.API)
    written = 0
    now = datetime.combine(until, datetime.min.time(), tzinfo=BEIJING).astimezone(UTC) + timedelta(hours=20)
    # Made once rather than per case: the days of the history with their number prefix, and
    # the times a step takes (10 minutes to 36 hours, by the minute).
    history = [start + timedelta(days=n) for n in range(span + 1)]
    prefixes = {day: f"{day:%Y%m%d}-" for day in history}
    step_times = [timedelta(minutes=m) for m in range(10, 36 * 60)]
    step_count = len(step_times)
    for chunk in range(have // CASE_CHUNK, math.ceil(plan.cases / CASE_CHUNK)):
        drafting = time.monotonic()
        rng = _rng(plan.seed, "cases", chunk)
        random_ = rng.random
        cases: list[tuple[Any, ...]] = []
        events: list[tuple[Any, ...]] = []
        case_first = ids.take(Case, 0)
        event_first = event_next = ids.take(CaseEvent, 0)
        days: set[date] = set()
        for k in range(chunk * CASE_CHUNK, min(plan.cases, (chunk + 1) * CASE_CHUNK)):
            # Every draw is made for every k, written or not, so case k is the same in any run.
            gi = bisect(grid_cum, random_() * grid_total)
            grid = context.grids[gi]
            cls = _pick(rng, class_table)
            day = history[min(span, int((span + 1) * random_() ** 0.8))]
            reported = _dt(day, 7 * 3600 + int(random_() * 15 * 3600))
            if reported > now:
                reported = now - timedelta(minutes=1 + int(random_() * 600))
                day = reported.astimezone(BEIJING).date()
            age = (until - day).days
            state = _pick(rng, week if age <= 7 else month if age <= 30 else older)
            closure = _pick(rng, closures) if state == "closed" else ""
            channel = _pick(rng, channels)
            level = cls[2] if cls[2] != "grid" else _pick(rng, levels)
            lng, lat = _point(rng, grid.box)
            places = context.places_of[gi]
            place = places[int(random_() * len(places))] if places and random_() < 0.2 else None
            descriptions = DESCRIPTIONS.get(cls[1]) or fallback
            description = descriptions[int(random_() * len(descriptions))]
            address = f"{ROADS[int(random_() * len(ROADS))]}{1 + int(random_() * 400)}号"
            reporter = None
            name = phone = ""
            anonymous = False
            worker = context.worker_of[grid.id]
            if channel in by_reporter:
                reporters = context.reporters_of.get((grid.district_index, grid.street_index))
                if reporters:
                    reporter = reporters[int(random_() * len(reporters))]
                    anonymous = random_() < 0.05
            elif channel == Case.Channel.STAFF:
                name, phone = _person(rng)[0], _mobile(rng)
            elif channel == Case.Channel.INSPECTION:
                reporter = worker
            durations = (
                step_times[int(random_() * step_count)],
                step_times[int(random_() * step_count)],
                step_times[int(random_() * step_count)],
            )
            late = random_() < 0.08
            satisfaction = ratings[int(random_() * 7)] if reporter and random_() < 0.6 else None
            if k < have:
                continue
            case_id = case_first + len(cases)
            counters[day] = number = counters.get(day, 0) + 1
            days.add(day)
            steps = STEPS[state]
            if state == "closed" and closure != Case.Closure.FIXED:
                steps = CLOSED_AT_ONCE
            at = reported
            events.append(
                (event_next, case_id, at, reporter or worker, "reported", "", "reported", "", "", "", False, False)
            )
            event_next += 1
            previous = "reported"
            last_step = len(steps) - 1
            for n, (kind, to_state) in enumerate(steps):
                at = at + durations[min(n, 2)]
                if at > now:
                    at = now
                note = RESOLUTIONS.get(cls[1], "") if kind == "resolved" else ""
                events.append(
                    (
                        event_next,
                        case_id,
                        at,
                        worker,
                        kind,
                        previous,
                        to_state,
                        "",
                        "",
                        note,
                        False,
                        late and n == last_step,
                    )
                )
                event_next += 1
                previous = to_state
            is_open = state in OPEN_STATES
            fixed = closure == "fixed"
            cases.append(
                (
                    case_id,
                    f"{prefixes.get(day) or f'{day:%Y%m%d}-'}{number:04d}",
                    cls[0],
                    description,
                    "{}",
                    lng,
                    lat,
                    address,
                    grid.id,
                    place,
                    channel,
                    None if anonymous else reporter,
                    Secret(name),
                    Secret(phone),
                    anonymous,
                    state,
                    closure,
                    level,
                    worker if (is_open and state not in ("reported", "accepted")) or fixed else None,
                    cls[3],
                    cls[3] and is_open,
                    None,
                    reported + DEADLINE if is_open else None,
                    satisfaction if fixed else None,
                    reported,
                    None if is_open else at,
                    len(steps),
                )
            )
        # Making the rows is part of the cost: counted with the cases (their events included).
        sink.stats.setdefault(Case._meta.db_table, TableStats()).seconds += time.monotonic() - drafting
        sink.write(Case, CASE_COLUMNS, cases)
        sink.write(CaseEvent, EVENT_COLUMNS, events)
        ids.take(Case, len(cases))
        ids.take(CaseEvent, event_next - event_first)
        if not sink.dry:
            _save_counters({day: counters[day] for day in days})
        written += len(cases)
        say(f"cases: {have + written:,}/{plan.cases:,}")
    return written


def _save_counters(counters: dict[date, int]) -> None:
    """Each day's last case number, so cases reported later through the app number on."""
    CaseCounter.objects.bulk_create(
        [CaseCounter(day=day, last=last) for day, last in counters.items()],
        update_conflicts=True,
        unique_fields=["day"],
        update_fields=["last"],
        batch_size=1000,
    )


# --- the whole city ------------------------------------------------------------------------


@dataclass
class CityResult:
    created: bool
    counts: dict[str, int]
    stats: dict[str, TableStats]
    digests: dict[str, str]
    # Seconds of the closing VACUUM (ANALYZE); None when the run did not vacuum (SQLite, a dry
    # run, or a run inside a transaction, where only ANALYZE can run).
    vacuum_seconds: float | None = None


def find_city(seed: int) -> Area | None:
    """The city of this seed, if built; CityError when the database holds another territory."""
    roots = list(Area.objects.filter(parent__isnull=True))
    ours = [a for a in roots if a.level == "city" and a.code == city_code(seed)]
    if roots and (not ours or len(roots) > 1):
        names = "、".join(sorted(a.name for a in roots if a not in ours))
        raise CityError(
            f"The database holds another territory ({names}): the city generator only builds into an empty "
            f"database or tops up the cases of its own city (seed {seed})."
        )
    return ours[0] if ours else None


def generate_city(
    plan: CityPlan, *, say: Say | None = None, dry: bool = False, digest: bool = False, rollups: bool = True
) -> CityResult:
    """Build the city of `plan` into an empty database (after migrate), or top up the cases
    of the city of this seed to plan.cases. With digest=True the result holds the digests of
    the rows written; with dry=True nothing is written, only digested."""
    plan.check()
    say = say or (lambda _m: None)
    sink = Sink(say, dry=dry, digest=digest)
    city = find_city(plan.seed)
    created = city is None
    counts: dict[str, int] = {}
    ids = Ids()
    if created:
        if not dry:
            # The case catalogue and the checklists first, as their commands install them.
            install_catalogue(actor=None)
            install_demo_templates(actor=None)
        gen = Generator(plan, sink, say)
        gen.ids = ids
        started = time.monotonic()
        with transaction.atomic():
            gen.territory()
            if not dry:
                # Cases reported through the app find their grid in the new territory at once.
                forget_grid_index()
                transaction.on_commit(forget_grid_index)
            gen.accounts()
            gen.places()
            gen.people()
            gen.stations()
            gen.watchlist()
            gen.disputes()
            gen.activities()
        say(f"city structure written in {time.monotonic() - started:.1f} s")
        counts |= gen.counts
        context = case_context_from_build(gen)
        have = 0
    else:
        assert city is not None
        context = case_context_from_db(city)
        have = Case.objects.filter(grid__path__startswith=city.path).count()
        say(f"the city of seed {plan.seed} exists with {have:,} cases: topping up to {plan.cases:,}")
    counters = dict(CaseCounter.objects.values_list("day", "last")) if not dry else {}
    counts["cases"] = write_cases(plan=plan, context=context, sink=sink, ids=ids, have=have, counters=counters, say=say)
    vacuum_seconds = None
    if not dry:
        # Cases are not among the period figures: a top-up leaves the rollups as they are.
        vacuum_seconds = finish(sink.stats, say, rollups=rollups and created)
    return CityResult(
        created=created, counts=counts, stats=sink.stats, digests=sink.digests, vacuum_seconds=vacuum_seconds
    )


def finish(stats: dict[str, TableStats], say: Say, *, rollups: bool = True) -> float | None:
    """Sequences past the ids written, the period figures, and fresh planner statistics for
    every table written, small ones too: without them PostgreSQL guesses that a subtree of
    7,000 areas holds a dozen and plans a street's or the city's figures as a loop over them.

    On PostgreSQL the tables are vacuumed too (VACUUM (ANALYZE)), and its seconds returned: a
    bulk load leaves the visibility map empty, so until a vacuum every index-only scan reads
    the heap as well (a grid's page of case ids read 1,931 heap buffers instead of 16-18 in a
    city of 1,000,000 cases), and an autovacuum may be hours away or off. VACUUM cannot run
    in a transaction block; a run inside one (the tests) gets the ANALYZE alone."""
    from nuanxin.insights import rollups as figure_rollups
    from nuanxin.insights.models import FigureCount

    written = [m for m in _all_models() if m._meta.db_table in stats]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), written):
                cursor.execute(sql)
    if rollups:
        started = time.monotonic()
        figure_rollups.rebuild()
        say(f"period figures rebuilt in {time.monotonic() - started:.1f} s")
        written.append(FigureCount)
    if connection.vendor != "postgresql" or not written:
        return None
    tables = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in written)
    vacuum = not connection.in_atomic_block
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {tables}" if vacuum else f"ANALYZE {tables}")
    return time.monotonic() - started if vacuum else None


def _all_models() -> list[type[models.Model]]:
    from django.apps import apps

    return list(apps.get_models())


def database_digest(seed: int) -> dict[str, str]:
    """The digests of KEY_COLUMNS read back from the tables (rows in id order, plaintexts
    decrypted by their fields), to compare with what a run wrote."""
    out = {}
    for model, columns in KEY_COLUMNS.items():
        digest = hashlib.sha256()
        rows = model._default_manager.order_by("id").values_list(*columns)
        if model is User:
            rows = rows.filter(username__regex=r"^(grid|rider|resident|street|community|district|city)-")
        count = 0
        for row in rows.iterator(chunk_size=10_000):
            digest.update(_digest_line(row, range(len(row))).encode())
            count += 1
        if count:
            out[model._meta.db_table] = digest.hexdigest()
    return out
