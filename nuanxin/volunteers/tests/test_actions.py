"""The activity actions: numbers, the rules each refuses (naming the field, writing nothing),
the scope, and audit entries that never hold a participant's name."""

from datetime import date
from typing import Any

import pytest

from nuanxin.accounts.scope import scope_of
from nuanxin.core.errors import DomainError
from nuanxin.core.models import AuditEntry
from nuanxin.inspections.models import ChecklistTemplate, Rectification, Visit
from nuanxin.testing import SYSTEM_SCOPE, World
from nuanxin.volunteers.activities import actions
from nuanxin.volunteers.models import Activity, Participant
from nuanxin.volunteers.tests.conftest import Campaigns

CLEAN = {
    "exits_clear": True,
    "extinguishers_ok": True,
    "extinguisher_count": 2,
    "emergency_lights_ok": True,
    "ebike_indoor": False,
    "wiring": "ok",
}


def new(world: World, **overrides: Any) -> Activity:
    args: dict[str, Any] = {
        "actor": world.community_admin,
        "kind": "cleanup",
        "title": "环境卫生整治",
        "area": world.grid2,
        "starts_on": date(2024, 3, 2),
        "ends_on": date(2024, 3, 2),
        "scope": scope_of(world.community_admin),
    }
    return actions.create_activity(**(args | overrides))


def refused(field: str, call: Any, *args: Any, **kwargs: Any) -> DomainError:
    """Call, expecting a refusal naming `field`, with no activity, participant or audit entry written."""
    counts = (Activity.objects.count(), Participant.objects.count(), AuditEntry.objects.count())
    with pytest.raises(DomainError) as caught:
        call(*args, **kwargs)
    assert caught.value.field == field, caught.value.as_dict()
    assert (Activity.objects.count(), Participant.objects.count(), AuditEntry.objects.count()) == counts
    return caught.value


def test_numbers_count_within_the_start_year(world: World, campaigns: Campaigns) -> None:
    assert campaigns.sweep.number == "HD202400001"
    assert campaigns.cleanup.number == "HD202400002"
    assert new(world).number == "HD202400004"
    assert new(world, starts_on=date(2025, 1, 3), ends_on=date(2025, 1, 3)).number == "HD202500001"


def test_creating_is_audited_with_the_kind(world: World) -> None:
    activity = new(world, location="二号院")
    entry = AuditEntry.objects.get(action="activities.created")
    assert (entry.object_id, entry.detail, entry.area_path) == (str(activity.pk), {"kind": "cleanup"}, world.grid2.path)
    assert activity.organiser == world.community_admin and activity.is_campaign


def test_an_end_before_the_start_is_refused(world: World) -> None:
    refused("ends_on", new, world, starts_on=date(2024, 3, 2), ends_on=date(2024, 3, 1))


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"kind": "party"}, "kind"),
        ({"title": "  "}, "title"),
        ({"title": "<b>大扫除</b>"}, "title"),
        ({"title": "长" * 121}, "title"),
        ({"area": None}, "area"),
        ({"starts_on": None}, "starts_on"),
        ({"ends_on": None}, "ends_on"),
        ({"location": "<script>x</script>"}, "location"),
        ({"organiser_kind": "government"}, "organiser_kind"),
        ({"findings": "f" * 4001}, "findings"),
    ],
)
def test_bad_input_names_the_field(world: World, overrides: dict[str, Any], field: str) -> None:
    refused(field, new, world, **overrides)


def test_a_street_is_no_place_for_an_activity(world: World) -> None:
    refused("area", new, world, area=world.street, actor=world.system_admin, scope=scope_of(world.system_admin))


def test_the_area_must_be_in_the_actors_reach(world: World) -> None:
    error = refused("area", new, world, actor=world.grid1_worker, scope=scope_of(world.grid1_worker))
    assert error.code == "invalid"
    refused("area", new, world, area=world.other_community)
    refused("area", new, world, actor=world.street_staff, scope=scope_of(world.street_staff), area=world.grid1)


def test_an_organising_unit_is_for_units(world: World) -> None:
    refused("organiser_unit", new, world, organiser_unit=world.station)
    activity = new(world, organiser_kind="unit", organiser_unit=world.station)
    assert activity.organiser_unit == world.station


def test_participants_by_account_and_by_name(world: World, campaigns: Campaigns) -> None:
    sweep = campaigns.sweep
    staff = actions.add_participant(
        actor=world.community_admin, scope=SYSTEM_SCOPE, activity=sweep, group="staff", user=world.grid1_worker
    )
    assert staff.name == "grid1_worker"
    wang = actions.add_participant(
        actor=world.community_admin, scope=SYSTEM_SCOPE, activity=sweep, group="volunteer", name="王"
    )
    ouyang = actions.add_participant(
        actor=world.community_admin, scope=SYSTEM_SCOPE, activity=sweep, group="rider", name=" 欧阳娜娜 "
    )
    assert (wang.name, ouyang.name) == ("王", "欧阳娜娜")
    entry = AuditEntry.objects.filter(action="activities.participant_added").order_by("id").last()
    assert entry is not None and entry.detail == {"participant": ouyang.pk, "group": "rider", "account": False}
    assert "欧阳" not in str(entry.detail) and "欧阳" not in entry.object_repr


