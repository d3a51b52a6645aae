from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EmergencyConfig(AppConfig):
    name = "kefu.emergency"
    label = "emergency"
    verbose_name = _("Emergency plans")

    def ready(self) -> None:
        from kefu.core import extensions

        from . import metrics, selectors, views

        metrics.register_all()
        extensions.register_nav(
            extensions.NavLink(
                47,
                "emergency",
                _("Emergency plans"),
                "emergency:plans",
                visible=selectors.can_manage,
                menu="planning",
            )
        )
        extensions.register_top_bar("emergency.banner", views.incident_banner, order=5)
