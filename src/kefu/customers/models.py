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
