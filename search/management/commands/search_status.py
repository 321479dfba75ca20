"""How the search index stands: size, owed updates, drift from the database."""

import json

from django.core.management.base import BaseCommand

from search.rebuild import status


class Command(BaseCommand):
    help = (
        "Print the search index's size, the queue of owed updates and its drift from the database per model."
    )

    def add_arguments(self, parser):
        parser.add_argument("--backend", default="default")
        parser.add_argument("--json", action="store_true", help="Print the report as JSON.")

    def handle(self, *args, backend, json: bool = False, **options):
        report = status(backend_name=backend)
        if json:
            self.stdout.write(_json(report))
            return
        size = report["size_bytes"]
        self.stdout.write(f"Backend:          {report['backend']}")
        if report["documents"] is not None:
            self.stdout.write(f"Documents:        {report['documents']:,}")
        if size is not None:
            self.stdout.write(f"Index size:       {size / 1_048_576:,.1f} MB")
        queue = f"{report['queue']:,} ({report['retrying']:,} retrying, {report['failed']:,} failed)"
        self.stdout.write(f"Updates waiting:  {queue}")
        if report["models"]:
            self.stdout.write(f"{'Model':<28}{'database':>10}{'index':>10}{'missing':>10}{'extra':>8}")
            for row in report["models"]:
                self.stdout.write(
                    f"{row['model']:<28}{row['database']:>10,}{row['index']:>10,}{row['missing']:>10,}{row['extra']:>8,}"
                )
        drift = sum(row["missing"] + row["extra"] for row in report["models"])
        if drift:
            self.stdout.write(self.style.WARNING(f"Drift: {drift:,} documents (run rebuild_search_index)."))
        else:
            self.stdout.write(self.style.SUCCESS("No drift between the database and the index."))


def _json(report):
    return json.dumps(report, indent=2)
