"""The watchlist over the API: list, detail with its change history, add, change tier, end;
the caller's visits, one visit, its photos and its recording; rectification orders, one
order and its deadline. Every answer goes through the scope, which also hides the resident
categories (special group, key person) the caller may not know of: such a target, visit
or order is left out of lists and counts and is a 404 like a missing one."""

from datetime import date
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, File, FilterSchema, Form, Query, Router, Schema, Status, UploadedFile
from ninja.pagination import paginate

from nuanxin.core.access import require
from nuanxin.core.errors import api_field_names
from nuanxin.core.http import ScopedRequest
from nuanxin.core.masking import mask_name
from nuanxin.core.schemas import BoundedPagination, Id, RowPages, Rows, built_answer
from nuanxin.core.scoping import sent_row
from nuanxin.inspections import actions
from nuanxin.inspections.models import (
    Category,
    Frequency,
    Rectification,
    Tier,
    Visit,
    VisitPhoto,
    WatchChange,
    WatchTarget,
)
from nuanxin.inspections.queries import (
    changes_of,
    overdue_orders_q,
    rectification_or_404,
    rectifications_for,
    target_name,
    target_or_404,
    targets_for,
    visit_or_404,
    visits_for,
)
from nuanxin.inspections.rectifications import change_deadline
from nuanxin.people.models import Resident
from nuanxin.territory.models import Place

router = Router(tags=["inspections"])


class TargetOut(Schema):
    id: int
    category: Category
    tier: Tier
    frequency: Frequency
    grid_id: int
    worker_id: int
    place_id: int | None
    place_name: str | None
    resident_id: int | None
    resident_name: str | None
    note: str
    started_on: date
    ended_on: date | None

    @staticmethod
    def resolve_place_name(obj: WatchTarget) -> str | None:
        return obj.place.name if obj.place is not None else None

    @staticmethod
    def resolve_resident_name(obj: WatchTarget) -> str | None:
        # Masked, as on every page: the full name is for the resident's own record.
        return mask_name(obj.resident.name) if obj.resident is not None else None


class ChangeOut(Schema):
    at: Any
    actor_id: int | None
    old_tier: str
    new_tier: Tier
    old_frequency: str
    new_frequency: Frequency
    reason: str


class TargetDetailOut(TargetOut):
    changes: list[ChangeOut]

    @staticmethod
    def resolve_changes(obj: WatchTarget) -> list[WatchChange]:
        return list(changes_of(obj))


class TargetFilter(FilterSchema):
    category: Category | None = None
    tier: Tier | None = None
    grid_id: Id | None = None
    worker_id: Id | None = None


class TargetIn(Schema):
    category: str = Field(..., max_length=40)
    tier: str = Field(..., max_length=20)
    worker_id: Id
    place_id: Id | None = None
    resident_id: Id | None = None
    note: str = Field("", max_length=500)
    reason: str = Field("", max_length=500)


class TierIn(Schema):
    tier: str = Field(..., max_length=20)
    reason: str = Field(..., max_length=500)


class EndIn(Schema):
    reason: str = Field(..., max_length=500)


class VisitOut(Schema):
    id: int
    kind: Visit.Kind
    target_id: int | None
    grid_id: int
    worker_id: int
    due_on: date
    state: Visit.State
    version_id: int | None
    done_at: Any
    checked_in_distance: int | None
    far: bool = Field(description="Checked in farther than NUANXIN_VISIT_CHECKIN_RADIUS_M from the target")


class VisitFilter(Schema):
    mine: bool = Field(False, description="Only the caller's own visits")
    due_by: date | None = Field(None, description="Only visits due on or before this day")
    state: Visit.State | None = Field(None, description="Only visits in this state: due (still to do), done or missed")


# The actions name their inputs as models; the API by their JSON keys ("place" is "place_id").
_JSON_NAMES = {name: f"{name}_id" for name in ("place", "resident", "worker")}


@router.get("/targets", response=list[TargetOut])
@paginate(BoundedPagination)
def list_targets(request: ScopedRequest, filters: Query[TargetFilter]) -> Any:
    require(request.scope, "inspections.view")
    return filters.filter(targets_for(request.scope))


@router.get("/targets/{target_id}", response=TargetDetailOut)
def get_target(request: ScopedRequest, target_id: Id) -> WatchTarget:
    return target_or_404(request.scope, target_id)


