"""Territory, places and staffing over the API. Every answer goes through the scope."""

from datetime import date
from typing import Annotated

from django.db.models import Q
from ninja import Field, FilterLookup, FilterSchema, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import model_validator

from nuanxin.core.access import get_in_scope_or_404, require, require_at
from nuanxin.core.http import ScopedRequest
from nuanxin.core.schemas import BoundedPagination, Id
from nuanxin.territory import actions
from nuanxin.territory.models import Area, Place, StaffAssignment

router = Router(tags=["territory"])


class AreaOut(Schema):
    id: int
    level: str
    code: str
    name: str
    parent_id: int | None
    path: str
    center_lng: float
    center_lat: float


class AreaDetailOut(AreaOut):
    boundary: dict


class AreaFilter(FilterSchema):
    level: Area.Level | None = None
    parent_id: Id | None = None
    q: Annotated[str | None, FilterLookup("name__icontains")] = None


class PlaceOut(Schema):
    id: int
    kind: str
    name: str
    address: str
    lng: float
    lat: float
    grid_id: int
    parent_id: int | None
    attributes: dict


class PlaceFilter(FilterSchema):
    kind: Place.Kind | None = None
    grid_id: Id | None = None
    q: Annotated[str | None, FilterLookup("name__icontains")] = None


class PlaceIn(Schema):
    kind: Place.Kind
    name: str = Field(..., min_length=1, max_length=120)
    address: str = Field("", max_length=200)
    lng: float = Field(..., ge=-180, le=180)
    lat: float = Field(..., ge=-90, le=90)
    attributes: dict = {}


class PlacePatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=120)
    address: str | None = Field(None, max_length=200)
    lng: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    attributes: dict | None = None

    @model_validator(mode="after")
    def _location_whole(self) -> "PlacePatch":
        if (self.lng is None) != (self.lat is None):
            raise ValueError("lng and lat change together")
        return self


class AreaPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=100)
    boundary: dict | None = Field(None, description="GeoJSON Polygon or MultiPolygon (WGS-84)")


class AssignmentOut(Schema):
    id: int
    grid_id: int
    person_id: int
    person_name: str
    duty: str
    starts_on: date
    ends_on: date | None

    @staticmethod
    def resolve_person_name(obj: StaffAssignment) -> str:
        return str(obj.person)


class AssignmentFilter(FilterSchema):
    grid_id: Id | None = None
    duty: StaffAssignment.Duty | None = None
    on: date | None = Field(None, description="Only assignments active on this date")

    def filter_on(self, value: date | None) -> Q:
        return StaffAssignment.active_on_q(value) if value else Q()


@router.get("/areas", response=list[AreaOut])
@paginate(BoundedPagination)
def list_areas(request: ScopedRequest, filters: Query[AreaFilter]) -> object:
    return filters.filter(Area.objects.visible_to(request.scope))


@router.get("/areas/{area_id}", response=AreaDetailOut)
def get_area(request: ScopedRequest, area_id: Id) -> Area:
    return get_in_scope_or_404(Area, request.scope, pk=area_id)


@router.patch("/areas/{area_id}", response=AreaDetailOut)
def change_area(request: ScopedRequest, area_id: Id, payload: AreaPatch) -> Area:
    """Rename an area or redraw its boundary (a grid must keep its places and not overlap another)."""
    area = get_in_scope_or_404(Area, request.scope, pk=area_id)
    require_at(request.scope, "territory.manage", area, area.path)
    return actions.change_area(actor=request.user, scope=request.scope, area=area, **payload.dict(exclude_unset=True))


@router.get("/places", response=list[PlaceOut])
@paginate(BoundedPagination)
def list_places(request: ScopedRequest, filters: Query[PlaceFilter]) -> object:
    return filters.filter(Place.objects.visible_to(request.scope).order_by("id"))


@router.get("/places/{place_id}", response=PlaceOut)
def get_place(request: ScopedRequest, place_id: Id) -> Place:
    return get_in_scope_or_404(Place, request.scope, pk=place_id)


@router.post("/places", response={201: PlaceOut})
def create_place(request: ScopedRequest, payload: PlaceIn) -> Status:
    """Add a place; it is assigned to the grid containing its location."""
    require(request.scope, "places.manage")
    return Status(201, actions.create_place(actor=request.user, scope=request.scope, **payload.dict()))


@router.patch("/places/{place_id}", response=PlaceOut)
def change_place(request: ScopedRequest, place_id: Id, payload: PlacePatch) -> Place:
    """Edit a place; a new location moves it to the grid containing it (one the caller manages)."""
    place = get_in_scope_or_404(Place.objects.select_related("grid"), request.scope, pk=place_id)
    require_at(request.scope, "places.manage", place, place.grid.path)
    return actions.change_place(
        actor=request.user, place=place, scope=request.scope, **payload.dict(exclude_unset=True)
    )


@router.get("/staffing", response=list[AssignmentOut])
@paginate(BoundedPagination)
def list_assignments(request: ScopedRequest, filters: Query[AssignmentFilter]) -> object:
    qs = StaffAssignment.objects.visible_to(request.scope).select_related("person").order_by("grid__path", "duty", "id")
    return filters.filter(qs)
