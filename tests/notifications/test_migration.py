"""Moving notifications out of discussions keeps every existing row."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from notifications.models import Notification, NotificationPreference

from ..forum.factories import make_post

BEFORE = [("forum", "0002_default_categories"), ("notifications", "0001_initial")]
AFTER = [("forum", "0003_notifications_move_out"), ("notifications", "0002_copy_from_forum")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def back_to_latest_schema():
    """Leave the database at the newest migrations for the tests that follow,
    whatever later migrations of any app this test had to unapply."""
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_migration_copies_forum_notifications_and_preferences(
    back_to_latest_schema, officer, advocate, thread
):
    reply = make_post(author=advocate, thread=thread)
    Notification.objects.all().delete()  # only the rows written below, by the old schema
    old = migrate(BEFORE)
    OldNotification = old.get_model("forum", "Notification")
    OldNotification.objects.create(
        recipient_id=officer.pk,
        kind="reply",
        actor_id=advocate.pk,
        post_id=reply.pk,
        thread_id=thread.pk,
        email_state="daily",
    )
    OldNotification.objects.create(
        recipient_id=advocate.pk, kind="moderation", message="lifted your suspension"
    )
    old.get_model("forum", "NotificationPreference").objects.create(
        user_id=officer.pk, mention_email="weekly", reply_email="never"
    )
    migrate(AFTER)
    # Read through today's model, so the schema must be today's too.
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    about_reply = Notification.objects.get(recipient=officer)
    assert (about_reply.kind, about_reply.target, about_reply.url) == (
        "reply",
        reply,
        reply.get_absolute_url(),
    )
    assert about_reply.email_state == "daily" and about_reply.actor == advocate
    notice = Notification.objects.get(recipient=advocate)
    assert notice.target is None and notice.message == "lifted your suspension"
    assert dict(NotificationPreference.objects.filter(user=officer).values_list("topic", "email")) == {
        "mention": "weekly",
        "reply": "never",
    }
