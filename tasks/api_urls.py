"""URLs of the work-item API (under /api/)."""

from django.urls import path

from tasks import api

urlpatterns = [
    path("tasks/inbox", api.TaskInboxApi.as_view(), name="api-task-inbox"),
    path("tasks/stats", api.TaskStatsApi.as_view(), name="api-task-stats"),
    path("tasks/<int:task_id>/", api.TaskDetailApi.as_view(), name="api-task-detail"),
    path("tasks/<int:task_id>/start/", api.TaskStartApi.as_view(), name="api-task-start"),
    path("tasks/<int:task_id>/claim/", api.TaskClaimApi.as_view(), name="api-task-claim"),
    path("tasks/<int:task_id>/unclaim/", api.TaskUnclaimApi.as_view(), name="api-task-unclaim"),
    path("tasks/<int:task_id>/complete/", api.TaskCompleteApi.as_view(), name="api-task-complete"),
    path("tasks/<int:task_id>/reassign/", api.TaskReassignApi.as_view(), name="api-task-reassign"),
    path("tasks/<int:task_id>/delegate/", api.TaskDelegateApi.as_view(), name="api-task-delegate"),
    path("tasks/<int:task_id>/escalate/", api.TaskEscalateApi.as_view(), name="api-task-escalate"),
    path("tasks/<int:task_id>/comment/", api.TaskCommentApi.as_view(), name="api-task-comment"),
]
