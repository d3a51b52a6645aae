"""The Celery app: Redis broker in production, kombu's SQLAlchemy transport on SQLite when embedded.

Queues: the default queue (`celery`) carries SLA sweeps, mail, notifications and event handlers;
`webhooks` carries the webhook deliveries (CELERY_TASK_ROUTES in settings), consumed by a worker of
its own so a slow receiver cannot stall the rest (ADR 0007). `kefu up` starts both workers.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")

app = Celery("kefu")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

WEBHOOK_QUEUE = "webhooks"


def default_queue() -> str:
    return str(app.conf.task_default_queue)


def all_queues() -> list[str]:
    """The default queue and every queue a route names: what one worker consumes unless told (-Q)."""
    names = [default_queue()]
    routes = app.conf.task_routes or {}
    for route in routes.values() if isinstance(routes, dict) else ():
        queue = route.get("queue") if isinstance(route, dict) else None
        if queue and queue not in names:
            names.append(queue)
    return names
