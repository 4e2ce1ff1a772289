"""Backup and restore (nuanxin/core/backup.py): a real restore drill on the engine the suite
runs on, and the refusals that keep a bad file or a careless command from damaging data.

The drill needs a database the commands can really replace. On SQLite the test database lives
in memory, so the drill points the default connection at a file copied from it; on PostgreSQL
at a scratch database made from the test database as template (named after it, so each xdist
worker has its own) and dropped afterwards.
"""

import io
import json
import sqlite3
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connections

from nuanxin.accounts.models import User
from nuanxin.cases.actions import report_case
from nuanxin.cases.catalogue import install_catalogue
from nuanxin.cases.models import Case, CaseClass
from nuanxin.core import backup
from nuanxin.core.audit import read_checkpoints, verify_chain, verify_log
from nuanxin.core.models import AuditEntry
from nuanxin.testing import build_world, photo_upload

AUDIT_TABLES = {"core.AuditEntry", "core.AuditChainHead"}


@pytest.fixture
def drill_database(transactional_db: Any, tmp_path: Path) -> Iterator[str]:
    """Point the default connection at a database of its own for the drill; yields the engine."""
    connection = connections["default"]
    original = connection.settings_dict["NAME"]
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        in_memory = connection.connection
        drill = sqlite3.connect(tmp_path / "drill.sqlite3")
        in_memory.backup(drill)  # the migrated, empty test schema
        drill.close()
        # Detach the in-memory database without closing it (closing would destroy it for
        # the tests after this one); Django opens the file on the next query.
        connection.connection = None
        connection.settings_dict["NAME"] = str(tmp_path / "drill.sqlite3")
        try:
            yield "sqlite"
        finally:
            connection.close()
            connection.settings_dict["NAME"] = original
            connection.connection = in_memory
        return
    scratch = f"{original}_drill"[:63]
    connection.close()
    with connection._nodb_cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{scratch}"')
    # A copy of the migrated test database made with pg_dump, not as a template: copying a
    # template needs it free of other sessions, and earlier tests in this worker (a live
    # server, threads) may still hold one.
    env = backup.pg_command_env(connection.settings_dict)
    dump = subprocess.run(["pg_dump", "--format=custom", original], env=env, capture_output=True, check=True).stdout
    subprocess.run(["pg_restore", "--no-owner", "--dbname", scratch], input=dump, env=env, check=True)
    connection.settings_dict["NAME"] = scratch
    try:
        yield "postgresql"
    finally:
        connection.close()
        connection.settings_dict["NAME"] = original
        with connection._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')


def every_row() -> dict[str, list[dict[str, Any]]]:
    """Every row of every table of the project's models, in primary-key order."""
    rows = {}
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        rows[model._meta.label] = list(model._base_manager.order_by("pk").values())
    return rows


def media_files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def report(world: Any, **extra: Any) -> Case:
    classes = {c.code: c for c in CaseClass.objects.all()}
    return report_case(
        actor=world.rider,
        case_class=classes["sanitation"],
        description=extra.pop("description", "楼道里堆满了纸箱"),
        lng=102.7011,
        lat=24.9811,
        channel="phone_page",
        photos=[photo_upload()],
        **extra,
    )


