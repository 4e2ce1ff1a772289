"""The alliance: member units, pacts with their commitments, deliveries against them, and the
three lists (needs claimed by units, resources, projects)."""

from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
import time_machine

from nuanxin.accounts.scope import scope_of
from nuanxin.core.errors import DomainError
from nuanxin.core.models import AuditEntry
from nuanxin.party import alliance
from nuanxin.party.models import AllianceUnit, Commitment, Delivery, Need, Pact, Project
from nuanxin.territory import actions as territory_actions
from nuanxin.testing import SYSTEM_SCOPE, image_bytes

TODAY = "2025-06-30 12:00 +08:00"


def as_admin(world):
    return {"actor": world.community_admin, "scope": scope_of(world.community_admin)}


def test_a_unit_joins_once_and_leaves_on_record(world, alliance_setting):
    a = alliance_setting
    with pytest.raises(DomainError) as error:
        alliance.join_alliance(**as_admin(world), committee=a.committee, place=a.bank, joined_on=date(2024, 1, 1))
    assert error.value.field == "place"
    alliance.leave_alliance(**as_admin(world), unit=a.unit, left_on=date(2025, 1, 1))
    assert AllianceUnit.objects.get(pk=a.unit.pk).left_on == date(2025, 1, 1)
    again = alliance.join_alliance(**as_admin(world), committee=a.committee, place=a.bank, joined_on=date(2025, 3, 1))
    assert again.pk != a.unit.pk
    assert AuditEntry.objects.filter(action="party.unit_left").count() == 1


def test_only_a_unit_inside_the_committee_area_joins(world, committee):
    with pytest.raises(DomainError) as error:
        alliance.join_alliance(
            **as_admin(world), committee=committee, place=world.compound1, joined_on=date(2024, 1, 1)
        )
    assert error.value.field == "place"  # a compound is not a unit
    far = territory_actions.create_place(
        actor=None, scope=SYSTEM_SCOPE, kind="public_unit", name="外社区银行", lng=102.711, lat=24.991
    )
    with pytest.raises(DomainError) as error:
        alliance.join_alliance(**as_admin(world), committee=committee, place=far, joined_on=date(2024, 1, 1))
    assert error.value.field == "place"


def test_another_community_cannot_enrol_units_here(world, alliance_setting):
    other = world.other_admin
    with pytest.raises(DomainError) as error:
        alliance.leave_alliance(
            actor=other, scope=scope_of(other), unit=alliance_setting.unit, left_on=date(2025, 1, 1)
        )
    assert error.value.code == "forbidden"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"ends_on": date(2023, 12, 31)}, "ends_on"),
        ({"signed_on": date(2023, 7, 1)}, "signed_on"),  # before the unit joined
        ({"commitments": []}, "commitments"),
        ({"commitments": [alliance.CommitmentIn("venue_hours", "会议室", "0", "year")]}, "commitments.0.quantity"),
        ({"commitments": [alliance.CommitmentIn("venue_hours", "会议室", "x", "year")]}, "commitments.0.quantity"),
        ({"commitments": [alliance.CommitmentIn("land", "会议室", "1", "year")]}, "commitments.0.kind"),
        ({"commitments": [alliance.CommitmentIn("funds", "", "1", "year")]}, "commitments.0.what"),
        ({"commitments": [alliance.CommitmentIn("funds", "经费", "1", "decade")]}, "commitments.0.period"),
        ({"document": BytesIO(b"MZ\x90\x00 not a document")}, "document"),
    ],
)
def test_a_bad_pact_is_refused_and_nothing_written(world, alliance_setting, change, field):
    a = alliance_setting
    fields = {
        "unit": a.unit,
        "signed_on": date(2024, 12, 1),
        "starts_on": date(2025, 1, 1),
        "ends_on": date(2025, 12, 31),
        "commitments": [alliance.CommitmentIn("service", "家电维修", "4", "month")],
    }
    before = (Pact.objects.count(), Commitment.objects.count())
    with pytest.raises(DomainError) as error:
        alliance.sign_pact(**as_admin(world), **(fields | change))
    assert error.value.field == field
    assert (Pact.objects.count(), Commitment.objects.count()) == before


def test_a_pact_keeps_its_signed_document(world, alliance_setting, settings, tmp_path):
    settings.STORAGES = settings.STORAGES | {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path}}
    }
    a = alliance_setting
    pact = alliance.sign_pact(
        **as_admin(world),
        unit=a.unit,
        signed_on=date(2024, 12, 1),
        starts_on=date(2025, 1, 1),
        ends_on=date(2025, 12, 31),
        commitments=[alliance.CommitmentIn("service", "家电维修", "4", "month")],
        document=BytesIO(image_bytes()),
    )
    assert pact.document_name.startswith("party/pacts/") and pact.document_content_type == "image/jpeg"


