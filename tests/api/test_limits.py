"""Rate limits per user and per IP (FAULTS A4), and the request size limit."""

import pytest


@pytest.fixture
def tight(settings):
    settings.KEFU_API_RATE = "3/3600"
    settings.KEFU_API_RATE_PER_IP = "10000/3600"


@pytest.mark.fault("A4")
def test_user_over_the_limit_gets_429_while_another_user_is_served(api, tight, agent_li, agent_wang):
    remaining = []
    for _ in range(3):
        response = api.get(agent_li, "/tickets")
        assert response.status_code == 200
        assert response["RateLimit-Limit"] == "3"
        remaining.append(response["RateLimit-Remaining"])
    assert remaining == ["2", "1", "0"]
    refused = api.get(agent_li, "/tickets")
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert refused["RateLimit-Remaining"] == "0"
    assert int(refused["RateLimit-Reset"]) == int(refused["Retry-After"])
    assert api.get(agent_wang, "/tickets").status_code == 200


@pytest.mark.fault("A4")
def test_a_new_token_does_not_reset_the_users_limit(api, tight, agent_li):
    for _ in range(3):
        api.get(agent_li, "/tickets")
    api.tokens.clear()
    assert api.get(agent_li, "/tickets").status_code == 429


@pytest.mark.fault("A4", "X4")
def test_per_ip_limit_covers_anonymous_and_ignores_forwarded_headers(api, settings, agent_li, agent_wang):
    settings.KEFU_API_RATE_PER_IP = "4/3600"
    from_a = {"REMOTE_ADDR": "10.0.0.1"}
    assert api.get(None, "/tickets", **from_a).status_code == 401
    assert api.get(agent_li, "/tickets", **from_a).status_code == 200
    assert api.get(agent_wang, "/tickets", **from_a).status_code == 200
    assert api.get(agent_li, "/tickets", **from_a).status_code == 200
    spoofed = api.get(agent_wang, "/tickets", headers={"X-Forwarded-For": "203.0.113.9"}, **from_a)
    assert spoofed.status_code == 429
    assert "Retry-After" in spoofed
    assert api.get(agent_wang, "/tickets", REMOTE_ADDR="10.0.0.2").status_code == 200


@pytest.mark.fault("A1")
def test_json_body_over_the_limit_is_413(api, customer_x):
    huge = {"subject": "大" * (5 * 1024 * 1024), "body": "x"}
    response = api.post(customer_x.user, "/tickets", huge)
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
