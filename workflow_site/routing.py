"""WebSocket URL routes, mounted by ``workflow_site.asgi``."""

from django.urls import path

from monitoring.consumers import LiveConsumer

websocket_urlpatterns = [
    path("ws/live/", LiveConsumer.as_asgi()),
]
