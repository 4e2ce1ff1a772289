"""Writes on volunteers and their activities: registration (a real name and a phone, once
each), partners and their representatives, publishing an activity for sign-up, signing up
with a waiting list that moves up by itself, reminders the day before, joining without an
account and cancelling an activity. Check-in and check-out at the venue are in
`signups.checkins`; the reads, the user's own registration among them, in `signups.queries`.

Each write runs in one transaction and leaves an audit entry without names or phones.
Refusals are DomainErrors naming the field. Counting places locks the activity's row, so
parallel sign-ups never pass its capacity.
"""

import re
import secrets
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from nuanxin.accounts.actions import create_user, grant_role
from nuanxin.accounts.models import RoleGrant, User
from nuanxin.accounts.roles import GLOBAL_ROLES, Role
from nuanxin.core import audit
from nuanxin.core.access import check_at
from nuanxin.core.audit import SYSTEM
from nuanxin.core.checkin_codes import new_secret
from nuanxin.core.crypto import blind_index
from nuanxin.core.errors import DomainError
from nuanxin.core.notifications import notify
from nuanxin.core.scoping import Scope
from nuanxin.core.validators import normalize_mobile, plain_text
from nuanxin.territory.models import Area, Place
from nuanxin.volunteers.models import (
    NEW_EMPLOYMENT_GROUPS,
    ORGANISER_PERMISSIONS,
    Activity,
    ParticipantGroup,
    Partner,
    SignUp,
    Volunteer,
)
from nuanxin.volunteers.signups.queries import community_of, ends_at, local_tz, registered_volunteer, starts_at

PHONE_PURPOSE = "volunteers.phone"
NAME_MAX = 30
EMPLOYER_MAX = 120
AVAILABILITY_MAX = 200
SKILL_MAX, SKILLS_MAX = 30, 20
ROLE_MAX, ROLES_MAX = 60, 20
RESOURCE_TEXT_MAX = 200
_MARKUP = re.compile(r"[<>]")
# Besides letters and combining marks, a real name may hold the middle dot of minority and
# foreign names (阿卜杜热合曼·买买提), spaces, hyphens and apostrophes.
_NAME_PUNCTUATION = set("·•・.．-‐'’ ")


def clean_real_name(name: str, *, field: str = "name") -> str:
    """A real name as written: 1 to 30 characters of letters in any script (Chinese names
    of two characters, four, or a minority name with a middle dot), never digits or markup.
    There is deliberately no rule that a name be ASCII, or Chinese."""
    name = unicodedata.normalize("NFC", (name or "").strip())
    name = re.sub(r"\s+", " ", name)
    if not name:
        raise DomainError(_("Your real name is required."), field=field)
    if len(name) > NAME_MAX:
        raise DomainError(_("At most %(n)d characters.") % {"n": NAME_MAX}, field=field)
    for ch in name:
        kind = unicodedata.category(ch)
        if kind.startswith("N"):
            raise DomainError(_("A name has no digits."), field=field)
        if not (kind.startswith("L") or kind.startswith("M") or ch in _NAME_PUNCTUATION):
            raise DomainError(_("A name holds letters only: remove %(ch)s.") % {"ch": ch}, field=field)
    if not any(unicodedata.category(ch).startswith("L") for ch in name):
        raise DomainError(_("Your real name is required."), field=field)
    return name


def phone_index(phone: str) -> str:
    """The blind index a volunteer's (normalised) phone is found by."""
    return blind_index(phone, purpose=PHONE_PURPOSE)


# An organiser's action outside their reach (the message does not say who holds what).
OUTSIDE = gettext_noop("This is outside the area where you may do this.")


def check_organises(scope: Scope, activity: Activity) -> None:
    """Organisers of the activity's area: activities.manage or volunteers.manage there."""
    check_at(scope, activity.area.path, *ORGANISER_PERMISSIONS, any_of=True, message=_(OUTSIDE))


# --- volunteers and partners --------------------------------------------------------------------


