import datetime

import pytest
from django.utils import timezone

from spotlights.models import SpotlightIndexPage, SpotlightPage, monday_of


@pytest.fixture
def spotlight_index(db):
    return SpotlightIndexPage.objects.get()


def make_spotlight(index, task_force, *, title="A spotlight", weeks_ago=0, live=True, **fields):
    fields.setdefault("summary", "What this task force does well.")
    page = SpotlightPage(
        title=title,
        week=monday_of(timezone.localdate()) - datetime.timedelta(weeks=weeks_ago),
        task_force=task_force,
        **fields,
    )
    index.add_child(instance=page)
    if live:
        page.save_revision().publish()
    else:
        page.live = False
        page.save()
        page.save_revision()
    return page
