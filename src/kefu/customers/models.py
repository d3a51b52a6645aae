"""The people and companies kefu serves."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.core.models import TimeStamped


class Tier(models.TextChoices):
    REGULAR = "regular", _("Regular")
    VIP = "vip", _("VIP")
    PREMIUM_VIP = "premium_vip", _("Premium VIP")


class Organisation(TimeStamped):
    name = models.CharField(_("name"), max_length=200, unique=True)
    domain = models.CharField(_("email domain"), max_length=200, blank=True, db_index=True)
    share_tickets = models.BooleanField(
        _("members see each other's tickets"),
        default=False,
        help_text=_("When on, every customer of this organisation sees all of its tickets in the portal."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class Customer(TimeStamped):
    """A person who asks for help. A portal account (user) is optional: email customers have none."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="customer"
    )
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"), blank=True, db_index=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True, db_index=True)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customers",
    )
    tier = models.CharField(
        _("tier"), max_length=20, choices=Tier.choices, default=Tier.REGULAR, db_index=True
    )
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    city = models.CharField(_("city"), max_length=100, blank=True)
    annual_spend = models.DecimalField(_("annual spend (CNY)"), max_digits=12, decimal_places=2, default=0)
    notes = models.TextField(_("notes"), blank=True)
    # Mail about replies and status changes on their tickets (mail.notices); the portal's bell
    # shows them either way.
    notify_by_mail = models.BooleanField(_("mail me about replies"), default=True)
    tags = models.ManyToManyField("Tag", verbose_name=_("tags"), blank=True, related_name="customers")
    # Customer 360: a duplicate merged into another keeps its row (the merge can be undone) and
    # points at the customer that now holds its history.
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_from",
    )
    merged_at = models.DateTimeField(_("merged at"), null=True, blank=True)
    # Tiers (customers.tiers): `tier` is the tier in force (routing and SLA read it); it is the
    # computed one unless an override with a reason is running (until its expiry).
    orders_12m = models.PositiveIntegerField(_("orders in the last 12 months"), default=0)
    tier_override = models.CharField(_("tier set by hand"), max_length=20, choices=Tier.choices, blank=True)
    tier_override_reason = models.CharField(_("reason"), max_length=300, blank=True)
    tier_override_until = models.DateTimeField(_("override expires"), null=True, blank=True)
    tier_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("override set by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # PIPL/GDPR erasure (customers.privacy): set once the personal data is gone.
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.email else self.name


class OrderSource(models.TextChoices):
    IMPORT = "import", _("File import")
    API = "api", _("Shop API")
    MANUAL = "manual", _("Entered by hand")


class Order(models.Model):
    """One purchase of a customer, imported from a file or pushed by a shop.

    `order_id` is the shop's own number: unique per shop (`shop` is "" for files without one), so the
    same order imported twice or pushed twice is one row. Spend and tiers are computed from these."""

    order_id = models.CharField(_("order number"), max_length=100)
    shop = models.CharField(_("shop"), max_length=100, blank=True, default="")
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="orders"
    )
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    ordered_at = models.DateTimeField(_("ordered at"), db_index=True)
    source = models.CharField(
        _("source"), max_length=10, choices=OrderSource.choices, default=OrderSource.IMPORT
    )
    raw = models.JSONField(_("raw record"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-ordered_at", "-pk"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [
            models.UniqueConstraint(fields=["shop", "order_id"], name="customers_order_unique_per_shop")
        ]
        indexes = [models.Index(fields=["customer", "ordered_at"], name="customers_order_cust_time")]

    def __str__(self) -> str:
        return f"{self.shop}#{self.order_id}" if self.shop else self.order_id


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("customer tag")
        verbose_name_plural = _("customer tags")

    def __str__(self) -> str:
        return self.name


class IdentityKind(models.TextChoices):
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    VISITOR = "visitor", _("Chat visitor")
    EXTERNAL = "external", _("Shop customer id")


class CustomerIdentity(models.Model):
    """One more way to recognise a customer: a second address, another number, a chat visitor id,
    a shop's own customer id ("shop:id"). `value` is normalised (emails lower-case, phone numbers
    without separators), and one value belongs to one customer. Customer.email/phone stay the
    primary ones; they are looked up first."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="identities"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=IdentityKind.choices)
    value = models.CharField(_("value"), max_length=254)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["kind", "value"]
        verbose_name = _("customer identity")
        verbose_name_plural = _("customer identities")
        constraints = [models.UniqueConstraint(fields=["kind", "value"], name="customers_identity_unique")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


class CustomerNote(models.Model):
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="note_entries"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    body = models.TextField(_("note"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("customer note")
        verbose_name_plural = _("customer notes")

    def __str__(self) -> str:
        return self.body[:50]


class CustomerMerge(models.Model):
    """A duplicate merged into another customer: what moved, row by row, so `unmerge` can put it back.

    `moved` maps "app_label.Model.field" to the primary keys of the rows moved; `added` lists what
    the merge created on the target (identities from the duplicate's primary email and phone, tags)."""

    source = models.ForeignKey(
        Customer, verbose_name=_("duplicate"), on_delete=models.PROTECT, related_name="merges_out"
    )
    target = models.ForeignKey(
        Customer, verbose_name=_("merged into"), on_delete=models.PROTECT, related_name="merges_in"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    moved = models.JSONField(default=dict)
    added = models.JSONField(default=dict)
    created_at = models.DateTimeField(_("merged at"), auto_now_add=True)
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("undone by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("customer merge")
        verbose_name_plural = _("customer merges")

    def __str__(self) -> str:
        return f"{self.source_id} → {self.target_id}"


class TierRule(models.Model):
    """When a customer reaches a tier: spend in the last 12 months (CNY) and/or number of orders.

    Rules are tried from the highest rank down; the first that matches gives the tier. `name` is
    what people read (普通 / VIP / 高级VIP by default); `tier` is the code routing and SLA use."""

    class Match(models.TextChoices):
        ANY = "any", _("spend or orders reached")
        ALL = "all", _("spend and orders reached")

    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices, unique=True)
    name = models.CharField(_("name"), max_length=50)
    rank = models.PositiveSmallIntegerField(
        _("rank"), default=0, help_text=_("Higher ranks are tried first.")
    )
    min_spend_12m = models.DecimalField(
        _("spend in 12 months at least"), max_digits=14, decimal_places=2, default=0
    )
    min_orders_12m = models.PositiveIntegerField(_("orders in 12 months at least"), default=0)
    match = models.CharField(_("match"), max_length=3, choices=Match.choices, default=Match.ANY)

    class Meta:
        ordering = ["-rank"]
        verbose_name = _("tier rule")
        verbose_name_plural = _("tier rules")

    def __str__(self) -> str:
        return self.name


class TierChange(models.Model):
    """History of a customer's tier: every change, computed or by hand, with the figures behind it."""

    class Reason(models.TextChoices):
        COMPUTED = "computed", _("Computed from orders")
        OVERRIDE = "override", _("Set by hand")
        OVERRIDE_ENDED = "override_ended", _("Override expired or removed")

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="tier_changes"
    )
    from_tier = models.CharField(_("from"), max_length=20, choices=Tier.choices)
    to_tier = models.CharField(_("to"), max_length=20, choices=Tier.choices)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    spend_12m = models.DecimalField(_("spend in 12 months"), max_digits=14, decimal_places=2, default=0)
    orders_12m = models.PositiveIntegerField(_("orders in 12 months"), default=0)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("tier change")
        verbose_name_plural = _("tier changes")

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.from_tier} → {self.to_tier}"


class ErasureRequest(models.Model):
    """A customer's data deleted on request (PIPL/GDPR). Each part (tickets, orders, profile…) is
    erased in its own step and recorded in `done`, so a run killed halfway resumes where it
    stopped. `subject` is a pseudonym (a hash of the customer's id and address), kept for audit."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), null=True, on_delete=models.SET_NULL, related_name="erasures"
    )
    subject = models.CharField(_("pseudonym"), max_length=64)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    done = models.JSONField(default=dict)  # part key -> rows erased
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("erasure request")
        verbose_name_plural = _("erasure requests")

    def __str__(self) -> str:
        return self.subject
