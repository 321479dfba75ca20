"""Read the text of documents uploaded before their text was read, or whose
reading failed and should be tried again."""

from django.core.management.base import BaseCommand
from django.db.models import F
from wagtail.documents import get_document_model

from resources.models import DocumentExtraction
from resources.services import document_text_extract


class Command(BaseCommand):
    help = (
        "Read the text of every document not read yet (or, with --all, of every document) "
        "and owe a search update of the pages that show it."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--all", action="store_true", help="Read every document again, even if read before."
        )

    def handle(self, *args, **options):
        documents = get_document_model().objects.order_by("pk")
        if not options["all"]:
            documents = documents.exclude(text_extraction__file_name=F("file"))
        ids = list(documents.values_list("pk", flat=True))
        outcomes = {}
        for n, document_id in enumerate(ids, 1):
            outcome = document_text_extract(document_id=document_id, force=options["all"])
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
            if options["verbosity"] > 1:
                self.stdout.write(f"{n}/{len(ids)} document {document_id}: {outcome}")
        failed = outcomes.get(DocumentExtraction.Status.FAILED, 0)
        self.stdout.write(
            f"{len(ids)} document{'' if len(ids) == 1 else 's'} read"
            f" ({outcomes.get(DocumentExtraction.Status.DONE, 0)} with text,"
            f" {outcomes.get(DocumentExtraction.Status.UNSUPPORTED, 0)} without text to read,"
            f" {failed} unreadable)."
        )
        if failed:
            self.stdout.write(
                "Unreadable documents are logged and still found by their pages' titles and summaries."
            )
