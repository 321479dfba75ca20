"""Services take who-and-from-where (`connect.actors.Actor`), not a request, so a
WebSocket consumer, a task or a command can call them and the audit log still
says where the action came from."""

import pytest

from connect.actors import Actor
from connect.models import AuditEvent
from forum import services
from forum.services import ForumError, NotAllowed, PrivacyCheckRequired


def test_post_hide_called_without_a_request_records_the_actor_origin(mod, thread):
    origin = Actor(user=mod, ip_address="192.0.2.44", user_agent="connect-worker", via="task")
    services.post_hide(moderator=mod, post=thread.first_post, reason="Off topic", origin=origin)
    event = AuditEvent.objects.get(action="forum.post_hide")
    assert (event.actor, event.ip_address, event.user_agent) == (mod, "192.0.2.44", "connect-worker")


def test_thread_lock_from_a_command_needs_no_origin(mod, thread):
    services.thread_set_locked(moderator=mod, thread=thread, locked=True, reason="Resolved")
    assert AuditEvent.objects.get(action="forum.thread_lock").ip_address is None


def test_moderation_from_the_admin_records_the_client_behind_the_proxy(settings, mod, thread, client_for):
    settings.CONNECT_TRUSTED_PROXY_COUNT = 1
    client = client_for(mod)
    client.defaults.update(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.80")
    client.post(f"/discussions/t/{thread.pk}/moderate/", {"action": "pin"})
    assert AuditEvent.objects.get(action="forum.thread_pin").ip_address == "203.0.113.80"


def test_forum_errors_carry_stable_codes():
    assert ForumError("Give the thread a title.", field="title").code == "invalid"
    assert ForumError("Slow down.", code="rate_limited").code == "rate_limited"
    assert NotAllowed().code == "not_found"
    assert PrivacyCheckRequired([]).code == "privacy_check_required"


@pytest.mark.parametrize("module", ["threads", "posts", "reactions", "moderation", "handles"])
def test_services_package_is_split_by_area(module):
    # Every area module is importable on its own and re-exported by the package.
    area = __import__(f"forum.services.{module}", fromlist=["*"])
    public = [
        n
        for n, v in vars(area).items()
        if callable(v) and not n.startswith("_") and v.__module__ == area.__name__
    ]
    assert public and all(getattr(services, n) is getattr(area, n) for n in public)


def test_post_create_parses_the_markdown_once(
    officer, advocate, thread, monkeypatch, django_capture_on_commit_callbacks
):
    # Rendering, the mention list, the privacy guard's allow-list and the
    # notifications all need the parse; it used to run three times per reply.
    from connect import markdown

    calls = []
    real = markdown._parse

    def counting(source, env, limits):
        calls.append(source)
        return real(source, env, limits)

    monkeypatch.setattr(markdown, "_parse", counting)
    body = f"Thanks @{services.handle_for(advocate)}, see the **intake** checklist."
    with django_capture_on_commit_callbacks(execute=True):
        services.post_create(author=officer, thread=thread, body=body)
    assert calls.count(body) == 1
