"""USSD in Africa's Talking's callback format (to be built: issue 18)."""

from django.http import Http404


def callback(request):
    raise Http404


def session_event(request):
    raise Http404
