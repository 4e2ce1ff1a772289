"""The alliance's pages: the party office keeps units, pacts and the lists; a unit's
representative sees their own unit and pact, logs deliveries, claims needs and rates the
community; nobody else reaches any of it."""

from datetime import date

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from nuanxin.accounts.scope import scope_of
from nuanxin.core.models import AuditEntry
from nuanxin.party import alliance
from nuanxin.party.models import AllianceUnit, Delivery, Evaluation, Need, Pact, Project
from nuanxin.territory import actions as territory_actions
from nuanxin.testing import SYSTEM_SCOPE, photo_upload

TODAY = "2025-06-30 12:00 +08:00"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def need(world, alliance_setting):
    admin = world.community_admin
    return alliance.raise_need(
        actor=admin,
        scope=scope_of(admin),
        committee=alliance_setting.committee,
        area=world.grid1,
        title="楼道照明改造",
        source="building_committee",
        raised_on=date(2024, 3, 1),
    )


@pytest.fixture
def other_unit(world, alliance_setting):
    """A second member unit, whose representative the bank's is not."""
    admin = world.community_admin
    school = territory_actions.create_place(
        actor=None, scope=SYSTEM_SCOPE, kind="public_unit", name="测试小学", lng=102.7006, lat=24.9806
    )
    return alliance.join_alliance(
        actor=admin,
        scope=scope_of(admin),
        committee=alliance_setting.committee,
        place=school,
        joined_on=date(2023, 9, 1),
    )


