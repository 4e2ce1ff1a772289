"""Reads on disputes, always through the viewer's scope, with related rows preloaded.

The list page and the API list filter these the same way (ledgers/disputes/filters.py):
the period by the day a dispute was received, grid, kind, state, outcome and level.
"""

from datetime import date
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Prefetch, QuerySet

from nuanxin.accounts.models import RoleGrant
from nuanxin.accounts.roles import PERMISSIONS
from nuanxin.cases.models import Case
from nuanxin.core.access import get_in_scope_or_404
from nuanxin.core.masking import mask_name, mask_phone
from nuanxin.core.scoping import Scope
from nuanxin.inspections.models import Visit
from nuanxin.ledgers.models import (
    Dispute,
    DisputeParty,
    MediationSession,
    Mediator,
    Outcome,
    SettledLevel,
)
from nuanxin.territory.models import Area
from nuanxin.territory.queries import ancestor_paths


def disputes_for(scope: Scope) -> QuerySet[Dispute]:
    """The disputes of the viewer's territory (disputes.view), newest first, with the grid
    and the parties preloaded (the list shows masked party names); the list's filters
    (ledgers/disputes/filters.py) narrow these."""
    disputes: QuerySet[Dispute] = Dispute.objects.reached_by(scope)
    return (
        disputes.select_related("grid")
        .defer("grid__boundary")
        .prefetch_related(Prefetch("parties", queryset=DisputeParty.objects.order_by("id")))
        .order_by("-received_on", "-id")
    )


def dispute_or_404(scope: Scope, dispute_id: int) -> Dispute:
    """One dispute the viewer may see, with its parties, mediators and sessions; 404 (the
    denial audited) otherwise."""
    disputes = (
        Dispute.objects.select_related("grid", "recorded_by")
        .defer("grid__boundary")
        .prefetch_related(
            Prefetch("parties", queryset=DisputeParty.objects.order_by("id")),
            Prefetch("mediators", queryset=Mediator.objects.select_related("user").order_by("id")),
            Prefetch("sessions", queryset=MediationSession.objects.select_related("recorded_by")),
        )
    )
    return get_in_scope_or_404(disputes, scope, pk=dispute_id)


def masked_party(party: DisputeParty) -> dict[str, Any]:
    """A party as lists, pages and the API show it: a person's name and every phone masked
    (a unit's name is not personal data and shows in full)."""
    person = party.kind == DisputeParty.Kind.PERSON
    return {
        "id": party.pk,
        "kind": party.kind,
        "kind_label": party.get_kind_display(),
        "name": mask_name(party.name) if person else party.name,
        "phone": mask_phone(party.phone),
        "resident_id": party.resident_id,
        "place_id": party.place_id,
    }


def linked_visit_id(scope: Scope, dispute: Dispute) -> int | None:
    """The visit a dispute came from, only if the viewer may see that visit (a key-person
    visit stays unknown to a viewer without people.view_key_person)."""
    if dispute.visit_id is None:
        return None

    return dispute.visit_id if Visit.objects.visible_to(scope).filter(pk=dispute.visit_id).exists() else None


def linked_case(scope: Scope, dispute: Dispute) -> Any:
    """The case a dispute came from, only if the viewer may see it."""
    if dispute.case_id is None:
        return None

    return Case.objects.visible_to(scope).filter(pk=dispute.case_id).only("id", "number").first()


def record_grids(scope: Scope) -> QuerySet[Area]:
    """The grids where the viewer may register disputes (disputes.record)."""
    return (
        Area.objects.filter(level=Area.Level.GRID)
        .filter(scope.q("disputes.record", "path"))
        .only("id", "name", "path", "level")
        .order_by("path")
    )


def mediator_candidates(grid: Area) -> QuerySet[Any]:
    """Staff who may mediate in this grid: people holding a role with disputes.record on
    the grid or a node above it (the offer of the mediator form; the action checks again)."""

    roles = [role for role, permissions in PERMISSIONS.items() if "disputes.record" in permissions]
    grants = RoleGrant.objects.filter(role__in=roles, area__path__in=ancestor_paths(grid.path)).values("user_id")
    return get_user_model().objects.filter(pk__in=grants, is_active=True).order_by("display_name", "username")


def dispute_figures(scope: Scope, *, node: Area, since: date, until: date) -> dict[str, Any]:
    """The period figures disputes feed, for a node's subtree within the viewer's scope,
    days `since`..`until` both included: received (by received_on), closed by outcome and
    resolved (closed with an agreement, by closed_on), resolved by the level where it was
    settled. Three grouped queries whatever the number of disputes."""

    disputes = Dispute.objects.reached_by(scope).filter(grid__path__startswith=node.path)
    received = disputes.filter(received_on__gte=since, received_on__lte=until).count()
    closed = disputes.filter(state=Dispute.State.CLOSED, closed_on__gte=since, closed_on__lte=until)
    by_outcome = {value: 0 for value in Outcome.values}
    by_outcome |= dict(closed.values_list("outcome").annotate(n=Count("id")).order_by())
    by_level = {value: 0 for value in SettledLevel.values}
    by_level |= dict(
        closed.filter(outcome=Outcome.AGREEMENT).values_list("settled_level").annotate(n=Count("id")).order_by()
    )
    return {
        "received": received,
        "closed": sum(by_outcome.values()),
        "resolved": by_outcome[Outcome.AGREEMENT],
        "by_outcome": by_outcome,
        "resolved_by_level": by_level,
    }
