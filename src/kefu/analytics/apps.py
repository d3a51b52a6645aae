from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "kefu.analytics"
    label = "analytics"
    verbose_name = _("Analytics")

    def ready(self) -> None:
        from kefu.core import extensions, metrics

        from . import rollups

        # compute() reads the daily rollups when they cover the question, raw SQL otherwise.
        metrics.set_store(rollups.store)
        # The dashboards: the overview for supervisors, their own and their teams' for agents.
        extensions.register_nav(
            extensions.NavLink(
                60, "analytics", _("Dashboards"), "analytics:home", visible=lambda u: u.is_agent
            )
        )
