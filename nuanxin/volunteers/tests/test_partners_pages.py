"""Partner pages in the console (/volunteers/partners/): the list with representatives masked
and volunteer counts, a page per partner, and the forms to add a partner and a
representative; the list for staff with volunteers.manage, a new partner for partners.manage
and a representative for accounts.manage, each within their reach."""

from dataclasses import dataclass

import pytest
from django.urls import reverse

from nuanxin.accounts.actions import create_user
from nuanxin.accounts.models import RoleGrant
from nuanxin.accounts.scope import scope_of
from nuanxin.core.models import AuditEntry
from nuanxin.territory import actions as territory_actions
from nuanxin.territory.models import Place
from nuanxin.testing import SYSTEM_SCOPE, World
from nuanxin.volunteers.models import Partner
from nuanxin.volunteers.signups import actions as signups


@dataclass
class Partners:
    platform: Partner  # no place: a delivery platform
    shop: Partner  # a merchant in grid 1
    far: Partner  # a merchant in the other community
    shop_place: Place
    far_place: Place


@pytest.fixture
def partners(world: World) -> Partners:
    shop_place = territory_actions.create_place(
        actor=None, scope=SYSTEM_SCOPE, kind="merchant", name="好味面馆", lng=102.7008, lat=24.9808
    )
    far_place = territory_actions.create_place(
        actor=None, scope=SYSTEM_SCOPE, kind="merchant", name="远方超市", lng=102.7105, lat=24.9905
    )
    platform = signups.create_partner(
        actor=world.system_admin, scope=scope_of(world.system_admin), name="美团外卖", kind="platform"
    )
    shop = signups.create_partner(
        actor=world.system_admin, scope=scope_of(world.system_admin), name="好味面馆", kind="merchant", place=shop_place
    )
    far = signups.create_partner(
        actor=world.system_admin, scope=scope_of(world.system_admin), name="远方超市", kind="merchant", place=far_place
    )
    world.partner.display_name = "王小明"
    world.partner.save(update_fields=["display_name"])
    signups.add_representative(
        actor=world.system_admin, scope=scope_of(world.system_admin), partner=shop, user=world.partner
    )
    for n, grid in enumerate([world.grid1, world.grid1, world.other_grid]):
        user = create_user(actor=None, username=f"p{n}", password=None)
        signups.register_volunteer(
            actor=user,
            scope=scope_of(user),
            user=user,
            name="骑手甲",
            phone=f"1360000000{n}",
            group="rider",
            partner=platform,
            home_grid=grid,
        )
    return Partners(platform=platform, shop=shop, far=far, shop_place=shop_place, far_place=far_place)


