"""Qadam settings: read from the environment once, with defaults that run the demo with nothing
installed (SQLite, tasks in-process). Every variable is listed in .env.example."""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

from core.redis_url import cache_url_for

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")

DJANGO_ENV = env("DJANGO_ENV", default="development")
PRODUCTION = DJANGO_ENV == "production"

if PRODUCTION:
    SECRET_KEY = env("SECRET_KEY")
else:
    SECRET_KEY = env(
        "SECRET_KEY", default="dev-only-insecure-key-3f9a6c1e8b7d2f4a0c5e9b1d7a3f6c8e2b4d"
    )
DEBUG = env.bool("DEBUG", default=not PRODUCTION)
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",  # its widget templates, for FORM_RENDERER below
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "django_filters",
    "simple_history",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "bootstrap",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served as our own static files
    "core",  # cleans control characters out of every text field saved (core/text_guard.py)
    "accounts",
    "regions",
    "trainings",
    "participants",
    "reports",
    # Feature apps, on top of the domain apps above (docs/architecture.md).
    "followup",  # follow-up surveys months after a training (docs/decisions/0025)
    "closing",  # the quarterly close (completeness, submit/approve/return/unlock)
    "dashboard",
    "manage",  # the reference-data pages (/manage/) and the regions admin
    "demo",  # seed_demo and generate_synthetic
    "api",  # the REST API (/api/v1/), its tokens and its docs (docs/api.md)
    "webhooks",  # signed webhooks through an outbox (/manage/webhooks/, docs/api.md)
    "kobo",  # KoboToolbox submissions flowing in (/kobo/, docs/api.md)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "accounts.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything reads the request: strips control characters, NUL bytes and bidi
    # overrides from query strings, forms, cookies and headers (core/text_middleware.py).
    "core.text_middleware.CleanInputMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "accounts.middleware.SlidingSessionMiddleware",  # logout after inactivity
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.two_factor.OTPRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # "Your export is ready" on the next page, for users waiting for one (session-flagged).
    "participants.export_middleware.ExportNoticeMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the "locked out" page.
    "axes.middleware.AxesMiddleware",
]

# Widgets render through the project's template engine, so templates/django/forms/ can
# replace one of Django's widget templates (the select: docs/performance.md).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

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
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "accounts.context_processors.scope",
            ],
        },
    },
]

# Database: SQLite file in the project unless DATABASE_URL says otherwise.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so a Celery worker started by the tests can open the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "test_db.sqlite3")}
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    # Reach's unique constraint and an index of the people carry columns for PostgreSQL's
    # index-only scans (INCLUDE), which SQLite cannot: they go without them there, and the
    # summaries' SQLite path keeps each person once itself (participants/summaries.py).
    SILENCED_SYSTEM_CHECKS = ["models.W039", "models.W040"]
    # Django's backend, but numbers beyond SQLite's integers compare instead of failing.
    DATABASES["default"]["ENGINE"] = "config.sqlite_backend"
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if "postgresql" in DATABASES["default"]["ENGINE"]:
        # PostgreSQL's JIT compiler starts on queries whose estimated cost is high (correlated
        # counts over big tables) and spent 130-500 ms compiling queries that then ran in less:
        # off for this app's short queries (docs/performance.md).
        DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# django-axes first: it refuses a login while the username+IP is locked out, before any
