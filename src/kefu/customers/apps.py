from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "kefu.customers"
    label = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from kefu.core import extensions

        from . import metrics, privacy  # noqa: F401 (privacy registers this app's parts of a customer's data)
        from .masking import can_unmask

        metrics.register_all()
        extensions.register_nav(
            extensions.NavLink(
                60,
                "orders_import",
                _("Import orders"),
                "customers:import_orders",
                visible=can_unmask,
                menu="customers",
            )
        )
