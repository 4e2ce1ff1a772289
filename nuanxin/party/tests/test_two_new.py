"""Two-new coverage: the survey register, coverage by a joint branch or an instructor, the
founding pipeline that ends in the organisation's own branch, and the coverage figures."""

from datetime import date

import pytest

from nuanxin.accounts.scope import scope_of
from nuanxin.core.errors import DomainError
from nuanxin.party import actions, queries
from nuanxin.party.models import PartyOrg, TwoNewOrg
from nuanxin.territory import actions as territory_actions
from nuanxin.testing import SYSTEM_SCOPE


@pytest.fixture
def setting(world, committee):
    admin = world.community_admin
    joint = actions.create_org(
        actor=admin,
        scope=scope_of(admin),
        name="商圈联合党支部",
        kind="branch",
        area=world.community,
        founded_on=date(2023, 9, 1),
        parent=committee,
    )
    firm = territory_actions.create_place(
        actor=None, scope=SYSTEM_SCOPE, kind="enterprise", name="星光传媒", lng=102.7005, lat=24.9805
    )
    shop = territory_actions.create_place(
        actor=None, scope=SYSTEM_SCOPE, kind="merchant", name="小面馆", lng=102.7006, lat=24.9806
    )
    return committee, joint, firm, shop


def survey(world, place, **extra):
    admin = world.community_admin
    fields = {
        "kind": "enterprise",
        "employees": 200,
        "full_members": 4,
        "probationary_members": 1,
        "mobile_members": 0,
        "surveyed_on": date(2023, 7, 10),
    }
    return actions.survey_two_new(actor=admin, scope=scope_of(admin), place=place, **(fields | extra))


def advance(world, record, stage, on):
    admin = world.community_admin
    return actions.advance_founding(actor=admin, scope=scope_of(admin), record=record, stage=stage, on=on)


def test_the_pipeline_founds_the_organisations_own_branch(world, setting):
    committee, _joint, firm, _shop = setting
    record = survey(world, firm)
    assert (record.coverage, record.stage) == ("none", "surveyed")
    for stage, on in (("guidance", date(2023, 8, 1)), ("preparing", date(2024, 3, 1)), ("approved", date(2024, 9, 20))):
        record = advance(world, record, stage, on)
    record = advance(world, record, "founded", date(2024, 10, 18))
    branch = PartyOrg.objects.get(place=firm)
    assert (branch.name, branch.kind, branch.parent, branch.founded_on) == (
        "星光传媒党支部",
        "branch",
        committee,
        date(2024, 10, 18),
    )
    assert (record.coverage, record.covered_by, record.stage) == ("own_branch", branch, "founded")


def test_a_stage_out_of_order_or_before_the_last_is_refused_and_writes_nothing(world, setting):
    _committee, _joint, firm, _shop = setting
    record = survey(world, firm)
    with pytest.raises(DomainError) as skipped:
        advance(world, record, "approved", date(2023, 8, 1))
    assert skipped.value.field == "stage"
    with pytest.raises(DomainError) as early:
        advance(world, record, "guidance", date(2023, 7, 1))  # before the survey
    assert early.value.field == "on"
    record.refresh_from_db()
    assert record.stage == "surveyed" and record.guidance_on is None


def test_too_few_full_members_cannot_start_a_branch_but_can_be_covered(world, setting):
    _committee, joint, _firm, shop = setting
    admin = world.community_admin
    record = survey(world, shop, kind="enterprise", employees=12, full_members=1, probationary_members=0)
    with pytest.raises(DomainError) as refused:
        advance(world, record, "guidance", date(2023, 8, 1))
    assert refused.value.field == "stage"
    record = actions.cover_two_new(
        actor=admin, scope=scope_of(admin), record=record, coverage="joint_branch", branch=joint, on=date(2023, 9, 20)
    )
    assert (record.coverage, record.covered_by) == ("joint_branch", joint)
    with pytest.raises(DomainError) as no_name:
        actions.cover_two_new(
            actor=admin, scope=scope_of(admin), record=record, coverage="instructor", on=date(2023, 10, 1)
        )
    assert no_name.value.field == "instructor"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"employees": 2, "full_members": 3}, "employees"),  # more members than employees
        ({"kind": "club"}, "kind"),
        ({"employees": -1}, "employees"),
    ],
)
def test_bad_survey_input_names_the_field(world, setting, change, field):
    _committee, _joint, firm, _shop = setting
    with pytest.raises(DomainError) as refused:
        survey(world, firm, **change)
    assert refused.value.field == field
    assert not TwoNewOrg.objects.exists()


