"""The REST API (django-ninja): routers from each app's api.py, OpenAPI at /api/docs."""

from django.http import Http404
from ninja import Router

from kefu.accounts.api import ApiAuth
from kefu.accounts.api import router as accounts_router
from kefu.analytics.api import router as analytics_router
from kefu.automation.api import router as automation_router
from kefu.care.api import router as care_router
from kefu.collaboration.api import router as collaboration_router
from kefu.core.api_support import KefuAPI
from kefu.customers.api import orders_router
from kefu.customers.api import router as customers_router
from kefu.emergency.api import router as emergency_router
from kefu.feedback.api import router as feedback_router
from kefu.knowledge.api import router as knowledge_router
from kefu.mail.api import router as mail_router
from kefu.plans.api import router as plans_router
from kefu.quality.api import router as quality_router
from kefu.routing.api import router as routing_router
from kefu.sla.api import router as sla_router
from kefu.tickets.api import attachments_router
from kefu.tickets.api import router as tickets_router
from kefu.training.api import router as training_router
from kefu.workforce.api import router as workforce_router

DESCRIPTION = """
kefu's REST API. Every answer is JSON; every error is `{code, message, field?}`.

**Authentication.** `Authorization: Bearer <token>` with a personal API token, or the logged-in
browser session (send `X-CSRFToken` on writes). A revoked or expired token answers 401. Access is
the same as in the web UI: a ticket you may not see answers 404, exactly like a missing one.

**Idempotency.** Every POST accepts an `Idempotency-Key` header. A repeat with the same body gets
the first answer back and creates nothing; the same key with a different body answers 422, and a
repeat that arrives while the first is still running answers 409.
Without a key, the same user posting the same body to the same URL within 10 seconds also gets the
first answer back (protection against double submits and blind client retries).

**Concurrency.** `PATCH /tickets/{id}` needs the `version` you read; if someone changed the ticket
since, the answer is 409 `stale_version` naming who changed it and when.

**Rate limits.** Per user and per IP address. Answers carry `RateLimit-Limit`,
`RateLimit-Remaining` and `RateLimit-Reset`; over the limit the answer is 429 with `Retry-After`.

**Limits.** JSON bodies up to 1 MB (413 above), subject ≤ 300 characters, message body ≤ 64,000.
"""

api = KefuAPI(
    title="kefu API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    docs_url="/docs",
    auth=ApiAuth(),
)
api.add_router("/tickets", tickets_router)
api.add_router("/attachments", attachments_router)
api.add_router("/customers", customers_router)
api.add_router("/orders", orders_router)
api.add_router("/kb", knowledge_router)
api.add_router("/mail", mail_router)
api.add_router("/routing", routing_router)
api.add_router("/sla", sla_router)
api.add_router("/automation", automation_router)
api.add_router("/care", care_router)
api.add_router("/feedback", feedback_router)
api.add_router("/metrics", analytics_router)
api.add_router("/plans", plans_router)
api.add_router("/collab", collaboration_router)
api.add_router("/quality", quality_router)
api.add_router("/training", training_router)
api.add_router("/workforce", workforce_router)
api.add_router("/emergency", emergency_router)
api.add_router("/", accounts_router)

# Last: an unknown path under /api/ answers the JSON 404 too, not Django's HTML page.
fallback = Router()


@fallback.api_operation(
    ["GET", "POST", "PUT", "PATCH", "DELETE"], "/{path:rest}", auth=None, include_in_schema=False
)
def unknown_path(request, rest: str):
    raise Http404


api.add_router("/", fallback)