# password is checked. Every failed and successful login is stored (axes AccessAttempt/AccessLog).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Languages: Kazakh, Russian, English.
LANGUAGE_CODE = env("LANGUAGE_CODE", default="en")
LANGUAGES = [("kk", _("Kazakh")), ("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["config.formats"]  # English dates day-first (en-GB style)
TIME_ZONE = env("TIME_ZONE", default="Asia/Almaty")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"  # never served: files leave through views that check access
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Mail from one URL (django-environ): smtp://user:password@host:25, smtp+tls://...:587
# (STARTTLS), smtp+ssl://...:465; consolemail:// prints mails (the demo's and the tests'
# default). Sets EMAIL_BACKEND, EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER/PASSWORD, EMAIL_USE_TLS/SSL.
EMAIL_CONFIG = env.email_url(
    "EMAIL_URL", default="smtp://localhost:25" if PRODUCTION else "consolemail://"
)
vars().update(EMAIL_CONFIG)
# A mail server that does not answer is given up on (and the mail retried later), rather than
# holding a worker.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="qadam@localhost")
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

# Celery: Redis when REDIS_URL is set; otherwise tasks run in-process so the demo needs nothing.
REDIS_URL = env("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", default="qadam")
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 3600
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A broker that does not answer is given up on quickly (the run or batch waits, recorded, and
# is sent again by the recovery task), instead of holding a page for the OS's TCP timeout.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "socket_connect_timeout": 2}
CELERY_TIMEZONE = TIME_ZONE
# Background work (report runs, big imports; docs/reports-pipeline.md): a task at work touches
# its row every TASK_HEARTBEAT_SECONDS; one with no sign of life for TASK_STALE_AFTER seconds
# has lost its worker (or, still queued, its message: Redis lost it) and is sent again, up to
# TASK_MAX_ATTEMPTS times, then failed with the reason. The recovery runs every
# TASK_RECOVERY_SECONDS (beat), so a killed worker is noticed within about a minute.
TASK_HEARTBEAT_SECONDS = env.float("TASK_HEARTBEAT_SECONDS", default=10)
TASK_STALE_AFTER = env.int("TASK_STALE_AFTER", default=45)
TASK_MAX_ATTEMPTS = env.int("TASK_MAX_ATTEMPTS", default=3)
TASK_RECOVERY_SECONDS = env.int("TASK_RECOVERY_SECONDS", default=15)
# List exports (participants/exports.py, export_jobs.py): a GET answers directly up to this many
# rows (well under a second of work); the export buttons always make a background job, whose
# progress is written every EXPORT_PROGRESS_ROWS rows and whose file is kept EXPORT_KEEP_DAYS.
EXPORT_DIRECT_MAX_ROWS = env.int("EXPORT_DIRECT_MAX_ROWS", default=5000)
EXPORT_PROGRESS_ROWS = env.int("EXPORT_PROGRESS_ROWS", default=5000)
EXPORT_KEEP_DAYS = env.int("EXPORT_KEEP_DAYS", default=7)
# Tests only: seconds a report build pauses at each stage (time to kill its worker).
REPORT_STAGE_DELAY = env.float("REPORT_STAGE_DELAY", default=0)
# PostgreSQL memory for each sort or hash while a report is built (core/dbsession.py): the
# server's default 4 MB made the quarter's attendance sorts spill to disk. With 64 MB the
# attended pairs hashed all of the attendance (3.2 s at 5x) instead of probing its index (2.3 s);
# 16 MB keeps the index (docs/performance.md). "" keeps the default.
REPORT_WORK_MEM = env("REPORT_WORK_MEM", default="16MB")

# Periodic tasks (`make beat`): the quarterly report draft is checked daily (it is created once
# per quarter), and so are planned events people attended; report runs and imports whose
# worker or message was lost are recovered often.
CELERY_BEAT_SCHEDULE = {
    "reports-quarterly-draft": {
        "task": "reports.draft_quarterly_report",
        "schedule": crontab(hour=6, minute=15),
    },
    # Attendance recorded ahead of a session makes its planned event held once the day has
    # come (docs/decisions/0010); attendance recorded on the day or later does it at once.
    "trainings-hold-attended-events": {
        "task": "trainings.hold_attended_events",
        "schedule": crontab(hour=6, minute=5),
    },
    # The quarterly close's mail (closing/notifications.py): the weekly digest on Monday
    # morning, reminders to regions that have not submitted (they are sent once each), and
    # mails a worker could not send at once, retried.
    "closing-weekly-digest": {
        "task": "closing.send_weekly_digest",
        "schedule": crontab(day_of_week=1, hour=7, minute=0),
    },
    "closing-quarter-reminders": {
        "task": "closing.send_quarter_reminders",
        "schedule": crontab(hour=7, minute=30),
    },
    "closing-send-pending-notifications": {
        "task": "closing.send_pending_notifications",
        "schedule": timedelta(minutes=10),
    },
    # Follow-up surveys (followup/services.py): rounds that fell due and the one reminder,
    # daily; links a worker could not send at once, retried.
    "followup-daily": {
        "task": "followup.run_daily",
        "schedule": crontab(hour=10, minute=0),
    },
    "followup-send-pending": {
        "task": "followup.send_pending",
        "schedule": timedelta(minutes=10),
    },
    # Webhook deliveries whose retry has come, or whose task never reached a worker.
    "webhooks-deliver-due": {
        "task": "webhooks.deliver_due",
        "schedule": timedelta(minutes=1),
    },
    "reports-recover-stale-runs": {
        "task": "reports.recover_stale_runs",
        "schedule": timedelta(seconds=TASK_RECOVERY_SECONDS),
    },
    "imports-recover-stale-batches": {
        "task": "imports.recover_stale_batches",
        "schedule": timedelta(seconds=TASK_RECOVERY_SECONDS),
    },
    # Export jobs whose worker or message was lost; expired export files (participants/
    # export_jobs.py).
    "exports-recover-and-clean": {
        "task": "exports.recover_and_clean",
        "schedule": timedelta(seconds=TASK_RECOVERY_SECONDS),
    },
    # Kobo submissions received but never applied (the broker was down when they came in).
    "kobo-send-received": {
        "task": "kobo.send_received",
        "schedule": timedelta(seconds=TASK_RECOVERY_SECONDS),
    },
}

# The cache is an optimisation (core/cache.py): short timeouts, so a Redis that hangs costs a
# page half a second once, then the cache is skipped for a few seconds.
# It has its own Redis database (CACHE_URL, by default the broker's server, next database), so
# clearing the cache never wipes the broker's queues.
CACHE_URL = env("CACHE_URL", default=cache_url_for(REDIS_URL))
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1},
        }
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
# Longest time a cached aggregate (dashboard figures, regions page counts) is served after a
# change no signal saw (core/dataversion.py).
DASHBOARD_CACHE_SECONDS = env.int("DASHBOARD_CACHE_SECONDS", default=600)

# The first year the period menus (dashboard, report requests) offer (core/periods.py).
PERIOD_FIRST_YEAR = env.int("PERIOD_FIRST_YEAR", default=2020)

# Reminders of the quarterly close to regions that have not submitted: this many days before
# the quarter ends, and this many days after it ended.
CLOSE_REMINDER_DAYS_BEFORE = env.int("CLOSE_REMINDER_DAYS_BEFORE", default=7)
CLOSE_REMINDER_DAYS_AFTER = env.int("CLOSE_REMINDER_DAYS_AFTER", default=3)
# A notification mail the server refused is tried again up to this many times.
NOTIFICATION_MAX_ATTEMPTS = env.int("NOTIFICATION_MAX_ATTEMPTS", default=5)
# Follow-up surveys (docs/decisions/0025): a personal link works FOLLOWUP_LINK_DAYS days, is
# reminded of once after FOLLOWUP_REMINDER_DAYS; a round's day missed by the beat is made up
# within FOLLOWUP_CATCH_UP_DAYS (older events are never asked). FOLLOWUP_SMS_BACKEND: dotted
# path of an SMS backend class (none bundled; the console one logs), empty for no SMS.
FOLLOWUP_LINK_DAYS = env.int("FOLLOWUP_LINK_DAYS", default=30)
FOLLOWUP_REMINDER_DAYS = env.int("FOLLOWUP_REMINDER_DAYS", default=7)
FOLLOWUP_CATCH_UP_DAYS = env.int("FOLLOWUP_CATCH_UP_DAYS", default=14)
FOLLOWUP_MAX_ATTEMPTS = env.int("FOLLOWUP_MAX_ATTEMPTS", default=5)
FOLLOWUP_SMS_BACKEND = env(
    "FOLLOWUP_SMS_BACKEND", default="" if PRODUCTION else "followup.sms.ConsoleBackend"
)

# Webhooks (docs/api.md): seconds to wait for a receiver; a failed delivery is tried again
# after WEBHOOK_RETRY_BASE_SECONDS, then 5x, 25x, ... that (a day at most), up to
# WEBHOOK_MAX_ATTEMPTS tries in all, then marked failed (an admin can replay it).
WEBHOOK_TIMEOUT = env.float("WEBHOOK_TIMEOUT", default=10)
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=8)
WEBHOOK_RETRY_BASE_SECONDS = env.int("WEBHOOK_RETRY_BASE_SECONDS", default=60)

