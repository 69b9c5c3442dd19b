"""Refuse a request body larger than settings.REQUEST_BODY_MAX_BYTES before any of it is read.

Django's DATA_UPLOAD_MAX_MEMORY_SIZE does not count uploaded files, which it streams to disk
whatever their number; without this, one request could fill the disk or hold a worker for
minutes. The reverse proxy in front should refuse the same size (README, "Production").
"""

from django.conf import settings
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat


class RequestBodyLimitMiddleware:
    """Answer 413 to a body declared larger than the limit; Django's WSGI handler reads no
    further than the declared length, so a body cannot grow past what it declares."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django then reads no body at all
        if length > settings.REQUEST_BODY_MAX_BYTES:
            context = {"limit": filesizeformat(settings.REQUEST_BODY_MAX_BYTES)}
            return render(request, "413.html", context, status=413)
        return self.get_response(request)
