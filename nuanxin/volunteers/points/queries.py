"""Reads for points and rewards. A volunteer sees only their own balance, ledger and vouchers
(any other voucher is a 404) and the active rewards offered where they belong (an area
containing their home grid or an activity they served at). The catalogue of rewards is for
staff with volunteers.manage at the rewards' areas; the rules are changed only by staff who
manage volunteers of a whole community or more. A voucher looked up by its code is shown only
to whoever may confirm it (a representative of the reward's provider or, for the community's
own rewards, staff with volunteers.manage at its area); an unknown code and one the viewer may
not confirm get the same answer, so codes cannot be probed."""

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet, Sum
from django.utils.translation import gettext as _

from nuanxin.core.access import deny
from nuanxin.core.errors import DomainError
from nuanxin.core.scoping import Scope
from nuanxin.territory.models import Area
from nuanxin.territory.queries import ancestor_paths
from nuanxin.volunteers.models import (
    ActivityKind,
    Partner,
    PointsEntry,
    Redemption,
    Reward,
    ServiceRecord,
    Volunteer,
)
from nuanxin.volunteers.signups.queries import volunteer_of

HAZARD_REPORT = "hazard_report"
# Levels a reward is offered at: a community (its love supermarket) or one of its grids.
REWARD_LEVELS = (Area.Level.COMMUNITY, Area.Level.GRID)
RULE_LEVELS = (Area.Level.CITY, Area.Level.DISTRICT, Area.Level.STREET, Area.Level.COMMUNITY)


def rule_kinds() -> list[tuple[str, str]]:
    """What a rule can be for: each activity kind, and a verified hazard report."""
    return [(k.value, str(k.label)) for k in ActivityKind] + [(HAZARD_REPORT, _("verified hazard report"))]


def balance(volunteer: Volunteer) -> int:
    """The sum of the volunteer's ledger (never below zero: spending locks their row)."""
    total = PointsEntry.objects.filter(volunteer=volunteer).aggregate(total=Sum("delta"))["total"]
    return int(total or 0)


def ledger(volunteer: Volunteer) -> QuerySet[PointsEntry]:
    """The volunteer's entries, newest first, with what each was for preloaded."""
    return (
        PointsEntry.objects.filter(volunteer=volunteer)
        .select_related("record__activity", "case", "redemption__reward")
        .order_by("-at", "-id")
    )


def _served_paths(volunteer: Volunteer) -> set[str]:
    """Where the volunteer belongs: their home grid and the areas of the activities whose
    service records they hold."""
    paths = set(
        ServiceRecord.objects.filter(volunteer=volunteer)
        .order_by()
        .values_list("activity__area__path", flat=True)
        .distinct()
    )
    if volunteer.home_grid is not None:
        paths.add(volunteer.home_grid.path)
    return paths


def rewards_for(volunteer: Volunteer) -> QuerySet[Reward]:
    """The active rewards offered where the volunteer belongs (an area containing their home
    grid or an activity they served at), cheapest first."""
    paths = _served_paths(volunteer)
    if not paths:
        return Reward.objects.none()
    # An area contains a path when the path starts with the area's path; list the candidate
    # prefixes (every ancestor path of each) and match them exactly.
    prefixes = {prefix for path in paths for prefix in ancestor_paths(path)}
    return (
        Reward.objects.filter(active=True, area__path__in=prefixes)
        .select_related("provider", "area")
        .defer("area__boundary")
        .order_by("points", "name")
    )


def vouchers(volunteer: Volunteer) -> QuerySet[Redemption]:
    """The volunteer's redemptions, newest first, with their rewards."""
    return (
        Redemption.objects.filter(volunteer=volunteer).select_related("reward__provider").order_by("-issued_at", "-id")
    )