def _text_list(values: Iterable[str], *, field: str, limit: int, most: int, too_many: str) -> list[str]:
    """Short plain texts (a list, or one text split at commas, 、, semicolons or new lines),
    each at most `limit` characters, without repeats; more than `most` is refused with
    `too_many` (a message taking %(n)d)."""
    if isinstance(values, str):
        values = re.split(r"[,，、;；\n]", values)
    cleaned: list[str] = []
    for value in values:
        text = plain_text(str(value), field=field, limit=limit)
        if text and text not in cleaned:
            cleaned.append(text)
    if len(cleaned) > most:
        raise DomainError(too_many % {"n": most}, field=field)
    return cleaned


@transaction.atomic
def register_volunteer(
    *,
    actor: Any,
    user: Any,
    name: str,
    phone: str,
    group: str,
    employer: str = "",
    partner: Partner | None = None,
    skills: Iterable[str] = (),
    availability: str = "",
    home_grid: Area | None = None,
    scope: Scope,
    now: datetime | None = None,
) -> Volunteer:
    """Register `user` as a volunteer: one registration per account and per phone (found by
    the phone's blind index; the phone itself is stored encrypted). Someone registers
    themselves; staff with volunteers.manage at the home grid may register someone else.
    A delivery rider, courier or driver also becomes a mobile reporter of the home grid's
    community, so they can report what they see on their routes.

    Refuses, naming the field: a missing account ("user"); an account already registered
    ("user"); a name that is empty, too long, holds digits or markup ("name"); a phone that is
    not a mainland mobile or is registered already ("phone"); an unknown group ("group");
    over-long or marked-up employer, skills, availability; a home grid that is not a grid, or
    none for a rider, courier or driver ("home_grid"); registering someone else outside
    one's volunteers.manage reach ("user").
    The mobile-reporter role of one's own registration is granted by the system (a rule of
    registering, not a power of the registrant); registering someone else grants it as the
    actor, who then needs accounts.manage on the community (`grant_role` refuses otherwise)."""
    if user is None or not getattr(user, "pk", None):
        raise DomainError(_("Sign in to register."), field="user")
    name = clean_real_name(name)
    phone = normalize_mobile(phone, field="phone")
    if group not in ParticipantGroup.values:
        raise DomainError(_("Unknown group."), field="group")
    employer = plain_text(employer, field="employer", limit=EMPLOYER_MAX)
    availability = plain_text(availability, field="availability", limit=AVAILABILITY_MAX)
    cleaned_skills = _text_list(
        skills, field="skills", limit=SKILL_MAX, most=SKILLS_MAX, too_many=_("At most %(n)d skills.")
    )
    if home_grid is not None and home_grid.level != Area.Level.GRID:
        raise DomainError(_("Choose a grid."), field="home_grid")
    if home_grid is None and group in NEW_EMPLOYMENT_GROUPS:
        raise DomainError(_("Choose the grid you mostly work in."), field="home_grid")
    registers_self = actor is not SYSTEM and getattr(actor, "pk", None) == user.pk
    if not registers_self and home_grid is None and not scope.has("volunteers.manage"):
        raise DomainError(_("You may register only yourself."), field="user")
    if not registers_self and home_grid is not None:
        check_at(scope, home_grid.path, "volunteers.manage", message=_(OUTSIDE), field="user")
    if Volunteer.objects.filter(user=user).exists():
        raise DomainError(_("This account is registered as a volunteer already."), field="user")
    index = phone_index(phone)
    if Volunteer.objects.filter(phone_index=index).exists():
        raise DomainError(_("This phone is registered already."), field="phone")
    try:
        with transaction.atomic():
            volunteer = Volunteer.objects.create(
                user=user,
                name=name,
                phone=phone,
                phone_index=index,
                group=group,
                employer=employer,
                partner=partner,
                skills=cleaned_skills,
                availability=availability,
                home_grid=home_grid,
                registered_at=now or timezone.now(),
            )
    except IntegrityError:  # the same account or phone, registered a moment ago
        raise DomainError(_("This phone or account is registered already."), field="phone") from None
    area_path = home_grid.path if home_grid is not None else ""
    audit.record(
        "volunteers.registered",
        actor=actor,
        obj=volunteer,
        area_path=area_path,
        detail={"group": group, "partner": partner.pk if partner else None, "home_grid": home_grid and home_grid.pk},
    )
    community = community_of(home_grid) if home_grid is not None else None
    # A rider who already reports in this community keeps the one grant they have.
    if (
        group in NEW_EMPLOYMENT_GROUPS
        and community is not None
        and not RoleGrant.objects.filter(user=user, role=Role.MOBILE_REPORTER, area=community).exists()
    ):
        grant_role(actor=SYSTEM if registers_self else actor, user=user, role=Role.MOBILE_REPORTER, area=community)
    return volunteer


