"""The inbox and dashboard queries at scale: 10,000 running instances, 100,000 open tasks.

A database of its own on the server of ``DATABASE_URL`` (``ITINERA_BENCH_SCALE_DB``, default
``itinera_scale``) is migrated and filled once through bulk inserts (kept for later runs):
200 workers in 20 roles, each role with a manager; 10,000 running par10 instances, each with ten
open tasks (70 % offered to a role, 30 % claimed by a member; priorities, due dates and creation
times spread out) and 20,000 completed ones. Then, for ``repeats`` different users, the pages
the inbox API serves are timed (count + first page of 50, tabs ``mine`` and ``offered``, plus
the badge counts), and the dashboard-style reads an operator's overview makes (open tasks by
role and status, overdue open tasks, running instances by journey, the newest instances page),
and the managers' dashboard page's reads (``monitoring.metrics``: SLA tiles, throughput, cycle
times, workload, compliance, the first page of active instances) for staff and a role's manager.
``EXPLAIN ANALYZE`` of the slowest query of each kind is kept in the details.

``python -m bench.scale [--quick] [--repeats N]``  (``--quick``: 1,000 instances, 10,000 tasks)
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from bench import common

INSTANCES = 10_000
TASKS_PER_INSTANCE = 10
COMPLETED = 20_000
ROLES = 20
WORKERS_PER_ROLE = 10
PAGE = 50


def _populate(instances: int, completed: int) -> dict[str, int]:
    """Fill the scale database once; what it holds."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group
    from django.db import transaction
    from django.utils import timezone

    from bench.engine_core import make_bpmn
    from processes.models import InstanceStatus, ProcessInstance
    from tasks.models import Role, Task, TaskStatus

    if ProcessInstance.objects.filter(status=InstanceStatus.RUNNING).count() >= instances:
        return _held()
    owner = common.bench_user()
    journey = common.bench_journey("scale-par10", make_bpmn("par10"), owner)
    version = journey.versions.get()
    model = get_user_model()
    password = make_password(None)
    rng = random.Random(7)
    now = timezone.now()
    with transaction.atomic():
        roles = []
        for index in range(ROLES):
            group, _ = Group.objects.get_or_create(name=f"scale-role-{index:02d}")
            manager, _ = model.objects.get_or_create(
                username=f"scale-manager-{index:02d}", defaults={"password": password}
            )
            role, _ = Role.objects.get_or_create(
                key=f"scale-role-{index:02d}",
                defaults={"name": f"Scale role {index}", "group": group, "manager": manager},
            )
            roles.append(role)
            members = [
                model(username=f"scale-worker-{index:02d}-{n:02d}", password=password)
                for n in range(WORKERS_PER_ROLE)
            ]
            model.objects.bulk_create(members, ignore_conflicts=True)
            group.user_set.add(
                *model.objects.filter(username__startswith=f"scale-worker-{index:02d}-")
            )
    workers = {
        role.pk: list(model.objects.filter(groups=role.group_id).order_by("pk")) for role in roles
    }
    for start in range(0, instances, 1000):
        with transaction.atomic():
            batch = ProcessInstance.objects.bulk_create(
                [
                    ProcessInstance(
                        version=version,
                        business_key=f"SCALE-{start + n:06d}",
                        status=InstanceStatus.RUNNING,
                        started_by=owner,
                        started_at=now - timedelta(minutes=rng.randint(0, 43_200)),
                        data={"amount": rng.randint(100, 100_000)},
                    )
                    for n in range(min(1000, instances - start))
                ]
            )
            tasks = []
            for instance in batch:
                role = roles[rng.randrange(ROLES)]
                for element in range(TASKS_PER_INSTANCE):
                    claimed = rng.random() < 0.3
                    tasks.append(
                        Task(
                            instance=instance,
                            activity=element + 1,
                            element_id=f"t{element}",
                            name=f"Task {element}",
                            status=TaskStatus.CLAIMED if claimed else TaskStatus.OFFERED,
                            role=role,
                            assignee=rng.choice(workers[role.pk]) if claimed else None,
                            priority=rng.randint(0, 100),
                            due_at=now + timedelta(hours=rng.randint(-240, 240)),
                            created_at=instance.started_at,
                            claimed_at=instance.started_at if claimed else None,
                        )
                    )
            Task.objects.bulk_create(tasks, batch_size=5000)
    done_instances = list(ProcessInstance.objects.values_list("pk", flat=True)[:completed])
    for start in range(0, completed, 5000):
        with transaction.atomic():
            rows = []
            for n in range(start, min(completed, start + 5000)):
                role = roles[rng.randrange(ROLES)]
                who = rng.choice(workers[role.pk])
                rows.append(
                    Task(
                        instance_id=done_instances[n % len(done_instances)],
                        activity=100 + n,
                        element_id="done",
                        name="Done task",
                        status=TaskStatus.COMPLETED,
                        role=role,
                        assignee=who,
                        completed_by=who,
                        completed_at=now - timedelta(minutes=rng.randint(0, 43_200)),
                    )
                )
            Task.objects.bulk_create(rows, batch_size=5000)
    with common_cursor() as cursor:
        cursor.execute("ANALYZE")
    return _held()


