from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# What the audit log calls this app's actions (core.audit_labels).
AUDIT_LABELS = {
    "access.denied": _("Access refused"),
    "ratelimit.refused": _("Refused: too many attempts"),
    "phone_code.sent": _("Phone code sent"),
    "phone_code.exhausted": _("Phone code: too many wrong tries"),
    "notifications.read": _("Notification read"),
    "notifications.read_all": _("All notifications marked read"),
    "core.backup_made": _("Backup made"),
    "core.backup_restored": _("Backup restored"),
}


class CoreConfig(AppConfig):
    name = "nuanxin.core"
    label = "core"
    verbose_name = _("Audit")

    def ready(self) -> None:
        # A tile setting that cannot work stops the site now, not at its first map (core/maps.py).
        from nuanxin.core import maps

        maps.tiles()

        # What the audit log calls its actions.
        from nuanxin.core import audit_labels
        from nuanxin.core.admin import admin_action_label

        audit_labels.describe(AUDIT_LABELS)
        audit_labels.describe_family("admin.", admin_action_label)
