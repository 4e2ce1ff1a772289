"""The service-hour pages: allowed and denied for each, errors at their field with nothing
written, masked names on the organiser's page, audited certificate downloads, and bounded
query counts."""

# ruff: noqa: F811 (the `served` fixture is imported from test_hours)

from io import BytesIO
from typing import Any

import pytest
from django.urls import reverse

from nuanxin.core.models import AuditEntry
from nuanxin.testing import SYSTEM_SCOPE, World
from nuanxin.volunteers.hours import actions as hours
from nuanxin.volunteers.hours.queries import DEFAULT_STAR_HOURS, star_hours, stars_for
from nuanxin.volunteers.models import HoursCorrection, ServiceRecord, StarLevels
from nuanxin.volunteers.tests.test_hours import DAY, Served, at, attend, make_volunteer, served  # noqa: F401


def url(name: str, *args: Any) -> str:
    return reverse(f"hours:{name}", args=args)


def html(response: Any) -> str:
    return response.content.decode()


# My hours


def test_my_hours_shows_records_total_and_stars(
    client_for: Any, world: World, served: Served, django_assert_max_num_queries: Any
) -> None:
    hours.approve_record(actor=world.grid1_worker, scope=SYSTEM_SCOPE, record=served.record)
    client = client_for("rider")
    with django_assert_max_num_queries(11):
        response = client.get(url("mine"))
    assert response.status_code == 200
    page = html(response)
    assert 'id="total-hours">2.5<' in page
    assert "楼道杂物清理" in page and url("certificate_pdf") in page
    assert "中秋游园" not in page  # the resident's, not the rider's


def test_my_hours_query_count_does_not_grow_with_records(
    client_for: Any, world: World, served: Served, django_assert_max_num_queries: Any
) -> None:
    from nuanxin.volunteers.tests.test_hours import make_activity

    for _n in range(5):
        activity = make_activity(world)
        hours.record_service(actor=None, attendance=attend(activity, served.rider, at(DAY, 9), at(DAY, 10)))
    client = client_for("rider")
    client.get(url("mine"))
    with django_assert_max_num_queries(11):
        assert client.get(url("mine")).status_code == 200


def test_my_hours_without_a_registration(client_for: Any, served: Served) -> None:
    response = client_for("stranger").get(url("mine"))
    assert response.status_code == 200
    assert "李小龙" not in html(response)


def test_my_hours_needs_a_sign_in(client: Any, served: Served) -> None:
    assert client.get(url("mine")).status_code == 302


def test_the_volunteer_asks_for_a_correction(client_for: Any, served: Served) -> None:
    prefix = f"r{served.other.pk}"
    response = client_for("resident").post(
        url("correct", served.other.pk), {f"{prefix}-minutes": "90", f"{prefix}-reason": "提前到场布置"}
    )
    assert response.status_code == 302
    correction = HoursCorrection.objects.get()
    assert correction.record == served.other and correction.minutes == 90


def test_a_correction_beyond_the_activity_shows_at_minutes(client_for: Any, served: Served) -> None:
    prefix = f"r{served.other.pk}"
    response = client_for("resident").post(
        url("correct", served.other.pk), {f"{prefix}-minutes": "500", f"{prefix}-reason": "一直在"}
    )
    assert response.status_code == 400
    form = next(row["form"] for row in response.context["rows"] if row["record"].pk == served.other.pk)
    assert "minutes" in form.errors
    assert not HoursCorrection.objects.exists()


@pytest.mark.parametrize("persona", ["rider", "grid1_worker", "community_admin", "stranger"])
def test_nobody_else_asks_for_a_correction(client_for: Any, served: Served, persona: str) -> None:
    prefix = f"r{served.other.pk}"
    response = client_for(persona).post(
        url("correct", served.other.pk), {f"{prefix}-minutes": "90", f"{prefix}-reason": "原因"}
    )
    assert response.status_code == 404
    assert not HoursCorrection.objects.exists()


