"""Authorisation fails closed (docs/scope.md, "Actions take the scope").

Every action (a public function with a keyword-only `actor`) that acts on someone's behalf
takes the viewer's `scope` as a required keyword and uses it; the installation acting on its
own says so with `system_scope(...)`. The actions that take no scope are listed below with
why, so a new action without one is a decision a reviewer reads, never an omission.
"""

import ast
import importlib
import inspect
import pkgutil
import textwrap
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import nuanxin
from nuanxin.core.access import check_at
from nuanxin.core.errors import DomainError
from nuanxin.core.scoping import Scope, system_scope
from nuanxin.testing import World

# The actions without a scope, and why none is needed: each checks its actor itself, acts
# on the actor's own rows, or runs inside an action that checked the scope already.
UNSCOPED = {
    "nuanxin.accounts.actions.create_user": "an account holds nothing until a role is granted (check_may_grant)",
    "nuanxin.accounts.actions.grant_role": "checks the actor's own grants (check_may_grant; SYSTEM named on purpose)",
    "nuanxin.accounts.actions.revoke_role": "checks the actor's own grants (check_may_grant)",
    "nuanxin.accounts.actions.check_may_grant": "the check itself, on the actor",
    "nuanxin.accounts.actions.revoke_token": "the token's owner (API) or a system admin (admin site)",
    "nuanxin.accounts.actions.revoke_tokens": "a side effect of a password change, deactivation or withdrawn role",
    "nuanxin.accounts.mfa.start_enrolment": "the actor's own second factor",
    "nuanxin.accounts.mfa.confirm_enrolment": "the actor's own second factor",
    "nuanxin.accounts.mfa.verify_second_factor": "the actor's own second factor",
    "nuanxin.accounts.mfa.reset_mfa": "checks that the actor is a system admin",
    "nuanxin.cases.actions.report_case": "anyone reports; entering one for a caller checks the actor's roles",
    "nuanxin.cases.actions.start_case": "only the case's handler (checked)",
    "nuanxin.cases.actions.resolve_case": "only the case's handler (checked)",
    "nuanxin.cases.actions.add_case_photos": "only the reporter or the handler, at their stage (checked)",
    "nuanxin.cases.actions.evaluate_case": "only the reporter (checked)",
    "nuanxin.cases.actions.follow_case": "the actor follows a case they can see (the view looked it up in scope)",
    "nuanxin.cases.actions.add_host_followers": "a side effect of a report at a station",
    "nuanxin.cases.follow_links.follow_by_link": "the follow link is the proof; its holder sees that view already",
    "nuanxin.cases.catalogue.install_catalogue": "the installation's own catalogue (a command)",
    "nuanxin.cases.notices.case_reported": "a notice sent inside a checked action",
    "nuanxin.cases.notices.case_dispatched": "a notice sent inside a checked action",
    "nuanxin.cases.notices.case_transferred": "a notice sent inside a checked action",
    "nuanxin.cases.notices.case_reopened": "a notice sent inside a checked action",
    "nuanxin.cases.notices.case_escalated": "a notice sent inside a checked action",
    "nuanxin.cases.notices.tell_followers": "a notice sent inside a checked action",
    "nuanxin.core.audit.record": "the audit log itself",
    "nuanxin.core.notifications.mark_read": "the actor's own notification",
    "nuanxin.core.notifications.mark_all_read": "the actor's own notifications",
    "nuanxin.inspections.checklists.install_demo_templates": "the installation's own templates (a command)",
    "nuanxin.inspections.rectifications.issue_order": "inside record_visit, which checked the scope",
    "nuanxin.inspections.rectifications.close_order": "inside record_visit, which checked the scope",
    "nuanxin.stations.actions.check_in": "the actor's own visit to a station",
    "nuanxin.party.points.award_for_service": "a reaction to hours approved (core.changes)",
    "nuanxin.party.points.award_for_meeting": "inside life.record_meeting, which checked the scope",
    "nuanxin.stations.actions.give_feedback": "anyone at a station reports a problem (a case)",
    "nuanxin.volunteers.hours.actions.record_service": "inside check_out, which checked the scope",
    "nuanxin.volunteers.hours.actions.request_correction": "only the volunteer of the record (checked)",
    "nuanxin.volunteers.points.actions.award_service_points": "a reaction to hours approved (core.changes)",
    "nuanxin.volunteers.points.actions.award_report_points": "a reaction to a report closed (core.changes)",
    "nuanxin.volunteers.points.actions.redeem": "the actor's own points",
    "nuanxin.volunteers.points.actions.cancel_redemption": "only the volunteer's own voucher (checked)",
    "nuanxin.volunteers.signups.actions.sign_up": "the actor's own sign-up",
}


