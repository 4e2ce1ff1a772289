"""The phone page of a worker's due visits: their own visits in today / this week / overdue,
key persons hidden from a worker without the permission, login and permission required."""

from datetime import date
from typing import Any

import pytest
import time_machine

from nuanxin.core.errors import DomainError
from nuanxin.inspections import actions
from nuanxin.inspections.models import Visit, WatchTarget
from nuanxin.inspections.tests.conftest import MONDAY, Watch
from nuanxin.testing import SYSTEM_SCOPE, World

URL = "/inspections/visits/"
# Targets added on Monday 4 March 2024; the daily job run on Monday 29 April 2024 marks the
# March visits missed and plans the restaurant's (weekly) for Sunday 5 May, the special
# group's (monthly) for Tuesday 30 April.
PLANNED_ON = date(2024, 4, 29)
TUESDAY = "2024-04-30 09:00:00+08:00"


def section_visits(response: Any, name: str) -> set[tuple[int, date]]:
    return {(v.target_id, v.due_on) for v in getattr(response.context["sections"], name)}


def test_the_worker_sees_own_visits_sorted_into_today_this_week_and_overdue(client_for: Any, watch: Watch) -> None:
    actions.generate_due_visits(today=PLANNED_ON)
    restaurant, special = watch.restaurant_target.pk, watch.special_target.pk
    with time_machine.travel(TUESDAY, tick=False):
        response = client_for("grid1_worker").get(URL)
    assert response.status_code == 200
    assert section_visits(response, "today") == {(special, date(2024, 4, 30))}
    assert section_visits(response, "this_week") == {(restaurant, date(2024, 5, 5))}
    assert section_visits(response, "overdue") == {(restaurant, date(2024, 3, 10)), (special, date(2024, 3, 31))}
    html = response.content.decode()
    assert "小面馆" in html and "张*" in html and "张三" not in html
    assert "餐饮服务" in html and "高风险" in html and "2024-05-05" in html  # the labels, in Chinese


def test_visits_due_after_this_week_are_one_tap_away_under_later(client_for: Any, watch: Watch) -> None:
    actions.generate_due_visits(today=PLANNED_ON)
    # The Thursday before: this week ends on Sunday 28 April; both planned visits come later.
    with time_machine.travel("2024-04-25 09:00:00+08:00", tick=False):
        response = client_for("grid1_worker").get(URL)
    later = {(watch.special_target.pk, date(2024, 4, 30)), (watch.restaurant_target.pk, date(2024, 5, 5))}
    assert section_visits(response, "later") == later
    assert section_visits(response, "today") == section_visits(response, "this_week") == set()
    html = response.content.decode()
    assert 'href="#later"' in html and "稍后 (2)" in html


def test_a_visit_still_due_from_before_today_is_overdue(client_for: Any, watch: Watch) -> None:
    actions.generate_due_visits(today=PLANNED_ON)
    # The next Monday, before the daily job has run: both planned visits are past due.
    with time_machine.travel("2024-05-06 09:00:00+08:00", tick=False):
        response = client_for("grid1_worker").get(URL)
    overdue = section_visits(response, "overdue")
    assert {(watch.restaurant_target.pk, date(2024, 5, 5)), (watch.special_target.pk, date(2024, 4, 30))} <= overdue
    assert section_visits(response, "today") == section_visits(response, "this_week") == set()


def test_another_workers_visits_do_not_show(client_for: Any, watch: Watch) -> None:
    actions.generate_due_visits(today=PLANNED_ON)
    assert Visit.objects.filter(target=watch.hotel_target).exists()
    with time_machine.travel(TUESDAY, tick=False):
        response = client_for("grid1_worker").get(URL)
    shown = {t for name in ("today", "this_week", "overdue") for t, _ in section_visits(response, name)}
    assert watch.hotel_target.pk not in shown
    assert "快捷旅馆" not in response.content.decode()
    with time_machine.travel(TUESDAY, tick=False):
        other = client_for("grid2_worker").get(URL)
    assert watch.hotel_target.pk in {t for t, _ in section_visits(other, "overdue")}
    assert "小面馆" not in other.content.decode()


def test_a_key_person_cannot_be_given_to_a_worker_who_may_not_know_of_them(world: World, watch: Watch) -> None:
    """So no worker's list of visits can ever hold a visit they may not see."""
    admin = world.community_admin
    actions.end_target(actor=admin, scope=SYSTEM_SCOPE, target=watch.key_target, reason="换人负责", today=MONDAY)
    before = WatchTarget.objects.count()
    with pytest.raises(DomainError) as refused:
        actions.add_target(
            actor=admin,
            scope=SYSTEM_SCOPE,
            category="key_person",
            tier="high",
            worker=world.grid1_worker,
            resident=watch.people.zhang,
            today=MONDAY,
        )
    assert refused.value.field == "worker"
    assert WatchTarget.objects.count() == before


def test_a_rider_gets_404(client_for: Any, watch: Watch) -> None:
    assert client_for("rider").get(URL).status_code == 404


def test_an_anonymous_visitor_is_sent_to_login(client: Any, watch: Watch) -> None:
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_field_home_links_to_the_visits_only_for_those_who_may_see_them(client_for: Any, world: World) -> None:
    assert URL in client_for("grid1_worker").get("/field/").content.decode()
    assert URL not in client_for("rider").get("/field/").content.decode()


def test_overdue_reaches_back_one_quarter(client_for: Any, watch: Any) -> None:
    """A visit missed long ago is no longer listed as overdue; one missed last month is."""
    from datetime import timedelta

    from django.utils import timezone

    from nuanxin.inspections.models import Visit

    today = timezone.localdate()
    target = watch.restaurant_target
    old = Visit.objects.create(
        target=target,
        category=target.category,
        place=target.place,
        grid=target.grid,
        worker=target.worker,
        due_on=today - timedelta(days=200),
        state=Visit.State.MISSED,
    )
    recent = Visit.objects.create(
        target=target,
        category=target.category,
        place=target.place,
        grid=target.grid,
        worker=target.worker,
        due_on=today - timedelta(days=20),
        state=Visit.State.MISSED,
    )
    response = client_for("grid1_worker").get("/inspections/visits/")
    overdue = [v.pk for v in response.context["sections"].overdue]
    assert recent.pk in overdue and old.pk not in overdue
