"""The alliance over the API, under /api/v1/party/alliance/ (docs/party.md): member units,
pacts with each commitment's committed and delivered amounts, deliveries, the year-end
evaluation, and the three lists. The same scope as the pages: the party office reaches its
alliance, a unit's representative their own unit, pact and projects and the needs and offers of
their alliance; out of reach is 404, a refusal a 400 naming the field. Amounts travel as
strings ("20", "1500.5")."""

from datetime import date
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Router, Schema, Status, UploadedFile
from ninja.pagination import paginate

from nuanxin.core.access import deny
from nuanxin.core.errors import DomainError, api_field_names
from nuanxin.core.http import ScopedRequest
from nuanxin.core.periods import parse_day
from nuanxin.core.schemas import Id, RowPages, Rows
from nuanxin.core.scoping import sent_row
from nuanxin.party import alliance, queries
from nuanxin.party.models import AllianceUnit, Delivery, Evaluation, Need, Offer, Pact, Project, ResourceKind
from nuanxin.territory.models import Place

router = Router(tags=["party"])

_JSON_NAMES = {name: f"{name}_id" for name in ("committee", "place", "area", "unit", "owner", "commitment")}


class UnitOut(Schema):
    id: int
    committee_id: int
    place_id: int
    name: str
    joined_on: date
    left_on: date | None


class UnitIn(Schema):
    committee_id: Id
    place_id: Id
    joined_on: date


class DayIn(Schema):
    on: date


class CommitmentOut(Schema):
    id: int
    kind: ResourceKind
    what: str
    quantity: str
    period: str
    counted_in: str
    committed: str = Field(description="Committed by today: the periods of the term begun so far.")
    delivered: str
    in_term: str = Field(description="Committed over the whole term.")


class PactOut(Schema):
    id: int
    unit_id: int
    unit_name: str
    signed_on: date
    starts_on: date
    ends_on: date
    has_document: bool
    delivered_share: int = Field(description="Delivered against committed by today, in percent.")
    commitments: list[CommitmentOut]


class CommitmentIn(Schema):
    kind: str = Field(..., max_length=20)
    what: str = Field(..., max_length=100)
    quantity: str = Field(..., max_length=20)
    period: str = Field(..., max_length=10)


class PactIn(Schema):
    signed_on: date
    starts_on: date
    ends_on: date
    commitments: list[CommitmentIn] = Field(..., max_length=20)


class DeliveryOut(Schema):
    id: int
    commitment_id: int
    delivered_on: date
    quantity: str
    what: str
    beyond_reason: str
    has_photo: bool


class EvaluationIn(Schema):
    year: int = Field(..., ge=1900, le=2999)
    score: int = Field(..., ge=0, le=100)
    comment: str = Field("", max_length=2000)
    reason: str = Field("", max_length=200)


class EvaluationOut(Schema):
    pact_id: int
    year: int
    direction: Evaluation.Direction
    score: int
    suggested: int | None
    comment: str
    reason: str


class NeedOut(Schema):
    id: int
    committee_id: int
    area_id: int
    title: str
    description: str
    source: Need.Source
    raised_on: date
    state: Need.State
    claimed_by_id: int | None
    claimed_on: date | None


class NeedIn(Schema):
    committee_id: Id
    area_id: Id
    title: str = Field(..., max_length=100)
    description: str = Field("", max_length=2000)
    source: str = Field(..., max_length=20)
    raised_on: date


class ClaimIn(Schema):
    unit_id: Id
    on: date


class OfferOut(Schema):
    id: int
    unit_id: int
    kind: ResourceKind
    what: str
    quantity: str
    counted_in: str
    offered_on: date
    available_until: date | None


class OfferIn(Schema):
    kind: str = Field(..., max_length=20)
    what: str = Field(..., max_length=100)
    quantity: str = Field(..., max_length=20)
    offered_on: date
    available_until: date | None = None


class ProjectOut(Schema):
    id: int
    need_id: int
    title: str
    owner_id: int
    started_on: date
    deadline: date
    budget: str
    done_on: date | None
    on_time: bool | None = Field(description="Done by the deadline; null while under way.")


class ProjectIn(Schema):
    title: str = Field(..., max_length=100)
    owner_id: Id
    started_on: date
    deadline: date
    budget: str = Field("0", max_length=20)
    commitment_ids: list[Id] = Field([], max_length=50)
    offer_ids: list[Id] = Field([], max_length=50)


class DoneIn(Schema):
    done_on: date


# --- answers --------------------------------------------------------------------------------


