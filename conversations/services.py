"""Every write of private conversations.

Each service takes keyword arguments, checks ``permissions.py``, writes inside
``transaction.atomic`` (the conversation row locked while a message takes its
sequence), owes its notifications as durable tasks in the same transaction and
broadcasts after commit (``live.after_commit``). ``actor`` is a
:class:`connect.actors.Actor`: who acts and from where.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone

from connect import fragments, privacy, ratelimit
from connect.actors import ServiceError
from connect.audit import audit_record
from connect.tasks import enqueue, search_index_later
from connect.text import unreadable_text_problem

from . import attachments as attachment_rules
from . import live, permissions
from .models import (
    DELETED_PLACEHOLDER,
    MAX_PARTICIPANTS,
    MAX_SUBJECT_CHARS,
    RETAINED_PLACEHOLDER,
    Attachment,
    Block,
    Conversation,
    Message,
    MessageReport,
    MessagingPreference,
    Participant,
)
from .rendering import MAX_SOURCE_CHARS, REFUSALS, render_message
from .signals import unread_changed


class ConversationError(ServiceError):
    """A refusal written for the member; ``field`` names the form field it concerns."""

    def __init__(self, message="", *, code=None, field=None):
        super().__init__(message, code=code)
        self.field = field


class NotAllowed(ConversationError):
    """The member may not see what they asked about: views answer 404."""

    default_code = "not_found"


class PrivacyCheckRequired(ConversationError):
    """The privacy guard found something; the sender must confirm before it is sent (and held)."""

    default_code = "privacy_check"

    def __init__(self, findings):
        super().__init__("Check the details the privacy guard found before sending.", field="body")
        self.findings = findings


# (count, seconds) per member: a person writing stays far below these; a
# compromised account sweeping the roster does not.
DEFAULT_START_RATE_LIMITS = ((5, 600), (20, 3600))
DEFAULT_MESSAGE_RATE_LIMITS = ((20, 60), (200, 3600))
# The composer asks for a preview when the member presses "Preview" and then
# about once a second while they type with it open: the same allowance as the
# forum composer's.
DEFAULT_PREVIEW_RATE_LIMITS = ((60, 60), (600, 3600))


def _rate(action, user, limits_setting, default, what):
    for limit, period in getattr(settings, limits_setting, default):
        if not ratelimit.consume(
            f"conversations_{action}_{period}", str(user.pk), limit=limit, period=period
        ):
            span = "minute" if period <= 60 else f"{period // 60} minutes"
            raise ConversationError(
                f"You have {what} {limit} times in the last {span}, the most allowed. Nothing was sent; "
                "your text is still here. Please wait a little and send it again.",
                code="rate_limited",
                field="body",
            )


def _clean_subject(subject):
    subject = " ".join((subject or "").split())
    if not subject:
        raise ConversationError("Give the conversation a subject.", field="subject")
    if len(subject) > MAX_SUBJECT_CHARS:
        raise ConversationError(
            f"The subject is {len(subject)} characters long; the limit is {MAX_SUBJECT_CHARS}.",
            field="subject",
        )
    problem = unreadable_text_problem(subject, lines=False)
    if problem:
        raise ConversationError(problem, field="subject")
    return subject


def _clean_body(body):
    body = (body or "").replace("\r\n", "\n")
    if not body.strip():
        raise ConversationError("Write something before sending: the message is empty.", field="body")
    if len(body) > MAX_SOURCE_CHARS:
        raise ConversationError(
            f"The message is {len(body):,} characters long; the limit is {MAX_SOURCE_CHARS:,}.", field="body"
        )
    problem = unreadable_text_problem(body)
    if problem:
        raise ConversationError(problem, field="body")
    try:
        return body, render_message(body)
    except REFUSALS as exc:
        raise ConversationError(str(exc), field="body")


def message_preview(*, author, body):
    """The HTML ``body`` would be sent as: the same checks and renderer as
    ``message_send`` and ``conversation_start`` (size, unreadable characters,
    structure), so what the member previews is what is sent. Nothing is stored
    and no conversation is named, so nothing about one can leak through it;
    the privacy guard runs when the message is sent.

    Raises :class:`NotAllowed` for a member who may not send private messages,
    and :class:`ConversationError` with the message the form would show."""
    if not permissions.can_send(author):
        raise NotAllowed
    limits = getattr(settings, "CONVERSATIONS_PREVIEW_RATE_LIMITS", DEFAULT_PREVIEW_RATE_LIMITS)
    for limit, period in limits:
        key = f"conversations_preview_{period}"
        if not ratelimit.consume(key, str(author.pk), limit=limit, period=period):
            raise ConversationError(
                "Too many previews in a short time. Please wait a moment.", code="rate_limited", field="body"
            )
    _body, html = _clean_body(body)
    return html


def _check_attachments(files):
    files = [f for f in files or () if f is not None]
    if len(files) > attachment_rules.MAX_ATTACHMENTS:
        raise ConversationError(
            f"Attach at most {attachment_rules.MAX_ATTACHMENTS} files to one message.", field="attachments"
        )
    checked = []
    for upload in files:
        try:
            checked.append((upload, *attachment_rules.check_attachment(upload)))
        except ValidationError as exc:
            raise ConversationError(exc.messages[0], code=exc.code, field="attachments")
    return checked


def privacy_findings(text, *, people):
    """What the privacy guard finds in ``text``. The verified legal names of the
    participants and members' own addresses are not reported (display names
    are not trusted: a member may set theirs to anything)."""
    User = get_user_model()
    names = [u.get_full_name() for u in people]
    known = {}

    def allowed_email(address):
        key = address.casefold()
        if key not in known:
            known[key] = (
                len(known) < 50 and User.objects.filter(email__iexact=address, is_active=True).exists()
            )
        return known[key]

    return privacy.summarize(privacy.scan(text, allowed_emails=allowed_email, allowed_names=names))


def _guard(text, *, people, confirm_privacy):
    findings = privacy_findings(text, people=people)
    if findings and not confirm_privacy:
        raise PrivacyCheckRequired(findings)
    return findings


def _existing(user, token):
    if not token:
        return None
    return (
        Message.objects.filter(sender_id=user.pk, submission_token=token)
        .select_related("conversation")
        .first()
    )


def _next_seq(conversation):
    """Take the conversation's next sequence under its row lock (inside the caller's transaction)."""
    seq = (
        Conversation.objects.select_for_update()
        .filter(pk=conversation.pk)
        .values_list("message_seq", flat=True)
        .get()
        + 1
    )
    now = timezone.now()
    Conversation.objects.filter(pk=conversation.pk).update(message_seq=seq, last_message_at=now)
    conversation.message_seq, conversation.last_message_at = seq, now
    return seq


def _current_ids(conversation):
    return list(
        Participant.objects.filter(conversation=conversation, left_at__isnull=True).values_list(
            "user_id", flat=True
        )
    )


def _system(conversation, text):
    seq = _next_seq(conversation)
    return Message.objects.create(
        conversation=conversation, seq=seq, kind=Message.Kind.SYSTEM, body=text, body_html=""
    )


def _store(message, checked):
    stored = []
    try:
        for upload, name, content_type, original in checked:
            path = default_storage.save(f"conversations/{name}", upload)
            stored.append(path)
            Attachment.objects.create(
                message=message,
                file=path,
                original_name=original,
                content_type=content_type,
                size=upload.size,
            )
    except Exception:
        for path in stored:
            default_storage.delete(path)
        raise
    return stored


def _after_message(message, recipients):
    """What a saved, visible message owes: index entry, notifications, broadcasts."""
    search_index_later(message)
    from .tasks import message_fan_out

    enqueue(message_fan_out, message.pk)
    live.after_commit(message.conversation_id, "message", seq=message.seq, member_ids=recipients)


def _write(*, actor, conversation, body, html, findings, token, checked, people_ids):
    sender = actor.user
    seq = _next_seq(conversation)
    message = Message.objects.create(
        conversation=conversation,
        seq=seq,
        sender=sender,
        body=body,
        body_html=html,
        status=Message.Status.HELD if findings else Message.Status.VISIBLE,
        privacy_findings=findings,
        submission_token=token or "",
    )
    stored = _store(message, checked)
    Participant.objects.filter(conversation=conversation, user_id=sender.pk).update(
        last_read_seq=seq, archived=False
    )
    if findings:
        # Held: only the sender sees it until a moderator approves it.
        live.after_commit(conversation.pk, "message", seq=seq, member_ids=[sender.pk])
        audit_record(action="conversations.message_held", origin=actor, target=message)
    else:
        # New activity brings the conversation back into everyone's inbox.
        Participant.objects.filter(conversation=conversation, left_at__isnull=True).update(archived=False)
        _after_message(message, people_ids)
    return message, stored


def conversation_start(
    *, actor, recipients, subject, body, submission_token="", confirm_privacy=False, files=()
):
    """Start a conversation between ``actor.user`` and ``recipients`` with a first message.

    A repeated ``submission_token`` returns the conversation the first
    submission started, creating nothing."""
    sender = actor.user
    existing = _existing(sender, submission_token)
    if existing is not None:
        return existing.conversation
    if not permissions.can_send(sender):
        raise ConversationError("Your account cannot send private messages at the moment.", code="barred")
    recipients = list({u.pk: u for u in recipients if u is not None}.values())
    if not recipients:
        raise ConversationError("Choose at least one member to write to.", field="recipients")
    if len(recipients) + 1 > MAX_PARTICIPANTS:
        raise ConversationError(
            f"A conversation can have at most {MAX_PARTICIPANTS} members, you included.", field="recipients"
        )
    for recipient in recipients:
        refusal = permissions.message_refusal(sender, recipient)
        if refusal:
            name = getattr(getattr(recipient, "profile", None), "display_name", "This member")
            raise ConversationError(f"{name}: {refusal}", code="refused", field="recipients")
    subject = _clean_subject(subject)
    body, html = _clean_body(body)
    checked = _check_attachments(files)
    _rate(
        "start", sender, "CONVERSATIONS_START_RATE_LIMITS", DEFAULT_START_RATE_LIMITS, "started conversations"
    )
    _rate(
        "message", sender, "CONVERSATIONS_MESSAGE_RATE_LIMITS", DEFAULT_MESSAGE_RATE_LIMITS, "sent messages"
    )
    findings = _guard(f"{subject}\n\n{body}", people=[sender, *recipients], confirm_privacy=confirm_privacy)
    stored = []
    try:
        with transaction.atomic():
            conversation = Conversation.objects.create(subject=subject, created_by=sender)
            Participant.objects.bulk_create(
                [Participant(conversation=conversation, user=sender, added_by=sender)]
                + [Participant(conversation=conversation, user=u, added_by=sender) for u in recipients]
            )
            _message, stored = _write(
                actor=actor,
                conversation=conversation,
                body=body,
                html=html,
                findings=findings,
                token=submission_token,
                checked=checked,
                people_ids=[sender.pk] + [u.pk for u in recipients],
            )
    except IntegrityError:
        _discard(stored)
        existing = _existing(sender, submission_token)
        if existing is None:
            raise
        return existing.conversation
    except Exception:
        _discard(stored)
        raise
    return conversation


def _discard(paths):
    for path in paths or ():
        try:
            default_storage.delete(path)
        except OSError:
            pass


def message_send(*, actor, conversation, body, submission_token="", confirm_privacy=False, files=()):
    """Send a message in ``conversation``. A repeated token returns the first message."""
    sender = actor.user
    if not permissions.can_see_conversation(sender, conversation):
        raise NotAllowed
    existing = _existing(sender, submission_token)
    if existing is not None:
        return existing
    if not permissions.can_send(sender):
        raise ConversationError("Your account cannot send private messages at the moment.", code="barred")
    people = list(
        get_user_model().objects.filter(
            pk__in=Participant.objects.filter(conversation=conversation, left_at__isnull=True).values(
                "user_id"
            )
        )
    )
    if len(people) < 2:
        raise ConversationError(
            "Everyone else has left this conversation. Start a new one to write to them.", code="alone"
        )
    body, html = _clean_body(body)
    checked = _check_attachments(files)
    _rate(
        "message", sender, "CONVERSATIONS_MESSAGE_RATE_LIMITS", DEFAULT_MESSAGE_RATE_LIMITS, "sent messages"
    )
    findings = _guard(body, people=people, confirm_privacy=confirm_privacy)
    stored = []
    try:
        with transaction.atomic():
            message, stored = _write(
                actor=actor,
                conversation=conversation,
                body=body,
                html=html,
                findings=findings,
                token=submission_token,
                checked=checked,
                people_ids=[u.pk for u in people],
            )
    except IntegrityError:
        _discard(stored)
        existing = _existing(sender, submission_token)
        if existing is None:
            raise
        return existing
    except Exception:
        _discard(stored)
        raise
    return message


def participant_add(*, actor, conversation, user):
    """Add ``user``. They see the messages from this moment on, not the earlier history."""
    adder = actor.user
    if not permissions.can_see_conversation(adder, conversation):
        raise NotAllowed
    if not permissions.can_add_participant(adder, conversation):
        raise ConversationError(
            f"A conversation can have at most {MAX_PARTICIPANTS} members.", field="member", code="full"
        )
    refusal = permissions.message_refusal(adder, user)
    if refusal:
        raise ConversationError(refusal, field="member", code="refused")
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
        place = Participant.objects.filter(conversation=conversation, user=user).first()
        if place is not None and place.left_at is None:
            raise ConversationError("This member is already in the conversation.", field="member")
        notice = _system(conversation, f"{adder.display_name} added {user.display_name}.")
        values = {
            "added_by": adder,
            "joined_at": timezone.now(),
            # They read from the notice of their arrival on.
            "joined_seq": notice.seq - 1,
            "last_read_seq": notice.seq - 1,
            "left_at": None,
            "archived": False,
            "muted": False,
        }
        Participant.objects.update_or_create(conversation=conversation, user=user, defaults=values)
        audit_record(
            action="conversations.participant_added",
            origin=actor,
            target=conversation,
            detail={"user": user.pk},
        )
        ids = _current_ids(conversation)
        live.after_commit(conversation.pk, "participants", seq=notice.seq, member_ids=ids)
    return conversation


def _depart(*, actor, conversation, user, text, action):
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
        remaining = _current_ids(conversation)
        updated = Participant.objects.filter(
            conversation=conversation, user=user, left_at__isnull=True
        ).update(left_at=timezone.now())
        if not updated:
            raise NotAllowed
        notice = _system(conversation, text)
        audit_record(action=action, origin=actor, target=conversation, detail={"user": user.pk})
        live.after_commit(conversation.pk, "participants", seq=notice.seq, member_ids=remaining)
    return conversation


def conversation_leave(*, actor, conversation):
    """Leave: the conversation disappears from the member's inbox, search and notifications."""
    user = actor.user
    if not permissions.can_see_conversation(user, conversation):
        raise NotAllowed
    return _depart(
        actor=actor,
        conversation=conversation,
        user=user,
        text=f"{user.display_name} left the conversation.",
        action="conversations.left",
    )


