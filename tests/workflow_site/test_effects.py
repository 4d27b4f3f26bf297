from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from workflow_site import effects


class RecordingJob:
    def __init__(self) -> None:
        self.calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    def apply_async(self, *, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self.calls.append((args, kwargs))


@pytest.mark.django_db
def test_enqueue_waits_for_commit(django_capture_on_commit_callbacks: Any) -> None:
    job = RecordingJob()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        effects.enqueue_on_commit(job, 1, reason="x")
        assert job.calls == []
    assert len(callbacks) == 1
    assert job.calls == [((1,), {"reason": "x"})]


@pytest.mark.django_db(transaction=True)
def test_nothing_is_enqueued_when_the_transaction_rolls_back() -> None:
    job = RecordingJob()

    def abort() -> None:
        with transaction.atomic():
            effects.enqueue_on_commit(job, 1)
            raise RuntimeError("abort")

    with pytest.raises(RuntimeError):
        abort()
    assert job.calls == []
    with transaction.atomic():
        effects.enqueue_on_commit(job, 2)
    assert job.calls == [((2,), {})]
