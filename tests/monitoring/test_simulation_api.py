"""The simulation API: a run from history and a scenario, bad input as 400s naming the field,
managers only, runs visible to who asked for them, progress told over the live socket."""

from __future__ import annotations

from typing import Any

import pytest

from monitoring.models import AuditEvent
from monitoring.simulation import inputs
from monitoring.simulation.models import SimulationRun, SimulationStatus
from monitoring.simulation.scenario import MIN_HISTORY, read_scenario
from processes.models import Journey, VersionStatus
from tests.factories import UserFactory
from tests.monitoring.history_support import loan_history
from workflow_site import effects

# Real commits: the job and its broadcasts run after the request's transaction commits.
pytestmark = pytest.mark.django_db(transaction=True)


SCENARIO = {
    "instances": 400,
    "replications": 3,
    "seed": 7,
    "arrivals": {"kind": "poisson", "rate_per_hour": 1.0},
}


def test_a_manager_simulates_a_journey_from_its_history(
    demo_users: dict[str, Any], api_as: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    loan_history(demo_users)
    told: list[tuple[str, dict[str, Any]]] = []
    original = effects.broadcast_on_commit

    def broadcast(group: str, event: dict[str, Any]) -> None:
        told.append((group, dict(event)))
        original(group, event)

    monkeypatch.setattr(effects, "broadcast_on_commit", broadcast)
    maria = demo_users["maria"]
    response = api_as(maria).post(
        "/api/simulation/run",
        {"journey": "loan-application", "scenario": SCENARIO},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert response["Location"] == f"/api/simulation/runs/{body['id']}"
    # The embedded default runs the job at once: the run is done when the answer comes.
    assert body["status"] == "done"
    assert body["progress"] == 1.0
    assumptions = body["assumptions"]
    assert assumptions["durations"]["Task_Capture"]["source"] == "history"
    assert assumptions["durations"]["Task_Capture"]["mean"] == pytest.approx(600)
    assert assumptions["durations"]["Task_Underwrite"]["source"] == "history" or (
        assumptions["durations"]["Task_Underwrite"]["source"] == "none"
    )
    assert assumptions["branches"]["Gateway_Amount"]["source"] == "history"
    assert assumptions["branches"]["Gateway_Amount"]["weights"] == {
        "Flow_Large": 0.25,
        "Flow_Standard": 0.75,
    }
    assert assumptions["roles"]["loan-officers"]["people"] == 2
    assert assumptions["roles"]["underwriters"]["people"] == 1
    result = body["result"]
    assert result["instances"] == 400
    assert result["replications"] == 3
    assert result["completed"] == 1200
    p50 = result["cycle_time"]["p50"]
    assert p50["low"] <= p50["mean"] <= p50["high"]
    # Capture and documents take 40 minutes of work at least.
    assert p50["mean"] >= 2400
    visits = {row["element_id"]: row["visits_per_instance"] for row in result["elements"]}
    assert visits["Task_Underwrite"] == pytest.approx(0.25, abs=0.05)
    assert {row["role"] for row in result["roles"]} == {"loan-officers", "underwriters"}
    assert result["series"]["roles"]["loan-officers"]["utilisation"]
    # Progress went to the asker's sockets: running, then done.
    statuses = [event["status"] for group, event in told if event.get("kind") == "simulation"]
    assert statuses[0] == "running"
    assert statuses[-1] == "done"
    assert {group for group, event in told if event.get("kind") == "simulation"} == {
        f"user.{maria.pk}"
    }
    assert AuditEvent.objects.filter(
        type="simulation.requested", object_id=str(body["id"])
    ).exists()

    detail = api_as(maria).get(f"/api/simulation/runs/{body['id']}")
    assert detail.status_code == 200
    assert detail.json()["result"] == result
    listing = api_as(maria).get("/api/simulation/runs")
    assert listing.json()["count"] == 1


def test_the_same_scenario_and_seed_give_the_same_results(
    demo_users: dict[str, Any], api_as: Any
) -> None:
    loan_history(demo_users, count=MIN_HISTORY + 4)
    client = api_as(demo_users["maria"])
    bodies = [
        client.post(
            "/api/simulation/run",
            {"journey": "loan-application", "version": 1, "scenario": SCENARIO},
            format="json",
        ).json()
        for _ in range(2)
    ]
    assert bodies[0]["result"] == bodies[1]["result"]


def test_fewer_underwriters_make_a_longer_queue(demo_users: dict[str, Any], api_as: Any) -> None:
    loan_history(demo_users)
    client = api_as(demo_users["maria"])
    busy = {
        **SCENARIO,
        "arrivals": {"rate_per_hour": 1.6},
        "durations": {"Task_Underwrite": {"distribution": "exponential", "mean": 7200}},
    }
    results = {}
    for people in (1, 3):
        body = client.post(
            "/api/simulation/run",
            {
                "journey": "loan-application",
                "scenario": {**busy, "staffing": {"underwriters": people}},
            },
            format="json",
        ).json()
        results[people] = {row["role"]: row for row in body["result"]["roles"]}["underwriters"]
    assert results[1]["wait"]["mean"] > results[3]["wait"]["mean"]
    assert results[1]["utilisation"]["mean"] > results[3]["utilisation"]["mean"]


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({}, "required", "journey"),
        ({"journey": "nope"}, "unknown_journey", "journey"),
        ({"journey": "loan-application", "version": 9}, "unknown_version", "version"),
        ({"journey": "loan-application", "version": "x"}, "invalid", "version"),
        ({"journey": "loan-application", "scenario": []}, "invalid", "scenario"),
        (
            {"journey": "loan-application", "scenario": {"instances": 0}},
            "out_of_range",
            "scenario.instances",
        ),
        (
            {"journey": "loan-application", "scenario": {"instances": 50_000, "replications": 20}},
            "too_large",
            "scenario.instances",
        ),
        (
            {"journey": "loan-application", "scenario": {"colour": 1}},
            "unknown_field",
            "scenario.colour",
        ),
        (
            {"journey": "loan-application", "scenario": {"staffing": {"nobody": 2}}},
            "unknown_role",
            "scenario.staffing.nobody",
        ),
        (
            {"journey": "loan-application", "scenario": {"staffing": {"underwriters": 0}}},
            "out_of_range",
            "scenario.staffing.underwriters",
        ),
        (
            {"journey": "loan-application", "scenario": {"durations": {"Nope": {"factor": 2}}}},
            "unknown_element",
            "scenario.durations.Nope",
        ),
        (
            {
                "journey": "loan-application",
                "scenario": {"durations": {"Task_Capture": {"distribution": "gamma", "mean": 1}}},
            },
            "invalid_choice",
            "scenario.durations.Task_Capture.distribution",
        ),
        (
            {
                "journey": "loan-application",
                "scenario": {"durations": {"Task_Capture": {"distribution": "fixed"}}},
            },
            "required",
            "scenario.durations.Task_Capture.mean",
        ),
        (
            {
                "journey": "loan-application",
                "scenario": {"branches": {"Gateway_Amount": {"Flow_Large": 0}}},
            },
            "invalid",
            "scenario.branches.Gateway_Amount",
        ),
        (
            {
                "journey": "loan-application",
                "scenario": {"branches": {"Gateway_Amount": {"Flow_Nope": 1}}},
            },
            "unknown_flow",
            "scenario.branches.Gateway_Amount.Flow_Nope",
        ),
        (
            {"journey": "loan-application", "scenario": {"arrivals": {"kind": "burst"}}},
            "invalid_choice",
            "scenario.arrivals.kind",
        ),
        (
            {"journey": "loan-application", "scenario": {"arrivals": {"rate_per_hour": -1}}},
            "out_of_range",
            "scenario.arrivals.rate_per_hour",
        ),
        (
            {"journey": "loan-application", "scenario": {"arrivals": {"kind": "poisson"}}},
            "required",
            "scenario.arrivals.rate_per_hour",
        ),
        (
            {"journey": "loan-application", "scenario": {"arrivals": {"kind": "replay"}}},
            "no_history",
            "scenario.arrivals.kind",
        ),
        (
            {
                "journey": "loan-application",
                "scenario": {"sla": "soon", "arrivals": {"rate_per_hour": 1}},
            },
            "invalid",
            "scenario.sla",
        ),
    ],
)
def test_bad_input_is_a_400_naming_the_field(
    demo_users: dict[str, Any], api_as: Any, body: dict[str, Any], code: str, field: str
) -> None:
    response = api_as(demo_users["maria"]).post("/api/simulation/run", body, format="json")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert (error["code"], error["field"]) == (code, field)
    assert not SimulationRun.objects.exists()


