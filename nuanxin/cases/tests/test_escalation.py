"""Time limits on the work calendar, and the escalation job."""

from datetime import timedelta

from django.core.management import call_command

from nuanxin.cases.actions import escalate_overdue_cases
from nuanxin.cases.models import Case
from nuanxin.cases.tasks import escalate_overdue
from nuanxin.core.models import AuditEntry


def test_acceptance_deadline_follows_the_class_time_limit(world, report):
    case = report("stove-left-on")  # urgent: half a working hour to accept
    normal = report("sanitation")  # four working hours
    assert case.deadline < normal.deadline


def test_overdue_case_is_supervised_and_escalated_once(world, report):
    case = report("sanitation")
    later = case.deadline + timedelta(minutes=1)
    assert escalate_overdue_cases(now=later) == 1
    case.refresh_from_db()
    assert case.level == "community" and case.handler is None
    assert list(case.events.values_list("kind", flat=True)) == ["reported", "supervised", "escalated"]
    assert case.deadline > later
    # The job acts with its system scope; its entries name the installation, never no one.
    entries = AuditEntry.objects.filter(object_id=str(case.pk), action__in=("cases.supervised", "cases.escalated"))
    assert sorted(entries.values_list("action", "actor_id", "role")) == [
        ("cases.escalated", None, "system"),
        ("cases.supervised", None, "system"),
    ]
    assert escalate_overdue_cases(now=later) == 0  # idempotent


def test_cases_within_their_time_limit_are_left_alone(world, report):
    case = report("sanitation")
    assert escalate_overdue_cases(now=case.deadline - timedelta(minutes=1)) == 0
    assert Case.objects.get(pk=case.pk).level == "grid"


def test_closed_cases_never_escalate(world, report):
    from nuanxin.accounts.scope import scope_of
    from nuanxin.cases.actions import reject_case

    admin = world.community_admin
    case = reject_case(
        actor=admin, scope=scope_of(admin), case=report("sanitation"), reason="无需处理", closure="no_action"
    )
    assert escalate_overdue_cases(now=case.reported_at + timedelta(days=30)) == 0


def test_the_task_and_the_command_run_the_same_job(world, report, settings):
    report("sanitation")
    assert escalate_overdue.call() == 0  # nothing overdue yet
    call_command("escalate_overdue_cases", stdout=open("/dev/null", "w"))  # noqa: SIM115
    result = escalate_overdue.enqueue()  # the immediate backend in tests
    assert result.return_value == 0


def test_installing_the_catalogue_twice_adds_nothing_the_second_time(db):
    from io import StringIO

    first, second = StringIO(), StringIO()
    call_command("install_case_catalogue", stdout=first)
    call_command("install_case_catalogue", stdout=second)
    assert first.getvalue().strip().endswith("13") and second.getvalue().strip().endswith(": 0")


def test_emergency_limits_run_around_the_clock_and_others_on_the_work_calendar(world, catalogue):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from nuanxin.cases.actions import deadline_for

    sunday_dawn = datetime(2024, 6, 2, 5, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    urgent = deadline_for(catalogue["stove-left-on"], "reported", sunday_dawn)
    normal = deadline_for(catalogue["sanitation"], "reported", sunday_dawn)
    assert urgent - sunday_dawn == timedelta(minutes=30)
    assert normal.astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat() == "2024-06-03"  # Monday


def _escalate_to_street(case):
    from nuanxin.cases.actions import TIME_LIMITS, escalate_case

    for _step in range(2):  # grid -> community -> street (the time-limit job's way)
        case = escalate_case(actor=None, scope=TIME_LIMITS, case=case, reason="逾期")
    assert case.level == "street"
    return case


def test_street_staff_may_not_take_steps_on_a_case_not_escalated_to_the_street(world, report, client_for):
    case = report("sanitation")  # grid level, in grid 1: within the street's reach
    street = client_for("street_staff")
    response = street.post(f"/api/v1/cases/{case.pk}/steps", {"step": "accept"}, content_type="application/json")
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    street.post(f"/cases/{case.pk}/step/", {"step": "accept"})  # the page: a message, nothing changes
    response = street.post(
        f"/api/v1/cases/{case.pk}/steps", {"step": "escalate", "note": "上报"}, content_type="application/json"
    )
    assert response.status_code == 403
    case.refresh_from_db()
    assert (case.state, case.level, case.version) == ("reported", "grid", 0)
    allowed = client_for("community_admin").post(
        f"/api/v1/cases/{case.pk}/steps", {"step": "accept"}, content_type="application/json"
    )
    assert allowed.status_code == 200 and allowed.json()["state"] == "accepted"


def test_street_staff_handle_a_case_escalated_to_the_street(world, report, client_for):
    case = _escalate_to_street(report("sanitation"))
    street = client_for("street_staff")
    response = street.post(
        f"/api/v1/cases/{case.pk}/steps", {"step": "escalate", "note": "需要外部单位"}, content_type="application/json"
    )
    assert response.status_code == 200, response.json()
    case.refresh_from_db()
    assert case.level == "agency"


def test_street_staff_take_a_step_on_the_page_of_a_case_escalated_to_them(world, report, client_for):
    case = _escalate_to_street(report("sanitation"))
    client_for("street_staff").post(
        f"/cases/{case.pk}/step/", {"step": "dispatch", "handler": world.street_staff.pk, "note": "街道处理"}
    )
    case.refresh_from_db()
    assert (case.state, case.handler_id) == ("dispatched", world.street_staff.pk)
