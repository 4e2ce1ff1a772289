"""Writes on activities: create one, record who took part, the places it covered and what
it found. Campaigns (专项行动) are activities of a campaign kind; the checks they make are
recorded as visits by `nuanxin.inspections.actions.record_check`, not here.

Each write runs in one transaction and leaves an audit entry whose detail never holds a
participant's name (only ids, groups and counts). A write needs the actor's `scope` (or a
system scope) to hold activities.manage at the activity's area; refusals are DomainErrors
naming the field.
"""

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from nuanxin.core import audit, changes
from nuanxin.core.access import check_at
from nuanxin.core.errors import DomainError
from nuanxin.core.numbering import create_numbered, next_in_sequence
from nuanxin.core.scoping import Scope
from nuanxin.core.validators import plain_text
from nuanxin.inspections.actions import record_check
from nuanxin.inspections.models import CATEGORY_PERMISSION
from nuanxin.territory.models import Area, Place
from nuanxin.volunteers.models import Activity, ActivityKind, OrganiserKind, Participant, ParticipantGroup

TITLE_MAX = 120
LOCATION_MAX = 200
FINDINGS_MAX = 4000
NAME_MAX = 30
# Levels an activity may take place at: one grid, or a community for one across its grids.
ACTIVITY_LEVELS = (Area.Level.GRID, Area.Level.COMMUNITY)


def _check_manages(scope: Scope, area: Area, *, field: str | None) -> None:
    """activities.manage at the area. With a field (choosing the area of a new activity) it is
    bad input; without one (acting on an existing activity) it is forbidden."""
    message = _("%(area)s is outside the area where you manage activities.") % {"area": area.name}
    check_at(scope, area.path, "activities.manage", message=message, field=field)


def _next_number(year: int) -> str:
    """HD + year + a five-digit sequence within the year (HD202400001)."""
    return next_in_sequence(Activity.objects.select_for_update(), f"HD{year}")


@transaction.atomic
def create_activity(
    *,
    actor: Any,
    kind: str,
    title: str,
    area: Area | None,
    starts_on: date | None,
    ends_on: date | None,
    location: str = "",
    organiser_kind: str = OrganiserKind.COMMUNITY,
    organiser_unit: Place | None = None,
    findings: str = "",
    scope: Scope,
) -> Activity:
    """Record an activity organised by `actor` (a campaign when its kind is a campaign kind).
    The number is HD + the start year + a five-digit sequence.

    Refuses, naming the field: an unknown kind ("kind"); an empty, over-long or marked-up
    title ("title"); no area, an area that is not a grid or a community, or
    one outside the actor's activities.manage reach ("area"); a missing start ("starts_on");
    a missing end or one before the start ("ends_on"); an unknown organiser kind
    ("organiser_kind"); an organising unit for an activity the community organises
    ("organiser_unit"); over-long or marked-up location or findings."""
    if kind not in ActivityKind.values:
        raise DomainError(_("Unknown kind of activity."), field="kind")
    title = plain_text(title, field="title", limit=TITLE_MAX, required=True, message=_("A title is required."))
    if area is None or area.level not in ACTIVITY_LEVELS:
        raise DomainError(_("Choose a grid or a community."), field="area")
    _check_manages(scope, area, field="area")
    if starts_on is None:
        raise DomainError(_("A start date is required."), field="starts_on")
    if ends_on is None:
        raise DomainError(_("An end date is required."), field="ends_on")
    if ends_on < starts_on:
        raise DomainError(_("The end date cannot be before the start date."), field="ends_on")
    location = plain_text(location, field="location", limit=LOCATION_MAX)
    if organiser_kind not in OrganiserKind.values:
        raise DomainError(_("Unknown organiser."), field="organiser_kind")
    if organiser_unit is not None and organiser_kind == OrganiserKind.COMMUNITY:
        raise DomainError(_("An activity the community organises has no organising unit."), field="organiser_unit")
    findings = plain_text(findings, field="findings", limit=FINDINGS_MAX)
    activity = create_numbered(
        Activity,
        lambda: _next_number(starts_on.year),
        kind=kind,
        title=title,
        area=area,
        starts_on=starts_on,
        ends_on=ends_on,
        location=location,
        organiser_kind=organiser_kind,
        organiser_unit=organiser_unit,
        organiser=actor,
        findings=findings,
    )
    changes.added(Activity, [activity.pk])
    audit.record("activities.created", actor=actor, obj=activity, detail={"kind": kind})
    return activity


