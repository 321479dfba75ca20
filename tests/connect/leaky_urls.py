"""A URL configuration with one view that forgot the access rules, to prove
the walker in test_access.py notices."""

from django.http import HttpResponse
from django.urls import include, path

from connect.decorators import public


@public
def leaky(request, pk):
    return HttpResponse("member list")


urlpatterns = [
    path("leaky/<int:pk>/", leaky, name="leaky"),
    path("", include("connect.urls")),
]
