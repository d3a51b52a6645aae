"""Web hardening (FAULTS U1, U2, F4, X1, X4): headers, framing, deploy checks, lockout, upload counts."""

import os
import secrets
import subprocess
import sys

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kefu.tickets.models import Ticket


@pytest.mark.fault("U1", "U2")
def test_agent_pages_forbid_inline_script_and_framing(client, agent_li):
    client.force_login(agent_li)
    response = client.get(reverse("agent:queue"))
    policy = response.headers["Content-Security-Policy"]
    assert (
        "script-src 'self'" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    )
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.fault("U2")
def test_only_the_embedded_contact_form_may_be_framed(client):
    embedded = client.get(reverse("contact:form") + "?embed=1")
    assert "X-Frame-Options" not in embedded.headers
    assert "frame-ancestors *" in embedded.headers["Content-Security-Policy"]
    normal = client.get(reverse("contact:form"))
    assert normal.headers["X-Frame-Options"] == "DENY"


@pytest.mark.fault("U2")
def test_production_settings_pass_djangos_deploy_checks(tmp_path):
    env = {
        **os.environ,
        "KEFU_DATA_DIR": str(tmp_path),
        "KEFU_BASE_URL": "https://kefu.example.com",
        "KEFU_SECRET_KEY": secrets.token_urlsafe(60),
        "KEFU_ALLOWED_HOSTS": "kefu.example.com",
    }
    env.pop("KEFU_DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "kefu.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.fault("X1", "X4")
def test_lockout_counts_failures_per_account_whatever_the_address(client, agent_li):
    # Five failures from five different "addresses" (spoofed headers, one real socket address).
    for i in range(5):
        client.post(
            reverse("accounts:login"),
            {"username": "agent_li", "password": "wrong"},
            HTTP_X_FORWARDED_FOR=f"203.0.113.{i}",
            REMOTE_ADDR=f"198.51.100.{i}",
        )
    locked = client.post(
        reverse("accounts:login"),
        {"username": "agent_li", "password": "kefu-pass-123"},
        REMOTE_ADDR="198.51.100.99",
    )
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.fault("X1", "X4")
def test_forwarded_for_header_cannot_dodge_the_address_lockout(client, agent_li, agent_wang):
    for i in range(5):
        client.post(
            reverse("accounts:login"),
            {"username": f"nobody{i}", "password": "wrong"},
            HTTP_X_FORWARDED_FOR=f"203.0.113.{i}",
        )
    # A new X-Forwarded-For does not make the same socket address a new client.
    answer = client.post(
        reverse("accounts:login"),
        {"username": "agent_wang", "password": "kefu-pass-123"},
        HTTP_X_FORWARDED_FOR="192.0.2.200",
    )
    assert answer.status_code == 429


@pytest.mark.fault("F4")
def test_more_than_a_hundred_files_is_a_clear_400_not_a_crash(client, customer_x):
    client.force_login(customer_x.user)
    files = [SimpleUploadedFile(f"f{i}.txt", b"x") for i in range(101)]
    before = Ticket.objects.count()
    response = client.post(
        reverse("portal:new"),
        {"subject": "很多附件", "body": "附件太多", "type": "consultation", "attachments": files},
    )
    assert response.status_code == 400
    assert Ticket.objects.count() == before
