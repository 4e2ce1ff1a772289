"""Party building's period figures (core.figures; docs/party.md): what the rollups count, day
by day at each record's node, for any node and period. Registered by PartyConfig.ready; the
party actions say what they create and change through core.changes."""

from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from nuanxin.core.figures import Figure, FigureRow, FigureSource
from nuanxin.party.alliance import period_starts
from nuanxin.party.models import (
    BranchMeeting,
    Commitment,
    Delivery,
    JointMeeting,
    Pact,
    PartyMember,
    PartyOrg,
    ResourceKind,
    Task,
    TwoNewOrg,
)

SECTION = _("Party building")


def _orgs(rows: QuerySet[Any]) -> Iterator[FigureRow]:
    """Organisations founded (at their node), branches and party groups among them, and
    dissolved, each on its day."""
    for area, kind, founded, ended in rows.values_list("area_id", "kind", "founded_on", "ended_on").iterator():
        yield area, founded, "party_orgs_founded", 1
        if kind == PartyOrg.Kind.BRANCH:
            yield area, founded, "party_orgs_branches", 1
        if ended is not None:
            yield area, ended, "party_orgs_dissolved", 1


# Members registered of each kind, beside the total: by their status in the community and
# their standing (a probationary member of any status).
_MEMBER_KINDS = {
    PartyMember.Status.MOBILE_IN: "party_members_mobile",
    PartyMember.Status.REPORTING: "party_members_reporting",
    PartyMember.Status.RETIRED: "party_members_retired",
}


def _members(rows: QuerySet[Any]) -> Iterator[FigureRow]:
    """Registered on the day they came (at their organisation's node), by kind, and left on
    the day."""
    values = rows.values_list("org__area_id", "since", "left_on", "status", "standing")
    for area, since, left, status, standing in values.iterator():
        yield area, since, "party_members_joined", 1
        if status in _MEMBER_KINDS:
            yield area, since, _MEMBER_KINDS[status], 1
        if standing == PartyMember.Standing.PROBATIONARY:
            yield area, since, "party_members_probationary", 1
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


def _whole(quantity: Decimal) -> int:
    return int(quantity.to_integral_value(ROUND_HALF_UP))


def _commitments(rows: QuerySet[Any]) -> Iterator[FigureRow]:
    """What each commitment promises, in whole units of its kind, on the day each of its
    periods begins within the pact's term."""
    for commitment in rows.select_related("pact__unit__committee").iterator():
        pact = commitment.pact
        for start in period_starts(commitment, pact):
            yield pact.unit.committee.area_id, start, f"party_committed_{commitment.kind}", _whole(commitment.quantity)


def _deliveries(rows: QuerySet[Any]) -> Iterator[FigureRow]:
    """Each delivery, counted, and its quantity in whole units of the commitment's kind."""
    values = rows.values_list(
        "commitment__pact__unit__committee__area_id", "delivered_on", "commitment__kind", "quantity"
    )
    for area, delivered, kind, quantity in values.iterator():
        yield area, delivered, "party_deliveries", 1
        yield area, delivered, f"party_delivered_{kind}", _whole(quantity)


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
        PartyOrg,
        _orgs,
        ("party_orgs_founded", _("party organisations founded")),
        ("party_orgs_branches", _("of them branches")),
        ("party_orgs_dissolved", _("party organisations dissolved")),
    ),
    _source(
        PartyMember,
        _members,
        ("party_members_joined", _("party members registered")),
        ("party_members_mobile", _("of them mobile members flowed in")),
        ("party_members_reporting", _("of them in-service members reporting here")),
        ("party_members_retired", _("of them retired")),
        ("party_members_probationary", _("of them probationary")),
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
    _source(
        Commitment,
        _commitments,
        *(
            (f"party_committed_{kind}", format_lazy(_("committed: {kind}"), kind=label))
            for kind, label in ResourceKind.choices
        ),
    ),
    _source(
        Delivery,
        _deliveries,
        ("party_deliveries", _("deliveries logged against pacts")),
        *(
            (f"party_delivered_{kind}", format_lazy(_("delivered: {kind}"), kind=label))
            for kind, label in ResourceKind.choices
        ),
    ),
)