# Personal data: the IIN (national ID) is kept only as a keyed hash with this key.
IIN_HASH_KEY = env("IIN_HASH_KEY", default=SECRET_KEY)

# Spreadsheet imports (docs/imports.md): size and row limits of one file; files above
# IMPORT_SYNC_MAX_BYTES are checked and written by a Celery task with a progress bar.
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=10 * 1024 * 1024)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=60_000)
IMPORT_MAX_UNZIPPED_BYTES = env.int("IMPORT_MAX_UNZIPPED_BYTES", default=200 * 1024 * 1024)
IMPORT_SYNC_MAX_BYTES = env.int("IMPORT_SYNC_MAX_BYTES", default=256 * 1024)

# Files kept with an event (sign-in sheets, photos, agendas) and the report's logos: the
# largest file accepted, in bytes (photos are stored scaled down and without their metadata).
EVENT_FILE_MAX_BYTES = env.int("EVENT_FILE_MAX_BYTES", default=10 * 1024 * 1024)
REPORT_LOGO_MAX_BYTES = env.int("REPORT_LOGO_MAX_BYTES", default=2 * 1024 * 1024)

# The public feedback form (docs/feedback.md): a person needs a few seconds to read four
# questions, a bot posts at once. Limits per FEEDBACK_RATE_WINDOW seconds: answers to one event
# (the larger of FEEDBACK_EVENT_LIMIT and FEEDBACK_EVENT_LIMIT_PER_PERSON times its roster),
# and posts from one address (FEEDBACK_ADDRESS_LIMIT: abuse protection only, far above a camp
# of 120 people behind one Wi-Fi router).
FEEDBACK_MIN_FILL_SECONDS = env.int("FEEDBACK_MIN_FILL_SECONDS", default=4)
FEEDBACK_EVENT_LIMIT = env.int("FEEDBACK_EVENT_LIMIT", default=200)
FEEDBACK_EVENT_LIMIT_PER_PERSON = env.int("FEEDBACK_EVENT_LIMIT_PER_PERSON", default=3)
FEEDBACK_ADDRESS_LIMIT = env.int("FEEDBACK_ADDRESS_LIMIT", default=600)
FEEDBACK_RATE_WINDOW = env.int("FEEDBACK_RATE_WINDOW", default=600)
# The feedback kiosk (a coordinator's own device, signed in; ADR 0018) is not held to the public
# form's per-device cookie and rate limits; one coordinator's kiosk answers are capped at
# FEEDBACK_KIOSK_DAILY_LIMIT per 24 hours (all events), several camps' worth.
FEEDBACK_KIOSK_DAILY_LIMIT = env.int("FEEDBACK_KIOSK_DAILY_LIMIT", default=1000)