@router.post("/targets", response={201: TargetDetailOut})
def add_target(request: ScopedRequest, payload: TargetIn) -> Status[WatchTarget]:
    """Put a place (place_id) or a tagged resident (resident_id) on the watchlist where the
    caller manages it; 400 naming the field otherwise."""
    require(request.scope, "inspections.manage")
    places = Place.objects.visible_to(request.scope).select_related("grid")
    place = sent_row(places, payload.place_id, field="place_id", message=_("Unknown place."))
    residents = Resident.objects.visible_to(request.scope)
    resident = sent_row(residents, payload.resident_id, field="resident_id", message=_("Unknown resident."))
    worker = get_user_model().objects.filter(pk=payload.worker_id, is_active=True).first()
    with api_field_names(_JSON_NAMES):
        target = actions.add_target(
            actor=request.user,
            scope=request.scope,
            category=payload.category,
            tier=payload.tier,
            worker=worker,
            place=place,
            resident=resident,
            note=payload.note,
            reason=payload.reason,
        )
    return Status(201, target_or_404(request.scope, target.pk))


@router.post("/targets/{target_id}/tier", response=TargetDetailOut)
def change_tier(request: ScopedRequest, target_id: Id, payload: TierIn) -> WatchTarget:
    """Move the target to another tier for a reason; 403 unless the caller manages it."""
    target = target_or_404(request.scope, target_id)
    actions.change_tier(
        actor=request.user, scope=request.scope, target=target, tier=payload.tier, reason=payload.reason
    )
    return target_or_404(request.scope, target_id)


@router.post("/targets/{target_id}/end", response=TargetDetailOut)
def end_target(request: ScopedRequest, target_id: Id, payload: EndIn) -> WatchTarget:
    """Take the target off the watchlist for a reason; 403 unless the caller manages it."""
    target = target_or_404(request.scope, target_id)
    actions.end_target(actor=request.user, scope=request.scope, target=target, reason=payload.reason)
    return target_or_404(request.scope, target_id)


# A visit's own columns, all VisitOut answers besides `far`.
_VISIT_COLUMNS = tuple(name for name in VisitOut.model_fields if name != "far")


