"""Settings shared by every profile, read from environment variables.

With nothing set this is the embedded default: a SQLite file, an in-memory channel layer, Celery
tasks run in-process and the periodic sweeper inside the server. ``DATABASE_URL``, ``REDIS_URL`` and
``CELERY_BROKER_URL`` switch each piece to its production service.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no)")


def env_int(name: str, default: int) -> int:
    raw = env_str(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    raw = env_str(name)
    if not raw:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


SECRET_KEY = env_str("SECRET_KEY", "django-insecure-embedded-default-do-not-use-in-production")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "channels",
    "guardian",
    "workflow_site",
    "processes",
    "tasks",
    "designer",
    "monitoring",
    "rules",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "monitoring.middleware.AuditContextMiddleware",
    "workflow_site.telemetry.middleware.TraceIdMiddleware",
    "workflow_site.middleware.RefuseNullCharacters",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: keeps the middleware above synchronous under ASGI (see the module).
    "workflow_site.middleware.SynchronousChain",
]

ROOT_URLCONF = "workflow_site.urls"
ASGI_APPLICATION = "workflow_site.asgi.application"
WSGI_APPLICATION = None

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

# --- Database -------------------------------------------------------------------------------
# PostgreSQL through psycopg 3 when DATABASE_URL is set; otherwise a SQLite file next to the code.
DATABASE_URL = env_str("DATABASE_URL")
SQLITE_PATH = Path(env_str("ITINERA_SQLITE_PATH", str(BASE_DIR / "var" / "itinera.sqlite3")))
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0), conn_health_checks=True
        )
    }
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Parameters travel apart from the SQL and a statement run DATABASE_PREPARE_THRESHOLD
        # times on a connection is prepared: PostgreSQL stops parsing and planning it each time
        # (the task-completion path runs the same dozen statements over and over). 0 turns
        # preparing off, for a transaction-pooling proxy in front of the database.
        prepare_threshold = env_int("DATABASE_PREPARE_THRESHOLD", 2)
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            server_side_binding=True, prepare_threshold=prepare_threshold or None
        )
        # The ASGI server (workflow_site.asgi) serves each request in a context of its own, so a
        # connection kept past its request would be a connection left behind: it takes them from
        # a pool of its own instead. Celery workers and commands keep one (CONN_MAX_AGE).
        if env_bool("ITINERA_DATABASE_POOL", False):
            DATABASES["default"]["OPTIONS"]["pool"] = {
                "min_size": 1,
                "max_size": env_int("DATABASE_POOL_SIZE", 20),
                "timeout": 10,
            }
            DATABASES["default"]["CONN_MAX_AGE"] = 0
else:
    SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(SQLITE_PATH),
            # IMMEDIATE makes a write transaction take the database lock up front, which is what
            # select_for_update means on SQLite (it has no row locks).
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: channel layer and cache ---------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
# ``ITINERA_CHANNEL_LAYER=pubsub`` (the default): a group message is one PUBLISH and each server
# process hands it to its own members in memory; what is published while a server is cut off from
# Redis is not replayed (it reconnects and subscribes again by itself). ``lists``: channels_redis's
# list per channel, a message kept up to ``expiry`` seconds for a reader, one Redis entry per
# member and one read per message: slower to reach many sockets (bench/ws_fanout.py).
CHANNEL_LAYER_KIND = env_str("ITINERA_CHANNEL_LAYER", "pubsub")
if CHANNEL_LAYER_KIND not in ("pubsub", "lists"):
    raise ImproperlyConfigured(
        f"ITINERA_CHANNEL_LAYER={CHANNEL_LAYER_KIND!r} is not a channel layer (pubsub or lists)"
    )
if REDIS_URL and CHANNEL_LAYER_KIND == "pubsub":
    from redis.connection import parse_url

    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_timeout": None}],
                # Pub/sub channels are server-wide, not per database: the database number in the
                # names keeps two sites on one Redis server (each with its own db) apart.
                "prefix": f"itinera.db{parse_url(REDIS_URL).get('db', 0)}.",
            },
        }
    }
elif REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py 8 pools hold 100 connections and then fail rather than wait (a burst
                # of sockets joining their groups on one server needs more), and its default 5 s
                # read timeout cuts the layer's 5 s blocking BZPOPMIN (channels_redis#422).
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "max_connections": env_int("ITINERA_REDIS_MAX_CONNECTIONS", 2000),
                        "socket_timeout": None,
                    }
                ],
                "capacity": 1500,
                "expiry": 30,
            },
        }
    }
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or REDIS_URL
# Without a broker every job runs in-process, at enqueue time (after the commit that asked for it).
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
# A job is acknowledged only when it finished; a worker killed mid-job leaves it to be redelivered.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fix-up closes the database connection before and after every job unless this is
# set (a new PostgreSQL connection per job, a fifth of its time); workflow_site.celery closes what
# is broken or older than CONN_MAX_AGE instead, as Django does around a request.
CELERY_DB_REUSE_MAX = 2**62
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# Workers log through LOGGING below, so their lines carry the trace id too.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# The sweeper fires due timers and SLA checks. With a broker, Celery beat runs it; without one,
# a thread in the server process does (see monitoring.sweeper).
SWEEPER_INTERVAL_SECONDS = env_int("ITINERA_SWEEPER_INTERVAL", 5)
SWEEPER_IN_PROCESS = env_bool("ITINERA_SWEEPER_IN_PROCESS", default=not CELERY_BROKER_URL)
CELERY_BEAT_SCHEDULE = {
    "sweep-due-work": {
        "task": "monitoring.jobs.sweep",
        "schedule": float(SWEEPER_INTERVAL_SECONDS),
    }
}

# --- Authentication and permissions ---------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
GUARDIAN_RAISE_403 = False
ANONYMOUS_USER_NAME = None
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- REST API -------------------------------------------------------------------------------
# No request body over 10 MB (the largest BPMN document accepted) is read, uploads included.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "workflow_site.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "workflow_site.errors.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Itinera API",
    "DESCRIPTION": "Design, run and supervise BPMN 2.0 journeys.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
}


# --- Audit trail ----------------------------------------------------------------------------
def _install_audit_key(path: Path) -> str:
    """The embedded default's audit signing key: made once per install, kept in ``var/``."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return path.read_text().strip()
    with os.fdopen(descriptor, "w") as key_file:
        key_file.write(secrets.token_hex(32))
    return path.read_text().strip()


