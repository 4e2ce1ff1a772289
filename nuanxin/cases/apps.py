from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "nuanxin.cases"
    label = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        # What waits for a viewer on the homes (core.workqueue).
        from nuanxin.cases.work import SOURCE
        from nuanxin.core import workqueue

        workqueue.register(SOURCE)
