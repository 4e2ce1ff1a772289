"""Points: an append-only ledger beside the service hours, the rewards it buys and the
vouchers a merchant or station confirms once.

Writes (actions) live here, the reads the pages and the API share in `points.queries`. Every
write runs in one transaction and leaves an audit entry whose detail holds ids and numbers,
never a name.

- Earning. `award_service_points` is called by the hours actions when a service record is
  approved: the rule of the activity's kind gives `per_hour` × the approved minutes / 60,
  rounded down to whole points (90 minutes at one point an hour is one point), plus the
  rule's fixed `bonus`; once per record (the entry's one-to-one on the record).
  `award_report_points` is the hook the case close step calls for a case a volunteer
  reported under their account and staff closed as fixed (a verified hazard report): the
  "hazard_report" rule's bonus, once per case (a unique constraint).
- Spending. `redeem` locks the volunteer's row, then the reward's, so a balance never goes
  below zero and stock never below zero however many requests arrive at once; it writes a
  negative entry and a redemption with a random voucher code. `cancel_redemption` (the
  volunteer, before confirmation) refunds with a positive entry and restores the stock.
- Confirming. `confirm_redemption` by a representative of the reward's provider or, for the
  community's own rewards, staff with volunteers.manage at the reward's area; exactly once
  (the redemption's row is locked and its state checked). An unknown code and one the actor
  may not confirm get the same answer, so codes cannot be probed.

Lock order, the same in every action: volunteer → reward → redemption (then the audit
chain's head, which every audited write takes last), so concurrent actions never deadlock.
"""

import secrets
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nuanxin.cases.models import Case
from nuanxin.core import audit
from nuanxin.core.access import check_at
from nuanxin.core.errors import DomainError
from nuanxin.core.scoping import Scope
from nuanxin.core.validators import plain_name
from nuanxin.territory.models import Area
from nuanxin.volunteers.models import (
    Partner,
    PointsEntry,
    PointsRule,
    Redemption,
    Reward,
    ServiceRecord,
    Volunteer,
)
from nuanxin.volunteers.points.queries import (
    HAZARD_REPORT,
    REWARD_LEVELS,
    balance,
    find_voucher,
    may_manage_rules,
    rewards_for,
    rule_kinds,
)

# The defaults `install_default_rules` writes: one point an hour for every kind, five for a
# verified hazard report.
DEFAULT_PER_HOUR = 1
DEFAULT_HAZARD_BONUS = 5
RULE_MAX = 1000
REWARD_NAME_MAX = 120
POINTS_MAX = 100_000
STOCK_MAX = 1_000_000
# Voucher codes: ten characters from an alphabet without look-alikes (no 0/O, 1/I/L), about
# 49 bits: read aloud or typed from a phone screen without mistakes, and not guessable.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10


# --- rules --------------------------------------------------------------------------------


def _check_rules(scope: Scope) -> None:
    if not may_manage_rules(scope):
        raise DomainError(_("Only a community's staff change the points rules."), code="forbidden")


