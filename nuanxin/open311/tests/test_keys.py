import hashlib
import re

import pytest
from django.test import Client

from nuanxin.core.errors import DomainError
from nuanxin.core.models import AuditEntry
from nuanxin.open311.actions import issue_api_key, revoke_api_key
from nuanxin.open311.models import ApiKey
from nuanxin.testing import SYSTEM_SCOPE


def test_issued_key_is_stored_only_as_its_digest_and_audited(world):
    key, raw = issue_api_key(actor=world.system_admin, scope=SYSTEM_SCOPE, name="12345", area=world.community)
    assert raw.startswith("o311_") and len(raw) > 40
    assert key.digest == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in str(ApiKey.objects.filter(pk=key.pk).values().get())
    entry = AuditEntry.objects.get(action="open311.key_issued")
    assert entry.actor_id == world.system_admin.pk and raw not in str(entry.detail)


def test_key_needs_a_name_and_a_fresh_value(world):
    with pytest.raises(DomainError):
        issue_api_key(actor=None, scope=SYSTEM_SCOPE, name=" ", area=world.community)
    issue_api_key(actor=None, scope=SYSTEM_SCOPE, name="a", area=world.community, raw_key="fixed-key")
    with pytest.raises(DomainError):
        issue_api_key(actor=None, scope=SYSTEM_SCOPE, name="b", area=world.community, raw_key="fixed-key")


def test_revoking_is_audited_once(world):
    key, _raw = issue_api_key(actor=None, scope=SYSTEM_SCOPE, name="a", area=world.community)
    revoke_api_key(actor=world.system_admin, scope=SYSTEM_SCOPE, key=key)
    revoke_api_key(actor=world.system_admin, scope=SYSTEM_SCOPE, key=key)
    assert key.revoked_at is not None
    assert AuditEntry.objects.filter(action="open311.key_revoked").count() == 1


def admin_client(world):
    user = world.system_admin
    user.is_staff = user.is_superuser = True
    user.save()
    client = Client()
    client.force_login(user)
    return client


def test_admin_issues_a_key_and_shows_it_once(world):
    client = admin_client(world)
    answer = client.post("/admin/open311/apikey/add/", {"name": "区12345平台", "area": world.community.pk}, follow=True)
    assert answer.status_code == 200
    key = ApiKey.objects.get()
    shown = " ".join(str(m) for m in answer.context["messages"])
    (raw,) = re.findall(r"o311_[A-Za-z0-9_-]{43}", shown)
    assert hashlib.sha256(raw.encode()).hexdigest() == key.digest
    assert key.created_by == world.system_admin
    assert AuditEntry.objects.filter(action="open311.key_issued", actor_id=world.system_admin.pk).exists()
    # Never again: the change page shows the prefix only.
    page = client.get(f"/admin/open311/apikey/{key.pk}/change/").content.decode()
    assert raw not in page and key.prefix in page


def test_admin_revokes_keys_with_the_action(world):
    key, _raw = issue_api_key(actor=None, scope=SYSTEM_SCOPE, name="a", area=world.community)
    client = admin_client(world)
    client.post("/admin/open311/apikey/", {"action": "revoke", "_selected_action": [key.pk]})
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert AuditEntry.objects.filter(action="open311.key_revoked", actor_id=world.system_admin.pk).exists()


def test_non_staff_cannot_reach_the_key_admin(world):
    client = Client()
    client.force_login(world.community_admin)  # a console user, not Django staff
    answer = client.get("/admin/open311/apikey/")
    assert answer.status_code == 302 and "/login/" in answer["Location"]
    assert client.post("/admin/open311/apikey/add/", {"name": "x", "area": world.community.pk}).status_code == 302
    assert not ApiKey.objects.exists()
