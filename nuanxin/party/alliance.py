"""The alliance (大党委) a community's party committee leads: its member units, their co-building
pacts (结对共建) with commitments and what was delivered against them, and the three lists
(needs, resources, projects). Writes here, each checked, in one transaction and audited; what a
pact stands at on a day is `standing` (docs/party.md)."""

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import IO, Any

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from nuanxin.core import audit, changes
from nuanxin.core.access import check_at
from nuanxin.core.documents import accept_document
from nuanxin.core.errors import DomainError
from nuanxin.core.photos import accept_photo
from nuanxin.core.scoping import Scope
from nuanxin.core.validators import plain_name, plain_text
from nuanxin.party.access import acts_for, check_manages, manages, speaks_for
from nuanxin.party.actions import OUTSIDE, TWO_NEW_PLACES
from nuanxin.party.models import (
    AllianceUnit,
    Commitment,
    Delivery,
    Evaluation,
    Need,
    Offer,
    Pact,
    PartyOrg,
    Project,
    ResourceKind,
)
from nuanxin.territory.models import Area, Place

PACT_SUBDIR = "party/pacts"
DELIVERY_SUBDIR = "party/deliveries"
NOT_YOURS = gettext_noop("Only the unit's representatives or the community's party office may do this.")
MAX_QUANTITY = Decimal("10000000000")  # what the columns hold (12 digits, 2 decimals)


# --- quantities and periods -----------------------------------------------------------------


def quantity_of(value: Any, *, field: str) -> Decimal:
    """A positive amount with at most two decimals, or a refusal naming `field`."""
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise DomainError(_("Enter an amount, such as 20 or 1500.50."), field=field) from None
    if not amount.is_finite() or amount <= 0 or amount >= MAX_QUANTITY:
        raise DomainError(_("Enter an amount greater than 0."), field=field)
    if amount != amount.quantize(Decimal("0.01"), rounding=ROUND_DOWN):
        raise DomainError(_("At most two decimals."), field=field)
    return amount


def shown(amount: Decimal) -> str:
    """An amount as pages show it: 20, 1500.5 (no trailing zeros)."""
    return f"{amount.normalize():f}"


_MONTHS = {Commitment.Period.YEAR: 12, Commitment.Period.QUARTER: 3, Commitment.Period.MONTH: 1}


def period_starts(commitment: Commitment, pact: Pact) -> list[date]:
    """The days the commitment's periods begin within the pact's term: the term's first day,
    then each step of months on the same day of the month (the first of the next month where
    the month has no such day). A commitment over the whole term has one period."""
    if commitment.period == Commitment.Period.TERM:
        return [pact.starts_on]
    step = _MONTHS[Commitment.Period(commitment.period)]
    first = pact.starts_on
    starts: list[date] = []
    while True:
        months = first.month - 1 + len(starts) * step
        year, month = first.year + months // 12, months % 12 + 1
        days_in_month = calendar.monthrange(year, month)[1]
        start = (
            date(year, month, first.day)
            if first.day <= days_in_month
            else date(year, month, days_in_month) + timedelta(days=1)
        )
        if start > pact.ends_on:
            return starts
        starts.append(start)


def periods_begun(commitment: Commitment, pact: Pact, day: date) -> int:
    """How many of the commitment's periods have begun by `day` within the pact's term."""
    return sum(1 for start in period_starts(commitment, pact) if start <= day)


def periods_in_term(commitment: Commitment, pact: Pact) -> int:
    return periods_begun(commitment, pact, pact.ends_on)


@dataclass(frozen=True)
class CommitmentStanding:
    """A commitment on a day: what was committed by then, in the whole term, and delivered."""

    commitment: Commitment
    committed: Decimal  # the periods begun by the day
    in_term: Decimal  # the whole term
    delivered: Decimal

    @property
    def remaining(self) -> Decimal:
        """What is left to deliver in the whole term."""
        return max(Decimal(0), self.in_term - self.delivered)

    @property
    def share(self) -> int:
        """Delivered against committed by the day, in percent (capped at 100)."""
        if not self.committed:
            return 0
        return min(100, int(self.delivered * 100 / self.committed))