def _number(value: Any, *, field: str, limit: int, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise DomainError(_("Enter a whole number."), field=field)
    if value < minimum or value > limit:
        raise DomainError(
            _("Enter a number from %(low)d to %(high)d.") % {"low": minimum, "high": limit},
            field=field,
        )
    return value


@transaction.atomic
def set_points_rule(*, actor: Any, kind: str, per_hour: int, bonus: int, scope: Scope) -> PointsRule:
    """Set the points a kind earns: `per_hour` for each approved hour and a fixed `bonus`
    (for "hazard_report", the bonus is what a verified report earns). Applies to awards from
    now on; entries already written stay. Refuses: a viewer who does not
    manage volunteers of a whole community (forbidden); an unknown kind ("kind"); numbers
    that are negative, not whole or above 1000 ("per_hour", "bonus")."""
    _check_rules(scope)
    if kind not in dict(rule_kinds()):
        raise DomainError(_("Unknown kind of activity."), field="kind")
    per_hour = _number(per_hour, field="per_hour", limit=RULE_MAX)
    bonus = _number(bonus, field="bonus", limit=RULE_MAX)
    rule, created = PointsRule.objects.select_for_update().get_or_create(
        kind=kind, defaults={"per_hour": per_hour, "bonus": bonus}
    )
    before = {"per_hour": rule.per_hour, "bonus": rule.bonus}
    if not created:
        rule.per_hour, rule.bonus = per_hour, bonus
        rule.save(update_fields=["per_hour", "bonus"])
    audit.record(
        "points.rule_set",
        actor=actor,
        obj=rule,
        detail={"kind": kind, "per_hour": per_hour, "bonus": bonus, "before": None if created else before},
    )
    return rule


@transaction.atomic
def install_default_rules(*, actor: Any, scope: Scope) -> list[PointsRule]:
    """Write the default rules where none is set yet (one point an hour for every activity
    kind; five points for a verified hazard report). Rules already set are kept; running it
    twice writes nothing the second time."""
    _check_rules(scope)
    existing = set(PointsRule.objects.values_list("kind", flat=True))
    created = []
    for kind, _label in rule_kinds():
        if kind in existing:
            continue
        if kind == HAZARD_REPORT:
            rule = PointsRule(kind=kind, per_hour=0, bonus=DEFAULT_HAZARD_BONUS)
        else:
            rule = PointsRule(kind=kind, per_hour=DEFAULT_PER_HOUR, bonus=0)
        created.append(rule)
    PointsRule.objects.bulk_create(created, ignore_conflicts=True)
    if created:
        audit.record("points.default_rules_installed", actor=actor, detail={"kinds": [r.kind for r in created]})
    return created


# --- earning ------------------------------------------------------------------------------


def service_points(record: ServiceRecord, rule: PointsRule | None) -> int:
    """per_hour × approved minutes / 60, rounded down to whole points, plus the bonus."""
    if rule is None:
        return 0
    return rule.per_hour * record.minutes // 60 + rule.bonus


def _award(*, area_path: str, detail: dict[str, Any], **fields: Any) -> PointsEntry | None:
    """Points earned: one entry, audited as `points.awarded`; None when a constraint says it
    is written already (once per record, once per case), inside a savepoint so the caller's
    transaction carries on."""
    try:
        with transaction.atomic():
            entry = PointsEntry.objects.create(**fields)
    except IntegrityError:
        return None
    audit.record("points.awarded", actor=fields["actor"], obj=entry, area_path=area_path, detail=detail)
    return entry


@transaction.atomic
def award_service_points(*, actor: Any, record: ServiceRecord, now: datetime | None = None) -> PointsEntry | None:
    """Points for an approved service record, by the rule of its activity's kind (see the
    module's docstring for the sum). None, writing nothing: the record is not approved, no
    rule is set for the kind, the sum is zero, or the record has its points already (once
    per record, however often this is called). A later change of the record's minutes does
    not change points already written."""
    if record.state != ServiceRecord.State.APPROVED:
        return None
    activity = record.activity
    points = service_points(record, PointsRule.objects.filter(kind=activity.kind).first())
    if points <= 0 or PointsEntry.objects.filter(record=record).exists():
        return None
    return _award(
        area_path=activity.area.path,
        detail={"volunteer": record.volunteer_id, "record": record.pk, "points": points, "minutes": record.minutes},
        volunteer_id=record.volunteer_id,
        delta=points,
        reason=PointsEntry.Reason.SERVICE,
        record=record,
        at=now or timezone.now(),
        actor=actor,
    )


@transaction.atomic
def award_report_points(*, actor: Any, case: Any, now: datetime | None = None) -> PointsEntry | None:
    """The hook for the case close step: points for a verified hazard report, i.e. a case
    reported under a volunteer's account (not anonymously) that staff closed as fixed; the
    "hazard_report" rule's bonus, once per case. None, writing nothing, for any other case,
    without a rule or a bonus, or when the case has earned its points already."""

    if case.state != Case.State.CLOSED or case.closure != Case.Closure.FIXED or case.anonymous:
        return None
    if case.reporter_id is None:
        return None
    volunteer = Volunteer.objects.select_related("home_grid").filter(user_id=case.reporter_id).first()
    rule = PointsRule.objects.filter(kind=HAZARD_REPORT).first()
    if volunteer is None or rule is None or rule.bonus <= 0:
        return None
    if PointsEntry.objects.filter(case=case).exists():
        return None
    return _award(
        area_path=case.grid.path,
        detail={"volunteer": volunteer.pk, "case": case.pk, "points": rule.bonus},
        volunteer=volunteer,
        delta=rule.bonus,
        reason=PointsEntry.Reason.HAZARD_REPORT,
        case=case,
        at=now or timezone.now(),
        actor=actor,
    )


# --- the catalogue ------------------------------------------------------------------------


def _check_reward_area(scope: Scope, area: Area | None, *, field: str | None) -> None:
    if area is None or area.level not in REWARD_LEVELS:
        raise DomainError(_("Choose a community or a grid."), field=field or "area")
    message = _("%(area)s is outside the area where you manage volunteers.") % {"area": area.name}
    check_at(scope, area.path, "volunteers.manage", message=message, field=field)


@transaction.atomic
def create_reward(
    *,
    actor: Any,
    name: str,
    kind: str,
    points: int,
    stock: int,
    area: Area | None,
    provider: Partner | None = None,
    scope: Scope,
) -> Reward:
    """Offer a reward: love supermarket goods of the community (no provider: its staff
    confirm), a merchant's coupon or a rider's meal voucher (a partner provides it and its
    representatives confirm). Refuses, naming the field: an empty or over-long name
    ("name"), an unknown kind ("kind"), points below 1 ("points"), a negative stock
    ("stock"), an area that is not a community or grid or, one outside the
    actor's volunteers.manage reach ("area")."""
    name = (name or "").strip()
    if not name:
        raise DomainError(_("A name is required."), field="name")
    if len(name) > REWARD_NAME_MAX or "<" in name:
        raise DomainError(_("At most %(n)d characters, plain text.") % {"n": REWARD_NAME_MAX}, field="name")
    name = plain_name(name, field="name", limit=REWARD_NAME_MAX)
    if kind not in Reward.Kind.values:
        raise DomainError(_("Unknown kind of reward."), field="kind")
    points = _number(points, field="points", limit=POINTS_MAX, minimum=1)
    stock = _number(stock, field="stock", limit=STOCK_MAX)
    _check_reward_area(scope, area, field="area")
    assert area is not None  # checked above
    reward = Reward.objects.create(name=name, kind=kind, points=points, stock=stock, area=area, provider=provider)
    audit.record(
        "points.reward_created",
        actor=actor,
        obj=reward,
        area_path=area.path,
        detail={"kind": kind, "points": points, "stock": stock, "provider": provider.pk if provider else None},
    )
    return reward


@transaction.atomic
def update_reward(*, actor: Any, reward: Reward, stock: int, active: bool, scope: Scope) -> Reward:
    """Set a reward's stock (after a delivery, or a count) and whether it is offered.
    Vouchers already issued stay valid. Refuses: a reward outside the actor's
    volunteers.manage reach (forbidden); a negative stock ("stock")."""
    _check_reward_area(scope, reward.area, field=None)
    stock = _number(stock, field="stock", limit=STOCK_MAX)
    locked = Reward.objects.select_for_update().get(pk=reward.pk)
    before = {"stock": locked.stock, "active": locked.active}
    locked.stock, locked.active = stock, bool(active)
    locked.save(update_fields=["stock", "active"])
    audit.record(
        "points.reward_updated",
        actor=actor,
        obj=locked,
        area_path=reward.area.path,
        detail={"stock": stock, "active": bool(active), "before": before},
    )
    return locked


# --- spending -----------------------------------------------------------------------------


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))


