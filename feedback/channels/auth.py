"""Who calls the API and Open311, and how often they may: shared by both adapters.

A client names itself with its key, in `Authorization: Api-Key <key>` or `X-Api-Key: <key>`
(Open311 clients also send `api_key` as a parameter; that adapter passes it here). An
unknown or revoked key is refused outright (401/403), never treated as anonymous. Without a
key, a caller is anonymous: it may read, it may not submit.

Rates are counted by feedback.limits in the shared cache (settings.CACHES), through DRF's
throttle hook: per client at the client's own `requests_per_minute`, per address for anonymous
callers.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions, throttling

from feedback import limits
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


class LimitThrottle(throttling.BaseThrottle):
    """A DRF throttle counted by feedback.limits (atomic in the shared cache), not by DRF's own
    history list, which is read and written back unlocked: parallel requests each saw the list
    before the others' entries, and all got through."""

    limit_name = ""

    def who(self, request) -> tuple[str, int | None] | None:
        """Who is counted, and their own allowance (None: the table's); None: not counted."""
        raise NotImplementedError

    def allow_request(self, request, view):
        counted = self.who(request)
        if counted is None:
            return True
        who, allowed = counted
        try:
            limits.hit(self.limit_name, who, allowed=allowed)
        except limits.LimitExceeded as error:
            self.retry_after = error.retry_after
            return False
        return True

    def wait(self):
        return getattr(self, "retry_after", None)


class ClientRateThrottle(LimitThrottle):
    """Each client at its own rate (ApiClient.requests_per_minute)."""

    limit_name = "api-client"

    def who(self, request):
        client = request.auth
        if client is None:
            return None
        return str(client.pk), client.requests_per_minute


class AnonymousRateThrottle(LimitThrottle):
    """Callers without a key, per address (the same address rule as the web's limits); the
    address is kept in the cache only as a keyed digest (feedback.limits)."""

    limit_name = "api-anonymous"

    def who(self, request):
        if request.auth is not None:
            return None
        return client_address(request), None
