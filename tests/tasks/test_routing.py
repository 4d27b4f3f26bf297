from __future__ import annotations

from typing import Any

import pytest

from tasks.models import Role, TaskStatus
from tasks.routing import ASSIGNMENT_STRATEGIES, candidates, choose_assignee
from tests.factories import ProcessInstanceFactory, RoleFactory, TaskFactory, UserFactory
from workflow_site.errors import ApplicationError

pytestmark = pytest.mark.django_db


def members(role: Any, count: int, **attributes: Any) -> list[Any]:
    people = [UserFactory(**attributes) for _ in range(count)]
    for person in people:
        person.groups.add(role.group)
    return people


def give_tasks(user: Any, count: int, status: str = TaskStatus.CLAIMED) -> None:
    instance = ProcessInstanceFactory()
    for _ in range(count):
        TaskFactory(instance=instance, assignee=user, status=status)


def test_strategies() -> None:
    assert ASSIGNMENT_STRATEGIES == ("least-loaded", "round-robin", "offer", "user")


# --- candidates ----------------------------------------------------------------------------------


def test_candidates_are_the_active_members_in_id_order() -> None:
    role = RoleFactory()
    first, second = members(role, 2)
    members(role, 1, is_active=False)
    members(RoleFactory(), 1)
    UserFactory()
    assert list(candidates(role)) == [first, second]


def test_no_role_means_no_candidates() -> None:
    UserFactory()
    assert list(candidates(None)) == []


# --- least-loaded --------------------------------------------------------------------------------


@pytest.mark.parametrize("strategy", ["least-loaded", None, ""])
def test_least_loaded_picks_the_member_with_fewest_open_tasks(strategy: str | None) -> None:
    role = RoleFactory()
    busy, idle, middling = members(role, 3)
    give_tasks(busy, 3)
    give_tasks(middling, 1)
    assert choose_assignee(role=role, strategy=strategy) == idle


def test_least_loaded_counts_only_open_tasks() -> None:
    role = RoleFactory()
    veteran, newcomer = members(role, 2)
    give_tasks(veteran, 5, TaskStatus.COMPLETED)
    give_tasks(veteran, 2, TaskStatus.WITHDRAWN)
    give_tasks(veteran, 2, TaskStatus.WAITING)
    give_tasks(newcomer, 1, TaskStatus.STARTED)
    assert choose_assignee(role=role, strategy="least-loaded") == veteran


@pytest.mark.parametrize("status", [TaskStatus.OFFERED, TaskStatus.CLAIMED, TaskStatus.STARTED])
def test_every_open_status_counts(status: str) -> None:
    role = RoleFactory()
    loaded, free = members(role, 2)
    give_tasks(loaded, 1, status)
    assert choose_assignee(role=role, strategy="least-loaded") == free


def test_least_loaded_counts_tasks_of_every_role() -> None:
    role, other_role = RoleFactory(), RoleFactory()
    shared, dedicated = members(role, 2)
    shared.groups.add(other_role.group)
    give_tasks(shared, 2)
    instance = ProcessInstanceFactory()
    for _ in range(2):
        TaskFactory(instance=instance, assignee=shared, role=other_role, status=TaskStatus.CLAIMED)
    give_tasks(dedicated, 3)
    assert choose_assignee(role=role, strategy="least-loaded") == dedicated


def test_least_loaded_ties_go_to_the_lowest_id() -> None:
    role = RoleFactory()
    first, second, third = members(role, 3)
    give_tasks(first, 1)
    assert choose_assignee(role=role, strategy="least-loaded") == second
    give_tasks(second, 1)
    give_tasks(third, 1)
    assert choose_assignee(role=role, strategy="least-loaded") == first


def test_least_loaded_skips_inactive_members() -> None:
    role = RoleFactory()
    (active,) = members(role, 1)
    members(role, 1, is_active=False)
    give_tasks(active, 4)
    assert choose_assignee(role=role, strategy="least-loaded") == active


def test_least_loaded_is_one_query(django_assert_num_queries: Any) -> None:
    role = RoleFactory()
    people = members(role, 5)
    for load, person in zip([3, 2, 4, 1, 2], people, strict=True):
        give_tasks(person, load)
    with django_assert_num_queries(1):
        chosen = choose_assignee(role=role, strategy="least-loaded")
    assert chosen == people[3]