def _unit(unit: AllianceUnit) -> dict[str, Any]:
    return {
        "id": unit.pk,
        "committee_id": unit.committee_id,
        "place_id": unit.place_id,
        "name": unit.place.name,
        "joined_on": unit.joined_on,
        "left_on": unit.left_on,
    }


def _pact(pact: Pact) -> dict[str, Any]:
    rows = alliance.standing(pact, timezone.localdate())
    return {
        "id": pact.pk,
        "unit_id": pact.unit_id,
        "unit_name": pact.unit.place.name,
        "signed_on": pact.signed_on,
        "starts_on": pact.starts_on,
        "ends_on": pact.ends_on,
        "has_document": bool(pact.document_name),
        "delivered_share": alliance.pact_share(rows),
        "commitments": [
            {
                "id": row.commitment.pk,
                "kind": row.commitment.kind,
                "what": row.commitment.what,
                "quantity": alliance.shown(row.commitment.quantity),
                "period": row.commitment.period,
                "counted_in": row.commitment.counted_in,
                "committed": alliance.shown(row.committed),
                "delivered": alliance.shown(row.delivered),
                "in_term": alliance.shown(row.in_term),
            }
            for row in rows
        ],
    }


def _delivery(delivery: Delivery) -> dict[str, Any]:
    fields = ("id", "commitment_id", "delivered_on", "what", "beyond_reason")
    return {name: getattr(delivery, name) for name in fields} | {
        "quantity": alliance.shown(delivery.quantity),
        "has_photo": bool(delivery.photo_name),
    }


def _need(need: Need) -> dict[str, Any]:
    fields = ("id", "committee_id", "area_id", "title", "description", "source", "raised_on", "state")
    return {name: getattr(need, name) for name in fields} | {
        "claimed_by_id": need.claimed_by_id,
        "claimed_on": need.claimed_on,
    }


def _offer(offer: Offer) -> dict[str, Any]:
    fields = ("id", "unit_id", "kind", "what", "offered_on", "available_until")
    return {name: getattr(offer, name) for name in fields} | {
        "quantity": alliance.shown(offer.quantity),
        "counted_in": offer.counted_in,
    }


def _project(project: Project) -> dict[str, Any]:
    fields = ("id", "need_id", "title", "owner_id", "started_on", "deadline", "done_on")
    return {name: getattr(project, name) for name in fields} | {
        "budget": alliance.shown(project.budget),
        "on_time": None if project.done_on is None else project.done_on <= project.deadline,
    }


def _sees(request: ScopedRequest) -> None:
    if not queries.sees_alliance(request.scope):
        raise deny(request.scope, "party alliance")


# --- member units ---------------------------------------------------------------------------


@router.get("/units", response=list[UnitOut])
@paginate(RowPages)
def list_units(request: ScopedRequest) -> Any:
    """The member units the caller reaches (a representative: their own)."""
    _sees(request)
    return Rows.each(queries.alliance_units_for(request.scope).order_by("committee_id", "place__name", "id"), _unit)


@router.get("/units/{unit_id}", response=UnitOut)
def get_unit(request: ScopedRequest, unit_id: Id) -> dict[str, Any]:
    return _unit(queries.alliance_unit_or_404(request.scope, unit_id))


@router.post("/units", response={201: UnitOut})
def join(request: ScopedRequest, payload: UnitIn) -> Status:
    """A unit (a public unit, merchant or enterprise inside the committee's area) joins the
    alliance the committee leads."""
    committee = sent_row(
        queries.managed_committees(request.scope),
        payload.committee_id,
        field="committee_id",
        message=_("Unknown party committee."),
    )
    place = sent_row(
        Place.objects.visible_to(request.scope), payload.place_id, field="place_id", message=_("Unknown place.")
    )
    with api_field_names(_JSON_NAMES):
        unit = alliance.join_alliance(
            actor=request.user, scope=request.scope, committee=committee, place=place, joined_on=payload.joined_on
        )
    return Status(201, _unit(unit))


@router.post("/units/{unit_id}/leave", response=UnitOut)
def leave(request: ScopedRequest, unit_id: Id, payload: DayIn) -> dict[str, Any]:
    unit = queries.alliance_unit_or_404(request.scope, unit_id)
    with api_field_names({"left_on": "on"}):
        return _unit(alliance.leave_alliance(actor=request.user, scope=request.scope, unit=unit, left_on=payload.on))


# --- pacts ----------------------------------------------------------------------------------


@router.get("/pacts", response=list[PactOut])
@paginate(RowPages)
def list_pacts(request: ScopedRequest) -> Any:
    """The pacts the caller reaches, latest first, each commitment with what was committed
    by today and delivered."""
    _sees(request)
    return Rows.each(
        queries.pacts_for(request.scope).prefetch_related("commitments").order_by("-starts_on", "-id"), _pact
    )


