"""The audit pages: who may see them, filters and paging, an event's diff, the verification
status, and exports that parse as CSV, JSON lines and XES."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone
from lxml import etree

from monitoring import services
from monitoring.models import AuditEvent
from processes import services as process_services
from processes.selectors import journey_by_key
from tasks import services as task_services
from tests.factories import UserFactory
from tests.monitoring.support import tampering, write_chain

pytestmark = pytest.mark.django_db

XES = "{http://www.xes-standard.org/}"


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def auditor() -> Client:
    user = UserFactory(username="auditor", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    return signed_in(user)


@pytest.fixture
def worked_loan(demo_users: dict[str, Any]) -> Any:
    """A loan whose capture task ana completed."""
    ana = demo_users["ana"]
    instance = process_services.instance_start(
        actor=ana, journey=journey_by_key(key="loan-application"), business_key="L-7"
    )
    task_services.task_complete(
        actor=ana,
        task=instance.tasks.get(element_id="Task_Capture"),
        data={"applicant": "Jo", "amount": "75000", "term_months": "24"},
    )
    return instance


@pytest.mark.parametrize("path", ["/monitoring/audit/", "/monitoring/audit/verify/"])
def test_only_staff_with_the_audit_permission_see_the_pages(
    path: str, auditor: Client, demo_users: dict[str, Any]
) -> None:
    anonymous = Client().get(path)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/")
    assert signed_in(demo_users["ana"]).get(path).status_code == 403
    assert signed_in(demo_users["maria"]).get(path).status_code == 403  # staff, no permission
    assert auditor.get(path).status_code == 200
    assert signed_in(demo_users["admin"]).get(path).status_code == 200


def test_the_navigation_links_the_audit_trail_for_auditors(
    auditor: Client, demo_users: dict[str, Any]
) -> None:
    assert 'href="/monitoring/audit/"' in auditor.get("/").content.decode()
    assert (
        'href="/monitoring/audit/"' not in signed_in(demo_users["maria"]).get("/").content.decode()
    )


def listed(response: Any) -> list[AuditEvent]:
    return list(response.context["page"].object_list)


def test_filters_by_actor_type_object_instance_journey_and_time(
    auditor: Client, worked_loan: Any
) -> None:
    journey = worked_loan.version.journey
    by_ana = listed(auditor.get("/monitoring/audit/?actor=ana"))
    assert {event.actor_label for event in by_ana} == {"ana"}
    assert {"instance.started", "task.completed", "auth.login"} - {e.type for e in by_ana} == {
        "auth.login"
    }
    tasks = listed(auditor.get("/monitoring/audit/?type=task.*"))
    assert tasks
    assert all(event.type.startswith("task.") for event in tasks)
    completed = listed(auditor.get("/monitoring/audit/?type=task.completed"))
    assert [event.element_id for event in completed] == ["Task_Capture"]
    task_id = completed[0].object_id
    assert {
        event.type
        for event in listed(auditor.get(f"/monitoring/audit/?object_type=task&object_id={task_id}"))
    } == {"task.offered", "task.completed"}
    of_instance = listed(auditor.get(f"/monitoring/audit/?instance={worked_loan.pk}"))
    assert {event.instance_id for event in of_instance} == {worked_loan.pk}
    of_journey = listed(auditor.get(f"/monitoring/audit/?journey={journey.key}"))
    assert {event.journey_id for event in of_journey} == {journey.pk}
    assert len(of_journey) > len(of_instance)
    tomorrow = (timezone.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    assert listed(auditor.get(f"/monitoring/audit/?since={tomorrow}")) == []
    assert len(listed(auditor.get(f"/monitoring/audit/?until={tomorrow}"))) == min(
        50, AuditEvent.objects.count()
    )


def test_a_bad_filter_is_a_form_error(auditor: Client) -> None:
    response = auditor.get("/monitoring/audit/?instance=abc&since=yesterday")
    assert response.status_code == 200
    assert response.context["page"] is None
    assert set(response.context["form"].errors) == {"instance", "since"}
    assert auditor.get("/monitoring/audit/?instance=abc&format=csv").status_code == 400
    assert auditor.get("/monitoring/audit/?format=pdf").status_code == 404


def test_the_list_pages_newest_first_in_a_fixed_number_of_queries(
    auditor: Client, django_assert_num_queries: Any
) -> None:
    write_chain(120)
    # session, user, permissions (user and group), count, journeys, page
    with django_assert_num_queries(7):
        first = auditor.get("/monitoring/audit/?type=test.event")
    assert [event.seq for event in listed(first)][:2] == [121, 120]  # 1 is the sign-in
    assert first.context["page"].paginator.num_pages == 3
    last = auditor.get("/monitoring/audit/?type=test.event&page=3")
    assert [event.seq for event in listed(last)] == list(range(21, 1, -1))
    assert "type=test.event&amp;page=2" in last.content.decode()


def test_an_event_shows_every_column_and_its_before_after_diff(
    auditor: Client, demo_users: dict[str, Any], worked_loan: Any
) -> None:
    maria = demo_users["maria"]
    process_services.instance_suspend(actor=maria, instance_id=worked_loan.pk, reason="Fraud check")
    event = AuditEvent.objects.get(type="instance.suspended")
    response = auditor.get(f"/monitoring/audit/{event.seq}/")
    assert response.status_code == 200
    assert response.context["diff"] == [
        {"field": "status", "before": "running", "after": "suspended"}
    ]
    page = response.content.decode()
    assert "Fraud check" in page
    assert event.hash in page
    assert response.context["hash_ok"]
    assert response.context["link_ok"]
    completed = AuditEvent.objects.get(type="task.completed")
    rows = auditor.get(f"/monitoring/audit/{completed.seq}/").context["diff"]
    assert {"field": "data.amount", "before": None, "after": "75000"} in rows
    assert {"field": "status", "before": "claimed", "after": "completed"} in rows
    assert auditor.get("/monitoring/audit/999999/").status_code == 404


def test_an_altered_event_says_so_on_its_page(auditor: Client) -> None:
    write_chain(3)
    with tampering():
        AuditEvent.objects.filter(seq=2).update(reason="altered")
    response = auditor.get("/monitoring/audit/2/")
    assert not response.context["hash_ok"]
    assert "contents changed after writing" in response.content.decode()


def test_the_verification_page_shows_the_state_of_the_chain(auditor: Client) -> None:
    write_chain(5)
    services.audit_checkpoint_create()
    sound = auditor.get("/monitoring/audit/verify/")
    assert sound.context["result"].ok
    assert "The chain is intact" in sound.content.decode()
    with tampering():
        AuditEvent.objects.filter(seq=3).delete()
    broken = auditor.get("/monitoring/audit/verify/").content.decode()
    assert "broken at seq 3: missing: seq 3 is gone" in broken


def download(client: Client, query: str) -> str:
    response = client.get(f"/monitoring/audit/?{query}")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="audit-')
    return b"".join(response.streaming_content).decode()


def test_csv_export_of_a_filtered_set(auditor: Client, worked_loan: Any) -> None:
    services.audit_record(type="test.event", reason='=HYPERLINK("http://evil")')
    rows = list(csv.DictReader(io.StringIO(download(auditor, "type=task.*&format=csv"))))
    assert [row["type"] for row in rows] == ["task.offered", "task.completed", "task.offered"]
    assert rows[1]["actor_label"] == "ana"
    assert json.loads(rows[1]["after"])["status"] == "completed"
    assert len(rows[0]["hash"]) == 64
    (evil,) = csv.DictReader(io.StringIO(download(auditor, "type=test.event&format=csv")))
    assert evil["reason"].startswith("'=")  # a spreadsheet shows it, does not run it
    exported = AuditEvent.objects.filter(type="audit.exported").order_by("seq")
    assert [event.after["format"] for event in exported] == ["csv", "csv"]
    assert exported[0].after["filters"] == {"type": "task.*"}


def test_json_lines_export(auditor: Client, worked_loan: Any) -> None:
    lines = download(auditor, f"instance={worked_loan.pk}&format=jsonl").splitlines()
    records = [json.loads(line) for line in lines]
    assert [record["seq"] for record in records] == sorted(record["seq"] for record in records)
    assert {record["instance_id"] for record in records} == {worked_loan.pk}
    first = AuditEvent.objects.get(seq=records[0]["seq"])
    assert records[0]["hash"] == first.hash
    assert records[0]["before"] == first.before


def test_xes_export_has_one_trace_per_instance(
    auditor: Client, worked_loan: Any, demo_users: dict[str, Any]
) -> None:
    other = process_services.instance_start(
        actor=demo_users["ben"], journey=journey_by_key(key="loan-application")
    )
    log = etree.fromstring(download(auditor, "format=xes").encode())
    assert log.tag == f"{XES}log"
    prefixes = {extension.get("prefix") for extension in log.iter(f"{XES}extension")}
    assert prefixes == {"concept", "time", "org", "lifecycle"}
    traces = {
        trace.find(f"{XES}string[@key='concept:name']").get("value"): trace
        for trace in log.iter(f"{XES}trace")
    }
    assert set(traces) == {str(worked_loan.pk), str(other.pk)}

    def attributes(event: Any) -> dict[str, str]:
        return {child.get("key"): child.get("value") for child in event}

    events = [attributes(event) for event in traces[str(worked_loan.pk)].iter(f"{XES}event")]
    steps = [(e["concept:name"], e["lifecycle:transition"], e["org:resource"]) for e in events]
    assert steps[:4] == [
        ("instance.started", "start", "ana"),
        ("Task_Capture", "schedule", "system"),
        ("Task_Capture", "complete", "ana"),
        ("Task_Documents", "schedule", "system"),
    ]
    assert all(event["time:timestamp"].endswith("+00:00") for event in events)
