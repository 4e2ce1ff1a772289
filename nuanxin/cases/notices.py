"""Who hears about a case, and when: the case actions call these inside their transaction.

| event | recipients |
|---|---|
| a case is reported | the grid's responsible worker and its leaders, and the managers of the case's level |
| ... an emergency, also | the grid's staff on duty that day, and the community's managers |
| a case is transferred to a grid | as a new case there |
| a case is dispatched | its new handler |
| "not fixed" (reopened) | its handler |
| a supervision notice (time-out) | the handler it had, and the managers at its (new) level |
| an escalation by a person | the managers at the new level |
| rejected, resolved, closed | the case's followers (its reporter, reporters of merged duplicates, ...) |

"The managers at a level" are the people holding a role with `cases.manage` granted on the
very node of that level on the case's grid's path (the grid itself: its leaders; community,
street; an outside agency's cases are followed by the district), through a role that acts on
the case at its level (street and district staff only on cases escalated to them). Roles held
higher up or everywhere (system admins) reach the case but are not notified, or every case
would reach everyone. A new case never waits for a role that is not there: where a node has
no managers (a grid without a leader), its notice goes to the next node up that has some.
The person who took the step is never notified of it.

The text names the case by number, class, grid and level only: never the description, the
address or a reporter's name or phone, so an anonymous reporter stays anonymous on every
channel, the webhook included. The link opens the case, where the viewer's scope decides what
they see. Text is written in the installation's language (LANGUAGE_CODE).
"""

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from nuanxin.accounts.models import RoleGrant, User
from nuanxin.cases.models import ESCALATED_LEVELS, LEVEL_ORDER, Case, Level
from nuanxin.cases.queries import MANAGING_AT_EVERY_LEVEL, MANAGING_ROLES
from nuanxin.core.notifications import notify
from nuanxin.territory.models import Area
from nuanxin.territory.queries import ancestor_paths, on_duty

# The territory node whose managers follow a case at each level.
NODE_LEVEL = {
    Level.GRID: Area.Level.GRID,
    Level.COMMUNITY: Area.Level.COMMUNITY,
    Level.STREET: Area.Level.STREET,
    Level.AGENCY: Area.Level.DISTRICT,
}


def _managers(case: Case) -> dict[str, list[Any]]:
    """Active holders of a managing role that acts on the case at its level, by the level of
    the node they hold it on, on the path from the root down to the case's grid: one query."""
    roles = MANAGING_ROLES if case.level in ESCALATED_LEVELS else MANAGING_AT_EVERY_LEVEL
    grants = (
        RoleGrant.objects.filter(area__path__in=ancestor_paths(case.grid.path), role__in=roles, user__is_active=True)
        .annotate(node_level=F("area__level"))
        .select_related("user")
        .order_by("user_id")
    )
    found: dict[str, dict[int, Any]] = {}
    for grant in grants:
        found.setdefault(grant.node_level, {}).setdefault(grant.user_id, grant.user)
    return {level: list(users.values()) for level, users in found.items()}


def managers_at(case: Case, level: str | None = None) -> list[Any]:
    """Active people holding `cases.manage` on the node of `level` (default: the case's level)."""
    return _managers(case).get(NODE_LEVEL[Level(level or case.level)], [])


def _managers_from(found: dict[str, list[Any]], level: str) -> list[Any]:
    """The managers of `level`, or where its node has none, of the next level up that has some."""
    for above in LEVEL_ORDER[LEVEL_ORDER.index(Level(level)) :]:
        if managers := found.get(NODE_LEVEL[above]):
            return managers
    return []


def staff_on_duty(case: Case) -> list[Any]:
    """The grid's staff on duty the day the case was reported (every duty of "2+3(1)+N")."""
    day = timezone.localtime(case.reported_at).date()
    return [assignment.person for assignment in on_duty(case.grid, day)]


def _send(
    case: Case, *, kind: str, recipients: Iterable[Any], actor: Any, title: str, body: str, now: Any = None
) -> None:
    actor_pk = getattr(actor, "pk", None)
    if now is None:  # dated when the step happened (a step taken with an explicit time, too)
        now = case.events.order_by("-id").values_list("at", flat=True).first()
    notify(
        recipients=[user for user in recipients if user is not None and user.pk != actor_pk],
        kind=kind,
        title=title,
        body=body,
        url=reverse("cases:detail", args=[case.pk]),
        now=now,
    )


def _facts(case: Case) -> dict[str, str]:
    # Only what identifies the matter, never the person who reported it.
    return {
        "number": case.number,
        "class": case.case_class.name,
        "grid": case.grid.name,
        "level": str(Level(case.level).label),
    }


def report_recipients(case: Case, *, worker: Any) -> list[Any]:
    """Who hears of a new case (or of a case transferred to its grid): the grid's responsible
    worker `worker` (the case's handler at the grid level) and the grid's leaders, and, for a
    case of a higher level, the managers of that level: the people who take it on. A grid
    without a leader passes its part to the community's managers, a level without managers to
    the next one up that has some (a case never waits for a role that is not there). An
    emergency also reaches the grid's staff on duty and the community's managers, at once.
    Read before the case takes its number, so these reads do not run under the day's counter
    (docs/decisions/0003)."""
    found = _managers(case)
    told = [worker, *_managers_from(found, Level.GRID)]
    if case.level != Level.GRID:
        told += _managers_from(found, case.level)
    if case.emergency:
        told += staff_on_duty(case) + found.get(Area.Level.COMMUNITY, [])
    return told


