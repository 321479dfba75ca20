"""Oversized request bodies are refused before anything buffers them."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from channels.testing import ApplicationCommunicator, HttpCommunicator

from connect.bodylimits import BodySizeLimitMiddleware, limit_for

ROOT = Path(__file__).resolve().parents[2]
EIGHT_HUNDRED_MB = 800 * 1024 * 1024


class RecordingApp:
    """Stands in for Django: reads the whole body, as Django does, and records it."""

    def __init__(self):
        self.called = False
        self.body = b""

    async def __call__(self, scope, receive, send):
        self.called = True
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            self.body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"saved"})


def _scope(path, headers=()):
    return {
        "type": "http",
        "method": "POST",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": list(headers),
        "http_version": "1.1",
        "scheme": "http",
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 5000),
    }


def test_limit_for_gives_uploads_the_larger_limit(settings):
    assert limit_for("/library/share/") == settings.CONNECT_MAX_UPLOAD_BODY
    assert limit_for("/admin/documents/multiple/add/") == settings.CONNECT_MAX_UPLOAD_BODY
    assert limit_for("/join/request/") == settings.CONNECT_MAX_REQUEST_BODY
    assert settings.CONNECT_MAX_UPLOAD_BODY > settings.RESOURCES_MAX_UPLOAD_SIZE
    assert settings.CONNECT_MAX_REQUEST_BODY > settings.DATA_UPLOAD_MAX_MEMORY_SIZE


@pytest.mark.asyncio
async def test_body_size_limit_refuses_declared_oversize_without_calling_the_app():
    app = RecordingApp()
    communicator = HttpCommunicator(
        BodySizeLimitMiddleware(app),
        "POST",
        "/join/request/",
        headers=[(b"content-length", str(EIGHT_HUNDRED_MB).encode())],
    )
    response = await communicator.get_response()
    assert response["status"] == 413
    assert b"at most 3 MB" in response["body"]
    assert dict(response["headers"])[b"content-type"].startswith(b"text/plain")
    assert app.called is False


@pytest.mark.asyncio
async def test_body_size_limit_lets_an_upload_within_its_limit_through():
    app = RecordingApp()
    body = b"x" * (5 * 1024 * 1024)
    communicator = HttpCommunicator(
        BodySizeLimitMiddleware(app),
        "POST",
        "/library/share/",
        body=body,
        headers=[(b"content-length", str(len(body)).encode())],
    )
    response = await communicator.get_response()
    assert response["status"] == 200
    assert app.body == body


@pytest.mark.asyncio
async def test_body_size_limit_refuses_malformed_content_length():
    app = RecordingApp()
    communicator = HttpCommunicator(
        BodySizeLimitMiddleware(app), "POST", "/join/request/", headers=[(b"content-length", b"lots")]
    )
    response = await communicator.get_response()
    assert response["status"] == 400
    assert app.called is False


@pytest.mark.asyncio
async def test_body_size_limit_cuts_off_a_body_of_unknown_length(settings):
    settings.CONNECT_MAX_REQUEST_BODY = 100_000
    app = RecordingApp()
    communicator = ApplicationCommunicator(BodySizeLimitMiddleware(app), _scope("/join/request/"))
    chunk = b"y" * 40_000
    for _ in range(3):
        await communicator.send_input({"type": "http.request", "body": chunk, "more_body": True})
    start = await communicator.receive_output(timeout=2)
    body = await communicator.receive_output(timeout=2)
    assert start["status"] == 413
    assert b"Request too large" in body["body"]
    # The application saw at most what came before the limit, never the response it would make.
    assert len(app.body) <= 100_000
    await communicator.wait(timeout=2)


@pytest.mark.asyncio
async def test_asgi_application_refuses_oversized_post_to_public_form():
    from connect.asgi import application

    communicator = HttpCommunicator(
        application,
        "POST",
        "/join/request/",
        headers=[(b"content-length", str(EIGHT_HUNDRED_MB).encode()), (b"host", b"testserver")],
    )
    response = await communicator.get_response()
    assert response["status"] == 413
    assert b"Nothing was saved" in response["body"]


# --- A real daphne process -------------------------------------------------------------


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _rss_kb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _temp_bytes(pid):
    """Bytes held in files the process has open under the temporary directory,
    deleted ones included (Twisted's buffer file is unlinked once created)."""
    total = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if "tmp" in target:
            try:
                total += os.stat(fd).st_size
            except OSError:
                pass
    return total


@pytest.fixture(scope="module")
def daphne_server(tmp_path_factory):
    var_dir = tmp_path_factory.mktemp("bodylimit-var")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "connect.settings.test",
        "CONNECT_VAR_DIR": str(var_dir),
        "TMPDIR": str(var_dir),
    }
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "connect.asgi:application"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.2)
    else:
        server.kill()
        raise RuntimeError("daphne did not start: " + server.stderr.read().decode()[-2000:])
    yield server, port
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()


def _read_response(sock):
    sock.settimeout(5)
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, TimeoutError):
            break
        if not chunk:
            break
        data += chunk
    return data


def test_daphne_answers_413_from_the_headers_before_the_body_is_sent(daphne_server):
    server, port = daphne_server
    rss_before = _rss_kb(server.pid)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(
            b"POST /join/request/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: " + str(EIGHT_HUNDRED_MB).encode() + b"\r\n\r\n" + b"a" * 65536
        )
        # Only 64 KB of the announced 800 MB were sent: the answer must not wait for the rest.
        response = _read_response(sock)
    assert response.startswith(b"HTTP/1.1 413")
    assert b"Request too large" in response
    assert _temp_bytes(server.pid) < 1024 * 1024
    assert _rss_kb(server.pid) - rss_before < 20 * 1024


def test_daphne_stops_buffering_a_chunked_body_at_the_limit(daphne_server):
    server, port = daphne_server
    chunk = b"b" * (1024 * 1024)
    framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(
            b"POST /join/request/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        sock.settimeout(0.5)
        response = b""
        for _ in range(50):
            try:
                sock.sendall(framed)
                sent += len(chunk)
            except (BrokenPipeError, ConnectionResetError, TimeoutError):
                break
            try:
                response += sock.recv(65536)
            except (BlockingIOError, TimeoutError):
                continue
            if response:
                break
        response += _read_response(sock)
        held = _temp_bytes(server.pid)
    assert response.startswith(b"HTTP/1.1 413")
    # Refused a few megabytes in, not after all 50.
    assert sent < 20 * 1024 * 1024
    assert held < 4 * 1024 * 1024


def test_daphne_still_serves_ordinary_requests(daphne_server):
    _server, port = daphne_server
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        response = _read_response(sock)
    # Django answered (this server has no migrated database, hence possibly 503).
    assert response.split(b"\r\n", 1)[0] in (b"HTTP/1.1 200 OK", b"HTTP/1.1 503 Service Unavailable")
