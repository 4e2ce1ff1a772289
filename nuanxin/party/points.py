"""Party-member points (党员积分), the third rule-book (docs/party.md): the same service that
earns a volunteer legal service hours and incentive points earns a party member points under
the community's own rules, in a ledger of its own, only ever added to. Service counts when its
hours are approved (the volunteers' event "hours.approved", to which PartyConfig.ready
registers `award_for_service`): by the activity's kind, and on top of it for an in-service
member reporting here (在职党员报到); presence at a branch meeting counts when the meeting is
recorded (`award_for_meeting`, from `life.record_meeting`)."""

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from nuanxin.core import audit
from nuanxin.core.access import check_at
from nuanxin.core.errors import DomainError
from nuanxin.core.scoping import Scope
from nuanxin.party.actions import OUTSIDE
from nuanxin.party.models import BranchMeeting, PartyMember, PartyPointsEntry, PartyPointsRule
from nuanxin.party.queries import membership_of
from nuanxin.territory.models import Area
from nuanxin.territory.queries import ancestor_paths
from nuanxin.volunteers.models import ActivityKind

Source = PartyPointsRule.Source
# A community's rules until it sets its own: (source, activity kind, points); an empty kind is
# any kind without a rule of its own.
DEFAULT_RULES = (
    (Source.SERVICE, "fire_check", 5),
    (Source.SERVICE, "cleanup", 3),
    (Source.SERVICE, "blood_donation", 5),
    (Source.SERVICE, "", 2),
    (Source.REPORTING, "", 3),
    (Source.MEETING, "", 2),
)
MAX_POINTS = 100


def community_of(area: Area) -> Area | None:
    """The community an area lies in (or is)."""
    return Area.objects.filter(path__in=ancestor_paths(area.path), level=Area.Level.COMMUNITY).first()


def rules_of(community: Area) -> dict[tuple[str, str], int]:
    """The community's rules, or the defaults while it has set none."""
    own = {
        (rule.source, rule.activity_kind): rule.points for rule in PartyPointsRule.objects.filter(community=community)
    }
    return own or {(str(source), kind): points for source, kind, points in DEFAULT_RULES}


@transaction.atomic
def set_rule(*, actor: Any, scope: Scope, community: Area, source: str, activity_kind: str, points: int) -> None:
    """Set one of the community's rules (the first one set copies the defaults, so the others
    keep their points). Refuses an unknown source or kind, points outside 0-100 ("points")."""
    check_at(scope, community.path, "party.manage", message=_(OUTSIDE))
    if source not in Source.values:
        raise DomainError(_("Choose what the points are for."), field="source")
    if activity_kind and (source != Source.SERVICE or activity_kind not in ActivityKind.values):
        raise DomainError(_("Choose a kind of activity."), field="activity_kind")
    if not isinstance(points, int) or isinstance(points, bool) or not 0 <= points <= MAX_POINTS:
        raise DomainError(_("Enter points from 0 to %(n)d.") % {"n": MAX_POINTS}, field="points")
    if not PartyPointsRule.objects.filter(community=community).exists():
        PartyPointsRule.objects.bulk_create(
            PartyPointsRule(community=community, source=s, activity_kind=k, points=p) for s, k, p in DEFAULT_RULES
        )
    PartyPointsRule.objects.update_or_create(
        community=community, source=source, activity_kind=activity_kind, defaults={"points": points}
    )
    audit.record(
        "party.points_rule_set",
        actor=actor,
        area_path=community.path,
        detail={"source": source, "kind": activity_kind, "points": points},
    )


def _add(
    *, actor: Any, member: PartyMember, points: int, source: str, reference: str, reason: str, day: date, at: datetime
) -> PartyPointsEntry | None:
    """One entry, once per member, source and event (a second award of the same is nothing)."""
    if points <= 0 or PartyPointsEntry.objects.filter(member=member, source=source, reference=reference).exists():
        return None
    try:
        with transaction.atomic():
            entry = PartyPointsEntry.objects.create(
                member=member, points=points, source=source, reference=reference, reason=reason[:150], day=day, at=at
            )
            audit.record(
                "party.points_awarded",
                actor=actor,
                obj=member,
                detail={"points": points, "source": source, "reference": reference},
            )
    except IntegrityError:  # the same award at the same moment
        return None
    return entry


def award_for_service(*, actor: Any, record: Any, now: datetime | None = None, **_facts: Any) -> list[Any]:
    """The volunteers' "hours.approved": if the volunteer is a current party member, points by
    the activity's kind, and the reporting rule's on top for an in-service member reporting
    here, in the activity's community's rules."""
    member = membership_of(record.volunteer.user_id).select_related("org__area").first()
    activity = record.activity
    community = community_of(activity.area)
    if member is None or community is None:
        return []
    rules = rules_of(community)
    now = now or timezone.now()
    day = timezone.localdate(record.attendance.checked_in_at)
    common = {"actor": actor, "member": member, "reference": f"record:{record.pk}", "day": day, "at": now}
    service = rules.get((Source.SERVICE, activity.kind), rules.get((Source.SERVICE, ""), 0))
    entries = [_add(points=service, source=Source.SERVICE, reason=activity.title, **common)]
    if member.status == PartyMember.Status.REPORTING:
        reporting = rules.get((Source.REPORTING, ""), 0)
        entries.append(_add(points=reporting, source=Source.REPORTING, reason=activity.title, **common))
    return [entry for entry in entries if entry is not None]


def award_for_meeting(*, actor: Any, meeting: BranchMeeting, present: Iterable[PartyMember], now: datetime) -> int:
    """Points for each member present at a recorded branch meeting, written at once (a branch's
    whole attendance, one audit entry for the meeting)."""
    community = community_of(meeting.org.area)
    points = rules_of(community).get((Source.MEETING, ""), 0) if community is not None else 0
    present = list(present)
    if points <= 0 or not present:
        return 0
    reference = f"meeting:{meeting.pk}"
    done = set(
        PartyPointsEntry.objects.filter(source=Source.MEETING, reference=reference, member__in=present).values_list(
            "member_id", flat=True
        )
    )
    reason = f"{meeting.org.name} {meeting.get_kind_display()}"[:150]
    day = meeting.held_on or timezone.localdate(now)
    rows = [
        PartyPointsEntry(
            member=member, points=points, source=Source.MEETING, reference=reference, reason=reason, day=day, at=now
        )
        for member in present
        if member.pk not in done
    ]
    PartyPointsEntry.objects.bulk_create(rows)
    if rows:
        audit.record(
            "party.points_awarded",
            actor=actor,
            obj=meeting,
            detail={"points": points, "source": Source.MEETING, "members": len(rows)},
        )
    return len(rows)


def balance(entries: QuerySet[PartyPointsEntry]) -> int:
    return int(entries.aggregate(total=Sum("points"))["total"] or 0)
