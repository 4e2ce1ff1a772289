"""Reads for volunteers and sign-ups. A published activity is an announcement: any signed-in
person may see it and sign up (riders and residents hold no permissions). Sign-up lists,
attendance and the QR code are for the activity's organisers (activities.manage or
volunteers.manage at its area), with names masked; a volunteer sees only their own rows."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from nuanxin.core.access import deny
from nuanxin.core.errors import DomainError
from nuanxin.core.masking import mask_name, mask_phone
from nuanxin.core.scoping import Scope
from nuanxin.core.validators import normalize_mobile
from nuanxin.territory.models import Area
from nuanxin.volunteers.models import ORGANISER_PERMISSIONS, Activity, Attendance, Partner, SignUp, Volunteer


def local_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def starts_at(activity: Activity) -> datetime | None:
    """The activity's start as an aware datetime (local time), if it has a time."""
    if activity.start_time is None:
        return None
    return datetime.combine(activity.starts_on, activity.start_time, tzinfo=local_tz())


def ends_at(activity: Activity) -> datetime | None:
    """The activity's end as an aware datetime (local time), if it has a time."""
    if activity.end_time is None:
        return None
    return datetime.combine(activity.ends_on, activity.end_time, tzinfo=local_tz())


def volunteer_of(user: Any) -> Volunteer | None:
    """The user's own volunteer registration (with the home grid and the partner), if any:
    the one lookup the sign-up, hours and points pages and endpoints share."""
    if user is None or not getattr(user, "pk", None):
        return None
    found: Volunteer | None = (
        Volunteer.objects.select_related("home_grid", "partner").defer("home_grid__boundary").filter(user=user).first()
    )
    return found


def registered_volunteer(user: Any, *, field: str = "volunteer") -> Volunteer:
    """The user's volunteer registration, or a refusal asking them to register first."""
    volunteer = volunteer_of(user)
    if volunteer is None:
        raise DomainError(_("Register as a volunteer first."), field=field)
    return volunteer


def community_of(grid: Area) -> Area | None:
    """The community a grid lies in (its parent)."""
    parent = grid.parent
    return parent if parent is not None and parent.level == Area.Level.COMMUNITY else None


def home_grid_choices(user: Any) -> QuerySet[Area]:
    """The grids offered as a home grid: those of the communities where the user holds a
    role (a rider is a mobile reporter of one; a role on a grid offers its community's
    grids), else every grid."""
    paths = set()
    for grant in user.role_grants.select_related("area__parent"):
        area = grant.area
        if area is None:
            continue
        paths.add(area.parent.path if area.level == Area.Level.GRID and area.parent else area.path)
    grids = Area.objects.filter(level=Area.Level.GRID).defer("boundary").select_related("parent").order_by("path")
    if paths:
        near = Q(pk__in=[])
        for path in paths:
            near |= Q(path__startswith=path)
        mine = grids.filter(near)
        if mine.exists():
            return mine
    return grids


def _with_counts(activities: QuerySet[Activity]) -> QuerySet[Activity]:
    return (
        activities.select_related("area")
        .defer("area__boundary")
        .annotate(
            confirmed_count=Count("signups", filter=Q(signups__state=SignUp.State.CONFIRMED), distinct=True),
            waiting_count=Count("signups", filter=Q(signups__state=SignUp.State.WAITING), distinct=True),
        )
    )


def published_activities(*, now: datetime | None = None) -> QuerySet[Activity]:
    """Published activities not cancelled and not over, soonest first, with their confirmed
    and waiting counts."""
    today = timezone.localdate(now or timezone.now())
    activities = Activity.objects.filter(published=True, cancelled=False, ends_on__gte=today)
    return _with_counts(activities).order_by("starts_on", "start_time", "id")


def published_activity_or_404(user: Any, activity_id: int) -> Activity:
    """One published activity (an announcement, for any signed-in person); 404 otherwise."""
    activity = _with_counts(Activity.objects.filter(pk=activity_id, published=True)).first()
    if activity is None:
        raise deny(Scope(user_id=getattr(user, "pk", None)), f"volunteers.activity {activity_id}")
    return activity


def may_organise(scope: Scope, activity: Activity) -> bool:
    return any(scope.has_at(p, activity.area.path) for p in ORGANISER_PERMISSIONS)


def organised_activity_or_404(scope: Scope, activity_id: int, *, publish: bool = False) -> Activity:
    """An activity the viewer organises: activities.manage at its area (to publish it), or
    also volunteers.manage (sign-ups, attendance, the code); 404, audited, otherwise."""
    activity = _with_counts(Activity.objects.filter(pk=activity_id)).first()
    permissions = ("activities.manage",) if publish else ORGANISER_PERMISSIONS
    if activity is None or not any(scope.has_at(p, activity.area.path) for p in permissions):
        raise deny(scope, f"volunteers.activity {activity_id}")
    return activity


def my_signups(volunteer: Volunteer) -> QuerySet[SignUp]:
    """The volunteer's sign-ups, the soonest activity first, with the activity preloaded."""
    return (
        SignUp.objects.filter(volunteer=volunteer)
        .select_related("activity__area")
        .defer("activity__area__boundary")
        .order_by("-activity__starts_on", "-signed_up_at", "-id")
    )


