import pytest
from django.test import Client

from connect.actors import Actor
from connect.models import Discipline, Role
from tests.factories import TaskForceFactory, make_member


@pytest.fixture(autouse=True)
def _generous_limits(settings):
    # Rate limits are tested on their own.
    settings.CONVERSATIONS_START_RATE_LIMITS = ((10_000, 60),)
    settings.CONVERSATIONS_MESSAGE_RATE_LIMITS = ((10_000, 60),)


@pytest.fixture
def home_tf(db):
    return TaskForceFactory(name="Home Test Task Force")


@pytest.fixture
def alice(home_tf):
    return make_member(task_force=home_tf, first_name="Alice", last_name="Avery")


@pytest.fixture
def bob(home_tf):
    return make_member(
        task_force=home_tf, first_name="Bob", last_name="Baker", discipline=Discipline.PROSECUTION
    )


@pytest.fixture
def carol(db):
    """A member of another task force."""
    return make_member(first_name="Carol", last_name="Cruz", discipline=Discipline.VICTIM_SERVICES)


@pytest.fixture
def dave(home_tf):
    return make_member(task_force=home_tf, first_name="Dave", last_name="Dunn")


@pytest.fixture
def mod(db):
    return make_member(
        role=Role.MODERATOR, discipline=Discipline.COORDINATION, first_name="Mona", last_name="Mod"
    )


@pytest.fixture
def client_for(db):
    def build(user):
        client = Client()
        client.force_login(user)
        return client

    return build


def actor(user):
    return Actor(user=user, ip_address="192.0.2.10", user_agent="tests")


@pytest.fixture
def start(commit):
    """``start(sender, [recipients], body=..., subject=...)`` through the service, side effects run."""
    from conversations import services

    def run(
        sender,
        recipients,
        *,
        body="Can we talk about the shelter referral process?",
        subject="Referrals",
        **kw,
    ):
        return commit(
            services.conversation_start,
            actor=actor(sender),
            recipients=recipients,
            subject=subject,
            body=body,
            **kw,
        )

    return run


@pytest.fixture
def send(commit):
    from conversations import services

    def run(sender, conversation, body="Following up on this.", **kw):
        return commit(services.message_send, actor=actor(sender), conversation=conversation, body=body, **kw)

    return run
