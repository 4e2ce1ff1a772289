"""Intake holds its two shared rows as briefly as it can (docs/decisions/0003-case-numbers-taken-last.md).

Every report locks the day's case counter and the audit chain head until COMMIT, so every
other report waits on them. Both come last: the counter in one statement after every other
write of the report, the chain head after it. The statements are read with an execute wrapper,
so these tests say the same on SQLite (which ignores FOR UPDATE) and on PostgreSQL.
"""

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, connections, transaction

from nuanxin.cases import actions
from nuanxin.cases.catalogue import install_catalogue
from nuanxin.cases.models import Case, CaseClass, CaseCounter
from nuanxin.core.models import CalendarDay, Notification
from nuanxin.testing import build_world

BODY = {"class_code": "sanitation", "description": "垃圾桶满了", "lng": 102.7011, "lat": 24.9811}
COUNTER = 'INSERT INTO "cases_casecounter"'
# What follows the counter in report_case: the case gets its number, the notices of the new
# case to its grid's people are written (in the app only here: no external channel is set up),
# then the audit entry (the chain head locked and read, the entry, the head moved on: no
# savepoint of its own), then the end of report_case's own atomic block (a savepoint: the
# tests run inside a transaction). PostgreSQL numbers the case in the counter's own statement, and inserts the
# entry in the statement that moves the head on.
POSTGRES = connection.vendor == "postgresql"
NUMBERED = [] if POSTGRES else ["UPDATE cases_case"]
APPENDED = ["WITH core_auditentry"] if POSTGRES else ["INSERT core_auditentry", "UPDATE core_auditchainhead"]
AUDITED = ["SELECT core_auditchainhead", *APPENDED, "RELEASE"]
NOTICES = ["INSERT core_notification"]
AFTER_COUNTER = NUMBERED + NOTICES + AUDITED
SHANGHAI = ZoneInfo("Asia/Shanghai")


