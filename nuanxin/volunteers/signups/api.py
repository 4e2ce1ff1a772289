"""Volunteers over the API (/api/v1/volunteers): register oneself, "me", the published
activities, sign up and cancel, my sign-ups, check in and out with the venue's code; for
organisers: publish an activity, its roster (names and phones masked) and check-in or
check-out by hand, cancel an activity with a reason; partners (listed with representatives
masked) for staff with volunteers.manage; new partners for partners.manage, and their
representatives for accounts.manage where the partner is. Joining
without an account stays a page (it needs the phone's sign-in).
The rules stay in `nuanxin.volunteers.signups.actions`; refusals are 400 naming the field."""

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, Literal

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from nuanxin.accounts.models import User
from nuanxin.core.access import require
from nuanxin.core.errors import DomainError, api_field_names
from nuanxin.core.http import ScopedRequest
from nuanxin.core.masking import mask_phone
from nuanxin.core.schemas import Count, Id, LocalTime
from nuanxin.core.scoping import sent_row
from nuanxin.territory.models import Area, Place
from nuanxin.volunteers.models import Activity, Attendance, ParticipantGroup, Partner, SignUp, Volunteer
from nuanxin.volunteers.signups import actions as signups
from nuanxin.volunteers.signups import checkins
from nuanxin.volunteers.signups.queries import (
    kept_partner_or_404,
    kept_partners,
    my_signups,
    organised_activity_or_404,
    partner_rows,
    published_activities,
    published_activity_or_404,
    roster,
    signup_or_404,
    volunteer_of,
)

router = Router(tags=["volunteers"])

_JSON_NAMES = {"home_grid": "home_grid_id", "partner": "partner_id", "place": "place_id", "volunteer": "volunteer_id"}


class RegisterIn(Schema):
    name: str = Field(..., max_length=200)
    phone: str = Field(..., max_length=40)
    group: str = Field(..., max_length=40)
    employer: str = Field("", max_length=500)
    partner_id: Id | None = None
    skills: list[str] = Field(default_factory=list, max_length=50)
    availability: str = Field("", max_length=1000)
    home_grid_id: Id | None = None


class VolunteerOut(Schema):
    id: int
    name: str = Field(description="The volunteer's own name: only they see it")
    phone: str = Field(description="Masked")
    group: ParticipantGroup
    employer: str
    partner_id: int | None
    skills: list[str]
    availability: str
    home_grid_id: int | None
    registered_at: datetime

    @staticmethod
    def resolve_phone(obj: Volunteer) -> str:
        return mask_phone(obj.phone)


class PublishedActivityOut(Schema):
    id: int
    number: str
    kind: str
    title: str
    area_id: int
    location: str
    starts_on: date
    ends_on: date
    start_time: time | None
    end_time: time | None
    capacity: int | None
    roles_needed: list[str]
    confirmed: int
    waiting: int
    cancelled: bool
    cancel_reason: str
    cancelled_at: datetime | None

    @staticmethod
    def resolve_confirmed(obj: Activity) -> int:
        return int(getattr(obj, "confirmed_count", 0))

    @staticmethod
    def resolve_waiting(obj: Activity) -> int:
        return int(getattr(obj, "waiting_count", 0))


class SignUpIn(Schema):
    role: str = Field("", max_length=200)


class SignUpOut(Schema):
    id: int
    activity_id: int
    activity_title: str
    role: str
    state: SignUp.State
    signed_up_at: datetime
    cancelled_at: datetime | None

    @staticmethod
    def resolve_activity_title(obj: SignUp) -> str:
        return obj.activity.title


class CheckInIn(Schema):
    token: str = Field(..., max_length=300, description="The token of the venue's QR code")
    step: Literal["in", "out"] = "in"


class AttendanceOut(Schema):
    id: int
    activity_id: int
    volunteer_id: int
    checked_in_at: datetime
    checked_out_at: datetime | None
    method: Attendance.Method


class HandIn(Schema):
    volunteer_id: Id
    step: Literal["in", "out"] = "in"


class RosterOut(Schema):
    signup_id: int
    volunteer_id: int
    name: str = Field(description="Masked")
    phone: str = Field(description="Masked")
    group: str
    role: str
    state: str
    signed_up_at: datetime
    checked_in_at: datetime | None
    checked_out_at: datetime | None


class PublishIn(Schema):
    start_time: LocalTime
    end_time: LocalTime
    capacity: Count | None = None
    roles_needed: list[str] = Field(default_factory=list, max_length=50)
    venue: str = Field("", max_length=500)
    money: Decimal | None = None
    goods: str = Field("", max_length=500)


