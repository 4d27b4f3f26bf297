"""The Itinera Django project: settings, URLs, ASGI routing, Celery and commit-time effects."""

from workflow_site.celery import app as celery_app

__all__ = ["celery_app"]
