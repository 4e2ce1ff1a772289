from django.apps import AppConfig
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

# What the audit log calls this app's actions (core.audit_labels); a step of a case is
# recorded as cases.<step>, and named after the step.
AUDIT_LABELS = {
    "cases.class_created": _("Case category created"),
    "cases.photos_added": _("Case photos added"),
    "cases.followed": _("Case followed"),
    "cases.exported": _("Cases exported"),
}


class CasesConfig(AppConfig):
    name = "nuanxin.cases"
    label = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        # What waits for a viewer on the homes (core.workqueue).
        from nuanxin.cases.work import SOURCE
        from nuanxin.core import workqueue

        workqueue.register(SOURCE)

        # What the audit log calls its actions.
        from nuanxin.cases.models import CaseEvent
        from nuanxin.core import audit_labels

        audit_labels.describe(AUDIT_LABELS)
        audit_labels.describe(
            {f"cases.{step}": format_lazy(_("Case: {step}"), step=step.label) for step in CaseEvent.Kind}
        )
