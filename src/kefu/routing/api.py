"""REST endpoints of the routing app (mounted at /api/routing/ in kefu/api.py).

Keyword rules (cold-start triage), assignment rules, each agent's workload and caps, and a
prediction for a text. Agents read; supervisors and administrators edit; anyone else gets the
same 404 as a missing page. Errors are `{code, message, field}` (422 for a refused rule, 403 for
an agent who tries to edit, 404 for a missing rule or an untrained field).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from pydantic import ConfigDict

from kefu.accounts.models import Skill, Team, User
from kefu.core.api_support import Text
from kefu.core.errors import NotFound, PermissionDenied
from kefu.tickets.models import Priority, TicketType

from . import selectors
from .errors import RuleInvalid, UntrainedField
from .models import AgentStatus, AssignmentRule, KeywordRule, Presence, TriageField
from .services import assignment, rules, training, triage

router = Router(tags=["routing"])

MAX_ID = 2**62


# --------------------------------------------------------------------------- access


def _reader(request: HttpRequest) -> User:
    """Agents, supervisors and admins read; anyone else is told the page does not exist."""
    user = request.auth
    if not getattr(user, "is_agent", False) and not selectors.can_manage(user):
        raise NotFound(_("Not found."))
    return user  # type: ignore[no-any-return]


def _editor(request: HttpRequest) -> User:
    user = _reader(request)
    if not selectors.can_manage(user):
        raise PermissionDenied(_("Only supervisors and administrators can change routing rules."))
    return user


# --------------------------------------------------------------------------- keyword rules


class KeywordRuleOut(Schema):
    id: int
    position: int
    keywords: list[str] = Field(description="Any one of them found in the subject or body matches")
    field: str = Field(description="type, category, team, department or priority")
    value: str
    is_active: bool


class KeywordRuleIn(Schema):
    model_config = ConfigDict(extra="forbid")  # a misspelt key is refused, not silently dropped

    keywords: list[Text] = Field(..., min_length=1, max_length=50, description='e.g. ["发票", "开票"]')
    field: Text = Field(..., max_length=50)
    value: Text = Field(..., max_length=200)
    position: int = Field(100, ge=0, le=1_000_000)
    is_active: bool = True


class KeywordRulePatch(Schema):
    model_config = ConfigDict(extra="forbid")  # a misspelt key is refused, not silently dropped

    keywords: list[Text] | None = Field(None, min_length=1, max_length=50)
    field: Text | None = Field(None, max_length=50)
    value: Text | None = Field(None, max_length=200)
    position: int | None = Field(None, ge=0, le=1_000_000)
    is_active: bool | None = None


def _keyword_out(rule: KeywordRule) -> KeywordRuleOut:
    return KeywordRuleOut(
        id=rule.pk,
        position=rule.position,
        keywords=rule.keyword_list,
        field=rule.field,
        value=rule.value,
        is_active=rule.is_active,
    )


def _keyword_rule(rule_id: int) -> KeywordRule:
    rule = KeywordRule.objects.filter(pk=rule_id).first() if 0 < rule_id < MAX_ID else None
    if rule is None:
        raise NotFound(_("No such keyword rule."))
    return rule


@router.get("/keyword-rules", response={200: list[KeywordRuleOut]}, summary="Keyword rules")
def list_keyword_rules(request: HttpRequest):
    _reader(request)
    return [_keyword_out(r) for r in selectors.list_keyword_rules()]


@router.post("/keyword-rules", response={201: KeywordRuleOut}, summary="Add a keyword rule")
def create_keyword_rule(request: HttpRequest, payload: KeywordRuleIn):
    user = _editor(request)
    rule = rules.save_keyword_rule(
        by=user,
        keywords=" ".join(payload.keywords),
        field=payload.field,
        value=payload.value,
        position=payload.position,
        is_active=payload.is_active,
    )
    return Status(201, _keyword_out(rule))


@router.get("/keyword-rules/{rule_id}", response={200: KeywordRuleOut}, summary="One keyword rule")
def get_keyword_rule(request: HttpRequest, rule_id: int):
    _reader(request)
    return _keyword_out(_keyword_rule(rule_id))


@router.patch("/keyword-rules/{rule_id}", response={200: KeywordRuleOut}, summary="Change a keyword rule")
def update_keyword_rule(request: HttpRequest, rule_id: int, payload: KeywordRulePatch):
    user = _editor(request)
    rule = _keyword_rule(rule_id)
    given = payload.dict(exclude_unset=True)
    for key in given:
        if given[key] is None:
            raise RuleInvalid(_("This value cannot be empty."), field=key)
    rule = rules.save_keyword_rule(
        by=user,
        keywords=" ".join(given["keywords"]) if "keywords" in given else rule.keywords,
        field=given.get("field", rule.field),
        value=given.get("value", rule.value),
        position=given.get("position", rule.position),
        is_active=given.get("is_active", rule.is_active),
        rule=rule,
    )
    return _keyword_out(rule)


@router.delete("/keyword-rules/{rule_id}", response={204: None}, summary="Delete a keyword rule")
def delete_keyword_rule(request: HttpRequest, rule_id: int):
    user = _editor(request)
    rules.delete_rule(_keyword_rule(rule_id), by=user)
    return Status(204, None)


# --------------------------------------------------------------------------- assignment rules


class AssignmentConditions(Schema):
    model_config = ConfigDict(extra="forbid")  # a misspelt key is refused, not silently dropped

    channel: Text = Field("", max_length=10, description="Blank: any channel")
    type: Text = Field("", max_length=20)
    priority: Text = Field("", max_length=10)
    tier: Text = Field("", max_length=20, description="Customer tier: regular, vip, premium_vip")
    keyword: Text = Field("", max_length=100, description="A word in the subject or body")


class AssignmentRuleOut(Schema):
    id: int
    name: str
    position: int
    is_active: bool
    conditions: AssignmentConditions
    team: str | None = Field(description="Team name")
    skill: str | None
    language: str
    senior_only: bool


class AssignmentRuleIn(Schema):
    model_config = ConfigDict(extra="forbid")  # a misspelt key is refused, not silently dropped

    name: Text = Field(..., max_length=100)
    position: int = Field(100, ge=0, le=1_000_000)
    is_active: bool = True
    conditions: AssignmentConditions = Field(default_factory=AssignmentConditions)
    team: Text | None = Field(None, max_length=100, description="Team name")
    skill: Text | None = Field(None, max_length=100, description="Skill name")
    language: Text = Field("", max_length=10)
    senior_only: bool = False


class AssignmentRulePatch(Schema):
    model_config = ConfigDict(extra="forbid")  # a misspelt key is refused, not silently dropped

    name: Text | None = Field(None, max_length=100)
    position: int | None = Field(None, ge=0, le=1_000_000)
    is_active: bool | None = None
    conditions: AssignmentConditions | None = None
    team: Text | None = Field(None, max_length=100)
    skill: Text | None = Field(None, max_length=100)
    language: Text | None = Field(None, max_length=10)
    senior_only: bool | None = None


def _assignment_out(rule: AssignmentRule) -> AssignmentRuleOut:
    return AssignmentRuleOut(
        id=rule.pk,
        name=rule.name,
        position=rule.position,
        is_active=rule.is_active,
        conditions=AssignmentConditions(
            channel=rule.channel, type=rule.type, priority=rule.priority, tier=rule.tier, keyword=rule.keyword
        ),
        team=rule.team.name if rule.team_id else None,
        skill=rule.skill.name if rule.skill_id else None,
        language=rule.language,
        senior_only=rule.senior_only,
    )


def _assignment_rule(rule_id: int) -> AssignmentRule:
    rule = selectors.list_assignment_rules().filter(pk=rule_id).first() if 0 < rule_id < MAX_ID else None
    if rule is None:
        raise NotFound(_("No such assignment rule."))
    return rule


def _named(model: Any, name: str | None, field: str) -> Any:
    if not name:
        return None
    row = model.objects.filter(name=name).order_by("pk").first()
    if row is None:
        raise RuleInvalid(
            _("There is no %(what)s named %(v)s.") % {"what": model._meta.verbose_name, "v": name},
            field=field,
        )
    return row


@router.get("/assignment-rules", response={200: list[AssignmentRuleOut]}, summary="Assignment rules")
def list_assignment_rules(request: HttpRequest):
    _reader(request)
    return [_assignment_out(r) for r in selectors.list_assignment_rules()]


@router.post("/assignment-rules", response={201: AssignmentRuleOut}, summary="Add an assignment rule")
def create_assignment_rule(request: HttpRequest, payload: AssignmentRuleIn):
    user = _editor(request)
    rule = rules.save_assignment_rule(
        by=user,
        name=payload.name,
        position=payload.position,
        is_active=payload.is_active,
        conditions=payload.conditions.dict(),
        team=_named(Team, payload.team, "team"),
        skill=_named(Skill, payload.skill, "skill"),
        language=payload.language,
        senior_only=payload.senior_only,
    )
    return Status(201, _assignment_out(_assignment_rule(rule.pk)))


@router.get("/assignment-rules/{rule_id}", response={200: AssignmentRuleOut}, summary="One assignment rule")
def get_assignment_rule(request: HttpRequest, rule_id: int):
    _reader(request)
    return _assignment_out(_assignment_rule(rule_id))


@router.patch(
    "/assignment-rules/{rule_id}",
    response={200: AssignmentRuleOut},
    summary="Change an assignment rule",
)
def update_assignment_rule(request: HttpRequest, rule_id: int, payload: AssignmentRulePatch):
    user = _editor(request)
    rule = _assignment_rule(rule_id)
    given = payload.dict(exclude_unset=True)
    for key in ("name", "position", "is_active", "conditions", "language", "senior_only"):
        if key in given and given[key] is None:
            raise RuleInvalid(_("This value cannot be empty."), field=key)
    current = {
        "channel": rule.channel,
        "type": rule.type,
        "priority": rule.priority,
        "tier": rule.tier,
        "keyword": rule.keyword,
    }
    if "conditions" in given:
        current.update(payload.conditions.dict(exclude_unset=True))  # type: ignore[union-attr]
    rule = rules.save_assignment_rule(
        by=user,
        name=given.get("name", rule.name),
        position=given.get("position", rule.position),
        is_active=given.get("is_active", rule.is_active),
        conditions=current,
        team=_named(Team, given["team"], "team") if "team" in given else rule.team,
        skill=_named(Skill, given["skill"], "skill") if "skill" in given else rule.skill,
        language=given.get("language", rule.language),
        senior_only=given.get("senior_only", rule.senior_only),
        rule=rule,
    )
    return _assignment_out(_assignment_rule(rule.pk))


@router.delete("/assignment-rules/{rule_id}", response={204: None}, summary="Delete an assignment rule")
def delete_assignment_rule(request: HttpRequest, rule_id: int):
    user = _editor(request)
    rules.delete_rule(_assignment_rule(rule_id), by=user)
    return Status(204, None)


# --------------------------------------------------------------------------- agents: workload and caps


class AgentLoadOut(Schema):
    id: int
    username: str
    name: str
    role: str
    teams: list[str]
    presence: str = Field(description="online, away, offline (no record: online)")
    working_days: str = Field(
        description="Digits 1 (Monday) … 7 (Sunday); empty: the days of the agent's business calendar"
    )
    works_today: bool = Field(
        description="Works today by the business calendar (statutory holidays off, 调休 on) and working_days"
    )
    day_note: str = Field(description="Why today is special: a holiday's or make-up workday's name, or empty")
    daily_cap: int = Field(description="New tickets a day (the agent's own cap, else the install's)")
    chat_cap: int = Field(description="Concurrent chats")
    own_caps: bool = Field(description="True when the agent has caps of their own")
    assigned_today: int = Field(description="New tickets routed to the agent today (counts toward daily_cap)")
    open_tickets: int
    open_chats: int


class AgentCapsIn(Schema):
    model_config = ConfigDict(extra="forbid")  # a misspelt key is refused, not silently dropped

    presence: Text | None = Field(None, max_length=10)
    working_days: Text | None = Field(
        None, max_length=7, description='e.g. "12345"; "" follows the business calendar'
    )
    daily_cap: int | None = Field(None, ge=1, le=10_000, description="null: the install's default")
    chat_cap: int | None = Field(None, ge=1, le=1_000, description="null: the install's default")


def _agent_rows(agents: list[tuple[User, AgentStatus | None]]) -> list[AgentLoadOut]:
    """Six queries whatever the number of agents: agents (+ teams), settings, today's loads, open work,
    team memberships and business calendars (who works today)."""
    settings_row = rules.get_settings()
    workload = selectors.agent_workload([a.pk for a, _status in agents], day=assignment.today())
    days = selectors.working_today(agents)
    out = []
    for agent, status in agents:
        own_daily = status.daily_cap if status else None
        own_chat = status.chat_cap if status else None
        out.append(
            AgentLoadOut(
                id=agent.pk,
                username=agent.username,
                name=agent.name,
                role=agent.role,
                teams=[t.name for t in agent.teams.all()],
                presence=status.presence if status else Presence.ONLINE,
                working_days=status.working_days if status else "",
                works_today=days[agent.pk].works,
                day_note=days[agent.pk].note,
                daily_cap=own_daily if own_daily is not None else settings_row.daily_cap,
                chat_cap=own_chat if own_chat is not None else settings_row.chat_cap,
                own_caps=own_daily is not None or own_chat is not None,
                assigned_today=workload[agent.pk].assigned_today,
                open_tickets=workload[agent.pk].open_tickets,
                open_chats=workload[agent.pk].open_chats,
            )
        )
    return out


@router.get("/agents", response={200: list[AgentLoadOut]}, summary="Agents' workload and caps")
def list_agents(request: HttpRequest):
    _reader(request)
    return _agent_rows(selectors.list_agents_with_status())


def _agent(agent_id: int) -> tuple[User, AgentStatus | None]:
    found = selectors.list_agents_with_status([agent_id])
    if not found:
        raise NotFound(_("No such agent."))
    return found[0]


@router.patch(
    "/agents/{agent_id}",
    response={200: AgentLoadOut},
    summary="Change an agent's presence and caps",
)
def update_agent(request: HttpRequest, agent_id: int, payload: AgentCapsIn):
    """Fields left out keep their value; `daily_cap`/`chat_cap` null go back to the install's default."""
    user = _editor(request)
    agent, status = _agent(agent_id) if 0 < agent_id < MAX_ID else (None, None)
    if agent is None:
        raise NotFound(_("No such agent."))
    given = payload.dict(exclude_unset=True)
    assignment.set_status(
        agent=agent,
        by=user,
        presence=given["presence"]
        if given.get("presence") is not None
        else (status.presence if status else Presence.ONLINE),
        working_days=given.get("working_days") if "working_days" in given else None,
        daily_cap=given.get("daily_cap", status.daily_cap if status else None),
        chat_cap=given.get("chat_cap", status.chat_cap if status else None),
    )
    return _agent_rows([_agent(agent.pk)])[0]


