from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# What the audit log calls this app's actions (core.audit_labels).
AUDIT_LABELS = {
    "inspections.target_added": _("Watch target added"),
    "inspections.target_ended": _("Watch target ended"),
    "inspections.tier_changed": _("Watch target tier changed"),
    "inspections.frequency_changed": _("Visit frequency changed"),
    "inspections.template_created": _("Checklist created"),
    "inspections.checklist_published": _("Checklist published"),
    "inspections.visits_generated": _("Visits scheduled"),
    "inspections.visit_recorded": _("Visit recorded"),
    "inspections.visit_photos_added": _("Visit photos added"),
    "inspections.rectification_issued": _("Rectification notice issued"),
    "inspections.rectification_closed": _("Rectification closed"),
    "inspections.deadline_changed": _("Rectification deadline changed"),
    "inspections.notice_printed": _("Rectification notice printed"),
}


class InspectionsConfig(AppConfig):
    name = "nuanxin.inspections"
    label = "inspections"
    verbose_name = _("Inspections")

    def ready(self) -> None:
        # What waits for a viewer on the homes (core.workqueue).
        from nuanxin.core import workqueue
        from nuanxin.inspections.work import SOURCE

        workqueue.register(SOURCE)

        # What the audit log calls its actions.
        from nuanxin.core import audit_labels

        audit_labels.describe(AUDIT_LABELS)