def test_an_account_takes_part_once(world: World, campaigns: Campaigns) -> None:
    args = {
        "actor": world.community_admin,
        "scope": scope_of(world.community_admin),
        "activity": campaigns.sweep,
        "group": "staff",
        "user": world.grid1_worker,
    }
    actions.add_participant(**args)
    refused("user", actions.add_participant, **args)


@pytest.mark.parametrize(
    ("group", "name", "field"),
    [
        ("cook", "李四", "group"),
        ("volunteer", "", "name"),
        ("volunteer", "李" * 31, "name"),
        ("rider", "<i>x</i>", "name"),
    ],
)
def test_bad_participants_are_refused(world: World, campaigns: Campaigns, group: str, name: str, field: str) -> None:
    refused(
        field,
        actions.add_participant,
        actor=world.community_admin,
        scope=SYSTEM_SCOPE,
        activity=campaigns.sweep,
        group=group,
        name=name,
    )


def test_only_a_manager_of_the_area_changes_an_activity(world: World, campaigns: Campaigns) -> None:
    scope = scope_of(world.grid2_worker)
    error = refused(
        None,
        actions.add_participant,
        actor=world.grid2_worker,
        activity=campaigns.cleanup,
        group="staff",
        name="李四",
        scope=scope,
    )
    assert error.code == "forbidden"
    refused(
        None, actions.record_findings, actor=world.grid2_worker, activity=campaigns.cleanup, findings="x", scope=scope
    )
    refused(
        None,
        actions.cover_places,
        actor=world.grid2_worker,
        activity=campaigns.cleanup,
        places=[world.compound1],
        scope=scope,
    )


def test_removing_a_participant(world: World, campaigns: Campaigns) -> None:
    participant = actions.add_participant(
        actor=world.grid1_worker, scope=SYSTEM_SCOPE, activity=campaigns.cleanup, group="resident", name="赵六"
    )
    participant_id = participant.pk
    actions.remove_participant(actor=world.grid1_worker, participant=participant, scope=scope_of(world.grid1_worker))
    assert not Participant.objects.exists()
    entry = AuditEntry.objects.get(action="activities.participant_removed")
    assert entry.detail == {"participant": participant_id, "group": "resident"}


def test_places_covered_lie_in_the_area(world: World, campaigns: Campaigns) -> None:
    cleanup = campaigns.cleanup
    refused(
        "places",
        actions.cover_places,
        actor=world.grid1_worker,
        scope=SYSTEM_SCOPE,
        activity=cleanup,
        places=[world.compound1, world.compound2],
    )
    assert not cleanup.places.exists()
    refused("places", actions.cover_places, actor=world.grid1_worker, scope=SYSTEM_SCOPE, activity=cleanup, places=[])
    actions.cover_places(
        actor=world.grid1_worker, scope=SYSTEM_SCOPE, activity=cleanup, places=[world.compound1, campaigns.shop]
    )
    actions.cover_places(actor=world.grid1_worker, scope=SYSTEM_SCOPE, activity=cleanup, places=[world.compound1])
    assert set(cleanup.places.all()) == {world.compound1, campaigns.shop}
    actions.cover_places(
        actor=world.community_admin,
        scope=SYSTEM_SCOPE,
        activity=campaigns.sweep,
        places=[world.compound1, world.compound2],
    )


def test_findings(world: World, campaigns: Campaigns) -> None:
    refused(
        "findings",
        actions.record_findings,
        actor=world.grid1_worker,
        scope=SYSTEM_SCOPE,
        activity=campaigns.cleanup,
        findings="<a href=x>",
    )
    actions.record_findings(
        actor=world.grid1_worker, scope=SYSTEM_SCOPE, activity=campaigns.cleanup, findings="清理杂物 12 处"
    )
    campaigns.cleanup.refresh_from_db()
    assert campaigns.cleanup.findings == "清理杂物 12 处"
    assert AuditEntry.objects.get(action="activities.findings_recorded").detail == {"length": 9}


def test_a_check_is_a_visit_of_the_campaign(world: World, campaigns: Campaigns) -> None:
    template = ChecklistTemplate.objects.get(code="fire-safety")
    visit = actions.record_campaign_check(
        actor=world.grid1_worker,
        scope=scope_of(world.grid1_worker),
        activity=campaigns.sweep,
        place=campaigns.shop,
        template=template,
        answers=CLEAN | {"exits_clear": False},
    )
    assert (visit.kind, visit.activity, visit.place, visit.state) == (
        "campaign",
        campaigns.sweep,
        campaigns.shop,
        "done",
    )
    assert Rectification.objects.get(visit=visit).hazards.count() == 1


def test_a_check_of_a_place_outside_the_area_is_refused(world: World, campaigns: Campaigns) -> None:
    with pytest.raises(DomainError) as caught:
        actions.record_campaign_check(
            actor=world.grid1_worker,
            scope=SYSTEM_SCOPE,
            activity=campaigns.cleanup,
            place=world.compound2,
            template=ChecklistTemplate.objects.get(code="fire-safety"),
            answers=CLEAN,
        )
    assert caught.value.field == "place"
    assert not Visit.objects.exists()
