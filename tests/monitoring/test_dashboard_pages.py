"""The dashboard's pages and partials: who may open them, what they show, bad filters, the nav
item, and the dashboard's live socket group."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.test import Client

from monitoring import sla
from tests.monitoring.test_dashboard_figures import history  # noqa: F401  (fixture)
from workflow_site.asgi import application

ORIGIN = (b"origin", b"http://127.0.0.1:8000")
PERIOD = "since=2024-10-01&until=2024-10-10"


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_a_manager_sees_the_figures(history: dict) -> None:  # noqa: F811
    response = _client(history["staff"]).get(f"/monitoring/dashboard/?{PERIOD}")
    assert response.status_code == 200
    page = response.content.decode()
    # The tiles (see test_dashboard_figures for the history's answers).
    assert '<div class="display-6" data-metric="sla.tasks.open">6</div>' in page
    assert 'data-metric="sla.tasks.breached">2</span>' in page
    assert 'data-metric="sla.tasks.at_risk">1</span>' in page
    assert 'data-testid="compliance-total">50.0 %</strong>' in page
    assert 'data-metric="cycle_time.p50" data-format="duration">5 h 30 min</dd>' in page
    assert 'data-instance="{}"'.format(history["x"].pk) in page
    assert "vendor/chart.js/chart.umd.min.js" in page
    assert 'href="/monitoring/dashboard/"' in page  # the nav item


@pytest.mark.django_db
def test_a_role_manager_sees_their_roles_only(history: dict) -> None:  # noqa: F811
    page = _client(history["boss"]).get(f"/monitoring/dashboard/?{PERIOD}").content.decode()
    assert "The roles you manage" in page
    assert '<option value="clerks"' in page
    assert '<option value="underwriters"' not in page
    assert 'data-instance="{}"'.format(history["x"].pk) not in page


@pytest.mark.django_db
def test_others_are_refused_and_strangers_sent_to_sign_in(history: dict) -> None:  # noqa: F811
    worker = _client(history["ana"])
    for path in ("", "tasks/?state=breached", "active/", "compliance/"):
        assert worker.get(f"/monitoring/dashboard/{path}").status_code == 403
    assert "Dashboard</a>" not in worker.get("/inbox/").content.decode()
    response = Client().get("/monitoring/dashboard/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_drill_down_and_live_partials(history: dict) -> None:  # noqa: F811
    client = _client(history["staff"])
    response = client.get(f"/monitoring/dashboard/tasks/?state=breached&{PERIOD}")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Breached: 2 open tasks" in page
    assert page.count('data-sla-state="breached"') == 2
    assert client.get("/monitoring/dashboard/tasks/?state=late").status_code == 404
    active = client.get(f"/monitoring/dashboard/active/?{PERIOD}").content.decode()
    assert active.count("<tr data-instance=") == 5
    compliance = client.get(f"/monitoring/dashboard/compliance/?{PERIOD}").content.decode()
    assert "Task SLAs per step" in compliance
    assert 'aria-label="40.0 % met"' in compliance


@pytest.mark.django_db
def test_a_bad_filter_says_so_and_shows_the_default_period(history: dict) -> None:  # noqa: F811
    response = _client(history["staff"]).get("/monitoring/dashboard/?since=soon")
    assert response.status_code == 400
    assert 'data-testid="filter-error"' in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_managers_sockets_join_the_dashboard_group(history: dict) -> None:  # noqa: F811
    def cookie(user: Any) -> tuple[bytes, bytes]:
        return (b"cookie", f"sessionid={_client(user).cookies['sessionid'].value}".encode())

    async def scenario(session: tuple[bytes, bytes], broadcast: bool) -> list[Any]:
        communicator = WebsocketCommunicator(application, "/ws/live/", headers=[ORIGIN, session])
        connected, _ = await communicator.connect(timeout=5)
        assert connected
        await communicator.receive_json_from(timeout=5)  # hello
        await communicator.send_json_to({"type": "dashboard"})
        answers = [await communicator.receive_json_from(timeout=5)]
        if broadcast:
            from channels.layers import get_channel_layer

            event = {"kind": "dashboard", "change": "figures"}
            await get_channel_layer().group_send(
                sla.DASHBOARD_GROUP, {"type": "live.event", "event": event}
            )
            answers.append(await communicator.receive_json_from(timeout=5))
        await communicator.disconnect()
        return answers

    subscribed, event = async_to_sync(scenario)(cookie(history["boss"]), True)
    assert subscribed == {"type": "dashboard", "subscribed": True}
    assert event == {"type": "event", "event": {"kind": "dashboard", "change": "figures"}}
    (refused,) = async_to_sync(scenario)(cookie(history["ana"]), False)
    assert refused == {"type": "error", "code": "not_found", "field": "dashboard"}


def test_the_sla_sweeps_are_registered() -> None:
    from monitoring import sweeper

    assert {"sla", "sla-risk", "dashboard"} <= set(sweeper.registered_sweeps())


@pytest.mark.django_db
def test_dashboards_are_told_of_changes_but_not_flooded(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.utils import timezone

    from tests.factories import TaskFactory
    from workflow_site import effects

    sent: list[str] = []
    monkeypatch.setattr(effects, "broadcast_on_commit", lambda group, event: sent.append(group))
    monkeypatch.setattr(sla, "_last_fingerprint", None)
    now = timezone.now().replace(second=30)
    assert sla.dashboard_tick(now) == 1
    assert sla.dashboard_tick(now) == 0  # nothing changed
    TaskFactory()
    assert sla.dashboard_tick(now) == 1
    assert sent == [sla.DASHBOARD_GROUP, sla.DASHBOARD_GROUP]
    # From the hot path: at most one message per TOUCH_INTERVAL.
    outbox = effects.Outbox()
    monkeypatch.setattr(sla, "_last_touch", 0.0)
    for _ in range(50):
        sla.dashboard_touch(outbox)
    assert [group for group, _ in outbox.messages] == [sla.DASHBOARD_GROUP]
