"""People pages: who sees which resident, masking, tags by role, search by POST, reveal."""

import re

import pytest
import time_machine
from django.utils import translation

from nuanxin.core.models import AuditEntry
from nuanxin.people import actions
from nuanxin.people.models import KeyPersonCategory, ResidentTag, SpecialGroup
from nuanxin.people.tests.sample import LI_ID, LI_PHONE, WANG_ID, WANG_PHONE, ZHANG_ID, ZHANG_PHONE
from nuanxin.testing import SYSTEM_SCOPE

FULL_VALUES = (ZHANG_ID, ZHANG_PHONE, LI_ID, LI_PHONE, WANG_ID, WANG_PHONE)


def text(response):
    return response.content.decode()


def assert_nothing_unmasked(page):
    for value in FULL_VALUES:
        assert value not in page
    for id_number in (ZHANG_ID, LI_ID, WANG_ID):
        assert id_number[6:14] not in page  # the birth date
    assert not re.search(r"\d{17}[\dX]", page)
    assert not re.search(r"(?<!\d)1[3-9]\d{9}(?!\d)", page)


def test_grid1_worker_lists_grid1_residents_masked(client_for, people):
    response = client_for("grid1_worker").get("/people/")
    page = text(response)
    assert response.status_code == 200
    assert "张三" in page and "李四" in page and "王五" not in page
    assert "138****5678" in page
    assert_nothing_unmasked(page)
    assert "no-store" in response["Cache-Control"]


def test_detail_is_masked_and_shows_household_members(client_for, people):
    response = client_for("grid1_worker").get(f"/people/{people.zhang.pk}/")
    page = text(response)
    assert response.status_code == 200
    assert "530112********" + ZHANG_ID[-4:] in page and "138****5678" in page
    assert "李四" in page and "3-2-501" in page
    assert "19800307" not in page
    assert_nothing_unmasked(page)
    assert "no-store" in response["Cache-Control"]


def test_worker_gets_404_for_another_grids_resident(client_for, people):
    assert client_for("grid1_worker").get(f"/people/{people.wang.pk}/").status_code == 404
    assert AuditEntry.objects.filter(action="access.denied", object_repr__contains="people.resident").exists()


ELDERLY, CORRECTION = SpecialGroup.ELDERLY_ALONE, KeyPersonCategory.COMMUNITY_CORRECTION
SPECIAL, KEY = ResidentTag.Kind.SPECIAL_GROUP, ResidentTag.Kind.KEY_PERSON


def labels(*choices):
    with translation.override("zh-hans"):  # the pages' language
        return [str(choice.label) for choice in choices]


@pytest.mark.parametrize(
    ("persona", "sees", "hidden"),
    [
        ("grid1_leader", [SPECIAL, KEY], []),
        ("grid1_worker", [SPECIAL], [KEY]),
        ("grid1_helper", [], [SPECIAL, KEY]),
    ],
)
def test_tags_show_by_kind_only_to_roles_holding_the_permission(client_for, people, persona, sees, hidden):
    client = client_for(persona)
    for page in (text(client.get(f"/people/{people.zhang.pk}/")), text(client.get("/people/"))):
        for label in labels(*sees):
            assert label in page, (persona, label)
        for label in labels(*hidden):
            assert label not in page, (persona, label)
        for secret in [*labels(ELDERLY, CORRECTION), "每周报到"]:  # categories and notes need a reveal
            assert secret not in page, (persona, secret)


@pytest.mark.parametrize(
    ("persona", "sees", "hidden"),
    [("grid1_leader", [ELDERLY, CORRECTION], []), ("grid1_worker", [ELDERLY], [CORRECTION])],
)
def test_revealing_tags_shows_categories_and_notes_of_the_visible_kinds(client_for, people, persona, sees, hidden):
    client = client_for(persona)
    assert '<option value="tags">' in text(client.get(f"/people/{people.zhang.pk}/"))
    response = client.post(f"/people/{people.zhang.pk}/reveal/", {"field": "tags", "reason": "核对帮扶对象"})
    assert response.status_code == 200
    page = text(response)
    for label in labels(*sees):
        assert label in page
    for label in labels(*hidden):
        assert label not in page
    assert ("每周报到" in page) == (persona == "grid1_leader")
    assert AuditEntry.objects.get(action="people.revealed").detail == {"field": "tags", "reason": "核对帮扶对象"}


