from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# What the audit log calls this app's actions (core.audit_labels).
AUDIT_LABELS = {
    "stations.station_created": _("Warm station created"),
    "stations.station_changed": _("Warm station changed"),
    "stations.status_set": _("Warm station status set"),
    "stations.photos_added": _("Warm station photos added"),
    "stations.photo_removed": _("Warm station photo removed"),
    "stations.checked_in": _("Checked in at a warm station"),
    "stations.feedback_given": _("Warm station feedback given"),
    "stations.meal_offer_created": _("Meal offer created"),
    "stations.meal_offer_changed": _("Meal offer changed"),
    "stations.parking_point_created": _("Parking point created"),
    "stations.parking_point_changed": _("Parking point changed"),
    "stations.green_channel_created": _("Green channel created"),
    "stations.green_channel_changed": _("Green channel changed"),
}


class StationsConfig(AppConfig):
    name = "nuanxin.stations"
    label = "stations"
    verbose_name = _("Warm stations and rider services")

    def ready(self) -> None:
        # What the audit log calls its actions.
        from nuanxin.core import audit_labels

        audit_labels.describe(AUDIT_LABELS)
