"""Settings from the environment (django-environ). Nothing set = embedded mode in KEFU_DATA_DIR."""

import importlib
from pathlib import Path

import environ

env = environ.Env()
BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env.str("KEFU_DATA_DIR", default=str(Path.cwd() / "var"))).resolve()
# Help (`kefu help`, `kefu --help`, `kefu <command> --help`) only reads: kefu.cli sets KEFU_HELP_ONLY
# for it, and then no data folder, key file or database is made.
HELP_ONLY = env.bool("KEFU_HELP_ONLY", default=False)
if not HELP_ONLY:
    DATA_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY_FILE = DATA_DIR / "secret_key"


def _secret_key() -> str:
    key = env.str("KEFU_SECRET_KEY", default="")
    if key:
        return key
    # Embedded mode: one random key per data folder, kept so sessions survive a restart.
    if not SECRET_KEY_FILE.exists():
        import secrets

        if HELP_ONLY:
            return secrets.token_urlsafe(50)  # nothing is signed while printing help
        SECRET_KEY_FILE.write_text(secrets.token_urlsafe(50))
        SECRET_KEY_FILE.chmod(0o600)
    return SECRET_KEY_FILE.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env.bool("KEFU_DEBUG", default=False)
ALLOWED_HOSTS = env.list("KEFU_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("KEFU_CSRF_TRUSTED_ORIGINS", default=[])
CSRF_FAILURE_VIEW = "kefu.ops.errors.csrf_failure"
BASE_URL = env.str("KEFU_BASE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "csp",
    "ninja",  # serves Swagger UI for /api/docs from our own static files (works offline)
    "kefu.core",
    "kefu.accounts",
    "kefu.customers",
    "kefu.tickets",
    "kefu.intake",
    "kefu.routing",
    "kefu.sla",
    "kefu.automation",
    "kefu.knowledge",
    "kefu.care",
    "kefu.feedback",
    "kefu.collaboration",
    "kefu.mail",
    "kefu.quality",
    "kefu.training",
    "kefu.workforce",
    "kefu.emergency",
    "kefu.analytics",
    "kefu.plans",
    "kefu.ops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "kefu.core.middleware.RequestSizeLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
    "kefu.core.middleware.DomainErrorMiddleware",
]
if env.bool("KEFU_QUERY_COUNT_HEADER", default=False):  # benchmarks/queue.py counts SQL per request
    MIDDLEWARE.insert(0, "kefu.core.middleware.QueryCountHeaderMiddleware")

ROOT_URLCONF = "kefu.urls"
WSGI_APPLICATION = "kefu.wsgi.application"
ASGI_APPLICATION = "kefu.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "kefu.core.context.kefu",
                "kefu.accounts.context.notifications",
            ],
        },
    },
]

