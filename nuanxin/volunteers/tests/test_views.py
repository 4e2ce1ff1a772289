"""The campaign pages: allowed and denied for each, errors at their field with nothing
written, masked names, key persons never shown, and bounded query counts."""

from datetime import date
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from nuanxin.core.models import AuditEntry
from nuanxin.inspections.models import Visit
from nuanxin.inspections.tests.conftest import Watch
from nuanxin.testing import SYSTEM_SCOPE, World
from nuanxin.volunteers.activities import actions
from nuanxin.volunteers.models import Activity, Participant
from nuanxin.volunteers.tests.conftest import Campaigns
from nuanxin.volunteers.tests.test_actions import CLEAN


def url(name: str, *args: Any) -> str:
    return reverse(f"activities:{name}", args=args)


def html(response: Any) -> str:
    return response.content.decode()


# The list


def test_the_list_shows_the_campaigns_the_viewer_reaches(client_for: Any, campaigns: Campaigns) -> None:
    response = client_for("community_admin").get(url("list"))
    assert response.status_code == 200
    page = html(response)
    assert campaigns.sweep.number in page and campaigns.cleanup.number in page
    assert campaigns.elsewhere.number not in page


def test_a_grid_worker_lists_their_grids_campaigns(client_for: Any, campaigns: Campaigns) -> None:
    page = html(client_for("grid1_worker").get(url("list")))
    assert campaigns.cleanup.number in page and campaigns.elsewhere.number not in page


@pytest.mark.parametrize("persona", ["resident", "rider", "stranger", "auditor", "partner"])
def test_the_list_is_a_404_without_activities_view(client_for: Any, campaigns: Campaigns, persona: str) -> None:
    assert client_for(persona).get(url("list")).status_code == 404


def test_the_list_needs_a_sign_in(client: Any, campaigns: Campaigns) -> None:
    assert client.get(url("list")).status_code == 302


def test_the_list_filters(client_for: Any, world: World, campaigns: Campaigns) -> None:
    client = client_for("community_admin")
    by_kind = html(client.get(url("list"), {"kind": "cleanup"}))
    assert campaigns.cleanup.number in by_kind and campaigns.sweep.number not in by_kind
    by_period = html(client.get(url("list"), {"since": "2024-11-15", "until": "2024-12-31"}))
    assert campaigns.sweep.number in by_period and campaigns.cleanup.number not in by_period
    by_grid = html(client.get(url("list"), {"area": world.grid1.pk}))
    assert campaigns.cleanup.number in by_grid and campaigns.sweep.number not in by_grid


def test_a_bad_period_is_shown_at_its_field(client_for: Any, campaigns: Campaigns) -> None:
    response = client_for("community_admin").get(url("list"), {"since": "2024-12-01", "until": "2024-11-01"})
    assert response.status_code == 400
    assert 'name="until"' in html(response) and "field-error" in html(response)
    assert client_for("community_admin").get(url("list"), {"since": "yesterday"}).status_code == 400


def test_the_list_query_count_is_bounded(
    client_for: Any, world: World, campaigns: Campaigns, django_assert_max_num_queries: Any
) -> None:
    for n in range(20):
        activity = actions.create_activity(
            actor=world.community_admin,
            scope=SYSTEM_SCOPE,
            kind="cleanup",
            title=f"清扫 {n}",
            area=world.grid2,
            starts_on=date(2024, 4, 1),
            ends_on=date(2024, 4, 1),
        )
        actions.add_participant(
            actor=world.community_admin, scope=SYSTEM_SCOPE, activity=activity, group="volunteer", name="李四"
        )
    client = client_for("community_admin")
    with django_assert_max_num_queries(12):
        assert client.get(url("list")).status_code == 200


# A new campaign


def form_data(world: World, **overrides: Any) -> dict[str, Any]:
    return {
        "kind": "fire_check",
        "title": "春季消防检查",
        "area": world.grid1.pk,
        "starts_on": "2024-04-01",
        "ends_on": "2024-04-03",
        "organiser_kind": "community",
        "location": "",
        "findings": "",
    } | overrides


def test_a_community_admin_records_a_campaign(client_for: Any, world: World) -> None:
    client = client_for("community_admin")
    assert client.get(url("new")).status_code == 200
    response = client.post(url("new"), form_data(world))
    activity = Activity.objects.get()
    assert response.status_code == 302 and response["Location"] == url("detail", activity.pk)
    assert (activity.title, activity.area, activity.organiser) == ("春季消防检查", world.grid1, world.community_admin)


