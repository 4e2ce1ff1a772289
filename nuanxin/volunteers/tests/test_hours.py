"""Service hours: minutes capped by the activity's time, approval only by its organisers,
corrections within the activity's length, never deleted, always audited; star levels;
the certificate in Word and PDF."""

import contextlib
import re
import sys
import types
import zlib
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from io import BytesIO
from typing import Any

import pytest
from django.utils import timezone

from nuanxin.core.errors import DomainError
from nuanxin.core.models import AuditEntry
from nuanxin.core.scoping import Scope
from nuanxin.testing import SYSTEM_SCOPE, World
from nuanxin.volunteers.activities.actions import create_activity
from nuanxin.volunteers.hours import actions as hours
from nuanxin.volunteers.hours.certificates import certificate_for, render_docx, render_pdf
from nuanxin.volunteers.hours.queries import (
    DEFAULT_STAR_HOURS,
    activity_minutes,
    hours_total,
    standing_of,
    star_hours,
    stars_at,
    stars_for,
)
from nuanxin.volunteers.models import (
    Activity,
    Attendance,
    HoursCorrection,
    ServiceRecord,
    StarLevels,
    Volunteer,
)

DAY = date(2024, 6, 8)


def at(day: date, hh: int, mm: int = 0) -> datetime:
    """A local (Asia/Shanghai) moment."""
    return timezone.make_aware(datetime.combine(day, time(hh, mm)))


def scope_of(user: Any) -> Scope:
    from nuanxin.accounts.scope import scope_of as build

    return build(user)


def make_volunteer(user: Any, name: str, grid: Any, n: int) -> Volunteer:
    volunteer: Volunteer = Volunteer.objects.create(
        user=user, name=name, phone=f"1380000{n:04d}", phone_index=f"test-{n}", group="rider", home_grid=grid
    )
    return volunteer


def make_activity(
    world: World, *, area: Any = None, start: time | None = time(9), end: time | None = time(11, 30)
) -> Activity:
    activity = create_activity(
        actor=world.grid1_worker,
        scope=SYSTEM_SCOPE,
        kind="cleanup",
        title="楼道杂物清理",
        area=area or world.grid1,
        starts_on=DAY,
        ends_on=DAY,
    )
    Activity.objects.filter(pk=activity.pk).update(start_time=start, end_time=end)
    activity.refresh_from_db()
    return activity


def attend(
    activity: Activity, volunteer: Volunteer, checked_in_at: datetime, checked_out_at: datetime | None
) -> Attendance:
    attendance: Attendance = Attendance.objects.create(
        activity=activity, volunteer=volunteer, checked_in_at=checked_in_at, checked_out_at=checked_out_at, method="qr"
    )
    return attendance


@dataclass
class Served:
    activity: Activity  # grid 1, 2024-06-08 09:00–11:30 (150 minutes)
    rider: Volunteer  # the rider persona, home grid 1
    resident: Volunteer  # the resident persona, home grid 2
    record: ServiceRecord  # the rider's: 08:30–12:15, capped to 150 minutes, pending
    other: ServiceRecord  # the resident's: 09:30–10:30, 60 minutes, pending
    elsewhere: ServiceRecord  # the resident's at an activity of the other community


@pytest.fixture
def served(world: World) -> Served:
    activity = make_activity(world)
    rider = make_volunteer(world.rider, "李小龙", world.grid1, 1)
    resident = make_volunteer(world.resident, "王芳", world.grid2, 2)
    record = hours.record_service(
        actor=world.rider, attendance=attend(activity, rider, at(DAY, 8, 30), at(DAY, 12, 15))
    )
    other = hours.record_service(
        actor=world.resident, attendance=attend(activity, resident, at(DAY, 9, 30), at(DAY, 10, 30))
    )
    far = create_activity(
        actor=world.other_admin,
        scope=SYSTEM_SCOPE,
        kind="festival",
        title="中秋游园",
        area=world.other_community,
        starts_on=DAY,
        ends_on=DAY,
    )
    elsewhere = hours.record_service(actor=world.resident, attendance=attend(far, resident, at(DAY, 10), at(DAY, 12)))
    return Served(activity=activity, rider=rider, resident=resident, record=record, other=other, elsewhere=elsewhere)


# Recording


def test_minutes_are_capped_by_the_activitys_time(served: Served) -> None:
    # Checked in half an hour before the start, out 45 minutes after the end: 09:00–11:30.
    assert served.record.minutes == 150
    assert served.record.state == ServiceRecord.State.PENDING
    assert served.other.minutes == 60
    assert AuditEntry.objects.filter(action="hours.recorded", object_id=str(served.record.pk)).exists()


