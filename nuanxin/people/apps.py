from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# What the audit log calls this app's actions (core.audit_labels).
AUDIT_LABELS = {
    "people.household_registered": _("Household registered"),
    "people.resident_registered": _("Resident registered"),
    "people.resident_changed": _("Resident changed"),
    "people.resident_tagged": _("Resident tag added"),
    "people.resident_untagged": _("Resident tag removed"),
    "people.revealed": _("Personal data revealed"),
    "people.searched": _("Residents searched"),
    "people.imported": _("Residents imported"),
}


class PeopleConfig(AppConfig):
    name = "nuanxin.people"
    label = "people"
    verbose_name = _("People")

    def ready(self) -> None:
        # What the audit log calls its actions.
        from nuanxin.core import audit_labels

        audit_labels.describe(AUDIT_LABELS)
