"""The site's URLs plus a trivial view behind the same members-only middleware (the baseline)."""

from django.http import HttpResponse
from django.urls import include, path


def trivial(request):
    return HttpResponse(f"ok {request.user.pk}", content_type="text/plain")


urlpatterns = [
    path("bench/trivial/", trivial, name="bench_trivial"),
    path("", include("connect.urls")),
]
