"""Volunteer registration, partners, publishing, sign-up with a waiting list, reminders and
check-in/out (the actions in nuanxin/volunteers/signups/actions.py)."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import signing
from django.db import connection

from nuanxin.accounts import actions as account_actions
from nuanxin.accounts.models import RoleGrant
from nuanxin.accounts.scope import scope_of
from nuanxin.core.audit import SYSTEM
from nuanxin.core.errors import DomainError
from nuanxin.core.models import AuditEntry, Notification
from nuanxin.core.scoping import Scope
from nuanxin.testing import SYSTEM_SCOPE, World
from nuanxin.volunteers.activities.actions import create_activity
from nuanxin.volunteers.models import Activity, Attendance, Participant, Partner, ServiceRecord, SignUp, Volunteer
from nuanxin.volunteers.signups import actions as signups
from nuanxin.volunteers.signups import checkins

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


@dataclass
class Volunteering:
    day: date  # the clean-up's day, a week ahead
    cleanup: Activity  # grid 1, 09:00-11:00, capacity 2, published
    draft: Activity  # grid 1, not published
    rider: Volunteer  # world.rider, a delivery rider of grid 1
    resident: Volunteer  # world.resident
    now: datetime  # a moment well before the clean-up


def make_user(username: str) -> Any:
    return account_actions.create_user(actor=None, username=username, password=None)


@pytest.fixture
def volunteering(world: World) -> Volunteering:
    day = date.today() + timedelta(days=7)
    now = local(day - timedelta(days=7), 8)
    cleanup = create_activity(
        actor=world.grid1_worker,
        scope=SYSTEM_SCOPE,
        kind="cleanup",
        title="楼道杂物清理",
        area=world.grid1,
        starts_on=day,
        ends_on=day,
        location="一号院",
    )
    signups.publish_activity(
        actor=world.grid1_worker,
        scope=SYSTEM_SCOPE,
        activity=cleanup,
        start_time=time(9),
        end_time=time(11),
        capacity=2,
        roles_needed=["引导", "清扫"],
        resources={"venue": "一号院活动室", "money": "200", "goods": "扫帚"},
        now=now,
    )
    draft = create_activity(
        actor=world.grid1_worker,
        scope=SYSTEM_SCOPE,
        kind="festival",
        title="中秋游园",
        area=world.grid1,
        starts_on=day,
        ends_on=day,
    )
    rider = signups.register_volunteer(
        actor=world.rider,
        scope=scope_of(world.rider),
        user=world.rider,
        name="何伟",
        phone="13812345678",
        group="rider",
        employer="美团",
        home_grid=world.grid1,
    )
    resident = signups.register_volunteer(
        actor=world.resident,
        scope=scope_of(world.resident),
        user=world.resident,
        name="欧阳娜娜",
        phone="13912345678",
        group="resident",
    )
    cleanup.refresh_from_db()
    return Volunteering(day=day, cleanup=cleanup, draft=draft, rider=rider, resident=resident, now=now)


def volunteer(n: int, group: str = "resident") -> Volunteer:
    user = make_user(f"vol{n}")
    return signups.register_volunteer(
        actor=user,
        scope=scope_of(user),
        user=user,
        name=f"志愿者{'甲乙丙丁戊己庚辛壬癸'[n % 10]}",
        phone=f"137{n:08d}",
        group=group,
    )


# --- registration -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["何伟", "欧阳娜娜", "阿卜杜热合曼·买买提", "王", "Anna Müller", "玛丽·居里"])
def test_names_of_any_script_and_length_are_accepted(world: World, name: str) -> None:
    user = make_user("someone")
    v = signups.register_volunteer(
        actor=user, scope=scope_of(user), user=user, name=name, phone="13700000001", group="resident"
    )
    assert v.name == name


@pytest.mark.parametrize("name", ["", "  ", "张3", "<b>李</b>", "王" * 31, "李四!", "１２"])
def test_bad_names_are_refused_naming_the_field(world: World, name: str) -> None:
    user = make_user("someone")
    with pytest.raises(DomainError) as exc:
        signups.register_volunteer(
            actor=user, scope=scope_of(user), user=user, name=name, phone="13700000001", group="resident"
        )
    assert exc.value.field == "name"
    assert not Volunteer.objects.exists()


def test_phone_is_encrypted_indexed_and_registers_once(volunteering: Volunteering, world: World) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT phone FROM {Volunteer._meta.db_table} WHERE id = %s", [volunteering.rider.pk])
        raw = cursor.fetchone()[0]
    assert raw.startswith("v1:")
    assert "13812345678" not in raw
    assert Volunteer.objects.get(pk=volunteering.rider.pk).phone == "13812345678"
    other = make_user("other")
    with pytest.raises(DomainError) as exc:
        signups.register_volunteer(
            actor=other, scope=scope_of(other), user=other, name="李雷", phone="138-1234-5678", group="resident"
        )
    assert exc.value.field == "phone"
    with pytest.raises(DomainError) as exc:
        signups.register_volunteer(
            actor=world.rider,
            scope=scope_of(world.rider),
            user=world.rider,
            name="何伟",
            phone="13800000000",
            group="rider",
            home_grid=world.grid1,
        )
    assert exc.value.field == "user"
    assert Volunteer.objects.count() == 2


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"phone": "12345"}, "phone"),
        ({"group": "pirate"}, "group"),
        ({"home_grid": None}, "home_grid"),
        ({"employer": "<script>x</script>"}, "employer"),
        ({"skills": ["急救", "<i>"]}, "skills"),
    ],
)
def test_bad_registration_input_names_the_field(world: World, changes: dict, field: str) -> None:
    user = make_user("newrider")
    data = {"name": "张三", "phone": "13700000002", "group": "rider", "home_grid": world.grid1} | changes
    with pytest.raises(DomainError) as exc:
        signups.register_volunteer(actor=user, scope=scope_of(user), user=user, **data)
    assert exc.value.field == field
    assert not Volunteer.objects.exists()


def test_a_rider_becomes_a_mobile_reporter_of_the_home_grids_community(world: World) -> None:
    user = make_user("newrider")
    signups.register_volunteer(
        actor=user,
        scope=scope_of(user),
        user=user,
        name="张三",
        phone="13700000003",
        group="courier",
        home_grid=world.grid2,
    )
    assert user.role_grants.filter(role="mobile_reporter", area=world.community).exists()
    resident = make_user("newresident")
    signups.register_volunteer(
        actor=resident,
        scope=scope_of(resident),
        user=resident,
        name="李四",
        phone="13700000004",
        group="resident",
        home_grid=world.grid2,
    )
    assert not resident.role_grants.exists()
    entry = AuditEntry.objects.filter(action="volunteers.registered").last()
    assert entry is not None and "13700000003" not in str(entry.detail) and "张三" not in str(entry.detail)


def test_staff_register_others_only_in_their_reach(world: World) -> None:
    user = make_user("walkin")
    with pytest.raises(DomainError) as exc:
        signups.register_volunteer(
            actor=world.grid2_worker,
            user=user,
            scope=scope_of(world.grid2_worker),
            name="赵六",
            phone="13700000005",
            group="resident",
            home_grid=world.grid1,
        )
    assert exc.value.field == "user"
    signups.register_volunteer(
        actor=world.grid1_worker,
        user=user,
        scope=scope_of(world.grid1_worker),
        name="赵六",
        phone="13700000005",
        group="resident",
        home_grid=world.grid1,
    )
    other = make_user("other")
    with pytest.raises(DomainError):
        signups.register_volunteer(
            actor=world.rider,
            user=other,
            scope=scope_of(world.rider),
            name="钱七",
            phone="13700000006",
            group="resident",
        )


def test_partners_and_representatives(world: World) -> None:
    with pytest.raises(DomainError) as exc:
        signups.create_partner(actor=world.rider, scope=scope_of(world.rider), name="美团", kind="platform")
    assert exc.value.code == "forbidden"
    partner = signups.create_partner(
        actor=world.community_admin, scope=scope_of(world.community_admin), name="美团外卖", kind="platform"
    )
    with pytest.raises(DomainError) as exc:
        signups.create_partner(
            actor=world.community_admin, scope=scope_of(world.community_admin), name="美团外卖", kind="platform"
        )
    assert exc.value.field == "name"
    signups.add_representative(
        actor=world.community_admin, scope=scope_of(world.community_admin), partner=partner, user=world.partner
    )
    assert list(partner.representatives.all()) == [world.partner]
    with pytest.raises(DomainError) as exc:
        signups.add_representative(
            actor=world.community_admin, scope=scope_of(world.community_admin), partner=partner, user=world.partner
        )
    assert exc.value.field == "user"
    unit = signups.create_partner(
        actor=world.community_admin,
        scope=scope_of(world.community_admin),
        name="驿站",
        kind="unit",
        place=world.station,
    )
    signups.add_representative(
        actor=world.community_admin, scope=scope_of(world.community_admin), partner=unit, user=world.resident
    )
    assert world.resident.role_grants.filter(role="partner_rep", unit=world.station).exists()
    with pytest.raises(DomainError):
        signups.create_partner(
            actor=world.other_admin, scope=scope_of(world.other_admin), name="外", kind="unit", place=world.station
        )
    assert Partner.objects.count() == 2


@pytest.mark.parametrize("persona", ["grid2_worker", "community_staff", "street_staff", "rider", "stranger"])
def test_keeping_partners_fails_closed_without_the_permissions(world: World, persona: str) -> None:
    """A grid worker keeps volunteers (volunteers.manage) but adds no partner (partners.manage)
    and grants no role (accounts.manage), even where the partner's place lies in their grid;
    and a caller that leaves the scope out is refused before anything is read."""
    actor = world.users[persona]
    scope = scope_of(actor)
    with pytest.raises(DomainError) as exc:
        signups.create_partner(actor=actor, scope=scope, name="网格伙伴", kind="unit", place=world.station)
    assert exc.value.code in ("forbidden", "invalid")
    with pytest.raises(DomainError) as exc:
        signups.create_partner(actor=actor, scope=scope, name="无人伙伴", kind="platform")
    assert exc.value.code == "forbidden"
    with pytest.raises(TypeError):
        signups.create_partner(actor=actor, name="无人伙伴", kind="platform")  # type: ignore[call-arg]
    unit = signups.create_partner(
        actor=world.community_admin,
        scope=scope_of(world.community_admin),
        name="驿站",
        kind="unit",
        place=world.station,
    )
    for user in (actor, world.system_admin, world.stranger):
        with pytest.raises(DomainError) as exc:
            signups.add_representative(actor=actor, scope=scope, partner=unit, user=user)
        assert exc.value.code == "forbidden"
    with pytest.raises(DomainError):
        signups.add_representative(actor=None, scope=Scope(), partner=unit, user=world.stranger)
    assert not unit.representatives.exists()
    assert not RoleGrant.objects.filter(role="partner_rep", unit=world.station).exclude(user=world.partner).exists()


def test_the_system_keeps_partners_only_when_named(world: World) -> None:
    unit = signups.create_partner(actor=SYSTEM, scope=SYSTEM_SCOPE, name="驿站", kind="unit", place=world.station)
    signups.add_representative(actor=SYSTEM, scope=SYSTEM_SCOPE, partner=unit, user=world.stranger)
    assert world.stranger.role_grants.filter(role="partner_rep", unit=world.station).exists()
    entry = AuditEntry.objects.filter(action="accounts.role_granted", object_id=str(world.stranger.pk)).get()
    assert entry.actor_id is None and entry.role == "system"


# --- publishing ---------------------------------------------------------------------------------


def test_publishing_sets_times_capacity_roles_resources_and_a_secret(volunteering: Volunteering) -> None:
    a = volunteering.cleanup
    assert a.published and a.capacity == 2 and a.roles_needed == ["引导", "清扫"]
    assert a.resources == {"venue": "一号院活动室", "goods": "扫帚", "money": "200.00"}
    assert len(a.checkin_secret) >= 24


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"start_time": None}, "start_time"),
        ({"end_time": None}, "end_time"),
        ({"end_time": time(8)}, "end_time"),
        ({"capacity": 0}, "capacity"),
        ({"roles_needed": ["<b>"]}, "roles_needed"),
        ({"resources": {"money": "lots"}}, "money"),
    ],
)
def test_bad_publishing_names_the_field(volunteering: Volunteering, world: World, changes: dict, field: str) -> None:
    data = {"start_time": time(9), "end_time": time(11), "capacity": 5} | changes
    with pytest.raises(DomainError) as exc:
        signups.publish_activity(
            actor=world.grid1_worker, scope=SYSTEM_SCOPE, activity=volunteering.draft, now=volunteering.now, **data
        )
    assert exc.value.field == field
    volunteering.draft.refresh_from_db()
    assert not volunteering.draft.published and volunteering.draft.checkin_secret == ""


def test_publishing_needs_a_future_start_and_the_organisers_reach(volunteering: Volunteering, world: World) -> None:
    late = local(volunteering.day, 9, 30)
    with pytest.raises(DomainError) as exc:
        signups.publish_activity(
            actor=world.grid1_worker,
            scope=SYSTEM_SCOPE,
            activity=volunteering.draft,
            start_time=time(9),
            end_time=time(11),
            capacity=None,
            now=late,
        )
    assert exc.value.field == "start_time"
    with pytest.raises(DomainError) as exc:
        signups.publish_activity(
            actor=world.grid2_worker,
            scope=scope_of(world.grid2_worker),
            activity=volunteering.draft,
            start_time=time(9),
            end_time=time(11),
            capacity=None,
        )
    assert exc.value.code == "forbidden"


# --- sign-up and the waiting list ---------------------------------------------------------------


def test_past_capacity_joins_the_waiting_list_which_moves_up_on_cancel(
    volunteering: Volunteering, world: World
) -> None:
    a, now = volunteering.cleanup, volunteering.now
    first = signups.sign_up(actor=world.rider, activity=a, role="引导", now=now)
    second = signups.sign_up(actor=world.resident, activity=a, now=now + timedelta(minutes=1))
    third_v, fourth_v = volunteer(3), volunteer(4)
    third = signups.sign_up(actor=third_v.user, activity=a, now=now + timedelta(minutes=2))
    fourth = signups.sign_up(actor=fourth_v.user, activity=a, now=now + timedelta(minutes=3))
    assert [s.state for s in (first, second, third, fourth)] == ["confirmed", "confirmed", "waiting", "waiting"]
    signups.cancel_signup(actor=world.rider, signup=first, scope=scope_of(world.rider), now=now + timedelta(hours=1))
    states = dict(SignUp.objects.filter(activity=a).values_list("pk", "state"))
    assert states == {first.pk: "cancelled", second.pk: "confirmed", third.pk: "confirmed", fourth.pk: "waiting"}
    note = Notification.objects.get(recipient=third_v.user, kind="volunteers.moved_up")
    assert "楼道杂物清理" in note.title
    assert not Notification.objects.filter(recipient=fourth_v.user).exists()
    # Signing up again after cancelling is allowed: a new place in line.
    again = signups.sign_up(actor=world.rider, activity=a, now=now + timedelta(hours=2))
    assert again.state == "waiting"


def test_sign_up_refusals(volunteering: Volunteering, world: World) -> None:
    a, now = volunteering.cleanup, volunteering.now
    with pytest.raises(DomainError) as exc:
        signups.sign_up(actor=world.grid1_worker, activity=a, now=now)
    assert exc.value.field == "volunteer"
    with pytest.raises(DomainError) as exc:
        signups.sign_up(actor=world.rider, activity=volunteering.draft, now=now)
    assert exc.value.field == "activity"
    with pytest.raises(DomainError) as exc:
        signups.sign_up(actor=world.rider, activity=a, now=local(volunteering.day, 9, 1))
    assert exc.value.field == "activity"
    with pytest.raises(DomainError) as exc:
        signups.sign_up(actor=world.rider, activity=a, role="厨师", now=now)
    assert exc.value.field == "role"
    signups.sign_up(actor=world.rider, activity=a, now=now)
    with pytest.raises(DomainError) as exc:
        signups.sign_up(actor=world.rider, activity=a, now=now)
    assert exc.value.field == "activity"
    Activity.objects.filter(pk=a.pk).update(cancelled=True)
    with pytest.raises(DomainError) as exc:
        signups.sign_up(actor=world.resident, activity=a, now=now)
    assert exc.value.field == "activity"
    assert SignUp.objects.count() == 1


def test_cancel_refusals(volunteering: Volunteering, world: World) -> None:
    signup = signups.sign_up(actor=world.rider, activity=volunteering.cleanup, now=volunteering.now)
    with pytest.raises(DomainError) as exc:
        signups.cancel_signup(actor=world.grid2_worker, signup=signup, scope=scope_of(world.grid2_worker))
    assert exc.value.code == "forbidden"
    with pytest.raises(DomainError) as exc:
        signups.cancel_signup(actor=world.rider, scope=SYSTEM_SCOPE, signup=signup, now=local(volunteering.day, 9, 5))
    assert exc.value.field == "signup"
    signups.cancel_signup(actor=world.grid1_worker, signup=signup, scope=scope_of(world.grid1_worker))
    with pytest.raises(DomainError) as exc:
        signups.cancel_signup(actor=world.rider, scope=SYSTEM_SCOPE, signup=signup)
    assert exc.value.field == "signup"


def test_raising_the_capacity_moves_the_waiting_list_up(volunteering: Volunteering, world: World) -> None:
    a, now = volunteering.cleanup, volunteering.now
    signups.sign_up(actor=world.rider, activity=a, now=now)
    signups.sign_up(actor=world.resident, activity=a, now=now)
    waiting = signups.sign_up(actor=volunteer(5).user, activity=a, now=now)
    with pytest.raises(DomainError) as exc:
        signups.publish_activity(
            actor=world.grid1_worker,
            scope=SYSTEM_SCOPE,
            activity=a,
            start_time=time(9),
            end_time=time(11),
            capacity=1,
            now=now,
        )
    assert exc.value.field == "capacity"
    signups.publish_activity(
        actor=world.grid1_worker,
        scope=SYSTEM_SCOPE,
        activity=a,
        start_time=time(9),
        end_time=time(11),
        capacity=3,
        now=now,
    )
    waiting.refresh_from_db()
    assert waiting.state == "confirmed"


def test_reminders_the_day_before_once(volunteering: Volunteering, world: World) -> None:
    a = volunteering.cleanup
    confirmed = signups.sign_up(actor=world.rider, activity=a, now=volunteering.now)
    signups.sign_up(actor=world.resident, activity=a, now=volunteering.now)
    late = signups.sign_up(actor=volunteer(6).user, activity=a, now=volunteering.now)
    assert late.state == "waiting"
    assert signups.send_reminders(now=local(volunteering.day - timedelta(days=3), 10)) == 0
    eve = local(volunteering.day - timedelta(days=1), 10)
    assert signups.send_reminders(now=eve) == 2
    assert signups.send_reminders(now=eve + timedelta(hours=1)) == 0
    confirmed.refresh_from_db()
    assert confirmed.reminded_at == eve
    assert Notification.objects.filter(kind="volunteers.reminder").count() == 2
    assert not Notification.objects.filter(recipient=late.volunteer.user, kind="volunteers.reminder").exists()


# --- check-in -----------------------------------------------------------------------------------


def test_the_code_is_valid_from_an_hour_before_to_an_hour_after_the_end(volunteering: Volunteering) -> None:
    a, day = volunteering.cleanup, volunteering.day
    token = checkins.checkin_token(a)
    assert checkins.activity_for_token(token, now=local(day, 8, 0)) == a
    assert checkins.activity_for_token(token, now=local(day, 12, 0)) == a  # checking out
    for moment in (local(day, 7, 59), local(day, 12, 1)):
        with pytest.raises(DomainError) as exc:
            checkins.activity_for_token(token, now=moment)
        assert exc.value.field == "token"


@pytest.mark.parametrize("mangle", ["forged", "other_activity", "garbage", "voided"])
def test_forged_codes_are_refused(volunteering: Volunteering, mangle: str) -> None:
    a = volunteering.cleanup
    token = checkins.checkin_token(a)
    if mangle == "forged":
        token = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    elif mangle == "other_activity":
        token = f"{volunteering.draft.pk}:{token.partition(':')[2]}"
    elif mangle == "garbage":
        token = "not-a-token"
    else:
        Activity.objects.filter(pk=a.pk).update(checkin_secret="a-new-secret")
    with pytest.raises(DomainError) as exc:
        checkins.activity_for_token(token, now=local(volunteering.day, 9))
    assert exc.value.field == "token"
    with pytest.raises(signing.BadSignature):
        signing.Signer(salt="other").unsign(checkins.checkin_token(volunteering.cleanup))


def test_check_in_once_then_out_records_service_and_participation(volunteering: Volunteering, world: World) -> None:
    a, day = volunteering.cleanup, volunteering.day
    signups.sign_up(actor=world.rider, activity=a, now=volunteering.now)
    attendance = checkins.check_in(actor=world.rider, scope=SYSTEM_SCOPE, activity=a, now=local(day, 8, 50))
    assert attendance.method == "qr" and attendance.recorded_by is None
    with pytest.raises(DomainError) as exc:
        checkins.check_in(actor=world.rider, scope=SYSTEM_SCOPE, activity=a, now=local(day, 8, 55))
    assert exc.value.field == "volunteer"
    participant = Participant.objects.get(activity=a, user=world.rider)
    assert participant.group == "rider" and participant.name == "何伟"
    out = checkins.check_out(actor=world.rider, scope=SYSTEM_SCOPE, activity=a, now=local(day, 10, 30))
    assert out.checked_out_at == local(day, 10, 30)
    with pytest.raises(DomainError):
        checkins.check_out(actor=world.rider, scope=SYSTEM_SCOPE, activity=a, now=local(day, 10, 31))
    record = ServiceRecord.objects.get(attendance=attendance)
    assert record.minutes == 90 and record.state == "pending"
    assert Attendance.objects.count() == 1 and Participant.objects.filter(activity=a).count() == 1


def test_walk_ins_check_in_by_code_and_existing_participants_are_not_doubled(
    volunteering: Volunteering, world: World
) -> None:
    a, day = volunteering.cleanup, volunteering.day
    from nuanxin.volunteers.activities.actions import add_participant

    add_participant(actor=world.grid1_worker, scope=SYSTEM_SCOPE, activity=a, group="resident", user=world.resident)
    checkins.check_in(actor=world.resident, scope=SYSTEM_SCOPE, activity=a, now=local(day, 9, 10))
    assert Participant.objects.filter(activity=a, user=world.resident).count() == 1


def test_check_in_by_hand(volunteering: Volunteering, world: World) -> None:
    a, day = volunteering.cleanup, volunteering.day
    signups.sign_up(actor=world.resident, activity=a, now=volunteering.now)
    with pytest.raises(DomainError) as exc:
        checkins.check_in(
            actor=world.grid2_worker,
            scope=scope_of(world.grid2_worker),
            activity=a,
            volunteer=volunteering.resident,
            method="by_hand",
            now=local(day, 9),
        )
    assert exc.value.code == "forbidden"
    with pytest.raises(DomainError) as exc:
        checkins.check_in(
            actor=world.grid1_worker,
            scope=scope_of(world.grid1_worker),
            activity=a,
            volunteer=volunteering.rider,
            method="by_hand",
            now=local(day, 9),
        )
    assert exc.value.field == "volunteer"
    attendance = checkins.check_in(
        actor=world.grid1_worker,
        scope=scope_of(world.grid1_worker),
        activity=a,
        volunteer=volunteering.resident,
        method="by_hand",
        now=local(day, 9),
    )
    assert attendance.method == "by_hand" and attendance.recorded_by == world.grid1_worker
    checkins.check_out(
        actor=world.grid1_worker,
        scope=scope_of(world.grid1_worker),
        activity=a,
        volunteer=volunteering.resident,
        by_hand=True,
        now=local(day, 11, 30),
    )
    assert ServiceRecord.objects.filter(attendance=attendance).exists()


def test_check_in_outside_the_time_is_refused(volunteering: Volunteering, world: World) -> None:
    with pytest.raises(DomainError) as exc:
        checkins.check_in(
            actor=world.rider, scope=SYSTEM_SCOPE, activity=volunteering.cleanup, now=local(volunteering.day, 7)
        )
    assert exc.value.field == "activity"
    assert not Attendance.objects.exists()