# Seconds the home dashboard's figures stay cached (they are also dropped on any data change).
DASHBOARD_CACHE_SECONDS = env.int("DASHBOARD_CACHE_SECONDS", default=600)

# The reporting organisation of IATI exports: UNDP's identifier in the IATI Organisation
# Identifier register unless another organisation runs Qadam.
IATI_REPORTING_ORG = env("IATI_REPORTING_ORG", default="XM-DAC-41114")
# The public IATI file (/iati/<programme code>.xml): at most IATI_RATE_LIMIT requests per
# address in IATI_RATE_WINDOW seconds (the IATI Registry fetches it about once a day).
IATI_RATE_LIMIT = env.int("IATI_RATE_LIMIT", default=30)
IATI_RATE_WINDOW = env.int("IATI_RATE_WINDOW", default=60)
# The KoboToolbox intake (/kobo/intake/<form>/, docs/api.md): the largest submission taken, in
# bytes, and at most KOBO_RATE_LIMIT submissions per connected form in KOBO_RATE_WINDOW seconds
# (Kobo sends one post per submission; a bulk resend of a day's forms stays well below).
KOBO_MAX_BYTES = env.int("KOBO_MAX_BYTES", default=1024 * 1024)
KOBO_RATE_LIMIT = env.int("KOBO_RATE_LIMIT", default=600)
KOBO_RATE_WINDOW = env.int("KOBO_RATE_WINDOW", default=60)
DEMO_PASSWORD = env("DEMO_PASSWORD", default="qadam-demo-2024")

