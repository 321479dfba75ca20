"""Writes in the library: member shares and the notices about them."""

import logging
import posixpath
import shutil
import tempfile
from contextlib import contextmanager

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from wagtail.documents import get_document_model
from wagtail.models import Collection

from connect import privacy
from connect.audit import audit_record
from connect.mail import absolute_url, mail_send
from connect.privacy_guard import privacy_check
from connect.tasks import search_index_later
from notifications import moderators as moderator_kinds
from notifications.moderators import moderators_notify_on_commit

from .extraction import EXTENSIONS, ExtractionError, extract_file
from .models import (
    CalendarFeed,
    DocumentExtraction,
    DocumentText,
    ResourceLibraryPage,
    ResourcePage,
    SharedResource,
    _new_token,
)
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
        moderators_notify_on_commit(
            kind=moderator_kinds.SHARED_RESOURCE,
            target=share,
            url=reverse("wagtailadmin_pages:edit", args=[page.pk]),
            exclude_ids=[member.pk],
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

    from connect import fragments

    from .models import DocumentDownload
    from .signals import LIBRARY

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
    # After the count moved (an update sends no signal): a listing built in
    # between would otherwise keep the old count.
    fragments.bump(LIBRARY)


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


# --- Documents' own text ------------------------------------------------------

MAX_PRIVACY_FINDINGS = 50


@contextmanager
def _local_path(file, extension):
    """A path on this machine to the stored file: its own when the storage
    is a local disk, else a temporary copy."""
    try:
        path = file.path
    except (NotImplementedError, AttributeError):
        path = None  # a remote storage: no local path
    if path is not None:
        yield path
        return
    with tempfile.NamedTemporaryFile(suffix=extension) as copy:
        with file.open("rb") as source:
            shutil.copyfileobj(source, copy)
        copy.flush()
        yield copy.name


def _read(document, extension):
    """``(status, error, extracted)`` for the document's file."""
    if extension not in EXTENSIONS:
        return DocumentExtraction.Status.UNSUPPORTED, "", None
    try:
        with _local_path(document.file, extension) as path:
            return DocumentExtraction.Status.DONE, "", extract_file(path, extension)
    except (ExtractionError, OSError, ValueError) as exc:  # ValueError: no file at all
        error = str(exc)[:500] or type(exc).__name__
        logger.warning(
            "Could not read the text of document %s (%s): %s", document.pk, document.file.name, error
        )
        return DocumentExtraction.Status.FAILED, error, None


def document_text_extract(*, document_id, force=False):
    """Read the text of document ``document_id`` into DocumentText rows (one
    per page, slide, sheet or passage), record how it went, owe a search
    update of every resource page showing it, and run the privacy guard over
    a member's shared file. A file already read is skipped unless ``force``.
    A file that cannot be read is recorded as failed (and logged); its pages
    are still found by their title and summary. Returns what was done."""
    from wagtail.documents import get_document_model

    Document = get_document_model()
    document = Document.objects.filter(pk=document_id).first()
    if document is None:
        return "gone"
    name, file_hash = document.file.name, document.file_hash or ""
    done = DocumentExtraction.objects.filter(document_id=document_id).first()
    if done and not force and (done.file_name, done.file_hash) == (name, file_hash):
        return "unchanged"
    # Read outside any transaction: it may take seconds, and holds no row.
    status, error, extracted = _read(document, posixpath.splitext(name)[1].lower())
    units = extracted.units if extracted else []
    with transaction.atomic():
        current = Document.objects.select_for_update().filter(pk=document_id).first()
        if current is None:
            return "gone"
        if current.file.name != name:
            return "replaced"  # the new file's own task reads it
        DocumentText.objects.filter(document_id=document_id).delete()
        DocumentText.objects.bulk_create(
            DocumentText(document_id=document_id, position=i, label=unit.label[:120], text=unit.text)
            for i, unit in enumerate(units, 1)
        )
        DocumentExtraction.objects.update_or_create(
            document_id=document_id,
            defaults={
                "status": status,
                "file_name": name,
                "file_hash": file_hash,
                "units": len(units),
                "characters": extracted.characters if extracted else 0,
                "truncated": bool(extracted and extracted.truncated),
                "error": error,
                "extracted_at": timezone.now(),
            },
        )
        pages = list(ResourcePage.objects.filter(document_id=document_id))
        for page in pages:
            search_index_later(page)
        shares = SharedResource.objects.filter(page__document_id=document_id).select_related("page", "member")
        for share in shares:
            _share_privacy_check(share=share, units=units)
    return status


def _review_again(share):
    """Put a held share back in the moderators' review queue."""
    page = share.page
    workflow = page.get_workflow()
    if workflow is None or page.workflow_in_progress or share.member is None:
        return
    _quiet_admin_notices(share.member)
    workflow.start(page, share.member)


def _share_privacy_check(*, share, units):
    """Run the privacy guard over a shared file's text. What it finds is
    recorded for the moderators who review the share; a share already
    published before the file was read is unpublished and back in review."""
    member = share.member
    own_email = (member.email or "").casefold() if member else ""
    findings = []
    for unit in units:
        found = privacy.scan(unit.text, allowed_emails=lambda email: email.casefold() == own_email)
        for item in privacy.summarize(found):
            findings.append({**item, "where": unit.label})
            if len(findings) >= MAX_PRIVACY_FINDINGS:
                break
        if len(findings) >= MAX_PRIVACY_FINDINGS:
            break
    if findings == share.privacy_findings:
        return
    share.privacy_findings = findings
    update = ["privacy_findings"]
    held = bool(findings) and share.page.live
    if held:
        share.page.unpublish(log_action=True)
        share.status = SharedResource.Status.IN_REVIEW
        share.decided_at = None
        update += ["status", "decided_at"]
    share.save(update_fields=update)
    if held:
        _review_again(share)
    if findings:
        audit_record(
            action="resource.privacy_findings",
            actor=None,
            target=share.page,
            detail={"findings": len(findings), "held": held, "kinds": sorted({f["kind"] for f in findings})},
        )