def standing(pact: Pact, day: date) -> list[CommitmentStanding]:
    """Each of the pact's commitments as it stood on `day` (deliveries up to that day)."""
    commitments = list(pact.commitments.all())
    delivered = dict(
        Delivery.objects.filter(commitment__in=commitments, delivered_on__lte=day)
        .values("commitment")
        .annotate(total=Sum("quantity"))
        .values_list("commitment", "total")
    )
    return [
        CommitmentStanding(
            commitment=c,
            committed=c.quantity * periods_begun(c, pact, day),
            in_term=c.quantity * periods_in_term(c, pact),
            delivered=delivered.get(c.pk) or Decimal(0),
        )
        for c in commitments
    ]


def pact_share(rows: Iterable[CommitmentStanding]) -> int:
    """A pact's delivery on a day: the mean of its commitments' shares, in percent."""
    shares = [row.share for row in rows if row.committed]
    return round(sum(shares) / len(shares)) if shares else 0


# --- who may act ----------------------------------------------------------------------------


def side_of(scope: Scope, unit: AllianceUnit) -> str | None:
    """Which side of a pact's evaluation the viewer gives: the party office rates the unit, the
    unit's representative the community; None for anyone else."""
    if manages(scope, unit.committee):
        return Evaluation.Direction.OF_UNIT
    if speaks_for(scope, unit):
        return Evaluation.Direction.OF_COMMUNITY
    return None


def _check_unit_or_manager(scope: Scope, unit: AllianceUnit) -> None:
    """The unit's own representatives, or whoever keeps party work where the alliance is."""
    if not isinstance(scope, Scope):
        raise TypeError(f"an action's check needs a Scope, not {scope!r}: a viewer's, or system_scope(...)")
    if not acts_for(scope, unit):
        raise DomainError(_(NOT_YOURS), code="forbidden")


def _check_day(day: Any, *, field: str, not_before: date | None = None, label: str = "") -> date:
    if not isinstance(day, date):
        raise DomainError(_("Enter a date as YYYY-MM-DD."), field=field)
    if day > timezone.localdate():
        raise DomainError(_("The date cannot be in the future."), field=field)
    if not_before is not None and day < not_before:
        raise DomainError(
            _("The date cannot be before %(day)s (%(what)s).") % {"day": not_before.isoformat(), "what": label},
            field=field,
        )
    return day


def _check_current(unit: AllianceUnit, *, field: str) -> None:
    if unit.left_on is not None:
        raise DomainError(_("This unit has left the alliance."), field=field)


# --- member units ---------------------------------------------------------------------------


def join_alliance(*, actor: Any, scope: Scope, committee: PartyOrg, place: Place, joined_on: date) -> AllianceUnit:
    """A unit joins the alliance `committee` leads. Refuses, naming the field: a committee that
    is not a community's party committee or is dissolved ("committee"); a place that is not a
    unit, merchant or enterprise inside the committee's area, or is already a member ("place");
    a day before the committee was founded ("joined_on")."""
    check_manages(scope, committee)
    if committee.kind != PartyOrg.Kind.COMMITTEE or committee.ended_on is not None:
        raise DomainError(_("Only a standing party committee leads an alliance."), field="committee")
    if place.kind not in TWO_NEW_PLACES or place.grid is None or not place.grid.path.startswith(committee.area.path):
        raise DomainError(_("Choose a unit, merchant or enterprise inside the committee's area."), field="place")
    _check_day(joined_on, field="joined_on", not_before=committee.founded_on, label=_("the committee was founded"))
    try:
        with transaction.atomic():
            unit = AllianceUnit.objects.create(committee=committee, place=place, joined_on=joined_on)
            audit.record("party.unit_joined", actor=actor, obj=unit, detail={"place": place.pk})
    except IntegrityError:
        raise DomainError(_("This unit is a member of the alliance already."), field="place") from None
    return unit


@transaction.atomic
def leave_alliance(*, actor: Any, scope: Scope, unit: AllianceUnit, left_on: date) -> AllianceUnit:
    """The unit leaves the alliance; its pacts, deliveries and projects stay on record."""
    check_manages(scope, unit.committee)
    _check_current(unit, field="left_on")
    unit.left_on = _check_day(left_on, field="left_on", not_before=unit.joined_on, label=_("it joined"))
    unit.save(update_fields=["left_on"])
    audit.record("party.unit_left", actor=actor, obj=unit)
    return unit