@transaction.atomic
def create_partner(*, actor: Any, name: str, kind: str, place: Place | None = None, scope: Scope) -> Partner:
    """An organisation that brings volunteers (a unit, a merchant, a delivery platform).
    Needs partners.manage (community admins and above) at the place's grid when one is named,
    or anywhere for a partner without a place. Refuses: a place out of reach ("place"), no
    partners.manage at all ("forbidden"); an empty, long, marked-up or taken name ("name");
    an unknown kind ("kind")."""
    if not scope.has("partners.manage"):
        raise DomainError(_("You may not add partners."), code="forbidden")
    if place is not None:
        check_at(scope, place.grid.path, "partners.manage", message=_(OUTSIDE), field="place")
    name = plain_text(name, field="name", limit=120, required=True)
    if kind not in Partner.Kind.values:
        raise DomainError(_("Unknown kind of partner."), field="kind")
    if Partner.objects.filter(name__iexact=name).exists():
        raise DomainError(_("A partner of this name exists already."), field="name")
    partner = Partner.objects.create(name=name, kind=kind, place=place)
    audit.record("volunteers.partner_created", actor=actor, obj=partner, detail={"kind": kind})
    return partner


@transaction.atomic
def add_representative(*, actor: Any, partner: Partner, user: Any, scope: Scope) -> Partner:
    """An account that speaks for the partner (confirms its vouchers, brings its people).
    With a place, the account also holds the partner-representative role on it. Needs
    volunteers.manage and accounts.manage at the place's grid (a partner without a place:
    both somewhere). The role itself is granted
    through `grant_role`, which checks accounts.manage again. Refuses: no permission
    ("forbidden"); no account, one that represents the partner already, or one holding a
    global role (a system admin or an auditor speaks for no partner) ("user")."""
    if partner.place is not None:
        check_at(scope, partner.place.grid.path, "volunteers.manage", "accounts.manage", message=_(OUTSIDE))
    elif not (scope.has("volunteers.manage") and scope.has("accounts.manage")):
        raise DomainError(_("You may not keep partners."), code="forbidden")
    if user is None:
        raise DomainError(_("Choose an account."), field="user")
    if user.role_grants.filter(role__in=GLOBAL_ROLES).exists():
        raise DomainError(_("A system admin or an auditor cannot represent a partner."), field="user")
    if partner.representatives.filter(pk=user.pk).exists():
        raise DomainError(_("This account represents the partner already."), field="user")
    partner.representatives.add(user)
    if partner.place is not None:
        grant_role(actor=actor, user=user, role=Role.PARTNER_REP, unit=partner.place)
    audit.record("volunteers.representative_added", actor=actor, obj=partner, detail={"user": user.pk})
    return partner


# --- publishing ---------------------------------------------------------------------------------


