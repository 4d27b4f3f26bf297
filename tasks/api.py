"""REST API of work items: the inbox, one task with what you may do with it, and the task actions.

Every action fetches the task with ``access_task(..., for_update=True)`` (the instance row, then
the task row) and calls one service in the same transaction.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from tasks import selectors, services
from tasks.access import access_task
from tasks.models import Task
from workflow_site import representation
from workflow_site.api import (
    PAGING_PARAMETERS,
    ApiView,
    ReasonSerializer,
    UserSerializer,
    errors,
    paged,
    paged_response,
)

MAX_ID = 2**63 - 1
# Serializer fields called ``data`` carry ``type: ignore[assignment]``: to mypy they shadow
# ``Serializer.data``, but DRF's metaclass takes declared fields out of the class body.


class RoleSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()


class TaskSummarySerializer(serializers.Serializer):
    """A work item in a list (an instance's open tasks)."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    element_id = serializers.CharField()
    status = serializers.CharField()
    priority = serializers.IntegerField()
    due_at = serializers.DateTimeField(allow_null=True)
    assignee = UserSerializer(allow_null=True)
    role = RoleSerializer(allow_null=True)


class TaskInstanceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    business_key = serializers.CharField()
    status = serializers.CharField()
    journey = serializers.CharField(source="version.journey.key")
    journey_name = serializers.CharField(source="version.journey.name")


class InboxItemSerializer(TaskSummarySerializer):
    created_at = serializers.DateTimeField()
    claimed_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    instance = TaskInstanceSerializer()


class CommentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    author = UserSerializer()
    text = serializers.CharField()
    created_at = serializers.DateTimeField()


class TaskCaseSerializer(TaskInstanceSerializer):
    version = serializers.IntegerField(source="version.number")
    data = serializers.DictField()  # type: ignore[assignment]


ACTIONS = ["claim", "unclaim", "start", "complete", "reassign", "delegate", "escalate", "comment"]


class TaskDetailSerializer(InboxItemSerializer):
    """A task with its form, comments, case, and the actions the requesting user may take."""

    started_at = serializers.DateTimeField(allow_null=True)
    escalated_at = serializers.DateTimeField(allow_null=True)
    delegated_by = UserSerializer(allow_null=True)
    form_schema = serializers.DictField()
    data = serializers.DictField(  # type: ignore[assignment]
        help_text="what was submitted on completion"
    )
    instance = TaskCaseSerializer()
    comments = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()

    @extend_schema_field(CommentSerializer(many=True))
    def get_comments(self, task: Task) -> Any:
        return representation.represent_many(CommentSerializer, selectors.task_comments(task=task))

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=ACTIONS)))
    def get_actions(self, task: Task) -> list[str]:
        return selectors.task_actions(task=task, user=self.context["user"])


class InboxQuerySerializer(serializers.Serializer):
    scope = serializers.ChoiceField(
        choices=["mine", "offered", "done", "all"], required=False, default="mine"
    )
    journey = serializers.CharField(max_length=100, required=False, help_text="a journey key")
    priority_min = serializers.IntegerField(min_value=0, max_value=100, required=False)
    q = serializers.CharField(max_length=200, required=False, help_text="text to look for")
    sort = serializers.ChoiceField(
        choices=list(selectors.INBOX_SORTS), required=False, default="priority"
    )


class StatsSerializer(serializers.Serializer):
    mine = serializers.IntegerField()
    offered = serializers.IntegerField()
    done = serializers.IntegerField()
    overdue = serializers.IntegerField()


class CompleteSerializer(serializers.Serializer):
    data = serializers.DictField(  # type: ignore[assignment]
        required=False, default=dict, help_text="the form's values"
    )


class HandOverSerializer(ReasonSerializer):
    user = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="the user's id")


class CommentInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=10_000, allow_blank=True, trim_whitespace=False)


def _task_response(request: Request, task: Task, http_status: int = 200) -> Response:
    detail = representation.represent(TaskDetailSerializer, task, {"user": request.user})
    return Response(detail, status=http_status)


TASK_CHANGE = {200: TaskDetailSerializer, **errors(400, 404, 409)}


class TaskInboxApi(ApiView):
    @extend_schema(
        summary="Your inbox: mine (assigned, open), offered (claimable), done, or all open",
        operation_id="tasks_inbox_list",
        parameters=[InboxQuerySerializer, *PAGING_PARAMETERS],
        responses={200: paged(InboxItemSerializer), **errors(400)},
    )
    def get(self, request: Request) -> Response:
        query = InboxQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        options = dict(query.validated_data)
        tasks = selectors.inbox(user=request.user, text=options.pop("q", None), **options)
        return paged_response(request, self, tasks, InboxItemSerializer)


