from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    name = "kefu.mail"
    label = "mail"
    verbose_name = _("Email")

    def ready(self) -> None:
        from kefu.accounts.models import Role
        from kefu.core import automail, events, extensions

        from . import customer_data, notices, outbound, views

        customer_data.register()
        automail.register_sender(outbound.service_sender)
        events.register("mail.outbound", outbound.on_replied)
        events.register("mail.notices", notices.on_event)
        extensions.register_ticket_panel("mail", views.ticket_panel, order=60)
        extensions.register_nav(
            extensions.NavLink(
                order=80,
                key="mail-failed",
                label=_("Failed mail"),
                url_name="mail:failed",
                menu="settings",
                area="agent",
                visible=lambda user: (
                    getattr(user, "role", "") in (Role.SUPERVISOR, Role.ADMIN)
                    or getattr(user, "is_superuser", False)
                ),
            )
        )