def participant_remove(*, actor, conversation, user):
    """The member who started the conversation removes someone; they stop receiving at once."""
    remover = actor.user
    if not permissions.can_see_conversation(remover, conversation):
        raise NotAllowed
    if conversation.created_by_id != remover.pk or user.pk == remover.pk:
        raise ConversationError("Only the member who started the conversation can remove others.")
    return _depart(
        actor=actor,
        conversation=conversation,
        user=user,
        text=f"{remover.display_name} removed {user.display_name}.",
        action="conversations.participant_removed",
    )


def conversation_mark_read(*, user, conversation, seq=None):
    """Record that ``user`` read up to ``seq`` (default: the newest), and clear
    their notifications about it. Returns the new read sequence."""
    from notifications.models import Notification

    from .notification_kinds import MESSAGE, conversation_type

    place = permissions.current_participant(user, conversation)
    if place is None:
        raise NotAllowed
    newest = Conversation.objects.filter(pk=conversation.pk).values_list("message_seq", flat=True).get()
    seq = newest if seq is None else max(0, min(int(seq), newest))
    if seq <= place.last_read_seq:
        return place.last_read_seq
    with transaction.atomic():
        Participant.objects.filter(pk=place.pk, last_read_seq__lt=seq).update(last_read_seq=seq)
        if seq == newest:
            Notification.objects.filter(
                recipient_id=user.pk,
                kind=MESSAGE,
                target_type=conversation_type(),
                target_id=conversation.pk,
                read_at__isnull=True,
            ).update(read_at=timezone.now())
            # A bulk update sends no signal: the header's cached count moves here.
            fragments.bump(fragments.inbox_scope(user.pk))
        live.after_commit(conversation.pk, "read", seq=seq, member_ids=[user.pk])
    return seq


