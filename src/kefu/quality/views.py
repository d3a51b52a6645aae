"""Agent pages of quality inspection: the reviewer's queue, the review page (conversation on the
left, scorecard on the right), the agent's own reviews, disputes, scorecards, calibration.

Thin: every change goes through services, every row through selectors' access_* (404 when not
yours). Keyboard: the review page's answers are radio groups (arrow keys), Alt+S saves a draft,
Alt+Enter-free submit is Alt+U; the queue's first row has the focus."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.accounts.models import User
from kefu.core.errors import DomainError

from . import checks, selectors, services
from .models import CheckKind, Dispute, DisputeStatus, ItemKind, ReviewStatus, SampleReason, Scorecard

BLANK_ROWS = 3


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]  # checked by the callers' access rules


def _reviewer(request: HttpRequest) -> User:
    if not selectors.can_review(request.user):
        raise Http404()
    return _user(request)


def _manager(request: HttpRequest) -> User:
    if not selectors.can_manage(request.user):
        raise Http404()
    return _user(request)


def _int(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) < 12 else None


def _answers(request: HttpRequest, prefix: str = "item-") -> dict[str, str]:
    return {k[len(prefix) :]: v for k, v in request.POST.items() if k.startswith(prefix) and v}


def queue(request: HttpRequest) -> HttpResponse:
    user = _reviewer(request)
    done = request.GET.get("done") == "1"
    rows = selectors.list_queue(user, include_done=done)
    reasons = dict(SampleReason.choices)
    for entry in rows:
        entry.labels = [str(reasons.get(r, r)) for r in entry.sample.reasons]
    context = {
        "rows": rows,
        "done": done,
        "can_manage": selectors.can_manage(user),
        "open_disputes": selectors.list_disputes(user).count() if selectors.can_manage(user) else 0,
        "check_counts": _check_table(),
        "check_kinds": CheckKind.choices,
        "scorecards": Scorecard.objects.filter(active=True).order_by("pk"),
    }
    return render(request, "quality/queue.html", context)


def _check_table() -> list[tuple[User, list[int]]]:
    counts = selectors.check_counts()
    people = User.objects.in_bulk(list(counts))
    return sorted(
        ((people[a], [c.get(k, 0) for k in CheckKind.values]) for a, c in counts.items() if a in people),
        key=lambda row: -sum(row[1]),
    )


@require_POST
def start(request: HttpRequest) -> HttpResponse:
    user = _reviewer(request)
    ticket_id = _int(request.POST.get("ticket"))
    if ticket_id is None:
        raise Http404()
    try:
        ticket = selectors.access_ticket(user, ticket_id)
        scorecard_id = _int(request.POST.get("scorecard"))
        scorecard = selectors.access_scorecard(user, scorecard_id) if scorecard_id else None
        found = services.open_review(ticket, by=user, scorecard=scorecard)
    except DomainError as err:
        if err.status == 404:
            raise Http404() from err
        messages.error(request, err.message)
        return redirect("quality:queue")
    return redirect("quality:review", found.pk)


def _review_context(request: HttpRequest, pk: int) -> dict[str, Any]:
    try:
        found = selectors.access_review(request.user, pk)
    except DomainError as err:
        raise Http404() from err
    user = _user(request)
    if found.reviewer_id == user.pk and found.status == ReviewStatus.DRAFT:
        checks.run(found.ticket)  # the standard may have changed since the review was opened
    dispute = Dispute.objects.filter(review=found).select_related("raised_by", "settled_by").first()
    return {
        "review": found,
        "lines": selectors.conversation(found),
        "general": selectors.general_comments(found),
        "sections": _sections(found),
        "editable": found.reviewer_id == user.pk
        and found.status in (ReviewStatus.DRAFT, ReviewStatus.SUBMITTED, ReviewStatus.ACKNOWLEDGED),
        "is_agent": found.agent_id == user.pk and found.calibration_id is None,
        "can_settle": selectors.can_manage(user)
        and dispute is not None
        and dispute.status == DisputeStatus.OPEN,
        "can_coach": selectors.can_review(user) and found.calibration_id is None and found.agent_id,
        "dispute": dispute,
        "coaching": list(found.coaching_notes.select_related("author")),
        "statuses": ReviewStatus,
    }


def _sections(found: Any) -> list[dict[str, Any]]:
    """The scorecard's sections, each item with its answer options (checked = the stored answer)."""
    yes_no = [("yes", _("Yes")), ("no", _("No")), ("na", _("N/A"))]
    scale = [(str(v), str(v)) for v in range(1, 6)] + [("na", _("N/A"))]
    out = []
    for section in selectors.sections_of(found.scorecard):
        rows = []
        for item in section.items:
            given = str(found.answers.get(str(item.pk), ""))
            options = yes_no if item.kind == ItemKind.YES_NO else scale
            rows.append(
                {
                    "item": item,
                    "options": [(v, label, v == given) for v, label in options],
                    "earned": found.item_scores.get(str(item.pk)),
                }
            )
        out.append({"name": section.name, "rows": rows})
    return out