# --- pacts and their commitments ------------------------------------------------------------


@dataclass(frozen=True)
class CommitmentIn:
    kind: str
    what: str
    quantity: Any
    period: str


def _clean_commitment(raw: CommitmentIn, n: int) -> Commitment:
    prefix = f"commitments.{n}"
    if raw.kind not in ResourceKind.values:
        raise DomainError(_("Choose the kind of resource."), field=f"{prefix}.kind")
    if raw.period not in Commitment.Period.values:
        raise DomainError(_("Choose the period."), field=f"{prefix}.period")
    return Commitment(
        kind=raw.kind,
        what=plain_name(raw.what, field=f"{prefix}.what", limit=100),
        quantity=quantity_of(raw.quantity, field=f"{prefix}.quantity"),
        period=raw.period,
    )


@transaction.atomic
def sign_pact(
    *,
    actor: Any,
    scope: Scope,
    unit: AllianceUnit,
    signed_on: date,
    starts_on: date,
    ends_on: date,
    commitments: list[CommitmentIn],
    document: IO[bytes] | None = None,
) -> Pact:
    """Record a signed pact with a member unit and its commitments (at least one). Refuses,
    naming the field: a unit that has left ("unit"); a signing day to come or before the unit
    joined ("signed_on"); a term that ends before it starts ("ends_on"); a commitment without
    kind, what, a positive quantity or a period ("commitments.<n>.<field>"); a document that is
    not a PDF or a photo ("document")."""
    check_manages(scope, unit.committee)
    _check_current(unit, field="unit")
    _check_day(signed_on, field="signed_on", not_before=unit.joined_on, label=_("the unit joined"))
    if not isinstance(starts_on, date):
        raise DomainError(_("Enter a date as YYYY-MM-DD."), field="starts_on")
    if not isinstance(ends_on, date):
        raise DomainError(_("Enter a date as YYYY-MM-DD."), field="ends_on")
    if ends_on < starts_on:
        raise DomainError(_("The term cannot end before it starts."), field="ends_on")
    if not commitments:
        raise DomainError(_("A pact commits at least one resource."), field="commitments")
    clean = [_clean_commitment(raw, n) for n, raw in enumerate(commitments)]
    stored = accept_document(document, field="document", subdir=PACT_SUBDIR) if document is not None else None
    pact = Pact.objects.create(
        unit=unit,
        signed_on=signed_on,
        starts_on=starts_on,
        ends_on=ends_on,
        document_name=stored.name if stored else "",
        document_content_type=stored.content_type if stored else "",
    )
    for commitment in clean:
        commitment.pact = pact
    Commitment.objects.bulk_create(clean)
    changes.added(Pact, [pact.pk])
    changes.added(Commitment, list(pact.commitments.values_list("pk", flat=True)))
    audit.record(
        "party.pact_signed",
        actor=actor,
        obj=pact,
        detail={"unit": unit.pk, "commitments": len(clean), "document": stored is not None},
    )
    return pact


@transaction.atomic
def attach_document(*, actor: Any, scope: Scope, pact: Pact, document: IO[bytes]) -> Pact:
    """Keep the signed pact (a PDF or a photo; refused at "document" otherwise), in place of
    one kept before."""
    check_manages(scope, pact.unit.committee)
    stored = accept_document(document, field="document", subdir=PACT_SUBDIR)
    replaced = bool(pact.document_name)
    pact.document_name, pact.document_content_type = stored.name, stored.content_type
    pact.save(update_fields=["document_name", "document_content_type"])
    audit.record("party.pact_document_kept", actor=actor, obj=pact, detail={"replaced": replaced})
    return pact


