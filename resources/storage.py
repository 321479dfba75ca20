"""Image renditions are served only to members, never as public media."""

from django.core.files.storage import FileSystemStorage

RENDITION_URL = "/library/media/"


class MemberRenditionStorage(FileSystemStorage):
    """Renditions live under MEDIA_ROOT but their URLs point at the
    members-only view in resources.views.rendition."""

    def __init__(self, **kwargs):
        kwargs.setdefault("base_url", RENDITION_URL)
        super().__init__(**kwargs)
