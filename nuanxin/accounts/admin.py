"""Accounts in the Django admin. Role grants go through grant_role/revoke_role (their rules
and audit entries); password changes and token deletions are audited too."""

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpRequest, HttpResponse

from nuanxin.accounts.actions import check_grant, grant_role, revoke_role
from nuanxin.accounts.models import ApiToken, RoleGrant, User
from nuanxin.core import audit
from nuanxin.core.admin import AuditedModelAdmin
from nuanxin.core.errors import DomainError


class RoleGrantForm(forms.ModelForm):
    class Meta:
        model = RoleGrant
        fields = ("role", "area", "unit")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.instance.pk is None and not self.errors:
            try:
                check_grant(role=data.get("role", ""), area=data.get("area"), unit=data.get("unit"))
            except DomainError as exc:
                raise ValidationError({exc.field or NON_FIELD_ERRORS: exc.message}) from None
        return data


class RoleGrantInline(admin.TabularInline):
    """New grants and removals only: a grant is never edited in place (revoke, then grant)."""

    model = RoleGrant
    form = RoleGrantForm
    extra = 0
    raw_id_fields = ("area", "unit")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(User)
class UserAdmin(AuditedModelAdmin, BaseUserAdmin):
    list_display = ("username", "display_name", "is_active", "last_login")
    search_fields = ("username", "display_name")
    fieldsets = (*(BaseUserAdmin.fieldsets or ()), (None, {"fields": ("display_name",)}))
    inlines = [RoleGrantInline]

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not RoleGrant:
            super().save_formset(request, form, formset, change)
            return
        for grant in formset.save(commit=False):
            grant_role(actor=request.user, user=form.instance, role=grant.role, area=grant.area, unit=grant.unit)
        for grant in formset.deleted_objects:
            revoke_role(actor=request.user, grant=grant)

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            user = User.objects.get(pk=id)
            audit.record("admin.password_changed", actor=request.user, obj=user)
        return response


@admin.register(ApiToken)
class ApiTokenAdmin(AuditedModelAdmin):
    list_display = ("user", "created_at", "expires_at", "last_used_at")
    readonly_fields = ("user", "digest", "created_at", "expires_at", "last_used_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
