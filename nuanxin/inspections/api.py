"""The watchlist over the API: list, detail with its change history, add, change tier, end;
and the caller's visits. Every answer goes through the scope, which also hides the resident
categories (special group, key person) the caller may not know of: such a target is left
out of lists and counts and is a 404 like a missing one."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from ninja import Field, FilterSchema, Query, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate

from nuanxin.core.errors import DomainError
from nuanxin.core.http import ScopedRequest
from nuanxin.core.scoping import require
from nuanxin.inspections import actions
from nuanxin.inspections.models import Category, Frequency, Tier, Visit, WatchChange, WatchTarget
from nuanxin.inspections.queries import changes_of, target_or_404, targets_for, visits_for
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
        return obj.resident.name if obj.resident is not None else None


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
    grid_id: int | None = None
    worker_id: int | None = None


class TargetIn(Schema):
    category: str = Field(..., max_length=40)
    tier: str = Field(..., max_length=20)
    worker_id: int
    place_id: int | None = None
    resident_id: int | None = None
    note: str = Field("", max_length=500)
    reason: str = Field("", max_length=500)


class TierIn(Schema):
    tier: str = Field(..., max_length=20)
    reason: str = Field(..., max_length=500)


class EndIn(Schema):
    reason: str = Field(..., max_length=500)


class VisitOut(Schema):
    id: int
    target_id: int
    grid_id: int
    worker_id: int
    due_on: date
    state: Visit.State
    version_id: int | None


class VisitFilter(Schema):
    mine: bool = Field(False, description="Only the caller's own visits")
    due_by: date | None = Field(None, description="Only visits due on or before this day")


@contextmanager
def _json_field_names() -> Iterator[None]:
    """The API names its inputs by their JSON keys: the actions' "place" is "place_id" here."""
    try:
        yield
    except DomainError as error:
        if error.field in ("place", "resident", "worker"):
            error.field = f"{error.field}_id"
        raise


@router.get("/targets", response=list[TargetOut])
@paginate(LimitOffsetPagination)
def list_targets(request: ScopedRequest, filters: Query[TargetFilter]) -> Any:
    require(request.scope, "inspections.view")
    return filters.filter(targets_for(request.scope))


@router.get("/targets/{target_id}", response=TargetDetailOut)
def get_target(request: ScopedRequest, target_id: int) -> WatchTarget:
    return target_or_404(request.scope, target_id)


@router.post("/targets", response={201: TargetDetailOut})
def add_target(request: ScopedRequest, payload: TargetIn) -> Status[WatchTarget]:
    """Put a place (place_id) or a tagged resident (resident_id) on the watchlist where the
    caller manages it; 400 naming the field otherwise."""
    require(request.scope, "inspections.manage")
    place = resident = None
    if payload.place_id is not None:
        place = Place.objects.visible_to(request.scope).filter(pk=payload.place_id).select_related("grid").first()
        if place is None:
            raise DomainError(_("Unknown place."), field="place_id")
    if payload.resident_id is not None:
        resident = Resident.objects.visible_to(request.scope).filter(pk=payload.resident_id).first()
        if resident is None:
            raise DomainError(_("Unknown resident."), field="resident_id")
    worker = get_user_model().objects.filter(pk=payload.worker_id, is_active=True).first()
    with _json_field_names():
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
def change_tier(request: ScopedRequest, target_id: int, payload: TierIn) -> WatchTarget:
    """Move the target to another tier for a reason; 403 unless the caller manages it."""
    target = target_or_404(request.scope, target_id)
    actions.change_tier(
        actor=request.user, scope=request.scope, target=target, tier=payload.tier, reason=payload.reason
    )
    return target_or_404(request.scope, target_id)


@router.post("/targets/{target_id}/end", response=TargetDetailOut)
def end_target(request: ScopedRequest, target_id: int, payload: EndIn) -> WatchTarget:
    """Take the target off the watchlist for a reason; 403 unless the caller manages it."""
    target = target_or_404(request.scope, target_id)
    actions.end_target(actor=request.user, scope=request.scope, target=target, reason=payload.reason)
    return target_or_404(request.scope, target_id)


@router.get("/visits", response=list[VisitOut])
@paginate(LimitOffsetPagination)
def list_visits(request: ScopedRequest, filters: Query[VisitFilter]) -> Any:
    require(request.scope, "inspections.view")
    worker_id = request.scope.user_id if filters.mine else None
    return visits_for(request.scope, worker_id=worker_id, due_by=filters.due_by)
