"""Idempotency-Key on POSTs: one side effect per key, replayed answers, conflicts, expiry."""

import json
import threading
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.http import HttpRequest
from django.test import Client
from django.urls import path
from django.utils import timezone
from ninja import File, Form, NinjaAPI, Router, Schema, Status, UploadedFile
from ninja.security import SessionAuth

from nuanxin.core import audit
from nuanxin.core.errors import DomainError
from nuanxin.core.idempotency import (
    IdempotencyError,
    Replay,
    begin,
    finish,
    idempotent,
    purge_expired,
    request_hash,
)
from nuanxin.core.models import AuditEntry, IdempotencyRecord

# A throwaway API: each call appends to EFFECTS, standing in for "a case was created", and
# writes an audit entry (action NOTE), standing in for the case's rows in the database.
EFFECTS: list[str] = []
NOTE = "test.idempotent_note"
GATE = threading.Event()
router = Router()


class WorkerDied(BaseException):
    """Stands in for SIGKILL: not an Exception, so no handler answers it; it just ends the request."""


class NoteIn(Schema):
    text: str
    fail: str = ""


@router.post("/notes", response={201: dict})
@idempotent
def create_note(request: HttpRequest, payload: NoteIn) -> Status:
    if payload.fail == "refuse":
        raise DomainError("refused", field="text")
    if payload.fail == "crash":
        raise RuntimeError("boom")
    if payload.fail == "refuse-after-write":  # say a denial recorded on the way
        audit.record(NOTE, object_repr=f"refused: {payload.text}")
        raise DomainError("refused", field="text")
    if payload.fail == "wait":  # hold the transaction open until the test lets it finish
        audit.record(NOTE, object_repr=payload.text)
        assert GATE.wait(timeout=20)
        EFFECTS.append(payload.text)
        return Status(201, {"number": len(EFFECTS), "text": payload.text})
    if payload.fail in ("crash-after-write", "die"):
        audit.record(NOTE, object_repr=payload.text)
        raise (WorkerDied if payload.fail == "die" else RuntimeError)("boom")
    EFFECTS.append(payload.text)
    entry = audit.record(NOTE, object_repr=payload.text)
    return Status(201, {"number": len(EFFECTS), "text": payload.text, "id": entry.pk})


@router.post("/uploads", response={201: dict})
@idempotent
def upload_note(request: HttpRequest, text: Form[str], photo: File[UploadedFile]) -> Status:
    EFFECTS.append(text)
    return Status(201, {"number": len(EFFECTS), "content": photo.read().decode()})


@router.post("/open", response={201: dict}, auth=None)
@idempotent(owner=lambda request: request.headers.get("X-Client-Id"))
def open_note(request: HttpRequest, payload: NoteIn) -> Status:
    EFFECTS.append(payload.text)
    return Status(201, {"number": len(EFFECTS)})


test_api = NinjaAPI(urls_namespace="idempotency_test", auth=[SessionAuth()])
test_api.add_router("/", router)


@test_api.exception_handler(DomainError)
def _domain_error(request, exc):
    return test_api.create_response(request, exc.as_dict(), status=400)


urlpatterns = [path("t/", test_api.urls)]
pytestmark = pytest.mark.urls(__name__)

KEY = "5f0c8a9e-2d7b-4c1e-9a3f-6b2d8e4f1a70"


@pytest.fixture(autouse=True)
def _no_effects():
    EFFECTS.clear()
    GATE.clear()


def notes() -> list[str]:
    return list(AuditEntry.objects.filter(action=NOTE).order_by("id").values_list("object_repr", flat=True))


def post(client, body, key=KEY, url="/t/notes", **headers):
    if key is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return client.post(url, data=json.dumps(body), content_type="application/json", **headers)


