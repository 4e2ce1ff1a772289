"""`Idempotency-Key` for mobile POSTs (reference API-1): a retry on a weak network never acts twice.

Per owner (a user, an API key, an anonymous client id) and key:
- the first request claims the key by inserting a row, runs, and stores its 2xx answer;
- a replay with the same request gets the stored status and JSON body, and runs nothing;
- the same key with a different request is a 422;
- a failed request (4xx, 5xx, exception) frees the key, so the corrected retry runs;
- keys live 24 hours (`purge_expired` deletes older rows; an expired key can be claimed again).

One transaction. The claim, the endpoint's writes and the stored answer commit together, in
one database transaction around the whole request. So a crash (kill -9, a lost connection, a
worker timeout) at any moment leaves either nothing, and the retry does the work once, or the
work with its answer, and the retry replays it. The database rolls back a dead worker's
transaction as soon as its connection closes. A duplicate sent while the first still runs
waits on the unique (owner, key) index until the first commits (it then gets the replay) or
rolls back (it then claims the key and runs). PostgreSQL blocks on the index; SQLite runs one
writer at a time anyway (`transaction_mode` IMMEDIATE, so the duplicate queues at BEGIN).

There is no lease for these claims, so the gunicorn `--timeout` plays no part: an uncommitted
claim is invisible to everyone else. A claim row that is visible but not completed was
committed by a caller that ran outside one transaction (the version before this one did, and
a crash there wedged the key). Such a row answers 409 for `NUANXIN_IDEMPOTENCY_LEASE_SECONDS`
(default 300 s, the `--timeout` of `make run`: an older claim's request has ended one way or
another), and is then taken over, so the retry runs the work.

Endpoints use `@idempotent` under the router decorator:

    @router.post("/cases", response={201: CaseOut})
    @idempotent
    def report_case(request, payload: CaseIn) -> Status: ...

A form view that the phone's outbox replays (docs/offline.md) uses `@idempotent_form`: its
redirect after a success is answered, stored and replayed as JSON `{"location": ...}`.

Other callers (an Open311 endpoint keyed by api_key) use `begin` / `finish` directly, all
inside one `transaction.atomic()` with the work (`begin` refuses to run outside).
"""

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps
from typing import Any, TypeVar

from django.conf import settings
from django.db import connection, transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.decorators import decorate_view
from ninja.utils import contribute_operation_callback

from nuanxin.core.errors import DomainError
from nuanxin.core.inserts import insert_sql, inserted
from nuanxin.core.models import IdempotencyRecord

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
LIFETIME = timedelta(hours=24)
_KEY = re.compile(r"^[A-Za-z0-9_-]{8,128}$")
_CLAIM = "_nuanxin_idempotency_claim"
# A form's CSRF token is not part of what it asks for: the outbox sends the current page's token,
# which differs from the one the form was first sent with.
_NOT_HASHED = {"csrfmiddlewaretoken"}

View = TypeVar("View", bound=Callable[..., Any])


class IdempotencyError(DomainError):
    """A refused key; `status` is the HTTP status to answer (400 bad key, 409 in flight, 422 reused)."""

    def __init__(self, message: str, *, status: int, code: str) -> None:
        super().__init__(message, field=HEADER, code=code)
        self.status = status


@dataclass(frozen=True)
class Replay:
    """The stored answer of the request that first used the key."""

    status: int
    body: Any


def check_key(key: str) -> str:
    if not _KEY.match(key):
        raise IdempotencyError(
            _("The Idempotency-Key header must be 8 to 128 letters, digits, '-' or '_' (a UUID fits)."),
            status=400,
            code="invalid",
        )
    return key


def lease() -> timedelta:
    """How long a committed, unfinished claim answers 409 before it is taken over (see above)."""
    return timedelta(seconds=settings.NUANXIN_IDEMPOTENCY_LEASE_SECONDS)