def participant_update(*, user, conversation, muted=None, archived=None):
    """Mute (no notifications, no emails) or archive (out of the inbox until the next message)."""
    place = permissions.current_participant(user, conversation)
    if place is None:
        raise NotAllowed
    fields = {}
    if muted is not None:
        fields["muted"] = bool(muted)
    if archived is not None:
        fields["archived"] = bool(archived)
    if fields:
        Participant.objects.filter(pk=place.pk).update(**fields)
    return place


def member_block(*, actor, blocked):
    """``actor.user`` blocks ``blocked``: neither can start a conversation with the other."""
    blocker = actor.user
    if not permissions.is_active_member(blocker) or blocked.pk == blocker.pk:
        raise ConversationError("You can't block this account.")
    with transaction.atomic():
        block, created = Block.objects.get_or_create(blocker=blocker, blocked=blocked)
        if created:
            audit_record(action="conversations.member_blocked", origin=actor, target=blocked)
    return block


def member_unblock(*, actor, blocked):
    deleted, _ = Block.objects.filter(blocker_id=actor.user.pk, blocked_id=blocked.pk).delete()
    if deleted:
        audit_record(action="conversations.member_unblocked", origin=actor, target=blocked)
    return bool(deleted)


def messaging_preference_set(*, user, task_force_only):
    """Whether only the member's own task force may start conversations with them."""
    preference, _ = MessagingPreference.objects.update_or_create(
        user=user, defaults={"task_force_only": bool(task_force_only)}
    )
    return preference