def record_delivery(
    *,
    actor: Any,
    scope: Scope,
    commitment: Commitment,
    delivered_on: date,
    quantity: Any,
    what: str,
    beyond_reason: str = "",
    photo: IO[bytes] | None = None,
) -> Delivery:
    """Log what a unit delivered against a commitment, by its representative or the party
    office. Refuses, naming the field: a day to come or outside the pact's term
    ("delivered_on"); an amount that is not positive ("quantity"); taking the delivered total
    past what was committed by that day without a reason ("beyond_reason"); a photo that is not
    one ("photo")."""
    pact = commitment.pact
    _check_unit_or_manager(scope, pact.unit)
    _check_day(delivered_on, field="delivered_on", not_before=pact.starts_on, label=_("the pact's term starts"))
    if delivered_on > pact.ends_on:
        raise DomainError(
            _("The pact's term ended on %(day)s.") % {"day": pact.ends_on.isoformat()}, field="delivered_on"
        )
    amount = quantity_of(quantity, field="quantity")
    what = plain_name(what, field="what", limit=200)
    beyond_reason = plain_name(beyond_reason, field="beyond_reason", limit=200, required=False)
    stored = accept_photo(photo, field="photo", subdir=DELIVERY_SUBDIR) if photo is not None else None
    with transaction.atomic():
        # One delivery at a time per commitment: the total checked is the total written.
        Commitment.objects.select_for_update().filter(pk=commitment.pk).first()
        so_far = commitment.deliveries.filter(delivered_on__lte=delivered_on).aggregate(s=Sum("quantity"))["s"] or 0
        committed = commitment.quantity * periods_begun(commitment, pact, delivered_on)
        if so_far + amount > committed and not beyond_reason:
            raise DomainError(
                _("That brings the delivered total to %(total)s %(unit)s, past the %(committed)s committed by then.")
                % {"total": shown(so_far + amount), "unit": commitment.counted_in, "committed": shown(committed)}
                + " "
                + _("Give the reason."),
                field="beyond_reason",
            )
        delivery = Delivery.objects.create(
            commitment=commitment,
            delivered_on=delivered_on,
            quantity=amount,
            what=what,
            beyond_reason=beyond_reason,
            photo_name=stored.name if stored else "",
            recorded_by=actor if getattr(actor, "pk", None) else None,
        )
        changes.added(Delivery, [delivery.pk])
        audit.record(
            "party.delivery_recorded",
            actor=actor,
            obj=pact,
            detail={"commitment": commitment.pk, "quantity": str(amount), "beyond": bool(beyond_reason)},
        )
    return delivery


# --- the three lists: needs, resources, projects ---------------------------------------------


@transaction.atomic
def raise_need(
    *,
    actor: Any,
    scope: Scope,
    committee: PartyOrg,
    area: Area,
    title: str,
    source: str,
    raised_on: date,
    description: str = "",
) -> Need:
    """Put a need on the alliance's needs list. Refuses, naming the field: a place outside the
    committee's area or where the actor keeps party work ("area"); an unknown source."""
    if committee.kind != PartyOrg.Kind.COMMITTEE:
        raise DomainError(_("Only a party committee leads an alliance."), field="committee")
    if not area.path.startswith(committee.area.path):
        raise DomainError(_("Choose a place inside the committee's area."), field="area")
    check_at(scope, area.path, "party.manage", message=_(OUTSIDE), field="area")
    if source not in Need.Source.values:
        raise DomainError(_("Choose who raised the need."), field="source")
    need = Need.objects.create(
        committee=committee,
        area=area,
        title=plain_name(title, field="title", limit=100),
        description=plain_text(description, field="description", limit=2000),
        source=source,
        raised_on=_check_day(raised_on, field="raised_on"),
    )
    audit.record("party.need_raised", actor=actor, obj=need, detail={"source": source})
    return need


@transaction.atomic
def claim_need(*, actor: Any, scope: Scope, need: Need, unit: AllianceUnit, on: date) -> Need:
    """A member unit claims an open need (认领), by its representative or the party office.
    Refuses: a need no longer open, a unit of another alliance or one that has left ("unit")."""
    _check_unit_or_manager(scope, unit)
    if unit.committee_id != need.committee_id:
        raise DomainError(_("This unit is not a member of that alliance."), field="unit")
    _check_current(unit, field="unit")
    need = Need.objects.select_for_update().get(pk=need.pk)
    if need.state != Need.State.OPEN:
        raise DomainError(_("This need has been claimed or taken up already."), code="stale")
    need.claimed_on = _check_day(on, field="on", not_before=need.raised_on, label=_("it was raised"))
    need.state, need.claimed_by = Need.State.CLAIMED, unit
    need.save(update_fields=["state", "claimed_by", "claimed_on"])
    audit.record("party.need_claimed", actor=actor, obj=need, detail={"unit": unit.pk})
    return need


