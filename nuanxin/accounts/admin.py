"""Accounts in the Django admin. Role grants go through grant_role/revoke_role (their rules,
the signed-in admin's accounts.manage, and audit entries); password changes and token
deletions are audited too."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from nuanxin.accounts.actions import (
    TokenRevoked,
    check_grant,
    check_may_grant,
    grant_role,
    revoke_role,
    revoke_token,
)
from nuanxin.accounts.mfa import reset_mfa
from nuanxin.accounts.models import ApiToken, RoleGrant, User
from nuanxin.core import audit
from nuanxin.core.admin import AuditedModelAdmin
from nuanxin.core.errors import DomainError


class RoleGrantForm(forms.ModelForm):
    # The signed-in admin (set per request by RoleGrantInline.get_formset); None refuses.
    actor: Any = None

    class Meta:
        model = RoleGrant
        fields = ("role", "area", "unit")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.instance.pk is None and not self.errors:
            where = {"role": data.get("role", ""), "area": data.get("area"), "unit": data.get("unit")}
            try:
                check_grant(**where)
                check_may_grant(actor=self.actor, **where)
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

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        kwargs["form"] = type("RoleGrantForm", (RoleGrantForm,), {"actor": request.user})
        return super().get_formset(request, obj, **kwargs)


@admin.register(User)
class UserAdmin(AuditedModelAdmin, BaseUserAdmin):
    list_display = ("username", "display_name", "is_active", "last_login")
    search_fields = ("username", "display_name")
    fieldsets = (*(BaseUserAdmin.fieldsets or ()), (None, {"fields": ("display_name",)}))
    inlines = [RoleGrantInline]
    actions = ["reset_two_step"]

    @admin.action(description=gettext_lazy("Reset two-step verification (lost phone)"))
    def reset_two_step(self, request: HttpRequest, queryset: Any) -> None:
        for user in queryset:
            try:
                reset_mfa(actor=request.user, user=user)
            except DomainError as exc:
                self.message_user(request, exc.message, level=messages.ERROR)
                return
        self.message_user(request, _("Two-step verification reset for %(n)s accounts.") % {"n": len(queryset)})

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
    """Tokens are revoked here (the action, or delete), each through `revoke_token`: gone at
    once, audited with the admin as the actor. Search by username for one account's tokens."""

    list_display = ("user", "created_at", "expires_at", "last_used_at", "usable_until")
    readonly_fields = ("user", "digest", "created_at", "expires_at", "last_used_at")
    search_fields = ("user__username",)
    list_select_related = ("user",)
    actions = ["revoke_selected"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=gettext_lazy("Revoke the selected API tokens"), permissions=["delete"])
    def revoke_selected(self, request: HttpRequest, queryset: Any) -> None:
        count = 0
        for token in queryset.select_related("user"):
            revoke_token(actor=request.user, token=token, reason=TokenRevoked.BY_ADMIN)
            count += 1
        self.message_user(request, _("%(count)d API tokens revoked.") % {"count": count}, messages.SUCCESS)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        revoke_token(actor=request.user, token=obj, reason=TokenRevoked.BY_ADMIN)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for token in queryset.select_related("user"):
            revoke_token(actor=request.user, token=token, reason=TokenRevoked.BY_ADMIN)


# Second-factor devices change only through the MFA pages and the audited reset above: the
# django-otp admin pages would edit them (and show recovery codes) without an audit entry.
for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