def test_the_committed_amount_grows_period_by_period(alliance_setting):
    a = alliance_setting
    venue, funds = a.venue, a.funds
    assert alliance.periods_begun(venue, a.pact, date(2023, 12, 31)) == 0
    assert alliance.periods_begun(venue, a.pact, date(2024, 1, 1)) == 1
    assert alliance.periods_begun(venue, a.pact, date(2024, 3, 31)) == 1
    assert alliance.periods_begun(venue, a.pact, date(2024, 4, 1)) == 2
    assert alliance.periods_begun(venue, a.pact, date(2030, 1, 1)) == 8  # the term has 8 quarters
    assert alliance.periods_begun(funds, a.pact, date(2025, 1, 1)) == 2
    rows = alliance.standing(a.pact, date(2024, 5, 1))
    assert [(r.committed, r.in_term) for r in rows] == [(Decimal(40), Decimal(160)), (Decimal(5000), Decimal(10000))]


@time_machine.travel(TODAY, tick=False)
def test_deliveries_count_against_the_commitment(world, alliance_setting):
    a = alliance_setting
    rep = {"actor": a.rep, "scope": scope_of(a.rep)}
    alliance.record_delivery(**rep, commitment=a.venue, delivered_on=date(2024, 2, 3), quantity="12", what="党课场地")
    alliance.record_delivery(
        **as_admin(world), commitment=a.venue, delivered_on=date(2024, 3, 9), quantity="8", what="议事会"
    )
    alliance.record_delivery(**rep, commitment=a.funds, delivered_on=date(2024, 9, 1), quantity="2500", what="中秋经费")
    rows = alliance.standing(a.pact, date(2024, 3, 31))
    assert [(r.delivered, r.share) for r in rows] == [(Decimal(20), 100), (Decimal(0), 0)]
    later = alliance.standing(a.pact, date(2024, 12, 31))
    assert [(r.committed, r.delivered, r.share) for r in later] == [
        (Decimal(80), Decimal(20), 25),
        (Decimal(5000), Decimal(2500), 50),
    ]
    assert alliance.pact_share(later) == 38
    assert AuditEntry.objects.filter(action="party.delivery_recorded").count() == 3


@time_machine.travel(TODAY, tick=False)
def test_a_delivery_beyond_the_commitment_needs_a_reason(world, alliance_setting):
    a = alliance_setting
    with pytest.raises(DomainError) as error:
        alliance.record_delivery(
            **as_admin(world), commitment=a.venue, delivered_on=date(2024, 2, 3), quantity="21", what="场地"
        )
    assert error.value.field == "beyond_reason"
    assert "21 小时" in error.value.message and ".00" not in error.value.message
    assert not Delivery.objects.exists()
    alliance.record_delivery(
        **as_admin(world),
        commitment=a.venue,
        delivered_on=date(2024, 2, 3),
        quantity="21",
        what="场地",
        beyond_reason="春节活动多借一小时",
    )
    assert Delivery.objects.get().beyond_reason == "春节活动多借一小时"


@time_machine.travel(TODAY, tick=False)
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"delivered_on": date(2023, 12, 31)}, "delivered_on"),  # before the term
        ({"delivered_on": date(2025, 7, 1)}, "delivered_on"),  # to come
        ({"quantity": "-3"}, "quantity"),
        ({"quantity": "1.234"}, "quantity"),
        ({"what": ""}, "what"),
        ({"photo": BytesIO(b"not a photo")}, "photo"),
    ],
)
def test_a_bad_delivery_is_refused(world, alliance_setting, change, field):
    a = alliance_setting
    fields = {"commitment": a.venue, "delivered_on": date(2024, 2, 3), "quantity": "2", "what": "场地"}
    with pytest.raises(DomainError) as error:
        alliance.record_delivery(**as_admin(world), **(fields | change))
    assert error.value.field == field
    assert not Delivery.objects.exists()


@time_machine.travel(TODAY, tick=False)
def test_only_the_units_own_people_and_the_office_log_deliveries(world, alliance_setting):
    a = alliance_setting
    for user in (world.partner, world.grid1_worker, world.other_admin):
        with pytest.raises(DomainError) as error:
            alliance.record_delivery(
                actor=user,
                scope=scope_of(user),
                commitment=a.venue,
                delivered_on=date(2024, 2, 3),
                quantity="1",
                what="x",
            )
        assert error.value.code == "forbidden"
    with pytest.raises(TypeError):
        alliance.record_delivery(
            actor=a.rep, scope=None, commitment=a.venue, delivered_on=date(2024, 2, 3), quantity="1", what="x"
        )