def _resources(resources: Mapping[str, Any] | None) -> dict[str, Any]:
    """{"venue": text, "money": yuan (a number ≥ 0, two decimals), "goods": text}; empty
    entries left out."""
    resources = dict(resources or {})
    unknown = set(resources) - {"venue", "money", "goods"}
    if unknown:
        raise DomainError(_("Unknown resource: %(name)s.") % {"name": sorted(unknown)[0]}, field="resources")
    cleaned: dict[str, Any] = {}
    for key in ("venue", "goods"):
        text = plain_text(str(resources.get(key) or ""), field=key, limit=RESOURCE_TEXT_MAX)
        if text:
            cleaned[key] = text
    money = resources.get("money")
    if money not in (None, ""):
        try:
            amount = Decimal(str(money)).quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError):
            raise DomainError(_("Give an amount in yuan."), field="money") from None
        if amount < 0 or amount > Decimal("100000000"):
            raise DomainError(_("Give an amount in yuan."), field="money")
        cleaned["money"] = str(amount)
    return cleaned


@transaction.atomic
def publish_activity(
    *,
    actor: Any,
    activity: Activity,
    start_time: time | None,
    end_time: time | None,
    capacity: int | None,
    roles_needed: Iterable[str] = (),
    resources: Mapping[str, Any] | None = None,
    scope: Scope,
    now: datetime | None = None,
) -> Activity:
    """Open an activity for sign-up (or change a published one): its times on its first and
    last day, its capacity (None: no limit), the roles it needs and the resources it uses.
    It gets the secret its venue code is signed with. Raising the capacity moves the waiting
    list up; lowering it below the confirmed sign-ups is refused.

    Refuses: an activity outside the actor's activities.manage reach
    (forbidden); a cancelled activity ("activity"); no start or end time ("start_time",
    "end_time"); an end not after the start ("end_time"); a start not in the future
    ("start_time"); a capacity below 1 or below the confirmed sign-ups ("capacity");
    over-long or marked-up roles ("roles_needed") or resources ("venue", "money", "goods")."""
    check_at(scope, activity.area.path, "activities.manage", message=_(OUTSIDE))
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    now = now or timezone.now()
    if activity.cancelled:
        raise DomainError(_("This activity is cancelled."), field="activity")
    if start_time is None:
        raise DomainError(_("A start time is required."), field="start_time")
    if end_time is None:
        raise DomainError(_("An end time is required."), field="end_time")
    begin = datetime.combine(activity.starts_on, start_time, tzinfo=local_tz())
    end = datetime.combine(activity.ends_on, end_time, tzinfo=local_tz())
    if end <= begin:
        raise DomainError(_("The end must come after the start."), field="end_time")
    if begin <= now:
        raise DomainError(_("An activity opens for sign-up only before it starts."), field="start_time")
    if capacity is not None:
        if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
            raise DomainError(_("A capacity is at least 1, or empty for no limit."), field="capacity")
        confirmed = activity.signups.filter(state=SignUp.State.CONFIRMED).count()
        if capacity < confirmed:
            raise DomainError(
                _("%(n)d people are confirmed already: the capacity cannot be lower.") % {"n": confirmed},
                field="capacity",
            )
    activity.roles_needed = _text_list(
        roles_needed, field="roles_needed", limit=ROLE_MAX, most=ROLES_MAX, too_many=_("At most %(n)d roles.")
    )
    activity.resources = _resources(resources)
    activity.start_time, activity.end_time, activity.capacity = start_time, end_time, capacity
    first_time = not activity.published
    activity.published = True
    if not activity.checkin_secret:
        activity.checkin_secret = new_secret()
    activity.save()
    audit.record(
        "volunteers.activity_published" if first_time else "volunteers.activity_updated",
        actor=actor,
        obj=activity,
        detail={"capacity": capacity, "roles": len(activity.roles_needed)},
    )
    _move_up(activity, actor=actor, now=now)
    return activity


# --- sign-up ------------------------------------------------------------------------------------


