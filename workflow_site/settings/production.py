"""The production profile: PostgreSQL, Redis, Celery worker and beat, several Daphne processes.

Every setting that must not fall back to a development value is required here.
"""

from django.core.exceptions import ImproperlyConfigured

from workflow_site.settings.base import *  # noqa: F403
from workflow_site.settings.base import (
    CELERY_BROKER_URL,
    DATABASE_URL,
    REDIS_URL,
    env_bool,
    env_int,
    env_list,
    env_str,
)

_missing = [
    name
    for name, value in (
        ("SECRET_KEY", env_str("SECRET_KEY")),
        ("AUDIT_SIGNING_KEY", env_str("AUDIT_SIGNING_KEY")),
        ("DATABASE_URL", DATABASE_URL),
        ("REDIS_URL", REDIS_URL),
        ("CELERY_BROKER_URL or REDIS_URL", CELERY_BROKER_URL),
        ("ALLOWED_HOSTS", env_str("ALLOWED_HOSTS")),
    )
    if not value
]
if _missing:
    raise ImproperlyConfigured(
        "The production profile needs these environment variables: " + ", ".join(_missing)
    )
if not DATABASE_URL.startswith(("postgres://", "postgresql://")):
    raise ImproperlyConfigured(
        "The production profile runs on PostgreSQL: DATABASE_URL must be one"
    )

DEBUG = False
SECRET_KEY = env_str("SECRET_KEY")
AUDIT_SIGNING_KEY = env_str("AUDIT_SIGNING_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [])
if "pool" not in DATABASES["default"]["OPTIONS"]:  # noqa: F405
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60)  # noqa: F405
SWEEPER_IN_PROCESS = False

# Behind a TLS-terminating proxy that sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