def test_an_activity_without_times_counts_its_whole_days(world: World) -> None:
    activity = make_activity(world, start=None, end=None)
    rider = make_volunteer(world.rider, "李小龙", world.grid1, 1)
    record = hours.record_service(
        actor=None, attendance=attend(activity, rider, at(date(2024, 6, 7), 23), at(date(2024, 6, 9), 0, 30))
    )
    assert record.minutes == 24 * 60
    assert activity_minutes(activity) == 24 * 60


def test_time_outside_the_activity_is_still_recorded_as_zero(world: World) -> None:
    activity = make_activity(world)
    rider = make_volunteer(world.rider, "李小龙", world.grid1, 1)
    record = hours.record_service(actor=None, attendance=attend(activity, rider, at(DAY, 12), at(DAY, 13)))
    assert record.minutes == 0 and record.state == ServiceRecord.State.PENDING


def test_an_attendance_without_check_out_is_refused(world: World) -> None:
    activity = make_activity(world)
    rider = make_volunteer(world.rider, "李小龙", world.grid1, 1)
    attendance = attend(activity, rider, at(DAY, 9), None)
    with pytest.raises(DomainError) as error:
        hours.record_service(actor=None, attendance=attendance)
    assert error.value.field == "checked_out_at"
    assert not ServiceRecord.objects.exists()


def test_recording_twice_returns_the_same_record(served: Served) -> None:
    again = hours.record_service(actor=None, attendance=served.record.attendance)
    assert again.pk == served.record.pk
    assert ServiceRecord.objects.filter(attendance=served.record.attendance).count() == 1


# Approval


def test_the_organiser_approves_and_points_follow(
    world: World, served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    awarded: list[tuple[Any, Any]] = []
    fake = types.ModuleType("nuanxin.volunteers.points.actions")
    fake.award_service_points = lambda *, actor, record: awarded.append((actor, record))  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "nuanxin.volunteers.points.actions", fake)
    record = hours.approve_record(actor=world.grid1_worker, record=served.record, scope=scope_of(world.grid1_worker))
    assert record.state == ServiceRecord.State.APPROVED and record.approved_by == world.grid1_worker
    assert awarded == [(world.grid1_worker, record)]
    entry = AuditEntry.objects.get(action="hours.approved", object_id=str(record.pk))
    assert entry.detail["minutes"] == 150


def test_approval_writes_the_points_of_the_activitys_kind(world: World, served: Served) -> None:
    from nuanxin.volunteers.models import PointsEntry, PointsRule

    PointsRule.objects.create(kind="cleanup", per_hour=1)
    hours.approve_record(actor=world.grid1_worker, scope=SYSTEM_SCOPE, record=served.record)  # 150 minutes
    entry = PointsEntry.objects.get(record=served.record)
    assert entry.delta == 2 and entry.volunteer == served.rider


@pytest.mark.parametrize("persona", ["community_admin", "community_staff"])
def test_community_staff_approve_too(world: World, served: Served, persona: str) -> None:
    user = world.users[persona]
    hours.approve_record(actor=user, record=served.record, scope=scope_of(user))
    served.record.refresh_from_db()
    assert served.record.state == ServiceRecord.State.APPROVED


@pytest.mark.parametrize(
    "persona", ["grid2_worker", "other_admin", "rider", "resident", "street_staff", "grid1_helper"]
)
def test_only_organisers_of_the_area_approve(world: World, served: Served, persona: str) -> None:
    user = world.users[persona]
    with pytest.raises(DomainError) as error:
        hours.approve_record(actor=user, record=served.other, scope=scope_of(user))
    assert error.value.code == "forbidden"
    served.other.refresh_from_db()
    assert served.other.state == ServiceRecord.State.PENDING
    assert not AuditEntry.objects.filter(action="hours.approved").exists()


def test_approving_twice_is_stale(world: World, served: Served) -> None:
    hours.approve_record(actor=world.grid1_worker, scope=SYSTEM_SCOPE, record=served.record)
    with pytest.raises(DomainError) as error:
        hours.approve_record(actor=world.grid1_worker, scope=SYSTEM_SCOPE, record=served.record)
    assert error.value.code == "stale"


def test_nobody_certifies_their_own_hours(world: World) -> None:
    activity = make_activity(world)
    own = make_volunteer(world.grid1_worker, "张网格", world.grid1, 9)
    record = hours.record_service(actor=None, attendance=attend(activity, own, at(DAY, 9), at(DAY, 10)))
    with pytest.raises(DomainError) as error:
        hours.approve_record(actor=world.grid1_worker, record=record, scope=scope_of(world.grid1_worker))
    assert error.value.code == "forbidden"


