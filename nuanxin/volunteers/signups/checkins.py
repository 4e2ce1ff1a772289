"""Check-in and check-out at the venue: by the activity's QR code (a volunteer's own phone) or
by the organiser's hand. The code is the activity's id signed with its check-in secret; it
opens an hour before the start, check-in closes at the end and check-out an hour later. An
attendance is unique per volunteer and activity in the database, so 500 people scanning at
once check in once each; checking out records the service hours."""

from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nuanxin.core import audit
from nuanxin.core.checkin_codes import code_for, object_for
from nuanxin.core.errors import DomainError
from nuanxin.core.scoping import Scope, system_scope
from nuanxin.volunteers.activities.actions import add_participant
from nuanxin.volunteers.hours.actions import record_service
from nuanxin.volunteers.models import Activity, Attendance, Participant, SignUp, Volunteer
from nuanxin.volunteers.signups.actions import check_organises
from nuanxin.volunteers.signups.queries import ends_at, registered_volunteer, starts_at

# The venue's code opens this long before the start and closes at the end.
CHECKIN_OPENS_BEFORE = timedelta(hours=1)
# The venue's code still checks people out for an hour after the end (a clean-up that ran
# late, a queue at the door); check-in itself closes at the end.
CHECKOUT_CLOSES_AFTER = timedelta(hours=1)
_CHECKIN_SALT = "nuanxin.volunteers.checkin"


def checkin_token(activity: Activity) -> str:
    """The token in the venue's QR code: the activity's id signed with its check-in secret
    (a new secret voids every printed code)."""
    if not activity.checkin_secret:
        raise DomainError(_("This activity is not open for sign-up."), field="activity")
    return code_for(_CHECKIN_SALT, activity.pk, activity.checkin_secret)


def checkin_window(activity: Activity) -> tuple[datetime, datetime] | None:
    begin, end = starts_at(activity), ends_at(activity)
    if begin is None or end is None:
        return None
    return begin - CHECKIN_OPENS_BEFORE, end


def activity_for_token(token: str, *, now: datetime | None = None) -> Activity:
    """The activity a venue code belongs to, if the code is genuine and valid now (from an
    hour before the start to an hour after the end, for checking out; `check_in` itself closes
    at the end). Refuses a forged, mangled or voided code, and one used outside its time,
    naming "token"."""
    now = now or timezone.now()
    activity = object_for(
        token,
        _CHECKIN_SALT,
        lambda pk: Activity.objects.select_related("area").filter(pk=pk).first(),
        lambda found: found.checkin_secret,
    )
    window = checkin_window(activity)
    if activity.cancelled or not activity.published or window is None:
        raise DomainError(_("This activity is not open for check-in."), field="token")
    if now < window[0]:
        raise DomainError(
            _("Check-in opens at %(at)s.") % {"at": timezone.localtime(window[0]).strftime("%Y-%m-%d %H:%M")},
            field="token",
        )
    if now > window[1] + CHECKOUT_CLOSES_AFTER:
        raise DomainError(_("This check-in code has expired: the activity is over."), field="token")
    return activity


def _add_participant(activity: Activity, volunteer: Volunteer, *, actor: Any) -> None:
    """Count the volunteer among the activity's participants with their group, once."""
    if Participant.objects.filter(activity=activity, user_id=volunteer.user_id).exists():
        return
    add_participant(
        actor=actor,
        activity=activity,
        group=volunteer.group,
        user=volunteer.user,
        name=volunteer.name,
        scope=system_scope("a volunteer checked in is a participant"),
    )


@transaction.atomic
def check_in(
    *,
    actor: Any,
    activity: Activity,
    volunteer: Volunteer | None = None,
    method: str = Attendance.Method.QR,
    scope: Scope,
    now: datetime | None = None,
) -> Attendance:
    """Check a volunteer in at the activity, once: by the venue's code (the actor's own
    volunteer; the caller has checked the code with `activity_for_token`) or by an organiser's
    hand (a volunteer signed up for it). The database allows one attendance per volunteer
    and activity; whoever comes second is told they are checked in already. The volunteer
    becomes a participant of the activity with their group.

    Refuses: a check-in by hand outside the actor's reach (forbidden); an
    unknown method ("method"); an actor who is not a volunteer ("volunteer"); by hand, a
    volunteer not signed up ("volunteer"); outside the check-in time ("activity"); a volunteer
    checked in already ("volunteer")."""
    now = now or timezone.now()
    if method == Attendance.Method.BY_HAND:
        check_organises(scope, activity)
        if volunteer is None:
            raise DomainError(_("Choose a volunteer."), field="volunteer")
        signed = SignUp.objects.filter(activity=activity, volunteer=volunteer).exclude(state=SignUp.State.CANCELLED)
        if not signed.exists():
            raise DomainError(_("This volunteer is not signed up for the activity."), field="volunteer")
    elif method == Attendance.Method.QR:
        volunteer = registered_volunteer(actor)
    else:
        raise DomainError(_("Unknown method."), field="method")
    window = checkin_window(activity)
    if activity.cancelled or not activity.published or window is None:
        raise DomainError(_("This activity is not open for check-in."), field="activity")
    if not window[0] <= now <= window[1]:
        raise DomainError(_("Check-in is open from an hour before the start to the end."), field="activity")
    try:
        with transaction.atomic():
            attendance, created = Attendance.objects.get_or_create(
                activity=activity,
                volunteer=volunteer,
                defaults={
                    "checked_in_at": now,
                    "method": method,
                    "recorded_by": actor if method == Attendance.Method.BY_HAND else None,
                },
            )
    except IntegrityError:
        created = False
    if not created:
        raise DomainError(_("Checked in already."), field="volunteer", code="duplicate")
    _add_participant(activity, volunteer, actor=actor)
    audit.record(
        "volunteers.checked_in",
        actor=actor,
        obj=activity,
        detail={"attendance": attendance.pk, "volunteer": volunteer.pk, "method": method},
    )
    return attendance


@transaction.atomic
def check_out(
    *,
    actor: Any,
    activity: Activity,
    volunteer: Volunteer | None = None,
    by_hand: bool = False,
    scope: Scope,
    now: datetime | None = None,
) -> Attendance:
    """Check a volunteer out (the actor's own volunteer, or by an organiser's hand), then
    record the service hours (`nuanxin.volunteers.hours.actions.record_service`).

    Refuses: by hand outside the actor's reach (forbidden); an actor who is
    not a volunteer ("volunteer"); no check-in, or a check-out already ("volunteer")."""
    now = now or timezone.now()
    if by_hand:
        check_organises(scope, activity)
        if volunteer is None:
            raise DomainError(_("Choose a volunteer."), field="volunteer")
    else:
        volunteer = registered_volunteer(actor)
    attendance = (
        Attendance.objects.select_for_update()
        .select_related("activity__area", "volunteer")
        .filter(activity=activity, volunteer=volunteer)
        .first()
    )
    if attendance is None:
        raise DomainError(_("Not checked in."), field="volunteer")
    if attendance.checked_out_at is not None:
        raise DomainError(_("Checked out already."), field="volunteer", code="duplicate")
    attendance.checked_out_at = max(now, attendance.checked_in_at)
    attendance.save(update_fields=["checked_out_at"])
    audit.record(
        "volunteers.checked_out",
        actor=actor,
        obj=activity,
        detail={"attendance": attendance.pk, "volunteer": volunteer.pk, "by_hand": by_hand},
    )
    record_service(actor=actor, attendance=attendance)
    return attendance