def test_only_managers_simulate_and_see_runs(demo_users: dict[str, Any], api_as: Any) -> None:
    loan_history(demo_users, count=4)
    ana = demo_users["ana"]  # a loan officer, no manager
    request = {"journey": "loan-application", "scenario": SCENARIO}
    assert api_as(ana).post("/api/simulation/run", request, format="json").status_code == 403
    assert api_as(ana).get("/api/simulation/runs").status_code == 403
    maria = demo_users["maria"]
    run_id = api_as(maria).post("/api/simulation/run", request, format="json").json()["id"]
    assert api_as(ana).get(f"/api/simulation/runs/{run_id}").status_code == 403
    # A manager of a role (not staff) sees their own runs only: another's is a 404.
    lead = UserFactory(username="lead")
    from tasks.models import Role

    Role.objects.filter(key="underwriters").update(manager=lead)
    assert api_as(lead).get(f"/api/simulation/runs/{run_id}").status_code == 404
    assert api_as(maria).get("/api/simulation/runs/999999").status_code == 404
    own = api_as(lead).post("/api/simulation/run", request, format="json")
    assert own.status_code == 201, own.content
    assert api_as(lead).get(f"/api/simulation/runs/{own.json()['id']}").status_code == 200
    assert api_as(lead).get("/api/simulation/runs").json()["count"] == 1