@transaction.atomic
def add_participant(
    *,
    actor: Any,
    activity: Activity,
    group: str,
    user: Any = None,
    name: str = "",
    scope: Scope,
) -> Participant:
    """Record one person who took part, in the group they came as: an account (once per
    activity; the name defaults to the account's) or a name alone. Names are taken as
    written, of any length up to 30 characters (Chinese names are often two characters).

    Refuses: an activity outside the actor's activities.manage reach
    (forbidden); an unknown group ("group"); no account and no name, or a name too long or
    marked up ("name"); an account already taking part ("user")."""
    _check_manages(scope, activity.area, field=None)
    if group not in ParticipantGroup.values:
        raise DomainError(_("Unknown group."), field="group")
    if user is not None:
        fallback = (getattr(user, "display_name", "") or user.get_username())[:NAME_MAX]
        name = plain_text(name, field="name", limit=NAME_MAX) or fallback
        if Participant.objects.filter(activity=activity, user=user).exists():
            raise DomainError(_("This account already takes part in this activity."), field="user")
    else:
        name = plain_text(name, field="name", limit=NAME_MAX, required=True, message=_("A name is required."))
    with changes.tracking(Activity, [activity.pk]):
        participant = Participant.objects.create(activity=activity, user=user, name=name, group=group)
    audit.record(
        "activities.participant_added",
        actor=actor,
        obj=activity,
        detail={"participant": participant.pk, "group": group, "account": user is not None},
    )
    return participant


@transaction.atomic
def remove_participant(*, actor: Any, participant: Participant, scope: Scope) -> None:
    """Take a participant off an activity (recorded by mistake). Refuses an
    activity outside the actor's activities.manage reach (forbidden)."""
    activity = participant.activity
    _check_manages(scope, activity.area, field=None)
    detail = {"participant": participant.pk, "group": participant.group}
    with changes.tracking(Activity, [activity.pk]):
        participant.delete()
    audit.record("activities.participant_removed", actor=actor, obj=activity, detail=detail)


@transaction.atomic
def cover_places(*, actor: Any, activity: Activity, places: Iterable[Place], scope: Scope) -> Activity:
    """Add places to those the activity covered (a clean-up's compounds, a sweep's shops).

    Refuses: an activity outside the actor's reach (forbidden); no place, or
    a place outside the activity's area, named in the message ("places")."""
    _check_manages(scope, activity.area, field=None)
    places = list(places)
    if not places:
        raise DomainError(_("Choose at least one place."), field="places")
    for place in places:
        if not place.grid.path.startswith(activity.area.path):
            raise DomainError(_("%(place)s lies outside the activity's area.") % {"place": place.name}, field="places")
    known = set(activity.places.values_list("pk", flat=True))
    new = [place for place in places if place.pk not in known]
    activity.places.add(*new)
    audit.record("activities.places_covered", actor=actor, obj=activity, detail={"places": sorted(p.pk for p in new)})
    return activity


@transaction.atomic
def record_findings(*, actor: Any, activity: Activity, findings: str, scope: Scope) -> Activity:
    """Set what the activity found (a summary in the office's words; checks of places are
    visits and carry their own hazards). Refuses: an activity outside the
    actor's reach (forbidden); findings too long or marked up ("findings")."""
    _check_manages(scope, activity.area, field=None)
    activity.findings = plain_text(findings, field="findings", limit=FINDINGS_MAX)
    activity.save(update_fields=["findings", "updated_at"])
    audit.record("activities.findings_recorded", actor=actor, obj=activity, detail={"length": len(activity.findings)})
    return activity


def record_campaign_check(
    *,
    actor: Any,
    activity: Activity,
    place: Place,
    template: Any,
    answers: Any,
    note: str = "",
    lng: float | None = None,
    lat: float | None = None,
    photos: Iterable[tuple[str, Any]] = (),
    scope: Scope,
    now: datetime | None = None,
) -> Any:
    """Record a check the activity made of a place, as a visit with this activity, through
    `inspections.actions.record_check` (which checks the answers, the recorder's permission
    and opens a rectification order for hazards, and writes the audit entry). Adds the
    activity's own rules first: the place must lie in the activity's area ("place"), and the
    checklist must be one for places, not for visits of residents ("template")."""

    if place is None or not place.grid.path.startswith(activity.area.path):
        raise DomainError(_("The place lies outside the activity's area."), field="place")
    if template is not None and set(template.categories or []) & set(CATEGORY_PERMISSION):
        raise DomainError(_("This checklist is for visits of residents, not of places."), field="template")
    return record_check(
        actor=actor,
        activity=activity,
        place=place,
        template=template,
        answers=answers,
        note=note,
        lng=lng,
        lat=lat,
        photos=photos,
        scope=scope,
        now=now,
    )
