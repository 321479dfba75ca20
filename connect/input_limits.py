"""Refuse over-long URLs before any other work is done.

A URL of hundreds of kilobytes costs every layer that touches it (routing,
the members-only check, the ``next=`` link to the sign-in page, logging) and
no page of the site needs one: the longest real addresses are searches and
sign-in redirects of a few hundred characters. Such a request is answered
with 414 URI Too Long and a short page written without templates or the
database, listed first among the middleware so nothing else runs.
"""

from django.conf import settings
from django.http import HttpResponse

DEFAULT_MAX_URL_LENGTH = 16_384

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Address too long | Task Force Connect</title></head>
<body><main><h1>This address is too long</h1>
<p>The address of the page you asked for is longer than {limit:,} characters, which no page of
Task Force Connect uses. Nothing was saved. Please go back and try again, or
<a href="/">go to the home page</a>.</p></main></body></html>
"""


def max_url_length():
    return getattr(settings, "CONNECT_MAX_URL_LENGTH", DEFAULT_MAX_URL_LENGTH)


class UrlLengthLimitMiddleware:
    """Answer 414 to a path and query string longer than ``CONNECT_MAX_URL_LENGTH``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = max_url_length()
        # The raw length as sent; the query string is still percent-encoded.
        length = len(request.path) + len(request.META.get("QUERY_STRING", ""))
        if length > limit:
            return HttpResponse(
                _PAGE.format(limit=limit), status=414, content_type="text/html; charset=utf-8"
            )
        return self.get_response(request)
