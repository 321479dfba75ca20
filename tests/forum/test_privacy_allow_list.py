"""The privacy guard lets members name each other by the legal names the
moderators verified, never by display names a member can set to anything."""

import pytest

from forum import services

pytestmark = pytest.mark.django_db

VICTIM_POST = "The victim, Maria Lopez, was recovered on Tuesday."


def _named(findings):
    return [f for f in findings if f["kind"] == "named_person"]


def test_privacy_findings_ignore_a_display_name_set_to_a_victims_name(officer):
    officer.profile.display_name = "Maria Lopez"
    officer.profile.save(update_fields=["display_name"])
    assert _named(services.privacy_findings(VICTIM_POST, author=officer))


def test_privacy_findings_allow_the_authors_legal_name(officer):
    officer.first_name, officer.last_name = "Maria", "Lopez"
    officer.save(update_fields=["first_name", "last_name"])
    assert not _named(services.privacy_findings(VICTIM_POST, author=officer))