def _open_for_signup(activity: Activity, now: datetime) -> None:
    if activity.cancelled:
        raise DomainError(_("This activity is cancelled."), field="activity")
    if not activity.published:
        raise DomainError(_("This activity is not open for sign-up."), field="activity")
    begin = starts_at(activity)
    if begin is None or begin <= now:
        raise DomainError(_("This activity has started: sign-up is closed."), field="activity")


@transaction.atomic
def sign_up(*, actor: Any, activity: Activity, role: str = "", now: datetime | None = None) -> SignUp:
    """Sign the actor's volunteer up: confirmed while places are left, else on the waiting
    list (in the order people signed up), which moves up when someone cancels. The activity's
    row is locked while the places are counted, so parallel sign-ups never pass the capacity.

    Refuses: an actor who is not a registered volunteer ("volunteer"); a cancelled,
    unpublished or started activity, or one they are signed up for already ("activity"); a
    role the activity does not need ("role")."""
    volunteer = registered_volunteer(actor)
    now = now or timezone.now()
    activity = Activity.objects.select_for_update().select_related("area").get(pk=activity.pk)
    _open_for_signup(activity, now)
    role = (role or "").strip()
    if role and role not in (activity.roles_needed or []):
        raise DomainError(_("Choose one of the roles this activity needs."), field="role")
    if SignUp.objects.filter(activity=activity, volunteer=volunteer).exclude(state=SignUp.State.CANCELLED).exists():
        raise DomainError(_("You are signed up for this activity already."), field="activity")
    confirmed = SignUp.objects.filter(activity=activity, state=SignUp.State.CONFIRMED).count()
    full = activity.capacity is not None and confirmed >= activity.capacity
    state = SignUp.State.WAITING if full else SignUp.State.CONFIRMED
    try:
        with transaction.atomic():
            signup = SignUp.objects.create(
                activity=activity, volunteer=volunteer, role=role, state=state, signed_up_at=now
            )
    except IntegrityError:
        raise DomainError(_("You are signed up for this activity already."), field="activity") from None
    audit.record("volunteers.signed_up", actor=actor, obj=activity, detail={"signup": signup.pk, "state": state})
    return signup


@transaction.atomic
def cancel_signup(*, actor: Any, signup: SignUp, scope: Scope, now: datetime | None = None) -> SignUp:
    """Cancel a sign-up (it stays on record): by the volunteer, or by an organiser of the
    activity's area. A confirmed place that frees goes to the first on the waiting list, who
    is told. Refuses: someone else's sign-up outside one's reach (forbidden);
    a sign-up cancelled already, or an activity that has started ("signup")."""
    now = now or timezone.now()
    activity = Activity.objects.select_for_update().select_related("area").get(pk=signup.activity_id)
    signup = SignUp.objects.select_related("volunteer").get(pk=signup.pk)
    if signup.volunteer.user_id != getattr(actor, "pk", None):
        check_organises(scope, activity)
    if signup.state == SignUp.State.CANCELLED:
        raise DomainError(_("This sign-up is cancelled already."), field="signup")
    begin = starts_at(activity)
    if begin is not None and begin <= now:
        raise DomainError(_("The activity has started: the sign-up can no longer be cancelled."), field="signup")
    was = signup.state
    signup.state, signup.cancelled_at = SignUp.State.CANCELLED, now
    signup.save(update_fields=["state", "cancelled_at"])
    audit.record("volunteers.signup_cancelled", actor=actor, obj=activity, detail={"signup": signup.pk, "was": was})
    _move_up(activity, actor=actor, now=now)
    return signup


