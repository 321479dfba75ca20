def ensure_spotlight_index():
    """The Spotlights page under the home page, at /spotlights/. Idempotent."""
    from connect.models import HomePage

    from .models import SpotlightIndexPage

    home = HomePage.objects.first()
    if home is None or SpotlightIndexPage.objects.exists():
        return
    home.add_child(
        instance=SpotlightIndexPage(
            title="Spotlights",
            slug="spotlights",
            intro="Every week, a task force that does something well, in its own words.",
        )
    )
