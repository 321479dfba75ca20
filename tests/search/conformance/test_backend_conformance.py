"""modelsearch's own backend test suite (``BackendTests``, 120 tests, from the
modelsearch release pinned in requirements.txt) run against this project's
Whoosh backend, so a change to the backend that breaks what Wagtail's search
API promises fails here. The suite's data fixture is not shipped in the
wheel; ``fixtures/search.json`` is its upstream fixture plus the rows the
newer tests need."""

import io
import shutil
import sys
import tempfile
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.core import management
from django.core.management import call_command
from django.test import TestCase, override_settings
from wagtail.search import models as wagtail_search_models

# Under Wagtail the index-entry model lives in wagtail.search (the app that is
# installed); the suite imports it from modelsearch.models, which is not.
sys.modules.setdefault("modelsearch.models", wagtail_search_models)

from modelsearch.backends import get_search_backend  # noqa: E402
from modelsearch.tests.test_backends import BackendTests  # noqa: E402

BACKEND = "search.backends.whoosh"
FIXTURE = str(Path(__file__).parent / "fixtures" / "search.json")

if settings.WAGTAILSEARCH_BACKENDS["default"]["BACKEND"] != BACKEND:
    pytest.skip("the conformance suite tests the Whoosh backend", allow_module_level=True)


def _wagtail_command(name, *args, **kwargs):
    return call_command("update_index" if name == "rebuild_modelsearch_index" else name, *args, **kwargs)


class WhooshConformanceTests(BackendTests, TestCase):
    backend_path = BACKEND
    fixtures = [FIXTURE]

    def setUp(self):
        # A fresh index directory per test: the suite rebuilds in setUp and
        # expects nothing left over from the test before.
        self._index_dir = tempfile.mkdtemp(prefix="connect-conformance-")
        overrides = override_settings(
            WAGTAILSEARCH_BACKENDS={"default": {"BACKEND": BACKEND, "PATH": self._index_dir}},
            # The suite looks its backend up under modelsearch's own setting name.
            MODELSEARCH_BACKENDS={"default": {"BACKEND": BACKEND, "PATH": self._index_dir}},
        )
        overrides.enable()
        self.addCleanup(overrides.disable)
        self.addCleanup(shutil.rmtree, self._index_dir, ignore_errors=True)
        # The suite's own setUp calls modelsearch's rebuild command by its
        # modelsearch name; Wagtail installs the same command as update_index.
        self.backend = get_search_backend("default")
        self.backend_name = "default"
        self.clear_index_entries()
        renamed = mock.patch.object(management, "call_command", side_effect=_wagtail_command)
        renamed.start()
        self.addCleanup(renamed.stop)
        call_command("update_index", backend_name="default", stdout=io.StringIO(), chunk_size=50)
