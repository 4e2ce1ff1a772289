"""Disputes over the API (/api/v1/disputes): list with the page's filters, detail, register,
add a mediator, record a session, close (multipart, with the signed agreement). Every
answer goes through the scope (out of scope is 404); parties leave masked as on the pages
(a person's name 张*, every phone 138****5678), and the agreement only through its scoped,
audited URL."""

from datetime import date
from typing import Annotated, Any

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, File, FilterLookup, FilterSchema, Form, Query, Router, Schema, Status, UploadedFile
from ninja.pagination import paginate

from nuanxin.accounts.models import User
from nuanxin.cases.models import Case
from nuanxin.core.access import require
from nuanxin.core.errors import DomainError, api_field_names
from nuanxin.core.http import ScopedRequest
from nuanxin.core.idempotency import idempotent
from nuanxin.core.periods import parse_day
from nuanxin.core.schemas import BoundedPagination, Id
from nuanxin.core.scoping import sent_row
from nuanxin.inspections.models import Visit
from nuanxin.ledgers.disputes import actions
from nuanxin.ledgers.disputes.filters import LEVEL_LOOKUP, received_q
from nuanxin.ledgers.disputes.queries import (
    dispute_or_404,
    disputes_for,
    linked_case,
    linked_visit_id,
    masked_party,
)
from nuanxin.ledgers.models import Dispute, DisputeKind, DisputeParty, Outcome, SettledLevel
from nuanxin.people.models import Resident
from nuanxin.territory.models import Area, Place

router = Router(tags=["disputes"])


class PartyOut(Schema):
    id: int
    kind: str
    name: str = Field(..., description="A person's name masked (张*); a unit's in full.")
    phone: str = Field(..., description="Masked (138****5678), or empty.")
    resident_id: int | None
    place_id: int | None


class MediatorOut(Schema):
    id: int
    name: str
    group: str
    user_id: int | None


class SessionOut(Schema):
    id: int
    held_on: date
    location: str
    summary: str
    recorded_by_id: int


class DisputeOut(Schema):
    id: int
    number: str
    kind: str
    source: str
    grid_id: int
    grid_name: str
    received_on: date
    state: str
    outcome: str
    settled_level: str
    closed_on: date | None
    parties: list[PartyOut]


class DisputeDetailOut(DisputeOut):
    summary: str
    case_id: int | None = Field(None, description="Only when the caller may see the case.")
    case_number: str | None = None
    visit_id: int | None = Field(None, description="Only when the caller may see the visit.")
    mediators: list[MediatorOut]
    sessions: list[SessionOut]
    agreement_url: str | None = Field(None, description="The signed agreement (scoped, audited).")


class DisputeFilter(FilterSchema):
    """The list page's filters (ledgers/disputes/filters.py) with typed choices; the period is
    read as the page reads it, so a bad day is a 400 naming it."""

    since: str = Field("", description="Received on or after (YYYY-MM-DD)")
    until: str = Field("", description="Received on or before (YYYY-MM-DD)")
    grid_id: Id | None = None
    kind: DisputeKind | None = None
    state: Dispute.State | None = None
    outcome: Outcome | None = None
    level: Annotated[SettledLevel | None, FilterLookup(LEVEL_LOOKUP)] = None

    def get_filter_expression(self) -> Q:
        period, errors = received_q(self.since, self.until)
        for field, message in errors.items():
            raise DomainError(message, field=field)
        return super().get_filter_expression() & period

    def filter_since(self, value: str) -> Q:
        return Q()  # the period is read whole, in get_filter_expression

    def filter_until(self, value: str) -> Q:
        return Q()


class PartyIn(Schema):
    kind: DisputeParty.Kind
    name: str = Field("", max_length=120)
    phone: str = Field("", max_length=20)
    resident_id: Id | None = None
    place_id: Id | None = None


class DisputeIn(Schema):
    kind: str = Field(..., max_length=40)
    source: str = Field(..., max_length=20)
    grid_id: Id
    received_on: date
    summary: str = Field(..., max_length=2000)
    parties: list[PartyIn] = Field(..., max_length=actions.MAX_PARTIES)
    case_id: Id | None = None
    visit_id: Id | None = None


class MediatorIn(Schema):
    group: str = Field(..., max_length=20)
    user_id: Id | None = None
    name: str = Field("", max_length=30)


class SessionIn(Schema):
    held_on: date
    summary: str = Field(..., max_length=2000)
    location: str = Field("", max_length=120)


def _out(dispute: Dispute) -> dict[str, Any]:
    return {
        "id": dispute.pk,
        "number": dispute.number,
        "kind": dispute.kind,
        "source": dispute.source,
        "grid_id": dispute.grid_id,
        "grid_name": dispute.grid.name,
        "received_on": dispute.received_on,
        "state": dispute.state,
        "outcome": dispute.outcome,
        "settled_level": dispute.settled_level,
        "closed_on": dispute.closed_on,
        "parties": [masked_party(party) for party in dispute.parties.all()],
    }


def _detail(request: ScopedRequest, dispute_id: Id) -> dict[str, Any]:
    dispute = dispute_or_404(request.scope, dispute_id)
    case = linked_case(request.scope, dispute)
    return _out(dispute) | {
        "summary": dispute.summary,
        "case_id": case.pk if case else None,
        "case_number": case.number if case else None,
        "visit_id": linked_visit_id(request.scope, dispute),
        "mediators": [
            {"id": m.pk, "name": m.name, "group": m.group, "user_id": m.user_id} for m in dispute.mediators.all()
        ],
        "sessions": list(dispute.sessions.all()),
        "agreement_url": reverse("disputes:agreement", args=[dispute.pk]) if dispute.agreement_name else None,
    }