def begin(*, owner: str, key: str, request_hash: str, now: datetime | None = None) -> IdempotencyRecord | Replay:
    """Claim `key` for `owner`, or find the first request's answer.

    Call it inside the `transaction.atomic()` that does the work, and call `finish` (or
    `release`) in that same transaction: the claim then commits together with the work and its
    answer, or not at all. Returns the new claim (run the request, then call `finish`), or a
    Replay to send back unchanged. A duplicate running at the same moment waits here until the
    first transaction ends. Raises IdempotencyError: 400 for a malformed key, 422 when the key
    was used for a different request, 409 for an unfinished claim committed less than the lease
    ago by a caller that ran outside one transaction. Raises RuntimeError outside a transaction.
    """
    check_key(key)
    if not connection.in_atomic_block:
        raise RuntimeError("idempotency.begin() must run inside the transaction.atomic() that does the work")
    now = now or timezone.now()
    # Two rounds: the row found on conflict may expire, be taken over or be released before we read it.
    for _round in range(2):
        claim = _claim(IdempotencyRecord(owner=owner, key=key, request_hash=request_hash, created_at=now))
        if claim is not None:
            return claim
        existing = IdempotencyRecord.objects.filter(owner=owner, key=key).first()
        if existing is None:
            continue
        stale = existing.created_at <= now - (lease() if not existing.completed else LIFETIME)
        if stale:
            IdempotencyRecord.objects.filter(pk=existing.pk, created_at=existing.created_at).delete()
            continue
        if existing.request_hash != request_hash:
            raise IdempotencyError(
                _("This Idempotency-Key was already used for a different request; send a new key."),
                status=422,
                code="idempotency_key_reused",
            )
        if not existing.completed:
            break
        return Replay(status=existing.status or 200, body=existing.body)
    raise IdempotencyError(
        _("A request with this Idempotency-Key is still being processed; retry in a moment."),
        status=409,
        code="idempotency_key_in_flight",
    )


def _claim(record: IdempotencyRecord) -> IdempotencyRecord | None:
    """The claim inserted, or None when (owner, key) is taken: one statement that skips the
    conflict, instead of an INSERT in a savepoint that catches it (three statements on every
    request with a key)."""
    sql, params = insert_sql(record, skip_conflict=True)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    inserted(record, row[0])
    return record


def finish(record: IdempotencyRecord, *, status: int, body: Any) -> None:
    """Store a 2xx answer for replay; any other status frees the key so a corrected retry runs.

    Call it in the transaction `begin` ran in: the answer commits with the work."""
    if 200 <= status < 300:
        IdempotencyRecord.objects.filter(pk=record.pk).update(completed=True, status=status, body=body)
    else:
        release(record)


def release(record: IdempotencyRecord) -> None:
    IdempotencyRecord.objects.filter(pk=record.pk).delete()


def purge_expired(now: datetime | None = None) -> int:
    """Delete records older than 24 hours; returns how many. Run it daily."""
    cutoff = (now or timezone.now()) - LIFETIME
    deleted, _by_model = IdempotencyRecord.objects.filter(created_at__lte=cutoff).delete()
    return deleted


def request_hash(request: HttpRequest) -> str:
    """A digest of what the request asks for: method, path with query, and body.

    Multipart bodies were already parsed (and cannot be re-read), so their fields and files are
    hashed instead: every field value but the CSRF token, and every file's field, name and content.
    """
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.get_full_path()}\n".encode())
    if request.content_type == "multipart/form-data":
        for field, values in sorted(request.POST.lists()):
            if field in _NOT_HASHED:
                continue
            digest.update(json.dumps([field, values], ensure_ascii=False).encode())
        for field, files in sorted(request.FILES.lists()):
            for upload in files:
                digest.update(json.dumps([field, upload.name, upload.size]).encode())
                for chunk in upload.chunks():
                    digest.update(chunk)
                upload.seek(0)
    else:
        digest.update(request.body)
    return digest.hexdigest()


