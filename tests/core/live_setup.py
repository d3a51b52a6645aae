"""Personas and API tokens in the database of KEFU_DATA_DIR, for tests against a real `kefu web`
(run in a subprocess like an operator would). Prints the tokens and ids as JSON."""

import json
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")

import django  # noqa: E402

django.setup()

from kefu.accounts.models import Role  # noqa: E402
from kefu.accounts.services import create_api_token, create_user  # noqa: E402
from kefu.customers.models import Customer  # noqa: E402
from kefu.tickets import services  # noqa: E402

PASSWORD = "kefu-pass-123"


def main() -> None:
    agent = create_user(username="agent_li", password=PASSWORD, role=Role.AGENT, display_name="李娜")
    user = create_user(
        username="customer_x",
        password=PASSWORD,
        role=Role.CUSTOMER,
        display_name="张小明",
        email="xiaoming@example.cn",
    )
    customer = Customer.objects.create(user=user, name="张小明", email="xiaoming@example.cn")
    opened = services.open_ticket(
        customer=customer, subject="订单还没发货", body="请帮忙查一下物流。", by=user
    )
    print(
        json.dumps(
            {
                "agent_token": create_api_token(user=agent, name="live")[1],
                "customer_token": create_api_token(user=user, name="live")[1],
                "ticket_id": opened.ticket.pk,
            }
        )
    )


if __name__ == "__main__":
    main()