def test_list_shows_partners_in_reach_masked_with_counts(
    partners: Partners, client_for, django_assert_max_num_queries
) -> None:
    client = client_for("community_staff")
    with django_assert_max_num_queries(12):
        page = client.get(reverse("volunteers:partners"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "美团外卖" in html and "好味面馆" in html
    assert "远方超市" not in html  # its place is in another community
    assert "王**" in html and "王小明" not in html
    rows = {row["partner"].pk: row["partner"] for row in page.context["rows"]}
    assert rows[partners.platform.pk].volunteer_count == 2  # the third works in the other community


def test_list_and_page_are_denied_without_volunteers_manage(partners: Partners, client_for) -> None:
    for persona in ("rider", "resident", "stranger", "auditor", "partner"):
        client = client_for(persona)
        assert client.get(reverse("volunteers:partners")).status_code == 404
        assert client.post(reverse("volunteers:partners"), {"name": "x", "kind": "unit"}).status_code == 404
        assert client.get(reverse("volunteers:partner", args=[partners.platform.pk])).status_code == 404
    assert not Partner.objects.filter(name="x").exists()


def test_partner_page_allowed_in_reach_404_outside(partners: Partners, client_for) -> None:
    page = client_for("grid1_worker").get(reverse("volunteers:partner", args=[partners.shop.pk]))
    assert page.status_code == 200
    assert "王**" in page.content.decode() and "王小明" not in page.content.decode()
    assert client_for("grid1_worker").get(reverse("volunteers:partner", args=[partners.far.pk])).status_code == 404
    assert client_for("other_admin").get(reverse("volunteers:partner", args=[partners.shop.pk])).status_code == 404
    assert client_for("other_admin").get(reverse("volunteers:partner", args=[partners.far.pk])).status_code == 200
    assert client_for("grid1_worker").get(reverse("volunteers:partner", args=[999999])).status_code == 404
    assert AuditEntry.objects.filter(action="access.denied").exists()


def test_create_a_partner(partners: Partners, client_for) -> None:
    url = reverse("volunteers:partners")
    answer = client_for("community_admin").post(url, {"name": "饿了么", "kind": "platform", "place": ""})
    created = Partner.objects.get(name="饿了么")
    assert answer.status_code == 302 and answer["Location"] == reverse("volunteers:partner", args=[created.pk])
    assert AuditEntry.objects.filter(action="volunteers.partner_created", object_id=str(created.pk)).exists()
    with_place = client_for("community_admin").post(
        url, {"name": "面馆志愿队", "kind": "merchant", "place": partners.shop_place.pk}
    )
    assert with_place.status_code == 302
    assert Partner.objects.get(name="面馆志愿队").place == partners.shop_place


def test_staff_without_partners_manage_see_no_form_and_cannot_create(partners: Partners, client_for) -> None:
    """volunteers.manage keeps the list; adding a partner needs partners.manage (admins)."""
    url = reverse("volunteers:partners")
    for persona in ("grid1_worker", "grid2_worker", "community_staff"):
        client = client_for(persona)
        page = client.get(url)
        assert page.status_code == 200 and 'id="new-partner"' not in page.content.decode()
        assert client.post(url, {"name": "网格伙伴", "kind": "unit", "place": ""}).status_code == 404
    assert 'id="new-partner"' in client_for("community_admin").get(url).content.decode()
    assert not Partner.objects.filter(name="网格伙伴").exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "", "kind": "unit"}, "name"),
        ({"name": "<b>x</b>", "kind": "unit"}, "name"),
        ({"name": "美团外卖", "kind": "platform"}, "name"),  # taken
        ({"name": "新伙伴", "kind": "bank"}, "kind"),
        ({"name": "新伙伴", "kind": "merchant", "place": "far"}, "place"),  # outside reach
    ],
)
def test_bad_partner_input_is_shown_at_the_field(partners: Partners, client_for, data: dict, field: str) -> None:
    if data.get("place") == "far":
        data = data | {"place": partners.far_place.pk}
    before = Partner.objects.count()
    answer = client_for("community_admin").post(reverse("volunteers:partners"), data)
    assert answer.status_code == 400
    assert answer.context["form"].errors.get(field)
    assert Partner.objects.count() == before


def test_add_a_representative_by_username_or_phone(partners: Partners, world: World, client_for) -> None:
    url = reverse("volunteers:partner", args=[partners.shop.pk])
    joined = create_user(actor=None, username="13700001111", password=None, display_name="李雷")
    answer = client_for("community_admin").post(url, {"user": "137 0000 1111"})
    assert answer.status_code == 302
    assert partners.shop.representatives.filter(pk=joined.pk).exists()
    assert joined.role_grants.filter(role="partner_rep", unit=partners.shop_place).exists()
    page = client_for("grid1_worker").get(url)
    assert "李*" in page.content.decode() and "李雷" not in page.content.decode()
    by_name = client_for("community_admin").post(
        reverse("volunteers:partner", args=[partners.platform.pk]), {"user": "resident"}
    )
    assert by_name.status_code == 302 and partners.platform.representatives.filter(pk=world.resident.pk).exists()


