"""The watchlist in the console: the list, one target with its forms, and the add page.
Allowed and denied for each, bad input named at its field with nothing written, and key
persons invisible everywhere to a viewer without people.view_key_person."""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from nuanxin.core.scoping import Scope
from nuanxin.inspections import actions
from nuanxin.inspections.models import Visit, WatchChange, WatchTarget
from nuanxin.inspections.tests.conftest import MONDAY, Watch
from nuanxin.inspections.tests.test_record import FIRE_HAZARD, due
from nuanxin.inspections.watchlist_views import addable_categories, known_categories
from nuanxin.people import actions as people_actions
from nuanxin.territory import actions as territory_actions
from nuanxin.testing import SYSTEM_SCOPE, World

SH = ZoneInfo("Asia/Shanghai")
LIST = "/inspections/watchlist/"
NEW = "/inspections/watchlist/new/"


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


def page(target: WatchTarget) -> str:
    return f"{LIST}{target.pk}/"


def listed(response: Any) -> set[int]:
    return {t.pk for t in response.context["page"]}


def state(target: WatchTarget) -> tuple[str, str, Any, int]:
    """What a refused write must leave as it was."""
    target.refresh_from_db()
    return target.tier, target.frequency, target.ended_on, WatchChange.objects.filter(target=target).count()


# ---------------------------------------------------------------------------------------
# The list.


def test_the_console_links_to_the_watchlist(client_for: Any, watch: Watch) -> None:
    assert LIST in client_for("community_admin").get("/inspections/").content.decode()


def test_community_admin_sees_every_target_masked(client_for: Any, watch: Watch) -> None:
    response = client_for("community_admin").get(LIST)
    assert response.status_code == 200
    assert listed(response) == {
        watch.restaurant_target.pk,
        watch.hotel_target.pk,
        watch.special_target.pk,
        watch.key_target.pk,
    }
    html = response.content.decode()
    assert "小面馆" in html and "快捷旅馆" in html and "张*" in html and "张三" not in html
    assert response.context["page"].paginator.count == 4
    assert NEW in html
    assert "key_person" in dict(response.context["categories"])


def test_grid1_leader_sees_the_key_person_of_grid_1_only(client_for: Any, watch: Watch) -> None:
    response = client_for("grid1_leader").get(LIST)
    assert listed(response) == {watch.restaurant_target.pk, watch.special_target.pk, watch.key_target.pk}
    assert NEW not in response.content.decode()  # no inspections.manage


def test_grid_worker_never_learns_of_the_key_person(client_for: Any, watch: Watch) -> None:
    client = client_for("grid1_worker")
    response = client.get(LIST)
    assert response.status_code == 200
    assert listed(response) == {watch.restaurant_target.pk, watch.special_target.pk}
    assert response.context["page"].paginator.count == 2
    html = response.content.decode()
    assert f'data-target="{watch.key_target.pk}"' not in html and 'value="key_person"' not in html
    assert "key_person" not in dict(response.context["categories"])
    # Asking for the category is ignored like an unknown one: the same list, nothing told.
    for category in ("key_person", "no-such-category"):
        again = client.get(LIST + f"?category={category}")
        assert again.status_code == 200 and listed(again) == listed(response)
        assert again.context["page"].paginator.count == 2
    assert listed(client.get(LIST + "?category=special_group")) == {watch.special_target.pk}


def test_grid2_worker_sees_grid_2_only(client_for: Any, watch: Watch) -> None:
    assert listed(client_for("grid2_worker").get(LIST)) == {watch.hotel_target.pk}


@pytest.mark.parametrize("persona", ["rider", "resident", "stranger", "auditor", "grid1_helper", "partner"])
def test_viewers_without_inspections_get_404(client_for: Any, watch: Watch, persona: str) -> None:
    client = client_for(persona)
    assert client.get(LIST).status_code == 404
    assert client.get(page(watch.restaurant_target)).status_code == 404
    assert client.get(NEW).status_code == 404


def test_anonymous_is_sent_to_log_in(client: Any, watch: Watch) -> None:
    for url in (LIST, page(watch.restaurant_target), NEW):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]
    response = client.post(page(watch.restaurant_target) + "tier/", {"tier": "low", "reason": "x"})
    assert response.status_code == 302 and "login" in response["Location"]


