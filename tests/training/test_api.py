"""The training API: documented 4xx bodies for bad input, 404 for what one may not see, and the
onboarding walked to confirmation through HTTP."""

from __future__ import annotations

import pytest

from kefu.accounts.models import Role
from tests.api.conftest import Api
from tests.factories import UserFactory


@pytest.fixture
def api():
    return Api()


def test_course_without_modules_and_assessment_without_pass_mark_are_422(api, lead_zhao, agent_li):
    bad = api.post(
        lead_zhao, "/training/courses", {"title": "空", "track": "new_hire", "topic": "basic", "modules": []}
    )
    assert bad.status_code == 422 and bad.json()["field"] == "modules"
    no_mark = api.post(
        lead_zhao,
        "/training/assessments",
        {
            "title": "测验",
            "kind": "quiz",
            "questions": [{"kind": "single", "text": "?", "choices": ["a", "b"], "correct": [0]}],
        },
    )
    assert no_mark.status_code == 422 and no_mark.json()["field"] == "pass_mark"
    assert (
        api.post(
            agent_li,
            "/training/courses",
            {"title": "x", "track": "new_hire", "topic": "basic", "modules": []},
        ).status_code
        == 403
    )


def test_quiz_through_the_api_hides_answers_and_double_submit_is_409(api, quiz, agent_li):
    shown = api.get(agent_li, f"/training/assessments/{quiz.pk}").json()
    assert "correct" not in shown["questions"][0]
    attempt = api.post(agent_li, f"/training/assessments/{quiz.pk}/attempts").json()
    again = api.post(agent_li, f"/training/assessments/{quiz.pk}/attempts").json()
    assert again["id"] == attempt["id"]
    q1, q2 = shown["questions"]
    body = {"answers": {f"q{q1['id']}": 1, f"q{q2['id']}": [0, 2]}}
    first = api.post(agent_li, f"/training/attempts/{attempt['id']}/submit", body)
    assert first.status_code == 200 and first.json()["status"] == "passed"
    second = api.post(agent_li, f"/training/attempts/{attempt['id']}/submit", body)
    assert second.status_code == 409 and second.json()["code"] == "already_submitted"


@pytest.mark.now("2026-06-10 10:00")
def test_onboarding_to_confirmation_over_http(api, lead_zhao, newbie, senior_qian, agent_tech):
    made = api.post(
        lead_zhao,
        "/training/onboardings",
        {
            "user_id": newbie.pk,
            "senior_id": senior_qian.pk,
            "mentor_id": senior_qian.pk,
            "supervisor_id": lead_zhao.pk,
            "started_on": "2026-05-18",
        },
    )
    assert made.status_code == 201, made.content
    onb = made.json()
    assert [s["daily_ticket_quota"] for s in onb["stages"]] == [3, 0, 0, 0]
    assert api.get(agent_tech, f"/training/onboardings/{onb['id']}").status_code == 404
    early = api.post(lead_zhao, f"/training/onboardings/{onb['id']}/decision", {"confirmed": True})
    assert early.status_code == 409 and early.json()["code"] == "stage_not_ready"
    for stage in onb["stages"]:
        signer = lead_zhao if stage["signoff_by"] == "supervisor" else senior_qian
        ok = api.post(signer, f"/training/onboardings/{onb['id']}/signoffs", {"stage_id": stage["id"]})
        assert ok.status_code == 200, ok.content
    done = api.post(
        lead_zhao, f"/training/onboardings/{onb['id']}/decision", {"confirmed": True, "note": "通过"}
    )
    assert done.json()["status"] == "confirmed" and done.json()["days"] == 23  # 05-18 → 06-10


def test_mentor_over_the_limit_is_warned_over_http(api, lead_zhao, senior_qian, team_aftersales):
    answers = []
    for i in range(4):
        mentee = UserFactory(username=f"m{i}", role=Role.AGENT, teams=[team_aftersales])
        answers.append(
            api.post(
                lead_zhao, "/training/mentorships", {"mentor_id": senior_qian.pk, "mentee_id": mentee.pk}
            )
        )
    assert [a.status_code for a in answers] == [201] * 4
    assert answers[3].json()["over_limit"] is True and answers[3].json()["warning"]


def test_scorecard_and_progress_404_to_others(api, agent_li, agent_wang, lead_zhao):
    assert api.get(agent_li, f"/training/people/{agent_li.pk}/scorecard?month=2026-06").status_code == 200
    assert api.get(lead_zhao, f"/training/people/{agent_li.pk}/scorecard").status_code == 200
    assert api.get(agent_wang, f"/training/people/{agent_li.pk}/scorecard").status_code == 404
    assert api.get(agent_wang, f"/training/people/{agent_li.pk}/progress").status_code == 404
    bad = api.get(agent_li, f"/training/people/{agent_li.pk}/scorecard?month=2026-13")
    assert bad.status_code == 422 and bad.json()["field"] == "month"


def test_workshop_with_attendance_and_notes(api, lead_zhao, agent_li, agent_wang, agent_tech):
    made = api.post(
        lead_zhao,
        "/training/sessions",
        {
            "kind": "workshop",
            "title": "月度方法分享会",
            "starts_at": "2026-06-12T14:00:00+08:00",
            "user_ids": [agent_li.pk, agent_wang.pk],
        },
    )
    assert made.status_code == 201, made.content
    sid = made.json()["id"]
    outsider = api.post(lead_zhao, f"/training/sessions/{sid}/attendance", {"present_ids": [agent_tech.pk]})
    assert outsider.status_code == 422 and outsider.json()["field"] == "present_ids"
    ok = api.post(
        lead_zhao,
        f"/training/sessions/{sid}/attendance",
        {"present_ids": [agent_li.pk], "notes": "分享了退款案例"},
    )
    assert ok.json()["notes"] == "分享了退款案例"
    assert (
        api.post(agent_tech, f"/training/sessions/{sid}/attendance", {"present_ids": []}).status_code == 404
    )
    from kefu.training.models import Attendance

    assert dict(Attendance.objects.values_list("user__username", "present")) == {
        "agent_li": True,
        "agent_wang": False,
    }


def test_ids_too_large_for_a_database_are_422_not_500(api, lead_zhao, agent_li):
    huge = 10**30
    made = api.post(
        lead_zhao,
        "/training/sessions",
        {
            "kind": "workshop",
            "title": "x",
            "starts_at": "2026-06-12T14:00:00+08:00",
            "user_ids": [huge],
        },
    )
    assert made.status_code == 422 and "user_ids" in made.json()["field"]
    assert (
        api.post(
            lead_zhao, "/training/mentorships", {"mentor_id": huge, "mentee_id": agent_li.pk}
        ).status_code
        == 422
    )
    assert api.get(agent_li, f"/training/courses/{huge}").status_code in (404, 422)
