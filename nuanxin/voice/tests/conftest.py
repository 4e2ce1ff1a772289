from datetime import date

import pytest

from nuanxin.accounts.scope import scope_of
from nuanxin.party import actions as party_actions
from nuanxin.party.models import PartyOrg


@pytest.fixture
def committee(world) -> PartyOrg:
    """The test community's party committee: its alliance takes up needs."""
    admin = world.community_admin
    return party_actions.create_org(
        actor=admin,
        scope=scope_of(admin),
        name="测试社区党委",
        kind="committee",
        area=world.community,
        founded_on=date(2015, 7, 1),
    )
