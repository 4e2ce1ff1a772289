from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# What the audit log calls this app's actions (core.audit_labels).
AUDIT_LABELS = {
    "disputes.registered": _("Dispute registered"),
    "disputes.mediator_added": _("Mediator added"),
    "disputes.session_recorded": _("Mediation session recorded"),
    "disputes.closed": _("Dispute closed"),
    "disputes.agreement_viewed": _("Mediation agreement viewed"),
    "ledgers.imported": _("Ledger imported"),
    "ledgers.exported": _("Ledger exported"),
}


class LedgersConfig(AppConfig):
    name = "nuanxin.ledgers"
    label = "ledgers"
    verbose_name = _("Ledgers")

    def ready(self) -> None:
        # What the audit log calls its actions.
        from nuanxin.core import audit_labels

        audit_labels.describe(AUDIT_LABELS)
