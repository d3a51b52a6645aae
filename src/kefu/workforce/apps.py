from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkforceConfig(AppConfig):
    name = "kefu.workforce"
    label = "workforce"
    verbose_name = _("Staffing")

    def ready(self) -> None:
        from kefu.core import extensions

        from . import selectors

        # routing asks the published roster who is on duty (ADR 0018: a hook, not an import)
        extensions.register_duty_source("workforce.roster", selectors.duty)
        extensions.register_nav(
            extensions.NavLink(
                64,
                "workforce",
                _("Staffing"),
                "workforce:staffing",
                visible=selectors.can_manage,
                menu="team",
            )
        )
