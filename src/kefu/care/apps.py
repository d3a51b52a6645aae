from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CareConfig(AppConfig):
    name = "kefu.care"
    label = "care"
    verbose_name = _("Customer care")

    def ready(self) -> None:
        from kefu.core import events, extensions

        from . import metrics, selectors, services

        metrics.register_all()
        events.register("care.tickets", services.on_event)
        extensions.register_nav(
            extensions.NavLink(
                58, "care", _("Care"), "care:callbacks", visible=selectors.can_work, menu="customers"
            )
        )
        from . import timeline  # callbacks and care tasks on the Customer 360 timeline

        extensions.register_customer_timeline("care", timeline.customer_entries, order=60)
