from datetime import date

import pytest

from nuanxin.accounts.scope import scope_of
from nuanxin.party import actions
from nuanxin.party.models import PartyOrg


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
