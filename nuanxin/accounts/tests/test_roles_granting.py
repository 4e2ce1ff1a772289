"""Handing out roles fails closed: every path that grants or withdraws a role (grant_role
itself, a partner's representative on the API and the page, registering a volunteer, the
Django admin's role inline) succeeds only for an actor with accounts.manage on the node the
role is held on, and a global role only for a system admin. Tried as every persona."""

import json
from typing import Any

import pytest
from django.core.management import call_command

from nuanxin.accounts import actions
from nuanxin.accounts.models import RoleGrant, User
from nuanxin.accounts.scope import scope_of
from nuanxin.core.audit import SYSTEM
from nuanxin.core.errors import DomainError
from nuanxin.core.models import AuditEntry
from nuanxin.testing import PERSONAS, SYSTEM_SCOPE, World
from nuanxin.volunteers.models import Partner, Volunteer
from nuanxin.volunteers.signups import actions as signups

# Who holds accounts.manage where (declared here, not derived from the code under test).
ON_COMMUNITY = {"system_admin", "community_admin"}  # the community, its grids, its units
ON_OTHER_COMMUNITY = {"system_admin", "other_admin"}
GLOBAL = {"system_admin"}


def _targets(world: World) -> list[tuple[str, dict[str, Any], set[str]]]:
    return [
        ("grid_helper on grid 1", {"role": "grid_helper", "area": world.grid1}, ON_COMMUNITY),
        ("community_staff on the community", {"role": "community_staff", "area": world.community}, ON_COMMUNITY),
        ("grid_worker on the other grid", {"role": "grid_worker", "area": world.other_grid}, ON_OTHER_COMMUNITY),
        ("street_admin on the street", {"role": "street_admin", "area": world.street}, GLOBAL),
        ("partner_rep on the station (grid 2)", {"role": "partner_rep", "unit": world.station}, ON_COMMUNITY),
        ("auditor", {"role": "auditor"}, GLOBAL),
        ("auditor of the community", {"role": "auditor", "area": world.community}, GLOBAL),
        ("system_admin", {"role": "system_admin"}, GLOBAL),
    ]


def _newcomer(n: int | str) -> User:
    return actions.create_user(actor=SYSTEM, username=f"newcomer-{n}", password=None)


@pytest.mark.parametrize("persona", PERSONAS)
def test_grant_role_succeeds_only_with_accounts_manage_on_the_node(world: World, persona: str) -> None:
    actor = world.users[persona]
    for n, (what, where, allowed) in enumerate(_targets(world)):
        user = _newcomer(n)
        if persona in allowed:
            actions.grant_role(actor=actor, user=user, **where)
            assert RoleGrant.objects.filter(user=user, role=where["role"]).exists(), what
        else:
            with pytest.raises(DomainError) as exc:
                actions.grant_role(actor=actor, user=user, **where)
            assert exc.value.code == "forbidden", what
            assert not RoleGrant.objects.filter(user=user).exists(), what
            assert not User.objects.get(pk=user.pk).is_superuser


@pytest.mark.parametrize("persona", PERSONAS)
def test_revoke_role_succeeds_only_with_accounts_manage_on_the_node(world: World, persona: str) -> None:
    actor = world.users[persona]
    for n, (what, where, allowed) in enumerate(_targets(world)):
        user = _newcomer(n)
        grant = actions.grant_role(actor=SYSTEM, user=user, **where)
        if persona in allowed:
            actions.revoke_role(actor=actor, grant=grant)
            assert not RoleGrant.objects.filter(pk=grant.pk).exists(), what
        else:
            with pytest.raises(DomainError) as exc:
                actions.revoke_role(actor=actor, grant=grant)
            assert exc.value.code == "forbidden", what
            assert RoleGrant.objects.filter(pk=grant.pk).exists(), what


def test_no_actor_is_no_pass(world: World) -> None:
    """None used to skip the check; now only SYSTEM, named on purpose, does."""
    user = _newcomer("x")
    with pytest.raises(DomainError):
        actions.grant_role(actor=None, user=user, role="grid_helper", area=world.grid1)
    with pytest.raises(DomainError):
        actions.grant_role(actor=None, user=user, role="system_admin")
    grant = actions.grant_role(actor=SYSTEM, user=user, role="grid_helper", area=world.grid1)
    with pytest.raises(DomainError):
        actions.revoke_role(actor=None, grant=grant)
    assert list(RoleGrant.objects.filter(user=user)) == [grant]


def test_the_system_is_recorded_as_such(world: World) -> None:
    user = _newcomer("s")
    actions.grant_role(actor=SYSTEM, user=user, role="grid_helper", area=world.grid1)
    entry = AuditEntry.objects.get(action="accounts.role_granted", object_id=str(user.pk))
    assert (entry.actor_id, entry.actor_name, entry.role) == (None, "", "system")


def test_revoking_checks_the_stored_grant_not_an_edited_instance(world: World) -> None:
    """A community admin may not withdraw a street role by passing an edited grant."""
    user = _newcomer("e")
    grant = actions.grant_role(actor=SYSTEM, user=user, role="street_admin", area=world.street)
    grant.role, grant.area = "grid_helper", world.grid1
    with pytest.raises(DomainError):
        actions.revoke_role(actor=world.community_admin, grant=grant)
    assert RoleGrant.objects.filter(user=user, role="street_admin").exists()


# --- a partner's representative: the API and the page -------------------------------------------


@pytest.fixture
def station_partner(world: World) -> Partner:
    """A partner at the station, which lies in grid 2 (where grid2-worker keeps volunteers)."""
    return signups.create_partner(actor=SYSTEM, scope=SYSTEM_SCOPE, name="驿站伙伴", kind="unit", place=world.station)


