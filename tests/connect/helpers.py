"""Small helpers shared by the membership tests."""

import re
import time

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core import mail

from connect.models import Discipline

REQUEST_DATA = {
    "first_name": "Robin",
    "last_name": "Applicant",
    "email": "robin.applicant@tf0.test.example",
    "agency": "Test County Sheriff's Office",
    "discipline": Discipline.LAW_ENFORCEMENT,
    "title": "Detective",
    "voucher_name": "Pat Supervisor",
    "voucher_email": "pat.supervisor@tf0.test.example",
    "statement": "I investigate labor trafficking cases for the task force.",
}


def totp_code(secret, offset=0):
    """The current code an authenticator app would show for ``secret``."""
    # A code read in the last seconds of its 30-second window may be stale by
    # the time a busy server checks it: wait for the next window instead.
    if 30 - time.time() % 30 < 5:
        time.sleep(30 - time.time() % 30 + 0.1)
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30 + offset))


def last_link(pattern=r"https?://\S+"):
    """The first link in the most recent email."""
    assert mail.outbox, "no email was sent"
    match = re.search(pattern, mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(0)


def path_of(url):
    return re.sub(r"^https?://[^/]+", "", url)
