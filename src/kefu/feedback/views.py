"""Pages of the feedback app: the survey pages a mailed link opens (no login), the rating box on
the customer's solved ticket (a portal panel), the agent's ticket panel (survey answer, 需求反馈
tags), and the supervisors' lists of answers and product feedback with filters and export."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.core.clock import now
from kefu.core.errors import DomainError
from kefu.tickets.models import Channel, MessageKind
from kefu.tickets.selectors import access_ticket
from kefu.tickets.states import DONE_STATUSES

from . import config, nps, product, selectors, services
from .errors import BadLink, Expired
from .models import AnswerVia, ProductFeedback, Review


def _labels() -> list[tuple[int, str]]:
    return [
        (5, _("Very satisfied")),
        (4, _("Satisfied")),
        (3, _("Neutral")),
        (2, _("Dissatisfied")),
        (1, _("Very dissatisfied")),
    ]


def _refused(request: HttpRequest, err: DomainError) -> HttpResponse:
    expired = isinstance(err, Expired)
    return render(request, "feedback/refused.html", {"expired": expired}, status=410 if expired else 403)


def _form_context(survey: Any, *, chosen: str = "", error: str = "") -> dict[str, Any]:
    return {
        "survey": survey,
        "scores": _labels(),
        "reasons": [(k, v) for k, v in config.REASONS.items()],
        "chosen": chosen,
        "error": error,
    }


def csat(request: HttpRequest, token: str) -> HttpResponse:
    """The page a survey mail's link opens. GET only shows the form (mail scanners follow links);
    POST answers. Answered before: the first answer is shown and nothing changes."""
    try:
        survey = services.survey_from_token(token)
    except BadLink as err:
        return _refused(request, err)
    if request.method == "POST":
        try:
            done = services.answer(
                survey,
                score=request.POST.get("score", ""),
                comment=request.POST.get("comment", ""),
                reasons=request.POST.getlist("reasons"),
                via=AnswerVia.MAIL,
            )
        except BadLink as err:
            return _refused(request, err)
        except DomainError as err:
            ctx = _form_context(survey, chosen=request.POST.get("score", ""), error=err.message)
            return render(request, "feedback/csat.html", ctx, status=422)
        return render(request, "feedback/thanks.html", {"survey": done.survey, "first": not done.recorded})
    if survey.answered_at is not None:
        return render(request, "feedback/thanks.html", {"survey": survey, "first": True})
    if survey.expires_at <= now():
        return _refused(request, Expired(""))
    return render(request, "feedback/csat.html", _form_context(survey, chosen=request.GET.get("score", "")))


def nps_page(request: HttpRequest, token: str) -> HttpResponse:
    try:
        survey = nps.survey_from_token(token)
    except BadLink as err:
        return _refused(request, err)
    ctx = {"survey": survey, "scale": list(range(11)), "chosen": request.GET.get("score", ""), "error": ""}
    if request.method == "POST":
        try:
            done = nps.answer(
                survey, score=request.POST.get("score", ""), comment=request.POST.get("comment", "")
            )
        except BadLink as err:
            return _refused(request, err)
        except DomainError as err:
            ctx.update(chosen=request.POST.get("score", ""), error=err.message)
            return render(request, "feedback/nps.html", ctx, status=422)
        return render(
            request, "feedback/nps_thanks.html", {"survey": done.survey, "first": not done.recorded}
        )
    if survey.answered_at is not None:
        return render(request, "feedback/nps_thanks.html", {"survey": survey, "first": True})
    return render(request, "feedback/nps.html", ctx)


# --------------------------------------------------------------------------- portal


def portal_panel(request: HttpRequest, ticket: Any) -> str:
    """The rating box on the customer's own solved ticket."""
    user = request.user
    if not getattr(user, "is_customer", False):
        return ""
    survey = selectors.survey_of_ticket(user, ticket.pk)
    if survey is None:
        return ""
    open_ = survey.answered_at is None and survey.expires_at > now() and ticket.status in DONE_STATUSES
    if survey.answered_at is None and not open_:
        return ""
    return render_to_string(
        "feedback/_portal_panel.html",
        {**_form_context(survey), "ticket": ticket, "open": open_},
        request=request,
    )


