"""People who use kefu, the teams and departments they belong to, and their API tokens."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    AGENT = "agent", _("Agent")
    SENIOR_AGENT = "senior_agent", _("Senior agent")
    SUPERVISOR = "supervisor", _("Supervisor")
    QA = "qa", _("QA reviewer")
    DEPARTMENT = "department", _("Department member")
    ADMIN = "admin", _("Administrator")


AGENT_ROLES = frozenset({Role.AGENT, Role.SENIOR_AGENT, Role.SUPERVISOR, Role.QA, Role.ADMIN})
SEES_ALL_ROLES = frozenset({Role.SUPERVISOR, Role.QA, Role.ADMIN})


SYSTEM_USERNAME = "kefu-bot"  # the actor of automated changes (accounts.services.system_user)


class Team(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    email = models.EmailField(_("email"), blank=True)
    lead = models.ForeignKey(
        "accounts.User",
        verbose_name=_("team lead"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class Department(models.Model):
    """Another part of the company (warehouse, QC…) that works on its share of tickets."""

    name = models.CharField(_("name"), max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name


class Skill(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("skill")
        verbose_name_plural = _("skills")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    role = models.CharField(
        _("role"), max_length=20, choices=Role.choices, default=Role.CUSTOMER, db_index=True
    )
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    teams = models.ManyToManyField(Team, blank=True, related_name="members", verbose_name=_("teams"))
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    skills = models.ManyToManyField(Skill, blank=True, related_name="agents", verbose_name=_("skills"))
    seniority = models.PositiveSmallIntegerField(_("seniority (years)"), default=0)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    @property
    def is_agent(self) -> bool:
        return self.is_active and self.role in AGENT_ROLES

    @property
    def is_customer(self) -> bool:
        return self.is_active and self.role == Role.CUSTOMER

    @property
    def is_department_member(self) -> bool:
        return self.is_active and self.role == Role.DEPARTMENT and self.department_id is not None

    @property
    def sees_all_tickets(self) -> bool:
        return self.is_active and self.role in SEES_ALL_ROLES


class AccessSettings(models.Model):
    """Install-wide access options, edited by an admin (one row)."""

    agents_see_all = models.BooleanField(
        _("all agents see all tickets"),
        default=False,
        help_text=_("When off, an agent sees the queues of their own teams and unrouted tickets."),
    )

    class Meta:
        verbose_name = _("access settings")
        verbose_name_plural = _("access settings")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 is stored; the secret is shown once."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=12, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    # The user's session auth hash when the token was made: a password change (anywhere: portal,
    # admin, reset) changes it, and every older token stops working (FAULTS X2).
    auth_hash = models.CharField(max_length=128, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class Notification(models.Model):
    """Something a person should look at: an SLA warning, a failed delivery, a mention.

    Higher apps write these through `accounts.services.notify`; `dedupe_key` makes a repeat of
    the same notice (a task run twice, a sweep on two nodes) a no-op.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=40)
    text = models.CharField(max_length=300)
    url = models.CharField(max_length=300, blank=True)
    dedupe_key = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread")]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "dedupe_key"],
                condition=~models.Q(dedupe_key=""),
                name="uniq_notification_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.text}"


class AuditEntry(models.Model):
    """Who took what out of kefu, or did something an auditor asks about later (exports first).

    Append-only: nothing updates or deletes these rows; the admin shows them read-only.
    """

    actor = models.ForeignKey(
        User, verbose_name=_("actor"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(_("action"), max_length=40)
    summary = models.CharField(_("what"), max_length=300)
    row_count = models.PositiveIntegerField(_("rows"), null=True)
    detail = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")

    def __str__(self) -> str:
        return f"{self.action}: {self.summary}"
