from __future__ import annotations

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.test import override_settings

from processes import selectors
from processes.models import Journey, VersionStatus
from tasks.models import Role

pytestmark = pytest.mark.django_db


@override_settings(DEBUG=True)
def test_demo_data_installs_users_roles_and_published_journeys(
    capsys: pytest.CaptureFixture[str],
) -> None:
    call_command("demo_data")
    out = capsys.readouterr().out
    for username, password in [
        ("admin", "admin-demo"),
        ("ana", "ana-demo"),
        ("carla", "carla-demo"),
    ]:
        assert f"{username}" in out
        assert password in out
        assert authenticate(username=username, password=password) is not None
    assert set(Role.objects.values_list("key", flat=True)) == {"loan-officers", "underwriters"}
    assert Role.objects.get(key="loan-officers").group.user_set.count() == 2
    assert set(Journey.objects.values_list("key", flat=True)) == {
        "loan-application",
        "expense-claim",
    }
    for journey in Journey.objects.all():
        assert journey.versions.get().status == VersionStatus.PUBLISHED
    User = get_user_model()
    ana, carla = User.objects.get(username="ana"), User.objects.get(username="carla")
    assert {j.key for j in selectors.journeys_startable_by(user=ana)} == {
        "loan-application",
        "expense-claim",
    }
    assert {j.key for j in selectors.journeys_startable_by(user=carla)} == {"expense-claim"}


@override_settings(DEBUG=True)
def test_demo_data_is_idempotent() -> None:
    call_command("demo_data")
    call_command("demo_data")
    assert Journey.objects.count() == 2
    assert get_user_model().objects.count() == 5
    assert Role.objects.get(key="loan-officers").group.user_set.count() == 2


@override_settings(DEBUG=False)
def test_demo_data_refuses_without_debug_unless_forced() -> None:
    with pytest.raises(CommandError, match="well-known passwords"):
        call_command("demo_data")
    call_command("demo_data", "--force")
    assert Journey.objects.count() == 2
