import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from nuanxin.core import audit
from nuanxin.core.models import AuditChainHead, AuditEntry


def _table() -> str:
    return connection.ops.quote_name(AuditEntry._meta.db_table)


@pytest.fixture
def chain(db):
    return [audit.record("test.action", detail={"n": i}, object_repr=f"object {i}") for i in range(5)]


def test_intact_chain_verifies(chain):
    assert audit.verify_chain() == []
    call_command("audit_verify")


def test_each_entry_is_stored_as_recorded_and_the_head_follows_the_last(chain):
    # On PostgreSQL an append is one statement (the entry and the head together); the entry
    # returned is the stored row, id and all, on both databases.
    stored = {entry.pk: entry for entry in AuditEntry.objects.order_by("pk")}
    assert list(stored) == [entry.pk for entry in chain]
    for recorded in chain:
        row = stored[recorded.pk]
        assert (row.hash, row.prev_hash, row.at, row.detail, row.object_repr) == (
            recorded.hash, recorded.prev_hash, recorded.at, recorded.detail, recorded.object_repr
        )  # fmt: skip
        assert not recorded._state.adding
    assert [entry.prev_hash for entry in chain[1:]] == [entry.hash for entry in chain[:-1]]
    head = AuditChainHead.objects.get()
    assert (head.last_hash, head.count) == (chain[-1].hash, len(chain))


def test_edited_entry_is_detected(chain):
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {_table()} SET object_repr = %s WHERE id = %s", ["forged", chain[2].id])
    problems = audit.verify_chain()
    assert [p.entry_id for p in problems] == [chain[2].id]
    with pytest.raises(CommandError):
        call_command("audit_verify")


def test_removed_entry_is_detected(chain):
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {_table()} WHERE id = %s", [chain[1].id])
    problems = audit.verify_chain()
    assert [p.entry_id for p in problems if p.entry_id is not None] == [chain[2].id]
    assert any(p.entry_id is None for p in problems)  # the head's count no longer matches


def test_removed_newest_entry_is_detected(chain):
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {_table()} WHERE id = %s", [chain[-1].id])
    problems = audit.verify_chain()
    assert len(problems) == 1 and problems[0].entry_id is None


def test_orm_cannot_change_or_delete_entries(chain):
    entry = chain[0]
    entry.object_repr = "changed"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).update(result="failed")
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.count() == 5


def test_entry_carries_request_context(client_for, world):
    client = client_for("auditor")
    response = client.get("/audit/", HTTP_X_REQUEST_ID="req-abcdef-123456", REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 200
    denied = client_for("rider").get("/audit/", HTTP_X_REQUEST_ID="req-denied-000001", REMOTE_ADDR="10.9.9.9")
    assert denied.status_code == 404
    entry = AuditEntry.objects.get(request_id="req-denied-000001")
    assert (entry.action, entry.result, entry.ip, entry.actor_name) == ("access.denied", "denied", "10.9.9.9", "rider")
    assert entry.role == "mobile_reporter"
    assert entry.at.tzinfo is not None


def test_the_system_actor_is_recorded_as_such_and_never_as_the_request_user(rf, world):
    from nuanxin.core.middleware import RequestContext, _current

    request = rf.get("/")
    request.user = world.users["community_admin"]
    token = _current.set(RequestContext(request_id="req-system-0001", ip="10.0.0.9", request=request))
    try:
        as_user = audit.record("test.user")
        as_system = audit.record("test.system", actor=audit.SYSTEM)
    finally:
        _current.reset(token)
    assert as_user.actor_id == world.users["community_admin"].pk
    assert (as_system.actor_id, as_system.actor_name, as_system.role) == (None, "", "system")