def test_filters(client_for: Any, world: World, watch: Watch) -> None:
    client = client_for("community_admin")
    assert listed(client.get(LIST + "?tier=low")) == {watch.hotel_target.pk}
    assert listed(client.get(LIST + f"?grid={world.grid2.pk}")) == {watch.hotel_target.pk}
    assert listed(client.get(LIST + f"?worker={world.grid1_leader.pk}")) == {watch.key_target.pk}
    assert listed(client.get(LIST + "?category=catering")) == {watch.restaurant_target.pk}
    assert listed(client.get(LIST + "?tier=bogus&grid=abc&worker=-1&status=x")) == listed(client.get(LIST))
    # Nothing the list is asked is an error: an unknown value is shown unchosen (status: active).
    odd = client.get(LIST + "?tier=bogus&status=x")
    assert odd.status_code == 200 and odd.context["chosen"] == {
        "category": "",
        "tier": "",
        "grid": "",
        "worker": "",
        "status": "active",
    }
    actions.end_target(actor=world.community_admin, scope=SYSTEM_SCOPE, target=watch.restaurant_target, reason="关停")
    assert watch.restaurant_target.pk not in listed(client.get(LIST))
    assert listed(client.get(LIST + "?status=ended")) == {watch.restaurant_target.pk}
    assert watch.restaurant_target.pk in listed(client.get(LIST + "?status=all"))


def test_last_visit_next_due_and_raised_frequency(client_for: Any, world: World, watch: Watch) -> None:
    actions.record_visit(
        actor=world.grid2_worker,
        scope=SYSTEM_SCOPE,
        visit=due(watch.hotel_target),
        answers=FIRE_HAZARD,
        now=datetime(2024, 3, 5, 10, tzinfo=SH),
    )
    response = client_for("community_admin").get(LIST)
    rows = {t.pk: t for t in response.context["page"]}
    hotel = rows[watch.hotel_target.pk]
    assert hotel.last_done.astimezone(SH).date().isoformat() == "2024-03-05"
    assert hotel.raised is True and rows[watch.restaurant_target.pk].raised is False
    assert rows[watch.restaurant_target.pk].last_done is None
    assert rows[watch.restaurant_target.pk].next_due.isoformat() == "2024-03-10"
    html = response.content.decode()
    assert "2024-03-05" in html and "data-raised" in html


def _more_targets(world: World, n: int) -> None:
    for i in range(n):
        grid1 = i % 2 == 0
        place = territory_actions.create_place(
            actor=None,
            scope=SYSTEM_SCOPE,
            kind="merchant",
            name=f"商户{i}",
            lng=(102.7004 if grid1 else 102.7024) + 0.00001 * i,
            lat=24.9812,
        )
        actions.add_target(
            actor=world.community_admin,
            scope=SYSTEM_SCOPE,
            category="catering",
            tier=["high", "medium", "low"][i % 3],
            worker=world.grid1_worker if grid1 else world.grid2_worker,
            place=place,
            today=MONDAY,
        )


def test_the_list_makes_as_many_queries_for_3_targets_as_for_30(
    client_for: Any, world: World, watch: Watch, django_assert_max_num_queries: Any
) -> None:
    client = client_for("community_admin")
    client.get(LIST)  # warm the session and the caches
    with django_assert_max_num_queries(12) as few:
        assert len(listed(client.get(LIST))) == 4
    queries_for_4 = len(few.captured_queries)  # read now: the next request resets the log
    _more_targets(world, 26)
    client.get(LIST)  # new staff grants expire cached scopes: warm them again
    with django_assert_max_num_queries(queries_for_4):
        assert len(listed(client.get(LIST))) == 30


def test_the_list_is_paged_by_50(client_for: Any, world: World, watch: Watch) -> None:
    _more_targets(world, 48)
    client = client_for("community_admin")
    first = client.get(LIST)
    assert len(listed(first)) == 50 and first.context["page"].paginator.count == 52
    assert len(listed(client.get(LIST + "?page=2"))) == 2
    assert client.get(LIST + "?page=zzz").status_code == 200


