from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "kefu.tickets"
    label = "tickets"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        from kefu.core import events

        from . import customer_data, metrics
        from .models import TicketEvent

        metrics.register_all()
        customer_data.register()  # tickets' share of a customer export, erasure and merge
        events.register("tickets.first_response_business", metrics.business.on_event)

        def recent(since, until):
            return TicketEvent.objects.filter(created_at__gte=since, created_at__lt=until).values_list(
                "pk", flat=True
            )

        events.register_source("tickets", recent)