def test_same_key_twice_acts_once_and_replays_the_same_answer(client_for):
    client = client_for("rider")
    first = post(client, {"text": "stove left on"})
    second = post(client, {"text": "stove left on"})
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json() == {"number": 1, "text": "stove left on", "id": first.json()["id"]}
    assert EFFECTS == ["stove left on"]
    assert second["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert IdempotencyRecord.objects.get().completed


def test_without_the_header_every_post_runs(client_for):
    client = client_for("rider")
    post(client, {"text": "a"}, key=None)
    post(client, {"text": "a"}, key=None)
    assert EFFECTS == ["a", "a"] and not IdempotencyRecord.objects.exists()


def test_same_key_with_a_different_body_is_a_422_naming_the_header(client_for):
    client = client_for("rider")
    post(client, {"text": "stove left on"})
    response = post(client, {"text": "rubbish"})
    assert response.status_code == 422
    assert response.json()["field"] == "Idempotency-Key" and response.json()["code"] == "idempotency_key_reused"
    assert EFFECTS == ["stove left on"]


def test_same_key_on_another_url_is_a_422(client_for):
    client = client_for("rider")
    post(client, {"text": "a"})
    assert post(client, {"text": "a"}, url="/t/notes?x=1").status_code == 422
    assert EFFECTS == ["a"]


@pytest.mark.parametrize("key", ["", "short", "x" * 129, "bad key!", "../../etc", "键键键键键键键键"])
def test_a_malformed_key_is_a_400_naming_the_header_and_runs_nothing(client_for, key):
    response = post(client_for("rider"), {"text": "a"}, key=key)
    assert response.status_code == 400 and response.json()["field"] == "Idempotency-Key"
    assert EFFECTS == [] and not IdempotencyRecord.objects.exists()


def test_a_refused_request_is_not_stored_so_the_corrected_retry_runs(client_for):
    client = client_for("rider")
    refused = post(client, {"text": "a", "fail": "refuse"})
    assert refused.status_code == 400 and not IdempotencyRecord.objects.exists()
    # The client fixes its request but keeps the key, as retry libraries do.
    fixed = post(client, {"text": "a"})
    assert fixed.status_code == 201 and EFFECTS == ["a"]


def test_a_crashed_request_frees_the_key(client_for):
    client = client_for("rider")
    with pytest.raises(RuntimeError):
        post(client, {"text": "a", "fail": "crash"})
    assert not IdempotencyRecord.objects.exists()
    assert post(client, {"text": "a"}).status_code == 201


def test_a_payload_validation_error_claims_nothing(client_for):
    client = client_for("rider")
    assert post(client, {"wrong": "shape"}).status_code == 422
    assert not IdempotencyRecord.objects.exists()


def test_unauthenticated_request_claims_nothing(world, client):
    assert post(client, {"text": "a"}).status_code == 401
    assert not IdempotencyRecord.objects.exists() and EFFECTS == []


def test_another_user_with_the_same_key_is_independent(client_for):
    post(client_for("rider"), {"text": "from rider"})
    response = post(client_for("resident"), {"text": "from resident"})
    assert response.status_code == 201 and response.json()["text"] == "from resident"
    assert EFFECTS == ["from rider", "from resident"]


def test_an_unfinished_claim_committed_outside_one_transaction_is_a_409_within_the_lease(client_for, world, rf):
    # Only a caller running outside one transaction (the previous version did) leaves such a row.
    same_request = rf.post("/t/notes", data=json.dumps({"text": "a"}), content_type="application/json")
    begin(owner=f"user:{world.users['rider'].pk}", key=KEY, request_hash=request_hash(same_request))
    response = post(client_for("rider"), {"text": "a"})
    assert response.status_code == 409 and response.json()["code"] == "idempotency_key_in_flight"
    assert response.json()["field"] == "Idempotency-Key" and EFFECTS == []


def test_an_unfinished_claim_older_than_the_lease_is_taken_over_and_the_retry_runs(client_for, world, rf, settings):
    settings.NUANXIN_IDEMPOTENCY_LEASE_SECONDS = 30
    same_request = rf.post("/t/notes", data=json.dumps({"text": "a"}), content_type="application/json")
    owner = f"user:{world.users['rider'].pk}"
    begin(owner=owner, key=KEY, request_hash=request_hash(same_request), now=timezone.now() - timedelta(seconds=31))
    response = post(client_for("rider"), {"text": "a"})
    assert response.status_code == 201 and EFFECTS == ["a"]
    assert IdempotencyRecord.objects.get(owner=owner, key=KEY).completed


def test_a_claim_whose_transaction_died_leaves_no_409_for_the_retry(client_for):
    # The worker dies after claiming the key and doing the work, before the answer is stored:
    # the claim and the work were in one transaction, and the database rolls it all back.
    client = client_for("rider")
    with pytest.raises(WorkerDied):
        post(client, {"text": "a", "fail": "die"})
    assert not IdempotencyRecord.objects.exists() and notes() == []
    retry = post(client, {"text": "a"})
    assert retry.status_code == 201 and "Idempotent-Replayed" not in retry
    assert notes() == ["a"]


def test_the_claim_the_work_and_the_answer_commit_together(client_for):
    client = client_for("rider")
    post(client, {"text": "a"})
    record = IdempotencyRecord.objects.get()
    assert record.completed and record.body["id"] == AuditEntry.objects.get(action=NOTE).pk


def test_a_5xx_answer_rolls_back_the_work_and_frees_the_key(client_for, settings):
    settings.DEBUG = True  # ninja then answers an unexpected exception with a 500 instead of raising
    client = client_for("rider")
    assert post(client, {"text": "a", "fail": "crash-after-write"}).status_code == 500
    assert notes() == [] and not IdempotencyRecord.objects.exists()


def test_a_refused_request_keeps_what_it_recorded_and_frees_the_key(client_for):
    client = client_for("rider")
    assert post(client, {"text": "a", "fail": "refuse-after-write"}).status_code == 400
    assert notes() == ["refused: a"]
    assert not IdempotencyRecord.objects.exists()


def test_begin_refuses_to_run_outside_a_transaction(transactional_db):
    with pytest.raises(RuntimeError):
        begin(owner="user:1", key=KEY, request_hash="h1")
    assert not IdempotencyRecord.objects.exists()


def test_an_anonymous_client_id_is_its_own_owner(db):
    first = post(Client(), {"text": "a"}, url="/t/open", HTTP_X_CLIENT_ID="device-1")
    again = post(Client(), {"text": "a"}, url="/t/open", HTTP_X_CLIENT_ID="device-1")
    other = post(Client(), {"text": "a"}, url="/t/open", HTTP_X_CLIENT_ID="device-2")
    assert first.json() == again.json() == {"number": 1} and other.json() == {"number": 2}
    assert EFFECTS == ["a", "a"]


def test_multipart_uploads_are_fingerprinted_by_their_files(client_for):
    client = client_for("rider")

    def send(content):
        photo = SimpleUploadedFile("p.jpg", content, content_type="image/jpeg")
        return client.post("/t/uploads", {"text": "t", "photo": photo}, HTTP_IDEMPOTENCY_KEY=KEY)

    first = send(b"one")
    assert first.status_code == 201 and first.json()["content"] == "one"  # still readable after hashing
    again = send(b"one")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert send(b"two").status_code == 422
    assert EFFECTS == ["t"]


def test_begin_replays_a_completed_record_and_refuses_a_reused_key(db):
    record = begin(owner="user:1", key=KEY, request_hash="h1")
    finish(record, status=201, body={"id": 7})
    assert begin(owner="user:1", key=KEY, request_hash="h1") == Replay(status=201, body={"id": 7})
    with pytest.raises(IdempotencyError) as refused:
        begin(owner="user:1", key=KEY, request_hash="h2")
    assert refused.value.status == 422


def test_a_claim_is_one_statement_and_a_taken_key_leaves_the_transaction_usable(db, django_assert_num_queries):
    # The claim skips a taken key in the INSERT itself: no savepoint around it, and the
    # transaction goes on (to read the first request's answer) after the conflict.
    with django_assert_num_queries(1):
        record = begin(owner="user:1", key=KEY, request_hash="h1")
    assert IdempotencyRecord.objects.get(pk=record.pk).request_hash == "h1" and not record._state.adding
    finish(record, status=201, body={"id": 7})
    with django_assert_num_queries(2):  # the skipped claim, the first request's record
        assert begin(owner="user:1", key=KEY, request_hash="h1") == Replay(status=201, body={"id": 7})
    assert IdempotencyRecord.objects.filter(owner="user:1", key=KEY).count() == 1


def test_an_expired_key_can_be_claimed_again(db):
    record = begin(owner="user:1", key=KEY, request_hash="h1")
    finish(record, status=201, body={"id": 7})
    later = timezone.now() + timedelta(hours=24, seconds=1)
    fresh = begin(owner="user:1", key=KEY, request_hash="h2", now=later)
    assert isinstance(fresh, IdempotencyRecord) and fresh.pk != record.pk


def test_purge_removes_only_records_older_than_24_hours(db):
    now = timezone.now()
    old = begin(owner="user:1", key="old-key-1", request_hash="h", now=now - timedelta(hours=25))
    young = begin(owner="user:1", key="young-key", request_hash="h", now=now - timedelta(hours=23))
    assert purge_expired(now=now) == 1
    assert list(IdempotencyRecord.objects.values_list("pk", flat=True)) == [young.pk]
    assert not IdempotencyRecord.objects.filter(pk=old.pk).exists()


def test_idempotent_must_sit_under_the_router_decorator():
    other = Router()

    @other.post("/x")
    def endpoint(request):
        return {}

    with pytest.raises(TypeError):
        idempotent(endpoint)


def _waiting_on_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="real concurrency needs a database server")
@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicates_run_once_and_the_second_gets_the_replay(client_for):
    answers: list = []

    def send() -> None:
        try:
            answers.append(post(client_for("rider"), {"text": "a", "fail": "wait"}))
        finally:
            connections.close_all()

    first = threading.Thread(target=send)
    first.start()
    # The first request holds its transaction open (claim and work written, answer not yet).
    assert _poll(lambda: notes_in_flight() == 1)
    second = threading.Thread(target=send)
    second.start()
    # The duplicate blocks on the unique (owner, key) index instead of answering 409.
    assert _poll(lambda: _waiting_on_a_lock() == 1)
    GATE.set()
    first.join(timeout=20)
    second.join(timeout=20)
    assert sorted(a.status_code for a in answers) == [201, 201]
    assert [a.has_header("Idempotent-Replayed") for a in answers] == [False, True]
    assert answers[0].json() == answers[1].json() and EFFECTS == ["a"]
    assert notes() == ["a"] and IdempotencyRecord.objects.get().completed


def notes_in_flight() -> int:
    """Backends inside an open transaction other than this one (the request waiting at GATE)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND state = 'idle in transaction' AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def _poll(condition, timeout: float = 10.0) -> bool:
    """Ask `condition` until it holds or `timeout` passes; each wait is short, never a fixed sleep."""
    deadline = threading.Event()
    timer = threading.Timer(timeout, deadline.set)
    timer.start()
    try:
        while not deadline.is_set():
            if condition():
                return True
            deadline.wait(0.02)
        return condition()
    finally:
        timer.cancel()
