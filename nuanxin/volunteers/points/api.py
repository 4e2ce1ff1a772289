"""Points over the API (/api/v1/points): the caller's balance and ledger, the rewards offered
to them, redeeming one, their vouchers, cancelling one; and, for a partner's representatives
and staff managing volunteers, looking up and confirming a voucher by its code. A caller who
is no volunteer gets 404 on the volunteer's endpoints; an unknown code and one the caller may
not confirm get the same 400 naming "code"."""

from datetime import datetime
from typing import Any

from ninja import Field, Router, Schema, Status

from nuanxin.core.access import deny
from nuanxin.core.errors import api_field_names
from nuanxin.core.http import ScopedRequest
from nuanxin.core.masking import mask_name
from nuanxin.core.schemas import Id
from nuanxin.volunteers.models import PointsEntry, Redemption, Reward, Volunteer
from nuanxin.volunteers.points import actions as points
from nuanxin.volunteers.points.queries import (
    balance,
    entry_label,
    find_voucher,
    ledger,
    may_confirm_any,
    own_voucher_or_404,
    rewards_for,
    vouchers,
)
from nuanxin.volunteers.signups.queries import volunteer_of

router = Router(tags=["points"])


class EntryOut(Schema):
    id: int
    delta: int
    reason: PointsEntry.Reason
    at: datetime
    about: str = Field("", description="The activity, case number or reward the line is for")

    @staticmethod
    def resolve_about(obj: PointsEntry) -> str:
        return entry_label(obj)


class BalanceOut(Schema):
    balance: int
    entries: list[EntryOut]


class RewardOut(Schema):
    id: int
    name: str
    kind: Reward.Kind
    points: int
    stock: int
    provider: str | None
    area_id: int
    affordable: bool = False

    @staticmethod
    def resolve_provider(obj: Reward) -> str | None:
        return obj.provider.name if obj.provider is not None else None


class VoucherOut(Schema):
    id: int
    code: str
    state: Redemption.State
    points: int
    reward_id: int
    reward: str
    issued_at: datetime
    confirmed_at: datetime | None

    @staticmethod
    def resolve_reward(obj: Redemption) -> str:
        return obj.reward.name


class LookupOut(Schema):
    code: str
    state: Redemption.State
    reward_id: int
    reward: str
    holder: str = Field(..., description="The holder's name, masked: the first character only")
    confirmed_at: datetime | None

    @staticmethod
    def resolve_reward(obj: Redemption) -> str:
        return obj.reward.name

    @staticmethod
    def resolve_holder(obj: Redemption) -> str:
        return mask_name(obj.volunteer.name)


class RedeemIn(Schema):
    reward_id: Id


class CodeIn(Schema):
    code: str = Field(..., max_length=32)


def _volunteer(request: ScopedRequest) -> Volunteer:
    volunteer = volunteer_of(request.user)
    if volunteer is None:
        raise deny(request.scope, "volunteers.points (not a volunteer)")
    return volunteer


def _confirmer(request: ScopedRequest) -> None:
    if not may_confirm_any(request.user, request.scope):
        raise deny(request.scope, "volunteers.confirm_redemption")


@router.get("", response=BalanceOut)
def my_points(request: ScopedRequest) -> dict[str, Any]:
    """The caller's balance and their newest 100 ledger lines."""
    volunteer = _volunteer(request)
    return {"balance": balance(volunteer), "entries": list(ledger(volunteer)[:100])}


@router.get("/rewards", response=list[RewardOut])
def rewards(request: ScopedRequest) -> list[Reward]:
    """The rewards offered where the caller belongs, in stock, each with whether the balance
    affords it."""
    volunteer = _volunteer(request)
    have = balance(volunteer)
    offered = [r for r in rewards_for(volunteer) if r.stock > 0]
    for reward in offered:
        reward.affordable = reward.points <= have  # type: ignore[attr-defined]
    return offered


@router.get("/vouchers", response=list[VoucherOut])
def my_vouchers(request: ScopedRequest) -> list[Redemption]:
    return list(vouchers(_volunteer(request))[:100])


@router.post("/vouchers", response={201: VoucherOut})
def redeem(request: ScopedRequest, payload: RedeemIn) -> Status[Redemption]:
    """Redeem a reward: 400 naming "points" beyond the balance, "stock" when none is left,
    "reward_id" for a reward not offered to the caller."""
    volunteer = _volunteer(request)
    reward = rewards_for(volunteer).filter(pk=payload.reward_id).first()
    if reward is None:
        reward = Reward(pk=payload.reward_id)  # the action refuses it, naming the field
    with api_field_names({"reward": "reward_id"}):
        redemption = points.redeem(actor=request.user, reward=reward)
    return Status(201, redemption)


@router.post("/vouchers/{redemption_id}/cancel", response=VoucherOut)
def cancel(request: ScopedRequest, redemption_id: Id) -> Redemption:
    """Give a voucher back before it is confirmed; the points are refunded."""
    redemption = own_voucher_or_404(request.scope, request.user, redemption_id)
    return points.cancel_redemption(actor=request.user, redemption=redemption)


@router.post("/confirm/lookup", response=LookupOut)
def lookup(request: ScopedRequest, payload: CodeIn) -> Redemption:
    """What a code is for, before confirming it (a POST, so codes stay out of logged URLs)."""
    _confirmer(request)
    return find_voucher(actor=request.user, scope=request.scope, code=payload.code)


@router.post("/confirm", response=LookupOut)
def confirm(request: ScopedRequest, payload: CodeIn) -> Redemption:
    """Confirm a voucher: exactly once. 400 naming "code" for an unknown, foreign, redeemed
    or cancelled code."""
    _confirmer(request)
    return points.confirm_redemption(actor=request.user, scope=request.scope, code=payload.code)
