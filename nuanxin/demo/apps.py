from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    name = "nuanxin.demo"
    label = "demo"
    verbose_name = _("Demo community")

    def ready(self) -> None:
        """The demo's own history steps, through the registry other apps use too (in this
        order: the riders who report cases take part in campaigns, the volunteers' partners
        offer rewards)."""
        from nuanxin.core import demo_history
        from nuanxin.demo.cases import case_history
        from nuanxin.demo.inspections import inspection_history
        from nuanxin.demo.rewards import rewards_history
        from nuanxin.demo.stations import stations_history
        from nuanxin.demo.volunteers import volunteers_history

        demo_history.register("cases", case_history, order=10)
        demo_history.register("inspections", inspection_history, order=20)
        demo_history.register("stations", stations_history, order=30)
        demo_history.register("volunteers", volunteers_history, order=40)
        demo_history.register("rewards", rewards_history, order=50)
