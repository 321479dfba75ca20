"""Notifications live under /notifications/. The paths they had under
/discussions/ keep working: pages redirect, and the unsubscribe link in emails
already sent is served in place (mail clients post to it and may not follow a
redirect)."""

from django.urls import path
from django.views.generic import RedirectView

from . import views

app_name = "notifications"


def _moved(name):
    return RedirectView.as_view(pattern_name=name, query_string=True)


urlpatterns = [
    path("notifications/", views.notification_list, name="list"),
    path("notifications/read/", views.notifications_read, name="read"),
    path("notifications/<int:pk>/", views.notification_open, name="open"),
    path("notifications/settings/", views.preferences, name="preferences"),
    path("notifications/unsubscribe/<str:token>/", views.email_unsubscribe, name="email_unsubscribe"),
    path("discussions/notifications/", _moved("notifications:list"), name="moved_list"),
    path("discussions/notifications/<int:pk>/", _moved("notifications:open"), name="moved_open"),
    path("discussions/settings/email/", _moved("notifications:preferences"), name="moved_preferences"),
    path("discussions/unsubscribe/<str:token>/", views.email_unsubscribe, name="moved_unsubscribe"),
]
