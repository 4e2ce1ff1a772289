"""An organisation's dated offices (secretary, deputy, committee) and moving a member's
relationship to another organisation."""

from datetime import date

import pytest
from django.urls import reverse

from nuanxin.accounts.scope import scope_of
from nuanxin.core.errors import DomainError
from nuanxin.core.models import AuditEntry
from nuanxin.party import actions
from nuanxin.party.models import OrgOffice, PartyMember, PartyOrg


@pytest.fixture
def branches(world, committee):
    admin = world.community_admin
    office = {"actor": admin, "scope": scope_of(admin)}
    first = actions.create_org(
        **office, name="第一网格党支部", kind="branch", area=world.grid1, founded_on=date(2016, 1, 1), parent=committee
    )
    second = actions.create_org(
        **office, name="第二网格党支部", kind="branch", area=world.grid2, founded_on=date(2016, 1, 1), parent=committee
    )
    people = [
        actions.register_member(
            **office, org=first, name=name, standing="full", status="registered", since=date(2020, 1, 1)
        )
        for name in ("赵红", "钱进")
    ]
    return first, second, people


def test_a_new_secretary_ends_the_last_ones_term(world, branches):
    first, _second, (zhao, qian) = branches
    office = {"actor": world.community_admin, "scope": scope_of(world.community_admin)}
    actions.appoint(**office, org=first, member=zhao, office="secretary", since=date(2021, 1, 1))
    actions.appoint(**office, org=first, member=qian, office="secretary", since=date(2024, 1, 1))
    assert PartyOrg.objects.get(pk=first.pk).secretary == qian
    assert list(first.offices.order_by("since").values_list("member__name", "until")) == [
        ("赵红", date(2024, 1, 1)),
        ("钱进", None),
    ]
    for member, since, field in ((qian, date(2024, 2, 1), "member"), (zhao, date(2019, 1, 1), "since")):
        with pytest.raises(DomainError) as error:
            actions.appoint(**office, org=first, member=member, office="committee", since=since)
        assert error.value.field == field
    held = first.offices.get(until__isnull=True)
    actions.relieve(**office, held=held, until=date(2025, 1, 1))
    assert PartyOrg.objects.get(pk=first.pk).secretary is None


def test_a_member_moves_to_another_branch_as_the_same_person(world, branches):
    first, second, (zhao, _qian) = branches
    office = {"actor": world.community_admin, "scope": scope_of(world.community_admin)}
    actions.appoint(**office, org=first, member=zhao, office="secretary", since=date(2021, 1, 1))
    moved = actions.transfer_member(**office, member=zhao, to=second, on=date(2024, 6, 1))
    assert (moved.org, moved.since, moved.name, moved.standing) == (second, date(2024, 6, 1), "赵红", "full")
    assert PartyMember.objects.get(pk=zhao.pk).left_on == date(2024, 6, 1)
    assert OrgOffice.objects.get(member=zhao).until == date(2024, 6, 1)
    assert PartyOrg.objects.get(pk=first.pk).secretary is None
    qian = PartyMember.objects.get(pk=_qian.pk)
    for member, to, on, field in ((moved, second, date(2024, 7, 1), "to"), (qian, second, date(2019, 1, 1), "on")):
        with pytest.raises(DomainError) as error:
            actions.transfer_member(**office, member=member, to=to, on=on)
        assert error.value.field == field
    assert AuditEntry.objects.filter(action="party.member_transferred").count() == 1


def test_another_community_cannot_move_members_here(world, branches, far_committee):
    first, _second, (zhao, _qian) = branches
    other = world.other_admin
    with pytest.raises(DomainError) as error:
        actions.transfer_member(actor=other, scope=scope_of(other), member=zhao, to=far_committee, on=date(2024, 6, 1))
    assert error.value.code == "forbidden"


def test_offices_and_transfers_through_the_page(world, branches, client_for):
    first, second, (zhao, _qian) = branches
    office = client_for("community_admin")
    assert (
        office.post(
            reverse("party:appoint", args=[first.pk]), {"member": zhao.pk, "office": "secretary", "since": "2021-01-01"}
        ).status_code
        == 302
    )
    page = office.get(reverse("party:org", args=[first.pk])).content.decode()
    assert "赵红" in page and "data-offices" in page
    refused = office.post(
        reverse("party:transfer", args=[first.pk]), {"member": zhao.pk, "to": second.pk, "on": "2019-01-01"}
    )
    assert refused.status_code == 400 and refused.context["transfer_form"].errors["on"]
    done = office.post(
        reverse("party:transfer", args=[first.pk]), {"member": zhao.pk, "to": second.pk, "on": "2024-06-01"}
    )
    assert done.status_code == 302
    assert PartyMember.objects.get(org=second, name="赵红").since == date(2024, 6, 1)
    assert client_for("grid1_worker").post(reverse("party:appoint", args=[first.pk]), {}).status_code == 404
