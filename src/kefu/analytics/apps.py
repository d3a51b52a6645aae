from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "kefu.analytics"
    label = "analytics"
    verbose_name = _("Analytics")

    def ready(self) -> None:
        from kefu.core import metrics

        from . import rollups

        # compute() reads the daily rollups when they cover the question, raw SQL otherwise.
        metrics.set_store(rollups.store)