@time_machine.travel(TODAY, tick=False)
def test_a_need_is_claimed_taken_up_and_met(world, alliance_setting):
    a = alliance_setting
    need = alliance.raise_need(
        **as_admin(world),
        committee=a.committee,
        area=world.grid1,
        title="楼道照明改造",
        source="building_committee",
        raised_on=date(2024, 3, 1),
    )
    rep = {"actor": a.rep, "scope": scope_of(a.rep)}
    need = alliance.claim_need(**rep, need=need, unit=a.unit, on=date(2024, 3, 5))
    assert (need.state, need.claimed_by) == ("claimed", a.unit)
    with pytest.raises(DomainError) as error:
        alliance.claim_need(**rep, need=need, unit=a.unit, on=date(2024, 3, 6))
    assert error.value.code == "stale"
    offer = alliance.offer_resource(
        **rep, unit=a.unit, kind="goods", what="LED 灯管", quantity="40", offered_on=date(2024, 3, 6)
    )
    project = alliance.start_project(
        **as_admin(world),
        need=need,
        title="楼道照明改造项目",
        owner=a.unit,
        deadline=date(2024, 5, 31),
        started_on=date(2024, 3, 10),
        budget="3000",
        commitments=[a.funds],
        offers=[offer],
    )
    assert Need.objects.get(pk=need.pk).state == "project"
    assert list(project.offers.all()) == [offer] and list(project.commitments.all()) == [a.funds]
    alliance.finish_project(**as_admin(world), project=project, done_on=date(2024, 5, 20))
    assert Need.objects.get(pk=need.pk).state == "met"
    assert AuditEntry.objects.get(action="party.project_done").detail["on_time"] is True


@time_machine.travel(TODAY, tick=False)
def test_a_bad_project_is_refused(world, alliance_setting, far_committee):
    a = alliance_setting
    need = alliance.raise_need(
        **as_admin(world),
        committee=a.committee,
        area=world.grid1,
        title="助老餐",
        source="residents",
        raised_on=date(2024, 3, 1),
    )
    base = {
        "need": need,
        "title": "助老餐",
        "owner": a.unit,
        "deadline": date(2024, 5, 1),
        "started_on": date(2024, 3, 2),
    }
    for change, field in (
        ({"deadline": date(2024, 3, 1)}, "deadline"),
        ({"budget": "-1"}, "budget"),
        ({"title": ""}, "title"),
        ({"started_on": date(2024, 2, 1)}, "started_on"),
    ):
        with pytest.raises(DomainError) as error:
            alliance.start_project(**as_admin(world), **(base | change))
        assert error.value.field == field
    assert not Project.objects.exists()
    assert Need.objects.get(pk=need.pk).state == "open"


def test_a_need_outside_the_committee_area_is_refused(world, alliance_setting):
    with pytest.raises(DomainError) as error:
        alliance.raise_need(
            **as_admin(world),
            committee=alliance_setting.committee,
            area=world.other_grid,
            title="x",
            source="grid",
            raised_on=date(2024, 3, 1),
        )
    assert error.value.field == "area"


@time_machine.travel(TODAY, tick=False)
def test_the_year_end_evaluation_is_filled_from_what_was_delivered(world, alliance_setting):
    a = alliance_setting
    admin = as_admin(world)
    alliance.record_delivery(**admin, commitment=a.venue, delivered_on=date(2024, 2, 3), quantity="20", what="场地")
    alliance.record_delivery(**admin, commitment=a.venue, delivered_on=date(2024, 5, 3), quantity="20", what="场地")
    alliance.record_delivery(**admin, commitment=a.funds, delivered_on=date(2024, 9, 1), quantity="5000", what="经费")
    alliance.record_delivery(**admin, commitment=a.funds, delivered_on=date(2025, 2, 1), quantity="1000", what="经费")
    record = alliance.year_record(a.pact, 2024)
    # 2024: 40 of 80 venue hours (50 %), 5,000 of 5,000 yuan (100 %); the 2025 funds do not count.
    assert [(r.committed, r.delivered) for r in record.rows] == [
        (Decimal(80), Decimal(40)),
        (Decimal(5000), Decimal(5000)),
    ]
    assert (record.unit_score, record.community_score) == (75, None)
    with pytest.raises(DomainError) as error:
        alliance.evaluate(**admin, pact=a.pact, year=2024, direction="of_unit", score=90)
    assert error.value.field == "reason"
    evaluation = alliance.evaluate(**admin, pact=a.pact, year=2024, direction="of_unit", score=75, comment="场地偏少")
    assert (evaluation.score, evaluation.suggested) == (75, 75)
    with pytest.raises(DomainError) as error:
        alliance.evaluate(**admin, pact=a.pact, year=2024, direction="of_unit", score=80)
    assert error.value.field == "reason"
    changed = alliance.evaluate(**admin, pact=a.pact, year=2024, direction="of_unit", score=80, reason="另借了两次大厅")
    assert changed.pk == evaluation.pk and changed.score == 80
    # The unit rates the community; with no project due there is nothing to suggest.
    rep = {"actor": a.rep, "scope": scope_of(a.rep)}
    assert alliance.evaluate(**rep, pact=a.pact, year=2024, direction="of_community", score=95).suggested is None
    with pytest.raises(DomainError) as error:
        alliance.evaluate(**admin, pact=a.pact, year=2024, direction="of_community", score=95)
    assert error.value.code == "forbidden"
    with pytest.raises(DomainError) as error:
        alliance.evaluate(**rep, pact=a.pact, year=2024, direction="of_unit", score=95)
    assert error.value.code == "forbidden"
    for year, score, field in ((2025, 75, "year"), (2023, 75, "year"), (2024, 101, "score")):
        with pytest.raises(DomainError) as error:
            alliance.evaluate(**admin, pact=a.pact, year=year, direction="of_unit", score=score, reason="x")
        assert error.value.field == field