# The organiser's page


@pytest.mark.parametrize("persona", ["grid1_worker", "community_admin", "community_staff"])
def test_organisers_see_the_activitys_records(
    client_for: Any, served: Served, persona: str, django_assert_max_num_queries: Any
) -> None:
    client = client_for(persona)
    with django_assert_max_num_queries(12):
        response = client.get(url("activity", served.activity.pk))
    assert response.status_code == 200
    page = html(response)
    assert "李**" in page and "王*" in page
    assert "李小龙" not in page and "王芳" not in page  # names masked


@pytest.mark.parametrize("persona", ["grid2_worker", "other_admin", "rider", "resident", "stranger", "street_staff"])
def test_others_do_not_see_the_activitys_records(client_for: Any, served: Served, persona: str) -> None:
    assert client_for(persona).get(url("activity", served.activity.pk)).status_code == 404


def test_approving_from_the_page(client_for: Any, served: Served) -> None:
    response = client_for("grid1_worker").post(url("approve", served.record.pk))
    assert response.status_code == 302
    served.record.refresh_from_db()
    assert served.record.state == ServiceRecord.State.APPROVED


@pytest.mark.parametrize("persona", ["grid2_worker", "other_admin", "rider", "resident"])
def test_approving_is_denied_to_others(client_for: Any, served: Served, persona: str) -> None:
    assert client_for(persona).post(url("approve", served.record.pk)).status_code == 404
    served.record.refresh_from_db()
    assert served.record.state == ServiceRecord.State.PENDING


def test_approving_all_from_the_page(client_for: Any, served: Served) -> None:
    assert client_for("community_admin").post(url("approve_all", served.activity.pk)).status_code == 302
    assert set(ServiceRecord.objects.filter(activity=served.activity).values_list("state", flat=True)) == {"approved"}
    assert served.elsewhere.state == ServiceRecord.State.PENDING


def test_approving_all_is_denied_to_others(client_for: Any, served: Served) -> None:
    assert client_for("grid2_worker").post(url("approve_all", served.activity.pk)).status_code == 404
    assert not ServiceRecord.objects.filter(state="approved").exists()


def test_deciding_a_correction_from_the_page(client_for: Any, world: World, served: Served) -> None:
    correction = hours.request_correction(actor=world.resident, record=served.other, minutes=90, reason="提前到场布置")
    page = html(client_for("grid1_worker").get(url("activity", served.activity.pk)))
    assert "提前到场布置" in page
    response = client_for("grid1_worker").post(
        url("decide", correction.pk), {"decision": "approve", f"c{correction.pk}-note": "属实"}
    )
    assert response.status_code == 302
    served.other.refresh_from_db()
    assert served.other.minutes == 90


def test_a_bad_decision_shows_its_error_and_writes_nothing(client_for: Any, world: World, served: Served) -> None:
    correction = hours.request_correction(actor=world.resident, record=served.other, minutes=90, reason="原因")
    client = client_for("grid1_worker")
    long_note = client.post(url("decide", correction.pk), {"decision": "approve", f"c{correction.pk}-note": "x" * 501})
    assert long_note.status_code == 400
    no_choice = client.post(url("decide", correction.pk), {f"c{correction.pk}-note": "ok"})
    assert no_choice.status_code == 400
    correction.refresh_from_db()
    assert correction.state == HoursCorrection.State.REQUESTED


@pytest.mark.parametrize("persona", ["grid2_worker", "other_admin", "resident"])
def test_deciding_is_denied_to_others(client_for: Any, world: World, served: Served, persona: str) -> None:
    correction = hours.request_correction(actor=world.resident, record=served.other, minutes=90, reason="原因")
    response = client_for(persona).post(url("decide", correction.pk), {"decision": "approve"})
    assert response.status_code == 404
    correction.refresh_from_db()
    assert correction.state == HoursCorrection.State.REQUESTED


