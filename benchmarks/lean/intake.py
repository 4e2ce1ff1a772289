"""The lean twin of intake (POST /api/v1/cases): the statements nuanxin ran for a report,
replayed in one transaction, with what must be new for each report made new.

benchmarks/serving.py captures, for each report body the benchmark sends, the statements
nuanxin ran (its idempotency claim, the searches, the case, its event and follower rows, the
day's counter, an emergency's notices, the audit entry and its chain head, the stored answer:
savepoints included), which columns each INSERT or UPDATE parameter fills, and nuanxin's
answer. A report here replays them in order, in one transaction, and gives the columns that
name this report a value of its own (FRESH): the moment, the Idempotency-Key, a placeholder
number `pending-<16 hex>` that becomes the number the day's counter upsert gives (its count,
or on PostgreSQL the number itself, the case numbered in the same statement), the ids
that INSERT … RETURNING gave (the case's, the claim's), a request id, and the audit chain's
link: the previous head as the locked SELECT read it, and a new hash. The hash is random, of
the MAC's shape: the twin does not verify the chain, and its entries do not verify either
(`manage.py audit_verify` on a measured database names them). Everything else, the deadline
and the stored answers to the class's questions among it, is nuanxin's value at capture.

The answer is nuanxin's captured answer with this report's id, number and time: the same
keys and layout, 201. It does not run nuanxin's code: no routing, no deadline, no MAC, no
similar-case offers (a reporter's own reports are never offered, and the benchmark's reports
are all one rider's), no queued notification tasks.
"""

import json
import secrets
import uuid
from collections.abc import Callable
from datetime import date, datetime
from functools import partial
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from psycopg.types.json import Jsonb

from lean.views import captured, user_id

_dumps = partial(json.dumps, cls=DjangoJSONEncoder)


class Report:
    """What one replayed report makes new, filled in as its statements run."""

    def __init__(self, key: str, answer: dict[str, Any]) -> None:
        self.now: datetime = timezone.now()
        self.day: date = timezone.localdate(self.now)
        self.key = key
        self.captured = answer  # nuanxin's answer at capture: its id and number are replaced
        self.number = f"pending-{secrets.token_hex(8)}"
        self.request_id = uuid.uuid4().hex
        self.hash = secrets.token_hex(32)
        self.prev_hash = ""
        self.count = 0
        self.ids: dict[str, int] = {}  # table -> the id its INSERT … RETURNING gave

    def read(
        self, table: str | None, targets: list[tuple[str, str]], labels: dict[str, int], rows: list[tuple]
    ) -> None:
        """What a statement's rows tell the statements after it."""
        if "core_auditchainhead.last_hash" in labels:  # the head, read under its lock
            (head,) = rows
            self.prev_hash = head[labels["core_auditchainhead.last_hash"]]
            self.count = head[labels["core_auditchainhead.count"]]
        elif ("cases_casecounter", "day") in targets:
            # The day's count (day, last), or on PostgreSQL the number the same statement gave.
            ((*_day, given),) = rows
            self.number = given if isinstance(given, str) else f"{self.day:%Y%m%d}-{given:04d}"
        elif table is not None and rows:
            self.ids[table] = rows[0][0]

    def retold(self, text: str) -> str:
        """A text that names the captured case (a notice's title, body, link) naming this one."""
        return text.replace(self.captured["number"], self.number).replace(
            f"/{self.captured['id']}/", f"/{self.ids['cases_case']}/"
        )

    def answer(self) -> dict[str, Any]:
        return self.captured | {"id": self.ids["cases_case"], "number": self.number, "reported_at": self.now}


_Fresh = Callable[[Report, Any], Any]


def _now(report: Report, _captured: Any) -> Any:
    return report.now


def _case(report: Report, _captured: Any) -> Any:
    return report.ids["cases_case"]


# (table, column) -> the value of this report, from the report and the captured value.
FRESH: dict[tuple[str, str], _Fresh] = {
    ("core_idempotencyrecord", "key"): lambda r, _v: r.key,
    ("core_idempotencyrecord", "created_at"): _now,
    # The stored answer: none yet when the key is claimed, the answer when the claim completes.
    ("core_idempotencyrecord", "body"): lambda r, v: None if v is None else Jsonb(r.answer(), dumps=_dumps),
    ("core_idempotencyrecord", "id"): lambda r, _v: r.ids["core_idempotencyrecord"],
    ("cases_case", "number"): lambda r, _v: r.number,
    ("cases_case", "reported_at"): _now,
    ("cases_case", "id"): _case,
    ("cases_caseevent", "case_id"): _case,
    ("cases_caseevent", "at"): _now,
    ("cases_casefollower", "case_id"): _case,
    ("cases_casefollower", "since"): _now,
    ("cases_casecounter", "day"): lambda r, _v: r.day,
    # An emergency's notices, one row per recipient (a bulk INSERT of arrays).
    ("core_notification", "title"): lambda r, v: [r.retold(text) for text in v],
    ("core_notification", "body"): lambda r, v: [r.retold(text) for text in v],
    ("core_notification", "url"): lambda r, v: [r.retold(text) for text in v],
    ("core_notification", "created_at"): lambda r, v: [r.now] * len(v),
    ("core_auditentry", "at"): _now,
    ("core_auditentry", "object_id"): lambda r, _v: str(r.ids["cases_case"]),
    ("core_auditentry", "object_repr"): lambda r, _v: r.number,
    ("core_auditentry", "request_id"): lambda r, _v: r.request_id,
    ("core_auditentry", "prev_hash"): lambda r, _v: r.prev_hash,
    ("core_auditentry", "hash"): lambda r, _v: r.hash,
    ("core_auditchainhead", "last_hash"): lambda r, _v: r.hash,
    ("core_auditchainhead", "count"): lambda r, _v: r.count + 1,
}


def report(request: HttpRequest) -> HttpResponse:
    """A report: the token, then the captured statements of this body, fresh, in one transaction."""
    user = user_id(request)
    if user is None:
        return HttpResponse(status=401)
    plan = captured().get(request.body.decode())
    key = request.headers.get("Idempotency-Key", "")
    if plan is None or not key:
        return HttpResponse(status=404 if plan is None else 400)
    filed = Report(key, plan["answer"])
    with transaction.atomic(), connection.cursor() as cursor:
        for (sql, params), (table, targets), labels in zip(
            plan["statements"], plan["targets"], plan["columns"], strict=True
        ):
            if targets:
                fresh = [FRESH.get(target) for target in targets]
                params = [
                    value if make is None else make(filed, value) for make, value in zip(fresh, params, strict=True)
                ]
            cursor.execute(sql, params)
            filed.read(table, targets, labels, cursor.fetchall() if cursor.description is not None else [])
    return HttpResponse(_dumps(filed.answer()), status=201, content_type="application/json; charset=utf-8")
