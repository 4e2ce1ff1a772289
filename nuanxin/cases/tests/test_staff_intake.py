"""Staff entering a case on behalf of a caller: the caller is the reporter, the staff member
the actor; only staff who work on cases may, and bad input writes nothing."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from nuanxin.cases.models import Case, CaseFollower, CasePhoto
from nuanxin.core.errors import DomainError
from nuanxin.core.models import AuditEntry
from nuanxin.testing import photo_upload

PIN = {"lat": "24.9811", "lng": "102.7011"}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _form(**change):
    data = {"case_class": "sanitation", "description": "来电：楼下垃圾三天没人清", "reporter_name": "王秀英"}
    data |= {"reporter_phone": "13812345678"}
    return data | change


def test_community_staff_enter_a_case_at_a_place_for_a_caller(world, catalogue, client_for):
    staff = world.community_staff
    response = client_for("community_staff").post("/cases/new/", _form(place=world.compound2.pk))
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/"
    assert (case.channel, case.reporter, case.place, case.grid) == ("staff", None, world.compound2, world.grid2)
    assert (case.lng, case.lat) == (world.compound2.lng, world.compound2.lat)
    assert (case.reporter_name, case.reporter_phone) == ("王秀英", "13812345678")
    assert case.events.get().actor == staff
    assert AuditEntry.objects.get(action="cases.reported", object_id=str(case.pk)).actor_id == staff.pk
    assert not CaseFollower.objects.filter(case=case).exists()


def test_a_grid_worker_enters_a_case_with_a_map_pin_and_a_photo(world, catalogue, client_for):
    data = _form(**PIN) | {"photos": [photo_upload()]}
    response = client_for("grid1_worker").post("/cases/new/", data)
    assert response.status_code == 302
    case = Case.objects.get()
    assert (case.grid, case.channel, case.reporter) == (world.grid1, "staff", None)
    assert CasePhoto.objects.filter(case=case, stage="report").count() == 1


def test_an_anonymous_caller_leaves_no_name_but_the_staff_member_is_recorded(world, catalogue, client_for):
    client_for("community_staff").post("/cases/new/", _form(anonymous="on", **PIN))
    case = Case.objects.get()
    assert (case.anonymous, case.reporter_name, case.reporter_phone, case.reporter) == (True, "", "", None)
    assert case.events.get().actor == world.community_staff


def test_a_case_entered_outside_ones_own_reach_goes_to_its_grid(world, catalogue, client_for):
    """A caller may ring about anywhere in the grids: the case is routed there even when the
    staff member cannot follow it afterwards."""
    response = client_for("grid1_worker").post("/cases/new/", _form(lat="24.9811", lng="102.7031"))
    case = Case.objects.get()
    assert case.grid == world.grid2
    assert response.status_code == 302 and response["Location"] == "/cases/new/"


def test_intake_page_shows_classes_and_the_places_the_staff_member_may_see(world, catalogue, client_for):
    response = client_for("grid1_worker").get("/cases/new/")
    assert response.status_code == 200
    places = set(response.context["form"].fields["place"].queryset)
    assert world.compound1 in places and world.compound2 not in places and world.other_compound not in places


@pytest.mark.parametrize("persona", ["rider", "resident", "grid1_helper", "partner", "auditor", "stranger"])
def test_people_who_do_not_work_on_cases_get_404_and_write_nothing(world, catalogue, client_for, persona):
    client = client_for(persona)
    assert client.get("/cases/new/").status_code == 404
    assert client.post("/cases/new/", _form(**PIN)).status_code == 404
    assert not Case.objects.exists()


def test_intake_page_needs_a_sign_in(client):
    response = client.get("/cases/new/")
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"place": "OTHER"}, "place"),  # a place outside the staff member's scope
        ({"place": "999999"}, "place"),
        ({}, "place"),  # neither a place nor a pin
        ({"lat": "24.9911", "lng": "102.7500"}, "place"),  # outside every grid
        ({"lat": "95", "lng": "102.7011"}, "place"),  # not a coordinate
        ({"description": "<script>alert(1)</script>", **PIN}, "description"),
        ({"reporter_name": "<b>王</b>", **PIN}, "reporter_name"),
        ({"reporter_phone": "123", **PIN}, "reporter_phone"),
        ({"case_class": "unicorns", **PIN}, "case_class"),
        ({"description": "", **PIN}, "description"),
    ],
)
def test_bad_intake_is_shown_at_its_field_and_writes_nothing(world, catalogue, client_for, change, field):
    if change.get("place") == "OTHER":
        change = {"place": str(world.other_compound.pk)}
    response = client_for("grid1_worker").post("/cases/new/", _form(**change))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Case.objects.exists() and not AuditEntry.objects.filter(action="cases.reported").exists()


def test_a_non_image_photo_is_refused_and_nothing_is_written(world, catalogue, client_for):
    fake = SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg")
    response = client_for("grid1_worker").post("/cases/new/", _form(**PIN) | {"photos": [fake]})
    assert response.status_code == 400 and response.context["photo_error"]
    assert not Case.objects.exists()


def test_the_staff_channel_refuses_someone_who_does_not_work_on_cases(world, report):
    with pytest.raises(DomainError) as err:
        report("sanitation", by=world.rider, channel="staff")
    assert err.value.code == "forbidden"
    assert not Case.objects.exists()


def test_on_the_staff_channel_the_staff_member_is_never_the_reporter(world, report):
    case = report("sanitation", by=world.grid1_worker, channel="staff", reporter_name="李四")
    assert case.reporter is None and case.reporter_name == "李四"
    assert case.events.get().actor == world.grid1_worker
    phone_page = report("sanitation", by=world.grid1_worker)
    assert phone_page.reporter == world.grid1_worker


def test_case_list_links_to_the_intake_page_for_case_workers_only(world, catalogue, client_for):
    assert 'href="/cases/new/"' in client_for("grid1_worker").get("/cases/").content.decode()
    assert 'href="/cases/new/"' in client_for("community_staff").get("/cases/").content.decode()
    assert 'href="/cases/new/"' not in client_for("grid1_helper").get("/cases/").content.decode()
