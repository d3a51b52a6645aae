"""The forecast: weekday × half-hour seasonality, holidays and 调休 days as their own kind of day,
promotion days with an uplift; the nightly run reads the tickets and stores half-hours once."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.core.management import call_command

from kefu.workforce import forecasting
from kefu.workforce.forecasting import SLOTS, Forecaster, Promotion
from kefu.workforce.models import ForecastInterval, ForecastRun
from tests.clock import SHANGHAI


def _day(total_per_slot: float, busy: tuple[int, int] = (18, 42)) -> list[float]:
    """Contacts only in the working half-hours 09:00–21:00, `total_per_slot` each."""
    return [total_per_slot if busy[0] <= s < busy[1] else 0.0 for s in range(SLOTS)]


def _history(first: date, last: date, *, holiday_share: float = 0.5) -> dict:
    out = {}
    d = first
    while d <= last:
        kind, _u, _l = forecasting.day_kind(d)
        per_slot = 4.0 if d.weekday() < 5 else 2.0
        if kind == "holiday":
            per_slot = 4.0 * holiday_share  # every holiday in this history is a weekday's half
        if kind == "makeup":
            per_slot = 4.0
        out[d] = {"phone": _day(per_slot)}
        d += timedelta(days=1)
    return out


def test_an_ordinary_weekday_follows_the_same_weekdays_level_and_half_hour_shape():
    counts = _history(date(2026, 4, 1), date(2026, 6, 9))
    fc = Forecaster(counts)
    values, kind = fc.day(date(2026, 6, 10), "phone")  # a Wednesday
    assert kind == "workday"
    assert sum(values) == pytest.approx(96.0) and values[20] == pytest.approx(4.0) and values[2] == 0
    weekend, kind = fc.day(date(2026, 6, 13), "phone")
    assert kind == "weekend" and sum(weekend) == pytest.approx(48.0)


def test_recent_weeks_weigh_more():
    counts = _history(date(2026, 4, 1), date(2026, 6, 9))
    for d in counts:
        if d >= date(2026, 6, 1):
            counts[d] = {"phone": [2 * v for v in counts[d]["phone"]]}  # the level doubled last week
    values, _kind = Forecaster(counts).day(date(2026, 6, 10), "phone")
    assert 96 * 1.15 < sum(values) < 96 * 2


def test_a_holiday_is_its_own_kind_of_day_learned_from_past_holidays():
    # The history holds Labour Day 2026 (May 1–5) at half a weekday's contacts.
    counts = _history(date(2026, 4, 1), date(2026, 9, 30), holiday_share=0.5)
    values, kind = Forecaster(counts).day(date(2026, 10, 1), "phone")  # National Day, a Thursday
    assert kind == "holiday"
    assert sum(values) == pytest.approx(48.0, rel=0.05)


def test_a_holiday_without_past_holidays_uses_the_holiday_factor():
    counts = _history(date(2026, 7, 1), date(2026, 8, 31))  # no statutory holiday in July and August
    values, _kind = Forecaster(counts, holiday_factor=0.25).day(date(2026, 10, 1), "phone")
    assert sum(values) == pytest.approx(96 * 0.25)


def test_a_makeup_saturday_is_forecast_as_a_workday_not_a_weekend():
    counts = _history(date(2026, 4, 1), date(2026, 10, 9))
    values, kind = Forecaster(counts).day(date(2026, 10, 10), "phone")  # 调休 Saturday
    assert kind == "makeup"
    assert sum(values) == pytest.approx(96.0, rel=0.05)


def test_a_promotion_day_lifts_the_day_by_its_uplift():
    counts = _history(date(2026, 4, 1), date(2026, 6, 9))
    promos = [Promotion("618", date(2025, 6, 18), 2.5, recurring=True)]
    values, kind = Forecaster(counts, promos).day(date(2026, 6, 18), "phone")  # a Thursday
    assert kind == "promotion" and sum(values) == pytest.approx(96 * 2.5)
    # the promotion day in the history does not drag the ordinary Thursday up
    counts[date(2026, 6, 4)] = {"phone": _day(40.0)}
    promos = [Promotion("闪购", date(2026, 6, 4), 10.0, recurring=False)]
    ordinary, _kind = Forecaster(counts, promos).day(date(2026, 6, 11), "phone")
    assert sum(ordinary) == pytest.approx(96.0)


@pytest.mark.now("2026-06-10 01:00")
def test_the_nightly_run_reads_the_tickets_and_stores_every_half_hour(customer_x, make_ticket):
    from kefu.tickets.models import Ticket

    # three Wednesdays back, two phone contacts at 10:00–10:30 each
    for weeks in (1, 2, 3):
        for n in range(2):
            ticket = make_ticket(customer_x, subject=f"电话{weeks}-{n}", channel="phone")
            at = datetime(2026, 6, 10, 10, 5, tzinfo=SHANGHAI) - timedelta(weeks=weeks)
            Ticket.objects.filter(pk=ticket.pk).update(created_at=at)
    run = forecasting.run_nightly()
    assert run is not None and run.state == "done" and run.history == 6
    ten = datetime(2026, 6, 17, 10, 0, tzinfo=SHANGHAI)  # next Wednesday 10:00
    row = ForecastInterval.objects.get(run=run, channel="phone", starts_at=ten)
    assert row.expected == pytest.approx(2.0) and row.day_kind == "workday"
    assert ForecastInterval.objects.filter(run=run, channel="phone").count() == 15 * 48
    assert forecasting.run_nightly() is None  # once per night
    assert ForecastRun.objects.count() == 1
    call_command("staffing", "forecast", "--force")
    assert ForecastRun.objects.get().state == "done"
