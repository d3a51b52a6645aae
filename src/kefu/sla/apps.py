from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "kefu.sla"
    label = "sla"
    verbose_name = _("Service levels")

    def ready(self) -> None:
        from kefu.core import businesstime, events, extensions

        from . import metrics, selectors, services, timers, views

        metrics.register_all()

        businesstime.register_team_calendars(services.team_calendars)
        businesstime.register_statutory_days(services.entered_statutory_days)
        events.register("sla.timers", timers.on_event)
        extensions.register_ticket_panel("sla.timers", views.ticket_panel, order=10)
        extensions.register_row_badges("sla.badges", views.row_badges, order=10)
        extensions.register_nav(
            extensions.NavLink(56, "sla", _("SLA"), "sla:home", visible=selectors.can_manage, menu="settings")
        )
