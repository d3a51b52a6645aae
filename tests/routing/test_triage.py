"""Triage of new tickets: keyword rules, model predictions above/below the threshold, suggestions,
agent corrections as feedback, and history training."""

from __future__ import annotations

import pytest

from kefu.routing.errors import RuleInvalid
from kefu.routing.models import SuggestionState, TriageFeedback, TriagePrediction
from kefu.routing.services import rules, training
from kefu.tickets import services as tickets
from kefu.tickets.models import Category, TicketEvent, TicketShare
from tests.factories import DepartmentFactory


def test_keyword_rule_sets_complaint_and_high_priority(lead_zhao, customer_x, route):
    rules.save_keyword_rule(by=lead_zhao, keywords="12315, 投诉, 律师", field="type", value="complaint")
    rules.save_keyword_rule(by=lead_zhao, keywords="12315 投诉 律师", field="priority", value="high")
    ticket = route(customer_x, "再不处理我就打12315", "你们的客服一直不回复。")
    assert (ticket.type, ticket.priority) == ("complaint", "high")
    event = TicketEvent.objects.get(ticket=ticket, field="priority")
    assert event.actor.username == "kefu-bot"  # applied through update_ticket: an event with an actor
    assert TriagePrediction.objects.get(ticket=ticket, field="type").state == SuggestionState.APPLIED


def test_of_two_matching_priority_rules_the_higher_priority_wins(lead_zhao, customer_x, route):
    rules.save_keyword_rule(by=lead_zhao, keywords="投诉, 12315", field="priority", value="high")
    rules.save_keyword_rule(by=lead_zhao, keywords="生鲜", field="priority", value="urgent")
    rules.save_keyword_rule(by=lead_zhao, keywords="退款", field="priority", value="low")
    ticket = route(customer_x, "我要投诉：生鲜榴莲到货腐烂", "请尽快退款，不然我就打12315。")
    assert ticket.priority == "urgent"  # the green channel's rule is not lost behind the complaint rule


def test_keyword_rule_for_category_and_department(lead_zhao, customer_x, route):
    Category.objects.create(name="财务")
    warehouse = DepartmentFactory(name="仓储")
    rules.save_keyword_rule(by=lead_zhao, keywords="发票", field="category", value="财务")
    rules.save_keyword_rule(by=lead_zhao, keywords="物流", field="department", value="仓储")
    ticket = route(customer_x, "发票和物流", "发票还没开，物流也不动。")
    assert ticket.category.name == "财务"
    assert TicketShare.objects.filter(ticket=ticket, department=warehouse).exists()


@pytest.mark.parametrize(
    "field, value, reason",
    [
        ("colour", "red", "Unknown field colour"),
        ("type", "angry", "Unknown ticket type angry"),
        ("priority", "asap", "Unknown priority asap"),
        ("category", "不存在", "There is no category named 不存在"),
        ("team", "火星组", "There is no team named 火星组"),
    ],
)
def test_invalid_keyword_rule_is_rejected_with_the_reason(lead_zhao, field, value, reason):
    with pytest.raises(RuleInvalid, match=reason):
        rules.save_keyword_rule(by=lead_zhao, keywords="x", field=field, value=value)


def test_empty_keywords_are_rejected(lead_zhao):
    with pytest.raises(RuleInvalid, match="at least one keyword"):
        rules.save_keyword_rule(by=lead_zhao, keywords=" ,， ", field="type", value="complaint")


def test_agents_cannot_edit_rules(agent_li):
    from kefu.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        rules.save_keyword_rule(by=agent_li, keywords="x", field="type", value="complaint")


def _train_type():
    texts = [
        "我要投诉客服态度",
        "投诉快递员",
        "态度太差我要投诉",
        "投诉你们的售后",
        "这个商品怎么用",
        "请问有没有优惠",
        "请问什么时候上新",
        "请问尺码怎么选",
    ]
    labels = ["complaint"] * 4 + ["consultation"] * 4
    return training.train(field="type", texts=texts, labels=labels, source="t", folds=2)


