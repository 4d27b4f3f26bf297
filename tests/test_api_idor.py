"""The IDOR sweep: for every API route that takes an id, another user's object gets exactly the
same 404 as an id that does not exist."""

from __future__ import annotations

import re
from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator
from guardian.shortcuts import assign_perm
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from designer import services as designer_services
from monitoring.simulation.models import SimulationRun
from processes import services
from processes.models import Incident
from rules import services as rule_services
from tests.factories import MINIMAL_BPMN, RoleFactory, UserFactory
from workflow_site.demo import demo_data_install

pytestmark = pytest.mark.django_db

MISSING = 987_654_321
PRIVATE = MINIMAL_BPMN.replace(
    '<bpmn:userTask id="Work" name="Do the work" />',
    '<bpmn:userTask id="Work" name="Do the work" itn:assignment="user" itn:assignee="\'owner\'" />',
).replace("<bpmn:definitions ", '<bpmn:definitions xmlns:itn="urn:itinera:bpmn:1" ')


@pytest.fixture
def owners_objects() -> dict[str, int]:
    """A journey, instance, task and incident that only their owner may see."""
    demo_data_install()
    owner = UserFactory(username="owner")
    assign_perm("processes.add_journey", owner)
    journey = services.journey_create(actor=owner, key="private", name="Private", bpmn_xml=PRIVATE)
    services.journey_version_publish(actor=owner, version=journey.versions.get())
    assign_perm("processes.start_journey", owner, journey)
    instance = services.instance_start(actor=owner, journey=journey)
    task = instance.tasks.get(element_id="Work")
    assert task.assignee == owner
    incident = Incident.objects.create(
        instance=instance, element_id="Work", kind="service_task", message="x", activity=1
    )
    scenario = designer_services.scenario_create(
        actor=owner, journey=journey, name="t", script=[], expect=[{"state": "running"}]
    )
    assign_perm("rules.add_rule", owner)
    owner = type(owner).objects.get(pk=owner.pk)  # without the cached permissions
    rule = rule_services.rule_create(actor=owner, key="private-rule", name="P", kind="condition")
    rule_services.rule_publish(actor=owner, rule=rule)
    run = SimulationRun.objects.create(
        journey=journey,
        version=journey.versions.get(),
        version_number=1,
        version_status="published",
        bpmn_xml=PRIVATE,
        created_by=owner,
    )
    return {
        "run_id": run.pk,
        "rule_id": rule.pk,
        "journey_id": journey.pk,
        "number": 1,
        "instance_id": instance.pk,
        "task_id": task.pk,
        "incident_id": incident.pk,
        "scenario_id": scenario.pk,
    }


def routes_with_ids() -> list[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return sorted(
        (method, path)
        for path, item in schema["paths"].items()
        if "{" in path
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    )


def client_for(username: str) -> APIClient:
    from django.contrib.auth import get_user_model

    client = APIClient()
    token, _ = Token.objects.get_or_create(user=get_user_model().objects.get(username=username))
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def test_another_users_object_is_indistinguishable_from_a_missing_one(
    owners_objects: dict[str, int],
) -> None:
    routes = routes_with_ids()
    assert len(routes) >= 20
    # Simulations are for managers (anyone else gets a 403 whatever the id): a manager who is
    # not staff and did not ask for the run is the stranger there.
    manager = UserFactory(username="manager")
    RoleFactory(key="managed", name="Managed", manager=manager)
    strangers = {"carla": client_for("carla"), "manager": client_for("manager")}
    owner = client_for("owner")
    for method, path in routes:
        stranger = strangers["manager" if path.startswith("/api/simulation/") else "carla"]
        theirs = re.sub(r"\{(\w+)\}", lambda m: str(owners_objects[m.group(1)]), path)
        missing = re.sub(
            r"\{(\w+)\}",
            lambda m: "1" if m.group(1) == "number" else str(MISSING),
            path,
        )
        # A well-formed body and a wrong one: the id is checked before the body is.
        bodies: list[dict[str, Any]] = [
            {"reason": "x", "text": "x", "user": 1, "data": {}},
            {"user": "nobody", "data": 5},
        ]
        call = getattr(stranger, method)
        for body in bodies if method != "get" else [{}]:
            seen = call(theirs, body, format="json") if method != "get" else call(theirs)
            absent = call(missing, body, format="json") if method != "get" else call(missing)
            assert seen.status_code == absent.status_code == 404, (method, path, seen.status_code)
            assert seen.content == absent.content, (method, path)
    # The owner does see them (the sweep is not passing because everything is hidden).
    assert owner.get(f"/api/processes/{owners_objects['instance_id']}/").status_code == 200
    assert owner.get(f"/api/tasks/{owners_objects['task_id']}/").status_code == 200
    assert owner.get(f"/api/journeys/{owners_objects['journey_id']}/").status_code == 200