def _own_volunteer(actor: Any, *, lock: bool) -> Volunteer:
    if getattr(actor, "pk", None) is None:
        raise DomainError(_("Register as a volunteer first."), code="forbidden")
    qs = Volunteer.objects.select_related("home_grid").defer("phone", "home_grid__boundary").filter(user_id=actor.pk)
    volunteer = (qs.select_for_update(of=("self",)) if lock else qs).first()
    if volunteer is None:
        raise DomainError(_("Register as a volunteer first."), code="forbidden")
    return volunteer


@transaction.atomic
def redeem(*, actor: Any, reward: Reward, now: datetime | None = None) -> Redemption:
    """Spend the actor's points on a reward: a negative entry and a redemption with a voucher
    code, the stock one less. Locks the volunteer's row, then the reward's, and checks
    balance and stock under the locks, so concurrent redemptions never take a balance or a
    stock below zero. Refuses: an actor who is no volunteer (forbidden); a reward not offered
    where they belong or no longer offered ("reward"); too few points ("points"); none left
    ("stock")."""
    volunteer = _own_volunteer(actor, lock=True)
    if not rewards_for(volunteer).filter(pk=reward.pk).exists():
        raise DomainError(_("This reward is not offered to you."), field="reward")
    locked = Reward.objects.select_for_update(of=("self",)).select_related("area").get(pk=reward.pk)
    if not locked.active:
        raise DomainError(_("This reward is no longer offered."), field="reward")
    have = balance(volunteer)
    if have < locked.points:
        raise DomainError(
            _("This reward needs %(need)d points; you have %(have)d.") % {"need": locked.points, "have": have},
            field="points",
        )
    if locked.stock < 1:
        raise DomainError(_("None left: this reward is out of stock."), field="stock")
    locked.stock -= 1
    locked.save(update_fields=["stock"])
    at = now or timezone.now()
    for _attempt in range(5):
        try:
            with transaction.atomic():
                redemption = Redemption.objects.create(
                    reward=locked, volunteer=volunteer, code=new_code(), points=locked.points, issued_at=at
                )
            break
        except IntegrityError:  # the code is taken (about one chance in 10^14): draw again
            continue
    else:
        raise DomainError(_("Please try again."), code="stale")
    PointsEntry.objects.create(
        volunteer=volunteer,
        delta=-locked.points,
        reason=PointsEntry.Reason.REDEMPTION,
        redemption=redemption,
        at=at,
        actor=actor,
    )
    audit.record(
        "points.redeemed",
        actor=actor,
        obj=redemption,
        object_repr=f"redemption #{redemption.pk}",
        area_path=locked.area.path,
        detail={"volunteer": volunteer.pk, "reward": locked.pk, "points": locked.points},
    )
    return redemption