@pytest.mark.parametrize(("value", "field"), [("", "user"), ("nobody-here", "user"), ("partner", "user")])
def test_bad_representative_input_is_shown_at_the_field(
    partners: Partners, world: World, client_for, value: str, field: str
) -> None:
    url = reverse("volunteers:partner", args=[partners.shop.pk])
    before = partners.shop.representatives.count()
    answer = client_for("community_admin").post(url, {"user": value})
    assert answer.status_code == 400
    assert answer.context["form"].errors.get(field)
    assert partners.shop.representatives.count() == before


@pytest.mark.parametrize("persona", ["grid1_worker", "grid2_worker", "community_staff"])
def test_staff_without_accounts_manage_cannot_add_a_representative(
    partners: Partners, world: World, client_for, persona: str
) -> None:
    """Making someone a representative grants a role: accounts.manage where the partner is,
    even for staff who keep the partner (volunteers.manage at its place)."""
    station = signups.create_partner(
        actor=world.system_admin, scope=scope_of(world.system_admin), name="驿站伙伴", kind="unit", place=world.station
    )
    target = station if persona == "grid2_worker" else partners.shop  # a partner they keep
    url = reverse("volunteers:partner", args=[target.pk])
    client = client_for(persona)
    page = client.get(url)
    assert page.status_code == 200 and 'id="add-representative"' not in page.content.decode()
    answer = client.post(url, {"user": "grid2-worker"})
    assert answer.status_code == 400 and answer.context["form"].non_field_errors()
    assert not target.representatives.filter(pk=world.grid2_worker.pk).exists()
    assert not world.grid2_worker.role_grants.filter(role="partner_rep").exists()


def test_a_system_admin_or_auditor_cannot_be_made_a_representative(
    partners: Partners, world: World, client_for
) -> None:
    url = reverse("volunteers:partner", args=[partners.shop.pk])
    for username in ("system-admin", "auditor"):
        answer = client_for("community_admin").post(url, {"user": username})
        assert answer.status_code == 400 and answer.context["form"].errors.get("user")
    assert not partners.shop.representatives.filter(pk__in=[world.system_admin.pk, world.auditor.pk]).exists()


def test_adding_a_representative_outside_reach_is_404(partners: Partners, world: World, client_for) -> None:
    url = reverse("volunteers:partner", args=[partners.far.pk])
    assert client_for("grid1_worker").post(url, {"user": "resident"}).status_code == 404
    assert not partners.far.representatives.exists()


# --- the same over the API ----------------------------------------------------------------------

API = "/api/v1/volunteers"


def test_api_lists_partners_in_reach_masked(partners: Partners, client_for, django_assert_max_num_queries) -> None:
    client = client_for("community_staff")
    with django_assert_max_num_queries(12):
        answer = client.get(f"{API}/partners")
    assert answer.status_code == 200
    rows = {row["name"]: row for row in answer.json()}
    assert set(rows) == {"美团外卖", "好味面馆"}  # 远方超市 lies in another community
    assert rows["好味面馆"]["representatives"] == ["王**"] and "王小明" not in answer.content.decode()
    assert rows["好味面馆"]["place_id"] == partners.shop_place.pk
    assert rows["美团外卖"]["volunteer_count"] == 2


def test_api_partners_denied_without_volunteers_manage(partners: Partners, world: World, client_for) -> None:
    for persona in ("rider", "resident", "stranger", "auditor", "partner"):
        client = client_for(persona)
        assert client.get(f"{API}/partners").status_code == 404, persona
        refused = 404
        made = client.post(f"{API}/partners", {"name": "x", "kind": "unit"}, content_type="application/json")
        assert made.status_code == refused, persona
        rep = client.post(
            f"{API}/partners/{partners.platform.pk}/representatives",
            {"user_id": world.resident.pk},
            content_type="application/json",
        )
        assert rep.status_code == refused, persona
    assert not Partner.objects.filter(name="x").exists()
    assert not partners.platform.representatives.exists()


