from datetime import date

import pytest
from django.conf import settings
from django.db import IntegrityError, transaction

from nuanxin.inspections import actions, tasks
from nuanxin.inspections.models import ChecklistTemplate, Visit
from nuanxin.inspections.tests.conftest import MONDAY, Watch
from nuanxin.testing import SYSTEM_SCOPE, World

NEXT_MONDAY = date(2024, 3, 11)


def test_adding_targets_plans_one_visit_each_and_the_job_adds_none_that_week(watch: Watch) -> None:
    assert Visit.objects.count() == 4
    assert actions.generate_due_visits(today=MONDAY) == 0
    assert actions.generate_due_visits(today=date(2024, 3, 9)) == 0
    assert Visit.objects.count() == 4


def test_running_the_job_twice_creates_nothing_twice(watch: Watch) -> None:
    assert actions.generate_due_visits(today=NEXT_MONDAY) == 2  # the two weekly targets
    assert actions.generate_due_visits(today=NEXT_MONDAY) == 0
    weekly = Visit.objects.filter(target__frequency="weekly").order_by("target_id", "due_on")
    assert [v.due_on for v in weekly] == [date(2024, 3, 10), date(2024, 3, 17)] * 2


def test_a_new_period_marks_the_visits_still_due_as_missed(watch: Watch) -> None:
    actions.generate_due_visits(today=NEXT_MONDAY)
    old = Visit.objects.get(target=watch.restaurant_target, due_on=date(2024, 3, 10))
    new = Visit.objects.get(target=watch.restaurant_target, due_on=date(2024, 3, 17))
    assert (old.state, new.state) == ("missed", "due")
    # The monthly and quarterly targets keep their visit, still due.
    assert Visit.objects.get(target=watch.hotel_target).state == "due"


def test_the_next_month_and_quarter_get_their_visits(watch: Watch) -> None:
    assert actions.generate_due_visits(today=date(2024, 4, 1)) == 4
    hotel = Visit.objects.filter(target=watch.hotel_target).order_by("due_on")
    assert [v.due_on for v in hotel] == [date(2024, 3, 31), date(2024, 6, 30)]


def test_ended_targets_get_no_visits(world: World, watch: Watch) -> None:
    actions.end_target(actor=None, scope=SYSTEM_SCOPE, target=watch.restaurant_target, reason="已停业", today=MONDAY)
    actions.generate_due_visits(today=NEXT_MONDAY)
    assert not Visit.objects.filter(target=watch.restaurant_target).exists()


def test_the_database_refuses_a_second_visit_on_the_same_day(world: World, watch: Watch) -> None:
    visit = Visit.objects.get(target=watch.restaurant_target)
    with pytest.raises(IntegrityError), transaction.atomic():
        Visit.objects.create(target=visit.target, grid=visit.grid, worker=visit.worker, due_on=visit.due_on)


def test_new_visits_use_the_current_checklist_version(watch: Watch) -> None:
    template = ChecklistTemplate.objects.get(code="food-safety")
    second = actions.publish_checklist_version(
        actor=None,
        scope=SYSTEM_SCOPE,
        template=template,
        items=[{"code": "clean", "label": "后厨整洁", "kind": "yes_no"}],
    )
    actions.generate_due_visits(today=NEXT_MONDAY)
    versions = list(
        Visit.objects.filter(target=watch.restaurant_target)
        .order_by("due_on")
        .values_list("version__number", flat=True)
    )
    assert versions == [1, second.number]


def test_the_daily_task_runs_the_job(watch: Watch) -> None:
    # The immediate backend runs it at once; today is long after the fixture's week.
    result = tasks.generate_due_visits.enqueue()
    assert result.return_value == 4
    assert ("nuanxin.inspections.tasks.generate_due_visits", 24 * 3600) in settings.NUANXIN_PERIODIC_JOBS