# ---------------------------------------------------------------------------------------
# One target.


def test_the_target_page_shows_history_and_visits(client_for: Any, world: World, watch: Watch) -> None:
    visit = due(watch.hotel_target)
    actions.record_visit(
        actor=world.grid2_worker,
        scope=SYSTEM_SCOPE,
        visit=visit,
        answers=FIRE_HAZARD,
        now=datetime(2024, 3, 5, tzinfo=SH),
    )
    visit.refresh_from_db()
    order = visit.rectification
    response = client_for("community_admin").get(page(watch.hotel_target))
    assert response.status_code == 200
    html = response.content.decode()
    assert "快捷旅馆" in html and 'id="tier-form"' in html and 'id="end-form"' in html
    changes = response.context["changes"]
    assert [c.reason for c in changes][0] == "added" and len(changes) == 2  # added, then raised by the hazard
    assert f"/inspections/visits/{visit.pk}/" in html
    assert f"/inspections/rectifications/{order.pk}/" in html and order.number in html
    assert order.hazards.first().label in html
    recheck = Visit.objects.get(recheck_of=order)
    assert f'data-visit="{recheck.pk}"' in html and html.count(order.number) == 2


def test_a_resident_target_shows_a_masked_name_and_no_tag(client_for: Any, watch: Watch) -> None:
    html = client_for("grid1_leader").get(page(watch.key_target)).content.decode()
    assert "张*" in html and "张三" not in html and "每周报到" not in html and "community_correction" not in html


def test_grid1_leader_sees_the_key_person_target_without_forms(client_for: Any, watch: Watch) -> None:
    response = client_for("grid1_leader").get(page(watch.key_target))
    assert response.status_code == 200 and response.context["may_manage"] is False
    assert 'id="tier-form"' not in response.content.decode()


def test_the_key_person_page_is_the_same_404_as_a_missing_one(client_for: Any, watch: Watch) -> None:
    client = client_for("grid1_worker")
    hidden = client.get(page(watch.key_target))
    missing = client.get(f"{LIST}999999/")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content
    for form in ("tier/", "end/"):
        response = client.post(page(watch.key_target) + form, {"tier": "low", "reason": "试探"})
        assert response.status_code == 404
    assert state(watch.key_target)[3] == 1


def test_grid2_worker_gets_404_for_a_grid_1_target(client_for: Any, watch: Watch) -> None:
    client = client_for("grid2_worker")
    before = state(watch.restaurant_target)
    assert client.get(page(watch.restaurant_target)).status_code == 404
    assert client.post(page(watch.restaurant_target) + "tier/", {"tier": "low", "reason": "x"}).status_code == 404
    assert client.post(page(watch.restaurant_target) + "end/", {"reason": "x"}).status_code == 404
    assert state(watch.restaurant_target) == before


def test_other_community_admin_gets_404(client_for: Any, watch: Watch) -> None:
    client = client_for("other_admin")
    assert client.get(page(watch.restaurant_target)).status_code == 404
    assert listed(client.get(LIST)) == set()


@pytest.mark.parametrize("persona", ["grid1_worker", "grid1_leader", "community_staff"])
def test_viewers_without_manage_may_look_but_not_change(client_for: Any, watch: Watch, persona: str) -> None:
    client = client_for(persona)
    response = client.get(page(watch.restaurant_target))
    assert response.status_code == 200 and 'id="tier-form"' not in response.content.decode()
    before = state(watch.restaurant_target)
    refused = client.post(page(watch.restaurant_target) + "tier/", {"tier": "low", "reason": "降级"})
    assert refused.status_code == 403 and refused.context["errors"]["form"]
    assert client.post(page(watch.restaurant_target) + "end/", {"reason": "关停"}).status_code == 403
    assert state(watch.restaurant_target) == before


