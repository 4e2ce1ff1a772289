"""Reads for service hours. A volunteer sees only their own records, total and stars (anyone
else's record is a 404); an activity's records and open corrections are for its organisers,
who certify its hours (activities.manage or volunteers.manage at its area; 404, audited, for
anyone else, its volunteers included). Star levels are read for everyone's stars and set by
staff with volunteers.manage at the community or above. Also the arithmetic of the activity's
time that the actions count the minutes served by."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from nuanxin.core.access import deny
from nuanxin.core.scoping import Scope
from nuanxin.territory.models import Area
from nuanxin.territory.queries import ancestor_paths
from nuanxin.volunteers.models import (
    ORGANISER_PERMISSIONS,
    Activity,
    HoursCorrection,
    ServiceRecord,
    StarLevels,
    Volunteer,
)

# Cumulative approved hours for 1★…5★ (the 2012 record rules' practice); NUANXIN_STAR_HOURS
# overrides the default, a community's StarLevels row overrides both.
DEFAULT_STAR_HOURS: tuple[int, ...] = (100, 300, 600, 1000, 1500)
STARS = 5


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


def may_certify(scope: Scope, activity: Activity) -> bool:
    """Whether the viewer certifies hours of this activity: activities.manage or
    volunteers.manage at its area."""
    return any(scope.has_at(p, activity.area.path) for p in ORGANISER_PERMISSIONS)


# Star levels


def clean_thresholds(hours: Any) -> tuple[int, ...] | None:
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
    return clean_thresholds(list(settings.NUANXIN_STAR_HOURS)) or DEFAULT_STAR_HOURS


def community_containing(area: Area | None) -> Area | None:
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
            cleaned = clean_thresholds(row.hours)
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
    return stars_at(hours_total(volunteer), star_hours(community_containing(volunteer.home_grid)))


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
    thresholds = star_hours(community_containing(volunteer.home_grid))
    stars = stars_at(hours, thresholds)
    following = thresholds[stars] if stars < len(thresholds) else None
    return Standing(
        minutes=minutes,
        hours=hours,
        stars=stars,
        thresholds=thresholds,
        next_star_hours=None if following is None else int((Decimal(following) - hours).to_integral_value("ROUND_UP")),
    )


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
    community = community_containing(area)
    if community is None or not scope.has_at("volunteers.manage", community.path):
        return None
    return community


def has_own_star_levels(community: Area) -> bool:
    """Whether the community has set its own levels (rather than using the default)."""
    return StarLevels.objects.filter(community=community).exists()


# Records


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
