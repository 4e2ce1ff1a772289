"""What party work has waiting (core.workqueue): the organisations' meetings whose planned day
has come and which nobody has recorded yet, the alliance's projects coming due and the
two-new organisations' foundings to take on, for whoever keeps party work there; for a
member unit's representative, their unit's projects coming due, the needs of their alliance
still open to claim and the commitments delivered behind; the resolution tasks their owners
carry out, and those the office verifies or chases; for a member, the meetings of the coming
week to answer. Registered by PartyConfig.ready."""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Exists, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from nuanxin.accounts.models import User
from nuanxin.core.scoping import Scope
from nuanxin.core.workqueue import Item, Source
from nuanxin.party import alliance, queries
from nuanxin.party.models import AllianceUnit, BranchMeeting, Need, Pact, Project, Task, TwoNewOrg


def _applies(scope: Scope, user: Any) -> bool:
    return scope.has("party.manage")


def _waiting(scope: Scope, now: datetime) -> QuerySet[BranchMeeting]:
    return BranchMeeting.objects.filter(
        scope.q("party.manage", "org__area__path"), held_on__isnull=True, planned_on__lte=timezone.localdate(now)
    )


def _count(scope: Scope, user: Any, now: datetime) -> int:
    return _waiting(scope, now).count()


def _first(scope: Scope, user: Any, now: datetime, n: int) -> list[Item]:
    today = timezone.localdate(now)
    rows = _waiting(scope, now).select_related("org").order_by("planned_on", "id")[:n]
    return [
        Item(
            title=meeting.org.name,
            detail=meeting.get_kind_display(),
            url=reverse("party:meeting", args=[meeting.pk]),
            when=meeting.planned_on,
            overdue=meeting.planned_on < today,
        )
        for meeting in rows
    ]


SOURCE = Source(
    key="meetings",
    label=gettext_lazy("Party meetings to record"),
    url="party:life",
    capability="party",
    applies=_applies,
    count=_count,
    first=_first,
    order=50,
)


# --- the alliance: projects coming due, and for a unit's representative needs to claim -----

DUE_SOON_DAYS = 7


def _projects_due(rows: QuerySet[Project], now: datetime) -> QuerySet[Project]:
    """Projects under way whose deadline is at most a week away or has passed."""
    soon = timezone.localdate(now) + timedelta(days=DUE_SOON_DAYS)
    return rows.filter(done_on__isnull=True, deadline__lte=soon)


def _project_items(rows: QuerySet[Project], now: datetime, n: int) -> list[Item]:
    today = timezone.localdate(now)
    return [
        Item(
            title=project.title,
            detail=project.owner.place.name,
            url=reverse("party:need", args=[project.need_id]),
            when=project.deadline,
            overdue=project.deadline < today,
        )
        for project in rows.select_related("owner__place").order_by("deadline", "id")[:n]
    ]


def _office_projects(scope: Scope) -> QuerySet[Project]:
    return Project.objects.filter(scope.q("party.manage", "need__area__path"))


PROJECTS = Source(
    key="alliance_projects",
    label=gettext_lazy("Alliance projects coming due"),
    url="party:lists",
    capability="party",
    applies=_applies,
    count=lambda scope, user, now: _projects_due(_office_projects(scope), now).count(),
    first=lambda scope, user, now, n: _project_items(_projects_due(_office_projects(scope), now), now, n),
    order=51,
)


def _represents(scope: Scope, user: Any) -> bool:
    return (
        bool(scope.unit_ids) and AllianceUnit.objects.filter(place_id__in=scope.unit_ids, left_on__isnull=True).exists()
    )


def _open_needs(scope: Scope) -> QuerySet[Need]:
    return queries.needs_for(scope).filter(state=Need.State.OPEN)


def _unit_projects(scope: Scope) -> QuerySet[Project]:
    return Project.objects.filter(owner__place_id__in=scope.unit_ids)


def _unit_count(scope: Scope, user: Any, now: datetime) -> int:
    return _projects_due(_unit_projects(scope), now).count() + _open_needs(scope).count()


def _unit_first(scope: Scope, user: Any, now: datetime, n: int) -> list[Item]:
    items = _project_items(_projects_due(_unit_projects(scope), now), now, n)
    for need in _open_needs(scope).order_by("raised_on", "id")[: max(0, n - len(items))]:
        items.append(
            Item(
                title=need.title,
                detail=gettext("a need to claim"),
                url=reverse("party:need", args=[need.pk]),
            )
        )
    return items


UNIT_WORK = Source(
    key="alliance_unit",
    label=gettext_lazy("Our pact: projects due and needs to claim"),
    url="party:lists",
    capability="alliance",
    applies=_represents,
    count=_unit_count,
    first=_unit_first,
    order=52,
)


def _deliveries_behind(scope: Scope, now: datetime) -> list[Item]:
    """For a unit's representative, each commitment of their pacts in force that has delivered
    less than was committed by today (alliance.standing: a few pacts, one query each)."""
    today = timezone.localdate(now)
    pacts = Pact.objects.filter(
        unit__place_id__in=scope.unit_ids, unit__left_on__isnull=True, starts_on__lte=today, ends_on__gte=today
    ).select_related("unit__place")
    return [
        Item(
            title=row.commitment.what,
            detail=f"{pact.unit.place.name} · {alliance.shown(row.delivered)} / {alliance.shown(row.committed)}",
            url=reverse("party:pact", args=[pact.pk]) + "#deliver",
        )
        for pact in pacts.order_by("starts_on", "id")
        for row in alliance.standing(pact, today)
        if row.delivered < row.committed
    ]


