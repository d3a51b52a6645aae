from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoutingConfig(AppConfig):
    name = "kefu.routing"
    label = "routing"
    verbose_name = _("Triage and routing")

    def ready(self) -> None:
        from kefu.core import events, extensions

        from . import handlers, metrics, selectors, views

        metrics.register_all()

        events.register("routing.route", handlers.on_event)
        extensions.register_ticket_panel("routing.triage", views.triage_panel, order=20)
        extensions.register_top_bar("routing.presence", views.presence_widget, order=10)
        extensions.register_nav(
            extensions.NavLink(
                55, "routing", _("Routing"), "routing:home", visible=selectors.can_manage, menu="settings"
            )
        )
