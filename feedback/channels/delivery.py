"""SMS delivery reports from the gateway (to be built: issue 18)."""

from django.http import Http404


def report(request):
    raise Http404
