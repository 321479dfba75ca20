from django.urls import path

from . import views

app_name = "resources"

urlpatterns = [
    path("share/", views.share, name="share"),
    path("my-shares/", views.my_shares, name="my_shares"),
    path("events/<int:page_id>/event.ics", views.event_ics, name="event_ics"),
    path("calendar/", views.calendar_settings, name="calendar_settings"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
    path("media/<path:path>", views.rendition, name="rendition"),
]