def test_changing_the_tier(client_for: Any, watch: Watch) -> None:
    client = client_for("community_admin")
    response = client.post(page(watch.restaurant_target) + "tier/", {"tier": "low", "reason": "整改到位"})
    assert response.status_code == 302 and response["Location"] == page(watch.restaurant_target)
    tier, frequency, _ended, changes = state(watch.restaurant_target)
    assert (tier, frequency, changes) == ("low", "quarterly", 2)
    html = client.get(page(watch.restaurant_target)).content.decode()
    assert "整改到位" in html


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"tier": "extreme", "reason": "升级"}, "tier"),
        ({"tier": "low", "reason": "  "}, "reason"),
        ({"tier": "high", "reason": "同级"}, "tier"),  # its present tier
        ({"reason": "无"}, "tier"),
    ],
)
def test_bad_tier_input_is_named_and_nothing_written(
    client_for: Any, watch: Watch, form: dict[str, str], field: str
) -> None:
    before = state(watch.restaurant_target)
    response = client_for("community_admin").post(page(watch.restaurant_target) + "tier/", form)
    assert response.status_code == 400
    assert set(response.context["errors"]) == {field}
    assert f'data-error="{field}"' in response.content.decode()
    assert state(watch.restaurant_target) == before


def test_ending_a_target(client_for: Any, watch: Watch) -> None:
    client = client_for("community_admin")
    assert Visit.objects.filter(target=watch.restaurant_target, state="due").exists()
    response = client.post(page(watch.restaurant_target) + "end/", {"reason": "已关停"})
    assert response.status_code == 302
    assert state(watch.restaurant_target)[2] is not None
    assert not Visit.objects.filter(target=watch.restaurant_target, state="due").exists()
    after = client.get(page(watch.restaurant_target))
    assert after.context["may_manage"] is False and "data-ended" in after.content.decode()
    again = client.post(page(watch.restaurant_target) + "end/", {"reason": "再次"})
    assert again.status_code == 400


def test_an_empty_end_reason_is_named_and_nothing_written(client_for: Any, watch: Watch) -> None:
    before = state(watch.restaurant_target)
    response = client_for("community_admin").post(page(watch.restaurant_target) + "end/", {"reason": ""})
    assert response.status_code == 400 and set(response.context["errors"]) == {"reason"}
    assert state(watch.restaurant_target) == before


def test_the_forms_take_post_only(client_for: Any, watch: Watch) -> None:
    client = client_for("community_admin")
    assert client.get(page(watch.restaurant_target) + "tier/").status_code == 405
    assert client.get(page(watch.restaurant_target) + "end/").status_code == 405


def test_the_target_page_query_count(
    client_for: Any, world: World, watch: Watch, django_assert_max_num_queries: Any
) -> None:
    actions.record_visit(
        actor=world.grid2_worker,
        scope=SYSTEM_SCOPE,
        visit=due(watch.hotel_target),
        answers=FIRE_HAZARD,
        now=datetime(2024, 3, 5, tzinfo=SH),
    )
    client = client_for("community_admin")
    client.get(page(watch.hotel_target))
    with django_assert_max_num_queries(14):
        assert client.get(page(watch.hotel_target)).status_code == 200


# ---------------------------------------------------------------------------------------
# Adding a target.


def test_the_add_page_offers_what_the_viewer_may_add(client_for: Any, world: World, watch: Watch) -> None:
    response = client_for("community_admin").get(NEW)
    assert response.status_code == 200
    codes = {code for code, _label, _subject in response.context["categories"]}
    assert {"catering", "special_group", "key_person"} <= codes
    html = response.content.decode()
    assert "小面馆" in html and "快捷旅馆" in html and "外社区院" not in html
    workers = {a.person_id for a in response.context["staff"]}
    assert workers == {world.grid1_leader.pk, world.grid1_worker.pk, world.grid2_worker.pk}


@pytest.mark.parametrize("persona", ["grid1_worker", "grid1_leader", "community_staff", "grid2_worker"])
def test_viewers_without_manage_cannot_add(client_for: Any, world: World, watch: Watch, persona: str) -> None:
    client = client_for(persona)
    assert client.get(NEW).status_code == 404
    count = WatchTarget.objects.count()
    response = client.post(
        NEW, {"category": "catering", "tier": "high", "worker": world.grid1_worker.pk, "place": world.compound1.pk}
    )
    assert response.status_code == 404 and WatchTarget.objects.count() == count