def own_voucher_or_404(scope: Scope, user: Any, redemption_id: int) -> Redemption:
    """One of the user's own vouchers; any other (or a user who is no volunteer) is a 404 with
    the denial audited, on the pages and in the API alike."""
    volunteer = volunteer_of(user)
    found = vouchers(volunteer).filter(pk=redemption_id).first() if volunteer is not None else None
    if found is None:
        raise deny(scope, f"volunteers.redemption {redemption_id}")
    return found


def managed_reward_areas(scope: Scope) -> QuerySet[Area]:
    """The communities and grids where the viewer manages volunteers (and so rewards)."""
    return Area.objects.filter(scope.q("volunteers.manage", "path"), level__in=REWARD_LEVELS).defer("boundary")


def catalogue_for(scope: Scope) -> QuerySet[Reward]:
    """The rewards of the areas where the viewer manages volunteers, active or not."""
    return (
        Reward.objects.filter(scope.q("volunteers.manage", "area__path"))
        .select_related("provider", "area")
        .defer("area__boundary")
        .order_by("area__path", "-active", "points", "name")
    )


def may_manage_rules(scope: Scope) -> bool:
    """Rules hold for the whole installation, so only staff managing volunteers of a whole
    community (or more) change them, not a grid's workers."""
    if scope.everything:
        return True
    paths = scope.paths_for("volunteers.manage")
    return bool(paths) and Area.objects.filter(path__in=paths, level__in=RULE_LEVELS).exists()


def may_confirm_any(user: Any, scope: Scope) -> bool:
    """Whether the confirming page is for this user: a partner's representative, or staff
    who manage volunteers somewhere."""
    return scope.has("volunteers.manage") or Partner.objects.filter(representatives=user).exists()


def _may_confirm(actor: Any, scope: Scope, reward: Reward) -> bool:
    if reward.provider_id is not None:
        return Partner.representatives.through.objects.filter(partner_id=reward.provider_id, user_id=actor.pk).exists()
    return scope.has_at("volunteers.manage", reward.area.path)


def _unknown_code() -> DomainError:
    return DomainError(_("No voucher with this code."), field="code")


def normalise_code(code: str) -> str:
    """The code as typed: spaces and dashes dropped, upper case."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def find_voucher(*, actor: Any, code: str, scope: Scope) -> Redemption:
    """The redemption with this code, for the confirming page to show before confirming;
    refuses a code unknown or not the actor's to confirm with one message ("code")."""
    code = normalise_code(code)
    redemption = (
        Redemption.objects.select_related("reward__area", "reward__provider", "volunteer").filter(code=code).first()
        if code
        else None
    )
    if redemption is None or not _may_confirm(actor, scope, redemption.reward):
        raise _unknown_code()
    return redemption


@dataclass
class PointsSummary:
    """What the volunteer's points page shows."""

    volunteer: Volunteer
    balance: int
    entries: list[PointsEntry]
    affordable: list[Reward]
    beyond: list[Reward]
    vouchers: list[Redemption]


def summary(volunteer: Volunteer, *, entries_limit: int = 100) -> PointsSummary:
    """Balance, the newest ledger lines, the rewards offered split by what the balance
    affords (in stock), and the volunteer's vouchers: a fixed handful of queries."""
    have = balance(volunteer)
    offered = [r for r in rewards_for(volunteer) if r.stock > 0]
    return PointsSummary(
        volunteer=volunteer,
        balance=have,
        entries=list(ledger(volunteer)[:entries_limit]),
        affordable=[r for r in offered if r.points <= have],
        beyond=[r for r in offered if r.points > have],
        vouchers=list(vouchers(volunteer)[:50]),
    )


def entry_label(entry: PointsEntry) -> str:
    """What a ledger line was for, in a few words (the activity, the case, the reward)."""
    if entry.record_id is not None and entry.record is not None:
        return entry.record.activity.title
    if entry.case_id is not None and entry.case is not None:
        return entry.case.number
    if entry.redemption_id is not None and entry.redemption is not None:
        return entry.redemption.reward.name
    return ""
