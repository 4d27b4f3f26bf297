from django.urls import path

from processes.api import JourneyDetailApi, JourneyListApi

urlpatterns = [
    path("journeys/", JourneyListApi.as_view(), name="api-journey-list"),
    path("journeys/<int:journey_id>/", JourneyDetailApi.as_view(), name="api-journey-detail"),
]
