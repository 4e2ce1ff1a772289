"""The apps depend one way (issue 16, docs/decisions/0005-changes-and-events.md):

    core ← territory ← accounts ← people, cases, inspections, ledgers, volunteers,
    stations, open311 ← insights ← demo

An app imports only from its own layer or below, function-local imports included; what a
lower app's writes mean to a higher one travels through core.changes (watchers, events)."""

import ast
from pathlib import Path

from django.conf import settings

LAYERS = {
    "core": 0,
    "territory": 1,
    "accounts": 2,
    **dict.fromkeys(("people", "cases", "inspections", "ledgers", "volunteers", "stations", "open311"), 3),
    "insights": 4,
    "demo": 5,
}
PACKAGE = Path(settings.BASE_DIR) / "nuanxin"


def _imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
    return [name for name in found if name.startswith("nuanxin.")]


def test_every_app_is_listed_in_a_layer() -> None:
    apps = {p.parent.name for p in PACKAGE.glob("*/apps.py")}
    assert apps == set(LAYERS)


def test_no_app_imports_one_above_it() -> None:
    upward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).parts
        if parts[0] not in LAYERS or "tests" in parts or "migrations" in parts:
            continue
        for name in _imports(path):
            there = name.split(".")[1]
            if LAYERS.get(there, -1) > LAYERS[parts[0]]:
                upward.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert upward == []


def test_the_check_sees_a_function_local_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from nuanxin.insights import rollups\n", encoding="utf-8")
    assert _imports(module) == ["nuanxin.insights"]