class TaskStatsApi(ApiView):
    @extend_schema(summary="Counts for the inbox badges", responses=StatsSerializer)
    def get(self, request: Request) -> Response:
        return Response(selectors.task_stats(user=request.user))


class TaskDetailApi(ApiView):
    @extend_schema(
        summary="One task with its form, comments, case and your actions",
        responses={200: TaskDetailSerializer, **errors(404)},
    )
    def get(self, request: Request, task_id: int) -> Response:
        task = access_task(user=request.user, task_id=task_id)
        return _task_response(request, task)


class _TaskActionApi(ApiView):
    """One action on one task: lock it (instance row, then task row), check the body, act."""

    #: The request body's serializer; None for actions without a body.
    payload_serializer: type[serializers.Serializer[Any]] | None = None

    def act(self, request: Request, task: Task, data: dict[str, Any]) -> Task:
        raise NotImplementedError

    def post(self, request: Request, task_id: int) -> Response:
        payload = self.payload_serializer(data=request.data) if self.payload_serializer else None
        with transaction.atomic():
            task = access_task(user=request.user, task_id=task_id, for_update=True)
            if payload is not None:
                payload.is_valid(raise_exception=True)
            task = self.act(request, task, dict(payload.validated_data) if payload else {})
        return _task_response(request, task)


@extend_schema_view(
    post=extend_schema(
        summary="Start working on a task (claims it first)", request=None, responses=TASK_CHANGE
    )
)
class TaskStartApi(_TaskActionApi):
    def act(self, request: Request, task: Task, data: dict[str, Any]) -> Task:
        return services.task_start(actor=request.user, task=task)


@extend_schema_view(
    post=extend_schema(summary="Claim an offered task", request=None, responses=TASK_CHANGE)
)
class TaskClaimApi(_TaskActionApi):
    def act(self, request: Request, task: Task, data: dict[str, Any]) -> Task:
        return services.task_claim(actor=request.user, task=task)


@extend_schema_view(
    post=extend_schema(
        summary="Give a claimed task back to its role", request=None, responses=TASK_CHANGE
    )
)
class TaskUnclaimApi(_TaskActionApi):
    def act(self, request: Request, task: Task, data: dict[str, Any]) -> Task:
        return services.task_unclaim(actor=request.user, task=task)


@extend_schema_view(
    post=extend_schema(
        summary="Complete a task with its form's values (400 with details.errors by field)",
        request=CompleteSerializer,
        responses=TASK_CHANGE,
    )
)
class TaskCompleteApi(_TaskActionApi):
    payload_serializer = CompleteSerializer

    def act(self, request: Request, task: Task, data: dict[str, Any]) -> Task:
        return services.task_complete(actor=request.user, task=task, data=data["data"])


@extend_schema_view(
    post=extend_schema(
        summary="Give a task to a member of its role (managers)",
        request=HandOverSerializer,
        responses=TASK_CHANGE,
    )
)
class TaskReassignApi(_TaskActionApi):
    payload_serializer = HandOverSerializer

    def act(self, request: Request, task: Task, data: dict[str, Any]) -> Task:
        return services.task_reassign(
            actor=request.user, task=task, user_id=data["user"], reason=data["reason"]
        )


@extend_schema_view(
    post=extend_schema(
        summary="Hand your task to someone else, saying why",
        request=HandOverSerializer,
        responses=TASK_CHANGE,
    )
)
class TaskDelegateApi(_TaskActionApi):
    payload_serializer = HandOverSerializer

    def act(self, request: Request, task: Task, data: dict[str, Any]) -> Task:
        return services.task_delegate(
            actor=request.user, task=task, user_id=data["user"], reason=data["reason"]
        )


@extend_schema_view(
    post=extend_schema(
        summary="Hand a task to its role's manager and raise its priority",
        request=ReasonSerializer,
        responses=TASK_CHANGE,
    )
)
class TaskEscalateApi(_TaskActionApi):
    payload_serializer = ReasonSerializer

    def act(self, request: Request, task: Task, data: dict[str, Any]) -> Task:
        return services.task_escalate(actor=request.user, task=task, reason=data["reason"])


class TaskCommentApi(ApiView):
    @extend_schema(
        summary="Comment on a task",
        request=CommentInputSerializer,
        responses={201: CommentSerializer, **errors(400, 404)},
    )
    def post(self, request: Request, task_id: int) -> Response:
        payload = CommentInputSerializer(data=request.data)
        with transaction.atomic():
            task = access_task(user=request.user, task_id=task_id, for_update=True)
            payload.is_valid(raise_exception=True)
            comment = services.task_comment(
                actor=request.user, task=task, text=payload.validated_data["text"]
            )
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)