DELIVERIES = Source(
    key="alliance_deliveries",
    label=gettext_lazy("Our pact: deliveries behind what was committed"),
    url="party:our_unit",
    capability="alliance",
    applies=_represents,
    count=lambda scope, user, now: len(_deliveries_behind(scope, now)),
    first=lambda scope, user, now, n: _deliveries_behind(scope, now)[:n],
    order=52,
)


# --- two-new coverage: foundings to take a stage on ---------------------------------------


def _foundings(scope: Scope) -> QuerySet[TwoNewOrg]:
    """Surveyed organisations with enough full members to found their own branch, and those
    on the way, not yet founded, where the viewer keeps party work."""
    return TwoNewOrg.objects.filter(scope.q("party.manage", "place__grid__path")).filter(
        Q(stage__in=[TwoNewOrg.Stage.GUIDANCE, TwoNewOrg.Stage.PREPARING, TwoNewOrg.Stage.APPROVED])
        | Q(stage=TwoNewOrg.Stage.SURVEYED, full_members__gte=settings.NUANXIN_PARTY_BRANCH_MIN_FULL)
    )


def _founding_items(scope: Scope, n: int) -> list[Item]:
    return [
        Item(
            title=record.place.name,
            detail=record.get_stage_display(),
            url=reverse("party:two_new", args=[record.pk]),
            when=record.approved_on or record.preparing_on or record.guidance_on or record.surveyed_on,
        )
        for record in _foundings(scope).select_related("place").order_by("surveyed_on", "id")[:n]
    ]


FOUNDINGS = Source(
    key="party_foundings",
    label=gettext_lazy("Branch foundings to take on"),
    url="party:two_new_list",
    capability="party",
    applies=_applies,
    count=lambda scope, user, now: _foundings(scope).count(),
    first=lambda scope, user, now, n: _founding_items(scope, n),
    order=50,
)


# --- a member's own: their organisation's meetings coming, still without their reply --------

MEETING_NOTICE_DAYS = 7


def _to_answer(user: Any, now: datetime) -> QuerySet[BranchMeeting]:
    """The meetings of the viewer's organisation planned from today to a week ahead that they
    have neither signed in to nor asked leave from."""
    today = timezone.localdate(now)
    member = queries.membership_of(getattr(user, "pk", None))
    return BranchMeeting.objects.filter(
        org__in=member.values("org_id"),
        held_on__isnull=True,
        planned_on__gte=today,
        planned_on__lte=today + timedelta(days=MEETING_NOTICE_DAYS),
    ).exclude(replies__member__in=member)


def _answer_items(user: Any, now: datetime, n: int) -> list[Item]:
    return [
        Item(
            title=meeting.get_kind_display(),
            detail=meeting.org.name,
            url=reverse("party:me"),
            when=meeting.planned_on,
        )
        for meeting in _to_answer(user, now).select_related("org").order_by("planned_on", "id")[:n]
    ]


# --- resolution tasks: the owner's open tasks (and a member's meetings), the office's to verify


def _owned(scope: Scope, user: Any) -> QuerySet[Task]:
    """The viewer's own open tasks: their unit's (a representative), their own (staff), their
    branch's (its secretary)."""
    user_id = getattr(user, "pk", None)
    mine = Q(owner_user_id=user_id) | Q(owner_branch__secretary__user_id=user_id, owner_branch__isnull=False)
    if scope.unit_ids:
        mine |= Q(owner_unit__place_id__in=scope.unit_ids)
    return Task.objects.filter(mine, state=Task.State.OPEN)


def _task_items(rows: QuerySet[Task], now: datetime, n: int, detail: Any) -> list[Item]:
    today = timezone.localdate(now)
    return [
        Item(
            title=task.title,
            detail=detail(task),
            url=reverse("party:task", args=[task.pk]),
            when=task.deadline,
            overdue=task.deadline < today,
        )
        for task in rows.select_related("owner_unit__place", "owner_branch", "owner_user").order_by("deadline", "id")[
            :n
        ]
    ]


def _own_applies(scope: Scope, user: Any) -> bool:
    """In one statement: whether the viewer owns an open resolution or is a party member."""
    user_id = getattr(user, "pk", None)
    if user_id is None:
        return False
    return (
        User.objects.filter(pk=user_id)
        .filter(Exists(_owned(scope, user)) | Exists(queries.membership_of(user_id)))
        .exists()
    )


def _own_first(scope: Scope, user: Any, now: datetime, n: int) -> list[Item]:
    items = _task_items(_owned(scope, user), now, n, lambda t: t.meeting.title)
    return items + _answer_items(user, now, n - len(items)) if len(items) < n else items


OWN_WORK = Source(
    key="party_own",
    label=gettext_lazy("Resolutions to carry out, meetings to answer"),
    url="party:tasks",
    capability="alliance",
    applies=_own_applies,
    count=lambda scope, user, now: _owned(scope, user).count() + _to_answer(user, now).count(),
    first=_own_first,
    order=53,
)


def _to_verify(scope: Scope) -> QuerySet[Task]:
    """Finished tasks to verify, and escalated ones, where the viewer keeps party work."""
    return Task.objects.filter(scope.q("party.manage", "meeting__committee__area__path")).filter(
        Q(state=Task.State.FINISHED) | Q(state=Task.State.OPEN, escalated_on__isnull=False)
    )


TASKS_TO_VERIFY = Source(
    key="party_tasks_to_verify",
    label=gettext_lazy("Resolutions to verify or chase"),
    url="party:tasks",
    capability="party",
    applies=_applies,
    count=lambda scope, user, now: _to_verify(scope).count(),
    first=lambda scope, user, now, n: _task_items(_to_verify(scope), now, n, lambda t: t.owner_name),
    order=54,
)
