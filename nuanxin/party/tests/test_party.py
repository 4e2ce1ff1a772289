"""The party organisations and their members: the actions' rules, and the pages' scope."""

from datetime import date

import pytest
from django.test import Client

from nuanxin.accounts.actions import create_user, grant_role
from nuanxin.accounts.scope import scope_of
from nuanxin.core.audit import SYSTEM
from nuanxin.core.errors import DomainError
from nuanxin.core.models import AuditEntry
from nuanxin.party import actions
from nuanxin.party.models import PartyMember, PartyOrg
from nuanxin.people.actions import register_resident
from nuanxin.testing import PASSWORD, SYSTEM_SCOPE

PHONE = "13912345678"


@pytest.fixture
def tree(world, committee, far_committee):
    admin = world.community_admin
    branch = actions.create_org(
        actor=admin,
        scope=scope_of(admin),
        name="第一网格党支部",
        kind="branch",
        area=world.grid1,
        founded_on=date(2016, 3, 1),
        parent=committee,
    )
    return committee, branch, far_committee


def member(world, org, **extra):
    admin = world.community_admin
    fields = {"name": "赵红", "standing": "full", "status": "registered", "since": date(2023, 7, 1), "phone": PHONE}
    return actions.register_member(actor=admin, scope=scope_of(admin), org=org, **(fields | extra))


def test_the_tree_is_founded_from_the_committee_down_and_audited(world, tree):
    committee, branch, _far = tree
    assert branch.parent == committee and branch.area == world.grid1
    assert AuditEntry.objects.filter(action="party.org_created").count() == 3


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "branch", "parent": None}, "parent"),  # only a committee stands at the top
        ({"kind": "committee"}, "kind"),  # a committee under a committee
        ({"kind": "group"}, "kind"),  # a group sits under a branch
        ({"kind": "nonsense"}, "kind"),
        ({"founded_on": date(2010, 1, 1)}, "founded_on"),  # before the committee
        ({"name": "  "}, "name"),
    ],
)
def test_an_organisation_that_cannot_sit_there_is_refused_naming_the_field(world, tree, change, field):
    committee, _branch, _far = tree
    admin = world.community_admin
    fields = {
        "name": "二支部",
        "kind": "branch",
        "area": world.grid2,
        "founded_on": date(2020, 1, 1),
        "parent": committee,
    }
    before = PartyOrg.objects.count()
    with pytest.raises(DomainError) as refused:
        actions.create_org(actor=admin, scope=scope_of(admin), **(fields | change))
    assert refused.value.field == field
    assert PartyOrg.objects.count() == before


def test_an_organisation_outside_the_parents_area_or_the_actors_is_refused(world, tree):
    committee, _branch, far = tree
    admin = world.community_admin
    with pytest.raises(DomainError) as outside_parent:
        actions.create_org(
            actor=None,
            scope=SYSTEM_SCOPE,
            name="支部",
            kind="branch",
            area=world.other_grid,
            founded_on=date(2020, 1, 1),
            parent=committee,
        )
    assert outside_parent.value.field == "area"
    with pytest.raises(DomainError) as outside_actor:
        actions.create_org(
            actor=admin,
            scope=scope_of(admin),
            name="支部",
            kind="branch",
            area=world.other_grid,
            founded_on=date(2020, 1, 1),
            parent=far,
        )
    assert outside_actor.value.field == "area"
    for persona in ("grid1_worker", "grid1_leader", "street_staff"):  # no party.manage
        user = world.users[persona]
        with pytest.raises(DomainError):
            actions.create_org(
                actor=user,
                scope=scope_of(user),
                name="支部",
                kind="branch",
                area=world.grid1,
                founded_on=date(2020, 1, 1),
                parent=committee,
            )


