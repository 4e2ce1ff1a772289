"""Checklist items: their shape, their validation, and the demo templates.

An item is a dict: {"code", "label", "kind", "required", "choices", "hazard"} (see
`ChecklistVersion`). Labels are data in the community's language, like the case catalogue.
"""

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from nuanxin.core import audit
from nuanxin.core.errors import DomainError
from nuanxin.inspections.models import Category, ChecklistTemplate, ChecklistVersion, Severity

KINDS = ("yes_no", "number", "choice", "text", "photo")
MAX_ITEMS = 100
TEMPLATE_FOR_CATEGORY_FALLBACK = "generic"


def clean_items(items: Any) -> list[dict[str, Any]]:
    """The items normalised, or DomainError (field "items") naming the item at fault."""
    if not isinstance(items, list) or not items:
        raise DomainError(_("A checklist needs at least one item."), field="items")
    if len(items) > MAX_ITEMS:
        raise DomainError(_("A checklist has at most %(n)d items.") % {"n": MAX_ITEMS}, field="items")
    cleaned: list[dict[str, Any]] = []
    seen: set[str] = set()
    for n, item in enumerate(items, start=1):
        cleaned.append(_clean_item(n, item, seen))
    return cleaned


def _bad(n: int, message: str) -> DomainError:
    return DomainError(_("Item %(n)d: %(message)s") % {"n": n, "message": message}, field="items")


def _clean_item(n: int, item: Any, seen: set[str]) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise _bad(n, _("not an item."))
    code = str(item.get("code") or "").strip()
    label = str(item.get("label") or "").strip()
    kind = item.get("kind")
    if not code or not code.replace("_", "").replace("-", "").isalnum() or len(code) > 40:
        raise _bad(n, _("a code of letters, digits, - and _ is required."))
    if code in seen:
        raise _bad(n, _("this code is used twice."))
    seen.add(code)
    if not label or len(label) > 200:
        raise _bad(n, _("a label of at most 200 characters is required."))
    if kind not in KINDS:
        raise _bad(n, _("unknown kind of item."))
    out: dict[str, Any] = {"code": code, "label": label, "kind": kind, "required": bool(item.get("required", True))}
    keys: list[str] = []
    if kind == "choice":
        choices = item.get("choices")
        if not isinstance(choices, list) or len(choices) < 2:
            raise _bad(n, _("a choice item needs at least two choices."))
        out["choices"] = []
        for choice in choices:
            key = str((choice or {}).get("key") or "").strip() if isinstance(choice, dict) else ""
            if not key or key in keys or not str(choice.get("label") or "").strip():
                raise _bad(n, _("each choice needs its own key and a label."))
            keys.append(key)
            out["choices"].append({"key": key, "label": str(choice["label"]).strip()})
    hazard = item.get("hazard")
    if hazard:
        out["hazard"] = _clean_hazard(n, kind, hazard, keys)
    return out


def _clean_hazard(n: int, kind: str, hazard: Any, keys: list[str]) -> dict[str, Any]:
    if not isinstance(hazard, dict) or hazard.get("severity") not in Severity.values:
        raise _bad(n, _("a hazard rule needs a severity (minor or major)."))
    out: dict[str, Any] = {"severity": str(hazard["severity"])}
    if kind == "yes_no":
        when = hazard.get("when")
        if not isinstance(when, list) or not when or not all(isinstance(w, bool) for w in when):
            raise _bad(n, _("a yes/no hazard rule says which answer (true or false) is a hazard."))
        out["when"] = when
    elif kind == "choice":
        when = hazard.get("when")
        if not isinstance(when, list) or not when or not all(w in keys for w in when):
            raise _bad(n, _("a choice hazard rule lists keys of its choices."))
        out["when"] = when
    elif kind == "number":
        bounds = {k: hazard[k] for k in ("below", "above") if k in hazard}
        if not bounds or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in bounds.values()):
            raise _bad(n, _("a number hazard rule needs a number below or above which it is a hazard."))
        out.update(bounds)
    else:
        raise _bad(n, _("text and photo items cannot mark a hazard."))
    return out


def template_for(category: str) -> ChecklistTemplate | None:
    """The template a category's visits use: the one listing the category, else the generic one."""
    templates = list(ChecklistTemplate.objects.all())
    for template in templates:
        if category in (template.categories or []):
            return template
    return next((t for t in templates if t.code == TEMPLATE_FOR_CATEGORY_FALLBACK), None)


