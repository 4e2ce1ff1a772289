"""The case catalogue is reference data kept in the admin; cases themselves change only
through the actions (the console and the API), so the admin shows them read-only."""

from django.contrib import admin

from nuanxin.cases.models import Case, CaseClass, Category
from nuanxin.core.admin import AuditedModelAdmin, ReadOnlyModelAdmin


@admin.register(Category)
class CategoryAdmin(AuditedModelAdmin):
    list_display = ("name", "code", "order")


@admin.register(CaseClass)
class CaseClassAdmin(AuditedModelAdmin):
    list_display = ("name", "code", "category", "level", "unit", "emergency", "active")
    list_filter = ("category", "level", "emergency", "active")
    search_fields = ("name", "code", "service_code")


@admin.register(Case)
class CaseAdmin(ReadOnlyModelAdmin):
    list_display = ("number", "case_class", "grid", "state", "level", "emergency", "reported_at")
    list_filter = ("state", "level", "emergency", "channel")
    search_fields = ("number",)
    # Never the reporter's identity: anonymous reporters stay anonymous here too.
    fields = ("number", "case_class", "grid", "state", "closure", "level", "emergency", "description", "reported_at")
    readonly_fields = fields