def test_model_prediction_applied_above_threshold(lead_zhao, customer_x, route):
    _train_type()
    rules.update_settings(by=lead_zhao, threshold=0.0)
    ticket = route(customer_x, "我要投诉", "客服态度太差，我要投诉。")
    assert ticket.type == "complaint"
    prediction = TriagePrediction.objects.get(ticket=ticket, field="type")
    assert prediction.source == "model" and prediction.state == SuggestionState.APPLIED


def test_below_threshold_is_a_suggestion_accepted_in_one_click(
    lead_zhao, agent_li, customer_x, route, client
):
    _train_type()
    rules.update_settings(by=lead_zhao, threshold=1.0)
    ticket = route(customer_x, "我要投诉", "客服态度太差，我要投诉。")
    assert ticket.type == "consultation"  # not applied
    prediction = TriagePrediction.objects.get(ticket=ticket, field="type")
    assert prediction.state == SuggestionState.SUGGESTED
    client.force_login(agent_li)
    page = client.get(f"/agent/tickets/{ticket.pk}/")
    assert b'data-testid="accept-type"' in page.content
    assert "<strong>Complaint</strong>" in page.content.decode()  # the label, not the code
    response = client.post(f"/agent/routing/suggestions/{prediction.pk}/accept/")
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.type == "complaint"
    page = client.get(f"/agent/tickets/{ticket.pk}/")
    assert b'data-testid="accept-type"' not in page.content  # nothing left to accept
    feedback = TriageFeedback.objects.get(ticket=ticket)
    assert feedback.was_right and feedback.by == agent_li


