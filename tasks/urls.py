from django.urls import path

from tasks import views

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("claim/", views.inbox_claim, name="inbox-claim"),
    path("filters/", views.saved_filter_save, name="inbox-filter-save"),
    path("filters/<int:filter_id>/delete/", views.saved_filter_delete, name="inbox-filter-delete"),
    path("<int:task_id>/", views.task_page, name="task-page"),
    path("<int:task_id>/<slug:action>/", views.task_action, name="task-action"),
]
