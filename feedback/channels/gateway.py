"""Whether a callback comes from our gateway: the optional shared secret and source addresses
of settings (CHANNEL_SHARED_SECRET, CHANNEL_ALLOWED_ADDRESSES). USSD, SMS and delivery
reports all ask `refusal(request)` first."""

import ipaddress
import logging

from django.conf import settings
from django.http import HttpResponseForbidden
from django.utils.crypto import constant_time_compare

from feedback.tracking import client_address

logger = logging.getLogger("feedback.channels")


def _address_allowed(address: str) -> bool:
    allowed = settings.CHANNEL_ALLOWED_ADDRESSES
    if not allowed:
        return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for network in allowed:
        try:
            if ip in ipaddress.ip_network(network, strict=False):
                return True
        except ValueError:
            continue
    return False


def refusal(request) -> HttpResponseForbidden | None:
    """A 403 for a callback that fails the configured checks, or None to go on."""
    secret = settings.CHANNEL_SHARED_SECRET
    given = request.GET.get("secret", "")
    if secret and not constant_time_compare(given, secret):
        logger.warning("gateway callback refused: wrong or missing secret")
        return HttpResponseForbidden("forbidden")
    if not _address_allowed(client_address(request)):
        logger.warning("gateway callback refused: address not allowed")
        return HttpResponseForbidden("forbidden")
    return None
