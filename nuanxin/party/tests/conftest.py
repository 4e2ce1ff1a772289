from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from nuanxin.accounts import actions as account_actions
from nuanxin.accounts.scope import scope_of
from nuanxin.core.audit import SYSTEM
from nuanxin.party import actions, alliance, meetings
from nuanxin.party.models import AllianceUnit, Commitment, JointMeeting, Pact, PartyOrg
from nuanxin.territory import actions as territory_actions
from nuanxin.territory.models import Place
from nuanxin.testing import PASSWORD, SYSTEM_SCOPE


@pytest.fixture
def committee(world) -> PartyOrg:
    """The test community's party committee, founded by its admin."""
    admin = world.community_admin
    return actions.create_org(
        actor=admin,
        scope=scope_of(admin),
        name="测试社区党委",
        kind="committee",
        area=world.community,
        founded_on=date(2015, 7, 1),
    )


@pytest.fixture
def far_committee(world) -> PartyOrg:
    """The other community's committee, founded by its own admin: out of the test community's reach."""
    admin = world.other_admin
    return actions.create_org(
        actor=admin,
        scope=scope_of(admin),
        name="另一社区党委",
        kind="committee",
        area=world.other_community,
        founded_on=date(2015, 7, 1),
    )


@dataclass
class Alliance:
    committee: PartyOrg
    bank: Place  # a public unit in grid 1, a member of the alliance
    unit: AllianceUnit  # the bank's membership
    rep: Any  # the bank's representative
    pact: Pact  # the bank's pact, 2024 to 2025: 20 venue hours a quarter, 5,000 yuan a year
    venue: Commitment
    funds: Commitment


@pytest.fixture
def alliance_setting(world, committee) -> Alliance:
    admin = world.community_admin
    bank = territory_actions.create_place(
        actor=None, scope=SYSTEM_SCOPE, kind="public_unit", name="测试银行", lng=102.7005, lat=24.9805
    )
    rep = account_actions.create_user(actor=None, username="bank-rep", password=PASSWORD, display_name="银行代表")
    account_actions.grant_role(actor=SYSTEM, user=rep, role="partner_rep", unit=bank)
    unit = alliance.join_alliance(
        actor=admin, scope=scope_of(admin), committee=committee, place=bank, joined_on=date(2023, 8, 1)
    )
    pact = alliance.sign_pact(
        actor=admin,
        scope=scope_of(admin),
        unit=unit,
        signed_on=date(2023, 12, 20),
        starts_on=date(2024, 1, 1),
        ends_on=date(2025, 12, 31),
        commitments=[
            alliance.CommitmentIn(kind="venue_hours", what="营业厅会议室", quantity="20", period="quarter"),
            alliance.CommitmentIn(kind="funds", what="节日活动经费", quantity="5000", period="year"),
        ],
    )
    venue, funds = pact.commitments.order_by("id")
    return Alliance(committee, bank, unit, rep, pact, venue, funds)


def local(day: date, hh: int, mm: int = 0) -> datetime:
    """A moment in Kunming."""
    return datetime.combine(day, time(hh, mm), tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def joint_meeting(world, alliance_setting) -> JointMeeting:
    """The alliance's joint meeting of 2025-03-20, 14:30-16:30, with two agenda items."""
    admin = world.community_admin
    return meetings.plan_joint_meeting(
        actor=admin,
        scope=scope_of(admin),
        committee=alliance_setting.committee,
        kind="joint",
        title="2025年第一季度大党委联席会议",
        starts_at=local(date(2025, 3, 20), 14, 30),
        ends_at=local(date(2025, 3, 20), 16, 30),
        location="社区党群服务中心三楼会议室",
        agenda=[meetings.AgendaIn("通报一季度共建项目"), meetings.AgendaIn("研究楼道照明改造")],
    )
