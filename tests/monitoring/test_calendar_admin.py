"""The calendar editor in the admin: a calendar saved with its periods, holidays and users is
compiled (and audited); bad periods and time zones are form errors, not server errors."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.test import Client

from monitoring.models import AuditEvent
from monitoring.sla import calendar_for
from monitoring.sla_models import BusinessCalendar
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_for(db: Any) -> Client:
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    return client


def _inline(prefix: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        data.update({f"{prefix}-{index}-{key}": value for key, value in row.items()})
    return data


def _post(client: Client, *, periods: list[dict], zone: str = "Europe/Berlin", **links: Any) -> Any:
    data = {
        "name": "Berlin office",
        "time_zone": zone,
        "business_day_hours": "8",
        **_inline("periods", periods),
        **_inline("holidays", [{"date": "2024-12-24", "name": "Christmas Eve"}]),
        **_inline("journey_links", links.get("journeys", [])),
        **_inline("role_links", links.get("roles", [])),
    }
    return client.post("/admin/monitoring/businesscalendar/add/", data)


WEEK = [{"weekday": str(day), "start": "09:00", "end": "17:00"} for day in range(5)]


def test_a_calendar_is_saved_compiled_and_given_to_a_role(
    admin_client_for: Client, worker_role: Any
) -> None:
    night = {"weekday": "5", "start": "22:00", "end": "00:00"}
    response = _post(
        admin_client_for, periods=[*WEEK, night], roles=[{"role": str(worker_role.pk)}]
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    calendar = BusinessCalendar.objects.get()
    assert calendar.compiled["zone"] == "Europe/Berlin"
    assert calendar.compiled["periods"][0] == [[540, 1020]]
    assert calendar.compiled["periods"][5] == [[1320, 1440]]  # until midnight
    assert calendar.compiled["holidays"] == ["2024-12-24"]
    calendar_id, working = calendar_for(role_id=worker_role.pk, journey_id=None)
    assert calendar_id == calendar.pk
    assert date(2024, 12, 24) in working.holidays
    assert AuditEvent.objects.filter(type="calendar.saved", object_id=str(calendar.pk)).exists()


@pytest.mark.parametrize(
    ("periods", "zone", "message"),
    [
        ([{"weekday": "0", "start": "17:00", "end": "09:00"}], "UTC", "ends after it starts"),
        (
            [
                {"weekday": "0", "start": "09:00", "end": "13:00"},
                {"weekday": "0", "start": "12:00", "end": "17:00"},
            ],
            "UTC",
            "Monday: working periods overlap",
        ),
        ([], "UTC", "at least one working period"),
        (WEEK, "Mars/Olympus", "not a known time zone"),
    ],
)
def test_bad_calendars_are_form_errors(
    admin_client_for: Client, periods: list[dict], zone: str, message: str
) -> None:
    response = _post(admin_client_for, periods=periods, zone=zone)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not BusinessCalendar.objects.exists()