# --------------------------------------------------------------------------- prediction


class PredictIn(Schema):
    model_config = ConfigDict(extra="forbid")  # a misspelt key is refused, not silently dropped

    text: Text = Field(..., min_length=1, max_length=20_000, description="Subject and body of a request")
    fields: list[Text] | None = Field(
        None, min_length=1, max_length=10, description="Default: every field with a rule or a trained model"
    )


class PredictionOut(Schema):
    field: str
    value: str
    label: str = Field(description="The value in the reader's language")
    probability: float
    source: str = Field(description='"rule" (a keyword rule, probability 1) or "model"')
    applied: bool = Field(description="A new ticket would get this value (rule, or probability ≥ threshold)")
    model_version: int | None = None


class PredictOut(Schema):
    threshold: float
    predictions: list[PredictionOut]
    untrained: list[str] = Field(description="Fields asked for that have no trained model yet")


def _label(field: str, value: str) -> str:
    if field == "type":
        return str(dict(TicketType.choices).get(value, value))
    if field == "priority":
        return str(dict(Priority.choices).get(value, value))
    return value


@router.post("/predict", response={200: PredictOut}, summary="Predict the fields of a text")
def predict(request: HttpRequest, payload: PredictIn):
    """Keyword rules first (probability 1), then each field's active model. Nothing is stored.

    Asking for a field by name that neither a rule answers nor a model is trained for answers 404
    `untrained_field`; without `fields`, untrained fields are listed in `untrained`."""
    _reader(request)
    if not payload.text.strip():
        raise RuleInvalid(_("Give a text to predict from."), field="text")
    asked = list(dict.fromkeys(payload.fields or triage.FIELDS))
    for name in asked:
        if name not in TriageField.values:
            raise RuleInvalid(
                _("Unknown field %(f)s; use one of: %(all)s.")
                % {"f": name[:50], "all": ", ".join(TriageField.values)},
                field="fields",
            )
    untrained = [f for f in asked if training.active_model(f) is None]
    guesses = triage.rule_guesses(payload.text)
    guesses = {f: g for f, g in guesses.items() if f in asked}
    models = triage.model_guesses(
        payload.text, tuple(f for f in asked if f not in guesses and f not in untrained)
    )
    if payload.fields:
        missing = [f for f in untrained if f not in guesses]
        if missing:
            raise UntrainedField(
                _(
                    "No model is trained for %(f)s yet and no keyword rule matched. Train one from the routing page or with: kefu triage train --field %(f)s"
                )
                % {"f": missing[0]},
                field="fields",
            )
    threshold = rules.get_settings().threshold
    versions: dict[int, int] = {}
    out = []
    for field in asked:
        guess = guesses.get(field) or models.get(field)
        if guess is None:
            continue
        if guess.model_id and guess.model_id not in versions:
            model = training.active_model(field)
            versions[guess.model_id] = model.version if model else 0
        out.append(
            PredictionOut(
                field=field,
                value=guess.value,
                label=_label(field, guess.value),
                probability=round(float(guess.probability), 4),
                source=guess.source,
                applied=guess.source == "rule" or guess.probability >= threshold,
                model_version=versions.get(guess.model_id) if guess.model_id else None,
            )
        )
    return PredictOut(threshold=threshold, predictions=out, untrained=untrained)