@transaction.atomic
def offer_resource(
    *,
    actor: Any,
    scope: Scope,
    unit: AllianceUnit,
    kind: str,
    what: str,
    quantity: Any,
    offered_on: date,
    available_until: date | None = None,
) -> Offer:
    """A member unit offers a resource outside its pact (by its representative or the party
    office). Refuses, naming the field: an unknown kind, an amount that is not positive, an
    end before the offer ("available_until")."""
    _check_unit_or_manager(scope, unit)
    _check_current(unit, field="unit")
    if kind not in ResourceKind.values:
        raise DomainError(_("Choose the kind of resource."), field="kind")
    _check_day(offered_on, field="offered_on", not_before=unit.joined_on, label=_("the unit joined"))
    if available_until is not None and available_until < offered_on:
        raise DomainError(_("An offer cannot end before it is made."), field="available_until")
    offer = Offer.objects.create(
        unit=unit,
        kind=kind,
        what=plain_name(what, field="what", limit=100),
        quantity=quantity_of(quantity, field="quantity"),
        offered_on=offered_on,
        available_until=available_until,
    )
    audit.record("party.resource_offered", actor=actor, obj=offer, detail={"kind": kind})
    return offer


@transaction.atomic
def start_project(
    *,
    actor: Any,
    scope: Scope,
    need: Need,
    title: str,
    owner: AllianceUnit,
    deadline: date,
    started_on: date,
    budget: Any = 0,
    commitments: Iterable[Commitment] = (),
    offers: Iterable[Offer] = (),
) -> Project:
    """Take a need up as a project: an owner unit of the same alliance, a deadline, a budget in
    yuan and the resources it uses (commitments of that alliance's pacts, offers of its
    units). Refuses, naming the field: a need taken up or met already ("need"); an owner of
    another alliance or who has left ("owner"); a deadline before the start ("deadline"); a
    negative budget; a resource of another alliance ("commitments", "offers")."""
    check_manages(scope, need.committee)
    need = Need.objects.select_for_update().get(pk=need.pk)
    if need.state in (Need.State.PROJECT, Need.State.MET):
        raise DomainError(_("This need is taken up already."), field="need")
    if owner.committee_id != need.committee_id:
        raise DomainError(_("This unit is not a member of that alliance."), field="owner")
    _check_current(owner, field="owner")
    _check_day(started_on, field="started_on", not_before=need.raised_on, label=_("the need was raised"))
    if not isinstance(deadline, date) or deadline < started_on:
        raise DomainError(_("The deadline cannot come before the start."), field="deadline")
    try:
        amount = Decimal(str(budget or 0))
    except InvalidOperation:
        amount = Decimal(-1)
    if not amount.is_finite() or amount < 0 or amount >= MAX_QUANTITY:
        raise DomainError(_("Enter a budget of 0 or more."), field="budget")
    commitments, offers = list(commitments), list(offers)
    if any(c.pact.unit.committee_id != need.committee_id for c in commitments):
        raise DomainError(_("Choose resources of this alliance."), field="commitments")
    if any(o.unit.committee_id != need.committee_id for o in offers):
        raise DomainError(_("Choose resources of this alliance."), field="offers")
    project = Project.objects.create(
        need=need,
        title=plain_name(title, field="title", limit=100),
        owner=owner,
        deadline=deadline,
        budget=amount.quantize(Decimal("0.01")),
        started_on=started_on,
    )
    project.commitments.set(commitments)
    project.offers.set(offers)
    need.state = Need.State.PROJECT
    need.save(update_fields=["state"])
    audit.record("party.project_started", actor=actor, obj=project, detail={"owner": owner.pk})
    return project


@transaction.atomic
def finish_project(*, actor: Any, scope: Scope, project: Project, done_on: date) -> Project:
    """The project is done and its need met."""
    check_manages(scope, project.need.committee)
    if project.done_on is not None:
        raise DomainError(_("This project is done already."), field="done_on")
    project.done_on = _check_day(done_on, field="done_on", not_before=project.started_on, label=_("it started"))
    project.save(update_fields=["done_on"])
    Need.objects.filter(pk=project.need_id).update(state=Need.State.MET)
    audit.record("party.project_done", actor=actor, obj=project, detail={"on_time": done_on <= project.deadline})
    return project


# --- the year-end two-way evaluation (双向评价) ----------------------------------------------


