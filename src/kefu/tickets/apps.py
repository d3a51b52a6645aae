from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "kefu.tickets"
    label = "tickets"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        from kefu.core import events, extensions

        from . import customer_data, metrics, selectors
        from .models import TicketEvent

        metrics.register_all()
        customer_data.register()  # tickets' share of a customer export, erasure and merge
        events.register("tickets.first_response_business", metrics.business.on_event)
        # Customer 360: agents read customers of their teams' tickets, in pages and the API alike.
        extensions.register_customer_scope("tickets", selectors.scope_customers)
        extensions.register_nav(
            extensions.NavLink(
                50,
                "customers",
                _("Customer list"),
                "agent:customers",
                visible=lambda user: user.is_agent,
                menu="customers",
            )
        )

        def recent(since, until):
            return TicketEvent.objects.filter(created_at__gte=since, created_at__lt=until).values_list(
                "pk", flat=True
            )

        events.register_source("tickets", recent)