def case_reported(case: Case, *, actor: Any, recipients: list[Any]) -> None:
    """A new case: tell `recipients` (report_recipients). An emergency's notice says to act
    now, and tells its handler to tap Handle now on the case its link opens (accept and start
    in one step)."""
    with translation.override(settings.LANGUAGE_CODE):
        facts = _facts(case) | {"time": f"{timezone.localtime(case.reported_at):%Y-%m-%d %H:%M}"}
        if case.emergency:
            kind, title = "cases.emergency", _("Emergency in %(grid)s: %(class)s (%(number)s)") % facts
            yours = [user for user in recipients if user is not None and user.pk == case.handler_id]
            texts = [
                (
                    [user for user in recipients if user not in yours],
                    _("Emergency case %(number)s (%(class)s) was reported in %(grid)s at %(time)s. Act on it now."),
                ),
                (
                    yours,
                    _(
                        "Emergency case %(number)s (%(class)s) was reported in %(grid)s at %(time)s and is yours: "
                        "open it and tap Handle now."
                    ),
                ),
            ]
        else:
            kind, title = "cases.reported", _("New case in %(grid)s: %(class)s (%(number)s)") % facts
            texts = [
                (
                    recipients,
                    _("Case %(number)s (%(class)s) was reported in %(grid)s at %(time)s, at the %(level)s level."),
                )
            ]
        for told, body in texts:
            _send(case, kind=kind, recipients=told, actor=actor, title=title, body=body % facts, now=case.reported_at)


def case_transferred(case: Case, *, actor: Any, recipients: list[Any]) -> None:
    """A case handed to another grid: its people (report_recipients) hear of it there."""
    with translation.override(settings.LANGUAGE_CODE):
        facts = _facts(case)
        _send(
            case,
            kind="cases.transferred",
            recipients=recipients,
            actor=actor,
            title=_("Case %(number)s was transferred to %(grid)s") % facts,
            body=_("%(class)s is now with %(grid)s, at the %(level)s level.") % facts,
        )


def case_dispatched(case: Case, *, actor: Any) -> None:
    """The new handler hears the case is theirs."""
    with translation.override(settings.LANGUAGE_CODE):
        facts = _facts(case)
        _send(
            case,
            kind="cases.dispatched",
            recipients=[case.handler],
            actor=actor,
            title=_("Case %(number)s was dispatched to you") % facts,
            body=_("%(class)s in %(grid)s is now yours to handle.") % facts,
        )


def case_reopened(case: Case, *, actor: Any) -> None:
    """ "Not fixed": the handler hears the case is back."""
    with translation.override(settings.LANGUAGE_CODE):
        facts = _facts(case)
        _send(
            case,
            kind="cases.reopened",
            recipients=[case.handler],
            actor=actor,
            title=_("Case %(number)s is not fixed") % facts,
            body=_("%(class)s in %(grid)s was sent back to you: it is not fixed yet.") % facts,
        )


def case_supervised(case: Case, *, handler: Any, now: Any = None) -> None:
    """A supervision notice (督办) on time-out: the handler the case had, and the managers at
    its level now (after the time-limit job escalated it)."""
    with translation.override(settings.LANGUAGE_CODE):
        facts = _facts(case)
        _send(
            case,
            kind="cases.supervised",
            recipients=[handler, *managers_at(case)],
            actor=None,
            title=_("Supervision notice: case %(number)s is overdue") % facts,
            body=_("The time limit of %(class)s in %(grid)s has passed; it is now with the %(level)s.") % facts,
            now=now,
        )


def case_escalated(case: Case, *, actor: Any) -> None:
    """The managers at the new level hear a case came up to them."""
    with translation.override(settings.LANGUAGE_CODE):
        facts = _facts(case)
        _send(
            case,
            kind="cases.escalated",
            recipients=managers_at(case),
            actor=actor,
            title=_("Case %(number)s was escalated to the %(level)s") % facts,
            body=_("%(class)s in %(grid)s now needs the %(level)s.") % facts,
        )


# (title, body) per event, translated when used.
_FOLLOWER_TEXT = {
    "cases.rejected": lambda: (
        _("Report %(number)s was not taken on"),
        _("%(class)s: open the report to see why."),
    ),
    "cases.resolved": lambda: (
        _("Report %(number)s has been handled"),
        _("%(class)s: open the report to see what was done, and say so there if it is not fixed."),
    ),
    "cases.closed": lambda: (
        _("Report %(number)s is closed"),
        _("%(class)s: open the report to see how it ended."),
    ),
}


def tell_followers(case: Case, *, kind: str, actor: Any) -> None:
    """Rejected, resolved or closed: everyone following the case (its reporter's account, also
    when the report was anonymous, since only they receive it; the reporters of duplicates
    merged into it; those who chose to follow it). A report taken by phone has no account."""
    recipients = list(
        User.objects.filter(Q(followed_cases__case=case) | Q(pk=case.reporter_id or 0)).distinct().order_by("pk")
    )
    if not recipients:
        return
    with translation.override(settings.LANGUAGE_CODE):
        facts = _facts(case)
        title, body = _FOLLOWER_TEXT[kind]()
        _send(case, kind=kind, recipients=recipients, actor=actor, title=title % facts, body=body % facts)
