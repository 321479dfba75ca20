"""Copy the notifications and email preferences discussions used to keep.

Each old notification points at its post (or else its thread) through a
content type and id, with the path it opened; each old preference row (one
per member, a column per topic) becomes one row per topic. The old tables are
dropped by forum's next migration, which runs after this one.
"""

from django.db import migrations

TOPICS = (("mention", "mention_email"), ("reply", "reply_email"))


def copy(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    OldNotification = apps.get_model("forum", "Notification")
    OldPreference = apps.get_model("forum", "NotificationPreference")
    Notification = apps.get_model("notifications", "Notification")
    NotificationPreference = apps.get_model("notifications", "NotificationPreference")
    if not OldNotification.objects.exists() and not OldPreference.objects.exists():
        return
    post_type, _ = ContentType.objects.get_or_create(app_label="forum", model="post")
    thread_type, _ = ContentType.objects.get_or_create(app_label="forum", model="thread")
    batch = []
    for old in OldNotification.objects.order_by("pk").iterator(chunk_size=2000):
        if old.post_id:
            target_type, target_id, url = post_type, old.post_id, f"/discussions/p/{old.post_id}/"
        elif old.thread_id:
            target_type, target_id, url = thread_type, old.thread_id, f"/discussions/t/{old.thread_id}/"
        else:
            target_type, target_id, url = None, None, ""
        batch.append(
            Notification(
                recipient_id=old.recipient_id,
                kind=old.kind,
                actor_id=old.actor_id,
                target_type=target_type,
                target_id=target_id,
                url=url,
                message=old.message,
                created_at=old.created_at,
                read_at=old.read_at,
                email_state=old.email_state,
                emailed_at=old.emailed_at,
            )
        )
        if len(batch) >= 2000:
            Notification.objects.bulk_create(batch)
            batch = []
    Notification.objects.bulk_create(batch)
    NotificationPreference.objects.bulk_create(
        [
            NotificationPreference(user_id=old.user_id, topic=topic, email=getattr(old, field))
            for old in OldPreference.objects.order_by("pk")
            for topic, field in TOPICS
        ],
        ignore_conflicts=True,
    )


def copy_back(apps, schema_editor):
    OldNotification = apps.get_model("forum", "Notification")
    OldPreference = apps.get_model("forum", "NotificationPreference")
    Notification = apps.get_model("notifications", "Notification")
    NotificationPreference = apps.get_model("notifications", "NotificationPreference")
    Post = apps.get_model("forum", "Post")
    Thread = apps.get_model("forum", "Thread")
    for new in Notification.objects.select_related("target_type").order_by("pk"):
        model = new.target_type.model if new.target_type_id else None
        post = Post.objects.filter(pk=new.target_id).first() if model == "post" else None
        thread = (
            Thread.objects.filter(pk=new.target_id).first()
            if model == "thread"
            else (Thread.objects.filter(pk=post.thread_id).first() if post else None)
        )
        if model and post is None and thread is None:
            continue  # What it was about is gone; the old table cascaded such rows away.
        OldNotification.objects.create(
            recipient_id=new.recipient_id,
            kind=new.kind[:12],
            actor_id=new.actor_id,
            post=post,
            thread=thread,
            message=new.message,
            created_at=new.created_at,
            read_at=new.read_at,
            email_state=new.email_state,
            emailed_at=new.emailed_at,
        )
    chosen = {}
    for pref in NotificationPreference.objects.filter(topic__in=[t for t, _ in TOPICS]):
        chosen.setdefault(pref.user_id, {})[dict(TOPICS)[pref.topic]] = pref.email
    for user_id, fields in chosen.items():
        OldPreference.objects.update_or_create(user_id=user_id, defaults=fields)


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
        ("forum", "0002_default_categories"),
    ]

    operations = [migrations.RunPython(copy, copy_back)]
