"""The site's URLs plus two baselines: a bare view (served without middleware
by bench.asgi) and a trivial view behind the whole members-only stack."""

from django.http import HttpResponse
from django.urls import include, path


def trivial(request):
    return HttpResponse(f"ok {request.user.pk}", content_type="text/plain")


def bare(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("bench/trivial/", trivial, name="bench_trivial"),
    path("bench/bare/", bare, name="bench_bare"),
    path("", include("connect.urls")),
]
