"""Create the e2e personas in the database of KEFU_DATA_DIR (run in a subprocess, like an operator)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")

import django  # noqa: E402

django.setup()

from kefu.accounts.models import Role, Team  # noqa: E402
from kefu.accounts.services import create_user  # noqa: E402
from kefu.customers.models import Customer  # noqa: E402

PASSWORD = "kefu-e2e-2026"


def main() -> None:
    team = Team.objects.create(name="售后服务")
    for username, name in (("agent_li", "李娜"), ("agent_wang", "王芳")):
        user = create_user(
            username=username,
            password=PASSWORD,
            role=Role.AGENT,
            display_name=name,
            email=f"{username}@kefu.test",
        )
        user.teams.add(team)
    user = create_user(
        username="customer_x",
        password=PASSWORD,
        role=Role.CUSTOMER,
        display_name="张小明",
        email="xiaoming@example.cn",
    )
    Customer.objects.create(user=user, name="张小明", email="xiaoming@example.cn")


if __name__ == "__main__":
    main()
