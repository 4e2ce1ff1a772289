"""Admins issue and revoke Open311 API keys here. Issuing goes through actions.issue_api_key
(the key is shown once, in the confirmation message, and stored only as a digest); revoking
through actions.revoke_api_key. Keys are never deleted, so the audit trail keeps its object."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from nuanxin.core.admin import AuditedModelAdmin
from nuanxin.open311 import actions
from nuanxin.open311.models import ApiKey


@admin.register(ApiKey)
class ApiKeyAdmin(AuditedModelAdmin):
    list_display = ("name", "prefix", "area", "created_by", "created_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "prefix")
    fields = ("name", "area", "prefix", "created_by", "created_at", "revoked_at")
    actions = ["revoke"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # The reach of an issued key does not change: issue a new key instead.
        fixed = ("prefix", "created_by", "created_at", "revoked_at")
        return ("area", *fixed) if obj is not None else fixed

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: ApiKey, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        key, raw = actions.issue_api_key(
            actor=request.user,
            scope=request.scope,  # type: ignore[attr-defined]
            name=obj.name,
            area=obj.area,
        )
        for field in ApiKey._meta.concrete_fields:
            setattr(obj, field.attname, getattr(key, field.attname))
        obj._state.adding = False
        messages.warning(
            request,
            _("The new API key is %(key)s — copy it now: it is shown only this once.") % {"key": raw},
        )

    @admin.action(description=gettext_lazy("Revoke the selected keys"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        for key in queryset.filter(revoked_at__isnull=True):
            actions.revoke_api_key(actor=request.user, scope=request.scope, key=key)  # type: ignore[attr-defined]
        messages.success(request, _("The selected keys are revoked."))
