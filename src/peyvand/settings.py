"""Peyvand settings: safe local defaults, everything else from the environment (PEYVAND_*, DATABASE_URL)."""

import os
from pathlib import Path

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from peyvand.core.env import env_bool, env_choice, env_int, env_list, env_secret, env_str

# Lets generic Django classes be subscripted at run time (ModelAdmin[Team]), as the type checker wants.
django_stubs_ext.monkeypatch()

PACKAGE_DIR = Path(__file__).resolve().parent
BASE_DIR = Path(env_str("PEYVAND_HOME", str(PACKAGE_DIR.parent.parent)))
VAR_DIR = BASE_DIR / "var"

DEBUG = env_bool("PEYVAND_DEBUG", False)
# Production refuses to start without a real secret; local use gets a fixed development key.
_LOCAL_KEY = "peyvand-local-development-key-not-for-production-use-0123456789"
SECRET_KEY = env_secret("SECRET_KEY") or env_secret("PEYVAND_SECRET_KEY") or _LOCAL_KEY
PRODUCTION = env_bool("PEYVAND_PRODUCTION", False)
if PRODUCTION and SECRET_KEY == _LOCAL_KEY:
    raise ImproperlyConfigured("PEYVAND_PRODUCTION is on: set SECRET_KEY (or SECRET_KEY_FILE).")
ALLOWED_HOSTS = env_list("PEYVAND_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("PEYVAND_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    # Daphne first: `peyvand runserver` then serves HTTP and WebSockets (the call pop-up, live chat) over ASGI.
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "peyvand.core",
    "peyvand.accounts",
    "peyvand.customers",
    "peyvand.sales",
    "peyvand.service",
    "channels",
    "peyvand.comms",
    "peyvand.comms.mail",
    "peyvand.comms.sms",
    "peyvand.comms.telephony",
    "peyvand.comms.chat",
    "peyvand.comms.webforms",
    "peyvand.comms.bots",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "peyvand.core.middleware.PersianFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "peyvand.core.middleware.SecurityHeadersMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "peyvand.urls"
WSGI_APPLICATION = "peyvand.wsgi.application"
ASGI_APPLICATION = "peyvand.asgi.application"
# Real-time messages (call pop-ups, live chat) between the processes that serve them: in memory for one
# process; Redis (PEYVAND_REDIS_URL, with the channels-redis package installed) when there are more.
PEYVAND_REDIS_URL = env_str("PEYVAND_REDIS_URL", "")
CHANNEL_LAYERS = (
    {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [PEYVAND_REDIS_URL]}}}
    if PEYVAND_REDIS_URL
    else {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
)

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "peyvand.core.context_processors.peyvand",
            ],
            "builtins": ["peyvand.core.templatetags.peyvand"],
        },
    }
]

