"""Writes in the library: member shares and the notices about them."""

import logging

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from wagtail.documents import get_document_model
from wagtail.models import Collection

from connect.audit import audit_record
from connect.mail import absolute_url, mail_send
from connect.privacy_guard import privacy_check

from .models import CalendarFeed, ResourceLibraryPage, ResourcePage, SharedResource, _new_token
from .uploads import discard_stored_files

logger = logging.getLogger(__name__)


def _unique_slug(parent, title):
    base = slugify(title)[:70] or "resource"
    slug, n = base, 1
    while parent.get_children().filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def shared_resource_for_submission(*, member, submission_token):
    """The share a form submission already created, if it was sent before."""
    if not submission_token:
        return None
    return SharedResource.objects.filter(member=member, submission_token=submission_token).first()


def resource_share(
    *,
    member,
    title,
    summary,
    resource_type,
    topics,
    external_url="",
    upload=None,
    checked=None,
    submission_token=None,
    confirm_privacy=False,
):
    """Create a draft ResourcePage from a member's share and submit it to the
    library's review workflow. Returns the SharedResource. The same
    submission_token twice returns the first share and creates nothing.

    The title, the summary and the file's name pass the privacy guard first:
    with findings the member must remove them or confirm
    (:class:`connect.privacy_guard.PrivacyCheckRequired`); a confirmed share
    goes to review like every share, its findings noted for the moderator."""
    library = ResourceLibraryPage.objects.first()
    if library is None:
        raise RuntimeError("The resource library page does not exist yet.")
    submission_token = submission_token or None
    existing = shared_resource_for_submission(member=member, submission_token=submission_token)
    if existing is not None:
        return existing
    findings = privacy_check(
        title,
        summary,
        getattr(upload, "name", "") or "",
        author=member,
        confirm_privacy=confirm_privacy,
        field="summary",
    )
    stored = []
    try:
        share = _resource_share(
            library=library,
            member=member,
            title=title,
            summary=summary,
            resource_type=resource_type,
            topics=topics,
            external_url=external_url,
            upload=upload,
            checked=checked,
            submission_token=submission_token,
            stored=stored,
            findings=findings,
        )
    except IntegrityError:
        # The same form sent twice at once: the other request won. Its file is
        # the one kept; ours must not stay on disk.
        discard_stored_files(stored)
        existing = shared_resource_for_submission(member=member, submission_token=submission_token)
        if existing is None:
            raise
        return existing
    except BaseException:
        # The transaction rolled back, so no row names the file any more;
        # left on disk it would be an orphan nobody can see or delete.
        discard_stored_files(stored)
        raise
    return share


def _resource_share(
    *,
    library,
    member,
    title,
    summary,
    resource_type,
    topics,
    external_url,
    upload,
    checked,
    submission_token,
    stored,
    findings,
):
    with transaction.atomic():
        document = None
        if upload is not None:
            Document = get_document_model()
            upload.seek(0)
            document = Document(
                title=title,
                collection=Collection.get_first_root_node(),
                uploaded_by_user=member,
            )
            document.file.save(checked.storage_name(), ContentFile(upload.read()), save=False)
            stored.append(document)
            document._set_document_file_metadata()
            document.save()
        page = ResourcePage(
            title=title,
            slug=_unique_slug(library, title),
            summary=summary,
            resource_type=resource_type,
            external_url=external_url or "",
            document=document,
            live=False,
            owner=member,
        )
        library.add_child(instance=page)
        page.topics.set(topics)
        revision = page.save_revision(user=member, log_action=True)
        share = SharedResource.objects.create(page=page, member=member, submission_token=submission_token)
        workflow = page.get_workflow()
        if workflow is not None:
            _quiet_admin_notices(member)
            workflow.start(page, member)
        audit_record(
            action="resource.shared",
            actor=member,
            target=page,
            # The kinds found, never the text: the audit log must not become a copy of it.
            detail={
                "revision": revision.pk,
                "has_file": document is not None,
                "privacy_findings": sorted({f["kind"] for f in findings}),
            },
        )
    return share


def _quiet_admin_notices(member):
    """Wagtail would email the submitter its own approval and rejection notices,
    which link into the admin. Members without admin access get ours instead."""
    if member.has_perm("wagtailadmin.access_admin"):
        return
    from wagtail.users.models import UserProfile

    profile = UserProfile.get_for_user(member)
    if profile.approved_notifications or profile.rejected_notifications:
        profile.approved_notifications = False
        profile.rejected_notifications = False
        profile.save(update_fields=["approved_notifications", "rejected_notifications"])


def _notify(share, decision):
    member = share.member
    if member is None or not member.email:
        return
    if decision == SharedResource.Status.PUBLISHED:
        template, url = "share_published", absolute_url(share.page.get_url() or "/resources/")
    else:
        template, url = "share_declined", absolute_url(reverse("resources:my_shares"))
    # A durable task: the mail server being down delays the email, never the decision.
    mail_send(
        to=member.email,
        template=template,
        context={"title": share.page.title, "url": url},
        key=f"share-decision:{share.pk}:{decision}",
    )


def share_decide(*, page, decision):
    """Record the moderators' decision on a member's share and tell the member
    once. Called from Wagtail's publish and workflow-rejected signals."""
    share = SharedResource.objects.filter(page_id=page.pk).select_related("member").first()
    if share is None or share.status == decision:
        return
    if share.status == SharedResource.Status.PUBLISHED:
        return  # Unpublishing later is an editorial change, not a decision on the share.
    share.status = decision
    share.decided_at = timezone.now()
    share.save(update_fields=["status", "decided_at"])
    transaction.on_commit(lambda: _notify(share, decision))


def document_download_count(document):
    """Count one download in the database (F() update), so concurrent
    downloads never overwrite each other's count."""
    from django.db.models import F

    from .models import DocumentDownload

    updated = DocumentDownload.objects.filter(document=document).update(
        count=F("count") + 1, last_downloaded_at=timezone.now()
    )
    if not updated:
        _, created = DocumentDownload.objects.get_or_create(
            document=document, defaults={"count": 1, "last_downloaded_at": timezone.now()}
        )
        if not created:
            # Another first download inserted the row between our two queries.
            DocumentDownload.objects.filter(document=document).update(
                count=F("count") + 1, last_downloaded_at=timezone.now()
            )


def calendar_feed_reset(*, user, origin=None):
    """Give the member a new secret calendar address, creating their feed the
    first time. The old address stops working at once: it may have leaked.
    Returns ``(feed, created)``. Audited, since the address stands in for
    signing in."""
    with transaction.atomic():
        feed, created = CalendarFeed.objects.get_or_create(user=user)
        if not created:
            feed = CalendarFeed.objects.select_for_update().get(pk=feed.pk)
            feed.token = _new_token()
            feed.created_at = timezone.now()
            feed.save(update_fields=["token", "created_at"])
        audit_record(
            action="calendar_feed.created" if created else "calendar_feed.reset",
            origin=origin,
            actor=user,
            target=feed,
        )
    return feed, created
