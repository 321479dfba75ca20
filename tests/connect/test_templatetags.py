import datetime

from django.utils import timezone

from connect.templatetags.connect_tags import ago


def test_ago_says_just_now_under_a_minute_and_the_time_after():
    now = timezone.now()
    assert ago(now) == "just now"
    assert ago(now - datetime.timedelta(seconds=59)) == "just now"
    assert ago(now - datetime.timedelta(minutes=5)) == "5\xa0minutes ago"
    assert ago(None) == ""


def test_task_force_place_never_repeats_the_state():
    from connect.models import TaskForce

    assert TaskForce(jurisdiction="Florida", state="FL").place == "Florida"
    assert TaskForce(jurisdiction="State of Florida", state="FL").place == "State of Florida"
    assert TaskForce(jurisdiction="Palm Beach County", state="FL").place == "Palm Beach County, Florida"