# SQLite from a fresh clone; PostgreSQL (the production path) through DATABASE_URL.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'peyvand.sqlite3'}"),
        conn_max_age=env_int("PEYVAND_DB_CONN_MAX_AGE", 60, minimum=0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers go on while a writer writes; the pragmas are applied per connection.
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Lock-out after repeated failed log-ins (django-axes), per user name and address together.
AXES_FAILURE_LIMIT = env_int("PEYVAND_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_int("PEYVAND_LOGIN_COOLOFF_MINUTES", 15, minimum=1) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True

LANGUAGE_CODE = "fa"
LANGUAGES = [("fa", _("Persian")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env_str("PEYVAND_TIME_ZONE", "Asia/Tehran")
LANGUAGE_COOKIE_NAME = "peyvand_language"

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("PEYVAND_STATIC_ROOT", str(VAR_DIR / "staticfiles")))
STATICFILES_DIRS: list[Path | tuple[str, Path]] = [PACKAGE_DIR / "static"]
# Front-end packages come from npm (package-lock.json) at set-up; never a CDN at run time.
NODE_MODULES = Path(env_str("PEYVAND_NODE_MODULES", str(BASE_DIR / "node_modules")))
for _prefix, _sub in [
    ("vendor/bootstrap", "bootstrap/dist"),
    ("vendor/bootstrap-icons", "bootstrap-icons/font"),
    ("vendor/htmx", "htmx.org/dist"),
    ("vendor/echarts", "echarts/dist"),
    ("vendor/vazirmatn", "vazirmatn"),
    ("vendor/jalalidatepicker", "@majidh1/jalalidatepicker/dist"),
]:
    if (NODE_MODULES / _sub).is_dir():
        STATICFILES_DIRS.append((_prefix, NODE_MODULES / _sub))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
# Locally, files are looked up per request instead of scanning every finder's tree at start-up.
WHITENOISE_AUTOREFRESH = not PRODUCTION
if not PRODUCTION:
    # WhiteNoise warns on every request when its root is missing; locally it may simply not exist yet.
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_ROOT = Path(env_str("PEYVAND_MEDIA_ROOT", str(VAR_DIR / "media")))

# The cache holds what processes must share to be right together: the flood limits of live chat and web forms,
# the routing rules' version, cached dashboard figures. One process: its own memory. More (PEYVAND_REDIS_URL):
# Redis, so that a limit counts every process's requests.
CACHES = (
    {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": PEYVAND_REDIS_URL}}
    if PEYVAND_REDIS_URL
    else {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
)

# Background work (imports, scans, sending): queued in the database and run by `peyvand worker`, so no broker
# is needed; on PostgreSQL several workers share the queue (SELECT … FOR UPDATE SKIP LOCKED). "immediate"
# runs each task in the process that queues it (tests, and a one-process trial).
TASKS = {
    "default": {
        "BACKEND": {
            "database": "django_tasks_db.DatabaseBackend",
            "immediate": "django_tasks.backends.immediate.ImmediateBackend",
        }[env_choice("PEYVAND_TASKS", "database", ("database", "immediate"))],
        "QUEUES": ["default"],
    }
}

# Secure by default; the production switch turns on what needs HTTPS.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("PEYVAND_SESSION_HOURS", 12, minimum=1) * 3600
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("PEYVAND_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("PEYVAND_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Peyvand's own settings.
PEYVAND_MONEY_UNIT = env_choice("PEYVAND_MONEY_UNIT", "toman", ("rial", "toman"))
PEYVAND_PHONE_REGION = env_str("PEYVAND_PHONE_REGION", "IR")
PEYVAND_API_RATE_LIMIT = env_int("PEYVAND_API_RATE_LIMIT", 600, minimum=1)  # requests per token per minute
PEYVAND_PAGE_SIZE = env_int("PEYVAND_PAGE_SIZE", 50, minimum=1)
# Imports of at least PEYVAND_IMPORT_PARALLEL_ROWS rows are read and cleaned in a second process while the
# importing one writes (0: all in one process; the default when the machine has a single core).
PEYVAND_IMPORT_PROCESSES = env_int("PEYVAND_IMPORT_PROCESSES", 1 if (os.cpu_count() or 1) > 1 else 0, minimum=0)
PEYVAND_IMPORT_PARALLEL_ROWS = env_int("PEYVAND_IMPORT_PARALLEL_ROWS", 5000, minimum=0)
# How often `peyvand worker` queues the duplicate scan over all customers; 0 turns the schedule off.
PEYVAND_DUPLICATE_SCAN_HOURS = env_int("PEYVAND_DUPLICATE_SCAN_HOURS", 24, minimum=0)
# An export of more customers than this is written by the worker, with progress, instead of in the request.
PEYVAND_EXPORT_INLINE_ROWS = env_int("PEYVAND_EXPORT_INLINE_ROWS", 5000, minimum=0)
PEYVAND_EXPORT_KEEP_DAYS = env_int("PEYVAND_EXPORT_KEEP_DAYS", 7, minimum=1)  # then the file is removed
# Value added tax on new quotes, orders and invoices, in hundredths of a percent (1000 = 10%, Iran's rate
# since 1403); each document keeps the rate it was made with.
PEYVAND_VAT_RATE_BP = env_int("PEYVAND_VAT_RATE_BP", 1000, minimum=0)
# Reminders: an activity's default lead time, and how often the worker looks for reminders to send.
PEYVAND_REMINDER_MINUTES = env_int("PEYVAND_REMINDER_MINUTES", 15, minimum=0)
PEYVAND_REMINDER_CHECK_SECONDS = env_int("PEYVAND_REMINDER_CHECK_SECONDS", 60, minimum=5)
# How often the worker rebuilds the customer ranking (sales.tasks.ranking_schedule); 0: only by hand.
PEYVAND_RANKING_HOURS = env_int("PEYVAND_RANKING_HOURS", 24, minimum=0)
# The service desk: the largest file a ticket takes; how long a satisfaction link stays open; how often the
# worker looks for tickets left without a reply (0: never); how SMS to customers are sent until the channels
# module brings real gateways ("console" writes them to the log).
PEYVAND_TICKET_ATTACHMENT_MB = env_int("PEYVAND_TICKET_ATTACHMENT_MB", 20, minimum=1)
PEYVAND_SATISFACTION_DAYS = env_int("PEYVAND_SATISFACTION_DAYS", 7, minimum=1)
PEYVAND_NO_REPLY_CHECK_SECONDS = env_int("PEYVAND_NO_REPLY_CHECK_SECONDS", 300, minimum=0)
PEYVAND_SMS_BACKEND = env_str("PEYVAND_SMS_BACKEND", "console")
# Asking SMS gateways how their messages fared, for accounts without a delivery webhook.
PEYVAND_SMS_STATUS_POLL_SECONDS = env_int("PEYVAND_SMS_STATUS_POLL_SECONDS", 60, minimum=0)
PEYVAND_SMS_STATUS_HOURS = env_int("PEYVAND_SMS_STATUS_HOURS", 72, minimum=1)
PEYVAND_SMS_STATUS_MINUTES = env_int("PEYVAND_SMS_STATUS_MINUTES", 15, minimum=1)
PEYVAND_SMS_STATUS_PER_RUN = env_int("PEYVAND_SMS_STATUS_PER_RUN", 2000, minimum=1)
PEYVAND_TICKET_HANDLING_MINUTES = env_int("PEYVAND_TICKET_HANDLING_MINUTES", 12, minimum=1)
# Channels (docs/channels.md, docs/install.md): the outbox's sending, quiet hours for marketing, mailbox polling,
# telephony, live chat, web forms and messenger bots.
PEYVAND_QUIET_HOURS = env_str("PEYVAND_QUIET_HOURS", "22:00-08:00")
PEYVAND_OUTBOX_LEASE_SECONDS = env_int("PEYVAND_OUTBOX_LEASE_SECONDS", 120, minimum=10)
PEYVAND_OUTBOX_SEND_TIMEOUT = env_int("PEYVAND_OUTBOX_SEND_TIMEOUT", 15, minimum=1)
PEYVAND_OUTBOX_RETRY_SECONDS = env_int("PEYVAND_OUTBOX_RETRY_SECONDS", 30, minimum=1)
PEYVAND_OUTBOX_RETRY_MAX_SECONDS = env_int("PEYVAND_OUTBOX_RETRY_MAX_SECONDS", 3600, minimum=1)
PEYVAND_OUTBOX_MAX_ATTEMPTS = env_int("PEYVAND_OUTBOX_MAX_ATTEMPTS", 8, minimum=1)
PEYVAND_OUTBOX_POLL_SECONDS = env_int("PEYVAND_OUTBOX_POLL_SECONDS", 1, minimum=1)
PEYVAND_OUTBOX_IN_WORKER = env_bool("PEYVAND_OUTBOX_IN_WORKER", True)
PEYVAND_MAIL_POLL_SECONDS = env_int("PEYVAND_MAIL_POLL_SECONDS", 60, minimum=0)
PEYVAND_MAIL_POLL_BATCH = env_int("PEYVAND_MAIL_POLL_BATCH", 200, minimum=1)
PEYVAND_MAIL_ATTACHMENT_MB = env_int("PEYVAND_MAIL_ATTACHMENT_MB", 25, minimum=1)
PEYVAND_MAIL_MESSAGE_MB = env_int("PEYVAND_MAIL_MESSAGE_MB", 50, minimum=1)
PEYVAND_MAIL_OUTGOING_MB = env_int("PEYVAND_MAIL_OUTGOING_MB", 20, minimum=1)
PEYVAND_MAIL_TIMEOUT_SECONDS = env_int("PEYVAND_MAIL_TIMEOUT_SECONDS", 30, minimum=1)
PEYVAND_TELEPHONY_WEB_URL = env_str("PEYVAND_TELEPHONY_WEB_URL", "").rstrip("/")
PEYVAND_TELEPHONY_STALE_HOURS = env_int("PEYVAND_TELEPHONY_STALE_HOURS", 4, minimum=1)
PEYVAND_CHAT_RATE = env_int("PEYVAND_CHAT_RATE", 10, minimum=1)
PEYVAND_CHAT_RATE_SECONDS = env_int("PEYVAND_CHAT_RATE_SECONDS", 10, minimum=1)
PEYVAND_CHAT_RATE_PER_ADDRESS = env_int("PEYVAND_CHAT_RATE_PER_ADDRESS", 30, minimum=1)
PEYVAND_CHAT_MAX_MESSAGE = env_int("PEYVAND_CHAT_MAX_MESSAGE", 2000, minimum=1)
PEYVAND_CHAT_IDLE_MINUTES = env_int("PEYVAND_CHAT_IDLE_MINUTES", 30, minimum=0)
PEYVAND_KB_PUBLIC_URL = env_str("PEYVAND_KB_PUBLIC_URL", "")
PEYVAND_WEBFORMS_TOKEN_HOURS = env_int("PEYVAND_WEBFORMS_TOKEN_HOURS", 24, minimum=1)
PEYVAND_WEBFORMS_IP_HEADER = env_str("PEYVAND_WEBFORMS_IP_HEADER", "")
PEYVAND_WEBFORMS_SPAM_DAYS = env_int("PEYVAND_WEBFORMS_SPAM_DAYS", 30, minimum=0)
PEYVAND_BOT_POLL_SECONDS = env_int("PEYVAND_BOT_POLL_SECONDS", 5, minimum=0)
PEYVAND_BOT_LINK_DAYS = env_int("PEYVAND_BOT_LINK_DAYS", 7, minimum=1)
PEYVAND_BOT_FILE_MB = env_int("PEYVAND_BOT_FILE_MB", 20, minimum=1)
# The address staff open the site at (https://crm.example.ir): links in e-mails are made absolute with it.
PEYVAND_SITE_URL = env_str("PEYVAND_SITE_URL", "").rstrip("/")
# The company as printed on quotes and invoices.
PEYVAND_COMPANY_NAME = env_str("PEYVAND_COMPANY_NAME", "پیوند")
PEYVAND_COMPANY_DETAILS = env_str("PEYVAND_COMPANY_DETAILS", "")

# Outgoing e-mail (quotes, reminders): SMTP when PEYVAND_EMAIL_HOST is set, otherwise written to the console.
EMAIL_HOST = env_str("PEYVAND_EMAIL_HOST", "")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = env_int("PEYVAND_EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("PEYVAND_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env_secret("PEYVAND_EMAIL_PASSWORD") or ""
EMAIL_USE_TLS = env_bool("PEYVAND_EMAIL_STARTTLS", False)
EMAIL_USE_SSL = env_bool("PEYVAND_EMAIL_SSL", False)
EMAIL_TIMEOUT = env_int("PEYVAND_EMAIL_TIMEOUT", 30, minimum=1)
DEFAULT_FROM_EMAIL = env_str("PEYVAND_EMAIL_FROM", "peyvand@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("PEYVAND_LOG_LEVEL", "WARNING")},
}
