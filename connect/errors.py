"""Error pages that never show a stack trace, never need the database, and
tell the member exactly what happened to what they submitted.

A member who sees "something went wrong" after pressing Post wants to know
one thing: is my reply there or not? Guessing wrong either way hurts: "nothing
was saved" after a reply that was in fact committed invites a second copy,
and "saved" after a rollback loses the text. So :class:`WriteOutcomeMiddleware`
watches the writes a request's view makes on the default database and notes
when their transaction commits (``transaction.on_commit``), and the 500 page
says one of three things:

* saved: a write committed before the failure (a later step, such as
  building the redirect, failed);
* not saved: no write was made, or every write was rolled back with its
  transaction;
* not saved either: the database connection failed in the middle of the
  transaction holding the writes, before it was committed (the database
  rolls such a transaction back);
* not known: the database failed while committing the writes, so the commit
  may or may not have reached it.

Whenever the text might not be saved the page shows what the member typed,
so they can copy it; the request passed the CSRF check, so it came from our
own pages. The CSRF failure page does the same for a form sent with a stale
token (typically from a tab left open across a sign-out), but only when the
browser says the form was sent from this site.
"""

import re
import sys

from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    InterfaceError,
    OperationalError,
    connections,
    transaction,
)
from django.http import HttpResponseForbidden, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.utils.http import url_has_allowed_host_and_scheme

# Writes that every request may make and that are not what the member sent.
_BOOKKEEPING_TABLES = frozenset({"django_session", "usersessions_usersession"})
_WRITE = re.compile(r"""^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+["`]?(\w+)""", re.IGNORECASE)

# Form fields that hold what a member wrote. An allowlist, so a password or
# a one-time code is never written back into a page.
KEPT_FIELDS = {
    "title": "Title",
    "body": "Text",
    "summary": "Summary",
    "details": "Details",
    "reason": "Reason",
    "tags": "Tags",
    "external_url": "Link",
}
_KEPT_CHARS = 60_000

SAVED = "saved"
NOT_SAVED = "not_saved"
UNKNOWN = "unknown"


class _WriteTracker:
    def __init__(self):
        self.pending = False
        self.committed = False
        # The connection failed in the middle of the transaction holding the
        # writes, before its COMMIT was sent: the database rolls such a
        # transaction back, so those writes are certainly not saved.
        self.lost_before_commit = False

    def _on_commit(self):
        self.committed = True

    def __call__(self, execute, sql, params, many, context):
        try:
            result = execute(sql, params, many, context)
        except (OperationalError, InterfaceError):
            if self.pending and context["connection"].in_atomic_block:
                self.lost_before_commit = True
            raise
        match = _WRITE.match(sql)
        if match and match.group(1).lower() not in _BOOKKEEPING_TABLES:
            connection = context["connection"]
            if connection.in_atomic_block:
                self.pending = True
                transaction.on_commit(self._on_commit, using=connection.alias)
            else:
                self.committed = True
        return result

    def outcome(self, exception):
        if self.committed:
            return SAVED
        if self.pending and not self.lost_before_commit and isinstance(exception, DatabaseError):
            # The failure was the COMMIT itself: it may or may not have landed.
            return UNKNOWN
        return NOT_SAVED


class WriteOutcomeMiddleware:
    """Note whether the view's writes committed, for :func:`server_error`.

    Listed after the session and authentication middleware, so their
    bookkeeping writes are not mistaken for the member's submission.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return self.get_response(request)
        tracker = _WriteTracker()
        request.connect_writes = tracker
        with connections[DEFAULT_DB_ALIAS].execute_wrapper(tracker):
            return self.get_response(request)


def kept_text(request):
    """What the member typed into the form, as ``[(label, value)]``, for a page that offers it back."""
    if request.method != "POST":
        return []
    try:
        data = request.POST
    except Exception:  # noqa: BLE001 - an unreadable body has nothing to give back
        return []
    kept = []
    for name, label in KEPT_FIELDS.items():
        value = data.get(name, "")
        if isinstance(value, str) and value.strip():
            kept.append((label, value[:_KEPT_CHARS]))
    return kept


def _same_site_referer(request):
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    return ""


def not_found(request, exception=None):
    return render(request, "404.html", status=404)


def server_error(request):
    """The 500 page. Django calls it while handling the exception, so it can be looked at."""
    tracker = getattr(request, "connect_writes", None)
    if tracker is not None:
        outcome = tracker.outcome(sys.exc_info()[1])
    elif request.method not in ("GET", "HEAD", "OPTIONS"):
        # The failure came before the view (a middleware lost its database
        # connection loading the session, say): the view never ran, so
        # nothing the member sent was saved.
        outcome = NOT_SAVED
    else:
        outcome = None
    try:
        referer = _same_site_referer(request)
    except Exception:  # noqa: BLE001 - a bad Host header must not break the error page
        referer = ""
    context = {
        "outcome": outcome,
        "kept": kept_text(request) if outcome in (NOT_SAVED, UNKNOWN) else [],
        "back": referer,
    }
    # Rendered without context processors: the failure may be in them.
    return HttpResponseServerError(loader.get_template("500.html").render(context))


def csrf_failure(request, reason=""):
    """A form arrived without a valid CSRF token: say why, and give the text back.

    The usual cause is honest: the page was opened before the member signed
    in again (or the session ended), so its token is stale. An attacker's
    page would be a cross-site request; the text is offered back only when
    the browser says the form came from this site, so another site cannot
    write into our pages.
    """
    origin = request.META.get("HTTP_ORIGIN", "")
    same_site = bool(origin) and url_has_allowed_host_and_scheme(
        origin + "/", allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    if not origin:
        same_site = bool(_same_site_referer(request))
    context = {
        "kept": kept_text(request) if same_site else [],
        "back": _same_site_referer(request),
        "signed_in": getattr(getattr(request, "user", None), "is_authenticated", False),
    }
    return HttpResponseForbidden(loader.get_template("403_csrf.html").render(context, request))
