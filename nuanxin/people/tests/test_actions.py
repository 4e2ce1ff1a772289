"""Registering, changing and tagging people: validation, encryption at rest, audit."""

import pytest
from django.db import connection
from django.http import Http404

from nuanxin.accounts.scope import scope_of
from nuanxin.core.crypto import DecryptionError
from nuanxin.core.errors import DomainError
from nuanxin.core.models import AuditEntry
from nuanxin.core.scoping import Scope
from nuanxin.people import actions
from nuanxin.people.models import Household, Resident, ResidentTag
from nuanxin.people.tests.sample import LI_ID, WANG_ID, ZHANG_ID, ZHANG_PHONE, make_id
from nuanxin.testing import SYSTEM_SCOPE


def test_registration_derives_pinyin_birth_year_and_gender(people):
    zhang = Resident.objects.get(pk=people.zhang.pk)
    assert (zhang.name_pinyin, zhang.name_initials) == ("zhangsan", "zs")
    assert (zhang.birth_year, zhang.gender) == (1980, "male")
    assert (zhang.id_number, zhang.phone) == (ZHANG_ID, ZHANG_PHONE)
    assert zhang.grid == zhang.place.grid
    assert Resident.objects.get(pk=people.li.pk).gender == "female"


def test_id_number_phone_and_tag_category_are_encrypted_at_rest(people):
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone, id_number_index FROM people_resident WHERE id = %s", [people.zhang.pk])
        id_number, phone, index = cursor.fetchone()
        cursor.execute("SELECT category, note FROM people_residenttag WHERE resident_id = %s", [people.zhang.pk])
        tag_rows = cursor.fetchall()
    assert id_number.startswith("v1:") and phone.startswith("v1:")
    stored = " ".join([id_number, phone, index] + [value for row in tag_rows for value in row])
    for plaintext in (ZHANG_ID, ZHANG_ID[6:14], ZHANG_PHONE, "elderly_alone", "community_correction", "每周报到"):
        assert plaintext not in stored


def test_a_flipped_byte_in_a_stored_id_number_raises(people):
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM people_resident WHERE id = %s", [people.zhang.pk])
        token = bytearray(cursor.fetchone()[0].encode())
        token[12] = ord("A") if token[12] != ord("A") else ord("B")
        cursor.execute("UPDATE people_resident SET id_number = %s WHERE id = %s", [token.decode(), people.zhang.pk])
    with pytest.raises(DecryptionError):
        Resident.objects.get(pk=people.zhang.pk)


