"""Backing up and restoring the whole installation: the database and the media files.

A backup is one .tar.gz holding, in this order:

    manifest.json       engine, time, nuanxin version, row counts of key tables, checksums
    database.sqlite3    SQLite: a copy made with SQLite's online backup API
    database.pgdump     PostgreSQL: `pg_dump --format=custom`
    media/...           every file under MEDIA_ROOT (photos, agreement files)

Both dumps are consistent snapshots taken while the app keeps serving: SQLite's backup API
reads one snapshot (WAL lets writers go on), and pg_dump reads the snapshot of a
repeatable-read transaction in which the manifest's row counts are taken too, so the counts
describe exactly the dump beside them.

Restoring checks the whole archive (manifest, checksum, every member's name, the dump
itself) before it touches anything, then replaces the database in one step (SQLite: the
backup API copies every page under one write lock; PostgreSQL: pg_restore
--single-transaction) and only then writes the media files. Media files the backup does not
hold are left where they are (they belong to records the restore took away; their names are
random, so nothing refers to them) and counted in the result.

The PostgreSQL password reaches pg_dump and pg_restore through PGPASSWORD in their
environment, never on their command line, and is never printed.
"""

import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connections, transaction

from nuanxin.core import audit

FORMAT = 1
MANIFEST = "manifest.json"
MEDIA_DIR = "media"
DB_MEMBERS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
# A handful of tables whose row counts tell a person at a glance what a backup holds, and
# let a restore check that what arrived is what left.
KEY_TABLES = [
    "accounts.User",
    "territory.Area",
    "territory.Place",
    "people.Resident",
    "cases.Case",
    "inspections.Visit",
    "ledgers.Dispute",
    "volunteers.Activity",
    "stations.Station",
    "core.AuditEntry",
]
# Settings OPTIONS that libpq also reads from the environment (sslmode from ?sslmode=...).
PG_OPTION_ENV = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "service": "PGSERVICE",
    "passfile": "PGPASSFILE",
}


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why, for the operator."""


@dataclass
class BackupResult:
    path: Path
    manifest: dict[str, Any]


@dataclass
class RestoreResult:
    manifest: dict[str, Any]
    counts: dict[str, int]
    media_files: int
    media_left: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------
# Shared helpers


def engine_of(alias: str = "default") -> str:
    vendor = connections[alias].vendor
    if vendor not in DB_MEMBERS:
        raise BackupError(f"backups support SQLite and PostgreSQL, not {vendor}")
    return vendor


def nuanxin_version() -> str:
    """`git describe` of the checkout, or "unknown" (an installation without git)."""
    git = shutil.which("git")
    if git is None:
        return "unknown"
    try:
        done = subprocess.run(  # noqa: S603 - fixed arguments, no shell
            [git, "describe", "--tags", "--always", "--dirty"],
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else "unknown"


def _key_tables() -> dict[str, str]:
    """Model label → table name, for the key tables of the installed apps."""
    tables = {}
    for label in KEY_TABLES:
        try:
            tables[label] = apps.get_model(label)._meta.db_table
        except LookupError:
            continue
    return tables


def _count(cursor: Any, table: str) -> int:
    # Table names come from the models, never from input; quoted for reserved words.
    cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608
    return int(cursor.fetchone()[0])


def _django_counts(alias: str) -> dict[str, int]:
    """Row counts of the key tables that exist in the database behind `alias`."""
    connection = connections[alias]
    existing = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        return {label: _count(cursor, table) for label, table in _key_tables().items() if table in existing}


def database_has_data(alias: str = "default") -> bool:
    return any(_django_counts(alias).values())


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _media_files(root: Path) -> Iterator[tuple[Path, str]]:
    """(path, name inside media/) of every regular file under root; symbolic links are not
    followed, so a backup never picks up files from outside the media directory."""
    if not root.is_dir():
        return
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for filename in sorted(filenames):
            path = Path(dirpath) / filename
            if path.is_file() and not path.is_symlink():
                yield path, path.relative_to(root).as_posix()


def _sqlite_name(settings_dict: dict[str, Any]) -> str:
    return str(settings_dict["NAME"])


def _sqlite_connect(name: str) -> sqlite3.Connection:
    return sqlite3.connect(name, uri=name.startswith("file:"), timeout=20)


def pg_command_env(settings_dict: dict[str, Any]) -> dict[str, str]:
    """The environment for pg_dump and pg_restore: libpq reads the connection from PG*
    variables, so the password never shows in the process list."""
    env = dict(os.environ)
    values = {
        "PGHOST": settings_dict.get("HOST"),
        "PGPORT": settings_dict.get("PORT"),
        "PGUSER": settings_dict.get("USER"),
        "PGPASSWORD": settings_dict.get("PASSWORD"),
        "PGDATABASE": settings_dict.get("NAME"),
    }
    options = settings_dict.get("OPTIONS") or {}
    for option, variable in PG_OPTION_ENV.items():
        values[variable] = options.get(option)
    for variable, value in values.items():
        if value not in (None, ""):
            env[variable] = str(value)
    return env


def _pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} not found: install the PostgreSQL client (apt-get install postgresql-client)")
    return path


def _run_pg(args: list[str], settings_dict: dict[str, Any], what: str) -> str:
    env = pg_command_env(settings_dict)
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603 - no shell
    if done.returncode != 0:
        message = done.stderr.strip() or done.stdout.strip() or f"exit status {done.returncode}"
        password = str(settings_dict.get("PASSWORD") or "")
        if password:
            message = message.replace(password, "********")
        raise BackupError(f"{what} failed: {message}")
    return done.stdout


# ---------------------------------------------------------------------------------------
# Backup


def _default_name(now: datetime) -> str:
    return f"nuanxin-backup-{now:%Y%m%dT%H%M%SZ}.tar.gz"


def _output_path(output: str | Path | None, now: datetime) -> Path:
    """A directory (existing, or named with a trailing slash) gets a timestamped file in it;
    anything else is the file itself."""
    if output is None or str(output) == "":
        return Path(settings.BASE_DIR) / "var" / "backups" / _default_name(now)
    path = Path(output)
    if path.is_dir() or str(output).endswith(("/", os.sep)):
        return path / _default_name(now)
    return path


def _dump_sqlite(settings_dict: dict[str, Any], target: Path) -> dict[str, int]:
    name = _sqlite_name(settings_dict)
    if not name.startswith("file:") and not Path(name).is_file():
        raise BackupError(f"the SQLite database {name} does not exist")
    source = _sqlite_connect(name)
    copy = sqlite3.connect(target)
    try:
        # One step (pages=-1): the whole database from one read snapshot. In WAL mode the
        # app's writers carry on meanwhile.
        source.backup(copy)
        # The copy is a standalone file: no -wal beside it inside the archive.
        copy.execute("PRAGMA journal_mode=DELETE")
        cursor = copy.cursor()
        existing = {row[0] for row in cursor.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        return {label: _count(cursor, table) for label, table in _key_tables().items() if table in existing}
    finally:
        copy.close()
        source.close()


def _dump_postgresql(alias: str, target: Path) -> dict[str, int]:
    pg_dump = _pg_tool("pg_dump")
    connection = connections[alias]
    if connection.in_atomic_block:
        raise BackupError("a backup cannot run inside a database transaction")
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        # The counts and pg_dump read the same snapshot, exported from this transaction.
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        counts = _django_counts(alias)
        _run_pg(
            [pg_dump, "--format=custom", "--no-password", f"--snapshot={snapshot}", f"--file={target}"],
            connection.settings_dict,
            "pg_dump",
        )
    return counts


def _tarinfo_clean(info: tarfile.TarInfo) -> tarfile.TarInfo:
    # The archive does not carry the server's user and group names.
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def create_backup(output: str | Path | None = None, *, alias: str = "default") -> BackupResult:
    """Write one backup archive and return where it went with its manifest; records the
    backup in the audit log (the actor is the system: no user, no request)."""
    engine = engine_of(alias)
    now = datetime.now(UTC)
    path = _output_path(output, now)
    path.parent.mkdir(parents=True, exist_ok=True)
    media_root = Path(settings.MEDIA_ROOT)
    settings_dict = connections[alias].settings_dict

    with tempfile.TemporaryDirectory(prefix=".nuanxin-backup-", dir=path.parent) as work:
        dump = Path(work) / DB_MEMBERS[engine]
        counts = _dump_sqlite(settings_dict, dump) if engine == "sqlite" else _dump_postgresql(alias, dump)
        media = list(_media_files(media_root))
        manifest = {
            "format": FORMAT,
            "engine": engine,
            "created_at": now.isoformat(timespec="seconds"),
            "nuanxin_version": nuanxin_version(),
            "database": DB_MEMBERS[engine],
            "database_sha256": _sha256(dump),
            "counts": counts,
            "media_files": len(media),
            "media_bytes": sum(p.stat().st_size for p, _ in media),
        }
        # Written under a temporary name and renamed: an interrupted backup never leaves a
        # truncated archive under the name a restore would pick. Owner-only: it holds
        # personal data (encrypted fields, but names and addresses of cases too).
        partial = Path(work) / "archive.tar.gz"
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6) as tar:
            body = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
            info = _tarinfo_clean(tarfile.TarInfo(MANIFEST))
            info.size, info.mtime, info.mode = len(body), int(now.timestamp()), 0o600
            tar.addfile(info, io.BytesIO(body))  # first, so a restore reads it before the rest
            tar.add(dump, arcname=DB_MEMBERS[engine], filter=_tarinfo_clean)
            for file_path, name in media:
                tar.add(file_path, arcname=f"{MEDIA_DIR}/{name}", recursive=False, filter=_tarinfo_clean)
        os.replace(partial, path)

    audit.record(
        "core.backup_made",
        actor=None,
        detail={
            "file": path.name,
            "engine": engine,
            "counts": counts,
            "media_files": manifest["media_files"],
        },
    )
    _checkpoint_audit_chain(kind="backup", note=path.name)
    return BackupResult(path=path, manifest=manifest)


def _checkpoint_audit_chain(*, kind: str, note: str) -> None:
    """Pin the audit chain's head (with the entry just recorded) in the checkpoint file. A
    failure is logged loudly on nuanxin.audit.checkpoint but does not undo the backup or
    restore: the archive or the database is sound either way."""
    try:
        audit.write_checkpoint(kind=kind, note=note)
    except (audit.CheckpointError, OSError):
        audit.checkpoint_logger.exception("no audit checkpoint written at the %s of %s", kind, note)


# ---------------------------------------------------------------------------------------
# Restore

_SAFE_NAME = re.compile(r"^[\w.\-]+$")


def _member_path(name: str) -> PurePosixPath:
    """The member's relative path, refusing anything that could land outside the staging
    directory (absolute paths, "..", odd characters in a part)."""
    path = PurePosixPath(name)
    if path.is_absolute() or not path.parts or any(part in ("", ".", "..") for part in path.parts):
        raise BackupError(f"the archive holds an unsafe path: {name!r}")
    if not all(_SAFE_NAME.match(part) for part in path.parts):
        raise BackupError(f"the archive holds an unexpected file name: {name!r}")
    return path


def read_manifest(archive: Path) -> dict[str, Any]:
    """The manifest of a backup archive, checked; BackupError when the file is not one."""
    if not archive.is_file():
        raise BackupError(f"{archive} does not exist or is not a file")
    try:
        with tarfile.open(archive, "r:gz") as tar:
            first = tar.next()
            if first is None or first.name != MANIFEST or not first.isfile():
                raise BackupError(f"{archive} is not a nuanxin backup: it does not start with {MANIFEST}")
            handle = tar.extractfile(first)
            assert handle is not None
            manifest = json.loads(handle.read(1 << 20).decode())
    except (tarfile.TarError, EOFError, zlib.error, OSError) as error:
        raise BackupError(f"{archive} is not a readable .tar.gz: {error}") from error
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BackupError(f"{archive}: the manifest is not valid JSON ({error})") from error
    if not isinstance(manifest, dict):
        raise BackupError(f"{archive}: the manifest is not a JSON object")
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{archive}: unknown backup format {manifest.get('format')!r} (this version reads {FORMAT})")
    engine = manifest.get("engine")
    if engine not in DB_MEMBERS or manifest.get("database") != DB_MEMBERS[engine]:
        raise BackupError(f"{archive}: the manifest names no database this version can restore")
    for key in ("created_at", "database_sha256", "counts", "media_files"):
        if key not in manifest:
            raise BackupError(f"{archive}: the manifest lacks {key!r}")
    return manifest


def _extract(archive: Path, manifest: dict[str, Any], staging: Path) -> tuple[Path, list[PurePosixPath]]:
    """Every member into staging, checked by name and kind; (database file, media names)."""
    database: Path | None = None
    media: list[PurePosixPath] = []
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                relative = _member_path(member.name)
                if member.name == MANIFEST:
                    continue
                if member.isdir() and relative.parts[0] == MEDIA_DIR:
                    continue
                if not member.isfile():
                    raise BackupError(f"{archive}: {member.name} is not a regular file")
                if member.name == manifest["database"]:
                    target = staging / "database" / relative.name
                elif relative.parts[0] == MEDIA_DIR and len(relative.parts) > 1:
                    target = staging / Path(*relative.parts)
                    media.append(PurePosixPath(*relative.parts[1:]))
                else:
                    raise BackupError(f"{archive}: unexpected member {member.name}")
                target.parent.mkdir(parents=True, exist_ok=True)
                source = tar.extractfile(member)
                assert source is not None
                with source, target.open("wb") as sink:
                    shutil.copyfileobj(source, sink, 1 << 20)
                if target.parent.name == "database":
                    database = target
    except BackupError:
        raise
    except (tarfile.TarError, EOFError, zlib.error, OSError) as error:
        raise BackupError(f"{archive} is damaged: {error}") from error
    if database is None:
        raise BackupError(f"{archive}: the database dump {manifest['database']} is missing")
    if _sha256(database) != manifest["database_sha256"]:
        raise BackupError(f"{archive}: the database dump does not match its checksum (the file is damaged)")
    if len(media) != manifest["media_files"]:
        raise BackupError(f"{archive}: {len(media)} media files, the manifest says {manifest['media_files']}")
    return database, media


def _check_sqlite_dump(dump: Path) -> None:
    try:
        check = sqlite3.connect(f"{dump.resolve().as_uri()}?mode=ro", uri=True)
        try:
            result = check.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            check.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"the database in the backup is not a usable SQLite file: {error}") from error
    if result != "ok":
        raise BackupError(f"the database in the backup fails SQLite's check: {result}")


def _restore_sqlite(settings_dict: dict[str, Any], dump: Path) -> None:
    name = _sqlite_name(settings_dict)
    if not name.startswith("file:"):
        Path(name).parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"{dump.resolve().as_uri()}?mode=ro", uri=True)
    target = _sqlite_connect(name)
    try:
        # One step under one write lock on the target: readers see the old database or the
        # new one, never a mixture, and a failure leaves the old one.
        source.backup(target)
    except sqlite3.Error as error:
        raise BackupError(f"restoring the SQLite database failed, it was left as it was: {error}") from error
    finally:
        target.close()
        source.close()


def _restore_postgresql(settings_dict: dict[str, Any], dump: Path) -> None:
    pg_restore = _pg_tool("pg_restore")
    # Reading the table of contents proves the dump is a pg_dump archive before we drop anything.
    _run_pg([pg_restore, "--list", str(dump)], settings_dict, "reading the dump")
    _run_pg(
        [
            pg_restore,
            "--clean",
            "--if-exists",
            "--no-owner",
            # Grants name roles that may not exist on a new server; the app's own role
            # owns everything it restores.
            "--no-privileges",
            # All or nothing: an error rolls the whole restore back.
            "--single-transaction",
            "--no-password",
            f"--dbname={settings_dict['NAME']}",
            str(dump),
        ],
        settings_dict,
        "pg_restore (nothing was changed)",
    )


def _place_media(staging: Path, names: list[PurePosixPath], media_root: Path) -> None:
    """Each file under a temporary name in its directory, then renamed over the old one, so
    the app never serves half a photo."""
    for name in names:
        target = media_root / Path(*name.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.restoring")
        shutil.copyfile(staging / MEDIA_DIR / Path(*name.parts), partial)
        os.replace(partial, target)


def restore_backup(archive: str | Path, *, replace_data: bool = False, alias: str = "default") -> RestoreResult:
    """Restore a backup archive into the configured database and MEDIA_ROOT.

    Refuses (BackupError) when the archive is not a sound nuanxin backup, when it was made
    from another database engine, or when the database already holds data and
    `replace_data` is false. Everything is checked before anything is changed."""
    archive = Path(archive)
    manifest = read_manifest(archive)
    engine = engine_of(alias)
    if manifest["engine"] != engine:
        raise BackupError(f"{archive} is a {manifest['engine']} backup; this installation runs {engine}")
    if not replace_data and database_has_data(alias):
        raise BackupError("the database already holds data; restoring replaces all of it. Run again with --yes.")

    media_root = Path(settings.MEDIA_ROOT)
    media_root.mkdir(parents=True, exist_ok=True)
    # Staged beside the media directory when we may write there rather than in /tmp: media can
    # be large, /tmp small (often in memory). A mount point's parent may not be ours.
    parent = media_root.parent if os.access(media_root.parent, os.W_OK | os.X_OK) else None
    with tempfile.TemporaryDirectory(prefix=".nuanxin-restore-", dir=parent) as work:
        staging = Path(work)
        dump, media = _extract(archive, manifest, staging)
        settings_dict = connections[alias].settings_dict
        if engine == "sqlite":
            _check_sqlite_dump(dump)
        # Nothing of ours may hold the database open while it is replaced.
        connections[alias].close()
        if engine == "sqlite":
            _restore_sqlite(settings_dict, dump)
        else:
            _restore_postgresql(settings_dict, dump)
        try:
            _place_media(staging, media, media_root)
        except OSError as error:
            raise BackupError(
                f"the database was restored but writing the media files failed ({error}); "
                "fix the cause (space, permissions) and run the restore again"
            ) from error

    wanted = {str(name) for name in media}
    left = sorted(name for _, name in _media_files(media_root) if name not in wanted)
    counts = _django_counts(alias)
    if counts != manifest["counts"]:
        raise BackupError(
            f"the restored database's row counts {counts} differ from the backup's {manifest['counts']}: "
            "check the database before using it"
        )
    audit.record(
        "core.backup_restored",
        actor=None,
        detail={
            "file": archive.name,
            "created_at": manifest["created_at"],
            "nuanxin_version": manifest.get("nuanxin_version", "unknown"),
            "counts": counts,
            "media_files": len(media),
        },
    )
    # The restored chain is older than the checkpoints written since the backup; this one
    # says so, and audit_verify compares the chain with the checkpoints from here on.
    _checkpoint_audit_chain(kind="restore", note=archive.name)
    return RestoreResult(manifest=manifest, counts=counts, media_files=len(media), media_left=left)
