"""The Celery application: configured from ``CELERY_*`` settings, jobs found in ``jobs.py``."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workflow_site.settings.dev")

app = Celery("itinera")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(related_name="jobs")
