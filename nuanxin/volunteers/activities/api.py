"""Activities over the API (/api/v1/activities): the list and one activity with its
participants (counted by group, names masked), places and checks; creating one, adding and
removing participants, covering places, findings, and recording a check (a visit, through
`inspections.actions.record_check`). Everything goes through the scope; checks go through the
visits' scope, so a check of a key person never shows to a caller who may not know of it."""

from datetime import date, datetime
from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from nuanxin.core.access import require
from nuanxin.core.errors import DomainError, api_field_names
from nuanxin.core.http import ScopedRequest
from nuanxin.core.masking import mask_name
from nuanxin.core.schemas import BoundedPagination, Id
from nuanxin.core.scoping import sent_row
from nuanxin.inspections.models import ChecklistTemplate, Visit
from nuanxin.territory.models import Area, Place
from nuanxin.volunteers.activities import actions
from nuanxin.volunteers.activities.queries import (
    activities_for,
    activity_or_404,
    checks_of,
    group_counts,
    staff_accounts,
)
from nuanxin.volunteers.models import Activity, ActivityKind, OrganiserKind, Participant, ParticipantGroup

router = Router(tags=["activities"])

# The actions name their inputs as models; the API by their JSON keys.
_JSON_NAMES = {
    "area": "area_id",
    "organiser_unit": "organiser_unit_id",
    "user": "user_id",
    "places": "place_ids",
    "place": "place_id",
}


class ActivityOut(Schema):
    id: int
    number: str
    kind: ActivityKind
    title: str
    area_id: int
    area_name: str
    starts_on: date
    ends_on: date
    location: str
    organiser_kind: OrganiserKind
    organiser_unit_id: int | None
    organiser_id: int
    participant_count: int = 0
    check_count: int = 0

    @staticmethod
    def resolve_area_name(obj: Activity) -> str:
        return obj.area.name


class ParticipantOut(Schema):
    id: int
    group: ParticipantGroup
    name: str = Field(description="Masked: the first character only")
    has_account: bool

    @staticmethod
    def resolve_name(obj: Participant) -> str:
        return mask_name(obj.name)

    @staticmethod
    def resolve_has_account(obj: Participant) -> bool:
        return obj.user_id is not None


class PlaceOut(Schema):
    id: int
    name: str
    kind: str
    grid_id: int


class CheckOut(Schema):
    id: int
    place_id: int | None
    place_name: str | None
    target_id: int | None
    template: str | None
    worker_id: int
    state: Visit.State
    done_at: datetime | None
    hazards: int

    @staticmethod
    def resolve_place_name(obj: Visit) -> str | None:
        return obj.place.name if obj.place is not None else None

    @staticmethod
    def resolve_template(obj: Visit) -> str | None:
        return obj.version.template.code if obj.version is not None else None

    @staticmethod
    def resolve_hazards(obj: Visit) -> int:
        return int(getattr(obj, "hazard_count", 0) or 0)


class ActivityDetailOut(ActivityOut):
    findings: str
    participant_groups: dict[str, int]
    participants: list[ParticipantOut]
    places: list[PlaceOut]
    checks: list[CheckOut]

    @staticmethod
    def resolve_participant_count(obj: Activity) -> int:
        return len(obj.participants.all())

    @staticmethod
    def resolve_check_count(obj: Activity) -> int:
        return len(obj.checks)  # type: ignore[attr-defined]

    @staticmethod
    def resolve_participant_groups(obj: Activity) -> dict[str, int]:
        return group_counts(obj)

    @staticmethod
    def resolve_participants(obj: Activity) -> list[Participant]:
        return list(obj.participants.all())

    @staticmethod
    def resolve_places(obj: Activity) -> list[Place]:
        return list(obj.places.all())

    @staticmethod
    def resolve_checks(obj: Activity) -> list[Visit]:
        return list(obj.checks)  # type: ignore[attr-defined]


class ActivityFilter(Schema):
    kind: ActivityKind | None = None
    campaigns_only: bool = Field(False, description="Only campaigns (专项行动)")
    since: date | None = Field(None, description="Activities ending on or after this day")
    until: date | None = Field(None, description="Activities starting on or before this day")
    area_id: Id | None = Field(None, description="A grid or community: activities in its subtree")


class ActivityIn(Schema):
    kind: str = Field(..., max_length=40)
    title: str = Field(..., max_length=500)
    area_id: Id
    starts_on: date
    ends_on: date
    location: str = Field("", max_length=500)
    organiser_kind: str = Field(OrganiserKind.COMMUNITY, max_length=40)
    organiser_unit_id: Id | None = None
    findings: str = Field("", max_length=10000)


class ParticipantIn(Schema):
    group: str = Field(..., max_length=40)
    user_id: Id | None = Field(None, description="A staff account of the activity's area")
    name: str = Field("", max_length=100)


class PlacesIn(Schema):
    place_ids: list[Id] = Field(..., max_length=500)


class FindingsIn(Schema):
    findings: str = Field(..., max_length=10000)


class CheckIn(Schema):
    place_id: Id
    template: str = Field(..., max_length=40, description="The checklist template's code")
    answers: dict[str, Any]
    note: str = Field("", max_length=2000)
    lng: float | None = None
    lat: float | None = None


