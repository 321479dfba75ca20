import pytest

from tests.forum.conftest import (  # noqa: F401 - fixtures shared with the discussion tests
    advocate,
    category,
    client_for,
    le_category,
    mod,
    officer,
    thread,
)


@pytest.fixture
def at(monkeypatch):
    """Pretend the clock reads ``when`` for the code under test (the digest command)."""
    from django.utils import timezone

    def set_now(when):
        monkeypatch.setattr(timezone, "now", lambda: when)
        return when

    return set_now
