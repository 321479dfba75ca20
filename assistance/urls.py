from django.urls import path

from . import views

app_name = "assistance"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.request_create, name="request_create"),
    path("queue/", views.queue, name="queue"),
    path("report/", views.report, name="report"),
    path("report/export.<str:fmt>", views.report_export, name="report_export"),
    path("requests/<int:pk>/", views.request_detail, name="request_detail"),
    path("requests/<int:pk>/<slug:action>/", views.request_action, name="request_action"),
    path("visits/<int:pk>/", views.visit_detail, name="visit_detail"),
    path("visits/<int:pk>/agenda/", views.visit_agenda, name="visit_agenda"),
    path("visits/<int:pk>/<slug:action>/", views.visit_action, name="visit_action"),
]
