"""REST endpoints of the collaboration app (mounted at /api/collab/).

Access: a department member reaches only their department's tasks on tickets shared with it, and
an agent the tasks of tickets they may see (supervisors: all). Anything else answers 404, exactly
like a missing id. Changes are compare-and-set: a second accept or decision answers 409."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from kefu.accounts.models import Department
from kefu.tickets.selectors import access_ticket

from . import approvals, review, selectors, services, syncs
from .errors import NotFound, PermissionDenied
from .models import DelayCause, MilestoneKind, Task, TaskKind

router = Router(tags=["collaboration"])


def _user(request: HttpRequest):  # noqa: ANN202
    user = request.auth  # type: ignore[attr-defined]
    if not selectors.can_use(user):
        raise NotFound("Not found.")
    return user


def _agent(request: HttpRequest):  # noqa: ANN202
    user = request.auth  # type: ignore[attr-defined]
    if not selectors.is_agent(user):
        raise NotFound("Not found.")
    return user


class MilestoneOut(Schema):
    id: int
    kind_id: int
    name: str
    happened_at: datetime
    recorded_at: datetime
    target_at: datetime
    on_time: bool
    replied: bool


class TaskOut(Schema):
    id: int
    ticket_id: int
    department_id: int
    kind_id: int
    kind: str
    description: str
    status: str = Field(description="requested, accepted, done, rejected")
    created_at: datetime
    due_at: datetime
    accepted_at: datetime | None
    finished_at: datetime | None
    reason: str
    delay_cause: str
    blocked: bool
    escalated_at: datetime | None
    late: bool
    milestones: list[MilestoneOut] = []


def _task_out(task: Task, *, with_milestones: bool = False) -> TaskOut:
    milestones = []
    if with_milestones:
        milestones = [
            MilestoneOut(
                id=m.pk,
                kind_id=m.kind_id,
                name=m.kind.name,
                happened_at=m.happened_at,
                recorded_at=m.recorded_at,
                target_at=m.target_at,
                on_time=m.on_time,
                replied=m.replied,
            )
            for m in task.milestones.select_related("kind")
        ]
    return TaskOut(
        id=task.pk,
        ticket_id=task.ticket_id,
        department_id=task.department_id,
        kind_id=task.kind_id,
        kind=task.kind.name,
        description=task.description,
        status=task.status,
        created_at=task.created_at,
        due_at=task.due_at,
        accepted_at=task.accepted_at,
        finished_at=task.finished_at,
        reason=task.reason,
        delay_cause=task.delay_cause.name if task.delay_cause_id else "",
        blocked=task.blocked,
        escalated_at=task.escalated_at,
        late=task.is_late(),
        milestones=milestones,
    )


class TaskIn(Schema):
    department_id: int
    kind_id: int
    description: str


class DoneIn(Schema):
    delay_cause_id: int | None = None


class RejectIn(Schema):
    reason: str = ""


class CauseIn(Schema):
    delay_cause_id: int


class BlockedIn(Schema):
    blocked: bool
    note: str = ""


class MilestoneIn(Schema):
    kind_id: int
    happened_at: datetime | None = Field(None, description="when it happened (default: now)")
    reply: bool = True


def _cause(cause_id: int | None) -> DelayCause | None:
    if cause_id is None:
        return None
    found = DelayCause.objects.filter(pk=cause_id, active=True).first()
    if found is None:
        raise NotFound("Unknown delay cause.", field="delay_cause_id")
    return found


@router.get("/tasks", response=list[TaskOut], summary="Department tasks you may see")
def list_tasks(request: HttpRequest, department: int | None = None, open: bool = False):  # noqa: A002
    user = _user(request)
    return [_task_out(t) for t in selectors.list_tasks(user, department_id=department, open_only=open)[:500]]


@router.get("/tasks/{task_id}", response=TaskOut, summary="One task with its milestones")
def get_task(request: HttpRequest, task_id: int):
    return _task_out(selectors.access_task(_user(request), task_id), with_milestones=True)


@router.post("/tickets/{ticket_id}/tasks", response={201: TaskOut}, summary="Ask a department for something")
def request_task(request: HttpRequest, ticket_id: int, body: TaskIn):
    user = _agent(request)
    ticket = access_ticket(user, ticket_id)
    department = Department.objects.filter(pk=body.department_id).first()
    if department is None:
        raise NotFound("Unknown department.", field="department_id")
    kind = TaskKind.objects.filter(pk=body.kind_id, department=department).first()
    if kind is None:
        raise NotFound("Unknown task kind for this department.", field="kind_id")
    task = services.request_task(
        ticket, department=department, kind=kind, description=body.description, by=user
    )
    return Status(201, _task_out(task))


@router.post("/tasks/{task_id}/accept", response=TaskOut, summary="Accept a task (department member)")
def accept_task(request: HttpRequest, task_id: int):
    user = _user(request)
    return _task_out(services.accept_task(selectors.access_task(user, task_id), by=user))


@router.post("/tasks/{task_id}/done", response=TaskOut, summary="Mark a task done (a late one names a cause)")
def complete_task(request: HttpRequest, task_id: int, body: DoneIn):
    user = _user(request)
    task = selectors.access_task(user, task_id)
    return _task_out(services.complete_task(task, by=user, cause=_cause(body.delay_cause_id)))


@router.post("/tasks/{task_id}/reject", response=TaskOut, summary="Reject a task with a reason")
def reject_task(request: HttpRequest, task_id: int, body: RejectIn):
    user = _user(request)
    return _task_out(services.reject_task(selectors.access_task(user, task_id), by=user, reason=body.reason))


@router.post("/tasks/{task_id}/cause", response=TaskOut, summary="Name the cause of a late task")
def set_cause(request: HttpRequest, task_id: int, body: CauseIn):
    user = _user(request)
    task = selectors.access_task(user, task_id)
    cause = _cause(body.delay_cause_id)
    assert cause is not None
    return _task_out(services.set_delay_cause(task, cause=cause, by=user))


@router.post("/tasks/{task_id}/blocked", response=TaskOut, summary="Mark a task blocked or going again")
def set_blocked(request: HttpRequest, task_id: int, body: BlockedIn):
    user = _user(request)
    task = selectors.access_task(user, task_id)
    return _task_out(services.set_blocked(task, blocked=body.blocked, by=user, note=body.note))


@router.post("/tasks/{task_id}/milestones", response={201: MilestoneOut}, summary="Record a milestone")
def record_milestone(request: HttpRequest, task_id: int, body: MilestoneIn):
    user = _user(request)
    task = selectors.access_task(user, task_id)
    kind = MilestoneKind.objects.filter(pk=body.kind_id, department_id=task.department_id).first()
    if kind is None:
        raise NotFound("Unknown milestone.", field="kind_id")
    m = services.record_milestone(task, kind=kind, by=user, happened_at=body.happened_at, reply=body.reply)
    return Status(
        201,
        MilestoneOut(
            id=m.pk,
            kind_id=kind.pk,
            name=kind.name,
            happened_at=m.happened_at,
            recorded_at=m.recorded_at,
            target_at=m.target_at,
            on_time=m.on_time,
            replied=m.replied,
        ),
    )


# --------------------------------------------------------------------------- approvals


class ApprovalOut(Schema):
    id: int
    ticket_id: int
    kind: str
    description: str
    amount: Decimal | None
    approver_id: int
    requested_by_id: int
    created_at: datetime
    due_at: datetime | None
    status: str
    decided_at: datetime | None
    reason: str


class ApprovalIn(Schema):
    kind: str = Field(description="refund, key_customer, green_channel")
    description: str
    amount: Decimal | None = None


class DecisionIn(Schema):
    approve: bool
    reason: str = ""


@router.get("/approvals", response=list[ApprovalOut], summary="Approvals (pending ones with pending=1)")
def list_approvals(request: HttpRequest, pending: bool = False):
    return list(selectors.list_approvals(_agent(request), pending_only=pending)[:500])


@router.post("/tickets/{ticket_id}/approvals", response={201: ApprovalOut}, summary="Ask for an approval")
def request_approval(request: HttpRequest, ticket_id: int, body: ApprovalIn):
    user = _agent(request)
    ticket = access_ticket(user, ticket_id)
    return Status(
        201,
        approvals.request_approval(
            ticket, kind=body.kind, description=body.description, amount=body.amount, by=user
        ),
    )


@router.post(
    "/approvals/{approval_id}/decide", response=ApprovalOut, summary="Approve or reject (with a reason)"
)
def decide(request: HttpRequest, approval_id: int, body: DecisionIn):
    user = _agent(request)
    approval = selectors.access_approval(user, approval_id)
    return approvals.decide(approval, approve=body.approve, reason=body.reason, by=user)


# --------------------------------------------------------------------------- syncs and review


class SyncItemOut(Schema):
    id: int
    task_id: int
    section: str
    department_mark: str
    service_mark: str


class SyncOut(Schema):
    id: int
    department_id: int
    slot: datetime
    items: list[SyncItemOut]


class MarkIn(Schema):
    mark: str = Field(description="seen or updated")


@router.get("/syncs/{sync_id}", response=SyncOut, summary="One sync's digest and its marks")
def get_sync(request: HttpRequest, sync_id: int):
    user = _user(request)
    sync = selectors.access_sync(user, sync_id)
    items = [
        SyncItemOut(
            id=i.pk,
            task_id=i.task_id,
            section=i.section,
            department_mark=i.department_mark,
            service_mark=i.service_mark,
        )
        for i in selectors.sync_items(user, sync)
    ]
    return SyncOut(id=sync.pk, department_id=sync.department_id, slot=sync.slot, items=items)


@router.post(
    "/syncs/items/{item_id}/mark", response=SyncItemOut, summary="Mark a digest item seen or updated"
)
def mark_item(request: HttpRequest, item_id: int, body: MarkIn):
    user = _user(request)
    item = syncs.mark_item(selectors.access_sync_item(user, item_id), mark=body.mark, by=user)
    return SyncItemOut(
        id=item.pk,
        task_id=item.task_id,
        section=item.section,
        department_mark=item.department_mark,
        service_mark=item.service_mark,
    )


class CauseRowOut(Schema):
    name: str
    count: int
    share: float
    last_month: int
    example_task_ids: list[int]


class StepOut(Schema):
    name: str
    count: int
    working_hours: float


class ReviewOut(Schema):
    department_id: int
    month: str
    due: int
    on_time: int
    late: int
    on_time_rate: float | None
    last_month_on_time_rate: float | None
    steps: list[StepOut]
    causes: list[CauseRowOut]


def review_department(user, department_id: int) -> Department:  # noqa: ANN001
    """Supervisors review any department; a member only their own; others: 404."""
    department = Department.objects.filter(pk=department_id).first()
    if department is None:
        raise NotFound("Not found.")
    if selectors.can_manage(user):
        return department
    if selectors.is_member(user) and user.department_id == department.pk:
        return department
    if selectors.is_agent(user):
        raise PermissionDenied("Supervisors only.")
    raise NotFound("Not found.")


@router.get("/review", response=ReviewOut, summary="Monthly delay-cause review of a department")
def monthly_review(request: HttpRequest, department: int, month: str):
    user = _user(request)
    found = review.monthly_review(review_department(user, department), month=month)
    return ReviewOut(
        department_id=department,
        month=found.month,
        due=found.figures.due,
        on_time=found.figures.on_time,
        late=found.figures.late,
        on_time_rate=found.figures.on_time_rate,
        last_month_on_time_rate=found.before.on_time_rate,
        steps=[
            StepOut(name=s.name, count=s.count, working_hours=round(s.working_hours, 2)) for s in found.steps
        ],
        causes=[
            CauseRowOut(
                name=c.name,
                count=c.count,
                share=c.share,
                last_month=c.last_month,
                example_task_ids=[t.pk for t in c.examples],
            )
            for c in found.causes
        ],
    )