class PartnerIn(Schema):
    name: str = Field(..., max_length=500)
    kind: str = Field(..., max_length=20)
    place_id: Id | None = None


class PartnerOut(Schema):
    id: int
    name: str
    kind: str
    place_id: int | None


class PartnerListOut(Schema):
    id: int
    name: str
    kind: str
    place_id: int | None
    place_name: str | None
    representatives: list[str] = Field(description="Masked")
    volunteer_count: int = Field(description="Its volunteers within the caller's reach")


class RepresentativeIn(Schema):
    user_id: Id


class CancelIn(Schema):
    reason: str = Field(..., max_length=1000, description="Sent to everyone signed up; at most 200 characters")


class CancelledOut(Schema):
    id: int
    number: str
    title: str
    cancelled: bool
    cancel_reason: str
    cancelled_at: datetime | None


# --- the volunteer ------------------------------------------------------------------------------


@router.post("/register", response={201: VolunteerOut})
def register(request: ScopedRequest, payload: RegisterIn) -> Status[Volunteer]:
    """Register the caller as a volunteer (one account, one phone)."""
    grid = sent_row(
        Area.objects.filter(level=Area.Level.GRID).defer("boundary"),
        payload.home_grid_id,
        field="home_grid_id",
        message=_("Choose a grid."),
    )
    partner = sent_row(Partner.objects.all(), payload.partner_id, field="partner_id", message=_("Unknown partner."))
    with api_field_names(_JSON_NAMES):
        volunteer = signups.register_volunteer(
            actor=request.user,
            user=request.user,
            scope=request.scope,
            name=payload.name,
            phone=payload.phone,
            group=payload.group,
            employer=payload.employer,
            partner=partner,
            skills=payload.skills,
            availability=payload.availability,
            home_grid=grid,
        )
    return Status(201, volunteer)


@router.get("/me", response=VolunteerOut)
def me(request: ScopedRequest) -> Volunteer:
    """The caller's registration; 404 when they have not registered."""
    volunteer = volunteer_of(request.user)
    if volunteer is None:
        raise Http404
    return volunteer


@router.get("/activities", response=list[PublishedActivityOut])
def activities(request: ScopedRequest) -> list[Activity]:
    """Published activities not over yet, soonest first (any signed-in caller)."""
    return list(published_activities()[:200])


@router.get("/activities/{activity_id}", response=PublishedActivityOut)
def activity(request: ScopedRequest, activity_id: Id) -> Activity:
    return published_activity_or_404(request.user, activity_id)


@router.post("/activities/{activity_id}/signup", response={201: SignUpOut})
def sign_up(request: ScopedRequest, activity_id: Id, payload: SignUpIn) -> Status[SignUp]:
    """Sign up: "confirmed" while places are left, else "waiting" (not an error)."""
    target = published_activity_or_404(request.user, activity_id)
    signup = signups.sign_up(actor=request.user, activity=target, role=payload.role)
    return Status(201, signup)


@router.post("/signups/{signup_id}/cancel", response=SignUpOut)
def cancel(request: ScopedRequest, signup_id: Id) -> SignUp:
    """Cancel one's own sign-up (or, for an organiser, one of their activity)."""
    signup = signup_or_404(request.scope, signup_id)
    return signups.cancel_signup(actor=request.user, signup=signup, scope=request.scope)


@router.get("/signups", response=list[SignUpOut])
def mine(request: ScopedRequest) -> list[SignUp]:
    """The caller's sign-ups, newest activity first (empty when not registered)."""
    volunteer = volunteer_of(request.user)
    return [] if volunteer is None else list(my_signups(volunteer)[:500])


@router.post("/checkin", response=AttendanceOut)
def checkin(request: ScopedRequest, payload: CheckInIn) -> Attendance:
    """Check in (step "in") or out ("out") with the venue's code; a forged or expired code
    is a 400 naming "token"; a second check-in is a 400 "Checked in already"."""
    target = checkins.activity_for_token(payload.token)
    if payload.step == "in":
        return checkins.check_in(actor=request.user, scope=request.scope, activity=target, method=Attendance.Method.QR)
    return checkins.check_out(actor=request.user, scope=request.scope, activity=target)


# --- organisers ---------------------------------------------------------------------------------