@pytest.mark.parametrize("persona", PERSONAS)
def test_representative_over_the_api_needs_accounts_manage(
    world: World, station_partner: Partner, client_for: Any, persona: str
) -> None:
    newcomer = _newcomer("api")
    answer = client_for(persona).post(
        f"/api/v1/volunteers/partners/{station_partner.pk}/representatives",
        json.dumps({"user_id": newcomer.pk}),
        content_type="application/json",
    )
    granted = newcomer.role_grants.filter(role="partner_rep", unit=world.station).exists()
    if persona in ON_COMMUNITY:
        assert answer.status_code == 200, answer.content
        assert granted and station_partner.representatives.filter(pk=newcomer.pk).exists()
    else:
        assert answer.status_code in (403, 404), (persona, answer.content)
        assert not granted and not station_partner.representatives.exists()


@pytest.mark.parametrize("persona", PERSONAS)
def test_representative_on_the_page_needs_accounts_manage(
    world: World, station_partner: Partner, client_for: Any, persona: str
) -> None:
    newcomer = _newcomer("page")
    answer = client_for(persona).post(f"/volunteers/partners/{station_partner.pk}/", {"user": newcomer.username})
    granted = newcomer.role_grants.filter(role="partner_rep", unit=world.station).exists()
    if persona in ON_COMMUNITY:
        assert answer.status_code == 302, answer.content
        assert granted
    else:
        assert answer.status_code in (400, 403, 404), persona
        assert not granted and not station_partner.representatives.exists()


# --- registering a volunteer ---------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_registering_someone_else_as_a_rider_needs_accounts_manage(world: World, persona: str) -> None:
    """A rider becomes a mobile reporter of the community: registering someone else makes
    that grant as the actor, so it needs accounts.manage there (and volunteers.manage)."""
    newcomer = _newcomer("rider")
    register = {
        "user": newcomer,
        "name": "骑手乙",
        "phone": "13600001234",
        "group": "rider",
        "home_grid": world.grid1,
    }
    if persona in ON_COMMUNITY:
        signups.register_volunteer(actor=world.users[persona], scope=scope_of(world.users[persona]), **register)
        assert newcomer.role_grants.filter(role="mobile_reporter", area=world.community).exists()
    else:
        with pytest.raises(DomainError):
            signups.register_volunteer(actor=world.users[persona], scope=scope_of(world.users[persona]), **register)
        assert not newcomer.role_grants.exists()
        assert not Volunteer.objects.filter(user=newcomer).exists()


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != "auditor"])
def test_registering_oneself_grants_only_ones_own_mobile_reporter_role_by_the_system(
    world: World, client_for: Any, persona: str
) -> None:
    user = world.users[persona]
    before = set(RoleGrant.objects.values_list("pk", flat=True))
    answer = client_for(persona).post(
        "/api/v1/volunteers/register",
        json.dumps({"name": "骑手丙", "phone": "13600005678", "group": "rider", "home_grid_id": world.grid1.pk}),
        content_type="application/json",
    )
    assert answer.status_code == 201, answer.content
    new = RoleGrant.objects.exclude(pk__in=before)
    assert {(g.user_id, g.role, g.area_id) for g in new} <= {(user.pk, "mobile_reporter", world.community.pk)}
    if new:
        entry = AuditEntry.objects.filter(action="accounts.role_granted", object_id=str(user.pk)).latest("id")
        assert entry.detail["role"] == "mobile_reporter" and entry.actor_id is None and entry.role == "system"


def test_the_auditor_cannot_register(world: World, client_for: Any) -> None:
    answer = client_for("auditor").post(
        "/api/v1/volunteers/register",
        json.dumps({"name": "骑手丁", "phone": "13600009999", "group": "rider", "home_grid_id": world.grid1.pk}),
        content_type="application/json",
    )
    assert answer.status_code == 404 and answer.json()["code"] == "read_only"
    assert not Volunteer.objects.exists() and not world.auditor.role_grants.exclude(role="auditor").exists()


# --- the Django admin -----------------------------------------------------------------------------


def _admin_grant(client: Any, user: User, **row: str) -> Any:
    data = {
        "username": user.username,
        "display_name": user.display_name,
        "is_active": "on",
        "date_joined_0": "2024-01-01",
        "date_joined_1": "08:00:00",
        "role_grants-TOTAL_FORMS": "1",
        "role_grants-INITIAL_FORMS": "0",
        "role_grants-MIN_NUM_FORMS": "0",
        "role_grants-MAX_NUM_FORMS": "1000",
    } | {f"role_grants-0-{k}": v for k, v in (row | {"user": str(user.pk)}).items()}
    return client.post(f"/admin/accounts/user/{user.pk}/change/", data)


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_admin_role_inline_needs_accounts_manage(world: World, client_for: Any, persona: str) -> None:
    newcomer = _newcomer("admin")
    answer = _admin_grant(client_for(persona), newcomer, role="grid_helper", area=str(world.grid1.pk), unit="")
    granted = newcomer.role_grants.exists()
    if persona == "system_admin":  # the only persona that enters the Django admin
        assert answer.status_code == 302 and granted
    else:
        assert not granted, persona


def test_the_account_createsuperuser_makes_grants_the_first_roles(
    world: World, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fresh installation: nobody holds a role, the superuser made on the server hands out
    the first ones in the Django admin."""
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-test-passphrase-42")
    call_command("createsuperuser", interactive=False, username="root", email="root@example.org", verbosity=0)
    root = User.objects.get(username="root")
    assert not root.role_grants.exists()
    client.force_login(root)
    answer = _admin_grant(client, root, role="system_admin", area="", unit="")
    assert answer.status_code == 302, answer.content.decode()[:2000]
    assert root.role_grants.filter(role="system_admin").exists()
