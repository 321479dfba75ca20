"""Request bodies are refused by their size before they are read.

daphne (through Twisted) buffers the whole body of a request into memory or a
temporary file before the ASGI application is called, and Django copies it
again while parsing it; a size check in a form or a view therefore comes after
the disk and the memory are spent. An anonymous client could fill both with
one POST. Two guards share one rule, `limit_for(path)`:

* `BodySizeLimitMiddleware` wraps the ASGI application, so the rule holds under
  any ASGI server: a declared `Content-Length` over the limit is answered 413
  without the application ever being called, and a body of unknown length is
  counted as it streams in and refused once it crosses the limit.
* `install_daphne_guard()` teaches daphne's request class the same rule at the
  moment the headers have arrived, so daphne answers 413 and closes the
  connection instead of buffering the body, and stops buffering a chunked
  body as soon as it passes the limit.

Uploads (the library's share form, the admin's document and image uploads)
get a larger limit than every other request; see README "HTTP headers and
limits" and settings `CONNECT_MAX_*`.
"""

from urllib.parse import unquote, urlsplit

from django.conf import settings

TOO_LARGE_STATUS = 413
# How long daphne keeps reading (and dropping) a refused body before it closes.
LINGER_SECONDS = 2


def limit_for(path):
    """The largest body, in bytes, accepted for a request to `path`."""
    if path.startswith(tuple(settings.CONNECT_UPLOAD_PATH_PREFIXES)):
        return settings.CONNECT_MAX_UPLOAD_BODY
    return settings.CONNECT_MAX_REQUEST_BODY


def too_large_message(limit):
    megabytes = limit / (1024 * 1024)
    shown = f"{megabytes:.0f}" if megabytes >= 10 else f"{megabytes:.1f}".rstrip("0").rstrip(".")
    return (
        f"Request too large: at most {shown} MB may be sent to this address. "
        "Nothing was saved. Go back, make the file or text smaller and try again.\n"
    ).encode()


def _declared_length(headers):
    """The Content-Length as an int, None when absent, -1 when malformed."""
    for name, value in headers:
        if name.lower() == b"content-length":
            try:
                length = int(value)
            except ValueError:
                return -1
            return length if length >= 0 else -1
    return None


async def _send_plain(send, status, body):
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
                (b"x-content-type-options", b"nosniff"),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodySizeLimitMiddleware:
    """ASGI wrapper refusing request bodies over `limit_for(path)` with 413."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = limit_for(scope.get("path", ""))
        length = _declared_length(scope.get("headers", ()))
        if length == -1:
            return await _send_plain(send, 400, b"Bad request: the Content-Length header is not a number.\n")
        if length is not None:
            if length > limit:
                # The application is never called, so not a byte of the body is read.
                return await _send_plain(send, TOO_LARGE_STATUS, too_large_message(limit))
            return await self.app(scope, receive, send)
        return await self._counted(scope, receive, send, limit)

    async def _counted(self, scope, receive, send, limit):
        """A body of unknown length: count it as it arrives. Once it passes the
        limit the application is told the client went away (Django then stops
        without answering) and the client gets the 413."""
        received = 0
        refused = False
        started = False

        async def counting_receive():
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    return {"type": "http.disconnect"}
            return message

        async def watching_send(message):
            nonlocal started
            if refused and not started:
                # Whatever the application makes of the cut-off body is not sent.
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, counting_receive, watching_send)
        if refused and not started:
            await _send_plain(send, TOO_LARGE_STATUS, too_large_message(limit))


def _raw_refusal(limit):
    body = too_large_message(limit)
    return (
        b"HTTP/1.1 413 Content Too Large\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n"
        b"Cache-Control: no-store\r\n"
        b"X-Content-Type-Options: nosniff\r\n"
        b"Connection: close\r\n\r\n" + body
    )


def install_daphne_guard():
    """Make daphne refuse oversized bodies from the headers instead of
    buffering them. Idempotent; a no-op where daphne is not installed."""
    try:
        from daphne.http_protocol import WebRequest
    except ImportError:  # pragma: no cover - daphne is a runtime dependency
        return
    if getattr(WebRequest, "connect_body_guard", False):
        return

    got_length = WebRequest.gotLength
    handle_content_chunk = WebRequest.handleContentChunk
    request_received = WebRequest.requestReceived

    def _refuse(request):
        request.connect_refused = True
        content = getattr(request, "content", None)
        if content is not None:
            content.close()
        transport = request.channel.transport
        transport.write(_raw_refusal(request.connect_limit))
        # Close our side once the answer is out but keep discarding what the
        # client is still sending for a moment: closing outright with unread
        # bytes resets the connection, and the client might never see the 413.
        if hasattr(transport, "loseWriteConnection"):
            transport.loseWriteConnection()
            from twisted.internet import reactor

            reactor.callLater(LINGER_SECONDS, transport.loseConnection)
        else:
            request.channel.loseConnection()

    def gotLength(self, length):
        raw_path = getattr(self.channel, "_path", b"") or b""
        path = unquote(urlsplit(raw_path.decode("latin-1")).path)
        self.connect_limit = limit_for(path)
        self.connect_received = 0
        self.connect_refused = False
        if length is not None and length > self.connect_limit:
            self.content = None
            _refuse(self)
            return
        got_length(self, length)

    def handleContentChunk(self, data):
        if getattr(self, "connect_refused", False):
            return
        self.connect_received = getattr(self, "connect_received", 0) + len(data)
        if self.connect_received > getattr(self, "connect_limit", self.connect_received):
            _refuse(self)
            return
        handle_content_chunk(self, data)

    def requestReceived(self, command, path, version):
        if getattr(self, "connect_refused", False):
            return
        request_received(self, command, path, version)

    WebRequest.gotLength = gotLength
    WebRequest.handleContentChunk = handleContentChunk
    WebRequest.requestReceived = requestReceived
    WebRequest.connect_body_guard = True