def _move_up(activity: Activity, *, actor: Any, now: datetime) -> list[SignUp]:
    """Confirm the first on the waiting list while places are left (the caller holds the
    activity's lock), and tell each of them."""
    if activity.cancelled:
        return []
    waiting = (
        SignUp.objects.filter(activity=activity, state=SignUp.State.WAITING)
        .select_related("volunteer__user")
        .order_by("signed_up_at", "id")
    )
    if activity.capacity is not None:
        confirmed = SignUp.objects.filter(activity=activity, state=SignUp.State.CONFIRMED).count()
        waiting = waiting[: max(activity.capacity - confirmed, 0)]
    moved = list(waiting)
    for signup in moved:
        signup.state = SignUp.State.CONFIRMED
        signup.save(update_fields=["state"])
        audit.record("volunteers.signup_moved_up", actor=actor, obj=activity, detail={"signup": signup.pk})
        notify(
            recipients=[signup.volunteer.user],
            kind="volunteers.moved_up",
            title=_("A place for you: %(title)s") % {"title": activity.title},
            body=_("A place freed up and your sign-up for %(title)s on %(day)s is now confirmed.")
            % {"title": activity.title, "day": activity.starts_on.isoformat()},
            url=reverse("volunteers:activity", args=[activity.pk]),
            now=now,
        )
    return moved


def send_reminders(*, now: datetime | None = None) -> int:
    """Tell every confirmed volunteer of an activity starting by the end of tomorrow (local
    time) that has not started yet, once each (reminded_at). Safe to run twice or in
    parallel: a sign-up is claimed by a conditional update before its notice is written."""
    now = now or timezone.now()
    today = timezone.localtime(now, local_tz()).date()
    tomorrow = today + timedelta(days=1)
    due = (
        SignUp.objects.filter(
            state=SignUp.State.CONFIRMED,
            reminded_at__isnull=True,
            activity__published=True,
            activity__cancelled=False,
            activity__starts_on__gte=today,
            activity__starts_on__lte=tomorrow,
            activity__start_time__isnull=False,
        )
        .select_related("activity", "volunteer__user")
        .order_by("activity_id", "id")
    )
    sent = 0
    for signup in due:
        activity = signup.activity
        begin = starts_at(activity)
        if begin is None or begin <= now:
            continue
        with transaction.atomic():
            if not SignUp.objects.filter(pk=signup.pk, reminded_at__isnull=True).update(reminded_at=now):
                continue
            notify(
                recipients=[signup.volunteer.user],
                kind="volunteers.reminder",
                title=_("Tomorrow: %(title)s") % {"title": activity.title},
                body=_("%(title)s starts at %(at)s, %(place)s.")
                % {
                    "title": activity.title,
                    "at": timezone.localtime(begin).strftime("%Y-%m-%d %H:%M"),
                    "place": activity.location or activity.area.name,
                },
                url=reverse("volunteers:activity", args=[activity.pk]),
                now=now,
            )
            sent += 1
    if sent:
        audit.record("volunteers.reminders_sent", detail={"count": sent})
    return sent


# --- joining without an account -----------------------------------------------------------------


def _phone_taken_error() -> DomainError:
    # One message whether the phone names an account, a volunteer or both: it says no more
    # than that the phone is in use and where to go.
    return DomainError(_("This phone is registered: sign in."), field="phone", code="registered")