def message_report(*, actor, message, reason):
    """A participant reports a message; it goes to the moderators' queue with a little context."""
    reporter = actor.user
    message = Message.objects.select_related("conversation").get(pk=message.pk)
    if not permissions.can_see_message(reporter, message):
        raise NotAllowed
    if not permissions.can_report(reporter, message):
        raise ConversationError("You can't report this message.")
    reason = " ".join((reason or "").split())
    if not reason:
        raise ConversationError("Say what is wrong with the message.", field="reason")
    if len(reason) > 1000:
        raise ConversationError("Keep the reason under 1,000 characters.", field="reason")
    problem = unreadable_text_problem(reason, lines=False)
    if problem:
        raise ConversationError(problem, field="reason")
    with transaction.atomic():
        report, created = MessageReport.objects.get_or_create(
            message=message, reporter=reporter, defaults={"reason": reason}
        )
        if created:
            audit_record(action="conversations.message_reported", origin=actor, target=message)
    return report


def report_resolve(*, actor, report, remove):
    """A moderator dismisses a report, or removes the reported message for everyone."""
    moderator = actor.user
    if not permissions.can_review_reports(moderator):
        raise NotAllowed
    with transaction.atomic():
        report = MessageReport.objects.select_for_update().select_related("message").get(pk=report.pk)
        status = MessageReport.Status.REMOVED if remove else MessageReport.Status.DISMISSED
        now = timezone.now()
        MessageReport.objects.filter(message=report.message, status=MessageReport.Status.OPEN).update(
            status=status, resolved_by=moderator, resolved_at=now
        )
        if remove:
            Message.objects.filter(pk=report.message_id).update(status=Message.Status.REMOVED)
            search_index_later(report.message)
            live.after_commit(report.message.conversation_id, "participants")
        audit_record(
            action="conversations.report_resolved",
            origin=actor,
            target=report.message,
            detail={"report": report.pk, "outcome": status},
        )
    return report