def test_revealing_tags_with_none_visible_shows_an_error(client_for, people):
    response = client_for("grid1_worker").post(
        f"/people/{people.li.pk}/reveal/", {"field": "tags", "reason": "核对帮扶"}
    )
    assert response.status_code == 400 and 'class="field-error"' in text(response)
    assert not AuditEntry.objects.filter(action="people.revealed").exists()


@pytest.mark.parametrize(("persona", "shown"), [("grid1_worker", True), ("grid1_helper", False)])
def test_the_year_of_birth_shows_only_to_those_who_may_reveal(client_for, people, persona, shown):
    page = text(client_for(persona).get(f"/people/{people.zhang.pk}/"))
    assert ("1980" in page) == shown


@pytest.mark.parametrize("persona", ["rider", "resident"])
def test_riders_and_residents_see_only_their_own_record(client_for, people, persona):
    own = people.rider_self if persona == "rider" else people.resident_self
    client = client_for(persona)
    page = text(client.get("/people/"))
    assert own.name in page and "张三" not in page and "王五" not in page
    assert client.get(f"/people/{own.pk}/").status_code == 200
    assert client.get(f"/people/{people.zhang.pk}/").status_code == 404
    assert client.get(f"/people/{people.wang.pk}/").status_code == 404


@pytest.mark.parametrize("persona", ["stranger", "auditor", "partner"])
def test_people_without_reach_see_nothing(client_for, people, persona):
    client = client_for(persona)
    assert client.get("/people/").status_code == 404
    assert client.get(f"/people/{people.zhang.pk}/").status_code == 404
    assert (
        client.post(f"/people/{people.zhang.pk}/reveal/", {"field": "phone", "reason": "上门走访"}).status_code == 404
    )


