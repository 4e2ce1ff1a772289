"""The Django admin shows the organisation tree read-only; members, whose membership is sensitive
personal data, are not in the admin at all (the party pages show them, scoped and masked)."""

from django.contrib import admin

from nuanxin.core.admin import ReadOnlyModelAdmin
from nuanxin.party.models import PartyOrg


@admin.register(PartyOrg)
class PartyOrgAdmin(ReadOnlyModelAdmin):
    list_display = ["name", "kind", "area", "founded_on", "ended_on"]
