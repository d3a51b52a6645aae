"""An impossible or unbounded trigger is refused at save, naming the field (issue 21, bad input)."""

from __future__ import annotations

import pytest

from kefu.emergency import services
from kefu.emergency.errors import BadPlan
from kefu.emergency.models import EmergencyPlan

pytestmark = pytest.mark.django_db

BAD = [
    ({"trigger": "volume", "multiplier": 1.0}, "multiplier"),
    ({"trigger": "volume", "multiplier": 0.5}, "multiplier"),
    ({"trigger": "keyword", "keyword": "快递", "multiplier": 1e9}, "multiplier"),
    ({"trigger": "volume", "multiplier": float("nan")}, "multiplier"),
    ({"trigger": "volume", "window_minutes": 0}, "window_minutes"),
    ({"trigger": "volume", "window_minutes": 7 * 24 * 60 + 1}, "window_minutes"),
    ({"trigger": "volume", "baseline_weeks": 0}, "baseline_weeks"),
    ({"trigger": "volume", "min_count": 0}, "min_count"),
    ({"trigger": "sla_breach", "percent": 101}, "percent"),
    ({"trigger": "sla_breach", "percent": 100}, "percent"),
    ({"trigger": "sla_breach", "percent": -1}, "percent"),
    ({"trigger": "keyword", "keyword": "   "}, "keyword"),
    ({"trigger": "keyword", "keyword": "快"}, "keyword"),
    ({"trigger": "keyword", "keyword": "///"}, "keyword"),
    ({"trigger": "silence", "channel": "pigeon"}, "channel"),
    ({"trigger": "silence", "channel": ""}, "channel"),
    ({"trigger": "volume", "channel": "web"}, "channel"),
    ({"trigger": "earthquake"}, "trigger"),
    ({"trigger": "volume", "contact_emails": ["not-an-address"]}, "contact_emails"),
    ({"trigger": "volume", "broadcast_text": "您好 {{ password }}"}, "broadcast_text"),
    ({"trigger": "volume", "cooldown_minutes": -5}, "cooldown_minutes"),
]


@pytest.mark.parametrize(("fields", "field"), BAD)
def test_impossible_or_unbounded_trigger_is_refused(lead_zhao, fields, field):
    with pytest.raises(BadPlan) as refused:
        services.save_plan(services.PlanData(name="预案", **fields), by=lead_zhao)
    assert refused.value.field == field
    assert refused.value.status == 422 and refused.value.message
    assert not EmergencyPlan.objects.exists()


def test_contacts_must_be_staff(lead_zhao, customer_x, agent_li):
    with pytest.raises(BadPlan) as refused:
        services.save_plan(
            services.PlanData(name="预案", trigger="volume", contact_ids=[agent_li.pk, customer_x.user.pk]),
            by=lead_zhao,
        )
    assert refused.value.field == "contact_ids"


def test_a_sound_plan_is_saved_with_its_contacts(lead_zhao, agent_li):
    plan = services.save_plan(
        services.PlanData(
            name=" 物流关键词激增 ",
            trigger="keyword",
            keyword="快递/物流",
            steps=["联系快递", "", "发布公告"],
            contact_ids=[agent_li.pk],
            contact_emails=["Oncall@Example.cn", "oncall@example.cn"],
        ),
        by=lead_zhao,
    )
    assert plan.name == "物流关键词激增" and plan.steps == ["联系快递", "发布公告"]
    assert list(plan.contacts.all()) == [agent_li] and plan.contact_emails == ["oncall@example.cn"]
    with pytest.raises(BadPlan) as clash:
        services.save_plan(services.PlanData(name="物流关键词激增", trigger="volume"), by=lead_zhao)
    assert clash.value.field == "name"
