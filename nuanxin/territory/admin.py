from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from nuanxin.core.admin import AuditedModelAdmin, ReadOnlyModelAdmin
from nuanxin.territory import actions
from nuanxin.territory.models import Area, Place, StaffAssignment


@admin.register(Area)
class AreaAdmin(AuditedModelAdmin):
    """Names only: new areas and boundaries go through the territory actions (API, demo),
    which validate polygons and overlaps."""

    list_display = ("name", "level", "code", "path")
    list_filter = ("level",)
    search_fields = ("name", "code")
    fields = ("name", "level", "code", "path")
    readonly_fields = ("level", "code", "path")

    def save_model(self, request: HttpRequest, obj: Area, form: Any, change: bool) -> None:
        actions.change_area(
            actor=request.user,
            scope=request.scope,  # type: ignore[attr-defined]
            area=Area.objects.get(pk=obj.pk),
            name=obj.name,
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Place)
class PlaceAdmin(AuditedModelAdmin):
    """Name and address only; kind, location and attributes change through the actions."""

    list_display = ("name", "kind", "grid", "address")
    list_filter = ("kind", "grid")
    search_fields = ("name", "address")
    fields = ("name", "address", "kind", "grid", "lng", "lat", "attributes")
    readonly_fields = ("kind", "grid", "lng", "lat", "attributes")

    def save_model(self, request: HttpRequest, obj: Place, form: Any, change: bool) -> None:
        actions.change_place(
            actor=request.user,
            scope=request.scope,  # type: ignore[attr-defined]
            place=Place.objects.get(pk=obj.pk),
            name=obj.name,
            address=obj.address,
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(StaffAssignment)
class StaffAssignmentAdmin(ReadOnlyModelAdmin):
    """Read-only here: assignments are made and ended on the grid page, where the overlap
    rules of `assign_staff` apply and history is kept."""

    list_display = ("grid", "duty", "person", "starts_on", "ends_on")
    list_filter = ("duty", "grid")