def test_a_draft_is_simulated_as_it_stands(demo_users: dict[str, Any], api_as: Any) -> None:
    from processes import services as process_services

    journey = Journey.objects.get(key="loan-application")
    published = journey.versions.get(status=VersionStatus.PUBLISHED)
    process_services.journey_draft_save(
        actor=demo_users["admin"],
        journey=journey,
        bpmn_xml=published.bpmn_xml.replace(
            'name="Underwriter decision"',
            'name="Underwriter decision" itn:expectedDuration="PT3H"',
        ),
        expected_lock_version=None,
    )
    body = (
        api_as(demo_users["maria"])
        .post(
            "/api/simulation/run",
            {"journey": "loan-application", "version": "draft", "scenario": SCENARIO},
            format="json",
        )
        .json()
    )
    assert (body["version"], body["version_status"]) == (2, "draft")
    assert body["assumptions"]["durations"]["Task_Underwrite"] == {
        "distribution": "lognormal",
        "mean": 10800.0,
        "cv": 0.5,
        "samples": None,
        "source": "expectedDuration",
    }
    assert 'itn:expectedDuration="PT3H"' in body["bpmn_xml"]


def test_a_run_that_cannot_go_on_fails_with_its_reason(demo_users: dict[str, Any]) -> None:
    from monitoring.simulation import services

    loan_history(demo_users, count=4)
    run = services.simulation_run_request(
        actor=demo_users["maria"], journey_key="loan-application", version=None, scenario=SCENARIO
    )
    run.refresh_from_db()
    assert run.status == SimulationStatus.DONE
    # A run is played once: asking again leaves it as it is.
    assert services.simulation_run_execute(run_id=run.pk).status == SimulationStatus.DONE
    queued = SimulationRun.objects.create(
        journey=run.journey,
        version=None,
        version_number=1,
        version_status="published",
        bpmn_xml="",
        scenario=run.scenario,
        created_by=demo_users["maria"],
    )
    failed = services.simulation_run_execute(run_id=queued.pk)
    assert failed is not None
    assert failed.status == SimulationStatus.FAILED
    assert "deleted" in failed.error


def test_history_traces_read_work_items_in_order(demo_users: dict[str, Any]) -> None:
    journey = loan_history(demo_users, count=3)
    found = inputs.traces(journey_id=journey.pk)
    assert [path for _, path, _ in found][-1] == [
        "Task_Capture",
        "Task_Documents",
        "Task_Underwrite",
    ]
    assert all(done for _, _, done in found)
    assert read_scenario({}).instances == 1000
