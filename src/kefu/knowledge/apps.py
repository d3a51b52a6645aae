from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    name = "kefu.knowledge"
    label = "knowledge"
    verbose_name = _("Knowledge base")

    def ready(self) -> None:
        from kefu.core import extensions

        from . import metrics, views_agent

        metrics.register_all()

        extensions.register_ticket_panel("knowledge.assist", views_agent.render_ticket_panel, order=40)
        extensions.register_nav(
            extensions.NavLink(60, "knowledge.help", _("Help centre"), "help:home", area="portal")
        )
        extensions.register_nav(
            extensions.NavLink(
                60,
                "knowledge.kb",
                _("Knowledge base"),
                "kb:list",
                area="agent",
                visible=lambda user: bool(getattr(user, "is_agent", False)),
            )
        )