@router.get("", response=list[ActivityOut])
@paginate(BoundedPagination)
def list_activities(request: ScopedRequest, filters: Query[ActivityFilter]) -> Any:
    """The activities the caller reaches, newest first; an area outside the reach is a 400."""
    require(request.scope, "activities.view")
    area = None
    if filters.area_id is not None:
        area = Area.objects.filter(request.scope.q("activities.view", "path"), pk=filters.area_id).first()
        if area is None:
            raise DomainError(_("Unknown area."), field="area_id")
    if filters.since and filters.until and filters.until < filters.since:
        raise DomainError(_("The end of the period is before its start."), field="until")
    return activities_for(
        request.scope,
        kind=filters.kind,
        campaigns_only=filters.campaigns_only,
        period=(filters.since, filters.until),
        area=area,
    )


@router.get("/{activity_id}", response=ActivityDetailOut)
def get_activity(request: ScopedRequest, activity_id: Id) -> Activity:
    return activity_or_404(request.scope, activity_id)


@router.post("", response={201: ActivityDetailOut})
def create_activity(request: ScopedRequest, payload: ActivityIn) -> Status[Activity]:
    """Record an activity in a grid or community where the caller manages activities."""
    require(request.scope, "activities.manage")
    area = sent_row(Area.objects.defer("boundary"), payload.area_id, field="area_id", message=_("Unknown area."))
    unit = sent_row(
        Place.objects.visible_to(request.scope),
        payload.organiser_unit_id,
        field="organiser_unit_id",
        message=_("Unknown place."),
    )
    with api_field_names(_JSON_NAMES):
        activity = actions.create_activity(
            actor=request.user,
            scope=request.scope,
            kind=payload.kind,
            title=payload.title,
            area=area,
            starts_on=payload.starts_on,
            ends_on=payload.ends_on,
            location=payload.location,
            organiser_kind=payload.organiser_kind,
            organiser_unit=unit,
            findings=payload.findings,
        )
    return Status(201, activity_or_404(request.scope, activity.pk))


@router.post("/{activity_id}/participants", response={201: ParticipantOut})
def add_participant(request: ScopedRequest, activity_id: Id, payload: ParticipantIn) -> Status[Participant]:
    """Add a participant by staff account (user_id) or by name; 403 unless the caller
    manages the activity, 400 naming the field for bad input."""
    activity = activity_or_404(request.scope, activity_id)
    user = sent_row(staff_accounts(activity), payload.user_id, field="user_id", message=_("Unknown account."))
    with api_field_names(_JSON_NAMES):
        participant = actions.add_participant(
            actor=request.user,
            scope=request.scope,
            activity=activity,
            group=payload.group,
            user=user,
            name=payload.name,
        )
    return Status(201, participant)


@router.delete("/{activity_id}/participants/{participant_id}", response={204: None})
def remove_participant(request: ScopedRequest, activity_id: Id, participant_id: Id) -> Status[None]:
    activity = activity_or_404(request.scope, activity_id)
    participant = next((p for p in activity.participants.all() if p.pk == participant_id), None)
    if participant is None:
        raise Http404
    participant.activity = activity
    actions.remove_participant(actor=request.user, scope=request.scope, participant=participant)
    return Status(204, None)


@router.post("/{activity_id}/places", response=ActivityDetailOut)
def cover_places(request: ScopedRequest, activity_id: Id, payload: PlacesIn) -> Activity:
    """Add places the activity covered; each must lie in its area (400 naming place_ids)."""
    activity = activity_or_404(request.scope, activity_id)
    wanted = set(payload.place_ids)
    places = list(Place.objects.visible_to(request.scope).filter(pk__in=wanted).select_related("grid"))
    if len(places) != len(wanted):
        raise DomainError(_("Unknown place."), field="place_ids")
    with api_field_names(_JSON_NAMES):
        actions.cover_places(actor=request.user, scope=request.scope, activity=activity, places=places)
    return activity_or_404(request.scope, activity_id)


@router.post("/{activity_id}/findings", response=ActivityDetailOut)
def record_findings(request: ScopedRequest, activity_id: Id, payload: FindingsIn) -> Activity:
    activity = activity_or_404(request.scope, activity_id)
    actions.record_findings(actor=request.user, scope=request.scope, activity=activity, findings=payload.findings)
    return activity_or_404(request.scope, activity_id)


@router.post("/{activity_id}/checks", response={201: CheckOut})
def record_check(request: ScopedRequest, activity_id: Id, payload: CheckIn) -> Status[Visit]:
    """Record a check of a place in the activity's area as a visit of the activity; the
    inspections action checks the answers (400 naming "answers.<item>") and the caller's
    inspections.record there."""
    activity = activity_or_404(request.scope, activity_id)
    place = sent_row(
        Place.objects.visible_to(request.scope).select_related("grid"),
        payload.place_id,
        field="place_id",
        message=_("Unknown place."),
    )
    template = ChecklistTemplate.objects.filter(code=payload.template).first()
    if template is None:
        raise DomainError(_("Unknown checklist."), field="template")
    with api_field_names(_JSON_NAMES):
        visit = actions.record_campaign_check(
            actor=request.user,
            scope=request.scope,
            activity=activity,
            place=place,
            template=template,
            answers=payload.answers,
            note=payload.note,
            lng=payload.lng,
            lat=payload.lat,
        )
    return Status(201, checks_of(request.scope).filter(pk=visit.pk).first() or visit)
