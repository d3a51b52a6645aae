"""Demo routing for 云杉优品: keyword rules, assignment rules, availability, and the first models.

Both steps are idempotent: rules have natural keys (keywords + field, rule name); models are
trained only for fields that have none yet.
"""

from __future__ import annotations

import logging

from kefu.accounts.models import Role, Skill, Team, User

from .errors import TrainingFailed
from .models import AgentStatus, AssignmentRule, KeywordRule
from .services import rules, training

log = logging.getLogger("kefu.routing")

KEYWORD_RULES = (
    # keywords, field, value
    ("12315, 投诉, 律师, 曝光, 消协", "type", "complaint"),
    ("12315, 投诉, 律师, 曝光, 消协", "priority", "high"),
    ("生鲜, 医疗器械, 过敏, 受伤", "priority", "urgent"),
    ("发票, 开票, 抬头, 税号", "category", "开具发票"),
    ("闪退, 打不开, 登录不了, 验证码", "team", "技术支持"),
    ("破损, 漏发, 少件", "department", "仓储"),
    ("质量问题, 异味, 开线, 褪色", "department", "质检"),
)

ASSIGNMENT_RULES = (
    # name, position, conditions, team, skill, senior_only
    ("投诉 → 资深客服", 10, {"type": "complaint"}, "售后服务", "投诉处理", True),
    ("App 与账户 → 技术支持", 20, {"keyword": "App"}, "技术支持", "技术故障", False),
    ("发票 → 懂发票的客服", 30, {"keyword": "发票"}, "售后服务", "发票", False),
    ("English → 英语客服", 40, {"keyword": "English"}, None, "English", False),
)


def load_config() -> None:
    admin = User.objects.filter(role__in=(Role.ADMIN, Role.SUPERVISOR), is_active=True).order_by("pk").first()
    if admin is None:
        return
    for keywords, field, value in KEYWORD_RULES:
        if KeywordRule.objects.filter(field=field, keywords=keywords).exists():
            continue
        try:
            rules.save_keyword_rule(by=admin, keywords=keywords, field=field, value=value)
        except Exception as err:  # e.g. a demo without that category: leave the rule out
            log.warning("demo keyword rule %s skipped: %s", keywords, err)
    for name, position, conditions, team, skill, senior in ASSIGNMENT_RULES:
        if AssignmentRule.objects.filter(name=name).exists():
            continue
        rules.save_assignment_rule(
            by=admin,
            name=name,
            position=position,
            conditions=conditions,
            team=Team.objects.filter(name=team).first() if team else None,
            skill=Skill.objects.get_or_create(name=skill)[0] if skill else None,
            senior_only=senior,
        )
    for agent in User.objects.filter(role__in=(Role.AGENT, Role.SENIOR_AGENT), is_active=True):
        AgentStatus.objects.get_or_create(agent=agent, defaults={"working_days": "1234567"})


def after_tickets() -> None:
    """Train the first models from the demo history (3-fold, a few seconds)."""
    for field in ("type", "category", "team", "priority"):
        if training.active_model(field) is not None:
            continue
        try:
            training.train_from_history(field, folds=3)
        except TrainingFailed as err:
            log.warning("demo: no %s model: %s", field, err.message)
