"""Residents and households over the API. Every answer goes through the scope; ID numbers
and phones leave only masked, and tags only by kind, except from the audited reveal; tags
only where the caller may see them. Search is a POST so phones and ID numbers never appear
in a URL; searching by them is gated, rate-limited and audited like a reveal."""

from collections.abc import Callable
from functools import wraps
from typing import Any, Literal

from django.http import JsonResponse
from django.utils.translation import gettext as _
from ninja import Field, FilterSchema, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import field_validator

from nuanxin.core.access import deny, require
from nuanxin.core.errors import api_field_names
from nuanxin.core.http import ScopedRequest
from nuanxin.core.schemas import BoundedPagination, Id
from nuanxin.core.scoping import Scope, sent_row
from nuanxin.people import actions
from nuanxin.people.models import Household, Resident, ResidentTag
from nuanxin.people.queries import (
    households_for,
    may_see_tags,
    resident_or_404,
    residents_for,
    tag_or_404,
    visible_tags,
    with_tag,
)
from nuanxin.territory.models import Place

router = Router(tags=["people"])


class TagOut(Schema):
    """A tag as lists show it: its kind only. The category and note come from a reveal."""

    id: int
    kind: str


class ResidentOut(Schema):
    id: int
    name: str
    name_pinyin: str
    gender: str
    birth_year: int | None = Field(
        None,
        description="Only for callers who may reveal values at the resident's grid: with the masked ID number "
        "it would narrow the full number down to a few candidates.",
    )
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
    def resolve_birth_year(obj: Resident, context: Any) -> int | None:
        scope: Scope = context["request"].scope
        return obj.birth_year if scope.has_at("people.reveal", obj.grid.path) else None

    @staticmethod
    def resolve_tags(obj: Resident, context: Any) -> list[ResidentTag] | None:
        scope: Scope = context["request"].scope
        return visible_tags(scope, obj) if may_see_tags(scope, obj) else None


class ResidentFilter(FilterSchema):
    grid_id: Id | None = None
    household_id: Id | None = None
    place_id: Id | None = None


class TagFilter(Schema):
    kind: ResidentTag.Kind | None = Field(None, description="Only residents with a tag of this kind you may see")


class ResidentIn(Schema):
    name: str = Field(..., max_length=60)
    place_id: Id
    household_id: Id | None = None
    gender: Literal["", "male", "female"] = ""
    id_number: str = Field("", max_length=40)
    phone: str = Field("", max_length=40)


def _not_nullable(schema: dict[str, Any]) -> None:
    # None stands for "left out" only: publish the key as a plain, non-null value.
    schema.update(schema.pop("anyOf")[0])


class ResidentChangeIn(Schema):
    """Only the keys sent change. "" clears a phone or an ID number; a null household_id takes
    the resident out of their household; null is refused for the other keys."""

    name: str | None = Field(None, max_length=60, json_schema_extra=_not_nullable)
    gender: Literal["", "male", "female"] | None = Field(None, json_schema_extra=_not_nullable)
    id_number: str | None = Field(None, max_length=40, json_schema_extra=_not_nullable)
    phone: str | None = Field(None, max_length=40, json_schema_extra=_not_nullable)
    household_id: Id | None = None

    @field_validator("name", "gender", "id_number", "phone")
    @classmethod
    def _not_null(cls, value: str | None) -> str:
        # Runs on values sent only (defaults are not validated): a key left out stays None
        # and means "unchanged"; a null sent is an error.
        if value is None:
            raise ValueError(_("May not be null; leave the key out to keep the value."))
        return value


class SearchIn(Schema):
    text: str = Field(..., max_length=60)


class RevealIn(Schema):
    field: Literal["id_number", "phone", "tags"]
    reason: str = Field(..., max_length=200)


class RevealedTagOut(Schema):
    id: int
    kind: str
    category: str
    category_label: str
    note: str


class RevealOut(Schema):
    field: str
    value: str | None = Field(None, description="The full ID number or phone; null when revealing tags.")
    tags: list[RevealedTagOut] | None = Field(
        None, description="With field=tags: the tags of the kinds the caller may see, with categories and notes."
    )


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
    place_id: Id | None = None
    grid_id: Id | None = None


def _household(scope: Scope, household_id: Id) -> Household:
    return sent_row(households_for(scope), household_id, field="household_id", message=_("Unknown household."))


# The actions name their inputs as models; the API by their JSON keys ("place" is "place_id").
_JSON_NAMES = {name: f"{name}_id" for name in ("place", "household")}


