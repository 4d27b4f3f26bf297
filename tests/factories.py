"""factory_boy factories for the core models."""

from __future__ import annotations

from typing import Any

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from processes.models import Journey, JourneyVersion, ProcessInstance, VersionStatus
from tasks.models import Role, Task

MINIMAL_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    id="Definitions_1" targetNamespace="urn:itinera:test">
  <bpmn:process id="Process_1" name="Minimal" isExecutable="true">
    <bpmn:startEvent id="Start" />
    <bpmn:userTask id="Work" name="Do the work" />
    <bpmn:endEvent id="End" />
    <bpmn:sequenceFlow id="F1" sourceRef="Start" targetRef="Work" />
    <bpmn:sequenceFlow id="F2" sourceRef="Work" targetRef="End" />
  </bpmn:process>
</bpmn:definitions>
"""


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")

    @factory.post_generation
    def password(self, create: bool, extracted: str | None, **kwargs: Any) -> None:
        self.set_password(extracted or "secret-pass")
        if create:
            self.save(update_fields=["password"])


class RoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Role

    key = factory.Sequence(lambda n: f"role-{n}")
    name = factory.LazyAttribute(lambda role: role.key.replace("-", " ").title())
    group = factory.LazyAttribute(lambda role: Group.objects.create(name=f"role:{role.key}"))


class JourneyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Journey

    key = factory.Sequence(lambda n: f"journey-{n}")
    name = factory.Sequence(lambda n: f"Journey {n}")
    description = "A journey made for a test."


class JourneyVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = JourneyVersion

    journey = factory.SubFactory(JourneyFactory)
    number = factory.Sequence(lambda n: n + 1)
    status = VersionStatus.PUBLISHED
    bpmn_xml = MINIMAL_BPMN


class ProcessInstanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProcessInstance

    version = factory.SubFactory(JourneyVersionFactory)
    business_key = factory.Sequence(lambda n: f"CASE-{n:05d}")


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Task

    instance = factory.SubFactory(ProcessInstanceFactory)
    element_id = "Work"
    name = "Do the work"