def test_audit_entries_never_hold_id_numbers_phones_or_categories(people):
    entries = list(AuditEntry.objects.filter(action__startswith="people."))
    assert {"people.household_registered", "people.resident_registered", "people.resident_tagged"} <= {
        e.action for e in entries
    }
    text = " ".join(f"{e.object_repr} {e.detail}" for e in entries)
    for secret in (ZHANG_ID, LI_ID, ZHANG_PHONE, "elderly_alone", "community_correction"):
        assert secret not in text
    assert all(e.area_path for e in entries)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "  "}, "name"),
        ({"name": "张" * 31}, "name"),
        ({"name": "张3"}, "name"),
        ({"name": "·"}, "name"),
        ({"id_number": ZHANG_ID[:17] + ("0" if ZHANG_ID[17] != "0" else "1")}, "id_number"),
        ({"id_number": ZHANG_ID}, "id_number"),  # already registered
        ({"phone": "12345"}, "phone"),
        ({"gender": "female", "id_number": make_id("53011219900101001")}, "gender"),  # odd 17th digit: male
        ({"gender": "other"}, "gender"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_writes_nothing(people, world, fields, field):
    before = (Resident.objects.count(), AuditEntry.objects.count())
    with pytest.raises(DomainError) as error:
        actions.register_resident(actor=None, scope=SYSTEM_SCOPE, place=world.compound1, **{"name": "赵六", **fields})
    assert error.value.field == field
    assert (Resident.objects.count(), AuditEntry.objects.count()) == before


def test_a_household_at_another_place_is_refused(people, world):
    with pytest.raises(DomainError) as error:
        actions.register_resident(
            actor=None, scope=SYSTEM_SCOPE, name="赵六", place=world.compound2, household=people.household
        )
    assert error.value.field == "household"


def test_people_live_in_compounds_and_buildings_only(world):
    with pytest.raises(DomainError) as error:
        actions.register_resident(actor=None, scope=SYSTEM_SCOPE, name="赵六", place=world.station)
    assert error.value.field == "place"
    with pytest.raises(DomainError) as error:
        actions.register_household(actor=None, scope=SYSTEM_SCOPE, place=world.station, number="1")
    assert error.value.field == "place"


def test_household_numbers_are_unique_per_place(people, world):
    with pytest.raises(DomainError) as error:
        actions.register_household(actor=None, scope=SYSTEM_SCOPE, place=world.compound1, number=" 3-2-501 ")
    assert error.value.field == "number"
    other = actions.register_household(actor=None, scope=SYSTEM_SCOPE, place=world.compound2, number="3-2-501")
    assert other.grid == world.grid2


def test_an_account_links_to_one_resident_only(people, world):
    with pytest.raises(DomainError) as error:
        actions.register_resident(actor=None, scope=SYSTEM_SCOPE, name="赵六", place=world.compound1, user=world.rider)
    assert error.value.field == "user"


def test_with_a_scope_only_grids_one_manages_are_accepted(world):
    worker = scope_of(world.grid1_worker)
    actions.register_resident(actor=world.grid1_worker, scope=worker, name="赵六", place=world.compound1)
    actions.register_household(actor=world.grid1_worker, scope=worker, place=world.compound1, number="1-1-101")
    for persona, place in (("grid1_worker", world.compound2), ("grid1_helper", world.compound1)):
        with pytest.raises(DomainError) as error:
            actions.register_resident(actor=None, scope=scope_of(world.users[persona]), name="赵六", place=place)
        assert error.value.field == "place"
        with pytest.raises(DomainError):
            actions.register_household(actor=None, scope=scope_of(world.users[persona]), place=place, number="9")


def test_change_resident_updates_keys_and_audits_field_names_only(people, world):
    actions.change_resident(actor=None, scope=SYSTEM_SCOPE, resident=people.li, name="曾小妹", phone="139 0000 1111")
    li = Resident.objects.get(pk=people.li.pk)
    assert (li.name_pinyin, li.name_initials, li.phone) == ("zengxiaomei", "zxm", "13900001111")
    entry = AuditEntry.objects.filter(action="people.resident_changed").first()
    assert entry.detail == {"fields": ["name", "phone"]}


def test_change_resident_id_number_rederives_birth_year_and_clears(people):
    new_id = make_id("53011220010203004")
    actions.change_resident(actor=None, scope=SYSTEM_SCOPE, resident=people.li, id_number=new_id)
    assert (Resident.objects.get(pk=people.li.pk).birth_year, people.li.gender) == (2001, "female")
    with pytest.raises(DomainError) as error:
        actions.change_resident(actor=None, scope=SYSTEM_SCOPE, resident=people.li, id_number=WANG_ID)
    assert error.value.field == "id_number"
    actions.change_resident(actor=None, scope=SYSTEM_SCOPE, resident=people.li, id_number="")
    li = Resident.objects.get(pk=people.li.pk)
    assert (li.id_number, li.id_number_index, li.birth_year) == ("", "", None)


def test_moving_place_needs_a_household_there(people, world):
    with pytest.raises(DomainError) as error:
        actions.change_resident(actor=None, scope=SYSTEM_SCOPE, resident=people.li, place=world.compound2)
    assert error.value.field == "household"
    actions.change_resident(actor=None, scope=SYSTEM_SCOPE, resident=people.li, place=world.compound2, household=None)
    li = Resident.objects.get(pk=people.li.pk)
    assert (li.grid, li.household) == (world.grid2, None)


def test_change_is_refused_outside_the_scope(people, world):
    with pytest.raises(DomainError):
        actions.change_resident(actor=None, resident=people.wang, scope=scope_of(world.grid1_worker), name="王六")
    assert Resident.objects.get(pk=people.wang.pk).name == "王五"


def test_tags_are_checked_and_unique(people, world):
    with pytest.raises(DomainError) as error:
        actions.tag_resident(
            actor=None, scope=SYSTEM_SCOPE, resident=people.li, kind="special_group", category="community_correction"
        )
    assert error.value.field == "category"
    with pytest.raises(DomainError) as error:
        actions.tag_resident(
            actor=None, scope=SYSTEM_SCOPE, resident=people.zhang, kind="special_group", category="elderly_alone"
        )
    assert error.value.field == "category"
    with pytest.raises(DomainError) as error:
        actions.tag_resident(actor=None, scope=SYSTEM_SCOPE, resident=people.li, kind="vip", category="elderly_alone")
    assert error.value.field == "kind"


def test_a_worker_may_not_set_key_person_tags(people, world):
    worker = scope_of(world.grid1_worker)
    actions.tag_resident(actor=None, scope=worker, resident=people.li, kind="special_group", category="disabled")
    with pytest.raises(DomainError) as error:
        actions.tag_resident(
            actor=None, scope=worker, resident=people.li, kind="key_person", category="released_prisoner"
        )
    assert error.value.field == "kind"
    with pytest.raises(DomainError) as error:
        actions.untag_resident(actor=None, scope=worker, tag=people.key_tag)
    assert error.value.field == "kind"
    key_tag_id = people.key_tag.pk
    actions.untag_resident(actor=None, scope=scope_of(world.grid1_leader), tag=people.key_tag)
    assert not ResidentTag.objects.filter(pk=key_tag_id).exists()
    entry = AuditEntry.objects.get(action="people.resident_untagged")
    assert entry.detail == {"tag_id": key_tag_id}
    assert (entry.object_type, entry.object_id) == ("people.resident", str(people.zhang.pk))


def test_tagging_needs_people_manage_as_well_as_the_kinds_permission(people, world):
    viewer = Scope(user_id=world.street_staff.pk, reach={"people.view": ("",), "people.view_special": ("",)})
    with pytest.raises(DomainError) as error:
        actions.tag_resident(actor=None, scope=viewer, resident=people.li, kind="special_group", category="disabled")
    assert error.value.field == "kind"
    with pytest.raises(DomainError) as error:
        actions.untag_resident(actor=None, scope=viewer, tag=people.special_tag)
    assert error.value.field == "kind"
    assert ResidentTag.objects.filter(pk=people.special_tag.pk).exists()


def test_tag_audit_entries_tell_neither_kind_nor_category(people, world):
    tagged = AuditEntry.objects.filter(action="people.resident_tagged").order_by("id")
    assert [e.detail for e in tagged] == [{"tag_id": people.special_tag.pk}, {"tag_id": people.key_tag.pk}]
    assert {(e.object_type, e.object_repr) for e in tagged} == {("people.resident", "张三")}
    assert str(people.key_tag) == f"tag #{people.key_tag.pk}"
    text = " ".join(f"{e.object_repr} {e.detail}" for e in AuditEntry.objects.all())
    assert "key_person" not in text and "special_group" not in text


def test_reveal_needs_permission_and_a_reason_and_is_audited(people, world):
    leader = scope_of(world.grid1_leader)
    for reason in ("", "  看 ", None):
        with pytest.raises(DomainError) as error:
            actions.reveal_resident_field(actor=None, scope=leader, resident=people.zhang, field="phone", reason=reason)
        assert error.value.field == "reason"
    with pytest.raises(DomainError) as error:
        actions.reveal_resident_field(
            actor=None, scope=leader, resident=people.zhang, field="name", reason="上门走访核对"
        )
    assert error.value.field == "field"
    assert not AuditEntry.objects.filter(action="people.revealed").exists()
    value = actions.reveal_resident_field(
        actor=world.grid1_leader, scope=leader, resident=people.zhang, field="id_number", reason="上门走访核对"
    )
    assert value == ZHANG_ID
    entry = AuditEntry.objects.get(action="people.revealed")
    assert entry.detail == {"field": "id_number", "reason": "上门走访核对"}
    assert entry.actor_id == world.grid1_leader.pk and entry.area_path == world.grid1.path
    for persona in ("grid1_helper", "grid2_worker", "auditor"):
        with pytest.raises(Http404):
            actions.reveal_resident_field(
                actor=None,
                scope=scope_of(world.users[persona]),
                resident=people.zhang,
                field="phone",
                reason="上门走访核对",
            )
    assert AuditEntry.objects.filter(action="access.denied").count() == 3


def test_deleting_a_household_keeps_its_members(people):
    Household.objects.filter(pk=people.household.pk).delete()
    assert Resident.objects.get(pk=people.zhang.pk).household is None


def test_revealing_tags_gives_categories_and_notes_of_the_kinds_one_may_see(people, world):
    def reveal(persona, resident):
        tags = actions.reveal_resident_field(
            actor=world.users[persona],
            scope=scope_of(world.users[persona]),
            resident=resident,
            field="tags",
            reason="核对帮扶对象",
        )
        return sorted((t.kind, t.category, t.note) for t in tags)

    assert reveal("grid1_leader", people.zhang) == [
        ("key_person", "community_correction", "每周报到"),
        ("special_group", "elderly_alone", ""),
    ]
    assert reveal("grid1_worker", people.zhang) == [("special_group", "elderly_alone", "")]
    entries = AuditEntry.objects.filter(action="people.revealed")
    assert [e.detail for e in entries] == [{"field": "tags", "reason": "核对帮扶对象"}] * 2
    assert all(e.object_id == str(people.zhang.pk) for e in entries)


def test_revealing_tags_one_may_not_see_is_refused_like_nothing_recorded(people, world):
    actions.untag_resident(actor=None, scope=SYSTEM_SCOPE, tag=people.special_tag)  # only the key-person tag is left
    worker = scope_of(world.grid1_worker)
    for resident in (people.zhang, people.li):  # a hidden kind, and no tags at all
        with pytest.raises(DomainError) as error:
            actions.reveal_resident_field(actor=None, scope=worker, resident=resident, field="tags", reason="核对帮扶")
        assert error.value.field == "field"
    with pytest.raises(DomainError) as error:
        actions.reveal_resident_field(
            actor=None, scope=scope_of(world.grid1_leader), resident=people.zhang, field="tags", reason="看"
        )
    assert error.value.field == "reason"
    with pytest.raises(Http404):
        actions.reveal_resident_field(
            actor=None, scope=scope_of(world.grid1_helper), resident=people.zhang, field="tags", reason="核对帮扶"
        )
    assert not AuditEntry.objects.filter(action="people.revealed").exists()