@time_machine.travel(TODAY, tick=False)
def test_the_office_sees_every_unit_with_its_delivery(world, alliance_setting, other_unit, client_for):
    page = client_for("community_admin").get(reverse("party:alliance"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "测试银行" in body and "测试小学" in body
    assert reverse("party:pact", args=[alliance_setting.pact.pk]) in body


@time_machine.travel(TODAY, tick=False)
def test_a_representative_sees_only_their_own_unit(world, alliance_setting, other_unit):
    rep = signed_in(alliance_setting.rep)
    body = rep.get(reverse("party:alliance")).content.decode()
    assert "测试银行" in body and "测试小学" not in body
    assert rep.get(reverse("party:alliance_unit", args=[alliance_setting.unit.pk])).status_code == 200
    assert rep.get(reverse("party:pact", args=[alliance_setting.pact.pk])).status_code == 200
    assert rep.get(reverse("party:alliance_unit", args=[other_unit.pk])).status_code == 404
    # Not the office's forms: no unit joins, no pact is signed through the representative.
    assert rep.post(reverse("party:alliance_join"), {}).status_code == 404
    assert rep.post(reverse("party:sign_pact", args=[alliance_setting.unit.pk]), {}).status_code == 404


@time_machine.travel(TODAY, tick=False)
@pytest.mark.parametrize("persona", ["grid1_worker", "street_staff", "other_admin", "resident", "partner"])
def test_nobody_else_reaches_the_units_and_pacts(world, alliance_setting, client_for, persona):
    client = client_for(persona)
    for name, pk in (("party:alliance_unit", alliance_setting.unit.pk), ("party:pact", alliance_setting.pact.pk)):
        assert client.get(reverse(name, args=[pk])).status_code == 404
    listing = client.get(reverse("party:alliance"))
    assert listing.status_code in (200, 404) and "测试银行" not in listing.content.decode()


@time_machine.travel(TODAY, tick=False)
def test_the_office_records_a_pact_with_its_commitments_and_document(world, alliance_setting, client_for):
    a = alliance_setting
    form = {
        "signed_on": "2025-06-01",
        "starts_on": "2025-07-01",
        "ends_on": "2026-06-30",
        "c-TOTAL_FORMS": "3",
        "c-INITIAL_FORMS": "0",
        "c-0-kind": "service",
        "c-0-what": "家电维修",
        "c-0-quantity": "2",
        "c-0-period": "month",
        "c-1-kind": "funds",
        "c-1-what": "重阳节经费",
        "c-1-quantity": "3000",
        "c-1-period": "year",
        "document": photo_upload(),
    }
    done = client_for("community_admin").post(reverse("party:sign_pact", args=[a.unit.pk]), form)
    assert done.status_code == 302
    pact = Pact.objects.exclude(pk=a.pact.pk).get()
    assert [(c.what, c.period) for c in pact.commitments.order_by("id")] == [
        ("家电维修", "month"),
        ("重阳节经费", "year"),
    ]
    assert pact.document_name
    download = client_for("community_admin").get(reverse("party:pact_document", args=[pact.pk]))
    assert download.status_code == 200 and download["Content-Type"] == "image/jpeg"
    assert AuditEntry.objects.filter(action="party.pact_document_viewed", object_id=str(pact.pk)).exists()


@time_machine.travel(TODAY, tick=False)
def test_a_bad_commitment_row_is_shown_at_its_field(world, alliance_setting, client_for):
    a = alliance_setting
    form = {
        "signed_on": "2025-06-01",
        "starts_on": "2025-07-01",
        "ends_on": "2025-06-30",
        "c-TOTAL_FORMS": "1",
        "c-INITIAL_FORMS": "0",
        "c-0-kind": "service",
        "c-0-what": "家电维修",
        "c-0-quantity": "2",
        "c-0-period": "month",
    }
    refused = client_for("community_admin").post(reverse("party:sign_pact", args=[a.unit.pk]), form)
    assert refused.status_code == 400
    assert refused.context["pact_form"].errors["ends_on"]
    refused = client_for("community_admin").post(
        reverse("party:sign_pact", args=[a.unit.pk]), form | {"ends_on": "2026-06-30", "c-0-kind": ""}
    )
    assert refused.status_code == 400
    assert refused.context["commitment_forms"][0].errors["kind"]
    assert Pact.objects.count() == 1


@time_machine.travel(TODAY, tick=False)
def test_the_representative_logs_a_delivery_with_a_photo(world, alliance_setting):
    a = alliance_setting
    rep = signed_in(a.rep)
    form = {
        "commitment": a.venue.pk,
        "delivered_on": "2025-05-10",
        "quantity": "6",
        "what": "党课场地",
        "photo": photo_upload(),
    }
    assert rep.post(reverse("party:deliver", args=[a.pact.pk]), form).status_code == 302
    delivery = Delivery.objects.get()
    assert delivery.photo_name and delivery.recorded_by == a.rep
    beyond = {"commitment": a.venue.pk, "delivered_on": "2024-01-10", "quantity": "25", "what": "场地"}
    refused = rep.post(reverse("party:deliver", args=[a.pact.pk]), beyond)
    assert refused.status_code == 400 and refused.context["delivery_form"].errors["beyond_reason"]
    assert Delivery.objects.count() == 1


@time_machine.travel(TODAY, tick=False)
def test_a_representative_claims_a_need_of_their_alliance(world, alliance_setting, need, client_for):
    rep = signed_in(alliance_setting.rep)
    lists = rep.get(reverse("party:lists"))
    assert lists.status_code == 200 and "楼道照明改造" in lists.content.decode()
    page = rep.get(reverse("party:need", args=[need.pk]))
    assert page.status_code == 200 and page.context["claim_form"] is not None and page.context["project_form"] is None
    claimed = rep.post(reverse("party:claim", args=[need.pk]), {"unit": alliance_setting.unit.pk, "on": "2025-06-01"})
    assert claimed.status_code == 302
    assert Need.objects.get(pk=need.pk).claimed_by_id == alliance_setting.unit.pk
    # A grid worker does not reach the needs list.
    assert client_for("grid1_worker").get(reverse("party:need", args=[need.pk])).status_code == 404


@time_machine.travel(TODAY, tick=False)
def test_the_office_takes_a_need_up_and_finishes_it(world, alliance_setting, need, client_for):
    office = client_for("community_admin")
    form = {
        "title": "楼道照明改造项目",
        "owner": alliance_setting.unit.pk,
        "started_on": "2025-06-01",
        "deadline": "2025-06-20",
        "budget": "3000",
        "commitments": [alliance_setting.funds.pk],
    }
    assert office.post(reverse("party:start_project", args=[need.pk]), form).status_code == 302
    project = Project.objects.get(need=need)
    assert office.post(reverse("party:finish_project", args=[project.pk]), {"done_on": "2025-06-25"}).status_code == 302
    assert Need.objects.get(pk=need.pk).state == "met"
    projects = office.get(reverse("party:lists")).content.decode()
    assert "楼道照明改造项目" in projects


@time_machine.travel(TODAY, tick=False)
def test_each_side_rates_the_other(world, alliance_setting, client_for):
    a = alliance_setting
    office = client_for("community_admin")
    page = office.get(reverse("party:pact", args=[a.pact.pk]))
    assert page.context["direction"] == "of_unit"
    assert [row["year"] for row in page.context["year_rows"]] == [2024]
    refused = office.post(reverse("party:evaluate", args=[a.pact.pk]), {"year": "2024", "score": "90"})
    assert refused.status_code == 400 and refused.context["evaluation_form"].errors["reason"]
    assert office.post(reverse("party:evaluate", args=[a.pact.pk]), {"year": "2024", "score": "0"}).status_code == 302
    rep = signed_in(a.rep)
    assert rep.post(reverse("party:evaluate", args=[a.pact.pk]), {"year": "2024", "score": "92"}).status_code == 302
    assert sorted(Evaluation.objects.values_list("direction", "score")) == [("of_community", 92), ("of_unit", 0)]
    assert client_for("grid1_worker").post(reverse("party:evaluate", args=[a.pact.pk]), {}).status_code == 404


@time_machine.travel(TODAY, tick=False)
def test_a_unit_joins_and_leaves_through_the_pages(world, committee, client_for):
    office = client_for("community_admin")
    shop = territory_actions.create_place(
        actor=None, scope=SYSTEM_SCOPE, kind="merchant", name="火锅店", lng=102.7005, lat=24.9805
    )
    joined = office.post(
        reverse("party:alliance_join"), {"committee": committee.pk, "place": shop.pk, "joined_on": "2025-01-01"}
    )
    assert joined.status_code == 302
    unit = AllianceUnit.objects.get(place=shop)
    again = office.post(
        reverse("party:alliance_join"), {"committee": committee.pk, "place": shop.pk, "joined_on": "2025-01-01"}
    )
    assert again.status_code == 400 and again.context["join_form"].errors["place"]
    assert office.post(reverse("party:alliance_leave", args=[unit.pk])).status_code == 302
    assert AllianceUnit.objects.get(pk=unit.pk).left_on == date(2025, 6, 30)


def test_a_representative_finds_the_alliance_in_the_navigation(world, alliance_setting, client_for):
    rep_page = signed_in(alliance_setting.rep).get(reverse("party:alliance")).content.decode()
    assert f'href="{reverse("party:alliance")}"' in rep_page.split("<main")[0]
    office_nav = client_for("community_admin").get(reverse("party:index")).content.decode().split("<main")[0]
    assert f'href="{reverse("party:alliance")}"' not in office_nav  # the office comes through 党建


@time_machine.travel(TODAY, tick=False)
def test_projects_coming_due_and_needs_to_claim_wait_for_their_people(world, alliance_setting, need, client_for):
    from nuanxin.core import workqueue

    a = alliance_setting

    def waiting(user):
        return {w.source.key: w for w in workqueue.waiting_for(scope_of(user), user)}

    rep_work = waiting(a.rep)["alliance_unit"]
    assert (rep_work.count, [i.title for i in rep_work.items]) == (1, ["楼道照明改造"])
    assert "alliance_projects" not in waiting(a.rep) and "alliance_unit" not in waiting(world.community_admin)
    assert "alliance_unit" not in waiting(world.partner)  # a station's representative: in no alliance
    admin = world.community_admin
    alliance.claim_need(actor=a.rep, scope=scope_of(a.rep), need=need, unit=a.unit, on=date(2025, 6, 1))
    project = alliance.start_project(
        actor=admin,
        scope=scope_of(admin),
        need=need,
        title="照明改造",
        owner=a.unit,
        started_on=date(2025, 6, 2),
        deadline=date(2025, 6, 20),
    )
    office = waiting(admin)["alliance_projects"]
    assert (office.count, office.items[0].overdue) == (1, True)
    assert [i.title for i in waiting(a.rep)["alliance_unit"].items] == ["照明改造"]
    alliance.finish_project(actor=admin, scope=scope_of(admin), project=project, done_on=date(2025, 6, 25))
    assert "alliance_projects" not in waiting(admin) or waiting(admin)["alliance_projects"].count == 0
    assert not waiting(world.grid1_worker).get("alliance_projects")


@time_machine.travel(TODAY, tick=False)
def test_the_spreadsheets_hold_what_the_viewer_reaches_and_are_audited(world, alliance_setting, client_for):
    from io import BytesIO

    from openpyxl import load_workbook

    from nuanxin.party import actions

    a = alliance_setting
    admin = world.community_admin
    alliance.record_delivery(
        actor=admin,
        scope=scope_of(admin),
        commitment=a.venue,
        delivered_on=date(2025, 4, 2),
        quantity="15",
        what="场地",
    )
    office = client_for("community_admin")
    sheet = load_workbook(BytesIO(office.get(reverse("party:pacts_export")).content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][:3] == ("测试银行", "2024-01-01 – 2025-12-31", "营业厅会议室")
    assert rows[1][5:8] == (120, 15, 160)
    rep_rows = list(load_workbook(BytesIO(signed_in(a.rep).get(reverse("party:pacts_export")).content)).active.values)
    assert len(rep_rows) == 3  # the header and the bank's two commitments
    assert client_for("grid1_worker").get(reverse("party:pacts_export")).status_code == 404
    member = actions.register_member(
        actor=admin,
        scope=scope_of(admin),
        org=a.committee,
        name="赵红",
        standing="full",
        status="registered",
        since=date(2023, 7, 1),
        phone="13912345678",
    )
    members = office.get(reverse("party:members_export", args=[a.committee.pk]))
    values = list(load_workbook(BytesIO(members.content)).active.values)
    assert values[1][0] == member.name and values[1][5] == "139****5678"
    assert b"13912345678" not in members.content
    assert client_for("grid1_worker").get(reverse("party:members_export", args=[a.committee.pk])).status_code == 404
    exported = AuditEntry.objects.filter(action__in=("party.pacts_exported", "party.members_exported"))
    assert exported.count() == 3


def test_the_phone_home_leads_a_representative_and_a_member_to_their_party_pages(world, alliance_setting, client_for):
    from nuanxin.party import actions

    rep_home = signed_in(alliance_setting.rep).get("/field/").content.decode()
    assert "data-party" in rep_home and reverse("party:our_unit") in rep_home and reverse("party:me") not in rep_home
    assert "data-party" not in client_for("rider").get("/field/").content.decode()
    admin = world.community_admin
    actions.register_member(
        actor=admin,
        scope=scope_of(admin),
        org=alliance_setting.committee,
        name="马骁骑",
        standing="full",
        status="mobile_in",
        origin="曲靖市麒麟区越州镇党委",
        since=date(2024, 1, 1),
        user=world.rider,
    )
    member_home = client_for("rider").get("/field/").content.decode()
    assert reverse("party:me") in member_home and reverse("party:our_unit") not in member_home
