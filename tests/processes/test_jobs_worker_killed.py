"""Service-task jobs run exactly once in effect through a real Celery worker (prefork, acks
late, rejected when the worker is lost) that is killed while the handler runs, inside the job's
transaction, and after the commit before the acknowledgement: every instance moves on once, and
nothing is lost."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitoring.models import AuditEvent
from processes import services
from processes.models import InstanceEvent, InstanceStatus, ProcessInstance
from tests.celery_worker_support import own_queue, running_worker, wait_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

TOPIC = "test-count"  # the handler of tests/processes/jobs_worker.py
BPMN = (
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:itn="urn:itinera:bpmn:1" id="defs" targetNamespace="urn:test">'
    '<bpmn:process id="proc" isExecutable="true"><bpmn:startEvent id="start"/>'
    f'<bpmn:serviceTask id="job" itn:topic="{TOPIC}"/><bpmn:endEvent id="end"/>'
    '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="job"/>'
    '<bpmn:sequenceFlow id="f2" sourceRef="job" targetRef="end"/>'
    "</bpmn:process></bpmn:definitions>"
)


@pytest.fixture
def worker_dir(tmp_path: Path) -> Iterator[Path]:
    """A Celery worker (prefork, one child) on the test database and a queue of the test's own;
    yields its stop directory."""
    with (
        own_queue("itinera-jobs-test") as queue,
        running_worker("tests.processes.jobs_worker", queue, tmp_path) as stop_dir,
    ):
        yield stop_dir


def test_a_worker_killed_mid_job_moves_each_instance_on_once(worker_dir: Path) -> None:
    stop_dir = worker_dir
    starter = UserFactory(is_superuser=True)
    journey = services.journey_create(actor=starter, key="counted", name="Counted", bpmn_xml=BPMN)
    services.journey_version_publish(actor=starter, version=journey.versions.get())
    stops = {1: "handler", 2: "before", 3: "after"}
    for number, where in stops.items():
        (stop_dir / f"stop-{where}-{number}").touch()
    ids = [
        services.instance_start(actor=starter, journey=journey, data={"n": number}).pk
        for number in range(6)
    ]

    for _ in stops:
        wait_for(lambda: any(stop_dir.glob("stopped-*-*[0-9]")), 60, stop_dir)
        stopped = next(stop_dir.glob("stopped-*-*[0-9]"))
        wait_for(lambda stopped=stopped: stopped.read_text().strip() != "", 10, stop_dir)
        where, position = stopped.name.split("-")[1:]
        instance = ProcessInstance.objects.get(pk=ids[int(position)])
        if where in ("handler", "before"):
            # Nothing of the interrupted job is visible before the kill ...
            assert instance.status == InstanceStatus.RUNNING
        else:
            assert instance.status == InstanceStatus.COMPLETED
        os.kill(int(stopped.read_text()), signal.SIGKILL)
        stopped.rename(stop_dir / f"killed-{where}-{position}")

    # ... the redelivered jobs finish what was left, and nothing is done twice.
    def all_completed() -> bool:
        finished = ProcessInstance.objects.filter(pk__in=ids, status=InstanceStatus.COMPLETED)
        return finished.count() == len(ids)

    wait_for(all_completed, 60, stop_dir)
    time.sleep(1.5)  # the time for a wrongly repeated job to do harm
    log = (stop_dir / "worker.log").read_text()
    assert log.count("WorkerLostError") + log.count("Worker exited prematurely") >= len(stops)
    for number, pk in enumerate(ids):
        assert InstanceEvent.objects.filter(instance_id=pk, kind="job_done").count() == 1, number
        instance = ProcessInstance.objects.get(pk=pk)
        assert instance.data == {"n": number, "counted": True}
    for kind in ("instance.advanced", "instance.completed"):
        assert AuditEvent.objects.filter(instance_id__in=ids, type=kind).count() == len(ids), kind
    # The handler ran again only for the job killed while it ran: at least once per job.
    runs = {n: (stop_dir / f"ran-{n}").read_text() for n in range(6)}
    assert runs == {0: "x", 1: "x", 2: "xx", 3: "x", 4: "x", 5: "x"}
