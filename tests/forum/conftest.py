import pytest
from django.test import Client

from connect.models import Discipline, Role
from tests.factories import make_member

from .factories import make_category, make_thread


@pytest.fixture
def category(db):
    return make_category(name="Open test category", slug="open-test")


@pytest.fixture
def le_category(db):
    return make_category(name="LE only test", slug="le-only-test", disciplines=["law_enforcement"])


@pytest.fixture
def suggestions(db):
    return make_category(name="Suggestions test", slug="suggestions-test", suggestions=True)


@pytest.fixture
def officer(db):
    return make_member(discipline=Discipline.LAW_ENFORCEMENT)


@pytest.fixture
def advocate(db):
    return make_member(discipline=Discipline.VICTIM_SERVICES)


@pytest.fixture
def mod(db):
    return make_member(role=Role.MODERATOR, discipline=Discipline.COORDINATION)


@pytest.fixture
def le_mod(db):
    """A moderator in the audience of ``le_category``."""
    return make_member(role=Role.MODERATOR, discipline=Discipline.LAW_ENFORCEMENT)


@pytest.fixture
def client_for(db):
    def build(user):
        client = Client()
        client.force_login(user)
        return client

    return build


@pytest.fixture
def thread(officer, category, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return make_thread(author=officer, category=category, title="Screening questions")
