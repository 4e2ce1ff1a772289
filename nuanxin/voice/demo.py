"""The demo community's residents' voice (core.demo_history; docs/voice.md): from the seed
period's start to the build day, opinions from every channel each month (parking and
charging for riders, noise from the business district, a lift for an old building, lighting,
pets...), given on the phone by residents and riders, named or anonymous, or entered by the
office from visits, meetings, the hotline and paper forms; most get their outcome within days
(answered, a case, a need of the alliance, now and then declined), a few late, and their
givers rate some. The last days' stay open for the office to answer."""

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from nuanxin.cases.models import CaseClass
from nuanxin.party.models import PartyOrg
from nuanxin.territory.models import Place
from nuanxin.voice import actions
from nuanxin.voice.models import Opinion, OpinionCategory, OpinionChannel

KUNMING = ZoneInfo("Asia/Shanghai")
PER_MONTH = (8, 14)
# What residents say, by category: (their words, the office's answer).
SAYINGS: dict[str, list[tuple[str, str]]] = {
    OpinionCategory.PARKING: [
        ("小区电动车充电桩太少，晚上没地方充电", "已在3号楼旁增设20个充电桩，月底投用"),
        ("外卖骑手送餐没地方临时停车，经常被贴条", "已与商圈协调设立骑手临时停车点"),
        ("小区门口乱停车，消防通道被堵", "已联合物业划线并安排夜间巡查"),
    ],
    OpinionCategory.NOISE: [
        ("商圈酒吧夜里噪音太大，影响休息", "已约谈商户，22点后降低音量"),
        ("广场舞音响声音太大", "已与舞蹈队商定音量和时段"),
        ("夜市收摊太晚很吵", "已协调夜市23点前收摊"),
    ],
    OpinionCategory.FACILITIES: [
        ("老楼没有电梯，老人上下楼困难，希望加装电梯", "已启动加装电梯意愿征集"),
        ("楼道灯坏了好几天，晚上很黑", "已通知物业更换楼道灯"),
        ("小区路灯不亮", "已报修，路灯已恢复"),
    ],
    OpinionCategory.ENVIRONMENT: [
        ("垃圾桶满了没人清运，味道很大", "已调整清运时间为每日两次"),
        ("绿化带有人种菜", "已劝导并恢复绿化"),
    ],
    OpinionCategory.PETS: [
        ("小区有人遛狗不拴绳", "已张贴文明养犬公约并加强劝导"),
        ("楼道里有宠物粪便没人清理", "已提醒养宠住户并安排保洁"),
    ],
    OpinionCategory.SAFETY: [
        ("楼道里堆放杂物，存在消防隐患", "已组织清理楼道杂物"),
        ("有人在楼道给电动车充电", "已开展电动车安全充电宣传"),
    ],
    OpinionCategory.SERVICES: [
        ("希望社区多办一些老年人健康讲座", "每月第二周周三举办健康讲座"),
        ("希望有四点半课堂照看孩子", "社区四点半课堂已开班"),
    ],
}
DECLINE_REASONS = ("不属于社区职责范围，已告知相关部门联系方式", "涉及个人纠纷，建议通过调解室解决")
# The share of each channel among the opinions.
CHANNELS = [
    (OpinionChannel.PHONE, 45),
    (OpinionChannel.VISIT, 20),
    (OpinionChannel.BUILDING_COMMITTEE, 8),
    (OpinionChannel.ASSEMBLY, 5),
    (OpinionChannel.JOINT_MEETING, 4),
    (OpinionChannel.HOTLINE, 10),
    (OpinionChannel.PAPER, 8),
]
# The case class an opinion becomes, the first of these the office can open without asking
# the reporter's extra questions.
CASE_CLASSES = {OpinionCategory.NOISE: ("noise", "other"), OpinionCategory.ENVIRONMENT: ("sanitation", "other")}


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=KUNMING)