@contextmanager
def statements() -> Iterator[list[str]]:
    """The SQL run on the default connection inside the block, in order."""
    seen: list[str] = []

    def keep(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(keep):
        yield seen


def shape(sql: str) -> str:
    """A statement's verb and table ("UPDATE cases_case"); savepoint statements by their verb;
    a data-modifying WITH by the table it inserts into first ("WITH core_auditentry")."""
    words = sql.replace('"', "").split()
    verb = words[0].upper()
    if verb in ("SAVEPOINT", "RELEASE", "ROLLBACK"):
        return verb
    if verb == "WITH":
        words = sql.replace('"', "").replace("(", " ").split()
        return f"WITH {words[words.index('INSERT') + 2]}"
    table = {"INSERT": 2, "UPDATE": 1}.get(verb)
    return f"{verb} {words[table] if table else words[words.index('FROM') + 1]}"


def after_counter(seen: list[str]) -> list[str]:
    counters = [i for i, sql in enumerate(seen) if COUNTER in sql]
    assert len(counters) == 1, "one statement takes the number"
    return [shape(sql) for sql in seen[counters[0] + 1 :]]


def post_report(client: Any) -> Any:
    response = client.post(
        "/api/v1/cases",
        data=json.dumps(BODY),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )
    assert response.status_code == 201, response.content
    return response


def test_the_number_and_the_audit_entry_are_the_last_statements_of_a_report(report, world):
    with statements() as seen:
        case = report("sanitation", by=world.rider)
    assert after_counter(seen) == AFTER_COUNTER
    before = {shape(sql) for sql in seen[: -len(AFTER_COUNTER) - 1]}
    assert {"INSERT cases_case", "INSERT cases_caseevent", "INSERT cases_casefollower"} <= before
    # The audit entry names the reporter's roles, and the notices go to the grid's managers:
    # both read before the locks, not under them.
    assert "SELECT accounts_rolegrant" in before
    assert {n.recipient_id for n in Notification.objects.all()} == {world.grid1_worker.pk, world.grid1_leader.pk}
    case.refresh_from_db()
    assert case.number == f"{datetime.now(SHANGHAI):%Y%m%d}-0001"


def test_an_emergency_tells_its_staff_between_the_number_and_the_audit_entry(report, world):
    # The notices carry the number, so they follow it; the chain head still comes last. An
    # emergency tells more people, its handler with a text of their own.
    with statements() as seen:
        case = report("stove-left-on", by=world.rider)
    assert case.emergency
    tail = after_counter(seen)
    assert tail[: len(NUMBERED)] == NUMBERED and "INSERT core_notification" in tail
    assert tail[-len(AUDITED) :] == AUDITED
    # Whom they go to was read before the number: between it and the audit entry, only writes.
    notices = tail[len(NUMBERED) : -len(AUDITED)]
    assert notices and all(s.startswith("INSERT") for s in notices), notices
    case.refresh_from_db()
    assert case.number.endswith("-0001")


def test_over_the_api_only_the_answer_and_the_idempotency_record_follow_the_audit_entry(client_for, catalogue):
    client = client_for("rider")
    with statements() as seen:
        post_report(client)
    tail = after_counter(seen)
    assert tail[: len(AFTER_COUNTER)] == AFTER_COUNTER
    # What the endpoint does after report_case, in the same transaction: it reads (similar
    # cases for the answer) and completes the idempotency claim; it writes nothing else.
    rest = tail[len(AFTER_COUNTER) :]
    assert [s for s in rest if not s.startswith(("SELECT", "RELEASE"))] == ["UPDATE core_idempotencyrecord"]


def test_a_report_over_the_api_runs_a_pinned_number_of_statements(client_for, catalogue, django_assert_num_queries):
    # The first report (of the day, and of the process since the settings changed) reads the
    # work calendar and the duty roster; the next one takes both from the per-process caches.
    # Before the number was taken last: 38 and 35 (three statements to find or create the
    # day's counter, three to lock, bump and read it back). Each reporter is a first-timer
    # to the rate limit, whose counting (a database cache in the tests) costs the same.
    # Since then the savepoints of the audit entry and of the idempotency claim went (two
    # statements each), and PostgreSQL numbers the case in the counter's statement and appends
    # the entry in the head's (27 and 26 on SQLite, 25 and 24 on PostgreSQL). The resident's
    # report finds the rider's alike: the similar cases are scored as rows, and the chosen one
    # read by id (one statement more). Since every report tells its grid's worker and leader:
    # one statement reads the managers on the grid's path, one writes the notices (now 29 and 28
    # on SQLite, 27 and 26 on PostgreSQL).
    rider, resident = client_for("rider"), client_for("resident")
    sqlite = len(NUMBERED) + len(APPENDED) - 1
    with django_assert_num_queries(27 + sqlite):
        post_report(rider)
    with django_assert_num_queries(26 + sqlite):
        post_report(resident)


def test_a_calendar_day_or_an_assignment_saved_is_seen_by_the_next_report(report, world):
    wednesday = datetime(2026, 12, 9, 10, 0, tzinfo=SHANGHAI)
    first = report("sanitation", by=world.rider, now=wednesday)
    world.grid1_worker.assignments.all().delete()
    CalendarDay.objects.create(date=wednesday.date(), kind="holiday", name="test")
    second = report("sanitation", by=world.rider, now=wednesday)
    assert first.handler == world.grid1_worker and second.handler == world.grid1_leader
    assert second.deadline > first.deadline


def test_a_day_past_its_ten_thousandth_report_numbers_on_in_five_digits(report, world):
    # Both ways of numbering (PostgreSQL's single statement, SQLite's two) pad to four digits
    # and never cut a longer count.
    CaseCounter.objects.create(day=datetime.now(SHANGHAI).date(), last=9998)
    numbers = [report("sanitation", by=world.rider).number for _ in range(2)]
    assert [n.rsplit("-", 1)[1] for n in numbers] == ["9999", "10000"]
    assert list(Case.objects.order_by("pk").values_list("number", flat=True)) == numbers


def test_numbers_of_a_day_count_on_without_gaps_and_a_rolled_back_report_takes_none(report, world):
    numbers = [report("sanitation", by=world.rider).number for _ in range(3)]
    with pytest.raises(RuntimeError), transaction.atomic():
        report("sanitation", by=world.rider)
        raise RuntimeError("the request failed after the report")  # its number is rolled back with it
    numbers.append(report("sanitation", by=world.rider).number)
    assert [n.rsplit("-", 1)[1] for n in numbers] == ["0001", "0002", "0003", "0004"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="real concurrency needs a server")
@pytest.mark.django_db(transaction=True)
def test_reports_at_once_get_distinct_numbers_in_a_row():
    build_world()
    install_catalogue(actor=None)
    sanitation = CaseClass.objects.get(code="sanitation")
    barrier = threading.Barrier(6)
    numbers: list[str] = []

    def file() -> None:
        try:
            barrier.wait(timeout=10)
            case = actions.report_case(
                actor=None, case_class=sanitation, description="垃圾", lng=102.7011, lat=24.9811, channel="api"
            )
            numbers.append(case.number)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=file) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(n.rsplit("-", 1)[1] for n in numbers) == [f"{n:04d}" for n in range(1, 7)]
    assert sorted(Case.objects.values_list("number", flat=True)) == sorted(numbers)