# Certificates


def test_my_certificate_in_word_and_pdf(client_for: Any, world: World, served: Served) -> None:
    from docx import Document

    hours.approve_record(actor=world.grid1_worker, scope=SYSTEM_SCOPE, record=served.record)
    client = client_for("rider")
    word = client.get(url("certificate_docx"))
    assert word.status_code == 200 and "attachment" in word["Content-Disposition"]
    assert any("李小龙" in p.text for p in Document(BytesIO(word.content)).paragraphs)
    pdf = client.get(url("certificate_pdf"))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    downloads = AuditEntry.objects.filter(action="hours.certificate_downloaded", object_id=str(served.rider.pk))
    assert sorted(e.detail["format"] for e in downloads) == ["docx", "pdf"]


def test_no_certificate_without_a_registration(client_for: Any, served: Served) -> None:
    assert client_for("stranger").get(url("certificate_pdf")).status_code == 404
    assert client_for("grid1_worker").get(url("certificate_docx")).status_code == 404


@pytest.mark.parametrize("persona", ["grid1_worker", "community_admin", "rider"])
def test_staff_of_the_home_grid_download_a_volunteers_certificate(
    client_for: Any, served: Served, persona: str
) -> None:
    response = client_for(persona).get(url("volunteer_certificate_docx", served.rider.pk))
    assert response.status_code == 200
    assert AuditEntry.objects.filter(action="hours.certificate_downloaded").count() == 1


@pytest.mark.parametrize("persona", ["grid2_worker", "other_admin", "resident", "stranger", "auditor"])
def test_others_do_not_download_a_volunteers_certificate(client_for: Any, served: Served, persona: str) -> None:
    assert client_for(persona).get(url("volunteer_certificate_pdf", served.rider.pk)).status_code == 404
    assert not AuditEntry.objects.filter(action="hours.certificate_downloaded").exists()


def test_certificates_need_a_sign_in(client: Any, served: Served) -> None:
    assert client.get(url("certificate_pdf")).status_code == 302
    assert client.get(url("volunteer_certificate_docx", served.rider.pk)).status_code == 302


def test_a_registered_organiser_sees_their_own_hours_unapprovable(
    client_for: Any, world: World, served: Served
) -> None:
    own = make_volunteer(world.grid1_worker, "张网格", world.grid1, 9)
    record = hours.record_service(actor=None, attendance=attend(served.activity, own, at(DAY, 9), at(DAY, 10)))
    client = client_for("grid1_worker")
    assert client.post(url("approve", record.pk)).status_code == 404
    record.refresh_from_db()
    assert record.state == ServiceRecord.State.PENDING


# Star levels


def stars_form(*values: Any) -> dict[str, Any]:
    return {f"star{n}": v for n, v in enumerate(values, start=1)}


@pytest.mark.parametrize("persona", ["community_admin", "community_staff"])
def test_community_staff_see_the_default_star_levels(
    client_for: Any, world: World, persona: str, django_assert_max_num_queries: Any
) -> None:
    client = client_for(persona)
    with django_assert_max_num_queries(12):
        response = client.get(url("stars"))
    assert response.status_code == 200
    assert response.context["community"] == world.community
    assert response.context["current"] == (100, 300, 600, 1000, 1500) and not response.context["own"]
    assert [c.pk for c in response.context["communities"]] == [world.community.pk]


@pytest.mark.parametrize("persona", ["grid1_worker", "grid2_worker", "rider", "resident", "stranger", "street_staff"])
def test_others_do_not_set_star_levels(client_for: Any, world: World, persona: str) -> None:
    client = client_for(persona)
    assert client.get(url("stars")).status_code == 404
    assert client.post(url("stars"), {"community": world.community.pk, **stars_form(1, 2, 3, 4, 5)}).status_code == 404
    assert not StarLevels.objects.exists()