def test_restore_drill_brings_back_every_record_and_file(
    drill_database: str, settings: Any, tmp_path: Path, capsys: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    world = build_world()
    install_catalogue(actor=None)
    case = report(world, reporter_name="王小明", reporter_phone="13800001111")
    before = every_row()
    files_before = media_files(tmp_path / "media")
    assert before["cases.Case"] and before["cases.CasePhoto"] and len(files_before) == 1

    archive = tmp_path / "backups" / "drill.tar.gz"
    call_command("backup", output=str(archive))
    assert f"Backup written to {archive}" in capsys.readouterr().out

    manifest = backup.read_manifest(archive)
    assert manifest["engine"] == drill_database
    assert manifest["counts"]["cases.Case"] == 1
    assert manifest["counts"]["accounts.User"] == User.objects.count()
    assert manifest["counts"]["core.AuditEntry"] == len(before["core.AuditEntry"])
    assert manifest["media_files"] == 1 and manifest["nuanxin_version"]
    made = AuditEntry.objects.get(action="core.backup_made")
    assert made.actor_id is None and made.detail["file"] == "drill.tar.gz"
    # The backup pinned the chain's head, its own entry included, in the checkpoint file.
    checkpoints, damaged = read_checkpoints()
    assert damaged == [] and [(c.kind, c.note) for c in checkpoints] == [("backup", "drill.tar.gz")]
    assert (checkpoints[0].last_id, checkpoints[0].last_mac) == (made.id, made.hash)
    assert checkpoints[0].count == AuditEntry.objects.count()

    # After the backup: a new case with its photo, an edited user, the old case and its
    # photo file gone.
    later = report(world, description="路灯不亮了")
    later_photo = later.photos.get().name
    User.objects.filter(pk=world.rider.pk).update(first_name="改过的名字")
    Case.objects.filter(pk=case.pk).delete()
    for name in files_before:
        (tmp_path / "media" / name).unlink()

    with pytest.raises(CommandError, match="already holds data"):
        call_command("restore", str(archive))
    assert Case.objects.filter(pk=later.pk).exists(), "a refused restore must change nothing"

    call_command("restore", str(archive), yes=True)
    out = capsys.readouterr().out
    assert f"Restored the {drill_database} database" in out
    assert "1 media files that are not in the backup were left in place" in out

    after = every_row()
    for label, rows in before.items():
        if label not in AUDIT_TABLES:
            assert after[label] == rows, f"{label} differs after the restore"
    # The audit log is the backed-up one plus the restore's own entry, and its chain holds.
    restored_log = sorted(after["core.AuditEntry"], key=lambda row: row["id"])
    assert restored_log[:-1] == sorted(before["core.AuditEntry"], key=lambda row: row["id"])
    assert restored_log[-1]["action"] == "core.backup_restored" and restored_log[-1]["actor_id"] is None
    assert restored_log[-1]["detail"]["created_at"] == manifest["created_at"]
    assert verify_chain() == []
    # The restored chain lacks the backup's own entry, which the backup checkpoint names; the
    # restore's checkpoint says the chain went back on purpose, and the log checks out.
    checkpoints, damaged = read_checkpoints()
    assert damaged == [] and [c.kind for c in checkpoints] == ["backup", "restore"]
    assert checkpoints[1].last_id == restored_log[-1]["id"] and checkpoints[1].count == len(restored_log)
    assert verify_log().problems == []

    files_after = media_files(tmp_path / "media")
    for name, content in files_before.items():
        assert files_after[name] == content
    assert later_photo in files_after, "files the backup does not hold are left in place"
    assert not Case.objects.filter(pk=later.pk).exists()


# ---------------------------------------------------------------------------------------
# Refusals: each leaves the database as it was.


def make_archive(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, body in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    return path


def sound_manifest(dump: bytes, **changes: Any) -> bytes:
    engine = connections["default"].vendor
    manifest = {
        "format": 1,
        "engine": engine,
        "created_at": "2025-01-01T00:00:00+00:00",
        "nuanxin_version": "test",
        "database": backup.DB_MEMBERS[engine],
        "database_sha256": backup.hashlib.sha256(dump).hexdigest(),
        "counts": {},
        "media_files": 0,
    }
    manifest.update(changes)
    return json.dumps(manifest).encode()


@pytest.fixture
def cases_before(world: Any) -> int:
    install_catalogue(actor=None)
    report(world)
    return Case.objects.count()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("garbage", "is not a readable .tar.gz"),
        ("no manifest", "does not start with manifest.json"),
        ("bad json", "manifest is not valid JSON"),
        ("other engine", "backup; this installation runs"),
        ("future format", "unknown backup format 2"),
        ("damaged dump", "does not match its checksum"),
        ("missing dump", "database dump database."),
        ("escaping path", "unsafe path"),
        ("media count", "media files, the manifest says 3"),
    ],
)
def test_a_bad_file_is_refused_before_anything_changes(
    cases_before: int, settings: Any, tmp_path: Path, content: str, message: str
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    dump = b"not really a database"
    db_member = backup.DB_MEMBERS[connections["default"].vendor]
    other = "postgresql" if connections["default"].vendor == "sqlite" else "sqlite"
    archive = tmp_path / "bad.tar.gz"
    if content == "garbage":
        archive.write_bytes(b"this is not an archive")
    else:
        members = {
            "no manifest": {db_member: dump},
            "bad json": {"manifest.json": b"{not json", db_member: dump},
            "other engine": {
                "manifest.json": sound_manifest(dump, engine=other, database=backup.DB_MEMBERS[other]),
                backup.DB_MEMBERS[other]: dump,
            },
            "future format": {"manifest.json": sound_manifest(dump, format=2), db_member: dump},
            "damaged dump": {"manifest.json": sound_manifest(dump), db_member: dump + b"!"},
            "missing dump": {"manifest.json": sound_manifest(dump)},
            "escaping path": {"manifest.json": sound_manifest(dump), db_member: dump, "media/../../evil": b"x"},
            "media count": {"manifest.json": sound_manifest(dump, media_files=3), db_member: dump},
        }[content]
        make_archive(archive, members)

    with pytest.raises(CommandError, match=message):
        call_command("restore", str(archive), yes=True)
    assert Case.objects.count() == cases_before
    assert not (tmp_path / "evil").exists() and not (tmp_path.parent / "evil").exists()
    assert not AuditEntry.objects.filter(action="core.backup_restored").exists()


def test_restore_of_a_missing_file_names_it(db: Any, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="missing.tar.gz does not exist"):
        call_command("restore", str(tmp_path / "missing.tar.gz"), yes=True)


def test_the_postgresql_password_travels_in_the_environment_only(monkeypatch: Any) -> None:
    settings_dict = {
        "NAME": "nuanxin",
        "USER": "app",
        "PASSWORD": "pa55-w0rd-secret",
        "HOST": "db.internal",
        "PORT": 5433,
        "OPTIONS": {"sslmode": "verify-full"},
    }
    seen: dict[str, Any] = {}

    def fake_run(args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        seen["args"], seen["env"] = args, kwargs["env"]
        # A tool that echoes its connection string in an error must not leak the password.
        return subprocess.CompletedProcess(args, 1, "", "could not connect: password=pa55-w0rd-secret refused")

    monkeypatch.setattr(backup.subprocess, "run", fake_run)
    with pytest.raises(backup.BackupError) as raised:
        backup._run_pg(["/usr/bin/pg_restore", "--dbname=nuanxin", "dump"], settings_dict, "pg_restore")
    assert "pa55-w0rd-secret" not in str(raised.value) and "********" in str(raised.value)
    assert not any("pa55-w0rd-secret" in arg for arg in seen["args"])
    env = seen["env"]
    assert env["PGPASSWORD"] == "pa55-w0rd-secret"
    assert (env["PGHOST"], env["PGPORT"], env["PGUSER"], env["PGDATABASE"]) == ("db.internal", "5433", "app", "nuanxin")
    assert env["PGSSLMODE"] == "verify-full"
