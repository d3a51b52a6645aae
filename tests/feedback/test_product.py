"""Product feedback (需求反馈): tagged by agents, reviewed by supervisors, exported safely."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from kefu.feedback import product
from kefu.feedback.errors import Conflict, OutOfRange, PermissionDenied
from kefu.feedback.models import ProductFeedback


@pytest.fixture
def tagged(solved, agent_li):
    ticket = solved(body='=HYPERLINK("http://evil.example","点我") 希望 App 支持夜间模式')
    return product.tag(
        message=ticket.messages.order_by("pk").first(), area="app", note="+1 很多人提", by=agent_li
    )


def test_tag_rules(tagged, agent_li, customer_x, lead_zhao):
    with pytest.raises(OutOfRange):
        product.tag(message=tagged.message, area="nowhere", by=agent_li)
    with pytest.raises(PermissionDenied):
        product.tag(message=tagged.message, area="app", by=customer_x.user)
    again = product.tag(message=tagged.message, area="delivery", by=agent_li)  # re-tagging changes the area
    assert again.pk == tagged.pk and again.area == "delivery"
    with pytest.raises(PermissionDenied):
        product.review(item=tagged, accurate=True, by=agent_li)
    product.review(item=tagged, accurate=True, by=lead_zhao)
    with pytest.raises(Conflict):
        product.tag(message=tagged.message, area="app", by=agent_li)
    assert ProductFeedback.objects.count() == 1


def test_supervisor_reviews_from_the_list(client, tagged, lead_zhao):
    client.force_login(lead_zhao)
    page = client.get(reverse("feedback:product")).content.decode()
    assert page.count('data-testid="product-feedback"') == 1
    client.post(reverse("feedback:review", args=[tagged.pk]), {"accurate": "0", "next": "//evil.example/"})
    assert ProductFeedback.objects.get().review == "inaccurate"
    assert (
        client.get(reverse("feedback:product")).content.decode().count('data-testid="product-feedback"') == 0
    )


def test_export_neutralises_formulas(client, tagged, lead_zhao, agent_li):
    client.force_login(lead_zhao)
    csv_text = b"".join(client.get(reverse("feedback:export"), {"format": "csv"}).streaming_content).decode(
        "utf-8-sig"
    )
    assert "'=HYPERLINK" in csv_text and "'+1 很多人提" in csv_text
    xlsx = client.get(reverse("feedback:export"), {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active
    cells = [c.value for row in sheet.iter_rows() for c in row]
    assert any(isinstance(v, str) and v.startswith("'=HYPERLINK") for v in cells)
    assert not any(isinstance(v, str) and v.startswith("=") for v in cells)
    assert client.get(reverse("feedback:export"), {"format": "pdf"}).status_code == 400
    client.force_login(agent_li)  # agents tag, supervisors export
    assert client.get(reverse("feedback:export"), {"format": "csv"}).status_code == 404
