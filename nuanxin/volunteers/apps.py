from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VolunteersConfig(AppConfig):
    name = "nuanxin.volunteers"
    label = "volunteers"
    verbose_name = _("Volunteers and activities")

    def ready(self) -> None:
        # A volunteer who reported a hazard under their own account earns its points when the
        # case is closed as fixed (core.changes: the cases app does not know the points).
        from nuanxin.core import changes
        from nuanxin.volunteers.points.actions import award_report_points

        changes.on("cases.closed", award_report_points)

        # What waits for organisers and partners on the homes (core.workqueue).
        from nuanxin.core import workqueue
        from nuanxin.volunteers.work import HOURS, VOUCHERS

        workqueue.register(HOURS)
        workqueue.register(VOUCHERS)
