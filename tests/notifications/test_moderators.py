"""Moderators are told, in the app and by email as they chose, about each new
membership request, flag and shared resource; the emails carry no word a
member or applicant wrote."""

import pytest
from django.core import mail
from django.urls import reverse

from connect.models import Discipline
from connect.services import membership_request_create
from forum import services as forum_services
from forum.models import Flag
from notifications.models import Notification, NotificationPreference
from notifications.moderators import FLAG, MEMBERSHIP_REQUEST, SHARED_RESOURCE, WAITING
from resources.models import ResourceLibraryPage
from resources.services import resource_share
from tests.factories import TaskForceFactory
from tests.forum.factories import make_post

pytestmark = pytest.mark.django_db

APPLICANT_WORDS = "Quillfeather"


def _request(commit):
    return commit(
        membership_request_create,
        data={
            "first_name": "Rowan",
            "last_name": APPLICANT_WORDS,
            "email": "rowan@example.org",
            "agency": "Harbor County Sheriff",
            "task_force": TaskForceFactory(),
            "discipline": Discipline.LAW_ENFORCEMENT,
            "title": "Detective",
            "voucher_name": "Sam Lee",
            "voucher_email": "sam@example.org",
            "statement": f"I work the {APPLICANT_WORDS} case files.",
        },
    )


def _emails_to(user):
    return [m for m in mail.outbox if user.email in m.to]


def test_membership_request_notifies_and_emails_moderators_only(mod, officer, commit, client_for):
    req = _request(commit)
    notice = Notification.objects.get(recipient=mod, kind=MEMBERSHIP_REQUEST)
    assert not Notification.objects.filter(recipient=officer).exists()
    (email,) = _emails_to(mod)
    assert email.subject == "[Task Force Connect] A membership request is waiting for review"
    body = email.body + email.alternatives[0][0]
    assert APPLICANT_WORDS not in body and "rowan@" not in body
    assert "http://testserver/admin/" in email.body
    # Opening the notice leads to the request in the admin.
    response = client_for(mod).get(reverse("notifications:open", args=[notice.pk]))
    assert response.status_code == 302 and response.url.endswith(f"/{req.pk}/")
    listing = client_for(mod).get(reverse("notifications:list")).content.decode()
    assert "A new membership request is waiting for review" in listing
    assert APPLICANT_WORDS not in listing


def test_moderator_who_chose_never_gets_the_notice_but_no_email(mod, commit):
    NotificationPreference.objects.create(user=mod, topic=WAITING.key, email="never")
    _request(commit)
    assert Notification.objects.filter(recipient=mod, kind=MEMBERSHIP_REQUEST).exists()
    assert _emails_to(mod) == []


def test_flag_notifies_moderators_without_the_flag_details(mod, officer, advocate, thread, commit):
    post = commit(make_post, author=advocate, thread=thread, body="A reply.")
    mail.outbox.clear()
    commit(
        forum_services.flag_create,
        reporter=officer,
        post=post,
        reason=Flag.Reason.values[0],
        details=f"See {APPLICANT_WORDS}",
    )
    assert Notification.objects.filter(recipient=mod, kind=FLAG).count() == 1
    assert not Notification.objects.filter(recipient=officer, kind=FLAG).exists()
    (email,) = _emails_to(mod)
    assert email.subject.endswith("A post was flagged for review")
    assert APPLICANT_WORDS not in email.body and thread.title not in email.body
    assert "http://testserver/admin/" in email.body


def test_shared_resource_notifies_moderators(mod, officer, commit):
    ResourceLibraryPage.objects.get()
    commit(
        resource_share,
        member=officer,
        title=f"{APPLICANT_WORDS} protocol",
        summary="How our partners refer cases.",
        resource_type="template",
        topics=[],
        external_url="https://www.example.org/protocol",
    )
    assert Notification.objects.filter(recipient=mod, kind=SHARED_RESOURCE).count() == 1
    assert not Notification.objects.filter(recipient=officer, kind=SHARED_RESOURCE).exists()
    # One email, the workflow's, and it names no title either.
    (email,) = [m for m in _emails_to(mod) if "shared resource" in m.subject]
    assert APPLICANT_WORDS not in email.body and APPLICANT_WORDS not in email.subject


def test_only_moderators_are_offered_the_moderators_email_setting(client_for, mod, officer):
    assert WAITING.field_label in client_for(mod).get(reverse("notifications:preferences")).content.decode()
    assert (
        WAITING.field_label
        not in client_for(officer).get(reverse("notifications:preferences")).content.decode()
    )