def common_cursor() -> Any:
    from django.db import connection

    return connection.cursor()


def _held() -> dict[str, int]:
    from processes.models import InstanceStatus, ProcessInstance
    from tasks.models import OPEN_TASK_STATUSES, Task

    return {
        "running_instances": ProcessInstance.objects.filter(status=InstanceStatus.RUNNING).count(),
        "open_tasks": Task.objects.filter(status__in=OPEN_TASK_STATUSES).count(),
        "tasks": Task.objects.count(),
    }


def _timed(samples: list[float], read: Callable[[], object]) -> None:
    began = time.perf_counter()
    read()
    samples.append(time.perf_counter() - began)


def _page(rows: Any) -> None:
    rows.count()
    list(rows[:PAGE])


def _measure_queries(repeats: int) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.db.models import Count
    from django.utils import timezone

    from processes import selectors as process_selectors
    from processes.models import InstanceStatus, ProcessInstance
    from tasks import selectors
    from tasks.models import OPEN_TASK_STATUSES, Task

    model = get_user_model()
    workers = list(model.objects.filter(username__startswith="scale-worker-").order_by("?"))
    admin = common.bench_user()
    managers = [admin, model.objects.get(username="scale-manager-03")]
    inbox: list[float] = []
    dashboard: list[float] = []
    dashboard_page: list[float] = []
    for index in range(repeats):
        user = workers[index % len(workers)]
        for scope in ("mine", "offered"):
            _timed(inbox, functools.partial(_page, selectors.inbox(user=user, scope=scope)))
        _timed(inbox, functools.partial(selectors.task_stats, user=user))

        def overview() -> None:
            open_tasks = Task.objects.filter(status__in=OPEN_TASK_STATUSES)
            list(open_tasks.values("role__name", "status").annotate(n=Count("id")).order_by())
            open_tasks.filter(due_at__lt=timezone.now()).count()
            running = ProcessInstance.objects.filter(status=InstanceStatus.RUNNING)
            list(running.values("version__journey__key").annotate(n=Count("id")).order_by())
            _page(process_selectors.instance_list(user=admin))

        _timed(dashboard, overview)
        # The managers' dashboard page itself (monitoring.dashboard_views.dashboard), for staff
        # and for the manager of one role in turn.
        _timed(dashboard_page, functools.partial(_dashboard_page, managers[index % 2]))
    user = workers[0]
    plans = {
        "inbox_offered": selectors.inbox(user=user, scope="offered")[:PAGE].explain(analyze=True),
        "inbox_mine": selectors.inbox(user=user, scope="mine")[:PAGE].explain(analyze=True),
        "dashboard_open_by_role": Task.objects.filter(status__in=OPEN_TASK_STATUSES)
        .values("role__name", "status")
        .annotate(n=Count("id"))
        .order_by()
        .explain(analyze=True),
    }
    inbox.sort()
    dashboard.sort()
    dashboard_page.sort()
    return {
        "dashboard_page_p95": common.percentile(dashboard_page, 0.95),
        "dashboard_page_p50": common.percentile(dashboard_page, 0.5),
        "inbox_p95": common.percentile(inbox, 0.95),
        "inbox_p50": common.percentile(inbox, 0.5),
        "dashboard_p95": common.percentile(dashboard, 0.95),
        "dashboard_p50": common.percentile(dashboard, 0.5),
        "plans": plans,
    }


