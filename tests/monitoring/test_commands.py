"""``manage.py audit``: verify (exit status 1 and the first broken link), checkpoint, purge,
retention and legal hold; and the periodic checkpoint sweep."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from monitoring import services, sweeper
from monitoring.models import AuditCheckpoint, AuditEvent, JourneyRetention
from tests.factories import JourneyFactory
from tests.monitoring.support import tampering, write_chain

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("audit", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_verify_reports_a_sound_chain() -> None:
    write_chain(4)
    assert run("verify").startswith("ok: 4 events, 0 purged, 0 checkpoints; head at seq 4")
    assert run("checkpoint").startswith("checkpoint at seq 4: ")
    assert "1 checkpoint; head at seq 4; last checkpoint at seq 4, 0 events after it" in run(
        "verify"
    )


def test_verify_fails_with_the_first_broken_link() -> None:
    write_chain(6)
    with tampering():
        AuditEvent.objects.filter(seq=4).update(actor_label="mallory")
        AuditEvent.objects.filter(seq=5).delete()
    with pytest.raises(CommandError) as caught:
        run("verify")
    assert caught.value.returncode == 1
    assert str(caught.value).startswith(
        "broken at seq 4: its contents do not match its hash (changed after writing)"
    )


def test_an_empty_trail_has_nothing_to_sign() -> None:
    assert "nothing to sign" in run("checkpoint")
    assert AuditCheckpoint.objects.count() == 0


def test_retention_hold_and_purge_from_the_shell() -> None:
    JourneyFactory(key="loans")
    assert run("retention", "--journey", "loans", "--days", "30") == (
        "loans: audit events kept 30 days\n"
    )
    assert run("hold", "--journey", "loans", "--reason", "Audit 7") == "loans: legal hold placed\n"
    assert run("purge") == "loans: under a legal hold, nothing purged\n"
    with pytest.raises(CommandError, match="legal hold"):
        run("purge", "--journey", "loans")
    run("hold", "--journey", "loans", "--reason", "Done", "--release")
    assert run("purge", "--journey", "loans", "--reason", "yearly") == "loans: 0 events purged\n"
    run("retention", "--journey", "loans", "--forever")
    assert JourneyRetention.objects.get().retention_days is None
    # Retention, hold, release, retention: a purge that removed nothing records nothing.
    assert AuditEvent.objects.filter(actor_label="system", type__startswith="audit.").count() == 4
    with pytest.raises(CommandError, match="no journey with the key 'nope'"):
        run("purge", "--journey", "nope")


def test_the_sweep_signs_the_head_every_so_many_events_or_so_long(settings: Any) -> None:
    settings.AUDIT_CHECKPOINT_EVERY = 3
    settings.AUDIT_CHECKPOINT_SECONDS = 600
    assert "audit-checkpoint" in sweeper.registered_sweeps()
    now = timezone.now()
    assert services.audit_checkpoint_due(now) == 0  # nothing to sign
    write_chain(1)
    assert services.audit_checkpoint_due(now) == 1  # the first event is signed at once
    assert services.audit_checkpoint_due(now) == 0
    write_chain(2)
    assert services.audit_checkpoint_due(now) == 0  # neither enough events nor enough time
    assert services.audit_checkpoint_due(now + timedelta(minutes=11)) == 1
    write_chain(3)
    assert services.audit_checkpoint_due(now + timedelta(minutes=11)) == 1
    assert list(AuditCheckpoint.objects.order_by("seq").values_list("seq", flat=True)) == [1, 3, 6]


def test_the_signing_key_must_be_long_and_not_the_secret_key(settings: Any) -> None:
    from monitoring.checks import check_audit_signing_key

    assert check_audit_signing_key() == []
    settings.AUDIT_SIGNING_KEY = "short"
    assert [error.id for error in check_audit_signing_key()] == ["itinera.E010"]
    settings.AUDIT_SIGNING_KEY = settings.SECRET_KEY = "s" * 50
    assert [error.id for error in check_audit_signing_key()] == ["itinera.E011"]