def test_anonymous_is_sent_to_login(client, people):
    for url in ("/people/", f"/people/{people.zhang.pk}/"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_search_is_a_post_and_finds_by_phone_and_pinyin(client_for, people):
    client = client_for("community_admin")
    page = text(client.post("/people/", {"q": LI_PHONE}))
    assert "李四" in page and "张三" not in page
    assert LI_PHONE not in page.replace(f'value="{LI_PHONE}"', "")  # only echoed back in the search box
    page = text(client.post("/people/", {"q": "zs"}))
    assert "张三" in page and "李四" not in page
    # A query string is ignored: phones and ID numbers are never looked up from a URL.
    page = text(client.get("/people/", {"q": LI_PHONE}))
    assert "张三" in page
    assert AuditEntry.objects.get(action="people.searched").detail == {"by": "phone", "matches": 1}


@pytest.mark.parametrize("q", [ZHANG_PHONE, ZHANG_ID])
def test_a_helper_searching_by_phone_or_id_gets_a_form_error(client_for, people, q):
    client = client_for("grid1_helper")
    response = client.post("/people/", {"q": q})
    assert response.status_code == 400
    page = text(response)
    assert 'class="field-error"' in page and 'aria-invalid="true"' in page
    assert 'class="card"' not in page
    assert not AuditEntry.objects.filter(action="people.searched").exists()
    assert "张三" in text(client.post("/people/", {"q": "张"}))


def test_the_31st_exact_search_gets_a_form_error(client_for, people):
    client = client_for("grid1_worker")
    with time_machine.travel("2026-03-02 09:00:00+08:00", tick=False) as clock:
        for _ in range(30):
            assert client.post("/people/", {"q": LI_PHONE}).status_code == 200
        response = client.post("/people/", {"q": LI_PHONE})
        assert response.status_code == 429 and response["Retry-After"] == "600"
        assert 'class="field-error"' in text(response) and 'class="card"' not in text(response)
        clock.shift(600)
        assert 'class="card"' in text(client.post("/people/", {"q": LI_PHONE}))


def test_reveal_shows_the_value_once_and_is_audited(client_for, people, world):
    client = client_for("grid1_worker")
    response = client.post(f"/people/{people.zhang.pk}/reveal/", {"field": "id_number", "reason": "核对低保申请材料"})
    assert response.status_code == 200
    assert ZHANG_ID in text(response)
    assert "no-store" in response["Cache-Control"]
    entry = AuditEntry.objects.get(action="people.revealed")
    assert entry.actor_id == world.grid1_worker.pk and entry.detail["reason"] == "核对低保申请材料"
    assert ZHANG_ID not in str(entry.detail)
    assert ZHANG_ID not in text(client.get(f"/people/{people.zhang.pk}/"))


def test_reveal_by_htmx_answers_with_the_fragment(client_for, people):
    client = client_for("grid1_worker")
    url = f"/people/{people.zhang.pk}/reveal/"
    response = client.post(url, {"field": "phone", "reason": "联系家属"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert ZHANG_PHONE in text(response) and "<html" not in text(response)
    # An error comes back in the fragment (htmx swaps only 2xx answers), with no value.
    response = client.post(url, {"field": "id_number", "reason": ""}, HTTP_HX_REQUEST="true")
    assert 'class="field-error"' in text(response) and ZHANG_ID not in text(response)


def test_revealing_a_value_never_recorded_is_refused(client_for, people):
    response = client_for("grid1_worker").post(
        f"/people/{people.rider_self.pk}/reveal/", {"field": "phone", "reason": "联系本人"}
    )
    assert response.status_code == 400 and 'class="field-error"' in text(response)
    assert not AuditEntry.objects.filter(action="people.revealed").exists()


def test_the_list_pages_by_fifty(client_for, people, world):
    for n in range(50):
        actions.register_resident(
            actor=None,
            scope=SYSTEM_SCOPE,
            name=f"赵{'甲乙丙丁戊己庚辛壬癸'[n % 10]}{'子丑寅卯辰'[n // 10]}",
            place=world.compound1,
        )
    client = client_for("grid1_worker")  # 53 in grid 1
    assert text(client.get("/people/")).count('class="card"') == 50
    assert text(client.get("/people/", {"page": 2})).count('class="card"') == 3
    page = text(client.post("/people/", {"q": "zhao", "page": 2}))
    assert page.count('class="card"') == 1  # 50 赵… and the rider's own record 骑手小赵


@pytest.mark.parametrize(
    ("data", "field_message"),
    [
        ({"field": "phone", "reason": ""}, "4"),
        ({"field": "phone"}, "4"),
        ({"field": "birth", "reason": "核对材料"}, ""),
    ],
)
def test_reveal_without_a_reason_or_a_known_field_shows_an_error_and_reveals_nothing(
    client_for, people, data, field_message
):
    response = client_for("grid1_worker").post(f"/people/{people.zhang.pk}/reveal/", data)
    assert response.status_code == 400
    page = text(response)
    assert 'class="field-error"' in page and field_message in page
    assert ZHANG_PHONE not in page and ZHANG_ID not in page
    assert not AuditEntry.objects.filter(action="people.revealed").exists()


@pytest.mark.parametrize(
    ("persona", "resident"), [("grid1_helper", "zhang"), ("grid1_worker", "wang"), ("rider", "rider_self")]
)
def test_reveal_is_404_without_the_permission_at_that_grid(client_for, people, persona, resident):
    response = client_for(persona).post(
        f"/people/{getattr(people, resident).pk}/reveal/", {"field": "phone", "reason": "核对材料"}
    )
    assert response.status_code == 404
    assert not AuditEntry.objects.filter(action="people.revealed").exists()


def test_reveal_form_shows_only_to_those_who_may_reveal(client_for, people):
    assert "/reveal/" in text(client_for("grid1_worker").get(f"/people/{people.zhang.pk}/"))
    assert "/reveal/" not in text(client_for("grid1_helper").get(f"/people/{people.zhang.pk}/"))


def test_reveal_only_accepts_post(client_for, people):
    assert client_for("grid1_worker").get(f"/people/{people.zhang.pk}/reveal/").status_code == 405