def held_message_decide(*, actor, message, approve):
    """A moderator approves a message the privacy guard held (it is then sent,
    as the newest message) or declines it (it stays visible to its sender only, as declined)."""
    moderator = actor.user
    if not permissions.can_review_held(moderator):
        raise NotAllowed
    with transaction.atomic():
        message = Message.objects.select_for_update().get(pk=message.pk, status=Message.Status.HELD)
        conversation = message.conversation
        if approve:
            # A new sequence: readers' pages only ever move forward.
            message.seq = _next_seq(conversation)
            message.status = Message.Status.VISIBLE
            message.save(update_fields=["seq", "status"])
            _after_message(message, _current_ids(conversation))
        else:
            message.status = Message.Status.REMOVED
            message.save(update_fields=["status"])
        audit_record(
            action="conversations.held_message_decided",
            origin=actor,
            target=message,
            detail={"approved": bool(approve)},
        )
    return message


def member_messages_erase(*, user):
    """Replace the text of every message ``user`` sent with a placeholder, and drop
    their files, so conversations still read when the account is deleted."""
    with transaction.atomic():
        messages = Message.objects.filter(sender_id=user.pk, kind=Message.Kind.TEXT)
        for attachment in Attachment.objects.filter(message__in=messages):
            transaction.on_commit(lambda name=attachment.file.name: _discard([name]))
        Attachment.objects.filter(message__in=messages).delete()
        ids = list(messages.values_list("pk", flat=True))
        count = messages.update(body=DELETED_PLACEHOLDER, body_html="", privacy_findings=[], sender=None)
        unread_changed()  # no sender any more: the bulk update sends no signal
        _reindex(ids)
    return count