@router.get("/pacts/{pact_id}", response=PactOut)
def get_pact(request: ScopedRequest, pact_id: Id) -> dict[str, Any]:
    return _pact(queries.pact_or_404(request.scope, pact_id))


@router.post("/units/{unit_id}/pacts", response={201: PactOut})
def sign_pact(request: ScopedRequest, unit_id: Id, payload: PactIn) -> Status:
    """Record a signed pact with its commitments (`kind`: venue_hours, funds, goods, service,
    volunteer_hours; `period`: term, year, quarter, month); the signed document goes up with
    POST /pacts/{pact_id}/document."""
    unit = queries.alliance_unit_or_404(request.scope, unit_id)
    pact = alliance.sign_pact(
        actor=request.user,
        scope=request.scope,
        unit=unit,
        signed_on=payload.signed_on,
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
        commitments=[alliance.CommitmentIn(c.kind, c.what, c.quantity, c.period) for c in payload.commitments],
    )
    return Status(201, _pact(queries.pact_or_404(request.scope, pact.pk)))


@router.post("/pacts/{pact_id}/document", response=PactOut)
def attach_document(request: ScopedRequest, pact_id: Id, document: File[UploadedFile]) -> dict[str, Any]:
    """The signed pact (multipart, the file `document`: a PDF or a photo)."""
    pact = queries.pact_or_404(request.scope, pact_id)
    alliance.attach_document(actor=request.user, scope=request.scope, pact=pact, document=document)
    return _pact(queries.pact_or_404(request.scope, pact_id))


@router.get("/pacts/{pact_id}/deliveries", response=list[DeliveryOut])
@paginate(RowPages)
def list_deliveries(request: ScopedRequest, pact_id: Id) -> Any:
    """The pact's deliveries, latest first."""
    return Rows.each(queries.deliveries_of(queries.pact_or_404(request.scope, pact_id)), _delivery)


@router.post("/pacts/{pact_id}/deliveries", response={201: DeliveryOut})
def deliver(
    request: ScopedRequest,
    pact_id: Id,
    commitment_id: Form[Id],
    delivered_on: Form[str],
    quantity: Form[str],
    what: Form[str],
    beyond_reason: Form[str] = "",
    photo: File[UploadedFile | None] = None,
) -> Status:
    """Log a delivery against one of the pact's commitments (multipart or a urlencoded form;
    `delivered_on` as YYYY-MM-DD, the optional evidence `photo`), by the unit's representative
    or the party office. Past what was committed by that day it needs `beyond_reason`."""
    pact = queries.pact_or_404(request.scope, pact_id)
    commitment = pact.commitments.filter(pk=commitment_id).first()
    if commitment is None:
        raise DomainError(_("Choose one of the pact's commitments."), field="commitment_id")
    day = parse_day(delivered_on[:10])
    if day is None:
        raise DomainError(_("Enter a date as YYYY-MM-DD."), field="delivered_on")
    delivery = alliance.record_delivery(
        actor=request.user,
        scope=request.scope,
        commitment=commitment,
        delivered_on=day,
        quantity=quantity[:20],
        what=what,
        beyond_reason=beyond_reason,
        photo=photo,
    )
    return Status(201, _delivery(delivery))


@router.post("/pacts/{pact_id}/evaluations", response=EvaluationOut)
def evaluate(request: ScopedRequest, pact_id: Id, payload: EvaluationIn) -> dict[str, Any]:
    """One side of the year-end evaluation: the party office rates the unit, the unit's
    representative the community (the side follows from who calls). A score away from the one
    the year's record suggests, or a changed score, needs `reason`."""
    pact = queries.pact_or_404(request.scope, pact_id)
    direction = alliance.side_of(request.scope, pact.unit)
    if direction is None:
        raise deny(request.scope, f"party evaluation of pact {pact.pk}")
    made = alliance.evaluate(
        actor=request.user,
        scope=request.scope,
        pact=pact,
        year=payload.year,
        direction=direction,
        score=payload.score,
        comment=payload.comment,
        reason=payload.reason,
    )
    fields = ("year", "direction", "score", "suggested", "comment", "reason")
    return {"pact_id": pact.pk} | {name: getattr(made, name) for name in fields}


# --- the three lists ------------------------------------------------------------------------


