"""ASGI entry point for Daphne: HTTP through Django, WebSockets through Channels.

Sockets are authenticated from the session cookie, and their Origin must be one of ALLOWED_HOSTS.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workflow_site.settings.dev")
# Database connections come from a pool: every request has a context of its own, and a
# connection kept in one past its request would never be used again (see settings.base).
os.environ.setdefault("ITINERA_DATABASE_POOL", "1")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from monitoring.sweeper import start_in_process_sweeper  # noqa: E402
from workflow_site.routing import websocket_urlpatterns  # noqa: E402
from workflow_site.telemetry.providers import instrument_asgi  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": instrument_asgi(
            AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))
        ),
    }
)

# On the embedded default the server process also fires due timers and SLA checks.
start_in_process_sweeper()
