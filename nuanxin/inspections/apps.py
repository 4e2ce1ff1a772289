from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InspectionsConfig(AppConfig):
    name = "nuanxin.inspections"
    label = "inspections"
    verbose_name = _("Inspections")

    def ready(self) -> None:
        # What waits for a viewer on the homes (core.workqueue).
        from nuanxin.core import workqueue
        from nuanxin.inspections.work import SOURCE

        workqueue.register(SOURCE)
