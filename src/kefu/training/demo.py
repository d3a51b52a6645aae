"""Demo training of 云杉优品: the four-week programme, a basic and an advanced course (each with a
scenario test scored with a QA scorecard), the new hire 马丽 enrolled with her mentor 周强 (week 1
signed off), the monthly methods workshop, and this quarter's reusable-case tasks.

Idempotent: rows are found by their titles / external ids; a second run changes nothing."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import translation

from kefu.accounts.models import User
from kefu.core.clock import now
from kefu.knowledge import services as kb
from kefu.knowledge.models import Article, Kind
from kefu.knowledge.states import Status

from . import cases, mentors, onboarding, periods, services
from .assessments import QuestionSpec
from .courses import ModuleSpec
from .models import (
    Assessment,
    Course,
    DailyFeedback,
    Enrolment,
    Onboarding,
    Session,
    SessionKind,
    StageSignoff,
)

CASES = [
    (
        "demo-training-case-angry",
        "lina",
        "客户愤怒时如何共情",
        "场景：客户的快递三天未更新，来电情绪激动。\n\n做法：先道歉并复述问题（“让您等了三天，确实着急”），"
        "不急于解释；给出明确的下一步和时间（“我现在联系仓库，今天18点前回电”）；按时回电。",
    ),
    (
        "demo-training-case-missing",
        "zhouqiang",
        "仓库漏发的复杂投诉：跨部门处理",
        "场景：套装少发一件，客户第二次投诉。\n\n做法：首问负责，当场建立仓储协作任务并告知客户时限；"
        "同步质检核对出库记录；补发后电话回访，记录原因供复盘。",
    ),
]
SCORECARD = "情景测试评分表"
SCORECARD_ITEMS = [  # section, item, weight, kind, critical
    ("开场", "问候并自报姓名", 10, "yes_no", False),
    ("共情", "先安抚情绪，复述客户的问题", 30, "scale", False),
    ("处理", "给出明确的下一步和时间", 30, "yes_no", True),
    ("规范", "用语规范，无推诿", 20, "scale", False),
    ("结束", "确认客户没有其他问题", 10, "yes_no", False),
]


def _case(external_id: str, username: str, title: str, body: str) -> Article | None:
    found = Article.objects.filter(external_id=external_id).first()
    if found is not None:
        return found
    author = User.objects.filter(username=username).first()
    return kb.create_article(
        by=author, title=title, body=body, kind=Kind.CASE, status=Status.PUBLISHED, external_id=external_id
    )


def _scorecard() -> int:
    from kefu.quality.models import Scorecard, ScorecardItem

    card, created = Scorecard.objects.get_or_create(
        name=SCORECARD,
        defaults={"description": "培训情景测试使用", "sections": ["开场", "共情", "处理", "规范", "结束"]},
    )
    if created or not card.items.exists():
        for pos, (section, text, weight, kind, critical) in enumerate(SCORECARD_ITEMS, start=1):
            ScorecardItem.objects.create(
                scorecard=card,
                section=section,
                text=text,
                weight=weight,
                kind=kind,
                critical=critical,
                position=pos,
            )
    return card.pk


def _assessment(title: str, **kw: object) -> Assessment:
    return Assessment.objects.filter(title=title).first() or services.create_assessment(title=title, **kw)  # type: ignore[arg-type]


def _course(title: str, **kw: object) -> Course:
    return Course.objects.filter(title=title).first() or services.create_course(title=title, **kw)  # type: ignore[arg-type]


def after_tickets() -> None:
    with translation.override(settings.LANGUAGE_CODE):  # warnings recorded in the site's language
        _load()


def _load() -> None:
    people = {
        u.username: u for u in User.objects.filter(username__in=["zhaomin", "zhouqiang", "mali", "lina"])
    }
    if len(people) < 4:
        return
    sup, mentor, hire = people["zhaomin"], people["zhouqiang"], people["mali"]
    today = periods.today()
    with transaction.atomic():
        angry = _case(*CASES[0])
        missing = _case(*CASES[1])
        assert angry is not None and missing is not None
        card = _scorecard()
        quiz = _assessment(
            "基础知识测验",
            kind="quiz",
            pass_mark=80,
            questions=[
                QuestionSpec(
                    kind="single",
                    text="七天无理由退货从哪天算起？",
                    choices=["下单日", "签收次日", "发货日"],
                    correct=[1],
                ),
                QuestionSpec(
                    kind="multiple",
                    text="客户愤怒时，哪些做法是对的？",
                    choices=["先道歉并复述问题", "先解释公司规定", "给出明确的处理时间"],
                    correct=[0, 2],
                ),
                QuestionSpec(kind="short", text="写一句安抚客户情绪的话。", points=2),
            ],
        )
        basic_test = _assessment(
            "情景测试：愤怒的客户",
            kind="scenario",
            pass_mark=95,
            case_id=angry.pk,
            scorecard_id=card,
            turns=[
                "我的快递三天都没动了，你们到底管不管？",
                "我不想听解释，就问什么时候能到！",
                "要是明天还不到我就投诉。",
            ],
        )
        advanced_test = _assessment(
            "情景测试：漏发的二次投诉",
            kind="scenario",
            pass_mark=95,
            case_id=missing.pk,
            scorecard_id=card,
            turns=[
                "上次说补发，到现在还没收到，这是第二次找你们了。",
                "你们仓库是不是根本没人管？",
                "我要一个确定的结果。",
            ],
        )
        basic = _course(
            "基础培训：产品知识、沟通与情绪管理",
            track="new_hire",
            topic="basic",
            by=sup,
            description="新人第1–2周：产品知识、沟通技巧、情绪管理和系统操作。",
            modules=[
                ModuleSpec("reading", "阅读案例：客户愤怒时如何共情", article_id=angry.pk),
                ModuleSpec(
                    "practice",
                    "演练：两人一组扮演客户与客服",
                    "用案例的三步法各演练两遍。",
                    article_id=angry.pk,
                ),
                ModuleSpec("assessment", "基础知识测验", assessment_id=quiz.pk),
                ModuleSpec("assessment", "情景测试：愤怒的客户", assessment_id=basic_test.pk),
            ],
        )
        advanced = _course(
            "进阶培训：复杂案例与客户心理",
            track="experienced",
            topic="advanced",
            by=sup,
            description="复杂案例处理、客户心理和跨部门协作。",
            modules=[
                ModuleSpec("reading", "阅读案例：仓库漏发的复杂投诉", article_id=missing.pk),
                ModuleSpec("practice", "演练：建立协作任务并告知客户时限", article_id=missing.pk),
                ModuleSpec("assessment", "情景测试：漏发的二次投诉", assessment_id=advanced_test.pk),
            ],
        )
        programme = onboarding.default_programme(course_id=basic.pk, assessment_id=basic_test.pk)
    started = today - timedelta(days=8)
    found = Onboarding.objects.filter(user=hire).first()
    if found is None:
        services.enrol(basic, users=[hire], due_on=started + timedelta(days=13), by=sup)
        found = onboarding.start(
            user=hire,
            programme=programme,
            senior=mentor,
            mentor=mentor,
            supervisor=sup,
            started_on=started,
            by=sup,
        )
    first = programme.stages.get(order=1)
    if not StageSignoff.objects.filter(onboarding=found, stage=first).exists():
        onboarding.sign_off(found, stage_id=first.pk, by=mentor, note="跟岗一周，每天3单，记录完整。")
    enrolment = Enrolment.objects.filter(user=hire, course=basic).first()
    if enrolment is not None and not enrolment.done.exists():
        services.mark_module_done(enrolment, module=basic.modules.get(order=1), by=hire)
    if not DailyFeedback.objects.filter(onboarding=found).exists():
        onboarding.give_feedback(
            found,
            note="复述问题做得好；承诺时间前先确认仓库的时限。",
            tickets=3,
            by=mentor,
            day=today - timedelta(days=1),
        )
    if mentors.mentor_of(hire) is None:
        mentors.pair(mentor=mentor, mentee=hire, by=sup, started_on=started)
    if not Session.objects.filter(title="月度方法分享会").exists():
        experienced = list(User.objects.filter(cases.experienced()).order_by("pk")[:8])
        if experienced:
            services.create_session(
                kind=SessionKind.WORKSHOP,
                title="月度方法分享会",
                host=sup,
                invitees=experienced,
                starts_at=now() + timedelta(days=3),
                notes="每人带一个本季度的可复用案例。",
            )
        services.create_session(
            kind=SessionKind.MENTOR_MEETING,
            title="导师月度面谈：周强 × 马丽",
            host=mentor,
            invitees=[hire],
            starts_at=now() + timedelta(days=5),
        )
    month_end = periods.month(periods.month_name(today))[1]
    services.enrol_role(advanced, role="senior_agent", due_on=month_end, by=sup)
    quarter = periods.quarter_name(today)
    cases.generate(quarter=quarter)
    cases.refresh(quarter=quarter)
