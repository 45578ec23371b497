"""YesApp settings: every value comes from the environment (or `.env`), in this one place.

Each default works on a developer machine; what a setting means is said once, in `.env.example`
(and the README's configuration table); comments here say why, grouped along the data path.
"""

import os
import secrets
import sys
from pathlib import Path

import environ
from kombu import Queue

# The fixed wiring of REST framework and the OpenAPI schema (the API's limits are below), the
# database, the periodic tasks and the logging configuration, each in a module of its own.
from yesapp.settings_api import READER_AUTHENTICATION_CLASSES, REST_FRAMEWORK, SPECTACULAR_SETTINGS  # noqa: F401
from yesapp.settings_beat import beat_schedule
from yesapp.settings_database import database_settings
from yesapp.settings_logging import logging_settings
from yesapp.settings_storage import snapshot_store_setting, storages_settings

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# --- Data directory ---------------------------------------------------------------------------
# Everything YesApp writes (database, logs, media, browser profiles, secrets) is private to
# its user from the moment it exists: directories 0700, files 0600. Every process loads these
# settings before writing anything, and its children (Chromium, ChromeDriver) inherit this.
os.umask(0o077)
DATA_DIR = Path(env.str("DATA_DIR", default=str(BASE_DIR / "data"))).resolve()
DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
if DATA_DIR.stat().st_uid == os.getuid() and DATA_DIR.stat().st_mode & 0o077:
    # A directory made by hand may be open to others: closing it closes everything inside.
    DATA_DIR.chmod(0o700)