@router.get("/needs", response=list[NeedOut])
@paginate(RowPages)
def list_needs(request: ScopedRequest, state: str = "") -> Any:
    """The needs list (open first), optionally of one `state` (open, claimed, project, met)."""
    _sees(request)
    needs = queries.needs_for(request.scope)
    if state:
        if state not in Need.State.values:
            raise DomainError(_("Unknown state."), field="state")
        needs = needs.filter(state=state)
    return Rows.each(needs.order_by("state", "-raised_on", "-id"), _need)


@router.get("/needs/{need_id}", response=NeedOut)
def get_need(request: ScopedRequest, need_id: Id) -> dict[str, Any]:
    return _need(queries.need_or_404(request.scope, need_id))


@router.post("/needs", response={201: NeedOut})
def raise_need(request: ScopedRequest, payload: NeedIn) -> Status:
    committee = sent_row(
        queries.managed_committees(request.scope),
        payload.committee_id,
        field="committee_id",
        message=_("Unknown party committee."),
    )
    area = sent_row(queries.party_areas(request.scope), payload.area_id, field="area_id", message=_("Unknown area."))
    with api_field_names(_JSON_NAMES):
        need = alliance.raise_need(
            actor=request.user,
            scope=request.scope,
            committee=committee,
            area=area,
            title=payload.title,
            description=payload.description,
            source=payload.source,
            raised_on=payload.raised_on,
        )
    return Status(201, _need(need))


@router.post("/needs/{need_id}/claim", response=NeedOut)
def claim(request: ScopedRequest, need_id: Id, payload: ClaimIn) -> dict[str, Any]:
    """A member unit claims the need: its representative, or the party office for it."""
    need = queries.need_or_404(request.scope, need_id)
    unit = sent_row(
        queries.alliance_units_for(request.scope), payload.unit_id, field="unit_id", message=_("Unknown unit.")
    )
    with api_field_names(_JSON_NAMES):
        return _need(alliance.claim_need(actor=request.user, scope=request.scope, need=need, unit=unit, on=payload.on))


@router.get("/offers", response=list[OfferOut])
@paginate(RowPages)
def list_offers(request: ScopedRequest) -> Any:
    _sees(request)
    return Rows.each(queries.offers_for(request.scope).order_by("-offered_on", "-id"), _offer)


@router.post("/units/{unit_id}/offers", response={201: OfferOut})
def offer(request: ScopedRequest, unit_id: Id, payload: OfferIn) -> Status:
    unit = queries.alliance_unit_or_404(request.scope, unit_id)
    made = alliance.offer_resource(actor=request.user, scope=request.scope, unit=unit, **payload.dict())
    return Status(201, _offer(made))


@router.get("/projects", response=list[ProjectOut])
@paginate(RowPages)
def list_projects(request: ScopedRequest) -> Any:
    """The projects the caller reaches (a representative: their unit's), by deadline."""
    _sees(request)
    return Rows.each(queries.projects_for(request.scope).order_by("deadline", "id"), _project)


@router.post("/needs/{need_id}/project", response={201: ProjectOut})
def start_project(request: ScopedRequest, need_id: Id, payload: ProjectIn) -> Status:
    """Take the need up as a project with an owner unit of its alliance, a deadline, a budget
    and the resources it uses (commitments of pacts in force, offers)."""
    need = queries.need_or_404(request.scope, need_id)
    owner = AllianceUnit.objects.filter(committee=need.committee, pk=payload.owner_id).first()
    if owner is None:
        raise DomainError(_("Choose a unit of this alliance."), field="owner_id")
    commitments = list(
        queries.commitments_in_force(request.scope, timezone.localdate()).filter(pk__in=payload.commitment_ids)
    )
    if len(commitments) != len(set(payload.commitment_ids)):
        raise DomainError(_("Choose resources of this alliance."), field="commitment_ids")
    offers = list(queries.offers_for(request.scope).filter(pk__in=payload.offer_ids))
    if len(offers) != len(set(payload.offer_ids)):
        raise DomainError(_("Choose resources of this alliance."), field="offer_ids")
    with api_field_names(_JSON_NAMES | {"commitments": "commitment_ids", "offers": "offer_ids"}):
        project = alliance.start_project(
            actor=request.user,
            scope=request.scope,
            need=need,
            title=payload.title,
            owner=owner,
            deadline=payload.deadline,
            started_on=payload.started_on,
            budget=payload.budget,
            commitments=commitments,
            offers=offers,
        )
    return Status(201, _project(project))


@router.post("/projects/{project_id}/done", response=ProjectOut)
def finish_project(request: ScopedRequest, project_id: Id, payload: DoneIn) -> dict[str, Any]:
    project = queries.project_or_404(request.scope, project_id)
    return _project(
        alliance.finish_project(actor=request.user, scope=request.scope, project=project, done_on=payload.done_on)
    )
