"""The points actions: rules and their defaults, points for approved hours (rounded down,
once per record) and for verified hazard reports (once per case), redemption within balance
and stock (refusals name the field and write nothing), cancelling, confirming exactly once by
the right people, and the ledger's append-only rows."""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest

from nuanxin.accounts.scope import scope_of
from nuanxin.cases.catalogue import install_catalogue
from nuanxin.cases.models import Case, CaseClass
from nuanxin.core.errors import DomainError
from nuanxin.core.models import AuditEntry
from nuanxin.testing import SYSTEM_SCOPE, World
from nuanxin.volunteers.activities.actions import create_activity
from nuanxin.volunteers.models import (
    Activity,
    Attendance,
    Partner,
    PointsEntry,
    PointsRule,
    Redemption,
    Reward,
    ServiceRecord,
    Volunteer,
)
from nuanxin.volunteers.points import actions as points
from nuanxin.volunteers.points.queries import balance, ledger, may_manage_rules, rewards_for

AT = datetime(2024, 6, 8, 2, 0, tzinfo=UTC)


@dataclass
class PointsWorld:
    rider: Volunteer  # world.rider, home grid 1
    resident: Volunteer  # world.resident, home grid 2
    outsider: Volunteer  # world.stranger, home grid in the other community
    partner: Partner  # a restaurant; world.partner speaks for it
    soap: Reward  # love supermarket goods of the community: 10 points, 5 in stock
    meal: Reward  # the restaurant's meal voucher: 20 points, 2 in stock
    elsewhere: Reward  # goods of the other community: 5 points
    activity: Activity  # a clean-up in grid 1


def volunteer(user: Any, name: str, grid: Any, n: int) -> Volunteer:
    return Volunteer.objects.create(
        user=user, name=name, phone=f"1380000{n:04d}", phone_index=f"test-{n}", group="rider", home_grid=grid
    )


@pytest.fixture
def pw(world: World) -> PointsWorld:
    points.install_default_rules(actor=None, scope=SYSTEM_SCOPE)
    partner = Partner.objects.create(name="好味餐厅", kind=Partner.Kind.MERCHANT)
    partner.representatives.add(world.partner)
    admin = world.community_admin
    return PointsWorld(
        rider=volunteer(world.rider, "李小明", world.grid1, 1),
        resident=volunteer(world.resident, "王芳", world.grid2, 2),
        outsider=volunteer(world.stranger, "赵六", world.other_grid, 3),
        partner=partner,
        soap=points.create_reward(
            actor=admin, scope=SYSTEM_SCOPE, name="洗衣皂", kind="goods", points=10, stock=5, area=world.community
        ),
        meal=points.create_reward(
            actor=admin,
            scope=SYSTEM_SCOPE,
            name="骑手爱心餐",
            kind="meal_voucher",
            points=20,
            stock=2,
            area=world.community,
            provider=partner,
        ),
        elsewhere=points.create_reward(
            actor=world.other_admin,
            scope=SYSTEM_SCOPE,
            name="毛巾",
            kind="goods",
            points=5,
            stock=9,
            area=world.other_community,
        ),
        activity=create_activity(
            actor=world.grid1_worker,
            scope=SYSTEM_SCOPE,
            kind="cleanup",
            title="楼道杂物清理",
            area=world.grid1,
            starts_on=date(2024, 6, 8),
            ends_on=date(2024, 6, 8),
        ),
    )


def served(activity: Activity, vol: Volunteer, minutes: int, *, approved: bool = True) -> ServiceRecord:
    """An attendance and its service record (the hours actions' part, written here directly)."""
    attendance = Attendance.objects.create(activity=activity, volunteer=vol, checked_in_at=AT, method="qr")
    return ServiceRecord.objects.create(
        attendance=attendance,
        activity=activity,
        volunteer=vol,
        minutes=minutes,
        state=ServiceRecord.State.APPROVED if approved else ServiceRecord.State.PENDING,
    )