def review(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "quality/review.html", _review_context(request, pk))


def _own(request: HttpRequest, pk: int) -> Any:
    try:
        return selectors.access_own_review(request.user, pk)
    except DomainError as err:
        raise Http404() from err


@require_POST
def save(request: HttpRequest, pk: int) -> HttpResponse:
    found = _own(request, pk)
    submit = request.POST.get("action") == "submit"
    try:
        services.save_review(
            found,
            by=_user(request),
            answers=_answers(request),
            summary=request.POST.get("summary", ""),
            submit=submit,
            version=_int(request.POST.get("version")),
        )
    except DomainError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, _("Review submitted to the agent.") if submit else _("Draft saved."))
    return redirect("quality:review", pk)


@require_POST
def comment(request: HttpRequest, pk: int) -> HttpResponse:
    found = _own(request, pk)
    try:
        services.add_comment(
            found,
            by=_user(request),
            text=request.POST.get("text", ""),
            message_id=_int(request.POST.get("message")),
        )
    except DomainError as err:
        messages.error(request, err.message)
    anchor = f"#m{request.POST.get('message')}" if _int(request.POST.get("message")) else ""
    return redirect(reverse("quality:review", args=[pk]) + anchor)


@require_POST
def coaching(request: HttpRequest, pk: int) -> HttpResponse:
    user = _reviewer(request)
    try:
        found = selectors.access_review(user, pk)
        follow = request.POST.get("follow_up_on", "")
        services.add_coaching_note(
            found,
            by=user,
            text=request.POST.get("text", ""),
            follow_up_on=date.fromisoformat(follow) if follow else None,
        )
    except ValueError:
        messages.error(request, _("Enter a valid date."))
    except DomainError as err:
        if err.status == 404:
            raise Http404() from err
        messages.error(request, err.message)
    else:
        messages.success(request, _("Coaching note added."))
    return redirect("quality:review", pk)


def _agent_review(request: HttpRequest, pk: int) -> Any:
    try:
        found = selectors.access_review(request.user, pk)
    except DomainError as err:
        raise Http404() from err
    if found.agent_id != request.user.pk:
        raise Http404()
    return found


@require_POST
def acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    found = _agent_review(request, pk)
    try:
        services.acknowledge(found, by=_user(request))
    except DomainError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, _("Acknowledged."))
    return redirect("quality:review", pk)


@require_POST
def dispute(request: HttpRequest, pk: int) -> HttpResponse:
    found = _agent_review(request, pk)
    try:
        services.dispute(found, by=_user(request), reason=request.POST.get("reason", ""))
    except DomainError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, _("Dispute sent to the supervisors."))
    return redirect("quality:review", pk)


def mine(request: HttpRequest) -> HttpResponse:
    if not selectors.can_see_own(request.user):
        raise Http404()
    rows = list(selectors.list_my_reviews(request.user)[:200])
    return render(request, "quality/mine.html", {"rows": rows, "statuses": ReviewStatus})


def disputes(request: HttpRequest) -> HttpResponse:
    user = _manager(request)
    rows = list(selectors.list_disputes(user, open_only=False)[:300])
    rows.sort(key=lambda d: (d.status != DisputeStatus.OPEN, -(d.raised_at.timestamp())))
    return render(request, "quality/disputes.html", {"rows": rows})


@require_POST
def settle(request: HttpRequest, pk: int) -> HttpResponse:
    user = _manager(request)
    try:
        row = selectors.access_dispute(user, pk)
    except DomainError as err:
        raise Http404() from err
    outcome = request.POST.get("outcome", "")
    try:
        services.settle(
            row,
            by=user,
            outcome=outcome,
            note=request.POST.get("note", ""),
            answers=_answers(request) if outcome == DisputeStatus.CHANGED else None,
        )
    except DomainError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, _("Dispute settled."))
    return redirect("quality:review", row.review_id)


def scorecards(request: HttpRequest) -> HttpResponse:
    user = _reviewer(request)
    return render(
        request,
        "quality/scorecards.html",
        {
            "rows": list(selectors.list_scorecards(user)),
            "can_manage": selectors.can_manage(user),
            "standard": checks.standard(),
        },
    )


def _posted_items(request: HttpRequest) -> list[dict[str, Any]]:
    post = request.POST
    rows = []
    columns = {name: post.getlist(name) for name in ("id", "section", "text", "weight", "kind")}
    critical = set(post.getlist("critical"))
    for n in range(len(columns["section"])):

        def at(name: str, n: int = n) -> str:
            values = columns[name]
            return values[n] if n < len(values) else ""

        if not (at("section").strip() or at("text").strip()):
            continue
        rows.append(
            {
                "id": at("id"),
                "section": at("section"),
                "text": at("text"),
                "weight": at("weight"),
                "kind": at("kind"),
                "critical": str(n) in critical,
            }
        )
    return rows


