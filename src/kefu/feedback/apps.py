from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "kefu.feedback"
    label = "feedback"
    verbose_name = _("Feedback")

    def ready(self) -> None:
        from kefu.core import events, extensions

        from . import customer_data, metrics, selectors, services, views

        customer_data.register()
        metrics.register_all()
        events.register("feedback.csat", services.on_event)
        extensions.register_portal_panel("feedback.csat", views.portal_panel, order=10)
        extensions.register_ticket_panel("feedback.csat", views.agent_panel, order=60)
        extensions.register_nav(
            extensions.NavLink(
                59,
                "feedback",
                _("Feedback"),
                "feedback:answers",
                visible=selectors.can_work,
                menu="customers",
            )
        )
        from . import timeline  # surveys on the Customer 360 timeline

        extensions.register_customer_timeline("feedback", timeline.customer_entries, order=50)
