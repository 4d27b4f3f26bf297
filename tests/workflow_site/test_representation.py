"""Planned representations give exactly what DRF's serializers give, and refuse what they cannot."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework import serializers

from monitoring.api import ActiveInstanceSerializer, SlaTaskSerializer
from processes.api import EventSerializer, InstanceItemSerializer
from processes.models import InstanceEvent, ProcessInstance
from tasks import selectors, services
from tasks.access import access_task
from tasks.api import CommentSerializer, InboxItemSerializer, TaskDetailSerializer
from tasks.models import Task
from tests.tasks.test_api import only_task, start_loan
from workflow_site import representation

pytestmark = pytest.mark.django_db


def same_as_drf(serializer: type[serializers.Serializer[Any]], obj: Any, **context: Any) -> Any:
    planned = representation.represent(serializer, obj, context)
    assert planned == serializer(obj, context=context).data
    return planned


def test_task_responses_match_drf_in_every_state(demo_users: dict[str, Any], api_as: Any) -> None:
    ana, maria, ben = demo_users["ana"], demo_users["maria"], demo_users["ben"]
    start_loan(api_as(ana), amount=1200)
    task_id = only_task(api_as(ana))["id"]

    def current() -> Task:
        return access_task(user=maria, task_id=task_id)

    for user in (ana, maria, ben):  # assignee, manager, someone else of the role
        same_as_drf(TaskDetailSerializer, current(), user=user)
    services.task_comment(actor=ana, task=current(), text="Called them.")
    services.task_comment(actor=maria, task=current(), text="Thanks — «noted».")
    services.task_reassign(actor=maria, task=current(), user_id=ben.pk, reason="Leave")
    services.task_delegate(actor=ben, task=current(), user_id=ana.pk, reason="She knows")
    detail = same_as_drf(TaskDetailSerializer, current(), user=ana)
    assert [c["author"]["username"] for c in detail["comments"]] == ["ana", "maria"]
    assert detail["delegated_by"]["username"] == "ben"
    comments = selectors.task_comments(task=current())
    assert representation.represent_many(CommentSerializer, comments) == (
        CommentSerializer(comments, many=True).data
    )
    form = {"applicant": "Jo", "amount": "75000", "term_months": "24"}
    services.task_complete(actor=ana, task=current(), data=form)
    done = same_as_drf(TaskDetailSerializer, current(), user=ana)
    assert (done["status"], done["actions"], done["completed_at"] is not None) == (
        "completed",
        ["comment"],
        True,
    )
    rows = list(selectors.inbox(user=maria, scope="all"))
    assert representation.represent_many(InboxItemSerializer, rows) == (
        InboxItemSerializer(rows, many=True).data
    )


def test_the_listed_rows_match_drf(demo_users: dict[str, Any], api_as: Any) -> None:
    start_loan(api_as(demo_users["ana"]))
    instance = ProcessInstance.objects.select_related("version__journey").get()
    same_as_drf(InstanceItemSerializer, instance)
    events = list(InstanceEvent.objects.filter(instance=instance).select_related("actor"))
    assert events
    assert representation.represent_many(EventSerializer, events) == (
        EventSerializer(events, many=True).data
    )
    for serializer in (ActiveInstanceSerializer, SlaTaskSerializer):
        assert representation.plan(serializer).steps  # every paged serializer can be planned


class Optional(serializers.Serializer):
    present = serializers.CharField()
    skipped = serializers.CharField(required=False)
    nullable = serializers.CharField(allow_null=True)
    defaulted = serializers.IntegerField(default=7)
    listed = serializers.ListField(child=serializers.IntegerField())
    inner = CommentSerializer(allow_null=True)


def test_missing_values_are_skipped_nulled_or_defaulted_as_drf_does() -> None:
    row = {"present": "x", "listed": [1, 2], "inner": None}
    assert same_as_drf(Optional, row) == {
        "present": "x",
        "nullable": None,
        "defaulted": 7,
        "listed": [1, 2],
        "inner": None,
    }


class Linked(serializers.Serializer):
    id = serializers.IntegerField()
    owner: Any = serializers.PrimaryKeyRelatedField(read_only=True)


def test_a_field_the_plan_cannot_represent_is_refused_when_planned() -> None:
    with pytest.raises(TypeError, match=r"Linked\.owner: a PrimaryKeyRelatedField"):
        representation.Plan(Linked)
    with pytest.raises(TypeError, match="not a Serializer"):
        representation.Plan(serializers.ListSerializer)