def test_a_suggestion_offers_the_next_likeliest_values_and_an_agent_picks_one(
    lead_zhao, agent_li, customer_x, route, client
):
    texts = [
        "我要投诉你们的客服",
        "投诉快递员态度差",
        "我要投诉商家",
        "再不处理就投诉",
        "请问有没有优惠",
        "请问什么时候上新",
        "请问尺码怎么选",
        "请问能开发票吗",
        "收到的杯子碎了要退货",
        "质量问题申请退货",
        "商品坏了怎么售后",
        "退货退款怎么操作",
    ]
    labels = ["complaint"] * 4 + ["consultation"] * 4 + ["after_sales"] * 4
    training.train(field="type", texts=texts, labels=labels, source="t", folds=2)
    rules.update_settings(by=lead_zhao, threshold=1.0)  # everything is a suggestion
    ticket = route(customer_x, "杯子碎了我要投诉", "收到的杯子碎了，质量问题，我要投诉。")
    prediction = TriagePrediction.objects.get(ticket=ticket, field="type")
    offered = [prediction.value, *(value for value, _p in prediction.alternatives)]
    assert len(offered) == 3 and set(offered) == {"complaint", "consultation", "after_sales"}
    pick = "after_sales" if prediction.value != "after_sales" else prediction.alternatives[0][0]
    client.force_login(agent_li)
    page = client.get(f"/agent/tickets/{ticket.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'data-testid="alternatives-type"' in page and f'name="value" value="{pick}"' in page

    # something that was never offered is refused, and nothing changes
    client.post(f"/agent/routing/suggestions/{prediction.pk}/accept/", {"value": "urgent_thing"})
    ticket.refresh_from_db()
    assert ticket.type == "consultation" and not TriageFeedback.objects.exists()

    client.post(f"/agent/routing/suggestions/{prediction.pk}/accept/", {"value": pick})
    ticket.refresh_from_db()
    prediction.refresh_from_db()
    assert ticket.type == pick and prediction.state == SuggestionState.ACCEPTED and prediction.chosen == pick
    feedback = TriageFeedback.objects.get(ticket=ticket)  # the model's first guess was wrong: a correction
    assert (feedback.predicted, feedback.corrected) == (prediction.value, pick) and not feedback.was_right

    # the worker then handles the change event of that accept: still one verdict, still "accepted"
    from kefu.routing.services.triage import record_correction

    change = TicketEvent.objects.filter(ticket=ticket, field="type").latest("id")
    record_correction(change)
    assert TriageFeedback.objects.filter(ticket=ticket).count() == 1
    assert TriagePrediction.objects.get(pk=prediction.pk).state == SuggestionState.ACCEPTED


@pytest.mark.fault("A2")
def test_suggestion_of_someone_elses_ticket_is_404(
    lead_zhao, agent_tech, customer_x, route, client, team_aftersales
):
    _train_type()
    rules.update_settings(by=lead_zhao, threshold=1.0)
    ticket = route(customer_x, "我要投诉", "客服态度太差，我要投诉。", team=team_aftersales)
    prediction = TriagePrediction.objects.get(ticket=ticket, field="type")
    client.force_login(agent_tech)  # another team: cannot see the ticket
    assert client.post(f"/agent/routing/suggestions/{prediction.pk}/accept/").status_code == 404
    ticket.refresh_from_db()
    assert ticket.type == "consultation"


def test_agent_correction_is_recorded_and_feeds_the_next_training(
    lead_zhao, agent_li, customer_x, route, django_capture_on_commit_callbacks
):
    _train_type()
    rules.update_settings(by=lead_zhao, threshold=0.0)
    ticket = route(customer_x, "我要投诉", "客服态度太差，我要投诉。")
    assert ticket.type == "complaint"
    with django_capture_on_commit_callbacks(execute=True):
        tickets.update_ticket(ticket, by=agent_li, version=None, type="suggestion")
    feedback = TriageFeedback.objects.get(ticket=ticket, field="type")
    assert (feedback.predicted, feedback.corrected) == ("complaint", "suggestion")
    assert TriagePrediction.objects.get(ticket=ticket, field="type").state == SuggestionState.CORRECTED
    data = training.history("type")
    assert "suggestion" not in data.labels or data.labels.count("suggestion") >= 2
    texts = dict(zip(data.texts, data.labels, strict=True)) if data.labels.count("suggestion") else {}
    assert all(v != "complaint" for k, v in texts.items() if "客服态度太差" in k)
    assert ticket.pk in set(TriageFeedback.objects.values_list("ticket_id", flat=True))


def test_history_training_uses_confirmed_tickets(agent_li, customer_x, route):
    for i in range(3):
        t = route(customer_x, f"我要投诉{i}", "态度太差，我要投诉")
        tickets.update_ticket(t, by=agent_li, version=None, type="complaint")
        u = route(customer_x, f"请问尺码{i}", "请问这件衣服尺码怎么选")
        tickets.change_status(u, to="solved", by=agent_li)
    model = training.train_from_history("type", folds=2)
    assert model.source == "history" and set(model.metrics["classes"]) == {"complaint", "consultation"}


def test_history_without_enough_data_says_so(db):
    from kefu.routing.errors import TrainingFailed

    with pytest.raises(TrainingFailed, match="Not enough confirmed tickets"):
        training.train_from_history("category")


def test_untrained_field_and_broken_model_still_route_the_ticket(
    agent_li, customer_x, route, team_aftersales
):
    from kefu.routing.models import TriageModel

    TriageModel.objects.create(
        field="type", version=1, trained_at="2026-01-01T00:00:00Z", blob=b"junk", is_active=True
    )
    ticket = route(customer_x, team=team_aftersales)
    assert ticket.assignee == agent_li  # routed by the assignment rules anyway


@pytest.mark.fault("B5")
def test_nightly_retrain_runs_once_when_started_twice(db):
    from kefu.routing.models import RetrainRun
    from kefu.routing.tasks import retrain_nightly

    first = retrain_nightly.delay().get()
    second = retrain_nightly.delay().get()
    assert "type" in first and second == {"skipped": "already ran today"}
    assert RetrainRun.objects.count() == 1


def test_a_team_chosen_at_intake_is_kept_and_the_model_only_suggests(
    lead_zhao, customer_x, route, team_aftersales, team_tech
):
    training.train(
        field="team",
        texts=["APP闪退", "APP打不开", "退货", "我要退货"],
        labels=["技术支持", "技术支持", "售后服务", "售后服务"],
        source="t",
        folds=2,
    )
    rules.update_settings(by=lead_zhao, threshold=0.0)
    ticket = route(customer_x, "APP闪退", "APP一打开就闪退", team=team_aftersales)
    assert ticket.team == team_aftersales
    prediction = TriagePrediction.objects.get(ticket=ticket, field="team")
    assert (prediction.value, prediction.state) == ("技术支持", SuggestionState.SUGGESTED)
