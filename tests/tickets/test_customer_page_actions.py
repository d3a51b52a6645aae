"""Customer 360 for supervisors: set a tier by hand (reason, optional last day) and go back to the
computed one; merge a duplicate into another customer and undo it, all from the page. Agents see
none of these controls and their posts answer 404, as if the page had none."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils.timezone import localtime

from kefu.core.clock import now
from kefu.customers.models import Customer, CustomerMerge, TierChange
from kefu.tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def duplicate(team_aftersales, make_ticket):
    dup = Customer.objects.create(name="张晓明（旧邮箱）", email="xiaoming.old@example.com")
    make_ticket(dup, team=team_aftersales, subject="发票抬头写错了")
    return dup


def test_a_supervisor_sets_a_tier_by_hand_and_returns_to_the_computed_one(client, customer_x, lead_zhao):
    client.force_login(lead_zhao)
    last_day = (now() + timedelta(days=30)).date()
    url = reverse("agent:customer_tier", args=[customer_x.pk])

    response = client.post(
        url, {"tier": "premium_vip", "reason": "年度框架协议", "until": last_day.isoformat()}
    )

    assert response.status_code == 302 and response.url.endswith("#tier")
    customer_x.refresh_from_db()
    assert customer_x.tier == "premium_vip" and customer_x.tier_override_reason == "年度框架协议"
    assert localtime(customer_x.tier_override_until).date() == last_day  # through the last day
    html = client.get(reverse("agent:customer", args=[customer_x.pk])).content.decode()
    assert "年度框架协议" in html.split('data-testid="tier-reason"', 1)[1].split("</p>", 1)[0]

    client.post(url, {"action": "clear"})
    customer_x.refresh_from_db()
    assert customer_x.tier == "regular" and not customer_x.tier_override
    assert list(
        TierChange.objects.filter(customer=customer_x).order_by("pk").values_list("reason", flat=True)
    ) == [TierChange.Reason.OVERRIDE, TierChange.Reason.OVERRIDE_ENDED]


def test_a_tier_without_reason_or_with_a_past_last_day_is_refused_with_a_message(
    client, customer_x, lead_zhao
):
    client.force_login(lead_zhao)
    url = reverse("agent:customer_tier", args=[customer_x.pk])
    yesterday = (now() - timedelta(days=1)).date().isoformat()

    for data, message in (
        ({"tier": "vip", "reason": "  "}, "reason"),
        ({"tier": "vip", "reason": "老客户", "until": yesterday}, "future"),
        ({"tier": "vip", "reason": "老客户", "until": "下个月"}, "YYYY-MM-DD"),
        ({"tier": "gold", "reason": "老客户"}, "tier"),
    ):
        response = client.post(url, data, follow=True, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200
        assert message.lower() in response.content.decode().lower()
    customer_x.refresh_from_db()
    assert customer_x.tier == "regular" and not customer_x.tier_override


def test_a_duplicate_is_merged_from_its_page_and_the_merge_undone(client, customer_x, duplicate, lead_zhao):
    client.force_login(lead_zhao)

    response = client.post(reverse("agent:customer_merge", args=[duplicate.pk]), {"into": customer_x.email})

    assert response.status_code == 302
    assert response.url == reverse("agent:customer", args=[customer_x.pk]) + "#merges"
    assert Ticket.objects.get(subject="发票抬头写错了").customer_id == customer_x.pk
    html = client.get(reverse("agent:customer", args=[customer_x.pk])).content.decode()
    history = html.split('data-testid="merge-history"', 1)[1].split("</ul>", 1)[0]
    assert "张晓明（旧邮箱）" in history
    # the duplicate's own page now leads to the customer it went into
    assert client.get(reverse("agent:customer", args=[duplicate.pk])).url == reverse(
        "agent:customer", args=[customer_x.pk]
    )

    merge = CustomerMerge.objects.get(source=duplicate)
    client.post(reverse("agent:customer_unmerge", args=[customer_x.pk, merge.pk]))

    assert Ticket.objects.get(subject="发票抬头写错了").customer_id == duplicate.pk
    merge.refresh_from_db()
    assert merge.undone_at is not None
    assert client.get(reverse("agent:customer", args=[duplicate.pk])).status_code == 200


def test_merging_into_itself_or_an_unknown_customer_is_refused_with_a_message(client, customer_x, lead_zhao):
    client.force_login(lead_zhao)
    url = reverse("agent:customer_merge", args=[customer_x.pk])

    itself = client.post(url, {"into": str(customer_x.pk)}, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    unknown = client.post(url, {"into": "nobody@example.com"}, follow=True, HTTP_ACCEPT_LANGUAGE="en")

    assert "itself" in itself.content.decode()
    assert "No customer found" in unknown.content.decode()
    assert not CustomerMerge.objects.exists()


def test_agents_get_no_tier_or_merge_controls_and_their_posts_answer_404(
    client, customer_x, duplicate, agent_li, make_ticket, team_aftersales
):
    make_ticket(customer_x, team=team_aftersales, subject="耳机没声音")
    client.force_login(agent_li)
    html = client.get(reverse("agent:customer", args=[customer_x.pk])).content.decode()
    assert 'data-testid="tier-override-form"' not in html and 'data-testid="merge-form"' not in html

    tier = client.post(reverse("agent:customer_tier", args=[customer_x.pk]), {"tier": "vip", "reason": "x"})
    merge = client.post(reverse("agent:customer_merge", args=[duplicate.pk]), {"into": customer_x.email})

    assert tier.status_code == 404 and merge.status_code == 404
    customer_x.refresh_from_db()
    assert customer_x.tier == "regular" and not CustomerMerge.objects.exists()