@pytest.mark.parametrize("persona", ["street_staff", "resident", "stranger", "grid1_helper"])
def test_the_new_page_is_a_404_without_activities_manage(client_for: Any, world: World, persona: str) -> None:
    client = client_for(persona)
    assert client.get(url("new")).status_code == 404
    assert client.post(url("new"), form_data(world)).status_code == 404
    assert not Activity.objects.exists()


@pytest.mark.parametrize(
    ("persona", "overrides", "field"),
    [
        ("community_admin", {"ends_on": "2024-03-01"}, "ends_on"),
        ("community_admin", {"title": "<b>检查</b>"}, "title"),
        ("grid1_worker", {"area": "GRID2"}, "area"),
        ("community_admin", {"area": "OTHER"}, "area"),
        ("community_admin", {"kind": "party"}, "kind"),
    ],
)
def test_bad_input_is_shown_at_its_field_and_writes_nothing(
    client_for: Any, world: World, persona: str, overrides: dict[str, Any], field: str
) -> None:
    areas = {"GRID2": world.grid2.pk, "OTHER": world.other_community.pk}
    overrides = {k: areas.get(v, v) for k, v in overrides.items()}
    response = client_for(persona).post(url("new"), form_data(world, **overrides))
    assert response.status_code == 400
    page = html(response)
    error_at = page.index("field-error")
    assert page.rindex(f'name="{field}"', 0, error_at) > page.rindex("<label", 0, error_at)
    assert not Activity.objects.exists()
    assert not AuditEntry.objects.filter(action="activities.created").exists()


# A campaign's page


def test_the_campaign_page_masks_names(client_for: Any, world: World, campaigns: Campaigns) -> None:
    actions.add_participant(
        actor=world.community_admin, scope=SYSTEM_SCOPE, activity=campaigns.sweep, group="rider", name="欧阳娜娜"
    )
    actions.add_participant(
        actor=world.community_admin, scope=SYSTEM_SCOPE, activity=campaigns.sweep, group="volunteer", name="王"
    )
    response = client_for("community_admin").get(url("detail", campaigns.sweep.pk))
    assert response.status_code == 200
    page = html(response)
    assert "欧***" in page and "王*" in page and "欧阳娜娜" not in page
    assert "冬季消防安全大排查" in page


@pytest.mark.parametrize(("persona", "status"), [("other_admin", 404), ("grid2_worker", 404), ("resident", 404)])
def test_the_campaign_page_is_a_404_outside_the_scope(
    client_for: Any, campaigns: Campaigns, persona: str, status: int
) -> None:
    assert client_for(persona).get(url("detail", campaigns.cleanup.pk)).status_code == status
    assert client_for("community_admin").get(url("detail", campaigns.elsewhere.pk)).status_code == 404
    assert client_for("community_admin").get(url("detail", 999999)).status_code == 404


def test_street_staff_see_but_do_not_change(client_for: Any, world: World, campaigns: Campaigns) -> None:
    client = client_for("street_staff")
    page = html(client.get(url("detail", campaigns.sweep.pk)))
    assert url("add_participant", campaigns.sweep.pk) not in page
    assert url("check", campaigns.sweep.pk) not in page
    assert (
        client.post(url("add_participant", campaigns.sweep.pk), {"group": "staff", "name": "李四"}).status_code == 404
    )
    assert client.post(url("findings", campaigns.sweep.pk), {"findings": "x"}).status_code == 404
    assert client.post(url("cover_places", campaigns.sweep.pk), {"places": [world.compound1.pk]}).status_code == 404
    assert client.get(url("check", campaigns.sweep.pk)).status_code == 404
    assert not Participant.objects.exists()


def test_adding_participants_by_name_and_by_account(client_for: Any, world: World, campaigns: Campaigns) -> None:
    client = client_for("community_admin")
    added = client.post(url("add_participant", campaigns.sweep.pk), {"group": "merchant", "name": "刘备"})
    assert added.status_code == 302
    staff = {"group": "staff", "user": world.grid2_worker.pk}
    assert client.post(url("add_participant", campaigns.sweep.pk), staff).status_code == 302
    twice = client.post(url("add_participant", campaigns.sweep.pk), staff)
    assert twice.status_code == 400 and "field-error" in html(twice)
    no_name = client.post(url("add_participant", campaigns.sweep.pk), {"group": "volunteer", "name": ""})
    assert no_name.status_code == 400
    unknown_group = client.post(url("add_participant", campaigns.sweep.pk), {"group": "cook", "name": "张飞"})
    assert unknown_group.status_code == 400
    assert sorted(Participant.objects.values_list("group", flat=True)) == ["merchant", "staff"]


