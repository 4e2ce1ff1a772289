"""The person a case is routed to takes it on, and every new case reaches people who can.

A grid-level case is routed to its grid's responsible worker (its handler): they accept it and
start it (no dispatch needed), or tap "handle now" to do both at once; the grid's leader still
sees it and may dispatch it to someone else. Every new case tells its grid's worker and
leaders, and the managers of its level; a node without managers passes that on to the next
one up. The walk at the end takes every class of the starting catalogue from report to close
with only the people the routing named.
"""

from typing import Any

import pytest

from nuanxin.accounts import actions as account_actions
from nuanxin.accounts.models import RoleGrant
from nuanxin.accounts.scope import scope_of
from nuanxin.cases import actions
from nuanxin.cases.models import Case, CaseEvent
from nuanxin.core.audit import SYSTEM
from nuanxin.core.errors import DomainError
from nuanxin.core.models import AuditEntry, Notification
from nuanxin.testing import PASSWORD, photo_upload

GRID2 = {"lng": 102.7031, "lat": 24.9811}


@pytest.fixture(autouse=True)
def _in_app_only(settings: Any, tmp_path: Any) -> None:
    settings.EMAIL_HOST = ""
    settings.NUANXIN_WEBHOOK_URL = ""
    settings.MEDIA_ROOT = tmp_path


def _scope(user: Any) -> Any:
    user.__dict__.pop("_nuanxin_scope", None)
    return scope_of(user)


def _second_worker(world: Any) -> Any:
    """A grid worker of grid 1 who is not on duty: cases are not routed to them."""
    user = account_actions.create_user(actor=None, username="grid1-worker-b", password=PASSWORD)
    account_actions.grant_role(actor=SYSTEM, user=user, role="grid_worker", area=world.grid1)
    return user


def told(case: Case, kind: str | None = None) -> set[str]:
    notes = Notification.objects.filter(url=f"/cases/{case.pk}/")
    if kind:
        notes = notes.filter(kind=kind)
    return set(notes.values_list("recipient__username", flat=True))


# Taking a case on


def test_the_worker_a_case_is_routed_to_accepts_starts_and_resolves_it(world, report):
    worker, leader = world.grid1_worker, world.grid1_leader
    case = report("sanitation", by=world.resident)
    assert case.handler == worker
    case = actions.accept_case(actor=worker, scope=_scope(worker), case=case)
    case = actions.start_case(actor=worker, case=case)  # no dispatch: the case is theirs already
    case = actions.resolve_case(actor=worker, case=case, note="已清运", photos=[photo_upload()])
    case = actions.verify_case(actor=leader, scope=_scope(leader), case=case)
    case = actions.close_case(actor=leader, scope=_scope(leader), case=case)
    assert (case.state, case.closure) == ("closed", "fixed")
    kinds = list(case.events.values_list("kind", "actor__username"))
    assert kinds[1:3] == [("accepted", "grid1-worker"), ("started", "grid1-worker")]


@pytest.mark.parametrize("who", ["grid2_worker", "second_worker", "grid1_helper", "resident", "rider"])
def test_nobody_but_the_handler_or_a_manager_accepts(world, report, who):
    # Another grid's worker, a worker of the same grid the case is not routed to, a helper
    # who sees the grid's cases, a resident, a rider (the reporter): all refused.
    user = _second_worker(world) if who == "second_worker" else world.users[who]
    case = report("sanitation", by=world.rider)
    with pytest.raises(DomainError) as refused:
        actions.accept_case(actor=user, scope=_scope(user), case=case)
    assert refused.value.code == "forbidden"
    with pytest.raises(DomainError) as refused:
        actions.accept_and_start_case(actor=user, scope=_scope(user), case=case)
    assert refused.value.code == "forbidden"
    case.refresh_from_db()
    assert (case.state, case.version) == ("reported", 0)


def test_a_handler_who_no_longer_works_in_the_grid_cannot_accept(world, report):
    worker = world.grid1_worker
    case = report("sanitation", by=world.rider)
    account_actions.revoke_role(actor=SYSTEM, grant=RoleGrant.objects.get(user=worker, role="grid_worker"))
    with pytest.raises(DomainError) as refused:
        actions.accept_case(actor=worker, scope=_scope(worker), case=case)
    assert refused.value.code == "forbidden"


def test_the_handler_may_not_reject_a_case(world, report):
    worker = world.grid1_worker
    case = report("sanitation", by=world.rider)
    with pytest.raises(DomainError) as refused:
        actions.reject_case(actor=worker, scope=_scope(worker), case=case, reason="不归我管", closure="referred")
    assert refused.value.code == "forbidden"


def test_the_leader_sees_the_routed_case_and_redirects_it_to_someone_else(world, report, client_for):
    worker, leader, other = world.grid1_worker, world.grid1_leader, _second_worker(world)
    case = report("sanitation", by=world.rider)
    assert case.number in client_for("grid1_leader").get("/cases/").content.decode()
    case = actions.accept_case(actor=worker, scope=_scope(worker), case=case)
    case = actions.dispatch_case(actor=leader, scope=_scope(leader), case=case, handler=other)
    with pytest.raises(DomainError):
        actions.start_case(actor=worker, case=case)  # no longer theirs
    case = actions.start_case(actor=other, case=case)
    assert (case.state, case.handler) == ("in_progress", other)
    assert told(case, "cases.dispatched") == {"grid1-worker-b"}