MEDIA_ROOT = DATA_DIR / "media"
SESSIONS_DIR = DATA_DIR / "sessions"
LOG_DIR = DATA_DIR / "logs"
# Django's storage would otherwise chmod uploaded files to 0644.
FILE_UPLOAD_PERMISSIONS, FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o600, 0o700


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated on first start and kept in DATA_DIR."""
    if value := env.str("SECRET_KEY", default=""):
        return value
    path = DATA_DIR / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as file:
        file.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


# --- Django and the web -----------------------------------------------------------------------
SECRET_KEY = _secret_key()
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
PORT = env.int("PORT", default=3000)
PUBLIC_URL = env.str("PUBLIC_URL", default=f"http://localhost:{PORT}").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "yesapp",
    "sessions_app",
    "messaging",
    "groups",
    "calls",
    "events",
    "webhooks",
    "sandbox",
    "dashboard",
    "cloud_api",
    "waha",
]
MIDDLEWARE = [
    "yesapp.middleware.RequestIdMiddleware",
    "yesapp.middleware.ApiErrorMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "yesapp.middleware.BodySizeLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # The strict Content-Security-Policy on the dashboard's pages.
    "dashboard.middleware.DashboardSecurityHeadersMiddleware",
]
ROOT_URLCONF = "yesapp.urls"
WSGI_APPLICATION = "yesapp.wsgi.application"
# What `scripts/serve.sh web` serves (gunicorn with uvicorn workers): the event stream needs ASGI.
ASGI_APPLICATION = "yesapp.asgi.application"
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
            ],
        },
    },
]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/login/"
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Where `collectstatic` puts the static files; the Docker image keeps them outside the data volume.
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(DATA_DIR / "staticfiles"))).resolve()
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on every request without it
STATICFILES_DIRS = [BASE_DIR / "static"]
# Media, profile pictures and (PROFILE_SNAPSHOT_STORE=storage) login snapshots: the local disk
# or an S3-compatible bucket (yesapp/settings_storage.py, docs/DEPLOYMENT.md).
FILE_STORAGE, STORAGES = storages_settings(env)
# Serve static files straight from the app directories in development and tests.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- Web security -----------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
# Behind a TLS-terminating proxy (docs/DEPLOYMENT.md) these turn on HTTPS-only behaviour.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)


def _proxy_ssl_header() -> tuple[str, str] | None:
    """The header and value by which the TLS proxy says a request came over HTTPS:
    SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto: https" (any header), or the shorthand
    TRUST_X_FORWARDED_PROTO=true for exactly that one."""
    if spec := env.str("SECURE_PROXY_SSL_HEADER", default="").strip():
        name, sep, value = spec.partition(":")
        if not sep or not name.strip() or not value.strip():
            raise ValueError(f'SECURE_PROXY_SSL_HEADER must be like "X-Forwarded-Proto: https", not {spec!r}')
        return "HTTP_" + name.strip().upper().replace("-", "_"), value.strip()
    return ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("TRUST_X_FORWARDED_PROTO", default=False) else None


SECURE_PROXY_SSL_HEADER = _proxy_ssl_header()
# Browsers reach the app over HTTPS whenever its public URL says so (TLS at a proxy or not):
# its session and CSRF cookies must then never travel in clear.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = PUBLIC_URL.startswith("https://") or SECURE_SSL_REDIRECT
if not DEBUG:
    # Django sends HSTS only on HTTPS requests, so this is inert on plain-HTTP installs.
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
# Cross-origin API calls are refused unless origins are listed here; only the API, and only the
# headers an API client sends (django-cors-headers).
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_HEADERS = ("accept", "content-type", "x-api-key", "x-request-id", "idempotency-key")
CORS_EXPOSE_HEADERS = ("x-request-id", "retry-after")

# --- Database ---------------------------------------------------------------------------------
DATABASES = database_settings(env, DATA_DIR)

# --- Redis and Celery -------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
# Every Redis call is bounded: a Redis that hangs must not hang a request.
REDIS_SOCKET_TIMEOUT = env.float("REDIS_SOCKET_TIMEOUT", default=3.0)

CELERY_BROKER_URL = CELERY_RESULT_BACKEND = REDIS_URL
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_DEFAULT_QUEUE = "default"
# Queues named for their work. Engine nodes also listen on a queue of their own
# (`engine.<node>`) so commands reach the node that owns a session.
CELERY_TASK_QUEUES = (Queue("default"), Queue("engine"), Queue("webhooks"))
CELERY_TASK_ROUTES = {"webhooks.tasks.*": {"queue": "webhooks"}}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_timeout": REDIS_SOCKET_TIMEOUT,
    "socket_connect_timeout": REDIS_SOCKET_TIMEOUT,
    "visibility_timeout": 3600,
}
CELERY_REDIS_SOCKET_TIMEOUT = CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = REDIS_SOCKET_TIMEOUT
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)

# --- Engine: session browsers -----------------------------------------------------------------
ENGINE_LEASE_TTL = env.int("ENGINE_LEASE_TTL", default=5)
ENGINE_SCAN_INTERVAL = env.float("ENGINE_SCAN_INTERVAL", default=2.0)
ENGINE_MAX_SESSIONS = env.int("ENGINE_MAX_SESSIONS", default=20)
WAJS_BUNDLE_PATH = env.str(
    "WAJS_BUNDLE_PATH", default=str(BASE_DIR / "node_modules/@wppconnect/wa-js/dist/wppconnect-wa.js")
)
WHATSAPP_WEB_URL = env.str("WHATSAPP_WEB_URL", default="https://web.whatsapp.com")
CHROMIUM_PATH = env.str("CHROMIUM_PATH", default="/usr/bin/chromium")
CHROMEDRIVER_PATH = env.str("CHROMEDRIVER_PATH", default="/usr/bin/chromedriver")
CHROMIUM_HEADLESS = env.bool("CHROMIUM_HEADLESS", default=True)
CHROMIUM_EXTRA_FLAGS = env.list("CHROMIUM_EXTRA_FLAGS", default=[])
ENGINE_BROWSER_LOGS = env.bool("ENGINE_BROWSER_LOGS", default=False)
# Pages ring the engine when they have events (engine/page_push.py); the engine still drains
# each one every ENGINE_PUSH_POLL seconds in case a ring is lost.
ENGINE_PUSH = env.bool("ENGINE_PUSH", default=True)
ENGINE_PUSH_POLL = env.float("ENGINE_PUSH_POLL", default=10.0)
# A session's browser above this PSS (MB) is restarted on its profile at a quiet moment, no new
# scan and nothing lost (engine/recycle.py); 0 = no cap. WhatsApp Web runs at 300-600 MB.
ENGINE_SESSION_MEMORY_MAX = env.int("ENGINE_SESSION_MEMORY_MAX", default=1024)
PROFILE_SNAPSHOTS = env.bool("PROFILE_SNAPSHOTS", default=True)
PROFILE_SNAPSHOT_FIRST_AFTER = env.float("PROFILE_SNAPSHOT_FIRST_AFTER", default=30.0)
PROFILE_SNAPSHOT_INTERVAL = env.float("PROFILE_SNAPSHOT_INTERVAL", default=300.0)
PROFILE_SNAPSHOTS_KEEP = env.int("PROFILE_SNAPSHOTS_KEEP", default=3)
PROFILE_SNAPSHOT_MAX_BYTES = env.int("PROFILE_SNAPSHOT_MAX_BYTES", default=200 * 1024 * 1024)
PROFILE_SNAPSHOT_STORE = snapshot_store_setting(env)
INTERNAL_BASE_URL = env.str("INTERNAL_BASE_URL", default=f"http://127.0.0.1:{PORT}").rstrip("/")
ENGINE_COMMAND_TIMEOUT = env.int("ENGINE_COMMAND_TIMEOUT", default=20)
ENGINE_START_TIMEOUT = env.int("ENGINE_START_TIMEOUT", default=60)
# How long the API waits for the engine's answer to logout or pairing-code before answering
# 202 with a state to poll, so a slow browser never holds a web thread for long.
ENGINE_COMMAND_WAIT = env.float("ENGINE_COMMAND_WAIT", default=2.0)
ENGINE_DIAGNOSTICS_TIMEOUT = env.int("ENGINE_DIAGNOSTICS_TIMEOUT", default=10)
# How long a WAHA-compatible send (POST /api/sendText ...) waits for WhatsApp's message id
# before answering 504 (the message stays queued); docs/COMPATIBILITY.md.
WAHA_SEND_WAIT = env.float("WAHA_SEND_WAIT", default=15.0)
# A session waiting for a scan this long stops with a reason instead of burning CPU.
QR_TIMEOUT_SECONDS = env.int("QR_TIMEOUT_SECONDS", default=300)
IDLE_TIMEOUT_SECONDS = env.int("IDLE_TIMEOUT_SECONDS", default=0)
# After each reconnect a session fetches what it may have missed: the newest messages of its
# most recently active chats, newer than its newest stored message.
ENGINE_CATCHUP_CHATS = env.int("ENGINE_CATCHUP_CHATS", default=20)
ENGINE_CATCHUP_MESSAGES = env.int("ENGINE_CATCHUP_MESSAGES", default=50)
ENGINE_CATCHUP_MAX_AGE = env.int("ENGINE_CATCHUP_MAX_AGE", default=24 * 3600)
FAILED_EVENT_RETENTION_DAYS = env.int("FAILED_EVENT_RETENTION_DAYS", default=30)

# --- Sandbox: simulated WhatsApp --------------------------------------------------------------
SANDBOX_ENABLED = env.bool("SANDBOX_ENABLED", default=True)
# Receipts (delivered = ack 2, read = ack 3) after fixed delays, not random ones, so tests and
# demos behave the same every time.
SANDBOX_DELIVERY_DELAY_MS = env.int("SANDBOX_DELIVERY_DELAY_MS", default=300)
SANDBOX_READ_DELAY_MS = env.int("SANDBOX_READ_DELAY_MS", default=800)
SANDBOX_QR_REFRESH_MS = env.int("SANDBOX_QR_REFRESH_MS", default=20000)
SANDBOX_QR_MAX_REFRESHES = env.int("SANDBOX_QR_MAX_REFRESHES", default=5)
SANDBOX_POLL_MS = env.int("SANDBOX_POLL_MS", default=250)
# The page's poll is a long poll: answered as soon as there is something, or after this long.
SANDBOX_LONG_POLL_SECONDS = env.float("SANDBOX_LONG_POLL_SECONDS", default=25.0)
# The simulated contacts' inbound API; its files are bounded by MEDIA_MAX_BYTES too.
SANDBOX_INBOUND_PER_MINUTE = env.int("SANDBOX_INBOUND_PER_MINUTE", default=120)

# --- Messaging: queue, media, retention (docs/MESSAGING.md) -----------------------------------
RATE_LIMIT_PER_MINUTE = env.int("RATE_LIMIT_PER_MINUTE", default=50)
RATE_LIMIT_BURST = env.int("RATE_LIMIT_BURST", default=5)
QUEUE_MAX = env.int("QUEUE_MAX", default=1000)
# The sending policy of sessions that never chose one (docs/ANTI_BAN.md; tests use `off`); "typing…"
# lasts a text's length at this speed (±25 %) within min and max; the longest pause before a read.
SENDING_POLICY_DEFAULT_PRESET = env.str("SENDING_POLICY_DEFAULT_PRESET", default="natural")
SENDING_TYPING_CHARS_PER_SECOND = env.float("SENDING_TYPING_CHARS_PER_SECOND", default=10.0)
SENDING_TYPING_MIN_SECONDS = env.float("SENDING_TYPING_MIN_SECONDS", default=0.6)
SENDING_TYPING_MAX_SECONDS = env.float("SENDING_TYPING_MAX_SECONDS", default=6.0)
SENDING_READ_PAUSE_SECONDS = env.float("SENDING_READ_PAUSE_SECONDS", default=3.0)
# A message still `sending` this many seconds after it was handed to the browser (the engine
# could not record the outcome, e.g. the database was away that long) is marked failed with
# `send_uncertain` by a periodic sweep; never resent automatically.
SENDING_TIMEOUT_SECONDS = env.int("SENDING_TIMEOUT_SECONDS", default=300)
MEDIA_MAX_BYTES = env.int("MEDIA_MAX_BYTES", default=16 * 1024 * 1024)
MEDIA_URL_ALLOW_PRIVATE = env.bool("MEDIA_URL_ALLOW_PRIVATE", default=False)
MEDIA_URL_TIMEOUT = env.float("MEDIA_URL_TIMEOUT", default=15.0)
MEDIA_DOWNLOAD_MAX_ATTEMPTS = env.int("MEDIA_DOWNLOAD_MAX_ATTEMPTS", default=5)
# Received media travels through the browser in memory, hence its own bound.
MEDIA_DOWNLOAD_MAX_BYTES = env.int("MEDIA_DOWNLOAD_MAX_BYTES", default=64 * 1024 * 1024)
# Past the quota, sending media is refused (507) and received media is not downloaded.
MEDIA_QUOTA_BYTES = env.int("MEDIA_QUOTA_BYTES", default=1024 * 1024 * 1024)
# Pruned hourly in batches (`manage.py prunedata`); a message outlives its expired media.
MESSAGE_RETENTION_DAYS = env.int("MESSAGE_RETENTION_DAYS", default=90)
MEDIA_RETENTION_DAYS = env.int("MEDIA_RETENTION_DAYS", default=30)
SESSION_EVENT_RETENTION_DAYS = env.int("SESSION_EVENT_RETENTION_DAYS", default=30)
MESSAGING_IGNORE_STATUS_BROADCAST = env.bool("MESSAGING_IGNORE_STATUS_BROADCAST", default=True)
# "Is this number on WhatsApp?" answers are reused this long (seconds; 0 = always ask), and a
# send to a number found absent within it fails fast with `not_on_whatsapp` (docs/MESSAGING.md).
CONTACTS_CHECK_CACHE_SECONDS = env.int("CONTACTS_CHECK_CACHE_SECONDS", default=6 * 3600)
# How long the page may take to answer a contact question (WhatsApp asks its servers).
CONTACTS_QUERY_TIMEOUT = env.float("CONTACTS_QUERY_TIMEOUT", default=10.0)
# Groups (docs/GROUPS.md): how long the page may take to answer a group call, and how long the
# list of a session's groups is reused (seconds; 0 = always ask; every change drops it).
GROUPS_QUERY_TIMEOUT = env.float("GROUPS_QUERY_TIMEOUT", default=10.0)
GROUPS_CACHE_SECONDS = env.int("GROUPS_CACHE_SECONDS", default=30)
# The contact list is read again from WhatsApp Web after this long (seconds; 0 = every time),
# a contact's about text and profile picture after CONTACTS_PROFILE_CACHE_SECONDS.
CONTACTS_LIST_CACHE_SECONDS = env.int("CONTACTS_LIST_CACHE_SECONDS", default=300)
CONTACTS_PROFILE_CACHE_SECONDS = env.int("CONTACTS_PROFILE_CACHE_SECONDS", default=24 * 3600)
# POST .../chats/{chatId}/sync: at most this many messages, within this wait (the phone may
# have to send older ones to WhatsApp Web).
HISTORY_SYNC_MAX = env.int("HISTORY_SYNC_MAX", default=1000)
HISTORY_SYNC_TIMEOUT = env.float("HISTORY_SYNC_TIMEOUT", default=60.0)

# --- Webhooks (docs/WEBHOOKS.md) --------------------------------------------------------------
WEBHOOK_URL = env.str("WEBHOOK_URL", default="")
WEBHOOK_SECRET = env.str("WEBHOOK_SECRET", default="")
WEBHOOK_EVENTS = env.list("WEBHOOK_EVENTS", default=[])
# Private, loopback and link-local targets are refused on save and again on every connect.
WEBHOOK_ALLOW_PRIVATE = env.bool("WEBHOOK_ALLOW_PRIVATE", default=False)
URL_DNS_TIMEOUT = env.float("URL_DNS_TIMEOUT", default=3.0)
WEBHOOK_TIMEOUT = env.float("WEBHOOK_TIMEOUT", default=5.0)
WEBHOOK_RETRY_DELAYS = env.str("WEBHOOK_RETRY_DELAYS", default="0,1,2")
WEBHOOK_ORDERED = env.bool("WEBHOOK_ORDERED", default=True)
# With ordering off, a bound per session keeps workers free for the others.
WEBHOOK_UNORDERED_CONCURRENCY = env.int("WEBHOOK_UNORDERED_CONCURRENCY", default=2)
# A receiver whose answers take this long is slow: at most WEBHOOK_SLOW_RECEIVER_SLOTS lanes
# (sessions) send to it at once, so it cannot hold every worker (webhooks/receiver_slots.py).
WEBHOOK_SLOW_RECEIVER_SECONDS = env.float("WEBHOOK_SLOW_RECEIVER_SECONDS", default=1.0)
WEBHOOK_SLOW_RECEIVER_SLOTS = env.int("WEBHOOK_SLOW_RECEIVER_SLOTS", default=1)
WEBHOOK_RESPONSE_EXCERPT_BYTES = env.int("WEBHOOK_RESPONSE_EXCERPT_BYTES", default=1024)
WEBHOOK_RETENTION_DAYS = env.int("WEBHOOK_RETENTION_DAYS", default=7)
# The sweep re-sends deliveries whose Celery nudge was lost (Redis or worker down).
WEBHOOK_SWEEP_INTERVAL = env.float("WEBHOOK_SWEEP_INTERVAL", default=10.0)
WEBHOOK_SWEEP_GRACE = env.float("WEBHOOK_SWEEP_GRACE", default=10.0)

# --- Event log and stream (docs/EVENTS.md) -----------------------------------------------------
# Days the event log keeps entries (GET /api/v1/events, the stream's resume); pruned hourly.
EVENT_RETENTION_DAYS = env.int("EVENT_RETENTION_DAYS", default=7)
# Seconds between the comment lines that keep a quiet event stream open through proxies.
EVENT_STREAM_HEARTBEAT = env.float("EVENT_STREAM_HEARTBEAT", default=15.0)

# --- API: requests, keys, rate limits ---------------------------------------------------------
# Largest request body the API reads, in bytes; larger ones get 413 before they are parsed.
# Media travel as base64 (4/3 of their size), so this leaves room for MEDIA_MAX_BYTES.
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=MEDIA_MAX_BYTES * 4 // 3 + 64 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Per API key, a Redis token bucket (yesapp/ratelimit.py).
API_RATE_LIMIT = env.float("API_RATE_LIMIT", default=20.0)
API_RATE_LIMIT_BURST = env.int("API_RATE_LIMIT_BURST", default=40)
# Brute-force bounds: API keys per client address; staff passwords (dashboard, /admin/) per
# address and per user name. While Redis is down, password sign-in is refused, keys still work.
AUTH_FAILURE_LIMIT = env.int("AUTH_FAILURE_LIMIT", default=20)
AUTH_FAILURE_WINDOW = env.int("AUTH_FAILURE_WINDOW", default=60)
PASSWORD_FAILURE_LIMIT = env.int("PASSWORD_FAILURE_LIMIT", default=10)
PASSWORD_FAILURE_WINDOW = env.int("PASSWORD_FAILURE_WINDOW", default=900)
# Behind a reverse proxy every client has the proxy's address; the last X-Forwarded-For hop is
# the one the proxy appended. Off when exposed directly: clients could forge the header.
TRUST_X_FORWARDED_FOR = env.bool("TRUST_X_FORWARDED_FOR", default=False)

# --- Operations (docs/DEPLOYMENT.md) ----------------------------------------------------------
READY_REQUIRES_ENGINE = env.bool("READY_REQUIRES_ENGINE", default=True)
METRICS_ENABLED = env.bool("METRICS_ENABLED", default=False)
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

# Periodic work (celery beat), with the settings above it reads: yesapp/settings_beat.py.
CELERY_BEAT_SCHEDULE = beat_schedule(webhook_sweep_interval=WEBHOOK_SWEEP_INTERVAL)

# --- Logging ----------------------------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
LOGGING = logging_settings(
    log_file=LOG_DIR / "yesapp.log",
    level=LOG_LEVEL,
    max_bytes=env.int("LOG_FILE_MAX_BYTES", default=10 * 1024 * 1024),
    backups=env.int("LOG_FILE_BACKUPS", default=5),
)
# `manage.py <command>` (not runserver) writes for a person at a terminal: its console shows
# only warnings and errors, as plain lines between the command's own output; the log file
# keeps every record as JSON. Servers and workers (gunicorn, celery) log JSON to the console.
if Path(sys.argv[0]).name == "manage.py" and sys.argv[1:2] != ["runserver"]:
    LOGGING["formatters"]["plain"] = {"format": "%(levelname)s %(name)s: %(message)s"}
    LOGGING["handlers"]["console"].update(formatter="plain", level="WARNING")
