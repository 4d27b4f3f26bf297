from __future__ import annotations

import pytest

from tasks import selectors, services
from tests.factories import UserFactory
from workflow_site.errors import ApplicationError

pytestmark = pytest.mark.django_db


def test_role_is_backed_by_a_group() -> None:
    manager = UserFactory()
    role = services.role_create(key="underwriters", name="Underwriters", manager=manager)
    assert role.group.name == "role:underwriters"
    user = UserFactory()
    services.role_member_add(role=role, user=user)
    assert list(selectors.roles_of(user=user)) == [role]
    services.role_member_remove(role=role, user=user)
    assert list(selectors.roles_of(user=user)) == []


def test_duplicate_and_empty_keys_are_refused() -> None:
    services.role_create(key="clerks", name="Clerks")
    with pytest.raises(ApplicationError) as caught:
        services.role_create(key="clerks", name="Clerks again")
    assert (caught.value.code, caught.value.field) == ("duplicate_key", "key")
    with pytest.raises(ApplicationError) as caught:
        services.role_create(key=" ", name="Blank")
    assert caught.value.field == "key"


def test_role_update() -> None:
    role = services.role_create(key="clerks", name="Clerks")
    manager = UserFactory()
    services.role_update(role=role, name="Senior clerks", description="d", manager=manager)
    role.refresh_from_db()
    assert (role.name, role.manager) == ("Senior clerks", manager)
    with pytest.raises(ApplicationError):
        services.role_update(role=role, name="", description="", manager=None)
