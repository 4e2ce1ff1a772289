"""Reads of the Open311 adapter. A request with an API key reads through the project's one
scope mechanism: the key is a Scope holding `cases.view` on its node's subtree. A request
without a key reads the public view (see `public_requests`)."""

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import OuterRef, QuerySet, Subquery

from nuanxin.cases.actions import OPEN_STATES
from nuanxin.cases.models import Case, CaseClass, CaseEvent
from nuanxin.core.scoping import Scope
from nuanxin.open311.actions import digest_of
from nuanxin.open311.models import ApiKey
from nuanxin.open311.protocol import MAX_ROWS

# Timeline steps that are not news for an Open311 client (the report itself, the rating,
# supervision notices between staff).
QUIET_KINDS = (CaseEvent.Kind.REPORTED, CaseEvent.Kind.EVALUATED, CaseEvent.Kind.SUPERVISED)


def private_services() -> tuple[str, ...]:
    """Classes whose cases are never read without a key, and whose descriptions and notes are
    withheld even with one (settings.OPEN311_PRIVATE_SERVICES)."""
    return tuple(settings.OPEN311_PRIVATE_SERVICES)


def public_reads() -> bool:
    return bool(settings.OPEN311_PUBLIC_READS)


def active_key(raw_key: str) -> ApiKey | None:
    """The unrevoked key with this value, or None."""
    if not raw_key or len(raw_key) > 200:
        return None
    return ApiKey.objects.select_related("area").filter(digest=digest_of(raw_key), revoked_at__isnull=True).first()


def key_scope(key: ApiKey) -> Scope:
    # A key is no user: a negative id owns no row, so only the territory reach counts.
    return Scope(user_id=-key.pk, reach={"cases.view": (key.area.path,)})


def services() -> QuerySet[CaseClass]:
    return CaseClass.objects.filter(active=True).select_related("category")


def _with_last_change(cases: QuerySet[Case]) -> QuerySet[Case]:
    last = CaseEvent.objects.filter(case=OuterRef("pk")).order_by("-at", "-id").values("at")[:1]
    return (
        cases.select_related("case_class", "grid")
        .defer("grid__boundary", "reporter_name", "reporter_phone")
        .annotate(updated_at=Subquery(last))
        .order_by("-reported_at", "-id")
    )


def keyed_requests(key: ApiKey) -> QuerySet[Case]:
    """The cases the key reaches."""
    return _with_last_change(Case.objects.visible_to(key_scope(key)))


def public_requests() -> QuerySet[Case]:
    """What anyone may read without a key: cases staff have taken on (not merely reported,
    not rejected), outside the private classes. The answer leaves out descriptions and
    addresses and rounds locations to about 100 m (see answers.request_answer)."""
    return _with_last_change(
        Case.objects.exclude(state__in=[Case.State.REPORTED, Case.State.REJECTED]).exclude(
            case_class__service_code__in=private_services()
        )
    )


def search_requests(
    cases: QuerySet[Case],
    *,
    ids: list[str] | None,
    service_codes: list[str],
    statuses: list[str],
    start: datetime,
    end: datetime,
) -> list[Case]:
    """GET requests: the ids given (overriding everything else), or the cases requested in
    the window, of the given service codes and open/closed status; at most MAX_ROWS, newest
    first."""
    if ids is not None:
        return list(cases.filter(number__in=ids)[:MAX_ROWS])
    cases = cases.filter(reported_at__gte=start, reported_at__lte=end)
    if service_codes:
        cases = cases.filter(case_class__service_code__in=service_codes)
    if set(statuses) == {"open"}:
        cases = cases.filter(state__in=OPEN_STATES)
    elif set(statuses) == {"closed"}:
        cases = cases.exclude(state__in=OPEN_STATES)
    return list(cases[:MAX_ROWS])


def updates_for(key: ApiKey, *, start: datetime, end: datetime) -> list[CaseEvent]:
    """The mySociety updates: public timeline steps (no internal ones) of the cases the key
    reaches, in the window, oldest first, at most MAX_ROWS."""
    visible: Any = Case.objects.visible_to(key_scope(key)).values("pk")
    return list(
        CaseEvent.objects.filter(case__in=visible, internal=False, at__gte=start, at__lte=end)
        .exclude(kind__in=QUIET_KINDS)
        .select_related("case", "case__case_class")
        .only("id", "at", "kind", "note", "case__number", "case__closure", "case__case_class__service_code")
        .order_by("at", "id")[:MAX_ROWS]
    )
