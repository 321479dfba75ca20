"""What the thread page gives the live script: data attributes only, no inline script."""

import re

from .factories import make_post, make_thread


def test_thread_page_carries_thread_id_and_sequence_for_the_live_script(
    client_for, officer, advocate, category
):
    thread = make_thread(author=officer, category=category)
    make_post(author=advocate, thread=thread)
    thread.refresh_from_db()
    response = client_for(officer).get(thread.get_absolute_url())
    html = response.content.decode()
    assert f'data-live-thread="{thread.pk}"' in html
    assert f'data-live-sequence="{thread.event_seq}"' in html and thread.event_seq == 1
    assert 'data-live-last-page="true"' in html
    assert 'src="/static/js/live.js"' in html
    # Scripts are loaded from files: the live side adds nothing inline.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)


def test_public_pages_do_not_load_the_live_script(db, client):
    assert "js/live.js" not in client.get("/").content.decode()
