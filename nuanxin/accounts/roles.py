"""Roles and what each may do. A role is held on a node of the territory tree and reaches
its subtree; the permissions say which kinds of rows that reach covers."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    SYSTEM_ADMIN = "system_admin", _("system admin")
    DISTRICT_ADMIN = "district_admin", _("district admin")
    DISTRICT_STAFF = "district_staff", _("district staff")
    STREET_ADMIN = "street_admin", _("street admin")
    STREET_STAFF = "street_staff", _("street staff")
    COMMUNITY_ADMIN = "community_admin", _("community admin")
    COMMUNITY_STAFF = "community_staff", _("community staff")
    GRID_LEADER = "grid_leader", _("grid leader")
    GRID_WORKER = "grid_worker", _("grid worker")
    GRID_HELPER = "grid_helper", _("grid helper")
    MOBILE_REPORTER = "mobile_reporter", _("mobile reporter")
    RESIDENT = "resident", _("resident")
    PARTNER_REP = "partner_rep", _("partner representative")
    AUDITOR = "auditor", _("auditor")


_VIEW = {
    "territory.view",
    "places.view",
    "staffing.view",
    "people.view",
    "cases.view",
    "inspections.view",
    "disputes.view",
    "activities.view",
    "insights.view",
    "volunteers.view",
    "stations.view",
    "voice.view",
}
# cases.handle: work a case dispatched to you; cases.manage: accept, reject, dispatch, verify,
# escalate, transfer and merge the cases of your subtree.
_CASE_WORK = {"cases.handle", "cases.manage"}
# inspections.record: record the visits of your grid; inspections.manage: put targets on the
# watchlist, change their tier, take them off. disputes.record: register disputes and their
# mediation; activities.manage: record campaigns and activities with their participants;
# ledgers.export: export the ledgers of your subtree (masked, audited); ledgers.import: load
# an office's existing ledgers from spreadsheets. volunteers.manage: check volunteers in by
# hand, approve their hours and corrections, confirm redemptions of the community's rewards;
# stations.manage: keep the stations, meal offers, parking points and green channels.
# accounts.manage: grant and withdraw roles held on the subtree (a partner representative's
# role: on the unit's grid). partners.manage: add the partners (units, merchants, platforms)
# that bring volunteers.
_FIELD_WORK = _VIEW | {
    "disputes.record",
    "activities.manage",
    "ledgers.export",
    "volunteers.manage",
    "places.manage",
    "people.manage",
    "people.view_special",
    "people.reveal",
    "cases.handle",
    "inspections.record",
    "voice.give",
    "voice.record",
}
# party.view: the party organisations and their members (sensitive: membership is personal
# data, so the field's roles do not hold it); party.manage: found organisations, register
# members. The community office and the admins above it keep party work.
_PARTY = {"party.view", "party.manage"}
# voice.give: give one's own opinion to the community (residents, riders, staff); voice.record:
# enter an opinion heard by another channel for someone (代录); voice.manage: answer opinions,
# turn them into cases or needs, decline them.
_RESIDENTS = {"voice.give"}
_ADMIN = (
    _FIELD_WORK
    | _PARTY
    | {
        "territory.manage",
        "staffing.manage",
        "people.view_key_person",
        "people.import",
        "places.import",
        "accounts.manage",
        "partners.manage",
        "inspections.manage",
        "ledgers.import",
        "stations.manage",
        "voice.manage",
    }
    | _CASE_WORK
)

PERMISSIONS: dict[str, frozenset[str]] = {
    Role.SYSTEM_ADMIN: frozenset(_ADMIN),
    Role.DISTRICT_ADMIN: frozenset(_ADMIN),
    Role.STREET_ADMIN: frozenset(_ADMIN),
    Role.COMMUNITY_ADMIN: frozenset(_ADMIN),
    # Escalated cases reach the street and the district: their staff handle them there.
    Role.DISTRICT_STAFF: frozenset(_VIEW | _CASE_WORK),
    Role.STREET_STAFF: frozenset(_VIEW | _CASE_WORK),
    Role.COMMUNITY_STAFF: frozenset(
        _FIELD_WORK
        | _CASE_WORK
        | _PARTY
        | {"places.import", "people.import", "ledgers.import", "stations.manage", "voice.manage"}
    ),
    Role.GRID_LEADER: frozenset(_FIELD_WORK | _CASE_WORK | {"people.view_key_person"}),
    Role.GRID_WORKER: frozenset(_FIELD_WORK),
    Role.GRID_HELPER: frozenset({"territory.view", "places.view", "people.view", "cases.view"}),
    Role.MOBILE_REPORTER: frozenset(_RESIDENTS),
    Role.RESIDENT: frozenset(_RESIDENTS),
    Role.PARTNER_REP: frozenset(),
    Role.AUDITOR: frozenset({"audit.view"}),
}

# Roles whose holders work in the staff console: their sessions expire when idle.
CONSOLE_ROLES = frozenset(PERMISSIONS) - {Role.MOBILE_REPORTER, Role.RESIDENT}
# Roles held on no node (they reach the whole installation).
GLOBAL_ROLES = frozenset({Role.SYSTEM_ADMIN, Role.AUDITOR})
# Roles whose holders speak for a partner unit (a place) rather than a node.
UNIT_ROLES = frozenset({Role.PARTNER_REP})
# Roles that must be held on a node of this level.
ROLE_LEVEL = {
    Role.DISTRICT_ADMIN: "district",
    Role.DISTRICT_STAFF: "district",
    Role.STREET_ADMIN: "street",
    Role.STREET_STAFF: "street",
    Role.COMMUNITY_ADMIN: "community",
    Role.COMMUNITY_STAFF: "community",
    Role.GRID_LEADER: "grid",
    Role.GRID_WORKER: "grid",
    Role.GRID_HELPER: "grid",
}
# An account holding only these roles writes nothing: every unsafe request is refused
# (accounts.middleware.ReadOnlyAccountMiddleware), except signing in and out, its own password,
# its second factor and its API tokens.
READ_ONLY_ROLES = frozenset({Role.AUDITOR})
