"""``manage.py audit verify|checkpoint|purge|retention|hold``: the audit trail from the shell."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from monitoring import selectors, services
from processes.models import Journey
from workflow_site.errors import ApplicationError


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _journey(key: str) -> Journey:
    journey = Journey.objects.filter(key=key).first()
    if journey is None:
        raise CommandError(f"There is no journey with the key {key!r}.")
    return journey


class Command(BaseCommand):
    help = "Verify, checkpoint and purge the audit trail; set retention and legal holds."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser(
            "verify",
            help="check every event, purged-event record and checkpoint (exit 1 if broken)",
        )
        actions.add_parser("checkpoint", help="sign the chain's current head")
        purge = actions.add_parser(
            "purge", help="delete audit events past their journey's retention (not under hold)"
        )
        purge.add_argument("--journey", metavar="KEY", help="only this journey")
        purge.add_argument("--reason", default="", help="why, kept in the purge's event")
        retention = actions.add_parser("retention", help="set a journey's retention period")
        retention.add_argument("--journey", metavar="KEY", required=True)
        length = retention.add_mutually_exclusive_group(required=True)
        length.add_argument("--days", type=int, help="keep audit events this many days")
        length.add_argument("--forever", action="store_true", help="never purge them")
        hold = actions.add_parser("hold", help="place or release a legal hold on a journey")
        hold.add_argument("--journey", metavar="KEY", required=True)
        hold.add_argument("--reason", required=True)
        hold.add_argument("--release", action="store_true", help="release the hold")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            getattr(self, f"handle_{action}")(options)
        except ApplicationError as error:
            raise CommandError(error.message) from None

    def handle_verify(self, options: dict[str, Any]) -> None:
        result = selectors.audit_verify()
        summary = (
            f"{_count(result.events, 'event')}, {result.purged} purged, "
            f"{_count(result.checkpoints, 'checkpoint')}; head at seq {result.head_seq}"
        )
        if result.ok:
            checkpoint = (
                f"last checkpoint at seq {result.last_checkpoint_seq}, "
                f"{_count(result.unsigned_tail, 'event')} after it"
                if result.last_checkpoint_seq
                else "no checkpoint yet"
            )
            self.stdout.write(f"ok: {summary}; {checkpoint}")
            return
        for problem in result.problems[1:]:
            self.stderr.write(str(problem))
        raise CommandError(f"{result.first_problem} ({summary})", returncode=1)

    def handle_checkpoint(self, options: dict[str, Any]) -> None:
        checkpoint = services.audit_checkpoint_create()
        if checkpoint is None:
            self.stdout.write("The audit trail is empty: nothing to sign.")
        else:
            self.stdout.write(f"checkpoint at seq {checkpoint.seq}: {checkpoint.head_hash}")

    def handle_purge(self, options: dict[str, Any]) -> None:
        journey = _journey(options["journey"]) if options["journey"] else None
        outcomes = services.audit_purge(actor=None, journey=journey, reason=options["reason"])
        if not outcomes:
            self.stdout.write("No journey has a retention period: nothing to purge.")
        for outcome in outcomes:
            if outcome.held:
                self.stdout.write(f"{outcome.journey_key}: under a legal hold, nothing purged")
            else:
                purged = _count(outcome.purged, "event")
                self.stdout.write(f"{outcome.journey_key}: {purged} purged")

    def handle_retention(self, options: dict[str, Any]) -> None:
        journey = _journey(options["journey"])
        days = None if options["forever"] else options["days"]
        services.journey_retention_set(actor=None, journey=journey, retention_days=days)
        kept = _count(days, "day") if days else "for ever"
        self.stdout.write(f"{journey.key}: audit events kept {kept}")

    def handle_hold(self, options: dict[str, Any]) -> None:
        journey = _journey(options["journey"])
        hold = not options["release"]
        services.journey_legal_hold_set(
            actor=None, journey=journey, hold=hold, reason=options["reason"]
        )
        self.stdout.write(f"{journey.key}: legal hold {'placed' if hold else 'released'}")
