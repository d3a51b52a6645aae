"""Request and response bodies of the training API (names prefixed: one OpenAPI component each)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from ninja import Field, Schema

# A row id a database can hold (a larger number is refused as invalid input, 422).
Id = Annotated[int, Field(ge=1, le=2**62)]


class TrainingModuleIn(Schema):
    kind: str = Field(description="reading, practice or assessment")
    title: str
    instructions: str = ""
    article_id: Id | None = Field(None, description="knowledge-base article or case (reading, practice)")
    assessment_id: Id | None = None


class TrainingCourseIn(Schema):
    title: str
    track: str = Field(description="new_hire, experienced or senior")
    topic: str = Field(description="basic or advanced")
    description: str = ""
    modules: list[TrainingModuleIn] = Field(description="at least one")


class TrainingModuleOut(Schema):
    id: int
    order: int
    kind: str
    title: str
    article_id: int | None
    assessment_id: int | None


class TrainingCourseOut(Schema):
    id: int
    title: str
    track: str
    topic: str
    description: str
    modules: list[TrainingModuleOut]


class TrainingEnrolIn(Schema):
    due_on: date
    role: str = Field("", description="enrol every active agent of this role")
    user_ids: list[Id] = Field(default_factory=list, description="or these people by hand")


class TrainingCount(Schema):
    created: int


class TrainingEnrolmentOut(Schema):
    id: int
    course_id: int
    course: str
    due_on: date
    completed_at: datetime | None
    modules_done: int
    modules_total: int


class TrainingAttemptOut(Schema):
    id: int
    assessment_id: int
    user_id: int
    number: int
    status: str = Field(description="open, marking, passed or failed")
    score: float | None
    submitted_at: datetime | None
    marked_at: datetime | None


class TrainingProgressOut(Schema):
    user_id: int
    enrolments: list[TrainingEnrolmentOut]
    attempts: list[TrainingAttemptOut]


class TrainingQuestionIn(Schema):
    kind: str = Field(description="single, multiple or short")
    text: str
    choices: list[str] = Field(default_factory=list)
    correct: list[int] = Field(default_factory=list, description="indexes of the correct choices")
    points: int = 1


class TrainingAssessmentIn(Schema):
    title: str
    kind: str = Field(description="quiz or scenario")
    pass_mark: int | None = Field(None, description="percent, 1–100; required")
    max_attempts: int = 3
    questions: list[TrainingQuestionIn] = Field(default_factory=list)
    turns: list[str] = Field(default_factory=list, description="scripted customer turns (scenario)")
    case_id: Id | None = None
    scorecard_id: Id | None = Field(None, description="the QA scorecard a reviewer scores a scenario with")


class TrainingQuestionOut(Schema):
    id: int
    kind: str
    text: str
    choices: list[str]
    points: int


class TrainingTurnOut(Schema):
    id: int
    order: int
    customer_text: str


class TrainingAssessmentOut(Schema):
    id: int
    title: str
    kind: str
    pass_mark: int
    max_attempts: int
    case_id: int | None
    questions: list[TrainingQuestionOut]
    turns: list[TrainingTurnOut]


class TrainingAnswersIn(Schema):
    answers: dict[str, Any] = Field(
        description='{"q<question id>": index | [indexes] | text, "t<turn id>": reply}'
    )


class TrainingMarksIn(Schema):
    marks: dict[str, Any] = Field(
        description='short answers: {"q<id>": points}; scenario: {"<scorecard item id>": "yes"|"no"|"na"|1..5}'
    )
    note: str = ""


class TrainingOnboardingIn(Schema):
    user_id: Id
    programme_id: Id | None = Field(None, description="the default four-week programme when empty")
    senior_id: Id | None = None
    mentor_id: Id | None = None
    supervisor_id: Id | None = None
    started_on: date


class TrainingStageOut(Schema):
    id: int
    order: int
    kind: str
    title: str
    starts_on: date
    ends_on: date
    daily_ticket_quota: int
    signoff_by: str
    signed_by_id: int | None
    signed_at: datetime | None
    current: bool


class TrainingOnboardingOut(Schema):
    id: int
    user_id: int
    mentor_id: int | None
    senior_id: int | None
    started_on: date
    status: str
    days: int | None
    stages: list[TrainingStageOut]


class TrainingSignoffIn(Schema):
    stage_id: Id
    note: str = ""


class TrainingFeedbackIn(Schema):
    note: str
    tickets: int = 0


class TrainingDecisionIn(Schema):
    confirmed: bool
    note: str = ""


class TrainingPairIn(Schema):
    mentor_id: Id
    mentee_id: Id


class TrainingPairOut(Schema):
    id: int
    mentor_id: int
    mentee_id: int
    over_limit: bool
    warning: str


class TrainingEligibilityOut(Schema):
    user_id: int
    eligible: bool
    years: int
    csat: float | None
    qa_score: float | None
    reasons: list[str]


class TrainingLineOut(Schema):
    key: str
    name: str
    unit: str
    value: float | None
    target: float
    met: bool | None
    measured: bool


class TrainingScorecardOut(Schema):
    user_id: int
    month: str
    lines: list[TrainingLineOut]


class TrainingSessionIn(Schema):
    kind: str = Field(description="workshop, class or mentor_meeting")
    title: str
    starts_at: datetime
    user_ids: list[Id]
    course_id: Id | None = None
    notes: str = ""


class TrainingSessionOut(Schema):
    id: int
    kind: str
    title: str
    starts_at: datetime
    notes: str


class TrainingAttendanceIn(Schema):
    present_ids: list[Id]
    notes: str | None = None


class TrainingTeamFigureOut(Schema):
    team_id: int
    team: str
    coverage: float | None
    trained: int
    due: int
    pass_rate: float | None


class TrainingCaseTaskOut(Schema):
    id: int
    user_id: int
    quarter: str
    due_on: date
    article_id: int | None
    done_at: datetime | None
