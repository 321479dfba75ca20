"""The site's URLs plus one members-only view that does nothing, so a test can
count what the members-only stack itself costs."""

from django.http import HttpResponse
from django.urls import include, path


def trivial(request):
    return HttpResponse(f"ok {request.user.pk}")


urlpatterns = [
    path("trivial/", trivial, name="trivial"),
    path("", include("connect.urls")),
]
