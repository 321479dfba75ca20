"""Every email is composed in connect.mail: one subject prefix, one base URL,
one set of unsubscribe headers, a text and an HTML part."""

import pytest
from django.core import mail
from django.urls import reverse

from connect import mail as connect_mail
from forum import services
from tests.factories import make_member

from ..forum.factories import make_post, make_thread

pytestmark = pytest.mark.django_db


def test_mail_compose_uses_the_one_base_url_prefix_and_headers(settings):
    settings.CONNECT_BASE_URL = "https://connect.example.gov/"
    assert connect_mail.absolute_url("/discussions/p/1/") == "https://connect.example.gov/discussions/p/1/"
    message = connect_mail.mail_compose(
        to="someone@example.test",
        template="notification",
        context={
            "subject": "You were mentioned\nin a discussion",
            "line": "A <b>line</b>",
            "url": "https://x/",
        },
        unsubscribe_url="https://connect.example.gov/notifications/unsubscribe/t/",
    )
    assert message.subject == "[Task Force Connect] You were mentioned in a discussion"
    assert (
        message.extra_headers["List-Unsubscribe"]
        == "<https://connect.example.gov/notifications/unsubscribe/t/>"
    )
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "A &lt;b&gt;line&lt;/b&gt;" in html and "<b>line" not in html
    assert "https://connect.example.gov/notifications/unsubscribe/t/" in message.body


def test_mention_in_a_restricted_thread_keeps_the_title_out_of_the_subject(officer, le_category, commit):
    peer = make_member()
    restricted = commit(make_thread, author=peer, category=le_category, title="Raid on Harbor Street")
    commit(make_post, author=peer, thread=restricted, body=f"@{services.handle_for(officer)} see this")
    (message,) = mail.outbox
    assert message.to == [officer.email]
    assert "Harbor" not in message.subject and le_category.name not in message.subject
    assert peer.display_name not in message.subject
    assert "Harbor" in message.body


def test_every_email_goes_through_mail_deliver(officer, advocate, thread, commit, monkeypatch):
    delivered = []
    real = connect_mail.mail_deliver

    def spy(message, **kwargs):
        delivered.append(message.subject)
        return real(message, **kwargs)

    monkeypatch.setattr(connect_mail, "mail_deliver", spy)
    commit(make_post, author=officer, thread=thread, body=f"@{services.handle_for(advocate)} hello")
    from connect import services as connect_services
    from tests.factories import MembershipRequestFactory

    request = MembershipRequestFactory()
    commit(
        connect_services.membership_request_deny, membership_request=request, reviewer=officer, reason="No"
    )
    assert len(delivered) == len(mail.outbox) == 2
    assert all(subject.startswith("[Task Force Connect] ") for subject in delivered)
    assert reverse("notifications:preferences") in mail.outbox[0].body