def test_an_account_from_elsewhere_cannot_be_picked(client_for: Any, world: World, campaigns: Campaigns) -> None:
    response = client_for("grid1_worker").post(
        url("add_participant", campaigns.cleanup.pk), {"group": "staff", "user": world.other_admin.pk}
    )
    assert response.status_code == 400 and not Participant.objects.exists()


def test_removing_a_participant(client_for: Any, world: World, campaigns: Campaigns) -> None:
    participant = actions.add_participant(
        actor=world.grid1_worker, scope=SYSTEM_SCOPE, activity=campaigns.cleanup, group="resident", name="赵六"
    )
    path = url("remove_participant", campaigns.cleanup.pk, participant.pk)
    assert client_for("grid2_worker").post(path).status_code == 404
    assert client_for("street_staff").post(path).status_code == 404
    assert client_for("grid1_worker").get(path).status_code == 405
    assert client_for("grid1_worker").post(path).status_code == 302
    assert not Participant.objects.exists()
    assert client_for("grid1_worker").post(path).status_code == 404


def test_covering_places(client_for: Any, world: World, campaigns: Campaigns) -> None:
    client = client_for("grid1_worker")
    outside = client.post(url("cover_places", campaigns.cleanup.pk), {"places": [world.compound2.pk]})
    assert outside.status_code == 400 and "field-error" in html(outside)
    assert not campaigns.cleanup.places.exists()
    inside = client.post(url("cover_places", campaigns.cleanup.pk), {"places": [world.compound1.pk, campaigns.shop.pk]})
    assert inside.status_code == 302
    assert set(campaigns.cleanup.places.all()) == {world.compound1, campaigns.shop}
    assert "小卖部" in html(client.get(url("detail", campaigns.cleanup.pk)))


def test_findings(client_for: Any, campaigns: Campaigns) -> None:
    client = client_for("grid1_worker")
    bad = client.post(url("findings", campaigns.cleanup.pk), {"findings": "<script>alert(1)</script>"})
    assert bad.status_code == 400 and "field-error" in html(bad)
    assert client.post(url("findings", campaigns.cleanup.pk), {"findings": "清理杂物 12 处"}).status_code == 302
    assert "清理杂物 12 处" in html(client.get(url("detail", campaigns.cleanup.pk)))


def test_the_campaign_page_query_count_is_bounded(
    client_for: Any, world: World, campaigns: Campaigns, django_assert_max_num_queries: Any
) -> None:
    sweep = campaigns.sweep
    for n in range(15):
        actions.add_participant(
            actor=world.community_admin, scope=SYSTEM_SCOPE, activity=sweep, group="volunteer", name=f"志愿者{n}"
        )
    actions.cover_places(
        actor=world.community_admin, scope=SYSTEM_SCOPE, activity=sweep, places=[world.compound1, world.compound2]
    )
    from nuanxin.inspections.models import ChecklistTemplate

    template = ChecklistTemplate.objects.get(code="fire-safety")
    for place in (campaigns.shop, world.compound1, world.compound2):
        actions.record_campaign_check(
            actor=world.community_admin,
            scope=SYSTEM_SCOPE,
            activity=sweep,
            place=place,
            template=template,
            answers=CLEAN,
        )
    client = client_for("community_admin")
    with django_assert_max_num_queries(16):
        assert client.get(url("detail", sweep.pk)).status_code == 200


# Checks


@pytest.fixture
def on_sweep(world: World, campaigns: Campaigns) -> Participant:
    """The grid 1 worker takes part in the community's sweep: that is how a grid worker, who
    reaches only grid 1, opens a community-wide campaign (as a participant)."""
    return actions.add_participant(
        actor=world.community_admin,
        scope=SYSTEM_SCOPE,
        activity=campaigns.sweep,
        group="staff",
        user=world.grid1_worker,
    )


def test_a_grid_worker_does_not_reach_a_community_campaign_alone(client_for: Any, campaigns: Campaigns) -> None:
    client = client_for("grid1_worker")
    assert client.get(url("detail", campaigns.sweep.pk)).status_code == 404
    assert client.get(url("check", campaigns.sweep.pk)).status_code == 404