def test_a_case_of_the_community_level_is_routed_to_no_worker_and_its_managers_take_it_on(world, report):
    staff = world.community_staff
    case = report("damaged-facility", by=world.rider)
    assert case.handler is None
    with pytest.raises(DomainError):
        actions.accept_case(actor=world.grid1_worker, scope=_scope(world.grid1_worker), case=case)
    case = actions.accept_case(actor=staff, scope=_scope(staff), case=case)
    assert case.state == "accepted"


# Handle now: accept and start in one step


def test_handle_now_accepts_and_starts_in_one_step_audited_as_both(world, report):
    worker = world.grid1_worker
    case = report("stove-left-on", by=world.rider)
    case = actions.accept_and_start_case(actor=worker, scope=_scope(worker), case=case)
    assert (case.state, case.handler, case.version) == ("in_progress", worker, 2)
    steps = list(case.events.order_by("id").values_list("kind", "from_state", "to_state", "actor__username"))
    assert steps[1:] == [
        ("accepted", "reported", "accepted", "grid1-worker"),
        ("started", "accepted", "in_progress", "grid1-worker"),
    ]
    audited = AuditEntry.objects.filter(object_id=str(case.pk), action__in=["cases.accepted", "cases.started"])
    assert sorted(audited.values_list("action", flat=True)) == ["cases.accepted", "cases.started"]
    assert set(audited.values_list("actor_id", flat=True)) == {worker.pk}


def test_handle_now_is_the_handlers_only_and_only_while_the_case_is_reported(world, report):
    worker, leader = world.grid1_worker, world.grid1_leader
    case = report("stove-left-on", by=world.rider)
    with pytest.raises(DomainError) as refused:  # the leader manages it but is not its handler
        actions.accept_and_start_case(actor=leader, scope=_scope(leader), case=case)
    assert refused.value.code == "forbidden"
    case = actions.accept_case(actor=leader, scope=_scope(leader), case=case)
    with pytest.raises(DomainError) as refused:
        actions.accept_and_start_case(actor=worker, scope=_scope(worker), case=case)
    assert refused.value.code == "invalid_transition"
    case.refresh_from_db()
    assert (case.state, case.version) == ("accepted", 1)  # nothing of the refused tap stayed


def test_handle_now_over_the_api(world, report, client_for):
    case = report("vulnerable-person", by=world.rider)
    answer = client_for("grid1_worker").post(
        f"/api/v1/cases/{case.pk}/steps", {"step": "accept_and_start"}, content_type="application/json"
    )
    assert answer.status_code == 200 and answer.json()["state"] == "in_progress"
    other = report("vulnerable-person", by=world.rider)
    refused = client_for("grid1_leader").post(
        f"/api/v1/cases/{other.pk}/steps", {"step": "accept_and_start"}, content_type="application/json"
    )
    assert refused.status_code == 403


# The case page


