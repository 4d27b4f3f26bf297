"""Who gets a new work item: the assignment strategies a task names in ``itn:assignment``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet

from tasks.models import OPEN_TASK_STATUSES, Role
from workflow_site.errors import ApplicationError

if TYPE_CHECKING:
    from django.contrib.auth.models import User

ASSIGNMENT_STRATEGIES: Final = ("least-loaded", "round-robin", "offer", "user")
DEFAULT_STRATEGY: Final = "least-loaded"


def candidates(role: Role | None) -> QuerySet[User]:
    """The active members of ``role``, in id order; nobody when there is no role."""
    user_model = get_user_model()
    if role is None:
        return user_model.objects.none()
    return user_model.objects.filter(groups=role.group_id, is_active=True).order_by("id")


def choose_assignee(
    *, role: Role | None, strategy: str | None, explicit_username: str | None = None
) -> User | None:
    """The person a new task of ``role`` goes to, or ``None`` to offer it to the whole role.

    ``strategy`` is one of :data:`ASSIGNMENT_STRATEGIES`; empty means least-loaded:

    - ``least-loaded``: the member with the fewest open tasks (ties go to the lowest id);
    - ``round-robin``: the member after ``role.last_assigned`` in id order, wrapping around;
      records the choice in ``role.last_assigned``;
    - ``offer``: nobody;
    - ``user``: the active user named ``explicit_username``, whether or not a member; nobody
      if there is no such user.

    Round-robin writes ``role.last_assigned`` inside the caller's transaction. Two concurrent
    calls may pick the same member unless the caller holds the role row's lock
    (``select_for_update``) and passes the locked instance.
    """
    chosen = (strategy or DEFAULT_STRATEGY).strip()
    if chosen == "least-loaded":
        return _least_loaded(role)
    if chosen == "round-robin":
        return _round_robin(role)
    if chosen == "offer":
        return None
    if chosen == "user":
        return _active_user(explicit_username)
    raise ApplicationError(
        "invalid_assignment",
        f"Unknown assignment strategy '{strategy}'; use one of {', '.join(ASSIGNMENT_STRATEGIES)}.",
        field="assignment",
        details={"strategy": strategy, "allowed": list(ASSIGNMENT_STRATEGIES)},
    )


def _least_loaded(role: Role | None) -> User | None:
    if role is None:
        return None  # nobody to choose from (and no query to build)
    open_tasks = Count("assigned_tasks", filter=Q(assigned_tasks__status__in=OPEN_TASK_STATUSES))
    return candidates(role).annotate(open_tasks=open_tasks).order_by("open_tasks", "id").first()


def _round_robin(role: Role | None) -> User | None:
    if role is None:
        return None
    members = candidates(role)
    chosen = None
    if role.last_assigned_id is not None:
        chosen = members.filter(id__gt=role.last_assigned_id).first()
    if chosen is None:
        chosen = members.first()
    if chosen is None:
        return None
    Role.objects.filter(pk=role.pk).update(last_assigned=chosen)
    role.last_assigned = chosen
    return chosen


def _active_user(username: str | None) -> User | None:
    if not username:
        return None
    return get_user_model().objects.filter(username=username, is_active=True).first()
