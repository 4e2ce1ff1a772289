"""Writes on disputes (矛盾纠纷) and their mediation.

Each action runs in one transaction and leaves an audit entry whose detail never holds a
party's name or phone (a dispute is named by its number, a party by its count only). An
action refuses a `scope` without disputes.record at the dispute's grid. A
closed dispute is final: no mediator, session or second closing is added to it.
"""

from dataclasses import dataclass
from datetime import date
from typing import IO, Any

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nuanxin.accounts.scope import scope_of
from nuanxin.core import audit, changes
from nuanxin.core.access import check_at
from nuanxin.core.documents import accept_document
from nuanxin.core.errors import DomainError
from nuanxin.core.numbering import create_numbered, next_in_sequence
from nuanxin.core.scoping import Scope
from nuanxin.core.validators import normalize_mobile, plain_text
from nuanxin.ledgers.models import (
    Dispute,
    DisputeKind,
    DisputeParty,
    DisputeSource,
    MediationSession,
    Mediator,
    Outcome,
    SettledLevel,
)
from nuanxin.people.models import Resident
from nuanxin.territory.models import Area, Place

MAX_PARTIES = 10
SUMMARY_MAX = 2000
PARTY_NAME_MAX = 120
MEDIATOR_NAME_MAX = 30
LOCATION_MAX = 120
AGREEMENT_SUBDIR = "disputes/agreements"
# Levels an outcome must name: where the agreement was reached, or where it was referred from.
LEVEL_REQUIRED = frozenset({Outcome.AGREEMENT, Outcome.REFERRED})


@dataclass(frozen=True)
class PartyIn:
    """One side of a dispute as the pages and the API give it (the resident or place
    already resolved through the viewer's scope)."""

    kind: str
    name: str = ""
    phone: str = ""
    resident: Any = None
    place: Any = None


def check_records(scope: Scope, grid: Area, *, field: str | None) -> None:
    """disputes.record at the grid: 400 at `field` when choosing a grid,
    403 (code forbidden) when acting on an existing dispute."""
    message = _("%(grid)s is outside the area where you record disputes.") % {"grid": grid.name}
    check_at(scope, grid.path, "disputes.record", message=message, field=field)


def _check_open(dispute: Dispute) -> None:
    if dispute.state != Dispute.State.OPEN:
        raise DomainError(_("This dispute is closed; a closed dispute stays as it is."), code="closed")


def check_day(day: Any, *, field: str, today: date, not_before: date | None = None) -> date:
    if not isinstance(day, date):
        raise DomainError(_("Enter a date as YYYY-MM-DD."), field=field)
    if day > today:
        raise DomainError(_("The date cannot be in the future."), field=field)
    if not_before is not None and day < not_before:
        raise DomainError(
            _("The date cannot be before %(day)s.") % {"day": not_before.isoformat()},
            field=field,
        )
    return day


def clean_parties(parties: list[Any], scope: Scope) -> list[DisputeParty]:
    """At least one named party (the other side may be unknown, e.g. an anonymous
    neighbour), at most MAX_PARTIES; errors name `parties.<n>.<key>`."""
    if not parties:
        raise DomainError(_("Name at least one party."), field="parties")
    if len(parties) > MAX_PARTIES:
        raise DomainError(_("At most %(n)d parties.") % {"n": MAX_PARTIES}, field="parties")
    clean = []
    for n, raw in enumerate(parties):
        if isinstance(raw, PartyIn):
            party = raw
        else:
            keys = ("kind", "name", "phone", "resident", "place")
            party = PartyIn(**{key: raw[key] for key in keys if key in raw and raw[key] is not None})
        prefix = f"parties.{n}"
        if party.kind not in DisputeParty.Kind.values:
            raise DomainError(_("A party is a person or a unit."), field=f"{prefix}.kind")
        if party.resident is not None and party.kind != DisputeParty.Kind.PERSON:
            raise DomainError(_("Only a person can be a resident."), field=f"{prefix}.resident")
        if party.place is not None and party.kind != DisputeParty.Kind.UNIT:
            raise DomainError(_("Only a unit can be a place."), field=f"{prefix}.place")
        if party.resident is not None and not Resident.objects.visible_to(scope).filter(pk=party.resident.pk).exists():
            raise DomainError(_("Unknown resident."), field=f"{prefix}.resident")
        if party.place is not None and not Place.objects.visible_to(scope).filter(pk=party.place.pk).exists():
            raise DomainError(_("Unknown place."), field=f"{prefix}.place")
        default = party.resident.name if party.resident is not None else party.place.name if party.place else ""
        name = plain_text(party.name or default, field=f"{prefix}.name", required=True, limit=PARTY_NAME_MAX)
        phone = normalize_mobile(party.phone, field=f"{prefix}.phone") if (party.phone or "").strip() else ""
        clean.append(DisputeParty(kind=party.kind, name=name, phone=phone, resident=party.resident, place=party.place))
    return clean


