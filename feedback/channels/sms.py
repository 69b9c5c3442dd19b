"""Inbound SMS in Africa's Talking's callback format (to be built: issue 18)."""

from django.http import Http404


def inbound(request):
    raise Http404
