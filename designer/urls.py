"""Pages of the designer (under /designer/)."""

from django.urls import path

from designer import views

urlpatterns = [
    path("", views.journey_list, name="designer"),
    path("new/", views.journey_new, name="designer-new"),
    path("import/", views.journey_upload, name="designer-import"),
    path("journeys/<int:journey_id>/", views.designer_page, name="designer-journey"),
]
