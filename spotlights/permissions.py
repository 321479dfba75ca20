"""Who may see which spotlights."""

from connect.permissions import is_active_member


def visible_pages(user, qs):
    """Live, unrestricted pages for active members; nothing for anyone else."""
    if not is_active_member(user):
        return qs.none()
    return qs.live().public()
