"""The default tier rules: 普通 for everyone, VIP from 5,000 CNY or 12 orders in 12 months, 高级VIP
from 20,000 CNY or 36 orders (editable in the admin afterwards)."""

from decimal import Decimal

from django.db import migrations

DEFAULTS = [
    ("regular", "普通", 0, Decimal("0"), 0),
    ("vip", "VIP", 10, Decimal("5000"), 12),
    ("premium_vip", "高级VIP", 20, Decimal("20000"), 36),
]


def seed(apps, schema_editor):
    TierRule = apps.get_model("customers", "TierRule")
    for tier, name, rank, spend, orders in DEFAULTS:
        TierRule.objects.get_or_create(
            tier=tier, defaults={"name": name, "rank": rank, "min_spend_12m": spend, "min_orders_12m": orders}
        )


class Migration(migrations.Migration):
    dependencies = [("customers", "0005_customer_360")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