def grant(world: World, pw: PointsWorld, vol: Volunteer, amount: int) -> None:
    """Give a volunteer `amount` points through approved hours (one point an hour)."""
    activity = create_activity(
        actor=world.community_admin,
        scope=SYSTEM_SCOPE,
        kind="festival",
        title="中秋游园",
        area=world.community,
        starts_on=date(2024, 9, 17),
        ends_on=date(2024, 9, 17),
    )
    entry = points.award_service_points(actor=world.community_admin, record=served(activity, vol, amount * 60))
    assert entry is not None and entry.delta == amount


def writes() -> tuple[int, ...]:
    return (
        PointsEntry.objects.count(),
        Redemption.objects.count(),
        AuditEntry.objects.count(),
        sum(Reward.objects.values_list("stock", flat=True)),
    )


def refused(field: str | None, call: Any, **kwargs: Any) -> DomainError:
    """Call, expecting a refusal naming `field` and nothing written."""
    before = writes()
    with pytest.raises(DomainError) as caught:
        call(**kwargs)
    assert caught.value.field == field, caught.value.as_dict()
    assert writes() == before
    return caught.value


# Rules


def test_default_rules_are_one_point_an_hour_and_five_for_a_hazard_report(pw: PointsWorld) -> None:
    rules = {r.kind: (r.per_hour, r.bonus) for r in PointsRule.objects.all()}
    assert rules["cleanup"] == rules["fire_check"] == rules["charity_meal"] == (1, 0)
    assert rules["hazard_report"] == (0, 5)
    assert points.install_default_rules(actor=None, scope=SYSTEM_SCOPE) == []  # twice: nothing new


def test_installing_keeps_rules_already_set(world: World) -> None:
    points.set_points_rule(actor=world.community_admin, scope=SYSTEM_SCOPE, kind="cleanup", per_hour=3, bonus=2)
    points.install_default_rules(actor=None, scope=SYSTEM_SCOPE)
    assert PointsRule.objects.get(kind="cleanup").per_hour == 3


def test_setting_a_rule_is_audited_and_checked(world: World) -> None:
    scope = scope_of(world.community_staff)
    rule = points.set_points_rule(actor=world.community_staff, scope=scope, kind="fire_check", per_hour=2, bonus=5)
    assert (rule.per_hour, rule.bonus) == (2, 5)
    entry = AuditEntry.objects.get(action="points.rule_set")
    assert entry.detail["per_hour"] == 2 and entry.detail["before"] is None
    refused("kind", points.set_points_rule, actor=None, scope=SYSTEM_SCOPE, kind="nonsense", per_hour=1, bonus=0)
    refused("per_hour", points.set_points_rule, actor=None, scope=SYSTEM_SCOPE, kind="cleanup", per_hour=-1, bonus=0)
    refused("bonus", points.set_points_rule, actor=None, scope=SYSTEM_SCOPE, kind="cleanup", per_hour=1, bonus=100000)


def test_a_grid_worker_does_not_change_the_rules(world: World) -> None:
    error = refused(
        None,
        points.set_points_rule,
        actor=world.grid1_worker,
        scope=scope_of(world.grid1_worker),
        kind="cleanup",
        per_hour=9,
        bonus=0,
    )
    assert error.code == "forbidden"
    assert may_manage_rules(scope_of(world.community_admin))
    assert not may_manage_rules(scope_of(world.rider))


# Earning


def test_service_points_are_rounded_down_once_per_record(world: World, pw: PointsWorld) -> None:
    record = served(pw.activity, pw.rider, 150)  # 2.5 hours
    entry = points.award_service_points(actor=world.grid1_worker, record=record)
    assert entry is not None and entry.delta == 2 and entry.reason == "service"
    assert points.award_service_points(actor=world.grid1_worker, record=record) is None
    assert balance(pw.rider) == 2
    audit = AuditEntry.objects.get(action="points.awarded")
    assert audit.detail == {"volunteer": pw.rider.pk, "record": record.pk, "points": 2, "minutes": 150}