def test_least_loaded_without_candidates() -> None:
    members(role := RoleFactory(), 2, is_active=False)
    assert choose_assignee(role=role, strategy="least-loaded") is None
    assert choose_assignee(role=RoleFactory(), strategy=None) is None
    assert choose_assignee(role=None, strategy=None) is None


# --- round-robin ---------------------------------------------------------------------------------


def test_round_robin_goes_round_and_wraps() -> None:
    role = RoleFactory()
    first, second, third = members(role, 3)
    chosen = [choose_assignee(role=role, strategy="round-robin") for _ in range(7)]
    assert chosen == [first, second, third, first, second, third, first]
    role.refresh_from_db()
    assert role.last_assigned == first


def test_round_robin_records_the_choice_in_the_database() -> None:
    role = RoleFactory()
    first, second = members(role, 2)
    assert choose_assignee(role=role, strategy="round-robin") == first
    fresh = Role.objects.get(pk=role.pk)
    assert fresh.last_assigned == first
    assert choose_assignee(role=fresh, strategy="round-robin") == second
    assert Role.objects.get(pk=role.pk).last_assigned == second


def test_round_robin_ignores_load() -> None:
    role = RoleFactory()
    busy, idle = members(role, 2)
    give_tasks(busy, 10)
    assert choose_assignee(role=role, strategy="round-robin") == busy


def test_round_robin_skips_inactive_members() -> None:
    role = RoleFactory()
    first = members(role, 1)[0]
    members(role, 1, is_active=False)
    third = members(role, 1)[0]
    chosen = [choose_assignee(role=role, strategy="round-robin") for _ in range(3)]
    assert chosen == [first, third, first]


def test_round_robin_continues_after_a_member_who_left() -> None:
    role = RoleFactory()
    first, second, third = members(role, 3)
    Role.objects.filter(pk=role.pk).update(last_assigned=second)
    second.groups.remove(role.group)
    role.refresh_from_db()
    assert choose_assignee(role=role, strategy="round-robin") == third
    Role.objects.filter(pk=role.pk).update(last_assigned=third)
    third.is_active = False
    third.save()
    role.refresh_from_db()
    assert choose_assignee(role=role, strategy="round-robin") == first


def test_round_robin_without_candidates_records_nothing() -> None:
    role = RoleFactory()
    members(role, 1, is_active=False)
    assert choose_assignee(role=role, strategy="round-robin") is None
    role.refresh_from_db()
    assert role.last_assigned is None
    assert choose_assignee(role=None, strategy="round-robin") is None


# --- offer and explicit user ---------------------------------------------------------------------


def test_offer_assigns_nobody() -> None:
    role = RoleFactory()
    members(role, 2)
    assert choose_assignee(role=role, strategy="offer") is None
    role.refresh_from_db()
    assert role.last_assigned is None


def test_explicit_user() -> None:
    role = RoleFactory()
    members(role, 2)
    outsider = UserFactory(username="ada")
    chosen = choose_assignee(role=role, strategy="user", explicit_username="ada")
    assert chosen == outsider
    assert choose_assignee(role=None, strategy="user", explicit_username="ada") == outsider


@pytest.mark.parametrize("username", ["nobody", "", None, "retired"])
def test_explicit_user_who_cannot_work_means_offer(username: str | None) -> None:
    role = RoleFactory()
    members(role, 2)
    UserFactory(username="retired", is_active=False)
    assert choose_assignee(role=role, strategy="user", explicit_username=username) is None


def test_explicit_username_is_ignored_by_other_strategies() -> None:
    role = RoleFactory()
    (member,) = members(role, 1)
    UserFactory(username="ada")
    assert choose_assignee(role=role, strategy="least-loaded", explicit_username="ada") == member
    assert choose_assignee(role=role, strategy="offer", explicit_username="ada") is None


# --- unknown strategy ----------------------------------------------------------------------------


@pytest.mark.parametrize("strategy", ["random", "Round-Robin", "least_loaded", "users"])
def test_unknown_strategy_is_refused(strategy: str) -> None:
    role = RoleFactory()
    members(role, 1)
    with pytest.raises(ApplicationError) as caught:
        choose_assignee(role=role, strategy=strategy)
    assert (caught.value.code, caught.value.field) == ("invalid_assignment", "assignment")
    assert strategy in caught.value.message
    assert caught.value.details["allowed"] == list(ASSIGNMENT_STRATEGIES)
