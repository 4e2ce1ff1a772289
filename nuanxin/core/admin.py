"""Admin plumbing: every admin write is audited; the audit log itself is read-only."""

from typing import Any

from django.apps import apps
from django.contrib import admin
from django.http import HttpRequest
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from nuanxin.core import audit
from nuanxin.core.audit_labels import Label
from nuanxin.core.models import AuditEntry, CalendarDay, Delivery


class AuditedModelAdmin(admin.ModelAdmin):
    """A ModelAdmin whose saves and deletes leave audit entries like actions do."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        verb = "changed" if change else "created"
        audit.record(
            f"admin.{obj._meta.model_name}_{verb}",
            actor=request.user,
            obj=obj,
            detail={"fields": sorted(form.changed_data)},
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        audit.record(f"admin.{obj._meta.model_name}_deleted", actor=request.user, obj=obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            audit.record(f"admin.{obj._meta.model_name}_deleted", actor=request.user, obj=obj)
        super().delete_queryset(request, queryset)


ADMIN_VERBS = {
    "created": _("Admin site: {model} created"),
    "changed": _("Admin site: {model} changed"),
    "deleted": _("Admin site: {model} deleted"),
}


def admin_action_label(action: str) -> Label | None:
    """The audit log's name for "admin.<model>_<verb>", as AuditedModelAdmin records it."""
    model_name, _sep, verb = action.removeprefix("admin.").rpartition("_")
    model = next((m for m in apps.get_models() if m._meta.model_name == model_name), None)
    if model is None or verb not in ADMIN_VERBS:
        return None
    return format_lazy(ADMIN_VERBS[verb], model=model._meta.verbose_name)


class ReadOnlyModelAdmin(admin.ModelAdmin):
    """Shown, never written: rows that change only through actions (or never)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyModelAdmin):
    list_display = ("at", "actor_name", "role", "ip", "action", "object_repr", "result", "request_id")
    list_filter = ("result", "action")
    search_fields = ("actor_name", "action", "object_repr", "request_id")


@admin.register(CalendarDay)
class CalendarDayAdmin(AuditedModelAdmin):
    """Holidays and make-up workdays; admins add each new year's official schedule here."""

    list_display = ("date", "kind", "name")
    list_filter = ("kind",)
    search_fields = ("name",)
    date_hierarchy = "date"


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyModelAdmin):
    """Operators see which e-mails and webhooks went out, and why one failed."""

    list_display = ("id", "channel", "status", "attempts", "last_attempt_at", "sent_at", "last_error")
    list_filter = ("status", "channel")
    list_select_related = ("notification",)