def _yes(code: str, label: str, severity: str | None = None, hazard_when: bool = False) -> dict[str, Any]:
    item: dict[str, Any] = {"code": code, "label": label, "kind": "yes_no", "required": True}
    if severity:
        item["hazard"] = {"when": [hazard_when], "severity": severity}
    return item


_NOTE = {"code": "note", "label": "其他情况", "kind": "text", "required": False}
_PHOTO = {"code": "photo", "label": "现场照片", "kind": "photo", "required": False}

# (code, name, categories, items)
DEMO_TEMPLATES: list[tuple[str, str, list[str], list[dict[str, Any]]]] = [
    (
        "fire-safety",
        "消防安全检查",
        [
            Category.HAZARDOUS_GOODS,
            Category.CROWDED_VENUE,
            Category.SMALL_HOTEL,
            Category.EBIKE_CHARGING,
        ],
        [
            _yes("exits_clear", "安全出口、疏散通道畅通", Severity.MAJOR),
            _yes("extinguishers_ok", "灭火器在有效期内且数量足够", Severity.MINOR),
            {
                "code": "extinguisher_count",
                "label": "灭火器数量",
                "kind": "number",
                "required": True,
                "hazard": {"below": 1, "severity": Severity.MAJOR},
            },
            _yes("emergency_lights_ok", "应急照明、疏散指示完好", Severity.MINOR),
            _yes("ebike_indoor", "有电动车入户或楼道充电", Severity.MAJOR, hazard_when=True),
            {
                "code": "wiring",
                "label": "电气线路",
                "kind": "choice",
                "required": True,
                "choices": [
                    {"key": "ok", "label": "规范"},
                    {"key": "messy", "label": "私拉乱接"},
                    {"key": "aged", "label": "老化破损"},
                ],
                "hazard": {"when": ["messy", "aged"], "severity": Severity.MAJOR},
            },
            _PHOTO,
            _NOTE,
        ],
    ),
    (
        "food-safety",
        "食品安全检查",
        [Category.CATERING],
        [
            _yes("licence_shown", "食品经营许可证公示且在有效期内", Severity.MAJOR),
            _yes("health_certificates", "从业人员健康证齐全", Severity.MINOR),
            _yes("raw_cooked_apart", "生熟分开存放", Severity.MINOR),
            _yes("expired_food", "有过期、变质食品", Severity.MAJOR, hazard_when=True),
            _yes("gas_alarm_ok", "燃气报警装置正常", Severity.MAJOR),
            _PHOTO,
            _NOTE,
        ],
    ),
    (
        "elderly-care",
        "关爱走访（特殊群体）",
        [Category.SPECIAL_GROUP],
        [
            _yes("met_in_person", "见到本人", Severity.MINOR),
            {
                "code": "health",
                "label": "身体状况",
                "kind": "choice",
                "required": True,
                "choices": [
                    {"key": "good", "label": "良好"},
                    {"key": "fair", "label": "一般"},
                    {"key": "poor", "label": "较差，需要帮助"},
                ],
                "hazard": {"when": ["poor"], "severity": Severity.MINOR},
            },
            _yes("gas_safe", "燃气、用电安全", Severity.MAJOR),
            _yes("needs_help", "有生活困难或服务需求", Severity.MINOR, hazard_when=True),
            _NOTE,
        ],
    ),
    (
        "key-person",
        "重点人员走访",
        [Category.KEY_PERSON],
        [
            _yes("met_in_person", "见到本人", Severity.MAJOR),
            _yes("stable", "近期情绪、状况稳定", Severity.MAJOR),
            _yes("address_same", "居住地未变更", Severity.MINOR),
            _NOTE,
        ],
    ),
    (
        "generic",
        "通用巡查",
        [Category.CONSTRUCTION_SITE, Category.OTHER_ENTERPRISE],
        [
            _yes("no_hazard_seen", "未发现安全隐患", Severity.MINOR),
            _PHOTO,
            _NOTE,
        ],
    ),
]


@transaction.atomic
def install_demo_templates(*, actor: Any) -> int:
    """Create the demo templates whose codes are not taken yet, each with a first version;
    returns how many were added. Existing templates (and their versions) are left alone."""
    added = 0
    for code, name, categories, items in DEMO_TEMPLATES:
        if ChecklistTemplate.objects.filter(code=code).exists():
            continue
        template = ChecklistTemplate.objects.create(code=code, name=name, categories=[str(c) for c in categories])
        ChecklistVersion.objects.create(template=template, number=1, items=clean_items(items), published_by=actor)
        audit.record("inspections.template_created", actor=actor, obj=template)
        added += 1
    return added