def test_approve_all_skips_records_with_an_open_correction(world: World, served: Served) -> None:
    hours.request_correction(actor=world.resident, record=served.other, minutes=90, reason="提前到场布置")
    done = hours.approve_all(actor=world.grid1_worker, activity=served.activity, scope=scope_of(world.grid1_worker))
    assert [r.pk for r in done.approved] == [served.record.pk] and done.skipped == 1
    with pytest.raises(DomainError) as error:
        hours.approve_record(actor=world.grid1_worker, scope=SYSTEM_SCOPE, record=served.other)
    assert error.value.field == "corrections"


# Corrections


def test_a_correction_beyond_the_activitys_length_is_refused_naming_minutes(world: World, served: Served) -> None:
    with pytest.raises(DomainError) as error:
        hours.request_correction(actor=world.resident, record=served.other, minutes=151, reason="一直在现场")
    assert error.value.field == "minutes" and "150" in error.value.message
    assert not HoursCorrection.objects.exists()


@pytest.mark.parametrize("minutes", [-1, None])
def test_a_correction_needs_whole_minutes(world: World, served: Served, minutes: Any) -> None:
    with pytest.raises(DomainError) as error:
        hours.request_correction(actor=world.resident, record=served.other, minutes=minutes, reason="原因")
    assert error.value.field == "minutes"
    assert not HoursCorrection.objects.exists()


@pytest.mark.parametrize("reason", ["", "   ", "x" * 501, "<script>alert(1)</script>"])
def test_a_correction_needs_a_plain_reason(world: World, served: Served, reason: str) -> None:
    with pytest.raises(DomainError) as error:
        hours.request_correction(actor=world.resident, record=served.other, minutes=90, reason=reason)
    assert error.value.field == "reason"
    assert not HoursCorrection.objects.exists()


@pytest.mark.parametrize("persona", ["rider", "grid1_worker", "community_admin"])
def test_only_the_volunteer_asks_for_a_correction(world: World, served: Served, persona: str) -> None:
    with pytest.raises(DomainError) as error:
        hours.request_correction(actor=world.users[persona], record=served.other, minutes=90, reason="原因")
    assert error.value.code == "forbidden"


def test_one_open_correction_at_a_time(world: World, served: Served) -> None:
    hours.request_correction(actor=world.resident, record=served.other, minutes=90, reason="原因")
    with pytest.raises(DomainError):
        hours.request_correction(actor=world.resident, record=served.other, minutes=100, reason="原因")
    assert HoursCorrection.objects.count() == 1


def test_an_approved_correction_sets_the_minutes_and_keeps_the_history(world: World, served: Served) -> None:
    correction = hours.request_correction(actor=world.resident, record=served.other, minutes=90, reason="提前到场布置")
    hours.decide_correction(
        actor=world.grid1_worker, correction=correction, approve=True, note="属实", scope=scope_of(world.grid1_worker)
    )
    served.other.refresh_from_db()
    correction.refresh_from_db()
    assert served.other.minutes == 90
    assert correction.state == HoursCorrection.State.APPROVED and correction.decision_note == "属实"
    entry = AuditEntry.objects.get(action="hours.correction_approved")
    assert entry.detail["from"] == 60 and entry.detail["to"] == 90
    with pytest.raises(DomainError) as error:
        hours.decide_correction(actor=world.grid1_worker, scope=SYSTEM_SCOPE, correction=correction, approve=False)
    assert error.value.code == "stale"


def test_a_declined_correction_keeps_the_minutes(world: World, served: Served) -> None:
    correction = hours.request_correction(actor=world.resident, record=served.other, minutes=90, reason="原因")
    hours.decide_correction(
        actor=world.community_admin, scope=SYSTEM_SCOPE, correction=correction, approve=False, note="签到记录为准"
    )
    served.other.refresh_from_db()
    correction.refresh_from_db()
    assert served.other.minutes == 60 and correction.state == HoursCorrection.State.DECLINED
    assert AuditEntry.objects.filter(action="hours.correction_declined").exists()


@pytest.mark.parametrize("persona", ["grid2_worker", "other_admin", "resident"])
def test_only_organisers_decide_corrections(world: World, served: Served, persona: str) -> None:
    correction = hours.request_correction(actor=world.resident, record=served.other, minutes=90, reason="原因")
    user = world.users[persona]
    with pytest.raises(DomainError) as error:
        hours.decide_correction(actor=user, correction=correction, approve=True, scope=scope_of(user))
    assert error.value.code == "forbidden"
    served.other.refresh_from_db()
    assert served.other.minutes == 60