# Signs the audit chain's checkpoints: never SECRET_KEY (the production profile requires it).
AUDIT_SIGNING_KEY = env_str("AUDIT_SIGNING_KEY") or _install_audit_key(
    Path(env_str("ITINERA_AUDIT_KEY_FILE", str(BASE_DIR / "var" / "audit-signing-key")))
)
# The sweeper signs the chain's head after this many events, or this long after the last one.
AUDIT_CHECKPOINT_EVERY = env_int("ITINERA_AUDIT_CHECKPOINT_EVERY", 500)
AUDIT_CHECKPOINT_SECONDS = env_int("ITINERA_AUDIT_CHECKPOINT_SECONDS", 600)
# Behind a proxy, the request header (as in request.META) whose last address is the client's.
AUDIT_CLIENT_IP_HEADER = env_str("ITINERA_CLIENT_IP_HEADER")

# --- Telemetry ------------------------------------------------------------------------------
# OpenTelemetry is configured by the standard OTEL_* variables (workflow_site.telemetry.providers).
# With OTEL_METRICS_EXPORTER=prometheus, /metrics answers a scraper sending this bearer token
# (and signed-in staff); without a token only staff may read it.
METRICS_BEARER_TOKEN = env_str("ITINERA_METRICS_TOKEN")

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static files: our own and the npm-installed front-end libraries ------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "var" / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
NODE_MODULES = BASE_DIR / "node_modules"
FRONTEND_LIBRARIES = {
    "vendor/bpmn-js": NODE_MODULES / "bpmn-js" / "dist",
    "vendor/htmx": NODE_MODULES / "htmx.org" / "dist",
    "vendor/chart.js": NODE_MODULES / "chart.js" / "dist",
    "vendor/bootstrap": NODE_MODULES / "bootstrap" / "dist",
}
STATICFILES_DIRS: list[str | tuple[str, str | Path]] = [str(BASE_DIR / "static")]
STATICFILES_DIRS += [(prefix, path) for prefix, path in FRONTEND_LIBRARIES.items()]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Every line names its trace id (the OpenTelemetry one, or the request id when tracing is off).
    "filters": {"trace_id": {"()": "workflow_site.telemetry.logs.TraceIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(trace_id)s]: %(message)s"}
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["trace_id"]}
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
