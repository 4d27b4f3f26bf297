"""Test settings: the embedded default, or real PostgreSQL and Redis when their URLs are set."""

from workflow_site.settings.base import *  # noqa: F403
from workflow_site.settings.base import DATABASE_URL, DATABASES, env_bool

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests drive the sweeper themselves.
SWEEPER_IN_PROCESS = False
if not DATABASE_URL:
    # A file (not :memory:) so that a live server thread and the test share one database.
    DATABASES["default"]["TEST"] = {"NAME": str(DATABASES["default"]["NAME"]) + ".test"}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Jobs run in-process unless a test run asks for the real broker.
CELERY_TASK_ALWAYS_EAGER = env_bool("ITINERA_TEST_CELERY_EAGER", True)
# Pages served by a test server find static files without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