# The client's network address (core/client.py; docs/deployment.md): REMOTE_ADDR, unless
# TRUSTED_PROXY_COUNT reverse proxies in front of gunicorn each append the address they saw to
# TRUSTED_PROXY_HEADER; then the address our outermost proxy appended (counted from the
# right). Never set it without such a proxy: clients could then choose their address.
# AXES_PROXY_COUNT is its former name, still read.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=env.int("AXES_PROXY_COUNT", default=0))
TRUSTED_PROXY_HEADER = env("TRUSTED_PROXY_HEADER", default="X-Forwarded-For")

# Security. Production turns everything on; `check --deploy` is clean with DJANGO_ENV=production.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 8)
# Expiry counts from the last request (logout after inactivity), pushed forward at most once a
# minute instead of a database write on every request (accounts.middleware.SlidingSession...).
SESSION_SAVE_EVERY_REQUEST = False
SESSION_REFRESH_SECONDS = env.int("SESSION_REFRESH_SECONDS", default=60)
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]

# Lockout after repeated failed logins (django-axes): 5 failures for a username from one IP
# lock that pair for 30 minutes; a successful login resets the counter.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The login lockout reads the client address like every other part of the site (core/client.py,
# TRUSTED_PROXY_COUNT above), so a forged X-Forwarded-For cannot dodge it.
AXES_CLIENT_IP_CALLABLE = "core.client.client_ip"
AXES_SENSITIVE_PARAMETERS = ["password"]
OTP_TOTP_ISSUER = "Qadam"

# Content-Security-Policy (django-csp 4): no inline script or style anywhere, so an injected
# <script> or style attribute does nothing. Templates keep JS/CSS in static files.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}
# Browser features the app never uses are switched off (accounts.middleware).
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), interest-cohort=()"
)

# The REST API (docs/api.md): Bearer tokens only (no session cookie opens it), read through
# the same Scope as the pages, cursor pages of API_PAGE_SIZE rows (?page_size= up to
# API_MAX_PAGE_SIZE), at most API_RATE_LIMIT_PER_MINUTE requests a minute per token.
API_TOKEN_DAYS = env.int("API_TOKEN_DAYS", default=90)
API_PAGE_SIZE = env.int("API_PAGE_SIZE", default=100)
API_MAX_PAGE_SIZE = env.int("API_MAX_PAGE_SIZE", default=1000)
API_RATE_LIMIT_PER_MINUTE = env.int("API_RATE_LIMIT_PER_MINUTE", default=600)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.TokenRateThrottle"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.StableCursorPagination",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Qadam API",
    "DESCRIPTION": "Qadam's programmes, events, people and reports (reads), and writes of events, "
    "sessions, rosters, attendance, feedback and scores, limited to "
    "the token user's regions and rights. See docs/api.md.",
    "VERSION": "1",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its docs page describe the API, not data: open to anyone, like docs/api.md.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    # Swagger UI from the sidecar's files under /static/, not a CDN (CSP: script-src 'self').
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # An indicator period's progress colour, named apart from the records' own "status" fields.
    "ENUM_NAME_OVERRIDES": {"ProgressStatusEnum": ["green", "amber", "red", "grey"]},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.describe_csv_lists",
        "api.schema.describe_refusals",
    ],
}

# Personal data of people with no activity for this many years is listed for review.
PERSONAL_DATA_RETENTION_YEARS = env.int("PERSONAL_DATA_RETENTION_YEARS", default=3)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
