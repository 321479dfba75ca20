"""A URL configuration where a package mounts its own login view, plainly and
behind a decorator, to prove the walker in test_signin_paths.py notices."""

from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.decorators.cache import never_cache

urlpatterns = [
    path("sneaky/login/", auth_views.LoginView.as_view()),
    path("sneaky/decorated/", never_cache(auth_views.PasswordChangeView.as_view())),
    path("", include("connect.urls")),
]