def _dashboard_page(user: Any) -> None:
    """The reads of the dashboard page: figures, compliance, filters, first page of the active."""
    from django.core.paginator import Paginator

    from monitoring import metrics

    scope = metrics.scope_for(user=user)
    metrics.metrics(scope)
    metrics.sla_compliance(scope)
    list(scope.journeys())
    list(scope.roles())
    list(Paginator(metrics.active_instances(scope), 20).get_page(1))


def _child(instances: int, repeats: int) -> dict[str, Any]:
    common.setup_django()
    common.migrate()
    began = time.perf_counter()
    held = _populate(instances, COMPLETED * instances // INSTANCES)
    filled = time.perf_counter() - began
    figures = _measure_queries(repeats)
    return {"held": held, "fill_seconds": round(filled, 1), **figures}


def _ensure_database(url: str, name: str) -> str:
    import psycopg
    from psycopg import sql

    with psycopg.connect(url, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if exists.fetchone() is None:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return url.rsplit("/", 1)[0] + "/" + name


def measure(instances: int = INSTANCES, repeats: int = 40) -> dict[str, Any]:
    url = common.postgres_url()
    if not url:
        return {"details": {"scale": {"skipped": "DATABASE_URL is not PostgreSQL"}}}
    name = os.environ.get("ITINERA_BENCH_SCALE_DB", "itinera_scale")
    if instances != INSTANCES:
        name += f"_{instances}"
    env = common.production_env(DATABASE_URL=_ensure_database(url, name))
    run = subprocess.run(
        [sys.executable, "-m", "bench.scale", "--child", str(instances), "--repeats", str(repeats)],
        env=env,
        cwd=common.ROOT,
        capture_output=True,
        text=True,
    )
    if run.returncode != 0:
        raise RuntimeError(f"the scale benchmark failed:\n{run.stderr[-3000:]}")
    figures = json.loads(run.stdout.strip().splitlines()[-1])
    label = f"{figures['held']['open_tasks'] // 1000}k"
    return {
        f"inbox_p95_ms_{label}": common.ms(figures["inbox_p95"]),
        f"dashboard_p95_ms_{label}": common.ms(figures["dashboard_p95"]),
        f"dashboard_page_p95_ms_{label}": common.ms(figures["dashboard_page_p95"]),
        "details": {
            "scale": {
                "database": name,
                **figures["held"],
                "fill_seconds": figures["fill_seconds"],
                "repeats": repeats,
                "inbox_p50_ms": common.ms(figures["inbox_p50"]),
                "dashboard_p50_ms": common.ms(figures["dashboard_p50"]),
                "dashboard_page_p50_ms": common.ms(figures["dashboard_page_p50"]),
                "plans": figures["plans"],
            }
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000 instances, 10 repeats")
    parser.add_argument("--repeats", type=int, default=40)
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    if arguments.child is not None:
        print(json.dumps(_child(arguments.child, arguments.repeats), default=str))
        return 0
    figures = measure(1_000, 10) if arguments.quick else measure(INSTANCES, arguments.repeats)
    plans = figures.get("details", {}).get("scale", {}).pop("plans", {})
    print(json.dumps(figures, indent=2))
    for name, plan in plans.items():
        print(f"\n-- EXPLAIN ANALYZE {name}\n{plan}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
