import datetime

import pytest
from django.test import Client
from django.utils import timezone

from assistance import services
from assistance.models import Format, Kind, PartnerOrganization, ProgramRole, Urgency
from connect.models import Discipline, Role
from resources.models import Topic
from tests.factories import TaskForceFactory, make_member


def grant(user, kind, *, task_force=None, partner=None):
    role = ProgramRole.objects.create(user=user, kind=kind, task_force=task_force, partner=partner)
    services.staff_group_sync(user)
    return role


def login(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def partner(db):
    return PartnerOrganization.objects.create(name="Test Training Partner")


@pytest.fixture
def other_partner(db):
    return PartnerOrganization.objects.create(name="Other Training Partner")


@pytest.fixture
def topic(db):
    return Topic.objects.get_or_create(name="Labor trafficking", defaults={"slug": "labor-trafficking-t"})[0]


@pytest.fixture
def staff(db, partner):
    user = make_member(discipline=Discipline.COORDINATION)
    grant(user, ProgramRole.Kind.STAFF, partner=partner)
    return user


@pytest.fixture
def other_staff(db, other_partner):
    user = make_member(discipline=Discipline.COORDINATION)
    grant(user, ProgramRole.Kind.STAFF, partner=other_partner)
    return user


@pytest.fixture
def coordinator(db, task_force):
    user = make_member(task_force=task_force, discipline=Discipline.COORDINATION)
    grant(user, ProgramRole.Kind.COORDINATOR, task_force=task_force)
    return user


@pytest.fixture
def colleague(db, task_force):
    """A plain member of the coordinator's task force."""
    return make_member(task_force=task_force)


@pytest.fixture
def host_task_force(db):
    return TaskForceFactory()


@pytest.fixture
def host_coordinator(db, host_task_force):
    user = make_member(task_force=host_task_force, discipline=Discipline.COORDINATION)
    grant(user, ProgramRole.Kind.COORDINATOR, task_force=host_task_force)
    return user


@pytest.fixture
def outsider(db):
    """A member of another task force."""
    return make_member()


@pytest.fixture
def administrator_member(db):
    return make_member(role=Role.ADMINISTRATOR)


def submit(user, *, kind=Kind.TRAINING, description="Half-day training for new patrol officers.", **extra):
    extra.setdefault("urgency", Urgency.HIGH)
    extra.setdefault("preferred_format", Format.ONLINE)
    return services.request_submit(actor=user, kind=kind, description=description, **extra)


def to_status(request, status, *, staff, partner):
    """Walk ``request`` along the lifecycle to ``status``."""
    order = ["triaged", "assigned", "scheduled", "delivered", "closed"]
    for step in order[: order.index(status) + 1]:
        if step == "triaged":
            services.request_triage(actor=staff, request=request, priority=3)
        elif step == "assigned":
            services.request_assign(actor=staff, request=request, partner=partner, assignee=staff)
        elif step == "scheduled":
            services.request_schedule(actor=staff, request=request, scheduled_on=timezone.localdate())
        elif step == "delivered":
            services.request_deliver(
                actor=staff,
                request=request,
                delivered_on=timezone.localdate() - datetime.timedelta(days=1),
                delivery_format=Format.ONLINE,
                attendees={Discipline.LAW_ENFORCEMENT: 12, Discipline.PROSECUTION: 3},
            )
        elif step == "closed":
            services.request_close(actor=staff, request=request)
    request.refresh_from_db()
    return request