def next_number(year: int) -> str:
    """JF + year + a 5-digit sequence (JF202400001), counted per year of receipt."""
    return next_in_sequence(Dispute.objects.all(), f"JF{year}")


@transaction.atomic
def register_dispute(
    *,
    actor: Any,
    kind: str,
    summary: str,
    source: str,
    grid: Area,
    received_on: date,
    parties: list[Any],
    case: Any = None,
    visit: Any = None,
    scope: Scope,
    today: date | None = None,
) -> Dispute:
    """Register a dispute received on a day in a grid, with its parties.

    Refuses, naming the field: an unknown kind or source; a case with a source other than
    "report" or a visit with a source other than "visit" ("case"/"visit"), or one the viewer
    cannot see; a grid that is not a grid, or outside the viewer's disputes.record ("grid");
    a receipt day in the future ("received_on"); an empty summary, or HTML in it
    ("summary"); no party, more than MAX_PARTIES, or a bad party ("parties.<n>.<key>": kind,
    name, phone as a mainland mobile, a resident for a person only, a place for a unit
    only)."""
    today = today or timezone.localdate()
    if kind not in DisputeKind.values:
        raise DomainError(_("Unknown kind of dispute."), field="kind")
    if source not in DisputeSource.values:
        raise DomainError(_("Unknown source."), field="source")
    if grid is None or grid.level != Area.Level.GRID:
        raise DomainError(_("Choose a grid."), field="grid")
    check_records(scope, grid, field="grid")
    if case is not None:
        if source != DisputeSource.REPORT:
            raise DomainError(_("Only a dispute from a report comes from a case."), field="case")
        if not type(case).objects.visible_to(scope).filter(pk=case.pk).exists():
            raise DomainError(_("Unknown case."), field="case")
    if visit is not None:
        if source != DisputeSource.VISIT:
            raise DomainError(_("Only a dispute from a visit comes from a visit."), field="visit")
        if not type(visit).objects.visible_to(scope).filter(pk=visit.pk).exists():
            raise DomainError(_("Unknown visit."), field="visit")
    received_on = check_day(received_on, field="received_on", today=today)
    summary = plain_text(summary, field="summary", required=True, limit=SUMMARY_MAX)
    party_rows = clean_parties(parties, scope)
    dispute = create_numbered(
        Dispute,
        lambda: next_number(received_on.year),
        kind=kind,
        summary=summary,
        source=source,
        case=case,
        visit=visit,
        grid=grid,
        received_on=received_on,
        recorded_by=actor,
    )
    for party in party_rows:
        party.dispute = dispute
    DisputeParty.objects.bulk_create(party_rows)
    changes.added(Dispute, [dispute.pk])
    audit.record(
        "disputes.registered",
        actor=actor,
        obj=dispute,
        detail={"kind": kind, "source": source, "grid": grid.pk, "parties": len(party_rows)},
    )
    return dispute


@transaction.atomic
def add_mediator(
    *,
    actor: Any,
    dispute: Dispute,
    group: str,
    user: Any = None,
    name: str = "",
    scope: Scope,
) -> Mediator:
    """Add a mediator: a staff member by account (once per dispute, and only someone who
    records disputes at its grid), or a staff member or volunteer by name.

    Refuses: a closed dispute (code closed); an unknown group ("group"); an account given
    for a volunteer, an inactive account, one without disputes.record at the grid, or one
    already mediating ("user"); no account and no name, or HTML in it ("name")."""
    check_records(scope, dispute.grid, field=None)
    _check_open(dispute)
    if group not in Mediator.Group.values:
        raise DomainError(_("A mediator is staff or a volunteer."), field="group")
    if user is not None:
        if group != Mediator.Group.STAFF:
            raise DomainError(_("An account is given for staff only; name a volunteer."), field="user")
        if not user.is_active or not scope_of(user).has_at("disputes.record", dispute.grid.path):
            raise DomainError(_("Choose someone who records disputes in this grid."), field="user")
        if Mediator.objects.filter(dispute=dispute, user=user).exists():
            raise DomainError(_("This person already mediates this dispute."), field="user")
        name = plain_text(name or str(user), field="name", required=True, limit=60)[:MEDIATOR_NAME_MAX]
    else:
        name = plain_text(name, field="name", required=True, limit=MEDIATOR_NAME_MAX)
    mediator = Mediator.objects.create(dispute=dispute, user=user, name=name, group=group)
    audit.record(
        "disputes.mediator_added",
        actor=actor,
        obj=dispute,
        detail={"mediator": mediator.pk, "group": group, "user": getattr(user, "pk", None)},
    )
    return mediator


