from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QualityConfig(AppConfig):
    name = "kefu.quality"
    label = "quality"
    verbose_name = _("Quality")

    def ready(self) -> None:
        from kefu.core import extensions

        from . import metrics, selectors

        metrics.register_all()
        extensions.register_nav(
            extensions.NavLink(
                71,
                "quality",
                _("Quality reviews"),
                "quality:queue",
                visible=selectors.can_review,
                menu="team",
            )
        )
        extensions.register_nav(
            extensions.NavLink(
                72,
                "quality-mine",
                _("My quality reviews"),
                "quality:mine",
                visible=selectors.is_reviewed_agent,
                menu="team",
            )
        )
