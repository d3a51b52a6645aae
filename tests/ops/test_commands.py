"""The shell's commands as an operator uses them: demo, seed, createadmin, kefu --help, first start."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kefu.accounts.models import AGENT_ROLES, Department, Role, Team, User
from kefu.customers.models import Customer, Tier
from kefu.ops.demo import CHANNEL_WEIGHTS
from kefu.ops.demo_content import DEMO_PASSWORD
from kefu.ops.embedded import DEMO_MARKER, LOADING, finish_demo, prepare
from kefu.ops.models import Marker
from kefu.ops.progress import Steps
from kefu.ops.seed import SEED_LEAD
from kefu.tickets import search
from kefu.tickets.models import Message, MessageKind, Priority, Ticket, TicketShare, TicketType
from kefu.tickets.selectors import search_tickets
from kefu.tickets.states import Status

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _static_root(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATIC_ROOT.mkdir()  # empty: the first start still collects into it


def _login(client, username: str, password: str):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_demo_builds_a_believable_company_and_a_second_run_adds_nothing(client):
    call_command("demo", tickets=60, no_progress=True, verbosity=0)

    assert set(Team.objects.values_list("name", flat=True)) >= {"售前咨询", "售后服务", "技术支持"}
    assert set(Department.objects.values_list("name", flat=True)) >= {"仓储", "质检"}
    staff = User.objects.filter(role__in=AGENT_ROLES).exclude(role=Role.ADMIN)
    assert staff.count() >= 12
    assert staff.filter(role=Role.SUPERVISOR).count() == 1 and staff.filter(role=Role.QA).count() == 1
    assert staff.filter(role=Role.SENIOR_AGENT).count() == 2
    assert User.objects.filter(role=Role.DEPARTMENT, department__name="仓储").exists()
    assert User.objects.filter(role=Role.DEPARTMENT, department__name="质检").exists()
    assert Customer.objects.count() == 300
    assert set(Customer.objects.values_list("tier", flat=True)) == set(Tier.values)

    tickets = Ticket.objects.all()
    assert tickets.count() == 60
    for field, values in (
        ("status", Status.values),
        # the channels customers write through; wechat, in_person and other are agent-opened tickets
        ("channel", list(CHANNEL_WEIGHTS)),
        ("type", TicketType.values),
        ("priority", Priority.values),
    ):
        assert set(tickets.values_list(field, flat=True)) == set(values), field
    assert Message.objects.filter(kind=MessageKind.INTERNAL).exists()
    assert TicketShare.objects.exists()
    assert tickets.filter(subject__regex=r"^[A-Za-z]").exists()  # a few English tickets
    oldest = tickets.order_by("created_at").first().created_at
    newest = tickets.order_by("-created_at").first().created_at
    assert (newest - oldest).days >= 30  # spread over the last 90 days, not all "just now"
    assert Message.objects.filter(
        from_customer=False, kind=MessageKind.PUBLIC, body_text__contains="您好"
    ).exists()

    counts = (User.objects.count(), Customer.objects.count(), Ticket.objects.count(), Message.objects.count())
    call_command("demo", tickets=60, no_progress=True, verbosity=0)
    assert (
        User.objects.count(),
        Customer.objects.count(),
        Ticket.objects.count(),
        Message.objects.count(),
    ) == counts

    # The printed demo logins work.
    assert _login(client, "xiaoming", DEMO_PASSWORD).status_code == 302
    lina = User.objects.get(username="lina")
    hits = search_tickets(User.objects.get(username="zhaomin"), "订单")
    assert hits and lina.check_password(DEMO_PASSWORD)


def _seed_subjects() -> list[str]:
    return list(Ticket.objects.order_by("pk").values_list("subject", flat=True))


def _wipe_seed() -> None:
    search.delete_rows(Ticket.objects.values_list("pk", flat=True))
    Ticket.objects.all().delete()
    Marker.objects.filter(name__startswith="seed:").delete()


def test_seed_is_exact_deterministic_tops_up_and_searchable():
    call_command("seed", tickets=120, customers=30, seed=7, no_progress=True, verbosity=0)
    assert Ticket.objects.count() == 120
    call_command("seed", tickets=200, customers=30, seed=7, no_progress=True, verbosity=0)
    call_command("seed", tickets=200, customers=30, seed=7, no_progress=True, verbosity=0)
    assert Ticket.objects.count() == 200
    topped_up = _seed_subjects()

    _wipe_seed()
    call_command("seed", tickets=200, customers=30, seed=7, no_progress=True, verbosity=0)
    assert _seed_subjects() == topped_up  # same seed, same tickets, whether built at once or topped up
    assert Customer.objects.count() == 30
    assert Message.objects.filter(ticket__status=Status.CLOSED).count() > 0
    assert len(set(Ticket.objects.values_list("status", flat=True))) == len(Status.values)

    lead = User.objects.get(username=SEED_LEAD)
    hits = search_tickets(lead, "退款")
    assert hits and all("退款" in (h.subject_html + h.snippet_html) for h in hits)

    _wipe_seed()
    call_command("seed", tickets=200, customers=30, seed=8, no_progress=True, verbosity=0)
    assert _seed_subjects() != topped_up


def test_first_start_migrates_and_loads_the_demo_once():
    first = prepare(demo=True, demo_tickets=12, progress=False)
    assert first.demo_loaded_now and first.has_demo
    assert Ticket.objects.count() == 12

    second = prepare(demo=True, demo_tickets=12, progress=False)
    assert not second.demo_loaded_now and second.has_demo
    assert Ticket.objects.count() == 12


def test_first_start_never_fills_an_install_that_already_has_tickets(customer_x, make_ticket):
    make_ticket(customer_x)
    started = prepare(demo=True, demo_tickets=12, progress=False)
    assert not started.has_demo
    assert Ticket.objects.count() == 1
    assert not User.objects.filter(username="zhaomin").exists()


def test_createadmin_makes_an_admin_who_can_log_in(client):
    call_command(
        "createadmin", username="boss", email="boss@example.cn", password="Yunshan-2026!", noinput=True
    )
    boss = User.objects.get(username="boss")
    assert boss.role == Role.ADMIN and boss.is_staff and boss.is_superuser
    assert _login(client, "boss", "Yunshan-2026!").status_code == 302
    assert client.get("/admin/").status_code == 200

    with pytest.raises(CommandError, match="already exists"):
        call_command("createadmin", username="boss", password="Yunshan-2026!", noinput=True)
    with pytest.raises(CommandError, match="--password"):
        call_command("createadmin", username="boss2", noinput=True)
    with pytest.raises(CommandError):
        call_command("createadmin", username="boss3", password="123", noinput=True)


def test_kefu_help_lists_the_kefu_commands():
    from kefu.cli import usage

    text = usage()
    for name in ("up", "demo", "seed", "createadmin", "web", "worker", "scheduler"):
        assert f"\n  {name} " in text
    assert "http://127.0.0.1:8000" in text


def test_query_count_header_when_enabled(client, settings):
    settings.MIDDLEWARE = ["kefu.core.middleware.QueryCountHeaderMiddleware", *settings.MIDDLEWARE]
    response = client.get("/healthz")
    assert response["X-Query-Count"] == "1"


@pytest.mark.parametrize("args", [["--help"], ["help"], ["up", "--help"], [], ["help", "up"], ["demo", "-h"]])
def test_help_changes_nothing_on_disk(tmp_path, args):
    """Help only prints: no ./var, no secret key file, no database in the folder it is asked in."""
    folder = tmp_path / "empty"
    folder.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEFU_")}  # embedded mode: ./var
    shown = subprocess.run(
        [sys.executable, "-m", "kefu.cli", *args], cwd=folder, env=env, capture_output=True, text=True
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip() and "Traceback" not in shown.stderr
    assert list(folder.iterdir()) == []


STEP_LINE = re.compile(r"^  (?P<name>.+) … \d+\.\d s$")


def _steps(text: str) -> list[str]:
    lines = text.splitlines()
    assert all(STEP_LINE.match(line) for line in lines), text  # every line is a finished step
    return [STEP_LINE.match(line)["name"] for line in lines]


def test_first_start_reports_each_step_on_a_line_of_its_own_with_its_time():
    out = io.StringIO()
    prepare(demo=True, demo_tickets=12, progress=Steps(out))
    names = _steps(out.getvalue())
    assert names[:2] == ["migrate", "static files"]
    assert names[2] == "demo: people, customers, categories"
    for step in (
        "demo: routing rules",
        "demo: SLA calendars and policies",
        "demo: scripts, triggers and macros",
        "demo: knowledge base and bot questions",
        "demo: mailbox",
        "demo: 12 tickets",
        "demo: triage models",
        "demo: SLA timers",
    ):
        assert names.count(step) == 1, (step, names)
    assert names.index("demo: 12 tickets") < names.index("demo: triage models")

    # `kefu demo` reports the same steps (a second run: everything is there already).
    shown = io.StringIO()
    call_command("demo", tickets=12, stdout=shown)
    assert "demo: 12 tickets" in _steps(shown.getvalue().split("Demo ready")[0])


def test_first_start_can_leave_the_triage_models_for_after_the_first_page():
    """`kefu up` serves the first page before the models are trained; until they are, the demo
    is not marked loaded, so a start interrupted in between trains them the next time."""
    prepared = prepare(demo=True, demo_tickets=12, progress=False, later=True)
    assert prepared.has_demo and [name for name, _run in prepared.later] == ["demo: triage models"]
    assert Ticket.objects.count() == 12
    assert Marker.objects.get(name=DEMO_MARKER).value == LOADING

    # Interrupted here (Ctrl-C): the next start loads what is missing, nothing twice.
    again = prepare(demo=True, demo_tickets=12, progress=False, later=True)
    assert again.demo_loaded_now and again.later and Ticket.objects.count() == 12

    out = io.StringIO()
    assert finish_demo(again, Steps(out))
    assert _steps(out.getvalue()) == ["demo: triage models (in the background)"]
    assert Marker.objects.get(name=DEMO_MARKER).value == "loaded"
    third = prepare(demo=True, demo_tickets=12, progress=False, later=True)
    assert not third.demo_loaded_now and third.has_demo and not third.later
