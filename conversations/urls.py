from django.urls import path

from . import views

app_name = "conversations"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("new/", views.start, name="start"),
    path("preview/", views.preview, name="preview"),
    path("settings/", views.preferences, name="preferences"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/settings/", views.participant_settings, name="participant_settings"),
    path("<int:pk>/leave/", views.leave, name="leave"),
    path("<int:pk>/add/", views.add_participant, name="add_participant"),
    path("<int:pk>/remove/<int:user_id>/", views.remove_participant, name="remove_participant"),
    path("<int:pk>/report/<int:seq>/", views.report, name="report"),
    path("files/<int:pk>/", views.attachment, name="attachment"),
    path("block/<int:user_id>/", views.block, name="block"),
    path("unblock/<int:user_id>/", views.unblock, name="unblock"),
]