def test_the_bonus_is_added_and_the_rule_of_the_kind_applies(world: World, pw: PointsWorld) -> None:
    points.set_points_rule(actor=None, scope=SYSTEM_SCOPE, kind="cleanup", per_hour=3, bonus=4)
    entry = points.award_service_points(actor=None, record=served(pw.activity, pw.rider, 45))
    assert entry is not None and entry.delta == 3 * 45 // 60 + 4


def test_no_points_for_a_pending_record_a_zero_sum_or_no_rule(world: World, pw: PointsWorld) -> None:
    assert points.award_service_points(actor=None, record=served(pw.activity, pw.rider, 120, approved=False)) is None
    assert points.award_service_points(actor=None, record=served(pw.activity, pw.resident, 30)) is None  # 0.5 h → 0
    PointsRule.objects.filter(kind="cleanup").delete()
    assert points.award_service_points(actor=None, record=served(pw.activity, pw.outsider, 600)) is None
    assert PointsEntry.objects.count() == 0


def _closed_case(world: World, *, reporter: Any, closure: str = "fixed", anonymous: bool = False) -> Case:
    from nuanxin.cases.actions import report_case

    install_catalogue(actor=None)
    case = report_case(
        actor=reporter,
        case_class=CaseClass.objects.get(code="sanitation"),
        description="消防通道堵塞",
        lng=102.7011,
        lat=24.9811,
        channel="phone_page",
        anonymous=anonymous,
    )
    Case.objects.filter(pk=case.pk).update(state="closed", closure=closure)  # the cases issue's loop
    case.refresh_from_db()
    return case


def test_a_verified_hazard_report_earns_the_bonus_once(world: World, pw: PointsWorld) -> None:
    case = _closed_case(world, reporter=world.rider)
    entry = points.award_report_points(actor=world.community_admin, case=case)
    assert entry is not None and entry.delta == 5 and entry.case_id == case.pk and entry.reason == "hazard_report"
    assert points.award_report_points(actor=world.community_admin, case=case) is None
    assert balance(pw.rider) == 5


def test_no_report_points_unless_fixed_by_a_volunteer_account(world: World, pw: PointsWorld) -> None:
    assert (
        points.award_report_points(actor=None, case=_closed_case(world, reporter=world.rider, closure="duplicate"))
        is None
    )
    assert points.award_report_points(actor=None, case=_closed_case(world, reporter=world.grid1_worker)) is None
    assert (
        points.award_report_points(actor=None, case=_closed_case(world, reporter=world.rider, anonymous=True)) is None
    )
    open_case = _closed_case(world, reporter=world.rider)
    Case.objects.filter(pk=open_case.pk).update(state="resolved")
    open_case.refresh_from_db()
    assert points.award_report_points(actor=None, case=open_case) is None
    assert PointsEntry.objects.count() == 0


# Spending


def test_redeeming_writes_a_negative_entry_a_voucher_and_takes_stock(world: World, pw: PointsWorld) -> None:
    grant(world, pw, pw.rider, 25)
    redemption = points.redeem(actor=world.rider, reward=pw.soap)
    assert len(redemption.code) == 10 and set(redemption.code) <= set(points.CODE_ALPHABET)
    assert redemption.state == "issued" and redemption.points == 10
    assert balance(pw.rider) == 15
    assert Reward.objects.get(pk=pw.soap.pk).stock == 4
    spent = PointsEntry.objects.get(redemption=redemption)
    assert (spent.delta, spent.reason) == (-10, "redemption")
    audit = AuditEntry.objects.get(action="points.redeemed")
    assert redemption.code not in audit.object_repr and "李" not in str(audit.detail)


