from __future__ import annotations

from datetime import timedelta

import pytest

from kefu.accounts.models import Role
from kefu.knowledge.models import Article, Kind
from kefu.knowledge.states import Status
from kefu.training import services
from kefu.training.assessments import QuestionSpec
from kefu.training.courses import ModuleSpec
from kefu.training.periods import today
from tests.factories import UserFactory


@pytest.fixture
def case_article(db, agent_wang):
    return Article.objects.create(
        title="客户愤怒时如何共情",
        body="先道歉，再复述问题，给出时间。",
        kind=Kind.CASE,
        status=Status.PUBLISHED,
        author=agent_wang,
    )


@pytest.fixture
def quiz(db):
    return services.create_assessment(
        title="产品知识测验",
        kind="quiz",
        pass_mark=80,
        max_attempts=2,
        questions=[
            QuestionSpec(kind="single", text="退货期限是几天？", choices=["3", "7", "30"], correct=[1]),
            QuestionSpec(
                kind="multiple",
                text="哪些是安抚话术？",
                choices=["理解您", "不知道", "马上处理"],
                correct=[0, 2],
            ),
        ],
    )


@pytest.fixture
def short_quiz(db):
    return services.create_assessment(
        title="沟通技巧",
        kind="quiz",
        pass_mark=60,
        questions=[
            QuestionSpec(kind="single", text="先做什么？", choices=["道歉", "争辩"], correct=[0]),
            QuestionSpec(kind="short", text="写一句共情的话", points=3),
        ],
    )


@pytest.fixture
def course(db, quiz, case_article, lead_zhao):
    return services.create_course(
        title="基础培训：产品与沟通",
        track="new_hire",
        topic="basic",
        modules=[
            ModuleSpec(kind="reading", title="阅读案例", article_id=case_article.pk),
            ModuleSpec(kind="assessment", title="测验", assessment_id=quiz.pk),
        ],
        by=lead_zhao,
    )


@pytest.fixture
def newbie(team_aftersales):
    return UserFactory(username="new_hire", display_name="新人小陈", role=Role.AGENT, teams=[team_aftersales])


@pytest.fixture
def senior_qian(team_aftersales):
    return UserFactory(
        username="senior_qian",
        display_name="钱资深",
        role=Role.SENIOR_AGENT,
        teams=[team_aftersales],
        seniority=3,
    )


@pytest.fixture
def due():
    return today() + timedelta(days=14)