@transaction.atomic
def cancel_redemption(*, actor: Any, redemption: Redemption, now: datetime | None = None) -> Redemption:
    """The volunteer gives a voucher back before it is confirmed: a positive entry refunds
    the points and the stock is one more. Refuses: someone else's voucher (the same answer
    as an unknown one, "redemption"); one confirmed or cancelled already ("redemption")."""
    volunteer = _own_volunteer(actor, lock=True)
    if redemption.volunteer_id != volunteer.pk:
        raise DomainError(_("No such voucher."), field="redemption")
    reward = Reward.objects.select_for_update(of=("self",)).select_related("area").get(pk=redemption.reward_id)
    locked = Redemption.objects.select_for_update().get(pk=redemption.pk)
    if locked.state == Redemption.State.CONFIRMED:
        raise DomainError(_("This voucher has been redeemed already."), field="redemption")
    if locked.state == Redemption.State.CANCELLED:
        raise DomainError(_("This voucher has been cancelled already."), field="redemption")
    locked.state = Redemption.State.CANCELLED
    locked.cancelled_at = timezone.now()
    locked.save(update_fields=["state", "cancelled_at"])
    reward.stock += 1
    reward.save(update_fields=["stock"])
    PointsEntry.objects.create(
        volunteer=volunteer,
        delta=locked.points,
        reason=PointsEntry.Reason.REFUND,
        redemption=locked,
        at=now or timezone.now(),
        actor=actor,
    )
    audit.record(
        "points.redemption_cancelled",
        actor=actor,
        obj=locked,
        object_repr=f"redemption #{locked.pk}",
        area_path=reward.area.path,
        detail={"volunteer": volunteer.pk, "reward": reward.pk, "points": locked.points},
    )
    return locked


@transaction.atomic
def confirm_redemption(*, actor: Any, code: str, scope: Scope, now: datetime | None = None) -> Redemption:
    """The merchant or station hands the reward over: the voucher is redeemed, exactly once
    even when confirmed from two phones at once (the row is locked and its state checked
    under the lock). Who confirms: a representative of the reward's provider or, for the
    community's own rewards, staff with volunteers.manage at the reward's area. Refuses
    ("code"): a code unknown or not the actor's to confirm (one message for both), one
    redeemed already, one cancelled."""
    found = find_voucher(actor=actor, code=code, scope=scope)
    locked = Redemption.objects.select_for_update().get(pk=found.pk)
    if locked.state == Redemption.State.CONFIRMED:
        raise DomainError(_("This voucher has been redeemed already."), field="code", code="used")
    if locked.state == Redemption.State.CANCELLED:
        raise DomainError(_("This voucher was cancelled by its holder."), field="code", code="cancelled")
    locked.state = Redemption.State.CONFIRMED
    locked.confirmed_by = actor
    locked.confirmed_at = now or timezone.now()
    locked.save(update_fields=["state", "confirmed_by", "confirmed_at"])
    locked.reward = found.reward
    locked.volunteer = found.volunteer
    audit.record(
        "points.redemption_confirmed",
        actor=actor,
        obj=locked,
        object_repr=f"redemption #{locked.pk}",
        area_path=found.reward.area.path,
        detail={"reward": found.reward_id, "volunteer": found.volunteer_id},
    )
    return locked
