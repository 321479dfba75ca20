"""Every email the site sends is composed and delivered here.

One place decides the subject prefix, the base of absolute links
(``CONNECT_BASE_URL``), the unsubscribe headers (RFC 8058 one-click) and the
text and HTML templates, so no app builds a message by hand and a change of
domain or wording happens once. Subjects are fixed template text that names
the kind of event; member-written words (titles, names of restricted threads)
may appear in the body of a message the recipient may see, never in its
subject, which mail clients show in lists and notifications.

Delivery goes through :func:`mail_deliver` alone, which queues a durable task
(see ``connect.tasks``): no request waits on the mail server.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string

# Who sent it is obvious from the sender; these are for mail clients and auto-responders.
AUTOMATED_HEADERS = {"Auto-Submitted": "auto-generated"}


def base_url():
    return settings.CONNECT_BASE_URL.rstrip("/")


def absolute_url(path):
    """``path`` (``/discussions/p/1/``) as a link that works from a mail client."""
    if path.startswith(("http://", "https://")):
        return path
    return base_url() + "/" + path.lstrip("/")


def subject_line(text):
    """The subject with the site's prefix, on one line (headers cannot carry newlines)."""
    text = " ".join(str(text).split())
    return f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{text}"


def unsubscribe_headers(url):
    """RFC 2369 and RFC 8058 headers: a one-click POST to ``url`` unsubscribes."""
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def mail_compose(*, to, template, context=None, unsubscribe_url=None):
    """A message from ``templates/email/<template>_subject.txt`` and ``<template>.txt``.

    The HTML alternative is ``email/<template>.html`` when it exists, else the
    text body escaped and linked in ``email/base.html``. With
    ``unsubscribe_url`` the message carries the one-click unsubscribe headers
    and the link at its foot."""
    context = {**(context or {}), "site_url": base_url(), "unsubscribe_url": unsubscribe_url}
    subject = render_to_string(f"email/{template}_subject.txt", context)
    text = render_to_string(f"email/{template}.txt", context).strip() + "\n"
    if unsubscribe_url:
        text += render_to_string("email/footer.txt", context)
    try:
        html = render_to_string(f"email/{template}.html", context)
    except TemplateDoesNotExist:
        html = render_to_string("email/base.html", {**context, "text": text})
    headers = dict(AUTOMATED_HEADERS)
    if unsubscribe_url:
        headers.update(unsubscribe_headers(unsubscribe_url))
    message = EmailMultiAlternatives(
        subject=subject_line(subject),
        body=text,
        to=[to] if isinstance(to, str) else list(to),
        headers=headers,
    )
    message.attach_alternative(html, "text/html")
    return message


def message_as_dict(message, *, key):
    """``message`` as the plain dict the delivery task stores (JSON)."""
    html = next(
        (content for content, mimetype in getattr(message, "alternatives", []) if mimetype == "text/html"), ""
    )
    return {
        "key": key,
        "to": list(message.to),
        "subject": message.subject,
        "body": message.body,
        "html": html,
        "from_email": message.from_email if message.from_email != settings.DEFAULT_FROM_EMAIL else "",
        "reply_to": list(message.reply_to),
        "headers": dict(message.extra_headers),
    }


def mail_deliver(message, *, key=None):
    """Owe ``message``: a delivery task written in the caller's transaction
    (``connect.tasks.email_deliver``), so the email commits or rolls back with
    the change it reports, is retried with backoff while the mail server is
    down, and is sent at most once per ``key``. Without a key each call is a
    new email (its retries still share one). Raises only when the task cannot
    be stored, so callers that must know (digests) can roll back."""
    from .tasks import email_deliver, enqueue

    return enqueue(email_deliver, message_as_dict(message, key=key or f"mail:{uuid.uuid4().hex}"))


def mail_send(*, to, template, context=None, unsubscribe_url=None, key=None):
    """Compose and deliver in one call; see :func:`mail_compose` and :func:`mail_deliver`."""
    return mail_deliver(
        mail_compose(to=to, template=template, context=context, unsubscribe_url=unsubscribe_url), key=key
    )