def _reindex(ids):
    # The index must forget the erased words too, not only the database.
    for pk in ids:
        search_index_later(Message(pk=pk))


def retention_apply(*, days, now=None):
    """Erase messages older than ``days``, and conversations with nothing newer.

    Returns ``(messages erased, conversations deleted)``."""
    if not days:
        return 0, 0
    cutoff = (now or timezone.now()) - timedelta(days=days)
    with transaction.atomic():
        old_conversations = Conversation.objects.filter(last_message_at__lt=cutoff)
        for name in Attachment.objects.filter(message__conversation__in=old_conversations).values_list(
            "file", flat=True
        ):
            transaction.on_commit(lambda name=name: _discard([name]))
        gone = old_conversations.count()
        old_conversations.delete()
        old = Message.objects.filter(created_at__lt=cutoff, kind=Message.Kind.TEXT).exclude(
            body=RETAINED_PLACEHOLDER
        )
        for name in Attachment.objects.filter(message__in=old).values_list("file", flat=True):
            transaction.on_commit(lambda name=name: _discard([name]))
        Attachment.objects.filter(message__in=old).delete()
        ids = list(old.values_list("pk", flat=True))
        erased = old.update(body=RETAINED_PLACEHOLDER, body_html="", privacy_findings=[])
        unread_changed()
        _reindex(ids)
    return erased, gone


__all__ = [
    "ConversationError",
    "NotAllowed",
    "PrivacyCheckRequired",
    "conversation_leave",
    "conversation_mark_read",
    "conversation_start",
    "held_message_decide",
    "member_block",
    "member_messages_erase",
    "member_unblock",
    "message_report",
    "message_send",
    "messaging_preference_set",
    "participant_add",
    "participant_remove",
    "participant_update",
    "report_resolve",
    "retention_apply",
]
