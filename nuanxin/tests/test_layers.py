"""The apps depend one way (issue 16, docs/decisions/0005-changes-and-events.md):

    core ← territory ← accounts ← people, cases, inspections, ledgers, volunteers,
    stations, open311, party, voice ← insights ← demo

An app imports only from its own layer or below, function-local imports included; what a
lower app's writes mean to a higher one travels through core.changes (watchers, events)."""

import ast
from pathlib import Path

from django.conf import settings

LAYERS = {
    "core": 0,
    "territory": 1,
    "accounts": 2,
    **dict.fromkeys(
        ("people", "cases", "inspections", "ledgers", "volunteers", "stations", "open311", "party", "voice"), 3
    ),
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


def test_cores_modules_import_each_other_without_a_cycle() -> None:
    """Within core too, function-local imports included: a cycle is what a function-local import
    hides (scoping's denials needed the audit log, whose models needed scoping)."""
    modules = {path.stem: path for path in (PACKAGE / "core").glob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        needs = set()
        for imported in _core_imports(path):
            if imported in modules and imported != name:
                needs.add(imported)
        graph[name] = needs
    assert _cycles(graph) == []


def _core_imports(path: Path) -> set[str]:
    """The core modules a file imports: `nuanxin.core.x` and `from nuanxin.core import x`."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "nuanxin.core":
                found.update(alias.name for alias in node.names)
            elif node.module.startswith("nuanxin.core."):
                found.add(node.module.split(".")[2])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[2] for a in node.names if a.name.startswith("nuanxin.core."))
    return found


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The modules that reach themselves again, each cycle as the path that closes it."""
    found: list[list[str]] = []
    done: set[str] = set()

    def walk(node: str, path: list[str]) -> None:
        if node in path:
            found.append(path[path.index(node) :] + [node])
            return
        if node in done:
            return
        for needed in sorted(graph[node]):
            walk(needed, [*path, node])
        done.add(node)

    for start in sorted(graph):
        walk(start, [])
    return found


def test_the_cycle_check_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []
