"""Residents and households over the API. Every answer goes through the scope; ID numbers
and phones leave only masked, except from the audited reveal; tags only where the caller
may see them. Search is a POST so phones and ID numbers never appear in a URL."""

from typing import Any, Literal

from django.utils.translation import gettext as _
from ninja import Field, FilterSchema, Query, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate

from nuanxin.core.errors import DomainError
from nuanxin.core.http import ScopedRequest
from nuanxin.core.scoping import Scope, require
from nuanxin.people import actions
from nuanxin.people.models import Household, Resident, ResidentTag
from nuanxin.people.queries import (
    households_for,
    may_see_tags,
    resident_or_404,
    residents_for,
    search_residents,
    visible_tags,
    with_tag,
)
from nuanxin.territory.models import Place

router = Router(tags=["people"])


class TagOut(Schema):
    id: int
    kind: str
    category: str
    category_label: str
    note: str


class ResidentOut(Schema):
    id: int
    name: str
    name_pinyin: str
    gender: str
    birth_year: int | None
    id_number_masked: str
    phone_masked: str
    place_id: int
    place_name: str
    grid_id: int
    household_id: int | None
    household_number: str | None
    tags: list[TagOut] | None = Field(None, description="Only the kinds of tag the caller may see; null when none.")

    @staticmethod
    def resolve_place_name(obj: Resident) -> str:
        return obj.place.name

    @staticmethod
    def resolve_household_number(obj: Resident) -> str | None:
        return obj.household.number if obj.household is not None else None

    @staticmethod
    def resolve_tags(obj: Resident, context: Any) -> list[ResidentTag] | None:
        scope: Scope = context["request"].scope
        return visible_tags(scope, obj) if may_see_tags(scope, obj) else None


class ResidentFilter(FilterSchema):
    grid_id: int | None = None
    household_id: int | None = None
    place_id: int | None = None


class TagFilter(Schema):
    kind: ResidentTag.Kind | None = Field(None, description="Only residents with a tag of this kind you may see")


class ResidentIn(Schema):
    name: str = Field(..., max_length=60)
    place_id: int
    household_id: int | None = None
    gender: Literal["", "male", "female"] = ""
    id_number: str = Field("", max_length=40)
    phone: str = Field("", max_length=40)


class SearchIn(Schema):
    text: str = Field(..., max_length=60)


class RevealIn(Schema):
    field: Literal["id_number", "phone"]
    reason: str = Field(..., max_length=200)


class RevealOut(Schema):
    field: str
    value: str


class HouseholdOut(Schema):
    id: int
    number: str
    place_id: int
    place_name: str
    grid_id: int

    @staticmethod
    def resolve_place_name(obj: Household) -> str:
        return obj.place.name


class HouseholdFilter(FilterSchema):
    place_id: int | None = None
    grid_id: int | None = None


@router.get("/residents", response=list[ResidentOut])
@paginate(LimitOffsetPagination)
def list_residents(request: ScopedRequest, filters: Query[ResidentFilter], tag: Query[TagFilter]) -> Any:
    residents = filters.filter(residents_for(request.scope))
    return with_tag(request.scope, residents, tag.kind) if tag.kind else residents


@router.post("/residents/search", response=list[ResidentOut])
@paginate(LimitOffsetPagination)
def search(request: ScopedRequest, payload: SearchIn) -> Any:
    """By name, pinyin or initials; a valid phone or ID number matches exactly."""
    return search_residents(request.scope, payload.text)


@router.get("/residents/{resident_id}", response=ResidentOut)
def get_resident(request: ScopedRequest, resident_id: int) -> Resident:
    return resident_or_404(request.scope, resident_id)


@router.post("/residents", response={201: ResidentOut})
def create_resident(request: ScopedRequest, payload: ResidentIn) -> Status[Resident]:
    """Register a resident at a compound or building where the caller manages residents."""
    require(request.scope, "people.manage")
    place = Place.objects.visible_to(request.scope).filter(pk=payload.place_id).select_related("grid").first()
    if place is None:
        raise DomainError(_("Unknown place."), field="place_id")
    household = None
    if payload.household_id is not None:
        household = households_for(request.scope).filter(pk=payload.household_id).first()
        if household is None:
            raise DomainError(_("Unknown household."), field="household_id")
    try:
        resident = actions.register_resident(
            actor=request.user,
            scope=request.scope,
            name=payload.name,
            place=place,
            household=household,
            gender=payload.gender,
            id_number=payload.id_number,
            phone=payload.phone,
        )
    except DomainError as error:
        # The API names its inputs by their JSON keys.
        if error.field in ("place", "household"):
            error.field = f"{error.field}_id"
        raise
    return Status(201, residents_for(request.scope).get(pk=resident.pk))


@router.post("/residents/{resident_id}/reveal", response=RevealOut)
def reveal(request: ScopedRequest, resident_id: int, payload: RevealIn) -> dict[str, str]:
    """The full value, for a stated reason; audited. 404 without people.reveal there."""
    resident = resident_or_404(request.scope, resident_id)
    value = actions.reveal_resident_field(
        actor=request.user, scope=request.scope, resident=resident, field=payload.field, reason=payload.reason
    )
    return {"field": payload.field, "value": value}


@router.get("/households", response=list[HouseholdOut])
@paginate(LimitOffsetPagination)
def list_households(request: ScopedRequest, filters: Query[HouseholdFilter]) -> Any:
    return filters.filter(households_for(request.scope))
