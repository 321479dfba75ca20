"""Error pages that never show a stack trace and never need the database."""

from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template import loader


def not_found(request, exception=None):
    return render(request, "404.html", status=404)


def server_error(request):
    # Rendered without context processors: the failure may be in them.
    return HttpResponseServerError(loader.get_template("500.html").render())
