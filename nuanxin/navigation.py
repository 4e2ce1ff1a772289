"""The staff console's navigation: every capability of DESIGN.md §2, built or not yet.

A built capability names its URL; one not built yet opens an honest empty page.
"""

from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Capability:
    slug: str
    label: str | Promise
    summary: str | Promise
    url_name: str | None = None  # None: not built yet
    permission: str | None = None  # shown only to viewers holding it somewhere
    # Shown only to a unit's representatives (who reach rows through their units, holding no
    # permission), and not to those who hold `permission` (they come through the capability).
    units: bool = False

    def shown_to(self, scope: Any) -> bool:
        if self.units:
            return bool(scope.unit_ids) and not (self.permission and scope.has(self.permission))
        return self.permission is None or scope.has(self.permission)


CAPABILITIES = (
    Capability(
        "territory",
        _("Territory"),
        _("Districts, streets, communities, grids and their places."),
        "territory:tree",
        "territory.view",
    ),
    Capability(
        "staffing",
        _("Grid staffing"),
        _("Who is responsible for each grid, and when."),
        "territory:tree",
        "staffing.view",
    ),
    Capability(
        "people",
        _("Residents"),
        _("Residents and households, with personal data masked."),
        "people:list",
        "people.view",
    ),
    Capability(
        "cases",
        _("Cases"),
        _("Reports from every channel, handled through the closed loop."),
        "cases:list",
        "cases.view",
    ),
    Capability(
        "inspections",
        _("Inspections"),
        _("The watchlist, due visits, hazards and rectifications."),
        "inspections:console",
        "inspections.view",
    ),
    Capability(
        "ledgers",
        _("Ledgers"),
        _("Disputes, campaigns and the registers offices keep."),
        "ledgers:index",
        "inspections.view",
    ),
    Capability(
        "volunteers",
        _("Activities"),
        _("Campaigns and activities, sign-ups, check-in, service hours and points."),
        "activities:list",
        "activities.view",
    ),
    Capability(
        "stations",
        _("Warm stations"),
        _("Stations, rider meal offers, parking points, green channels."),
        "stations:manage",
        "stations.manage",
    ),
    Capability(
        "party",
        _("Party building"),
        _("Organisations, members, the alliance, pacts and joint meetings."),
        "party:index",
        "party.view",
    ),
    Capability(
        "alliance",
        _("Our pact"),
        _("The alliance your unit belongs to: its pact, deliveries, needs to claim and projects."),
        "party:alliance",
        "party.view",
        units=True,
    ),
    Capability(
        "voice",
        _("Residents' voice"),
        _("Opinions from every channel, their outcome and the echo wall; proposals and deliberations come next."),
        "voice:triage",
        "voice.view",
    ),
    Capability("servicedesk", _("Services"), _("Partner resources, the service desk and notices.")),
    Capability(
        "insights",
        _("Insights"),
        _("Period figures for any part of the territory; the dashboard and the work report come next."),
        "insights:period",
        "insights.view",
    ),
    Capability(
        "audit", _("Audit log"), _("Every write, login, denial, reveal and export."), "audit:list", "audit.view"
    ),
)

BY_SLUG = {c.slug: c for c in CAPABILITIES}