def test_records_are_never_deleted(served: Served) -> None:
    with pytest.raises(PermissionError):
        served.record.delete()
    assert ServiceRecord.objects.filter(pk=served.record.pk).exists()


# Star levels


def test_default_star_thresholds() -> None:
    levels = DEFAULT_STAR_HOURS
    assert [stars_at(h, levels) for h in (0, Decimal("99.9"), 100, 299, 300, 600, 999, 1000, 1500, 9000)] == [
        0,
        0,
        1,
        1,
        2,
        3,
        3,
        4,
        5,
        5,
    ]


def test_star_thresholds_from_the_settings(world: World, settings: Any) -> None:
    settings.NUANXIN_STAR_HOURS = [10, 20, 30, 40, 50]
    assert star_hours(world.community) == (10, 20, 30, 40, 50)
    settings.NUANXIN_STAR_HOURS = [10, 5]  # unsound: the national default holds
    assert star_hours(world.community) == DEFAULT_STAR_HOURS


def test_a_community_sets_its_own_star_levels(world: World, served: Served) -> None:
    hours.set_star_levels(
        actor=world.community_admin,
        community=world.community,
        hours=[1, 2, 3, 4, 5],
        scope=scope_of(world.community_admin),
    )
    assert star_hours(world.community) == (1, 2, 3, 4, 5)
    assert star_hours(world.other_community) == DEFAULT_STAR_HOURS
    assert stars_for(served.rider) == 0  # nothing approved yet
    hours.approve_record(actor=world.grid1_worker, scope=SYSTEM_SCOPE, record=served.record)  # 2.5 hours
    assert hours_total(served.rider) == Decimal("2.5")
    assert stars_for(served.rider) == 2
    standing = standing_of(served.rider)
    assert standing.stars == 2 and standing.next_star_hours == 1


@pytest.mark.parametrize("bad", [[1, 2, 3, 4], [5, 4, 3, 2, 1], [0, 1, 2, 3, 4], "100", [1, 2, 3, 4, True]])
def test_star_levels_refuse_bad_input(world: World, bad: Any) -> None:
    with pytest.raises(DomainError) as error:
        hours.set_star_levels(actor=world.community_admin, scope=SYSTEM_SCOPE, community=world.community, hours=bad)
    assert error.value.field == "hours"
    assert not StarLevels.objects.exists()


def test_star_levels_need_volunteers_manage_at_the_community(world: World) -> None:
    with pytest.raises(DomainError) as error:
        hours.set_star_levels(
            actor=world.other_admin, community=world.community, hours=[1, 2, 3, 4, 5], scope=scope_of(world.other_admin)
        )
    assert error.value.code == "forbidden"


# The certificate


def pdf_text(content: bytes) -> bytes:
    """The PDF's bytes with its compressed streams inflated (metadata may sit in one)."""
    out = [content]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", content, re.S):
        with contextlib.suppress(zlib.error):
            out.append(zlib.decompress(match.group(1)))
    return b"\n".join(out)


def test_the_certificate_lists_the_approved_records(world: World, served: Served) -> None:
    hours.approve_record(actor=world.grid1_worker, scope=SYSTEM_SCOPE, record=served.record)
    certificate = certificate_for(served.rider, today=date(2024, 12, 1))
    assert certificate.name == "李小龙"
    assert certificate.total_hours == Decimal("2.5")
    assert [(line.activity, line.organiser, line.hours) for line in certificate.lines] == [
        ("楼道杂物清理", "测试社区", Decimal("2.5"))
    ]
    assert certificate.number == f"ZYFW-C01-20241201-{served.rider.pk:06d}"


def test_the_word_certificate_opens(world: World, served: Served) -> None:
    from docx import Document

    hours.approve_record(actor=world.grid1_worker, scope=SYSTEM_SCOPE, record=served.record)
    document = Document(BytesIO(render_docx(certificate_for(served.rider))))
    text = "\n".join(p.text for p in document.paragraphs)
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    assert "李小龙" in text
    assert "楼道杂物清理" in cells and "2.5" in cells


def test_the_pdf_certificate_opens(world: World, served: Served) -> None:
    hours.approve_record(actor=world.grid1_worker, scope=SYSTEM_SCOPE, record=served.record)
    content = render_pdf(certificate_for(served.rider))
    assert content.startswith(b"%PDF")
    assert b"total 2.5 h" in pdf_text(content)