def test_a_home_or_an_organisation_surveyed_twice_is_refused_at_the_place(world, setting):
    _committee, _joint, firm, _shop = setting
    with pytest.raises(DomainError) as home:
        survey(world, world.compound1)
    assert home.value.field == "place"
    survey(world, firm)
    with pytest.raises(DomainError) as twice:
        survey(world, firm)
    assert twice.value.field == "place"


def test_coverage_figures_as_they_stood_on_a_day(world, setting):
    _committee, joint, firm, shop = setting
    admin = world.community_admin
    record = survey(world, firm)
    small = survey(world, shop, employees=12, full_members=1, probationary_members=0, mobile_members=2)
    actions.cover_two_new(
        actor=admin, scope=scope_of(admin), record=small, coverage="joint_branch", branch=joint, on=date(2023, 9, 20)
    )
    for stage, on in (
        ("guidance", date(2023, 8, 1)),
        ("preparing", date(2024, 3, 1)),
        ("approved", date(2024, 9, 20)),
        ("founded", date(2024, 10, 18)),
    ):
        record = advance(world, record, stage, on)
    scope = scope_of(admin)
    before = queries.coverage(scope, world.community, date(2023, 7, 1), date(2023, 8, 31))
    assert (before.organisations, before.own_branch, before.joint_or_instructor, before.not_covered) == (2, 0, 0, 2)
    assert before.rate == 0 and before.members_found == 5 + 3
    after = queries.coverage(scope, world.community, date(2024, 1, 1), date(2024, 12, 31))
    assert (after.own_branch, after.joint_or_instructor, after.not_covered, after.founded) == (1, 1, 0, 1)
    assert after.rate == 1.0


def test_the_register_pages_are_the_offices_and_refuse_bad_input_at_the_field(world, setting, client_for):
    _committee, _joint, firm, shop = setting
    client = client_for("community_admin")
    added = client.post(
        "/party/two-new/new/",
        {
            "place": firm.pk,
            "kind": "enterprise",
            "employees": 200,
            "full_members": 4,
            "probationary_members": 1,
            "mobile_members": 0,
            "surveyed_on": "2023-07-10",
        },
    )
    record = TwoNewOrg.objects.get(place=firm)
    assert added.status_code == 302 and added["Location"] == f"/party/two-new/{record.pk}/"
    skipped = client.post(f"/party/two-new/{record.pk}/founding/", {"stage": "founded", "on": "2023-08-01"})
    assert skipped.status_code == 400 and "field-error" in skipped.content.decode()
    assert (
        client.post(f"/party/two-new/{record.pk}/founding/", {"stage": "guidance", "on": "2023-08-01"}).status_code
        == 302
    )
    page = client.get("/party/two-new/").content.decode()
    assert "星光传媒" in page and "data-coverage" in page
    for persona in ("grid1_worker", "street_staff", "partner"):
        assert client_for(persona).get("/party/two-new/").status_code == 404, persona
        assert client_for(persona).get(f"/party/two-new/{record.pk}/").status_code == 404, persona
    assert client_for("other_admin").get(f"/party/two-new/{record.pk}/").status_code == 404


def test_the_register_over_the_api(world, setting, client_for):
    _committee, _joint, firm, _shop = setting
    record = survey(world, firm)
    client = client_for("community_admin")
    listed = client.get("/api/v1/party/two-new").json()["items"]
    assert [(r["name"], r["coverage"], r["stage"]) for r in listed] == [("星光传媒", "none", "surveyed")]
    assert client.get(f"/api/v1/party/two-new/{record.pk}").json()["employees"] == 200
    assert client_for("other_admin").get(f"/api/v1/party/two-new/{record.pk}").status_code == 404
    assert client_for("other_admin").get("/api/v1/party/two-new").json()["items"] == []
    assert client_for("grid1_worker").get("/api/v1/party/two-new").status_code == 404


def test_a_founding_to_take_on_waits_in_the_office_queue(world, setting):
    from nuanxin.core import workqueue

    def foundings(user):
        found = {w.source.key: w for w in workqueue.waiting_for(scope_of(user), user)}.get("party_foundings")
        return [(i.title, i.detail) for i in found.items] if found else []

    _committee, _joint, firm, shop = setting
    record = survey(world, firm)
    survey(world, shop, full_members=1, employees=6)  # too few to found a branch: covered otherwise
    assert foundings(world.community_admin) == [("星光传媒", "已摸排")]
    assert foundings(world.grid1_worker) == [] and foundings(world.other_admin) == []
    record = advance(world, record, "guidance", date(2023, 8, 1))
    assert foundings(world.community_admin) == [("星光传媒", record.get_stage_display())]
    for stage, on in (
        ("preparing", date(2024, 3, 1)),
        ("approved", date(2024, 9, 20)),
        ("founded", date(2024, 10, 18)),
    ):
        record = advance(world, record, stage, on)
    assert foundings(world.community_admin) == []
