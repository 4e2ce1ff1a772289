from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "nuanxin.core"
    label = "core"
    verbose_name = _("Audit")

    def ready(self) -> None:
        # A tile setting that cannot work stops the site now, not at its first map (core/maps.py).
        from nuanxin.core import maps

        maps.tiles()
