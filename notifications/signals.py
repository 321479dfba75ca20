"""What the ground floor announces that moderators are told about."""

from django.dispatch import receiver

from connect.services import membership_requested

from . import moderators


@receiver(membership_requested)
def on_membership_requested(sender, membership_request, review_url, **kwargs):
    moderators.moderators_notify_on_commit(
        kind=moderators.MEMBERSHIP_REQUEST, target=membership_request, url=review_url
    )
