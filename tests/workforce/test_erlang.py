"""Erlang C against published values, Erlang A against Erlang C, unstable queues as an answer."""

from __future__ import annotations

import json
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kefu.core.errors import ValidationFailed
from kefu.workforce import erlang


def test_published_example_100_calls_in_30_minutes_needs_14_agents():
    # 100 calls in 30 min, AHT 180 s, 80 % in 20 s: 13 agents give 79.6 %, 14 give 88.8 %.
    assert (
        round(
            erlang.evaluate(arrivals=100, interval=1800, aht=180, agents=13, answer_within=20).service_level,
            3,
        )
        == 0.796
    )
    assert (
        round(
            erlang.evaluate(arrivals=100, interval=1800, aht=180, agents=14, answer_within=20).service_level,
            3,
        )
        == 0.888
    )
    result = erlang.required(arrivals=100, interval=1800, aht=180, service_level=0.8, answer_within=20)
    assert result.agents == 14 and result.traffic == 10.0
    assert round(result.asa, 1) == 7.8


def test_shrinkage_and_the_peak_floor():
    with_shrinkage = erlang.required(
        arrivals=100, interval=1800, aht=180, service_level=0.8, answer_within=20, shrinkage=0.3
    )
    assert with_shrinkage.agents == 14 and with_shrinkage.scheduled == 20  # 14 / 0.7
    quiet = erlang.required(arrivals=1, interval=1800, aht=180, service_level=0.8, answer_within=20)
    assert quiet.agents == 1 and quiet.scheduled == 2  # at least 2 at peak
    off_peak = erlang.required(
        arrivals=1, interval=1800, aht=180, service_level=0.8, answer_within=20, floor=0
    )
    assert off_peak.scheduled == 1


def test_traffic_at_or_above_the_agents_is_an_unstable_queue_not_a_crash():
    result = erlang.evaluate(arrivals=100, interval=1800, aht=180, agents=10, answer_within=20)
    assert result.stable is False and result.service_level == 0.0
    assert "Unstable queue" in result.message
    assert result.as_dict()["asa"] is None  # valid JSON, no Infinity
    assert erlang.erlang_c(5, 7.5) == 1.0


def test_large_systems_do_not_overflow():
    result = erlang.required(arrivals=19000, interval=1800, aht=180, service_level=0.8, answer_within=20)
    assert 1900 < result.agents < 2000 and 0.8 <= result.service_level <= 1


@pytest.mark.parametrize(
    "kw,field",
    [
        ({"arrivals": -1}, "arrivals"),
        ({"interval": 0}, "interval"),
        ({"aht": 0}, "aht"),
        ({"service_level": 1.5}, "service_level"),
        ({"shrinkage": 1.0}, "shrinkage"),
    ],
)
def test_bad_input_is_refused_with_the_field(kw, field):
    args = {"arrivals": 100, "interval": 1800, "aht": 180, "service_level": 0.8, "answer_within": 20, **kw}
    with pytest.raises(ValidationFailed) as err:
        erlang.required(**args)
    assert err.value.field == field


def test_erlang_a_with_endless_patience_is_erlang_c_and_abandonment_needs_fewer_agents():
    patient = erlang.evaluate_a(
        arrivals=100, interval=1800, aht=180, agents=14, answer_within=20, patience=86400
    )
    assert abs(patient.service_level - 0.8884) < 0.002
    chat = erlang.required_a(
        arrivals=100, interval=1800, aht=180, service_level=0.8, answer_within=30, patience=60
    )
    assert chat.agents < 14 and chat.service_level >= 0.8 and 0 < chat.abandon_rate < 0.2
    # Erlang A is stable even with fewer agents than Erlangs: customers leave
    overloaded = erlang.evaluate_a(
        arrivals=100, interval=1800, aht=180, agents=8, answer_within=20, patience=60
    )
    assert overloaded.stable and overloaded.abandon_rate > 0.2


def test_a_thousand_intervals_in_under_a_second():
    started = time.perf_counter()
    for i in range(1000):
        erlang.required(arrivals=20 + i % 300, interval=1800, aht=240, service_level=0.8, answer_within=20)
    assert time.perf_counter() - started < 1.0


def test_cli_prints_one_json_object(capsys):
    call_command(
        "staffing", "erlang-c", "--arrivals", "100", "--interval", "1800", "--aht", "180",
        "--service-level", "0.8", "--answer-within", "20",
    )  # fmt: skip
    body = json.loads(capsys.readouterr().out)
    assert body["agents"] == 14 and body["service_level"] == pytest.approx(0.888, abs=0.001)
    call_command("staffing", "erlang-c", "--arrivals", "100", "--aht", "180", "--agents", "9")
    body = json.loads(capsys.readouterr().out)
    assert body["stable"] is False and "Unstable queue" in body["message"]
    with pytest.raises(CommandError, match="aht"):
        call_command("staffing", "erlang-c", "--arrivals", "100", "--aht", "0")


@pytest.mark.parametrize(
    "kw",
    [
        {"arrivals": 1e300, "interval": 1e-300, "aht": 1},  # traffic overflows
        {"arrivals": 2e6},  # more than a million contacts
        {"aht": 1e9},  # a handling time longer than a day
    ],
)
def test_absurd_sizes_are_refused_not_computed_for_ever(kw):
    args = {"arrivals": 100, "interval": 1800, "aht": 180, "answer_within": 20, "agents": 14, **kw}
    with pytest.raises(ValidationFailed):
        erlang.evaluate(**args)


def test_erlang_a_refuses_a_patience_it_cannot_integrate():
    with pytest.raises(ValidationFailed) as err:
        erlang.evaluate_a(arrivals=100, interval=1800, aht=180, agents=14, answer_within=20, patience=0.001)
    assert err.value.field == "patience"
