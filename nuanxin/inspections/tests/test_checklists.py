from typing import Any

import pytest
from django.core.management import call_command

from nuanxin.accounts.scope import scope_of
from nuanxin.core.errors import DomainError
from nuanxin.inspections import actions
from nuanxin.inspections.checklists import DEMO_TEMPLATES, install_demo_templates, template_for
from nuanxin.inspections.models import ChecklistTemplate, ChecklistVersion, Visit
from nuanxin.inspections.tests.conftest import Watch
from nuanxin.testing import SYSTEM_SCOPE, World


def test_the_demo_templates_install_once(db: Any) -> None:
    assert install_demo_templates(actor=None) == len(DEMO_TEMPLATES)
    assert install_demo_templates(actor=None) == 0
    codes = set(ChecklistTemplate.objects.values_list("code", flat=True))
    assert codes == {"fire-safety", "food-safety", "elderly-care", "key-person", "generic"}
    assert all(t.current_version().number == 1 for t in ChecklistTemplate.objects.all())  # type: ignore[union-attr]


def test_the_install_command_keeps_existing_templates(db: Any, capsys: Any) -> None:
    install_demo_templates(actor=None)
    ChecklistTemplate.objects.filter(code="generic").update(name="本社区通用巡查")
    call_command("install_checklists")
    assert "checklist templates added: 0" in capsys.readouterr().out
    assert ChecklistTemplate.objects.get(code="generic").name == "本社区通用巡查"


@pytest.mark.parametrize(
    ("category", "code"),
    [
        ("catering", "food-safety"),
        ("small_hotel", "fire-safety"),
        ("key_person", "key-person"),
        ("construction_site", "generic"),
    ],
)
def test_each_category_uses_its_template(db: Any, category: str, code: str) -> None:
    install_demo_templates(actor=None)
    assert template_for(category).code == code  # type: ignore[union-attr]


def test_publishing_a_version_never_changes_the_one_a_visit_used(world: World, watch: Watch) -> None:
    template = ChecklistTemplate.objects.get(code="food-safety")
    first = template.current_version()
    assert first is not None
    old_items = first.items
    visit = Visit.objects.get(target=watch.restaurant_target)
    assert visit.version == first
    admin = world.community_admin
    second = actions.publish_checklist_version(
        actor=admin,
        scope=scope_of(admin),
        template=template,
        items=[
            {"code": "clean", "label": "后厨整洁", "kind": "yes_no", "hazard": {"when": [False], "severity": "minor"}}
        ],
    )
    assert second.number == 2 and template.current_version() == second
    first.refresh_from_db()
    visit.refresh_from_db()
    assert first.items == old_items and visit.version == first
    first.items = []
    with pytest.raises(PermissionError):
        first.save()


def test_only_a_watchlist_manager_publishes_checklists(world: World, watch: Watch) -> None:
    worker = world.grid1_worker
    template = ChecklistTemplate.objects.get(code="generic")
    with pytest.raises(DomainError) as refused:
        actions.publish_checklist_version(
            actor=worker, scope=scope_of(worker), template=template, items=[{"code": "a", "label": "A", "kind": "text"}]
        )
    assert refused.value.code == "forbidden"
    assert ChecklistVersion.objects.filter(template=template).count() == 1


@pytest.mark.parametrize(
    "items",
    [
        [],
        "not a list",
        [{"code": "a", "label": "A", "kind": "slider"}],
        [{"code": "a", "label": "A", "kind": "text"}, {"code": "a", "label": "B", "kind": "text"}],
        [{"code": "", "label": "A", "kind": "text"}],
        [{"code": "a", "label": "A", "kind": "choice", "choices": [{"key": "x", "label": "X"}]}],
        [
            {
                "code": "a",
                "label": "A",
                "kind": "choice",
                "choices": [{"key": "x", "label": "X"}, {"key": "y", "label": "Y"}],
                "hazard": {"when": ["z"], "severity": "major"},
            }
        ],
        [{"code": "a", "label": "A", "kind": "yes_no", "hazard": {"when": ["no"], "severity": "major"}}],
        [{"code": "a", "label": "A", "kind": "yes_no", "hazard": {"when": [False], "severity": "fatal"}}],
        [{"code": "a", "label": "A", "kind": "number", "hazard": {"severity": "minor"}}],
        [{"code": "a", "label": "A", "kind": "text", "hazard": {"when": ["x"], "severity": "minor"}}],
    ],
)
def test_malformed_items_are_refused_and_nothing_is_published(world: World, watch: Watch, items: Any) -> None:
    template = ChecklistTemplate.objects.get(code="generic")
    with pytest.raises(DomainError) as refused:
        actions.publish_checklist_version(actor=None, scope=SYSTEM_SCOPE, template=template, items=items)
    assert refused.value.field == "items"
    assert ChecklistVersion.objects.filter(template=template).count() == 1
