"""Admin views of people: read-only and masked, with no add, change or delete. Residents
are registered and changed through the people actions (they validate, index and audit);
tags are not shown here. Deleting a resident would drop their tags and bypass the actions'
audit trail, so nothing is deleted here either."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from nuanxin.core.admin import ReadOnlyModelAdmin
from nuanxin.people.models import Household, Resident


@admin.register(Household)
class HouseholdAdmin(ReadOnlyModelAdmin):
    list_display = ("number", "place", "grid")
    list_filter = ("grid",)
    search_fields = ("number", "place__name")
    list_select_related = ("place", "grid")


@admin.register(Resident)
class ResidentAdmin(ReadOnlyModelAdmin):
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
