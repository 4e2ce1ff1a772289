"""Party building's period figures (core.figures; docs/party.md): what the rollups count, day
by day at each record's node, for any node and period. Registered by PartyConfig.ready; the
party actions say what they create and change through core.changes."""

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nuanxin.core.figures import Figure, FigureRow, FigureSource
from nuanxin.party.models import BranchMeeting, Delivery, JointMeeting, Pact, PartyMember, Task, TwoNewOrg

SECTION = _("Party building")


def _members(rows: QuerySet[Any]) -> Iterator[FigureRow]:
    """Registered on the day they came (at their organisation's node), and left on the day."""
    for area, since, left in rows.values_list("org__area_id", "since", "left_on").iterator():
        yield area, since, "party_members_joined", 1
        if left is not None:
            yield area, left, "party_members_left", 1


def _two_new(rows: QuerySet[Any]) -> Iterator[FigureRow]:
    """Surveyed, covered (by its own branch, a joint branch or an instructor) and its own
    branch founded, each on its day, at the organisation's grid."""
    values = rows.filter(place__grid__isnull=False).values_list(
        "place__grid_id", "surveyed_on", "covered_on", "founded_on"
    )
    for grid, surveyed, covered, founded in values.iterator():
        yield grid, surveyed, "party_twonew_surveyed", 1
        if covered is not None:
            yield grid, covered, "party_twonew_covered", 1
        if founded is not None:
            yield grid, founded, "party_branches_founded", 1


def _branch_meetings(rows: QuerySet[Any]) -> Iterator[FigureRow]:
    for area, held in rows.filter(held_on__isnull=False).values_list("org__area_id", "held_on").iterator():
        yield area, held, "party_meetings_held", 1


def _joint_meetings(rows: QuerySet[Any]) -> Iterator[FigureRow]:
    for area, starts in rows.filter(held=True).values_list("committee__area_id", "starts_at").iterator():
        yield area, timezone.localdate(starts), "party_jointmeetings_held", 1


def _tasks(rows: QuerySet[Any]) -> Iterator[FigureRow]:
    """Resolutions verified as done, on the day they were finished; on time by the deadline."""
    verified = rows.filter(state=Task.State.VERIFIED).values_list(
        "meeting__committee__area_id", "finished_on", "deadline"
    )
    for area, finished, deadline in verified.iterator():
        yield area, finished, "party_resolutions_done", 1
        if finished <= deadline:
            yield area, finished, "party_resolutions_ontime", 1


def _pacts(rows: QuerySet[Any]) -> Iterator[FigureRow]:
    for area, signed in rows.values_list("unit__committee__area_id", "signed_on").iterator():
        yield area, signed, "party_pacts_signed", 1


def _deliveries(rows: QuerySet[Any]) -> Iterator[FigureRow]:
    values = rows.values_list("commitment__pact__unit__committee__area_id", "delivered_on")
    for area, delivered in values.iterator():
        yield area, delivered, "party_deliveries", 1


def _source(model: Any, rows: Any, *figures: tuple[str, Any]) -> FigureSource:
    return FigureSource(
        model=model,
        rows=rows,
        family="party",
        permission="party.view",
        section=SECTION,
        figures=tuple(Figure(metric, label) for metric, label in figures),
    )


SOURCES = (
    _source(
        PartyMember,
        _members,
        ("party_members_joined", _("party members registered")),
        ("party_members_left", _("party members who left")),
    ),
    _source(
        TwoNewOrg,
        _two_new,
        ("party_twonew_surveyed", _("two-new organisations surveyed")),
        ("party_twonew_covered", _("two-new organisations newly covered")),
        ("party_branches_founded", _("branches founded in two-new organisations")),
    ),
    _source(BranchMeeting, _branch_meetings, ("party_meetings_held", _("branch meetings held"))),
    _source(JointMeeting, _joint_meetings, ("party_jointmeetings_held", _("joint meetings held"))),
    _source(
        Task,
        _tasks,
        ("party_resolutions_done", _("resolutions done and verified")),
        ("party_resolutions_ontime", _("of them on time")),
    ),
    _source(Pact, _pacts, ("party_pacts_signed", _("pacts signed"))),
    _source(Delivery, _deliveries, ("party_deliveries", _("deliveries logged against pacts"))),
)