def test_api_creates_a_partner_with_a_place_in_reach(partners: Partners, world: World, client_for) -> None:
    client = client_for("community_admin")
    made = client.post(
        f"{API}/partners",
        {"name": "面馆联盟", "kind": "merchant", "place_id": partners.shop_place.pk},
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    assert Partner.objects.get(pk=made.json()["id"]).place == partners.shop_place
    assert AuditEntry.objects.filter(action="volunteers.partner_created", object_id=str(made.json()["id"])).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "", "kind": "merchant"}, "name"),
        ({"name": "<b>x</b>", "kind": "merchant"}, "name"),
        ({"name": "好店", "kind": "bank"}, "kind"),
        ({"name": "好店", "kind": "merchant", "place_id": 999999}, "place_id"),
        ({"kind": "merchant"}, "name"),
    ],
)
def test_api_partner_bad_input_names_the_field(partners: Partners, client_for, body: dict, field: str) -> None:
    before = Partner.objects.count()
    answer = client_for("community_admin").post(f"{API}/partners", body, content_type="application/json")
    assert answer.status_code in (400, 422) and answer.json()["field"] == field, answer.content
    assert Partner.objects.count() == before


def test_api_partner_place_outside_reach_is_unknown(partners: Partners, client_for) -> None:
    answer = client_for("community_admin").post(
        f"{API}/partners",
        {"name": "远方联盟", "kind": "merchant", "place_id": partners.far_place.pk},
        content_type="application/json",
    )
    assert answer.status_code == 400 and answer.json()["field"] == "place_id"
    assert not Partner.objects.filter(name="远方联盟").exists()


def test_api_partner_creation_needs_partners_manage(partners: Partners, client_for) -> None:
    for persona in ("grid1_worker", "grid2_worker", "community_staff"):
        made = client_for(persona).post(
            f"{API}/partners", {"name": "网格伙伴", "kind": "unit"}, content_type="application/json"
        )
        assert made.status_code == 404, persona
    assert not Partner.objects.filter(name="网格伙伴").exists()


def test_api_grid_worker_cannot_make_anyone_a_representative(partners: Partners, world: World, client_for) -> None:
    """The probe's finding: grid2-worker made itself and the system admin representatives."""
    station_partner = signups.create_partner(
        actor=world.system_admin, scope=scope_of(world.system_admin), name="驿站伙伴", kind="unit", place=world.station
    )  # the station lies in grid 2, where grid2-worker holds volunteers.manage
    url = f"{API}/partners/{station_partner.pk}/representatives"
    for user in (world.grid2_worker, world.system_admin, world.stranger):
        answer = client_for("grid2_worker").post(url, {"user_id": user.pk}, content_type="application/json")
        assert answer.status_code == 403 and answer.json()["code"] == "forbidden", answer.content
    assert not station_partner.representatives.exists()
    assert not RoleGrant.objects.filter(role="partner_rep", unit=world.station).exclude(user=world.partner).exists()


def test_api_adds_a_representative_in_reach_only(partners: Partners, world: World, client_for) -> None:
    client = client_for("community_admin")
    url = f"{API}/partners/{partners.shop.pk}/representatives"
    good = client.post(url, {"user_id": world.resident.pk}, content_type="application/json")
    assert good.status_code == 200, good.content
    assert set(partners.shop.representatives.all()) == {world.partner, world.resident}
    # The far shop's place is in another community: 404, nothing added.
    far = client.post(
        f"{API}/partners/{partners.far.pk}/representatives",
        {"user_id": world.resident.pk},
        content_type="application/json",
    )
    assert far.status_code == 404
    assert not partners.far.representatives.exists()
    unknown = client.post(url, {"user_id": 999999}, content_type="application/json")
    assert unknown.status_code == 400 and unknown.json()["field"] == "user_id"
