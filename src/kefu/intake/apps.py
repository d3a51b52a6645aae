from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    name = "kefu.intake"
    label = "intake"
    verbose_name = _("Intake")

    def ready(self) -> None:
        # An agent's POST /api/tickets for a customer comes in through intake (see intake.api).
        from kefu.tickets.api.routes import register_agent_opener

        from .api import open_from_api

        register_agent_opener(open_from_api)
