"""Two editors saving the same draft at once: exactly one wins, the other gets a conflict."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from processes import services
from processes.models import JourneyVersion
from tests.factories import MINIMAL_BPMN
from workflow_site.errors import ConflictError

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_draft_saves_exactly_one_succeeds(designer: Any) -> None:
    journey = services.journey_create(actor=designer, key="j", name="J", bpmn_xml=MINIMAL_BPMN)
    barrier = threading.Barrier(2, timeout=10)
    outcomes: list[str] = []
    lock = threading.Lock()

    def editor(marker: str) -> None:
        try:
            barrier.wait()
            services.journey_draft_save(
                actor=designer,
                journey=journey,
                bpmn_xml=MINIMAL_BPMN.replace("Minimal", marker),
                expected_lock_version=1,
            )
            result = f"saved {marker}"
        except ConflictError as exc:
            result = exc.code
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=editor, args=(m,)) for m in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
        assert not thread.is_alive(), "a draft save deadlocked"
    assert sorted(o.split()[0] for o in outcomes) == ["draft_conflict", "saved"]
    winner = next(o.split()[1] for o in outcomes if o.startswith("saved"))
    draft = JourneyVersion.objects.get(journey=journey)
    assert draft.lock_version == 2
    assert winner in draft.bpmn_xml