class DisputePages(BoundedPagination):
    """Pages of disputes, each turned into its masked answer after the page is cut."""

    def paginate_queryset(self, queryset: Any, pagination: Any, request: Any, **params: Any) -> Any:
        page = super().paginate_queryset(queryset, pagination, request, **params)
        page["items"] = [_out(dispute) for dispute in page["items"]]
        return page


@router.get("", response=list[DisputeOut])
@paginate(DisputePages)
def list_disputes(request: ScopedRequest, filters: Query[DisputeFilter]) -> Any:
    """The disputes of the caller's territory, newest first; a bad date is a 400 naming it."""
    require(request.scope, "disputes.view")
    return filters.filter(disputes_for(request.scope))


@router.get("/{dispute_id}", response=DisputeDetailOut)
def get_dispute(request: ScopedRequest, dispute_id: Id) -> dict[str, Any]:
    return _detail(request, dispute_id)


# The actions name their inputs as models; the API by their JSON keys.
_JSON_NAMES = {name: f"{name}_id" for name in ("grid", "case", "visit", "user", "resident", "place")}


@router.post("", response={201: DisputeDetailOut})
@idempotent
def register(request: ScopedRequest, payload: DisputeIn) -> Status:
    """Register a dispute in a grid where the caller records disputes; 400 naming the field
    (`parties.<n>.<key>` for a party). Send an `Idempotency-Key` so a retry makes no second one."""
    require(request.scope, "disputes.record")
    grid = sent_row(
        Area.objects.filter(level=Area.Level.GRID), payload.grid_id, field="grid_id", message=_("Choose a grid.")
    )
    case = sent_row(
        Case.objects.visible_to(request.scope), payload.case_id, field="case_id", message=_("Unknown case.")
    )
    visit = sent_row(
        Visit.objects.visible_to(request.scope), payload.visit_id, field="visit_id", message=_("Unknown visit.")
    )
    parties = []
    for n, party in enumerate(payload.parties):
        residents, places = Resident.objects.visible_to(request.scope), Place.objects.visible_to(request.scope)
        resident = sent_row(
            residents, party.resident_id, field=f"parties.{n}.resident_id", message=_("Unknown resident.")
        )
        place = sent_row(places, party.place_id, field=f"parties.{n}.place_id", message=_("Unknown place."))
        parties.append(
            actions.PartyIn(kind=party.kind, name=party.name, phone=party.phone, resident=resident, place=place)
        )
    with api_field_names(_JSON_NAMES):
        dispute = actions.register_dispute(
            actor=request.user,
            scope=request.scope,
            kind=payload.kind,
            summary=payload.summary,
            source=payload.source,
            grid=grid,
            received_on=payload.received_on,
            parties=parties,
            case=case,
            visit=visit,
        )
    return Status(201, _detail(request, dispute.pk))


@router.post("/{dispute_id}/mediators", response={201: DisputeDetailOut})
def add_mediator(request: ScopedRequest, dispute_id: Id, payload: MediatorIn) -> Status:
    """A staff member by `user_id` (group staff) or anyone by `name`; 403 unless the caller
    records disputes at the dispute's grid."""
    dispute = dispute_or_404(request.scope, dispute_id)
    user = sent_row(User.objects.all(), payload.user_id, field="user_id", message=_("Unknown user."))
    with api_field_names(_JSON_NAMES):
        actions.add_mediator(
            actor=request.user,
            scope=request.scope,
            dispute=dispute,
            group=payload.group,
            user=user,
            name=payload.name,
        )
    return Status(201, _detail(request, dispute.pk))


@router.post("/{dispute_id}/sessions", response={201: DisputeDetailOut})
def record_session(request: ScopedRequest, dispute_id: Id, payload: SessionIn) -> Status:
    """A mediation session of an open dispute; 403 unless the caller records disputes there."""
    dispute = dispute_or_404(request.scope, dispute_id)
    actions.record_session(
        actor=request.user,
        scope=request.scope,
        dispute=dispute,
        held_on=payload.held_on,
        summary=payload.summary,
        location=payload.location,
    )
    return Status(201, _detail(request, dispute.pk))


@router.post("/{dispute_id}/close", response=DisputeDetailOut)
def close(
    request: ScopedRequest,
    dispute_id: Id,
    outcome: Form[str] = "",
    settled_level: Form[str] = "",
    closed_on: Form[str] = "",
    agreement: File[UploadedFile | None] = None,
) -> dict[str, Any]:
    """Close a dispute (multipart/form-data or a urlencoded form: `outcome`, `settled_level`,
    `closed_on` as YYYY-MM-DD, and with an agreement optionally the file `agreement`, a PDF
    or a photo). Closing is final: a closed dispute is a 400 (code closed), one closed a
    moment ago by someone else a 409 (code stale)."""
    dispute = dispute_or_404(request.scope, dispute_id)
    day = parse_day(closed_on[:10])
    if day is None:
        raise DomainError(_("Enter a date as YYYY-MM-DD."), field="closed_on")
    actions.close_dispute(
        actor=request.user,
        scope=request.scope,
        dispute=dispute,
        outcome=outcome[:20],
        settled_level=settled_level[:20],
        closed_on=day,
        agreement=agreement,
    )
    return _detail(request, dispute.pk)