def test_redeeming_beyond_the_balance_names_points_and_writes_nothing(world: World, pw: PointsWorld) -> None:
    grant(world, pw, pw.rider, 15)
    refused("points", points.redeem, actor=world.rider, reward=pw.meal)
    assert balance(pw.rider) == 15


def test_redeeming_beyond_the_stock_names_stock_and_writes_nothing(world: World, pw: PointsWorld) -> None:
    grant(world, pw, pw.rider, 100)
    points.redeem(actor=world.rider, reward=pw.meal)
    points.redeem(actor=world.rider, reward=pw.meal)
    refused("stock", points.redeem, actor=world.rider, reward=pw.meal)
    assert balance(pw.rider) == 60


def test_an_inactive_or_foreign_reward_is_refused(world: World, pw: PointsWorld) -> None:
    grant(world, pw, pw.rider, 100)
    points.update_reward(actor=world.community_admin, scope=SYSTEM_SCOPE, reward=pw.soap, stock=5, active=False)
    refused("reward", points.redeem, actor=world.rider, reward=pw.soap)
    refused("reward", points.redeem, actor=world.rider, reward=pw.elsewhere)


def test_someone_who_is_no_volunteer_cannot_redeem(world: World, pw: PointsWorld) -> None:
    error = refused(None, points.redeem, actor=world.grid1_worker, reward=pw.soap)
    assert error.code == "forbidden"


def test_cancelling_refunds_and_restores_the_stock_once(world: World, pw: PointsWorld) -> None:
    grant(world, pw, pw.rider, 30)
    redemption = points.redeem(actor=world.rider, reward=pw.meal)
    points.cancel_redemption(actor=world.rider, redemption=redemption)
    assert balance(pw.rider) == 30
    assert Reward.objects.get(pk=pw.meal.pk).stock == 2
    assert Redemption.objects.get(pk=redemption.pk).state == "cancelled"
    assert [e.delta for e in ledger(pw.rider)] == [20, -20, 30]
    refused("redemption", points.cancel_redemption, actor=world.rider, redemption=redemption)
    refused("code", points.confirm_redemption, actor=world.partner, scope=scope_of(world.partner), code=redemption.code)


def test_only_the_holder_cancels_and_not_after_confirmation(world: World, pw: PointsWorld) -> None:
    grant(world, pw, pw.rider, 30)
    redemption = points.redeem(actor=world.rider, reward=pw.meal)
    refused("redemption", points.cancel_redemption, actor=world.resident, redemption=redemption)
    points.confirm_redemption(actor=world.partner, scope=scope_of(world.partner), code=redemption.code)
    refused("redemption", points.cancel_redemption, actor=world.rider, redemption=redemption)


# Confirming


def test_the_providers_representative_confirms_a_meal_voucher_once(world: World, pw: PointsWorld) -> None:
    grant(world, pw, pw.rider, 30)
    redemption = points.redeem(actor=world.rider, reward=pw.meal)
    typed = f" {redemption.code[:5].lower()}-{redemption.code[5:]} "
    done = points.confirm_redemption(actor=world.partner, scope=scope_of(world.partner), code=typed)
    assert done.state == "confirmed" and done.confirmed_by == world.partner and done.confirmed_at is not None
    error = refused(
        "code", points.confirm_redemption, actor=world.partner, scope=scope_of(world.partner), code=redemption.code
    )
    assert error.code == "used"


