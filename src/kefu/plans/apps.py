from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    name = "kefu.plans"
    label = "plans"
    verbose_name = _("Work plans")

    def ready(self) -> None:
        from kefu.core import extensions

        from . import dashboard, selectors

        extensions.register_dashboard_panel("plans.goals", dashboard.active_goals, order=10)
        extensions.register_nav(
            extensions.NavLink(
                45, "plans", _("Work plans"), "plans:list", visible=selectors.is_manager, menu="planning"
            )
        )
