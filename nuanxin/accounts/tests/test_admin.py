"""Role grants and passwords in the Django admin follow the account actions' rules."""

from nuanxin.accounts.models import RoleGrant
from nuanxin.core.models import AuditEntry


def _inline(prefix: str = "role_grants", total: int = 1, initial: int = 0, **row: str) -> dict:
    data = {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    data.update({f"{prefix}-0-{k}": v for k, v in row.items()})
    return data


def _user_form(user) -> dict:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "is_active": "on",
        "date_joined_0": "2024-01-01",
        "date_joined_1": "08:00:00",
    }


def test_admin_grants_a_role_through_the_action_and_audits_it(client_for, world):
    user = world.stranger
    data = _user_form(user) | _inline(role="grid_worker", area=str(world.grid2.pk), unit="", user=str(user.pk))
    response = client_for("system_admin").post(f"/admin/accounts/user/{user.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert RoleGrant.objects.filter(user=user, role="grid_worker", area=world.grid2).exists()
    assert AuditEntry.objects.filter(action="accounts.role_granted", object_id=str(user.pk)).exists()


def test_admin_refuses_a_role_on_the_wrong_level(client_for, world):
    user = world.stranger
    data = _user_form(user) | _inline(role="grid_worker", area=str(world.community.pk), unit="", user=str(user.pk))
    response = client_for("system_admin").post(f"/admin/accounts/user/{user.pk}/change/", data)
    assert response.status_code == 200  # the form again, with the error at the inline row
    assert not RoleGrant.objects.filter(user=user).exists()


def test_admin_removes_a_role_through_the_action(client_for, world):
    user = world.grid2_worker
    grant = RoleGrant.objects.get(user=user)
    data = _user_form(user) | _inline(total=1, initial=1, id=str(grant.pk), user=str(user.pk), DELETE="on")
    response = client_for("system_admin").post(f"/admin/accounts/user/{user.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert not RoleGrant.objects.filter(user=user).exists()
    assert AuditEntry.objects.filter(action="accounts.role_revoked", object_id=str(user.pk)).exists()


def test_admin_password_change_is_audited(client_for, world):
    user = world.stranger
    response = client_for("system_admin").post(
        f"/admin/accounts/user/{user.pk}/password/",
        {"password1": "another-long-passphrase-7", "password2": "another-long-passphrase-7", "usable_password": "true"},
    )
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="admin.password_changed", object_id=str(user.pk)).exists()
