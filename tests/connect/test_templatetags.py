import datetime

from django.utils import timezone

from connect.templatetags.connect_tags import ago


def test_ago_says_just_now_under_a_minute_and_the_time_after():
    now = timezone.now()
    assert ago(now) == "just now"
    assert ago(now - datetime.timedelta(seconds=59)) == "just now"
    assert ago(now - datetime.timedelta(minutes=5)) == "5\xa0minutes ago"
    assert ago(None) == ""
