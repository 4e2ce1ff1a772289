from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from nuanxin.accounts.models import ApiToken, RoleGrant, User
from nuanxin.core.admin import AuditedModelAdmin


class RoleGrantInline(admin.TabularInline):
    model = RoleGrant
    extra = 0
    raw_id_fields = ("area", "unit")


@admin.register(User)
class UserAdmin(AuditedModelAdmin, BaseUserAdmin):
    list_display = ("username", "display_name", "is_active", "last_login")
    search_fields = ("username", "display_name")
    fieldsets = (*(BaseUserAdmin.fieldsets or ()), (None, {"fields": ("display_name",)}))
    inlines = [RoleGrantInline]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("user", "created_at", "expires_at", "last_used_at")
    readonly_fields = ("user", "digest", "created_at", "expires_at", "last_used_at")

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False
