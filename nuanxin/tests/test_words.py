"""Every word a person reads is Chinese: the catalogue has a translation for every message,
and pages show labels, never the codes stored behind them (a state, a level, a kind)."""

import ast
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib import admin
from django.utils import translation

from nuanxin.accounts.scope import scope_of
from nuanxin.cases import actions as case_actions
from nuanxin.cases.actions import report_case
from nuanxin.cases.models import CaseEvent
from nuanxin.core.admin import ADMIN_VERBS
from nuanxin.core.audit_labels import label_of

CATALOGUE = Path(__file__).resolve().parents[1] / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext's msgfmt is installed by make")
def test_every_message_has_a_chinese_translation():
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(CATALOGUE)],
        capture_output=True,
        text=True,
        check=False,
        env={"LC_ALL": "C"},
    )
    assert result.returncode == 0, result.stderr
    assert "fuzzy" not in result.stderr and "untranslated" not in result.stderr, result.stderr


class VisibleText(HTMLParser):
    """The text a person sees: no scripts, styles, JSON data or attribute values."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self.hidden += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template"):
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def visible(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return " ".join(parser.parts)


def stored_codes() -> set[str]:
    """The codes of every choice field of the project's models ("in_progress", "grid"…)."""
    codes = set()
    for model in apps.get_models():
        if not model.__module__.startswith("nuanxin."):
            continue
        for field in model._meta.get_fields():
            for value, _label in getattr(field, "flatchoices", None) or ():
                if isinstance(value, str) and re.fullmatch(r"[a-z][a-z_]+", value):
                    codes.add(value)
    return codes


def test_pages_show_labels_not_the_codes_behind_them(world, catalogue, client_for):
    leader = world.users["grid1_leader"]
    case = report_case(
        actor=world.users["rider"],
        case_class=catalogue["sanitation"],
        description="楼道里堆满了纸箱",
        lng=102.7011,
        lat=24.9811,
        channel="phone_page",
    )
    case = case_actions.accept_case(actor=leader, scope=scope_of(leader), case=case)
    case_actions.escalate_case(actor=leader, scope=scope_of(leader), case=case, reason="需要社区协调")
    # The test world's people are named after their personas ("rider", "community_admin").
    names = {n for user in world.users.values() for n in (user.username, user.display_name, str(user))}
    codes = stored_codes() - names
    assert {"in_progress", "grid", "community", "open"} <= codes  # what the test looks for
    pages = {
        "community_admin": [
            "/console/",
            "/cases/",
            f"/cases/{case.pk}/",
            "/cases/map/",
            "/territory/",
            f"/territory/areas/{world.community.pk}/",
            "/inspections/",
            "/activities/",
            "/stations/manage/",
        ],
        "grid1_worker": ["/field/", "/inspections/visits/", f"/cases/{case.pk}/"],
        "rider": ["/field/", "/stations/", "/stations/near/", "/cases/mine/"],
        "auditor": ["/audit/"],
    }
    found = {}
    for persona, urls in pages.items():
        client = client_for(persona)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (persona, url, response.status_code)
            words = set(re.findall(r"(?<![\w/.-])[a-z][a-z_]+(?![\w/.-])", visible(response.content.decode())))
            shown = words & codes
            if shown:
                found[(persona, url)] = sorted(shown)
    assert not found, found


def recorded_actions() -> tuple[set[str], set[str]]:
    """The audit actions the project's code records (`audit.record(...)`): whole codes, and the
    prefixes of the codes it builds (f"cases.{kind}")."""
    codes, prefixes = set(), set()
    root = Path(__file__).resolve().parents[1]
    for path in root.rglob("*.py"):
        if {"tests", "tests_browser", "migrations"} & set(path.relative_to(root).parts):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            func = getattr(node, "func", None)
            if not (
                isinstance(func, ast.Attribute) and func.attr == "record" and getattr(func.value, "id", "") == "audit"
            ):
                continue
            action = node.args[0]
            if isinstance(action, ast.JoinedStr):
                prefixes.add(action.values[0].value)
            else:  # a code, or a choice of codes ("a" if approve else "b")
                codes |= {c.value for c in ast.walk(action) if isinstance(c, ast.Constant) and isinstance(c.value, str)}
    return codes, prefixes


def test_the_audit_log_names_every_action_the_code_records():
    codes, prefixes = recorded_actions()
    assert {"cases.reported", "people.revealed", "hours.correction_approved"} <= codes  # what the scan finds
    assert prefixes == {"cases.", "admin."}, "a new family of codes: name it and add its codes below"
    codes |= {f"cases.{step}" for step in CaseEvent.Kind}
    codes |= {f"admin.{model._meta.model_name}_{verb}" for model in admin.site._registry for verb in ADMIN_VERBS}
    with translation.override("zh-hans"):
        unnamed = sorted(code for code in codes if label_of(code) == code)
        untranslated = sorted(code for code in codes if re.fullmatch(r"[\x00-\x7f]+", label_of(code)))
    assert not unnamed, f"name these in their app's AUDIT_LABELS: {unnamed}"
    assert not untranslated, untranslated
