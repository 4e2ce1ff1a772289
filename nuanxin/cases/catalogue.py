"""The starting catalogue: a dozen public categories a rider picks from, mapped to the
internal classes that decide level, unit, time limits and extra questions.

Names are data in the community's language (offices rename them in the admin); the codes
are stable and double as Open311 service codes.
"""

from typing import Any

from django.db import transaction

from nuanxin.cases.models import CaseClass, Category, Level
from nuanxin.core import audit

URGENT = {"accept": {"hours": 0.5}, "dispatch": {"hours": 0.5}, "handle": {"hours": 4}, "verify": {"days": 1}}
NORMAL = {"accept": {"hours": 4}, "dispatch": {"hours": 4}, "handle": {"days": 3}, "verify": {"days": 2}}
SLOW = {"accept": {"days": 1}, "dispatch": {"days": 1}, "handle": {"days": 10}, "verify": {"days": 3}}

# (category code, category name, [(class code, class name, level, unit, emergency, radius m, limits, questions)])
CATALOGUE: list[tuple[str, str, list[tuple[str, str, str, str, bool, int, dict, list]]]] = [
    (
        "fire-gas",
        "燃气·火灾隐患",
        [
            (
                "stove-left-on",
                "忘关火·燃气泄漏",
                Level.GRID,
                "",
                True,
                30,
                URGENT,
                [{"code": "door", "label": "楼栋门牌", "datatype": "string", "required": False}],
            ),
            ("fire-hazard", "消防安全隐患", Level.GRID, "", False, 50, NORMAL, []),
        ],
    ),
    (
        "fire-exit",
        "消防通道堵塞·楼道堆物",
        [
            (
                "blocked-fire-exit",
                "消防通道堵塞或楼道堆物",
                Level.GRID,
                "",
                False,
                30,
                NORMAL,
                [
                    {
                        "code": "what",
                        "label": "堵塞物",
                        "datatype": "singlevaluelist",
                        "required": True,
                        "values": [
                            {"key": "vehicle", "name": "车辆"},
                            {"key": "goods", "name": "杂物"},
                            {"key": "other", "name": "其他"},
                        ],
                    }
                ],
            ),
        ],
    ),
    (
        "ebike",
        "电动车违规充电",
        [
            (
                "ebike-indoor-charging",
                "电动车入户或楼道充电",
                Level.GRID,
                "",
                False,
                30,
                NORMAL,
                [{"code": "count", "label": "车辆数量", "datatype": "number", "required": False}],
            ),
        ],
    ),
    (
        "sanitation",
        "环境卫生·垃圾",
        [
            ("sanitation", "垃圾堆放·环境脏乱", Level.GRID, "", False, 80, NORMAL, []),
        ],
    ),
    (
        "occupation",
        "占道·违停",
        [
            ("illegal-occupation", "占道经营", Level.COMMUNITY, "城管中队", False, 50, NORMAL, []),
            ("illegal-parking", "违规停车", Level.GRID, "", False, 30, NORMAL, []),
        ],
    ),
    (
        "facility",
        "公共设施损坏",
        [
            ("damaged-facility", "公共设施损坏", Level.COMMUNITY, "物业服务企业", False, 30, SLOW, []),
        ],
    ),
    (
        "noise",
        "噪音扰民",
        [
            (
                "noise",
                "噪音扰民",
                Level.GRID,
                "",
                False,
                100,
                NORMAL,
                [
                    {
                        "code": "when",
                        "label": "发生时段",
                        "datatype": "singlevaluelist",
                        "required": True,
                        "values": [{"key": "day", "name": "白天"}, {"key": "night", "name": "夜间 (22:00–6:00)"}],
                    }
                ],
            ),
        ],
    ),
    (
        "dispute",
        "邻里纠纷",
        [
            ("neighbour-dispute", "邻里纠纷", Level.COMMUNITY, "人民调解委员会", False, 0, SLOW, []),
        ],
    ),
    (
        "food-safety",
        "食品安全",
        [
            ("food-safety", "食品安全问题", Level.STREET, "市场监督管理所", False, 50, NORMAL, []),
        ],
    ),
    (
        "vulnerable",
        "老人·困难群众求助",
        [
            ("vulnerable-person", "老人或困难群众需要帮助", Level.GRID, "", True, 0, URGENT, []),
        ],
    ),
    (
        "other",
        "其他",
        [
            ("other", "其他事项", Level.GRID, "", False, 0, NORMAL, []),
        ],
    ),
]


@transaction.atomic
def install_catalogue(*, actor: Any) -> int:
    """Create the starting catalogue where its codes are not taken yet; returns how many
    classes were added. Existing rows (renamed by an office) are left alone."""
    added = 0
    for order, (cat_code, cat_name, classes) in enumerate(CATALOGUE):
        category, _created = Category.objects.get_or_create(code=cat_code, defaults={"name": cat_name, "order": order})
        for code, name, level, unit, emergency, radius, limits, questions in classes:
            if CaseClass.objects.filter(code=code).exists():
                continue
            case_class = CaseClass.objects.create(
                category=category,
                code=code,
                name=name,
                level=level,
                unit=unit,
                service_code=code,
                emergency=emergency,
                duplicate_radius_m=radius,
                time_limits=limits,
                questions=questions,
            )
            audit.record("cases.class_created", actor=actor, obj=case_class)
            added += 1
    return added