@pytest.mark.usefixtures("on_sweep")
def test_recording_a_check_with_a_hazard(client_for: Any, world: World, campaigns: Campaigns) -> None:
    client = client_for("grid1_worker")
    page = client.get(url("check", campaigns.sweep.pk))
    assert page.status_code == 200 and "小卖部" in html(page) and "二号院" not in html(page)
    assert "key-person" not in html(page) and "fire-safety" in html(page)
    chosen = {"place": campaigns.shop.pk, "template": "fire-safety"}
    items = client.get(url("check", campaigns.sweep.pk), chosen)
    assert items.status_code == 200 and "a-exits_clear" in html(items)
    answers = {
        "a-exits_clear": "no",
        "a-extinguishers_ok": "yes",
        "a-extinguisher_count": "2",
        "a-emergency_lights_ok": "yes",
        "a-ebike_indoor": "no",
        "a-wiring": "messy",
        "note": "安全出口堆放杂物",
    }
    done = client.post(url("check", campaigns.sweep.pk), chosen | answers)
    assert done.status_code == 302
    visit = Visit.objects.get(activity__isnull=False)
    assert (visit.activity, visit.place, visit.worker, visit.answers["extinguisher_count"]) == (
        campaigns.sweep,
        campaigns.shop,
        world.grid1_worker,
        2,
    )
    detail = html(client.get(url("detail", campaigns.sweep.pk)))
    assert "小卖部" in detail and '<td class="num overdue">2</td>' in detail


@pytest.mark.usefixtures("on_sweep")
def test_a_bad_answer_is_shown_at_its_item(client_for: Any, campaigns: Campaigns) -> None:
    chosen = {"place": campaigns.shop.pk, "template": "fire-safety"}
    response = client_for("grid1_worker").post(url("check", campaigns.sweep.pk), chosen | {"a-exits_clear": "yes"})
    assert response.status_code == 400
    page = html(response)
    assert page.index("field-error") > page.index("a-extinguishers_ok") > 0
    assert not Visit.objects.filter(activity__isnull=False).exists()


@pytest.mark.usefixtures("on_sweep")
def test_a_place_outside_the_reach_cannot_be_checked(client_for: Any, world: World, campaigns: Campaigns) -> None:
    # The grid 1 worker sees the community's sweep page, but records only in grid 1.
    chosen = {"place": world.compound2.pk, "template": "fire-safety"}
    response = client_for("grid1_worker").post(url("check", campaigns.sweep.pk), chosen | {"a-exits_clear": "yes"})
    assert response.status_code == 400 and not Visit.objects.exists()


@pytest.mark.parametrize("persona", ["street_staff", "other_admin", "resident", "grid2_worker"])
def test_recording_a_check_is_a_404_for_others(client_for: Any, campaigns: Campaigns, persona: str) -> None:
    client = client_for(persona)
    assert client.get(url("check", campaigns.cleanup.pk)).status_code == 404
    chosen = {"place": campaigns.shop.pk, "template": "fire-safety"}
    assert client.post(url("check", campaigns.cleanup.pk), chosen).status_code == 404
    assert not Visit.objects.filter(activity__isnull=False).exists()


def test_a_key_person_visit_of_a_campaign_never_shows_to_a_grid_worker(
    client_for: Any, world: World, campaigns: Campaigns, watch: Watch
) -> None:
    Visit.objects.create(
        kind="campaign",
        target=watch.key_target,
        category="key_person",
        grid=world.grid1,
        worker=world.grid1_leader,
        due_on=date(2024, 6, 8),
        state="done",
        done_at=timezone.now(),
        activity=campaigns.cleanup,
    )
    worker_page = html(client_for("grid1_worker").get(url("detail", campaigns.cleanup.pk)))
    leader_page = html(client_for("grid1_leader").get(url("detail", campaigns.cleanup.pk)))
    checks = 'id="checks">\n  <h2>'
    assert "(0)</h2>" in worker_page.split(checks)[1][:60]
    assert "(1)</h2>" in leader_page.split(checks)[1][:60]
    worker_list = html(client_for("grid1_worker").get(url("list")))
    leader_list = html(client_for("grid1_leader").get(url("list")))
    cleanup = url("detail", campaigns.cleanup.pk)
    assert worker_list.split(cleanup)[1].split("</tr>")[0].endswith('<td class="num">0</td>')
    assert leader_list.split(cleanup)[1].split("</tr>")[0].endswith('<td class="num">1</td>')
