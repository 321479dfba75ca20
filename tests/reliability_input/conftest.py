"""Fixtures shared with the library tests."""

from tests.resources.conftest import library  # noqa: F401 - a fixture
