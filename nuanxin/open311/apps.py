from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# What the audit log calls this app's actions (core.audit_labels).
AUDIT_LABELS = {
    "open311.key_issued": _("Open311 key issued"),
    "open311.key_revoked": _("Open311 key revoked"),
    "open311.key_refused": _("Open311 key refused"),
    "open311.request_received": _("Open311 request received"),
}


class Open311Config(AppConfig):
    name = "nuanxin.open311"
    label = "open311"
    verbose_name = _("Open311")

    def ready(self) -> None:
        # What the audit log calls its actions.
        from nuanxin.core import audit_labels

        audit_labels.describe(AUDIT_LABELS)
