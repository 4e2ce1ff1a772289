from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    name = "nuanxin.insights"
    label = "insights"
    verbose_name = _("Insights")

    def ready(self) -> None:
        # The period figures count what the apps' actions say they create and change.
        from nuanxin.core import changes
        from nuanxin.insights import rollups

        changes.watch(rollups)
