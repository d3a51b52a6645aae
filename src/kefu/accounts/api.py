"""API authentication (Bearer token or browser session) and the agents / teams endpoints.

Who the caller is and what they may do is read from the database on every request, so a
revoked token or a role downgrade (`change_role`) takes effect on the very next call.
"""

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.security import HttpBearer
from ninja.utils import check_csrf

from kefu.core.errors import PermissionDenied
from kefu.core.ratelimit import hit

from . import selectors
from .errors import TokenInvalid
from .models import User
from .services import authenticate_token

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def client_ip(request: HttpRequest) -> str:
    # Only the socket address: X-Forwarded-For and friends are client-controlled (FAULTS X4).
    return request.META.get("REMOTE_ADDR", "") or "unknown"


class ApiAuth(HttpBearer):
    """`Authorization: Bearer <token>`, or the logged-in browser session (CSRF checked on writes).

    Also counts the request against the per-IP and per-user rate limits.
    """

    openapi_description = (
        "A personal API token: `Authorization: Bearer kf_…`. The browser session also works."
    )

    def __call__(self, request: HttpRequest) -> User | None:
        request.kefu_rate_window = hit(f"ip:{client_ip(request)}", settings.KEFU_API_RATE_PER_IP)
        header = request.headers.get("Authorization", "")
        if header:
            scheme, _sep, secret = header.partition(" ")
            if scheme.lower() != "bearer" or not secret.strip():
                raise TokenInvalid(_("Use 'Authorization: Bearer <token>'."))
            user = authenticate_token(secret.strip())
        else:
            user = self._session_user(request)
        if user is None:
            return None
        request.kefu_rate_window = hit(f"user:{user.pk}", settings.KEFU_API_RATE)
        return user

    def authenticate(
        self, request: HttpRequest, token: str
    ) -> User | None:  # required by HttpBearer; __call__ above handles every request
        return authenticate_token(token)

    @staticmethod
    def _session_user(request: HttpRequest) -> User | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_active:
            return None
        if request.method not in SAFE_METHODS and check_csrf(request) is not None:
            raise PermissionDenied(_("CSRF check failed: send the X-CSRFToken header."), code="csrf_failed")
        return user


def require_staff(user: User) -> None:
    if not (user.is_agent or user.is_department_member):
        raise PermissionDenied(_("Only staff can do this."))


# --------------------------------------------------------------------------- schemas


class MeOut(Schema):
    id: int
    username: str
    name: str
    email: str
    role: str
    language: str
    team_ids: list[int]
    department_id: int | None
    customer_id: int | None


class AgentOut(Schema):
    id: int
    name: str
    role: str
    team_ids: list[int]
    seniority: int


class TeamOut(Schema):
    id: int
    name: str
    email: str
    lead_id: int | None
    member_ids: list[int]


# --------------------------------------------------------------------------- endpoints

router = Router(tags=["accounts"])


@router.get("/me", response={200: MeOut}, summary="The authenticated user")
def me(request: HttpRequest):
    user: User = request.auth
    customer = getattr(user, "customer", None)
    return MeOut(
        id=user.pk,
        username=user.username,
        name=user.name,
        email=user.email,
        role=user.role,
        language=user.language,
        team_ids=selectors.team_ids_of(user),
        department_id=user.department_id,
        customer_id=customer.pk if customer else None,
    )


@router.get("/agents", response={200: list[AgentOut]}, summary="List active agents (staff only)")
def list_agents(request: HttpRequest):
    require_staff(request.auth)
    return [
        AgentOut(
            id=a.pk, name=a.name, role=a.role, team_ids=[t.pk for t in a.teams.all()], seniority=a.seniority
        )
        for a in selectors.list_agents().prefetch_related("teams")
    ]


@router.get("/teams", response={200: list[TeamOut]}, summary="List teams (staff only)")
def list_teams(request: HttpRequest):
    require_staff(request.auth)
    return [
        TeamOut(
            id=t.pk, name=t.name, email=t.email, lead_id=t.lead_id, member_ids=[m.pk for m in t.members.all()]
        )
        for t in selectors.list_teams().prefetch_related("members")
    ]
