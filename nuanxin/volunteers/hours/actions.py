"""Service hours, as the national record rules have them (志愿服务记录与证明出具办法): the
organiser records and certifies ("谁组织谁记录，谁记录谁证明"); the time counted is the time
actually served at the venue, inside the activity's time, so travel is excluded by
construction; the volunteer may ask for a correction; nothing is ever deleted.

Writes (one transaction, one audit entry each, refusals as DomainErrors naming the field):
`record_service` (after a check-out), `approve_record`, `request_correction`,
`decide_correction`, `set_star_levels`. Reads: a volunteer's records and totals, star
levels, an activity's records for its organisers.
"""

import importlib
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch, QuerySet, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from nuanxin.core import audit
from nuanxin.core.errors import DomainError
from nuanxin.core.scoping import Scope, deny
from nuanxin.core.validators import plain_text
from nuanxin.territory.models import Area
from nuanxin.territory.queries import ancestor_paths
from nuanxin.volunteers.models import (
    Activity,
    Attendance,
    HoursCorrection,
    ServiceRecord,
    StarLevels,
    Volunteer,
)

REASON_MAX = 500
NOTE_MAX = 500
# Cumulative approved hours for 1★…5★ (the 2012 record rules' practice); NUANXIN_STAR_HOURS
# overrides the default, a community's StarLevels row overrides both.
DEFAULT_STAR_HOURS: tuple[int, ...] = (100, 300, 600, 1000, 1500)
STARS = 5
# The permissions that make someone an organiser who certifies hours at an area.
CERTIFYING_PERMISSIONS = ("activities.manage", "volunteers.manage")


# The activity's time


def activity_window(activity: Activity) -> tuple[datetime, datetime]:
    """The activity's time as aware datetimes: its first day at its start time to its last
    day at its end time, in local time; without times, the whole days (00:00 of the first
    day to 24:00 of the last)."""
    tz = timezone.get_current_timezone()
    start = datetime.combine(activity.starts_on, activity.start_time or time.min)
    if activity.end_time is not None:
        end = datetime.combine(activity.ends_on, activity.end_time)
    else:
        end = datetime.combine(activity.ends_on + timedelta(days=1), time.min)
    return timezone.make_aware(start, tz), timezone.make_aware(end, tz)


