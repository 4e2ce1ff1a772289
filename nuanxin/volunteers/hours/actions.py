"""Service hours, as the national record rules have them (志愿服务记录与证明出具办法): the
organiser records and certifies ("谁组织谁记录，谁记录谁证明"); the time counted is the time
actually served at the venue, inside the activity's time, so travel is excluded by
construction; the volunteer may ask for a correction; nothing is ever deleted.

Writes (one transaction, one audit entry each, refusals as DomainErrors naming the field):
`record_service` (after a check-out), `approve_record`, `request_correction`,
`decide_correction`, `set_star_levels`. The reads (a volunteer's records and totals, star
levels, an activity's records for its organisers) are in `hours.queries`.
"""

import importlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nuanxin.core import audit, changes
from nuanxin.core.access import check_at
from nuanxin.core.errors import DomainError
from nuanxin.core.scoping import Scope
from nuanxin.core.validators import plain_text
from nuanxin.territory.models import Area
from nuanxin.volunteers.hours.queries import (
    activity_minutes,
    clean_thresholds,
    served_minutes,
)
from nuanxin.volunteers.models import (
    ORGANISER_PERMISSIONS,
    Activity,
    Attendance,
    HoursCorrection,
    ServiceRecord,
    StarLevels,
)

REASON_MAX = 500
NOTE_MAX = 500


# Checks


def check_certifies(scope: Scope, activity: Activity) -> None:
    """activities.manage or volunteers.manage at the activity's area (forbidden otherwise)."""
    message = _("%(area)s is outside the area where you certify volunteer hours.") % {"area": activity.area.name}
    check_at(scope, activity.area.path, *ORGANISER_PERMISSIONS, any_of=True, message=message)


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
def approve_record(*, actor: Any, record: ServiceRecord, scope: Scope, now: datetime | None = None) -> ServiceRecord:
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
    # Other rule-books react (the party members' points): core.changes.
    changes.happened("hours.approved", actor=actor, record=record, now=now)
    return record


@dataclass
class Approved:
    approved: list[ServiceRecord]
    skipped: int  # records with an open correction, left for the organiser


@transaction.atomic
def approve_all(*, actor: Any, activity: Activity, scope: Scope, now: datetime | None = None) -> Approved:
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
    scope: Scope,
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


@transaction.atomic
def set_star_levels(*, actor: Any, community: Area, hours: Any, scope: Scope) -> StarLevels:
    """A community's own star levels: five increasing whole numbers of hours ("hours").
    Needs volunteers.manage at the community (403 otherwise)."""
    if community.level != Area.Level.COMMUNITY:
        raise DomainError(_("Choose a community."), field="community")
    message = _("%(area)s is outside your area.") % {"area": community.name}
    check_at(scope, community.path, "volunteers.manage", message=message)
    cleaned = clean_thresholds(hours)
    if cleaned is None:
        raise DomainError(_("Give five increasing whole numbers of hours, one for each star."), field="hours")
    row, _created = StarLevels.objects.update_or_create(community=community, defaults={"hours": list(cleaned)})
    audit.record(
        "hours.star_levels_set", actor=actor, obj=row, area_path=community.path, detail={"hours": list(cleaned)}
    )
    return row
