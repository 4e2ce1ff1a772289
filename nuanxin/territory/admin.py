from django.contrib import admin

from nuanxin.core.admin import AuditedModelAdmin
from nuanxin.territory.models import Area, Place, StaffAssignment


@admin.register(Area)
class AreaAdmin(AuditedModelAdmin):
    list_display = ("name", "level", "code", "path")
    list_filter = ("level",)
    search_fields = ("name", "code")
    readonly_fields = ("path", "center_lng", "center_lat")
    # Boundaries and the tree shape change through the territory actions (they validate
    # polygons and overlaps); the admin edits names only.
    fields = ("name", "level", "code", "path", "center_lng", "center_lat")

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        return ("level", "code", "path", "center_lng", "center_lat") if obj else self.readonly_fields

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(Place)
class PlaceAdmin(AuditedModelAdmin):
    list_display = ("name", "kind", "grid", "address")
    list_filter = ("kind", "grid")
    search_fields = ("name", "address")
    readonly_fields = ("grid", "lng", "lat")
    fields = ("name", "kind", "address", "grid", "lng", "lat", "attributes")

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(StaffAssignment)
class StaffAssignmentAdmin(AuditedModelAdmin):
    """Read-only here: assignments are made and ended on the grid page, where the overlap
    rules of `assign_staff` apply and history is kept."""

    list_display = ("grid", "duty", "person", "starts_on", "ends_on")
    list_filter = ("duty", "grid")

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False
