"""REST endpoints of the workforce app (mounted at /api/workforce/): the forecast, the agents required,
Erlang C / A, rosters with their conflicts, publishing and swaps.

Supervisors plan (forecast, requirement, rosters); any agent may compute Erlang figures and ask
to swap one of their own shifts. A roster an agent may not see answers 404."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.http import HttpRequest
from ninja import Field, Router, Schema

from kefu.accounts.models import Team, User

from . import erlang, selectors, services
from .errors import NotFound, ValidationFailed
from .models import ForecastInterval, RosterEntry, ShiftPattern
from .requirement import latest_run

router = Router(tags=["workforce"])


def _agent(request: HttpRequest):  # noqa: ANN202
    user = request.auth  # type: ignore[attr-defined]
    if not selectors.can_work(user):
        raise NotFound("Not found.")
    return user


def _manager(request: HttpRequest):  # noqa: ANN202
    user = _agent(request)
    if not selectors.can_manage(user):
        raise NotFound("Not found.")
    return user


def _monday(value: date | None) -> date:
    if value is None:
        return selectors.monday_of(selectors.local_today()) + timedelta(days=7)
    return selectors.checked_week(value)


class ErlangIn(Schema):
    arrivals: float = Field(ge=0, description="contacts arriving in the interval")
    interval: float = Field(1800, gt=0, description="interval length, seconds")
    aht: float = Field(gt=0, description="average handling time, seconds")
    service_level: float = Field(0.8, gt=0, lt=1)
    answer_within: float = Field(20, ge=0, description="seconds")
    shrinkage: float = Field(0.0, ge=0, lt=1)
    floor: int = Field(erlang.DEFAULT_FLOOR, ge=0, le=erlang.MAX_AGENTS)
    agents: int | None = Field(
        None, ge=0, le=erlang.MAX_AGENTS, description="evaluate this many instead of finding the fewest"
    )
    patience: float | None = Field(None, gt=0, description="mean seconds before giving up: Erlang A")


class ErlangOut(Schema):
    agents: int
    service_level: float
    scheduled: int
    traffic: float
    occupancy: float
    asa: float | None = Field(description="average speed of answer, seconds; null for an unstable queue")
    stable: bool
    abandon_rate: float
    model: str
    message: str


class ForecastOut(Schema):
    channel: str
    starts_at: datetime
    expected: float
    day_kind: str


class NeedOut(Schema):
    starts_at: datetime
    expected: dict[str, float]
    total: float
    peak: bool
    required: int
    on_duty: int


class EntryOut(Schema):
    id: int
    agent_id: int
    agent: str
    day: date
    pattern: str
    starts_at: datetime
    ends_at: datetime


class ConflictOut(Schema):
    kind: str
    message: str
    blocking: bool
    agent_id: int | None
    day: date | None


class RosterOut(Schema):
    id: int
    team_id: int
    team: str
    week_start: date
    state: str
    version: int
    entries: list[EntryOut] = []
    conflicts: list[ConflictOut] = []


ID = Field(ge=1, le=2**63 - 1)


class RosterIn(Schema):
    team_id: int = ID
    week_start: date


class ShiftIn(Schema):
    agent_id: int = ID
    day: date
    pattern_id: int = ID
    version: int | None = Field(None, ge=0, le=2**31 - 1)


class PublishIn(Schema):
    accept_conflicts: bool = False
    version: int | None = Field(None, ge=0, le=2**31 - 1)


class SwapIn(Schema):
    entry_id: int = ID
    to_agent_id: int = ID
    other_entry_id: int | None = Field(None, ge=1, le=2**63 - 1)
    reason: str = Field("", max_length=200)


class SwapOut(Schema):
    id: int
    entry_id: int
    to_agent_id: int
    state: str


class DecideIn(Schema):
    approve: bool


@router.post("/erlang", response=ErlangOut, summary="Agents required (Erlang C, or Erlang A with patience)")
def erlang_figures(request: HttpRequest, body: ErlangIn):
    _agent(request)
    kw = {
        "arrivals": body.arrivals,
        "interval": body.interval,
        "aht": body.aht,
        "answer_within": body.answer_within,
    }
    if body.patience:
        kw["patience"] = body.patience
    if body.agents is not None:
        if body.patience:
            if body.agents == 0:
                raise ValidationFailed("At least one agent.", field="agents")
            return erlang.evaluate_a(agents=body.agents, **kw).as_dict()
        return erlang.evaluate(agents=body.agents, **kw).as_dict()
    fn = erlang.required_a if body.patience else erlang.required
    return fn(service_level=body.service_level, shrinkage=body.shrinkage, floor=body.floor, **kw).as_dict()


@router.get("/forecast", response=list[ForecastOut], summary="Forecast contacts per channel and half-hour")
def forecast(request: HttpRequest, week: date | None = None):
    _manager(request)
    run = latest_run()
    if run is None:
        return []
    start, end = selectors.week_bounds(_monday(week))
    return list(
        ForecastInterval.objects.filter(run=run, starts_at__gte=start, starts_at__lt=end).order_by(
            "starts_at", "channel"
        )
    )


@router.get(
    "/requirement", response=list[NeedOut], summary="Agents required and on duty per half-hour of a week"
)
def requirement(request: HttpRequest, week: date | None = None):
    _manager(request)
    view = selectors.staffing_week(_monday(week))
    return [
        NeedOut(
            starts_at=n.starts_at,
            expected={c: round(v, 3) for c, v in n.expected.items()},
            total=round(n.total, 3),
            peak=n.peak,
            required=n.required,
            on_duty=view.on_duty.get(n.starts_at, 0),
        )
        for n in view.needs
    ]


def _roster_out(roster, *, detail: bool) -> RosterOut:  # noqa: ANN001
    out = RosterOut(
        id=roster.pk,
        team_id=roster.team_id,
        team=roster.team.name,
        week_start=roster.week_start,
        state=roster.state,
        version=roster.version,
    )
    if detail:
        out.entries = [
            EntryOut(
                id=e.pk,
                agent_id=e.agent_id,
                agent=e.agent.name,
                day=e.day,
                pattern=e.pattern.name,
                starts_at=e.starts_at,
                ends_at=e.ends_at,
            )
            for e in roster.entries.select_related("agent", "pattern").order_by("starts_at")
        ]
        out.conflicts = [ConflictOut(**c.__dict__) for c in selectors.conflicts(roster)]
    return out


@router.get("/rosters", response=list[RosterOut], summary="Rosters of a week (next week by default)")
def list_rosters(request: HttpRequest, week: date | None = None):
    user = _agent(request)
    return [
        _roster_out(r, detail=False) for r in selectors.visible_rosters(user).filter(week_start=_monday(week))
    ]


@router.post("/rosters", response=RosterOut, summary="Open (or create) a team's roster for a week")
def create_roster(request: HttpRequest, body: RosterIn):
    user = _manager(request)
    team = Team.objects.filter(pk=body.team_id).first()
    if team is None:
        raise ValidationFailed("Unknown team.", field="team_id")
    return _roster_out(
        services.get_or_create_roster(team=team, week_start=body.week_start, by=user), detail=True
    )


@router.get("/rosters/{roster_id}", response=RosterOut, summary="A roster with its shifts and conflicts")
def get_roster(request: HttpRequest, roster_id: int):
    user = _agent(request)
    roster = selectors.access_roster(user, roster_id)
    out = _roster_out(roster, detail=True)
    if not selectors.can_manage(user):
        out.conflicts = []
    return out


@router.post("/rosters/{roster_id}/shifts", response=EntryOut, summary="Put an agent on a shift")
def add_shift(request: HttpRequest, roster_id: int, body: ShiftIn):
    user = _manager(request)
    roster = selectors.access_roster(user, roster_id)
    agent = User.objects.filter(pk=body.agent_id).first()
    pattern = ShiftPattern.objects.filter(pk=body.pattern_id).first()
    if agent is None:
        raise ValidationFailed("Unknown agent.", field="agent_id")
    if pattern is None:
        raise ValidationFailed("Unknown shift pattern.", field="pattern_id")
    e = services.add_shift(roster, agent=agent, day=body.day, pattern=pattern, by=user, version=body.version)
    return EntryOut(
        id=e.pk,
        agent_id=agent.pk,
        agent=agent.name,
        day=e.day,
        pattern=pattern.name,
        starts_at=e.starts_at,
        ends_at=e.ends_at,
    )


@router.post(
    "/rosters/{roster_id}/publish", response=RosterOut, summary="Publish a roster (409 with its conflicts)"
)
def publish(request: HttpRequest, roster_id: int, body: PublishIn):
    user = _manager(request)
    roster = selectors.access_roster(user, roster_id)
    roster = services.publish_roster(
        roster, by=user, accept_conflicts=body.accept_conflicts, version=body.version
    )
    return _roster_out(roster, detail=False)


@router.post("/swaps", response=SwapOut, summary="Ask to hand one of your shifts to a colleague")
def ask_swap(request: HttpRequest, body: SwapIn):
    user = _agent(request)
    entry = RosterEntry.objects.filter(pk=body.entry_id).select_related("roster").first()
    if entry is None or not selectors.visible_rosters(user).filter(pk=entry.roster_id).exists():
        raise NotFound("Shift not found.")
    to = User.objects.filter(pk=body.to_agent_id).first()
    if to is None:
        raise ValidationFailed("Unknown agent.", field="to_agent_id")
    other = RosterEntry.objects.filter(pk=body.other_entry_id).first() if body.other_entry_id else None
    return services.request_swap(entry, by=user, to=to, other=other, reason=body.reason)


@router.post("/swaps/{swap_id}/decide", response=SwapOut, summary="Approve or reject a swap (supervisors)")
def decide_swap(request: HttpRequest, swap_id: int, body: DecideIn):
    user = _manager(request)
    return services.decide_swap(selectors.access_swap(user, swap_id), by=user, approve=body.approve)
