"""Template helpers for showing customers: masked phone numbers, the tier's name, the unmask button."""

from django import template
from django.template.loader import render_to_string

from kefu.customers import masking, tiers

register = template.Library()


@register.filter
def masked_phone(phone: str) -> str:
    """138****1234 (the whole number is shown only through the audited unmask)."""
    return masking.mask_phone(phone)


@register.simple_tag(takes_context=True)
def tier_name(context, tier: str) -> str:
    """What people call the tier (普通 / VIP / 高级VIP, as the tier rules name them); read once per page."""
    names = context.render_context.get("_kefu_tier_names")
    if names is None:
        names = tiers.tier_names()
        context.render_context["_kefu_tier_names"] = names
    return names.get(tier, tier)


@register.simple_tag(takes_context=True)
def customer_phone(context, customer) -> str:
    """The masked number, with a button that unmasks it for supervisors and administrators."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return render_to_string(
        "customers/_phone.html",
        {
            "customer": customer,
            "masked": masking.mask_phone(customer.phone),
            "can_unmask": masking.can_unmask(user),
        },
        request=request,
    )
