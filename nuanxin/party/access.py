"""Who may act on an alliance (docs/party.md): its party office (party.manage at the
committee's node) and each member unit's representatives (their role held on the unit's
place). The alliance and meeting actions, pages and API all ask here."""

from django.utils.translation import gettext as _

from nuanxin.core.access import check_at
from nuanxin.core.scoping import Scope
from nuanxin.party.actions import OUTSIDE
from nuanxin.party.models import AllianceUnit, PartyOrg


def manages(scope: Scope, committee: PartyOrg) -> bool:
    """Whether the viewer keeps party work for the committee's alliance (party.manage at its node)."""
    return scope.has_at("party.manage", committee.area.path)


def check_manages(scope: Scope, committee: PartyOrg, *, field: str | None = None) -> None:
    """Refuse unless the viewer keeps party work for the committee's alliance: bad input at
    `field` when one is named, forbidden otherwise. Fails closed on a scope that is not a Scope."""
    check_at(scope, committee.area.path, "party.manage", message=_(OUTSIDE), field=field)


def speaks_for(scope: Scope, unit: AllianceUnit) -> bool:
    """Whether the viewer is one of the unit's representatives (their role held on its place)."""
    return unit.place_id in scope.unit_ids


def acts_for(scope: Scope, unit: AllianceUnit) -> bool:
    """The unit's representative or its alliance's party office: who logs deliveries, offers
    and claims for the unit."""
    return speaks_for(scope, unit) or manages(scope, unit.committee)