def test_the_key_person_category_is_offered_only_with_its_permission() -> None:
    scope = Scope(
        user_id=1,
        reach={"inspections.view": ("/1/",), "inspections.manage": ("/1/",), "people.view_special": ("/1/",)},
    )
    assert "key_person" not in dict(known_categories(scope))
    assert "key_person" not in dict(addable_categories(scope))
    assert "special_group" in dict(addable_categories(scope)) and "catering" in dict(addable_categories(scope))


def test_adding_a_place(client_for: Any, world: World, watch: Watch) -> None:
    response = client_for("community_admin").post(
        NEW,
        {
            "category": "crowded_venue",
            "tier": "medium",
            "worker": world.grid1_worker.pk,
            "place": world.compound1.pk,
            "note": "节假日人多",
            "reason": "排查发现",
        },
    )
    target = WatchTarget.objects.get(place=world.compound1, category="crowded_venue")
    assert response.status_code == 302 and response["Location"] == page(target)
    assert (target.grid, target.worker, target.frequency, target.note) == (
        world.grid1,
        world.grid1_worker,
        "monthly",
        "节假日人多",
    )
    assert WatchChange.objects.get(target=target).reason == "排查发现"


def test_adding_a_tagged_resident(client_for: Any, world: World, watch: Watch) -> None:
    wang = watch.people.wang
    people_actions.tag_resident(
        actor=None, scope=SYSTEM_SCOPE, resident=wang, kind="special_group", category="disabled"
    )
    client = client_for("community_admin")
    chosen = client.get(NEW + f"?resident={wang.pk}")
    assert "王*" in chosen.content.decode() and "王五" not in chosen.content.decode()
    response = client.post(
        NEW, {"category": "special_group", "tier": "low", "worker": world.grid2_worker.pk, "resident": wang.pk}
    )
    assert response.status_code == 302
    assert WatchTarget.objects.get(resident=wang, category="special_group").grid == world.grid2


def test_finding_places_and_residents(client_for: Any, world: World, watch: Watch) -> None:
    client = client_for("community_admin")
    response = client.get(NEW + "?place_q=面馆&resident_q=李")
    assert [p.name for p in response.context["places"]] == ["小面馆"]
    html = response.content.decode()
    assert "李*" in html and "李四" not in html and f"?resident={watch.people.li.pk}" in html


VALID = {"category": "crowded_venue", "tier": "medium", "reason": "排查发现"}


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"tier": "extreme"}, {"tier"}),
        ({"category": "bogus"}, {"category"}),
        ({"worker": "grid2_worker"}, {"worker"}),  # not on grid 1's staff
        ({"worker": ""}, {"worker"}),
        ({"place": ""}, {"place"}),
        ({"place": "other_compound"}, {"place"}),  # outside the viewer's area
        ({"tier": "", "worker": "", "place": ""}, {"tier", "worker", "place"}),
        ({"note": "长" * 501}, {"note"}),
        ({"category": "special_group", "resident": "li"}, {"resident"}),  # no such tag
        ({"category": "special_group", "resident": "999999"}, {"resident"}),
        ({"category": "special_group", "resident": "zhang"}, {"category"}),  # already watched
    ],
)
def test_bad_add_input_is_named_and_nothing_written(
    client_for: Any, world: World, watch: Watch, changes: dict[str, str], fields: set[str]
) -> None:
    people = watch.people
    values = {"worker": world.grid1_worker.pk, "place": world.compound1.pk} | VALID | changes
    named = {"grid2_worker": world.grid2_worker.pk, "other_compound": world.other_compound.pk}
    named |= {"li": people.li.pk, "zhang": people.zhang.pk}
    form = {key: named.get(str(value), value) for key, value in values.items()}
    targets, changes_count = WatchTarget.objects.count(), WatchChange.objects.count()
    visits = Visit.objects.count()
    response = client_for("community_admin").post(NEW, form)
    assert response.status_code == 400
    assert set(response.context["errors"]) == fields
    html = response.content.decode()
    assert all(f'data-error="{field}"' in html for field in fields)
    assert (WatchTarget.objects.count(), WatchChange.objects.count(), Visit.objects.count()) == (
        targets,
        changes_count,
        visits,
    )
