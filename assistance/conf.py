"""Which models of the floors beside this one the program links to, by name.

This app imports only `connect` and `notifications`; the library's topics, the
pages a delivery produced and the spotlight a visit becomes are named here (and
can be changed in settings), then looked up with `apps.get_model`, so no import
crosses to another feature app."""

from django.apps import apps
from django.conf import settings

TOPIC_MODEL = getattr(settings, "ASSISTANCE_TOPIC_MODEL", "resources.Topic")
DELIVERY_PAGE_MODELS = getattr(
    settings, "ASSISTANCE_DELIVERY_PAGE_MODELS", ["resources.EventPage", "resources.ResourcePage"]
)
EVENT_PAGE_MODEL = getattr(settings, "ASSISTANCE_EVENT_PAGE_MODEL", "resources.EventPage")
SPOTLIGHT_PAGE_MODEL = getattr(settings, "ASSISTANCE_SPOTLIGHT_PAGE_MODEL", "spotlights.SpotlightPage")
SPOTLIGHT_INDEX_MODEL = getattr(settings, "ASSISTANCE_SPOTLIGHT_INDEX_MODEL", "spotlights.SpotlightIndexPage")
# The program's published commitments.
TRAINING_TARGET = getattr(settings, "ASSISTANCE_TRAINING_TARGET", 25)
VISIT_TARGET = getattr(settings, "ASSISTANCE_VISIT_TARGET", 40)


def model(label):
    """The model named ``label`` ("app.Model"), or None when that app is not installed."""
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


def topic_model():
    return model(TOPIC_MODEL)


def delivery_page_models():
    return [m for m in (model(label) for label in DELIVERY_PAGE_MODELS) if m is not None]
