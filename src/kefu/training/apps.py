from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    name = "kefu.training"
    label = "training"
    verbose_name = _("Training")

    def ready(self) -> None:
        from kefu.core import extensions

        from . import metrics, selectors

        metrics.register_all()
        extensions.register_nav(
            extensions.NavLink(
                74, "training", _("Training"), "training:home", visible=selectors.can_learn, menu="team"
            )
        )
