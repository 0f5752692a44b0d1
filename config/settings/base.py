"""Settings for every environment, read from the environment (django-environ).

With nothing set, itaflow runs on its embedded default: a SQLite file under
var/, Celery tasks in-process, e-mail written to files under var/mail/.
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

from config.observability import logging_config, sentry_init

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"
VAR_DIR.mkdir(exist_ok=True)

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default="itaflow-insecure-development-key-change-me")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "config.admin.PlatformAdminConfig",  # django.contrib.admin, for the platform operator only
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_fsm",
    "simple_history",
    "django_celery_beat",
    "django_htmx",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_prometheus",
    "workflow",
    "approvals",
    "audit",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "config.observability.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "workflow.documents.CurrentReportFiles",  # the newest stored report files, as static files
    "django.contrib.sessions.middleware.SessionMiddleware",
    "workflow.middleware.ThaiFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "approvals.two_factor.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "config.errors.UnstorableInputMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "approvals.context_processors.inbox",
                "approvals.context_processors.me",
            ],
            "builtins": ["workflow.templatetags.thai", "workflow.templatetags.labels"],
        },
    }
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'itaflow.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Keep connections between requests and Celery tasks (a new PostgreSQL connection per
# task costs more than sending the e-mail); checked before reuse.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Behind a pooler in transaction mode (PgBouncer `pool_mode = transaction`) a session's
# server connection changes between transactions: nothing may outlive one. The transition
# path then sends its statements unprepared (config/statements.py) and querysets' iterator()
# uses no server-side cursor. In session mode or direct, leave it off: preparing is faster.
DATABASE_TRANSACTION_POOLING = env.bool("DATABASE_TRANSACTION_POOLING", default=False)
if DATABASE_TRANSACTION_POOLING:
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the dev server and an in-process worker share the file.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        # IMMEDIATE: a transaction takes the write lock when it begins, so two processes
        # (web and a Celery worker) wait for each other instead of failing "database is locked".
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Password reset links (e-mailed through the mail settings below) work for this long.
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT_MINUTES", default=60) * 60
# Two-factor sign-in (TOTP, django-otp): anyone may turn it on; with TWO_FACTOR_REQUIRED the
# people who approve, publish or administer (chief executives and deputies, publishers,
# organization admins, superusers) must, before anything else.
TWO_FACTOR_REQUIRED = env.bool("TWO_FACTOR_REQUIRED", default=False)
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="itaflow")
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

# Thai first, English available.
LANGUAGE_CODE = "th"
LANGUAGES = [("th", _("Thai")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Bangkok"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_BACKEND",
            default="django.contrib.staticfiles.storage.StaticFilesStorage",
        )
    },
}

# E-mail: files under var/mail/ unless EMAIL_URL names an SMTP server.
EMAIL_URL = env.str("EMAIL_URL", default="")
if EMAIL_URL:
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="itaflow <no-reply@itaflow.local>")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)

# Celery: a broker when REDIS_URL is set; otherwise tasks run in-process.
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
# kombu's Redis transport with the restore-after-disconnect crash fixed (config/broker.py).
CELERY_BROKER_TRANSPORT = (
    env.str("CELERY_BROKER_TRANSPORT", default="config.broker:Transport") if REDIS_URL else None
)
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # A task taken by a worker that dies is given to another after this long (acks_late).
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    "unacked_restore_interval": env.int("CELERY_UNACKED_RESTORE_INTERVAL", default=10),
    "unacked_restore_throttle": env.int("CELERY_UNACKED_RESTORE_THROTTLE", default=10),
    # Fail fast when Redis is down: the outbox keeps the message and it is re-dispatched.
    "socket_connect_timeout": env.float("CELERY_SOCKET_CONNECT_TIMEOUT", default=2.0),
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_BEAT_SCHEDULE = {
    "scheduled-publications": {
        "task": "approvals.tasks.scheduled_publications_run",
        "schedule": 60.0,
    },
    "outbox-redispatch": {
        "task": "approvals.tasks.outbox_redispatch",
        "schedule": env.float("NOTIFY_REDISPATCH_EVERY_SECONDS", default=30.0),
    },
    "reminders-daily": {
        "task": "approvals.tasks.reminders_send",
        "schedule": crontab(hour=7, minute=0),
    },
    "digests-daily": {
        "task": "approvals.tasks.digests_send",
        "schedule": crontab(hour=7, minute=30),
    },
    "audit-verify-nightly": {
        "task": "audit.verify_all",
        "schedule": crontab(hour=2, minute=30, day_of_week="mon-sat"),
    },
    "audit-verify-weekly-full": {
        "task": "audit.verify_all",
        "schedule": crontab(hour=2, minute=30, day_of_week="sun"),
        "kwargs": {"full": True},
    },
    "retention-nightly": {
        "task": "approvals.tasks.retention_prune",
        "schedule": crontab(hour=3, minute=30),
    },
}
# How long derived rows are kept (approvals/retention.py); history, the transition log, the
# audit chain and publications are kept for ever. Unread inbox rows and unsent e-mails too.
RETENTION_READ_INBOX_DAYS = env.int("RETENTION_READ_INBOX_DAYS", default=180)
RETENTION_SENT_MESSAGES_DAYS = env.int("RETENTION_SENT_MESSAGES_DAYS", default=90)
RETENTION_DELIVERY_ATTEMPTS_DAYS = env.int("RETENTION_DELIVERY_ATTEMPTS_DAYS", default=90)
RETENTION_BATCH_SIZE = env.int("RETENTION_BATCH_SIZE", default=5000)

# Notifications (approvals.notifications, approvals.delivery).
# A pending outbox message older than this is handed to Celery again (broker down, worker died).
# How long the after-commit publisher waits for more committed messages to hand to Celery
# in the same task: a little latency for far fewer broker round trips when busy.
NOTIFY_PUBLISH_LINGER_SECONDS = env.float("NOTIFY_PUBLISH_LINGER_SECONDS", default=0.02)
# /metrics (config/metrics.py) answers only these client addresses (Prometheus scrapes the
# containers directly); loopback always.
METRICS_ALLOWED_NETWORKS = [
    "127.0.0.0/8",
    "::1/128",
    *env.list("METRICS_ALLOWED_NETWORKS", default=[]),
]
METRICS_VERIFICATION_DAYS = env.int("METRICS_VERIFICATION_DAYS", default=3)
# The public verification page shows the stored check of a publication's audit chain; one
# older than this asks the worker for a new one (services.publication_verification_request).
PUBLIC_VERIFY_REFRESH_SECONDS = env.int("PUBLIC_VERIFY_REFRESH_SECONDS", default=60)

# Readiness (/health/ready/, config/health.py): how fresh a worker's heartbeat must be, how
# long an e-mail may wait unsent, how recently beat must have run its schedule.
HEALTH_WORKER_HEARTBEAT_SECONDS = env.float("HEALTH_WORKER_HEARTBEAT_SECONDS", default=10.0)
HEALTH_WORKER_MAX_AGE_SECONDS = env.int("HEALTH_WORKER_MAX_AGE_SECONDS", default=60)
HEALTH_OUTBOX_MAX_AGE_MINUTES = env.int("HEALTH_OUTBOX_MAX_AGE_MINUTES", default=15)
HEALTH_BEAT_MAX_AGE_SECONDS = env.int("HEALTH_BEAT_MAX_AGE_SECONDS", default=600)
NOTIFY_REDISPATCH_AFTER_SECONDS = env.float("NOTIFY_REDISPATCH_AFTER_SECONDS", default=60.0)
# A message claimed by a worker that died is taken back after this long.
NOTIFY_SEND_LEASE_SECONDS = env.float("NOTIFY_SEND_LEASE_SECONDS", default=120.0)
# Temporary SMTP failures: retried after base, 2×base, 4×base … up to max attempts.
NOTIFY_RETRY_BASE_SECONDS = env.float("NOTIFY_RETRY_BASE_SECONDS", default=60.0)
NOTIFY_RETRY_MAX_SECONDS = env.float("NOTIFY_RETRY_MAX_SECONDS", default=6 * 3600.0)
NOTIFY_MAX_ATTEMPTS = env.int("NOTIFY_MAX_ATTEMPTS", default=6)
# After this many messages given up in a row, an address is disabled and shown to admins.
NOTIFY_MAILBOX_DISABLE_AFTER = env.int("NOTIFY_MAILBOX_DISABLE_AFTER", default=3)
REMINDER_DAYS_BEFORE = env.list("REMINDER_DAYS_BEFORE", cast=int, default=[14, 7, 1])
WAITING_DIGEST_DAYS = env.int("WAITING_DIGEST_DAYS", default=3)

# Evidence files: at most this size; PDF, JPEG, PNG, DOCX, XLSX recognised by content.
EVIDENCE_MAX_BYTES = env.int("EVIDENCE_MAX_BYTES", default=20 * 1024 * 1024)

# The published report's PDF is signed (PAdES) with the deployment's certificate: a PKCS#12
# file, or a PEM certificate and key; the passphrase opens either. Without one, a
# self-signed development certificate is made under SIGNING_DEV_DIR on first use.
SIGNING_PKCS12_FILE = env.str("SIGNING_PKCS12_FILE", default="")
SIGNING_CERT_FILE = env.str("SIGNING_CERT_FILE", default="")
SIGNING_KEY_FILE = env.str("SIGNING_KEY_FILE", default="")
SIGNING_PASSPHRASE = env.str("SIGNING_PASSPHRASE", default="")
SIGNING_DEV_CERTIFICATE = env.bool("SIGNING_DEV_CERTIFICATE", default=True)
SIGNING_DEV_DIR = env.path("SIGNING_DEV_DIR", default=VAR_DIR / "signing")
SIGNING_LOCATION = env.str("SIGNING_LOCATION", default="ประเทศไทย")

REST_FRAMEWORK = {
    # Token first, so a request without credentials gets 401 with WWW-Authenticate.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "config.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "config.api.ApiSchema",
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "config.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "itaflow API",
    "DESCRIPTION": "Integrity and transparency measures: workflow, approval and audit trail.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# Content-Security-Policy on every response (django-csp): scripts, styles, fonts and images
# only from the site itself, no inline script or style, no plug-ins, no framing.
# The API's Redoc page adds what Redoc needs (config.urls).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# How many reverse proxies (nginx, a load balancer) stand in front of the application; the
# client's address is read from X-Forwarded-For through exactly that many (config.security).
TRUSTED_PROXIES = env.int("TRUSTED_PROXIES", default=0)

# Login throttling: one account from one address is locked after AXES_FAILURE_LIMIT bad
# passwords (the rest of an office behind that address is not), the account from every
# address after AXES_ACCOUNT_FAILURE_LIMIT, for AXES_COOLOFF_HOURS.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_ACCOUNT_FAILURE_LIMIT = env.int("AXES_ACCOUNT_FAILURE_LIMIT", default=20)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.5)
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]
AXES_HANDLER = "config.security.LoginThrottle"
AXES_CLIENT_IP_CALLABLE = "config.security.client_ip"
AXES_LOCKOUT_CALLABLE = "config.security.lockout_response"

SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True
SIMPLE_HISTORY_REVERT_DISABLED = True
# Versions are found by item and date (audit.history indexes), never by date alone.
SIMPLE_HISTORY_DATE_INDEX = False
# Every history row and transition is appended to the organization's hash chain.
AUDIT_CHAIN_ENABLED = True

# One line per request and per Celery task with the request id, the user id and the
# organization (config/observability.py); JSON lines when LOG_JSON (production's default).
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOG_JSON = env.bool("LOG_JSON", default=False)
LOGGING = logging_config(level=LOG_LEVEL, json=LOG_JSON)

# Optional error tracking.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env.str("SENTRY_ENVIRONMENT", default="production")
if SENTRY_DSN:
    sentry_init(SENTRY_DSN, environment=SENTRY_ENVIRONMENT, release="itaflow@0.1.0")
