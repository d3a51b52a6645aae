"""What the team does proactively: callbacks (回访), complaints followed up, key-customer care, leads
and referral rewards. Rules live in services.py; these are the rows and their one-row invariants."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kefu.customers.models import Customer, Order
from kefu.tickets.models import Ticket


class Outcome(models.TextChoices):
    REACHED = "reached", _("Reached")
    NOT_REACHED = "not_reached", _("Not reached")
    SATISFIED = "satisfied", _("Satisfied")
    PROBLEM_PERSISTS = "problem_persists", _("Problem persists")


# Outcomes where the customer was actually spoken to (callback reach rate, touch rate).
REACHED_OUTCOMES = frozenset({Outcome.REACHED, Outcome.SATISFIED, Outcome.PROBLEM_PERSISTS})


class CallbackReason(models.TextChoices):
    SAMPLE = "sample", _("Monthly sample")
    COMPLEX = "complex", _("Complex case closed by email")


class Callback(models.Model):
    """One callback (回访) of a solved ticket, generated once per ticket and month."""

    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="+")
    period = models.CharField(_("month"), max_length=7)  # "2026-06"
    reason = models.CharField(_("reason"), max_length=10, choices=CallbackReason.choices)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    script = models.TextField(_("script"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    worked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    worked_at = models.DateTimeField(_("worked at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["worked_at", "pk"]
        verbose_name = _("callback")
        verbose_name_plural = _("callbacks")
        constraints = [models.UniqueConstraint(fields=["ticket", "period"], name="care_callback_once")]
        indexes = [models.Index(fields=["assignee", "outcome"], name="care_callback_todo")]

    def __str__(self) -> str:
        return f"{self.period} {self.ticket_id}"


class Complaint(models.Model):
    """A complaint: a ticket typed complaint (the first row of that ticket), or a second complaint
    (二次投诉) — a later complaint, or the reopening of a complaint ticket, within the window."""

    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    order_ref = models.CharField(_("order number"), max_length=40, blank=True)
    event_id = models.BigIntegerField(unique=True)  # the ticket event it was recorded from
    repeat_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="repeats"
    )
    is_repeat = models.BooleanField(_("second complaint"), default=False)
    created_at = models.DateTimeField(_("created at"), db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        constraints = [
            models.UniqueConstraint(
                fields=["ticket"], condition=Q(is_repeat=False), name="care_complaint_first_once"
            )
        ]
        indexes = [models.Index(fields=["customer", "created_at"], name="care_complaint_customer")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {'2' if self.is_repeat else '1'}"


class CustomerProfile(models.Model):
    """What care needs about a customer that customers does not keep: birthday, customer since."""

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="care_profile")
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    customer_since = models.DateField(_("customer since"), null=True, blank=True)

    class Meta:
        verbose_name = _("care profile")
        verbose_name_plural = _("care profiles")

    def __str__(self) -> str:
        return str(self.customer_id)


class KeyCustomer(models.Model):
    """A customer on the key-customer list of a month: top spender, complainer, or both."""

    period = models.CharField(_("month"), max_length=7)
    period_start = models.DateField(_("first day"))
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="+"
    )
    spend = models.DecimalField(_("12-month spend"), max_digits=14, decimal_places=2, default=0)
    top_spender = models.BooleanField(_("top spender"), default=False)
    complained = models.BooleanField(_("complained"), default=False)
    reached_at = models.DateTimeField(_("reached at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["period", "-spend", "pk"]
        verbose_name = _("key customer")
        verbose_name_plural = _("key customers")
        constraints = [models.UniqueConstraint(fields=["period", "customer"], name="care_key_once")]

    def __str__(self) -> str:
        return f"{self.period} {self.customer_id}"


class CareKind(models.TextChoices):
    CALLBACK = "callback", _("Callback (回访)")
    CARE = "care", _("Care call (关怀)")
    BIRTHDAY = "birthday", _("Birthday")
    ANNIVERSARY = "anniversary", _("Anniversary")


class CareTask(models.Model):
    """One care task for a customer and month, worked with a script and an outcome."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="+"
    )
    period = models.CharField(_("month"), max_length=7)
    kind = models.CharField(_("kind"), max_length=12, choices=CareKind.choices)
    key_customer = models.ForeignKey(
        KeyCustomer, null=True, blank=True, on_delete=models.CASCADE, related_name="tasks"
    )
    due_on = models.DateField(_("due on"))
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    script = models.TextField(_("script"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    service_matched = models.BooleanField(_("service matched the tier"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    worked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    worked_at = models.DateTimeField(_("worked at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_on", "pk"]
        verbose_name = _("care task")
        verbose_name_plural = _("care tasks")
        constraints = [models.UniqueConstraint(fields=["customer", "period", "kind"], name="care_task_once")]

    def __str__(self) -> str:
        return f"{self.period} {self.kind} {self.customer_id}"


class Lead(models.Model):
    """An enquiry from someone with no orders: its source and the agent who handled it."""

    customer = models.OneToOneField(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="+"
    )
    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="+")
    source = models.CharField(_("source"), max_length=20)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), db_index=True)
    converted_at = models.DateTimeField(_("first order at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "pk"]
        verbose_name = _("lead")
        verbose_name_plural = _("leads")

    def __str__(self) -> str:
        return str(self.customer_id)


class ReferralReward(models.Model):
    """The reward of the agent who handled a lead, for one of the lead's orders."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="rewards")
    order = models.OneToOneField(Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="+")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("agent"), on_delete=models.PROTECT, related_name="+"
    )
    first = models.BooleanField(_("first order"), default=False)
    amount = models.DecimalField(_("reward"), max_digits=12, decimal_places=2)
    created_at = models.DateTimeField(_("created at"), db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("referral reward")
        verbose_name_plural = _("referral rewards")
        constraints = [
            models.UniqueConstraint(fields=["lead"], condition=Q(first=True), name="care_reward_first_once")
        ]

    def __str__(self) -> str:
        return f"{self.agent_id} {self.amount}"
