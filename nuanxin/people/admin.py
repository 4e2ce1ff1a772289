"""Admin views of people: read-only and masked, with no add, change or delete. Residents
are registered and changed through the people actions (they validate, index and audit);
tags are not shown here."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from nuanxin.core.admin import AuditedModelAdmin
from nuanxin.people.models import Household, Resident


class ReadOnlyAdmin(AuditedModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Deleting a resident would also drop their tags and bypass the actions' audit trail.
        return False


@admin.register(Household)
class HouseholdAdmin(ReadOnlyAdmin):
    list_display = ("number", "place", "grid")
    list_filter = ("grid",)
    search_fields = ("number", "place__name")
    list_select_related = ("place", "grid")


@admin.register(Resident)
class ResidentAdmin(ReadOnlyAdmin):
    list_display = ("name", "name_pinyin", "gender", "birth_year", "masked_id_number", "masked_phone", "place", "grid")
    list_filter = ("grid", "gender")
    search_fields = ("name", "name_pinyin", "name_initials")
    list_select_related = ("place", "grid")
    # Never the encrypted columns themselves: only their masked forms.
    fields = (
        "name",
        "name_pinyin",
        "gender",
        "birth_year",
        "masked_id_number",
        "masked_phone",
        "place",
        "household",
        "grid",
        "user",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    @admin.display(description=_("ID number"))
    def masked_id_number(self, obj: Resident) -> str:
        return obj.id_number_masked

    @admin.display(description=_("phone"))
    def masked_phone(self, obj: Resident) -> str:
        return obj.phone_masked