def voice_history(context: Any, start: date, end: date) -> dict[str, int]:
    rng = context.rng
    community = context.community
    admin = context.users["community"]
    office = context.scope(admin)
    givers = [u for name, u in sorted(context.users.items()) if name.startswith(("resident", "rider"))]
    places = list(
        Place.objects.filter(
            grid__path__startswith=community.path, kind__in=[Place.Kind.COMPOUND, Place.Kind.BUILDING]
        ).order_by("pk")
    )
    committee = PartyOrg.objects.filter(kind=PartyOrg.Kind.COMMITTEE, area=community).exists()
    answerable = {
        c.code: c
        for c in CaseClass.objects.filter(active=True)
        if not any(question.get("required") for question in c.questions)
    }
    classes = {
        category: next((answerable[code] for code in codes if code in answerable), None)
        for category, codes in CASE_CLASSES.items()
    }
    weights = [w for _c, w in CHANNELS]
    made = {"opinions": 0, "outcomes": 0}
    day = start
    while day <= end:
        month_end = min(end, date(day.year + day.month // 12, day.month % 12 + 1, 1) - timedelta(days=1))
        for _ in range(rng.randint(*PER_MONTH)):
            on = day + timedelta(days=rng.randint(0, (month_end - day).days))
            at = _at(on, rng.randint(8, 21), rng.randint(0, 59))
            if at > context.present:
                continue
            category = rng.choice(list(SAYINGS))
            words, answer = rng.choice(SAYINGS[category])
            channel = rng.choices([c for c, _w in CHANNELS], weights)[0]
            place = rng.choice(places) if places and rng.random() < 0.7 else None
            common = {"community": community, "category": category, "text": words, "place": place, "now": at}
            if channel == OpinionChannel.PHONE and givers:
                giver = rng.choice(givers)
                opinion = actions.give_opinion(
                    actor=giver, scope=context.scope(giver), anonymous=rng.random() < 0.2, **common
                )
            else:
                opinion = actions.enter_opinion(actor=admin, scope=office, channel=channel, **common)
            made["opinions"] += 1
            made["outcomes"] += _outcome(context, opinion, answer, committee, classes)
        day = month_end + timedelta(days=1)
    return made


def _outcome(context: Any, opinion: Opinion, answer: str, committee: bool, classes: dict[Any, Any]) -> int:
    """Most topics get their outcome within the week, some later; the newest stay open. A
    topic answered already counts nothing more."""
    rng = context.rng
    if opinion.topic_id is not None:
        return 0  # its topic's first opinion carries the outcome
    at = opinion.received_at + timedelta(days=rng.randint(1, 6) if rng.random() < 0.85 else rng.randint(8, 20))
    if at > context.present:
        return 0
    admin = context.users["community"]
    office = {"actor": admin, "scope": context.scope(admin), "opinion": opinion, "now": at}
    roll = rng.random()
    case_class = classes.get(opinion.category)
    seed = context.seed_period
    in_seed = seed is not None and seed[0] <= timezone.localdate(at) <= seed[1]
    if roll < 0.1 and case_class is not None and not in_seed:  # the seed period's cases are the seed's
        topic = actions.to_case(case_class=case_class, reply="已转为事件，网格员将上门处理", **office)
    elif 0.1 <= roll < 0.2 and committee and opinion.category in (OpinionCategory.FACILITIES, OpinionCategory.SERVICES):
        topic = actions.to_need(title=opinion.text[:30], reply="已列入大党委需求清单，由共建单位认领", **office)
    elif 0.2 <= roll < 0.25:
        topic = actions.decline(reason=rng.choice(DECLINE_REASONS), **office)
    else:
        topic = actions.answer(reply=answer, **office)
    for row in topic:
        rated = at + timedelta(days=rng.randint(1, 5))
        if row.author is not None and rng.random() < 0.5 and rated <= context.present:
            actions.rate(
                actor=row.author,
                scope=context.scope(row.author),
                opinion=row,
                rating=rng.choices([5, 4, 3, 2], [55, 30, 10, 5])[0],
                now=rated,
            )
    return len(topic)