def _actions() -> Iterator[tuple[str, Callable[..., Any]]]:
    """Every action of the product: public functions taking a keyword-only `actor` (the demo's
    builders, which call the actions, aside)."""
    for info in pkgutil.walk_packages(nuanxin.__path__, "nuanxin."):
        parts = info.name.split(".")
        if {"tests", "tests_browser", "migrations", "demo", "management"} & set(parts):
            continue
        module = importlib.import_module(info.name)
        for name, function in vars(module).items():
            if name.startswith("_") or not inspect.isfunction(function) or function.__module__ != info.name:
                continue
            actor = inspect.signature(function).parameters.get("actor")
            if actor is not None and actor.kind is inspect.Parameter.KEYWORD_ONLY:
                yield f"{info.name}.{name}", function


ACTIONS = dict(_actions())
SCOPED = {name: f for name, f in ACTIONS.items() if "scope" in inspect.signature(f).parameters}


def test_the_walk_finds_the_actions() -> None:
    assert len(SCOPED) > 60 and "nuanxin.cases.actions.accept_case" in SCOPED
    assert "nuanxin.people.actions.register_resident" in SCOPED


@pytest.mark.parametrize("name", sorted(SCOPED))
def test_an_action_cannot_be_called_without_its_scope(name: str) -> None:
    """Required (no default: leaving it out is a TypeError), typed as a Scope (never None),
    and read by the action's body."""
    function = SCOPED[name]
    parameter = inspect.signature(function).parameters["scope"]
    assert parameter.default is inspect.Parameter.empty, f"{name}: the scope must be required"
    assert parameter.annotation in (Scope, "Scope"), f"{name}: the scope is a Scope, never None"
    body = ast.parse(textwrap.dedent(inspect.getsource(function))).body[0]
    assert isinstance(body, ast.FunctionDef)
    read = [n for statement in body.body for n in ast.walk(statement) if isinstance(n, ast.Name) and n.id == "scope"]
    assert read, f"{name} takes a scope it never checks"


def test_every_action_without_a_scope_says_why() -> None:
    unscoped = {name for name in ACTIONS if name not in SCOPED}
    assert unscoped - set(UNSCOPED) == set(), "a new action without a scope: take one, or list it here with why"
    assert set(UNSCOPED) - unscoped == set(), "listed as unscoped but takes a scope (or gone): drop it here"


def test_the_check_refuses_a_scope_left_out() -> None:
    with pytest.raises(TypeError):
        check_at(None, "a/", "cases.manage", message="no")  # type: ignore[arg-type]
    with pytest.raises(DomainError) as refused:
        check_at(Scope(user_id=1), "a/", "cases.manage", message="no", field="grid")
    assert (refused.value.field, refused.value.code) == ("grid", "invalid")
    with pytest.raises(DomainError) as refused:
        check_at(Scope(user_id=1, reach={"cases.view": ("a/",)}), "a/b/", "cases.manage", "cases.view", message="no")
    assert refused.value.code == "forbidden"
    check_at(
        Scope(user_id=1, reach={"cases.view": ("a/",)}), "a/b/", "cases.manage", "cases.view", message="", any_of=True
    )
    check_at(system_scope("a test"), "a/b/", "cases.manage", message="")
    with pytest.raises(ValueError):
        system_scope("")


def test_an_action_given_none_for_its_scope_writes_nothing(world: World) -> None:
    from nuanxin.territory.actions import create_place
    from nuanxin.territory.models import Place

    before = Place.objects.count()
    with pytest.raises(TypeError):
        create_place(actor=None, scope=None, kind="compound", name="无权院", lng=102.701, lat=24.981)  # type: ignore[arg-type]
    assert Place.objects.count() == before
