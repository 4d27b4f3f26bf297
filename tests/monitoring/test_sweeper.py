from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime

import pytest
from django.test import override_settings

from monitoring import jobs, sweeper


@pytest.fixture
def clean_registry() -> Iterator[None]:
    saved = sweeper.registered_sweeps()
    sweeper._registry.clear()
    yield
    sweeper._registry.clear()
    sweeper._registry.update(saved)


@pytest.mark.usefixtures("clean_registry")
def test_every_registered_sweep_runs_and_a_failure_is_isolated() -> None:
    seen: list[datetime] = []

    @sweeper.register_sweep("timers")
    def timers(now: datetime) -> int:
        seen.append(now)
        return 3

    @sweeper.register_sweep("broken")
    def broken(now: datetime) -> int:
        raise RuntimeError("boom")

    assert sweeper.sweep() == {"timers": 3, "broken": None}
    assert len(seen) == 1
    # Celery beat's entry point runs the same sweeps.
    assert jobs.sweep.apply().get() == {"timers": 3, "broken": None}


@pytest.mark.usefixtures("clean_registry")
def test_a_name_is_registered_once() -> None:
    sweeper.register_sweep("timers")(lambda now: 0)
    with pytest.raises(ValueError, match="already registered"):
        sweeper.register_sweep("timers")(lambda now: 1)


@pytest.mark.usefixtures("clean_registry")
@pytest.mark.django_db(transaction=True)
def test_in_process_sweeper_runs_on_its_interval() -> None:
    ran = threading.Event()

    @sweeper.register_sweep("probe")
    def probe(now: datetime) -> int:
        ran.set()
        return 1

    thread = sweeper.InProcessSweeper(interval=0.05)
    thread.start()
    try:
        assert ran.wait(timeout=5)
    finally:
        thread.stop(timeout=5)
    assert not thread.is_alive()
    assert thread.rounds >= 1


def test_server_starts_the_sweeper_only_on_the_embedded_profile() -> None:
    with override_settings(SWEEPER_IN_PROCESS=False):
        assert sweeper.start_in_process_sweeper() is None
    with override_settings(SWEEPER_IN_PROCESS=True, SWEEPER_INTERVAL_SECONDS=3600):
        first = sweeper.start_in_process_sweeper()
        second = sweeper.start_in_process_sweeper()
        assert first is not None
        assert first is second
        assert first.is_alive()
        first.stop(timeout=5)
