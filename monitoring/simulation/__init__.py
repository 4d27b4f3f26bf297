"""Monte-Carlo simulation of a journey version and what-if scenarios.

The core (``graph``, ``distributions``, ``worktime``, ``engine``, ``queueing``) is pure Python and
numpy: no Django, deterministic for a seed. ``inputs`` reads history and the version from the
database to build a scenario; ``services`` stores runs and ``jobs`` runs them in Celery.
"""
