"""Demo users, roles and journeys, so that a fresh install has something real to show.

Installing is idempotent: what exists is kept (passwords of demo users are reset to the ones
printed), what is missing is created through the services.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.db import transaction

from processes import selectors as journey_selectors
from processes import services as journey_services
from processes.bpmn.xml import parse_definitions, process_summaries
from processes.models import Journey, VersionStatus
from tasks import services as role_services
from tasks.models import Role

DEMO_BPMN_DIR = Path(__file__).resolve().parent.parent / "processes" / "demo"


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    password: str
    roles: tuple[str, ...] = ()
    is_superuser: bool = False
    is_staff: bool = False


DEMO_USERS = (
    DemoUser("admin", "Ada", "Admin", "admin-demo", is_superuser=True, is_staff=True),
    DemoUser("maria", "Maria", "Manager", "maria-demo", is_staff=True),
    DemoUser("ana", "Ana", "Alves", "ana-demo", roles=("loan-officers",)),
    DemoUser("ben", "Ben", "Brown", "ben-demo", roles=("loan-officers",)),
    DemoUser("carla", "Carla", "Chen", "carla-demo", roles=("underwriters",)),
)

DEMO_ROLES = (
    ("loan-officers", "Loan officers", "Capture applications and check documents."),
    ("underwriters", "Underwriters", "Decide on large or unusual loans and approve expenses."),
)

# journey key -> (BPMN file, roles that may start it)
DEMO_JOURNEYS = {
    "loan-application": ("loan-application.bpmn", ("loan-officers",)),
    "expense-claim": ("expense-claim.bpmn", ("loan-officers", "underwriters")),
}


def _demo_user(spec: DemoUser) -> AbstractUser:
    User = get_user_model()
    user, _ = User.objects.get_or_create(username=spec.username)
    user.first_name = spec.first_name
    user.last_name = spec.last_name
    user.email = f"{spec.username}@example.com"
    user.is_superuser = spec.is_superuser
    user.is_staff = spec.is_staff
    user.is_active = True
    user.set_password(spec.password)
    user.save()
    return user


def _demo_role(key: str, name: str, description: str, manager: AbstractUser) -> Role:
    role = Role.objects.filter(key=key).first()
    if role is None:
        return role_services.role_create(
            key=key, name=name, description=description, manager=manager
        )
    return role_services.role_update(role=role, name=name, description=description, manager=manager)


def _demo_journey(key: str, filename: str, admin: AbstractUser) -> Journey:
    bpmn_xml = (DEMO_BPMN_DIR / filename).read_text(encoding="utf-8")
    journey = journey_selectors.journey_by_key(key=key)
    if journey is not None:
        return journey
    definitions = parse_definitions(bpmn_xml)
    (process,) = process_summaries(definitions)
    documentation = definitions.findtext("{*}process/{*}documentation") or ""
    journey = journey_services.journey_create(
        actor=admin,
        key=key,
        name=process.name,
        description=documentation.strip(),
        bpmn_xml=bpmn_xml,
    )
    draft = journey.versions.get(status=VersionStatus.DRAFT)
    journey_services.journey_version_publish(actor=admin, version=draft)
    return journey


@transaction.atomic
def demo_data_install() -> list[DemoUser]:
    """Create or refresh the demo users, roles and journeys; return the users with passwords."""
    users = {spec.username: _demo_user(spec) for spec in DEMO_USERS}
    admin, manager = users["admin"], users["maria"]
    roles = {
        key: _demo_role(key, name, description, manager) for key, name, description in DEMO_ROLES
    }
    for spec in DEMO_USERS:
        for role_key in spec.roles:
            role_services.role_member_add(role=roles[role_key], user=users[spec.username])
    for key, (filename, starters) in DEMO_JOURNEYS.items():
        journey = _demo_journey(key, filename, admin)
        for role_key in starters:
            journey_services.journey_permission_grant(
                actor=admin, journey=journey, role=roles[role_key], action="start"
            )
        for role in roles.values():
            journey_services.journey_permission_grant(
                actor=admin, journey=journey, role=role, action="view"
            )
    return list(DEMO_USERS)