def test_staff_confirm_the_communitys_own_rewards_but_not_a_partners(world: World, pw: PointsWorld) -> None:
    grant(world, pw, pw.rider, 40)
    soap = points.redeem(actor=world.rider, reward=pw.soap)
    meal = points.redeem(actor=world.rider, reward=pw.meal)
    unknown = refused(
        "code",
        points.confirm_redemption,
        actor=world.community_staff,
        scope=scope_of(world.community_staff),
        code=meal.code,
    )
    assert (
        unknown.message
        == refused(
            "code",
            points.confirm_redemption,
            actor=world.community_staff,
            scope=scope_of(world.community_staff),
            code="ZZZZZZZZZZ",
        ).message
    )
    refused(
        "code", points.confirm_redemption, actor=world.other_admin, scope=scope_of(world.other_admin), code=soap.code
    )
    refused("code", points.confirm_redemption, actor=world.partner, scope=scope_of(world.partner), code=soap.code)
    refused("code", points.confirm_redemption, actor=world.rider, scope=scope_of(world.rider), code=soap.code)
    refused(
        "code", points.confirm_redemption, actor=world.grid2_worker, scope=scope_of(world.grid2_worker), code=soap.code
    )  # a grid's reach only
    assert (
        points.confirm_redemption(
            actor=world.community_staff, scope=scope_of(world.community_staff), code=soap.code
        ).state
        == "confirmed"
    )


# The ledger is append-only


def test_points_entries_cannot_be_changed_or_deleted(world: World, pw: PointsWorld) -> None:
    grant(world, pw, pw.rider, 3)
    entry = PointsEntry.objects.get()
    entry.delta = 300
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        PointsEntry.objects.filter(pk=entry.pk).update(delta=300)
    with pytest.raises(PermissionError):
        PointsEntry.objects.all().delete()
    assert balance(pw.rider) == 3


# Rewards


def test_rewards_offered_where_the_volunteer_belongs(world: World, pw: PointsWorld) -> None:
    assert {r.name for r in rewards_for(pw.rider)} == {"洗衣皂", "骑手爱心餐"}
    assert {r.name for r in rewards_for(pw.outsider)} == {"毛巾"}
    pw.rider.home_grid = None
    pw.rider.save()
    assert not rewards_for(Volunteer.objects.get(pk=pw.rider.pk)).exists()
    served(pw.activity, pw.rider, 60)  # serving in grid 1 brings the community's rewards
    assert {r.name for r in rewards_for(Volunteer.objects.get(pk=pw.rider.pk))} == {"洗衣皂", "骑手爱心餐"}


def test_creating_a_reward_checks_its_fields_and_the_scope(world: World, pw: PointsWorld) -> None:
    scope = scope_of(world.grid1_worker)
    base = {"actor": world.grid1_worker, "scope": scope, "name": "米", "kind": "goods", "points": 5, "stock": 1}
    refused("name", points.create_reward, **(base | {"name": " ", "area": world.grid1}))
    refused("kind", points.create_reward, **(base | {"kind": "cash", "area": world.grid1}))
    refused("points", points.create_reward, **(base | {"points": 0, "area": world.grid1}))
    refused("stock", points.create_reward, **(base | {"stock": -1, "area": world.grid1}))
    refused("area", points.create_reward, **(base | {"area": world.grid2}))
    refused("area", points.create_reward, **(base | {"area": world.street}))
    assert points.create_reward(**(base | {"area": world.grid1})).area == world.grid1
    error = refused(
        None, points.update_reward, actor=world.grid1_worker, scope=scope, reward=pw.soap, stock=9, active=True
    )
    assert error.code == "forbidden"
    refused("stock", points.update_reward, actor=None, scope=SYSTEM_SCOPE, reward=pw.soap, stock=-3, active=True)


# The demo


def test_the_demo_catalogue_is_made_through_the_actions(world: World) -> None:
    import random

    from nuanxin.demo.rewards import LOVE_SUPERMARKET, build_rewards_demo

    partner = Partner.objects.create(name="米线馆", kind=Partner.Kind.MERCHANT)
    counts = build_rewards_demo(rng=random.Random(1), community=world.community, actor=world.community_admin)
    assert counts["points rules"] == PointsRule.objects.count() > 10
    assert Reward.objects.filter(provider=None, area=world.community).count() == len(LOVE_SUPERMARKET)
    assert Reward.objects.filter(provider=partner, kind="meal_voucher").count() == 1
    assert AuditEntry.objects.filter(action="points.reward_created").count() == Reward.objects.count()