@require_POST
def portal_answer(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    if not getattr(user, "is_customer", False):
        raise Http404()
    survey = selectors.survey_of_ticket(user, pk)
    if survey is None:
        raise Http404()
    try:
        done = services.answer(
            survey,
            score=request.POST.get("score", ""),
            comment=request.POST.get("comment", ""),
            reasons=request.POST.getlist("reasons"),
            via=AnswerVia.PORTAL,
            by=user,
        )
    except DomainError as err:
        messages.error(request, err.message)
    else:
        if done.recorded:
            messages.success(request, _("Thank you for your rating."))
        else:
            messages.info(request, _("You rated this request before; your first rating stands."))
    return redirect("portal:ticket", pk)


# --------------------------------------------------------------------------- agent


def agent_panel(request: HttpRequest, ticket: Any) -> str:
    user = request.user
    if not selectors.can_work(user):
        return ""
    survey = selectors.survey_of_ticket(user, ticket.pk)
    tags = list(ProductFeedback.objects.filter(ticket=ticket).select_related("message").order_by("pk"))
    tagged = {t.message_id for t in tags}
    choices = [
        m
        for m in ticket.messages.filter(kind=MessageKind.PUBLIC, from_customer=True).order_by(
            "-created_at", "-pk"
        )[:30]
        if m.pk not in tagged
    ]
    return render_to_string(
        "feedback/_agent_panel.html",
        {
            "ticket": ticket,
            "survey": survey,
            "reason_labels": config.REASONS,
            "tags": tags,
            "choices": choices,
            "areas": list(config.PRODUCT_AREAS.items()),
        },
        request=request,
    )


@require_POST
def tag(request: HttpRequest, pk: int) -> HttpResponse:
    if not selectors.can_work(request.user):
        raise Http404()
    ticket = access_ticket(request.user, pk)
    message = ticket.messages.filter(pk=request.POST.get("message") or 0).first()
    if message is None:
        messages.error(request, _("Choose a message to tag."))
        return redirect("agent:ticket", pk)
    try:
        product.tag(
            message=message,
            area=request.POST.get("area", ""),
            note=request.POST.get("note", ""),
            by=request.user,
        )
    except DomainError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, _("Tagged as product feedback."))
    return redirect("agent:ticket", pk)


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def answers(request: HttpRequest) -> HttpResponse:
    """The answers list: filters on score, channel, team and the survey's day; NPS by month."""
    if not selectors.can_work(request.user):
        raise Http404()
    q = request.GET
    score = int(q["score"]) if q.get("score", "") in {"1", "2", "3", "4", "5"} else None
    team = int(q["team"]) if q.get("team", "").isdigit() else None
    rows = selectors.list_answers(
        request.user,
        score=score,
        channel=q.get("channel", ""),
        team=team,
        since=_day(q.get("from", "")),
        until=_day(q.get("to", "")),
    )
    from kefu.accounts.models import Team

    return render(
        request,
        "feedback/answers.html",
        {
            "rows": list(rows[:200]),
            "count": rows.count(),
            "q": q,
            "scores": _labels(),
            "channels": Channel.choices,
            "teams": list(Team.objects.order_by("name")),
            "reason_labels": config.REASONS,
            "trend": nps.trend(months=12) if selectors.can_manage(request.user) else [],
        },
    )


def product_list(request: HttpRequest) -> HttpResponse:
    if not selectors.can_work(request.user):
        raise Http404()
    qs = selectors.visible_product_feedback(request.user)
    wanted = request.GET.get("review", "todo")
    if wanted == "todo":
        qs = qs.filter(review="")
    elif wanted in (Review.ACCURATE, Review.INACCURATE):
        qs = qs.filter(review=wanted)
    if request.GET.get("area") in config.PRODUCT_AREAS:
        qs = qs.filter(area=request.GET["area"])
    return render(
        request,
        "feedback/product.html",
        {
            "rows": list(qs.order_by("-created_at", "-pk")[:200]),
            "wanted": wanted,
            "area": request.GET.get("area", ""),
            "areas": list(config.PRODUCT_AREAS.items()),
            "area_labels": config.PRODUCT_AREAS,
            "can_review": selectors.can_manage(request.user),
        },
    )


@require_POST
def review(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.access_product_feedback(request.user, pk)
    try:
        product.review(item=item, accurate=request.POST.get("accurate") == "1", by=request.user)
    except DomainError as err:
        messages.error(request, err.message)
    back = request.POST.get("next", "")
    return redirect(back if back.startswith("/") and not back.startswith("//") else "feedback:product")


def export(request: HttpRequest) -> HttpResponse:
    if not selectors.can_manage(request.user):
        raise Http404()
    fmt = request.GET.get("format", "xlsx")
    qs = selectors.visible_product_feedback(request.user).order_by("created_at", "pk")
    try:
        name, content_type, body = product.export(qs, fmt=fmt)
    except DomainError as err:
        return HttpResponse(err.message, status=400)
    response: HttpResponse
    if fmt == "csv":
        response = StreamingHttpResponse(body, content_type=content_type)
    else:
        response = FileResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response
