"""Small ORM factories for the rows the period figures count. They write straight to the
database (no actions, no audit) so the figures can be tested on exact dates and states, then
count the new rows into the rollups as the actions do (`rollups.added`). That the actions keep
the rollups right is tested through the actions themselves (test_rollups.py)."""

from datetime import date, datetime, timedelta
from itertools import count
from typing import Any

from nuanxin.insights import rollups
from nuanxin.inspections.models import ChecklistTemplate, Hazard, Rectification, Visit, WatchTarget
from nuanxin.ledgers.models import Dispute
from nuanxin.territory.models import Area, Place
from nuanxin.volunteers.models import Activity, Participant

_serial = count(1)


def dispute(
    *,
    grid: Area,
    received_on: date,
    recorded_by: Any,
    outcome: str = "",
    settled_level: str = "",
    closed_on: date | None = None,
) -> Dispute:
    """An open dispute, or a closed one when `closed_on` and `outcome` are given."""
    row = Dispute.objects.create(
        number=f"TJ{next(_serial):06d}",
        kind="neighbour",
        summary="邻里纠纷",
        source="walk_in",
        grid=grid,
        received_on=received_on,
        state=Dispute.State.CLOSED if closed_on else Dispute.State.OPEN,
        outcome=outcome,
        settled_level=settled_level,
        closed_on=closed_on,
        recorded_by=recorded_by,
    )
    rollups.added(Dispute, [row.pk])
    return row


def activity(*, kind: str, area: Area, starts_on: date, organiser: Any, groups: tuple[str, ...] = ()) -> Activity:
    """An activity of one day with one participant (recorded by name) per entry of `groups`."""
    row = Activity.objects.create(
        number=f"HD{next(_serial):06d}",
        kind=kind,
        title=f"{kind} {starts_on}",
        area=area,
        starts_on=starts_on,
        ends_on=starts_on,
        organiser=organiser,
    )
    Participant.objects.bulk_create(
        Participant(activity=row, name=f"参与者{i}", group=group) for i, group in enumerate(groups)
    )
    rollups.added(Activity, [row.pk])
    return row


def visit(
    *,
    grid: Area,
    worker: Any,
    due_on: date,
    state: str = Visit.State.DONE,
    done_at: datetime | None = None,
    place: Place | None = None,
    template: str | None = None,
    target: WatchTarget | None = None,
) -> Visit:
    """A campaign check of `place`, or a routine visit of `target`, using the current version
    of the checklist with code `template`."""
    version = ChecklistTemplate.objects.get(code=template).current_version() if template else None
    row = Visit.objects.create(
        kind=Visit.Kind.ROUTINE if target else Visit.Kind.CAMPAIGN,
        target=target,
        category=target.category if target else "",
        place=place if place is not None else (target.place if target else None),
        grid=grid,
        worker=worker,
        due_on=due_on,
        version=version,
        state=state,
        done_at=done_at,
    )
    rollups.added(Visit, [row.pk])
    return row


def rectification(
    *, visit: Visit, issued_on: date, fixed: tuple[bool, ...], state: str = Rectification.State.OPEN
) -> Rectification:
    """An order for the hazards `visit` found, one hazard per entry of `fixed` (whether it is fixed)."""
    row = Rectification.objects.create(
        number=f"ZG{next(_serial):06d}",
        visit=visit,
        target=visit.target,
        place=visit.place,
        category=visit.category,
        grid=visit.grid,
        responsible_party="负责人",
        severity="minor",
        issued_on=issued_on,
        deadline=issued_on + timedelta(days=7),
        state=state,
    )
    Hazard.objects.bulk_create(
        Hazard(rectification=row, item=f"item{i}", label="隐患", severity="minor", fixed=is_fixed)
        for i, is_fixed in enumerate(fixed)
    )
    rollups.added(Rectification, [row.pk])
    return row