def owner_of_user(request: HttpRequest) -> str | None:
    """The default owner: the signed-in user (by session or bearer token), else none."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return None


def _error_response(error: IdempotencyError) -> JsonResponse:
    return JsonResponse(error.as_dict(), status=error.status)


def replay_response(replay: Replay) -> HttpResponse:
    response: HttpResponse
    if replay.body is None:
        response = HttpResponse(status=replay.status)
    else:
        response = JsonResponse(replay.body, status=replay.status, safe=False)
    response[REPLAYED_HEADER] = "true"
    return response


def _complete_after_run(run: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Wraps the whole ninja operation: with a key, the claim (made by `_claiming`), the
    endpoint's writes and the exact JSON sent commit in one transaction. An exception rolls all
    of it back."""

    @wraps(run)
    def completing(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if HEADER not in request.headers:
            return run(request, *args, **kwargs)
        with transaction.atomic():
            response = run(request, *args, **kwargs)
            _settle(request, response)
        return response

    return completing


def _settle(request: HttpRequest, response: HttpResponseBase) -> None:
    """Store the answer of a claimed request, or free the key; runs inside the transaction."""
    record: IdempotencyRecord | None = getattr(request, _CLAIM, None)
    if record is None:
        return
    delattr(request, _CLAIM)
    if connection.needs_rollback:
        return  # a database error inside: the whole transaction, claim included, rolls back
    if response.status_code >= 500:
        transaction.set_rollback(True)  # a 5xx leaves nothing behind, like an exception
        return
    if not isinstance(response, HttpResponse):
        release(record)  # a streamed answer: nothing storable
        return
    try:
        body = json.loads(response.content) if response.content else None
    except ValueError:
        release(record)  # not JSON: these endpoints always answer JSON, so never replay a guess
        return
    # A 4xx frees the key and keeps what the endpoint recorded on the way (a denial's audit entry).
    finish(record, status=response.status_code, body=body)


def _claiming(func: Callable[..., Any], owner: Callable[[HttpRequest], str | None]) -> Callable[..., Any]:
    """Wraps the endpoint function, which ninja calls after authentication and validation."""

    @wraps(func)
    def claiming(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        key = request.headers.get(HEADER)
        who = owner(request) if key is not None else None
        if key is None or who is None:
            return func(request, *args, **kwargs)
        try:
            outcome = begin(owner=who, key=key, request_hash=request_hash(request))
        except IdempotencyError as error:
            return _error_response(error)
        if isinstance(outcome, Replay):
            return replay_response(outcome)
        setattr(request, _CLAIM, outcome)
        return func(request, *args, **kwargs)

    return claiming


def idempotent(view: View | None = None, *, owner: Callable[[HttpRequest], str | None] = owner_of_user) -> Any:
    """Make a django-ninja endpoint honour `Idempotency-Key`; place it under `@router.post(...)`.

    Without the header, or when `owner(request)` names no one, the endpoint runs as usual. With
    it, the whole operation runs in one transaction (see the module docstring). The key is
    claimed after authentication and validation, so a 401 or a 422 on the payload claims
    nothing. Answers: the endpoint's own; a replay (header `Idempotent-Replayed: true`); or a JSON
    error naming the header: 400 malformed key, 422 key reused for another request, 409 for an
    unfinished claim left by a caller outside one transaction, until its lease ends.
    The endpoint function itself is returned unchanged (ninja reads its signature as written).
    """

    def decorate(func: View) -> View:
        if hasattr(func, "_ninja_operation"):
            raise TypeError("place @idempotent under @router.post(...), not above it")

        def install(operation: Any) -> None:
            operation.view_func = _claiming(operation.view_func, owner)

        contribute_operation_callback(func, install)
        return decorate_view(_complete_after_run)(func)

    return decorate(view) if view is not None else decorate


def idempotent_form(view: View) -> View:
    """Make a form view (Post/Redirect/Get) honour `Idempotency-Key` for a signed-in user; the
    phone's outbox sends each kept form once this way (docs/offline.md).

    Without the header, or for another method, the view runs as usual; with it and nobody
    signed in (the session ended), the answer is 401 naming the header and nothing runs. With it
    for a signed-in person, the claim, the view's writes and the answer commit in one transaction:
    - a success (the view redirects) is answered `200 {"location": <where it redirects>}`,
      stored and replayed like the API's answers (a replay runs nothing);
    - a refusal (the view answers its page with a 4xx, or a 404 for a denial, whose audit entry
      is kept) frees the key, so the page with its reason reaches the sender;
    - a 5xx or an exception rolls everything back.
    The same key with a different form is a 422 naming the header.
    """

    @wraps(view)
    def honouring(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        key = request.headers.get(HEADER)
        if key is None or request.method != "POST":
            return view(request, *args, **kwargs)
        who = owner_of_user(request)
        if who is None:
            # Kept forms come from a signed-in person's outbox: one whose session ended is not
            # sent as a visitor's (a report would be filed anew, anonymously, at every try).
            return _error_response(
                IdempotencyError(_("Sign in again to send what the phone kept."), status=401, code="signed_out")
            )
        denial: Http404  # raised once the transaction has kept the denial's audit entry
        with transaction.atomic():
            try:
                outcome = begin(owner=who, key=key, request_hash=request_hash(request))
            except IdempotencyError as error:
                return _error_response(error)
            if isinstance(outcome, Replay):
                return replay_response(outcome)
            try:
                response = view(request, *args, **kwargs)
            except Http404 as error:
                release(outcome)
                denial = error
            else:
                return _settle_form(outcome, response)
        raise denial

    return honouring  # type: ignore[return-value]


def _settle_form(record: IdempotencyRecord, response: HttpResponseBase) -> HttpResponseBase:
    """A form view's answer under a claim, inside its transaction (see `idempotent_form`)."""
    if response.status_code >= 500:
        transaction.set_rollback(True)
        return response
    if not 300 <= response.status_code < 400:
        release(record)  # the page itself: a refusal, shown with its reason
        return response
    body = {"location": response["Location"]}
    finish(record, status=200, body=body)
    return JsonResponse(body)
