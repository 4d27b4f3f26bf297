from django.urls import path

from processes import views

urlpatterns = [
    path("", views.home, name="home"),
    path("journeys/<int:journey_id>/start/", views.start, name="journey-start"),
    path("processes/", views.instance_list, name="instances"),
    path("processes/<int:instance_id>/", views.instance_page, name="instance-page"),
    path(
        "processes/<int:instance_id>/diagram.json", views.instance_diagram, name="instance-diagram"
    ),
    path(
        "processes/<int:instance_id>/<slug:operation>/",
        views.instance_operate,
        name="instance-operate",
    ),
]
