from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# What the audit log calls this app's actions (core.audit_labels).
AUDIT_LABELS = {
    "territory.area_created": _("Area created"),
    "territory.area_changed": _("Area changed"),
    "territory.place_created": _("Place created"),
    "territory.place_changed": _("Place changed"),
    "places.imported": _("Places imported"),
    "territory.basemap_imported": _("Basemap imported"),
    "territory.staff_assigned": _("Grid staff assigned"),
    "territory.staff_ended": _("Grid staff assignment ended"),
}


class TerritoryConfig(AppConfig):
    name = "nuanxin.territory"
    label = "territory"
    verbose_name = _("Territory")

    def ready(self) -> None:
        # What the audit log calls its actions.
        from nuanxin.core import audit_labels

        audit_labels.describe(AUDIT_LABELS)