def test_the_handler_gets_one_handle_now_button_on_the_case_page(world, report, client_for):
    case = report("stove-left-on", by=world.rider)
    worker_page = client_for("grid1_worker").get(f"/cases/{case.pk}/").content.decode()
    assert worker_page.count('value="accept_and_start"') == 1 and "立即处置" in worker_page
    assert 'value="accept"' in worker_page
    for persona in ("grid1_leader", "community_staff"):  # they accept; the handler starts
        page = client_for(persona).get(f"/cases/{case.pk}/").content.decode()
        assert 'value="accept_and_start"' not in page and 'value="accept"' in page, persona
    assert 'value="accept"' not in client_for("grid1_helper").get(f"/cases/{case.pk}/").content.decode()
    response = client_for("grid1_worker").post(f"/cases/{case.pk}/step/", {"step": "accept_and_start"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == "in_progress"
    page = client_for("grid1_worker").get(f"/cases/{case.pk}/").content.decode()
    assert 'value="resolve"' in page and 'value="accept_and_start"' not in page


def test_the_handler_starts_an_accepted_case_from_the_page(world, report, client_for):
    leader = world.grid1_leader
    case = actions.accept_case(actor=leader, scope=_scope(leader), case=report("sanitation", by=world.rider))
    assert 'value="start"' in client_for("grid1_worker").get(f"/cases/{case.pk}/").content.decode()
    assert 'value="start"' not in client_for("grid1_leader").get(f"/cases/{case.pk}/").content.decode()


def test_the_timeline_names_the_levels(world, report, client_for):
    leader = world.grid1_leader
    case = report("sanitation", by=world.rider)
    actions.escalate_case(actor=leader, scope=_scope(leader), case=case, reason="需要社区协调")
    page = client_for("community_staff").get(f"/cases/{case.pk}/").content.decode()
    assert "网格 → 社区" in page and "grid → community" not in page


# Who hears of a new case


def test_an_emergency_tells_its_handler_to_handle_it_now_and_the_others_to_act(world, report):
    case = report("stove-left-on", by=world.rider)
    assert told(case) == {"grid1-worker", "grid1-leader", "community-admin", "community-staff"}
    mine = Notification.objects.get(recipient=world.grid1_worker)
    theirs = Notification.objects.get(recipient=world.grid1_leader)
    assert mine.title == theirs.title and mine.title.startswith("【紧急】")
    assert "立即处置" in mine.body and mine.body != theirs.body
    assert mine.url == f"/cases/{case.pk}/"


def test_a_case_of_a_higher_level_tells_the_grids_people_and_the_managers_of_its_level(world, report):
    community = report("neighbour-dispute", by=world.rider)
    assert told(community, "cases.reported") == {"grid1-worker", "grid1-leader", "community-admin", "community-staff"}
    street = report("food-safety", by=world.rider)
    assert told(street, "cases.reported") == {"grid1-worker", "grid1-leader", "street-staff"}


def test_a_grid_without_a_leader_passes_its_notice_to_the_communitys_managers(world, report):
    case = report("sanitation", by=world.rider, **GRID2)
    assert case.handler == world.grid2_worker
    assert told(case, "cases.reported") == {"grid2-worker", "community-admin", "community-staff"}


def test_nobody_is_told_who_cannot_act_on_the_case(world, report):
    # With the community's managers gone, a grid-level case of grid 2 would pass up to the
    # street; street staff act only on cases escalated to them, so they are not told.
    for grant in RoleGrant.objects.filter(area=world.community, role__in=["community_admin", "community_staff"]):
        account_actions.revoke_role(actor=SYSTEM, grant=grant)
    case = report("sanitation", by=world.rider, **GRID2)
    assert told(case, "cases.reported") == {"grid2-worker"}
    street = report("food-safety", by=world.rider, **GRID2)  # escalated to them from the start
    assert told(street, "cases.reported") == {"grid2-worker", "street-staff"}


def test_a_case_transferred_to_another_grid_reaches_its_people_and_its_worker_takes_it_on(world, report):
    staff, worker = world.community_staff, world.grid2_worker
    case = report("sanitation", by=world.rider)
    case = actions.transfer_case(actor=staff, scope=_scope(staff), case=case, grid=world.grid2, reason="在二网格")
    assert (case.state, case.handler) == ("accepted", worker)
    # Grid 2 has no leader: its worker and the community's managers (but the one who moved it).
    assert told(case, "cases.transferred") == {"grid2-worker", "community-admin"}
    case = actions.start_case(actor=worker, case=case)
    assert case.state == "in_progress"


def test_whoever_reports_is_not_told_of_their_own_report(world, report):
    case = report("sanitation", by=world.grid1_worker, channel="inspection")
    assert told(case) == {"grid1-leader"}


# Every class, from report to close, with the people the routing names


def _by_someone(case: Case, people: list[Any], step: str, **extra: Any) -> Case:
    """The step taken by the first of `people` allowed to take it; the test fails if none is."""
    for person in people:
        try:
            return actions.apply_step(actor=person, scope=_scope(person), case=case, step=step, **extra)
        except DomainError as refused:
            if refused.code != "forbidden":
                raise
    pytest.fail(f"{case.case_class.code}: nobody the routing named may {step} it ({[str(p) for p in people]})")


def _dispatched(case: Case, people: list[Any]) -> Case:
    """Dispatched by one of `people` to one of them who handles cases there."""
    for handler in people:
        try:
            return _by_someone(case, people, "dispatch", handler=handler)
        except DomainError as refused:
            if refused.field != "handler":
                raise
    pytest.fail(f"{case.case_class.code}: nobody the routing named handles it")


@pytest.mark.parametrize("where", [{}, GRID2], ids=["grid with a leader", "grid without a leader"])
def test_every_class_goes_from_report_to_close_with_only_the_people_its_routing_names(world, catalogue, report, where):
    assert len(catalogue) == 13
    for code in catalogue:
        case = report(code, by=world.resident, **where)
        # The people the routing names: those it told of the case (its handler among them).
        named = [n.recipient for n in Notification.objects.filter(url=f"/cases/{case.pk}/").order_by("id")]
        assert named, code
        if case.handler is not None:
            assert case.handler in named, code
        if case.emergency:
            case = actions.accept_and_start_case(actor=case.handler, scope=_scope(case.handler), case=case)
        else:
            case = _by_someone(case, named, "accept")
            if case.handler is None:
                case = _dispatched(case, named)
            case = actions.start_case(actor=case.handler, case=case)
        assert case.handler in named, code
        case = actions.resolve_case(actor=case.handler, case=case, note="已处理", photos=[photo_upload()])
        case = _by_someone(case, named, "verify")
        case = _by_someone(case, named, "close")
        assert (case.state, case.closure) == ("closed", "fixed"), code
        assert not case.events.filter(kind=CaseEvent.Kind.SUPERVISED).exists()
