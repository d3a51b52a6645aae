"""Staff pages of the knowledge base: list/search, edit with history/diff/restore, publish,
the knowledge-gap report, agent assist on tickets and the case library."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from kefu.core.errors import DomainError

from . import assist, gaps, selectors, services
from .errors import ArticleNotFound
from .models import Audience, KbCategory, Kind, Language
from .render import render_markdown
from .states import TRANSITIONS, Status


def agents_only(view: Callable) -> Callable:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not selectors.is_staff(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def _article(request: HttpRequest, pk: int):
    try:
        return selectors.access_article(request.user, pk)
    except ArticleNotFound:
        raise Http404 from None


class ArticleForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=300)
    short_answer = forms.CharField(
        label=gettext_lazy("Short answer"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    body = forms.CharField(
        label=gettext_lazy("Body (Markdown)"), required=False, widget=forms.Textarea(attrs={"rows": 12})
    )
    questions = forms.CharField(
        label=gettext_lazy("Alternative questions (one per line)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    tags = forms.CharField(label=gettext_lazy("Tags (separated by ;)"), required=False, max_length=500)
    category = forms.ModelChoiceField(
        label=gettext_lazy("Category"), queryset=KbCategory.objects.all(), required=False
    )
    audience = forms.ChoiceField(label=gettext_lazy("Audience"), choices=Audience.choices)
    language = forms.ChoiceField(label=gettext_lazy("Language"), choices=Language.choices)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Kind.choices)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "short_answer": data["short_answer"],
            "body": data["body"],
            "questions": [q.strip() for q in data["questions"].splitlines() if q.strip()],
            "tags": [t.strip() for t in data["tags"].replace("；", ";").split(";") if t.strip()],
            "category": data["category"],
            "audience": data["audience"],
            "language": data["language"],
            "kind": data["kind"],
        }


@agents_only
@require_GET
def article_list(request: HttpRequest) -> HttpResponse:
    query = (request.GET.get("q") or "")[:200]
    status = request.GET.get("status") or ""
    hits = selectors.search_articles(request.user, query, limit=20) if query.strip() else []
    articles = selectors.staff_list(request.user, query=query, status=status)[:100]
    return render(
        request,
        "knowledge/agent/list.html",
        {
            "query": query,
            "status": status,
            "hits": hits,
            "articles": articles,
            "statuses": Status.choices,
        },
    )


@agents_only
def article_new(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = ArticleForm(request.POST)
        if form.is_valid():
            try:
                article = services.create_article(by=request.user, **form.values())
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("Article saved as a draft."))
                return redirect("kb:article", article.pk)
    else:
        initial = {"audience": Audience.PUBLIC, "language": Language.ZH_HANS, "kind": Kind.ARTICLE}
        for key in ("title", "questions", "body", "short_answer"):
            if request.GET.get(key):
                initial[key] = request.GET[key][:5000]
        form = ArticleForm(initial=initial)
    return render(request, "knowledge/agent/edit.html", {"form": form, "article": None})


@agents_only
def article_edit(request: HttpRequest, pk: int) -> HttpResponse:
    article = _article(request, pk)
    if request.method == "POST":
        form = ArticleForm(request.POST)
        if form.is_valid():
            try:
                services.update_article(
                    article, by=request.user, version=form.cleaned_data.get("version"), **form.values()
                )
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("Article saved."))
                return redirect("kb:article", article.pk)
    else:
        form = ArticleForm(
            initial={
                "title": article.title,
                "short_answer": article.short_answer,
                "body": article.body,
                "questions": "\n".join(article.questions),
                "tags": "; ".join(article.tags),
                "category": article.category_id,
                "audience": article.audience,
                "language": article.language,
                "kind": article.kind,
                "version": article.version,
            }
        )
    return render(
        request,
        "knowledge/agent/edit.html",
        {"form": form, "article": article, "files": list(article.files.all())},
    )


@agents_only
@require_POST
def file_upload(request: HttpRequest, pk: int) -> HttpResponse:
    """Attach files/images to an article (the edit page); each is checked like ticket uploads."""
    from kefu.tickets.services import Upload

    article = _article(request, pk)
    uploads = request.FILES.getlist("files")
    if not uploads:
        messages.error(request, _("Choose a file to upload."))
    for upload in uploads[:20]:
        try:
            services.add_file(
                article,
                by=request.user,
                upload=Upload(
                    name=upload.name, content=upload.read(), content_type=upload.content_type or ""
                ),
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Uploaded %(name)s.") % {"name": upload.name})
    return redirect("kb:edit", article.pk)


@agents_only
@require_POST
def file_delete(request: HttpRequest, pk: int, file_pk: int) -> HttpResponse:
    article = _article(request, pk)
    item = article.files.filter(pk=file_pk).first()
    if item is None:
        raise Http404
    services.remove_file(item, by=request.user)
    messages.success(request, _("File removed."))
    return redirect("kb:edit", article.pk)


@agents_only
@require_GET
def article_detail(request: HttpRequest, pk: int) -> HttpResponse:
    article = _article(request, pk)
    versions = list(article.versions.select_related("created_by")[:50])
    diff = []
    if len(versions) >= 2:
        a = request.GET.get("from")
        b = request.GET.get("to")
        by_number = {v.number: v for v in versions}
        new = by_number.get(int(b)) if b and b.isdigit() else versions[0]
        old = by_number.get(int(a)) if a and a.isdigit() else versions[1]
        if new and old:
            diff = services.diff_versions(old, new)
    return render(
        request,
        "knowledge/agent/article.html",
        {
            "article": article,
            "body_html": render_markdown(article.body),
            "versions": versions,
            "diff": diff,
            "targets": [(s, Status(s).label) for s in TRANSITIONS.get(article.status, ())],
        },
    )


@agents_only
@require_POST
def article_transition(request: HttpRequest, pk: int) -> HttpResponse:
    article = _article(request, pk)
    try:
        services.transition(article, to=request.POST.get("to", ""), by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("kb:article", article.pk)


@agents_only
@require_POST
def article_restore(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    article = _article(request, pk)
    try:
        services.restore_version(article, number=number, by=request.user)
        messages.success(request, _("Version %(n)s restored.") % {"n": number})
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("kb:article", article.pk)


@agents_only
@require_GET
def gap_report(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("days") or "30"
    days = min(max(int(raw), 1), 365) if raw.isdigit() else 30
    summary = gaps.bot_summary(days)
    chart = {
        "days": summary.days,
        "series": [
            {"name": str(label), "data": summary.per_day[key], "color": colour}
            for key, label, colour in (
                ("answered", gettext_lazy("Answered"), "#2fb344"),
                ("suggested", gettext_lazy("Did you mean"), "#f59f00"),
                ("handoff", gettext_lazy("Handed off"), "#d63939"),
            )
        ],
    }
    reasons = [(str(HANDOFF_REASONS.get(code, code)), n) for code, n in summary.handoff_reasons.items()]
    context = {
        "gaps": gaps.gap_report(days),
        "days": days,
        "summary": summary,
        "chart": chart,
        "reasons": reasons,
    }
    return render(request, "knowledge/agent/gaps.html", context)


HANDOFF_REASONS = {
    "asked_for_human": gettext_lazy("asked for a person"),
    "complaint": gettext_lazy("complaint"),
    "low_confidence": gettext_lazy("not sure"),
    "no_articles": gettext_lazy("no article"),
}


@agents_only
@require_GET
def gap_draft(request: HttpRequest) -> HttpResponse:
    examples = [q[:300] for q in request.GET.getlist("q")[:5] if q.strip()]
    values = gaps.draft_from_gap(examples, user=request.user)
    form = ArticleForm(
        initial={**values, "audience": Audience.PUBLIC, "language": Language.ZH_HANS, "kind": Kind.ARTICLE}
    )
    return render(request, "knowledge/agent/edit.html", {"form": form, "article": None})


# ----- agent assist on the ticket page -----
def _ticket(request: HttpRequest, ticket_pk: int):
    from kefu.tickets.errors import TicketNotFound
    from kefu.tickets.selectors import access_ticket

    try:
        return access_ticket(request.user, ticket_pk)
    except TicketNotFound:
        raise Http404 from None


def render_ticket_panel(request: HttpRequest, ticket: Any) -> str:
    if not selectors.is_staff(request.user):
        return ""
    return render_to_string(
        "knowledge/agent/_ticket_panel.html",
        {"ticket": ticket, "suggestions": assist.suggest_for_ticket(ticket)},
        request=request,
    )


@agents_only
@require_POST
def article_helped(request: HttpRequest, pk: int, ticket_pk: int) -> HttpResponse:
    article = _article(request, pk)
    ticket = _ticket(request, ticket_pk)
    services.record_feedback(article, helpful=True, source="agent", by=request.user, ticket=ticket)
    if request.headers.get("HX-Request"):
        return HttpResponse(render_to_string("knowledge/agent/_helped.html", {}, request=request))
    return redirect(reverse("agent:ticket", args=[ticket.pk]))


@agents_only
@require_POST
def case_from_ticket(request: HttpRequest, ticket_pk: int) -> HttpResponse:
    ticket = _ticket(request, ticket_pk)
    article = services.create_case_from_ticket(ticket, by=request.user)
    messages.success(request, _("A draft case was created from this ticket."))
    return redirect("kb:edit", article.pk)