def test_a_member_is_registered_once_with_the_phone_encrypted(world, tree):
    _committee, branch, _far = tree
    resident = register_resident(actor=None, scope=SYSTEM_SCOPE, name="赵红", place=world.compound1)
    found = member(world, branch, resident=resident)
    assert found.org == branch and found.resident == resident
    assert AuditEntry.objects.filter(action="party.member_registered").get().detail == {
        "status": "registered",
        "standing": "full",
    }
    # One person, one current membership: not a second one anywhere.
    with pytest.raises(DomainError) as twice:
        member(world, branch, resident=resident)
    assert twice.value.field == "resident"
    assert PartyMember.objects.count() == 1
    # Once they have left, they may be registered again (moved back).
    actions.end_membership(
        actor=world.community_admin, scope=scope_of(world.community_admin), member=found, left_on=date(2024, 1, 1)
    )
    assert member(world, branch, resident=resident).left_on is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"status": "mobile_in"}, "origin"),  # a mobile member's home organisation is needed
        ({"standing": "honorary"}, "standing"),
        ({"status": "unknown"}, "status"),
        ({"phone": "12345"}, "phone"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_member_input_is_refused_naming_the_field(world, tree, change, field):
    _committee, branch, _far = tree
    with pytest.raises(DomainError) as refused:
        member(world, branch, **change)
    assert refused.value.field == field
    assert not PartyMember.objects.exists()


def test_a_party_group_holds_no_memberships(world, tree):
    _committee, branch, _far = tree
    admin = world.community_admin
    group = actions.create_org(
        actor=admin,
        scope=scope_of(admin),
        name="第一党小组",
        kind="group",
        area=world.grid1,
        founded_on=date(2018, 1, 1),
        parent=branch,
    )
    with pytest.raises(DomainError) as refused:
        member(world, group)
    assert refused.value.field == "org"


def test_the_office_sees_the_tree_and_the_members_masked(world, tree, client_for):
    committee, branch, far = tree
    member(world, branch, name="钱进", status="mobile_in", origin="昆明市某区党委", workplace="外卖骑手")
    client = client_for("community_admin")
    page = client.get("/party/").content.decode()
    assert "测试社区党委" in page and "第一网格党支部" in page and "另一社区党委" not in page
    detail = client.get(f"/party/{branch.pk}/").content.decode()
    assert "钱进" in detail and PHONE not in detail and "139****5678" in detail
    assert client.get(f"/party/{far.pk}/").status_code == 404


def test_the_street_sees_its_communities_and_the_field_sees_nothing(world, tree, client, client_for):
    committee, branch, far = tree
    member(world, branch, name="钱进")
    head = create_user(actor=None, username="street-head", password=PASSWORD, display_name="街道")
    grant_role(actor=SYSTEM, user=head, role="street_admin", area=world.street)
    client.force_login(head)
    page = client.get("/party/").content.decode()
    assert "测试社区党委" in page and "另一社区党委" in page
    assert "钱进" in client.get(f"/party/{branch.pk}/").content.decode()
    # Roles without the party permission: no member data at all, a 404 like anything out of reach.
    for persona in ("grid1_worker", "grid1_leader", "grid1_helper", "street_staff", "rider", "partner", "auditor"):
        viewer = client_for(persona)
        assert viewer.get("/party/").status_code == 404, persona
        assert viewer.get(f"/party/{branch.pk}/").status_code == 404, persona
    assert Client().get("/party/").status_code == 302  # to sign in


def test_the_office_founds_and_registers_through_the_pages(world, tree, client_for):
    committee, branch, _far = tree
    client = client_for("community_admin")
    response = client.post(
        f"/party/{committee.pk}/new/",
        {"name": "第二网格党支部", "kind": "branch", "area": world.grid2.pk, "founded_on": "2019-05-04"},
    )
    founded = PartyOrg.objects.get(name="第二网格党支部")
    assert response.status_code == 302 and response["Location"] == f"/party/{founded.pk}/"
    response = client.post(
        f"/party/{founded.pk}/members/new/",
        {"name": "孙立", "standing": "probationary", "status": "reporting", "since": "2024-03-01", "phone": ""},
    )
    assert response.status_code == 302 and PartyMember.objects.filter(org=founded, name="孙立").exists()
    # Bad input: shown at its field, nothing written.
    bad = client.post(
        f"/party/{founded.pk}/members/new/",
        {"name": "周一", "standing": "full", "status": "mobile_out", "since": "2024-03-01"},
    )
    assert bad.status_code == 400 and "field-error" in bad.content.decode()
    assert not PartyMember.objects.filter(name="周一").exists()
    other = client_for("other_admin").post(
        f"/party/{founded.pk}/members/new/",
        {"name": "吴二", "standing": "full", "status": "registered", "since": "2024-03-01"},
    )
    assert other.status_code == 404 and not PartyMember.objects.filter(name="吴二").exists()
