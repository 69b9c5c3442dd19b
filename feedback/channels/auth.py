"""Who calls the API and Open311, and how often they may: shared by both adapters.

A client names itself with its key, in `Authorization: Api-Key <key>` or `X-Api-Key: <key>`
(Open311 clients also send `api_key` as a parameter; that adapter passes it here). An
unknown or revoked key is refused outright (401/403), never treated as anonymous. Without a
key, a caller is anonymous: it may read, it may not submit.

Rates are counted in the shared cache (settings.CACHES) by DRF's throttles: per client at the
client's own `requests_per_minute`, per address for anonymous callers.
"""

from django.conf import settings
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions, throttling

from feedback.channels.keys import client_for_key
from feedback.tracking import client_address


def key_from_headers(request) -> str:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    keyword, _space, value = header.partition(" ")
    if keyword.lower() == "api-key" and value.strip():
        return value.strip()
    return request.META.get("HTTP_X_API_KEY", "").strip()


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """request.auth is the ApiClient; request.user stays anonymous (clients are not staff)."""

    def authenticate(self, request):
        key = key_from_headers(request)
        if not key:
            return None
        return self.authenticate_key(key)

    def authenticate_key(self, key: str):
        client = client_for_key(key)
        if client is None:
            raise exceptions.AuthenticationFailed(_("This API key is not valid or was revoked."))
        from django.contrib.auth.models import AnonymousUser

        return AnonymousUser(), client

    def authenticate_header(self, request):
        return "Api-Key"


class ClientRateThrottle(throttling.SimpleRateThrottle):
    """Each client at its own rate (ApiClient.requests_per_minute)."""

    scope = "api_client"

    def allow_request(self, request, view):
        client = request.auth
        if client is None:
            return True
        self.num_requests, self.duration = client.requests_per_minute, 60
        self.key = f"throttle:api-client:{client.pk}"
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        if len(self.history) >= self.num_requests:
            return self.throttle_failure()
        return self.throttle_success()

    def get_rate(self):
        return None  # set per client in allow_request


class AnonymousRateThrottle(throttling.SimpleRateThrottle):
    """Callers without a key, per address (the same address rule as the web's limits)."""

    scope = "api_anonymous"

    def get_rate(self):
        return settings.API_ANONYMOUS_RATE

    def get_cache_key(self, request, view):
        if request.auth is not None:
            return None
        # The address is personal data: the cache holds only a keyed digest of it.
        digest = salted_hmac("feedback.channels.address", client_address(request)).hexdigest()
        return f"throttle:api-anonymous:{digest[:32]}"
