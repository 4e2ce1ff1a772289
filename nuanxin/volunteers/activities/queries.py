"""Reads on activities, always through the viewer's scope. An activity's checks are visits
read through the visits' own scope (`Visit.objects.reached_by`), which also hides the
resident categories the viewer may not know of: a viewer never learns from an activity
that a key person was visited."""

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from nuanxin.accounts.models import User
from nuanxin.accounts.roles import Role
from nuanxin.core.access import get_in_scope_or_404
from nuanxin.core.masking import mask_name
from nuanxin.core.scoping import Scope
from nuanxin.inspections.models import CATEGORY_PERMISSION, ChecklistTemplate, Visit
from nuanxin.territory.models import Area, Place
from nuanxin.territory.queries import ancestor_paths
from nuanxin.volunteers.activities.actions import ACTIVITY_LEVELS
from nuanxin.volunteers.models import CAMPAIGN_KINDS, Activity, Participant, ParticipantGroup

# Roles whose holders count as the community's staff when picking a participant's account.
STAFF_ROLES = (
    Role.COMMUNITY_ADMIN,
    Role.COMMUNITY_STAFF,
    Role.GRID_LEADER,
    Role.GRID_WORKER,
    Role.GRID_HELPER,
)


def checks_of(scope: Scope) -> QuerySet[Visit]:
    """The campaign checks (visits with an activity) the viewer reaches, with what the
    activity page shows preloaded and the hazards each found counted."""
    return (
        Visit.objects.reached_by(scope)
        .filter(activity__isnull=False)
        .select_related("place", "worker", "version__template")
        .annotate(hazard_count=Count("rectification__hazards"))
        .order_by("-done_at", "-id")
    )


def _check_counts(scope: Scope) -> Any:
    """A subquery: how many checks of the outer activity the viewer may see."""
    visits = (
        Visit.objects.reached_by(scope)
        .filter(activity=OuterRef("pk"))
        .order_by()
        .values("activity")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(visits, output_field=IntegerField()), Value(0))


def activities_for(
    scope: Scope,
    kind: str | None = None,
    campaigns_only: bool = False,
    period: tuple[date | None, date | None] | None = None,
    area: Area | None = None,
) -> QuerySet[Activity]:
    """The activities the viewer reaches through the territory, newest first: optionally
    one kind, only campaigns, those overlapping a period (first, last day; either open),
    those in an area's subtree. Each row counts its participants and the checks the viewer
    may see."""
    activities = Activity.objects.reached_by(scope)
    if campaigns_only:
        activities = activities.filter(kind__in=CAMPAIGN_KINDS)
    if kind:
        activities = activities.filter(kind=kind)
    if period is not None:
        first, last = period
        if first is not None:
            activities = activities.filter(ends_on__gte=first)
        if last is not None:
            activities = activities.filter(starts_on__lte=last)
    if area is not None:
        activities = activities.filter(area__path__startswith=area.path)
    participants = (
        Participant.objects.filter(activity=OuterRef("pk")).order_by().values("activity").annotate(n=Count("pk"))
    )
    return (
        activities.select_related("area", "organiser", "organiser_unit")
        .defer("area__boundary")
        .annotate(
            participant_count=Coalesce(Subquery(participants.values("n"), output_field=IntegerField()), Value(0)),
            check_count=_check_counts(scope),
        )
        .order_by("-starts_on", "-id")
    )


def activity_or_404(scope: Scope, activity_id: int) -> Activity:
    """One activity the viewer may see (through the territory, or as a participant), with
    its participants, places and the checks the viewer may see preloaded (`checks`); 404,
    audited, otherwise."""
    queryset = (
        Activity.objects.select_related("area", "organiser", "organiser_unit")
        .defer("area__boundary")
        .prefetch_related(
            Prefetch("participants", queryset=Participant.objects.select_related("user").order_by("group", "id")),
            Prefetch("places", queryset=Place.objects.select_related("grid").defer("grid__boundary")),
            Prefetch("visits", queryset=checks_of(scope), to_attr="checks"),
        )
    )
    activity: Activity = get_in_scope_or_404(queryset, scope, pk=activity_id)
    return activity


@dataclass(frozen=True)
class GroupCount:
    group: str
    label: str
    count: int
    names: list[str]  # masked


def participants_by_group(activity: Activity) -> list[GroupCount]:
    """The activity's participants per group, in the groups' order, names masked; only
    groups someone came as. Reads the preloaded participants."""
    labels = dict(ParticipantGroup.choices)
    by_group: dict[str, list[str]] = {}
    for participant in activity.participants.all():
        by_group.setdefault(participant.group, []).append(mask_name(participant.name))
    return [
        GroupCount(group=code, label=str(labels[code]), count=len(by_group[code]), names=by_group[code])
        for code in ParticipantGroup.values
        if code in by_group
    ]


def group_counts(activity: Activity) -> dict[str, int]:
    """{group: count} of the preloaded participants."""
    return dict(Counter(p.group for p in activity.participants.all()))


def managed_areas(scope: Scope) -> QuerySet[Area]:
    """The grids and communities where the viewer may create activities."""
    return (
        Area.objects.filter(scope.q("activities.manage", "path"), level__in=ACTIVITY_LEVELS)
        .defer("boundary")
        .order_by("path")
    )


def reached_areas(scope: Scope) -> QuerySet[Area]:
    """The grids and communities the viewer's activity list may be filtered by."""
    return (
        Area.objects.filter(scope.q("activities.view", "path"), level__in=ACTIVITY_LEVELS)
        .defer("boundary")
        .order_by("path")
    )


def places_in(scope: Scope, activity: Activity) -> QuerySet[Place]:
    """The places of the activity's area the viewer may see (to cover or to check)."""
    return (
        Place.objects.visible_to(scope)
        .filter(grid__path__startswith=activity.area.path)
        .select_related("grid")
        .defer("grid__boundary")
        .order_by("grid__path", "kind", "name")
    )


def is_resident_template(template: ChecklistTemplate) -> bool:
    """Whether a checklist is for visits of residents (special groups, key persons), which a
    campaign's check of a place never uses."""
    return bool(set(template.categories or []) & set(CATEGORY_PERMISSION))


def place_templates() -> QuerySet[ChecklistTemplate]:
    """The published checklists a campaign may check a place with."""
    templates = ChecklistTemplate.objects.filter(versions__isnull=False).distinct().order_by("code")
    return templates.exclude(pk__in=[t.pk for t in templates if is_resident_template(t)])


def staff_accounts(activity: Activity) -> QuerySet[User]:
    """The active staff accounts of the activity's area (roles held on it, on a node within
    it, or on the community it lies in), to pick as participants."""
    path = activity.area.path
    ancestors = ancestor_paths(path)
    return (
        User.objects.filter(is_active=True, role_grants__role__in=STAFF_ROLES)
        .filter(Q(role_grants__area__path__startswith=path) | Q(role_grants__area__path__in=ancestors))
        .distinct()
        .order_by("username")
    )