@router.post("/activities/{activity_id}/publish", response=PublishedActivityOut)
def publish(request: ScopedRequest, activity_id: Id, payload: PublishIn) -> Activity:
    """Open an activity for sign-up (activities.manage at its area; 404 otherwise)."""
    target = organised_activity_or_404(request.scope, activity_id, publish=True)
    signups.publish_activity(
        actor=request.user,
        activity=target,
        scope=request.scope,
        start_time=payload.start_time,
        end_time=payload.end_time,
        capacity=payload.capacity,
        roles_needed=payload.roles_needed,
        resources={"venue": payload.venue, "money": payload.money, "goods": payload.goods},
    )
    return organised_activity_or_404(request.scope, activity_id)


@router.get("/activities/{activity_id}/signups", response=list[RosterOut])
def activity_signups(request: ScopedRequest, activity_id: Id) -> list[Any]:
    """The roster of an activity the caller organises: names and phones masked."""
    return roster(organised_activity_or_404(request.scope, activity_id))


@router.post("/activities/{activity_id}/attendance", response=AttendanceOut)
def by_hand(request: ScopedRequest, activity_id: Id, payload: HandIn) -> Attendance:
    """Check a signed-up volunteer in or out by hand (organisers of the activity's area)."""
    target = organised_activity_or_404(request.scope, activity_id)
    volunteer = (
        Volunteer.objects.filter(pk=payload.volunteer_id, signups__activity=target)
        .exclude(signups__state=SignUp.State.CANCELLED)
        .distinct()
        .first()
    )
    if volunteer is None:
        raise DomainError(_("This volunteer is not signed up for the activity."), field="volunteer_id")
    with api_field_names(_JSON_NAMES):
        if payload.step == "in":
            return checkins.check_in(
                actor=request.user,
                activity=target,
                volunteer=volunteer,
                method=Attendance.Method.BY_HAND,
                scope=request.scope,
            )
        return checkins.check_out(
            actor=request.user, activity=target, volunteer=volunteer, by_hand=True, scope=request.scope
        )


@router.post("/activities/{activity_id}/cancel", response=CancelledOut)
def cancel_activity(request: ScopedRequest, activity_id: Id, payload: CancelIn) -> Activity:
    """Cancel a published activity with a reason (activities.manage at its area; 404
    otherwise); everyone confirmed or waiting is told. A draft, an ended or a cancelled
    activity is a 400 naming "activity"; an empty or too long reason names "reason"."""
    target = organised_activity_or_404(request.scope, activity_id, publish=True)
    return signups.cancel_activity(actor=request.user, activity=target, reason=payload.reason, scope=request.scope)


# --- partners -----------------------------------------------------------------------------------


@router.get("/partners", response=list[PartnerListOut])
def partners(request: ScopedRequest) -> list[dict[str, Any]]:
    """The partners the caller keeps (volunteers.manage; 404 without it), by name, with
    their representatives masked."""
    require(request.scope, "volunteers.manage")
    rows = partner_rows(list(kept_partners(request.scope)[:500]))
    return [
        {
            "id": row["partner"].pk,
            "name": row["partner"].name,
            "kind": row["partner"].kind,
            "place_id": row["partner"].place_id,
            "place_name": row["partner"].place.name if row["partner"].place else None,
            "representatives": row["representatives"],
            "volunteer_count": row["partner"].volunteer_count,
        }
        for row in rows
    ]


@router.post("/partners", response={201: PartnerOut})
def create_partner(request: ScopedRequest, payload: PartnerIn) -> Status[Partner]:
    """Add a partner: community admins and above (partners.manage; 404 without it anywhere,
    403 for a place outside its reach)."""
    require(request.scope, "partners.manage")
    place = sent_row(
        Place.objects.visible_to(request.scope).select_related("grid"),
        payload.place_id,
        field="place_id",
        message=_("Unknown place."),
    )
    with api_field_names(_JSON_NAMES):
        partner = signups.create_partner(
            actor=request.user, scope=request.scope, name=payload.name, kind=payload.kind, place=place
        )
    return Status(201, partner)


@router.post("/partners/{partner_id}/representatives", response=PartnerOut)
def add_representative(request: ScopedRequest, partner_id: Id, payload: RepresentativeIn) -> Partner:
    """Make an account the partner's representative (and, with a place, a partner
    representative of it): volunteers.manage and accounts.manage where the partner is; 403
    from the action without accounts.manage there."""
    require(request.scope, "volunteers.manage")
    partner = kept_partner_or_404(request.scope, partner_id)
    user = sent_row(
        User.objects.filter(is_active=True), payload.user_id, field="user_id", message=_("Unknown account.")
    )
    with api_field_names({"user": "user_id"}):
        return signups.add_representative(actor=request.user, scope=request.scope, partner=partner, user=user)
