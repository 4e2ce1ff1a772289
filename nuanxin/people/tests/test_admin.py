"""The admin shows people read-only and masked."""

import re

from django.contrib.auth import get_user_model

from nuanxin.people.models import Household, Resident
from nuanxin.people.tests.sample import ZHANG_ID, ZHANG_PHONE


def test_admin_lists_and_shows_residents_masked_only(client, people):
    superuser = get_user_model().objects.create_superuser("root", password="a-long-test-passphrase-42")
    client.force_login(superuser)
    for url in ("/admin/people/resident/", f"/admin/people/resident/{people.zhang.pk}/change/"):
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        assert "138****5678" in page
        assert ZHANG_ID not in page and ZHANG_PHONE not in page and not re.search(r"\d{17}[\dX]", page)
    assert client.get("/admin/people/resident/add/").status_code == 403
    assert client.get("/admin/people/household/").status_code == 200


def test_admin_may_not_delete_residents_or_households(client, people):
    superuser = get_user_model().objects.create_superuser("root", password="a-long-test-passphrase-42")
    client.force_login(superuser)
    for model, pk in (("resident", people.zhang.pk), ("household", people.household.pk)):
        assert client.get(f"/admin/people/{model}/{pk}/delete/").status_code == 403
        assert client.post(f"/admin/people/{model}/{pk}/delete/", {"post": "yes"}).status_code == 403
        response = client.post(f"/admin/people/{model}/", {"action": "delete_selected", "_selected_action": [pk]})
        assert response.status_code in (200, 302)  # no such action: the list comes back
    assert Resident.objects.filter(pk=people.zhang.pk).exists()
    assert Household.objects.filter(pk=people.household.pk).exists()
    assert 'value="delete_selected"' not in client.get("/admin/people/resident/").content.decode()