def my_signup(volunteer: Volunteer | None, activity: Activity) -> SignUp | None:
    """The volunteer's live (not cancelled) sign-up for the activity."""
    if volunteer is None:
        return None
    return (
        SignUp.objects.filter(volunteer=volunteer, activity=activity)
        .exclude(state=SignUp.State.CANCELLED)
        .order_by("-id")
        .first()
    )


def signup_or_404(scope: Scope, signup_id: int) -> SignUp:
    """A sign-up the viewer owns, or one of an activity they organise; 404 otherwise."""
    signup = SignUp.objects.select_related("activity__area", "volunteer").filter(pk=signup_id).first()
    if signup is None or not (signup.volunteer.user_id == scope.user_id or may_organise(scope, signup.activity)):
        raise deny(scope, f"volunteers.signup {signup_id}")
    return signup


@dataclass(frozen=True)
class RosterRow:
    """One line of an activity's roster, as organisers see it: the name and phone masked."""

    signup_id: int
    volunteer_id: int
    name: str
    phone: str
    group: str
    group_label: str
    role: str
    state: str
    state_label: str
    signed_up_at: datetime
    checked_in_at: datetime | None
    checked_out_at: datetime | None


def roster(activity: Activity) -> list[RosterRow]:
    """The activity's live sign-ups (confirmed first, then the waiting list in its order)
    with their attendance, names and phones masked. Three queries whatever the size."""
    signups = list(
        SignUp.objects.filter(activity=activity)
        .exclude(state=SignUp.State.CANCELLED)
        .select_related("volunteer")
        .order_by("signed_up_at", "id")
    )
    attendance = {a.volunteer_id: a for a in Attendance.objects.filter(activity=activity)}
    order = {SignUp.State.CONFIRMED: 0, SignUp.State.WAITING: 1}
    signups.sort(key=lambda s: order.get(s.state, 2))  # type: ignore[call-overload]
    rows = []
    for s in signups:
        seen = attendance.get(s.volunteer_id)
        rows.append(
            RosterRow(
                signup_id=s.pk,
                volunteer_id=s.volunteer_id,
                name=mask_name(s.volunteer.name),
                phone=mask_phone(s.volunteer.phone),
                group=s.volunteer.group,
                group_label=str(s.volunteer.get_group_display()),
                role=s.role,
                state=s.state,
                state_label=str(s.get_state_display()),
                signed_up_at=s.signed_up_at,
                checked_in_at=seen.checked_in_at if seen else None,
                checked_out_at=seen.checked_out_at if seen else None,
            )
        )
    return rows


def attendance_of(volunteer: Volunteer | None, activity: Activity) -> Attendance | None:
    if volunteer is None:
        return None
    return Attendance.objects.filter(volunteer=volunteer, activity=activity).first()


def signup_open(activity: Activity, *, now: datetime | None = None) -> bool:
    """Whether the activity still takes sign-ups (published, not cancelled, not started)."""
    begin = starts_at(activity)
    return bool(activity.published and not activity.cancelled and begin and begin > (now or timezone.now()))


def organised_activities(scope: Scope) -> QuerySet[Activity]:
    """Activities the viewer may publish or run, the upcoming first (for the organiser's list)."""
    q = Q(pk__in=[])
    for permission in ORGANISER_PERMISSIONS:
        q |= scope.q(permission, "area__path")
    today = timezone.localdate()
    return _with_counts(Activity.objects.filter(q, ends_on__gte=today, cancelled=False)).order_by("starts_on", "id")


# --- partners -----------------------------------------------------------------------------------


def kept_partners(scope: Scope) -> QuerySet[Partner]:
    """Partners the viewer keeps (pages and API alike): those without a place (a delivery
    platform) and those whose place lies where they hold volunteers.manage; with their
    representatives preloaded and the count of their volunteers within the viewer's reach."""
    if scope.everything:
        within = Q()
    else:
        within = scope.q("volunteers.view", "volunteers__home_grid__path") | scope.q(
            "volunteers.manage", "volunteers__home_grid__path"
        )
    return (
        Partner.objects.filter(Q(place__isnull=True) | scope.q("volunteers.manage", "place__grid__path"))
        .select_related("place__grid")
        .defer("place__grid__boundary")
        .prefetch_related("representatives")
        .annotate(volunteer_count=Count("volunteers", filter=within, distinct=True))
        .order_by("name")
    )


def kept_partner_or_404(scope: Scope, partner_id: int) -> Partner:
    """One partner the viewer keeps (`kept_partners`); any other is a 404 with the denial
    audited, on the pages and in the API alike."""
    found = kept_partners(scope).filter(pk=partner_id).first()
    if found is None:
        raise deny(scope, f"volunteers.partner {partner_id}")
    return found


def masked_account(user: Any) -> str:
    """A representative as lists show them: the name masked, or a phone username masked."""
    if user.display_name:
        return mask_name(user.display_name)
    try:
        return mask_phone(normalize_mobile(user.username))
    except DomainError:
        return mask_name(user.username)


def partner_rows(partners: list[Partner]) -> list[dict[str, Any]]:
    """Partners with their representatives masked, as the pages and the API list them."""
    return [{"partner": p, "representatives": [masked_account(u) for u in p.representatives.all()]} for p in partners]