@transaction.atomic
def record_session(
    *,
    actor: Any,
    dispute: Dispute,
    held_on: date,
    summary: str,
    location: str = "",
    scope: Scope,
    today: date | None = None,
) -> MediationSession:
    """Record a mediation session of an open dispute.

    Refuses: a closed dispute (code closed); a day before the dispute was received or in
    the future ("held_on"); an empty summary or HTML ("summary"); HTML or more than 120
    characters in the location ("location")."""
    today = today or timezone.localdate()
    check_records(scope, dispute.grid, field=None)
    _check_open(dispute)
    held_on = check_day(held_on, field="held_on", today=today, not_before=dispute.received_on)
    summary = plain_text(summary, field="summary", required=True, limit=SUMMARY_MAX)
    location = plain_text(location, field="location", required=False, limit=LOCATION_MAX)
    session = MediationSession.objects.create(
        dispute=dispute, held_on=held_on, summary=summary, location=location, recorded_by=actor
    )
    audit.record(
        "disputes.session_recorded",
        actor=actor,
        obj=dispute,
        detail={"session": session.pk, "held_on": held_on.isoformat()},
    )
    return session


@transaction.atomic
def close_dispute(
    *,
    actor: Any,
    dispute: Dispute,
    outcome: str,
    settled_level: str = "",
    closed_on: date,
    agreement: IO[bytes] | None = None,
    scope: Scope,
    today: date | None = None,
) -> Dispute:
    """Close a dispute with its outcome; closing is final.

    An agreement names the level where it was reached, a referral the level it was
    referred from (grid, community, street); a failed mediation may name one. The signed
    agreement (optional, with an agreement only) is checked by `core.documents.accept_document`.
    Refuses: a closed dispute (code closed, or code stale when someone closed it a moment
    ago); an unknown outcome ("outcome"); a missing or unknown level ("settled_level"); a
    day before the receipt or the last session, or in the future ("closed_on"); a document
    without an agreement, or a bad one ("agreement")."""
    today = today or timezone.localdate()
    check_records(scope, dispute.grid, field=None)
    _check_open(dispute)
    if outcome not in Outcome.values:
        raise DomainError(_("Unknown outcome."), field="outcome")
    settled_level = settled_level or ""
    if settled_level and settled_level not in SettledLevel.values:
        raise DomainError(_("Unknown level."), field="settled_level")
    if outcome in LEVEL_REQUIRED and not settled_level:
        raise DomainError(
            _("Say at which level it was settled.")
            if outcome == Outcome.AGREEMENT
            else _("Say from which level it was referred."),
            field="settled_level",
        )
    last_session = dispute.sessions.order_by("-held_on").values_list("held_on", flat=True).first()
    not_before = max(dispute.received_on, last_session) if last_session else dispute.received_on
    closed_on = check_day(closed_on, field="closed_on", today=today, not_before=not_before)
    if agreement is not None and outcome != Outcome.AGREEMENT:
        raise DomainError(_("Only an agreement has a signed document."), field="agreement")
    stored = accept_document(agreement, field="agreement", subdir=AGREEMENT_SUBDIR) if agreement is not None else None
    closed: dict[str, Any] = {
        "state": Dispute.State.CLOSED,
        "outcome": outcome,
        "settled_level": settled_level,
        "closed_on": closed_on,
        "updated_at": timezone.now(),
    }
    if stored is not None:
        closed |= {"agreement_name": stored.name, "agreement_content_type": stored.content_type}
    with changes.tracking(Dispute, [dispute.pk]):
        closing = Dispute.objects.filter(pk=dispute.pk, state=Dispute.State.OPEN).update(**closed)
    if not closing:
        if stored is not None:
            default_storage.delete(stored.name)
        raise DomainError(_("Someone closed this dispute a moment ago; reload it."), code="stale")
    for key, value in closed.items():
        setattr(dispute, key, value)
    audit.record(
        "disputes.closed",
        actor=actor,
        obj=dispute,
        detail={
            "outcome": outcome,
            "settled_level": settled_level,
            "closed_on": closed_on.isoformat(),
            "agreement": stored is not None,
        },
    )
    return dispute
