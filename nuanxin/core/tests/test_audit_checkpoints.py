"""The audit chain against someone who can write the database but has neither the audit key
nor the checkpoint file: a chain recomputed without the key, or cut off at the end together
with its head row, is reported (docs/audit.md)."""

import base64
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from nuanxin.core import audit, tasks
from nuanxin.core.models import AuditChainHead, AuditEntry

KEY_A = base64.urlsafe_b64encode(b"audit-test-key-A-32-bytes-long!!").decode()
KEY_B = base64.urlsafe_b64encode(b"audit-test-key-B-32-bytes-long!!").decode()


def _quoted(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def rewrite_chain(sign: Callable[[AuditEntry, int], None], *, forge_id: int | None = None) -> None:
    """What an attacker with write access to the database does: edit an entry, then walk the
    chain, relink every entry and sign it again with `sign(entry, position)`, head row too."""
    previous = audit.GENESIS
    with connection.cursor() as cursor:
        for position, entry in enumerate(AuditEntry.objects.order_by("id")):
            if entry.id == forge_id:
                entry.object_repr = "forged"
            entry.prev_hash = previous
            sign(entry, position)
            cursor.execute(
                f"UPDATE {_quoted(AuditEntry)} SET object_repr = %s, prev_hash = %s, hash = %s, "
                "mac_version = %s, key_id = %s WHERE id = %s",
                [entry.object_repr, entry.prev_hash, entry.hash, entry.mac_version, entry.key_id, entry.id],
            )
            previous = entry.hash
        cursor.execute(f"UPDATE {_quoted(AuditChainHead)} SET last_hash = %s WHERE id = 1", [previous])


def plain_sha256(entry: AuditEntry, position: int) -> None:
    entry.hash = audit.legacy_digest(entry)


def downgraded(entry: AuditEntry, position: int) -> None:
    entry.mac_version, entry.key_id = audit.LEGACY, ""
    entry.hash = audit.legacy_digest(entry)


def checkpoint_lines() -> list[dict[str, Any]]:
    path = Path(django_settings.NUANXIN_AUDIT_CHECKPOINT_FILE)
    return [json.loads(line) for line in path.read_text().splitlines()]


def reasons() -> list[str]:
    return [problem.reason for problem in audit.verify_log().problems]


@pytest.fixture
def chain(db: Any) -> list[AuditEntry]:
    return [audit.record("test.action", detail={"n": i}, object_repr=f"object {i}") for i in range(5)]


def test_new_entries_carry_a_keyed_mac_and_the_key_id(chain: list[AuditEntry]) -> None:
    key = audit.current_key()
    for entry in chain:
        assert (entry.mac_version, entry.key_id) == (audit.KEYED, key.key_id)
        assert entry.hash == audit.entry_mac(entry, key) != audit.legacy_digest(entry)


def test_intact_chain_and_checkpoints_verify(chain: list[AuditEntry], capsys: Any) -> None:
    audit.write_checkpoint(kind="periodic")
    audit.record("test.action", object_repr="after the first checkpoint")
    audit.write_checkpoint(kind="backup", note="nightly.tar.gz")
    audit.record("test.action", object_repr="after the last checkpoint")
    report = audit.verify_log()
    assert report.problems == [] and report.entries == 7 and len(report.checkpoints) == 2
    call_command("audit_verify")
    assert "audit chain intact: 7 entries; matches 2 checkpoint(s)" in capsys.readouterr().out


def test_edited_entry_with_hashes_recomputed_by_plain_sha256_is_reported(chain: list[AuditEntry]) -> None:
    rewrite_chain(plain_sha256, forge_id=chain[2].id)
    problems = audit.verify_chain()
    assert [p.entry_id for p in problems] == [entry.id for entry in chain]
    assert all("recomputed without the key" in p.reason for p in problems)
    with pytest.raises(CommandError, match="tampered"):
        call_command("audit_verify")


def test_a_chain_downgraded_to_plain_sha256_after_a_keyed_entry_is_reported(chain: list[AuditEntry]) -> None:
    key = audit.current_key()
    rewrite_chain(lambda entry, position: downgraded(entry, position) if position else audit.seal(entry, key))
    problems = audit.verify_chain()
    assert [p.entry_id for p in problems] == [entry.id for entry in chain[1:]]
    assert all("written without the audit key after keyed entries" in p.reason for p in problems)


def test_a_chain_downgraded_whole_is_caught_by_the_checkpoint(chain: list[AuditEntry]) -> None:
    audit.write_checkpoint(kind="periodic")
    rewrite_chain(downgraded, forge_id=chain[2].id)
    # Alone it reads like a log from before the audit key; the signed checkpoint tells.
    assert audit.verify_chain() == []
    assert reasons() == [
        f"does not match the periodic checkpoint of {checkpoint_lines()[0]['at']}: the chain was rewritten"
    ]


def test_edited_entry_re_signed_with_a_wrong_key_is_reported(chain: list[AuditEntry]) -> None:
    wrong = audit._audit_key(b"w" * 32)
    real_id = audit.current_key().key_id

    # Under the real key's id: the MACs do not match.
    def wrong_mac(entry: AuditEntry, position: int) -> None:
        audit.seal(entry, wrong)
        entry.key_id = real_id

    rewrite_chain(wrong_mac, forge_id=chain[2].id)
    assert [p.entry_id for p in audit.verify_chain()] == [entry.id for entry in chain]
    # Under its own id: a key the installation does not know.
    rewrite_chain(lambda entry, position: audit.seal(entry, wrong), forge_id=chain[2].id)
    problems = audit.verify_chain()
    assert len(problems) == 5 and all("unknown audit key" in p.reason for p in problems)


@pytest.mark.parametrize("head", ["deleted", "rewritten"])
def test_tail_cut_off_with_the_head_row_is_reported_against_the_checkpoint(
    chain: list[AuditEntry], head: str, capsys: Any
) -> None:
    audit.write_checkpoint(kind="periodic")
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {_quoted(AuditEntry)} WHERE id >= %s", [chain[3].id])
        if head == "deleted":
            cursor.execute(f"DELETE FROM {_quoted(AuditChainHead)}")
        else:
            cursor.execute(
                f"UPDATE {_quoted(AuditChainHead)} SET last_hash = %s, count = 3 WHERE id = 1", [chain[2].hash]
            )
    assert audit.verify_chain() == []  # the database alone no longer tells
    problems = audit.verify_log().problems
    assert [p.entry_id for p in problems] == [chain[4].id]
    assert "the newest entries were removed" in problems[0].reason
    with pytest.raises(CommandError, match="1 problem"):
        call_command("audit_verify")
    assert f"entry {chain[4].id}: missing" in capsys.readouterr().err


def test_a_chain_re_signed_with_the_key_is_still_caught_by_the_checkpoint(chain: list[AuditEntry]) -> None:
    audit.write_checkpoint(kind="periodic")
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {_quoted(AuditEntry)} WHERE id = %s", [chain[1].id])
        cursor.execute(f"UPDATE {_quoted(AuditChainHead)} SET count = 4 WHERE id = 1")
    # Relinked and re-signed with the key: someone who has the key but not the file.
    rewrite_chain(lambda entry, position: audit.seal(entry))
    assert audit.verify_chain() == []
    assert [p.entry_id for p in audit.verify_log().problems] == [chain[4].id]


def test_an_edited_checkpoint_line_is_reported(chain: list[AuditEntry]) -> None:
    audit.write_checkpoint(kind="periodic")
    audit.write_checkpoint(kind="periodic")
    path = Path(django_settings.NUANXIN_AUDIT_CHECKPOINT_FILE)
    lines = path.read_text().splitlines()
    edited = json.loads(lines[0])
    edited["count"] = 3
    path.write_text("\n".join([json.dumps(edited), lines[1], "not a checkpoint"]) + "\n")
    assert reasons() == [
        "checkpoint line 1 does not match its signature: the line was altered",
        "checkpoint line 3 is unreadable: the file was altered",
    ]
    with pytest.raises(CommandError):
        call_command("audit_verify")


def test_a_checkpoint_forged_with_another_key_is_reported(chain: list[AuditEntry]) -> None:
    forged = audit.Checkpoint(
        at="2030-01-01T00:00:00+00:00",
        kind="periodic",
        last_id=chain[1].id,
        last_mac=chain[1].hash,
        count=2,
        key_id="x",
    )
    line = {**forged.__dict__, "sig": forged.signature(audit._audit_key(b"f" * 32))}
    Path(django_settings.NUANXIN_AUDIT_CHECKPOINT_FILE).write_text(json.dumps(line) + "\n")
    assert len(reasons()) == 1 and "unknown audit key" in reasons()[0]


def test_a_checkpoint_line_is_signed_appended_and_logged(
    chain: list[AuditEntry], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="nuanxin.audit.checkpoint"):
        written = audit.write_checkpoint(kind="manual", note="by hand")
    audit.write_checkpoint(kind="periodic")
    first, second = checkpoint_lines()
    assert (first["last_id"], first["last_mac"], first["count"]) == (chain[-1].id, chain[-1].hash, 5)
    assert first["kind"] == "manual" and first["note"] == "by hand" and second["kind"] == "periodic"
    assert first["sig"] == written.signature(audit.current_key())
    assert f'"last_id": {chain[-1].id}' in caplog.text
    assert Path(django_settings.NUANXIN_AUDIT_CHECKPOINT_FILE).stat().st_mode & 0o777 == 0o600


def test_no_checkpoint_is_signed_for_a_head_that_names_no_entry(chain: list[AuditEntry]) -> None:
    AuditChainHead.objects.filter(pk=1).update(last_hash="f" * 64)
    with pytest.raises(audit.CheckpointError):
        audit.write_checkpoint(kind="periodic")
    assert not Path(django_settings.NUANXIN_AUDIT_CHECKPOINT_FILE).exists()


def test_the_hourly_job_writes_a_checkpoint(chain: list[AuditEntry], settings: Any) -> None:
    assert ("nuanxin.core.tasks.checkpoint_audit_chain", 3600) in settings.NUANXIN_PERIODIC_JOBS
    tasks.checkpoint_audit_chain.enqueue()  # the immediate backend runs it
    assert [(line["kind"], line["count"]) for line in checkpoint_lines()] == [("periodic", 5)]


def test_audit_verify_checkpoint_option_writes_one_after_checking(chain: list[AuditEntry], capsys: Any) -> None:
    call_command("audit_verify", checkpoint=True)
    assert "no checkpoint yet" in capsys.readouterr().out
    assert [line["kind"] for line in checkpoint_lines()] == ["manual"]


def test_a_rotated_key_keeps_old_entries_and_checkpoints_verifiable(db: Any, settings: Any) -> None:
    settings.NUANXIN_AUDIT_KEY = KEY_A
    old = [audit.record("test.action", object_repr=f"old {i}") for i in range(2)]
    audit.write_checkpoint(kind="periodic")
    settings.NUANXIN_AUDIT_KEY, settings.NUANXIN_AUDIT_OLD_KEYS = KEY_B, KEY_A
    new = [audit.record("test.action", object_repr=f"new {i}") for i in range(2)]
    audit.write_checkpoint(kind="periodic")
    assert old[0].key_id != new[0].key_id == audit.current_key().key_id
    assert audit.verify_log().problems == []
    # Forget the retired key and its entries and checkpoint no longer verify.
    settings.NUANXIN_AUDIT_OLD_KEYS = ""
    problems = audit.verify_log().problems
    assert [p.entry_id for p in problems if p.entry_id is not None] == [e.id for e in old]
    assert sum("checkpoint line 1 is signed with an unknown audit key" in p.reason for p in problems) == 1


def test_entries_from_before_the_key_verify_up_to_the_first_keyed_one(chain: list[AuditEntry]) -> None:
    # An installation upgraded (migration 0008) after three entries: they keep their SHA-256.
    rewrite_chain(lambda entry, position: downgraded(entry, position) if position < 3 else audit.seal(entry))
    assert [entry.mac_version for entry in AuditEntry.objects.order_by("id")] == [0, 0, 0, 1, 1]
    assert audit.verify_chain() == []

    # An old entry edited and the old hashes recomputed: the first keyed entry, whose MAC covers
    # the previous hash, cannot be re-signed without the key.
    def without_the_key(entry: AuditEntry, position: int) -> None:
        if position < 3:
            downgraded(entry, position)

    rewrite_chain(without_the_key, forge_id=chain[1].id)
    problems = audit.verify_chain()
    assert [p.entry_id for p in problems] == [chain[3].id]
    assert "recomputed without the key" in problems[0].reason


def test_a_malformed_audit_key_is_refused(db: Any, settings: Any) -> None:
    settings.NUANXIN_AUDIT_KEY = base64.urlsafe_b64encode(b"too short").decode()
    with pytest.raises(Exception, match="NUANXIN_AUDIT_KEY must be 32 bytes"):
        audit.record("test.action")
    assert AuditEntry.objects.count() == 0
