"""The demo configuration loads, is valid, and loading it twice adds nothing."""

from __future__ import annotations

from kefu.automation import demo, templating
from kefu.automation.models import CannedReply, Macro, TimeRule, Trigger


def test_demo_config_is_idempotent_and_valid(admin_user, warehouse, team_aftersales, customer_x, ticket_for):
    demo.load_config()
    counts = (
        CannedReply.objects.count(),
        Trigger.objects.count(),
        TimeRule.objects.count(),
        Macro.objects.count(),
    )
    demo.load_config()
    assert counts == (
        CannedReply.objects.count(),
        Trigger.objects.count(),
        TimeRule.objects.count(),
        Macro.objects.count(),
    )
    assert counts[0] >= 15 and counts[1] == 3 and counts[2] == 3 and counts[3] == 2
    assert CannedReply.objects.filter(language="en").count() >= 2
    for reply in CannedReply.objects.all():
        templating.check(reply.body)
    ticket = ticket_for(customer_x, subject="我要投诉：发票一直没开")
    assert ticket.priority == "high"
    assert set(ticket.tags.values_list("name", flat=True)) >= {"投诉", "发票"}
