from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CollaborationConfig(AppConfig):
    name = "kefu.collaboration"
    label = "collaboration"
    verbose_name = _("Department tasks")

    def ready(self) -> None:
        from kefu.core import extensions

        from . import metrics, selectors, views

        metrics.register_all()
        extensions.register_ticket_panel("collaboration.tasks", views.ticket_panel, order=30)
        # A department member's own work list sits in the top bar (members see little else);
        # supervisors reach it through the team menu, so the English bar still fits 1366 px.
        extensions.register_nav(
            extensions.NavLink(
                15, "collab.mine", _("Department tasks"), "collaboration:tasks", visible=selectors.is_member
            )
        )
        extensions.register_nav(
            extensions.NavLink(
                64,
                "collab.team",
                _("Department tasks"),
                "collaboration:tasks",
                visible=selectors.can_manage,
                menu="team",
            )
        )
        extensions.register_nav(
            extensions.NavLink(
                65,
                "collab.approvals",
                _("Approvals"),
                "collaboration:approvals",
                visible=selectors.is_agent,
                menu="team",
            )
        )