# Database: embedded SQLite (WAL, IMMEDIATE transactions so writers queue instead of
# failing with "database is locked") unless KEFU_DATABASE_URL points elsewhere.
_default_db = f"sqlite:///{DATA_DIR / 'kefu.sqlite3'}"
DATABASES = {"default": env.db_url("KEFU_DATABASE_URL", default=_default_db)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
                "PRAGMA busy_timeout=20000; PRAGMA cache_size=-64000; PRAGMA mmap_size=268435456;"
            ),
        }
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Under ASGI each request's sync code runs in a thread of its own, so a per-thread persistent
    # connection (CONN_MAX_AGE) is opened anew for every request and left behind until it ages out.
    # A pool shared by the process hands each request a ready connection (Django 5.1+, psycopg_pool).
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # a connection that died with a restart is replaced
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": env.int("KEFU_DB_POOL_SIZE", default=20),
        "timeout": env.float("KEFU_DB_POOL_TIMEOUT", default=10.0),
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", 60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "kefu.accounts.backends.EmailOrUsernameBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# A reset link works once (the new password retires it) and for one hour (FAULTS X2).
PASSWORD_RESET_TIMEOUT = 3600
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Login lockout (django-axes): 5 failures per username+IP lock for 15 minutes.
AXES_FAILURE_LIMIT = env.int("KEFU_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 0.25
# Lock an account that fails from many addresses, and an address that tries many accounts.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# The client address is the socket's unless a trusted proxy is configured: a client-sent
# X-Forwarded-For / X-Real-IP never decides lockouts (FAULTS X4). REMOTE_ADDR is the peer, or the
# client a proxy listed in KEFU_TRUSTED_PROXIES forwarded for (uvicorn, set up in kefu.cli).
AXES_IPWARE_META_PRECEDENCE_ORDER = env.list("KEFU_CLIENT_IP_HEADERS", default=["REMOTE_ADDR"])
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
AXES_USERNAME_FORM_FIELD = "username"

SECURE = env.bool("KEFU_SECURE_COOKIES", default=BASE_URL.startswith("https://"))
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if SECURE:
    SECURE_SSL_REDIRECT = env.bool("KEFU_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("KEFU_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("KEFU_HSTS_PRELOAD", default=False)
    SECURE_PROXY_SSL_HEADER = (
        ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("KEFU_BEHIND_PROXY", default=False) else None
    )
    SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

# Content-Security-Policy (django-csp): no inline script anywhere, so an XSS that slips past
# escaping and nh3 still cannot run. Inline styles stay allowed for htmx's indicators.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'", "data:"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

LANGUAGE_CODE = env.str("KEFU_LANGUAGE", default="zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("KEFU_TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
if not HELP_ONLY:
    STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise serves from here after collectstatic; finders before
STATICFILES_DIRS = [BASE_DIR / "static"]  # kefu.css/js and the vendored Tabler, htmx, Alpine, ECharts
MEDIA_ROOT = Path(env.str("KEFU_MEDIA_DIR", default=str(DATA_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Cache (presence, rate limits, idempotency windows) must be shared by every process.
REDIS_URL = env.str("KEFU_REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
        }
    }

# Channels: in-memory when embedded, Redis in production.
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [REDIS_URL]}}
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# Celery: Redis in production; embedded uses kombu's SQLAlchemy transport on a SQLite file.
CELERY_BROKER_URL = env.str(
    "KEFU_BROKER_URL", default=REDIS_URL or f"sqla+sqlite:///{DATA_DIR / 'celery-broker.sqlite3'}"
)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("KEFU_TASKS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
# Webhook receivers are the slow outside world: their tasks go to a queue of their own, consumed by
# a worker of their own (`kefu worker -Q webhooks`; `kefu up` starts one), so a receiver that hangs
# never holds up SLA sweeps, mail or notifications on the default queue (ADR 0007).
CELERY_TASK_ROUTES = {
    "kefu.automation.tasks.send_webhook": {"queue": "webhooks"},
    "kefu.automation.tasks.sweep_webhooks": {"queue": "webhooks"},
}

EMAIL_BACKEND = env.str("KEFU_EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = str(DATA_DIR / "outbox-mail")
EMAIL_HOST = env.str("KEFU_SMTP_HOST", default="127.0.0.1")
EMAIL_PORT = env.int("KEFU_SMTP_PORT", default=25)
DEFAULT_FROM_EMAIL = env.str("KEFU_FROM_EMAIL", default="kefu@example.com")

# Limits (bad input gets a clear 4xx, never a 500).
KEFU_MAX_REQUEST_BYTES = env.int("KEFU_MAX_REQUEST_BYTES", default=30 * 1024 * 1024)
KEFU_MAX_JSON_BYTES = env.int("KEFU_MAX_JSON_BYTES", default=1024 * 1024)
# A request body that stalls this long (no bytes) or is not in after the total is answered 408
# (kefu.core.asgi_limits, before Django reads the body).
KEFU_BODY_TIMEOUT_SECONDS = env.float("KEFU_BODY_TIMEOUT_SECONDS", default=20.0)
KEFU_BODY_TOTAL_SECONDS = env.float("KEFU_BODY_TOTAL_SECONDS", default=300.0)
KEFU_ATTACHMENT_MAX_BYTES = env.int("KEFU_ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
KEFU_API_RATE = env.str("KEFU_API_RATE", default="120/60")  # requests / seconds per token
KEFU_API_RATE_PER_IP = env.str("KEFU_API_RATE_PER_IP", default="300/60")
DATA_UPLOAD_MAX_MEMORY_SIZE = KEFU_MAX_REQUEST_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
KEFU_HOTLINE = env.str("KEFU_HOTLINE", default="400-800-1234")
# Email: the largest inbound message, and the loop brake ("20/5": at most 20 mails from one sender
# in 5 minutes, then quarantined as a loop).
KEFU_MAIL_MAX_BYTES = env.int("KEFU_MAIL_MAX_BYTES", default=25 * 1024 * 1024)
KEFU_MAIL_LOOP_CAP = env.str("KEFU_MAIL_LOOP_CAP", default="20/5")
# ...and the install-wide brake on automatic mail (auto-replies and bounces) per hour.
KEFU_MAIL_AUTO_PER_HOUR = env.int("KEFU_MAIL_AUTO_PER_HOUR", default=300)
# The longest one mail may take to parse; past it the mail is quarantined ("parse timeout").
KEFU_MAIL_PARSE_SECONDS = env.float("KEFU_MAIL_PARSE_SECONDS", default=60.0)
# The authserv-ids of our own MTAs: their Authentication-Results verdict is trusted, and a mail that
# failed DMARC there is quarantined instead of landing on the (forged) sender's tickets.
KEFU_MAIL_TRUSTED_AUTHSERV_IDS = env.list("KEFU_MAIL_TRUSTED_AUTHSERV_IDS", default=[])
# Automation: a chain of trigger-caused changes is cut after this many steps (loop guard).
KEFU_AUTOMATION_MAX_CHAIN = env.int("KEFU_AUTOMATION_MAX_CHAIN", default=5)
KEFU_AUTOMATION_EXPECTED_HOURS = env.int("KEFU_AUTOMATION_EXPECTED_HOURS", default=24)
# Tests only: private addresses a webhook may call. Deliberately not read from the environment,
# so no deployment can switch the SSRF guard off by configuration.
KEFU_WEBHOOK_ALLOWED_PRIVATE_IPS: list[str] = []
# The longest one webhook attempt may take (connect + send + the whole answer); past it the
# attempt is cut, recorded as "deadline exceeded" and retried later.
KEFU_WEBHOOK_DEADLINE_SECONDS = env.float("KEFU_WEBHOOK_DEADLINE_SECONDS", default=30.0)
KEFU_COMPANY = env.str("KEFU_COMPANY", default="kefu 客服中心")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "kefu": {"handlers": ["console"], "level": env.str("KEFU_LOG_LEVEL", default="INFO")},
        "django.request": {"handlers": ["console"], "level": "ERROR"},
    },
}
CELERY_BEAT_SCHEDULE = {
    "purge-idempotency-records": {"task": "kefu.core.tasks.purge_idempotency_records", "schedule": 3600.0},
    "sweep-events": {"task": "kefu.core.tasks.sweep_events", "schedule": 60.0},
}
# Apps bring their periodic jobs in `kefu/<app>/schedule.py` (a plain dict, no Django imports).
for _app in (
    "customers",
    "tickets",
    "mail",
    "routing",
    "sla",
    "automation",
    "knowledge",
    "care",
    "feedback",
    "collaboration",
    "quality",
    "training",
    "workforce",
    "emergency",
    "analytics",
    "plans",
):
    try:
        _schedule = importlib.import_module(f"kefu.{_app}.schedule")
    except ModuleNotFoundError as _err:
        if _err.name != f"kefu.{_app}.schedule":
            raise
    else:
        CELERY_BEAT_SCHEDULE.update(_schedule.BEAT_SCHEDULE)
