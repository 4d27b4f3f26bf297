from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from processes.models import InstanceStatus, ProcessInstance
from processes.selectors import journey_by_key
from workflow_site.demo import demo_data_install

pytestmark = pytest.mark.django_db


@pytest.fixture
def users() -> dict[str, Any]:
    demo_data_install()
    return {u.username: u for u in get_user_model().objects.all()}


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_start_a_journey_from_the_start_page(users: dict[str, Any]) -> None:
    client = signed_in(users["ana"])
    journey = journey_by_key(key="loan-application")
    assert f"/journeys/{journey.pk}/start/" in client.get("/").content.decode()
    form = client.get(f"/journeys/{journey.pk}/start/")
    assert 'for="id_business_key"' in form.content.decode()
    response = client.post(
        f"/journeys/{journey.pk}/start/", {"business_key": "WEB-7", "notes": "VIP"}
    )
    instance = ProcessInstance.objects.get(business_key="WEB-7")
    assert response["Location"] == f"/processes/{instance.pk}/"
    assert instance.data == {"notes": "VIP"}
    assert instance.started_by == users["ana"]


def test_a_journey_you_may_not_start_is_refused_in_the_form(users: dict[str, Any]) -> None:
    client = signed_in(users["carla"])
    journey = journey_by_key(key="loan-application")  # visible to carla, not startable
    response = client.post(f"/journeys/{journey.pk}/start/", {"business_key": "X"})
    assert response.status_code == 200
    assert "not allowed" in response.content.decode()
    assert not ProcessInstance.objects.filter(business_key="X").exists()


def test_instance_pages_and_diagram_state(users: dict[str, Any]) -> None:
    ana = users["ana"]
    client = signed_in(ana)
    journey = journey_by_key(key="loan-application")
    client.post(f"/journeys/{journey.pk}/start/", {"business_key": "D-1"})
    instance = ProcessInstance.objects.get(business_key="D-1")
    assert "D-1" in client.get("/processes/").content.decode()
    page = client.get(f"/processes/{instance.pk}/").content.decode()
    assert 'id="diagram"' in page
    state = client.get(f"/processes/{instance.pk}/diagram.json").json()
    assert state["active"] == {"Task_Capture": 1}
    assert "<bpmn:definitions" in state["bpmn_xml"]
    stranger = signed_in(users["carla"])
    assert stranger.get(f"/processes/{instance.pk}/").status_code == 404
    assert stranger.get(f"/processes/{instance.pk}/diagram.json").status_code == 404
    assert stranger.post(f"/processes/{instance.pk}/cancel/", {"reason": "x"}).status_code == 404


def test_managers_cancel_with_a_reason(users: dict[str, Any]) -> None:
    ana, maria = users["ana"], users["maria"]
    signed_in(ana).post(
        f"/journeys/{journey_by_key(key='loan-application').pk}/start/", {"business_key": "C-1"}
    )
    instance = ProcessInstance.objects.get(business_key="C-1")
    # ana started it but is no operator: refused with a message, nothing changes.
    signed_in(ana).post(f"/processes/{instance.pk}/cancel/", {"reason": "oops"})
    instance.refresh_from_db()
    assert instance.status == InstanceStatus.RUNNING
    manager = signed_in(maria)
    missing_reason = manager.post(f"/processes/{instance.pk}/cancel/", {"reason": ""}, follow=True)
    assert "Say why" in missing_reason.content.decode()
    manager.post(f"/processes/{instance.pk}/cancel/", {"reason": "Duplicate application"})
    instance.refresh_from_db()
    assert (instance.status, instance.end_reason) == (
        InstanceStatus.CANCELLED,
        "Duplicate application",
    )
    assert manager.post(f"/processes/{instance.pk}/fly/").status_code == 404
