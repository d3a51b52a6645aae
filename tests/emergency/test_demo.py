"""The demo's plans load once, and a burst made with `kefu seed --burst` fires 工单激增 (issue 21)."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from kefu.core.clock import now
from kefu.core.metrics import local_zone, total
from kefu.emergency import demo, services
from kefu.emergency.models import Activation, EmergencyPlan, IncidentTicket

pytestmark = [pytest.mark.now("2026-06-10 10:00"), pytest.mark.django_db]


def test_demo_plans_are_idempotent(lead_zhao, admin_user):
    demo.load_config()
    demo.load_config()
    plans = {p.name: p for p in EmergencyPlan.objects.all()}
    assert sorted(plans) == sorted([demo.VOLUME, demo.KEYWORD])
    assert plans[demo.VOLUME].trigger == "volume" and plans[demo.VOLUME].multiplier == 3
    assert plans[demo.KEYWORD].keyword == "快递/物流"
    assert set(plans[demo.VOLUME].contacts.all()) == {lead_zhao, admin_user}


def test_a_seeded_burst_fires_the_volume_plan(lead_zhao):
    demo.load_config()
    call_command("seed", tickets=40, customers=8, burst=True, no_progress=True, verbosity=0)
    at = now().replace(second=0, microsecond=0)
    services.watch(at=at)
    fired = Activation.objects.get(plan__name=demo.VOLUME)
    assert fired.source == "trigger" and fired.figures["count"] == 40 and fired.figures["baseline"] == 0
    assert IncidentTicket.objects.filter(activation=fired).count() == 40
    day = at.astimezone(local_zone()).date()
    assert total("emergency_activations", start=day, end=day) == 1
    assert total("emergency_drills", start=day, end=day) == 0