@transaction.atomic
def join(
    *,
    name: str,
    phone: str,
    password: str,
    group: str,
    employer: str = "",
    home_grid: Area | None = None,
    now: datetime | None = None,
) -> Any:
    """A visitor without an account joins from the phone: an account (its username made up,
    "v" and ten hex digits, so no phone lands in the audit log's actor names; they sign in
    with their phone and password through `PhoneBackend`), and their volunteer
    registration (a rider also becomes a mobile reporter of the grid's community), in one
    transaction. The new person is the actor of both writes.

    Refuses, naming the field, and writing nothing: everything `register_volunteer` refuses
    ("name", "phone", "group", "employer", "home_grid"); a phone that is already an account's
    username or a volunteer's phone ("phone", one message for both); a password Django's
    validators reject ("password")."""

    name = clean_real_name(name)
    phone = normalize_mobile(phone, field="phone")
    if group not in ParticipantGroup.values or group == ParticipantGroup.STAFF:
        raise DomainError(_("Unknown group."), field="group")
    employer = plain_text(employer, field="employer", limit=EMPLOYER_MAX)
    if home_grid is None or home_grid.level != Area.Level.GRID:
        raise DomainError(_("Choose the grid you mostly work in."), field="home_grid")
    if User.objects.filter(username__iexact=phone).exists():
        raise _phone_taken_error()
    if Volunteer.objects.filter(phone_index=phone_index(phone)).exists():
        raise _phone_taken_error()
    try:
        with transaction.atomic():
            user = create_user(actor=None, username=f"v{secrets.token_hex(5)}", password=password, display_name=name)
    except IntegrityError:  # the same phone, joined a moment ago
        raise _phone_taken_error() from None
    except DomainError as exc:
        if exc.field == "username":
            raise _phone_taken_error() from None
        raise
    # The display name is the real name: it does not go in the entry.
    audit.record(
        "accounts.joined",
        actor=user,
        obj=user,
        object_repr=f"user #{user.pk}",
        detail={"group": group, "home_grid": home_grid.pk},
    )
    try:
        register_volunteer(
            actor=user,
            user=user,
            name=name,
            phone=phone,
            group=group,
            employer=employer,
            home_grid=home_grid,
            scope=Scope(user_id=user.pk),  # a new account holds nothing: it registers itself
            now=now,
        )
    except DomainError as exc:
        if exc.field == "user":  # cannot happen for a new account; never blame a hidden field
            raise DomainError(exc.message, field="phone") from None
        raise
    return user


# --- cancelling an activity ---------------------------------------------------------------------

CANCEL_REASON_MAX = 200


@transaction.atomic
def cancel_activity(
    *,
    actor: Any,
    activity: Activity,
    reason: str,
    scope: Scope,
    now: datetime | None = None,
) -> Activity:
    """Cancel a published activity (rain, a venue lost): it takes no more sign-ups or
    check-ins, its code stops working, and everyone confirmed or waiting is told why. The
    sign-ups stay as they were, on record; the reason and the time are kept on the activity
    (`cancel_reason`, `cancelled_at`) for its pages. The activity's row is locked, so a
    sign-up at the same moment either comes first (and is told) or is refused.

    Refuses: an activity outside the actor's activities.manage reach
    (forbidden); an unpublished or cancelled activity, or one that has ended ("activity"); an
    empty, over-long or marked-up reason ("reason")."""
    check_at(scope, activity.area.path, "activities.manage", message=_(OUTSIDE))
    now = now or timezone.now()
    activity = Activity.objects.select_for_update().select_related("area").get(pk=activity.pk)
    if activity.cancelled:
        raise DomainError(_("This activity is cancelled already."), field="activity")
    if not activity.published:
        raise DomainError(_("Only a published activity can be cancelled."), field="activity")
    end = ends_at(activity)
    if end is not None and end <= now:
        raise DomainError(_("This activity has ended: it can no longer be cancelled."), field="activity")
    reason = plain_text(reason, field="reason", limit=CANCEL_REASON_MAX, required=True)
    activity.cancelled = True
    activity.cancel_reason = reason
    activity.cancelled_at = now
    activity.save(update_fields=["cancelled", "cancel_reason", "cancelled_at", "updated_at"])
    live = (
        SignUp.objects.filter(activity=activity, state__in=[SignUp.State.CONFIRMED, SignUp.State.WAITING])
        .select_related("volunteer__user")
        .order_by("id")
    )
    people = [s.volunteer.user for s in live]
    notify(
        recipients=people,
        kind="volunteers.activity_cancelled",
        title=_("Cancelled: %(title)s") % {"title": activity.title},
        body=_("%(title)s on %(day)s is cancelled. Reason: %(reason)s")
        % {"title": activity.title, "day": activity.starts_on.isoformat(), "reason": reason},
        url=reverse("volunteers:activity", args=[activity.pk]),
        now=now,
    )
    audit.record(
        "volunteers.activity_cancelled",
        actor=actor,
        obj=activity,
        detail={"reason": reason, "notified": len(people)},
    )
    return activity