def scorecard_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user = _manager(request)
    card: Scorecard | None = None
    if pk is not None:
        try:
            card = selectors.access_scorecard(user, pk)
        except DomainError as err:
            raise Http404() from err
    items: list[dict[str, Any]] = (
        [
            {
                "id": i.pk,
                "section": i.section,
                "text": i.text,
                "weight": i.weight,
                "kind": i.kind,
                "critical": i.critical,
            }
            for i in card.items.all()
        ]
        if card
        else []
    )
    form = {
        "name": card.name if card else "",
        "description": card.description if card else "",
        "active": card.active if card else True,
    }
    error = None
    if request.method == "POST":
        items = _posted_items(request)
        form = {
            "name": request.POST.get("name", ""),
            "description": request.POST.get("description", ""),
            "active": request.POST.get("active") == "on",
        }
        try:
            card = services.save_scorecard(by=user, scorecard=card, items=items, **form)
        except DomainError as err:
            error = err
        else:
            messages.success(request, _("Scorecard saved."))
            return redirect("quality:scorecard_edit", card.pk)
    rows = (
        items
        + [{"id": "", "section": "", "text": "", "weight": "", "kind": "yes_no", "critical": False}]
        * BLANK_ROWS
    )
    return render(
        request,
        "quality/scorecard_edit.html",
        {
            "card": card,
            "form": form,
            "rows": rows,
            "kinds": ItemKind.choices,
            "error": error,
            "weight_total": sum(int(i["weight"]) for i in items if str(i.get("weight", "")).isdigit()),
        },
        status=422 if error else 200,
    )


@require_POST
def standard(request: HttpRequest) -> HttpResponse:
    _manager(request)

    def lines(name: str) -> list[str]:
        return [line for line in request.POST.get(name, "").splitlines() if line.strip()]

    services.save_check_standard(
        forbidden=lines("forbidden"),
        greetings=lines("greetings"),
        closings=lines("closings"),
        require_greeting=request.POST.get("require_greeting") == "on",
        require_closing=request.POST.get("require_closing") == "on",
    )
    messages.success(request, _("Reply-check standard saved."))
    return redirect("quality:scorecards")


def calibrations(request: HttpRequest) -> HttpResponse:
    user = _reviewer(request)
    if request.method == "POST":
        _manager(request)
        try:
            ticket_id = _int(request.POST.get("ticket"))
            scorecard_id = _int(request.POST.get("scorecard"))
            if ticket_id is None or scorecard_id is None:
                raise Http404()
            session = services.create_calibration(
                by=user,
                ticket=selectors.access_ticket(user, ticket_id),
                scorecard=selectors.access_scorecard(user, scorecard_id),
                reviewers=list(
                    User.objects.filter(
                        pk__in=[_int(v) for v in request.POST.getlist("reviewers") if _int(v)]
                    )
                ),
                title=request.POST.get("title", ""),
            )
        except DomainError as err:
            messages.error(request, err.message)
        else:
            return redirect("quality:calibration", session.pk)
    return render(
        request,
        "quality/calibrations.html",
        {
            "rows": list(selectors.list_calibrations(user)),
            "can_manage": selectors.can_manage(user),
            "scorecards": Scorecard.objects.filter(active=True),
            "reviewers": User.objects.filter(role__in=["qa", "supervisor"], is_active=True).order_by(
                "username"
            ),
        },
    )


def calibration(request: HttpRequest, pk: int) -> HttpResponse:
    user = _reviewer(request)
    try:
        session = selectors.access_calibration(user, pk)
    except DomainError as err:
        raise Http404() from err
    reviews, items, totals = selectors.calibration_spread(session)
    mine = next((r for r in session.reviews.all() if r.reviewer_id == user.pk), None)
    return render(
        request,
        "quality/calibration.html",
        {
            "session": session,
            "reviews": reviews,
            "items": items,
            "totals": totals,
            "mine": mine,
            "member": session.reviewers.filter(pk=user.pk).exists(),
            "people": list(session.reviewers.all()),
        },
    )


@require_POST
def calibration_score(request: HttpRequest, pk: int) -> HttpResponse:
    user = _reviewer(request)
    try:
        session = selectors.access_calibration(user, pk)
        found = services.open_review(session.ticket, by=user, calibration=session)
    except DomainError as err:
        if err.status == 404:
            raise Http404() from err
        messages.error(request, err.message)
        return redirect("quality:calibration", pk)
    return redirect("quality:review", found.pk)
