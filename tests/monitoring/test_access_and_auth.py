"""Denied accesses, sign-in, sign-out and failed sign-in are audit events, with where they came
from; a denied access is kept even though its request's transaction rolls back."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from monitoring.models import AuditEvent
from monitoring.services import audit_access_denied
from processes import services as process_services
from processes.access import access_instance
from processes.models import Incident
from processes.selectors import journey_by_key

pytestmark = pytest.mark.django_db


def loan(owner: Any) -> Any:
    return process_services.instance_start(
        actor=owner, journey=journey_by_key(key="loan-application"), business_key="L-1"
    )


def denials() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(type="access.denied").order_by("seq"))


def test_asking_for_an_invisible_instance_is_a_denied_access(
    demo_users: dict[str, Any], api_as: Any
) -> None:
    instance = loan(demo_users["ana"])
    client = api_as(demo_users["carla"])  # an underwriter: not hers, no task of hers
    response = client.get(
        f"/api/processes/{instance.pk}/",
        HTTP_USER_AGENT="probe/1.0",
        HTTP_X_REQUEST_ID="req-42",
        REMOTE_ADDR="198.51.100.7",
    )
    assert response.status_code == 404
    assert response["X-Request-ID"] == "req-42"
    (event,) = denials()
    assert (event.actor_id, event.actor_label) == (demo_users["carla"].pk, "carla")
    assert (event.object_type, event.object_id) == ("instance", str(instance.pk))
    assert (event.instance_id, event.journey_id) == (instance.pk, instance.version.journey_id)
    assert (event.ip, event.user_agent, event.request_id) == ("198.51.100.7", "probe/1.0", "req-42")


def test_a_denied_access_survives_the_rolled_back_transaction_of_its_request(
    demo_users: dict[str, Any], api_as: Any
) -> None:
    instance = loan(demo_users["ana"])
    task = instance.tasks.get()
    client = api_as(demo_users["carla"])
    # Each of these fetches with for_update=True inside transaction.atomic(), which the 404
    # rolls back.
    assert (
        client.post(f"/api/processes/{instance.pk}/suspend/", {}, format="json").status_code == 404
    )
    assert client.post(f"/api/tasks/{task.pk}/claim/", {}, format="json").status_code == 404
    assert [(event.object_type, event.object_id) for event in denials()] == [
        ("instance", str(instance.pk)),
        ("task", str(task.pk)),
    ]


def test_an_unknown_id_is_not_found_not_denied(demo_users: dict[str, Any], api_as: Any) -> None:
    client = api_as(demo_users["carla"])
    assert client.get("/api/processes/987654/").status_code == 404
    assert client.get("/api/tasks/987654/").status_code == 404
    assert client.get("/api/journeys/987654/").status_code == 404
    assert denials() == []


def test_journeys_tasks_and_incidents_are_audited_when_denied(
    demo_users: dict[str, Any], api_as: Any, designer: Any, minimal_bpmn: str
) -> None:
    instance = loan(demo_users["ana"])
    task = instance.tasks.get()
    incident = Incident.objects.create(instance=instance, kind="engine", message="stuck")
    private = process_services.journey_create(
        actor=designer, key="private", name="Private", bpmn_xml=minimal_bpmn
    )
    client = api_as(demo_users["carla"])
    assert client.get(f"/api/journeys/{private.pk}/").status_code == 404
    assert client.get(f"/api/tasks/{task.pk}/").status_code == 404
    assert client.post(f"/api/incidents/{incident.pk}/retry/", {}, format="json").status_code == 404
    assert [
        (event.object_type, event.object_id, event.instance_id, event.journey_id)
        for event in denials()
    ] == [
        ("journey", str(private.pk), None, private.pk),
        ("task", str(task.pk), instance.pk, instance.version.journey_id),
        ("incident", str(incident.pk), instance.pk, instance.version.journey_id),
    ]


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_denial_is_written_at_once(demo_users: dict[str, Any]) -> None:
    instance = loan(demo_users["ana"])
    with pytest.raises(Exception, match="No such process instance"):
        access_instance(user=demo_users["carla"], instance_id=instance.pk)
    (event,) = denials()
    assert event.actor_label == "carla"


def test_an_anonymous_denial_names_no_user(demo_users: dict[str, Any]) -> None:
    from django.contrib.auth.models import AnonymousUser

    audit_access_denied(user=AnonymousUser(), object_type="instance", object_id=1)
    (event,) = denials()
    assert (event.actor_id, event.actor_label) == (None, "anonymous")


def test_sign_in_sign_out_and_failed_sign_in(demo_users: dict[str, Any]) -> None:
    client = Client(HTTP_USER_AGENT="Browser/2.0", REMOTE_ADDR="203.0.113.9")
    failed = client.post(reverse("login"), {"username": "ana", "password": "wrong-password"})
    assert failed.status_code == 200
    signed_in = client.post(reverse("login"), {"username": "ana", "password": "ana-demo"})
    assert signed_in.status_code == 302
    assert client.post(reverse("logout")).status_code == 302
    events = list(AuditEvent.objects.filter(type__startswith="auth.").order_by("seq"))
    assert [(event.type, event.actor_label) for event in events] == [
        ("auth.login_failed", "anonymous"),
        ("auth.login", "ana"),
        ("auth.logout", "ana"),
    ]
    assert events[0].after == {"username": "ana"}
    assert all(event.ip == "203.0.113.9" for event in events)
    assert all(event.user_agent == "Browser/2.0" for event in events)
    assert len({event.request_id for event in events}) == 3
    stored = str(list(AuditEvent.objects.values()))
    assert "wrong-password" not in stored
    assert "ana-demo" not in stored


def test_a_malformed_request_id_is_replaced(demo_users: dict[str, Any]) -> None:
    response = Client().get(reverse("login"), HTTP_X_REQUEST_ID="bad id <script>")
    assert response["X-Request-ID"] != "bad id <script>"
    assert len(response["X-Request-ID"]) == 32


@pytest.mark.django_db(transaction=True)
def test_subscribing_to_an_invisible_instance_on_the_live_socket_is_denied(
    worker: Any,
) -> None:
    from asgiref.sync import async_to_sync

    from tests.factories import ProcessInstanceFactory, UserFactory
    from tests.workflow_site.test_live_socket import ORIGIN, _connect, session_cookie

    other = ProcessInstanceFactory(started_by=UserFactory())
    cookie = session_cookie(worker)

    async def scenario() -> Any:
        communicator, (connected, _) = await _connect(
            [ORIGIN, cookie, (b"user-agent", b"Socket/1.0")]
        )
        assert connected
        await communicator.receive_json_from(timeout=5)
        await communicator.send_json_to({"type": "subscribe", "instance": other.pk})
        answer = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return answer

    assert async_to_sync(scenario)()["code"] == "not_found"
    (event,) = denials()
    assert (event.actor_label, event.object_type, event.object_id) == (
        "worker",
        "instance",
        str(other.pk),
    )
    assert event.user_agent == "Socket/1.0"
    assert event.request_id
