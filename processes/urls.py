from django.urls import path

from processes import views

urlpatterns = [
    path("", views.home, name="home"),
]
