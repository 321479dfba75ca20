from django.urls import path

from . import views

app_name = "connect"

urlpatterns = [
    path("join/request/", views.membership_request, name="membership_request"),
    path("join/request/sent/", views.membership_request_done, name="membership_request_done"),
    path("join/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("sign-in/unlock/<str:token>/", views.login_unlock, name="login_unlock"),
    path("privacy/", views.privacy, name="privacy"),
    path("terms/", views.terms, name="terms"),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("healthz", views.health, name="health"),
    path("members/", views.member_directory, name="member_directory"),
    path("members/<int:pk>/", views.member_detail, name="member_detail"),
    path("members/<int:pk>/release/", views.profile_release, name="profile_release"),
    path("profile/", views.profile_edit, name="profile_edit"),
    path("guidelines/", views.guidelines, name="guidelines"),
    path("welcome/dismiss/", views.welcome_dismiss, name="welcome_dismiss"),
    path("task-forces/", views.taskforce_list, name="taskforce_list"),
    path("task-forces/<slug:slug>/", views.taskforce_detail, name="taskforce_detail"),
]