def _answer_rate_limit(view: Callable[..., Any]) -> Callable[..., Any]:
    """429 with Retry-After for a spent search allowance. Outside the pagination wrapper,
    which can only paginate what the view returns."""

    @wraps(view)
    def answer(request: ScopedRequest, **kwargs: Any) -> Any:
        try:
            return view(request, **kwargs)
        except actions.SearchRateLimited as error:
            response = JsonResponse(error.as_dict(), status=429)
            response["Retry-After"] = str(error.retry_after)
            return response

    return answer


@router.get("/residents", response=list[ResidentOut])
@paginate(BoundedPagination)
def list_residents(request: ScopedRequest, filters: Query[ResidentFilter], tag: Query[TagFilter]) -> Any:
    residents = filters.filter(residents_for(request.scope))
    return with_tag(request.scope, residents, tag.kind) if tag.kind else residents


@router.post("/residents/search", response=list[ResidentOut])
@_answer_rate_limit
@paginate(BoundedPagination)
def search(request: ScopedRequest, payload: SearchIn) -> Any:
    """By name, pinyin or initials; a valid phone or ID number matches exactly, for callers
    holding people.reveal (400 on "text" otherwise), at most 30 times in ten minutes (429
    with Retry-After), and audited."""
    return actions.look_up_residents(actor=request.user, scope=request.scope, text=payload.text)


@router.get("/residents/{resident_id}", response=ResidentOut)
def get_resident(request: ScopedRequest, resident_id: Id) -> Resident:
    return resident_or_404(request.scope, resident_id)


@router.post("/residents", response={201: ResidentOut})
def create_resident(request: ScopedRequest, payload: ResidentIn) -> Status[Resident]:
    """Register a resident at a compound or building where the caller manages residents."""
    require(request.scope, "people.manage")
    place = sent_row(
        Place.objects.visible_to(request.scope).select_related("grid"),
        payload.place_id,
        field="place_id",
        message=_("Unknown place."),
    )
    household = None if payload.household_id is None else _household(request.scope, payload.household_id)
    with api_field_names(_JSON_NAMES):
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
    return Status(201, residents_for(request.scope).get(pk=resident.pk))


@router.patch("/residents/{resident_id}", response=ResidentOut)
def change_resident(request: ScopedRequest, resident_id: Id, payload: ResidentChangeIn) -> Resident:
    """Change the keys sent; 404 unless the caller manages residents at the resident's grid."""
    resident = resident_or_404(request.scope, resident_id)
    if not request.scope.has_at("people.manage", resident.grid.path):
        raise deny(request.scope, f"people.resident {resident.pk} change")
    changes = payload.model_dump(exclude_unset=True)
    if "household_id" in changes:
        household_id = changes.pop("household_id")
        changes["household"] = None if household_id is None else _household(request.scope, household_id)
    with api_field_names(_JSON_NAMES):
        actions.change_resident(actor=request.user, scope=request.scope, resident=resident, **changes)
    return resident_or_404(request.scope, resident_id)


@router.delete("/residents/{resident_id}/tags/{tag_id}", response={204: None})
def remove_tag(request: ScopedRequest, resident_id: Id, tag_id: Id) -> Status[None]:
    """Remove a tag the caller may see; 400 on "kind" without people.manage and the tag
    kind's permission at the resident's grid."""
    resident = resident_or_404(request.scope, resident_id)
    tag = tag_or_404(request.scope, resident, tag_id)
    actions.untag_resident(actor=request.user, tag=tag, scope=request.scope)
    return Status(204, None)


@router.post("/residents/{resident_id}/reveal", response=RevealOut)
def reveal(request: ScopedRequest, resident_id: Id, payload: RevealIn) -> dict[str, Any]:
    """The full value, or the tags with categories and notes, for a stated reason; audited.
    404 without people.reveal there."""
    resident = resident_or_404(request.scope, resident_id)
    revealed = actions.reveal_resident_field(
        actor=request.user, scope=request.scope, resident=resident, field=payload.field, reason=payload.reason
    )
    if isinstance(revealed, str):
        return {"field": payload.field, "value": revealed}
    return {"field": payload.field, "tags": revealed}


@router.get("/households", response=list[HouseholdOut])
@paginate(BoundedPagination)
def list_households(request: ScopedRequest, filters: Query[HouseholdFilter]) -> Any:
    return filters.filter(households_for(request.scope))