def _visit_answers(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Visit rows (_VISIT_COLUMNS, in VisitOut's order) as VisitOut, with `far` from the row's
    distance (a model object per row would cost more than the rest of the page)."""
    return [row | {"far": actions.is_far_distance(row["checked_in_distance"])} for row in rows]


@router.get("/visits", response=list[VisitOut])
@built_answer
@paginate(RowPages)
def list_visits(request: ScopedRequest, filters: Query[VisitFilter]) -> Any:
    require(request.scope, "inspections.view")
    worker_id = request.scope.user_id if filters.mine else None
    state = filters.state or ""
    visits = visits_for(request.scope, worker_id=worker_id, due_by=filters.due_by, state=state)
    kept = (request.scope, ("visits", worker_id, filters.due_by, state))
    return Rows(visits.values(*_VISIT_COLUMNS), _visit_answers, kept=kept)


# ---------------------------------------------------------------------------------------
# One visit, its photos and its recording.


class VisitPhotoOut(Schema):
    id: int
    item: str
    url: str
    width: int
    height: int


class VisitDetailOut(Schema):
    id: int
    kind: str
    target_id: int | None
    place_id: int | None
    activity_id: int | None
    recheck_of_id: int | None
    category: str
    name: str = Field(description="The place's name, or a resident's masked name")
    grid_id: int
    worker_id: int
    due_on: date
    state: str
    version_id: int | None
    items: list[dict[str, Any]] = Field(description="The checklist version's items")
    answers: dict[str, Any]
    note: str
    checked_in_at: Any
    checked_in_lng: float | None
    checked_in_lat: float | None
    checked_in_distance: int | None = Field(description="Metres from the target at check-in")
    far: bool = Field(description="Checked in farther than NUANXIN_VISIT_CHECKIN_RADIUS_M")
    done_at: Any
    photos: list[VisitPhotoOut]
    rectification_id: int | None = Field(description="The order this visit's hazards opened")


class RecordIn(Schema):
    answers: dict[str, Any] = Field(..., description="Item code -> answer (bool, number, choice key, text)")
    lng: float | None = None
    lat: float | None = None
    note: str = Field("", max_length=2000)


def _photo_out(photo: VisitPhoto) -> dict[str, Any]:
    url = reverse("inspections:visit_photo", args=[photo.visit_id, photo.pk])
    return {"id": photo.pk, "item": photo.item, "url": url, "width": photo.width, "height": photo.height}


def _visit_out(visit: Visit) -> dict[str, Any]:
    order = Rectification.objects.filter(visit=visit).values_list("pk", flat=True).first()
    return {
        "id": visit.pk,
        "kind": visit.kind,
        "target_id": visit.target_id,
        "place_id": visit.place_id,
        "activity_id": visit.activity_id,
        "recheck_of_id": visit.recheck_of_id,
        "category": visit.category,
        "name": target_name(visit),
        "grid_id": visit.grid_id,
        "worker_id": visit.worker_id,
        "due_on": visit.due_on,
        "state": visit.state,
        "version_id": visit.version_id,
        "items": list(visit.version.items) if visit.version is not None else [],
        "answers": visit.answers,
        "note": visit.note,
        "checked_in_at": visit.checked_in_at,
        "checked_in_lng": visit.checked_in_lng,
        "checked_in_lat": visit.checked_in_lat,
        "checked_in_distance": visit.checked_in_distance,
        "far": actions.is_far(visit),
        "done_at": visit.done_at,
        "photos": [_photo_out(p) for p in visit.photos.all()],
        "rectification_id": order,
    }


@router.get("/visits/{visit_id}", response=VisitDetailOut)
def get_visit(request: ScopedRequest, visit_id: Id) -> dict[str, Any]:
    """One visit with its checklist items (to build a form) and, once done, its answers."""
    return _visit_out(visit_or_404(request.scope, visit_id))


@router.post("/visits/{visit_id}/photos", response={201: list[VisitPhotoOut]})
def add_visit_photos(
    request: ScopedRequest,
    visit_id: Id,
    photos: File[list[UploadedFile]],
    item: Form[str] = "",
) -> Status[list[dict[str, Any]]]:
    """Upload photos before recording (multipart: files in `photos`, the photo item's code
    in `item`, empty for the visit as a whole); recording counts them for their item."""
    visit = visit_or_404(request.scope, visit_id)
    kept = actions.add_visit_photos(
        actor=request.user, scope=request.scope, visit=visit, item=item, photos=list(photos)
    )
    return Status(201, [_photo_out(p) for p in kept])


@router.post("/visits/{visit_id}/record", response=VisitDetailOut)
def record_visit(request: ScopedRequest, visit_id: Id, payload: RecordIn) -> dict[str, Any]:
    """Record the visit: answers checked against its checklist (400 naming
    "answers.<item code>"), the check-in location and a note; 403 for a visit the caller
    may not record, 409 for one already recorded."""
    visit = visit_or_404(request.scope, visit_id)
    actions.record_visit(
        actor=request.user,
        scope=request.scope,
        visit=visit,
        answers=payload.answers,
        note=payload.note,
        lng=payload.lng,
        lat=payload.lat,
    )
    return _visit_out(visit_or_404(request.scope, visit_id))


# ---------------------------------------------------------------------------------------
# Rectification orders.


class HazardOut(Schema):
    item: str
    label: str
    answer: Any
    severity: str
    fixed: bool


class RectificationOut(Schema):
    id: int
    number: str
    visit_id: int
    target_id: int | None
    place_id: int | None
    category: str
    grid_id: int
    responsible_party: str = Field(description="A place's name, or a resident's masked name")
    severity: str
    issued_on: date
    deadline: date
    state: Rectification.State
    overdue: bool
    closed_at: Any
    case_id: int | None
    case_number: str | None

    @staticmethod
    def resolve_overdue(obj: Rectification) -> bool:
        return obj.state == Rectification.State.OPEN and obj.deadline < timezone.localdate()

    @staticmethod
    def resolve_case_number(obj: Rectification) -> str | None:
        return obj.case.number if obj.case is not None else None


class RectificationDetailOut(RectificationOut):
    hazards: list[HazardOut]
    recheck_ids: list[int]

    @staticmethod
    def resolve_hazards(obj: Rectification) -> list[Any]:
        return list(obj.hazards.all())

    @staticmethod
    def resolve_recheck_ids(obj: Rectification) -> list[int]:
        return list(obj.rechecks.values_list("pk", flat=True))


class RectificationFilter(FilterSchema):
    """The orders page's filters (inspections/filters.py) with typed values: a bad one is a
    422 naming it; overdue means the same."""

    state: Rectification.State | None = None
    grid_id: Id | None = None
    overdue: bool = Field(False, description="Only open orders past their deadline")

    def filter_overdue(self, value: bool) -> Q:
        return overdue_orders_q() if value else Q()


class DeadlineIn(Schema):
    deadline: date
    reason: str = Field(..., max_length=500)


@router.get("/rectifications", response=list[RectificationOut])
@paginate(BoundedPagination)
def list_rectifications(request: ScopedRequest, filters: Query[RectificationFilter]) -> Any:
    require(request.scope, "inspections.view")
    return filters.filter(rectifications_for(request.scope))


@router.get("/rectifications/{order_id}", response=RectificationDetailOut)
def get_rectification(request: ScopedRequest, order_id: Id) -> Rectification:
    return rectification_or_404(request.scope, order_id)


@router.post("/rectifications/{order_id}/deadline", response=RectificationDetailOut)
def move_deadline(request: ScopedRequest, order_id: Id, payload: DeadlineIn) -> Rectification:
    """Move an open order's deadline (never into the past) for a reason; the re-check moves too."""
    order = rectification_or_404(request.scope, order_id)
    change_deadline(
        actor=request.user, scope=request.scope, order=order, deadline=payload.deadline, reason=payload.reason
    )
    return rectification_or_404(request.scope, order_id)