def test_star_levels_of_another_community_are_404(client_for: Any, world: World) -> None:
    client = client_for("community_admin")
    assert client.get(url("stars"), {"community": world.other_community.pk}).status_code == 404
    posted = client.post(url("stars"), {"community": world.other_community.pk, **stars_form(1, 2, 3, 4, 5)})
    assert posted.status_code == 404
    assert client.get(url("stars"), {"community": "x"}).status_code == 404
    assert not StarLevels.objects.exists()


def test_setting_star_levels_changes_the_volunteers_stars(client_for: Any, world: World, served: Served) -> None:
    hours.approve_record(actor=world.grid1_worker, scope=SYSTEM_SCOPE, record=served.record)  # 2.5 hours
    assert stars_for(served.rider) == 0
    client = client_for("community_admin")
    response = client.post(url("stars"), {"community": world.community.pk, **stars_form(1, 2, 3, 4, 5)})
    assert response.status_code == 302
    assert response["Location"] == f"{url('stars')}?community={world.community.pk}"
    assert StarLevels.objects.get(community=world.community).hours == [1, 2, 3, 4, 5]
    assert stars_for(served.rider) == 2
    entry = AuditEntry.objects.get(action="hours.star_levels_set")
    assert entry.actor_id == world.community_admin.pk and entry.detail == {"hours": [1, 2, 3, 4, 5]}
    page = client.get(url("stars"))
    assert page.context["own"] and page.context["current"] == (1, 2, 3, 4, 5)
    # The volunteer's own page shows the new stars.
    assert client_for("rider").get(url("mine")).context["standing"].stars == 2


@pytest.mark.parametrize(
    ("values", "field"),
    [
        (("100", "300", "300", "1000", "1500"), "star3"),  # not rising
        (("100", "300", "600", "500", "1500"), "star4"),
        (("100", "abc", "600", "1000", "1500"), "star2"),  # not a number
        (("100", "2.5", "600", "1000", "1500"), "star2"),
        (("0", "300", "600", "1000", "1500"), "star1"),  # not positive
        (("100", "300", "600", "1000", ""), "star5"),  # five needed
    ],
)
def test_bad_star_levels_show_at_the_field(client_for: Any, world: World, values: tuple, field: str) -> None:
    response = client_for("community_admin").post(url("stars"), stars_form(*values))
    assert response.status_code == 400
    assert list(response.context["form"].errors) == [field]
    assert not StarLevels.objects.exists()
    assert not AuditEntry.objects.filter(action="hours.star_levels_set").exists()


def test_four_numbers_are_not_enough(client_for: Any, world: World) -> None:
    response = client_for("community_admin").post(url("stars"), stars_form(1, 2, 3, 4))
    assert response.status_code == 400 and "star5" in response.context["form"].errors
    assert not StarLevels.objects.exists()


def test_the_organisers_page_links_the_star_levels(client_for: Any, world: World, served: Served) -> None:
    link = f"{url('stars')}?community={world.community.pk}"
    assert link in html(client_for("community_admin").get(url("activity", served.activity.pk)))
    # A grid worker organises the activity but does not set the community's levels.
    assert url("stars") not in html(client_for("grid1_worker").get(url("activity", served.activity.pk)))


def test_an_admin_above_chooses_the_community(client_for: Any, world: World) -> None:
    client = client_for("system_admin")
    first = client.get(url("stars"))
    assert first.status_code == 200
    assert {c.pk for c in first.context["communities"]} == {world.community.pk, world.other_community.pk}
    other = client.get(url("stars"), {"community": world.other_community.pk})
    assert other.status_code == 200 and other.context["community"] == world.other_community
    saved = client.post(url("stars"), {"community": world.other_community.pk, **stars_form(10, 20, 30, 40, 50)})
    assert saved.status_code == 302
    assert star_hours(world.other_community) == (10, 20, 30, 40, 50)
    assert star_hours(world.community) == DEFAULT_STAR_HOURS