def activity_minutes(activity: Activity) -> int:
    """The length of the activity's time in whole minutes: the most a record may hold."""
    start, end = activity_window(activity)
    return max(int((end - start).total_seconds() // 60), 0)


def served_minutes(activity: Activity, checked_in_at: datetime, checked_out_at: datetime) -> int:
    """Whole minutes of [check-in, check-out] that lie inside the activity's time: arriving
    early, leaving late and the way there and back do not count."""
    start, end = activity_window(activity)
    overlap = min(end, checked_out_at) - max(start, checked_in_at)
    return max(int(overlap.total_seconds() // 60), 0)


def hours_of(minutes: int) -> Decimal:
    """Minutes as hours with one decimal, rounded down (never more than served)."""
    return (Decimal(minutes) / Decimal(60)).quantize(Decimal("0.1"), rounding=ROUND_DOWN)


# Permissions


def may_certify(scope: Scope | None, activity: Activity) -> bool:
    """Whether the viewer certifies hours of this activity: activities.manage or
    volunteers.manage at its area (no scope: a trusted caller such as the demo)."""
    if scope is None:
        return True
    return any(scope.has_at(p, activity.area.path) for p in CERTIFYING_PERMISSIONS)


def check_certifies(scope: Scope | None, activity: Activity) -> None:
    if not may_certify(scope, activity):
        raise DomainError(
            _("%(area)s is outside the area where you certify volunteer hours.") % {"area": activity.area.name},
            code="forbidden",
        )


def _check_not_own(actor: Any, record: ServiceRecord) -> None:
    """Nobody certifies their own hours, even an organiser who also served."""
    if actor is not None and getattr(actor, "pk", None) == record.volunteer.user_id:
        raise DomainError(_("Your own hours are certified by another organiser."), code="forbidden")


def _locked(record: ServiceRecord) -> ServiceRecord:
    """The record re-read under a row lock, with what the rules read."""
    locked: ServiceRecord = (
        ServiceRecord.objects.select_for_update(of=("self",))
        .select_related("activity__area", "volunteer")
        .get(pk=record.pk)
    )
    return locked


# Writes


@transaction.atomic
def record_service(*, actor: Any, attendance: Attendance, now: datetime | None = None) -> ServiceRecord:
    """The service record of a checked-out attendance, awaiting the organiser's approval:
    the minutes of [check-in, check-out] inside the activity's time (travel and time before
    the start or after the end excluded). Zero minutes (someone who checked in and out
    outside the activity's time) is still recorded, so the attendance shows and a correction
    can be asked for. Called again for the same attendance, it returns the record it made.

    Refuses an attendance without a check-out ("checked_out_at")."""
    if attendance.checked_out_at is None:
        raise DomainError(_("The volunteer has not checked out yet."), field="checked_out_at")
    # The attendance's row lock makes a second call wait and then find the first one's record.
    Attendance.objects.select_for_update().filter(pk=attendance.pk).first()
    existing = ServiceRecord.objects.filter(attendance=attendance).first()
    if existing is not None:
        return existing
    activity = Activity.objects.select_related("area").get(pk=attendance.activity_id)
    minutes = served_minutes(activity, attendance.checked_in_at, attendance.checked_out_at)
    record = ServiceRecord.objects.create(
        attendance=attendance,
        activity=activity,
        volunteer_id=attendance.volunteer_id,
        minutes=minutes,
        state=ServiceRecord.State.PENDING,
    )
    if now is not None:
        ServiceRecord.objects.filter(pk=record.pk).update(created_at=now)
        record.created_at = now
    audit.record(
        "hours.recorded",
        actor=actor,
        obj=record,
        area_path=activity.area.path,
        detail={"activity": activity.pk, "volunteer": attendance.volunteer_id, "minutes": minutes},
    )
    return record


def _award_points(*, actor: Any, record: ServiceRecord, now: datetime | None = None) -> Any:
    """Points for an approved record, by the points ledger's own rules (when it is built)."""
    try:
        points = importlib.import_module("nuanxin.volunteers.points.actions")
    except ModuleNotFoundError as exc:
        if exc.name != "nuanxin.volunteers.points.actions":
            raise
        return None
    award = getattr(points, "award_service_points", None)
    if award is None:
        return None
    return award(actor=actor, record=record, **({"now": now} if now is not None else {}))


@transaction.atomic
def approve_record(
    *, actor: Any, record: ServiceRecord, scope: Scope | None = None, now: datetime | None = None
) -> ServiceRecord:
    """The organiser certifies a record's minutes; then the points ledger awards its points.

    Refuses (403) a viewer without activities.manage or volunteers.manage at the activity's
    area, or certifying their own hours; a record already approved ("state", 409); a record
    with a correction still open ("corrections": decide it first, so the certified minutes
    are the settled ones)."""
    record = _locked(record)
    check_certifies(scope, record.activity)
    _check_not_own(actor, record)
    if record.state == ServiceRecord.State.APPROVED:
        raise DomainError(_("These hours are already approved."), field="state", code="stale")
    if record.corrections.filter(state=HoursCorrection.State.REQUESTED).exists():
        raise DomainError(_("Decide the volunteer's correction request first."), field="corrections")
    record.state = ServiceRecord.State.APPROVED
    record.approved_by = actor
    record.approved_at = now or timezone.now()
    record.save(update_fields=["state", "approved_by", "approved_at"])
    audit.record(
        "hours.approved",
        actor=actor,
        obj=record,
        area_path=record.activity.area.path,
        detail={"activity": record.activity_id, "volunteer": record.volunteer_id, "minutes": record.minutes},
    )
    _award_points(actor=actor, record=record, now=now)
    return record


@dataclass
class Approved:
    approved: list[ServiceRecord]
    skipped: int  # records with an open correction, left for the organiser


@transaction.atomic
def approve_all(*, actor: Any, activity: Activity, scope: Scope | None = None, now: datetime | None = None) -> Approved:
    """Approve every pending record of an activity, except those with an open correction
    and the actor's own; each approval is audited on its own, all in one transaction."""
    check_certifies(scope, activity)
    pending = ServiceRecord.objects.filter(activity=activity, state=ServiceRecord.State.PENDING)
    ready = (
        pending.exclude(volunteer__user=actor)
        .exclude(corrections__state=HoursCorrection.State.REQUESTED)
        .order_by("id")
    )
    done = [approve_record(actor=actor, record=record, scope=scope, now=now) for record in ready]
    skipped = pending.count()  # what is still pending after the approvals
    return Approved(approved=done, skipped=skipped)


@transaction.atomic
def request_correction(
    *, actor: Any, record: ServiceRecord, minutes: int | None, reason: str, now: datetime | None = None
) -> HoursCorrection:
    """The volunteer asks for their record to hold `minutes` instead, with a reason.

    Refuses, naming the field: someone else's record (403); minutes missing, negative, or
    beyond the activity's time ("minutes"); no reason or one too long ("reason"); a record
    with a correction already open ("minutes")."""
    record = _locked(record)
    if actor is None or getattr(actor, "pk", None) != record.volunteer.user_id:
        raise DomainError(_("Only the volunteer may ask to correct their hours."), code="forbidden")
    if minutes is None or not isinstance(minutes, int) or isinstance(minutes, bool) or minutes < 0:
        raise DomainError(_("Give the minutes served as a whole number."), field="minutes")
    longest = activity_minutes(record.activity)
    if minutes > longest:
        raise DomainError(
            _("At most %(n)d minutes: hours beyond the activity's time are not counted.") % {"n": longest},
            field="minutes",
        )
    reason = plain_text(reason, field="reason", limit=REASON_MAX)
    if not reason:
        raise DomainError(_("Say why the hours should be corrected."), field="reason")
    if record.corrections.filter(state=HoursCorrection.State.REQUESTED).exists():
        raise DomainError(_("A correction of these hours is already waiting for a decision."), field="minutes")
    correction = HoursCorrection.objects.create(record=record, minutes=minutes, reason=reason)
    if now is not None:
        HoursCorrection.objects.filter(pk=correction.pk).update(requested_at=now)
        correction.requested_at = now
    audit.record(
        "hours.correction_requested",
        actor=actor,
        obj=correction,
        area_path=record.activity.area.path,
        detail={"record": record.pk, "from": record.minutes, "to": minutes},
    )
    return correction


@transaction.atomic
def decide_correction(
    *,
    actor: Any,
    correction: HoursCorrection,
    approve: bool,
    note: str = "",
    scope: Scope | None = None,
    now: datetime | None = None,
) -> HoursCorrection:
    """The organiser approves a correction (the record takes its minutes; the old minutes
    stay in the correction row and the audit log) or declines it (the record keeps them).

    Refuses (403) a viewer who does not certify hours at the activity's area, or deciding
    on their own hours; a correction already decided ("state", 409); a note too long or
    marked up ("note"); minutes beyond the activity's time as it is now ("minutes")."""
    locked = HoursCorrection.objects.select_for_update(of=("self",)).get(pk=correction.pk)
    record = _locked(locked.record)
    locked.record = record
    check_certifies(scope, record.activity)
    _check_not_own(actor, record)
    if locked.state != HoursCorrection.State.REQUESTED:
        raise DomainError(_("This correction has already been decided."), field="state", code="stale")
    note = plain_text(note, field="note", limit=NOTE_MAX)
    before = record.minutes
    if approve:
        longest = activity_minutes(record.activity)
        if locked.minutes > longest:
            raise DomainError(
                _("At most %(n)d minutes: hours beyond the activity's time are not counted.") % {"n": longest},
                field="minutes",
            )
        record.minutes = locked.minutes
        record.save(update_fields=["minutes"])
    locked.state = HoursCorrection.State.APPROVED if approve else HoursCorrection.State.DECLINED
    locked.decided_by = actor
    locked.decided_at = now or timezone.now()
    locked.decision_note = note
    locked.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
    audit.record(
        "hours.correction_approved" if approve else "hours.correction_declined",
        actor=actor,
        obj=locked,
        area_path=record.activity.area.path,
        detail={"record": record.pk, "from": before, "to": record.minutes, "asked": locked.minutes},
    )
    return locked


# Star levels


def _clean_thresholds(hours: Any) -> tuple[int, ...] | None:
    """Five strictly increasing positive whole numbers, or None."""
    if not isinstance(hours, list | tuple) or len(hours) != STARS:
        return None
    if not all(isinstance(h, int) and not isinstance(h, bool) and h > 0 for h in hours):
        return None
    if any(b <= a for a, b in zip(hours, hours[1:], strict=False)):
        return None
    return tuple(hours)


def default_star_hours() -> tuple[int, ...]:
    """NUANXIN_STAR_HOURS if set and sound, otherwise 100/300/600/1,000/1,500."""
    return _clean_thresholds(list(settings.NUANXIN_STAR_HOURS)) or DEFAULT_STAR_HOURS


def community_of(area: Area | None) -> Area | None:
    """The community an area lies in (itself for a community), from the materialised path."""
    if area is None:
        return None
    if area.level == Area.Level.COMMUNITY:
        return area
    found: Area | None = (
        Area.objects.filter(level=Area.Level.COMMUNITY, path__in=ancestor_paths(area.path)).defer("boundary").first()
    )
    return found


def star_hours(community: Area | None) -> tuple[int, ...]:
    """The hours for 1★…5★ in a community: its StarLevels row, else the default."""
    if community is not None:
        row = StarLevels.objects.filter(community=community).first()
        if row is not None:
            cleaned = _clean_thresholds(row.hours)
            if cleaned is not None:
                return cleaned
    return default_star_hours()


def stars_at(hours: Decimal | float | int, thresholds: tuple[int, ...]) -> int:
    """How many thresholds `hours` has reached (0 to 5)."""
    return sum(1 for h in thresholds if hours >= h)


def approved_minutes(volunteer: Volunteer) -> int:
    total = ServiceRecord.objects.filter(volunteer=volunteer, state=ServiceRecord.State.APPROVED).aggregate(
        n=Sum("minutes")
    )["n"]
    return int(total or 0)


def hours_total(volunteer: Volunteer) -> Decimal:
    """Cumulative approved hours (one decimal, rounded down)."""
    return hours_of(approved_minutes(volunteer))


def stars_for(volunteer: Volunteer) -> int:
    """The volunteer's star level (0 to 5) by cumulative approved hours, with the levels of
    their home grid's community."""
    return stars_at(hours_total(volunteer), star_hours(community_of(volunteer.home_grid)))


@dataclass
class Standing:
    minutes: int
    hours: Decimal
    stars: int
    thresholds: tuple[int, ...]
    next_star_hours: int | None  # hours still needed for the next star; None at 5★


def standing_of(volunteer: Volunteer) -> Standing:
    """Total approved hours, stars, and how far the next star is."""
    minutes = approved_minutes(volunteer)
    hours = hours_of(minutes)
    thresholds = star_hours(community_of(volunteer.home_grid))
    stars = stars_at(hours, thresholds)
    following = thresholds[stars] if stars < len(thresholds) else None
    return Standing(
        minutes=minutes,
        hours=hours,
        stars=stars,
        thresholds=thresholds,
        next_star_hours=None if following is None else int((Decimal(following) - hours).to_integral_value("ROUND_UP")),
    )


@transaction.atomic
def set_star_levels(*, actor: Any, community: Area, hours: Any, scope: Scope | None = None) -> StarLevels:
    """A community's own star levels: five increasing whole numbers of hours ("hours").
    Given a scope, needs volunteers.manage at the community (403 otherwise)."""
    if community.level != Area.Level.COMMUNITY:
        raise DomainError(_("Choose a community."), field="community")
    if scope is not None and not scope.has_at("volunteers.manage", community.path):
        raise DomainError(_("%(area)s is outside your area.") % {"area": community.name}, code="forbidden")
    cleaned = _clean_thresholds(hours)
    if cleaned is None:
        raise DomainError(_("Give five increasing whole numbers of hours, one for each star."), field="hours")
    row, _created = StarLevels.objects.update_or_create(community=community, defaults={"hours": list(cleaned)})
    audit.record(
        "hours.star_levels_set", actor=actor, obj=row, area_path=community.path, detail={"hours": list(cleaned)}
    )
    return row


def star_communities(scope: Scope) -> QuerySet[Area]:
    """The communities whose star levels the viewer sets: volunteers.manage held at the
    community or above it (a grid's staff hold it below, so they set none)."""
    return (
        Area.objects.filter(scope.q("volunteers.manage", "path"), level=Area.Level.COMMUNITY)
        .defer("boundary")
        .order_by("path")
    )


def star_community_for(scope: Scope, area: Area | None) -> Area | None:
    """The community `area` lies in, if the viewer sets its star levels; else None."""
    community = community_of(area)
    if community is None or not scope.has_at("volunteers.manage", community.path):
        return None
    return community


def has_own_star_levels(community: Area) -> bool:
    """Whether the community has set its own levels (rather than using the default)."""
    return StarLevels.objects.filter(community=community).exists()


# Reads


def records_of(volunteer: Volunteer) -> QuerySet[ServiceRecord]:
    """A volunteer's records, newest activity first, with the activity, its organiser and
    the corrections preloaded."""
    return (
        ServiceRecord.objects.filter(volunteer=volunteer)
        .select_related("activity__area", "activity__organiser_unit", "attendance")
        .defer("activity__area__boundary")
        .prefetch_related(Prefetch("corrections", queryset=HoursCorrection.objects.order_by("-requested_at", "-id")))
        .order_by("-activity__starts_on", "-id")
    )


def own_record_or_404(user: Any, record_id: int) -> ServiceRecord:
    """One of the user's own records; 404 for anyone else's."""
    record: ServiceRecord | None = (
        ServiceRecord.objects.filter(pk=record_id, volunteer__user=user)
        .select_related("activity__area", "volunteer")
        .first()
    )
    if record is None:
        raise Http404
    return record


def activity_for_organiser_or_404(scope: Scope, activity_id: int) -> Activity:
    """An activity whose hours the viewer certifies; 404 (audited) for anyone else,
    including its volunteers."""
    activity: Activity | None = (
        Activity.objects.reached_by(scope).select_related("area").defer("area__boundary").filter(pk=activity_id).first()
    )
    if activity is None or not may_certify(scope, activity):
        raise deny(scope, f"hours activity {activity_id}")
    return activity


def record_in_reach_or_404(scope: Scope, record_id: int) -> ServiceRecord:
    """A record of an activity the viewer reaches through the territory (the action then
    checks that they certify there); 404 (audited) otherwise."""
    record: ServiceRecord | None = (
        ServiceRecord.objects.filter(pk=record_id, activity__in=Activity.objects.reached_by(scope).values("pk"))
        .select_related("activity__area", "volunteer")
        .first()
    )
    if record is None:
        raise deny(scope, f"service record {record_id}")
    return record


def correction_in_reach_or_404(scope: Scope, correction_id: int) -> HoursCorrection:
    correction: HoursCorrection | None = (
        HoursCorrection.objects.filter(
            pk=correction_id, record__activity__in=Activity.objects.reached_by(scope).values("pk")
        )
        .select_related("record__activity__area", "record__volunteer")
        .first()
    )
    if correction is None:
        raise deny(scope, f"hours correction {correction_id}")
    return correction


def activity_records(activity: Activity) -> QuerySet[ServiceRecord]:
    """An activity's records for its organisers: pending first, with the volunteer, the
    attendance and the corrections preloaded."""
    return (
        ServiceRecord.objects.filter(activity=activity)
        .select_related("volunteer", "attendance")
        .prefetch_related(Prefetch("corrections", queryset=HoursCorrection.objects.order_by("-requested_at", "-id")))
        .order_by("-state", "id")
    )


def open_corrections(activity: Activity) -> QuerySet[HoursCorrection]:
    return (
        HoursCorrection.objects.filter(record__activity=activity, state=HoursCorrection.State.REQUESTED)
        .select_related("record__volunteer")
        .order_by("requested_at", "id")
    )