@dataclass(frozen=True)
class YearRecord:
    """What a pact's year holds, from which the evaluation form is filled: each commitment's
    amount committed and delivered within the year, and the unit's projects due in the year."""

    rows: list[CommitmentStanding]
    projects_due: int
    projects_on_time: int

    @property
    def unit_score(self) -> int | None:
        """The suggested score of the unit: its delivery within the year, in percent."""
        return pact_share(self.rows) if any(row.committed for row in self.rows) else None

    @property
    def community_score(self) -> int | None:
        """The suggested score of the community: the share of the unit's projects due in the
        year that the community saw done on time."""
        return round(self.projects_on_time * 100 / self.projects_due) if self.projects_due else None


def year_record(pact: Pact, year: int) -> YearRecord:
    first, last = date(year, 1, 1), date(year, 12, 31)
    before = date(year - 1, 12, 31)
    delivered = dict(
        Delivery.objects.filter(commitment__pact=pact, delivered_on__range=(first, last))
        .values("commitment")
        .annotate(total=Sum("quantity"))
        .values_list("commitment", "total")
    )
    rows = []
    for c in pact.commitments.all():
        committed = c.quantity * (periods_begun(c, pact, last) - periods_begun(c, pact, before))
        rows.append(CommitmentStanding(c, committed, committed, delivered.get(c.pk) or Decimal(0)))
    due = Project.objects.filter(owner=pact.unit, deadline__range=(first, last))
    on_time = due.filter(done_on__isnull=False, done_on__lte=F("deadline")).count()
    return YearRecord(rows=rows, projects_due=due.count(), projects_on_time=on_time)


@transaction.atomic
def evaluate(
    *,
    actor: Any,
    scope: Scope,
    pact: Pact,
    year: int,
    direction: str,
    score: int,
    comment: str = "",
    reason: str = "",
) -> Evaluation:
    """Record (or change) one side of a pact's year-end evaluation. The community's party office
    rates the unit; the unit's representative rates the community. Refuses, naming the field: a
    year the pact's term does not reach or that has not ended ("year"); a score outside 0-100
    ("score"); a score away from the suggested one, or a change of an earlier score, without a
    reason ("reason")."""
    if direction == Evaluation.Direction.OF_UNIT:
        check_manages(scope, pact.unit.committee)
    elif direction == Evaluation.Direction.OF_COMMUNITY:
        if not isinstance(scope, Scope):
            raise TypeError(f"an action's check needs a Scope, not {scope!r}")
        if not speaks_for(scope, pact.unit):
            raise DomainError(_("Only the unit's representatives rate the community."), code="forbidden")
    else:
        raise DomainError(_("Choose who rates whom."), field="direction")
    if not isinstance(year, int) or not pact.starts_on.year <= year <= pact.ends_on.year:
        raise DomainError(_("Choose a year of the pact's term."), field="year")
    if year >= timezone.localdate().year:
        raise DomainError(_("A year is evaluated once it has ended."), field="year")
    if not isinstance(score, int) or isinstance(score, bool) or not 0 <= score <= 100:
        raise DomainError(_("Enter a score from 0 to 100."), field="score")
    record = year_record(pact, year)
    suggested = record.unit_score if direction == Evaluation.Direction.OF_UNIT else record.community_score
    reason = plain_name(reason, field="reason", limit=200, required=False)
    earlier = Evaluation.objects.select_for_update().filter(pact=pact, year=year, direction=direction).first()
    if not reason:
        if earlier is not None and earlier.score != score:
            raise DomainError(_("Say why the score changes."), field="reason")
        if suggested is not None and score != suggested:
            raise DomainError(
                _("The record suggests %(n)d: say why the score differs.") % {"n": suggested}, field="reason"
            )
    evaluation = earlier or Evaluation(pact=pact, year=year, direction=direction)
    evaluation.score, evaluation.suggested = score, suggested
    evaluation.comment = plain_text(comment, field="comment", limit=2000)
    evaluation.reason = reason
    evaluation.by = actor if getattr(actor, "pk", None) else None
    evaluation.at = timezone.now()
    evaluation.save()
    audit.record(
        "party.pact_evaluated",
        actor=actor,
        obj=pact,
        detail={"year": year, "direction": direction, "score": score, "suggested": suggested, "changed": bool(earlier)},
    )
    return evaluation
