"""Tables of the knowledge app: articles and their history, categories, synonyms, bot questions."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.core.models import TimeStamped

from .states import Status


class Audience(models.TextChoices):
    PUBLIC = "public", _("Public")
    INTERNAL = "internal", _("Internal only")


class Language(models.TextChoices):
    ZH_HANS = "zh-hans", _("Simplified Chinese")
    ZH_HANT = "zh-hant", _("Traditional Chinese")
    EN = "en", _("English")


class Kind(models.TextChoices):
    ARTICLE = "article", _("Article")
    CASE = "case", _("Service case")


class KbCategory(models.Model):
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="uniq_kb_category_parent_name"),
        ]
        verbose_name = _("knowledge category")
        verbose_name_plural = _("knowledge categories")

    def __str__(self) -> str:
        return self.name

    def label(self, language: str = "zh-hans") -> str:
        return self.name_en if language == "en" and self.name_en else self.name


class Article(TimeStamped):
    title = models.CharField(_("title"), max_length=300)
    short_answer = models.TextField(_("short answer"), blank=True)
    body = models.TextField(_("body (Markdown)"), blank=True)
    questions = models.JSONField(_("alternative questions"), default=list, blank=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    category = models.ForeignKey(
        KbCategory, null=True, blank=True, on_delete=models.SET_NULL, related_name="articles"
    )
    audience = models.CharField(
        _("audience"), max_length=10, choices=Audience.choices, default=Audience.PUBLIC
    )
    language = models.CharField(
        _("language"), max_length=10, choices=Language.choices, default=Language.ZH_HANS
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.ARTICLE)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_reviewed_at = models.DateTimeField(_("last reviewed"), null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    external_id = models.CharField(_("external id"), max_length=200, null=True, blank=True, unique=True)
    source_ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    helpful_count = models.PositiveIntegerField(default=0)
    unhelpful_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-updated_at"]
        indexes = [models.Index(fields=["status", "audience", "language"])]
        verbose_name = _("article")
        verbose_name_plural = _("articles")

    def __str__(self) -> str:
        return self.title

    @property
    def is_public(self) -> bool:
        return self.status == Status.PUBLISHED and self.audience == Audience.PUBLIC


class ArticleVersion(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=300)
    short_answer = models.TextField(blank=True)
    body = models.TextField(blank=True)
    questions = models.JSONField(default=list, blank=True)
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["article", "number"], name="uniq_article_version")]

    def __str__(self) -> str:
        return f"{self.article_id} v{self.number}"


class Synonym(TimeStamped):
    """One group of words that mean the same, e.g. 退款 = 退钱 = 返款 (the first is canonical)."""

    terms = models.CharField(_("terms"), max_length=300, help_text=_("Words separated by '='"))

    class Meta:
        verbose_name = _("synonym group")
        verbose_name_plural = _("synonym groups")

    def __str__(self) -> str:
        return self.terms

    def term_list(self) -> list[str]:
        return [t.strip() for t in self.terms.replace("＝", "=").split("=") if t.strip()]


class Outcome(models.TextChoices):
    ANSWERED = "answered", _("Answered")
    SUGGESTED = "suggested", _("Suggested articles")
    HANDOFF = "handoff", _("Handed off")


class Feedback(models.TextChoices):
    NONE = "", _("No feedback")
    HELPFUL = "helpful", _("Helpful")
    NOT_HELPFUL = "not_helpful", _("Not helpful")


class BotQuestion(models.Model):
    """Every question asked of the bot, with what it did and what the customer said of it."""

    session = models.CharField(max_length=64, blank=True, db_index=True)
    # whose conversation: "u:<user id>" or "v:<visitor id>" (bot_sessions.py); '' for kefu's own
    owner = models.CharField(max_length=80, blank=True, default="")
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(max_length=20, blank=True)
    language = models.CharField(max_length=10, blank=True)
    question = models.TextField()
    context_question = models.TextField(blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    reason = models.CharField(max_length=30, blank=True)
    article = models.ForeignKey(Article, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    suggested = models.JSONField(default=list, blank=True)
    confidence = models.FloatField(default=0.0)
    feedback = models.CharField(max_length=12, choices=Feedback.choices, default=Feedback.NONE, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.question[:50]


class ArticleFeedback(models.Model):
    """Helpful / not helpful on an article, from the help centre, the bot or an agent."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="feedback")
    helpful = models.BooleanField()
    source = models.CharField(max_length=10)  # help | agent | bot
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.article_id} {'+' if self.helpful else '-'}"


def article_file_path(instance: ArticleFile, filename: str) -> str:
    return f"kb/{instance.article_id}/{instance.sha256[:16]}/{filename}"


class ArticleFile(models.Model):
    """A file or image attached to an article; served only to people who may see the article."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(upload_to=article_file_path, max_length=500)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    is_image = models.BooleanField(default=False)  # a PNG / JPEG / GIF / WebP by its magic bytes
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.filename
