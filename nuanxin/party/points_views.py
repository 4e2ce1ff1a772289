"""Party-member points pages (docs/party.md): a member's own ledger, the members' totals for
whoever keeps party work, and the community's rules."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q, Sum
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from nuanxin.core.access import deny
from nuanxin.core.errors import DomainError
from nuanxin.core.http import ScopedRequest
from nuanxin.party import points, queries
from nuanxin.party.models import PartyMember, PartyPointsEntry, PartyPointsRule
from nuanxin.territory.models import Area
from nuanxin.volunteers.models import ActivityKind


def _communities(request: ScopedRequest) -> list[Area]:
    """The communities whose rules the viewer keeps."""
    return list(
        Area.objects.filter(request.scope.q("party.manage", "path"), level=Area.Level.COMMUNITY).order_by("path")
    )


def _rule_rows(community: Area) -> list[dict[str, Any]]:
    """Each rule the community may set, with its points now and its form field's name."""
    rules = points.rules_of(community)
    Source = PartyPointsRule.Source
    wanted: list[tuple[str, str, str]] = [(Source.SERVICE, kind, str(label)) for kind, label in ActivityKind.choices]
    wanted.append((Source.SERVICE, "", _("any other kind")))
    wanted += [(source, "", str(source.label)) for source in (Source.REPORTING, Source.MEETING)]
    return [
        {
            "source": source,
            "kind": kind,
            "label": label,
            "points": rules.get((source, kind)),
            "name": f"{source}:{kind}",
        }
        for source, kind, label in wanted
    ]


@login_required
def index(request: ScopedRequest) -> HttpResponse:
    """A member's own points; the members' totals and the rules for the party office."""
    mine = queries.membership_of(request.user.pk).first()
    office = request.scope.has("party.view")
    if mine is None and not office:
        raise deny(request.scope, "party points")
    own = PartyPointsEntry.objects.filter(member=mine) if mine else PartyPointsEntry.objects.none()
    totals = []
    if office:
        members = queries.orgs_for(request.scope).values("pk")
        totals = list(
            PartyMember.objects.visible_to(request.scope)
            .filter(org__in=members, left_on__isnull=True)
            .annotate(total=Sum("points_entries__points", filter=Q(points_entries__isnull=False)))
            .select_related("org")
            .order_by("-total", "name")[:200]
        )
    communities = _communities(request)
    context = {
        "member": mine,
        "balance": points.balance(own),
        "entries": own[:100],
        "totals": totals,
        "rules": [(community, _rule_rows(community)) for community in communities],
    }
    return render(request, "party/points.html", context)


@login_required
@require_POST
def set_rules(request: ScopedRequest, community_id: int) -> HttpResponse:
    """Save the community's rules: one number a rule (`<source>:<kind>`)."""
    community = next((c for c in _communities(request) if c.pk == community_id), None)
    if community is None:
        raise deny(request.scope, f"party.manage points rules {community_id}")
    try:
        for row in _rule_rows(community):
            text = request.POST.get(row["name"], "").strip()
            if text == "" or (text.isascii() and text.isdigit() and int(text) == row["points"]):
                continue
            value = int(text) if text.isascii() and text.isdigit() and len(text) < 4 else -1
            points.set_rule(
                actor=request.user,
                scope=request.scope,
                community=community,
                source=row["source"],
                activity_kind=row["kind"],
                points=value,
            )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The points rules are saved."))
    return redirect("party:points")
