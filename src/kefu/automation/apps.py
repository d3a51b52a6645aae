from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AutomationConfig(AppConfig):
    name = "kefu.automation"
    label = "automation"
    verbose_name = _("Automation")

    def ready(self) -> None:
        from kefu.core import events, extensions

        from . import engine, views

        events.register("automation.triggers", engine.on_event)
        extensions.register_compose_tool("automation.canned", views.compose_tool, order=10)
        extensions.register_ticket_panel("automation.macros", views.macro_panel, order=50)
        extensions.register_nav(
            extensions.NavLink(
                60,
                "automation",
                _("Automation"),
                "automation:home",
                menu="settings",
                visible=lambda user: bool(getattr(user, "is_agent", False)),
            )
        )
