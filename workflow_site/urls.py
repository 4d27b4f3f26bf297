from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView

from workflow_site.api import api_not_found
from workflow_site.telemetry.views import metrics
from workflow_site.views import api_docs

urlpatterns = [
    path("", include("processes.urls")),
    path("inbox/", include("tasks.urls")),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("monitoring/", include("monitoring.urls")),
    path("rules/", include("rules.urls")),
    path("designer/", include("designer.urls")),
    path("api/", include("processes.api_urls")),
    path("api/", include("tasks.api_urls")),
    path("api/", include("rules.api_urls")),
    path("api/", include("monitoring.api_urls")),
    path("api/designer/", include("designer.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", api_docs, name="api-docs"),
    # Anything else under /api/ is the API's JSON 404, not the HTML page.
    re_path(r"^api/", api_not_found),
    path("admin/", admin.site.urls),
    path("metrics", metrics, name="metrics"),
]

handler500 = "workflow_site.telemetry.views.server_error"
